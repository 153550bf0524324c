/**
 * Hosts one WebAssembly guard module: compiled once, run in a worker with no permissions, one instance per
 * session. Every export call is bounded in time; a guest that does not answer in time has its worker
 * terminated (the only way to stop a WebAssembly loop) and a new one is started for the next call.
 */
import type { FromWorker, GuardExport, ToWorker } from "./protocol.ts";
import { LOG_LEVELS } from "./protocol.ts";

/** Calls a tool of the guarded server for the guard; resolves with the tool result as JSON text. */
export type BackendCaller = (tool: string, args: unknown) => Promise<string>;

/** Where a guard's `host_log` lines go. */
export type GuardLog = (level: typeof LOG_LEVELS[number], message: string) => void;

/** A guard call that failed: the guest trapped, answered an error, or took too long. */
export class GuardFailure extends Error {
  constructor(readonly guard: string, readonly fn: GuardExport, readonly detail: string) {
    super(`guard '${guard}' failed in ${fn}: ${detail}`);
  }
}

/** Largest linear memory a guard instance may grow to (the Go host caps it at 32 MiB). */
export const MAX_GUARD_MEMORY = 64 * 1024 * 1024;

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** What the host provides; a module importing anything else cannot be loaded. */
function importProblem(module: WebAssembly.Module): string | undefined {
  for (const entry of WebAssembly.Module.imports(module)) {
    const known = entry.kind === "function" &&
      (entry.module === "wasi_snapshot_preview1" ||
        (entry.module === "env" && (entry.name === "call_backend" || entry.name === "host_log")));
    if (!known) {
      return `it imports ${entry.kind} ${entry.module}.${entry.name}, which the guard host does not provide ` +
        "(it provides env.call_backend, env.host_log and WASI functions)";
    }
  }
  return undefined;
}

/** Reads and compiles a guard module, once per path. */
function compile(path: string): Promise<WebAssembly.Module> {
  let module = compiled.get(path);
  if (module === undefined) {
    module = Deno.readFile(path).then((bytes) => WebAssembly.compile(bytes));
    compiled.set(path, module);
  }
  return module;
}

interface Call {
  readonly fn: GuardExport;
  /** `call_backend` requests the gateway has not answered yet: the guest waits on them, it is not looping. */
  waiting: number;
  readonly resolve: (output: string) => void;
  readonly reject: (error: GuardFailure) => void;
  readonly backend: BackendCaller;
  readonly log: GuardLog;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** One guard module and its worker. */
export class WasmGuardHost {
  readonly name: string;
  readonly #module: WebAssembly.Module;
  readonly #calls = new Map<number, Call>();
  readonly #logs = new Map<string, GuardLog>();
  #worker?: Promise<Worker>;
  #generation = 0;
  #nextId = 0;

  private constructor(name: string, module: WebAssembly.Module) {
    this.name = name;
    this.#module = module;
  }

  /** Loads a guard module; rejects with the reason in words when it cannot serve as a guard. */
  static async load(name: string, path: string): Promise<WasmGuardHost> {
    let module: WebAssembly.Module;
    try {
      module = await compile(path);
    } catch (error) {
      compiled.delete(path);
      throw new Error(`cannot load guard '${name}' from ${path}: ${(error as Error).message}`);
    }
    const problem = importProblem(module);
    if (problem !== undefined) throw new Error(`cannot load guard '${name}' from ${path}: ${problem}`);
    const host = new WasmGuardHost(name, module);
    await host.#start().catch((error: Error) => {
      throw new Error(`cannot load guard '${name}' from ${path}: ${error.message}`);
    });
    return host;
  }

  /** Counts worker restarts: the instances of an older generation are gone. */
  get generation(): number {
    return this.#generation;
  }

  #start(): Promise<Worker> {
    this.#worker ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(new URL("./worker.ts", import.meta.url).href, {
        type: "module",
        name: `guard:${this.name}`,
        deno: { permissions: "none" },
      } as WorkerOptions);
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        if (message.type === "loaded") resolve(worker);
        else if (message.type === "load-failed") {
          worker.terminate();
          this.#worker = undefined;
          reject(new Error(message.error));
        } else this.#receive(worker, message);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        this.#restart(`its worker failed: ${event.message}`);
        reject(new Error(event.message));
      };
      worker.postMessage(
        { type: "load", module: this.#module, maxMemory: MAX_GUARD_MEMORY } satisfies ToWorker,
      );
    });
    return this.#worker;
  }

  #receive(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case "result": {
        const call = this.#calls.get(message.id);
        if (call === undefined) return;
        for (const line of message.logs) call.log(LOG_LEVELS[line.level] ?? "info", line.message);
        this.#calls.delete(message.id);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message.output);
        else call.reject(new GuardFailure(this.name, call.fn, message.error));
        return;
      }
      case "backend": {
        const call = this.#calls.get(message.id);
        const answer = (ok: boolean, text: string) =>
          worker.postMessage({ type: "backend-result", id: message.call, ok, text } satisfies ToWorker);
        if (call === undefined) return answer(false, "");
        call.waiting++;
        call.backend(message.tool, JSON.parse(message.args)).then(
          (text) => answer(true, text),
          (error: Error) => {
            call.log("warn", `call_backend ${message.tool} failed: ${error.message}`);
            answer(false, "");
          },
        ).finally(() => call.waiting--);
        return;
      }
      case "log": {
        const log = this.#logs.get(message.session);
        for (const line of message.logs) log?.(LOG_LEVELS[line.level] ?? "info", line.message);
        return;
      }
    }
  }

  /** Stops the worker; the calls in flight fail with `why`. */
  #restart(why: string): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#generation++;
    worker?.then((w) => w.terminate(), () => {});
    for (const [id, call] of this.#calls) {
      this.#calls.delete(id);
      clearTimeout(call.timer);
      call.reject(new GuardFailure(this.name, call.fn, why));
    }
  }

  /** Calls an export in the session's instance; rejects with a `GuardFailure` when the guard fails. */
  async call(
    session: string,
    fn: GuardExport,
    input: string,
    options: { readonly timeoutMs: number; readonly backend: BackendCaller; readonly log: GuardLog },
  ): Promise<string> {
    this.#logs.set(session, options.log);
    let worker: Worker;
    try {
      worker = await this.#start();
    } catch (error) {
      throw new GuardFailure(this.name, fn, `its worker could not start: ${(error as Error).message}`);
    }
    const id = ++this.#nextId;
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        const call = this.#calls.get(id);
        const seconds = options.timeoutMs / 1000;
        if (call === undefined) return;
        if (call.waiting === 0) {
          return this.#restart(`${fn} did not answer within ${seconds}s; the guard was restarted`);
        }
        // The guest waits on its server, not in a loop: only this call fails; its answer is ignored later.
        this.#calls.delete(id);
        reject(
          new GuardFailure(this.name, fn, `did not answer within ${seconds}s (waiting on call_backend)`),
        );
      }, options.timeoutMs);
      this.#calls.set(id, {
        fn,
        resolve,
        reject,
        backend: options.backend,
        log: options.log,
        timer,
        waiting: 0,
      });
      const deadline = Date.now() + options.timeoutMs;
      worker.postMessage({ type: "call", id, session, fn, input, deadline } satisfies ToWorker);
    });
  }

  /** Frees an agent's instance. */
  drop(session: string): void {
    this.#logs.delete(session);
    this.#worker?.then(
      (worker) => worker.postMessage({ type: "drop", session } satisfies ToWorker),
      () => {},
    );
  }

  /** Stops the worker. */
  close(): void {
    this.#restart("the gateway is closing");
  }
}
