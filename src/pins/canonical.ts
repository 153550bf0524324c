/**
 * RFC 8785 (JSON Canonicalization Scheme) for the JSON values MCP definitions are made of, and SHA-256 over
 * it: two servers that send the same definition in any key order or spacing get the same hash.
 */
import { hex } from "../hex.ts";

const encoder = new TextEncoder();

/**
 * The canonical JSON text of a value: object members sorted by the UTF-16 code units of their names, no
 * white space, strings and numbers as ECMAScript serializes them (which RFC 8785 adopts).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError(`${value} has no JSON form`);
    }
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, as RFC 8785 asks; undefined members are absent in JSON.
  const names = Object.keys(record).filter((name) => record[name] !== undefined).sort();
  return `{${names.map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`).join(",")}}`;
}

/** The SHA-256 of a value's canonical JSON, as "sha256:" and lowercase hex. */
export async function canonicalHash(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(canonicalJson(value)));
  return `sha256:${hex(new Uint8Array(digest))}`;
}
