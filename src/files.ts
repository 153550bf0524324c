/**
 * Files awmg writes in directories others may write too (`/tmp/gh-aw`, a payload or certificate directory):
 * never through a symbolic link someone put in the way, which would make awmg append its logs to, or write a
 * private key into, a file of that someone's choosing.
 */
import { randomHex } from "./hex.ts";

/** Why a path cannot be appended to, if it cannot: a link, or not a regular file. */
function refusal(path: string, info: Deno.FileInfo | undefined): Error | undefined {
  if (info === undefined || info.isFile) return undefined;
  const what = info.isSymlink ? "a symbolic link" : "not a regular file";
  return new Error(`${path} is ${what}; awmg writes only files of its own there, never through a link`);
}

/** The file opened is the one at the path now (a link swapped in after the first look is caught here). */
function sameFile(opened: Deno.FileInfo, atPath: Deno.FileInfo): boolean {
  return !atPath.isSymlink && opened.dev === atPath.dev && opened.ino === atPath.ino;
}

function lstatSyncIfAny(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function lstatIfAny(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

const APPEND = { append: true, create: true, mode: 0o644 } as const;

/** Opens `path` to append to, creating it; a symbolic link or anything but a regular file is refused. */
export function openAppendSync(path: string): Deno.FsFile {
  const refused = refusal(path, lstatSyncIfAny(path));
  if (refused !== undefined) throw refused;
  const file = Deno.openSync(path, APPEND);
  if (sameFile(file.statSync(), Deno.lstatSync(path))) return file;
  file.close();
  throw refusal(path, Deno.lstatSync(path)) ?? new Error(`${path} was replaced while awmg opened it`);
}

/** The asynchronous `openAppendSync`, for files opened while the gateway serves (a rotation's new file). */
export async function openAppend(path: string): Promise<Deno.FsFile> {
  const refused = refusal(path, await lstatIfAny(path));
  if (refused !== undefined) throw refused;
  const file = await Deno.open(path, APPEND);
  const [opened, atPath] = await Promise.all([file.stat(), Deno.lstat(path)]);
  if (sameFile(opened, atPath)) return file;
  file.close();
  throw refusal(path, atPath) ?? new Error(`${path} was replaced while awmg opened it`);
}

/**
 * Puts `data` at `path` as a new file of `mode`, whatever was there: written under a fresh random name beside
 * it (created, never opened through a link), then renamed over it, which replaces a link rather than
 * following it. A reader never sees the file half written.
 */
export async function replaceFile(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const temporary = `${path}.${randomHex(8)}.writing`;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    await Deno.writeFile(temporary, bytes, { createNew: true, mode });
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
