// Test helpers for ONNX parity, used by this package's tests and by the converters' tests in the
// integrations: the Python reference (ONNX checker + onnxruntime, from the test venv) and
// onnxruntime-node, each compared with lolpop's own predictions.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { asCategorical, type Predictions, type Table } from "@lolpop/core";
import { decodeModel, OnnxScorer } from "../src/index.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, "..", "..", "..");
/** The test venv's interpreter (`pnpm python:setup` builds it; LOLPOP_VENV points elsewhere). */
export const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");
const script = join(here, "fixtures", "onnx_reference.py");

/** What the Python reference returns. */
export interface PythonResult {
  checker?: string;
  onnx: string;
  onnxruntime: string;
  outputs: Record<string, { dims: number[]; values: Array<number | string | null> }>;
}

/** Calls the Python reference with a request; returns its result. */
export async function callPython(request: Record<string, unknown>): Promise<PythonResult> {
  const dir = await mkdtemp(join(tmpdir(), "lolpop-onnx-py-"));
  try {
    const req = join(dir, "request.json");
    const res = join(dir, "result.json");
    await writeFile(req, JSON.stringify(request));
    await run(python, [script, req, res], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(await readFile(res, "utf8")) as PythonResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The model's inputs from a table, as the Python reference reads them (null for NaN, "" for missing text). */
export function pythonInputs(
  bytes: Uint8Array,
  table: Table,
): Record<string, { type: string; values: unknown[] }> {
  const model = decodeModel(bytes);
  const out: Record<string, { type: string; values: unknown[] }> = {};
  for (const input of model.graph.inputs) {
    const type = "tensor" in input.type ? input.type.tensor : "?";
    const col = table.column(input.name);
    if (type === "string") {
      const c = asCategorical(col);
      out[input.name] = { type, values: Array.from(c.codes, (code) => (code < 0 ? "" : c.dictionary[code])) };
    } else {
      if (col.type !== "numeric") throw new Error(`column ${input.name} is not numeric`);
      out[input.name] = { type, values: Array.from(col.values, (v) => (Number.isNaN(v) ? null : v)) };
    }
  }
  return out;
}

/** Writes the model to a temp file, checks it (full check) and scores `table` in Python's onnxruntime. */
export async function scoreInPython(bytes: Uint8Array, table: Table): Promise<PythonResult> {
  const dir = await mkdtemp(join(tmpdir(), "lolpop-onnx-model-"));
  try {
    const file = join(dir, "model.onnx");
    await writeFile(file, bytes);
    return await callPython({ model: file, inputs: pythonInputs(bytes, table), rows: table.numRows });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Largest difference relative to max(1, |expected|). */
export function maxRelDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`lengths differ: ${actual.length} vs ${expected.length}`);
  let m = 0;
  for (let i = 0; i < actual.length; i++)
    m = Math.max(m, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  return m;
}

/** What {@link parity} measured. */
export interface Parity {
  rows: number;
  checker: string | undefined;
  /** Classification: rows whose label differs from lolpop's, per runtime. */
  labelMismatches?: { python: number; node: number };
  /** Classification: largest probability difference; regression: largest relative difference. */
  maxDiff: { python: number; node: number };
}

/**
 * Scores `table` with the exported model in Python's onnxruntime (after the full ONNX check) and
 * in onnxruntime-node, and compares both with lolpop's predictions `expected`.
 */
export async function parity(bytes: Uint8Array, table: Table, expected: Predictions): Promise<Parity> {
  const py = await scoreInPython(bytes, table);
  const scorer = await OnnxScorer.create(bytes);
  try {
    const node = await scorer.predict(table);
    if (expected.problem_type === "regression") {
      if (node.problem_type !== "regression") throw new Error("the ONNX model is not a regressor");
      const pyValues = py.outputs.prediction!.values as number[];
      return {
        rows: table.numRows,
        checker: py.checker,
        maxDiff: {
          python: maxRelDiff(pyValues, expected.values),
          node: maxRelDiff(node.values, expected.values),
        },
      };
    }
    if (node.problem_type !== "classification") throw new Error("the ONNX model is not a classifier");
    const classes = expected.classes;
    const pyLabels = py.outputs.label!.values as string[];
    const pyProba = py.outputs.probabilities!.values as number[];
    let pyMismatch = 0;
    let nodeMismatch = 0;
    for (let i = 0; i < table.numRows; i++) {
      if (pyLabels[i] !== classes[expected.labels[i]!]) pyMismatch++;
      if (node.labels[i] !== expected.labels[i]) nodeMismatch++;
    }
    return {
      rows: table.numRows,
      checker: py.checker,
      labelMismatches: { python: pyMismatch, node: nodeMismatch },
      maxDiff: {
        python: maxAbsDiff(pyProba, expected.proba!),
        node: maxAbsDiff(node.proba!, expected.proba!),
      },
    };
  } finally {
    await scorer.close();
  }
}
