/**
 * Hidden instructions in tool definitions, found deterministically: characters a reader never sees (Unicode
 * tag characters, bidirectional controls, zero-width and private-use characters, ANSI escapes, C0
 * controls), markup an agent reads but a renderer hides (HTML comments, `<IMPORTANT>`-style pseudo-tags),
 * text hidden in Base64 or hex, and another server's tool names (shadowing). No phrase lists and no model:
 * a finding is a fact about the bytes, so a CI gate built on it does not flap.
 */

/** What kind of thing was found. */
export type FindingKind =
  | "tag characters"
  | "bidirectional controls"
  | "zero-width characters"
  | "private-use characters"
  | "ANSI escapes"
  | "control characters"
  | "HTML comment"
  | "pseudo-tag"
  | "encoded text"
  | "shadowing"
  | "reference";

/**
 * Kinds that are reported and never withhold a tool: a definition naming another server's tool. Honest
 * servers of one domain name each other's tools (GitHub's `label_write` says to use `update_issue`, which
 * gh-aw's safe-outputs server has too), so the name alone cannot tell shadowing from documentation.
 */
export const REPORTED_ONLY: ReadonlySet<FindingKind> = new Set(["reference"]);

/** One finding: where in the definition, and the offending text made visible. */
export interface Finding {
  readonly kind: FindingKind;
  /** The field, as a path: `description`, `inputSchema.properties.path.description`, ... */
  readonly field: string;
  readonly shown: string;
}

/** Invisible characters by kind, each shown as `<U+XXXX>`. */
const INVISIBLE: readonly [FindingKind, RegExp][] = [
  ["bidirectional controls", /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u],
  ["zero-width characters", /[\u180E\u200B-\u200D\u2060-\u2064\uFEFF]/u],
  ["private-use characters", /[\uE000-\uF8FF\u{F0000}-\u{FFFFD}\u{100000}-\u{10FFFD}]/u],
  // deno-lint-ignore no-control-regex -- control characters are what this looks for
  ["control characters", /[\x00-\x08\x0B\x0C\x0E-\x1A\x1C-\x1F\x7F]/u],
];
const ANY_INVISIBLE = new RegExp(
  `[\\u{E0000}-\\u{E007F}\\x1B]|${INVISIBLE.map(([, pattern]) => pattern.source).join("|")}`,
  "gu",
);
const TAGS = /[\u{E0000}-\u{E007F}]+/gu;
// deno-lint-ignore no-control-regex -- the escape character starts every ANSI sequence
const ANSI = /\x1B(\[[0-9;?]*[ -/]*[@-~]|[@-_])?/u;
const HTML_COMMENT = /<!--[\s\S]*?(-->|$)/;
const TAG = /<(\/?)([A-Za-z][\w-]*)(\s[^<>]*)?>/g;
const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}/g;
const HEX_RUN = /\b(?:[0-9a-fA-F]{2}){16,}\b/g;

/** What a string looks like with every invisible character spelled out, tag characters decoded. */
export function visible(text: string): string {
  return text
    .replace(TAGS, (run) => `<tags "${[...run].map((c) => tagLetter(c)).join("")}">`)
    .replace(ANY_INVISIBLE, (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`);
}

/** The ASCII letter a tag character stands for (U+E0041 is "A"), or "?" for the tag controls. */
function tagLetter(char: string): string {
  const code = char.codePointAt(0)! - 0xE0000;
  return code >= 0x20 && code < 0x7F ? String.fromCharCode(code) : "?";
}

/** Text that decodes from Base64 or hex into readable words: what else would it be doing in a description? */
function decodedText(text: string): string[] {
  const found: string[] = [];
  for (const [run] of text.matchAll(BASE64_RUN)) {
    const decoded = readable(base64Bytes(run));
    if (decoded !== undefined) found.push(`${run} decodes to "${decoded}"`);
  }
  for (const [run] of text.matchAll(HEX_RUN)) {
    const bytes = new Uint8Array(run.length / 2).map((_, i) => parseInt(run.slice(i * 2, i * 2 + 2), 16));
    const decoded = readable(bytes);
    if (decoded !== undefined) found.push(`${run} decodes to "${decoded}"`);
  }
  return found;
}

function base64Bytes(run: string): Uint8Array | undefined {
  const standard = run.replaceAll("-", "+").replaceAll("_", "/").replace(/=+$/, "");
  try {
    return Uint8Array.from(
      atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, "=")),
      (c) => c.charCodeAt(0),
    );
  } catch {
    return undefined;
  }
}

/** Bytes that are UTF-8 text of mostly printable characters and some letters, as that text. */
function readable(bytes: Uint8Array | undefined): string | undefined {
  if (bytes === undefined || bytes.length < 12) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const printable = [...text].filter((c) => /[\p{L}\p{N}\p{P}\p{S}\p{Zs}\n\t]/u.test(c)).length;
  const letters = [...text].filter((c) => /\p{L}/u.test(c)).length;
  return printable >= text.length * 0.95 && letters >= text.length * 0.2 ? text : undefined;
}

/** The HTML elements a description may use for formatting; any other tag name is an instruction in disguise. */
const HTML = new Set(
  "a abbr b blockquote br caption code dd del details div dl dt em h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strong sub summary sup table tbody td th thead tr u ul var wbr"
    .split(" "),
);

/**
 * Tags that are not formatting: any in capitals (`<IMPORTANT>`, `</SYSTEM>`), and others that open and close
 * in the same text (`<secret>...</secret>`). A lone lowercase `<owner>` is a placeholder, not a tag.
 */
function pseudoTags(text: string): string[] {
  const tags = [...text.matchAll(TAG)];
  const closed = new Set(tags.filter((m) => m[1] === "/").map((m) => m[2].toLowerCase()));
  return tags
    .filter(([, , name]) => !HTML.has(name.toLowerCase()))
    .filter(([, close, name]) =>
      name === name.toUpperCase() && /[A-Z]/.test(name) || close === "" && closed.has(name.toLowerCase())
    )
    .map(([tag]) => tag);
}

/** Other servers' tools that definitions must not name: name to description (see referenceTools). */
export type OtherTools = ReadonlyMap<string, string>;

/** The findings in one string of a definition; `own` are its server's tool names, never shadowing. */
function scanText(text: string, field: string, otherTools: OtherTools, own: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  const add = (kind: FindingKind, shown: string) => findings.push({ kind, field, shown });
  const tags = text.match(TAGS);
  if (tags !== null) add("tag characters", visible(text));
  for (const [kind, pattern] of INVISIBLE) if (pattern.test(text)) add(kind, visible(text));
  if (ANSI.test(text)) add("ANSI escapes", visible(text));
  const comment = HTML_COMMENT.exec(text);
  if (comment !== null) add("HTML comment", visible(comment[0]));
  for (const tag of pseudoTags(text)) add("pseudo-tag", visible(tag));
  for (const decoded of decodedText(text)) add("encoded text", visible(decoded));
  for (const word of otherTools.size === 0 ? [] : text.match(/[A-Za-z0-9_-]+/g) ?? []) {
    if (otherTools.has(word) && !own.has(word)) add("reference", `names ${word}, a tool of another server`);
  }
  return findings;
}

/** Every string in a JSON value (member names too), with its path. */
function* strings(value: unknown, path: string): Iterable<[string, string]> {
  if (typeof value === "string") yield [value, path];
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  } else if (value !== null && typeof value === "object") {
    for (const [name, item] of Object.entries(value)) {
      yield [name, `${path}.${name} (name)`];
      yield* strings(item, `${path}.${name}`);
    }
  }
}

/** The fields of a definition an agent reads. */
const READ_FIELDS = ["name", "title", "description", "inputSchema", "outputSchema", "arguments"];

/**
 * The findings in a tool's (or prompt's) definition. Another server's tool named in its text is shadowing
 * (an instruction about a tool it does not own), unless its own server has a tool of that name; so is taking
 * another server's tool name with a near copy of its description (standing in front of it). The same name
 * with a different description is a coincidence, and with the same description the same software run twice.
 */
export function scanDefinition(
  definition: Record<string, unknown>,
  otherTools: OtherTools,
  own: ReadonlySet<string> = new Set(),
): Finding[] {
  const findings: Finding[] = [];
  const { name, description } = definition;
  for (const field of READ_FIELDS) {
    if (field === "name") continue;
    for (const [text, path] of strings(definition[field], field)) {
      findings.push(...scanText(text, path, otherTools, own));
    }
  }
  const copied = otherTools.get(String(name));
  if (copied !== undefined && nearCopy(String(description ?? ""), copied)) {
    findings.push({
      kind: "shadowing",
      field: "name",
      shown: `copies another server's ${name} and its description`,
    });
  }
  return findings.concat(scanText(String(name), "name", new Map(), own));
}

/** Two descriptions that differ, yet say nearly the same: most of their words shared (Jaccard index over 0.6). */
function nearCopy(one: string, two: string): boolean {
  if (one.trim() === two.trim()) return false;
  const words = (text: string) => new Set(text.toLowerCase().match(/\p{L}[\p{L}\p{N}']*/gu) ?? []);
  const [a, b] = [words(one), words(two)];
  const shared = [...a].filter((word) => b.has(word)).length;
  return a.size + b.size > 0 && shared / (a.size + b.size - shared) > 0.6;
}

/**
 * Another server's tools as references: those whose names are specific enough to be one (with `_` or `-`,
 * six characters or more; "search" is a word, "query_database" a tool), with their descriptions.
 */
export function referenceTools(tools: Iterable<Record<string, unknown>>): Map<string, string> {
  const references = new Map<string, string>();
  for (const tool of tools) {
    const name = String(tool.name);
    if (/[_-]/.test(name) && name.length >= 6) references.set(name, String(tool.description ?? ""));
  }
  return references;
}
