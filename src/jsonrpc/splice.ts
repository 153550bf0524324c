/**
 * Changing a message's id in its serialized text, so a forwarded message keeps its original bytes instead
 * of being serialized again.
 */
import type { JsonRpcId } from "./messages.ts";

const ID = '"id"';
/** How an envelope may start with its id. */
const HEADS = [`{"jsonrpc":"2.0",${ID}:`, `{${ID}:`];

/**
 * The text with the envelope's `id` changed from `from` to `to`, or undefined when that cannot be done
 * safely without parsing. The id must be the last member (`...,"id":X}`) or lead (`{"jsonrpc":"2.0","id":X,`
 * or `{"id":X,`), and `"id"` must occur nowhere else in the text: a second `id` member could be the one a
 * peer's parser keeps, so such text is serialized again instead. Inside a JSON string the quotes would be
 * escaped, so these positions are always the envelope's.
 */
export function withId(text: string, from: JsonRpcId, to: JsonRpcId): string | undefined {
  const old = typeof from === "number" ? String(from) : JSON.stringify(from);
  const next = typeof to === "number" ? String(to) : JSON.stringify(to);
  const tail = `${ID}:${old}}`;
  const at = text.length - tail.length;
  if (text.endsWith(tail) && text[at - 1] === "," && text.indexOf(ID) === at) {
    return `${text.slice(0, at)}${ID}:${next}}`;
  }
  for (const head of HEADS) {
    const rest = head.length + old.length;
    if (text.startsWith(`${head}${old},`) && text.indexOf(ID, rest) === -1) {
      return `${head}${next}${text.slice(rest)}`;
    }
  }
  return undefined;
}
