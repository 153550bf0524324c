/**
 * The containers a gateway leaves behind. A container server runs as `docker run --rm -i --init` (a
 * `docker`, `podman` or `nerdctl run` command the config wrote runs as written), and `--rm` removes it once
 * its server exits. A server that ignores SIGTERM and its closed stdin does not exit; when its client is then
 * killed (a stop past its grace, a second signal, an oversized message), the container runs on without one,
 * with whatever tokens it was given. So the connection whose client was killed removes that launch's
 * container, found by the label of that launch alone (stdio.ts `spawnChild`).
 */
import { dockerClientEnv, type LaunchSpec } from "./launch.ts";

/** How long each docker command may take: a daemon that does not answer must not hold the gateway's stop. */
const DOCKER_TIMEOUT_MS = 10_000;

/**
 * Force-removes every container of `spec`'s launch that carries `label` (`name=value`) and is still there, with
 * the runtime the spec runs (docker, podman or nerdctl, which take the same options here) and only the docker
 * client's part of its environment; resolves with how many were removed. Never rejects: a runtime that cannot
 * be reached has nothing of ours to remove.
 */
export async function removeContainers(
  spec: Pick<LaunchSpec, "command" | "env">,
  label: string,
  timeoutMs = DOCKER_TIMEOUT_MS,
): Promise<number> {
  const env = dockerClientEnv((name) => spec.env[name]);
  const runtime = (args: string[]) => containerIds(spec.command, args, env, timeoutMs);
  const listed = await runtime(["ps", "--all", "--quiet", "--filter", `label=${label}`]);
  if (listed.length === 0) return 0;
  // One being removed already (its server exited; `--rm` at work) is an error here, and not ours to count.
  return (await runtime(["rm", "--force", ...listed])).length;
}

/** The ids the runtime prints, one a line; none when it cannot be run or does not finish in time. */
async function containerIds(
  runtime: string,
  args: string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<string[]> {
  try {
    const { stdout } = await new Deno.Command(runtime, {
      args,
      env,
      clearEnv: true,
      signal: AbortSignal.timeout(timeoutMs),
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return new TextDecoder().decode(stdout).split("\n").filter((line) => line !== "");
  } catch {
    return [];
  }
}
