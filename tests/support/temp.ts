/**
 * Temporary files and directories of the tests, removed when the test process ends (a test that fails
 * half-way leaves nothing behind either).
 */

const made = new Set<string>();

addEventListener("unload", () => {
  for (const path of made) {
    try {
      Deno.removeSync(path, { recursive: true });
    } catch {
      // Removed by its test already.
    }
  }
});

/** Registers a path to remove at the end, and returns it. */
export function removedAtEnd(path: string): string {
  made.add(path);
  return path;
}

/** A fresh temporary directory. */
export async function tempDir(prefix: string): Promise<string> {
  return removedAtEnd(await Deno.makeTempDir({ prefix }));
}

/** Writes `text` to a fresh temporary file with the given suffix and returns its path. */
export async function tempFile(text: string, suffix: string): Promise<string> {
  const path = removedAtEnd(await Deno.makeTempFile({ prefix: "awmg-test-", suffix }));
  await Deno.writeTextFile(path, text);
  return path;
}

/** Makes a symbolic link with `ln` (the test permission set writes only under /tmp, and Deno.symlink wants all). */
export async function symlink(target: string, path: string): Promise<void> {
  const made = await new Deno.Command("ln", { args: ["-s", target, path] }).output();
  if (!made.success) throw new Error(`ln -s ${target} ${path}: ${new TextDecoder().decode(made.stderr)}`);
}
