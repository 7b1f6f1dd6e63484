// Live captions: microphone → transcriber → the page.
//
// Configuration, from the page's query string first, then Vite env (.env files):
//   ?url=…       VITE_STT_URL        streaming URL  (default: an emulator on 127.0.0.1:8787)
//   ?model=…     VITE_STT_MODEL      model_id       (default: test)
//   ?tokenUrl=…  VITE_STT_TOKEN_URL  your server's token endpoint (POST → { "token": "…" })
//   ?language=…  VITE_STT_LANGUAGE   language hint
// Without a token endpoint the page sends the emulator's development token;
// that only makes sense for a gateway on this machine.
import { createTranscriber, isLoopbackHost, microphone, type AudioCapture, type PCMFrame } from '@stt-stream/browser';

const DEV_TOKEN = 'test-token';
const params = new URLSearchParams(location.search);
const env = import.meta.env;
const url = params.get('url') ?? env.VITE_STT_URL ?? 'ws://127.0.0.1:8787/v1/stt/stream';
const model = params.get('model') ?? env.VITE_STT_MODEL ?? 'test';
const tokenUrl = params.get('tokenUrl') ?? env.VITE_STT_TOKEN_URL ?? '';
const language = params.get('language') ?? env.VITE_STT_LANGUAGE ?? undefined;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const toggle = $<HTMLButtonElement>('toggle');
const stateBadge = $('state');
const finalsEl = $('finals');
const interimEl = $('interim');
const levelEl = $('level');
const errorEl = $('error');
$('target').textContent = `${model} @ ${url}${tokenUrl ? ` · token from ${tokenUrl}` : ''}`;

type State = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopping' | 'error';
function setState(state: State): void {
  stateBadge.dataset.state = state;
  stateBadge.textContent = state;
}

/** A fresh token for every connection: reconnects call this again. */
async function fetchToken(): Promise<string> {
  const response = await fetch(tokenUrl, { method: 'POST', credentials: 'same-origin' });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  const { token } = (await response.json()) as { token?: unknown };
  if (typeof token !== 'string') throw new Error('token endpoint returned no token');
  return token;
}

function tokenOption(): string | (() => Promise<string>) {
  if (tokenUrl) return fetchToken;
  if (!isLoopbackHost(new URL(url).hostname)) {
    throw new Error('Set ?tokenUrl= (or VITE_STT_TOKEN_URL) to your own token endpoint: the development token only works with an emulator on this machine.');
  }
  return DEV_TOKEN;
}

/** Passes frames through and shows their level (RMS, -60 to 0 dBFS) until `stop()`. */
function levelMeter(): { stream: TransformStream<PCMFrame, PCMFrame>; stop(): void } {
  let level = 0;
  let raf = requestAnimationFrame(function paint() {
    levelEl.style.width = `${Math.round(level * 100)}%`;
    raf = requestAnimationFrame(paint);
  });
  const stop = () => {
    cancelAnimationFrame(raf);
    levelEl.style.width = '0';
  };
  const stream = new TransformStream<PCMFrame, PCMFrame>({
    transform(frame, controller) {
      let sum = 0;
      for (const x of frame.data) sum += x * x;
      const db = 10 * Math.log10(sum / Math.max(1, frame.data.length) + 1e-10);
      level = Math.max(0, Math.min(1, (db + 60) / 60));
      controller.enqueue(frame);
    },
  });
  return { stream, stop };
}

let mic: AudioCapture | undefined;

async function start(): Promise<void> {
  let meter: ReturnType<typeof levelMeter> | undefined;
  errorEl.hidden = true;
  finalsEl.textContent = '';
  interimEl.textContent = '';
  setState('connecting');
  toggle.textContent = 'Stop';
  try {
    const transcriber = createTranscriber({ url, model, token: tokenOption(), ...(language ? { language } : {}) });
    transcriber.events.on('open', () => setState('live'));
    transcriber.events.on('reconnecting', () => setState('reconnecting'));
    transcriber.events.on('reconnected', () => setState('live'));
    // Started in the click handler, so its AudioContext may run.
    mic = microphone({ onDrop: (d) => console.warn(`dropped ${d.droppedMs.toFixed(0)} ms of audio: the page fell behind`) });
    meter = levelMeter();
    // A reader loop rather than `for await`: Safari cannot async-iterate streams.
    const events = mic.pipeThrough(meter.stream).pipeThrough(transcriber).getReader();
    for (;;) {
      const { value: ev, done } = await events.read();
      if (done) break;
      if (ev.type === 'interim') interimEl.textContent = ev.text;
      else if (ev.type === 'final') {
        interimEl.textContent = '';
        if (ev.text) finalsEl.append(`${ev.text} `);
      } else if (ev.type === 'gap') {
        finalsEl.append(`[${(ev.end - ev.start).toFixed(1)} s lost] `);
      }
    }
    setState('idle');
  } catch (err) {
    mic?.stop();
    setState('error');
    errorEl.hidden = false;
    errorEl.textContent = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
  } finally {
    meter?.stop();
    mic = undefined;
    toggle.textContent = 'Start';
    toggle.disabled = false;
  }
}

toggle.addEventListener('click', () => {
  if (!mic) {
    void start();
    return;
  }
  // Graceful: the microphone stream ends, the transcriber sends `end` and
  // delivers its last finals, then the loop above finishes.
  setState('stopping');
  toggle.disabled = true;
  mic.stop();
});
