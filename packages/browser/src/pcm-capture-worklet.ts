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
export const PCM_CAPTURE_WORKLET_SOURCE = `"use strict";class SttStreamPcmCapture extends AudioWorkletProcessor{constructor(t){super();const s=t&&t.processorOptions||{};this.i=s.channels||1,this.e=s.frameSize||128,this.s=new Float32Array(this.e*this.i),this.t=0,this.r=!0,this.port.onmessage=i=>{i.data==="flush"?(this.o(),this.port.postMessage("flushed")):i.data==="stop"&&(this.r=!1,this.port.close())}}h(t){this.port.postMessage(t.buffer,[t.buffer])}o(){this.t!==0&&(this.h(this.s.slice(0,this.t*this.i)),this.t=0)}process(t){if(!this.r)return!1;const s=t[0];if(!s||s.length===0)return!0;const i=this.i,h=s[0],c=h.length;for(let r=0;r<c;r++){const n=this.t*i;for(let e=0;e<i;e++)this.s[n+e]=(s[e]||h)[r];++this.t===this.e&&(this.h(this.s),this.s=new Float32Array(this.e*i),this.t=0)}return!0}}try{registerProcessor("${PCM_CAPTURE_PROCESSOR}",SttStreamPcmCapture)}catch(o){}`;

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
