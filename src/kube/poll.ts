/**
 * Polls `check` every `intervalMs` until it returns true or `timeoutMs`
 * passes; `failFast` is asked each round and aborts the wait with its
 * message (used to stop waiting for a process that has already died).
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  failFast?: () => string | undefined,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const fatal = failFast?.();
    if (fatal) throw new Error(`${what}: ${fatal}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
