/**
 * Reads a container runtime's `run` options the way its flag parser does, so a policy sees every option
 * the runtime will act on: long options with `=` or a following value, short ones alone, grouped (`-it`)
 * or with their value attached (`-v/a:/b`). An option the table does not know, written without `=`, is
 * refused: whether it takes the next argument decides what the runtime reads as the image.
 */

/** One option as the runtime reads it, under its long name. */
export interface RunOption {
  readonly name: string;
  readonly value?: string;
}

/** `docker run` (and podman's) options that take a value. */
const VALUED = new Set([
  "--add-host",
  "--annotation",
  "--attach",
  "--blkio-weight",
  "--blkio-weight-device",
  "--cap-add",
  "--cap-drop",
  "--cgroup-parent",
  "--cgroupns",
  "--cidfile",
  "--cpu-period",
  "--cpu-quota",
  "--cpu-rt-period",
  "--cpu-rt-runtime",
  "--cpu-shares",
  "--cpus",
  "--cpuset-cpus",
  "--cpuset-mems",
  "--detach-keys",
  "--device",
  "--device-cgroup-rule",
  "--device-read-bps",
  "--device-read-iops",
  "--device-write-bps",
  "--device-write-iops",
  "--dns",
  "--dns-option",
  "--dns-search",
  "--domainname",
  "--entrypoint",
  "--env",
  "--env-file",
  "--expose",
  "--gpus",
  "--group-add",
  "--health-cmd",
  "--health-interval",
  "--health-retries",
  "--health-start-interval",
  "--health-start-period",
  "--health-timeout",
  "--hostname",
  "--ip",
  "--ip6",
  "--ipc",
  "--isolation",
  "--kernel-memory",
  "--label",
  "--label-file",
  "--link",
  "--link-local-ip",
  "--log-driver",
  "--log-opt",
  "--mac-address",
  "--memory",
  "--memory-reservation",
  "--memory-swap",
  "--memory-swappiness",
  "--mount",
  "--name",
  "--network",
  "--network-alias",
  "--oom-score-adj",
  "--pid",
  "--pids-limit",
  "--platform",
  "--publish",
  "--pull",
  "--restart",
  "--rootfs",
  "--runtime",
  "--security-opt",
  "--shm-size",
  "--stop-signal",
  "--stop-timeout",
  "--storage-opt",
  "--sysctl",
  "--tmpfs",
  "--ulimit",
  "--user",
  "--userns",
  "--uts",
  "--volume",
  "--volume-driver",
  "--volumes-from",
  "--workdir",
]);

/** `docker run` options that are switches. */
const SWITCHES = new Set([
  "--detach",
  "--disable-content-trust",
  "--init",
  "--interactive",
  "--no-healthcheck",
  "--oom-kill-disable",
  "--privileged",
  "--publish-all",
  "--quiet",
  "--read-only",
  "--rm",
  "--sig-proxy",
  "--tty",
  "--use-api-socket",
]);

const ALIASES: Readonly<Record<string, string>> = { "--net": "--network", "--net-alias": "--network-alias" };

/** Short options and the long ones they stand for. */
const SHORT: Readonly<Record<string, string>> = {
  a: "--attach",
  c: "--cpu-shares",
  d: "--detach",
  e: "--env",
  h: "--hostname",
  i: "--interactive",
  l: "--label",
  m: "--memory",
  p: "--publish",
  P: "--publish-all",
  q: "--quiet",
  t: "--tty",
  u: "--user",
  v: "--volume",
  w: "--workdir",
};

const RUNTIMES = new Set(["docker", "podman", "nerdctl"]);

/** Is this program a container runtime (by its base name)? */
export function isContainerRuntime(command: string): boolean {
  return RUNTIMES.has((command.split("/").pop() ?? "").toLowerCase());
}

/** The arguments after a runtime's `run` subcommand; every argument when there is none. */
export function runOptionsOf(args: readonly string[]): { args: readonly string[]; afterRun: boolean } {
  const run = args.findIndex((arg) => arg.toLowerCase() === "run");
  return run === -1 ? { args, afterRun: false } : { args: args.slice(run + 1), afterRun: true };
}

/** A short group such as `-it` or `-v/a:/b`: its options, and whether its last one takes the next argument. */
function shortGroup(group: string): { options: RunOption[]; pending?: string } | string {
  const options: RunOption[] = [];
  for (let i = 0; i < group.length; i++) {
    const name = SHORT[group[i]];
    if (name === undefined) return `unknown option "-${group[i]}"`;
    if (SWITCHES.has(name)) {
      options.push({ name });
      continue;
    }
    const attached = group.slice(i + 1).replace(/^=/, "");
    if (attached === "") return { options, pending: name };
    options.push({ name, value: attached });
    return { options };
  }
  return { options };
}

/**
 * The options the runtime reads before the image, in order. With `afterRun` false (no `run` subcommand
 * found), every argument is scanned and positional ones are passed over. A string says what cannot be read.
 */
export function containerRunOptions(
  { args, afterRun }: { args: readonly string[]; afterRun: boolean },
): RunOption[] | string {
  const options: RunOption[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--" || !arg.startsWith("-") || arg === "-") {
      if (afterRun) break;
      continue;
    }
    let pending: string | undefined;
    if (arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      const written = equals === -1 ? arg : arg.slice(0, equals);
      const name = ALIASES[written] ?? written;
      if (equals !== -1) {
        options.push({ name, value: arg.slice(equals + 1) });
        continue;
      }
      if (VALUED.has(name)) pending = name;
      else if (SWITCHES.has(name)) options.push({ name });
      else if (afterRun) {
        return `unknown option "${name}": write it with "=" (${name}=VALUE, or ${name}=true)`;
      } else options.push({ name });
    } else {
      const group = shortGroup(arg.slice(1));
      if (typeof group === "string") {
        if (afterRun) return group;
        continue;
      }
      options.push(...group.options);
      pending = group.pending;
    }
    if (pending === undefined) continue;
    i++;
    options.push(i < args.length ? { name: pending, value: args[i] } : { name: pending });
  }
  return options;
}
