#!/usr/bin/env node
// Benchmark: `lolpop serve` vs `mlflow models serve` of the equivalent scikit-learn model, same
// machine, same run, loopback only, bounded (autocannon, DURATION s per case, 10 connections, one
// server process each). Models: the penguins random forest (30 trees, depth 8) and the same forest
// trained on 100,000 rows (penguins resampled with noise). Requests: 1 row and 100 rows, MLflow
// protocol (`dataframe_records`). Prints throughput (requests/s) and p50/p99 latency per case and
// the ratios lolpop / MLflow (throughput above 1 = lolpop serves more; latency below 1 = faster).
// Usage: node bench/serve-throughput.mjs [--duration S]   (needs `pnpm build` and `pnpm python:setup`)
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const repoRoot = join(pkgDir, "..", "..");
const require = createRequire(join(pkgDir, "package.json"));
const durArg = process.argv.indexOf("--duration");
const DURATION = durArg > 0 ? Number(process.argv[durArg + 1]) : 8;
const TREES = 30;
const DEPTH = 8;
const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");

function folder(name) {
  if (name === "@lolpop/serve") return pkgDir;
  try {
    return dirname(realpathSync(require.resolve(`${name}/package.json`)));
  } catch {
    let dir = dirname(realpathSync(require.resolve(name)));
    for (;;) {
      try {
        if (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name === name) return dir;
      } catch {}
      dir = dirname(dir);
    }
  }
}

const freePort = () =>
  new Promise((r) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const yaml = (model, path) => `runner: ClassificationRunner
config:
  target: species
  index: id
  model_name: ${model}
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
  train: OfflineTrain
  deploy: OfflineDeploy
process:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: ${path}
train:
  config:
    perf_metric: f1_macro
    seed: 7
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    model_trainer: RandomForestModelTrainer
  data_splitter:
    config:
      split_ratio: [0.7, 0.15, 0.15]
      seed: 42
  model_trainer:
    config:
      training_params:
        n_estimators: ${TREES}
        max_depth: ${DEPTH}
deploy:
  config:
    require_beat_champion: false
    require_beat_baseline: true
`;

const dir = realpathSync(mkdtempSync(join(tmpdir(), "lolpop-serve-bench-")));
const procs = [];
try {
  const deps = {};
  for (const name of [
    "@lolpop/cli",
    "@lolpop/core",
    "@lolpop/workflows",
    "@lolpop/local",
    "@lolpop/random-forest",
    "@lolpop/serve",
    "vega-datasets",
  ]) {
    const at = join(dir, "node_modules", name);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(folder(name), at);
    deps[name] = "*";
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "bench", private: true, type: "module", dependencies: deps }),
  );
  copyFileSync(
    join(repoRoot, "examples", "quickstart", "penguins", "prepare-data.mjs"),
    join(dir, "prepare-data.mjs"),
  );
  spawnSync(process.execPath, ["prepare-data.mjs"], { cwd: dir, stdio: "ignore" });
  // 100,000 rows: penguins resampled, numbers with 3% noise (deterministic).
  const [header, ...lines] = readFileSync(join(dir, "data", "train.csv"), "utf8")
    .trimEnd()
    .split("\n");
  const cols = header.split(",");
  const rand = rng(42);
  const big = [header];
  for (let i = 0; i < 100_000; i++) {
    const cells = lines[Math.floor(rand() * lines.length)].split(",");
    big.push(
      cols
        .map((c, j) =>
          c === "id"
            ? String(i + 1)
            : /_mm|_g$/.test(c) && cells[j] !== ""
              ? (Number(cells[j]) * (0.97 + 0.06 * rand())).toFixed(2)
              : cells[j],
        )
        .join(","),
    );
  }
  writeFileSync(join(dir, "data", "big.csv"), `${big.join("\n")}\n`);
  const bin = join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js");
  const env = {
    ...process.env,
    // mlflow models serve runs `uvicorn` from PATH: the venv's.
    PATH: `${dirname(python)}:${process.env.PATH}`,
    LOLPOP_NO_HANDOFF: "1",
    NO_COLOR: "1",
    MLFLOW_DISABLE_TELEMETRY: "true",
    DO_NOT_TRACK: "1",
  };
  const models = [
    { name: "penguins", data: "data/train.csv" },
    { name: "penguins_big", data: "data/big.csv" },
  ];
  for (const m of models) {
    writeFileSync(join(dir, `${m.name}.yaml`), yaml(m.name, m.data));
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, "run", `${m.name}.yaml`], {
      cwd: dir,
      env,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`training ${m.name} failed:\n${r.stdout}\n${r.stderr}`);
    const py = spawnSync(
      python,
      [
        join(here, "sklearn_model.py"),
        join(dir, m.data),
        join(dir, `sk-${m.name}`),
        String(TREES),
        String(DEPTH),
      ],
      {
        env,
        encoding: "utf8",
      },
    );
    if (py.status !== 0) throw new Error(`scikit-learn ${m.name} failed:\n${py.stderr}`);
    console.error(
      `trained ${m.name} (lolpop + scikit-learn) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }

  const start = (cmd, args, ready) =>
    new Promise((resolveStart, reject) => {
      const p = spawn(cmd, args, { cwd: dir, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
      procs.push(p);
      let err = "";
      p.stderr.on("data", (d) => {
        err += d;
      });
      p.on("exit", (code) => reject(new Error(`${cmd} ${args.join(" ")} exited (${code}):\n${err}`)));
      const t0 = Date.now();
      const poll = async () => {
        try {
          if ((await fetch(ready)).status === 200) return resolveStart(p);
        } catch {}
        if (Date.now() - t0 > 120_000) return reject(new Error(`not ready: ${ready}\n${err}`));
        setTimeout(poll, 200);
      };
      poll();
    });
  const stop = (p) =>
    new Promise((r) => {
      p.removeAllListeners("exit");
      p.on("exit", () => r());
      try {
        process.kill(-p.pid, "SIGTERM");
      } catch {
        r();
      }
    });

  const rows = readFileSync(join(dir, "data", "new.csv"), "utf8")
    .trimEnd()
    .split("\n");
  const names = rows[0].split(",");
  const records = rows
    .slice(1)
    .map((l) =>
      Object.fromEntries(
        l.split(",").map((v, j) => [names[j], v === "" ? null : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v]),
      ),
    );
  const body = (n) =>
    JSON.stringify({ dataframe_records: Array.from({ length: n }, (_, i) => records[i % records.length]) });
  const load = (url, n) =>
    autocannon({
      url: `${url}/invocations`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(n),
      connections: 10,
      duration: DURATION,
    });

  const results = [];
  for (const m of models) {
    const lp = await freePort();
    const lolpopProc = await start(
      process.execPath,
      [
        bin,
        "serve",
        `${m.name}@champion`,
        "-c",
        `${m.name}.yaml`,
        "--port",
        String(lp),
        "--no-access-log",
        "--no-watch",
      ],
      `http://127.0.0.1:${lp}/ping`,
    );
    const mp = await freePort();
    const mlflowProc = await start(
      python,
      [
        "-m",
        "mlflow",
        "models",
        "serve",
        "-m",
        join(dir, `sk-${m.name}`),
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        String(mp),
        "-w",
        "1",
      ],
      `http://127.0.0.1:${mp}/ping`,
    );
    for (const n of [1, 100]) {
      // Warm-up, then the measured runs, alternating.
      await autocannon({
        url: `http://127.0.0.1:${lp}/invocations`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(n),
        duration: 1,
      });
      await autocannon({
        url: `http://127.0.0.1:${mp}/invocations`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(n),
        duration: 1,
      });
      const a = await load(`http://127.0.0.1:${lp}`, n);
      const b = await load(`http://127.0.0.1:${mp}`, n);
      const row = {
        case: `${m.name}, ${n} row${n === 1 ? "" : "s"}`,
        lolpop_rps: a.requests.average,
        mlflow_rps: b.requests.average,
        lolpop_p50: a.latency.p50,
        mlflow_p50: b.latency.p50,
        lolpop_p99: a.latency.p99,
        mlflow_p99: b.latency.p99,
        lolpop_errors: a.errors + a.non2xx,
        mlflow_errors: b.errors + b.non2xx,
      };
      results.push(row);
      console.error(JSON.stringify(row));
    }
    await stop(lolpopProc);
    await stop(mlflowProc);
  }
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : String(x));
  console.log(
    `\nlolpop serve vs mlflow models serve (scikit-learn), ${DURATION} s per case, 10 connections, 1 process each`,
  );
  console.log(
    "case                      | req/s lolpop  mlflow  ratio | p50 ms lolpop mlflow ratio | p99 ms lolpop mlflow ratio | errors",
  );
  for (const r of results)
    console.log(
      `${r.case.padEnd(25)} | ${f(r.lolpop_rps).padStart(12)} ${f(r.mlflow_rps).padStart(7)} ${f(r.lolpop_rps / r.mlflow_rps).padStart(6)} | ${f(r.lolpop_p50).padStart(13)} ${f(r.mlflow_p50).padStart(6)} ${f(r.lolpop_p50 / r.mlflow_p50).padStart(5)} | ${f(r.lolpop_p99).padStart(13)} ${f(r.mlflow_p99).padStart(6)} ${f(r.lolpop_p99 / r.mlflow_p99).padStart(5)} | ${r.lolpop_errors}/${r.mlflow_errors}`,
    );
} finally {
  for (const p of procs)
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {}
  rmSync(dir, { recursive: true, force: true });
}
