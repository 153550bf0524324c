/**
 * Runs awmg as a process under exactly the permission set, V8 flags and lockfile of the start and compile tasks.
 */
import { fileURLToPath } from "node:url";

/** The project root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The argv prefix that runs main.ts as the compiled binary would run. */
export const AWMG = [
  Deno.execPath(),
  "run",
  "--quiet",
  `--lock=${ROOT}runtime.lock`,
  "-P=gateway",
  "--v8-flags=--max-semi-space-size=1",
  `${ROOT}main.ts`,
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
  options: { stdin?: string; env?: Record<string, string>; clearEnv?: boolean } = {},
): Promise<Finished> {
  const child = new Deno.Command(AWMG[0], {
    args: [...AWMG.slice(1), ...args],
    cwd: ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { MCP_GATEWAY_CONTAINERIZED: "0", ...options.env },
    clearEnv: options.clearEnv,
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

/** Writes `text` to a fresh temporary file with the given suffix and returns its path. */
export async function tempFile(text: string, suffix: string): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "awmg-test-", suffix });
  await Deno.writeTextFile(path, text);
  return path;
}
