/**
 * The tool lock file (`awmg-tools.lock.json`): per server, how it was started, who it says it is, a hash of
 * its instructions, and per tool and prompt the hashes of what an agent reads. Written by `awmg pin` in a
 * stable form (members sorted, two-space indent), so that a server upgrade is a diff a person reviews.
 */
import { canonicalHash } from "./canonical.ts";

/** The hashes of one tool: the whole definition, each part of it (to say what changed), its annotations. */
export interface ToolPin {
  /** Over `name`, `title`, `description`, `inputSchema` and `outputSchema` together. */
  readonly sha256: string;
  readonly parts: Readonly<Record<PinnedPart, string>>;
  /** Apart: annotations are hints a server may change without changing what the tool does. */
  readonly annotations: string;
}

/** The parts of a tool definition whose change is named in a refusal and a diff. */
export type PinnedPart = "title" | "description" | "inputSchema" | "outputSchema";
const PARTS: readonly PinnedPart[] = ["title", "description", "inputSchema", "outputSchema"];

/** One server's pins. */
export interface ServerPin {
  /** How it was started: `image NAME@DIGEST`, `image NAME`, `command ARGV...` or `url URL`. */
  readonly launch: string;
  readonly serverInfo: { readonly name: string; readonly version: string };
  /** The hash of its instructions, or null when it gives none. */
  readonly instructions: string | null;
  readonly tools: Readonly<Record<string, ToolPin>>;
  /** Prompt name to the hash of its definition (name, title, description, arguments). */
  readonly prompts: Readonly<Record<string, string>>;
}

/** The whole lock file. */
export interface ToolLock {
  readonly version: 1;
  readonly servers: Readonly<Record<string, ServerPin>>;
}

/** What `awmg pin` learned of one running server. */
export interface PinnedServer {
  readonly launch: string;
  readonly initializeResult: Record<string, unknown>;
  readonly tools: readonly Record<string, unknown>[];
  readonly prompts: readonly Record<string, unknown>[];
}

/** The hashes of one tool definition. */
export async function pinTool(tool: Record<string, unknown>): Promise<ToolPin> {
  const { name, title, description, inputSchema, outputSchema, annotations } = tool;
  const parts = Object.fromEntries(
    await Promise.all(PARTS.map(async (part) => [part, await canonicalHash(tool[part] ?? null)])),
  ) as Record<PinnedPart, string>;
  return {
    sha256: await canonicalHash({ name, title, description, inputSchema, outputSchema }),
    parts,
    annotations: await canonicalHash(annotations ?? null),
  };
}

/** The hash of a prompt's definition: what an agent reads of it. */
export function pinPrompt(prompt: Record<string, unknown>): Promise<string> {
  const { name, title, description, arguments: args } = prompt;
  return canonicalHash({ name, title, description, arguments: args });
}

/** The pins of one server, from what it answered. */
export async function pinServer(server: PinnedServer): Promise<ServerPin> {
  const info = server.initializeResult.serverInfo as { name?: unknown; version?: unknown } | undefined;
  const instructions = server.initializeResult.instructions;
  const tools: Record<string, ToolPin> = {};
  for (const tool of server.tools) tools[String(tool.name)] = await pinTool(tool);
  const prompts: Record<string, string> = {};
  for (const prompt of server.prompts) prompts[String(prompt.name)] = await pinPrompt(prompt);
  return {
    launch: server.launch,
    serverInfo: { name: String(info?.name ?? ""), version: String(info?.version ?? "") },
    instructions: typeof instructions === "string" ? await canonicalHash(instructions) : null,
    tools,
    prompts,
  };
}

/** The lock of every server `awmg pin` found running. */
export async function lockOf(servers: ReadonlyMap<string, PinnedServer>): Promise<ToolLock> {
  const pins: Record<string, ServerPin> = {};
  for (const [id, server] of servers) pins[id] = await pinServer(server);
  return { version: 1, servers: pins };
}

/** A value with its object members in sorted order, for a stable file. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
  );
}

/** The lock file's text: the same servers always give the same bytes. */
export function lockText(lock: ToolLock): string {
  return `${JSON.stringify(sorted(lock), null, 2)}\n`;
}

const HASH = /^sha256:[0-9a-f]{64}$/;
const isHash = (value: unknown) => typeof value === "string" && HASH.test(value);

/** Why one tool's pin is malformed, if it is. */
function toolProblem(pin: unknown): string | undefined {
  const { sha256, parts, annotations } = (pin ?? {}) as Record<string, unknown>;
  if (!isHash(sha256) || !isHash(annotations)) return "sha256 and annotations must be sha256:<64 hex>";
  if (parts === null || typeof parts !== "object") return "parts must be an object";
  const missing = PARTS.find((part) => !isHash((parts as Record<string, unknown>)[part]));
  return missing === undefined ? undefined : `parts.${missing} must be sha256:<64 hex>`;
}

/** Why one server's pins are malformed, if they are. */
function serverProblem(pin: Record<string, unknown>): string | undefined {
  if (typeof pin.launch !== "string") return "launch must be a string";
  const info = pin.serverInfo as Record<string, unknown> | undefined;
  if (typeof info?.name !== "string" || typeof info.version !== "string") {
    return "serverInfo must have a name and a version";
  }
  if (pin.instructions !== null && !isHash(pin.instructions)) return "instructions must be null or a hash";
  if (pin.tools === null || typeof pin.tools !== "object") return "tools must be an object";
  for (const [name, tool] of Object.entries(pin.tools as Record<string, unknown>)) {
    const problem = toolProblem(tool);
    if (problem !== undefined) return `tools.${name}: ${problem}`;
  }
  const prompts = (pin.prompts ?? {}) as Record<string, unknown>;
  const bad = Object.entries(prompts).find(([, hash]) => !isHash(hash));
  return bad === undefined ? undefined : `prompts.${bad[0]} must be sha256:<64 hex>`;
}

/** Reads a lock file's text; an error names the path in the file and what it should be. */
export function parseLock(text: string): ToolLock | { readonly error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  const { version, servers } = (data ?? {}) as Record<string, unknown>;
  if (version !== 1) return { error: `version must be 1 (found ${JSON.stringify(version)})` };
  if (servers === null || typeof servers !== "object" || Array.isArray(servers)) {
    return { error: "servers must be an object of server ids" };
  }
  for (const [id, pin] of Object.entries(servers)) {
    const problem = pin !== null && typeof pin === "object"
      ? serverProblem(pin as Record<string, unknown>)
      : "an object";
    if (problem !== undefined) return { error: `servers.${id}: ${problem}` };
  }
  return { version: 1, servers: servers as ToolLock["servers"] };
}

/** What changed in a tool since its pin: the parts whose hashes differ ("annotations" among them). */
export function changedParts(pinned: ToolPin, now: ToolPin): (PinnedPart | "annotations")[] {
  const changed: (PinnedPart | "annotations")[] = PARTS.filter((part) =>
    pinned.parts[part] !== now.parts[part]
  );
  if (pinned.annotations !== now.annotations) changed.push("annotations");
  return changed;
}

/** The difference between a lock file and a fresh one, a line per change, for a reviewer; empty when equal. */
export function lockDiff(old: ToolLock, fresh: ToolLock): string[] {
  const lines: string[] = [];
  const ids = [...new Set([...Object.keys(old.servers), ...Object.keys(fresh.servers)])].sort();
  for (const id of ids) {
    const [was, is] = [old.servers[id], fresh.servers[id]];
    if (was === undefined) lines.push(`+ server ${id}: new (${Object.keys(is.tools).length} tools)`);
    else if (is === undefined) lines.push(`- server ${id}: gone`);
    else lines.push(...serverDiff(id, was, is));
  }
  return lines;
}

function serverDiff(id: string, was: ServerPin, is: ServerPin): string[] {
  const lines: string[] = [];
  const say = (sign: string, what: string) => lines.push(`${sign} server ${id}: ${what}`);
  if (was.launch !== is.launch) say("~", `launch ${was.launch} -> ${is.launch}`);
  const [a, b] = [was.serverInfo, is.serverInfo];
  if (a.name !== b.name || a.version !== b.version) {
    say("~", `serverInfo ${a.name} ${a.version} -> ${b.name} ${b.version}`);
  }
  if (was.instructions !== is.instructions) say("~", "instructions changed");
  for (const name of [...new Set([...Object.keys(was.tools), ...Object.keys(is.tools)])].sort()) {
    const [before, after] = [was.tools[name], is.tools[name]];
    if (before === undefined) say("+", `tool ${name}: new`);
    else if (after === undefined) say("-", `tool ${name}: gone`);
    else {
      const changed = changedParts(before, after);
      if (changed.length > 0) say("~", `tool ${name}: ${changed.join(", ")} changed`);
    }
  }
  for (const name of [...new Set([...Object.keys(was.prompts), ...Object.keys(is.prompts)])].sort()) {
    const [before, after] = [was.prompts[name], is.prompts[name]];
    if (before === undefined) say("+", `prompt ${name}: new`);
    else if (after === undefined) say("-", `prompt ${name}: gone`);
    else if (before !== after) say("~", `prompt ${name}: changed`);
  }
  return lines;
}
