/**
 * Is awmg running inside a container? Docker's /.dockerenv, Podman's /run/.containerenv, the `container`
 * variable, and (where Deno may read /proc, which needs --allow-all) cgroup and mount signs.
 */

/** The signs found; empty outside a container. */
export async function containerSigns(env: (name: string) => string | undefined): Promise<string[]> {
  const signs: string[] = [];
  const exists = async (path: string) => await Deno.stat(path).then(() => true, () => false);
  if (await exists("/.dockerenv")) signs.push("/.dockerenv exists");
  if (await exists("/run/.containerenv")) signs.push("/run/.containerenv exists");
  if ((env("container") ?? "") !== "") signs.push(`container=${env("container")}`);
  const read = async (path: string) => await Deno.readTextFile(path).catch(() => "");
  if (/docker|kubepods|containerd|libpod/.test(await read("/proc/1/cgroup"))) {
    signs.push("/proc/1/cgroup names a container runtime");
  }
  if (/ \/ \S+ \S+ - overlay /.test(await read("/proc/self/mountinfo"))) {
    signs.push("the root filesystem is an overlay");
  }
  return signs;
}

/**
 * Containerized mode: inside a container with the configuration on stdin (how the awmg image runs), unless
 * MCP_GATEWAY_CONTAINERIZED=1 or 0 says otherwise. A `--config` file in a container (a devcontainer, a CI
 * sandbox) runs as it would on a host.
 */
export function isContainerized(
  signs: readonly string[],
  configStdin: boolean,
  env: (name: string) => string | undefined,
): boolean {
  const override = env("MCP_GATEWAY_CONTAINERIZED");
  if (override === "1" || override === "true") return true;
  if (override === "0" || override === "false") return false;
  return signs.length > 0 && configStdin;
}
