#!/usr/bin/env node
// Installs the Debian packages the test suite needs when they are missing: headless Chromium, which
// the Evidently HTML-report test opens, and the PostgreSQL server binaries, which @lolpop/duckdb's
// tests start a throwaway cluster with. Runs apt-get only as root; otherwise it says what to run.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const hasPostgresServer = () =>
  existsSync("/usr/lib/postgresql") &&
  readdirSync("/usr/lib/postgresql").some((v) => existsSync(join("/usr/lib/postgresql", v, "bin", "initdb")));
const needed = [
  { present: () => existsSync("/usr/bin/chromium"), pkg: "chromium" },
  { present: hasPostgresServer, pkg: "postgresql" },
];
const missing = needed.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length === 0) process.exit(0);

const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
if (
  process.platform !== "linux" ||
  typeof process.getuid !== "function" ||
  process.getuid() !== 0 ||
  !existsSync("/usr/bin/apt-get")
) {
  console.error(`system-setup: missing ${missing.join(", ")}; install it (as root on Debian: ${cmd})`);
  process.exit(1);
}
console.log(`system-setup: installing ${missing.join(", ")} with apt-get`);
const r = spawnSync("bash", ["-c", cmd], {
  stdio: "inherit",
  env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
});
if (r.status !== 0) {
  console.error(`system-setup: '${cmd}' failed with exit ${r.status}`);
  process.exit(1);
}
