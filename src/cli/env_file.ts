/**
 * Loads a .env file into the process environment before anything reads it; variables already set win.
 */
import { parseEnv } from "node:util";

/** Loads `path`; returns the names it set, or an error message naming the file. */
export async function loadEnvFile(
  path: string,
): Promise<{ ok: true; set: string[] } | { ok: false; message: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    return { ok: false, message: `failed to read .env file ${path}: ${reason}` };
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value !== undefined && Deno.env.get(name) === undefined) {
      Deno.env.set(name, value);
      set.push(name);
    }
  }
  return { ok: true, set };
}
