/**
 * Large tool results kept off the wire: a result above the payload threshold goes to disk and the client
 * gets its metadata (where it is, how large, a preview); smaller ones pass as they are.
 */
import { getLogger } from "@logtape/logtape";
import { metadataResult, type PayloadStore } from "../payloads/store.ts";

const log = getLogger(["awmg", "gateway"]);

/** Where a result comes from: the client's session (its payload folder) and the server that answered. */
export interface ResultSource {
  readonly sessionId?: string;
  readonly serverId: string;
}

/**
 * The result as the client gets it. `size` is the length of the text the result arrived in, and `json` its
 * own JSON text, made only when the size alone cannot rule the result small. A result that cannot be
 * stored goes back inline.
 */
export function offload(
  payloads: PayloadStore,
  { sessionId, serverId }: ResultSource,
  result: unknown,
  size: number,
  json: () => string,
): unknown {
  if (size <= payloads.options.threshold / 3) return result;
  const text = json();
  if (!payloads.exceeds(text)) return result;
  return payloads.store(sessionId, text, result).then(
    (metadata) => {
      log.info("Stored a {size}-byte result of {server} at {path}", {
        size: metadata.originalSize,
        server: serverId,
        path: metadata.payloadPath,
      });
      return metadataResult(metadata);
    },
    (error: Error) => {
      log.error("Could not store a large result of {server} ({error}); returning it inline", {
        server: serverId,
        error: error.message,
      });
      return result;
    },
  );
}
