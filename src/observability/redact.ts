/**
 * Keeps secrets out of every log line: known secret values and common token shapes become [REDACTED].
 */

const TOKEN_SHAPES = [
  /\bgh[pousr]_[A-Za-z0-9]{16,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
];

/** A cheap first look: only text with one of these can hold a token shape. */
const MAY_HOLD_TOKEN = /gh[pousr]_|github_pat_|bearer|basic/i;

/** Returns a function that replaces each secret and each token shape in a text with [REDACTED]. */
export function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const value of values) if (out.includes(value)) out = out.replaceAll(value, "[REDACTED]");
    if (!MAY_HOLD_TOKEN.test(out)) return out;
    for (const shape of TOKEN_SHAPES) {
      out = out.replace(
        shape,
        (_match, scheme?: string) =>
          typeof scheme === "string" && /^(bearer|basic)$/i.test(scheme)
            ? `${scheme} [REDACTED]`
            : "[REDACTED]",
      );
    }
    return out;
  };
}

/**
 * A URL as logs, errors and the tool lock show it: without its user name and password, and with each query
 * value [REDACTED] (a remote server or an exporter is often given its key that way). The names of the query
 * parameters stay, so an operator can still tell which one is wrong.
 */
export function shownUrl(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return "[REDACTED]";
  const names = [...new Set(parsed.searchParams.keys())];
  const query = names.length === 0
    ? ""
    : `?${names.map((name) => `${encodeURIComponent(name)}=[REDACTED]`).join("&")}`;
  // Not `origin`: a redis:// URL has none.
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${query}`;
}
