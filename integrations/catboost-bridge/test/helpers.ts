// Helpers shared by this package's tests (not part of the public API, not bundled).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent, type Logger, type LogLevel, type ModelTrainer, Table } from "@lolpop/core";
import { catboostModelTrainer } from "../src/catboost-model-trainer.js";
import type { CatBoostTrainerConfig } from "../src/catboost-params.js";

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = join(packageDir, "..", "..");

/** The project's venv interpreter (built by `pnpm python:setup`); throws, failing the test, when missing. */
export function venvPythonForTests(): string {
  const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
  const python = join(venv, "bin", "python");
  if (!existsSync(python))
    throw new Error(`no Python venv at ${venv}: run \`pnpm python:setup\` at the repository root first`);
  return python;
}

/** A logger that records lines (for checking what was logged). */
export function recordingLogger(): Logger & { lines: Array<{ level: LogLevel; msg: string }> } {
  const lines: Array<{ level: LogLevel; msg: string }> = [];
  const make = (): Logger => {
    const log = (level: LogLevel, msg: string) => void lines.push({ level, msg });
    return {
      level: "debug",
      debug: (m) => log("debug", m),
      info: (m) => log("info", m),
      warn: (m) => log("warn", m),
      error: (m) => log("error", m),
      log: (level, m) => log(level, m),
      child: () => make(),
    };
  };
  return Object.assign(make(), { lines });
}

/** A CatBoostModelTrainer using the test venv, with a recording logger. */
export async function makeTrainer(
  config: CatBoostTrainerConfig = {},
  logger = recordingLogger(),
): Promise<{ trainer: ModelTrainer; logger: ReturnType<typeof recordingLogger> }> {
  const trainer = (await instantiateComponent(catboostModelTrainer, {
    config: { python: venvPythonForTests(), ...config } as Record<string, unknown>,
    logger,
    project: { root: repoRoot },
  })) as ModelTrainer;
  return { trainer, logger };
}

/** Deterministic PRNG for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Standard normal draws. */
export function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** Synthetic data: `f` numeric features (some NaN), a 3-level category, and targets of each kind. */
export function synthetic(n: number, f: number, seed: number, missingShare = 0.03) {
  const rand = rng(seed);
  const cols: Record<string, Float64Array> = {};
  for (let j = 0; j < f; j++)
    cols[`x${j}`] = new Float64Array(n).map(() => (rand() < missingShare ? Number.NaN : normal(rand)));
  const x = (j: number, i: number) => {
    const v = cols[`x${j}`]![i]!;
    return Number.isNaN(v) ? 0 : v;
  };
  const color = Array.from({ length: n }, () => ["red", "green", "blue"][Math.floor(rand() * 3)]!);
  const effect: Record<string, number> = { red: 1.2, green: -0.8, blue: 0 };
  const binary: string[] = [];
  const multi: string[] = [];
  const reg = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = x(0, i) + 0.5 * x(1, i) - 0.3 * x(2 % f, i) + effect[color[i]!]! + 0.5 * normal(rand);
    binary.push(s > 0.2 ? "yes" : "no");
    multi.push(s < -0.5 ? "low" : s < 0.8 ? "mid" : "high");
    reg[i] = 3 * x(0, i) + x(1, i) ** 2 + 2 * effect[color[i]!]! + normal(rand);
  }
  const numeric = Table.fromColumns(cols);
  return {
    numeric,
    withCategory: numeric.withColumn("color", color),
    y: {
      binary: Table.fromColumns({ y: binary }).column("y"),
      multi: Table.fromColumns({ y: multi }).column("y"),
      regression: Table.fromColumns({ y: reg }).column("y"),
    },
  };
}

/** Largest relative difference, |a-b| / max(|a|, |b|) (0 when both are 0). */
export function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));
  }
  return worst;
}

/** Reads a JSON file. */
export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

const made: string[] = [];

/** A fresh folder under the OS temp dir, removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder made by {@link tempDir} (call it in afterAll). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
