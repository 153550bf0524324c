/**
 * Keeps secrets out of every log line: known secret values and common token shapes become [REDACTED].
 */
import { markdownText, oneLine } from "./format.ts";

const TOKEN_SHAPES = [
  /\bgh[pousr]_[A-Za-z0-9]{16,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
];

/** A cheap first look: only text with one of these can hold a token shape. */
const MAY_HOLD_TOKEN = /gh[pousr]_|github_pat_|bearer|basic/i;

/** A line of a secret that spans lines is a secret of its own from this length on. */
const SECRET_LINE_MIN = 8;
/**
 * A secret of more lines than this (a certificate bundle passed through, say) is a document, not a key: its
 * lines are not looked for one by one, since every log line would be searched for each (a PEM key of 8192
 * bits has about 100).
 */
const SECRET_LINES_MAX = 128;

/**
 * The forms a secret takes in what awmg writes: as given, inside a JSON string (the RPC record, a message's
 * text, the start failure's JSON), with its control characters escaped (oneLine, in every log line) and as
 * Markdown shows text (gateway.md's warnings); and for a secret that spans lines (a PEM key, a JSON
 * credential), each of its lines in those forms, since a server's stderr reaches the logs a line at a time.
 */
function secretForms(secret: string): string[] {
  const split = /[\r\n]/.test(secret) ? secret.split(/\r\n|\r|\n/) : [];
  const lines = split.length > SECRET_LINES_MAX
    ? []
    : split.map((line) => line.trim()).filter((line) => line.length >= SECRET_LINE_MIN);
  return [secret, ...lines].flatMap((form) => [
    form,
    JSON.stringify(form).slice(1, -1),
    oneLine(form),
    markdownText(form),
  ]);
}

/** Returns a function that replaces each secret (in each of its forms) and each token shape with [REDACTED]. */
export function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= 4).flatMap(secretForms))]
    .sort((a, b) => b.length - a.length);
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
