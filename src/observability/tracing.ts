/**
 * Tracing as the other layers see it: a small interface to open spans where a request enters and where a
 * backend call starts. It is told, like logging; with no tracer installed every call is one check of an
 * undefined value, so the hot path costs nothing when tracing is off.
 */

/** Span attribute values. */
export type Attributes = Record<string, string | number | boolean | undefined>;

/** An open span. */
export interface Span {
  /** Opens a child span. */
  child(name: string, attributes: Attributes): Span;
  /** Adds attributes. */
  set(attributes: Attributes): void;
  /** Records a named event at this moment, with its attributes. */
  event(name: string, attributes: Attributes): void;
  /** Marks the span as failed, with why. */
  fail(message: string): void;
  /** Ends the span; later calls do nothing. */
  end(): void;
  /** The W3C `traceparent` header value that makes a remote call a child of this span. */
  traceparent(): string;
}

/** What opens the root span of each client request. */
export interface Tracer {
  /** `traceparent`: the client's trace context (its request's `_meta.traceparent`), parent when valid. */
  request(name: string, attributes: Attributes, traceparent?: string): Span;
}

/** Where traces go and what they carry: what the settings resolve and the exporter takes. */
export interface TraceExport {
  /** The full OTLP/HTTP traces URL (the endpoint with its signal path). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly sampleRate: number;
  /** The workflow's span, parent of the gateway's. */
  readonly parent?: { readonly traceId: string; readonly spanId: string };
}

let tracer: Tracer | undefined;

/** Installs the tracer (main does, when tracing is configured). */
export function installTracer(installed: Tracer | undefined): void {
  tracer = installed;
}

/** True when a tracer is installed: callers check it before building a span's attributes. */
export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/**
 * Opens the span of a client request, or undefined when tracing is off; a child of the client's span when
 * its request carries a valid `traceparent`.
 */
export function requestSpan(name: string, attributes: Attributes, traceparent?: string): Span | undefined {
  return tracer?.request(name, attributes, traceparent);
}
