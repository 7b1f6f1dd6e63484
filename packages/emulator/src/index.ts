/**
 * @stt-stream/emulator: a local STT gateway for tests and demos. Both
 * endpoints of docs/protocol.md, the error envelope, a deterministic DTMF tone
 * engine, fault injection, and a fixture generator.
 *
 * @module
 */
export { startEmulator, STREAM_PATH, TRANSCRIBE_PATH } from './emulator.ts';
export type { Emulator, EmulatorOptions, FaultContext, BatchFaultContext } from './emulator.ts';
export type { EmulatorStats, ConnectionRecord, BatchRecord } from './stats.ts';
export type { Engine, EngineEvent, EngineFactory, EngineOptions, EngineTranscript, EngineSpeechStarted, EngineWord } from './engine.ts';
export { createToneEngine, TONE_CONFIDENCE } from './tone-engine.ts';
export { createSilentEngine } from './silent-engine.ts';
export { DtmfDetector } from './dtmf-detector.ts';
export type { DetectorEvent } from './dtmf-detector.ts';
export { DTMF_ROWS, DTMF_COLUMNS, DTMF_KEYPAD, dtmfWord, dtmfFrequencies, isDtmfKey } from './dtmf.ts';
export type { DtmfKey } from './dtmf.ts';
export { validateFaultPlan, parseFaultParam, withFault } from './fault-plan.ts';
export type { FaultPlan, FaultTrigger } from './fault-plan.ts';
export { MAX_AUDIO_BYTES } from './batch-handler.ts';
export type { BatchFault, BatchFaultPlan } from './batch-handler.ts';
export { mulberry32 } from './prng.ts';
export { dtmfSamples } from './fixtures/dtmf-samples.ts';
export type { DtmfSamplesOptions, DtmfFixture, DtmfTone } from './fixtures/dtmf-samples.ts';
export { encodeWav } from './fixtures/wav-encoder.ts';
export { dtmfWav } from './fixtures/dtmf-wav.ts';
export { interleave } from './fixtures/interleave.ts';
export { readWav } from './wav-reader.ts';
export type { PcmAudio } from './wav-reader.ts';
export { errorEnvelope, codeForStatus, codeForClose } from './error-envelope.ts';
export type { ErrorBody } from './error-envelope.ts';
