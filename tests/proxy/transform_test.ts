/**
 * Answers rebuilt with the kept items, as the Go gateway's proxy rebuilds them (`TestRewrapSearchResponse`,
 * `TestUnwrapSingleObject`, `TestRebuildGraphQLResponse`, `TestReplaceNodesArray` of gh-aw-mcpg).
 */
import assert from "node:assert/strict";
import { rebuildAnswer } from "../../src/proxy/transform.ts";

Deno.test("Go: a REST list stays a list; one kept object stays an object", () => {
  assert.deepEqual(rebuildAnswer([{ n: 1 }, { n: 2 }], [{ n: 2 }]), [{ n: 2 }]);
  assert.deepEqual(rebuildAnswer([{ n: 1 }], []), []);
  assert.deepEqual(rebuildAnswer({ n: 1, title: "x" }, [{ n: 1, title: "x" }]), { n: 1, title: "x" });
});

Deno.test("Go: TestRewrapSearchResponse: the envelope is kept and recounted", () => {
  const search = { total_count: 3, incomplete_results: true, items: [{ n: 1 }, { n: 2 }, { n: 3 }] };
  assert.deepEqual(rebuildAnswer(search, [{ n: 1 }]), {
    total_count: 1,
    incomplete_results: false,
    items: [{ n: 1 }],
  });
  const repos = { total_count: 2, repositories: [{ n: 1 }, { n: 2 }] };
  assert.deepEqual(rebuildAnswer(repos, []), { total_count: 0, incomplete_results: false, repositories: [] });
});

Deno.test("Go: TestRebuildGraphQLResponse and TestReplaceNodesArray: nodes or edges replaced, totalCount recounted", () => {
  const answer = {
    data: {
      repository: {
        issues: { totalCount: 3, nodes: [{ n: 1 }, { n: 2 }, { n: 3 }], pageInfo: { hasNextPage: false } },
      },
    },
  };
  assert.deepEqual(rebuildAnswer(answer, [{ n: 3 }]), {
    data: { repository: { issues: { totalCount: 1, nodes: [{ n: 3 }], pageInfo: { hasNextPage: false } } } },
  });
  assert.equal(answer.data.repository.issues.nodes.length, 3, "the original is not changed");
  const edges = { data: { search: { edges: [{ node: 1 }, { node: 2 }] } } };
  assert.deepEqual(rebuildAnswer(edges, [{ node: 2 }]), { data: { search: { edges: [{ node: 2 }] } } });
  assert.deepEqual(rebuildAnswer(answer, []), { data: null }, "nothing kept: no data");
  assert.deepEqual(
    rebuildAnswer({ data: { viewer: { login: "x" } } }, [{ login: "x" }]),
    { data: null },
    "no list to place",
  );
});
