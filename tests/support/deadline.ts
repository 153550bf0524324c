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

/**
 * Reads `read` every 50 ms until `done` says its value is the one awaited, or 5 s have passed; the last
 * value read, for the caller to assert on.
 */
export async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 100 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}
