/**
 * The release workflow's own smoke tests (.ci/smoke-binary, .ci/smoke-image), run here on every change: the
 * binary's against `deno task start`'s command, the image's against the locally built gateway image (the
 * Docker tier). A release whose smoke test would fail fails CI first.
 */
import assert from "node:assert/strict";
import { AWMG, ROOT } from "./support/awmg.ts";
import { freePort } from "./support/gateway.ts";

const GATEWAY_IMAGE = "awmg-test/gateway:local";

async function smoke(script: string, ...args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [`${ROOT}.ci/${script}`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

async function imageMissing(image: string): Promise<string | undefined> {
  try {
    const inspected = await new Deno.Command("docker", {
      args: ["image", "inspect", image],
      stdout: "null",
      stderr: "null",
    }).output();
    return inspected.success ? undefined : `${image} is missing (run tests/docker/env.sh start)`;
  } catch {
    return "docker is not installed (run tests/docker/env.sh start)";
  }
}

Deno.test("release: the binary's smoke test passes against deno task start's command", async () => {
  const { code, output } = await smoke("smoke-binary", String(freePort()), ...AWMG);
  assert.equal(code, 0, output);
  assert.match(output, /smoke: binary ok \(\{"status":"healthy"/);
});

const noImage = await imageMissing(GATEWAY_IMAGE);
if (noImage !== undefined) console.log(`image smoke test ignored: ${noImage}`);

Deno.test({
  name: "release: the image's smoke test passes against the locally built gateway image",
  ignore: noImage !== undefined,
  fn: async () => {
    const { code, output } = await smoke("smoke-image", GATEWAY_IMAGE, String(freePort()));
    assert.equal(code, 0, output);
    assert.match(output, /smoke: image ok \(\{"status":"healthy"/);
  },
});

Deno.test("release: the workflow runs the same smoke scripts", async () => {
  const workflow = await Deno.readTextFile(`${ROOT}.github/workflows/release.yml`);
  assert.match(workflow, /bash \.ci\/smoke-binary \d+ \.\/dist\/\$\{\{ matrix\.file \}\}/);
  assert.match(workflow, /bash \.ci\/smoke-image awmg:smoke \d+/);
});
