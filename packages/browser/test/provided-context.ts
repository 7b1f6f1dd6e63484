// What the browser project's global setup provides to in-browser tests
// (`inject('emulatorUrl')`, …). Types only.
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** The emulator's streaming URL (`ws://127.0.0.1:…/v1/stt/stream`). */
    emulatorUrl: string;
    /** The credential the emulator accepts (it refuses every other). */
    testToken: string;
    /** A DTMF WAV for `blobSource`, base64. */
    blobWavBase64: string;
    /** The same audio as Ogg/Opus (made by ffmpeg), base64; '' when ffmpeg is missing. */
    blobOggBase64: string;
    /** The words of the blob fixtures, in order. */
    blobWords: string[];
    /** Seconds of audio in the blob WAV. */
    blobDuration: number;
    /** The words of the fake microphone's file, in order. */
    micWords: string[];
    /** The conformance scenario's emulator (its own, keyed like `conformance/run.mjs`'s): streaming URL. */
    conformanceUrl: string;
    /** The conformance emulator's HTTP base (`http://127.0.0.1:…`), for the batch sessions. */
    conformanceHttpUrl: string;
    /** `scenarioAudio().keys` (`conformance/fixtures.ts`), base64. */
    conformanceKeysBase64: string;
    /** `scenarioAudio().utterances`, base64. */
    conformanceUtterancesBase64: string;
    /** The text of `conformance/expected.jsonl`, the golden output. */
    conformanceExpected: string;
  }
}
