// The detectors row 9 (bench/vad-quality.mjs) compares with the default one, behind the
// same shape as core's `VoiceActivityDetector` ({ name, frameMs, reset(), process(samples, sampleRate) }):
// WebRTC's VAD compiled to WebAssembly (@echogarden/fvad-wasm: libfvad, synchronous) and Silero
// (the ONNX models @ricky0123/vad-web ships, run by onnxruntime-node or onnxruntime-web). ONNX
// Runtime answers only asynchronously, so Silero's `process` returns a promise: it cannot be a
// `VoiceActivityDetector` as core defines it (packages/core/src/vad/detector.ts says why).
//
// Silero's three packages weigh about 440 MB installed, so they are not dependencies of the
// workspace: row 9 measures Silero when they are there (`npx -y pnpm@10 --filter @stt-stream/bench
// add onnxruntime-node onnxruntime-web @ricky0123/vad-web`, then run the row) and says so when not.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * WebRTC's VAD (libfvad) in WebAssembly, `mode` 0 (least aggressive) to 3 (most), 10, 20 or
 * 30 ms frames at 8, 16, 32 or 48 kHz. It answers 0 or 1. One WebAssembly instance per call.
 */
export async function createWebRtcVad({ mode = 3, frameMs = 30 } = {}) {
  const { default: fvad } = await import('@echogarden/fvad-wasm');
  const m = await fvad();
  const inst = m._fvad_new();
  if (!inst) throw new Error('fvad_new failed');
  let rate = 0;
  let ptr = 0;
  let capacity = 0;
  const configure = (sampleRate) => {
    if (m._fvad_set_sample_rate(inst, sampleRate) !== 0) throw new RangeError(`WebRTC VAD: unsupported sample rate ${sampleRate}`);
    if (m._fvad_set_mode(inst, mode) !== 0) throw new RangeError(`WebRTC VAD: bad mode ${mode}`);
    rate = sampleRate;
  };
  return {
    name: `webrtc-${mode}`,
    frameMs,
    reset() {
      m._fvad_reset(inst);
      rate = 0;
    },
    process(samples, sampleRate) {
      if (sampleRate !== rate) configure(sampleRate);
      if (samples.length > capacity) {
        if (ptr) m._free(ptr);
        capacity = samples.length;
        ptr = m._malloc(capacity * 2);
      }
      m.HEAP16.set(samples, ptr >> 1);
      const r = m._fvad_process(inst, ptr, samples.length);
      if (r < 0) throw new RangeError(`WebRTC VAD: frame of ${samples.length} samples at ${sampleRate} Hz rejected`);
      return r;
    },
  };
}

/** Whether Silero's packages are installed (see the head of this file). */
export const sileroAvailable = (() => {
  try {
    require.resolve('@ricky0123/vad-web/package.json');
    require.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
})();

/** The Silero models @ricky0123/vad-web ships (v6 is the one @livekit/agents-plugin-silero ships too). */
function sileroModel(version) {
  return join(dirname(require.resolve('@ricky0123/vad-web/package.json')), 'dist', `silero_vad_${version}.onnx`);
}

/**
 * Silero VAD v5/v6: 512-sample windows at 16 kHz (256 at 8 kHz, 32 ms either way) with the last
 * 64 (32) samples of the previous window prepended, a [2, 1, 128] recurrent state, as
 * silero-vad's own `OnnxWrapper` does. `runtime`: 'node' (onnxruntime-node, native) or 'web'
 * (onnxruntime-web, WebAssembly, what a browser would run). One thread, sequential.
 */
export async function createSileroVad({ version = 'v5', runtime = 'node' } = {}) {
  const ort = runtime === 'node' ? require('onnxruntime-node') : await import('onnxruntime-web');
  if (runtime === 'web') {
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
  }
  const model = readFileSync(sileroModel(version));
  const session = await ort.InferenceSession.create(runtime === 'node' ? model : new Uint8Array(model), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    executionProviders: runtime === 'node' ? ['cpu'] : ['wasm'],
  });
  let rate = 0;
  let context = 0;
  let input = new Float32Array(0);
  let state = new Float32Array(256);
  let sr = null;
  const configure = (sampleRate, n) => {
    if (sampleRate !== 8000 && sampleRate !== 16000) throw new RangeError(`Silero: 8000 or 16000 Hz only, got ${sampleRate}`);
    rate = sampleRate;
    context = sampleRate === 16000 ? 64 : 32;
    input = new Float32Array(context + n);
    state = new Float32Array(256);
    sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]));
  };
  return {
    name: `silero-${version}${runtime === 'web' ? '-web' : ''}`,
    frameMs: 32,
    async: true,
    reset() {
      rate = 0;
    },
    async process(samples, sampleRate) {
      if (sampleRate !== rate || input.length !== context + samples.length) configure(sampleRate, samples.length);
      for (let i = 0; i < samples.length; i++) input[context + i] = samples[i] / 32768;
      const out = await session.run({
        input: new ort.Tensor('float32', input, [1, input.length]),
        state: new ort.Tensor('float32', state, [2, 1, 128]),
        sr,
      });
      state = out.stateN.data;
      input.copyWithin(0, input.length - context);
      return out.output.data[0];
    },
    release: () => session.release(),
  };
}
