/**
 * `awmg proxy`: its flags as the Go gateway's proxy command takes them, their defaults and environment
 * fallbacks, and its help. Resolving them against the environment happens here too, so that the command
 * itself only runs.
 */
import { parseArgs } from "node:util";
import { MODES } from "../difc/labels.ts";
import type { Mode } from "../difc/labels.ts";
import { githubApiUrl, githubToken } from "../github/api.ts";
import { DEFAULTS } from "./flags.ts";
import { envBoolean } from "./precedence.ts";

/** The proxy's listen address by default, as Go's. */
export const PROXY_LISTEN = "127.0.0.1:8080";

/** Where the image carries GitHub's guard. */
const IMAGE_GUARD = "/guards/github/00-github-guard.wasm";

/** The settings of one proxy run. */
export interface ProxySettings {
  readonly guardWasm: string;
  readonly policy?: string;
  readonly token?: string;
  readonly listen: { readonly hostname: string; readonly port: number };
  readonly logDir: string;
  readonly mode: Mode;
  /** The operator chose the mode (flag or MCP_GATEWAY_GUARDS_MODE): the guard's own does not override it. */
  readonly modeChosen: boolean;
  readonly apiUrl: string;
  readonly forcePublicRepos: boolean;
  /** Where the certificates go, when --tls is on. */
  readonly tls?: { readonly dir: string; readonly dnsNames: readonly string[] };
  readonly trustedBots: readonly string[];
  readonly trustedUsers: readonly string[];
  readonly otlp?: { readonly endpoint: string; readonly serviceName: string; readonly sampleRate: number };
}

/** The proxy's flags, as help lists them. */
const FLAGS: readonly { name: string; short?: string; value: boolean; multiple?: boolean; help: string }[] = [
  {
    name: "force-public-repos",
    value: false,
    help: 'Force repos="public" when the workflow repo is public (default true)',
  },
  {
    name: "github-api-url",
    value: true,
    help: "Upstream GitHub API URL (default: GITHUB_API_URL, else from GITHUB_SERVER_URL)",
  },
  {
    name: "github-token",
    value: true,
    help:
      "Fallback GitHub API token (default: the first of GITHUB_MCP_SERVER_TOKEN, GITHUB_TOKEN, GITHUB_PERSONAL_ACCESS_TOKEN, GH_TOKEN)",
  },
  {
    name: "guard-wasm",
    value: true,
    help: `Path to the guard WASM module (default ${IMAGE_GUARD}, else $MCP_GATEWAY_WASM_GUARDS_DIR/github/)`,
  },
  {
    name: "guards-mode",
    value: true,
    help: "Guards enforcement mode: strict, filter or propagate (default strict, or MCP_GATEWAY_GUARDS_MODE)",
  },
  { name: "help", short: "h", value: false, help: "help for proxy" },
  { name: "listen", short: "l", value: true, help: `Proxy listen address (default "${PROXY_LISTEN}")` },
  {
    name: "log-dir",
    value: true,
    help: `Log file directory (default MCP_GATEWAY_LOG_DIR, else "${DEFAULTS.logDir}")`,
  },
  {
    name: "otlp-endpoint",
    value: true,
    help: "OTLP HTTP endpoint for trace export; tracing is off when empty",
  },
  {
    name: "otlp-sample-rate",
    value: true,
    help: "Fraction of traces to sample and export (0.0-1.0, default 1)",
  },
  {
    name: "otlp-service-name",
    value: true,
    help: `Service name reported in traces (default "${DEFAULTS.serviceName}")`,
  },
  {
    name: "policy",
    value: true,
    help: "Guard policy JSON, an allow-only policy (default MCP_GATEWAY_GUARD_POLICY_JSON)",
  },
  { name: "tls", value: false, help: "Serve HTTPS with certificates made at start" },
  { name: "tls-dir", value: true, help: "Directory for the TLS certificates (default <log-dir>/proxy-tls)" },
  {
    name: "tls-dns-name",
    value: true,
    multiple: true,
    help: "Another DNS name for the certificate (repeatable; needs --tls)",
  },
  {
    name: "trusted-bots",
    value: true,
    multiple: true,
    help: "Additional trusted bot usernames (comma-separated, extends the guard's list)",
  },
  {
    name: "trusted-users",
    value: true,
    multiple: true,
    help: "User logins that receive approved integrity (comma-separated)",
  },
];

/** The proxy command's help. */
export function proxyHelp(): string {
  const width = Math.max(...FLAGS.map((f) => f.name.length + (f.value ? 7 : 0))) + 8;
  const lines = FLAGS.map((f) => {
    const head = `${f.short === undefined ? "    " : `-${f.short}, `}--${f.name}${f.value ? " string" : ""}`;
    return `  ${head.padEnd(width)}${f.help}`;
  });
  return [
    "Run awmg as an HTTP(S) proxy in front of the GitHub REST and GraphQL APIs: every answer is judged by the",
    "same WebAssembly guard and policy that guard the MCP tools, for gh and every other API client.",
    "",
    "Usage:",
    "  awmg proxy [flags]",
    "",
    "Flags:",
    ...lines,
    "",
    "Connect gh with GH_HOST=localhost:PORT and the CA in SSL_CERT_FILE (--tls writes it to <tls-dir>/ca.crt).",
    "",
  ].join("\n");
}

/** What `awmg proxy ARGS` asks for: the settings, help, or one line saying what is wrong. */
export type ProxyInvocation =
  | { readonly kind: "proxy"; readonly settings: ProxySettings }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/** Go's boolean words for a flag given as `--flag=value`. */
function booleanWord(value: string): boolean | undefined {
  const word = value.toLowerCase();
  if (["1", "t", "true"].includes(word)) return true;
  if (["0", "f", "false"].includes(word)) return false;
  return undefined;
}

function listen(text: string): { hostname: string; port: number } | string {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    return `invalid --listen "${text}": expected host:port, such as ${PROXY_LISTEN}`;
  }
  return { hostname: match[1] ?? (match[2] || "0.0.0.0"), port };
}

const list = (values: unknown) =>
  ((values as string[] | undefined) ?? []).flatMap((value) => value.split(",")).map((v) => v.trim()).filter(
    (v) => v !== "",
  );

/** Where the guard is when --guard-wasm is not given: the image's, else the first in the guards directory. */
async function defaultGuard(env: (name: string) => string | undefined): Promise<string | undefined> {
  if (await Deno.stat(IMAGE_GUARD).then((s) => s.isFile, () => false)) return IMAGE_GUARD;
  const dir = env("MCP_GATEWAY_WASM_GUARDS_DIR")?.trim();
  if (!dir) return undefined;
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dir}/github`)) {
      if (entry.isFile && entry.name.endsWith(".wasm")) names.push(entry.name);
    }
  } catch {
    return undefined;
  }
  return names.length === 0 ? undefined : `${dir}/github/${names.sort()[0]}`;
}

/** Parses and resolves `awmg proxy` arguments against the environment. */
export async function parseProxyArgs(
  argv: readonly string[],
  env: (name: string) => string | undefined,
): Promise<ProxyInvocation> {
  const spelled = booleanFlags(argv);
  if ("message" in spelled) return { kind: "error", message: spelled.message };
  const values = flagValues(spelled.args);
  if (typeof values === "string") return { kind: "error", message: values };
  if (values.help) return { kind: "help" };
  const text = (name: string) => values[name] as string | undefined;
  const where = listen(text("listen") ?? PROXY_LISTEN);
  if (typeof where === "string") return { kind: "error", message: where };
  const modeText = (text("guards-mode") ?? env("MCP_GATEWAY_GUARDS_MODE") ?? "").toLowerCase();
  if (modeText !== "" && !(MODES as readonly string[]).includes(modeText)) {
    return {
      kind: "error",
      message: `invalid --guards-mode "${modeText}": must be one of: ${MODES.join(", ")}`,
    };
  }
  const guardWasm = text("guard-wasm") ?? await defaultGuard(env);
  if (guardWasm === undefined) {
    return {
      kind: "error",
      message:
        `no guard module: give --guard-wasm (${IMAGE_GUARD} is not here and MCP_GATEWAY_WASM_GUARDS_DIR names none)`,
    };
  }
  const tlsOn = spelled.booleans.get("tls") ?? false;
  const dnsNames = list(values["tls-dns-name"]);
  if (dnsNames.length > 0 && !tlsOn) return { kind: "error", message: "--tls-dns-name requires --tls" };
  const logDir = text("log-dir") ?? (env("MCP_GATEWAY_LOG_DIR") || DEFAULTS.logDir);
  const otlp = otlpSettings(text);
  if (typeof otlp === "string") return { kind: "error", message: otlp };
  const policy = text("policy") ?? (env("MCP_GATEWAY_GUARD_POLICY_JSON") || undefined);
  const token = text("github-token") || githubToken(env);
  return {
    kind: "proxy",
    settings: {
      guardWasm,
      ...(policy === undefined ? {} : { policy }),
      ...(token === undefined ? {} : { token }),
      listen: where,
      logDir,
      mode: (modeText || "strict") as Mode,
      modeChosen: modeText !== "",
      apiUrl: (text("github-api-url") || githubApiUrl(env)).replace(/\/+$/, ""),
      forcePublicRepos: spelled.booleans.get("force-public-repos") ??
        envBoolean(env("MCP_GATEWAY_FORCE_PUBLIC_REPOS")) ?? true,
      ...(tlsOn
        ? { tls: { dir: text("tls-dir") ?? `${logDir.replace(/\/+$/, "")}/proxy-tls`, dnsNames } }
        : {}),
      trustedBots: list(values["trusted-bots"]),
      trustedUsers: list(values["trusted-users"]),
      ...(otlp === undefined ? {} : { otlp }),
    },
  };
}

/**
 * The boolean flags Go spells `--tls=false` (parseArgs knows only `--tls`), taken out of argv; the rest of
 * argv is left for parseArgs.
 */
function booleanFlags(
  argv: readonly string[],
): { booleans: Map<string, boolean>; args: string[] } | { message: string } {
  const booleans = new Map<string, boolean>();
  const args: string[] = [];
  for (const arg of argv) {
    const spelled = /^--(tls|force-public-repos)(?:=(.*))?$/.exec(arg);
    if (spelled === null) {
      args.push(arg);
      continue;
    }
    const value = spelled[2] === undefined ? true : booleanWord(spelled[2]);
    if (value === undefined) {
      return { message: `invalid argument "${spelled[2]}" for "--${spelled[1]}" flag` };
    }
    booleans.set(spelled[1], value);
  }
  return { booleans, args };
}

/** The values of every other flag, or what is wrong with them. */
function flagValues(args: string[]): Record<string, unknown> | string {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        FLAGS.filter((f) => f.name !== "tls" && f.name !== "force-public-repos").map((f) => [f.name, {
          type: f.value ? "string" as const : "boolean" as const,
          ...(f.short === undefined ? {} : { short: f.short }),
          ...(f.multiple ? { multiple: true } : {}),
        }]),
      ),
    }).values;
  } catch (error) {
    const option = /'([^']+)'/.exec((error as Error).message)?.[1] ?? (error as Error).message;
    return `unknown flag or missing value: ${option}`;
  }
}

/** Tracing when --otlp-endpoint names a collector, or what is wrong with the sample rate. */
function otlpSettings(
  text: (name: string) => string | undefined,
): ProxySettings["otlp"] | string {
  const rate = Number(text("otlp-sample-rate") ?? "1");
  if (!(rate >= 0 && rate <= 1)) return "--otlp-sample-rate must be between 0 and 1";
  const endpoint = text("otlp-endpoint") ?? "";
  return endpoint === "" ? undefined : {
    endpoint,
    serviceName: text("otlp-service-name") ?? DEFAULTS.serviceName,
    sampleRate: rate,
  };
}
