/// <reference lib="deno.worker" />
/**
 * A guard worker: compiles one guard module once, runs one instance of it per session, and serves the
 * guest's imports. `call_backend` blocks the guest on the gateway's answer through JS Promise Integration
 * (`WebAssembly.Suspending` / `WebAssembly.promising`), so other sessions' calls run while one waits.
 *
 * Buffers follow the Go host: the input and an output buffer (4 MiB, grown up to 16 MiB when the guest
 * answers -2 with the size it needs) are allocated with the guest's `alloc` and freed with `dealloc`.
 */
import type { FromWorker, GuardExport, GuestLog, ToWorker } from "./protocol.ts";
import { errnoName, guestBytes, wasiImports } from "./wasi.ts";

/** JS Promise Integration, which Deno's V8 has and TypeScript's lib does not describe yet. */
const jspi = WebAssembly as unknown as {
  Suspending: new (fn: (...args: number[]) => Promise<number>) => WebAssembly.ImportValue;
  promising(fn: unknown): (...args: number[]) => Promise<unknown>;
};

const MAX_INPUT = 8 * 1024 * 1024;
const FIRST_OUTPUT = 4 * 1024 * 1024;
const MAX_OUTPUT = 16 * 1024 * 1024;
/** `call_backend` calls one export call may make (as the Go host). */
const MAX_BACKEND_CALLS = 50;
/** Log text one export call may carry back; past it lines are dropped, and the drop said once. */
const MAX_LOG_BYTES = 1024 * 1024;
const EXPORTS: readonly GuardExport[] = ["label_agent", "label_resource", "label_response"];

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

type Guest = {
  readonly memory: WebAssembly.Memory;
  readonly alloc: (size: number) => number;
  readonly dealloc: (ptr: number, size: number) => void;
  readonly calls: Record<GuardExport, (...args: number[]) => Promise<unknown>>;
};

interface Instance {
  guest?: Guest;
  failed?: string;
  queue: Promise<void>;
  /** The export call running now, which `call_backend`, `host_log` and WASI report under. */
  current?: CurrentCall;
}

interface CurrentCall {
  readonly id: number;
  /** When the call must have answered (ms since the epoch); a WASI sleep may not pass it. */
  readonly deadline: number;
  backendCalls: number;
  readonly logs: GuestLog[];
  logBytes: number;
  /** The last WASI call that answered an error, named when the guest then traps. */
  wasiFailure?: string;
}

let module: WebAssembly.Module | undefined;
let maxMemory = 0;
const instances = new Map<string, Instance>();
const waiting = new Map<number, (answer: { ok: boolean; text: string }) => void>();
let nextCall = 0;

function post(message: FromWorker): void {
  self.postMessage(message);
}

/** Keeps a guest's log line for the result of the call it belongs to (one message instead of many). */
function log(session: string, instance: Instance, level: number, message: string): void {
  const current = instance.current;
  if (current === undefined) return post({ type: "log", session, logs: [{ level, message }] });
  if (current.logBytes > MAX_LOG_BYTES) return;
  current.logBytes += message.length;
  current.logs.push(
    current.logBytes > MAX_LOG_BYTES
      ? {
        level: 2,
        message: `the guard logged more than ${MAX_LOG_BYTES} bytes in one call; the rest is dropped`,
      }
      : { level, message },
  );
}

function bytesAt(instance: Instance, ptr: number, length: number): Uint8Array {
  return guestBytes(instance.guest!.memory.buffer, ptr, length);
}

function textAt(instance: Instance, ptr: number, length: number): string {
  return decoder.decode(bytesAt(instance, ptr >>> 0, length >>> 0));
}

/** `call_backend`: the guest asks the gateway to call a tool of its server; suspends until it answers. */
function callBackend(instance: Instance) {
  return new jspi.Suspending(
    async (namePtr, nameLen, argsPtr, argsLen, outPtr, outSize) => {
      const current = instance.current;
      if (current === undefined || ++current.backendCalls > MAX_BACKEND_CALLS) return -1;
      let tool: string;
      let args: string;
      try {
        tool = textAt(instance, namePtr, nameLen);
        args = argsLen === 0 ? "null" : textAt(instance, argsPtr, argsLen);
        JSON.parse(args);
      } catch {
        return -1;
      }
      const call = ++nextCall;
      const answer = await new Promise<{ ok: boolean; text: string }>((resolve) => {
        waiting.set(call, resolve);
        post({ type: "backend", id: current.id, call, tool, args });
      });
      if (!answer.ok) return -1;
      const bytes = encoder.encode(answer.text);
      const size = outSize >>> 0;
      if (bytes.length > size) {
        if (size >= 4) {
          new DataView(instance.guest!.memory.buffer).setUint32(outPtr >>> 0, bytes.length, true);
        }
        return -2;
      }
      bytesAt(instance, outPtr >>> 0, bytes.length).set(bytes);
      return bytes.length;
    },
  );
}

function instantiate(session: string, instance: Instance): Guest {
  const hostLog = (level: number, ptr: number, length: number) => {
    try {
      log(session, instance, level, textAt(instance, ptr, length));
    } catch {
      log(session, instance, 3, "host_log was given a message outside its memory");
    }
  };
  const made = new WebAssembly.Instance(module!, {
    env: { call_backend: callBackend(instance), host_log: hostLog },
    wasi_snapshot_preview1: wasiImports({
      memory: () => instance.guest!.memory.buffer,
      log: (level, message) => log(session, instance, level, message),
      deadline: () => instance.current?.deadline ?? Date.now(),
      failed: (call, errno) => {
        if (instance.current !== undefined) {
          instance.current.wasiFailure = `WASI ${call} answered ${errnoName(errno)}`;
        }
      },
    }, (fn) => new jspi.Suspending(fn)),
  });
  const exports = made.exports as Record<string, unknown>;
  const memory = exports.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("the module does not export its memory");
  for (const name of [...EXPORTS, "alloc", "dealloc"]) {
    if (typeof exports[name] !== "function") {
      throw new Error(`the module does not export the function ${name}`);
    }
  }
  for (const name of EXPORTS) {
    if ((exports[name] as (...args: number[]) => number).length !== 4) {
      throw new Error(`${name} must take (i32, i32, i32, i32)`);
    }
  }
  return {
    memory,
    alloc: exports.alloc as Guest["alloc"],
    dealloc: exports.dealloc as Guest["dealloc"],
    calls: Object.fromEntries(EXPORTS.map((name) => [name, jspi.promising(exports[name])])) as Guest[
      "calls"
    ],
  };
}

/** One export call with the Go host's buffer protocol; returns the guest's output text. */
async function invoke(instance: Instance, fn: GuardExport, input: string): Promise<string> {
  const guest = instance.guest!;
  const bytes = encoder.encode(input);
  if (bytes.length > MAX_INPUT) throw new Error(`input of ${bytes.length} bytes exceeds ${MAX_INPUT}`);
  let outSize = FIRST_OUTPUT;
  for (let attempt = 0; attempt < 3; attempt++) {
    const inSize = Math.max(bytes.length, 1);
    const outAllocated = outSize;
    const inPtr = guest.alloc(inSize) >>> 0;
    const outPtr = guest.alloc(outAllocated) >>> 0;
    if (inPtr === 0 || outPtr === 0) throw new Error("alloc returned a null pointer");
    let trapped = false;
    try {
      bytesAt(instance, inPtr, bytes.length).set(bytes);
      const code = await guest.calls[fn](inPtr, bytes.length, outPtr, outAllocated);
      if (typeof code !== "number") throw new Error(`${fn} returned no i32`);
      if (guest.memory.buffer.byteLength > maxMemory) {
        throw new WebAssembly.RuntimeError(`its memory grew past ${maxMemory} bytes`);
      }
      if (code === -2) {
        const needed = new DataView(guest.memory.buffer).getUint32(outPtr, true);
        outSize = needed > outSize ? needed : outSize * 2;
        if (outSize > MAX_OUTPUT) {
          throw new Error(`${fn} needs an output buffer of ${outSize} bytes (most is ${MAX_OUTPUT})`);
        }
        continue;
      }
      if (code < 0) throw new Error(`${fn} returned error code ${code}`);
      if (code > outAllocated) throw new Error(`${fn} claims ${code} bytes in a ${outAllocated}-byte buffer`);
      return decoder.decode(bytesAt(instance, outPtr, code));
    } catch (error) {
      trapped = error instanceof WebAssembly.RuntimeError;
      throw error;
    } finally {
      // Freed with the sizes they were allocated with (a Rust guard rebuilds its layout from them); a guest
      // that trapped is not called again.
      if (!trapped) {
        guest.dealloc(inPtr, inSize);
        guest.dealloc(outPtr, outAllocated);
      }
    }
  }
  throw new Error(`${fn} still needed a larger output buffer after 3 attempts`);
}

function run(message: Extract<ToWorker, { type: "call" }>): void {
  let instance = instances.get(message.session);
  if (instance === undefined) {
    instance = { queue: Promise.resolve() };
    instances.set(message.session, instance);
  }
  const own = instance;
  own.queue = own.queue.then(async () => {
    if (own.failed !== undefined) {
      post({ type: "result", id: message.id, logs: [], ok: false, error: own.failed, trapped: false });
      return;
    }
    const current: CurrentCall = {
      id: message.id,
      deadline: message.deadline,
      backendCalls: 0,
      logs: [],
      logBytes: 0,
    };
    own.current = current;
    try {
      own.guest ??= instantiate(message.session, own);
      const output = await invoke(own, message.fn, message.input);
      post({ type: "result", id: message.id, logs: current.logs, ok: true, output });
    } catch (error) {
      const trapped = error instanceof WebAssembly.RuntimeError;
      const cause = trapped && current.wasiFailure !== undefined ? ` (after ${current.wasiFailure})` : "";
      const text = `${error instanceof Error ? error.message : String(error)}${cause}`;
      if (trapped) own.failed = `the guard's instance for this session trapped earlier (${text})`;
      const failure = trapped ? `trap: ${text}` : text;
      post({ type: "result", id: message.id, logs: current.logs, ok: false, error: failure, trapped });
    } finally {
      own.current = undefined;
    }
  });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "load": {
      maxMemory = message.maxMemory;
      try {
        module = message.module;
        instantiate("", { queue: Promise.resolve() });
        post({ type: "loaded" });
      } catch (error) {
        module = undefined;
        post({ type: "load-failed", error: (error as Error).message });
      }
      return;
    }
    case "call":
      return run(message);
    case "backend-result":
      waiting.get(message.id)?.({ ok: message.ok, text: message.text });
      waiting.delete(message.id);
      return;
    case "drop":
      instances.delete(message.session);
      return;
  }
};
