/**
 * A WebAssembly guard with the Go gateway's ABI: the JSON each export is given, and the checks on what it
 * answers. An answer that is not what the ABI promises fails the call (fail closed), naming the guard.
 */
import * as v from "valibot";
import type { Labelled } from "../difc/decide.ts";
import { type LabeledResult, labelListed, labelResult } from "../difc/items.ts";
import { labels, MODES, type Operation } from "../difc/labels.ts";
import type { AgentLabelling, Guard, GuardContext } from "./guard.ts";
import { GuardFailure, type WasmGuardHost } from "./host.ts";
import type { GuardExport } from "./protocol.ts";

const tags = v.array(v.string());
const itemLabels = v.object({
  description: v.optional(v.string()),
  secrecy: v.optional(tags, []),
  integrity: v.optional(tags, []),
});
const agentAnswer = v.object({
  agent: v.object({ secrecy: v.optional(tags, []), integrity: v.optional(tags, []) }),
  difc_mode: v.pipe(v.string(), v.transform((mode) => mode.toLowerCase()), v.picklist(MODES)),
  normalized_policy: v.optional(v.unknown()),
});
const resourceAnswer = v.object({ resource: itemLabels, operation: v.optional(v.unknown()) });
const pathAnswer = v.object({
  labeled_paths: v.array(v.object({ path: v.string(), labels: itemLabels })),
  default_labels: v.optional(v.nullable(itemLabels)),
  items_path: v.optional(v.nullable(v.string())),
});
const itemsAnswer = v.object({ items: v.array(v.object({ data: v.unknown(), labels: itemLabels })) });

const OPERATIONS: readonly unknown[] = ["read", "write", "read-write"] satisfies Operation[];

/** A guard running in a `WasmGuardHost`, with the `label_agent` payload of its policy. */
export class WasmGuard implements Guard {
  readonly #host: WasmGuardHost;
  readonly #agentInput: string;

  constructor(host: WasmGuardHost, agentPayload: Record<string, unknown>) {
    this.#host = host;
    this.#agentInput = JSON.stringify(agentPayload);
  }

  get name(): string {
    return this.#host.name;
  }

  get generation(): number {
    return this.#host.generation;
  }

  async #call(fn: GuardExport, input: string, context: GuardContext): Promise<unknown> {
    const output = await this.#host.call(context.session, fn, input, context);
    if (output === "" && fn === "label_response") return undefined;
    let answer: unknown;
    try {
      answer = JSON.parse(output);
    } catch {
      throw new GuardFailure(this.name, fn, `answered something that is not JSON: ${output.slice(0, 80)}`);
    }
    if (typeof answer !== "object" || answer === null || Array.isArray(answer)) {
      throw new GuardFailure(this.name, fn, "answered JSON that is not an object");
    }
    const { success, ok, error } = answer as Record<string, unknown>;
    if (success === false || ok === false || (typeof error === "string" && error.trim() !== "")) {
      throw new GuardFailure(
        this.name,
        fn,
        `refused: ${typeof error === "string" ? error : "no reason given"}`,
      );
    }
    return answer;
  }

  #shape<T extends v.GenericSchema>(schema: T, answer: unknown, fn: GuardExport): v.InferOutput<T> {
    const parsed = v.safeParse(schema, answer);
    if (parsed.success) return parsed.output;
    const issue = parsed.issues[0];
    const where = issue.path?.map((item) => String(item.key)).join(".") ?? "";
    throw new GuardFailure(
      this.name,
      fn,
      `answered a malformed ${fn} result (at ${where || "the top"}: ${issue.message})`,
    );
  }

  async labelAgent(context: GuardContext): Promise<AgentLabelling> {
    const answer = this.#shape(
      agentAnswer,
      await this.#call("label_agent", this.#agentInput, context),
      "label_agent",
    );
    return {
      secrecy: answer.agent.secrecy,
      integrity: answer.agent.integrity,
      mode: answer.difc_mode,
      normalizedPolicy: answer.normalized_policy,
    };
  }

  async labelResource(tool: string, args: unknown, context: GuardContext): Promise<Labelled> {
    const input = JSON.stringify({ tool_name: tool, tool_args: args ?? {} });
    const answer = this.#shape(
      resourceAnswer,
      await this.#call("label_resource", input, context),
      "label_resource",
    );
    const { description, secrecy, integrity } = answer.resource;
    return {
      resource: { description: description ?? tool, ...labels(secrecy, integrity) },
      // The most restrictive reading of an operation the guard did not state.
      operation: OPERATIONS.includes(answer.operation) ? answer.operation as Operation : "write",
    };
  }

  async labelResponse(
    tool: string,
    args: unknown,
    result: Record<string, unknown>,
    resultJson: string,
    context: GuardContext,
  ): Promise<LabeledResult | string | undefined> {
    const input = `{"tool_name":${JSON.stringify(tool)},"tool_args":${
      JSON.stringify(args ?? {})
    },"tool_result":${resultJson}}`;
    const answer = await this.#call("label_response", input, context);
    if (answer === undefined) return undefined;
    if ("labeled_paths" in (answer as object)) {
      const paths = this.#shape(pathAnswer, answer, "label_response");
      return labelResult(result, {
        labeledPaths: paths.labeled_paths,
        ...(paths.default_labels == null ? {} : { defaultLabels: paths.default_labels }),
        ...(paths.items_path == null ? {} : { itemsPath: paths.items_path }),
      });
    }
    if ("items" in (answer as object)) {
      const { items } = this.#shape(itemsAnswer, answer, "label_response");
      return items.length === 0 ? undefined : labelListed(items);
    }
    return undefined;
  }

  drop(session: string): void {
    this.#host.drop(session);
  }

  close(): void {
    this.#host.close();
  }
}
