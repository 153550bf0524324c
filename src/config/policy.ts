/**
 * Guard policies, as the Go gateway accepts them: `allow-only` (which repositories an agent may read and
 * the integrity it requires, for a WebAssembly guard's `label_agent`) or `write-sink` (an output server
 * that accepts writes from agents carrying given secrecy tags). Keys are matched without regard to case;
 * `allowonly`/`writesink` and the legacy bare `{repos, min-integrity}` shape are accepted.
 */
import { type ConfigIssue, describeFound } from "./issues.ts";
import { isRecord, joinPath } from "./tree.ts";

/** The integrity levels, lowest first. */
export const INTEGRITY_LEVELS = ["none", "unapproved", "approved", "merged"] as const;

/** An `allow-only` policy: the object handed to the guard's `label_agent`, checked and trimmed. */
export interface AllowOnlyPolicy {
  readonly kind: "allow-only";
  /** The `allow-only` object as the guard receives it (canonical key spelling). */
  readonly payload: Readonly<Record<string, unknown>>;
  /** Calls a session may make to each tool; 0 means unlimited. */
  readonly toolCallLimits: Readonly<Record<string, number>>;
}

/** A `write-sink` policy. */
export interface WriteSinkPolicy {
  readonly kind: "write-sink";
  /** Secrecy tags a writing agent may carry (`*` alone accepts all). */
  readonly accept: readonly string[];
  /** Where the sink publishes; "public" refuses any agent that carries secrecy tags. */
  readonly sinkVisibility?: "public" | "private" | "internal";
}

/** Either kind of policy. */
export type GuardPolicy = AllowOnlyPolicy | WriteSinkPolicy;

const LIST_FIELDS = [
  "blocked-users",
  "approval-labels",
  "trusted-users",
  "endorsement-reactions",
  "disapproval-reactions",
] as const;
const LEVEL_FIELDS = ["disapproval-integrity", "endorser-min-integrity"] as const;
const TEXT_FIELDS = ["promotion-label", "demotion-label"] as const;
const ALLOW_ONLY_FIELDS = [
  "repos",
  "min-integrity",
  "tool-call-limits",
  "refusal-labels",
  ...LIST_FIELDS,
  ...LEVEL_FIELDS,
  ...TEXT_FIELDS,
];
const TOKEN = /^[a-z0-9_-]+$/;

/** `owner`, at most 39 lowercase letters, digits, `_` or `-`. */
function isOwner(text: string): boolean {
  return text.length <= 39 && TOKEN.test(text);
}

/** `owner/*`, `owner/repo` or `owner/prefix*`, in lowercase as GitHub scopes are compared. */
export function isRepoScope(scope: string): boolean {
  const parts = scope.split("/");
  if (parts.length !== 2 || !isOwner(parts[0])) return false;
  const repo = parts[1];
  if (repo === "*") return true;
  const name = repo.endsWith("*") ? repo.slice(0, -1) : repo;
  if (name === "" || name.includes("*") || name.length > 100 || !TOKEN.test(name)) return false;
  return !(repo.endsWith("*") && name.endsWith("."));
}

/** The value of the first key matching one of `names` without regard to case. */
function field(
  object: Record<string, unknown>,
  ...names: string[]
): { key: string; value: unknown } | undefined {
  const key = Object.keys(object).find((k) => names.includes(k.toLowerCase()));
  return key === undefined ? undefined : { key, value: object[key] };
}

type Issues = ConfigIssue[];

function bad(issues: Issues, path: string, message: string, expected: string, value: unknown): undefined {
  issues.push({ path, message, expected, found: describeFound(value) });
  return undefined;
}

function level(value: unknown, path: string, issues: Issues): string | undefined {
  const text = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  if (text !== undefined && (INTEGRITY_LEVELS as readonly string[]).includes(text)) return text;
  return bad(issues, path, "invalid integrity level", `one of ${INTEGRITY_LEVELS.join(", ")}`, value);
}

function stringList(value: unknown, path: string, issues: Issues): string[] | undefined {
  const list = Array.isArray(value) ? value.map((v) => typeof v === "string" ? v.trim() : "") : undefined;
  if (list !== undefined && !list.includes("")) return list;
  return bad(issues, path, "invalid list", "an array of non-empty strings", value);
}

function repos(value: unknown, path: string, issues: Issues): string | string[] | undefined {
  const expected =
    '"all", "public", or a non-empty array of scopes such as "owner/repo", "owner/*", "owner/re*"';
  if (typeof value === "string") {
    const kind = value.trim().toLowerCase();
    return kind === "all" || kind === "public" ? kind : bad(issues, path, "invalid repos", expected, value);
  }
  const scopes = stringList(value, path, issues);
  if (scopes === undefined) return undefined;
  if (scopes.length === 0) return bad(issues, path, "repos is empty", expected, value);
  const wrong = scopes.findIndex((scope) => !isRepoScope(scope));
  if (wrong !== -1) {
    return bad(issues, joinPath(path, wrong), "invalid repository scope", expected, scopes[wrong]);
  }
  if (new Set(scopes).size !== scopes.length) {
    return bad(issues, path, "repos has duplicates", expected, value);
  }
  return scopes;
}

function allowOnly(value: unknown, path: string, issues: Issues): AllowOnlyPolicy | undefined {
  if (!isRecord(value)) {
    return bad(issues, path, "wrong type", "an object with repos and min-integrity", value);
  }
  const before = issues.length;
  for (const key of Object.keys(value)) {
    const name = key.toLowerCase() === "integrity" ? "min-integrity" : key.toLowerCase();
    if (!ALLOW_ONLY_FIELDS.includes(name)) {
      issues.push({
        path: joinPath(path, key),
        message: `allow-only has no field '${key}'`,
        suggestion: `the fields are ${ALLOW_ONLY_FIELDS.join(", ")}`,
      });
    }
  }
  const payload: Record<string, unknown> = {};
  const scope = field(value, "repos");
  const minimum = field(value, "min-integrity", "integrity");
  if (scope === undefined) {
    issues.push({ path: joinPath(path, "repos"), message: "allow-only requires repos" });
  } else payload.repos = repos(scope.value, joinPath(path, scope.key), issues);
  if (minimum === undefined) {
    issues.push({
      path: joinPath(path, "min-integrity"),
      message: "allow-only requires min-integrity",
      expected: `one of ${INTEGRITY_LEVELS.join(", ")}`,
    });
  } else payload["min-integrity"] = level(minimum.value, joinPath(path, minimum.key), issues);
  const limits = toolCallLimits(field(value, "tool-call-limits"), path, issues);
  if (limits !== undefined) payload["tool-call-limits"] = limits;
  const refusal = field(value, "refusal-labels");
  if (refusal !== undefined) payload["refusal-labels"] = refusalLabels(refusal, path, issues);
  optionalFields(value, path, issues, payload);
  if (issues.length > before) return undefined;
  return { kind: "allow-only", payload, toolCallLimits: limits ?? {} };
}

/** `tool-call-limits`: counts by tool name, each an integer >= 0. */
function toolCallLimits(
  found: ReturnType<typeof field>,
  path: string,
  issues: Issues,
): Record<string, number> | undefined {
  if (found === undefined) return undefined;
  const limitsPath = joinPath(path, found.key);
  if (!isRecord(found.value)) {
    return bad(issues, limitsPath, "wrong type", "an object of tool names to counts", found.value);
  }
  const limits: Record<string, number> = {};
  for (const [tool, count] of Object.entries(found.value)) {
    if (tool.trim() === "" || !Number.isInteger(count) || (count as number) < 0) {
      bad(
        issues,
        joinPath(limitsPath, tool),
        "invalid limit",
        "a non-empty tool name and an integer >= 0",
        count,
      );
    } else limits[tool.trim()] = count as number;
  }
  return limits;
}

/** `refusal-labels`: an array, or a comma- or newline-separated string, of at least one label. */
function refusalLabels(
  found: NonNullable<ReturnType<typeof field>>,
  path: string,
  issues: Issues,
): string[] | undefined {
  const text = found.value;
  const list = typeof text === "string"
    ? text.split(/[,\n]/).map((s) => s.trim()).filter((s) => s !== "")
    : stringList(text, joinPath(path, found.key), issues);
  if (list?.length === 0) {
    bad(
      issues,
      joinPath(path, found.key),
      "no labels",
      "labels as an array or a comma-separated string",
      text,
    );
  }
  return list;
}

/** The list, level and text fields an allow-only policy may carry, each checked for its kind. */
function optionalFields(
  value: Record<string, unknown>,
  path: string,
  issues: Issues,
  payload: Record<string, unknown>,
): void {
  for (const name of LIST_FIELDS) {
    const found = field(value, name);
    if (found !== undefined) payload[name] = stringList(found.value, joinPath(path, found.key), issues);
  }
  for (const name of LEVEL_FIELDS) {
    const found = field(value, name);
    if (found !== undefined) payload[name] = level(found.value, joinPath(path, found.key), issues);
  }
  for (const name of TEXT_FIELDS) {
    const found = field(value, name);
    if (found === undefined) continue;
    if (typeof found.value === "string") payload[name] = found.value.trim();
    else bad(issues, joinPath(path, found.key), "wrong type", "a string", found.value);
  }
}

function writeSink(value: unknown, path: string, issues: Issues): WriteSinkPolicy | undefined {
  if (!isRecord(value)) return bad(issues, path, "wrong type", "an object with accept", value);
  const before = issues.length;
  for (const key of Object.keys(value)) {
    if (!["accept", "sink-visibility"].includes(key.toLowerCase())) {
      issues.push({
        path: joinPath(path, key),
        message: `write-sink has no field '${key}'`,
        suggestion: "the fields are accept and sink-visibility",
      });
    }
  }
  const acceptField = field(value, "accept");
  const acceptPath = joinPath(path, acceptField?.key ?? "accept");
  const accept = stringList(acceptField?.value, acceptPath, issues) ?? [];
  const expected = '["*"], or secrecy scopes such as "private:owner/repo", "private:owner", "owner/re*"';
  if (acceptField !== undefined && accept.length === 0) {
    bad(issues, acceptPath, "accept is empty", expected, []);
  }
  if (accept.length > 1 || (accept.length === 1 && accept[0] !== "*")) {
    accept.forEach((entry, i) => {
      const colon = entry.indexOf(":");
      const visibility = colon > 0 ? entry.slice(0, colon) : "private";
      const scope = colon > 0 ? entry.slice(colon + 1) : entry;
      const valid = ["private", "public", "internal"].includes(visibility) &&
        (isRepoScope(scope) || isOwner(scope));
      if (!valid) {
        bad(issues, joinPath(acceptPath, i), "invalid accept entry", `${expected}; "*" only alone`, entry);
      }
    });
    if (new Set(accept).size !== accept.length) {
      bad(issues, acceptPath, "accept has duplicates", expected, accept);
    }
  }
  const visibilityField = field(value, "sink-visibility");
  const visibility = typeof visibilityField?.value === "string"
    ? visibilityField.value.trim().toLowerCase()
    : visibilityField?.value;
  if (visibility !== undefined && !["public", "private", "internal"].includes(visibility as string)) {
    bad(
      issues,
      joinPath(path, visibilityField!.key),
      "invalid sink-visibility",
      '"public", "private" or "internal"',
      visibilityField!.value,
    );
  }
  if (issues.length > before) return undefined;
  return {
    kind: "write-sink",
    accept,
    ...(visibility === undefined ? {} : { sinkVisibility: visibility as WriteSinkPolicy["sinkVisibility"] }),
  };
}

/**
 * Parses a guard policy object. `serverId` allows the Go gateway's nesting under the server's own id
 * (`{"github": {"allow-only": ...}}`). Problems are added to `issues` with their paths.
 */
export function parsePolicy(
  value: unknown,
  path: string,
  issues: Issues,
  serverId?: string,
): GuardPolicy | undefined {
  if (!isRecord(value)) {
    return bad(issues, path, "wrong type", 'an object with "allow-only" or "write-sink"', value);
  }
  const allow = field(value, "allow-only", "allowonly");
  const sink = field(value, "write-sink", "writesink");
  if (allow !== undefined && sink !== undefined) {
    issues.push({ path, message: "a policy is either allow-only or write-sink, not both" });
    return undefined;
  }
  if (allow !== undefined || sink !== undefined) {
    const extra = Object.keys(value).filter((key) => key !== (allow ?? sink)!.key);
    for (const key of extra) {
      issues.push({
        path: joinPath(path, key),
        message: `a policy has no field '${key}'`,
        suggestion: 'the fields are "allow-only" or "write-sink"',
      });
    }
    if (extra.length > 0) return undefined;
    return allow !== undefined
      ? allowOnly(allow.value, joinPath(path, allow.key), issues)
      : writeSink(sink!.value, joinPath(path, sink!.key), issues);
  }
  if (field(value, "repos") !== undefined) return allowOnly(value, path, issues);
  const nested = serverId === undefined ? undefined : field(value, serverId.toLowerCase());
  const only = Object.keys(value).length === 1 ? Object.entries(value)[0] : undefined;
  const inner = nested ?? (only === undefined ? undefined : { key: only[0], value: only[1] });
  if (inner !== undefined && isRecord(inner.value)) {
    return parsePolicy(inner.value, joinPath(path, inner.key), issues);
  }
  issues.push({
    path,
    message: "a policy must include allow-only or write-sink",
    expected: '{"allow-only": {"repos": ..., "min-integrity": ...}} or {"write-sink": {"accept": [...]}}',
    found: describeFound(value),
  });
  return undefined;
}

/** Builds the allow-only policy of the `--allowonly-*` flags and `MCP_GATEWAY_ALLOWONLY_*` variables. */
export function allowOnlyFromScope(
  scope: {
    readonly public: boolean;
    readonly owner?: string;
    readonly repo?: string;
    readonly minIntegrity?: string;
  },
  path: string,
  issues: Issues,
): GuardPolicy | undefined {
  const owner = scope.owner?.trim() ?? "";
  const repo = scope.repo?.trim() ?? "";
  if (repo !== "" && owner === "") {
    issues.push({
      path,
      message: "an allow-only repo scope needs its owner",
      suggestion: "set the owner too",
    });
    return undefined;
  }
  if (scope.public === (owner !== "")) {
    issues.push({
      path,
      message: "set exactly one allow-only scope: public, or an owner (with an optional repo)",
    });
    return undefined;
  }
  const repos = scope.public ? "public" : [`${owner}/${repo === "" ? "*" : repo}`];
  const minimum = (scope.minIntegrity ?? "").trim().toLowerCase().replaceAll("-", "");
  return allowOnly({ repos, "min-integrity": minimum }, path, issues);
}

/**
 * The policy narrowed to public repositories, as the Go gateway narrows it when the workflow's repository
 * is public: an allow-only policy keeps everything but its scope; none becomes public at any integrity. A
 * write-sink policy is left as it is (it has no repository scope).
 */
export function publicScope(policy: AllowOnlyPolicy | undefined): AllowOnlyPolicy;
export function publicScope(policy: GuardPolicy | undefined): GuardPolicy;
export function publicScope(policy: GuardPolicy | undefined): GuardPolicy {
  if (policy?.kind === "write-sink") return policy;
  return {
    kind: "allow-only",
    payload: { ...(policy?.payload ?? { "min-integrity": "none" }), repos: "public" },
    toolCallLimits: policy?.toolCallLimits ?? {},
  };
}
