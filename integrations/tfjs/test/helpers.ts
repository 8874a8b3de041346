// Shared by the tests: synthetic data sets, scores, trainer construction, and `slow` (a test with a
// long timeout: jest ignores a project's testTimeout when the root config runs every package).
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLogger,
  instantiateComponent,
  type Logger,
  type LogRecord,
  type ModelTrainer,
  type Predictions,
  Table,
} from "@lolpop/core";
import type * as tf from "@tensorflow/tfjs";
import { type TfjsTrainerConfig, type TfjsTrainingParamsInput, tfjsModelTrainer } from "../src/index.js";

/** The output activation of a test network. */
export type Output = "sigmoid" | "softmax" | "linear";

/**
 * A seeded Dense network for the training-step tests: `hidden` layers of `units` units with those
 * activations (glorot kernels, small random biases), then `k` outputs with `output`.
 */
export function network(
  t: typeof tf,
  d: number,
  k: number,
  output: Output,
  hidden: string[],
  seed: number,
  units: number,
) {
  const seq = t.sequential();
  hidden.forEach((activation, i) => {
    seq.add(
      t.layers.dense({
        units,
        activation: activation as "relu",
        kernelInitializer: t.initializers.glorotUniform({ seed: seed + i }),
        biasInitializer: t.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed + 10 + i }),
        ...(i === 0 ? { inputShape: [d] } : {}),
      }),
    );
  });
  seq.add(
    t.layers.dense({
      units: k,
      activation: output,
      kernelInitializer: t.initializers.glorotUniform({ seed: seed + 99 }),
      ...(hidden.length === 0 ? { inputShape: [d] } : {}),
    }),
  );
  return seq;
}

/** A test-side PRNG (independent of the trainer's). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Two interleaved spirals (1.5 turns each), labels "inner" / "outer": not linearly separable. */
export function spirals(n: number, seed: number, noise = 0.1): Table {
  const r = lcg(seed);
  const x1: number[] = [];
  const x2: number[] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = 0.3 + r() * 2.7;
    const a = t * Math.PI + c * Math.PI;
    x1.push((t * Math.cos(a)) / 1.5 + (r() - 0.5) * noise);
    x2.push((t * Math.sin(a)) / 1.5 + (r() - 0.5) * noise);
    y.push(c ? "outer" : "inner");
  }
  return Table.fromColumns({ x1, x2, label: y }, { roles: { label: "target" } });
}

/** A smooth function of 3 inputs in [-2, 2] with a little noise. */
export function smooth(n: number, seed: number, noise = 0.05): Table {
  const r = lcg(seed);
  const cols: Record<string, number[]> = { a: [], b: [], c: [], y: [] };
  for (let i = 0; i < n; i++) {
    const a = r() * 4 - 2;
    const b = r() * 4 - 2;
    const c = r() * 4 - 2;
    cols.a!.push(a);
    cols.b!.push(b);
    cols.c!.push(c);
    cols.y!.push(10 + 3 * Math.sin(1.5 * a) * Math.cos(b) + 0.5 * c * c + (r() - 0.5) * noise);
  }
  return Table.fromColumns(cols, { roles: { y: "target" } });
}

/** Three Gaussian blobs in 4 dimensions, labels "A", "B", "C". */
export function blobs(n: number, seed: number): Table {
  const r = lcg(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const centers = [
    [0, 0, 0, 0],
    [2.5, 2.5, 0, 0],
    [0, 2.5, 2.5, 0],
  ];
  const cols: Record<string, Array<number | string>> = { f1: [], f2: [], f3: [], f4: [], y: [] };
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    for (let j = 0; j < 4; j++) cols[`f${j + 1}`]!.push(centers[k]![j]! + gauss() * 0.8);
    cols.y!.push("ABC"[k]!);
  }
  return Table.fromColumns(cols, { roles: { y: "target" } });
}

/** The feature columns of a table. */
export function features(t: Table): Table {
  return t.select(t.columnsWithRole("feature"));
}

/** The target column of a table. */
export function target(t: Table) {
  return t.column(t.columnsWithRole("target")[0]!);
}

/** Share of rows whose predicted label equals the target. */
export function accuracy(t: Table, p: Predictions): number {
  if (p.problem_type !== "classification") throw new Error("not a classification");
  const y = t.values(t.columnsWithRole("target")[0]!);
  let ok = 0;
  for (let i = 0; i < t.numRows; i++) if (p.classes[p.labels[i]!] === String(y[i])) ok++;
  return ok / t.numRows;
}

/** Coefficient of determination. */
export function r2(t: Table, p: Predictions): number {
  if (p.problem_type !== "regression") throw new Error("not a regression");
  const y = t.numeric(t.columnsWithRole("target")[0]!);
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    ssr += (y[i]! - p.values[i]!) ** 2;
    sst += (y[i]! - mean) ** 2;
  }
  return 1 - ssr / sst;
}

/** Largest absolute difference between two predictions' numbers (proba or values). */
export function maxDiff(a: Predictions, b: Predictions): number {
  const x = a.problem_type === "classification" ? a.proba! : a.values;
  const y = b.problem_type === "classification" ? b.proba! : b.values;
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** A logger that records lines (and prints nothing). */
export function recordingLogger(level: "debug" | "info" = "info"): { logger: Logger; lines: LogRecord[] } {
  const lines: LogRecord[] = [];
  const logger = createLogger({
    level,
    format: "json",
    stream: { write: () => true },
    sinks: [(l) => void lines.push(l)],
  });
  return { logger, lines };
}

/** A TfjsModelTrainer built outside a workflow. */
export async function makeTrainer(config: TfjsTrainerConfig, logger?: Logger): Promise<ModelTrainer> {
  return (await instantiateComponent(tfjsModelTrainer, {
    config: { progress: "none", ...config } as Record<string, unknown>,
    ...(logger ? { logger } : {}),
  })) as ModelTrainer;
}

/** A fresh folder under the OS temp dir. */
export function tempDir(name: string): string {
  return join(tmpdir(), `lolpop-tfjs-${name}-${process.pid}-${Math.random().toString(36).slice(2)}`);
}

/** Small enough for a few seconds per fit; the spirals still need the hidden layers. */
export const SPIRAL_PARAMS: TfjsTrainingParamsInput = {
  layers: [
    { units: 32, activation: "tanh", dropout: 0 },
    { units: 32, activation: "tanh", dropout: 0 },
  ],
  learning_rate: 0.02,
  epochs: 100,
  batch_size: 32,
  early_stopping: { patience: 25 },
};

/** For the smooth regression function. */
export const SMOOTH_PARAMS: TfjsTrainingParamsInput = {
  layers: [
    { units: 32, activation: "tanh", dropout: 0 },
    { units: 32, activation: "tanh", dropout: 0 },
  ],
  learning_rate: 0.01,
  epochs: 60,
  batch_size: 64,
};

/** Timeout of tests that train networks (on a loaded 2-core machine). */
export const SLOW_TIMEOUT_MS = 240_000;

/** A test that trains: `it` with {@link SLOW_TIMEOUT_MS}. */
export function slow(name: string, fn: () => unknown): void {
  it(
    name,
    async () => {
      await fn();
    },
    SLOW_TIMEOUT_MS,
  );
}
