#!/usr/bin/env node
// Builds the Python environment of the forecasting references (statsforecast) that the parity tests
// and the benchmark of @lolpop/forecast compare against, and prints its interpreter's path on the last
// line of stdout. statsforecast 2.1.x needs pandas < 3 while the project's .venv pins pandas 3.0.6, so
// the references live in a venv of their own: LOLPOP_FORECAST_REFERENCE_VENV, default
// <repo>/.venv-forecast-reference. Idempotent: a stamp holds the hash of python/reference/requirements.txt,
// and a lock folder serializes concurrent runs (parallel test workers).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(pkgDir, "..", "..");
const requirements = join(pkgDir, "python", "reference", "requirements.txt");
const venv = process.env.LOLPOP_FORECAST_REFERENCE_VENV ?? join(root, ".venv-forecast-reference");
const python = join(venv, "bin", "python");
const stamp = join(venv, ".lolpop-requirements.sha256");
const digest = createHash("sha256").update(readFileSync(requirements)).digest("hex");
const log = (line) => process.stderr.write(`${line}\n`);

const upToDate = () =>
  existsSync(python) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === digest;

if (!upToDate()) {
  const lock = `${venv}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock, { recursive: false });
      break;
    } catch (e) {
      if (e.code === "ENOENT") mkdirSync(dirname(lock), { recursive: true });
      else if (e.code !== "EEXIST") throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 30 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() - started > 30 * 60_000) {
        log(`forecast reference venv: waited 30 minutes for ${lock}; remove it if no other setup is running`);
        process.exit(1);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  process.on("exit", () => rmSync(lock, { recursive: true, force: true }));
  if (!upToDate()) {
    const run = (cmd, args) => {
      log(`$ ${cmd} ${args.join(" ")}`);
      const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
      if (r.status !== 0) {
        log(
          `forecast reference venv: ${cmd} exited with ${r.status ?? r.error?.message}. Python 3.9+ with venv and pip is needed (LOLPOP_PYTHON_BOOTSTRAP picks the interpreter).`,
        );
        process.exit(1);
      }
    };
    if (!existsSync(python)) run(process.env.LOLPOP_PYTHON_BOOTSTRAP ?? "python3", ["-m", "venv", venv]);
    run(python, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", requirements]);
    writeFileSync(stamp, `${digest}\n`);
    log(`forecast reference venv ready: ${venv}`);
  }
}
process.stdout.write(`${python}\n`);
