/**
 * awmg entry point: parse the command line, load the configuration, start the gateway, serve, stop.
 *
 * Only what checking the config and launching the stdio servers needs is imported statically. The gateway,
 * the HTTP app, guards and pins load after the servers are launched (the head start), while they start.
 */
import type { GuardSetup } from "./src/guards/registry.ts";
import { mountPolicy, mountPolicyIssues } from "./src/backends/mount_policy.ts";
import { getLogger } from "@logtape/logtape";
import { describeStartFailure } from "./src/backends/diagnostics.ts";
import { HeadStart } from "./src/backends/head_start.ts";
import { STOP_GRACE_MS } from "./src/backends/pipe.ts";
import { launchSpec } from "./src/backends/launch.ts";
import { loadEnvFile } from "./src/cli/env_file.ts";
import { parseCommandLine, type RunOptions } from "./src/cli/parse.ts";
import { resolveLogDir, resolveSettings, type Settings } from "./src/cli/settings.ts";
import { exitOnStopSignals, KILLED_BY, onStopSignals } from "./src/cli/signals.ts";
import { reachableHost, replicaHosts } from "./src/cli/cluster.ts";
import { describeSource, failurePayload, formatFailure, formatIssue } from "./src/config/issues.ts";
import { loadConfigFile, loadConfigText, type LoadResult } from "./src/config/load.ts";
import {
  type Check,
  environmentChecks,
  environmentPayload,
  formatCheck,
  realProbe,
} from "./src/environment/checks.ts";
import { withAgentIdAlias } from "./src/environment/agent_id.ts";
import { containerSigns, isContainerized } from "./src/environment/detect.ts";
import type { GatewayConfig } from "./src/config/types.ts";
import type { Gateway } from "./src/gateway/gateway.ts";
import type { Cluster } from "./src/cluster/join.ts";
import { clientConfig } from "./src/http/client_config.ts";
import { readTlsFiles, type ResilientServer, serveResilient, type TlsFiles } from "./src/http/serve.ts";
import { setupLogging, stopLogging } from "./src/observability/logging.ts";
import { makeRedactor, shownUrl } from "./src/observability/redact.ts";
import { installTracer } from "./src/observability/tracing.ts";
import { ToolsRegistry } from "./src/observability/tools_registry.ts";
import type { ToolLock } from "./src/pins/lock.ts";
import type { ToolVetting } from "./src/pins/vetting.ts";
import { PayloadStore } from "./src/payloads/store.ts";
import { VERSION } from "./src/version.ts";

/** A guard setup that succeeded. */
type GuardedServers = Extract<GuardSetup, { ok: true }>;

const env = (name: string) => Deno.env.get(name);
/** What `${VAR}` expansion and backends see: the environment as Go's entrypoint leaves it. */
const expansionEnv = withAgentIdAlias(env);
/** This gateway process, named on its containers' labels. */
const INSTANCE_ID = `awmg-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;

/** A redactor of every secret the config and settings hold. */
function redactorOf(config: GatewayConfig, settings: Settings): (text: string) => string {
  return makeRedactor([
    ...config.secrets,
    ...settings.apiKeys,
    ...Object.values(settings.tracing?.headers ?? {}),
    ...settings.cluster?.stateKeys ?? [],
  ]);
}

function fail(message: string, code: number): never {
  console.error(`Error: ${message}`);
  Deno.exit(code);
}

async function loadConfig(options: RunOptions): Promise<LoadResult> {
  if (options.configStdin) {
    const text = await new Response(Deno.stdin.readable).text();
    return loadConfigText(text, "json", { kind: "stdin" }, expansionEnv);
  }
  if (options.config !== undefined) return await loadConfigFile(options.config, expansionEnv);
  return loadConfigText("", "toml", { kind: "default" }, expansionEnv);
}

/**
 * Runs the environment checks; prints them and exits for --validate-env. In a container it prints the
 * ones that did not pass and returns the failed ones, so the start can report them with the config's errors.
 */
async function checkEnvironment(options: RunOptions, inContainer: boolean): Promise<Check[]> {
  if (!options.validateEnv && !inContainer) return [];
  const checks = await environmentChecks(
    realProbe({ env, inContainer, logDir: resolveLogDir(options, env) }),
  );
  if (options.validateEnv) {
    for (const check of checks) console.log(formatCheck(check));
    Deno.exit(checks.some((check) => check.status === "fail") ? 1 : 0);
  }
  for (const check of checks) if (check.status !== "pass") console.error(formatCheck(check));
  return checks.filter((check) => check.status === "fail");
}

/** The loaded config, failed as well when the mount policy refuses one of its servers. */
async function withMountPolicy(loaded: LoadResult, options: RunOptions): Promise<LoadResult> {
  if (!loaded.ok) return loaded;
  // The temporary directory as Go's os.TempDir names it.
  const policy = await mountPolicy(env, Deno.cwd(), env("TMPDIR") || "/tmp");
  const section = options.configStdin ? "mcpServers" : "servers";
  const errors = await mountPolicyIssues(loaded.config.servers, policy, section);
  if (errors.length === 0) return loaded;
  return { ok: false, failure: { source: loaded.config.source, errors, warnings: loaded.warnings } };
}

/**
 * Sets up the guards (narrowed to public repositories when forcePublicRepos finds the workflow's public),
 * or reports why they cannot be and exits as the start would.
 */
async function guardsOrExit(
  config: GatewayConfig,
  settings: Settings,
  warnings: string[],
): Promise<GuardedServers> {
  const [{ forcedPublicScope }, { setupGuards }] = await Promise.all([
    import("./src/github/force_public.ts"),
    import("./src/guards/registry.ts"),
  ]);
  const scope = await forcedPublicScope(settings.guards.forcePublicRepos, env);
  if (scope.warning !== undefined) warnings.push(scope.warning);
  const setup = await setupGuards(config, { ...settings.guards, publicRepository: scope.publicRepository });
  if (setup.ok) return scope.note === undefined ? setup : { ...setup, notes: [scope.note, ...setup.notes] };
  const redact = redactorOf(config, settings);
  const message = setup.errors.join("; ");
  console.log(
    redact(JSON.stringify({ error: { code: "guard_setup_failed", message, errors: setup.errors } })),
  );
  for (const error of setup.errors) console.error(redact(`Error: ${error}`));
  Deno.exit(1);
}

/** What `awmg pin` was asked: the lock file to write, or to check the servers against. */
interface PinRequest {
  readonly output: string;
  readonly check: boolean;
}

/** Reads a tool lock file, or exits saying why it cannot be used. */
async function lockOrExit(path: string): Promise<ToolLock> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    fail(`cannot read the tool lock ${path}: ${(error as Error).message} (write it with awmg pin)`, 1);
  }
  const lock = (await import("./src/pins/lock.ts")).parseLock(text);
  if ("error" in lock) fail(`the tool lock ${path} is malformed: ${lock.error}`, 1);
  return lock;
}

/** The vetting of tool definitions: each server's pins (with a lock file) and scan as its config says. */
async function vettingOf(config: GatewayConfig, settings: Settings): Promise<ToolVetting> {
  const lock = settings.toolLock === undefined ? undefined : await lockOrExit(settings.toolLock);
  const { ToolVetting } = await import("./src/pins/vetting.ts");
  const checks = new Map(config.servers.map((server) => [server.id, server]));
  return new ToolVetting(lock, (id) => checks.get(id) ?? { pins: "enforce", scan: "enforce" });
}

/** Writes the lock file, or to stdout for "-"; exits saying why not. */
async function writeLock(path: string, text: string): Promise<void> {
  try {
    if (path === "-") await Deno.stdout.write(new TextEncoder().encode(text));
    else await Deno.writeTextFile(path, text);
  } catch (error) {
    // The gateway's own permissions let it write its log and payload directories only.
    fail(
      `cannot write ${path}: ${(error as Error).message} (awmg pin --output - > ${path} writes it anywhere)`,
      1,
    );
  }
}

/** `awmg pin`: starts the servers, records their definitions, then writes the lock or diffs it and exits. */
async function pinServers(
  config: GatewayConfig,
  settings: Settings,
  guardSetup: GuardedServers,
  pin: PinRequest,
  headStart?: HeadStart,
): Promise<never> {
  await startLogs(config, settings, []);
  const redact = redactorOf(config, settings);
  const { lockDiff, lockOf, lockText } = await import("./src/pins/lock.ts");
  const gateway = await makeGateway(config, settings, guardSetup, new ToolsRegistry(undefined), {
    headStart,
  });
  // A signal stops the servers as the gateway's stop does (a second one hurries it), then exits as killed.
  await onStopSignals((signal) =>
    gateway.state === "open" ? void gateway.close().then(() => Deno.exit(KILLED_BY[signal])) : gateway.hurry()
  );
  const failures = await gateway.start();
  headStart?.abandon();
  if (failures.length > 0) {
    reportStartFailures(failures, redact);
    await gateway.close();
    Deno.exit(1);
  }
  const found = await gateway.definitions();
  await gateway.close();
  for (const [id, server] of found) found.set(id, { ...server, launch: redact(server.launch) });
  const fresh = await lockOf(found);
  if (!pin.check) {
    await writeLock(pin.output, lockText(fresh));
    const tools = Object.values(fresh.servers).reduce(
      (sum, server) => sum + Object.keys(server.tools).length,
      0,
    );
    const where = pin.output === "-" ? "the lock to stdout" : pin.output;
    console.error(`Wrote ${where}: ${found.size} servers, ${tools} tools`);
    Deno.exit(0);
  }
  const diff = lockDiff(await lockOrExit(pin.output), fresh);
  if (diff.length === 0) console.error(`${pin.output} matches what the servers serve`);
  else console.log(`${pin.output} differs from what the servers serve:\n${diff.join("\n")}`);
  Deno.exit(diff.length === 0 ? 0 : 1);
}

async function run(given: RunOptions, pin?: PinRequest): Promise<void> {
  if (given.envFile !== undefined) {
    const loaded = await loadEnvFile(given.envFile);
    if (!loaded.ok) fail(loaded.message, 1);
  }
  const inContainer = isContainerized(await containerSigns(env), given.configStdin, env);
  // As the Go image's entrypoint: in containerized mode the config comes on stdin unless a file is named.
  const options = inContainer && given.config === undefined ? { ...given, configStdin: true } : given;
  const failedChecks = await checkEnvironment(options, inContainer);
  const loaded = await withMountPolicy(await loadConfig(options), options);
  if (!loaded.ok) {
    for (const warning of loaded.failure.warnings) console.error(`Warning: ${formatIssue(warning)}`);
    console.error(formatFailure(loaded.failure));
  }
  if (failedChecks.length > 0) {
    console.log(JSON.stringify(environmentPayload(failedChecks, loaded.ok ? undefined : loaded.failure)));
    fail("the container environment is not usable (see the checks above)", 1);
  }
  if (!loaded.ok) {
    if (options.configStdin || options.validateConfig) {
      console.log(JSON.stringify(failurePayload(loaded.failure)));
    }
    Deno.exit(1);
  }
  const resolved = resolveSettings(options, loaded.config, env, inContainer);
  if (!resolved.ok) fail(resolved.message, 1);
  const warnings = [...loaded.warnings.map(formatIssue), ...resolved.warnings];
  const headStart = options.validateConfig ? undefined : launchEarly(loaded.config, resolved.settings);
  const guards = await guardsOrExit(loaded.config, resolved.settings, warnings);
  if (options.validateConfig) {
    for (const { guard } of guards.guards.values()) guard.close();
    for (const warning of warnings) console.error(`Warning: ${warning}`);
    const ids = loaded.config.servers.map((server) => server.id);
    console.log(JSON.stringify({ status: "valid", servers: ids, warnings: warnings.length }));
    Deno.exit(0);
  }
  if (pin !== undefined) await pinServers(loaded.config, resolved.settings, guards, pin, headStart);
  const vetting = await vettingOf(loaded.config, resolved.settings);
  const { tlsPaths } = resolved.settings;
  const tls = tlsPaths === undefined ? undefined : await readTlsFiles(tlsPaths);
  if (typeof tls === "string") fail(tls, 1);
  await serve(loaded.config, resolved.settings, warnings, tls, guards, { vetting, headStart });
}

/**
 * Launches the stdio servers before the rest of the gateway loads, so that their start overlaps it
 * (head_start.ts); those the start never takes are killed when awmg exits. A sequential launch waits its turn.
 */
function launchEarly(config: GatewayConfig, settings: Settings): HeadStart | undefined {
  if (settings.sequentialLaunch) return undefined;
  const headStart = HeadStart.launch(
    config.servers.flatMap((server) =>
      server.type === "stdio" ? [{ id: server.id, spec: launchSpec(server, INSTANCE_ID, expansionEnv) }] : []
    ),
  );
  globalThis.addEventListener("unload", () => headStart.abandon());
  // Until there is a gateway to stop them, a signal stops these children, then exits.
  exitOnStopSignals(() => headStart.stop(STOP_GRACE_MS));
  return headStart;
}

/** Sets up the logs and says what the configuration warned of; returns where the logs go. */
async function startLogs(config: GatewayConfig, settings: Settings, warnings: readonly string[]) {
  const destination = await setupLogging({
    logDir: settings.logDir,
    serverIds: config.servers.map((server) => server.id),
    verbosity: settings.verbosity,
    debug: env("DEBUG"),
    colors: env("DEBUG_COLORS") !== "0" && Deno.stderr.isTerminal(),
    redact: redactorOf(config, settings),
    maxSize: settings.logMaxSize,
    ...(settings.logMaxFiles === undefined ? {} : { maxFiles: settings.logMaxFiles }),
    summaryBudget: settings.summaryMaxSize,
  });
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    getLogger(["awmg", "gateway"]).error("Unhandled failure (the gateway keeps serving): {error}", {
      error: String(event.reason),
    });
  });
  if (destination.kind === "stdout") {
    getLogger(["awmg", "startup"]).warn("Cannot write logs to {dir} ({reason}); logging to stdout instead", {
      dir: settings.logDir,
      reason: destination.reason,
    });
  }
  for (const warning of warnings) getLogger(["awmg", "config"]).warn(warning);
  return destination;
}

/** Starts the trace exporter when tracing is configured (its SDK loads only then). */
async function startTracing(settings: Settings) {
  if (settings.tracing === undefined) return undefined;
  const tracing = (await import("./src/observability/otlp.ts")).otlpTracer({
    ...settings.tracing,
    version: VERSION,
  });
  installTracer(tracing.tracer);
  getLogger(["awmg", "startup"]).info("Tracing to {url} as {service}, sample rate {rate}", {
    url: shownUrl(settings.tracing.url),
    service: settings.tracing.serviceName,
    rate: settings.tracing.sampleRate,
  });
  return tracing;
}

/** The startup lines before the backends start: the config, the listen address, auth, the guards. */
function announce(config: GatewayConfig, settings: Settings, guardSetup: GuardedServers): void {
  const log = getLogger(["awmg", "startup"]);
  const { hostname, port } = settings.listen;
  log.info("Starting MCPG with config: {config}, listen: {listen}, log-dir: {logDir}", {
    config: describeSource(config.source),
    listen: `${hostname}:${port}`,
    logDir: settings.logDir,
  });
  if (settings.auth === "off") {
    log.warn(
      "AUTHENTICATION IS DISABLED (--no-auth): any local process can use every backend. " +
        "Use it for local development only.",
    );
  }
  for (const note of guardSetup.notes) getLogger(["awmg", "guards"]).info(note);
  for (const [id, guarded] of guardSetup.guards) {
    log.info("Server {server} is guarded by {origin}, mode {mode}", {
      server: id,
      origin: guarded.origin,
      mode: settings.guards.modeChosen ? settings.guards.mode : "as the guard asks (strict unless it says)",
    });
  }
}

/** What a gateway may be built with besides the config: the pins' vetting, the replicas, the early launches. */
interface GatewayParts {
  readonly vetting?: ToolVetting;
  readonly cluster?: Cluster;
  readonly headStart?: HeadStart;
}

/** The gateway over the configured servers, its tool lists told to `tools`. */
async function makeGateway(
  config: GatewayConfig,
  settings: Settings,
  guardSetup: GuardedServers,
  tools: ToolsRegistry,
  { vetting, cluster, headStart }: GatewayParts,
): Promise<Gateway> {
  const { Gateway } = await import("./src/gateway/gateway.ts");
  return new Gateway(config, {
    labels: cluster?.labels,
    replica: cluster === undefined
      ? undefined
      : { id: cluster.settings.replicaId, stateKeys: cluster.settings.stateKeys },
    guards: {
      servers: guardSetup.guards,
      mode: settings.guards.mode,
      modeChosen: settings.guards.modeChosen,
    },
    sequentialLaunch: settings.sequentialLaunch,
    vetting,
    strictPins: settings.strictPins,
    instanceId: INSTANCE_ID,
    headStart,
    redact: redactorOf(config, settings),
    mode: settings.mode,
    hostEnv: expansionEnv,
    toolTimeoutMs: settings.toolTimeoutMs,
    sessionTimeoutMs: settings.sessionTimeoutMs,
    shutdownTimeoutMs: settings.shutdownTimeoutMs,
    onTools: (serverId, list) => tools.set(serverId, list),
    payloads: new PayloadStore({
      dir: settings.payloadDir,
      threshold: settings.payloadSizeThreshold,
      pathPrefix: settings.payloadPathPrefix,
    }),
  });
}

/** Says why backends did not start: the orchestrator's payload on stdout, each failure on stderr. */
function reportStartFailures(
  failures: Awaited<ReturnType<Gateway["start"]>>,
  redact: (text: string) => string,
) {
  const servers = failures.map(describeStartFailure);
  const message = failures.map((failure) => failure.message).join("; ");
  console.log(redact(JSON.stringify({ error: { code: "backend_start_failed", message, servers } })));
  for (const failure of failures) {
    console.error(
      redact(`Error: ${failure.message}\n${failure.stderrTail.map((l) => `  stderr: ${l}`).join("\n")}`),
    );
  }
}

/** The HTTP side of the gateway, with its Host/Origin policy and limits. */
async function makeApp(
  config: GatewayConfig,
  settings: Settings,
  gateway: Gateway,
  cluster: Cluster | undefined,
  onClosed: () => void,
) {
  const [{ createApp }, { originPolicy }] = await Promise.all([
    import("./src/http/app.ts"),
    import("./src/http/origin.ts"),
  ]);
  return createApp({
    gateway,
    replicas: cluster?.hop,
    apiKeys: settings.apiKeys,
    originCheck: originPolicy({
      listenHost: settings.listen.hostname,
      domain: settings.domain,
      // A hop from another replica names this one as they reach it (gateway.replicaUrl).
      allowedHosts: [...config.gateway.allowedHosts, ...replicaHosts(settings.cluster)],
      allowedOrigins: config.gateway.allowedOrigins,
    }),
    maxBodySize: config.gateway.maxBodySize,
    bodyTimeoutMs: config.gateway.bodyTimeout * 1000,
    maxUnsentBytes: config.gateway.maxUnsentBytes,
    onClosed,
  });
}

/** Once listening: the generated key on stderr, the client configuration on stdout, where each server is. */
function announceListening(
  settings: Settings,
  gateway: Gateway,
  tools: ToolsRegistry,
  port: number,
  scheme: "http" | "https",
) {
  if (settings.auth === "generated") {
    // Straight to stderr, never through the logger: the key must not reach a log file.
    console.error(
      `No API key configured: generated one for this run. Clients send "Authorization: ${
        settings.apiKeys[0]
      }" ` +
        "(the client configuration on stdout carries it).",
    );
  }
  const origin = { domain: settings.domain, port, mode: settings.mode, scheme } as const;
  const client = clientConfig(gateway.serverIds, origin, settings.apiKeys[0]);
  console.log(JSON.stringify(client));
  const log = getLogger(["awmg", "startup"]);
  log.info("Listening on {scheme}://{host}:{port} in {mode} mode", {
    scheme,
    host: settings.listen.hostname,
    port,
    mode: settings.mode,
  });
  for (const id of gateway.serverIds) {
    const url = settings.mode === "unified" ? client.mcpServers.awmg.url : client.mcpServers[id].url;
    log.info("Server {server}: {url} ({tools} tools, MCP {revision})", {
      server: id,
      url,
      tools: tools.count(id),
      revision: gateway.health()[id].protocolVersion ?? "unknown",
    });
  }
}

/** The shared store and this replica's part, when the config names a store; exits when it is unreachable. */
async function clusterOrExit(settings: Settings, maxAgents: number): Promise<Cluster | undefined> {
  if (settings.cluster === undefined) return undefined;
  try {
    // Loaded only here: a gateway that runs alone never loads the Redis client.
    const { Cluster } = await import("./src/cluster/join.ts");
    return await Cluster.connect(settings.cluster, maxAgents);
  } catch (error) {
    const what =
      "check that it runs, that its password is right and, for rediss://, that its certificate is " +
      "trusted (DENO_CERT names a CA file); or remove gateway.store to run alone";
    return fail(`${(error as Error).message}; ${what}`, 1);
  }
}

/** Serves until /close, SIGINT or SIGTERM: logs, tracing, the gateway, then the listener while the backends start. */
async function serve(
  config: GatewayConfig,
  settings: Settings,
  warnings: string[],
  tls: TlsFiles | undefined,
  guardSetup: GuardedServers,
  parts: GatewayParts,
): Promise<void> {
  const destination = await startLogs(config, settings, warnings);
  const tracing = await startTracing(settings);
  const tools = new ToolsRegistry(destination.kind === "dir" ? destination.dir : undefined);
  announce(config, settings, guardSetup);
  const cluster = await clusterOrExit(settings, config.gateway.maxAgents);
  const gateway = await makeGateway(config, settings, guardSetup, tools, { ...parts, cluster });
  let server: ResilientServer | undefined;
  let stopping: Promise<never> | undefined;
  const stop = (code: number) =>
    stopping ??= (async (): Promise<never> => {
      if (code === 0) getLogger(["awmg", "shutdown"]).info("Shutting down");
      // Leave the replicas first, so they stop sending retries here while the calls in flight finish.
      await cluster?.leave();
      await gateway.close();
      await server?.shutdown();
      await cluster?.close();
      await tracing?.shutdown();
      await tools.flush();
      await stopLogging();
      Deno.exit(code);
    })();
  // From here a signal stops the gateway as /close does, during the servers' start too; a second one hurries it.
  await onStopSignals(() => stopping === undefined ? void stop(0) : gateway.hurry());
  // The HTTP app loads and the listener opens while the servers start; what clients send meanwhile waits.
  const started = gateway.start();
  const { hostname, port } = settings.listen;
  const { fetch } = await makeApp(config, settings, gateway, cluster, () => void stop(0));
  try {
    server = serveResilient(hostname, port, fetch, tls);
  } catch (error) {
    const what = tls === undefined ? `listen on ${hostname}:${port}` : `serve HTTPS on ${hostname}:${port}`;
    console.error(`Error: cannot ${what}: ${(error as Error).message}`);
    return await stop(1);
  }
  const failures = await started;
  parts.headStart?.abandon();
  // Closed by /close while it started: stop() is under way, and the servers it stopped did not fail.
  if (gateway.state !== "open") return;
  if (failures.length > 0) {
    reportStartFailures(failures, redactorOf(config, settings));
    return await stop(1);
  }
  const scheme = tls === undefined ? "http" : "https";
  try {
    await cluster?.join(`${scheme}://${reachableHost(hostname)}:${server.port}`);
  } catch (error) {
    console.error(`Error: cannot join the replicas: ${(error as Error).message}`);
    return await stop(1);
  }
  announceListening(settings, gateway, tools, server.port, scheme);
}

if (import.meta.main) {
  const invocation = parseCommandLine(Deno.args);
  switch (invocation.kind) {
    case "help": {
      const { commandHelp, rootHelp } = await import("./src/cli/help.ts");
      console.log(invocation.command === undefined ? rootHelp(env) : commandHelp(invocation.command));
      break;
    }
    case "version":
      console.log(`awmg version ${VERSION}`);
      break;
    case "completion": {
      const { completionScript } = await import("./src/cli/completion.ts");
      await Deno.stdout.write(new TextEncoder().encode(completionScript(invocation.shell)));
      break;
    }
    case "health": {
      const url = invocation.url ?? `http://127.0.0.1:${env("MCP_GATEWAY_PORT") || "3000"}/health`;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        console.log(await response.text());
        Deno.exit(response.status === 200 ? 0 : 1);
      } catch (error) {
        fail(`${url} did not answer: ${(error as Error).message}`, 1);
      }
      break;
    }
    case "error": {
      const help = invocation.command === undefined ? "awmg --help" : `awmg ${invocation.command} --help`;
      console.error(`Error: ${invocation.message}\nRun '${help}' for usage.`);
      Deno.exit(2);
      break;
    }
    case "proxy": {
      // The proxy's modules (its X.509 library among them) load only when it runs.
      const { parseProxyArgs, proxyHelp } = await import("./src/cli/proxy.ts");
      const parsed = await parseProxyArgs(invocation.args, env);
      if (parsed.kind === "help") console.log(proxyHelp());
      else if (parsed.kind === "error") {
        console.error(`Error: ${parsed.message}\nRun 'awmg proxy --help' for usage.`);
        Deno.exit(2);
      } else await (await import("./src/proxy/command.ts")).runProxy(parsed.settings, env);
      break;
    }
    case "pin":
      await run(invocation.options, { output: invocation.output, check: invocation.check });
      break;
    case "run":
      await run(invocation.options);
  }
}
