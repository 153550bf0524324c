/**
 * The tracer behind `tracing.ts`: spans in W3C trace context, sampled by ratio at the root and by their
 * parent below it, children of the workflow's span when its ids are configured, batched and exported as
 * OTLP/HTTP JSON once a second and at shutdown. What awmg needs of OpenTelemetry is this much; the JS SDK
 * for it weighed 13 MB in the compiled binary. Loaded only when tracing is on.
 */
import type { Attributes, Span, TraceExport, Tracer } from "./tracing.ts";
import { randomHex } from "../hex.ts";

/** How traces are exported, and the gateway's version for the resource. */
export interface OtlpOptions extends TraceExport {
  readonly version: string;
}

/** Attribute strings come from clients (a tool name, a session id): they are cut here, not exported whole. */
const MAX_ATTRIBUTE_CHARS = 256;
/** Ended spans waiting for export; past it the oldest are dropped (a collector that is down must not grow us). */
const MAX_QUEUED = 2048;
/** Spans in one export request. */
const MAX_BATCH = 512;
const EXPORT_EVERY_MS = 1000;
const EXPORT_TIMEOUT_MS = 10_000;

/** OTLP's status codes and span kinds. */
const STATUS_ERROR = 2;
const KIND_INTERNAL = 1;

/** A W3C trace context: `traceparent` as its three parts. */
interface Context {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

type OtlpValue = { stringValue: string } | { boolValue: boolean } | { intValue: number } | {
  doubleValue: number;
};

/** An ended span as OTLP/JSON carries it. */
interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: { key: string; value: OtlpValue }[];
  readonly events?: { timeUnixNano: string; name: string; attributes: { key: string; value: OtlpValue }[] }[];
  readonly status: { code: number; message?: string };
}

/** Events kept per span: a span that records without end keeps its first ones. */
const MAX_EVENTS = 128;

/** The context a `traceparent` names; undefined when it is malformed (a client's may be anything). */
export function parseTraceparent(value: string): Context | undefined {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value.trim());
  if (match === null || match[1] === "ff" || /^0+$/.test(match[2]) || /^0+$/.test(match[3])) return undefined;
  return { traceId: match[2], spanId: match[3], sampled: (parseInt(match[4], 16) & 1) === 1 };
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

function otlpAttributes(attributes: Attributes, into: Map<string, OtlpValue>): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    into.set(
      key,
      typeof value === "string"
        ? { stringValue: value.slice(0, MAX_ATTRIBUTE_CHARS) }
        : typeof value === "boolean"
        ? { boolValue: value }
        : Number.isInteger(value)
        ? { intValue: value }
        : { doubleValue: value },
    );
  }
}

/** The spans of one run, exported in batches. */
class Exporter {
  readonly #queue: OtlpSpan[] = [];
  readonly #options: OtlpOptions;
  readonly #timer: ReturnType<typeof setInterval>;
  #sending: Promise<void> = Promise.resolve();

  constructor(options: OtlpOptions) {
    this.#options = options;
    this.#timer = setInterval(() => void this.flush(), EXPORT_EVERY_MS);
  }

  add(span: OtlpSpan): void {
    if (this.#queue.length >= MAX_QUEUED) this.#queue.shift();
    this.#queue.push(span);
  }

  /** Sends what is queued; a collector that fails or does not answer loses that batch, never the gateway. */
  flush(): Promise<void> {
    this.#sending = this.#sending.then(async () => {
      while (this.#queue.length > 0) {
        const spans = this.#queue.splice(0, MAX_BATCH);
        const body = JSON.stringify({
          resourceSpans: [{
            resource: {
              attributes: [
                { key: "service.name", value: { stringValue: this.#options.serviceName } },
                { key: "service.version", value: { stringValue: this.#options.version } },
              ],
            },
            scopeSpans: [{ scope: { name: "awmg", version: this.#options.version }, spans }],
          }],
        });
        await fetch(this.#options.url, {
          // A collector's redirect would take the exporter's headers (its API key) along.
          redirect: "manual",
          method: "POST",
          headers: { ...this.#options.headers, "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
        }).then((response) => response.body?.cancel(), () => {});
      }
    });
    return this.#sending;
  }

  async shutdown(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}

/** A span: its context, what it carries, and whether it is sampled (an unsampled one is never exported). */
class OtlpSpanHandle implements Span {
  readonly #exporter: Exporter;
  readonly #context: Context;
  readonly #parentSpanId?: string;
  readonly #name: string;
  readonly #start = performance.timeOrigin + performance.now();
  readonly #attributes = new Map<string, OtlpValue>();
  readonly #events: NonNullable<OtlpSpan["events"]> = [];
  #status: { code: number; message?: string } = { code: 0 };
  #ended = false;

  constructor(
    exporter: Exporter,
    name: string,
    attributes: Attributes,
    context: Context,
    parentSpanId?: string,
  ) {
    this.#exporter = exporter;
    this.#name = name;
    this.#context = context;
    this.#parentSpanId = parentSpanId;
    otlpAttributes(attributes, this.#attributes);
  }

  child(name: string, attributes: Attributes): Span {
    const { traceId, spanId, sampled } = this.#context;
    return new OtlpSpanHandle(
      this.#exporter,
      name,
      attributes,
      { traceId, spanId: randomHex(8), sampled },
      spanId,
    );
  }

  set(attributes: Attributes): void {
    otlpAttributes(attributes, this.#attributes);
  }

  event(name: string, attributes: Attributes): void {
    if (this.#events.length >= MAX_EVENTS) return;
    const values = new Map<string, OtlpValue>();
    otlpAttributes(attributes, values);
    this.#events.push({
      timeUnixNano: nanos(performance.timeOrigin + performance.now()),
      name,
      attributes: [...values].map(([key, value]) => ({ key, value })),
    });
  }

  fail(message: string): void {
    this.#status = { code: STATUS_ERROR, message: message.slice(0, MAX_ATTRIBUTE_CHARS) };
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#context.sampled) return;
    this.#exporter.add({
      traceId: this.#context.traceId,
      spanId: this.#context.spanId,
      ...(this.#parentSpanId === undefined ? {} : { parentSpanId: this.#parentSpanId }),
      name: this.#name,
      kind: KIND_INTERNAL,
      startTimeUnixNano: nanos(this.#start),
      endTimeUnixNano: nanos(performance.timeOrigin + performance.now()),
      attributes: [...this.#attributes].map(([key, value]) => ({ key, value })),
      ...(this.#events.length === 0 ? {} : { events: this.#events }),
      status: this.#status,
    });
  }

  traceparent(): string {
    const { traceId, spanId, sampled } = this.#context;
    return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
  }
}

/** Starts the exporter and returns the tracer, with the flush to call at shutdown. */
export function otlpTracer(options: OtlpOptions): { tracer: Tracer; shutdown: () => Promise<void> } {
  const exporter = new Exporter(options);
  // The workflow's span, when configured, is every request's parent unless the client names its own.
  const configured: Context | undefined = options.parent === undefined ? undefined : {
    traceId: options.parent.traceId,
    spanId: options.parent.spanId || randomHex(8),
    sampled: true,
  };
  return {
    tracer: {
      request: (name, attributes, traceparent) => {
        const parent =
          (traceparent === undefined || traceparent.length > 128
            ? undefined
            : parseTraceparent(traceparent)) ?? configured;
        const context = parent === undefined
          ? { traceId: randomHex(16), spanId: randomHex(8), sampled: Math.random() < options.sampleRate }
          : { traceId: parent.traceId, spanId: randomHex(8), sampled: parent.sampled };
        return new OtlpSpanHandle(exporter, name, attributes, context, parent?.spanId);
      },
    },
    shutdown: () => exporter.shutdown(),
  };
}
