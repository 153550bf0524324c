/**
 * How a server was started, as the tool lock records it: a container's image with the digest docker knows
 * for it (so that a retagged image shows in the lock's diff), a program with its arguments, or a URL.
 */
import type { HttpServerConfig, StdioServerConfig } from "../config/types.ts";
import { shownUrl } from "../observability/redact.ts";

/** `image NAME@sha256:...` (or `image NAME` when docker knows no digest), `command ARGV...` or `url URL`. */
export async function launchIdentity(server: StdioServerConfig | HttpServerConfig): Promise<string> {
  if (server.type === "http") return `url ${shownUrl(server.url)}`;
  const { launch } = server;
  if (launch.kind === "command") return `command ${[launch.command, ...launch.args].join(" ")}`;
  const digest = await repoDigest(launch.image);
  return `image ${digest ?? launch.image}`;
}

/** The image's first repository digest (`name@sha256:...`) as docker has it, if docker can tell. */
async function repoDigest(image: string): Promise<string | undefined> {
  try {
    const { success, stdout } = await new Deno.Command("docker", {
      args: ["image", "inspect", "--format", "{{json .RepoDigests}}", image],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!success) return undefined;
    const digests = JSON.parse(new TextDecoder().decode(stdout)) as unknown;
    return Array.isArray(digests) && typeof digests[0] === "string" ? digests[0] : undefined;
  } catch {
    return undefined;
  }
}
