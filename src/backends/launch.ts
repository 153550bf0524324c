/**
 * What to execute for a stdio server: its command as given, or `docker run` for a container.
 */
import type { StdioServerConfig } from "../config/types.ts";
import { dockerRunArgs } from "./docker.ts";

/** A process to start: program, arguments, and the variables to add to the inherited environment. */
export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Explicit values; passthrough variables are inherited from the gateway's own environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of the variables the server was configured with, for diagnostics. */
  readonly envNames: readonly string[];
  /** The container image, for container servers. */
  readonly image?: string;
}

/** Builds the launch spec of a stdio server. */
export function launchSpec(server: StdioServerConfig, gatewayId: string): LaunchSpec {
  const env = Object.fromEntries(server.env.flatMap((e) => "value" in e ? [[e.name, e.value]] : []));
  const envNames = server.env.map((e) => e.name);
  if (server.launch.kind === "command") {
    return { command: server.launch.command, args: server.launch.args, env, envNames };
  }
  const args = dockerRunArgs(server.id, server.launch, server.env, gatewayId);
  return { command: "docker", args, env, envNames, image: server.launch.image };
}
