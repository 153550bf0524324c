/**
 * The proxy's certificates: made fresh, trusted through the CA alone for every name they carry, the key
 * private, and `--tls-dns-name` values that are IPs or not host names refused.
 */
import assert from "node:assert/strict";
import { dnsNameProblem, generateTls } from "../../src/proxy/tls.ts";
import { tempDir } from "../support/temp.ts";

Deno.test("a CA and a leaf for localhost, 127.0.0.1, ::1 and the DNS names; the key 0600, the certificates 0644", async () => {
  const dir = `${await tempDir("awmg-tls-")}/proxy-tls`;
  const tls = await generateTls(dir, ["proxy.internal"]);
  assert.equal((await Deno.stat(tls.keyPath)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(tls.certPath)).mode! & 0o777, 0o644);
  assert.equal((await Deno.stat(tls.caPath)).mode! & 0o777, 0o644);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen() {} },
    () => new Response("ok"),
  );
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(tls.caPath)] });
  try {
    for (const host of ["localhost", "127.0.0.1"]) {
      const answer = await fetch(`https://${host}:${server.addr.port}/`, { client });
      assert.equal(await answer.text(), "ok", host);
    }
    const other = await generateTls(`${dir}-2`, []);
    const stranger = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(other.caPath)] });
    await assert.rejects(
      () => fetch(`https://localhost:${server.addr.port}/`, { client: stranger }),
      "another run's CA",
    );
    stranger.close();
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("--tls-dns-name: host names pass; IPs and anything else are refused with the reason", () => {
  for (const name of ["proxy.internal", "host.docker.internal", "a-b.example.com", "localhost"]) {
    assert.equal(dnsNameProblem(name), undefined, name);
  }
  assert.match(dnsNameProblem("10.0.0.1") ?? "", /is an IP address/);
  assert.match(dnsNameProblem("::1") ?? "", /is an IP address/);
  for (const name of ["-bad.example", "bad_name", "a..b", "", "x".repeat(64), "*.example.com", "a b"]) {
    assert.match(dnsNameProblem(name) ?? "", /is not a host name/, JSON.stringify(name));
  }
});
