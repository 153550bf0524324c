/**
 * The rate-limit circuit breaker of one backend: after `threshold` rate-limited answers in a row, tool
 * calls fail fast for `cooldownMs`; then one trial call decides whether it closes or opens again. Time is
 * passed in, so the breaker is pure.
 */

/** Where a breaker stands. */
export type BreakerState =
  | { readonly kind: "closed"; readonly failures: number }
  | { readonly kind: "open"; readonly reopensAt: number }
  | { readonly kind: "half-open" };

/** Whether a call may go: yes (as the trial call when `trial`), or no until `reopensAt`. */
export type BreakerVerdict =
  | { readonly allowed: true; readonly trial: boolean }
  | { readonly allowed: false; readonly reopensAt: number; readonly trialInFlight: boolean };

/** What a breaker reports when it changes state, for the log. */
export type BreakerChange = (from: BreakerState["kind"], to: BreakerState["kind"]) => void;

/** A per-backend rate-limit circuit breaker. */
export class RateLimitBreaker {
  #state: BreakerState = { kind: "closed", failures: 0 };

  constructor(
    readonly threshold: number,
    readonly cooldownMs: number,
    readonly onChange: BreakerChange = () => {},
  ) {}

  /** The current state (an open breaker past its cooldown still reads as open until a call arrives). */
  get state(): BreakerState {
    return this.#state;
  }

  /** Decides whether a call may go now. An open breaker past its cooldown lets exactly one trial call through. */
  allow(now: number): BreakerVerdict {
    const state = this.#state;
    if (state.kind === "closed") return { allowed: true, trial: false };
    if (state.kind === "half-open") return { allowed: false, reopensAt: now, trialInFlight: true };
    if (now < state.reopensAt) return { allowed: false, reopensAt: state.reopensAt, trialInFlight: false };
    this.#move({ kind: "half-open" });
    return { allowed: true, trial: true };
  }

  /** Records how an allowed call ended: rate-limited or not. */
  record(rateLimited: boolean, now: number): void {
    const state = this.#state;
    if (!rateLimited) {
      if (state.kind !== "closed" || state.failures > 0) this.#move({ kind: "closed", failures: 0 });
      return;
    }
    const failures = state.kind === "closed" ? state.failures + 1 : this.threshold;
    if (failures >= this.threshold) this.#move({ kind: "open", reopensAt: now + this.cooldownMs });
    else this.#state = { kind: "closed", failures };
  }

  /** A trial call that ended without an answer (timeout, cancellation, backend down) frees the trial slot. */
  release(now: number): void {
    if (this.#state.kind === "half-open") this.#move({ kind: "open", reopensAt: now });
  }

  #move(next: BreakerState): void {
    const from = this.#state.kind;
    this.#state = next;
    if (from !== next.kind) this.onChange(from, next.kind);
  }
}

const RATE_LIMIT_PHRASES =
  /rate limit exceeded|api rate limit|secondary rate limit|too many requests|rate limit.*\b403\b|\b403\b.*rate limit/i;

/** How much of each text is searched: rate-limit messages are short, and a backend's huge text is not scanned. */
const RATE_LIMIT_SCAN = 4096;

/** True when a tool result is an error whose text says a rate limit was hit (as the GitHub MCP server sends). */
export function isRateLimitResult(result: unknown): boolean {
  const { isError, content } = (result ?? {}) as { isError?: unknown; content?: unknown };
  if (isError !== true || !Array.isArray(content)) return false;
  return content.some((item) =>
    typeof item === "object" && item !== null && (item as { type?: unknown }).type === "text" &&
    RATE_LIMIT_PHRASES.test(String((item as { text?: unknown }).text).slice(0, RATE_LIMIT_SCAN))
  );
}
