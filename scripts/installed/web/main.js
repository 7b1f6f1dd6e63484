// Bundled by Vite from the installed @stt-stream/browser tarball and loaded
// in Chromium by scripts/check-installed.mjs; it reports what the page sees.
import * as browser from '@stt-stream/browser';

const { createTranscriber, microphone, SttError } = browser;
const result = {
  keys: Object.keys(browser).sort(),
  types: { createTranscriber: typeof createTranscriber, microphone: typeof microphone, SttError: typeof SttError },
  thrown: null,
};
try {
  // An API key in a page is refused unless the page opts in.
  createTranscriber({ model: 'dtmf', url: 'ws://127.0.0.1:9/v1/stt/stream', apiKey: 'sk_test_page_key_89' });
} catch (err) {
  result.thrown = { isTypeError: err instanceof TypeError, message: String(err?.message) };
}
window.__sttResult = result;
