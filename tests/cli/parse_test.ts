import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/parse.ts";

Deno.test("flags, shorthands and repeatable -v", () => {
  const parsed = parseCommandLine([
    "-c",
    "x.toml",
    "-l",
    "0.0.0.0:8000",
    "-vvv",
    "--unified",
    "--sequential-launch",
    "--payload-path-prefix",
    "/workspace/payloads",
    "--shutdown-timeout",
    "2m",
  ]);
  assert.equal(parsed.kind, "run");
  assert.deepEqual(parsed.kind === "run" && parsed.options, {
    config: "x.toml",
    configStdin: false,
    envFile: undefined,
    listen: "0.0.0.0:8000",
    logDir: undefined,
    payloadDir: undefined,
    payloadPathPrefix: "/workspace/payloads",
    payloadSizeThreshold: undefined,
    shutdownTimeout: "2m",
    tls: undefined,
    otlpEndpoint: undefined,
    otlpSampleRate: undefined,
    otlpServiceName: undefined,
    mode: "unified",
    guardsMode: undefined,
    guardPolicyJson: undefined,
    sequentialLaunch: true,
    toolLock: undefined,
    strictPins: false,
    validateConfig: false,
    validateEnv: false,
    verbosity: 3,
    noAuth: false,
  });
});

Deno.test("guard flags: mode, policy JSON and the allow-only scope", () => {
  const parsed = parseCommandLine([
    "--guards-mode",
    "filter",
    "--allowonly-scope-owner",
    "octo",
    "--allowonly-min-integrity",
    "approved",
  ]);
  assert.ok(parsed.kind === "run");
  assert.equal(parsed.options.guardsMode, "filter");
  assert.deepEqual(parsed.options.allowOnly, {
    public: false,
    owner: "octo",
    repo: undefined,
    minIntegrity: "approved",
  });
  const none = parseCommandLine([]);
  assert.ok(none.kind === "run" && none.options.allowOnly === undefined);
});

Deno.test("command-line errors are one clear line", () => {
  const cases: [string[], string][] = [
    [["--bogus"], "unknown flag: --bogus"],
    [["-x"], "unknown flag: -x"],
    [["--config"], "flag needs an argument: --config"],
    [
      ["--payload-size-threshold", "ten"],
      'invalid argument "ten" for "--payload-size-threshold" flag: expected a non-negative integer',
    ],
    [["--routed", "--unified"], "--routed and --unified are mutually exclusive: choose one mode"],
    [["serve"], 'unknown command "serve" for "awmg"'],
    [["completion"], "completion takes exactly one argument: bash, zsh, fish or powershell"],
    [["completion", "tcsh"], 'unsupported shell "tcsh": expected one of bash, zsh, fish, powershell'],
    [["help", "nope"], 'unknown help topic "nope"'],
  ];
  for (const [argv, message] of cases) {
    const parsed = parseCommandLine(argv);
    assert.equal(parsed.kind === "error" && parsed.message, message, argv.join(" "));
  }
});

Deno.test("help, version and completion invocations", () => {
  assert.deepEqual(parseCommandLine(["--help"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["help", "completion"]), { kind: "help", command: "completion" });
  assert.deepEqual(parseCommandLine(["completion", "--help"]), { kind: "help", command: "completion" });
  assert.deepEqual(parseCommandLine(["--version"]), { kind: "version" });
  assert.deepEqual(parseCommandLine(["completion", "fish"]), { kind: "completion", shell: "fish" });
});

Deno.test("awmg pin takes the gateway's flags, --output (default awmg-tools.lock.json) and --check", () => {
  const parsed = parseCommandLine(["pin", "--config", "x.toml", "--check"]);
  assert.equal(parsed.kind, "pin");
  if (parsed.kind !== "pin") return;
  assert.equal(parsed.options.config, "x.toml");
  assert.deepEqual([parsed.output, parsed.check], ["awmg-tools.lock.json", true]);
  const written = parseCommandLine(["pin", "--output", "-"]);
  assert.deepEqual(written.kind === "pin" && [written.output, written.check], ["-", false]);
  assert.deepEqual(parseCommandLine(["pin", "--output", ""]), {
    kind: "error",
    message: "flag needs a non-empty argument: --output",
    command: "pin",
  });
  assert.equal(parseCommandLine(["pin", "--nope"]).kind, "error");
  assert.equal(parseCommandLine(["--check"]).kind, "error", "--check belongs to pin alone");
});
