/**
 * Aborts `controller` with `reason` when `parent` aborts, and returns the function
 * that undoes the link. Callers MUST unlink in `finally`: a long-lived parent (a
 * keep-alive connection's signal) would otherwise collect one listener per request.
 */
export function linkAbort(
  parent: AbortSignal | undefined,
  controller: AbortController,
  reason: () => unknown,
): () => void {
  if (!parent) return noop;
  if (parent.aborted) {
    controller.abort(reason());
    return noop;
  }
  const onAbort = () => controller.abort(reason());
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

function noop(): void {}
