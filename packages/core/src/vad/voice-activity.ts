/**
 * Voice activity of one stream: wire frames (interleaved Int16, any
 * length) in, `speech_started` and `speech_ended` per channel out, at
 * stream sample positions. It cuts the frames into the detector's chunks,
 * one detector and one {@link SpeechGate} per channel.
 *
 * @module
 */

import { frameSamples } from '../session/framing.ts';
import { assertVadSampleRate, type VoiceActivityDetector } from './detector.ts';
import { createEnergyVad } from './energy-vad.ts';
import { checkOptionNames, optionNames } from '../known-options.ts';
import { SPEECH_GATE_OPTIONS, SpeechGate, type SpeechGateEvent, type SpeechGateOptions } from './speech-gate.ts';

/** The option names {@link VoiceActivity} takes: the gate's, and its own. */
const VOICE_ACTIVITY_CLASS_OPTIONS: readonly string[] = [...SPEECH_GATE_OPTIONS, 'channels', 'createDetector', 'onEvent'];

/** Options of {@link VoiceActivity}: the gate's, plus the stream's format and the detector. */
export interface VoiceActivityOptions extends SpeechGateOptions {
  /** Channels in the frames pushed (interleaved). @defaultValue 1 */
  channels?: 1 | 2;
  /**
   * Makes the detector of one channel (called once per channel, with its
   * index). @defaultValue `() => createEnergyVad()`
   */
  createDetector?: (channel: number) => VoiceActivityDetector;
  /**
   * Called for every event, synchronously, in stream order (within one
   * chunk, channel 0 first). `position` is the event's stream sample
   * position (per channel).
   */
  onEvent?: (event: SpeechGateEvent, channel: number, position: number) => void;
}

/**
 * Cuts a stream's frames into detector chunks per channel, classifies them
 * and gates them. Frames may have any length; a chunk may span frames. No
 * allocation per frame.
 *
 * A position that jumps forward (audio not pushed) drops the chunk being
 * filled; the tail shorter than a chunk at {@link VoiceActivity.finish} is
 * not classified (at most `frameMs` of the detector).
 *
 * @example Stereo, 100 ms frames at 16 kHz
 * ```ts
 * const va = new VoiceActivity({
 *   sampleRate: 16000,
 *   channels: 2,
 *   onEvent: (event, channel, position) => console.log(event, channel, position / 16000),
 * });
 * let position = 0;
 * for (const frame of frames) { // Int16Array, 3200 samples (2 × 1600)
 *   va.push(frame, position);
 *   position += frame.length / 2;
 * }
 * va.finish(position);
 * ```
 */
export class VoiceActivity {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  /** Samples per channel in one detector chunk. */
  readonly chunkSamples: number;
  readonly detectors: readonly VoiceActivityDetector[];
  readonly gates: readonly SpeechGate[];
  readonly #chunks: Int16Array[];
  readonly #onEvent: VoiceActivityOptions['onEvent'];
  /** Samples per channel already in the chunk being filled. */
  #filled = 0;
  /** Stream position of the chunk being filled. */
  #chunkPosition = 0;
  /** The position the next frame is expected at; -1 before any. */
  #next = -1;

  constructor(options: VoiceActivityOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`Invalid VoiceActivity options: expected an object with \`sampleRate\`, got ${options === null ? 'null' : typeof options}`);
    }
    checkOptionNames(options, VOICE_ACTIVITY_CLASS_OPTIONS, 'new VoiceActivity()');
    assertVadSampleRate(options.sampleRate, 'sampleRate');
    const channels = options.channels ?? 1;
    if (channels !== 1 && channels !== 2) throw new RangeError(`Invalid option \`channels\`: must be 1 or 2, got ${String(channels)}`);
    if (options.createDetector !== undefined && typeof options.createDetector !== 'function') {
      throw new TypeError(`Invalid option \`createDetector\`: expected a function, got ${typeof options.createDetector}`);
    }
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
      throw new TypeError(`Invalid option \`onEvent\`: expected a function, got ${typeof options.onEvent}`);
    }
    this.sampleRate = options.sampleRate;
    this.channels = channels;
    const create = options.createDetector ?? (() => createEnergyVad());
    const detectors: VoiceActivityDetector[] = [];
    for (let c = 0; c < channels; c++) detectors.push(create(c));
    const frameMs = detectors[0]!.frameMs;
    for (const d of detectors) {
      if (typeof d?.process !== 'function' || typeof d.reset !== 'function' || !(d.frameMs >= 1 && d.frameMs <= 1000)) {
        throw new TypeError('Invalid option `createDetector`: it must return a VoiceActivityDetector (`process`, `reset`, `frameMs` from 1 to 1000)');
      }
      if (d.frameMs !== frameMs) throw new RangeError(`Invalid option \`createDetector\`: every channel's detector must have the same \`frameMs\`, got ${frameMs} and ${d.frameMs}`);
    }
    this.detectors = detectors;
    this.chunkSamples = frameSamples(this.sampleRate, frameMs);
    // The gate takes its own options only.
    const { channels: _c, createDetector: _d, onEvent: _e, ...gate } = options;
    this.gates = detectors.map(() => new SpeechGate(gate));
    this.#chunks = detectors.map(() => new Int16Array(this.chunkSamples));
    this.#onEvent = options.onEvent;
  }

  /** Whether any channel's gate is open. */
  get speaking(): boolean {
    for (const g of this.gates) if (g.speaking) return true;
    return false;
  }

  /**
   * Feeds one frame of interleaved samples whose first sample is at stream
   * position `position` (per channel).
   *
   * @throws TypeError for a frame that is not an Int16Array of whole
   *   sample frames; RangeError for a position that goes back.
   */
  push(frame: Int16Array, position: number): void {
    if (!(frame instanceof Int16Array)) {
      throw new TypeError(`VoiceActivity.push: \`frame\` must be an Int16Array, got ${frame === null ? 'null' : (frame as object)?.constructor?.name ?? typeof frame}`);
    }
    const channels = this.channels;
    if (frame.length % channels !== 0) {
      throw new TypeError(`VoiceActivity.push: \`frame.length\` must be a multiple of \`channels\` (${channels}), got ${frame.length}`);
    }
    if (!Number.isInteger(position) || position < 0 || position < this.#next) {
      throw new RangeError(`VoiceActivity.push: \`position\` must be an integer ≥ the end of the previous frame (${Math.max(0, this.#next)}), got ${String(position)}`);
    }
    if (position !== this.#next) this.#filled = 0;
    if (this.#filled === 0) this.#chunkPosition = position;
    const count = frame.length / channels;
    this.#next = position + count;
    const size = this.chunkSamples;
    const chunks = this.#chunks;
    let i = 0;
    while (i < count) {
      const take = Math.min(size - this.#filled, count - i);
      for (let c = 0; c < channels; c++) {
        const chunk = chunks[c]!;
        let src = i * channels + c;
        for (let k = this.#filled, end = this.#filled + take; k < end; k++, src += channels) chunk[k] = frame[src]!;
      }
      i += take;
      this.#filled += take;
      if (this.#filled === size) this.#classify();
    }
  }

  /**
   * Ends the stream at `position` (by default where the last frame ended):
   * every open gate reports `speech_ended` (see {@link SpeechGate.finish}).
   * Frames may follow, from `position` on.
   */
  finish(position: number = Math.max(0, this.#next)): void {
    this.#filled = 0;
    for (let c = 0; c < this.gates.length; c++) {
      const gate = this.gates[c]!;
      if (gate.finish(position)) this.#onEvent?.('speech_ended', c, gate.eventPosition);
    }
    this.#next = position;
  }

  /** Forgets everything pushed: detectors and gates as new. */
  reset(): void {
    for (const d of this.detectors) d.reset();
    for (const g of this.gates) g.reset();
    this.#filled = 0;
    this.#next = -1;
  }

  #classify(): void {
    const position = this.#chunkPosition;
    const size = this.chunkSamples;
    for (let c = 0; c < this.channels; c++) {
      const p = this.detectors[c]!.process(this.#chunks[c]!, this.sampleRate);
      const gate = this.gates[c]!;
      const event = gate.update(p, position, size);
      if (event) this.#onEvent?.(event, c, gate.eventPosition);
    }
    this.#chunkPosition = position + size;
    this.#filled = 0;
  }
}
