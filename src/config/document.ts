/**
 * What a format reader hands to the loader.
 */
import type { ConfigIssue } from "./issues.ts";
import type { CanonicalDocument } from "./validate.ts";

/** A parsed document in canonical spelling, or the syntax error that stopped parsing. */
export type ParsedDocument =
  | {
    readonly ok: true;
    readonly document: CanonicalDocument;
    /** Problems the reader found while canonicalizing (e.g. a key set twice). */
    readonly errors: readonly ConfigIssue[];
    /** Shows a canonical path the way the user wrote it. */
    readonly display: (path: string) => string;
    /** The source line of a written path, when the format has lines worth naming. */
    readonly lineOf: (path: string) => number | undefined;
  }
  | { readonly ok: false; readonly issue: ConfigIssue };
