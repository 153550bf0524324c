/**
 * The layers keep their shape: each folder of `src/` imports exactly the folders its README names, and no
 * README names an arrow the architecture forbids (docs/architecture.md, "Arrows that never exist").
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { ROOT } from "./support/awmg.ts";

const SRC = join(ROOT, "src");

/** The folders whose code runs something (processes, sockets, files, workers, loggers); the pure ones import none. */
const RUNS = [
  "backends/",
  "cli/",
  "cluster/",
  "environment/",
  "gateway/",
  "github/",
  "guards/",
  "http/",
  "observability/",
  "payloads/",
  "proxy/",
];

/** Arrows that never exist: a folder, and what it must never import. */
const NEVER: Readonly<Record<string, readonly string[]>> = {
  "backends/": ["gateway/", "http/"],
  "http/": ["backends/"],
  "observability/": ["gateway/", "http/", "backends/"],
  "guards/": ["gateway/", "backends/"],
  "proxy/": ["gateway/", "backends/"],
  "cluster/": ["gateway/", "http/", "backends/", "cli/"],
  "config/": RUNS,
  "jsonrpc/": RUNS,
  "protocol/": RUNS,
  "difc/": RUNS,
};

const folders = [...Deno.readDirSync(SRC)].filter((entry) => entry.isDirectory).map((entry) =>
  `${entry.name}/`
)
  .sort();

/** What a folder's README says it imports. */
function declared(folder: string): Set<string> {
  const readme = Deno.readTextFileSync(join(SRC, folder, "README.md"));
  const line = readme.split("\n").findIndex((text) => text.startsWith("Imports: "));
  assert.ok(line >= 0, `src/${folder}README.md has no "Imports: " line`);
  const text = readme.split("\n").slice(line).join(" ");
  return new Set([...text.matchAll(/`([^`]+)`/g)].map(([, name]) => name));
}

/** The TypeScript files under a folder. */
function* sources(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/** What a folder's files import of the rest of `src/`: a folder (`gateway/`) or a file at its root. */
function imported(folder: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sources(join(SRC, folder))) {
    const text = Deno.readTextFileSync(file);
    for (const [, specifier] of text.matchAll(/\b(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      const target = relative(SRC, join(dirname(file), specifier));
      const [first, ...rest] = target.split("/");
      const name = rest.length > 0 ? `${first}/` : first;
      if (name !== folder && !found.has(name)) found.set(name, relative(ROOT, file));
    }
  }
  return found;
}

Deno.test("each folder of src/ imports exactly what its README names", () => {
  assert.ok(folders.length >= 10, `src/ has ${folders.length} folders`);
  for (const folder of folders) {
    const allowed = declared(folder);
    const used = imported(folder);
    for (const [name, file] of used) {
      assert.ok(allowed.has(name), `${file} imports ${name}, which src/${folder}README.md does not name`);
    }
    for (const name of allowed) {
      assert.ok(
        used.has(name),
        `src/${folder}README.md names ${name}, which nothing in src/${folder} imports`,
      );
    }
  }
});

Deno.test("no README of src/ names an arrow the architecture forbids", () => {
  for (const [folder, forbidden] of Object.entries(NEVER)) {
    const allowed = declared(folder);
    for (const name of forbidden) assert.ok(!allowed.has(name), `src/${folder}README.md names ${name}`);
  }
});
