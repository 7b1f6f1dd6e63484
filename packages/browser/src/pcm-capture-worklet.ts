/**
 * The AudioWorklet that cuts captured audio into PCM frames, shipped inside
 * the package as source text and loaded from a Blob URL, so that users need
 * no bundler configuration and no file to host.
 *
 * @module
 */

/**
 * The name the processor registers under (versioned: a future change of its messages gets a new name).
 *
 * @example Make a capture node by hand
 * ```ts
 * await addPcmCaptureWorklet(context);
 * const node = new AudioWorkletNode(context, PCM_CAPTURE_PROCESSOR, { numberOfOutputs: 0, processorOptions: { channels: 1, frameSize: 320 } });
 * ```
 */
export const PCM_CAPTURE_PROCESSOR = 'stt-stream-pcm-capture-1';

/**
 * The processor's source text. It gathers `frameSize` sample frames of
 * `channels` channels (interleaved) and posts each frame's `ArrayBuffer` to
 * the main thread as a transferable (no copy). It answers `'flush'` with the
 * partial frame it holds (if any) and then `'flushed'`; `'stop'` ends it.
 *
 * Kept as plain ES2017 text: it runs in the AudioWorkletGlobalScope, which has
 * no module loader of ours. Serve it yourself (the `workletUrl` option) where
 * a Content-Security-Policy forbids `blob:` scripts.
 *
 * @example Serve the worklet from your own origin
 * ```ts
 * // e.g. in a build step: write PCM_CAPTURE_WORKLET_SOURCE to public/pcm-capture.js
 * const mic = microphone({ workletUrl: '/pcm-capture.js' });
 * ```
 */
export const PCM_CAPTURE_WORKLET_SOURCE = `'use strict';
class SttStreamPcmCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this.channels = o.channels || 1;
    this.frameSize = o.frameSize || 128;
    this.buffer = new Float32Array(this.frameSize * this.channels);
    this.filled = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data === 'flush') {
        this.flush();
        this.port.postMessage('flushed');
      } else if (event.data === 'stop') {
        this.running = false;
        this.port.close();
      }
    };
  }
  post(buffer) {
    this.port.postMessage(buffer.buffer, [buffer.buffer]);
  }
  flush() {
    if (this.filled === 0) return;
    this.post(this.buffer.slice(0, this.filled * this.channels));
    this.filled = 0;
  }
  process(inputs) {
    if (!this.running) return false;
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const channels = this.channels;
    const first = input[0];
    const n = first.length;
    for (let i = 0; i < n; i++) {
      const at = this.filled * channels;
      for (let c = 0; c < channels; c++) this.buffer[at + c] = (input[c] || first)[i];
      if (++this.filled === this.frameSize) {
        this.post(this.buffer);
        this.buffer = new Float32Array(this.frameSize * channels);
        this.filled = 0;
      }
    }
    return true;
  }
}
try {
  registerProcessor('${PCM_CAPTURE_PROCESSOR}', SttStreamPcmCapture);
} catch (err) {
  // Another copy of this package registered the same processor in this context: same code, keep it.
}
`;

const loaded = new WeakMap<BaseAudioContext, Promise<void>>();

/**
 * Adds the capture processor to an AudioContext once (later calls share the
 * first load). The module comes from a Blob URL made from
 * {@link PCM_CAPTURE_WORKLET_SOURCE}, or from `workletUrl` when given.
 *
 * @param context - the context the processor will run in
 * @param workletUrl - where to load the processor from instead of a Blob URL
 * @returns resolves once `new AudioWorkletNode(context, PCM_CAPTURE_PROCESSOR)` works
 *
 * @example Load the processor, then make a node
 * ```ts
 * const context = new AudioContext();
 * await addPcmCaptureWorklet(context);
 * const node = new AudioWorkletNode(context, PCM_CAPTURE_PROCESSOR, { numberOfOutputs: 0 });
 * ```
 */
export function addPcmCaptureWorklet(context: BaseAudioContext, workletUrl?: string): Promise<void> {
  const existing = loaded.get(context);
  if (existing) return existing;
  let promise: Promise<void>;
  if (workletUrl !== undefined) {
    promise = context.audioWorklet.addModule(workletUrl);
  } else {
    const url = URL.createObjectURL(new Blob([PCM_CAPTURE_WORKLET_SOURCE], { type: 'text/javascript' }));
    promise = context.audioWorklet.addModule(url).finally(() => URL.revokeObjectURL(url));
  }
  // A failed load may be retried (e.g. after a CSP change), so forget it.
  promise = promise.catch((err: unknown) => {
    loaded.delete(context);
    throw err;
  });
  loaded.set(context, promise);
  return promise;
}
