/**
 * The public types of the streaming transcriber: its options (each number
 * with its range), lifecycle events and counters.
 *
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import type { SttError } from '../errors.ts';
import type { LagInfo, SessionNotices, TranscriptMetrics } from '../session/commands.ts';
import type { LatencySummary } from '../session/latency.ts';
import type { SttTransport } from '../transport.ts';
import type { PCMFrame, TranscriptEvent } from '../types.ts';
import type { VoiceActivityDetector } from '../vad/detector.ts';

export type { LagInfo, LatencySummary, TranscriptMetrics };

/** Reconnect settings. A dead server ends the stream within `maxRetryTimeMs` plus one connect timeout. */
export interface ReconnectOptions {
  /**
   * Failed attempts in one incident before the stream fails with
   * `connection_failed`. The count starts again only after real progress (a
   * final that confirmed audio), never on time alone. 0 to 100.
   * @defaultValue 8
   */
  retries?: number;
  /** The first backoff delay and the least time between two attempts, 0 to 60000 ms. @defaultValue 500 */
  minDelayMs?: number;
  /** The longest backoff delay (after jitter), up to 600000 ms. @defaultValue 5000 */
  maxDelayMs?: number;
  /**
   * The most time one incident of reconnecting may take, from its first
   * failure to the start of its last attempt, up to 3600000 ms. A server's
   * `retry_after` longer than what is left of it ends the stream at once
   * with `connection_failed` (whose `retryAfterMs` says what the server
   * asked) rather than wait past it.
   * @defaultValue 20000
   */
  maxRetryTimeMs?: number;
}

/**
 * Voice activity detection at the client (the `voiceActivity` option):
 * `speech_started` and `speech_ended` events per channel from the client's
 * own detector, and by default only speech on the wire.
 */
export interface TranscriberVoiceActivityOptions {
  /**
   * Send only speech: silence past the hangover is not sent (keep-alives hold
   * the session), and every time you see stays on the stream's clock.
   * `false` sends everything and only reports the events.
   * @defaultValue true
   */
  sendOnlySpeech?: boolean;
  /**
   * Send `finalize` where speech ends on every channel, so the turn's final
   * comes after the hangover and the gateway's answer time, not after the
   * gateway's own silence timeout (voice agents).
   * @defaultValue false
   */
  finalizeOnSpeechEnd?: boolean;
  /** Silence kept as speech after the last speech, 0 to 5000 ms (it also keeps the break the gateway hears at each cut). @defaultValue 400 */
  hangoverMs?: number;
  /** Audio kept before each onset, 0 to 2000 ms, so no word's start is clipped. @defaultValue 200 */
  preRollMs?: number;
  /** A chunk at least this likely to be speech opens the gate, 0 to 1. @defaultValue 0.5 */
  threshold?: number;
  /** While speaking, a chunk at least this likely still counts as speech, 0 to `threshold`. @defaultValue 0.35 */
  endThreshold?: number;
  /** How long a run of speech must last to count, 0 to 1000 ms (clicks and key presses do not). @defaultValue 50 */
  minSpeechMs?: number;
  /**
   * Makes the detector of one channel. A model-based detector implements
   * `VoiceActivityDetector` (`@stt-stream/core/vad`).
   * @defaultValue the energy detector of `@stt-stream/core/vad` (no dependency)
   */
  detector?: (channel: number) => VoiceActivityDetector;
}

/** Options of {@link createTranscriber}. Every number has a range; a value outside it is a RangeError naming it. */
export interface TranscriberOptions {
  /** The gateway's `model_id`, e.g. `whisper-1`. */
  model: string;
  /**
   * The gateway: an `http(s)` origin (as `transcribe`'s `baseUrl` takes) or a
   * full `ws(s)` URL of the streaming endpoint.
   * @defaultValue `wss://gateway.llm-stats.com/v1/stt/stream`
   */
  url?: string;
  /** Sent as `Authorization: Bearer …` where the transport can send headers (Node, Deno, Bun). */
  apiKey?: string;
  /**
   * A credential sent as the subprotocol pair `bearer`, `<token>` (what
   * browsers can do). A function is called again for every connection, so
   * short-lived tokens stay fresh.
   */
  token?: string | (() => string | Promise<string>);
  language?: string;
  providerId?: string;
  /** Sample rate on the wire, 8000 to 48000; input is resampled to it. @defaultValue 16000 */
  sampleRate?: number;
  /** Channels on the wire; input is down-mixed to it. @defaultValue 1 */
  channels?: 1 | 2;
  /** @defaultValue true */
  interimResults?: boolean;
  /**
   * Length of each audio message while audio comes at real time, 10 to 1000 ms.
   * Audio ahead of the wire (a file, a replay) goes in messages of whole frames up to 250 ms.
   * @defaultValue 100
   */
  frameMs?: number;
  /** `false` fails the stream on the first drop. */
  reconnect?: false | ReconnectOptions;
  /** How much unconfirmed audio is kept for a replay, 1 to 300 s. @defaultValue 30 */
  replayWindowSeconds?: number;
  /**
   * What a source that writes faster than the audio can go gets. `wait`
   * (files, anything that can wait): the writer waits for the socket, and
   * for the connection while disconnected with a full window; nothing is
   * lost. `drop-oldest` (live sources that cannot wait: a microphone, a
   * call): the writer never waits for the network; audio not yet sent
   * waits in the replay window and catches up when the link allows, and
   * past the window the oldest audio goes, reported as a `gap` event.
   * @defaultValue 'wait'
   */
  overflow?: 'wait' | 'drop-oldest';
  /**
   * With `overflow: 'wait'`, how long the writer waits, while connected and
   * with a full window, for a final to confirm the oldest audio (0 to
   * 600000 ms). After that the oldest audio already sent is let go (a
   * replay that needs it later reports a `gap`), so a server that sends no
   * finals cannot stop the stream.
   * @defaultValue 5000
   */
  windowWaitMs?: number;
  /** Aborting ends the stream with `SttError` code `aborted` and closes the socket. */
  signal?: AbortSignal;
  /** How to open WebSockets. @defaultValue the standard `WebSocket` ({@link createWebSocketTransport}) */
  transport?: SttTransport;
  /** Most bytes queued in the socket before the writer waits (1 KiB to 64 MiB); sending resumes once half of it has drained. @defaultValue 65536 */
  highWaterMarkBytes?: number;
  /** Send new audio no faster than this many times real time (0.1 to 1000; a replay goes at once). @defaultValue Infinity */
  realtimeFactor?: number;
  /** Send a keep-alive when nothing was sent for this long, 100 to 60000 ms. @defaultValue 5000 */
  keepAliveMs?: number;
  /**
   * A connection is dropped (and replaced) when audio waits in its send
   * buffer and none of it has left for this long (a slow link that drains
   * slowly is not a stall), or when, after `end`, the server has said
   * nothing and no audio has left for this long (100 to 300000 ms).
   * @defaultValue 10000
   */
  stallTimeoutMs?: number;
  /**
   * Bounds opening a connection (credentials and handshake), and again the
   * wait for `session.started` once open (100 to 300000 ms).
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /**
   * Once `end` was sent, how long the stream waits for progress (a final
   * that confirms audio not confirmed before) before it fails with
   * `timeout`, counted from the later of the first `end` and the last
   * progress, across reconnects (100 to 600000 ms). A slow link or a
   * backlogged gateway that keeps confirming audio is never cut; a server
   * that sends interims but confirms nothing is.
   * @defaultValue 15000
   */
  endTimeoutMs?: number;
  /**
   * Voice activity detection at the client: `true` (the defaults) or its
   * options. Off by default: a detector at the client can cut audio the
   * gateway would have heard (music, held tones, very quiet speech), and a
   * gateway's own endpointing is tuned for continuous audio. Turn it on for
   * calls and voice agents, where most of the audio is silence.
   * @defaultValue false
   */
  voiceActivity?: boolean | TranscriberVoiceActivityOptions;
  /** Transcript events buffered for a slow reader before the audio pauses, 1 to 10000. @defaultValue 64 */
  readableHighWaterMark?: number;
  /**
   * Beyond `readableHighWaterMark`, how many events may wait for a slow
   * reader (interims replace each other, so these are finals and gaps)
   * before the stream fails with `slow_reader` rather than grow (16 to 1000000).
   * @defaultValue 10000
   */
  maxBufferedEvents?: number;
}

/** Lifecycle events of a {@link Transcriber} (fatal errors go through the stream). */
export interface TranscriberEvents {
  open: (info: SessionNotices['open']) => void;
  /** A connection ended or could not be made, and another is tried after `delayMs`. `attempt` counts the failures of this incident (0 for a routine reconnect, such as after 4010). */
  reconnecting: (info: SessionNotices['reconnecting']) => void;
  reconnected: (info: SessionNotices['reconnected']) => void;
  close: (info: SessionNotices['close']) => void;
  /** Non-fatal problems (`protocol_error`, …): the stream goes on. */
  error: (error: SttError) => void;
  /** Input problems that were repaired (`non_finite_samples`, `clipped_samples`). */
  warning: (warning: { code: string; message: string }) => void;
  /** After every final: its latency and the stream's figures so far. */
  metrics: (metrics: TranscriptMetrics) => void;
  /**
   * A live stream (`overflow: 'drop-oldest'`) fell behind its audio
   * (`behind: true`: more than 10 s of it, or half the replay window, not yet
   * confirmed by a final: a slow link, a backlogged gateway, a reconnect) or
   * caught up again (`behind: false`: back under half of that).
   */
  lag: (info: LagInfo) => void;
}

/** Counters of a running transcriber. */
export interface TranscriberStats {
  /** Samples per channel written on the wire side (after resampling). */
  writtenSamples: number;
  /** Samples per channel handed to the socket (the stream position sent up to; it moves back on a replay). */
  sentSamples: number;
  /** Samples per channel up to the commit point (covered by finals). */
  committedSamples: number;
  /** Bytes of audio retained for a replay (what was not yet confirmed by a final). */
  retainedBytes: number;
  /** Bytes queued in the current socket. */
  socketBufferedBytes: number;
  /** Seconds of audio written but not yet handed to the socket. */
  unsentSeconds: number;
  /** Seconds of audio kept to send (silence not sent left out) and not yet confirmed by a final: how far behind the transcript is. */
  unconfirmedSeconds: number;
  /** Seconds of audio handed to sockets, replays included. */
  sentSeconds: number;
  /** Seconds of silence not sent (`voiceActivity` with `sendOnlySpeech`). */
  skippedSeconds: number;
  /** Connections opened so far. */
  connections: number;
  /** Connections after the first that started a session. */
  reconnects: number;
  /** Seconds of audio sent again after reconnects. */
  replayedSeconds: number;
  /** Seconds of audio reported lost in `gap` events. */
  gapSeconds: number;
  /** Latency of finals (and first interims), measured from the last send of the audio they cover. */
  latency: LatencySummary;
  /** Where the stream is. */
  state: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'ending' | 'closed' | 'failed';
}

/**
 * A `TransformStream<PCMFrame, TranscriptEvent>` with lifecycle events.
 * Pipe audio into `writable`, read events from `readable`.
 */
export interface Transcriber extends TransformStream<PCMFrame, TranscriptEvent> {
  readonly events: EventEmitter<TranscriberEvents>;
  /** Asks the server to emit finals for everything written so far. */
  finalize(): void;
  readonly stats: TranscriberStats;
}
