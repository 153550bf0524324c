/**
 * Certificates for the tests that serve or reach HTTPS on loopback.
 */
import { tempDir } from "./temp.ts";

/** Runs openssl with `args`; throws with its stderr when it fails. */
async function openssl(args: string[]): Promise<void> {
  const run = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  if (!run.success) throw new Error(new TextDecoder().decode(run.stderr));
}

/** A throwaway CA and a certificate it signed for localhost and 127.0.0.1 (rustls refuses a CA as a server). */
export async function testCertificate(): Promise<{ cert: string; key: string; ca: string; caFile: string }> {
  const dir = await tempDir("awmg-tls-");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-days",
    "1",
    "-subj",
    "/CN=awmg test CA",
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
  ]);
  await openssl([
    "req",
    ...ec,
    "-subj",
    "/CN=localhost",
    "-keyout",
    `${dir}/key.pem`,
    "-out",
    `${dir}/req.csr`,
  ]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    `${dir}/req.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    `${dir}/ext.cnf`,
    "-out",
    `${dir}/cert.pem`,
  ]);
  return {
    cert: `${dir}/cert.pem`,
    key: `${dir}/key.pem`,
    ca: await Deno.readTextFile(`${dir}/ca.pem`),
    caFile: `${dir}/ca.pem`,
  };
}
