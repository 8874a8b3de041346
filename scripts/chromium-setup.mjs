#!/usr/bin/env node
// The path of Debian's headless Chromium for the browser tests, benchmark and screenshots of
// @lolpop/ui (playwright-core drives it through chromium.launch({executablePath})). The install is
// scripts/system-setup.mjs's (the one list of Debian packages the suite needs): run first when the
// browser is missing. Prints the executable's path.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where Debian's chromium package puts the browser (override with LOLPOP_CHROMIUM). */
export const CHROMIUM = process.env.LOLPOP_CHROMIUM || "/usr/bin/chromium";

if (!existsSync(CHROMIUM))
  execFileSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), "system-setup.mjs")], {
    // Its messages go to stderr: stdout is the path alone.
    stdio: ["ignore", 2, 2],
  });
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: install Debian's chromium package (or set LOLPOP_CHROMIUM)`);
  process.exit(1);
}
process.stdout.write(`${CHROMIUM}\n`);
