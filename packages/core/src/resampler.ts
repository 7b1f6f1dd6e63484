/**
 * @stt-stream/core/resampler: the anti-aliased resampler on its own (the
 * transcriber loads it by itself when its input is not at the wire rate, so
 * that pages which capture at the wire rate never download it).
 *
 * @example
 * ```ts
 * import { Resampler } from '@stt-stream/core/resampler';
 * const r = new Resampler({ inRate: 48000, outRate: 16000, channels: 1 });
 * const out = r.process(new Float32Array(4800)); // about 1600 samples
 * ```
 *
 * @module
 */
export { Resampler, type ResamplerOptions } from './audio/resampler.ts';
