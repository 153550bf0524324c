import assert from "node:assert/strict";
import { hostName, originPolicy } from "../../src/http/origin.ts";

Deno.test("hostName takes the host part of a Host header, IPv6 included", () => {
  assert.equal(hostName("LocalHost:3000"), "localhost");
  assert.equal(hostName("[::1]:8080"), "[::1]");
  assert.equal(hostName("example.com"), "example.com");
});

Deno.test("origin policy: loopback, the listen address, the domain and the allow-lists; nothing else", () => {
  const check = originPolicy({
    listenHost: "0.0.0.0",
    domain: "host.docker.internal",
    allowedHosts: ["gw.internal"],
    allowedOrigins: ["https://app.example.com"],
  });
  for (
    const host of ["localhost:3000", "127.0.0.1", "[::1]:3000", "0.0.0.0:3000", "host.docker.internal:80"]
  ) {
    assert.equal(check(host, null), undefined, host);
  }
  assert.equal(check("gw.internal:3000", "https://gw.internal"), undefined);
  assert.equal(check("localhost", "http://localhost:5173"), undefined);
  assert.equal(check("localhost", "https://APP.example.com"), undefined);
  assert.deepEqual(check("evil.example.com:3000", null), {
    header: "Host",
    value: "evil.example.com:3000",
    setting: "gateway.allowedHosts (allowed_hosts in TOML)",
  });
  assert.equal(check("", null)?.header, "Host");
  for (const origin of ["http://evil.example.com", "null", "file://", "ws://localhost"]) {
    assert.equal(check("localhost:3000", origin)?.header, "Origin", origin);
  }
});
