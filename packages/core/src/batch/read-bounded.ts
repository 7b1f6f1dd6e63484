/**
 * Reading a response body up to a bound, for the batch client: nothing past
 * the bound is buffered.
 *
 * @module
 */

/**
 * Reads a body as a stream, keeping at most `limit` bytes; `null` when it is
 * longer (by its `Content-Length`, or once more has arrived), after
 * cancelling it. Nothing past the limit is buffered.
 *
 * @example
 * ```ts
 * const text = await readBounded(res, 64 * 1024); // null: longer than 64 KiB, not read
 * ```
 */
export async function readBounded(res: Response, limit: number): Promise<string | null> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

