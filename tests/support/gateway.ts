/**
 * Starts awmg as a process in front of real MCP servers from npm and talks to it like a client would.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { AWMG, ROOT } from "./awmg.ts";
import { removedAtEnd, tempFile } from "./temp.ts";

const deno = Deno.execPath();

/**
 * The variables a test backend run by Deno is given from the test runner, as a user behind this network would
 * configure them: the runner's Deno cache (where the test task fetched every package a backend runs) and
 * its certificate store (for a package fetched anyway). An empty value passes the gateway's own through.
 */
const TOOLCHAIN = { DENO_DIR: "", DENO_TLS_CA_STORE: "" };

/** A TOML `env` line: the toolchain variables and `env`. */
function envLine(env: Record<string, string>): string {
  const pairs = Object.entries({ ...TOOLCHAIN, ...env }).map(([name, value]) =>
    `${name} = ${JSON.stringify(value)}`
  );
  return `env = { ${pairs.join(", ")} }\n`;
}

/** How a test server is run: its arguments, Deno flags, environment and further TOML lines. */
export interface TestServerOptions {
  readonly args?: readonly string[];
  readonly flags?: readonly string[];
  readonly env?: Record<string, string>;
  readonly extra?: string;
}

/** TOML for a stdio server that Deno runs from `target` (an npm: specifier or a file). */
function denoServer(id: string, target: string, options: TestServerOptions): string {
  const argv = [
    "run",
    "--quiet",
    "--allow-env",
    "--allow-read",
    ...options.flags ?? [],
    target,
    ...options.args ?? [],
  ];
  return `[servers.${id}]\ncommand = ${JSON.stringify(deno)}\nargs = ${JSON.stringify(argv)}\n` +
    envLine(options.env ?? {}) + (options.extra ?? "");
}

/**
 * The npm packages tests run as processes (the backends, and the MCP conformance suite), each at the version
 * `deno task test:backends` fetches.
 */
export const PACKAGES = {
  everything: "@modelcontextprotocol/server-everything@2026.8.31",
  memory: "@modelcontextprotocol/server-memory@2026.8.31",
  filesystem: "@modelcontextprotocol/server-filesystem@2026.8.31",
  conformance: "@modelcontextprotocol/conformance@0.2.0-alpha.12",
} as const;

/** TOML for a stdio server that runs a package from npm under Deno. */
export function npmServer(id: string, pkg: string, options: TestServerOptions = {}): string {
  return denoServer(id, `npm:${pkg}`, { ...options, flags: ["--no-lock", ...options.flags ?? []] });
}

/** server-everything over stdio. */
export const EVERYTHING = (id = "everything", options: TestServerOptions = {}) =>
  npmServer(id, PACKAGES.everything, { ...options, args: ["stdio"] });

/** server-memory over stdio, storing its graph in a fresh temporary file. */
export const MEMORY = (id = "memory") =>
  npmServer(id, PACKAGES.memory, {
    flags: ["--allow-write=/tmp"],
    env: { MEMORY_FILE_PATH: removedAtEnd(`/tmp/awmg-test-memory-${crypto.randomUUID()}.jsonl`) },
  });

/** server-filesystem over stdio, rooted at `dir`. */
export const FILESYSTEM = (dir: string, id = "filesystem") =>
  npmServer(id, PACKAGES.filesystem, { args: [dir], flags: [`--allow-write=${dir}`, "--allow-sys"] });

/** A free loopback port (closed again before it is returned). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A running gateway process. */
export class RunningGateway {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Deno.CommandStatus>;

  /** `leftovers`: files and directories made for this run, removed once it has exited. */
  constructor(readonly process: Deno.ChildProcess, readonly port: number, leftovers: string[] = []) {
    const collect = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) this[into] += chunk;
    };
    const reading = Promise.all([collect(process.stdout, "stdout"), collect(process.stderr, "stderr")]);
    this.exited = Promise.all([process.status, reading]).then(async ([status]) => {
      await Promise.all(leftovers.map((path) => Deno.remove(path, { recursive: true }).catch(() => {})));
      return status;
    });
  }

  /** The gateway's base URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** POSTs a body (object or raw text) to a path. */
  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /** A connected SDK client on `/mcp/{server}`. */
  async client(server: string, headers: Record<string, string> = {}, name = "awmg-test"): Promise<Client> {
    const client = new Client({ name, version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${this.url}/mcp/${server}`), {
      requestInit: { headers },
    });
    await client.connect(transport);
    return client;
  }

  /**
   * Sends SIGTERM and waits for the exit. A gateway still running 45 s later (past its 30 s drain and its
   * backends' 10 s to stop) is killed, and the test fails saying so rather than hanging the run.
   */
  async stop(): Promise<Deno.CommandStatus> {
    const kill = (signal: Deno.Signal) => {
      try {
        this.process.kill(signal);
      } catch {
        // Already gone.
      }
    };
    kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        kill("SIGKILL");
        reject(new Error("the gateway did not exit within 45 s of SIGTERM"));
      }, 45_000);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Options of a gateway start. */
export interface StartOptions {
  /** A TOML config file's text; with neither this nor `json`, awmg starts without a config. */
  readonly toml?: string;
  /** A JSON config for stdin. */
  readonly json?: unknown;
  readonly args?: string[];
  readonly env?: Record<string, string>;
  /** Authentication as configured (a key, or a generated one); without this the gateway runs with --no-auth. */
  readonly auth?: boolean;
  /** A shell command run before awmg in the same process (e.g. `ulimit -n 256`). */
  readonly shellPrefix?: string;
  /** Runs awmg in a user and mount namespace of its own (`unshare -rm`), so that a shellPrefix may mount. */
  readonly ownMounts?: boolean;
  /** Wait for /health to say the gateway has started (default); false returns at once. */
  readonly waitHealthy?: boolean;
}

/** Starts awmg with a TOML config file or a JSON config on stdin; resolves once /health says it has started. */
export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const port = freePort();
  const own = options.args?.includes("--log-dir")
    ? []
    : ["--log-dir", `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`];
  const leftovers = own.slice(1);
  const noAuth = options.auth === true ? [] : ["--no-auth"];
  const args = [
    ...AWMG.slice(1),
    "--listen",
    `127.0.0.1:${port}`,
    ...own,
    ...noAuth,
    ...(options.args ?? []),
  ];
  if (options.toml !== undefined) {
    const path = await tempFile(options.toml, ".toml");
    leftovers.push(path);
    args.push("--config", path);
  } else if (options.json !== undefined) {
    args.push("--config-stdin");
  }
  const [program, argv] = options.shellPrefix === undefined
    ? [AWMG[0], args]
    : ["bash", ["-c", `${options.shellPrefix} && exec "$0" "$@"`, AWMG[0], ...args]];
  const process = new Deno.Command(options.ownMounts ? "unshare" : program, {
    args: options.ownMounts ? ["-rm", program, ...argv] : argv,
    cwd: ROOT,
    env: { MCP_GATEWAY_CONTAINERIZED: "0", ...options.env },
    stdin: options.json === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.json !== undefined) {
    const writer = process.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(options.json)));
    await writer.close();
  }
  const gateway = new RunningGateway(process, port, leftovers);
  if (options.waitHealthy === false) return gateway;
  let exited = false;
  gateway.exited.then(() => exited = true);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`${gateway.url}/health`);
      // The listener opens while the servers start; the gateway has started once /health stops saying so.
      if ((await response.json()).status !== "starting") return gateway;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await gateway.stop();
  throw new Error(`awmg did not become healthy.\nstdout: ${gateway.stdout}\nstderr: ${gateway.stderr}`);
}

/** The process table: pid to parent pid, for processes that are not zombies. */
async function processTable(): Promise<Map<number, number>> {
  const { stdout } = await new Deno.Command("ps", { args: ["-eo", "pid=,ppid=,stat="], stdout: "piped" })
    .output();
  const table = new Map<number, number>();
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const [pid, ppid, stat] = line.trim().split(/\s+/);
    if (pid !== undefined && stat !== undefined && !stat.startsWith("Z")) {
      table.set(Number(pid), Number(ppid));
    }
  }
  return table;
}

/** PIDs of the live descendants of a process. */
export async function descendants(pid: number): Promise<number[]> {
  const table = await processTable();
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** PIDs among `pids` that are still alive (not zombies). */
export async function survivors(pids: number[]): Promise<number[]> {
  const table = await processTable();
  return pids.filter((pid) => table.has(pid));
}

/** The pids a launch script wrote to `file`, one a line; none while it is empty or does not exist. */
export function pidsIn(file: string): Promise<number[]> {
  return Deno.readTextFile(file).then(
    (text) => text.split("\n").filter((line) => line !== "").map(Number),
    () => [],
  );
}

/** The command line of a process, from ps. */
export async function commandLine(pid: number): Promise<string> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-o", "args=", "-p", String(pid)],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).trim();
}

/** TOML for a fixture server of tests/fixtures run by Deno over stdio; `extra` adds TOML lines. */
function fixtureServer(file: string, id: string, extra: string, env: Record<string, string>): string {
  return denoServer(id, `${ROOT}tests/fixtures/${file}`, { extra, env });
}

/** The probe server fixture (tests/fixtures/probe_server.ts) over stdio. */
export const PROBE = (id = "probe", extra = "", env: Record<string, string> = {}) =>
  fixtureServer("probe_server.ts", id, extra, env);

/**
 * The conformance fixture (tests/fixtures/conformance_server.ts) over stdio: both revisions, or with
 * `--modern-only` among `args` 2026-07-28 alone; `extra` adds TOML lines.
 */
export const CONFORMANCE = (id = "conformance", extra = "", args: string[] = []) =>
  denoServer(id, `${ROOT}tests/fixtures/conformance_server.ts`, { extra, args });

/** The asking server fixture (tests/fixtures/asking_server.ts): asks its client things while it serves a call. */
export const ASKING = (id = "asking", extra = "", env: Record<string, string> = {}) =>
  fixtureServer("asking_server.ts", id, extra, env);

/** The dual server fixture (tests/fixtures/dual_server.ts): speaks both revisions, each its own way. */
export const DUAL = (id = "dual", extra = "") => fixtureServer("dual_server.ts", id, extra, {});

/** The rug-pull fixture (tests/fixtures/rugpull_server.ts): `add` changes after its first call; `args` as it takes. */
export const RUGPULL = (id = "rug", extra = "", args: string[] = []) =>
  denoServer(id, `${ROOT}tests/fixtures/rugpull_server.ts`, { extra, args });

/** The hostile server fixture (tests/fixtures/hostile_server.ts) over stdio. */
export const HOSTILE = (id = "hostile", extra = "", env: Record<string, string> = {}) =>
  fixtureServer("hostile_server.ts", id, extra, env);

/** The hostile server fixture speaking 2026-07-28 alone (`--modern`: server/discover, `input_required`). */
export const MODERN_HOSTILE = (id = "hostile", extra = "") =>
  denoServer(id, `${ROOT}tests/fixtures/hostile_server.ts`, { extra, args: ["--modern"] });

/** The GitHub-like issues server fixture (tests/fixtures/issues_server.ts) over stdio. */
export const ISSUES = (id = "github", extra = "", env: Record<string, string> = {}) =>
  fixtureServer("issues_server.ts", id, extra, env);

/** The tasks server fixture (tests/fixtures/tasks_server.ts): 2026-07-28 alone, with the tasks extension. */
export const TASKS = (id = "tasks", extra = "") => fixtureServer("tasks_server.ts", id, extra, {});

/** The issues server fixture speaking MCP 2026-07-28 alone over stdio. */
export const MODERN_ISSUES = (id = "github", extra = "") =>
  denoServer(id, `${ROOT}tests/fixtures/issues_server.ts`, { extra, args: ["--modern"] });

/**
 * The github-mcp-server imitation (tests/fixtures/github_server.ts) over stdio; it appends the name of each
 * tool call it receives to `calls`.
 */
export const GITHUB = (id: string, calls: string, extra = "", env: Record<string, string> = {}) =>
  denoServer(id, `${ROOT}tests/fixtures/github_server.ts`, {
    flags: [`--allow-write=${calls}`],
    extra,
    env: { CALLS_FILE: calls, ...env },
  });

/** An MCP server serving HTTP on a free loopback port, as a process. */
export class RemoteServer {
  process?: Deno.ChildProcess;
  readonly port = freePort();

  constructor(
    readonly args: (port: number) => string[],
    readonly path: string,
    readonly env: (port: number) => Record<string, string> = () => ({}),
  ) {}

  /** The MCP endpoint URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  /** Starts it and waits until it accepts connections. */
  async start(): Promise<void> {
    this.process = new Deno.Command(deno, {
      args: this.args(this.port),
      env: this.env(this.port),
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: this.port })).close();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`${this.args(this.port).join(" ")} did not start its HTTP server`);
  }

  /** Stops it. */
  async stop(): Promise<void> {
    try {
      this.process?.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.process?.status;
  }
}

/** server-everything serving Streamable HTTP (or the older HTTP+SSE) on a free loopback port, as a process. */
export class RemoteEverything extends RemoteServer {
  constructor(readonly transport: "streamableHttp" | "sse" = "streamableHttp") {
    super(
      () => ["run", "--quiet", "-A", `npm:${PACKAGES.everything}`, transport],
      transport === "sse" ? "/sse" : "/mcp",
      (port) => ({ PORT: String(port) }),
    );
  }
}

/** The issues fixture serving Streamable HTTP on a free loopback port. */
export const remoteIssues = () =>
  new RemoteServer(
    (
      port,
    ) => [
      "run",
      "--quiet",
      "--allow-env",
      "--allow-read",
      "--allow-net=127.0.0.1",
      `${ROOT}tests/fixtures/issues_server.ts`,
      "--http",
      String(port),
    ],
    "/mcp",
  );

/** A raw client's 2025 `initialize` request (revision 2025-06-18, no capabilities). */
export const initialize = (id = 0) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

/** A JSON-RPC tools/call request. */
export const callTool = (id: number, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

/** The text of a tool result's first content item. */
export const text = (result: { content?: unknown }) =>
  (result.content as { type: string; text: string }[])[0].text;
