#!/usr/bin/env node
// Makes sure Debian's chromium is installed for the browser tests of @lolpop/ui (playwright-core
// drives it through chromium.launch({executablePath})). Cached: does nothing when it is there.
// Prints the executable's path. Installing needs root (apt-get); otherwise it says what to run.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Where Debian's chromium package puts the browser (override with LOLPOP_CHROMIUM). */
export const CHROMIUM = process.env.LOLPOP_CHROMIUM || "/usr/bin/chromium";

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() !== 0) {
    console.error(
      `${CHROMIUM} is missing: install it with "sudo apt-get install -y chromium" (or set LOLPOP_CHROMIUM)`,
    );
    process.exit(1);
  }
  execFileSync("apt-get", ["update"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}
process.stdout.write(`${CHROMIUM}\n`);
