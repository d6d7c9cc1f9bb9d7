/**
 * Chunks as one buffer that holds their bytes and nothing else, for data kept
 * long (a queued job's body): the one chunk itself when its buffer is exactly
 * its bytes, as Node's HTTP parser makes each body chunk; otherwise one
 * unpooled copy, since a view into a larger buffer, or a pooled slice, would
 * keep someone else's bytes alive as long as the job.
 */
export function ownBytes(chunks: readonly Buffer[]): Buffer {
  const [only] = chunks;
  if (
    chunks.length === 1 &&
    only &&
    only.byteOffset === 0 &&
    only.byteLength === only.buffer.byteLength
  ) {
    return only;
  }
  const bytes = Buffer.allocUnsafeSlow(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(bytes, at);
  return bytes;
}
