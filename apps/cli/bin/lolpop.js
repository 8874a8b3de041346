#!/usr/bin/env node
// A global `lolpop` first hands off to the project's own @lolpop/cli when there is one.
import { handOff } from "../dist/handoff.js";

if (!(await handOff())) {
  const { main } = await import("../dist/cli.js");
  process.exitCode = await main(process.argv);
}
