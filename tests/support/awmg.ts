/**
 * Runs awmg as a process under exactly the permission set, V8 flags and lockfile of the start and compile tasks.
 */
import { fileURLToPath } from "node:url";

/** The project root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The words of a deno.json task's command. */
export function taskWords(name: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)) as { tasks: Record<string, string> };
  return config.tasks[name].split(/\s+/);
}

/**
 * The argv prefix that runs main.ts as the compiled binary would run: `deno task start`'s own command (its
 * lockfile, permission set and V8 flags, read from deno.json so the two cannot drift), quietened.
 */
export const AWMG = [
  Deno.execPath(),
  "run",
  "--quiet",
  ...taskWords("start").slice(2).map((word) =>
    word === "main.ts" ? `${ROOT}main.ts` : word.replace(/^--lock=/, `--lock=${ROOT}`)
  ),
];

/** What a finished awmg run printed. */
export interface Finished {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs awmg to completion with `args`, optional stdin text and extra environment. */
export async function runAwmg(
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; clearEnv?: boolean; signal?: AbortSignal } = {},
): Promise<Finished> {
  const child = new Deno.Command(AWMG[0], {
    args: [...AWMG.slice(1), ...args],
    cwd: ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { MCP_GATEWAY_CONTAINERIZED: "0", ...options.env },
    clearEnv: options.clearEnv,
    signal: options.signal,
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code,
    stdout: decode(stdout),
    stderr: decode(stderr).replace(/^.*Permissions in the config file.*\n/m, ""),
  };
}
