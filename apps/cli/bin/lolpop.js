#!/usr/bin/env node
// dist/start.cjs (CommonJS, see src/start.ts): a global `lolpop` first hands off to the project's
// own @lolpop/cli when there is one; `lolpop validate` runs from code-cached builds when it can.
import { createRequire } from "node:module";

const { handOff, startValidate } = createRequire(import.meta.url)("../dist/start.cjs");

if (!(await handOff())) {
  let code = process.argv[2] === "validate" ? await startValidate(process.argv) : undefined;
  if (code === undefined) {
    const { main } = await import("../dist/cli.js");
    code = await main(process.argv);
  }
  process.exitCode = code;
}
