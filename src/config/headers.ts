/**
 * What a header must be for fetch to send it at all: fetch refuses a name that is not an HTTP token, or a value
 * that holds a line break or NUL inside, with an error that quotes the value whole. Header values are where
 * secrets live, so the config (and the OTLP settings) refuse such a header first.
 */

/** An HTTP token (RFC 9110, 5.6.2): what a header's name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Whitespace fetch trims from both ends of a value before it checks what is left (RFC 9110, 5.5). */
const HTTP_WHITESPACE = new Set(["\t", "\n", "\r", " "]);
/** What no header value may hold once trimmed: it would end the header or the request head. */
const INNER_BREAK = /[\r\n\0]/;

/** Whether fetch can send a header of this name. */
export function isHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/** Whether fetch can send this header value (the whitespace it trims from the ends aside). */
export function isHeaderValue(value: string): boolean {
  let start = 0;
  let end = value.length;
  while (start < end && HTTP_WHITESPACE.has(value[start])) start++;
  while (end > start && HTTP_WHITESPACE.has(value[end - 1])) end--;
  return !INNER_BREAK.test(value.slice(start, end));
}

/** What a header's name must be, as a config error says it. */
export const HEADER_NAME_EXPECTED = "a header name: letters, digits and !#$%&'*+-.^_`|~";

/** What a header's value must be, as a config error says it. */
export const HEADER_VALUE_EXPECTED = "a header value with no line break or NUL inside";
