/**
 * What an operator needs when a backend fails to start: the command, the error, the tail of its stderr,
 * and which of its environment variables were set (names only).
 */
import type { StartFailure } from "./connection.ts";

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
      url: transport.target.url,
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
