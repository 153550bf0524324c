import assert from "node:assert/strict";
import { runAwmg } from "../support/awmg.ts";
import { tempDir, tempFile } from "../support/temp.ts";
import { VERSION } from "../../src/version.ts";

Deno.test("--version prints the version and exits 0", async () => {
  const run = await runAwmg(["--version"]);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, `awmg version ${VERSION}\n`);
});

Deno.test("--help lists every flag with its default; env changes the shown default", async () => {
  const run = await runAwmg(["--help"], { env: { MCP_GATEWAY_LOG_DIR: "/var/log/awmg" } });
  assert.equal(run.code, 0);
  assert.match(run.stdout, /-l, --listen string +HTTP server listen address \(default "127\.0\.0\.1:3000"\)/);
  assert.match(run.stdout, /--log-dir string .*\(default "\/var\/log\/awmg"\)/);
  assert.match(run.stdout, /--payload-size-threshold int .*\(default 10240\)/);
  assert.match(run.stdout, /-v, --verbose count/);
});

Deno.test("unknown flags and bad values exit 2 with one line and a pointer to --help", async () => {
  const run = await runAwmg(["--prot", "3000"]);
  assert.equal(run.code, 2);
  assert.equal(run.stderr, "Error: unknown flag: --prot\nRun 'awmg --help' for usage.\n");
  const bad = await runAwmg(["completion", "tcsh"]);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    "Error: unsupported shell \"tcsh\": expected one of bash, zsh, fish, powershell\nRun 'awmg completion --help' for usage.\n",
  );
});

Deno.test("completion bash writes a script bash accepts", async () => {
  const run = await runAwmg(["completion", "bash"]);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /complete -F _awmg awmg/);
});

Deno.test("an invalid TOML file exits 1 with every error on stderr", async () => {
  const path = await tempFile("[servers.a]\nargs = []\n[gateway]\nport = 0\n", ".toml");
  const run = await runAwmg(["--config", path]);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  assert.equal(
    run.stderr,
    `Error: invalid configuration in ${path} (2 errors):\n` +
      "  - gateway.port: port must be between 1 and 65535 (line 4)\n      expected an integer from 1 to 65535, found number 0\n" +
      '  - servers.a: a stdio server requires "command" (a program to run) or "container" (an image) (line 1)\n' +
      '      suggestion: e.g. command = "docker" and args = ["run", "--rm", "-i", "image"]\n',
  );
});

Deno.test("an invalid stdin config also writes one JSON error payload on stdout, without secrets", async () => {
  const config = {
    mcpServers: { github: { container: "i", env: { T: "${GITHUB_TOKEN}", S: "${SECRET}" } } },
    gateway: { port: 8000, domain: "localhost", agentId: "k" },
    bogus: 1,
  };
  const run = await runAwmg(["--config-stdin"], {
    stdin: JSON.stringify(config),
    env: { SECRET: "s3cr3t-value" },
  });
  assert.equal(run.code, 1);
  const payload = JSON.parse(run.stdout);
  assert.equal(payload.error.code, "invalid_configuration");
  assert.deepEqual(payload.error.errors.map((e: { path: string }) => e.path), [
    "bogus",
    "mcpServers.github.env.T",
  ]);
  assert.match(
    run.stderr,
    /undefined environment variable referenced: GITHUB_TOKEN\n\s+Required by: mcpServers\.github\.env\.T/,
  );
  assert.ok(!run.stderr.includes("s3cr3t-value") && !run.stdout.includes("s3cr3t-value"));
});

Deno.test("--env loads a .env file whose variables feed ${VAR} expansion; set variables win", async () => {
  const envFile = await tempFile("TOKEN_A=from-file\nTOKEN_B=from-file\n", ".env");
  const path = await tempFile(
    '[servers.a]\ncommand = "x"\nenv = { A = "${TOKEN_A}", B = "${TOKEN_C}" }\n',
    ".toml",
  );
  const run = await runAwmg(["--env", envFile, "--config", path], { env: { TOKEN_A: "from-env" } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /undefined environment variable referenced: TOKEN_C/);
  assert.doesNotMatch(run.stderr, /TOKEN_A/);
  const missing = await runAwmg(["--env", "/nonexistent/.env", "--config", path]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "Error: failed to read .env file /nonexistent/.env: no such file\n");
});

Deno.test("a missing config file is reported with its path", async () => {
  const run = await runAwmg(["--config", "/nonexistent/config.toml"]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /failed to read config file \/nonexistent\/config\.toml: no such file/);
});

Deno.test("--validate-config checks the configuration and exits without starting anything", async () => {
  const started = `${await tempDir("awmg-validate-")}/started`;
  const good = await tempFile(
    '[servers.a]\ncommand = "/nonexistent/server"\n[servers.b]\ncommand = "sh"\n' +
      `args = ["-c", "touch ${started}"]\n[gateway]\nport = 8123\n`,
    ".toml",
  );
  const valid = await runAwmg(["--config", good, "--validate-config"]);
  assert.equal(valid.code, 0, valid.stderr);
  assert.deepEqual(JSON.parse(valid.stdout), { status: "valid", servers: ["a", "b"], warnings: 0 });
  assert.doesNotMatch(valid.stderr, /Launching|Listening/, "nothing was started");
  await assert.rejects(Deno.stat(started), Deno.errors.NotFound, "no server was launched, not even early");
  const bad = await tempFile('[servers.a]\ncommand = "x"\n[gateway]\nprot = 1\n', ".toml");
  const invalid = await runAwmg(["--config", bad, "--validate-config"]);
  assert.equal(invalid.code, 1);
  const payload = JSON.parse(invalid.stdout);
  assert.equal(payload.error.code, "invalid_configuration");
  assert.match(payload.error.errors[0].message, /unrecognized field 'gateway\.prot'/);
  assert.match(invalid.stderr, /did you mean 'port'\?/);
});

Deno.test("--validate-config fails where the start would: a mount outside the policy, a guard policy with no module", async () => {
  const config = (server: Record<string, unknown>) =>
    JSON.stringify({
      mcpServers: { s: { container: "ghcr.io/example/server:latest", ...server } },
      gateway: { port: 8000, domain: "localhost", agentId: "k" },
    });
  const mount = await runAwmg(["--config-stdin", "--validate-config"], {
    stdin: config({ mounts: ["/etc:/host-etc:ro"] }),
    env: { MCP_GATEWAY_ALLOWED_MOUNT_ROOTS: "/tmp:rw" },
  });
  assert.equal(mount.code, 1);
  assert.deepEqual(JSON.parse(mount.stdout).error.errors.map((e: { message: string }) => e.message), [
    'server "s": mount "/etc" rejected: host source is outside the allowed mount roots',
  ]);
  const privileged = await runAwmg(["--config-stdin", "--validate-config"], {
    stdin: config({ args: ["--privileged"] }),
  });
  assert.equal(privileged.code, 1);
  assert.match(privileged.stderr, /container option "--privileged" rejected by mount policy/);
  const unguarded = await runAwmg(["--config-stdin", "--validate-config"], {
    stdin: config({ "guard-policies": { "allow-only": { repos: "public", "min-integrity": "none" } } }),
    env: { MCP_GATEWAY_WASM_GUARDS_DIR: "/nonexistent-guards" },
  });
  assert.equal(unguarded.code, 1, "a policy with no guard module to enforce it");
  assert.equal(JSON.parse(unguarded.stdout).error.code, "guard_setup_failed");
});

Deno.test("a start that fails after the servers were launched early leaves none of them running", async () => {
  const dir = await tempDir("awmg-headstart-");
  // The server says it is up once its trap is set, and the trap says when it was told to stop.
  const script = `trap 'echo > ${dir}/stopped; kill $!; exit 0' TERM; echo > ${dir}/up; sleep 30 & wait`;
  const config = await tempFile(`[servers.a]\ncommand = "sh"\nargs = ["-c", "${script}"]\n`, ".toml");
  const run = await runAwmg(["--config", config, "--tool-lock", `${dir}/missing.lock.json`]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /cannot read the tool lock .*missing\.lock\.json/);
  const exists = (name: string) => Deno.stat(`${dir}/${name}`).then(() => true, () => false);
  for (let waited = 0; waited < 5000 && !(await exists("stopped")); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A server killed before it set its trap never says it was up; one that was up must have been stopped.
  assert.ok(!(await exists("up")) || await exists("stopped"), "the server launched early was left running");
});
