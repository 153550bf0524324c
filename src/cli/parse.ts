/**
 * Parses the command line into what to do: run the gateway, print help, the version or a completion
 * script, or fail with one clear line.
 */
import { parseArgs } from "node:util";
import { type CommandName, COMMANDS, FLAGS, type Shell, SHELLS } from "./flags.ts";

/** The flags of a gateway run, as given (undefined when not given). */
export interface RunOptions {
  readonly config?: string;
  readonly configStdin: boolean;
  readonly envFile?: string;
  readonly listen?: string;
  readonly logDir?: string;
  readonly payloadDir?: string;
  readonly payloadPathPrefix?: string;
  readonly payloadSizeThreshold?: number;
  /** A Go-style duration, checked when settings are resolved. */
  readonly shutdownTimeout?: string;
  readonly otlpEndpoint?: string;
  readonly otlpServiceName?: string;
  /** A number from 0 to 1, as given; checked when settings are resolved. */
  readonly otlpSampleRate?: string;
  /** PEM files to serve HTTPS with: both or neither. */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly mode?: "routed" | "unified";
  /** --guards-mode, checked when settings are resolved. */
  readonly guardsMode?: string;
  /** --guard-policy-json, checked when settings are resolved. */
  readonly guardPolicyJson?: string;
  /** The --allowonly-* flags, when any was given. */
  readonly allowOnly?: {
    readonly public: boolean;
    readonly owner?: string;
    readonly repo?: string;
    readonly minIntegrity?: string;
  };
  /** Serve without authentication (--no-auth). */
  readonly noAuth: boolean;
  readonly sequentialLaunch: boolean;
  /** --tool-lock: the lock file tool definitions are held to. */
  readonly toolLock?: string;
  /** --strict-pins: a tool that fails its checks fails the start. */
  readonly strictPins: boolean;
  /** Check the configuration and exit, starting nothing. */
  readonly validateConfig: boolean;
  readonly validateEnv: boolean;
  readonly verbosity: number;
}

/** What the command line asks for. */
export type Invocation =
  | { readonly kind: "run"; readonly options: RunOptions }
  | { readonly kind: "help"; readonly command?: CommandName }
  | { readonly kind: "version" }
  | { readonly kind: "completion"; readonly shell: Shell }
  | { readonly kind: "health"; readonly url?: string }
  | { readonly kind: "proxy"; readonly args: readonly string[] }
  | {
    readonly kind: "pin";
    readonly options: RunOptions;
    /** The lock file to write, or with `check` to compare with. */
    readonly output: string;
    readonly check: boolean;
  }
  | { readonly kind: "error"; readonly message: string; readonly command?: CommandName };

const parseOptions = Object.fromEntries(
  FLAGS.map((flag) => [
    flag.name,
    {
      type: flag.kind === "string" || flag.kind === "int" ? "string" as const : "boolean" as const,
      ...(flag.short === undefined ? {} : { short: flag.short }),
      ...(flag.kind === "count" ? { multiple: true } : {}),
    },
  ]),
);

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  const option = /'([^']+)'/.exec(message)?.[1] ?? "";
  const flag = option.split(",").at(-1)?.trim().split(" ")[0] ?? option;
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag: ${flag}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return message.includes("argument missing")
        ? `flag needs an argument: ${flag}`
        : `flag does not take a value: ${flag}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unknown command ${JSON.stringify(option || message)} for "awmg"`;
    default:
      return message;
  }
}

function toInteger(flag: string, text: string): number | string {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    return `invalid argument "${text}" for "--${flag}" flag: expected a non-negative integer`;
  }
  return Number(text);
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

function parseSubcommand(command: CommandName, rest: string[]): Invocation {
  // The proxy's flags are its own (cli/proxy.ts), resolved with the environment when it runs.
  if (command === "proxy") return { kind: "proxy", args: rest };
  if (rest.includes("-h") || rest.includes("--help")) return { kind: "help", command };
  if (command === "pin") return parsePin(rest);
  if (command === "help") {
    const [topic, ...extra] = rest;
    if (topic === undefined) return { kind: "help" };
    if (!isCommand(topic) || extra.length > 0) {
      return { kind: "error", message: `unknown help topic ${JSON.stringify(rest.join(" "))}` };
    }
    return { kind: "help", command: topic };
  }
  if (command === "health") {
    if (rest.length > 1) {
      return { kind: "error", message: "health takes at most one argument: the /health URL", command };
    }
    return { kind: "health", url: rest[0] };
  }
  const [shell, ...extra] = rest;
  if (shell === undefined || extra.length > 0) {
    return {
      kind: "error",
      message: "completion takes exactly one argument: bash, zsh, fish or powershell",
      command,
    };
  }
  if (!(SHELLS as readonly string[]).includes(shell)) {
    return {
      kind: "error",
      message: `unsupported shell "${shell}": expected one of ${SHELLS.join(", ")}`,
      command,
    };
  }
  return { kind: "completion", shell: shell as Shell };
}

/** `awmg pin`: the gateway's flags, with where to write the lock file or whether only to check it. */
function parsePin(rest: string[]): Invocation {
  const { invocation, values } = runInvocation(rest, PIN_OPTIONS);
  if (invocation.kind !== "run") {
    return invocation.kind === "error" ? { ...invocation, command: "pin" } : invocation;
  }
  const { options } = invocation;
  if (values?.output === "") {
    return { kind: "error", message: "flag needs a non-empty argument: --output", command: "pin" };
  }
  return {
    kind: "pin",
    options,
    output: (values?.output as string | undefined) ?? DEFAULT_LOCK_FILE,
    check: values?.check === true,
  };
}

/** Parses `argv` (without the program name). Never throws. */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const first = argv[0];
  if (first !== undefined && !first.startsWith("-")) {
    return isCommand(first)
      ? parseSubcommand(first, argv.slice(1))
      : { kind: "error", message: `unknown command ${JSON.stringify(first)} for "awmg"` };
  }
  return runInvocation(argv).invocation;
}

/** The pin command's own flags, beside the gateway's. */
const PIN_OPTIONS = {
  output: { type: "string" as const },
  check: { type: "boolean" as const },
};

/** Where `awmg pin` writes the lock file unless --output says. */
export const DEFAULT_LOCK_FILE = "awmg-tools.lock.json";

/** Parses the gateway's flags (and `extra` ones) into a run of the gateway, with the values parsed. */
function runInvocation(
  argv: readonly string[],
  extra: Record<string, { type: "string" | "boolean" }> = {},
): { readonly invocation: Invocation; readonly values?: FlagValues } {
  let values: FlagValues;
  try {
    values = parseArgs({
      args: [...argv],
      options: { ...parseOptions, ...extra },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { invocation: { kind: "error", message: describeParseError(error) } };
  }
  if (values.help) return { invocation: { kind: "help" } };
  if (values.version) return { invocation: { kind: "version" } };
  const problem = flagProblem(values);
  if (problem !== undefined) return { invocation: { kind: "error", message: problem } };
  const threshold = values["payload-size-threshold"];
  const payloadSizeThreshold = typeof threshold === "string"
    ? toInteger("payload-size-threshold", threshold)
    : undefined;
  if (typeof payloadSizeThreshold === "string") {
    return { invocation: { kind: "error", message: payloadSizeThreshold } };
  }
  const text = (name: string) => values[name] as string | undefined;
  const tls = text("tls-cert") === undefined ? undefined : { cert: text("tls-cert")!, key: text("tls-key")! };
  const invocation: Invocation = {
    kind: "run",
    options: {
      config: text("config"),
      configStdin: values["config-stdin"] === true,
      envFile: text("env"),
      listen: text("listen"),
      logDir: text("log-dir"),
      payloadDir: text("payload-dir"),
      payloadPathPrefix: text("payload-path-prefix"),
      payloadSizeThreshold,
      shutdownTimeout: text("shutdown-timeout"),
      tls,
      otlpEndpoint: text("otlp-endpoint"),
      otlpServiceName: text("otlp-service-name"),
      otlpSampleRate: text("otlp-sample-rate"),
      mode: values.unified ? "unified" : values.routed ? "routed" : undefined,
      guardsMode: text("guards-mode"),
      guardPolicyJson: text("guard-policy-json"),
      ...allowOnlyFlags(values),
      noAuth: values["no-auth"] === true,
      sequentialLaunch: values["sequential-launch"] === true,
      toolLock: text("tool-lock"),
      strictPins: values["strict-pins"] === true,
      validateConfig: values["validate-config"] === true,
      validateEnv: values["validate-env"] === true,
      verbosity: (values.verbose as unknown[] | undefined)?.length ?? 0,
    },
  };
  return { invocation, values };
}

type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Flags that must not be empty. */
const NON_EMPTY = [
  "config",
  "env",
  "listen",
  "log-dir",
  "payload-dir",
  "payload-path-prefix",
  "shutdown-timeout",
  "tool-lock",
];

/** What is wrong with the flags taken together, if anything. */
function flagProblem(values: FlagValues): string | undefined {
  if (values.routed && values.unified) {
    return "--routed and --unified are mutually exclusive: choose one mode";
  }
  const empty = NON_EMPTY.find((name) => values[name] === "");
  if (empty !== undefined) return `flag needs a non-empty argument: --${empty}`;
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
    return "--tls-cert and --tls-key go together: give both to serve HTTPS";
  }
  return undefined;
}

/** The allow-only policy the --allowonly-* flags make, when any of them is given. */
function allowOnlyFlags(values: FlagValues): Pick<RunOptions, "allowOnly"> {
  const given = [
    "allowonly-scope-public",
    "allowonly-scope-owner",
    "allowonly-scope-repo",
    "allowonly-min-integrity",
  ]
    .some((name) => values[name] !== undefined);
  return given
    ? {
      allowOnly: {
        public: values["allowonly-scope-public"] === true,
        owner: values["allowonly-scope-owner"] as string | undefined,
        repo: values["allowonly-scope-repo"] as string | undefined,
        minIntegrity: values["allowonly-min-integrity"] as string | undefined,
      },
    }
    : {};
}
