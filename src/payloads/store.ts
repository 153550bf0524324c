/**
 * Large tool results on disk: `{payloadDir}/{sessionID}/{queryID}/payload.json`, directories 0700 and the
 * file 0600, written in slices so a multi-megabyte result is not copied whole again; the client gets
 * metadata instead.
 */
import { payloadSchema } from "./schema.ts";

/** Where and from what size results are stored. */
export interface PayloadOptions {
  readonly dir: string;
  /** Results larger than this many bytes are stored. */
  readonly threshold: number;
  /** Replaces `dir` in the path the agent is given, for agents that mount it elsewhere. */
  readonly pathPrefix?: string;
}

/** What the client receives in place of a stored result. */
export interface PayloadMetadata {
  readonly agentInstructions: string;
  readonly payloadPath: string;
  readonly payloadPathPrefix?: string;
  readonly payloadPreview: string;
  readonly payloadSchema: unknown;
  readonly originalSize: number;
}

const PREVIEW_CHARS = 500;
const SLICE_CHARS = 1 << 20;
const encoder = new TextEncoder();

/** The UTF-8 size of a string without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 2;
      i++;
    } else if (code >= 0x800) bytes += 2;
    else if (code >= 0x80) bytes += 1;
  }
  return bytes;
}

/** A path segment a client-influenced id cannot escape from. */
export function safeSegment(id: string | undefined): string {
  const safe = (id ?? "").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 128);
  return safe === "" || /^_+$/.test(safe) ? "no-session" : safe;
}

async function writeSliced(path: string, text: string): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  const writer = file.writable.getWriter();
  try {
    for (let start = 0; start < text.length;) {
      let end = Math.min(text.length, start + SLICE_CHARS);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      await writer.write(encoder.encode(text.slice(start, end)));
      start = end;
    }
  } finally {
    await writer.close();
  }
}

/** Stores large results and describes them. */
export class PayloadStore {
  constructor(readonly options: PayloadOptions) {}

  /** True when a result of this serialized text must be stored; cheap for small results. */
  exceeds(text: string): boolean {
    const { threshold } = this.options;
    if (text.length > threshold) return true;
    return text.length * 3 > threshold && utf8Length(text) > threshold;
  }

  /** Writes the result text to a fresh directory of the session and returns the metadata. */
  async store(sessionId: string | undefined, text: string, result: unknown): Promise<PayloadMetadata> {
    const schema = payloadSchema(result);
    const relative = `${safeSegment(sessionId)}/${crypto.randomUUID()}`;
    const dir = `${this.options.dir}/${relative}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = `${dir}/payload.json`;
    await writeSliced(file, text);
    const prefix = this.options.pathPrefix;
    const payloadPath = prefix === undefined
      ? file
      : `${prefix.replace(/\/+$/, "")}/${relative}/payload.json`;
    const originalSize = utf8Length(text);
    return {
      agentInstructions:
        `The tool result was too large to return inline (${originalSize} bytes) and was saved as ` +
        `JSON to payloadPath. Read that file (for example with jq) to use it; payloadSchema describes its ` +
        `structure and payloadPreview shows its first ${PREVIEW_CHARS} characters.`,
      payloadPath,
      ...(prefix === undefined ? {} : { payloadPathPrefix: prefix }),
      payloadPreview: text.slice(0, PREVIEW_CHARS),
      payloadSchema: schema,
      originalSize,
    };
  }
}

/** The tool result a client gets in place of a stored one. */
export function metadataResult(metadata: PayloadMetadata): { content: { type: "text"; text: string }[] } {
  return { content: [{ type: "text", text: JSON.stringify(metadata) }] };
}

/**
 * The serialized `result` of a response, sliced from the text it arrived as when the envelope has the
 * usual shape (no copy), else serialized again.
 */
export function resultText(messageText: string, id: string | number, result: unknown): string {
  const idText = JSON.stringify(id);
  const resultFirst = '{"result":';
  const tail = `,"jsonrpc":"2.0","id":${idText}}`;
  if (messageText.startsWith(resultFirst) && messageText.endsWith(tail)) {
    return messageText.slice(resultFirst.length, messageText.length - tail.length);
  }
  const envelopeFirst = `{"jsonrpc":"2.0","id":${idText},"result":`;
  if (messageText.startsWith(envelopeFirst) && messageText.endsWith("}")) {
    return messageText.slice(envelopeFirst.length, -1);
  }
  return JSON.stringify(result);
}
