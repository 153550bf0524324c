/**
 * The judgement of a server's tool list at run time: each tool compared with its pin in the lock file and
 * scanned for hidden instructions. What fails is withheld from the list and its calls are refused, naming
 * what changed or what was found; the rest of the server keeps working.
 */
import { getLogger } from "@logtape/logtape";
import { canonicalJson } from "./canonical.ts";
import { changedParts, pinPrompt, pinTool, type ToolLock, type ToolPin } from "./lock.ts";
import { type OtherTools, REPORTED_ONLY, scanDefinition } from "./scan.ts";

/** What a check does on a failure: withhold the tool, only warn, or nothing at all. */
export type CheckMode = "enforce" | "warn" | "off";

/** A server's checks: its pins (used only with a lock file) and the scan. */
export interface ServerChecks {
  readonly pins: CheckMode;
  readonly scan: CheckMode;
}

/** What the vetting of one server found at its last tool list, for /health and the digest. */
export interface VettingReport {
  readonly pinned: number;
  readonly changed: number;
  readonly new: number;
  readonly withheld: number;
  readonly findings: readonly string[];
}

/** One tool's verdict: served, or withheld and why. */
type Verdict = { readonly served: true } | { readonly served: false; readonly why: string };

/** Memoized pins stay below this many definitions per gateway: a server that churns cannot grow it. */
const MEMO_LIMIT = 4096;

/**
 * The reasons to withhold a definition, or, when it cannot be checked at all (nested past what the scan
 * can walk, a number with no JSON form), that: a definition that cannot be checked is never served.
 */
async function uncheckable(reasons: () => Promise<string[]>): Promise<string[]> {
  try {
    return await reasons();
  } catch (error) {
    return [`it could not be checked: ${(error as Error).message}`];
  }
}

/** The vetting of every server's tools. */
export class ToolVetting {
  readonly #lock?: ToolLock;
  readonly #checks: (serverId: string) => ServerChecks;
  readonly #verdicts = new Map<string, Map<string, Verdict>>();
  readonly #promptVerdicts = new Map<string, Map<string, Verdict>>();
  readonly #reports = new Map<string, VettingReport>();
  readonly #memo = new Map<string, ToolPin>();
  readonly #log = getLogger(["awmg", "pins"]);

  constructor(lock: ToolLock | undefined, checks: (serverId: string) => ServerChecks) {
    this.#lock = lock;
    this.#checks = checks;
  }

  /** Whether anything is checked for a server. */
  active(serverId: string): boolean {
    const { pins, scan } = this.#checks(serverId);
    return scan !== "off" || (pins !== "off" && this.#lock !== undefined);
  }

  /** The tools of a server that may be served; the verdict on each is kept for its calls. */
  async vet(
    serverId: string,
    tools: readonly Record<string, unknown>[],
    others: OtherTools,
  ): Promise<Record<string, unknown>[]> {
    if (!this.active(serverId)) return [...tools];
    const verdicts = new Map<string, Verdict>();
    const counts = { pinned: 0, changed: 0, new: 0, withheld: 0 };
    const findings: string[] = [];
    const served: Record<string, unknown>[] = [];
    const own = new Set(tools.map((tool) => String(tool.name)));
    for (const tool of tools) {
      const name = String(tool.name);
      const reasons = await uncheckable(async () => [
        ...await this.#pinReasons(serverId, tool, counts),
        ...this.#scanReasons(serverId, tool, "tool", others, own, findings),
      ]);
      if (reasons.length === 0) served.push(tool);
      else counts.withheld++;
      verdicts.set(
        name,
        reasons.length === 0 ? { served: true } : { served: false, why: reasons.join("; ") },
      );
    }
    this.#verdicts.set(serverId, verdicts);
    this.#reports.set(serverId, { ...counts, findings });
    return served;
  }

  /** The prompts of a server that may be listed, held to their pins and scanned as tools are. */
  async vetPrompts(
    serverId: string,
    prompts: readonly Record<string, unknown>[],
    others: OtherTools,
  ): Promise<Record<string, unknown>[]> {
    if (!this.active(serverId)) return [...prompts];
    const verdicts = new Map<string, Verdict>();
    const own = new Set(prompts.map((prompt) => String(prompt.name)));
    const served: Record<string, unknown>[] = [];
    for (const prompt of prompts) {
      const reasons = await uncheckable(async () => [
        ...await this.#promptPinReasons(serverId, prompt),
        ...this.#scanReasons(serverId, prompt, "prompt", others, own, []),
      ]);
      if (reasons.length === 0) served.push(prompt);
      verdicts.set(
        String(prompt.name),
        reasons.length === 0 ? { served: true } : { served: false, why: reasons.join("; ") },
      );
    }
    this.#promptVerdicts.set(serverId, verdicts);
    return served;
  }

  /** Why `prompts/get` of a prompt is refused, if it was withheld at its server's last listing. */
  promptRefusal(serverId: string, prompt: string): string | undefined {
    const verdict = this.#promptVerdicts.get(serverId)?.get(prompt);
    return verdict === undefined || verdict.served ? undefined : verdict.why;
  }

  /**
   * Why a call to a tool is refused, if it is: withheld at the last listing, or, where pins are enforced,
   * never listed (it has no pin; without pins the server's own answer to an unknown tool goes back).
   */
  refusal(serverId: string, tool: string): string | undefined {
    if (!this.active(serverId)) return undefined;
    const verdict = this.#verdicts.get(serverId)?.get(tool);
    if (verdict !== undefined) return verdict.served ? undefined : verdict.why;
    return this.#lock !== undefined && this.#checks(serverId).pins === "enforce"
      ? `${tool} was not in the server's tool list when awmg last checked it`
      : undefined;
  }

  /** What the last vetting of a server found, when it was vetted. */
  report(serverId: string): VettingReport | undefined {
    return this.#reports.get(serverId);
  }

  /** Why the pins withhold a tool (empty when they do not), counting what they found. */
  async #pinReasons(
    serverId: string,
    tool: Record<string, unknown>,
    counts: { pinned: number; changed: number; new: number },
  ): Promise<string[]> {
    const mode = this.#checks(serverId).pins;
    if (this.#lock === undefined || mode === "off") return [];
    const name = String(tool.name);
    const pinned = this.#lock.servers[serverId]?.tools[name];
    const problems: string[] = [];
    if (pinned === undefined) {
      counts.new++;
      problems.push("new: it is not in the lock file");
    } else {
      const changed = changedParts(pinned, await this.#pin(tool));
      const meaningful = changed.filter((part) => part !== "annotations");
      if (changed.includes("annotations")) {
        this.#log.warn(
          "Tool {tool} of {server} changed its annotations since it was pinned (served: annotations are hints)",
          { tool: name, server: serverId },
        );
      }
      if (meaningful.length === 0) counts.pinned++;
      else {
        counts.changed++;
        problems.push(`changed since it was pinned: ${meaningful.join(", ")}`);
      }
    }
    return this.#decide(serverId, "tool", name, "pins", mode, problems);
  }

  /** Why the pins withhold a prompt (empty when they do not). */
  async #promptPinReasons(serverId: string, prompt: Record<string, unknown>): Promise<string[]> {
    const mode = this.#checks(serverId).pins;
    if (this.#lock === undefined || mode === "off") return [];
    const name = String(prompt.name);
    const pinned = this.#lock.servers[serverId]?.prompts[name];
    const problems = pinned === undefined
      ? ["new: it is not in the lock file"]
      : pinned === await pinPrompt(prompt)
      ? []
      : ["changed since it was pinned"];
    return this.#decide(serverId, "prompt", name, "pins", mode, problems);
  }

  /** Why the scan withholds a tool (empty when it does not), adding each finding to `findings`. */
  #scanReasons(
    serverId: string,
    tool: Record<string, unknown>,
    kind: "tool" | "prompt",
    others: OtherTools,
    own: ReadonlySet<string>,
    findings: string[],
  ): string[] {
    const mode = this.#checks(serverId).scan;
    if (mode === "off") return [];
    const name = String(tool.name);
    const withholding: string[] = [];
    for (const finding of scanDefinition(tool, others, own)) {
      const text = `${finding.kind} in ${finding.field}: ${finding.shown}`;
      findings.push(`${name}: ${text}`);
      if (!REPORTED_ONLY.has(finding.kind)) withholding.push(`hidden instructions: ${text}`);
      else {
        // The facts a withheld definition's record has (the digest reads them), with withheld false.
        this.#log.warn("The {kind} {tool} of {server} {problem} (reported, not withheld)", {
          kind,
          tool: name,
          server: serverId,
          problem: finding.shown,
          check: "scan",
          withheld: false,
        });
      }
    }
    return this.#decide(serverId, kind, name, "scan", mode, withholding);
  }

  /** Logs each problem; only an enforcing check withholds the tool (or prompt) for them. */
  #decide(
    serverId: string,
    kind: "tool" | "prompt",
    tool: string,
    check: string,
    mode: CheckMode,
    problems: string[],
  ): string[] {
    for (const problem of problems) {
      const facts = { kind, tool, server: serverId, problem, check, withheld: mode === "enforce" };
      if (mode === "enforce") this.#log.warn("Withheld {kind} {tool} of {server}: {problem}", facts);
      else {this.#log.warn(
          'The {kind} {tool} of {server} is served though {problem} ({check} = "warn")',
          facts,
        );}
    }
    return mode === "enforce" ? problems : [];
  }

  /** A tool's pin, computed once per distinct definition. */
  async #pin(tool: Record<string, unknown>): Promise<ToolPin> {
    const key = canonicalJson(tool);
    let pin = this.#memo.get(key);
    if (pin === undefined) {
      if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
      pin = await pinTool(tool);
      this.#memo.set(key, pin);
    }
    return pin;
  }
}
