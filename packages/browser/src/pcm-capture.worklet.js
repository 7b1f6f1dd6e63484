// The capture AudioWorklet, readable. It runs in the AudioWorkletGlobalScope,
// which has no module loader of ours: plain ES2017 script, no imports.
// `scripts/build-worklet.mjs` minifies it into `PCM_CAPTURE_WORKLET_SOURCE`
// (pcm-capture-worklet.ts), replacing `PCM_CAPTURE_PROCESSOR` with the
// processor's name; run it after editing this file (CI checks it with `--check`).
//
// It gathers `frameSize` sample frames of `channels` channels (interleaved)
// and posts each frame's ArrayBuffer to the main thread as a transferable (no
// copy). It answers 'flush' with the partial frame it holds (if any) and then
// 'flushed'; 'stop' ends it.
/* global AudioWorkletProcessor, registerProcessor, PCM_CAPTURE_PROCESSOR */
'use strict';
// Fields and helper methods start with `_`: the build shortens those names
// (esbuild's mangleProps); `process` and the port are the platform's.
class SttStreamPcmCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this._channels = o.channels || 1;
    this._frameSize = o.frameSize || 128;
    this._buffer = new Float32Array(this._frameSize * this._channels);
    this._filled = 0;
    this._running = true;
    this.port.onmessage = (event) => {
      if (event.data === 'flush') {
        this._flush();
        this.port.postMessage('flushed');
      } else if (event.data === 'stop') {
        this._running = false;
        this.port.close();
      }
    };
  }
  _post(buffer) {
    this.port.postMessage(buffer.buffer, [buffer.buffer]);
  }
  _flush() {
    if (this._filled === 0) return;
    this._post(this._buffer.slice(0, this._filled * this._channels));
    this._filled = 0;
  }
  process(inputs) {
    if (!this._running) return false;
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const channels = this._channels;
    const first = input[0];
    const n = first.length;
    for (let i = 0; i < n; i++) {
      const at = this._filled * channels;
      for (let c = 0; c < channels; c++) this._buffer[at + c] = (input[c] || first)[i];
      if (++this._filled === this._frameSize) {
        this._post(this._buffer);
        this._buffer = new Float32Array(this._frameSize * channels);
        this._filled = 0;
      }
    }
    return true;
  }
}
try {
  registerProcessor(PCM_CAPTURE_PROCESSOR, SttStreamPcmCapture);
} catch (err) {
  // Another copy of this package registered the same processor in this context: same code, keep it.
}
