/**
 * `DEBUG` namespace patterns, as the `debug` package reads them: `*`, `server:*,launcher:*`, `-name` to
 * exclude; separated by commas or spaces.
 */

/** A matcher for namespaces; matches nothing when the pattern is empty. */
export function debugMatcher(pattern: string | undefined): (namespace: string) => boolean {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const part of (pattern ?? "").split(/[\s,]+/).filter((p) => p !== "")) {
    const negative = part.startsWith("-");
    const glob = (negative ? part.slice(1) : part).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll(
      "*",
      ".*",
    );
    (negative ? exclude : include).push(new RegExp(`^${glob}$`));
  }
  return (namespace) => include.some((r) => r.test(namespace)) && !exclude.some((r) => r.test(namespace));
}

const COLORS = [6, 2, 3, 4, 5, 1];

/** A stable ANSI colour for a namespace. */
export function colorize(namespace: string): string {
  let hash = 0;
  for (const char of namespace) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return `\x1b[3${COLORS[Math.abs(hash) % COLORS.length]};1m${namespace}\x1b[0m`;
}
