#!/usr/bin/env node
// Runs every package's tests in one jest process and ends with a plain summary line
// ("tests: N passed, N failed, N skipped") that CI reads. Extra arguments go to jest.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".jest-results.json");
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
  console.error("jest wrote no results: it failed before running tests");
  process.exit(res.status || 1);
}
const r = JSON.parse(readFileSync(out, "utf8"));
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`\ntest suites: ${r.numPassedTestSuites} passed, ${r.numFailedTestSuites} failed`);
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
if (r.numTotalTests === 0) {
  console.error("no test ran");
  process.exit(1);
}
process.exit(r.success && res.status === 0 ? 0 : 1);
