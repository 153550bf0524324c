import assert from "node:assert/strict";
import { openAppend, openAppendSync, replaceFile } from "../src/files.ts";
import { symlink, tempDir } from "./support/temp.ts";

/** A directory with a victim file outside it, and a link to the victim (and one to nowhere) inside it. */
async function plantedLinks() {
  const dir = await tempDir("awmg-files-");
  const victim = `${await tempDir("awmg-victim-")}/victim`;
  await Deno.writeTextFile(victim, "the victim's own text\n");
  await symlink(victim, `${dir}/link`);
  await symlink(`${victim}-new`, `${dir}/dangling`);
  await Deno.mkdir(`${dir}/folder`);
  return { dir, victim };
}

Deno.test("a file to append to is never opened through a link, nor created at a link's target", async () => {
  const { dir, victim } = await plantedLinks();
  for (const open of [openAppendSync, openAppend]) {
    for (const name of ["link", "dangling"]) {
      await assert.rejects(
        async () => await open(`${dir}/${name}`),
        /is a symbolic link/,
        `${open.name} ${name}`,
      );
    }
    await assert.rejects(async () => await open(`${dir}/folder`), /is not a regular file/);
  }
  assert.equal(await Deno.readTextFile(victim), "the victim's own text\n", "the victim is untouched");
  await assert.rejects(
    Deno.lstat(`${victim}-new`),
    Deno.errors.NotFound,
    "nothing is created where a link points",
  );
  const file = await openAppend(`${dir}/own.log`);
  await file.write(new TextEncoder().encode("line\n"));
  file.close();
  const again = openAppendSync(`${dir}/own.log`);
  again.writeSync(new TextEncoder().encode("more\n"));
  again.close();
  assert.equal(await Deno.readTextFile(`${dir}/own.log`), "line\nmore\n", "a file of its own is appended to");
});

Deno.test("a replaced file takes the place of a link at its path, and leaves the link's target alone", async () => {
  const { dir, victim } = await plantedLinks();
  await replaceFile(`${dir}/link`, "private key", 0o600);
  assert.equal(await Deno.readTextFile(victim), "the victim's own text\n");
  const written = await Deno.lstat(`${dir}/link`);
  assert.ok(written.isFile && !written.isSymlink);
  assert.equal(written.mode! & 0o777, 0o600);
  assert.equal(await Deno.readTextFile(`${dir}/link`), "private key");
  await replaceFile(`${dir}/link`, new TextEncoder().encode("again"));
  assert.equal(await Deno.readTextFile(`${dir}/link`), "again");
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.deepEqual(names.sort(), ["dangling", "folder", "link"], "no temporary file is left behind");
});
