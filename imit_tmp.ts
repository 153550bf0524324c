import { githubImitation } from "./tests/support/github_imitation.ts";
const api = githubImitation();
console.log(api.url);
await Deno.writeTextFile("/tmp/imit.url", api.url);
await new Promise(() => {});
