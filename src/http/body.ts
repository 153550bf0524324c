/**
 * Reads a request body as text within a size limit and a time limit, without buffering more than the limit.
 */
import { readDeclared } from "../jsonrpc/framer.ts";

/** A body, or why it was not read. */
export type BodyResult =
  | { readonly kind: "ok"; readonly text: string }
  | { readonly kind: "too-large" }
  | { readonly kind: "timeout" };

const TIMEOUT = { kind: "timeout" } as const;
const TOO_LARGE = { kind: "too-large" } as const;

/**
 * One clock for every body read in progress: an interval, running while reads are pending, that ends each
 * read past its deadline every SWEEP_MS, so a read costs no timer of its own. Each read settles a promise of
 * its own, from the read or from the sweep, whichever comes first (no race of two promises per read): one
 * shared promise raced by every read kept each finished read's body reachable from its reactions until it
 * resolved, long enough for a large body to be promoted to the old generation.
 */
const SWEEP_MS = 250;

/** A read in progress: when it is due, and how it is ended when it is late. */
interface Waiter {
  readonly deadline: number;
  readonly expire: () => void;
}

const waiters = new Set<Waiter>();
let clock: ReturnType<typeof setInterval> | undefined;

function sweep(): void {
  const now = Date.now();
  for (const waiter of waiters) if (waiter.deadline <= now) waiter.expire();
  if (waiters.size === 0) {
    clearInterval(clock);
    clock = undefined;
  }
}

/**
 * Reads the body; larger than `limit` bytes, or not complete within `timeoutMs`, it is refused. A declared
 * Content-Length is checked before anything is read (the server holds the body to it); a chunked body is
 * counted as it arrives.
 */
export function readBody(request: Request, limit: number, timeoutMs: number): Promise<BodyResult> {
  const text = readDeclared(request, limit);
  return new Promise((resolve, reject) => {
    const waiter: Waiter = {
      deadline: Date.now() + timeoutMs,
      expire: () => {
        waiters.delete(waiter);
        resolve(TIMEOUT);
      },
    };
    waiters.add(waiter);
    clock ??= setInterval(sweep, SWEEP_MS);
    text.then((read) => {
      waiters.delete(waiter);
      resolve(read === undefined ? TOO_LARGE : { kind: "ok", text: read });
    }, (error) => {
      waiters.delete(waiter);
      reject(error);
    });
  });
}
