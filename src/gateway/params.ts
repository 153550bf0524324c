/**
 * The params of the MCP requests a client sends, checked at the edge: a request the gateway would have to
 * guess about (a `tools/call` without a tool name, a `resources/read` without a uri) is refused with
 * -32602 before anything reaches a backend. Only the members the gateway or every server relies on are
 * checked; the rest passes as the client sent it.
 */
import * as v from "valibot";

const meta = v.optional(
  v.object({ progressToken: v.optional(v.union([v.string(), v.number()], "a string or a number")) }),
);
const object = (entries: v.ObjectEntries) => v.looseObject({ ...entries, _meta: meta }, "an object");
/** A JSON object of values (valibot's record alone would take an array too). */
const record = (value: v.GenericSchema, expected: string) =>
  v.pipe(
    v.custom<Record<string, unknown>>(
      (x) => typeof x === "object" && x !== null && !Array.isArray(x),
      expected,
    ),
    v.record(v.string(), value, expected),
  );
const name = v.pipe(v.string("a string"), v.nonEmpty("a non-empty string"));
const cursor = object({ cursor: v.optional(v.string("a string")) });
const uri = object({ uri: v.pipe(v.string("a string"), v.nonEmpty("a non-empty string")) });

/** The params schema of each client request method that has required members. */
const SCHEMAS: Record<string, v.GenericSchema> = {
  "tools/call": object({
    name,
    arguments: v.optional(record(v.unknown(), "an object")),
  }),
  "prompts/get": object({
    name,
    arguments: v.optional(record(v.string("a string"), "an object of strings")),
  }),
  "resources/read": uri,
  "resources/subscribe": uri,
  "resources/unsubscribe": uri,
  "logging/setLevel": object({ level: name }),
  "completion/complete": object({
    ref: v.looseObject({ type: name }, "an object"),
    argument: v.looseObject({ name: v.string("a string"), value: v.string("a string") }, "an object"),
  }),
  "tasks/get": object({ taskId: name }),
  "tasks/update": object({ taskId: name }),
  "tasks/cancel": object({ taskId: name }),
  "tools/list": v.optional(cursor),
  "prompts/list": v.optional(cursor),
  "resources/list": v.optional(cursor),
  "resources/templates/list": v.optional(cursor),
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The shape almost every tools/call has, checked without valibot: a call runs per message, and a schema
 * run costs more than the call's own routing. Anything else goes through the schema, which words the error.
 */
function isPlainToolCall(params: unknown): boolean {
  if (!isObject(params) || typeof params.name !== "string" || params.name === "") return false;
  const { arguments: args, _meta: meta } = params;
  if (args !== undefined && !isObject(args)) return false;
  if (meta === undefined) return true;
  if (!isObject(meta)) return false;
  const token = meta.progressToken;
  return token === undefined || typeof token === "string" || typeof token === "number";
}

/** Why a request's params are not acceptable (the JSON path and what was expected), or undefined. */
export function paramsProblem(method: string, params: unknown): string | undefined {
  const schema = SCHEMAS[method];
  if (schema === undefined || (method === "tools/call" && isPlainToolCall(params))) return undefined;
  const result = v.safeParse(schema, params);
  if (result.success) return undefined;
  const issue = result.issues[0];
  const path = ["params", ...(issue.path ?? []).map((item) => String(item.key))].join(".");
  return issue.input === undefined ? `${path} is required` : `${path}: expected ${issue.message}`;
}
