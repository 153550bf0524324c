import assert from "node:assert/strict";
import { ROOT, taskWords } from "./support/awmg.ts";
import { PACKAGES } from "./support/gateway.ts";

/** The options of a deno command, without the ones that name its output. */
function options(words: string[]): string[] {
  return words.filter((word, i) =>
    word.startsWith("-") && word !== "--output" && words[i - 1] !== "--output"
  );
}

Deno.test("the start task, the compile task and the release workflow run the gateway with the same flags", async () => {
  const start = options(taskWords("start"));
  const compile = options(taskWords("compile"));
  for (const flag of start) assert.ok(compile.includes(flag), `deno task compile lacks ${flag}`);
  const workflow = await Deno.readTextFile(`${ROOT}.github/workflows/release.yml`);
  const line = workflow.split("\n").find((text) => text.includes("run: deno compile"));
  assert.ok(line !== undefined, "release.yml has no deno compile step");
  const released = line.trim().split(/\s+/);
  for (const flag of compile) assert.ok(released.includes(flag), `release.yml's deno compile lacks ${flag}`);
});

Deno.test("deno task test fetches every package and fixture a test backend runs before the tests start", async () => {
  const fetched = taskWords("test:backends");
  for (const pkg of Object.values(PACKAGES)) {
    assert.ok(fetched.includes(`npm:${pkg}`), `test:backends lacks ${pkg}`);
  }
  for await (const entry of Deno.readDir(`${ROOT}tests/fixtures`)) {
    if (entry.isFile && entry.name.endsWith("_server.ts")) {
      assert.ok(fetched.includes(`tests/fixtures/${entry.name}`), `test:backends lacks ${entry.name}`);
    }
  }
  assert.deepEqual(taskWords("test").slice(0, 7), [
    "deno",
    "task",
    "build:guard",
    "&&",
    "deno",
    "task",
    "test:backends",
  ]);
});

Deno.test("the container test image runs the gateway with the start task's flags", async () => {
  const script = await Deno.readTextFile(`${ROOT}tests/docker/env.sh`);
  const entrypoint = script.split("\n").find((line) =>
    line.includes("ENTRYPOINT") && line.includes("main.ts")
  );
  assert.ok(entrypoint !== undefined, "env.sh builds no gateway image");
  for (const flag of options(taskWords("start"))) {
    assert.ok(entrypoint.includes(`"${flag}"`), `the gateway image's entrypoint lacks ${flag}`);
  }
});

Deno.test("deno task lint:workflows passes release.yml and refuses a workflow with a key GitHub does not know", async () => {
  const [, ...args] = taskWords("lint:workflows");
  const lint = async (workflow: string) =>
    await new Deno.Command(Deno.execPath(), {
      args: [...args.slice(0, -1), workflow],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
  assert.equal(args.at(-1), ".github/workflows/release.yml");
  assert.equal((await lint(`${ROOT}.github/workflows/release.yml`)).code, 0);
  const broken = await Deno.makeTempFile({ suffix: ".yml" });
  try {
    await Deno.writeTextFile(
      broken,
      "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n        bogus: 1\n",
    );
    const refused = await lint(broken);
    assert.notEqual(refused.code, 0);
    assert.match(new TextDecoder().decode(refused.stderr), /Additional property 'bogus' is not allowed/);
  } finally {
    await Deno.remove(broken);
  }
});
