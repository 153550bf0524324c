/**
 * Configuration problems as values: where (JSONPath and, for TOML, the line), what was expected, what
 * was found, and what to do about it.
 */

/** One problem found in a configuration. */
export interface ConfigIssue {
  /** JSONPath of the offending value, e.g. `mcpServers.github.mounts[0]`; empty for the document. */
  readonly path: string;
  /** What is wrong, in one sentence. */
  readonly message: string;
  readonly expected?: string;
  /** What was found; never a secret value. */
  readonly found?: string;
  readonly suggestion?: string;
  /** 1-based line in the TOML source, when known. */
  readonly line?: number;
}

/** Where a configuration came from. */
export type ConfigSource =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "stdin" }
  | { readonly kind: "default" };

/** A configuration that could not be loaded: every error found, plus warnings. */
export interface ConfigFailure {
  readonly source: ConfigSource;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

/** Names the source for messages: the file path, or "stdin". */
export function describeSource(source: ConfigSource): string {
  return source.kind === "file"
    ? source.path
    : source.kind === "stdin"
    ? "stdin"
    : "the built-in default config";
}

/** Formats one issue as the lines a person reads. */
export function formatIssue(issue: ConfigIssue): string {
  const head = issue.path === "" || issue.message.includes(issue.path)
    ? issue.message
    : `${issue.path}: ${issue.message}`;
  const lines = [
    issue.line === undefined || head.includes(`line ${issue.line}`) ? head : `${head} (line ${issue.line})`,
  ];
  if (issue.expected !== undefined || issue.found !== undefined) {
    const parts = [];
    if (issue.expected !== undefined) parts.push(`expected ${issue.expected}`);
    if (issue.found !== undefined) parts.push(`found ${issue.found}`);
    lines.push(`    ${parts.join(", ")}`);
  }
  if (issue.suggestion !== undefined) lines.push(`    suggestion: ${issue.suggestion}`);
  return lines.join("\n");
}

/** Formats a failure for stderr: a header line and one block per error. */
export function formatFailure(failure: ConfigFailure): string {
  const count = failure.errors.length;
  const header = `Error: invalid configuration in ${describeSource(failure.source)} (${count} ${
    count === 1 ? "error" : "errors"
  }):`;
  return [header, ...failure.errors.map((issue) => `  - ${formatIssue(issue).replaceAll("\n", "\n  ")}`)]
    .join("\n");
}

/** The JSON error payload written to stdout for an orchestrator when a stdin config fails. */
export function failurePayload(failure: ConfigFailure): { error: Record<string, unknown> } {
  return {
    error: {
      code: "invalid_configuration",
      message: `invalid configuration in ${describeSource(failure.source)}`,
      errors: failure.errors.map((issue) => ({ ...issue })),
    },
  };
}

/** Describes a found value for a message without revealing it when it may be secret. */
export function describeFound(value: unknown, secret = false): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (secret) return `a ${typeof value} (value hidden)`;
  return typeof value === "string" ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}
