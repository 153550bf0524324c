/**
 * Loads a configuration from a TOML file or from JSON text (stdin) into a validated `GatewayConfig`.
 */
import type { EnvLookup } from "./expand.ts";
import type { ConfigFailure, ConfigIssue, ConfigSource } from "./issues.ts";
import { readJson } from "./json.ts";
import { readToml } from "./toml.ts";
import type { GatewayConfig } from "./types.ts";
import type { Format } from "./checks.ts";
import { validateDocument } from "./validate.ts";

/** A loaded config with its warnings, or the failure with every error. */
export type LoadResult =
  | { readonly ok: true; readonly config: GatewayConfig; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly failure: ConfigFailure };

/** Parses and validates configuration text of the given format. */
export function loadConfigText(
  text: string,
  format: Format,
  source: ConfigSource,
  env: EnvLookup,
): LoadResult {
  const parsed = format === "toml" ? readToml(text) : readJson(text);
  if (!parsed.ok) return { ok: false, failure: { source, errors: [parsed.issue], warnings: [] } };
  const result = validateDocument(parsed.document, format, source, env);
  const place = (issue: ConfigIssue): ConfigIssue => {
    const path = parsed.display(issue.path);
    const line = issue.line ?? parsed.lineOf(path);
    const message = issue.message.replaceAll(issue.path, path);
    return { ...issue, path, message, ...(line === undefined ? {} : { line }) };
  };
  const warnings = result.warnings.map(place);
  const errors = [...parsed.errors, ...(result.ok ? [] : result.errors)].map(place);
  if (errors.length > 0 || !result.ok) return { ok: false, failure: { source, errors, warnings } };
  return { ok: true, config: result.config, warnings };
}

/** Reads and loads a TOML config file. */
export async function loadConfigFile(path: string, env: EnvLookup): Promise<LoadResult> {
  const source: ConfigSource = { kind: "file", path };
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
      ? "permission denied"
      : error instanceof Error
      ? error.message
      : String(error);
    return {
      ok: false,
      failure: {
        source,
        warnings: [],
        errors: [{
          path: "",
          message: `failed to read config file ${path}: ${reason}`,
          suggestion: "check the path given to --config",
        }],
      },
    };
  }
  return loadConfigText(text, path.endsWith(".json") ? "json" : "toml", source, env);
}
