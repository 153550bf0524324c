/**
 * Reads the JSON stdin format: `{"mcpServers": {...}, "gateway": {...}, "customSchemas": {...}}`.
 */
import type { ParsedDocument } from "./document.ts";

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
  return {
    ok: true,
    document: { servers: mcpServers, gateway, customSchemas, guards, unknownTopLevel: Object.keys(rest) },
    errors: [],
    display: (path) => path.replace(/^servers(?=$|[.[])/, "mcpServers"),
    lineOf: () => undefined,
  };
}
