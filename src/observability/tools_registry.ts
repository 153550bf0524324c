/**
 * tools.json: `{ "<serverID>": [ {"name": ..., "description": ...} ] }`, rewritten when a list changes; a tool
 * the gateway withholds (tool pins) is listed with `"withheld": "<why>"`.
 */
import { replaceFile } from "../files.ts";

/** Keeps the tools of every server and writes them to `tools.json` shortly after each change. */
export class ToolsRegistry {
  readonly #path?: string;
  readonly #tools = new Map<string, { name: string; description?: string; withheld?: string }[]>();
  #timer?: ReturnType<typeof setTimeout>;
  #writing: Promise<void> = Promise.resolve();

  /** `dir` undefined: nothing is written (logs went to stdout). */
  constructor(dir: string | undefined) {
    this.#path = dir === undefined ? undefined : `${dir}/tools.json`;
  }

  /** Records a server's current tools. */
  set(serverId: string, tools: readonly Record<string, unknown>[]): void {
    this.#tools.set(
      serverId,
      tools.map((tool) => ({
        name: String(tool.name),
        ...(typeof tool.description === "string" ? { description: tool.description } : {}),
        ...(typeof tool.withheld === "string" ? { withheld: tool.withheld } : {}),
      })),
    );
    if (this.#path !== undefined && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), 100);
    }
  }

  /** How many tools a server's clients are served (0 before it listed them). */
  count(serverId: string): number {
    return this.#tools.get(serverId)?.filter((tool) => tool.withheld === undefined).length ?? 0;
  }

  /** Writes the file now (and waits for any write in progress). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#path === undefined) return;
    const path = this.#path;
    const text = JSON.stringify(Object.fromEntries(this.#tools), null, 2) + "\n";
    this.#writing = this.#writing.then(() => replaceFile(path, text)).catch(() => {});
    await this.#writing;
  }
}
