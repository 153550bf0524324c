/**
 * SIGINT and SIGTERM over a run. Until there is a gateway to stop, a signal exits with the code of a process it
 * killed, through `Deno.exit`, so the unload listeners still tell the servers launched early to stop (the
 * runtime's own death by a signal would not). Once there is one, a signal does what the run says.
 */

/** A signal that stops awmg. */
export type StopSignal = "SIGINT" | "SIGTERM";

const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM"];

/** The exit code of a process the signal killed. */
export const KILLED_BY: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

const EXITS: Readonly<Record<StopSignal, () => void>> = {
  SIGINT: () => Deno.exit(KILLED_BY.SIGINT),
  SIGTERM: () => Deno.exit(KILLED_BY.SIGTERM),
};

/** From now until onStopSignals, a signal exits as it would have killed the process. */
export function exitOnStopSignals(): void {
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, EXITS[signal]);
}

/** From now on SIGINT and SIGTERM do `action` instead of exiting. */
export function onStopSignals(action: (signal: StopSignal) => void): void {
  for (const signal of STOP_SIGNALS) {
    Deno.removeSignalListener(signal, EXITS[signal]);
    Deno.addSignalListener(signal, () => action(signal));
  }
}
