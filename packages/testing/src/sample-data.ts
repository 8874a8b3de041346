/**
 * Small deterministic datasets for conformance checks and tests: a raw table (numeric, missing and
 * categorical features, an id and a target), and trainer inputs (numeric features only).
 */
import { writeFileSync } from "node:fs";
import {
  type Column,
  categoricalColumn,
  createRng,
  type FitInput,
  type LabeledData,
  numericColumn,
  type ProblemType,
  Table,
} from "@lolpop/core";

/** Name of the target column in sample tables. */
export const SAMPLE_TARGET = "target";
/** Name of the index column in sample tables. */
export const SAMPLE_INDEX = "id";
/** Class labels of classification samples. */
export const SAMPLE_CLASSES = ["alpha", "beta", "gamma"] as const;

/** Options of {@link sampleTable}. */
export interface SampleOptions {
  /** Rows (default 90). */
  rows?: number;
  /** Seed (default 7). */
  seed?: number;
  /** Include a feature with missing values and a categorical feature (default true). */
  raw?: boolean;
  /** Give `target` and `id` their roles (default true). */
  roles?: boolean;
}

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * A learnable table: `id`, features `x1`, `x2` (numeric), `x3` (numeric with ~5% missing) and `color`
 * (categorical) when `raw`, and `target` (three classes for classification, numeric for regression).
 */
export function sampleTable(problemType: ProblemType, options: SampleOptions = {}): Table {
  const n = options.rows ?? 90;
  const rng = createRng(options.seed ?? 7);
  const raw = options.raw ?? true;
  const id = new Float64Array(n);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const x3 = new Float64Array(n);
  const color: string[] = [];
  const cls: string[] = [];
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    id[i] = i + 1;
    x1[i] = k * 3 + gaussian(rng) * 0.6;
    x2[i] = (problemType === "classification" ? (k === 1 ? 2 : 0) : 0) + gaussian(rng);
    x3[i] = rng() < 0.05 && raw ? Number.NaN : 10 + gaussian(rng) * 2;
    color.push(["red", "green", "blue"][(k + (rng() < 0.2 ? 1 : 0)) % 3]!);
    cls.push(SAMPLE_CLASSES[k]!);
    value[i] = 2 * x1[i]! - x2[i]! + (Number.isNaN(x3[i]!) ? 10 : x3[i]!) * 0.1 + gaussian(rng) * 0.3;
  }
  const columns: Array<[string, Column]> = [
    [SAMPLE_INDEX, numericColumn(id, "int")],
    ["x1", numericColumn(x1)],
    ["x2", numericColumn(x2)],
  ];
  if (raw) columns.push(["x3", numericColumn(x3)], ["color", categoricalColumn(color)]);
  columns.push([
    SAMPLE_TARGET,
    problemType === "classification" ? categoricalColumn(cls) : numericColumn(value),
  ]);
  return Table.fromColumns(
    columns,
    options.roles === false ? {} : { roles: { [SAMPLE_TARGET]: "target", [SAMPLE_INDEX]: "index" } },
  );
}

/** Features (numeric only) and target of a sample, split into train and valid, for trainers and tuners. */
export function sampleLabeledData(
  problemType: ProblemType,
  options: { rows?: number; seed?: number } = {},
): { train: LabeledData; valid: LabeledData; classes?: string[] } {
  const t = sampleTable(problemType, { ...options, raw: false });
  const features = ["x1", "x2"];
  const n = t.numRows;
  const cut = Math.floor(n * 0.7);
  const part = (from: number, to: number): LabeledData => {
    const slice = t.slice(from, to);
    return {
      X: slice.select(features).withRoles({ x1: "feature", x2: "feature" }),
      y: slice.column(SAMPLE_TARGET),
    };
  };
  return {
    train: part(0, cut),
    valid: part(cut, n),
    ...(problemType === "classification" ? { classes: [...SAMPLE_CLASSES] } : {}),
  };
}

/** A `FitInput` on the sample's train part (numeric features, seed 42). */
export function sampleFitInput(
  problemType: ProblemType,
  options: { rows?: number; seed?: number } = {},
): FitInput {
  const d = sampleLabeledData(problemType, options);
  return {
    problem_type: problemType,
    X: d.train.X,
    y: d.train.y,
    ...(d.classes ? { classes: d.classes } : {}),
    valid: d.valid,
    seed: 42,
  };
}

function csvCell(v: number | string | null): string {
  if (v === null || (typeof v === "number" && Number.isNaN(v))) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes a table as CSV (missing values as empty cells). */
export function writeCsv(file: string, table: Table): void {
  const names = table.columnNames;
  const lines = [names.join(",")];
  for (let i = 0; i < table.numRows; i++) lines.push(names.map((c) => csvCell(table.get(i, c))).join(","));
  writeFileSync(file, `${lines.join("\n")}\n`);
}
