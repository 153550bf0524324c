/**
 * The guards that need no module: `noop` (labels nothing, as the Go gateway's noop guard) and `write-sink`
 * (an output server such as safe-outputs, which accepts writes from agents carrying the given secrecy).
 */
import { labels } from "../difc/labels.ts";
import type { Labelled } from "../difc/decide.ts";
import type { AgentLabelling, Guard } from "./guard.ts";

const NO_AGENT_LABELS: AgentLabelling = { secrecy: [], integrity: [], mode: "strict" };

/** Labels every call as a read-write of a resource without labels. */
export class NoopGuard implements Guard {
  readonly generation = 0;
  constructor(readonly name: string) {}

  labelAgent(): Promise<AgentLabelling> {
    return Promise.resolve(NO_AGENT_LABELS);
  }

  labelResource(tool: string): Promise<Labelled> {
    return Promise.resolve({
      resource: { description: `${tool} (noop guard)`, ...labels() },
      operation: "read-write",
    });
  }

  labelResponse(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  drop(): void {}
  close(): void {}
}

/**
 * Every call is a write to a resource whose secrecy is the accepted tags, or none for a public sink: an
 * agent that read private data cannot write to a public sink, whatever it accepts.
 */
export class WriteSinkGuard implements Guard {
  readonly name = "write-sink";
  readonly generation = 0;
  readonly #secrecy: readonly string[];
  readonly #public: boolean;

  constructor(accept: readonly string[], visibility: "public" | "private" | "internal" | undefined) {
    this.#public = visibility === "public";
    this.#secrecy = this.#public ? [] : accept;
  }

  labelAgent(): Promise<AgentLabelling> {
    return Promise.resolve({ ...NO_AGENT_LABELS, mode: "filter" });
  }

  labelResource(tool: string): Promise<Labelled> {
    return Promise.resolve({
      resource: {
        description: `${this.#public ? "write-sink:public" : "write-sink"} (${tool})`,
        ...labels(this.#secrecy),
      },
      operation: "write",
    });
  }

  labelResponse(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  drop(): void {}
  close(): void {}
}
