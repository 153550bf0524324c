/**
 * Security mutants: one-line changes that each break one guarantee of SECURITY.md, and the tests that must
 * then fail. `deno task mutants` applies them one at a time to a copy of the project. Add one whenever a new
 * guarantee lands.
 */

/** One change to the code, the guarantee it breaks, and the tests that must catch it. */
export interface Mutant {
  readonly id: string;
  /** The file to change, from the project's root. */
  readonly file: string;
  /** Text that occurs exactly once in the file. */
  readonly find: string;
  readonly replace: string;
  /** The guarantee the change breaks. */
  readonly breaks: string;
  /** Test files, from the project's root, and a filter on their tests' names (as `deno test --filter`). */
  readonly tests: readonly string[];
  readonly filter?: string;
}

const SECURITY = "tests/e2e/security_test.ts";
const GUARDS = "tests/e2e/guards_test.ts";

/** The mutants, by the guarantee they break, in SECURITY.md's order. */
export const MUTANTS: readonly Mutant[] = [
  // A web page cannot drive the gateway.
  {
    id: "host-unchecked",
    file: "src/http/origin.ts",
    find: "    if (!hostAllowed(host)) {",
    replace: "    if (false) {",
    breaks: "a foreign Host is refused (DNS rebinding)",
    tests: ["tests/http/origin_test.ts", SECURITY],
    filter: "/origin policy|DNS rebinding/",
  },
  {
    id: "origin-unchecked",
    file: "src/http/origin.ts",
    find: "    if (origin !== null && !originAllowed(origin)) {",
    replace: "    if (false) {",
    breaks: "a foreign Origin is refused",
    tests: ["tests/http/origin_test.ts", SECURITY],
    filter: "/origin policy|DNS rebinding/",
  },
  {
    id: "health-unchecked",
    file: "src/http/app.ts",
    find: 'app.get("/health", (c) => {\n    const refused = originRefusal(c);',
    replace: 'app.get("/health", (c) => {\n    const refused = undefined;',
    breaks: "every endpoint, /health included, checks Host and Origin",
    tests: [SECURITY],
    filter: "DNS rebinding",
  },
  // No unauthenticated access by default.
  {
    id: "auth-missing-header-passes",
    file: "src/http/auth.ts",
    find: '    if (header === undefined) return { kind: "missing" };',
    replace: '    if (header === undefined) return { kind: "ok", identity: 0 };',
    breaks: "a request without a key is refused",
    tests: ["tests/http/auth_test.ts", SECURITY],
    filter: "/auth accepts|auth on by default/",
  },
  {
    id: "auth-early-exit",
    file: "src/http/auth.ts",
    find: "    difference |= expected.charCodeAt(i) ^ (presented.charCodeAt(i) | 0);",
    replace: "    if (expected.charCodeAt(i) !== presented.charCodeAt(i)) return false;",
    breaks: "keys are compared in constant time",
    tests: ["tests/http/auth_test.ts"],
    filter: "constant time",
  },
  {
    id: "generated-key-short",
    file: "src/cli/settings.ts",
    find: "crypto.getRandomValues(new Uint8Array(32))",
    replace: "crypto.getRandomValues(new Uint8Array(4))",
    breaks: "the generated key has 256 bits",
    tests: [SECURITY],
    filter: "auth on by default",
  },
  {
    id: "no-auth-beside-a-key",
    file: "src/cli/settings.ts",
    find: "  if (options.noAuth && configuredKeys !== undefined) {",
    replace: "  if (false) {",
    breaks: "--no-auth conflicts with a configured key",
    tests: ["tests/cli/settings_test.ts"],
    filter: "auth is on by default",
  },
  {
    id: "session-any-key",
    file: "src/http/app.ts",
    find: "session.endpoint === endpointOf(c) && session.identity === identity",
    replace: "session.endpoint === endpointOf(c)",
    breaks: "a session belongs to the API key that opened it",
    tests: [SECURITY],
    filter: "a session belongs",
  },
  {
    id: "session-any-endpoint",
    file: "src/http/app.ts",
    find: "session.endpoint === endpointOf(c) && session.identity === identity",
    replace: "session.identity === identity",
    breaks: "a session belongs to the endpoint that opened it",
    tests: [SECURITY],
    filter: "a session belongs",
  },
  // Keys and secrets stay out of logs, argv and errors.
  {
    id: "redactor-without-keys",
    file: "main.ts",
    find: "    ...settings.apiKeys,\n",
    replace: "",
    breaks: "API keys are redacted in every log",
    tests: [SECURITY],
    filter: "secrets stay out",
  },
  {
    id: "log-lines-unredacted",
    file: "src/observability/logging.ts",
    find: '      text = formatted === "" ? "" : redact(formatted);',
    replace: "      text = formatted;",
    breaks: "log lines that are not RPC payloads (a backend's stderr, the gateway's own) are redacted",
    tests: [SECURITY],
    filter: "secrets stay out",
  },
  {
    id: "rpc-payloads-unredacted",
    file: "src/observability/format.ts",
    find: "      ? redact(text)",
    replace: "      ? text",
    breaks: "RPC payloads are redacted in every log",
    tests: [SECURITY, "tests/e2e/logs_test.ts"],
    filter: "/secrets stay out|five files/",
  },
  {
    id: "decisions-unredacted",
    file: "src/observability/logging.ts",
    find: "        jsonl.append(redact(decisionJsonLine(facts, at)));",
    replace: "        jsonl.append(decisionJsonLine(facts, at));",
    breaks: "DIFC decision records are redacted",
    tests: [GUARDS],
    filter: "a secret in a guarded",
  },
  {
    id: "filtered-unredacted",
    file: "src/observability/logging.ts",
    find: "      filtered: (facts, at) => jsonl.append(redact(filteredJsonLine(facts, at))),",
    replace: "      filtered: (facts, at) => jsonl.append(filteredJsonLine(facts, at)),",
    breaks: "records of filtered items are redacted",
    tests: [GUARDS],
    filter: "a secret in a guarded",
  },
  {
    id: "docker-env-on-argv",
    file: "src/backends/docker.ts",
    find: '    ...env.flatMap((entry) => ["-e", entry.name]),',
    replace:
      '    ...env.flatMap((entry) => ["-e", "value" in entry ? `${entry.name}=${entry.value}` : entry.name]),',
    breaks: "env values reach docker through its environment, never its argv",
    tests: ["tests/backends/docker_test.ts"],
  },
  // A backend gets only what its config names.
  {
    id: "child-inherits-token",
    file: "src/backends/launch.ts",
    find: '  : ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];',
    replace: '  : ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "GITHUB_TOKEN"];',
    breaks: "a child inherits only the documented basics",
    tests: [SECURITY],
    filter: "a backend sees only",
  },
  {
    id: "child-env-not-cleared",
    file: "src/backends/stdio.ts",
    find: "      clearEnv: true,",
    replace: "      clearEnv: false,",
    breaks: "a child starts with a cleared environment",
    tests: [SECURITY],
    filter: "a backend sees only",
  },
  // Policy that cannot be enforced is an error.
  {
    id: "response-filters-accepted",
    file: "src/config/validate.ts",
    find: '...policies.map((key) => unenforced(joinPath(path, key), "tool response filters (jq)")),',
    replace: "...[],",
    breaks: "tool_response_filters, which awmg does not enforce, is refused",
    tests: ["tests/config/load_test.ts"],
    filter: "security policy awmg cannot enforce",
  },
  {
    id: "unknown-keys-accepted",
    file: "src/config/validate.ts",
    find: "  return Object.keys(object).filter((key) => !known.includes(key)).map((key) => {",
    replace: "  return Object.keys(object).filter(() => false).map((key) => {",
    breaks: "an unknown key, such as a typo of a security setting, stops the start",
    tests: ["tests/config/load_test.ts", "tests/config/go_parity_test.ts"],
    filter: "/unknown|unrecognized|Unknown/",
  },
  {
    id: "force-public-repos-accepted",
    file: "src/config/validate.ts",
    find: "  if (g.forcePublicRepos === true) {",
    replace: "  if (false) {",
    breaks: "forcePublicRepos = true, which awmg does not enforce, is refused",
    tests: ["tests/config/load_test.ts"],
  },
  {
    id: "policy-without-module",
    file: "src/guards/registry.ts",
    find: "          `${where} has an allow-only policy but no guard module to enforce it; looked in ${",
    replace:
      "          false && `${where} has an allow-only policy but no guard module to enforce it; looked in ${",
    breaks: "a policy with no guard module to enforce it stops the start",
    tests: [GUARDS],
    filter: "stops the start",
  },
  {
    id: "unenforced-variables-ignored",
    file: "src/cli/settings.ts",
    find: "  if (unenforced.length > 0) {",
    replace: "  if (false) {",
    breaks: "MCP_GATEWAY_CA_CERT and MCP_GATEWAY_HMAC_SECRET stop the start",
    tests: ["tests/cli/settings_test.ts"],
    filter: "variables that ask for protection",
  },
  // Guard policies hold.
  {
    id: "denied-write-forwarded",
    file: "src/difc/decide.ts",
    find:
      '  if (verdict.decision === "deny" && labelled.operation !== "read") return { kind: "refuse", verdict };',
    replace: '  if (false) return { kind: "refuse", verdict };',
    breaks: "a write the agent's labels forbid never reaches the server",
    tests: [GUARDS, "tests/difc/decide_test.ts"],
    filter: "/never reaches|propagate|write/",
  },
  {
    id: "read-integrity-ignored",
    file: "src/difc/labels.ts",
    find: "  const integrityToDrop = lacking(resource.integrity, agent.integrity);",
    replace: "  const integrityToDrop: string[] = [];",
    breaks: "an agent cannot read below its integrity",
    tests: ["tests/difc/labels_test.ts", GUARDS],
    filter: "/example|strict refuses/",
  },
  {
    id: "write-sink-public-accepts",
    file: "src/guards/builtin.ts",
    find: "    this.#secrecy = this.#public ? [] : accept;",
    replace: "    this.#secrecy = accept;",
    breaks: "a public write sink refuses any secrecy",
    tests: [GUARDS],
    filter: "write-sink",
  },
  // A failing guard fails closed.
  {
    id: "resource-failure-allows",
    file: "src/guards/wasm_guard.ts",
    find: '      await this.#call("label_resource", input, context),',
    replace: '      await this.#call("label_resource", input, context).catch(() =>\n' +
      '        \'{"resource":{"description":"x","secrecy":[],"integrity":[]},"operation":"read"}\'),',
    breaks: "a guard that fails in label_resource refuses the call",
    tests: [GUARDS],
    filter: "fails closed",
  },
  {
    id: "response-failure-shows",
    file: "src/gateway/guarded.ts",
    find: "        } catch (error) {\n          return this.#failed(serverId, tool, error);\n        }",
    replace: "        } catch {\n          labeled = undefined;\n        }",
    breaks: "a guard that fails in label_response never shows the result",
    tests: [GUARDS],
    filter: "label_response traps",
  },
  {
    id: "guard-memory-unbounded",
    file: "src/guards/worker.ts",
    find: "      if (guest.memory.buffer.byteLength > maxMemory) {",
    replace: "      if (false) {",
    breaks: "a guard's memory is bounded",
    tests: [GUARDS],
    filter: "fails closed",
  },
  {
    id: "guard-output-unbounded",
    file: "src/guards/worker.ts",
    find: "        if (outSize > MAX_OUTPUT) {",
    replace: "        if (false) {",
    breaks: "a guard's output buffer is bounded",
    tests: [GUARDS],
    filter: "fails closed",
  },
  {
    id: "trapped-instance-reused",
    file: "src/guards/worker.ts",
    find: "      if (trapped) own.failed =",
    replace: "      if (false) own.failed =",
    breaks: "a trapped instance is retired",
    tests: [GUARDS],
    filter: "fails closed",
  },
  {
    id: "looping-guard-kept",
    file: "src/guards/host.ts",
    find: "        if (call.waiting === 0) {",
    replace: "        if (false) {",
    breaks: "a looping guard's worker is terminated and restarted",
    tests: [GUARDS],
    filter: "fails closed",
  },
  {
    id: "guard-sleeps-past-bound",
    file: "src/guards/wasi.ts",
    find: "  if (ms > left) {",
    replace: "  if (false) {",
    breaks: "a guard cannot sleep past its call's time bound",
    tests: [GUARDS],
    filter: "fails closed",
  },
  // One client cannot answer, read or forge another's messages.
  {
    id: "splice-second-id",
    file: "src/jsonrpc/splice.ts",
    find: '  if (text.endsWith(tail) && text[at - 1] === "," && text.indexOf(ID) === at) {',
    replace: '  if (text.endsWith(tail) && text[at - 1] === ",") {',
    breaks: "the backend receives exactly one id, the gateway's",
    tests: ["tests/jsonrpc/splice_test.ts", SECURITY],
    filter: "/id|message integrity/",
  },
  {
    id: "tool-call-without-name",
    file: "src/gateway/params.ts",
    find: 'const name = v.pipe(v.string("a string"), v.nonEmpty("a non-empty string"));',
    replace: 'const name = v.optional(v.string("a string"));',
    breaks: "a malformed tools/call gets -32602 before anything is forwarded",
    tests: [SECURITY],
    filter: "message integrity",
  },
  {
    id: "relay-guesses-session",
    file: "src/gateway/upstream.ts",
    find: "    if (callers.size > 1) {",
    replace: "    if (false) {",
    breaks: "a server-to-client request is relayed only when one session can have caused it",
    tests: ["tests/e2e/passthrough_test.ts"],
  },
  // A hostile backend cannot exhaust the gateway.
  {
    id: "line-unbounded",
    file: "src/jsonrpc/framer.ts",
    find: "          if (size > limit) yield oversized(pieces[0] ?? rest);",
    replace: "          if (false) yield oversized(pieces[0] ?? rest);",
    breaks: "a backend line over maxMessageSize fails at the limit",
    tests: ["tests/jsonrpc/framer_test.ts", SECURITY],
    filter: "/limit|hostile backends/",
  },
  {
    id: "stdin-unbounded",
    file: "src/backends/stdio.ts",
    find: "    if (this.#unsent > 0 && this.#unsent + text.length > this.#maxUnsent) {",
    replace: "    if (false) {",
    breaks: "a backend that stops reading gets its own calls refused past maxUnsentBytes",
    tests: [SECURITY],
    filter: "hostile backends",
  },
  {
    id: "listings-uncoalesced",
    file: "src/backends/connection.ts",
    find: "    if (this.#listing === undefined) {",
    replace: "    if (true) {",
    breaks: "endless tools/list_changed get one listing at a time",
    tests: [SECURITY],
    filter: "hostile backends",
  },
  // A slow or absent client cannot exhaust the gateway.
  {
    id: "sse-unbounded",
    file: "src/http/sse.ts",
    find: "    if (unsent > 0 && unsent + bytes.byteLength > maxUnsent) {",
    replace: "    if (false) {",
    breaks: "an SSE client that does not read is disconnected past maxUnsentBytes",
    tests: [SECURITY, "tests/http/sse_test.ts"],
    filter: "/never reads|unread|unsent/",
  },
  {
    id: "sessions-unbounded",
    file: "src/gateway/session.ts",
    find: "    if (this.#sessions.size >= this.#max && !this.#evictIdle()) return false;",
    replace: "    if (false) return false;",
    breaks: "sessions are bounded by maxSessions",
    tests: [SECURITY, "tests/gateway/session_test.ts"],
    filter: "/bound/",
  },
  {
    id: "body-waits-forever",
    file: "src/http/body.ts",
    find: "      if (Date.now() >= deadline) {",
    replace: "      if (false) {",
    breaks: "a body that does not arrive in time gets 408",
    tests: [SECURITY],
    filter: "408",
  },
  {
    id: "capabilities-kept-whole",
    file: "src/gateway/session.ts",
    find: "    this.#capabilities = capabilityBits(capabilities);",
    replace:
      "    this.#capabilities = capabilityBits(capabilities);\n    (this as unknown as { kept: unknown }).kept = capabilities;",
    breaks: "a session does not keep what its client declared, which the client could make megabytes",
    tests: ["tests/gateway/session_test.ts"],
    filter: "a session keeps which capabilities",
  },
  // Upstream credentials stay secret.
  {
    id: "oidc-token-logged",
    file: "src/backends/oidc.ts",
    find: "    const expiry = jwtExpiry(value);",
    replace:
      '    (await import("@logtape/logtape")).getLogger(["awmg", "backend"]).debug("OIDC token {token}", ' +
      "{ token: value });\n    const expiry = jwtExpiry(value);",
    breaks: "OIDC tokens are never logged",
    tests: ["tests/e2e/oidc_test.ts"],
    filter: "bearer token",
  },
  {
    id: "sse-endpoint-any-origin",
    file: "src/backends/legacy_sse.ts",
    find: "    if (endpoint.origin !== new URL(url).origin) {",
    replace: "    if (false) {",
    breaks: "an HTTP+SSE server may only name an endpoint on its own origin",
    tests: ["tests/e2e/http_backend_test.ts"],
    filter: "another origin",
  },
];
