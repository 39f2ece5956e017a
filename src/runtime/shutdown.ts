/**
 * Waits for `work` at most `ms` milliseconds. Used at SIGTERM: in-flight
 * reconciles get a bounded time to finish, so a stuck API call cannot keep a
 * terminating pod (and its Lease) forever.
 */
export async function within(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
