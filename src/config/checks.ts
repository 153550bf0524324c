/**
 * What every part of the validation shares: valibot's issues said in config words (with the Go gateway's
 * phrases, secrets hidden), unknown keys with a suggestion, and the refusal of a policy awmg cannot enforce.
 */
import type * as v from "valibot";
import { type ConfigIssue, describeFound } from "./issues.ts";
import { closest } from "./suggest.ts";
import { joinPath } from "./tree.ts";

/** The two input formats differ in spelling and in a few rules. */
export type Format = "toml" | "json";

/** Fields whose values are never shown in an error. */
const SECRET_FIELDS = new Set([
  "env",
  "headers",
  "apiKey",
  "agentId",
  "agentIds",
  "store",
  "stateKey",
  "previousStateKey",
]);

type PathKey = string | number;

/**
 * The Go gateway's words for a value out of range, by section and field: scripts and docs written against Go
 * match them, so awmg's message carries them beside its own expected/found.
 */
const GO_PHRASES: Readonly<Record<"gateway" | "server", Readonly<Record<string, string>>>> = {
  gateway: {
    port: "port must be between 1 and 65535",
    payloadSizeThreshold: "payload_size_threshold must be a positive integer",
    startupTimeout: "startupTimeout must be a positive integer",
    toolTimeout: "toolTimeout must be a positive integer",
    trustedBots: "trusted_bots must be a non-empty array when present",
    payloadDir: "payloadDir must be an absolute path",
  },
  server: {
    toolTimeout: "tool_timeout must be at least 10",
    connectTimeout: "connect_timeout must be a positive integer",
  },
};

/** Converts valibot issues under `base` into config issues; values under secret fields stay hidden. */
export function fromValibot(base: string, issues: readonly v.BaseIssue<unknown>[]): ConfigIssue[] {
  return issues.map((issue) => {
    const keys = (issue.path ?? []).map((item) => item.key as PathKey);
    const secret = keys.some((key) => typeof key === "string" && SECRET_FIELDS.has(key));
    // A name refused under a secret field is shown no more than a value is (`X=token` as an env name).
    const shown = secret && issue.path?.at(-1)?.origin === "key" ? keys.slice(0, -1) : keys;
    const path = shown.reduce<string>(joinPath, base);
    const field = keys.at(-1);
    const phrases = GO_PHRASES[base.startsWith("gateway") ? "gateway" : "server"];
    const phrase = issue.kind === "schema"
      ? undefined
      : typeof field === "string"
      ? phrases[field]
      : keys.at(-2) === "trustedBots"
      ? `trusted_bots[${field}] must be a non-empty string`
      : undefined;
    return {
      path,
      message: phrase ?? (issue.kind === "schema" ? "wrong type" : "invalid value"),
      expected: issue.message,
      found: describeFound(issue.input, secret),
    };
  });
}

/** How a canonical key is spelt in the format at hand, for suggestions. */
export function spell(key: string, format: Format): string {
  return format === "toml" ? key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`) : key;
}

export function unknownKeys(
  object: Record<string, unknown>,
  known: readonly string[],
  path: string,
  format: Format,
): ConfigIssue[] {
  return Object.keys(object).filter((key) => !known.includes(key)).map((key) => {
    const near = closest(key, known.map((k) => spell(k, format)));
    return {
      path: joinPath(path, key),
      message: `unrecognized field '${joinPath(path, key)}'`,
      suggestion: near === undefined ? "check for typos or deprecated options" : `did you mean '${near}'?`,
    };
  });
}

/** The error for a policy awmg would not enforce. */
export function unenforced(path: string, what: string): ConfigIssue {
  return {
    path,
    message: `${what} cannot be enforced by awmg: the server would run without this security policy`,
    suggestion: `remove '${path}' to run without the policy, or use a gateway that enforces it`,
  };
}
