/**
 * Reads the JSON stdin format: `{"mcpServers": {...}, "gateway": {...}, "customSchemas": {...}}`.
 */
import type { ParsedDocument } from "./document.ts";
import type { ConfigIssue } from "./issues.ts";
import { isRecord } from "./tree.ts";

/** Nesting past this is refused before anything walks the document (TOML's parser stops at the same depth). */
const MAX_DEPTH = 1000;

/** Whether `value` nests arrays or objects deeper than `limit`: a walk with a stack of its own, which cannot overflow. */
function deeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth === limit) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Parses JSON text into a canonical document, or the syntax error with its position. */
export function readJson(text: string): ParsedDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issue: {
        path: "",
        message: text.trim() === ""
          ? "no configuration received on stdin"
          : `failed to parse JSON: ${reason}`,
        suggestion: text.trim() === ""
          ? "pipe a JSON config into awmg, e.g. awmg --config-stdin < config.json (with docker: add -i)"
          : "check the document with: jq . config.json",
      },
    };
  }
  if (deeperThan(raw, MAX_DEPTH)) {
    return {
      ok: false,
      issue: {
        path: "",
        message: `the document nests arrays or objects more than ${MAX_DEPTH} levels deep`,
        suggestion: "a gateway config is a few levels deep: check what wrote it",
      },
    };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      issue: {
        path: "",
        message: "the configuration must be a JSON object",
        expected: '{"mcpServers": {...}}',
      },
    };
  }
  const { mcpServers, gateway, customSchemas, guards, ...rest } = raw as Record<string, unknown>;
  const errors: ConfigIssue[] = [];
  const renames = new Map<string, string>();
  const servers = isRecord(mcpServers)
    ? Object.fromEntries(
      Object.entries(mcpServers).map(([id, server]) => [id, legacySpellings(id, server, renames, errors)]),
    )
    : mcpServers;
  return {
    ok: true,
    document: { servers, gateway, customSchemas, guards, unknownTopLevel: Object.keys(rest) },
    errors,
    display: (path) => (renames.get(path) ?? path).replace(/^servers(?=$|[.[])/, "mcpServers"),
    lineOf: () => undefined,
  };
}

/** The snake_case spellings the Go gateway still reads in a JSON server entry, and their current names. */
const LEGACY_SERVER_KEYS: Readonly<Record<string, string>> = {
  tool_timeout: "toolTimeout",
  connect_timeout: "connectTimeout",
};

/** A server entry with its legacy keys under their current names (validated the same way). */
function legacySpellings(
  id: string,
  server: unknown,
  renames: Map<string, string>,
  errors: ConfigIssue[],
): unknown {
  if (!isRecord(server)) return server;
  const out: Record<string, unknown> = { ...server };
  for (const [legacy, current] of Object.entries(LEGACY_SERVER_KEYS)) {
    if (!(legacy in server)) continue;
    const path = `servers.${id}.${current}`;
    if (current in server) {
      errors.push({
        path,
        message: `'mcpServers.${id}.${current}' is set twice, as '${current}' and '${legacy}'`,
        suggestion: `keep '${current}'`,
      });
      continue;
    }
    delete out[legacy];
    out[current] = server[legacy];
    renames.set(path, `servers.${id}.${legacy}`);
  }
  return out;
}
