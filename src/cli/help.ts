/**
 * Help text in the layout of the Go tool's (cobra) help.
 */
import { DEFAULT_LOCK_FILE } from "./parse.ts";
import { proxyHelp } from "./proxy.ts";
import { type CommandName, COMMANDS, FLAGS, type FlagSpec, SHELLS } from "./flags.ts";

/** Reads an environment variable; undefined when unset. */
export type EnvLookup = (name: string) => string | undefined;

function flagColumn(flag: FlagSpec): string {
  const short = flag.short === undefined ? "    " : `-${flag.short}, `;
  const type = flag.kind === "bool" ? "" : ` ${flag.kind}`;
  return `  ${short}--${flag.name}${type}`;
}

function defaultNote(flag: FlagSpec, env: EnvLookup): string {
  const fromEnv = flag.env === undefined ? undefined : env(flag.env);
  const value = fromEnv !== undefined && fromEnv !== "" ? fromEnv : flag.default;
  if (value === undefined) return "";
  return flag.kind === "string" ? ` (default ${JSON.stringify(String(value))})` : ` (default ${value})`;
}

/** The root command's help; defaults taken from the environment are shown as the effective default. */
export function rootHelp(env: EnvLookup): string {
  const columns = FLAGS.map(flagColumn);
  const width = Math.max(...columns.map((c) => c.length)) + 3;
  const flags = FLAGS.map((flag, i) =>
    `${columns[i].padEnd(width)}${flag.description}${defaultNote(flag, env)}`
  );
  const commands = Object.entries(COMMANDS).map(([name, text]) => `  ${name.padEnd(12)}${text}`);
  return [
    "MCPG is a proxy server for Model Context Protocol (MCP) servers.",
    "It provides routing, aggregation, and management of multiple MCP backend servers.",
    "",
    "Usage:",
    "  awmg [flags]",
    "  awmg [command]",
    "",
    "Available Commands:",
    ...commands,
    "",
    "Flags:",
    ...flags,
    "",
    "Environment:",
    "  MCP_GATEWAY_PORT, MCP_GATEWAY_DOMAIN, MCP_GATEWAY_AGENT_ID feed the listen port, domain and API key",
    "  (MCP_GATEWAY_API_KEY, deprecated, is read when MCP_GATEWAY_AGENT_ID is unset).",
    "  Precedence everywhere: command-line flag > environment variable > config file > built-in default.",
    "",
    'Use "awmg [command] --help" for more information about a command.',
    "",
  ].join("\n");
}

/** Help for one subcommand. */
export function commandHelp(command: CommandName): string {
  if (command === "proxy") return proxyHelp();
  if (command === "health") {
    return [
      "Query a running gateway's /health and exit 0 when it answers 200 (healthy), 1 otherwise.",
      "Meant for container health checks: it needs no shell or curl.",
      "",
      "Usage:",
      "  awmg health [url]",
      "",
      "The default URL is http://127.0.0.1:$MCP_GATEWAY_PORT/health (port 3000 when unset).",
      "",
    ].join("\n");
  }
  if (command === "pin") {
    return [
      "Start the configured servers, record their tool (and prompt) definitions in a lock file, and exit.",
      "Commit the file; the gateway holds each tool to its pin when the config names it (gateway.toolLock,",
      "--tool-lock). With --check, compare the servers with the file instead: exit 1 and print the",
      "differences when they differ, so that a server upgrade is a change a reviewer reads.",
      "",
      "Usage:",
      "  awmg pin [--config FILE | --config-stdin] [--output FILE] [--check] [gateway flags]",
      "",
      "Flags:",
      `      --output string   the lock file to write or check, - for stdout (default "${DEFAULT_LOCK_FILE}")`,
      "      --check           compare with the lock file instead of writing it",
      "",
    ].join("\n");
  }
  if (command === "help") {
    return [
      "Help provides help for any command in the application.",
      "Simply type awmg help [path to command] for full details.",
      "",
      "Usage:",
      "  awmg help [command] [flags]",
      "",
    ].join("\n");
  }
  return [
    "Generate the autocompletion script for awmg for the specified shell.",
    "",
    "Usage:",
    `  awmg completion [${SHELLS.join("|")}]`,
    "",
    "Examples:",
    "  source <(awmg completion bash)",
    '  awmg completion zsh > "${fpath[1]}/_awmg"',
    "  awmg completion fish > ~/.config/fish/completions/awmg.fish",
    "  awmg completion powershell | Out-String | Invoke-Expression",
    "",
  ].join("\n");
}
