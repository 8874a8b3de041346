#!/usr/bin/env node
// Builds the project's Python venv (.venv at the repo root, or LOLPOP_VENV) from the pinned
// requirements of every package present: packages/*/python/requirements.txt,
// integrations/*/python/requirements.txt and tests/python/requirements.txt. Idempotent: a stamp
// file records the requirements' hash, so a second run with nothing changed does nothing.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const venv = process.env.LOLPOP_VENV ?? join(root, ".venv");
const files = [];
for (const group of ["packages", "integrations"]) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const f = join(dir, name, "python", "requirements.txt");
    if (existsSync(f)) files.push(f);
  }
}
const testReq = join(root, "tests", "python", "requirements.txt");
if (existsSync(testReq)) files.push(testReq);
// Serialize concurrent runs (parallel test setups) with a lock folder; a lock older than 30 minutes is stale.
const lock = `${venv}.lock`;
const started = Date.now();
for (;;) {
  try {
    mkdirSync(lock);
    break;
  } catch (e) {
    if (e.code !== "EEXIST") throw e;
    try {
      if (Date.now() - statSync(lock).mtimeMs > 30 * 60_000) rmSync(lock, { recursive: true, force: true });
    } catch {}
    if (Date.now() - started > 30 * 60_000) {
      console.error(`python setup: waited 30 minutes for ${lock}; remove it if no other setup is running`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
const release = () => rmSync(lock, { recursive: true, force: true });
process.on("exit", release);
const hash = createHash("sha256");
for (const f of files) hash.update(readFileSync(f));
const stamp = join(venv, ".lolpop-requirements.sha256");
const digest = hash.digest("hex");
const python = join(venv, "bin", "python");
if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === digest) {
  console.log(`python venv up to date: ${venv}`);
  process.exit(0);
}
const run = (cmd, args) => {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(
      `python setup failed: ${cmd} exited with ${r.status}. Python 3.9+ with venv and pip is needed (set LOLPOP_PYTHON_BOOTSTRAP to use another interpreter).`,
    );
    process.exit(1);
  }
};
if (!existsSync(python)) run(process.env.LOLPOP_PYTHON_BOOTSTRAP ?? "python3", ["-m", "venv", venv]);
if (files.length)
  run(python, [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "-q",
    ...files.flatMap((f) => ["-r", f]),
  ]);
writeFileSync(stamp, `${digest}\n`);
console.log(`python venv ready: ${venv} (${files.length} requirement files)`);
