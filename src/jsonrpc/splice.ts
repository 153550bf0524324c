/**
 * Changing a message's id in its serialized text, so a forwarded message keeps its original bytes instead
 * of being serialized again.
 */
import type { JsonRpcId } from "./messages.ts";

/**
 * The text with the envelope's `id` changed from `from` to `to`, or undefined when the id is not where it
 * can be found without parsing: the last member (`...,"id":X}`) or leading (`{"jsonrpc":"2.0","id":X,` or
 * `{"id":X,`). Inside a JSON string the quotes would be escaped, so these positions are always the envelope's.
 */
export function withId(text: string, from: JsonRpcId, to: JsonRpcId): string | undefined {
  const old = JSON.stringify(from);
  const next = JSON.stringify(to);
  const tail = `"id":${old}}`;
  if (text.endsWith(tail) && text[text.length - tail.length - 1] === ",") {
    return `${text.slice(0, text.length - tail.length)}"id":${next}}`;
  }
  for (const head of [`{"jsonrpc":"2.0","id":`, `{"id":`]) {
    if (text.startsWith(`${head}${old},`)) return `${head}${next}${text.slice(head.length + old.length)}`;
  }
  return undefined;
}
