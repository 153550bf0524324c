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

/** Memoized pins stay below this many definitions per gateway: a server that churns cannot grow it. */
const MEMO_LIMIT = 4096;

/** One thing wrong with a definition, found by its pin or the scan. */
interface Problem {
  readonly check: "pins" | "scan";
  readonly text: string;
  /** Undefined when the problem withholds the definition; else why it is served anyway. */
  readonly served?: string;
}

/** What is judged: a server's tools, or its prompts. */
type Kind = "tool" | "prompt";

/** A definition's verdict: withheld with why, or served. */
interface Verdict {
  readonly why?: string;
}

/**
 * A definition's problems, or, when it cannot be checked at all (nested past what the scan can walk, a
 * number with no JSON form), that one: a definition that cannot be checked is never served.
 */
async function problemsOf(find: () => Promise<Problem[]>): Promise<Problem[]> {
  try {
    return await find();
  } catch (error) {
    return [{ check: "scan", text: `it could not be checked: ${(error as Error).message}` }];
  }
}

/** The vetting of every server's tools and prompts. */
export class ToolVetting {
  readonly #lock?: ToolLock;
  readonly #checks: (serverId: string) => ServerChecks;
  /** The last verdicts, by kind, then server, then name (no key is built on a call's path). */
  readonly #verdicts: Record<Kind, Map<string, Map<string, Verdict>>> = {
    tool: new Map(),
    prompt: new Map(),
  };
  readonly #reports = new Map<string, VettingReport>();
  /**
   * The problems last logged, by kind, then server, then name: checked and set in one step, so listings
   * judged at once (a client's and the gateway's own after list_changed) log a change once.
   */
  readonly #logged: Record<Kind, Map<string, Map<string, string>>> = { tool: new Map(), prompt: new Map() };
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
    const counts = { pinned: 0, changed: 0, new: 0, withheld: 0 };
    const findings: string[] = [];
    const served = await this.#judge(
      serverId,
      "tool",
      tools,
      others,
      findings,
      (tool) => this.#pinProblems(serverId, tool, counts),
    );
    counts.withheld = tools.length - served.length;
    this.#reports.set(serverId, { ...counts, findings });
    return served;
  }

  /** The prompts of a server that may be listed, held to their pins and scanned as tools are. */
  vetPrompts(
    serverId: string,
    prompts: readonly Record<string, unknown>[],
    others: OtherTools,
  ): Promise<Record<string, unknown>[]> {
    return this.#judge(
      serverId,
      "prompt",
      prompts,
      others,
      [],
      (prompt) => this.#promptPinProblems(serverId, prompt),
    );
  }

  /** Why `prompts/get` of a prompt is refused, if it was withheld at its server's last listing. */
  promptRefusal(serverId: string, prompt: string): string | undefined {
    return this.#verdicts.prompt.get(serverId)?.get(prompt)?.why;
  }

  /**
   * Why a call to a tool is refused, if it is: withheld at the last listing, or, where pins are enforced,
   * never listed (it has no pin; without pins the server's own answer to an unknown tool goes back).
   */
  refusal(serverId: string, tool: string): string | undefined {
    if (!this.active(serverId)) return undefined;
    const verdict = this.#verdicts.tool.get(serverId)?.get(tool);
    if (verdict !== undefined) return verdict.why;
    return this.#lock !== undefined && this.#checks(serverId).pins === "enforce"
      ? `${tool} was not in the server's tool list when awmg last checked it`
      : undefined;
  }

  /** What the last vetting of a server found, when it was vetted. */
  report(serverId: string): VettingReport | undefined {
    return this.#reports.get(serverId);
  }

  /**
   * Judges each definition of a list by its pin and the scan, keeps the verdicts, and returns those served.
   * A definition's problems are logged when they differ from the last listing's, not on every listing.
   */
  async #judge(
    serverId: string,
    kind: Kind,
    items: readonly Record<string, unknown>[],
    others: OtherTools,
    findings: string[],
    pinProblems: (item: Record<string, unknown>) => Promise<Problem[]>,
  ): Promise<Record<string, unknown>[]> {
    if (!this.active(serverId)) return [...items];
    let logged = this.#logged[kind].get(serverId);
    if (logged === undefined) this.#logged[kind].set(serverId, logged = new Map());
    const verdicts = new Map<string, Verdict>();
    const own = new Set(items.map((item) => String(item.name)));
    const served: Record<string, unknown>[] = [];
    for (const item of items) {
      const name = String(item.name);
      const problems = await problemsOf(async () => [
        ...await pinProblems(item),
        ...this.#scanProblems(serverId, item, others, own, findings),
      ]);
      const withholding = problems.filter((problem) => problem.served === undefined);
      const said = problems.map((problem) => problem.text).join("\n");
      if (logged.get(name) !== said) {
        logged.set(name, said);
        this.#logProblems(serverId, kind, name, problems);
      }
      if (withholding.length === 0) served.push(item);
      verdicts.set(
        name,
        withholding.length === 0 ? {} : { why: withholding.map((problem) => problem.text).join("; ") },
      );
    }
    // A definition gone from the list is logged again should it come back.
    for (const name of logged.keys()) if (!own.has(name)) logged.delete(name);
    this.#verdicts[kind].set(serverId, verdicts);
    return served;
  }

  /** What the pins say of a tool, counting what they found. */
  async #pinProblems(
    serverId: string,
    tool: Record<string, unknown>,
    counts: { pinned: number; changed: number; new: number },
  ): Promise<Problem[]> {
    const mode = this.#checks(serverId).pins;
    if (this.#lock === undefined || mode === "off") return [];
    const pinned = this.#lock.servers[serverId]?.tools[String(tool.name)];
    if (pinned === undefined) {
      counts.new++;
      return [pinProblem(mode, "new: it is not in the lock file")];
    }
    const changed = changedParts(pinned, await this.#pin(tool));
    const meaningful = changed.filter((part) => part !== "annotations");
    const problems = changed.includes("annotations")
      ? [
        {
          check: "pins",
          text: "its annotations changed since it was pinned",
          served: "annotations are hints",
        } as const,
      ]
      : [];
    if (meaningful.length === 0) {
      counts.pinned++;
      return problems;
    }
    counts.changed++;
    return [...problems, pinProblem(mode, `changed since it was pinned: ${meaningful.join(", ")}`)];
  }

  /** What the pins say of a prompt. */
  async #promptPinProblems(serverId: string, prompt: Record<string, unknown>): Promise<Problem[]> {
    const mode = this.#checks(serverId).pins;
    if (this.#lock === undefined || mode === "off") return [];
    const pinned = this.#lock.servers[serverId]?.prompts[String(prompt.name)];
    if (pinned === undefined) return [pinProblem(mode, "new: it is not in the lock file")];
    return pinned === await pinPrompt(prompt) ? [] : [pinProblem(mode, "changed since it was pinned")];
  }

  /** What the scan finds in a definition, each finding added to `findings` too. */
  #scanProblems(
    serverId: string,
    item: Record<string, unknown>,
    others: OtherTools,
    own: ReadonlySet<string>,
    findings: string[],
  ): Problem[] {
    const mode = this.#checks(serverId).scan;
    if (mode === "off") return [];
    return scanDefinition(item, others, own).map((finding) => {
      findings.push(`${String(item.name)}: ${finding.kind} in ${finding.field}: ${finding.shown}`);
      if (REPORTED_ONLY.has(finding.kind)) {
        return { check: "scan", text: `it ${finding.shown}`, served: "reported, not withheld" } as const;
      }
      const text = `hidden instructions: ${finding.kind} in ${finding.field}: ${finding.shown}`;
      return mode === "enforce"
        ? { check: "scan", text } as const
        : { check: "scan", text, served: 'scan = "warn"' } as const;
    });
  }

  /** Logs a definition's problems: withheld for them, or served though (the digest reads these facts). */
  #logProblems(serverId: string, kind: Kind, tool: string, problems: readonly Problem[]): void {
    for (const { check, text, served } of problems) {
      const facts = { kind, tool, server: serverId, problem: text, check, served };
      if (served === undefined) this.#log.warn("Withheld {kind} {tool} of {server}: {problem}", facts);
      else this.#log.warn(`The {kind} {tool} of {server} is served though {problem} (${served})`, facts);
    }
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

/** A pin's problem: withholding where pins are enforced, served with a warning where they only warn. */
function pinProblem(mode: CheckMode, text: string): Problem {
  return mode === "enforce" ? { check: "pins", text } : { check: "pins", text, served: 'pins = "warn"' };
}
