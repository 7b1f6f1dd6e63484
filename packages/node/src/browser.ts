/**
 * What bundlers resolve `@stt-stream/node` to for browsers (the `browser`
 * export condition): it throws at once, rather than failing later on
 * `node:*` imports.
 *
 * @module
 */
throw new Error('@stt-stream/node does not run in browsers; use @stt-stream/browser');

export {};
