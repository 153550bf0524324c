/**
 * awmg's OTLP/HTTP JSON exporter: W3C trace context read and written, sampling by ratio and by parent,
 * attributes typed and cut, batches sent once a second and at shutdown, a collector that is down survived.
 */
import assert from "node:assert/strict";
import { otlpTracer, parseTraceparent } from "../../src/observability/otlp.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

Deno.test("traceparent: the three parts of a valid one; anything malformed is no parent", () => {
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), {
    traceId: TRACE,
    spanId: SPAN,
    sampled: true,
  });
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-00`), {
    traceId: TRACE,
    spanId: SPAN,
    sampled: false,
  });
  for (
    const bad of [
      `ff-${TRACE}-${SPAN}-01`,
      `00-${"0".repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}`,
      "garbage",
    ]
  ) assert.equal(parseTraceparent(bad), undefined, bad);
});

/** A collector on loopback that keeps the spans it is sent. */
function collector() {
  const spans: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const body = await request.json();
    for (const resource of body.resourceSpans) {
      for (const scope of resource.scopeSpans) spans.push(...scope.spans);
    }
    return Response.json({});
  });
  return { url: `http://127.0.0.1:${server.addr.port}/v1/traces`, spans, close: () => server.shutdown() };
}

Deno.test("spans: children in the client's trace, typed and cut attributes, failures, sent at shutdown", async () => {
  const otlp = collector();
  const { tracer, shutdown } = otlpTracer({
    url: otlp.url,
    headers: {},
    serviceName: "t",
    sampleRate: 1,
    version: "1",
  });
  const request = tracer.request("mcp tools/call", {
    "mcp.tool": "x".repeat(300),
    "http.response.status_code": 200,
    ratio: 0.5,
    cached: false,
    absent: undefined,
  }, `00-${TRACE}-${SPAN}-01`);
  const call = request.child("backend tools/call", {});
  call.fail("timed out");
  const sent = call.traceparent();
  call.end();
  call.end();
  request.end();
  await shutdown();
  await otlp.close();
  assert.equal(otlp.spans.length, 2, "each span once");
  const [child, parent] = otlp.spans as {
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    attributes: { key: string; value: Record<string, unknown> }[];
    status: { code: number };
  }[];
  assert.equal(parent.traceId, TRACE);
  assert.equal(parent.parentSpanId, SPAN, "a child of the client's span");
  assert.equal(child.parentSpanId, parent.spanId);
  assert.equal(sent, `00-${TRACE}-${child.spanId}-01`, "the server gets the backend call's own context");
  assert.equal(child.status.code, 2);
  const values = Object.fromEntries(parent.attributes.map(({ key, value }) => [key, value]));
  assert.deepEqual(values["mcp.tool"], { stringValue: "x".repeat(256) });
  assert.deepEqual(values["http.response.status_code"], { intValue: 200 });
  assert.deepEqual(values.ratio, { doubleValue: 0.5 });
  assert.deepEqual(values.cached, { boolValue: false });
  assert.ok(!("absent" in values));
});

Deno.test("sampling: none at rate 0, and a client's unsampled trace stays unsampled; a collector that is down is survived", async () => {
  const otlp = collector();
  const { tracer, shutdown } = otlpTracer({
    url: otlp.url,
    headers: {},
    serviceName: "t",
    sampleRate: 0,
    version: "1",
  });
  tracer.request("root", {}).end();
  tracer.request("unsampled parent", {}, `00-${TRACE}-${SPAN}-00`).end();
  const sampled = tracer.request("sampled parent", {}, `00-${TRACE}-${SPAN}-01`);
  assert.match(sampled.traceparent(), /-01$/);
  sampled.end();
  await shutdown();
  await otlp.close();
  assert.deepEqual(otlp.spans.map((span) => span.name), ["sampled parent"]);
  const down = otlpTracer({
    url: "http://127.0.0.1:1/v1/traces",
    headers: {},
    serviceName: "t",
    sampleRate: 1,
    version: "1",
  });
  down.tracer.request("lost", {}).end();
  await down.shutdown();
});
