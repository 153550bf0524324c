import assert from "node:assert/strict";
import { ResourceRoutes, ROUTE_LIMITS, templateMatcher } from "../../src/gateway/resources.ts";

Deno.test("a URI template matches its literal parts in order, each expression one character or more", () => {
  const cases: [string, string, boolean][] = [
    ["file:///{path}", "file:///etc/hosts", true],
    ["file:///{path}", "file:///", false],
    ["repo://{owner}/{name}", "repo://octo/hello", true],
    ["repo://{owner}/{name}", "repo://octo/", false],
    ["repo://{owner}/{name}", "repo://a/b/c", true],
    ["{a}{b}", "xy", true],
    ["{a}{b}", "x", false],
    ["test://static/resource/{id}", "test://static/resource/7", true],
    ["test://static/resource/{id}", "test://static/other/7", false],
    ["plain://uri", "plain://uri", true],
    ["plain://uri", "plain://uri/", false],
    ["a{x}a", "aa", false],
    ["a{x}a", "aba", true],
  ];
  for (const [template, uri, expected] of cases) {
    assert.equal(templateMatcher(template)(uri), expected, `${template} ${uri}`);
  }
  const backtracking = templateMatcher(`slow://${"{v}".repeat(24)}end`);
  assert.equal(
    backtracking(`slow://${"a".repeat(100_000)}`),
    false,
    "a linear scan, however many expressions",
  );
  assert.equal(backtracking(`slow://${"a".repeat(24)}end`), true);
});

Deno.test("the first server to list a URI or a template keeps it; a URI two servers' templates match is refused", () => {
  const routes = new ResourceRoutes();
  const shared = [{ uri: "x://shared" }, { uri: "x://a-own" }];
  assert.deepEqual(routes.claim("a", shared, "uri"), shared);
  assert.deepEqual(routes.claim("b", [{ uri: "x://shared" }, { uri: "x://b-own" }], "uri"), [{
    uri: "x://b-own",
  }]);
  assert.deepEqual(routes.claim("a", shared, "uri"), shared, "its own again");
  assert.deepEqual(routes.owner("x://shared"), { serverId: "a" });
  assert.deepEqual(routes.owner("x://b-own"), { serverId: "b" });
  routes.claim("a", [{ uriTemplate: "t://{p}" }], "uriTemplate");
  assert.deepEqual(
    routes.claim("b", [{ uriTemplate: "t://{p}" }, { uriTemplate: "t://b/{p}" }], "uriTemplate"),
    [
      { uriTemplate: "t://b/{p}" },
    ],
  );
  assert.deepEqual(routes.owner("t://z"), { serverId: "a" });
  assert.deepEqual(routes.owner("t://b/z"), { refused: "it matches resource templates of servers a and b" });
  assert.equal(routes.owner("nowhere://z"), undefined);
});

Deno.test("a server that lists without end cannot grow the routes past their limits", () => {
  const routes = new ResourceRoutes();
  const many = Array.from({ length: ROUTE_LIMITS.uris + 10 }, (_, i) => ({ uri: `x://${i}` }));
  assert.equal(routes.claim("a", many, "uri").length, many.length, "shown, though not all routed");
  assert.deepEqual(routes.owner(`x://${ROUTE_LIMITS.uris - 1}`), { serverId: "a" });
  assert.equal(routes.owner(`x://${ROUTE_LIMITS.uris}`), undefined);
  const templates = Array.from(
    { length: ROUTE_LIMITS.templates + 1 },
    (_, i) => ({ uriTemplate: `t${i}://{p}` }),
  );
  routes.claim("a", templates, "uriTemplate");
  assert.equal(routes.owner(`t${ROUTE_LIMITS.templates}://z`), undefined);
});
