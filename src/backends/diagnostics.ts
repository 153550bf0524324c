/**
 * What an operator needs when a backend fails to start: the command, the error, the tail of its stderr,
 * and which of its environment variables were set (names only).
 */
import type { StartFailure } from "./connection.ts";

/** A start failure as a plain object for the error payload. */
export function describeStartFailure(
  failure: StartFailure,
  env: (name: string) => string | undefined,
): Record<string, unknown> {
  const { transport } = failure;
  if (transport.kind === "http") {
    return {
      server: failure.serverId,
      url: transport.target.url,
      error: failure.reason,
      stderr: failure.stderrTail,
    };
  }
  const { spec } = transport;
  const set = spec.envNames.filter((name) => name in spec.env || env(name) !== undefined);
  return {
    server: failure.serverId,
    command: spec.command,
    args: spec.args,
    ...(spec.image === undefined ? {} : { image: spec.image }),
    error: failure.reason,
    stderr: failure.stderrTail,
    env: { set, missing: spec.envNames.filter((name) => !set.includes(name)) },
  };
}
