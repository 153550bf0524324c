/**
 * Deadlines for the tests that wait on the gateway over a raw connection: a regression that makes it stop
 * answering fails the test with what was awaited, instead of hanging the run.
 */

/** Resolves as `promise` does, or rejects once `ms` have passed, naming `what` was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
