/**
 * The tracer behind `tracing.ts`, on the official OpenTelemetry JS SDK: spans batched and exported as
 * OTLP/HTTP JSON, sampled by ratio, children of the workflow's span when its ids are configured. Loaded only
 * when tracing is on.
 */
import {
  context,
  ROOT_CONTEXT,
  type Span as OtelSpan,
  SpanStatusCode,
  trace,
  TraceFlags,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { Attributes, Span, TraceExport, Tracer } from "./tracing.ts";

/** How traces are exported, and the gateway's version for the resource. */
export interface OtelOptions extends TraceExport {
  readonly version: string;
}

const propagator = new W3CTraceContextPropagator();

/** Attribute strings come from clients (a tool name, a session id): they are cut here, not exported whole. */
const MAX_ATTRIBUTE_CHARS = 256;

function defined(attributes: Attributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    out[key] = typeof value === "string" && value.length > MAX_ATTRIBUTE_CHARS
      ? value.slice(0, MAX_ATTRIBUTE_CHARS)
      : value;
  }
  return out;
}

/** Our span interface over an SDK span. */
class SdkSpan implements Span {
  #ended = false;

  constructor(readonly span: OtelSpan, readonly tracer: ReturnType<TracerProvider["getTracer"]>) {}

  child(name: string, attributes: Attributes): Span {
    const parent = trace.setSpan(ROOT_CONTEXT, this.span);
    return new SdkSpan(this.tracer.startSpan(name, { attributes: defined(attributes) }, parent), this.tracer);
  }

  set(attributes: Attributes): void {
    this.span.setAttributes(defined(attributes));
  }

  fail(message: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.span.end();
  }

  traceparent(): string {
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, this.span), carrier, {
      set: (target, key, value) => target[key] = value,
    });
    return carrier.traceparent;
  }
}

/** A random span id for a parent given only by its trace id. */
function randomSpanId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** Starts the exporter and returns the tracer, with the flush to call at shutdown. */
export function otelTracer(options: OtelOptions): { tracer: Tracer; shutdown: () => Promise<void> } {
  const exporter = new OTLPTraceExporter({ url: options.url, headers: { ...options.headers } });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": options.serviceName,
      "service.version": options.version,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRate) }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  const sdkTracer = provider.getTracer("awmg", options.version);
  const root = options.parent === undefined ? context.active() : trace.setSpanContext(ROOT_CONTEXT, {
    traceId: options.parent.traceId,
    spanId: options.parent.spanId || randomSpanId(),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  return {
    tracer: {
      request: (name, attributes, traceparent) => {
        // The propagator ignores a malformed value (a client's), leaving the configured parent.
        const parent = traceparent === undefined || traceparent.length > 128
          ? root
          : propagator.extract(root, { traceparent }, {
            get: (carrier, key) => carrier[key],
            keys: Object.keys,
          });
        return new SdkSpan(sdkTracer.startSpan(name, { attributes: defined(attributes) }, parent), sdkTracer);
      },
    },
    shutdown: () => provider.shutdown(),
  };
}
