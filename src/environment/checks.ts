/**
 * The execution environment checks of containerized mode and `--validate-env`: each a value with its
 * outcome, the reason, and the fix to apply.
 */

import { type ConfigFailure, failurePayload } from "../config/issues.ts";
import { AGENT_ID_VAR, envKey, LEGACY_KEY_VAR, LEGACY_KEY_WARNING } from "./agent_id.ts";

/** One check's outcome. */
export interface Check {
  readonly name: string;
  readonly status: "pass" | "warn" | "fail";
  readonly message: string;
  readonly fix?: string;
}

/** What the checks may look at; injected so they can be tested without a container. */
export interface Probe {
  readonly env: (name: string) => string | undefined;
  readonly inContainer: boolean;
  readonly stdinIsTerminal: boolean;
  readonly logDir: string;
  /** Runs a docker CLI command (a few seconds at most); null when docker cannot be run. */
  readonly docker: (args: string[]) => Promise<{ ok: boolean; stdout: string; stderr: string } | null>;
  readonly exists: (path: string) => Promise<boolean>;
}

const EXAMPLES = {
  MCP_GATEWAY_PORT: "8000",
  MCP_GATEWAY_DOMAIN: "localhost",
  MCP_GATEWAY_AGENT_ID: "your-agent-id",
} as const;

function required(probe: Probe, name: keyof typeof EXAMPLES, present: boolean): Check {
  if (present) return { name, status: "pass", message: "set" };
  return {
    name,
    status: probe.inContainer ? "fail" : "warn",
    message: probe.inContainer
      ? "required in a container, but not set"
      : "not set (optional outside a container)",
    fix: `add -e ${name}=${EXAMPLES[name]}`,
  };
}

/** The Go entrypoint's required variables; the agent id may come under its deprecated name, with a warning. */
function envChecks(probe: Probe): Check[] {
  const key = envKey(probe.env);
  return [
    required(probe, "MCP_GATEWAY_PORT", (probe.env("MCP_GATEWAY_PORT") ?? "") !== ""),
    required(probe, "MCP_GATEWAY_DOMAIN", (probe.env("MCP_GATEWAY_DOMAIN") ?? "") !== ""),
    key?.variable === LEGACY_KEY_VAR
      ? { name: AGENT_ID_VAR, status: "warn", message: LEGACY_KEY_WARNING }
      : required(probe, AGENT_ID_VAR, key !== undefined),
  ];
}

async function dockerCheck(probe: Probe): Promise<Check> {
  const host = probe.env("DOCKER_HOST");
  const where = host ?? "/var/run/docker.sock";
  if (host === undefined && !(await probe.exists("/var/run/docker.sock"))) {
    return {
      name: "docker daemon",
      status: probe.inContainer ? "fail" : "warn",
      message: "no docker socket at /var/run/docker.sock and DOCKER_HOST is not set",
      fix: "mount the socket: -v /var/run/docker.sock:/var/run/docker.sock (or set DOCKER_HOST)",
    };
  }
  const version = await probe.docker(["version", "--format", "{{.Server.Version}}"]);
  if (version === null) {
    return {
      name: "docker daemon",
      status: probe.inContainer ? "fail" : "warn",
      message: "the docker CLI cannot be run",
      fix: "install the docker CLI (the awmg image ships it)",
    };
  }
  if (!version.ok) {
    const denied = /permission denied/i.test(version.stderr);
    return {
      name: "docker daemon",
      status: probe.inContainer ? "fail" : "warn",
      message: `not reachable at ${where}: ${version.stderr.trim().split("\n")[0]}`,
      fix: denied
        ? "give awmg access to the socket (run as root, or add the socket's group with --group-add)"
        : "start the docker daemon, or point DOCKER_HOST at it",
    };
  }
  return {
    name: "docker daemon",
    status: "pass",
    message: `reachable at ${where} (server ${version.stdout.trim()})`,
  };
}

function stdinCheck(probe: Probe): Check {
  if (!probe.stdinIsTerminal) {
    return { name: "config on stdin", status: "pass", message: "stdin is not a terminal" };
  }
  return {
    name: "config on stdin",
    status: probe.inContainer ? "fail" : "warn",
    message: "stdin is a terminal, so no configuration can be piped in",
    fix: "run with -i (not -t) and redirect the config: docker run -i ... < config.json",
  };
}

/** Facts about the gateway's own container, when the daemon lets it inspect itself. */
async function selfChecks(probe: Probe): Promise<Check[]> {
  const id = probe.env("HOSTNAME");
  const inspected = id === undefined ? null : await probe.docker(["inspect", id]);
  if (inspected === null || !inspected.ok) {
    return [{
      name: "container inspection",
      status: "warn",
      message:
        "cannot inspect the gateway's own container, so the port mapping and log mount are not verified",
    }];
  }
  const [container] = JSON.parse(inspected.stdout) as {
    HostConfig?: { PortBindings?: Record<string, unknown>; NetworkMode?: string };
    Mounts?: { Destination: string; Source: string }[];
    Config?: { User?: string };
  }[];
  const checks: Check[] = [];
  const port = probe.env("MCP_GATEWAY_PORT");
  if (port !== undefined && container.HostConfig?.NetworkMode === "host") {
    checks.push({
      name: "port mapping",
      status: "pass",
      message: `host network: ${port}/tcp needs no mapping`,
    });
  } else if (port !== undefined) {
    const published = Object.keys(container.HostConfig?.PortBindings ?? {}).includes(`${port}/tcp`);
    checks.push(
      published ? { name: "port mapping", status: "pass", message: `${port}/tcp is published` } : {
        name: "port mapping",
        status: "fail",
        message: `MCP_GATEWAY_PORT is ${port}, but ${port}/tcp is not published`,
        fix: `add -p ${port}:${port}`,
      },
    );
  }
  const mounts = container.Mounts ?? [];
  const logMounted = mounts.some((m) =>
    probe.logDir === m.Destination || probe.logDir.startsWith(`${m.Destination}/`)
  );
  checks.push(
    logMounted ? { name: "log directory", status: "pass", message: `${probe.logDir} is a mount` } : {
      name: "log directory",
      status: "warn",
      message: `${probe.logDir} is not a mount, so the logs will not persist`,
      fix: `add -v /path/on/host:${probe.logDir}`,
    },
  );
  if (mounts.some((m) => m.Destination === "/var/run/docker.sock") || (container.Config?.User ?? "") === "") {
    checks.push({
      name: "privileges",
      status: "warn",
      message:
        "the docker socket (or running as root) gives the gateway host-level power; run only trusted configs",
    });
  }
  return checks;
}

/** Every check for this environment, in the order they are printed. */
export async function environmentChecks(probe: Probe): Promise<Check[]> {
  const checks = [...envChecks(probe), await dockerCheck(probe), stdinCheck(probe)];
  if (probe.inContainer) checks.push(...await selfChecks(probe));
  return checks;
}

/** One line per check: `[PASS] name: message`, with the fix after a dash. */
export function formatCheck(check: Check): string {
  const fix = check.fix === undefined || check.status === "pass" ? "" : ` - fix: ${check.fix}`;
  return `[${check.status.toUpperCase()}] ${check.name}: ${check.message}${fix}`;
}

/**
 * The JSON payload written to stdout when a container start fails its checks, for the orchestrator: the
 * failed checks and, when the config was invalid as well, its errors (the `invalid_configuration` payload).
 */
export function environmentPayload(
  failed: readonly Check[],
  config?: ConfigFailure,
): { error: Record<string, unknown> } {
  return {
    error: {
      code: "environment_invalid",
      message: `the container environment is not usable: ${failed.map((check) => check.name).join(", ")}`,
      checks: failed.map((check) => ({ ...check })),
      ...(config === undefined ? {} : { configuration: failurePayload(config).error }),
    },
  };
}

/** The probe of the real environment. */
export function realProbe(
  options: { env: (name: string) => string | undefined; inContainer: boolean; logDir: string },
): Probe {
  return {
    ...options,
    stdinIsTerminal: Deno.stdin.isTerminal(),
    exists: async (path) => await Deno.stat(path).then(() => true, () => false),
    docker: async (args) => {
      try {
        const output = await new Deno.Command("docker", {
          args,
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(5000),
        })
          .output();
        const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
        return { ok: output.success, stdout: decode(output.stdout), stderr: decode(output.stderr) };
      } catch {
        return null;
      }
    },
  };
}
