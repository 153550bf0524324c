/**
 * Where the GitHub API is, as the Go gateway's `internal/envutil/github_test.go` states it (each case names
 * its Go test), and a repository's visibility asked of a local imitation of the API, hostile answers
 * included.
 */
import assert from "node:assert/strict";
import { apiUrlOfServer, githubApiUrl, githubToken } from "../../src/github/api.ts";
import { repoVisibility } from "../../src/github/visibility.ts";
import { githubApi } from "../support/github_api.ts";

Deno.test("Go: TestDeriveAPIFromServerURL", () => {
  const cases: [string, string | undefined][] = [
    ["https://github.com", "https://api.github.com"],
    ["https://www.github.com", "https://api.github.com"],
    ["https://mycompany.ghe.com", "https://api.mycompany.ghe.com"],
    ["https://github.mycompany.com", "https://github.mycompany.com/api/v3"],
    ["https://mycompany.ghe.com:8443", "https://api.mycompany.ghe.com:8443"],
    ["https://api.mycompany.ghe.com", "https://api.mycompany.ghe.com"],
    ["https://api.mycompany.ghe.com:8443", "https://api.mycompany.ghe.com:8443"],
    ["https://github.example.com:8443", "https://github.example.com:8443/api/v3"],
    ["not-a-url", undefined],
    ["//github.example.com", undefined],
    ["ftp://github.example.com", undefined],
  ];
  for (const [server, api] of cases) assert.equal(apiUrlOfServer(server), api, server);
});

Deno.test("Go: TestDeriveGitHubAPIURL and TestLookupGitHubAPIURL: GITHUB_API_URL wins, trimmed", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(
    githubApiUrl(
      env({ GITHUB_API_URL: " https://github.example.com/api/v3/ ", GITHUB_SERVER_URL: "https://x" }),
    ),
    "https://github.example.com/api/v3",
  );
  assert.equal(
    githubApiUrl(env({ GITHUB_SERVER_URL: "https://mycompany.ghe.com" })),
    "https://api.mycompany.ghe.com",
  );
  assert.equal(githubApiUrl(env({ GITHUB_SERVER_URL: "ftp://nope" })), "https://api.github.com");
  assert.equal(githubApiUrl(env({})), "https://api.github.com");
});

Deno.test("Go: TestLookupGitHubToken: the first set variable, in Go's order", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(githubToken(env({ GH_TOKEN: "d", GITHUB_TOKEN: "b", GITHUB_MCP_SERVER_TOKEN: " " })), "b");
  assert.equal(githubToken(env({ GH_TOKEN: "d", GITHUB_PERSONAL_ACCESS_TOKEN: "c" })), "c");
  assert.equal(githubToken(env({})), undefined);
});

Deno.test("a repository's visibility: the field, the older flag, and every answer that is not one", async () => {
  const json = (body: unknown) => () => Response.json(body);
  const api = githubApi({
    "/repos/octo/public-y": json({ visibility: "PUBLIC", private: true }),
    "/repos/octo/private-x": json({ visibility: "private" }),
    "/repos/octo/inner": json({ visibility: "internal" }),
    "/repos/octo/old": json({ private: false }),
    "/repos/octo/old-private": json({ private: true }),
    "/repos/octo/garbage": () => new Response("<html>", { status: 200 }),
    "/repos/octo/empty": json({}),
    "/repos/octo/array": json([]),
    "/repos/octo/limited": () => new Response("{}", { status: 403 }),
    "/repos/octo/huge": () => new Response(new Uint8Array(2 * 1024 * 1024).fill(32)),
    "/repos/octo/slow": () => new Response(new ReadableStream({ start() {} })),
  });
  try {
    const ask = (nwo: string) => repoVisibility(api.url, nwo, "tok-123", 1000);
    assert.deepEqual(await ask("octo/public-y"), { visibility: "public" });
    assert.deepEqual(await ask("octo/private-x"), { visibility: "private" });
    assert.deepEqual(await ask("octo/inner"), { visibility: "internal" });
    assert.deepEqual(await ask("octo/old"), { visibility: "public" });
    assert.deepEqual(await ask("octo/old-private"), { visibility: "private" });
    assert.equal(api.seen[0].authorization, "token tok-123");
    for (
      const [nwo, why] of [
        ["octo/missing", /HTTP 404/],
        ["octo/limited", /HTTP 403/],
        ["octo/garbage", /not a repository/],
        ["octo/empty", /neither visibility nor private/],
        ["octo/array", /neither visibility nor private/],
        ["octo/huge", /more than a repository document/],
        ["octo/slow", /not a repository|did not answer/],
        ["octo", /is not owner\/repo/],
        ["octo/a/b", /is not owner\/repo/],
      ] as const
    ) {
      const answer = await ask(nwo);
      assert.ok("failed" in answer, nwo);
      assert.match(answer.failed, why, nwo);
      assert.ok(!answer.failed.includes("tok-123"), "the token is never in the reason");
    }
  } finally {
    await api.close();
  }
});
