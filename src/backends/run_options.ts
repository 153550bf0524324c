/**
 * Reads a container runtime's argv the way its flag parser does, so a policy sees every option the runtime
 * will act on: the global options before the subcommand (one of them may take `run` as its value), then the
 * `run` options, long ones with `=` or a following value, short ones alone, grouped (`-it`) or with their
 * value attached (`-v/a:/b`). An option the tables do not know, written without `=`, is refused: whether it
 * takes the next argument decides what the runtime reads as the subcommand or the image.
 */

/** One option as the runtime reads it, under its long name. */
export interface RunOption {
  readonly name: string;
  readonly value?: string;
}

/** Options of one level of the command line: those that take a value, switches, short names. */
interface OptionTable {
  readonly valued: ReadonlySet<string>;
  readonly switches: ReadonlySet<string>;
  readonly short: Readonly<Record<string, string>>;
  readonly aliases: Readonly<Record<string, string>>;
}

/** `docker run` (and podman's) options that take a value. */
const RUN_VALUED = new Set([
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
const RUN_SWITCHES = new Set([
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

/** `docker run`'s short options and the long ones they stand for. */
const RUN_SHORT: Readonly<Record<string, string>> = {
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

const RUN: OptionTable = {
  valued: RUN_VALUED,
  switches: RUN_SWITCHES,
  short: RUN_SHORT,
  aliases: { "--net": "--network", "--net-alias": "--network-alias" },
};

/** The global options of docker, podman and nerdctl, written before the subcommand. */
const GLOBAL: OptionTable = {
  valued: new Set([
    "--address",
    "--bridge-ip",
    "--cdi-spec-dir",
    "--cgroup-manager",
    "--cni-netconfpath",
    "--cni-path",
    "--config",
    "--conmon",
    "--connection",
    "--context",
    "--data-root",
    "--events-backend",
    "--host",
    "--host-gateway-ip",
    "--hooks-dir",
    "--hosts-dir",
    "--identity",
    "--imagestore",
    "--log-level",
    "--module",
    "--namespace",
    "--network-cmd-path",
    "--network-config-dir",
    "--out",
    "--root",
    "--runroot",
    "--runtime",
    "--runtime-flag",
    "--snapshotter",
    "--ssh",
    "--storage-driver",
    "--storage-opt",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    "--tmpdir",
    "--url",
    "--userns-remap",
    "--volumepath",
  ]),
  switches: new Set([
    "--debug",
    "--debug-full",
    "--experimental",
    "--help",
    "--insecure-registry",
    "--kube-hide-dupe",
    "--noout",
    "--remote",
    "--syslog",
    "--tls",
    "--tlsverify",
    "--transient-store",
    "--version",
  ]),
  short: {
    a: "--address",
    c: "--context",
    D: "--debug",
    H: "--host",
    h: "--help",
    l: "--log-level",
    n: "--namespace",
    r: "--remote",
    v: "--version",
  },
  aliases: {},
};

const RUNTIMES = new Set(["docker", "podman", "nerdctl"]);

/** Is this program a container runtime (by its base name)? */
export function isContainerRuntime(command: string): boolean {
  return RUNTIMES.has((command.split("/").pop() ?? "").toLowerCase());
}

/** Where a runtime's argv names its subcommand, found past the global options. */
export type Subcommand =
  /** `run` (or `container run`), at this index. */
  | { readonly kind: "run"; readonly at: number }
  /** Another subcommand (`exec`, `compose`, ...), or none. */
  | { readonly kind: "other" }
  /** A global option the tables do not know hides which argument is the subcommand. */
  | { readonly kind: "unreadable"; readonly reason: string };

const OTHER: Subcommand = { kind: "other" };

/** The subcommand of a container runtime's argv, read past its global options as the runtime reads them. */
export function subcommandOf(args: readonly string[]): Subcommand {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return OTHER;
    if (!arg.startsWith("-") || arg === "-") {
      if (arg === "run") return { kind: "run", at: i };
      return arg === "container" && args[i + 1] === "run" ? { kind: "run", at: i + 1 } : OTHER;
    }
    const read = readOption(args, i, GLOBAL, true);
    if ("unknown" in read) {
      return { kind: "unreadable", reason: unknownOption("global option", read.unknown) };
    }
    i = read.last;
  }
  return OTHER;
}

/** Why an option the tables do not know is refused, and how to write it so that it can be read. */
function unknownOption(what: string, written: string): string {
  const hint = written.startsWith("--") ? `: write it with "=" (${written}=VALUE, or ${written}=true)` : "";
  return `unknown ${what} "${written}"${hint}`;
}

/** A short group such as `-it` or `-v/a:/b`: its options, and whether its last one takes the next argument. */
function shortGroup(
  group: string,
  table: OptionTable,
): { options: RunOption[]; pending?: string } | { unknown: string } {
  const options: RunOption[] = [];
  for (let i = 0; i < group.length; i++) {
    const name = table.short[group[i]];
    if (name === undefined) return { unknown: `-${group[i]}` };
    if (table.switches.has(name)) {
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
 * The options of the argument at `i` (and of the next one, when it is their value) and the index of the last
 * argument read. An option the table does not know is passed over with `strict` false, and named with `strict`
 * true.
 */
function readOption(
  args: readonly string[],
  i: number,
  table: OptionTable,
  strict: boolean,
): { options: RunOption[]; last: number } | { unknown: string } {
  const arg = args[i];
  let options: RunOption[] = [];
  let pending: string | undefined;
  if (arg.startsWith("--")) {
    const equals = arg.indexOf("=");
    const written = equals === -1 ? arg : arg.slice(0, equals);
    const name = table.aliases[written] ?? written;
    if (equals !== -1) return { options: [{ name, value: arg.slice(equals + 1) }], last: i };
    if (table.valued.has(name)) pending = name;
    else if (table.switches.has(name) || !strict) options = [{ name }];
    else return { unknown: name };
  } else {
    const group = shortGroup(arg.slice(1), table);
    if ("unknown" in group) return strict ? group : { options, last: i };
    options = group.options;
    pending = group.pending;
  }
  if (pending === undefined) return { options, last: i };
  options.push(i + 1 < args.length ? { name: pending, value: args[i + 1] } : { name: pending });
  return { options, last: i + 1 };
}

/**
 * The options the runtime reads before the image, in order: the `run` options when the argv runs a
 * container; otherwise every argument is scanned and positional ones are passed over. A string says what
 * cannot be read.
 */
export function containerRunOptions(args: readonly string[]): RunOption[] | string {
  const subcommand = subcommandOf(args);
  if (subcommand.kind === "unreadable") return subcommand.reason;
  const afterRun = subcommand.kind === "run";
  const options: RunOption[] = [];
  for (let i = afterRun ? subcommand.at + 1 : 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--" || !arg.startsWith("-") || arg === "-") {
      if (afterRun) break;
      continue;
    }
    const read = readOption(args, i, RUN, afterRun);
    if ("unknown" in read) return unknownOption("option", read.unknown);
    options.push(...read.options);
    i = read.last;
  }
  return options;
}
