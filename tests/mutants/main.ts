/**
 * `deno task mutants [--only ID,ID]`: applies each security mutant (mutants.ts) to a copy of the project, one
 * at a time, runs the tests named for it, and counts it caught when they fail. A mutant whose text is no
 * longer in its file, or whose tests pass or run past the deadline, survives. Prints `N of M mutants caught`
 * and the survivors; exits 1 when any survived. For changes to security code and for releases: it takes tens
 * of minutes, so it is not part of `.ci/run`.
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { type Mutant, MUTANTS } from "./mutants.ts";
import { ROOT } from "../support/awmg.ts";

/** How long one mutant's tests may run; past it the mutant counts as survived (a test without a deadline). */
const DEADLINE_MS = 5 * 60_000;

/** Copies the project's tracked files (and the built test guard) into `to`. */
async function copyProject(to: string): Promise<void> {
  const listed = await new Deno.Command("git", { args: ["ls-files", "-z"], cwd: ROOT, stdout: "piped" })
    .output();
  const files = new TextDecoder().decode(listed.stdout).split("\0").filter((file) => file !== "");
  files.push("tests/fixtures/test_guard/test_guard.wasm");
  for (const file of files) {
    await Deno.mkdir(join(to, dirname(file)), { recursive: true });
    await Deno.copyFile(join(ROOT, file), join(to, file)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/** What running some tests came to: a mutant that does not even load is not caught by a test. */
type Outcome = "passed" | "failed" | "timed out" | "did not load";

/** Runs `tests` (with `filter`) in the copy. */
async function runTests(
  copy: string,
  tests: readonly string[],
  filter: string | undefined,
): Promise<Outcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-P=test", "--no-check", ...(filter === undefined ? [] : ["--filter", filter]), ...tests],
    cwd: copy,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  const { success, signal, stdout, stderr } = await child.output();
  clearTimeout(timer);
  if (signal === "SIGKILL") return "timed out";
  if (success) return "passed";
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return /could not be parsed|SyntaxError|Module not found/.test(output) ? "did not load" : "failed";
}

/** Applies a mutant, runs its tests, restores the file; what became of it. */
async function run(copy: string, mutant: Mutant): Promise<string | undefined> {
  const path = join(copy, mutant.file);
  const original = await Deno.readTextFile(path);
  const at = original.indexOf(mutant.find);
  if (at === -1 || original.indexOf(mutant.find, at + 1) !== -1) {
    return `its text is ${at === -1 ? "no longer" : "more than once"} in ${mutant.file}: update the mutant`;
  }
  await Deno.writeTextFile(path, original.replace(mutant.find, mutant.replace));
  try {
    const outcome = await runTests(copy, mutant.tests, mutant.filter);
    switch (outcome) {
      case "failed":
        return undefined;
      case "passed":
        return `${mutant.tests.join(", ")}${
          mutant.filter === undefined ? "" : ` (${mutant.filter})`
        } still pass`;
      case "timed out":
        return `its tests ran past ${DEADLINE_MS / 60_000} minutes`;
      case "did not load":
        return "the changed code does not load: fix the mutant's replacement";
    }
  } finally {
    await Deno.writeTextFile(path, original);
  }
}

const { values } = parseArgs({ args: Deno.args, options: { only: { type: "string" } } });
const only = values.only?.split(",");
const chosen = only === undefined ? MUTANTS : MUTANTS.filter((mutant) => only.includes(mutant.id));
const base = await Deno.makeTempDir({ prefix: "awmg-mutants-" });
const copy = join(base, "awmg");
let code = 0;
try {
  await copyProject(copy);
  // shared/ sits beside the checkout (GitHub's guard module among it): the copy finds it in the same place.
  await new Deno.Command("ln", { args: ["-s", join(ROOT, "..", "shared"), join(base, "shared")] }).output();
  // The tests must pass unchanged, or every mutant would look caught.
  const suites = [...new Set(chosen.flatMap((mutant) => mutant.tests))];
  const baseline = await runTests(copy, suites, undefined);
  if (baseline !== "passed") {
    console.error(`the tests ${baseline} before any mutant was applied: ${suites.join(" ")}`);
    code = 2;
  } else {
    const survivors: string[] = [];
    for (const mutant of chosen) {
      const started = Date.now();
      const survived = await run(copy, mutant);
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      if (survived === undefined) console.log(`caught    ${mutant.id} (${seconds} s)`);
      else {
        survivors.push(`${mutant.id}: breaks "${mutant.breaks}"; ${survived}`);
        console.log(`SURVIVED  ${mutant.id} (${seconds} s): ${survived}`);
      }
    }
    console.log(`\n${chosen.length - survivors.length} of ${chosen.length} mutants caught`);
    for (const survivor of survivors) console.log(`  survived: ${survivor}`);
    if (survivors.length > 0) code = 1;
  }
} finally {
  await Deno.remove(base, { recursive: true });
}
Deno.exit(code);
