/**
 * The `docker run` argv for a container server: one pure function, so it can be tested against the
 * documented examples.
 */
import type { EnvEntry, StdioLaunch } from "../config/types.ts";

/** Docker labels that let a gateway's containers be found (and stopped) if the gateway dies. */
export const LABELS = {
  gateway: "io.github.awmg.gateway",
  server: "io.github.awmg.server",
  /** One launch's container alone: put on at spawn, so that two launches of one spec differ only in it. */
  launch: "io.github.awmg.launch",
} as const;

/** Builds `docker run --rm -i ...` for a server; env values are not on argv (only `-e NAME`). */
export function dockerRunArgs(
  serverId: string,
  launch: Extract<StdioLaunch, { kind: "container" }>,
  env: readonly EnvEntry[],
  gatewayId: string,
): string[] {
  return [
    "run",
    "--rm",
    "-i",
    "--init",
    "--label",
    `${LABELS.gateway}=${gatewayId}`,
    "--label",
    `${LABELS.server}=${serverId}`,
    ...(launch.entrypoint === undefined ? [] : ["--entrypoint", launch.entrypoint]),
    ...launch.mounts.flatMap((m) => ["-v", `${m.source}:${m.target}:${m.mode}`]),
    ...env.flatMap((entry) => ["-e", entry.name]),
    ...launch.dockerArgs,
    launch.image,
    ...launch.entrypointArgs,
  ];
}

/** A `docker run` argv (as dockerRunArgs makes it) with one more label, before everything the config gave. */
export function withLabel(args: readonly string[], label: string): string[] {
  return [args[0], "--label", label, ...args.slice(1)];
}
