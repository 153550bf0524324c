/**
 * What to execute for a stdio server: its command as given, or `docker run` for a container, with the
 * least environment it needs: a few inherited basics and what its config names, never the gateway's own.
 */
import type { StdioServerConfig } from "../config/types.ts";
import { dockerRunArgs } from "./docker.ts";

/** A process to start: program, arguments, and its whole environment. */
export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** The child's complete environment; nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of the variables the server was configured with, for diagnostics. */
  readonly envNames: readonly string[];
  /** The container image, for container servers. */
  readonly image?: string;
  /** The working directory of the process. */
  readonly cwd?: string;
}

/** Reads a variable of the gateway's own environment. */
export type EnvLookup = (name: string) => string | undefined;

/** What every child inherits: the MCP TypeScript SDK's default list for stdio servers. */
export const INHERITED = Deno.build.os === "windows"
  ? [
    "APPDATA",
    "HOMEDRIVE",
    "HOMEPATH",
    "LOCALAPPDATA",
    "PATH",
    "PROCESSOR_ARCHITECTURE",
    "SYSTEMDRIVE",
    "SYSTEMROOT",
    "TEMP",
    "USERNAME",
    "USERPROFILE",
    "PROGRAMFILES",
  ]
  : ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];

/** What the docker CLI needs besides those to reach its daemon. */
export const DOCKER_CLIENT = [
  "DOCKER_HOST",
  "DOCKER_CONTEXT",
  "DOCKER_CONFIG",
  "DOCKER_CERT_PATH",
  "DOCKER_TLS_VERIFY",
  "XDG_RUNTIME_DIR",
];

function inherit(names: readonly string[], host: EnvLookup): [string, string][] {
  return names.flatMap((name) => {
    const value = host(name);
    // Exported shell functions ("() { ...") are code, not settings; the SDK drops them too.
    return value === undefined || value.startsWith("()") ? [] : [[name, value]];
  });
}

/** The environment the docker CLI runs with: the inherited basics and what it needs to reach its daemon. */
export function dockerClientEnv(host: EnvLookup): Record<string, string> {
  return Object.fromEntries(inherit([...INHERITED, ...DOCKER_CLIENT], host));
}

/** Builds the launch spec of a stdio server; `host` is the gateway's environment, read only for the names allowed. */
export function launchSpec(server: StdioServerConfig, gatewayId: string, host: EnvLookup): LaunchSpec {
  const configured = server.env.flatMap((e): [string, string][] => {
    const value = "value" in e ? e.value : host(e.name);
    return value === undefined ? [] : [[e.name, value]];
  });
  const envNames = server.env.map((e) => e.name);
  if (server.launch.kind === "command") {
    const env = Object.fromEntries([...inherit(INHERITED, host), ...configured]);
    const { command, args, cwd } = server.launch;
    return { command, args, env, envNames, ...(cwd === undefined ? {} : { cwd }) };
  }
  const env = { ...dockerClientEnv(host), ...Object.fromEntries(configured) };
  const args = dockerRunArgs(server.id, server.launch, server.env, gatewayId);
  return { command: "docker", args, env, envNames, image: server.launch.image };
}
