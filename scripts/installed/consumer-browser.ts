// Type-level only (compiled, not run): the browser package's declarations
// under `tsc --strict --skipLibCheck false`, as a web app would use them.
import { SttError, createTranscriber, microphone, type TranscriptEvent } from '@stt-stream/browser';

export async function captions(getToken: () => Promise<string>, onText: (text: string) => void): Promise<void> {
  try {
    await microphone()
      .pipeThrough(createTranscriber({ model: 'whisper-1', token: getToken }))
      .pipeTo(new WritableStream<TranscriptEvent>({ write: (ev) => { if (ev.type === 'final') onText(ev.text); } }));
  } catch (err) {
    if (err instanceof SttError && err.code === 'permission_denied') onText('(microphone refused)');
    else throw err;
  }
}
