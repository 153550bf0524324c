/**
 * The docs cannot drift from the code: every relative link and anchor resolves, and the configuration page
 * names every flag `--help` prints, every key the config schema accepts and every variable awmg reads.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { rootHelp } from "../src/cli/help.ts";
import { guardSchema, knownKeys } from "../src/config/schema.ts";
import { ROOT } from "./support/awmg.ts";

const PAGES = [
  "README.md",
  "SECURITY.md",
  ...[...Deno.readDirSync(`${ROOT}docs`)].filter((entry) => entry.name.endsWith(".md")).map((entry) =>
    `docs/${entry.name}`
  ),
];

/** Markdown without fenced code blocks and inline code, where link syntax means nothing. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^]*?^```$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** The anchors GitHub makes of a page's headings. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading.replace(/`/g, "").trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** The text of a page, by its path from the root. */
const read = (page: string) => Deno.readTextFileSync(join(ROOT, page));

Deno.test("docs: every relative link and anchor in README, SECURITY.md and docs/ resolves", () => {
  const broken: string[] = [];
  for (const page of PAGES) {
    for (const [, target] of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split("#");
      const file = path === "" ? page : relative(ROOT, join(ROOT, dirname(page), path));
      let exists = true;
      try {
        Deno.statSync(join(ROOT, file));
      } catch {
        exists = false;
      }
      if (!exists) broken.push(`${page}: ${target} (no ${file})`);
      else if (anchor !== undefined && !anchors(read(file)).has(anchor)) {
        broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("docs: the README stays a front door", () => {
  const lines = read("README.md").split("\n").length;
  assert.ok(lines < 250, `README.md has ${lines} lines`);
});

const CONFIGURATION = read("docs/configuration.md");

Deno.test("docs: the configuration page names every flag --help prints", () => {
  const flags = new Set(rootHelp(() => undefined).match(/--[a-z][a-z-]*/g));
  assert.ok(flags.size > 20, `${flags.size} flags in --help`);
  const missing = [...flags].filter((flag) => !new RegExp(`${flag}(?![a-z-])`).test(CONFIGURATION));
  assert.deepEqual(missing, []);
});

Deno.test("docs: the configuration page names every key the config schema accepts", () => {
  const keys = new Set([
    ...knownKeys.server,
    ...knownKeys.gateway,
    ...knownKeys.tracing,
    ...guardSchema.options.flatMap((option) => Object.keys(option.entries)),
  ]);
  const missing = [...keys].filter((key) => !new RegExp(`\\b${key}\\b`).test(CONFIGURATION));
  assert.deepEqual(missing, []);
});

Deno.test("docs: the configuration page names every MCP_GATEWAY_ variable awmg reads", async () => {
  const sources = [join(ROOT, "main.ts")];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) sources.push(path);
    }
  };
  walk(join(ROOT, "src"));
  const variables = new Set<string>();
  for (const source of sources) {
    for (const [name] of (await Deno.readTextFile(source)).matchAll(/MCP_GATEWAY_[A-Z0-9_]*[A-Z0-9]/g)) {
      variables.add(name);
    }
  }
  const missing = [...variables].filter((name) => !new RegExp(`\\b${name}(?![A-Z0-9])`).test(CONFIGURATION));
  assert.deepEqual(missing, []);
});
