#!/usr/bin/env node
// Runs every package's tests in one jest process and ends with a plain summary line
// ("tests: N passed, N failed, N skipped") that CI reads; a test file that failed to run counts as
// one failed test (scripts/test-summary.mjs), so the line agrees with the exit code. Extra arguments
// go to jest. LOLPOP_TEST_RESULTS names jest's JSON results file (default .jest-results.json at the root).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { summarize } from "./test-summary.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.env.LOLPOP_TEST_RESULTS
  ? resolve(process.env.LOLPOP_TEST_RESULTS)
  : join(root, ".jest-results.json");
rmSync(out, { force: true });
const jestBin = join(root, "node_modules", "jest", "bin", "jest.js");
const res = spawnSync(
  process.execPath,
  [
    "--experimental-vm-modules",
    "--no-warnings=ExperimentalWarning",
    jestBin,
    "--json",
    `--outputFile=${out}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: "inherit", env: process.env },
);
if (!existsSync(out)) {
  // jest died (a crash in band, a signal) or stopped before running anything: nothing to count.
  console.error(
    `jest wrote no results (${res.signal ? `killed by ${res.signal}` : `exit ${res.status}`}): see its output above`,
  );
  process.exit(res.status || 1);
}
const r = JSON.parse(readFileSync(out, "utf8"));
const { tests, lines } = summarize(r, root);
console.log(`\n${lines.join("\n")}`);
if (r.numTotalTests === 0 && tests.failed === 0) {
  console.error("no test ran");
  process.exit(1);
}
const ok = r.success && res.status === 0;
if (!ok && tests.failed === 0) {
  console.error(
    `jest reported a failure without a failed test (exit ${res.status ?? res.signal}): see its output above`,
  );
}
process.exit(ok ? 0 : 1);
