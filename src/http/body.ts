/**
 * Reads a request body as text within a size limit and a time limit, without buffering more than the limit.
 */
import { readLimited } from "../jsonrpc/framer.ts";

/** A body, or why it was not read. */
export type BodyResult =
  | { readonly kind: "ok"; readonly text: string }
  | { readonly kind: "too-large" }
  | { readonly kind: "timeout" };

const TIMEOUT = { kind: "timeout" } as const;
const TOO_LARGE = { kind: "too-large" } as const;

/**
 * One clock for every body read in progress: a shared promise that a single interval resolves every
 * SWEEP_MS while reads are pending. A read races its body against the current tick and looks at its own
 * deadline when the tick wins, so a read costs no timer, closure or promise of its own.
 */
const SWEEP_MS = 250;
const TICK = Symbol("tick");
let waiting = 0;
let tick: Promise<typeof TICK> | undefined;
let fire: (() => void) | undefined;
let clock: ReturnType<typeof setInterval> | undefined;

function nextTick(): Promise<typeof TICK> {
  tick ??= new Promise((resolve) => fire = () => resolve(TICK));
  return tick;
}

function ring(): void {
  const fired = fire;
  tick = fire = undefined;
  fired?.();
  if (waiting === 0) {
    clearInterval(clock);
    clock = undefined;
  }
}

/**
 * Reads the body; larger than `limit` bytes, or not complete within `timeoutMs`, it is refused. A declared
 * Content-Length is checked before anything is read (the server holds the body to it); a chunked body is
 * counted as it arrives.
 */
export async function readBody(request: Request, limit: number, timeoutMs: number): Promise<BodyResult> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel();
    return TOO_LARGE;
  }
  const deadline = Date.now() + timeoutMs;
  const text = declared !== null ? request.text() : readLimited(request.body, limit);
  waiting++;
  clock ??= setInterval(ring, SWEEP_MS);
  try {
    while (true) {
      const outcome = await Promise.race([text, nextTick()]);
      if (outcome !== TICK) return outcome === undefined ? TOO_LARGE : { kind: "ok", text: outcome };
      if (Date.now() >= deadline) {
        text.catch(() => {});
        return TIMEOUT;
      }
    }
  } finally {
    waiting--;
  }
}
