import assert from "node:assert/strict";
import { removeContainers } from "../../src/backends/containers.ts";
import { tempDir } from "../support/temp.ts";

/** A PATH whose only `docker` runs `script` (a daemon that hangs, say, which the real one cannot be made to). */
async function dockerPath(script: string): Promise<string> {
  const dir = await tempDir("awmg-fake-docker-");
  await Deno.writeTextFile(`${dir}/docker`, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return `${dir}:/usr/bin:/bin`;
}

Deno.test("removing left containers: a docker that never answers does not hold the stop", async () => {
  const started = Date.now();
  const removed = await removeContainers(
    { command: "docker", env: { PATH: await dockerPath("exec sleep 60") } },
    "awmg-1-test",
    300,
  );
  assert.equal(removed, 0);
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

Deno.test("removing left containers: no docker at all is nothing to remove", async () => {
  assert.equal(
    await removeContainers(
      { command: "docker", env: { PATH: await tempDir("awmg-no-docker-") } },
      "awmg-1-test",
    ),
    0,
  );
});
