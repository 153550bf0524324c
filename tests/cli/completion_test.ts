import assert from "node:assert/strict";
import { completionScript } from "../../src/cli/completion.ts";
import { FLAGS } from "../../src/cli/flags.ts";

async function bash(script: string): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: ["-c", script],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return { code, out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

/** Sources the bash script and asks it to complete the given words. */
async function complete(words: string[]): Promise<string[]> {
  const file = await Deno.makeTempFile({ suffix: ".bash" });
  await Deno.writeTextFile(file, completionScript("bash"));
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const { out } = await bash(
    `source ${file}; COMP_WORDS=(awmg ${quoted}); COMP_CWORD=${words.length}; _awmg; printf '%s\\n' "\${COMPREPLY[@]}"`,
  );
  await Deno.remove(file);
  return out.split("\n").filter((line) => line !== "");
}

Deno.test("bash script passes bash -n and completes flags and subcommands", async () => {
  const check = await bash(`bash -n <<'EOF'\n${completionScript("bash")}\nEOF`);
  assert.equal(check.code, 0, check.out);
  assert.deepEqual(await complete(["--pay"]), [
    "--payload-dir",
    "--payload-path-prefix",
    "--payload-size-threshold",
  ]);
  assert.deepEqual(await complete(["comp"]), ["completion"]);
  assert.deepEqual(await complete(["completion", "f"]), ["fish"]);
  assert.deepEqual(await complete(["-c", "/etc/hostnam"]), ["/etc/hostname"]);
  assert.deepEqual(await complete(["--log-dir", "/et"]), ["/etc"]);
});

Deno.test("zsh, fish and powershell scripts cover every flag and subcommand", () => {
  for (const shell of ["zsh", "fish", "powershell"] as const) {
    const script = completionScript(shell);
    for (const flag of FLAGS) assert.ok(script.includes(flag.name), `${shell} lacks --${flag.name}`);
    assert.ok(
      script.includes("completion") && script.includes("bash zsh fish powershell".split(" ")[3]),
      shell,
    );
  }
  assert.match(completionScript("zsh"), /^#compdef awmg\n/);
  assert.match(completionScript("fish"), /complete -c awmg -s c -l config -r -F -d 'Path to config file'/);
  assert.match(completionScript("powershell"), /Register-ArgumentCompleter -Native -CommandName 'awmg'/);
});

/** Whether a program is on the PATH. */
async function installed(program: string): Promise<boolean> {
  const found = await new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
    .output();
  return found.success;
}

for (const [shell, check] of [["zsh", "-n"], ["fish", "--no-execute"]] as const) {
  Deno.test({
    name: `${shell} ${check} accepts the ${shell} script (ignored where ${shell} is not installed)`,
    ignore: !(await installed(shell)),
    fn: async () => {
      const file = await Deno.makeTempFile();
      await Deno.writeTextFile(file, completionScript(shell));
      const result = await new Deno.Command(shell, { args: [check, file], stderr: "piped" }).output();
      await Deno.remove(file);
      assert.equal(result.code, 0, `${shell}: ${new TextDecoder().decode(result.stderr)}`);
    },
  });
}
