#!/usr/bin/env node
// CommonJS (bin/package.json): the ES module loader costs ~4 ms to start on Node 20, and
// `lolpop validate` needs none. dist/start.cjs (see src/start.ts): a global `lolpop` first hands
// off to the project's own @lolpop/cli when there is one; `lolpop validate` runs from code-cached
// builds when it can; every other command runs the ES module CLI.
const { handOff, startValidate } = require("../dist/start.cjs");

(async () => {
  if (await handOff()) return;
  let code = process.argv[2] === "validate" ? await startValidate(process.argv) : undefined;
  if (code === undefined) {
    const { main } = await import("../dist/cli.js");
    code = await main(process.argv);
  }
  process.exitCode = code;
})();
