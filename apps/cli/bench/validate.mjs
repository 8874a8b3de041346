#!/usr/bin/env node
// `lolpop validate` on the penguins quickstart, side by side with a bare `node -e ''` in one run
// (issue 25: goal <= 1.5x). Interleaved runs, medians, ratios printed. Two validate rows: with
// lolpop's caches warm (what every run after the first two sees: parsed config, schema validators,
// V8 code caches) and with them off (LOLPOP_SCHEMA_CACHE=0, a first run).
// Usage: node bench/validate.mjs [--runs N] [--baseline path/to/other/bin/lolpop.js]
// --baseline adds a row for another checkout's build of the CLI (e.g. main), run on that checkout's
// own quickstart (so its own core and plugins load), in the same run: before/after under one load.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cliDir = join(here, "..");
const project = join(cliDir, "..", "..", "examples", "quickstart", "penguins");
const bin = join(cliDir, "bin", "lolpop.js");
const i = process.argv.indexOf("--runs");
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 15;
const j = process.argv.indexOf("--baseline");
const baselineBin = j > 0 ? process.argv[j + 1] : undefined;
const cacheDir = mkdtempSync(join(tmpdir(), "lolpop-bench-validate-"));
// The baseline's own cache folder: two builds sharing one would overwrite each other's entries
// (e.g. the validators' code caches, whose ids differ between versions) on every run.
const baselineCacheDir = mkdtempSync(join(tmpdir(), "lolpop-bench-validate-baseline-"));

function time(args, env = {}, cwd = project) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", LOLPOP_SCHEMA_CACHE_DIR: cacheDir, ...env },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return ms;
}
const validate = () => time([bin, "validate"]);
const validateNoCache = () => time([bin, "validate"], { LOLPOP_SCHEMA_CACHE: "0" });
const bare = () => time(["-e", ""]);
const baseline = () =>
  time(
    [baselineBin, "validate"],
    { LOLPOP_SCHEMA_CACHE_DIR: baselineCacheDir },
    join(dirname(baselineBin), "..", "..", "..", "examples", "quickstart", "penguins"),
  );
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stats = (name, xs) => ({
  name,
  median_ms: +median(xs).toFixed(1),
  min_ms: +Math.min(...xs).toFixed(1),
  runs: xs.length,
});

// Warm the file cache and lolpop's caches, then interleave. Two runs: the first writes the parsed
// config, the validators and the code caches of core's and the CLI's CommonJS builds; the second,
// loading the validators from the cache, writes their code caches (after their first use).
validate();
validate();
validateNoCache();
bare();
if (baselineBin) baseline();
const v = [];
const bl = [];
const vc = [];
const b = [];
// Each round starts at another row: in a fixed order the baseline, always run right after the
// uncached validate, measured faster than the build under test, the reverse of a plain A/B of both.
const rows = [() => v.push(validate()), () => b.push(bare()), () => vc.push(validateNoCache())];
if (baselineBin) rows.push(() => bl.push(baseline()));
for (let k = 0; k < RUNS; k++) for (let r = 0; r < rows.length; r++) rows[(k + r) % rows.length]();
rmSync(cacheDir, { recursive: true, force: true });
rmSync(baselineCacheDir, { recursive: true, force: true });
const warm = stats("lolpop validate (quickstart penguins, caches warm)", v);
const cold = stats("lolpop validate (quickstart penguins, caches off)", vc);
const ref = stats("node -e '' (reference)", b);
const base = baselineBin ? stats(`baseline: ${baselineBin} validate (caches warm)`, bl) : undefined;
console.log(
  JSON.stringify(
    [
      warm,
      cold,
      ref,
      ...(base ? [base] : []),
      {
        name: "ratios",
        validate_vs_bare_node: +(warm.median_ms / ref.median_ms).toFixed(2),
        validate_no_cache_vs_bare_node: +(cold.median_ms / ref.median_ms).toFixed(2),
        ...(base ? { baseline_vs_bare_node: +(base.median_ms / ref.median_ms).toFixed(2) } : {}),
        goal: 1.5,
      },
      { name: "machine", cpus: cpus().length, load_average_1m: +loadavg()[0].toFixed(2) },
    ],
    null,
    2,
  ),
);
