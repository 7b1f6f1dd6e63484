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
 * no module loader of ours. Minified: the readable source is
 * `pcm-capture.worklet.js` beside this file, and `scripts/build-worklet.mjs`
 * writes this literal from it. Serve it yourself (the `workletUrl` option)
 * where a Content-Security-Policy forbids `blob:` scripts.
 *
 * @example Serve the worklet from your own origin
 * ```ts
 * // e.g. in a build step: write PCM_CAPTURE_WORKLET_SOURCE to public/pcm-capture.js
 * const mic = microphone({ workletUrl: '/pcm-capture.js' });
 * ```
 */
export const PCM_CAPTURE_WORKLET_SOURCE = `"use strict";class SttStreamPcmCapture extends AudioWorkletProcessor{constructor(s){super();const t=s&&s.processorOptions||{};this.channels=t.channels||1,this.frameSize=t.frameSize||128,this.buffer=new Float32Array(this.frameSize*this.channels),this.filled=0,this.running=!0,this.port.onmessage=e=>{e.data==="flush"?(this.flush(),this.port.postMessage("flushed")):e.data==="stop"&&(this.running=!1,this.port.close())}}post(s){this.port.postMessage(s.buffer,[s.buffer])}flush(){this.filled!==0&&(this.post(this.buffer.slice(0,this.filled*this.channels)),this.filled=0)}process(s){if(!this.running)return!1;const t=s[0];if(!t||t.length===0)return!0;const e=this.channels,h=t[0],n=h.length;for(let r=0;r<n;r++){const l=this.filled*e;for(let i=0;i<e;i++)this.buffer[l+i]=(t[i]||h)[r];++this.filled===this.frameSize&&(this.post(this.buffer),this.buffer=new Float32Array(this.frameSize*e),this.filled=0)}return!0}}try{registerProcessor("${PCM_CAPTURE_PROCESSOR}",SttStreamPcmCapture)}catch(f){}`;

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
