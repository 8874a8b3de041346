// Jest global setup: builds @tensorflow/tfjs-node (a devDependency of this package, installed
// without its install script) with scripts/build-tfjs-node.mjs. Idempotent: about 0.2 s when the
// addon is built already, ~45 s from scratch (pip download of the tensorflow-cpu wheel + compile).
// A failed build does not stop the other packages' tests: the outcome is written to a status file
// and the tfjs-node tests fail with the build's error message.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildStatusFile } from "./build-status.mjs";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");

export default function globalSetup() {
  const started = Date.now();
  const script = join(pkgDir, "scripts", "build-tfjs-node.mjs");
  const r = spawnSync(process.execPath, [script, pkgDir, "--quiet"], {
    encoding: "utf8",
    timeout: 20 * 60_000,
  });
  const ok = r.status === 0;
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim();
  writeFileSync(
    buildStatusFile(pkgDir),
    JSON.stringify({ ok, ms: Date.now() - started, output, at: new Date().toISOString() }),
  );
  const line = output.split("\n").pop();
  process.stderr.write(`\n@lolpop/tfjs global setup: ${ok ? line : `tfjs-node build FAILED:\n${output}`}\n`);
}
