/**
 * Tool results cleaned of what hides text from the person reading along (opt-in, `gateway.sanitizeResults`):
 * ANSI escapes and Unicode tag characters removed from text content, and Markdown images that point at a host
 * outside the allow-list turned into plain links, since an image an agent renders is fetched at once, with
 * whatever the URL carries (the classic exfiltration channel).
 */

/** What sanitizing one result changed. */
export interface Sanitized {
  readonly result: unknown;
  readonly ansi: number;
  readonly tags: number;
  readonly images: number;
}

// deno-lint-ignore no-control-regex -- the escape character starts every ANSI sequence
const ANSI = /\x1B(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)|[@-_])/g;
const TAGS = /[\u{E0000}-\u{E007F}]/gu;
const IMAGE = /!\[([^\]]*)\]\(\s*<?(https?:\/\/[^\s)>]+)>?(\s+"[^"]*")?\s*\)/gi;

/** Whether a URL's host is one of `hosts` or under one of them. */
function allowed(url: string, hosts: readonly string[]): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return hosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}

/** A tool result with its text content cleaned; the same object when nothing needed cleaning. */
export function sanitizeResult(result: unknown, imageHosts: readonly string[]): Sanitized {
  const counts = { ansi: 0, tags: 0, images: 0 };
  const content = (result as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return { result, ...counts };
  let changed = false;
  const cleaned = content.map((item) => {
    if ((item as { type?: unknown })?.type !== "text" || typeof item.text !== "string") return item;
    const text = (item.text as string)
      .replace(ANSI, () => (counts.ansi++, ""))
      .replace(TAGS, () => (counts.tags++, ""))
      .replace(
        IMAGE,
        (image, alt: string, url: string) =>
          allowed(url, imageHosts) ? image : (counts.images++, `[${alt || url}](${url})`),
      );
    if (text === item.text) return item;
    changed = true;
    return { ...item, text };
  });
  return changed ? { result: { ...(result as object), content: cleaned }, ...counts } : { result, ...counts };
}
