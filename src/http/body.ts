/**
 * Reads a request body as text within a size limit and a time limit, without buffering more than the limit.
 */
import { readLimited } from "../jsonrpc/framer.ts";

/** A body, or why it was not read. */
export type BodyResult =
  | { readonly kind: "ok"; readonly text: string }
  | { readonly kind: "too-large" }
  | { readonly kind: "timeout" };

/** Reads the body; larger than `limit` bytes, or not complete within `timeoutMs`, it is refused. */
export async function readBody(request: Request, limit: number, timeoutMs: number): Promise<BodyResult> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel();
    return { kind: "too-large" };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), timeoutMs)
  );
  try {
    const text = await Promise.race([readLimited(request.body, limit), timedOut]);
    if (text === "timeout") {
      await request.body?.cancel().catch(() => {});
      return { kind: "timeout" };
    }
    return text === undefined ? { kind: "too-large" } : { kind: "ok", text };
  } finally {
    clearTimeout(timer);
  }
}
