/**
 * Prints one `--exclude=PATH` per npm file that the compiled awmg never loads, for `deno task compile`:
 * the type declarations, source maps and documents of the packages in runtime.lock. `deno compile` embeds
 * each npm package whole, and these files were half of what it embedded (2026-12-06). Only files that no
 * runtime can load are named, so leaving them out cannot change what the binary does.
 *
 * The flags are word-split by the task's shell, so a path with white space in it fails this script instead
 * of silently excluding the wrong file.
 */
import { join } from "node:path";

/**
 * Packages that ship an ES module build and a CommonJS twin of it (hono's `dist/cjs`, `.cjs` files beside
 * `.js`/`.mjs` ones): Deno imports them by their exports' `import` condition, and no package of the runtime
 * requires them, so the twins are never loaded (1 MB of the binary, 2026-12-07).
 */
const COMMONJS_TWINS: Readonly<Record<string, (dir: string) => string[]>> = {
  "hono": (dir) => [join(dir, "dist", "cjs")],
  "valibot": (dir) => ["index.cjs", "index.min.cjs", "index.min.mjs"].map((file) => join(dir, "dist", file)),
  "@logtape/logtape": (dir) =>
    [...Deno.readDirSync(join(dir, "dist"))].filter((entry) => entry.name.endsWith(".cjs"))
      .map((entry) => join(dir, "dist", entry.name)),
};

/**
 * The ES module build a package without `exports` names in `module`: Deno loads the `main` one (CommonJS),
 * as Node does (seen with strace, 2026-12-07: x509.cjs.js, asn1js's index.js, build/cjs of the asn1
 * packages, tsyringe's dist/cjs). The build's folder when `main` lies outside it, else its file.
 */
function moduleBuild(dir: string): string[] {
  const manifest = JSON.parse(Deno.readTextFileSync(join(dir, "package.json")));
  const { main, module, exports } = manifest as { main?: string; module?: string; exports?: unknown };
  if (exports !== undefined || typeof main !== "string" || typeof module !== "string") return [];
  const [mainPath, modulePath] = [main, module].map((path) => path.replace(/^\.\//, ""));
  if (mainPath === modulePath) return [];
  const folder = modulePath.split("/").slice(0, -1).join("/");
  const folderHoldsMain = folder === "" || mainPath.startsWith(`${folder}/`);
  return [join(dir, folderHoldsMain ? modulePath : folder)];
}

/** File names a package ships for people and editors, never for the runtime. */
const UNSHIPPED = /(\.d\.[cm]?ts|\.map|\.md|\.html)$/;

/** Runs deno with `args`; its stdout. */
async function deno(...args: string[]): Promise<string> {
  const { success, stdout } = await new Deno.Command(Deno.execPath(), { args, stderr: "inherit" }).output();
  if (!success) throw new Error(`deno ${args.join(" ")} failed`);
  return new TextDecoder().decode(stdout);
}

/** The `name@version` of every npm package the gateway and the proxy import. */
async function runtimePackages(): Promise<string[]> {
  const lock = JSON.parse(await Deno.readTextFile(new URL("../runtime.lock", import.meta.url)));
  return Object.keys(lock.npm ?? {});
}

async function* unshippedFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* unshippedFiles(path);
    else if (entry.isFile && UNSHIPPED.test(entry.name)) yield path;
  }
}

/** The cache directory of one package, in whichever registry's folder it was fetched to. */
async function packageDir(cache: string, nameAtVersion: string): Promise<string> {
  const at = nameAtVersion.lastIndexOf("@");
  for await (const registry of Deno.readDir(cache)) {
    const dir = join(cache, registry.name, nameAtVersion.slice(0, at), nameAtVersion.slice(at + 1));
    if (registry.isDirectory && await Deno.stat(dir).then(() => true, () => false)) return dir;
  }
  throw new Error(`${nameAtVersion} is not in Deno's npm cache (${cache}) after deno cache`);
}

// On a fresh machine the packages are fetched here, before `deno compile` runs: the excludes must exist.
await deno("cache", "--quiet", "--lock=runtime.lock", "main.ts");
const { npmCache } = JSON.parse(await deno("info", "--json"));
const flags: string[] = [];
for (const nameAtVersion of await runtimePackages()) {
  const dir = await packageDir(npmCache, nameAtVersion);
  const twins = COMMONJS_TWINS[nameAtVersion.slice(0, nameAtVersion.lastIndexOf("@"))];
  for (const path of [...twins?.(dir) ?? [], ...moduleBuild(dir)]) flags.push(`--exclude=${path}`);
  for await (const path of unshippedFiles(dir)) {
    if (/\s/.test(path)) throw new Error(`${path}: a path with white space cannot be passed to the task`);
    flags.push(`--exclude=${path}`);
  }
}
console.log(flags.join("\n"));
