/**
 * The containers a gateway leaves behind. A container server runs as `docker run --rm -i --init` under the
 * gateway's label, and `--rm` removes it once its server exits. A server that ignores SIGTERM and its closed
 * stdin does not exit; when its docker client is then killed (a stop past its grace, a second signal), the
 * container runs on without a client, with whatever tokens it was given. The gateway's stop removes those.
 */
import { LABELS } from "./docker.ts";

/**
 * Force-removes every container labelled as `gatewayId`'s that is still there; resolves with how many were
 * removed. Never rejects: a docker that cannot be reached has nothing of ours to remove.
 */
export async function removeContainers(
  gatewayId: string,
  env: Readonly<Record<string, string>>,
): Promise<number> {
  const listed = await docker(
    ["ps", "--all", "--quiet", "--filter", `label=${LABELS.gateway}=${gatewayId}`],
    env,
  );
  if (listed.length === 0) return 0;
  // One being removed already (its server exited; `--rm` at work) is an error here, and not ours to count.
  return (await docker(["rm", "--force", ...listed], env)).length;
}

/** The ids docker prints, one a line; none when it cannot be run. */
async function docker(args: string[], env: Readonly<Record<string, string>>): Promise<string[]> {
  try {
    const { stdout } = await new Deno.Command("docker", {
      args,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return new TextDecoder().decode(stdout).split("\n").filter((line) => line !== "");
  } catch {
    return [];
  }
}
