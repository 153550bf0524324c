/**
 * Newline-delimited framing of a byte stream into text lines.
 *
 * Chunks may hold several lines or a fraction of one; a single line may span megabytes. Only the new chunk
 * is scanned for a newline, so a large message costs one pass over its bytes, not one per chunk.
 */

/** Splits a stream of bytes into lines (without the trailing newline); empty lines are dropped. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending: string[] = [];
  for await (const chunk of stream) {
    let text = decoder.decode(chunk, { stream: true });
    let newline = text.indexOf("\n");
    while (newline !== -1) {
      pending.push(text.slice(0, newline));
      const line = pending.length === 1 ? pending[0] : pending.join("");
      pending = [];
      if (line.trim() !== "") yield line.endsWith("\r") ? line.slice(0, -1) : line;
      text = text.slice(newline + 1);
      newline = text.indexOf("\n");
    }
    if (text !== "") pending.push(text);
  }
  const rest = pending.join("") + decoder.decode();
  if (rest.trim() !== "") yield rest;
}
