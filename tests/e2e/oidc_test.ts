/**
 * GitHub Actions OIDC to a remote server, end to end: a fake Actions token endpoint and a remote MCP server
 * that checks the bearer token and its audience, both on loopback.
 */
import assert from "node:assert/strict";
import { runAwmg } from "../support/awmg.ts";
import { tempFile } from "../support/temp.ts";
import { startGateway, text } from "../support/gateway.ts";
import { fakeRemote, textResult } from "../support/remote.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const REQUEST_TOKEN = "actions-request-token-5521";

const base64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

/** The Actions token endpoint: checks the request token, issues JWTs for the audience asked for. */
function tokenEndpoint(lifetimeSeconds: number) {
  const issued: { audience: string; token: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (request.headers.get("authorization") !== `Bearer ${REQUEST_TOKEN}`) {
      return new Response(null, { status: 403 });
    }
    const audience = new URL(request.url).searchParams.get("audience") ?? "";
    const exp = Math.floor(Date.now() / 1000) + lifetimeSeconds;
    const token = `${base64url({ alg: "none" })}.${base64url({ aud: audience, exp, n: issued.length })}.sig`;
    issued.push({ audience, token });
    return Response.json({ value: token });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/token`, issued, close: () => server.shutdown() };
}

/** A remote MCP server that accepts only the latest token issued for its audience, unless told to refuse it. */
function guardedServer(endpoint: ReturnType<typeof tokenEndpoint>, audience: string) {
  const state = { refuse: "" };
  const remote = fakeRemote({
    tool: "whoami",
    call: () => textResult(`audience ${audience}`),
    screen: (request) => {
      const bearer = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
      const latest = endpoint.issued.filter((i) => i.audience === audience).at(-1)?.token;
      return bearer !== latest || bearer === state.refuse
        ? new Response("bad token", { status: 401 })
        : undefined;
    },
  });
  return { ...remote, state };
}

const whoami = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } };

Deno.test(
  "github-oidc: the bearer token for the audience, cached, renewed before exp and after a 401",
  e2e,
  async () => {
    const endpoint = tokenEndpoint(64);
    const remote = guardedServer(endpoint, "api://mcp-test");
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const gateway = await startGateway({
      toml:
        `[servers.remote]\ntype = "http"\nurl = "${remote.url}"\nauth = { type = "github-oidc", audience = "api://mcp-test" }\n`,
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN },
      args: ["--log-dir", logDir, "-vvv"],
    });
    try {
      const call = async () => text((await (await gateway.post("/mcp/remote", whoami)).json()).result);
      assert.equal(await call(), "audience api://mcp-test");
      assert.deepEqual(
        endpoint.issued.map((i) => i.audience),
        ["api://mcp-test"],
        "one token for the handshake and the call",
      );
      await new Promise((resolve) => setTimeout(resolve, 4100));
      assert.equal(await call(), "audience api://mcp-test");
      assert.equal(endpoint.issued.length, 2, "renewed once it came within a minute of exp");
      remote.state.refuse = endpoint.issued[1].token;
      assert.equal(await call(), "audience api://mcp-test", "a 401 fetches a new token and retries once");
      assert.equal(endpoint.issued.length, 3);
    } finally {
      await gateway.stop();
      await remote.close();
      await endpoint.close();
    }
    // Neither the request token nor any issued token, in any log file or on stderr (at -vvv).
    const places: [string, string][] = [["stderr", gateway.stderr]];
    for await (const entry of Deno.readDir(logDir)) {
      places.push([entry.name, await Deno.readTextFile(`${logDir}/${entry.name}`)]);
    }
    const tokens = [REQUEST_TOKEN, ...endpoint.issued.map((issued) => issued.token)];
    const leaks = places.flatMap(([place, content]) =>
      tokens.filter((token) => content.includes(token)).map((token) => `${token.slice(0, 12)}... in ${place}`)
    );
    assert.deepEqual(leaks, []);
    assert.ok(places.length > 4, "the log files were read");
  },
);

Deno.test("github-oidc without the Actions variables is a startup error naming them", async () => {
  const config = await tempFile(
    '[servers.remote]\ntype = "http"\nurl = "http://127.0.0.1:9/mcp"\nauth = { type = "github-oidc" }\n',
    ".toml",
  );
  const run = await runAwmg(["--config", config, "--no-auth"], {
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: "", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "" },
  });
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /servers\.remote\.auth: github-oidc auth needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which are not set/,
  );
});

Deno.test("a token endpoint that refuses fails the start clearly, without its request token", async () => {
  const endpoint = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(null, { status: 403 }),
  );
  const config = await tempFile(
    `[servers.remote]\ntype = "http"\nurl = "http://127.0.0.1:${endpoint.addr.port}/mcp"\nauth = { type = "github-oidc" }\n`,
    ".toml",
  );
  try {
    const run = await runAwmg(["--config", config, "--no-auth", "--listen", "127.0.0.1:0"], {
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${endpoint.addr.port}/token`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      },
    });
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /cannot get an OIDC token for http:\/\/127\.0\.0\.1:\d+\/mcp: the OIDC token endpoint answered HTTP 403/,
    );
    assert.ok(!run.stdout.includes(REQUEST_TOKEN) && !run.stderr.includes(REQUEST_TOKEN));
  } finally {
    await endpoint.shutdown();
  }
});
