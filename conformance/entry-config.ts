/**
 * What the runner (`run.mjs`) hands each runtime's entry file, as a JSON file.
 *
 * @module
 */
export interface EntryConfig {
  url: string;
  httpUrl: string;
  apiKey: string;
  runId: string;
  /** Paths of the fixture WAV files. */
  audio: { keys: string; utterances: string };
  /** Node only: `ws` (default) or the global `WebSocket` (Node 22+). */
  transport?: 'ws' | 'native';
}
