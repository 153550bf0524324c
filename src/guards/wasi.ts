/**
 * The WASI preview 1 a guard may use, as the Go gateway's host (wazero) gives it: clocks, random bytes,
 * stdout and stderr into the server's log, empty arguments and environment, `sched_yield`, `proc_exit` as a
 * failure, and `poll_oneoff` on clocks as a real sleep, which suspends only the sleeping session's guest and
 * never outlasts the export call's time bound. Every other function answers ENOSYS.
 */

/** WASI errno values used here. */
const ERRNO = { success: 0, badf: 8, fault: 21, inval: 28, nosys: 52 } as const;

/** Names of the errno values, for messages. */
const ERRNO_NAMES: Record<number, string> = { 8: "EBADF", 21: "EFAULT", 28: "EINVAL", 52: "ENOSYS" };

/** Sizes of the `subscription` and `event` records of `poll_oneoff`. */
const SUBSCRIPTION_BYTES = 48;
const EVENT_BYTES = 32;
/** More subscriptions than a guard can mean; bounds what one call reads. */
const MAX_SUBSCRIPTIONS = 64;

/** What the WASI functions need of the instance they serve. */
export interface WasiHost {
  /** The guest's linear memory as it is now (it may have grown since the last call). */
  memory(): ArrayBufferLike;
  /** Writes a line the guest printed (level 1: stdout, 2: stderr). */
  log(level: number, message: string): void;
  /** When the export call running now must have answered, in ms since the epoch. */
  deadline(): number;
  /** Notes a WASI call that answered an error, for the message if the guest then traps. */
  failed(call: string, errno: number): void;
}

/** Wraps an async import so that the guest suspends on it (JS Promise Integration). */
export type Suspend = (fn: (...args: number[]) => Promise<number>) => WebAssembly.ImportValue;

/** The bytes at `ptr` in a guest's memory; a RangeError when they are not all inside it. */
export function guestBytes(memory: ArrayBufferLike, ptr: number, length: number): Uint8Array {
  if (ptr < 0 || length < 0 || ptr + length > memory.byteLength) {
    throw new RangeError(`pointer ${ptr}+${length} is outside the guest's memory`);
  }
  return new Uint8Array(memory, ptr, length);
}

/** A WASI errno as the guard's error names it. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** Nanoseconds of a WASI clock, or undefined for a clock id WASI does not define. */
function clockNow(id: number): bigint | undefined {
  switch (id) {
    case 0: // realtime
      return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1_000n;
    case 1: // monotonic
    case 2: // process CPU time: the guest's own time is not measured apart; monotonic is its upper bound
    case 3: // thread CPU time
      return BigInt(Math.round(performance.now() * 1e3)) * 1_000n;
    default:
      return undefined;
  }
}

/** The `wasi_snapshot_preview1` imports of one guest instance. */
export function wasiImports(host: WasiHost, suspend: Suspend): Record<string, WebAssembly.ImportValue> {
  const view = () => new DataView(host.memory());
  const fail = (call: string, errno: number) => {
    host.failed(call, errno);
    return errno;
  };
  // A pointer outside the guest's memory is the guest's error (EFAULT), not the host's.
  const checked: Record<string, WebAssembly.ImportValue> = Object.fromEntries(
    Object.entries(wasiCalls(host, view, fail)).map(([name, fn]) => [name, (...args: never[]) => {
      try {
        return fn(...args);
      } catch (error) {
        if (error instanceof RangeError) return fail(name, ERRNO.fault);
        throw error;
      }
    }]),
  );
  checked.poll_oneoff = suspend(async (...args) => {
    try {
      return await poll(host, view, ...(args as [number, number, number, number]));
    } catch (error) {
      if (error instanceof RangeError) return fail("poll_oneoff", ERRNO.fault);
      throw error;
    }
  });
  return new Proxy(checked, {
    get: (target, name: string) => target[name] ?? (() => fail(name, ERRNO.nosys)),
  });
}

/** The synchronous WASI calls a guard may make, each answering an errno; wasiImports adds the checks. */
function wasiCalls(
  host: WasiHost,
  view: () => DataView,
  fail: (call: string, errno: number) => number,
): Record<string, (...args: never[]) => number> {
  const bytesAt = (ptr: number, length: number) => guestBytes(host.memory(), ptr, length);
  const zeroPair = (a: number, b: number) => {
    view().setUint32(a >>> 0, 0, true);
    view().setUint32(b >>> 0, 0, true);
    return ERRNO.success;
  };
  return {
    args_sizes_get: zeroPair,
    environ_sizes_get: zeroPair,
    args_get: () => ERRNO.success,
    environ_get: () => ERRNO.success,
    sched_yield: () => ERRNO.success,
    clock_res_get: (id: number, out: number) => {
      if (clockNow(id) === undefined) return fail("clock_res_get", ERRNO.inval);
      view().setBigUint64(out >>> 0, 1_000n, true);
      return ERRNO.success;
    },
    clock_time_get: (id: number, _precision: bigint, out: number) => {
      const now = clockNow(id);
      if (now === undefined) return fail("clock_time_get", ERRNO.inval);
      view().setBigUint64(out >>> 0, now, true);
      return ERRNO.success;
    },
    random_get: (ptr: number, length: number) => {
      crypto.getRandomValues(bytesAt(ptr >>> 0, length >>> 0));
      return ERRNO.success;
    },
    fd_write: (fd: number, iovs: number, count: number, written: number) => {
      if (fd !== 1 && fd !== 2) return fail("fd_write", ERRNO.badf);
      let total = 0;
      const parts: string[] = [];
      for (let i = 0; i < count >>> 0; i++) {
        const ptr = view().getUint32((iovs >>> 0) + i * 8, true);
        const length = view().getUint32((iovs >>> 0) + i * 8 + 4, true);
        parts.push(new TextDecoder().decode(bytesAt(ptr, length)));
        total += length;
      }
      host.log(fd, parts.join("").trimEnd());
      view().setUint32(written >>> 0, total, true);
      return ERRNO.success;
    },
    proc_exit: (code: number) => {
      throw new WebAssembly.RuntimeError(`the guard called WASI proc_exit(${code})`);
    },
  };
}

/** A clock subscription of `poll_oneoff`: its userdata and how long from now it fires. */
interface ClockWait {
  readonly userdata: bigint;
  readonly ns: bigint;
}

/**
 * `poll_oneoff` on clock subscriptions: sleeps until the first one fires and reports those that have. Any
 * other kind of subscription answers ENOSYS. A sleep past the export call's deadline is refused at once as a
 * trap: a guard must not hold its session past the tool timeout.
 */
async function poll(
  host: WasiHost,
  view: () => DataView,
  input: number,
  output: number,
  count: number,
  written: number,
): Promise<number> {
  const subscriptions = count >>> 0;
  if (subscriptions === 0 || subscriptions > MAX_SUBSCRIPTIONS) {
    host.failed("poll_oneoff", ERRNO.inval);
    return ERRNO.inval;
  }
  const waits: ClockWait[] = [];
  for (let i = 0; i < subscriptions; i++) {
    const at = (input >>> 0) + i * SUBSCRIPTION_BYTES;
    const memory = view();
    if (memory.getUint8(at + 8) !== 0) {
      host.failed("poll_oneoff", ERRNO.nosys);
      return ERRNO.nosys;
    }
    const now = clockNow(memory.getUint32(at + 16, true));
    if (now === undefined) {
      host.failed("poll_oneoff", ERRNO.inval);
      return ERRNO.inval;
    }
    const timeout = memory.getBigUint64(at + 24, true);
    const absolute = (memory.getUint16(at + 40, true) & 1) === 1;
    const ns = absolute ? timeout - now : timeout;
    waits.push({ userdata: memory.getBigUint64(at, true), ns: ns > 0n ? ns : 0n });
  }
  const first = waits.reduce((least, wait) => wait.ns < least ? wait.ns : least, waits[0].ns);
  const ms = Math.ceil(Number(first) / 1e6);
  const left = host.deadline() - Date.now();
  if (ms > left) {
    throw new WebAssembly.RuntimeError(
      `WASI poll_oneoff asked to sleep ${(ms / 1000).toFixed(1)}s, past the ${
        (Math.max(left, 0) / 1000).toFixed(1)
      }s left of the guard call's time bound`,
    );
  }
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  let events = 0;
  for (const wait of waits) {
    if (wait.ns > first) continue;
    const at = (output >>> 0) + events++ * EVENT_BYTES;
    const memory = view();
    memory.setBigUint64(at, wait.userdata, true);
    memory.setUint16(at + 8, ERRNO.success, true);
    memory.setUint8(at + 10, 0); // eventtype clock
  }
  view().setUint32(written >>> 0, events, true);
  return ERRNO.success;
}
