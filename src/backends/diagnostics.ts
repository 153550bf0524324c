/**
 * What an operator needs when a backend fails to start: the command, the error, the tail of its stderr,
 * and which of its environment variables were set (names only).
 */
import type { StartFailure } from "./connection.ts";

/** The variables a program needs to fetch through a proxy or trust a private CA; awmg passes none unasked. */
export const NETWORK_VARIABLES = [
  "DENO_TLS_CA_STORE",
  "DENO_CERT",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
] as const;

/** What a backend that fetched something on the way up and failed is told (`problem` says what failed). */
function networkFix(problem: string): string {
  return `${problem}: a backend gets only the variables its config names, so it does not see a proxy or ` +
    `certificate setting of awmg's environment; pass the ones it needs (${NETWORK_VARIABLES.join(", ")}) ` +
    `through its env, where an empty value passes awmg's own: TOML env = { NODE_EXTRA_CA_CERTS = "" }, ` +
    `JSON "env": { "NODE_EXTRA_CA_CERTS": "" } (for Deno: DENO_TLS_CA_STORE = "system")`;
}

const CAUSES: [RegExp, (failure: StartFailure) => string][] = [
  [
    /permission denied.*docker\.sock/i,
    () => "awmg may not use the docker socket: run it as root or add the socket's group (--group-add)",
  ],
  [
    /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i,
    () =>
      "the docker daemon is unreachable: mount the socket (-v /var/run/docker.sock:/var/run/docker.sock) or set DOCKER_HOST",
  ],
  [
    /Unable to find image|pull access denied|manifest unknown|No such image|repository does not exist/i,
    (f) =>
      `the image is missing: pull it first (docker pull ${
        f.transport.kind === "stdio" ? f.transport.spec.image ?? "IMAGE" : "IMAGE"
      })`,
  ],
  [
    /invalid peer certificate|UnknownIssuer|unable to get (local )?issuer certificate|self[- ]signed certificate|SELF_SIGNED_CERT|certificate verify failed|CERT_HAS_EXPIRED|UNABLE_TO_VERIFY_LEAF_SIGNATURE|x509: certificate/i,
    () =>
      networkFix("the server could not verify a TLS certificate (a TLS-intercepting proxy or a private CA)"),
  ],
  [
    /proxy authentication required|tunneling socket could not be established|ProxyError|proxy connect/i,
    () => networkFix("the server could not go through a proxy"),
  ],
  [
    /ENOTFOUND|EAI_AGAIN|getaddrinfo|dns error|failed to lookup address|name or service not known|temporary failure in name resolution|could not resolve host/i,
    () => networkFix("the server could not resolve a host name (outside access only through a proxy?)"),
  ],
  [/command not found/, () => 'install the program, or give its full path in "command"'],
  [/cannot reach/, () => "check the URL and that the remote server is up"],
  [
    /no answer to initialize within/,
    () => "the server was too slow to start: raise gateway.startupTimeout (seconds)",
  ],
  [
    /before answering initialize|initialize failed/,
    () =>
      "the server ended before answering initialize: read its stderr above; a server that prints other text to stdout, or speaks another protocol revision, fails this way",
  ],
];

/** A suggestion matched to the cause of a start failure. */
export function suggestFix(failure: StartFailure): string | undefined {
  const evidence = `${failure.reason}\n${failure.stderrTail.join("\n")}`;
  return CAUSES.find(([pattern]) => pattern.test(evidence))?.[1](failure);
}

/** A start failure as a plain object for the error payload. */
export function describeStartFailure(failure: StartFailure): Record<string, unknown> {
  const { transport } = failure;
  const suggestion = suggestFix(failure);
  const hint = suggestion === undefined ? {} : { suggestion };
  if (transport.kind === "http") {
    return {
      server: failure.serverId,
      url: transport.target.shown,
      error: failure.reason,
      stderr: failure.stderrTail,
      ...hint,
    };
  }
  const { spec } = transport;
  const set = spec.envNames.filter((name) => Object.hasOwn(spec.env, name));
  return {
    server: failure.serverId,
    command: spec.command,
    args: spec.args,
    ...(spec.image === undefined ? {} : { image: spec.image }),
    error: failure.reason,
    stderr: failure.stderrTail,
    env: { set, missing: spec.envNames.filter((name) => !set.includes(name)) },
    ...hint,
  };
}
