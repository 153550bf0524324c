/**
 * `awmg proxy` as gh-aw runs it: the gateway's program started with `proxy`, GitHub's real guard
 * (../shared/guards/github-guard), TLS made at start, in front of a local imitation of GitHub's REST and
 * GraphQL APIs. The clients are ones nobody here wrote: the `gh` CLI (Debian's package; its tests are ignored
 * where it is absent) and Octokit, each trusting the proxy's CA the way gh-aw makes them trust it.
 */
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { ROOT } from "../support/awmg.ts";
import { freePort } from "../support/gateway.ts";
import { githubImitation } from "../support/github_imitation.ts";
import { tempDir } from "../support/temp.ts";

const GUARD = `${ROOT}../shared/guards/github-guard/github_guard.wasm`;
const hasGuard = await Deno.stat(GUARD).then(() => true, () => false);
const hasGh = await new Deno.Command("gh", { args: ["--version"], stdout: "null", stderr: "null" }).output()
  .then((out) => out.success, () => false);
const e2e = { sanitizeOps: false, sanitizeResources: false };
const APPROVED = '{"allow-only":{"repos":"public","min-integrity":"approved"}}';

/** The flags of a proxy with GitHub's guard and an approved-only policy in front of the imitation at `api`. */
const guardedBy = (api: { url: string }, ...extra: string[]) => [
  "--guard-wasm",
  GUARD,
  "--policy",
  APPROVED,
  "--github-api-url",
  api.url,
  ...extra,
];

/** A running proxy: where it listens, its CA, what it printed, and how to stop it. */
interface RunningProxy {
  readonly url: string;
  readonly hostPort: string;
  readonly ca: string;
  readonly logDir: string;
  readonly stderr: () => string;
  stop(): Promise<Deno.CommandStatus>;
}

/** Starts `awmg proxy` as the image would (`deno run -P=gateway main.ts proxy ...`) and waits for its CA and /health. */
async function startProxy(args: string[], env: Record<string, string> = {}): Promise<RunningProxy> {
  const port = freePort();
  const logDir = `/tmp/gh-aw/proxy-test-${crypto.randomUUID()}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-P=gateway",
      `${ROOT}main.ts`,
      "proxy",
      "--listen",
      `127.0.0.1:${port}`,
      "--log-dir",
      logDir,
      ...args,
    ],
    env: { DENO_DIR: Deno.env.get("DENO_DIR") ?? "", DENO_TLS_CA_STORE: "system", ...env },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const decoder = new TextDecoder();
  const reading = child.stderr.pipeTo(
    new WritableStream({ write: (chunk) => void (stderr += decoder.decode(chunk)) }),
  );
  const ca = `${logDir}/proxy-tls/ca.crt`;
  const tls = args.includes("--tls");
  const client = tls ? Deno.createHttpClient({ caCerts: [] }) : undefined;
  for (let i = 0; i < 120; i++) {
    if (!tls || await Deno.stat(ca).then(() => true, () => false)) {
      const trusted = tls ? Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca)] }) : undefined;
      const ok = await fetch(`${tls ? "https" : "http"}://localhost:${port}/api/v3/health`, {
        client: trusted,
      })
        .then(async (r) => (await r.body?.cancel(), r.ok), () => false);
      trusted?.close();
      if (ok) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  client?.close();
  return {
    url: `${tls ? "https" : "http"}://localhost:${port}`,
    hostPort: `localhost:${port}`,
    ca,
    logDir,
    stderr: () => stderr,
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await reading;
      return status;
    },
  };
}

/** Runs gh against the proxy as gh-aw points it there: GH_HOST, the token, the CA in SSL_CERT_FILE. */
async function gh(
  proxy: RunningProxy,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = await tempDir("awmg-gh-");
  const out = await new Deno.Command("gh", {
    args,
    env: {
      GH_HOST: proxy.hostPort,
      GH_ENTERPRISE_TOKEN: "ghp_client_token",
      SSL_CERT_FILE: proxy.ca,
      GH_CONFIG_DIR: home,
      TMPDIR: home,
      HOME: home,
      GH_PROMPT_DISABLED: "1",
      GH_NO_UPDATE_NOTIFIER: "1",
      PATH: Deno.env.get("PATH") ?? "",
    },
    clearEnv: true,
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Octokit through the proxy, trusting its CA (as NODE_EXTRA_CA_CERTS makes Node trust it). */
async function octokit(proxy: RunningProxy): Promise<{ octokit: Octokit; close: () => void }> {
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(proxy.ca)] });
  const trusted: typeof fetch = (input, init) => fetch(input, { ...init, client });
  return {
    octokit: new Octokit({
      auth: "ghp_client_token",
      baseUrl: `${proxy.url}/api/v3`,
      request: { fetch: trusted },
    }),
    close: () => client.close(),
  };
}

Deno.test({
  name:
    "proxy with GitHub's guard: gh lists, views and calls the API through it; what the guard refuses never shows",
  ignore: !hasGuard || !hasGh,
  ...e2e,
  fn: async () => {
    const api = githubImitation();
    const proxy = await startProxy(
      guardedBy(api, "--tls", "--trusted-bots", "github-actions[bot],dependabot[bot]"),
      { GITHUB_TOKEN: "ghp_proxy_token" },
    );
    try {
      const repo = `${proxy.hostPort}/octo/public-repo`;
      const listed = await gh(proxy, "issue", "list", "-R", repo, "--json", "number,title");
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(JSON.parse(listed.stdout).map((i: { number: number }) => i.number), [1, 4]);
      const viewed = await gh(proxy, "issue", "view", "1", "-R", repo, "--json", "number,title");
      assert.deepEqual(JSON.parse(viewed.stdout), { number: 1, title: "Maintainer plan" });
      const refused = await gh(proxy, "issue", "view", "2", "-R", repo, "--json", "number,title");
      assert.notEqual(refused.code, 0, "a stranger's issue is refused");
      assert.match(
        refused.stderr,
        /HTTP 403: \[Filtered\] issue:octo\/public-repo#2 exists but is not accessible/,
      );
      assert.doesNotMatch(refused.stdout + refused.stderr, /Ignore previous instructions/);
      const prs = await gh(proxy, "pr", "list", "-R", repo, "--json", "number");
      assert.deepEqual(JSON.parse(prs.stdout).map((p: { number: number }) => p.number), [1, 4]);
      const rest = await gh(proxy, "api", "/repos/octo/public-repo/issues", "--jq", ".[].number");
      assert.deepEqual(rest.stdout.trim().split("\n"), ["1", "4"]);
      assert.equal(
        (await gh(proxy, "api", "/rate_limit", "--jq", ".resources.core.limit")).stdout.trim(),
        "5000",
      );
      const seen = api.seen.filter((request) => request.path === "/repos/octo/public-repo/issues");
      assert.equal(
        seen.at(-1)?.authorization,
        "ghp_client_token".replace(/^/, "token "),
        "the caller's token goes up",
      );
      assert.ok(
        api.seen.some((request) =>
          request.path === "/search/repositories" && request.authorization === "token ghp_proxy_token"
        ),
        "the guard's lookups use the proxy's token",
      );
    } finally {
      assert.equal((await proxy.stop()).code, 0, "SIGTERM stops the proxy with status 0");
      await api.close();
    }
    const jsonl = await Deno.readTextFile(`${proxy.logDir}/rpc-messages.jsonl`);
    assert.match(jsonl, /"event":"difc_decision"/);
    assert.match(
      await Deno.readTextFile(`${proxy.logDir}/proxy.log`),
      /Proxy listening on https:\/\/127\.0\.0\.1:\d+/,
    );
    assert.ok(!proxy.stderr().includes("ghp_proxy_token"), "the proxy's token is never printed");
  },
});

Deno.test({
  name:
    "proxy with GitHub's guard: Octokit REST and GraphQL, strict and filter, private repositories, 429, unknown GraphQL",
  ignore: !hasGuard,
  ...e2e,
  fn: async () => {
    const api = githubImitation();
    const strict = await startProxy(
      guardedBy(api, "--guards-mode", "strict", "--tls", "--tls-dns-name", "proxy.internal"),
      { GITHUB_TOKEN: "ghp_proxy_token" },
    );
    const { octokit: client, close } = await octokit(strict);
    try {
      const refused = await client.rest.issues.listForRepo({ owner: "octo", repo: "public-repo" }).catch((
        e,
      ) => e);
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.response.data, {
        error: "difc_forbidden",
        message: "DIFC policy violation: 2 of 4 items not accessible",
      });
      const one = await client.rest.issues.get({ owner: "octo", repo: "public-repo", issue_number: 1 });
      assert.equal(one.data.title, "Maintainer plan");
      const secret = await client.rest.issues.get({ owner: "octo", repo: "secret-repo", issue_number: 1 })
        .catch((e) => e);
      assert.equal(secret.status, 403, "repos=public may not read a private repository");
      const limited = await client.rest.issues.listForRepo({ owner: "octo", repo: "limited" }).catch((e) =>
        e
      );
      assert.equal(limited.status, 429);
      const wait = Number(limited.response.headers["retry-after"]);
      assert.ok(wait >= 1 && wait <= 31, `Retry-After ${wait}`);
      const unknown = await client.request("POST /graphql", { query: '{ enterprise(slug: "x") { id } }' })
        .catch((e) => e);
      assert.equal(unknown.status, 403);
      assert.deepEqual(unknown.response.data, {
        data: null,
        errors: [{ message: "access denied: unrecognized GraphQL operation" }],
      });
      const reflected = await (await fetch(`${strict.url}/reflect`, {
        client: Deno.createHttpClient({ caCerts: [await Deno.readTextFile(strict.ca)] }),
      })).json();
      assert.equal(reflected.mode, "strict");
      assert.ok("proxy" in reflected.agents);
      const ca = await Deno.stat(strict.ca);
      const key = await Deno.stat(`${strict.logDir}/proxy-tls/server.key`);
      assert.equal(ca.mode! & 0o777, 0o644);
      assert.equal(key.mode! & 0o777, 0o600, "the key is readable by its owner only");
    } finally {
      close();
      await strict.stop();
    }

    const filter = await startProxy(guardedBy(api, "--guards-mode", "filter", "--tls"), {
      GITHUB_TOKEN: "ghp_proxy_token",
    });
    const { octokit: filtered, close: closeFiltered } = await octokit(filter);
    try {
      const listed = await filtered.rest.issues.listForRepo({ owner: "octo", repo: "public-repo" });
      assert.deepEqual(listed.data.map((issue) => issue.number), [1, 4]);
      const searched = await filtered.rest.search.issuesAndPullRequests({ q: "repo:octo/public-repo" });
      assert.equal(searched.data.total_count, 2, "the search envelope is recounted");
      assert.deepEqual(searched.data.items.map((item) => item.number), [1, 4]);
      const graphql = await filtered.graphql<
        { repository: { issues: { totalCount: number; nodes: { number: number }[] } } }
      >(
        "query($owner: String!, $repo: String!) { repository(owner: $owner, name: $repo) { issues(first: 10) { totalCount nodes { number title } } } }",
        { owner: "octo", repo: "public-repo" },
      );
      assert.deepEqual(graphql.repository.issues.nodes.map((node) => node.number), [1, 4]);
      assert.equal(graphql.repository.issues.totalCount, 2, "totalCount is rewritten");
      const sent = api.seen.filter((request) => request.path === "/graphql").length;
      assert.ok(sent >= 1);
      const created = await filtered.rest.issues.create({ owner: "octo", repo: "public-repo", title: "x" })
        .catch((e) => e);
      assert.equal(created.status, 200, created.message);
      assert.ok(
        api.seen.some((request) =>
          request.method === "POST" && request.path === "/repos/octo/public-repo/issues"
        ),
        "a write is forwarded unjudged",
      );
    } finally {
      closeFiltered();
      await filter.stop();
      await api.close();
    }
  },
});

Deno.test({
  name:
    "proxy: without a policy judged requests are 503; bad flags and a DNS name that is an IP stop the start",
  ignore: !hasGuard,
  ...e2e,
  fn: async () => {
    const api = githubImitation();
    const open = await startProxy(["--guard-wasm", GUARD, "--github-api-url", api.url]);
    try {
      const judged = await fetch(`${open.url}/repos/octo/public-repo/issues`);
      assert.equal(judged.status, 503);
      assert.deepEqual(await judged.json(), {
        error: "service_unavailable",
        message: "proxy enforcement not configured",
      });
      // A raw request: fetch does not let a caller name another Host.
      const connection = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(open.url).port) });
      await connection.write(
        new TextEncoder().encode(
          "GET /rate_limit HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
        ),
      );
      const answer = await new Response(connection.readable).text();
      assert.match(answer, /^HTTP\/1\.1 403/, "a foreign Host is refused (DNS rebinding)");
    } finally {
      await open.stop();
      await api.close();
    }
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-P=gateway", `${ROOT}main.ts`, "proxy", "--guard-wasm", GUARD, ...args],
        stdout: "null",
        stderr: "piped",
      }).output();
      return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
    };
    const ip = await run("--tls", "--tls-dns-name", "10.0.0.1", "--log-dir", "/tmp/gh-aw/proxy-test-ip");
    assert.equal(ip.code, 1);
    assert.match(ip.stderr, /--tls-dns-name "10\.0\.0\.1" is an IP address/);
    const noTls = await run("--tls-dns-name", "proxy.internal");
    assert.equal(noTls.code, 2);
    assert.match(noTls.stderr, /--tls-dns-name requires --tls/);
    const sink = await run(
      "--policy",
      '{"write-sink":{"accept":["*"]}}',
      "--log-dir",
      "/tmp/gh-aw/proxy-test-sink",
    );
    assert.equal(sink.code, 1);
    assert.match(sink.stderr, /write-sink policies are not supported by the proxy/);
  },
});
