/**
 * `awmg proxy` run: logs, the guard and its agent, the certificates (written once the guard is up, so a
 * caller that waits for `ca.crt` finds a proxy that judges), the server, and the stop on SIGTERM/SIGINT, in
 * the Go proxy's order and with its startup lines. Any failure is one line and exit status 1.
 */
import { getLogger } from "@logtape/logtape";
import type { ProxySettings } from "../cli/proxy.ts";
import { type AllowOnlyPolicy, parsePolicy, publicScope } from "../config/policy.ts";
import { forcedPublicScope } from "../github/force_public.ts";
import { WasmGuardHost } from "../guards/host.ts";
import { agentPayload } from "../guards/registry.ts";
import { WasmGuard } from "../guards/wasm_guard.ts";
import { originPolicy, requestHost } from "../http/origin.ts";
import { setupLogging, stopLogging } from "../observability/logging.ts";
import { makeRedactor } from "../observability/redact.ts";
import { proxyHandler } from "./handler.ts";
import { ProxyJudge } from "./judge.ts";
import { dnsNameProblem, generateTls, type ProxyTls } from "./tls.ts";
import { GithubUpstream, UPSTREAM_TIMEOUT_MS } from "./upstream.ts";

/** The limits of the proxy's HTTP side. */
const LIMITS = { maxJudgedBytes: 32 * 1024 * 1024, maxBodyBytes: 1024 * 1024, bodyTimeoutMs: 30_000 };

/** A failure of the start, said in one line. */
class StartFailure extends Error {}

/** The allow-only policy of `--policy`, or the reason it is not one. */
function allowOnly(text: string): AllowOnlyPolicy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StartFailure(`invalid --policy JSON: ${(error as Error).message}`);
  }
  const issues: { path: string; message: string }[] = [];
  const policy = parsePolicy(value, "policy", issues);
  if (policy === undefined) {
    throw new StartFailure(`invalid --policy: ${issues.map((i) => i.message).join("; ")}`);
  }
  if (policy.kind !== "allow-only") {
    throw new StartFailure(
      "invalid --policy: write-sink policies are not supported by the proxy; expected an allow-only policy",
    );
  }
  return policy;
}

/** What a caller is told to use to reach the proxy. */
function clientAddress(hostname: string, port: number): string {
  const host = hostname === "0.0.0.0" || hostname === "::" ? "localhost" : hostname;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function banner(
  settings: ProxySettings,
  mode: string,
  address: string,
  scheme: string,
  tls?: ProxyTls,
): string {
  const lines = [
    "",
    "MCPG GitHub API Proxy",
    `  Listening: ${scheme}://${address}`,
    `  Upstream:  ${settings.apiUrl}`,
    `  Mode:      ${mode}`,
    `  Guard:     ${settings.guardWasm}`,
  ];
  if (tls === undefined) {
    return [...lines, "", "Connect with:", `  curl http://${address}/repos/org/repo/issues`, ""].join("\n");
  }
  return [
    ...lines,
    `  CA cert:   ${tls.caPath}`,
    "",
    "Connect with:",
    `  export GH_HOST=${address}`,
    `  export NODE_EXTRA_CA_CERTS=${tls.caPath}`,
    `  export SSL_CERT_FILE=${tls.caPath}`,
    `  export GIT_SSL_CAINFO=${tls.caPath}`,
    "  gh issue list -R org/repo",
    "",
  ].join("\n");
}

/** Starts the guard and its agent with the policy, narrowed to public repositories when forcePublicRepos says. */
async function startJudge(
  settings: ProxySettings,
  upstream: GithubUpstream,
  env: (name: string) => string | undefined,
): Promise<ProxyJudge | undefined> {
  const log = getLogger(["awmg", "startup"]);
  if (settings.policy === undefined) {
    log.warn("No --policy: judged requests are answered 503 (proxy enforcement not configured)");
    return undefined;
  }
  const configured = allowOnly(settings.policy);
  const scope = await forcedPublicScope(settings.forcePublicRepos, env, {
    apiUrl: upstream.apiUrl,
    token: settings.token,
  });
  if (scope.warning !== undefined) log.warn(scope.warning);
  const policy = scope.publicRepository === undefined ? configured : publicScope(configured);
  const host = await WasmGuardHost.load("github", settings.guardWasm).catch((error) => {
    throw new StartFailure((error as Error).message);
  });
  const guard = new WasmGuard(host, agentPayload(policy, settings.trustedBots, settings.trustedUsers));
  try {
    return await ProxyJudge.start(guard, {
      mode: settings.mode,
      modeChosen: settings.modeChosen,
      timeoutMs: UPSTREAM_TIMEOUT_MS,
      backend: upstream.backend(null),
    });
  } catch (error) {
    guard.close();
    throw new StartFailure(`the guard could not label the proxy's agent: ${(error as Error).message}`);
  }
}

/** Runs the proxy until SIGTERM or SIGINT; exits 1 with one line when it cannot start. */
export async function runProxy(
  settings: ProxySettings,
  env: (name: string) => string | undefined,
): Promise<void> {
  const problem = settings.tls?.dnsNames.map(dnsNameProblem).find((p) => p !== undefined);
  if (problem !== undefined) {
    console.error(`Error: ${problem}`);
    Deno.exit(1);
  }
  await startLogs(settings, env);
  const log = getLogger(["awmg", "startup"]);
  const fail = async (message: string): Promise<never> => {
    log.error("Proxy failed to start: {message}", { message });
    await stopLogging();
    console.error(`Error: ${message}`);
    Deno.exit(1);
  };
  log.info("MCPG Proxy starting: listen={listen}, guard={guard}, mode={mode}, tls={tls}", {
    listen: clientAddress(settings.listen.hostname, settings.listen.port),
    guard: settings.guardWasm,
    mode: settings.mode,
    tls: settings.tls !== undefined,
  });
  const upstream = new GithubUpstream(settings.apiUrl, settings.token);
  log.info("Upstream GitHub API URL: {url}", { url: upstream.apiUrl });
  let judge: ProxyJudge | undefined;
  let tls: ProxyTls | undefined;
  try {
    judge = await startJudge(settings, upstream, env);
    if (settings.tls !== undefined) tls = await generateTls(settings.tls.dir, settings.tls.dnsNames);
  } catch (error) {
    return await fail((error as Error).message);
  }
  const handle = proxyHandler({ upstream, ...(judge === undefined ? {} : { judge }), ...LIMITS });
  const scheme = tls === undefined ? "http" : "https";
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: settings.listen.hostname,
      port: settings.listen.port,
      ...(tls === undefined ? {} : { cert: tls.cert, key: tls.key }),
      onListen: () => {},
    }, behindOriginCheck(settings, handle));
  } catch (error) {
    return await fail(
      `cannot listen on ${settings.listen.hostname}:${settings.listen.port}: ${(error as Error).message}`,
    );
  }
  const address = clientAddress(settings.listen.hostname, server.addr.port);
  log.info("Proxy listening on {scheme}://{address}", { scheme, address });
  console.error(banner(settings, judge?.mode ?? settings.mode, address, scheme, tls));
  stopOnSignals(server, judge);
}

/** proxy.log and the rest of the log directory; only the token is redacted, as the proxy holds no other. */
async function startLogs(settings: ProxySettings, env: (name: string) => string | undefined): Promise<void> {
  await setupLogging({
    logDir: settings.logDir,
    serverIds: [],
    verbosity: 0,
    debug: env("DEBUG"),
    colors: env("DEBUG_COLORS") !== "0" && Deno.stderr.isTerminal(),
    redact: makeRedactor(settings.token === undefined ? [] : [settings.token]),
    maxSize: 10 * 1024 * 1024,
    summaryBudget: 900 * 1024,
    mainLog: "proxy.log",
  });
}

/** The handler behind DNS-rebinding protection: a Host or Origin the proxy does not serve gets 403. */
function behindOriginCheck(
  settings: ProxySettings,
  handle: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  const origins = originPolicy({
    listenHost: settings.listen.hostname,
    domain: "localhost",
    allowedHosts: ["host.docker.internal", ...(settings.tls?.dnsNames ?? [])],
    allowedOrigins: [],
  });
  return (request) => {
    const refused = origins(requestHost(request), request.headers.get("origin"));
    if (refused === undefined) return handle(request);
    return Promise.resolve(Response.json(
      {
        error: "forbidden",
        message: `${refused.header} ${JSON.stringify(refused.value)} is not accepted by the proxy`,
      },
      { status: 403 },
    ));
  };
}

/** SIGINT and SIGTERM stop the listener, the guard and the logs, once. */
function stopOnSignals(server: Deno.HttpServer, judge: ProxyJudge | undefined): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    getLogger(["awmg", "shutdown"]).info("Shutting down proxy...");
    await server.shutdown();
    judge?.close();
    await stopLogging();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => void stop());
}
