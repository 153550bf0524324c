/**
 * The mount policy, case by case as the Go gateway's `internal/launcher/mount_policy_test.go` states it (each
 * case names the Go test it comes from), plus the argument forms a hostile config could hide a mount in.
 */
import assert from "node:assert/strict";
import {
  canonicalPath,
  launchViolation,
  type MountPolicy,
  mountPolicy,
  mountViolation,
  parseMountRoots,
  runArgsViolation,
} from "../../src/backends/mount_policy.ts";
import { symlink, tempDir } from "../support/temp.ts";

/** A read-only workspace root and a read-write temp root, canonicalized as in production. */
async function testPolicy(): Promise<{ policy: MountPolicy; workspace: string; tmp: string; base: string }> {
  const base = await Deno.realPath(await tempDir("awmg-mounts-"));
  const workspace = `${base}/workspace`;
  const tmp = `${base}/tmp`;
  await Deno.mkdir(workspace);
  await Deno.mkdir(tmp);
  const policy = await mountPolicy(
    (name) => name === "MCP_GATEWAY_ALLOWED_MOUNT_ROOTS" ? `${workspace}:ro,${tmp}:rw` : undefined,
    "",
    "/nonexistent-default",
  );
  return { policy, workspace, tmp, base };
}

Deno.test("Go: TestMountPolicyValidateMount", async () => {
  const { policy, workspace, tmp } = await testPolicy();
  const cases: [string, string, RegExp | undefined][] = [
    ["read-only workspace mount allowed", `${workspace}:/workspace:ro`, undefined],
    ["read-only workspace subdirectory allowed", `${workspace}/repo:/workspace:ro`, undefined],
    ["read-write temp mount allowed", `${tmp}:/payloads:rw`, undefined],
    ["read-write workspace mount rejected", `${workspace}:/workspace:rw`, /read-write access/],
    [
      "mount without mode defaults to read-write and is rejected",
      `${workspace}:/workspace`,
      /read-write access/,
    ],
    ["host path outside allowed roots rejected", "/etc:/host-etc:ro", /outside the allowed mount roots/],
    [
      "path traversal escape rejected",
      `${workspace}/../../etc:/host-etc:ro`,
      /outside the allowed mount roots/,
    ],
    ["relative source rejected", "workspace:/workspace:ro", /absolute path/],
    ["relative destination rejected", `${workspace}:workspace:ro`, /absolute path/],
    ["malformed declaration rejected", workspace, /invalid mount declaration/],
    ["too many segments rejected", `${workspace}:/workspace:ro:extra`, /invalid mount declaration/],
    ["unsupported mount option rejected", `${workspace}:/workspace:rslave`, /unsupported mount option/],
    ["empty source rejected", ":/workspace:ro", /must not be empty/],
  ];
  for (const [name, spec, refused] of cases) {
    const violation = await mountViolation(policy, spec);
    if (refused === undefined) assert.equal(violation, undefined, name);
    else assert.match(violation ?? "", refused, name);
  }
  assert.equal(
    await mountViolation(policy, "/etc:/host-etc:ro"),
    'mount "/etc" rejected: host source is outside the allowed mount roots',
    "Go's words",
  );
  assert.equal(
    await mountViolation(policy, `${workspace}:/w:rw`),
    `mount "${workspace}" rejected: read-write access to this host root is not permitted by mount policy`,
  );
});

Deno.test("Go: TestMountPolicyRejectsSymlinkEscape", async () => {
  const { policy, workspace } = await testPolicy();
  const outside = await tempDir("awmg-mounts-");
  await symlink(outside, `${workspace}/escape`);
  assert.match(
    await mountViolation(policy, `${workspace}/escape:/workspace:ro`) ?? "",
    /outside the allowed mount roots/,
  );
  await symlink(outside, `${workspace}/escape-parent`);
  assert.match(
    await mountViolation(policy, `${workspace}/escape-parent/not-yet/deeper:/w:ro`) ?? "",
    /outside the allowed mount roots/,
    "a missing path under a link is resolved through the link",
  );
  await Deno.mkdir(`${workspace}/inner`);
  await symlink(`${workspace}/inner`, `${workspace}/inner-link`);
  assert.equal(await mountViolation(policy, `${workspace}/inner-link:/workspace:ro`), undefined);
});

Deno.test("Go: TestMountPolicyEmptyPolicyDeniesAllMounts", async () => {
  assert.match(await mountViolation({ roots: [] }, "/tmp:/data:ro") ?? "", /outside the allowed mount roots/);
});

Deno.test("Go: TestMountPolicyValidateContainerArgs, and the forms a flag parser also reads", async () => {
  const { policy, workspace, tmp } = await testPolicy();
  const cases: [string, string[], RegExp | undefined][] = [
    ["allowed mounts pass", [
      "run",
      "--rm",
      "-i",
      "-v",
      `${workspace}:/workspace:ro`,
      "--volume",
      `${tmp}:/payloads:rw`,
      "image:latest",
    ], undefined],
    ["no mounts pass", ["run", "--rm", "-i", "-e", "NO_COLOR=1", "image:latest"], undefined],
    [
      "disallowed -v mount rejected",
      ["run", "-v", "/etc:/host-etc:ro", "image:latest"],
      /outside the allowed/,
    ],
    ["disallowed --volume= mount rejected", ["run", "--volume=/etc:/host-etc:ro", "image:latest"], /outside/],
    ["dangling -v rejected", ["run", "-v"], /missing mount declaration/],
    ["--mount bypass rejected", ["run", "--mount", "type=bind,source=/etc,target=/e", "image"], /"--mount"/],
    ["--volumes-from bypass rejected", ["run", "--volumes-from", "other", "image:latest"], /--volumes-from/],
    ["--privileged bypass rejected", ["run", "--privileged", "image:latest"], /--privileged/],
    ["--device bypass rejected", ["run", "--device=/dev/sda:/dev/sda", "image:latest"], /--device/],
    ["Podman --rootfs bypass rejected", ["run", "--rootfs=/etc", "image:latest"], /--rootfs/],
    ["-v with its value attached", ["run", "-v/etc:/host-etc:ro", "image"], /outside the allowed/],
    ["-v= with its value", ["run", "-v=/etc:/host-etc:ro", "image"], /outside the allowed/],
    ["-v at the end of a group of switches", ["run", "-itv", "/etc:/e:ro", "image"], /outside the allowed/],
    ["-v inside a group, its value attached", ["run", "-iv/etc:/e:ro", "image"], /outside the allowed/],
    ["--privileged=false is still refused", ["run", "--privileged=false", "image"], /--privileged/],
    ["an option the table does not know, with no =", ["run", "--frobnicate", "-v", "/etc:/e", "img"], /"="/],
    [
      "the same option written with =",
      ["run", "--frobnicate=1", "-v", `${workspace}:/w:ro`, "img"],
      undefined,
    ],
    ["a value that looks like a mount stays a value", ["run", "--label", "-v", "/etc:/e", "img"], undefined],
    [
      "the image's own arguments are not the runtime's",
      ["run", "img", "-v", "/etc:/e", "--privileged"],
      undefined,
    ],
    ["a global option's value named run", ["--context", "run", "run", "-v", "/etc:/e", "img"], /outside/],
    ["a short global option's value named run", ["-H", "run", "run", "--privileged", "img"], /--privileged/],
    ["global switches grouped before a value", ["-Dl", "run", "run", "-v", "/etc:/e", "img"], /outside/],
    ["a global option the table does not know", ["--frobnicate", "run", "run", "img"], /global option.*"="/],
    ["a global option written with =", ["--frobnicate=run", "run", "-v", "/etc:/e", "img"], /outside/],
    [
      "container run after a global option",
      ["--host=x", "container", "run", "--privileged", "img"],
      /--privileged/,
    ],
    ["another subcommand is scanned whole", ["exec", "-v", "/etc:/e", "box"], /outside/],
  ];
  for (const [name, args, refused] of cases) {
    const violation = await runArgsViolation(policy, args);
    if (refused === undefined) assert.equal(violation, undefined, name);
    else assert.match(violation ?? "", refused, name);
  }
});

Deno.test("Go: TestLaunchStdioConnectionEnforcesMountPolicy and ...SkipsPolicyForDirectCommands", async () => {
  const { policy } = await testPolicy();
  const mount = ["run", "--rm", "-i", "-v", "/etc:/host-etc:ro", "image:latest"];
  assert.match(
    await launchViolation(policy, { command: "docker", args: mount }) ?? "",
    /outside the allowed/,
  );
  assert.match(await launchViolation(policy, { command: "/usr/bin/podman", args: mount }) ?? "", /outside/);
  assert.equal(
    await launchViolation(policy, { command: "node", args: ["-v", "/etc:/host-etc:ro"] }),
    undefined,
  );
  assert.match(
    await launchViolation(policy, {
      command: "docker",
      args: ["--context", "x", "container", "run", "-v", "/e:/e"],
    }) ??
      "",
    /outside the allowed/,
    "run found after global options",
  );
});

Deno.test("Go: TestDefaultMountPolicyAllowsWorkspaceAndTemp and TestDefaultMountPolicyEnvOverride", async () => {
  const workspace = await tempDir("awmg-mounts-");
  const tmp = await tempDir("awmg-mounts-");
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const defaults = await mountPolicy(env({ GITHUB_WORKSPACE: workspace }), "", tmp);
  assert.equal(await mountViolation(defaults, `${workspace}:/workspace:ro`), undefined);
  assert.equal(await mountViolation(defaults, `${tmp}/jq-payloads:/payloads:rw`), undefined);
  assert.ok(await mountViolation(defaults, "/etc:/host-etc:ro"));
  assert.ok(await mountViolation(defaults, `${workspace}:/workspace:rw`));

  const allowed = await Deno.realPath(await tempDir("awmg-mounts-"));
  const readonly = `${allowed}/readonly`;
  await Deno.mkdir(readonly);
  const overridden = await mountPolicy(
    env({
      MCP_GATEWAY_ALLOWED_MOUNT_ROOTS: `${allowed}:rw, relative/path, ${readonly}:ro`,
      GITHUB_WORKSPACE: "",
    }),
    "",
    tmp,
  );
  assert.deepEqual(overridden.roots, [{ path: readonly, writable: false }, {
    path: allowed,
    writable: true,
  }]);
  assert.equal(await mountViolation(overridden, `${allowed}:/data:rw`), undefined);
  assert.equal(await mountViolation(overridden, `${readonly}:/data:ro`), undefined);
  assert.ok(
    await mountViolation(overridden, `${readonly}:/data:rw`),
    "a read-only sub-root narrows its parent",
  );
  assert.ok(
    await mountViolation(overridden, `${tmp}:/data:rw`),
    "the default roots do not apply when overridden",
  );
});

Deno.test("Go: TestCanonicalizePathHandlesMissingLeafDirectories and ...WalksUpToFilesystemRoot", async () => {
  const base = await Deno.realPath(await tempDir("awmg-mounts-"));
  await Deno.mkdir(`${base}/real`);
  await symlink(`${base}/real`, `${base}/link`);
  assert.equal(await canonicalPath(`${base}/link/missing/child`), `${base}/real/missing/child`);
  assert.equal(await canonicalPath("relative/path"), undefined);
  const missing = "/gh-aw-mcpg-missing-root-8f2c/nested/leaf";
  assert.equal(await canonicalPath(missing), missing);
});

Deno.test("Go: TestCanonicalizeRootsRejectsFilesystemRoot, ...DeduplicatesEquivalentPaths, TestParseMountRootsSkipsEmptyEntries", async () => {
  const tmp = await Deno.realPath(await tempDir("awmg-mounts-"));
  const env = (raw: string) => (name: string) => name === "MCP_GATEWAY_ALLOWED_MOUNT_ROOTS" ? raw : undefined;
  assert.deepEqual((await mountPolicy(env(`/:rw,${tmp}:rw`), "", "/x")).roots, [{
    path: tmp,
    writable: true,
  }]);
  await Deno.mkdir(`${tmp}/real`);
  await symlink(`${tmp}/real`, `${tmp}/link`);
  assert.deepEqual(
    (await mountPolicy(env(`${tmp}/real:ro,${tmp}/link:rw`), "", "/x")).roots,
    [{ path: `${tmp}/real`, writable: false }],
    "the first-seen entry's writability wins",
  );
  assert.deepEqual(parseMountRoots(`${tmp}:rw,, ,`), [{ path: tmp, writable: true }]);
});

Deno.test("Go: TestParseMountDeclarationRejectsConflictingModes and ...EmptyModeOption", async () => {
  const { policy, tmp } = await testPolicy();
  assert.match(await mountViolation(policy, `${tmp}:/data:ro,rw`) ?? "", /conflicting mount options/);
  assert.match(await mountViolation(policy, `${tmp}:/data:ro,,rw`) ?? "", /empty mount option/);
});
