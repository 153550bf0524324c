/**
 * awmg entry point: parse the command line, load the configuration, start the gateway, serve, stop.
 */
import { completionScript } from "./src/cli/completion.ts";
import { loadEnvFile } from "./src/cli/env_file.ts";
import { commandHelp, rootHelp } from "./src/cli/help.ts";
import { parseCommandLine, type RunOptions } from "./src/cli/parse.ts";
import { resolveSettings } from "./src/cli/settings.ts";
import { failurePayload, formatFailure, formatIssue } from "./src/config/issues.ts";
import { loadConfigFile, loadConfigText, type LoadResult } from "./src/config/load.ts";
import { VERSION } from "./src/version.ts";

const env = (name: string) => Deno.env.get(name);

function fail(message: string, code: number): never {
  console.error(`Error: ${message}`);
  Deno.exit(code);
}

async function loadConfig(options: RunOptions): Promise<LoadResult> {
  if (options.configStdin) {
    const text = await new Response(Deno.stdin.readable).text();
    return loadConfigText(text, "json", { kind: "stdin" }, env);
  }
  if (options.config === undefined) {
    fail("no configuration given: pass --config <file.toml>, or --config-stdin with JSON on stdin", 1);
  }
  return await loadConfigFile(options.config, env);
}

async function run(options: RunOptions): Promise<void> {
  if (options.envFile !== undefined) {
    const loaded = await loadEnvFile(options.envFile);
    if (!loaded.ok) fail(loaded.message, 1);
  }
  const loaded = await loadConfig(options);
  const warnings = loaded.ok ? loaded.warnings : loaded.failure.warnings;
  for (const warning of warnings) console.error(`Warning: ${formatIssue(warning)}`);
  if (!loaded.ok) {
    console.error(formatFailure(loaded.failure));
    if (options.configStdin) console.log(JSON.stringify(failurePayload(loaded.failure)));
    Deno.exit(1);
  }
  const resolved = resolveSettings(options, loaded.config, env);
  if (!resolved.ok) fail(resolved.message, 1);
  for (const warning of resolved.warnings) console.error(`Warning: ${warning}`);
}

if (import.meta.main) {
  const invocation = parseCommandLine(Deno.args);
  switch (invocation.kind) {
    case "help":
      console.log(invocation.command === undefined ? rootHelp(env) : commandHelp(invocation.command));
      break;
    case "version":
      console.log(`awmg version ${VERSION}`);
      break;
    case "completion":
      await Deno.stdout.write(new TextEncoder().encode(completionScript(invocation.shell)));
      break;
    case "error": {
      const help = invocation.command === undefined ? "awmg --help" : `awmg ${invocation.command} --help`;
      console.error(`Error: ${invocation.message}\nRun '${help}' for usage.`);
      Deno.exit(2);
      break;
    }
    case "run":
      await run(invocation.options);
  }
}
