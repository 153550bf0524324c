/**
 * SIGINT and SIGTERM over a run. Until there is a gateway to stop, a signal stops the servers launched early
 * (as a connection's stop would: SIGTERM, SIGKILL after the grace, a second signal at once) and exits with the
 * code of a process it killed. Once there is one, a signal does what the run says.
 */

/** A signal that stops awmg. */
export type StopSignal = "SIGINT" | "SIGTERM";

const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM"];

/** The exit code of a process the signal killed. */
export const KILLED_BY: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** What stops the servers launched before the gateway exists; called again, it hurries. */
let stopEarly: (() => Promise<void>) | undefined;
/** The exit an early signal began. */
let exiting: Promise<never> | undefined;

/** An early signal: the servers launched so far are stopped, then awmg exits as the signal would have killed it. */
function exitEarly(signal: StopSignal): void {
  if (exiting !== undefined) {
    void stopEarly?.();
    return;
  }
  exiting = (async (): Promise<never> => {
    await stopEarly?.();
    Deno.exit(KILLED_BY[signal]);
  })();
}

const EXITS: Readonly<Record<StopSignal, () => void>> = {
  SIGINT: () => exitEarly("SIGINT"),
  SIGTERM: () => exitEarly("SIGTERM"),
};

/**
 * From now until onStopSignals, a signal runs `stop` (the servers launched early, stopped as a connection's
 * stop would; a second signal calls it again, to hurry it) and then exits as it would have killed the process.
 */
export function exitOnStopSignals(stop?: () => Promise<void>): void {
  stopEarly = stop;
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, EXITS[signal]);
}

/**
 * From now on SIGINT and SIGTERM do `action` instead of exiting. When an early signal came first, its exit is
 * under way and this never resolves: what comes after (the gateway's start) must not launch anything.
 */
export async function onStopSignals(action: (signal: StopSignal) => void): Promise<void> {
  if (exiting !== undefined) await exiting;
  for (const signal of STOP_SIGNALS) {
    Deno.removeSignalListener(signal, EXITS[signal]);
    Deno.addSignalListener(signal, () => action(signal));
  }
}
