/**
 * Bytes as lowercase hexadecimal, two digits a byte: digests, keys and ids made of random bytes.
 */

const DIGITS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** The bytes as lowercase hexadecimal. */
export function hex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += DIGITS[byte];
  return text;
}

/** `count` random bytes, as lowercase hexadecimal (2 × `count` digits). */
export function randomHex(count: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(count)));
}
