/**
 * Starting a container with `docker run -i` and a JSON config on its stdin, as an orchestrator starts the
 * gateway's image.
 */

/** Spawns `docker` with `args`, passing `env` through (`-e NAME` in `args` names which), `config` on stdin. */
export function dockerWithConfig(
  args: readonly string[],
  env: Record<string, string>,
  config: unknown,
): Deno.ChildProcess {
  const child = new Deno.Command("docker", {
    args: [...args],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  writer.write(new TextEncoder().encode(JSON.stringify(config))).then(() => writer.close());
  return child;
}
