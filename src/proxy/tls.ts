/**
 * The proxy's TLS, made fresh at every start as the Go gateway makes it: an ECDSA P-256 CA valid for 24
 * hours and a leaf it signs for localhost, 127.0.0.1, ::1 and each `--tls-dns-name`, written as `ca.crt` and
 * `server.crt` (0644) and `server.key` (0600). The X.509 encoding is @peculiar/x509's, on WebCrypto.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { replaceFile } from "../files.ts";
import { hex } from "../hex.ts";

/** The files written and the PEM text to serve with. */
export interface ProxyTls {
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: string;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const HOUR = 3600_000;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/** Why a `--tls-dns-name` cannot be put in the certificate, or undefined when it is a host name. */
export function dnsNameProblem(name: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":")) {
    return `--tls-dns-name ${
      JSON.stringify(name)
    } is an IP address; the certificate already names 127.0.0.1 and ::1`;
  }
  const labels = name.replace(/\.$/, "").split(".");
  const valid = name.length <= 253 &&
    labels.every((label) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(label));
  return valid
    ? undefined
    : `--tls-dns-name ${JSON.stringify(name)} is not a host name (letters, digits, - and dots)`;
}

function serial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  return hex(bytes);
}

/** Makes the CA and the leaf, writes them into `dir` (created 0755 when missing) and returns them. */
export async function generateTls(dir: string, dnsNames: readonly string[]): Promise<ProxyTls> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  const notBefore = new Date(Date.now() - HOUR);
  const notAfter = new Date(notBefore.getTime() + 24 * HOUR);
  const caKeys = await crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=awmg proxy CA, O=awmg",
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const leafKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const names = ["localhost", ...dnsNames.filter((name) => name !== "localhost")];
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=localhost, O=awmg",
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        ...names.map((value) => ({ type: "dns" as const, value })),
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
      ]),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([SERVER_AUTH]),
    ],
  });
  const key = x509.PemConverter.encode(
    await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey),
    "PRIVATE KEY",
  );
  const cert = leaf.toString("pem");
  const paths = { caPath: `${dir}/ca.crt`, certPath: `${dir}/server.crt`, keyPath: `${dir}/server.key` };
  // The key first and private from its first byte; the CA last, since callers poll for it.
  await replaceFile(paths.keyPath, key, 0o600);
  await replaceFile(paths.certPath, cert);
  await replaceFile(paths.caPath, ca.toString("pem"));
  return { ...paths, cert, key };
}
