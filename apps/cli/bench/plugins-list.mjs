#!/usr/bin/env node
// `lolpop plugins list` with 50 installed fixture plugins, side by side with references in one run:
// a bare `node` start and `npm ls --depth=0 --json` (npm listing the same node_modules). Medians of
// several runs, printed with ratios. Every fixture entry throws (after leaving a marker file) when
// imported: the bench fails if listing imported any of them.
// Usage: node bench/plugins-list.mjs [--runs N] [--plugins N] [--keep]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cliDir = join(here, "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 15);
const PLUGINS = arg("--plugins", 50);

const dir = mkdtempSync(join(tmpdir(), "lolpop-bench-plugins-"));
const markers = join(dir, "markers");
mkdirSync(markers);
mkdirSync(join(dir, "node_modules", "@lolpop"), { recursive: true });
symlinkSync(
  dirname(fileURLToPath(import.meta.resolve("@lolpop/core/package.json"))),
  join(dir, "node_modules", "@lolpop", "core"),
);
const deps = { "@lolpop/core": "*" };
for (let i = 1; i <= PLUGINS; i++) {
  const name = `lolpop-bench-plugin-${String(i).padStart(2, "0")}`;
  const pdir = join(dir, "node_modules", name);
  mkdirSync(pdir, { recursive: true });
  writeFileSync(
    join(pdir, "package.json"),
    JSON.stringify({
      name,
      version: "1.0.0",
      type: "module",
      exports: { ".": "./index.js", "./package.json": "./package.json" },
      peerDependencies: { "@lolpop/core": ">=0.1.0 <1.0.0" },
      lolpop: {
        apiVersion: 1,
        components: [
          { kind: "model_trainer", type: `Bench${i}ModelTrainer` },
          { kind: "data_checker", type: `Bench${i}DataChecker` },
        ],
      },
    }),
  );
  writeFileSync(
    join(pdir, "index.js"),
    `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(join(markers, name))}, "x");\nthrow new Error("imported");\n`,
  );
  deps[name] = "1.0.0";
}
writeFileSync(
  join(dir, "package.json"),
  JSON.stringify({ name: "bench-plugins", private: true, dependencies: deps }),
);

function time(cmd, args, check) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (check) check(r);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stats = (name, xs) => ({
  name,
  median_ms: +median(xs).toFixed(1),
  min_ms: +Math.min(...xs).toFixed(1),
  runs: xs.length,
});

const bin = join(cliDir, "bin", "lolpop.js");
const runList = () =>
  time(process.execPath, [bin, "plugins", "list", "--json"], (r) => {
    if (r.status !== 0) throw new Error(`plugins list failed: ${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    const ok = doc.plugins.filter((p) => p.status === "ok").length;
    if (ok !== PLUGINS) throw new Error(`expected ${PLUGINS} ok plugins, got ${ok}`);
  });
const runBare = () => time(process.execPath, ["-e", ""]);
const runNpmLs = () => time("npm", ["ls", "--depth=0", "--json"]);
// Warm the file cache, then interleave the commands so that they share the machine's load.
runList();
runBare();
runNpmLs();
const listTimes = [];
const bareTimes = [];
const npmTimes = [];
for (let i = 0; i < RUNS; i++) {
  listTimes.push(runList());
  bareTimes.push(runBare());
  if (i % 3 === 0) npmTimes.push(runNpmLs());
}
const list = stats(`lolpop plugins list --json (${PLUGINS} plugins)`, listTimes);
const bare = stats("node -e '' (reference)", bareTimes);
const npmLs = stats("npm ls --depth=0 --json (reference)", npmTimes);
const imported = readdirSync(markers);
const results = [
  list,
  bare,
  npmLs,
  {
    name: "ratios",
    plugins_list_vs_bare_node: +(list.median_ms / bare.median_ms).toFixed(2),
    plugins_list_vs_npm_ls: +(list.median_ms / npmLs.median_ms).toFixed(2),
    plugins_list_minus_bare_node_ms: +(list.median_ms - bare.median_ms).toFixed(1),
  },
  { name: "machine", cpus: cpus().length, load_average_1m: +loadavg()[0].toFixed(2) },
  {
    name: "checks",
    target_median_ms: 200,
    under_target: list.median_ms < 200,
    plugins_imported: imported.length,
  },
];
console.log(JSON.stringify(results, null, 2));
if (process.argv.includes("--keep")) console.error(`kept the fixture project in ${dir}`);
else rmSync(dir, { recursive: true, force: true });
if (imported.length > 0) {
  console.error(`plugins list imported ${imported.length} plugins: ${imported.join(", ")}`);
  process.exit(1);
}
if (!existsSync(bin)) process.exit(1);
