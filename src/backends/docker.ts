/**
 * The `docker run` argv for a container server, and the label that marks one launch's container: pure
 * functions, so they can be tested against the documented examples.
 */
import type { EnvEntry, StdioLaunch } from "../config/types.ts";
import { isContainerRuntime, subcommandOf } from "./run_options.ts";

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

/**
 * A container runtime's argv with one more label right after its `run` subcommand, before the options the
 * config gave and the image; undefined when it starts no container (another program, another subcommand).
 */
export function withLabel(command: string, args: readonly string[], label: string): string[] | undefined {
  const subcommand = isContainerRuntime(command) ? subcommandOf(args) : undefined;
  if (subcommand?.kind !== "run") return undefined;
  const after = subcommand.at + 1;
  return [...args.slice(0, after), "--label", label, ...args.slice(after)];
}
