export { createTranscriber, createWsTransport } from '../.build/client.mjs';
export { withFault } from '../.build/emulator.mjs';
