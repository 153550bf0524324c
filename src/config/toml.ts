/**
 * Reads the TOML format: `[servers.<id>]` and `[gateway]`, snake_case keys with camelCase aliases.
 */
import { parse, TomlError } from "smol-toml";
import type { ConfigIssue } from "./issues.ts";
import { knownKeys } from "./schema.ts";
import { isRecord } from "./tree.ts";
import type { CanonicalDocument } from "./validate.ts";
import type { ParsedDocument } from "./document.ts";

const TOP_LEVEL: Record<string, keyof Omit<CanonicalDocument, "unknownTopLevel">> = {
  servers: "servers",
  gateway: "gateway",
  custom_schemas: "customSchemas",
  customSchemas: "customSchemas",
  guards: "guards",
  guards_mode: "guardsMode",
};

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Renames the snake_case keys of one section to their canonical spelling, remembering what was written. */
function canonicalize(
  section: Record<string, unknown>,
  known: readonly string[],
  path: string,
  renames: Map<string, string>,
  errors: ConfigIssue[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const writtenAs = new Map<string, string>();
  for (const [key, value] of Object.entries(section)) {
    const canonical = known.includes(camel(key)) ? camel(key) : key;
    const earlier = writtenAs.get(canonical);
    if (earlier !== undefined) {
      errors.push({
        path: `${path}.${canonical}`,
        message: `'${path}.${canonical}' is set twice, as '${earlier}' and '${key}'`,
        suggestion: `keep one of them`,
      });
      continue;
    }
    writtenAs.set(canonical, key);
    if (canonical !== key) renames.set(`${path}.${canonical}`, key);
    out[canonical] = value;
  }
  return out;
}

function unquote(segment: string): string {
  return segment.trim().replace(/^"(.*)"$|^'(.*)'$/, "$1$2");
}

/** Finds the 1-based line where the value at a written path is set, by scanning the source. */
function makeLineOf(text: string): (path: string) => number | undefined {
  const lines = text.split("\n");
  return (path) => {
    const segments = path.replace(/\[\d+\]/g, "").split(".");
    let table = "";
    for (let i = 0; i < lines.length; i++) {
      const header = /^\s*\[([^[\]]+)\]/.exec(lines[i]);
      if (header) {
        table = header[1].split(".").map(unquote).join(".");
        if (table === segments.join(".")) return i + 1;
        continue;
      }
      const assignment = /^\s*([^=#]+?)\s*=/.exec(lines[i]);
      if (!assignment) continue;
      const key = assignment[1].split(".").map(unquote).join(".");
      if ((table === "" ? key : `${table}.${key}`) === segments.join(".")) return i + 1;
    }
    return undefined;
  };
}

/** A TOML syntax error as a config issue: line, column and what the parser said. */
function syntaxIssue(error: TomlError): ConfigIssue {
  const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
  return {
    path: "",
    message: `failed to parse TOML at line ${error.line}, column ${error.column}: ${reason}`,
    line: error.line,
  };
}

/** A canonical path in the spelling the file used (`servers.x.toolTimeout` as `servers.x.tool_timeout`). */
function asWritten(path: string, renames: ReadonlyMap<string, string>): string {
  let canonical = "";
  let written = "";
  for (const segment of path.split(/(?=\.)|(?=\[)/)) {
    canonical += segment;
    const dot = segment.startsWith(".") ? "." : "";
    written += renames.has(canonical) ? `${dot}${renames.get(canonical)}` : segment;
  }
  return written;
}

/** Parses TOML text into a canonical document, or the syntax error with its line and column. */
export function readToml(text: string): ParsedDocument {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text);
  } catch (error) {
    if (error instanceof TomlError) return { ok: false, issue: syntaxIssue(error) };
    throw error;
  }
  const renames = new Map<string, string>();
  const errors: ConfigIssue[] = [];
  const document: Record<string, unknown> = {};
  const unknownTopLevel: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const canonical = TOP_LEVEL[key];
    if (canonical === undefined) unknownTopLevel.push(key);
    else {
      if (canonical !== key) renames.set(canonical, key);
      document[canonical] = value;
    }
  }
  if (isRecord(document.servers)) {
    document.servers = Object.fromEntries(
      Object.entries(document.servers).map(([id, server]) => [
        id,
        isRecord(server) ? canonicalize(server, knownKeys.server, `servers.${id}`, renames, errors) : server,
      ]),
    );
  }
  if (isRecord(document.gateway)) {
    const gateway = canonicalize(document.gateway, knownKeys.gateway, "gateway", renames, errors);
    for (const section of ["opentelemetry", "tracing"]) {
      const value = gateway[section];
      if (isRecord(value)) {
        gateway[section] = canonicalize(value, knownKeys.tracing, `gateway.${section}`, renames, errors);
      }
    }
    document.gateway = gateway;
  }
  return {
    ok: true,
    document: { ...document, unknownTopLevel },
    errors,
    display: (path) => asWritten(path, renames),
    lineOf: makeLineOf(text),
  };
}
