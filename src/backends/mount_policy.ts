/**
 * The host-path mount policy, as the Go gateway's launcher enforces it: a container server may bind-mount
 * only from trusted roots (`MCP_GATEWAY_ALLOWED_MOUNT_ROOTS`, else the workspace and working directory
 * read-only and the temporary directory read-write), and runtime options that reach the host another way
 * are refused. Paths are compared after symlinks are resolved, so a link cannot lead out of a root.
 */
import { isAbsolute, normalize, relative } from "node:path";
import type { ConfigIssue } from "../config/issues.ts";
import type { ServerConfig } from "../config/types.ts";
import { launchSpec } from "./launch.ts";
import { containerRunOptions, isContainerRuntime } from "./run_options.ts";

/** The variable that replaces the default roots. */
export const ALLOWED_MOUNT_ROOTS_VAR = "MCP_GATEWAY_ALLOWED_MOUNT_ROOTS";

/** A trusted host directory; mounts under it are read-only unless it allows writes. */
export interface MountRoot {
  readonly path: string;
  readonly writable: boolean;
}

/** The allow-list, most specific root first; an empty list denies every mount. */
export interface MountPolicy {
  readonly roots: readonly MountRoot[];
}

/** Options that expose host paths without a checked mount declaration, with Go's reasons. */
const BYPASS_OPTIONS: Readonly<Record<string, string>> = {
  "--mount": "use the structured 'mounts' field ('source:dest:mode') instead of --mount",
  "--volumes-from": "volumes cannot be inherited from other containers",
  "--privileged": "privileged containers can access arbitrary host devices",
  "--device": "host devices cannot be exposed to MCP servers",
  "--rootfs": "host directories cannot be used as container root filesystems",
};

/**
 * An absolute, cleaned, symlink-resolved path. A path that does not exist yet (the runtime creates it) is
 * resolved through its longest existing ancestor; undefined when a component cannot be read.
 */
export async function canonicalPath(path: string): Promise<string | undefined> {
  if (!isAbsolute(path)) return undefined;
  let current = normalize(path).replace(/(.)\/+$/, "$1");
  const rest: string[] = [];
  for (;;) {
    try {
      const resolved = await Deno.realPath(current);
      return rest.length === 0 ? resolved : normalize(`${resolved}/${rest.join("/")}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) && !(error instanceof Deno.errors.NotADirectory)) {
        return undefined;
      }
    }
    const slash = current.lastIndexOf("/");
    if (current === "/") return normalize(path);
    rest.unshift(current.slice(slash + 1));
    current = slash === 0 ? "/" : current.slice(0, slash);
  }
}

/** Canonicalizes roots: unresolvable ones and `/` are dropped, duplicates keep the first, longest first. */
async function canonicalRoots(roots: readonly MountRoot[]): Promise<MountRoot[]> {
  const canonical: MountRoot[] = [];
  for (const root of roots) {
    const path = await canonicalPath(root.path);
    // The filesystem root would allow every host path: deny instead.
    if (path === undefined || path === "/" || canonical.some((seen) => seen.path === path)) continue;
    canonical.push({ path, writable: root.writable });
  }
  return canonical.sort((a, b) => b.path.length - a.path.length);
}

/** Parses `path[:ro|:rw]` entries separated by commas (read-only by default); relative entries are ignored. */
export function parseMountRoots(raw: string): MountRoot[] {
  return raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "").flatMap((entry) => {
    const writable = entry.endsWith(":rw");
    const path = writable || entry.endsWith(":ro") ? entry.slice(0, -3) : entry;
    return isAbsolute(path) ? [{ path, writable }] : [];
  });
}

/** The policy of this environment: the variable's roots when it is set, else the default ones. */
export async function mountPolicy(
  env: (name: string) => string | undefined,
  cwd: string,
  tmpDir: string,
): Promise<MountPolicy> {
  const raw = env(ALLOWED_MOUNT_ROOTS_VAR)?.trim() ?? "";
  if (raw !== "") return { roots: await canonicalRoots(parseMountRoots(raw)) };
  const workspace = env("GITHUB_WORKSPACE")?.trim() ?? "";
  return {
    roots: await canonicalRoots([
      ...(workspace === "" ? [] : [{ path: workspace, writable: false }]),
      ...(cwd === "" ? [] : [{ path: cwd, writable: false }]),
      { path: tmpDir, writable: true },
    ]),
  };
}

/** A parsed `source:dest[:mode]` declaration, or why it is malformed. */
function parseDeclaration(spec: string): { source: string; writable: boolean } | string {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3) return "expected 'source:dest:mode'";
  const [source, dest, options] = parts;
  if (source === "" || dest === "") return "source and destination must not be empty";
  if (!isAbsolute(source)) return "host source must be an absolute path";
  if (!isAbsolute(dest)) return "container destination must be an absolute path";
  // Docker mounts read-write when no mode is given.
  if (options === undefined) return { source, writable: true };
  let mode: string | undefined;
  for (const option of options.split(",").map((o) => o.trim())) {
    if (option === "") return "empty mount option";
    if (option !== "ro" && option !== "rw") return "unsupported mount option";
    if (mode !== undefined) return "conflicting mount options";
    mode = option;
  }
  return { source, writable: mode === "rw" };
}

function isUnder(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel));
}

/** Why one `source:dest:mode` declaration is refused, in the Go gateway's words; undefined when allowed. */
export async function mountViolation(policy: MountPolicy, spec: string): Promise<string | undefined> {
  const declaration = parseDeclaration(spec);
  if (typeof declaration === "string") {
    return `invalid mount declaration ${JSON.stringify(spec)}: ${declaration}`;
  }
  const quoted = JSON.stringify(declaration.source);
  const source = await canonicalPath(declaration.source);
  if (source === undefined) return `mount ${quoted} rejected: host source cannot be canonicalized`;
  // Most specific root first: a read-only root inside a writable one narrows access.
  const root = policy.roots.find((candidate) => isUnder(source, candidate.path));
  if (root === undefined) return `mount ${quoted} rejected: host source is outside the allowed mount roots`;
  if (declaration.writable && !root.writable) {
    return `mount ${quoted} rejected: read-write access to this host root is not permitted by mount policy`;
  }
  return undefined;
}

/** Why a container runtime's arguments are refused: a bypass option, or a mount outside the policy. */
export async function runArgsViolation(
  policy: MountPolicy,
  args: readonly string[],
): Promise<string | undefined> {
  const parsed = containerRunOptions(args);
  if (typeof parsed === "string") return `container options rejected by mount policy: ${parsed}`;
  for (const { name, value } of parsed) {
    const reason = BYPASS_OPTIONS[name];
    if (reason !== undefined) {
      return `container option ${JSON.stringify(name)} rejected by mount policy: ${reason}`;
    }
    if (name !== "--volume") continue;
    if (value === undefined) {
      return `container option ${JSON.stringify(name)} rejected by mount policy: missing mount declaration`;
    }
    const violation = await mountViolation(policy, value);
    if (violation !== undefined) return violation;
  }
  return undefined;
}

/**
 * Why a stdio server may not be launched under the policy: a container runtime's arguments (the argv awmg
 * builds for an image, or a `docker`/`podman`/`nerdctl` command's own) are checked; any other program
 * mounts nothing and passes.
 */
export async function launchViolation(
  policy: MountPolicy,
  launch: { readonly command: string; readonly args: readonly string[] },
): Promise<string | undefined> {
  return isContainerRuntime(launch.command) ? await runArgsViolation(policy, launch.args) : undefined;
}

/**
 * Every stdio server the policy refuses, as configuration issues at `<section>.<id>`, so that a refused
 * config is reported (and `--validate-config` fails) before anything is launched.
 */
export async function mountPolicyIssues(
  servers: readonly ServerConfig[],
  policy: MountPolicy,
  section: string,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const server of servers) {
    if (server.type !== "stdio") continue;
    const violation = await launchViolation(policy, launchSpec(server, "", () => undefined));
    if (violation === undefined) continue;
    issues.push({
      path: `${section}.${server.id}`,
      message: `server "${server.id}": ${violation}`,
      suggestion: `allow the host path in ${ALLOWED_MOUNT_ROOTS_VAR} (a comma list of path:ro or path:rw), ` +
        "or mount a path under an allowed root",
    });
  }
  return issues;
}
