/**
 * What every behaviour check uses: the failure type, the assertion, the suite's environment, and
 * checks of the shapes components return (tables, reports, predictions).
 */
import type { CheckReport, Predictions, ProblemType, Table } from "@lolpop/core";
import { SAMPLE_INDEX } from "../sample-data.js";

/** A conformance check failed. */
export class ConformanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConformanceError";
  }
}

/** Throws a {@link ConformanceError} unless `ok`. */
export function expectThat(ok: unknown, message: string): asserts ok {
  if (!ok) throw new ConformanceError(message);
}

/** A named check. */
export interface NamedCheck {
  name: string;
  run: () => Promise<void>;
}

/** What behaviour checks need from the suite. */
export interface BehaviourEnv {
  /** The type name under test. */
  type: string;
  /** Creates a fresh instance whose project root is `root` (a new temp folder when omitted). */
  create: (root?: string) => Promise<unknown>;
  /** A new empty temp folder (removed after the check). */
  tmp: () => string;
  problemTypes: readonly ProblemType[];
  /** Where a connector writes and reads back (default: a CSV file in a temp folder). */
  connectorTarget?: (dir: string) => string;
}

/** Whether `v` looks like a core Table (across copies of core). */
export function isTable(v: unknown): v is Table {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as Table).numRows === "number" &&
    Array.isArray((v as Table).columnNames) &&
    typeof (v as Table).fingerprint === "function"
  );
}

const STATUSES = ["PASS", "WARN", "ERROR"];
const RANK: Record<string, number> = { PASS: 0, WARN: 1, ERROR: 2 };

/** Checks a CheckReport: statuses, named checks with messages, and a status that is the worst of its checks. */
export function checkReport(r: CheckReport, what: string): void {
  expectThat(r && typeof r === "object", `${what} must return a CheckReport object`);
  expectThat(
    STATUSES.includes(r.status),
    `${what}: status must be PASS, WARN or ERROR (got ${JSON.stringify(r.status)})`,
  );
  expectThat(Array.isArray(r.checks), `${what}: checks must be a list`);
  for (const c of r.checks) {
    expectThat(typeof c.name === "string" && c.name, `${what}: every check needs a name`);
    expectThat(
      STATUSES.includes(c.status),
      `${what}: check ${c.name} has status ${JSON.stringify(c.status)}`,
    );
    expectThat(typeof c.message === "string", `${what}: check ${c.name} needs a message`);
  }
  if (r.checks.length) {
    const worst = r.checks.reduce((w, c) => (RANK[c.status]! > RANK[w]! ? c.status : w), "PASS");
    expectThat(r.status === worst, `${what}: status ${r.status} must be the worst of its checks (${worst})`);
  }
}

/** Checks predictions: problem type, one label or value per row, classes, probabilities in [0, 1] summing to 1. */
export function checkPredictions(
  p: Predictions,
  n: number,
  problem: ProblemType,
  classes: string[] | undefined,
  what: string,
) {
  expectThat(
    p && p.problem_type === problem,
    `${what}: predictions must have problem_type "${problem}" (got ${JSON.stringify(p?.problem_type)})`,
  );
  if (p.problem_type === "classification") {
    expectThat(
      p.labels instanceof Int32Array || ArrayBuffer.isView(p.labels),
      `${what}: labels must be an Int32Array`,
    );
    expectThat(p.labels.length === n, `${what}: ${p.labels.length} labels for ${n} rows`);
    expectThat(Array.isArray(p.classes) && p.classes.length > 0, `${what}: classes must be a non-empty list`);
    if (classes)
      expectThat(
        [...p.classes].sort().join("|") === [...classes].sort().join("|"),
        `${what}: classes ${JSON.stringify(p.classes)} differ from the training classes ${JSON.stringify(classes)}`,
      );
    for (const l of p.labels)
      expectThat(
        l >= 0 && l < p.classes.length,
        `${what}: label index ${l} is outside classes (${p.classes.length})`,
      );
    if (p.proba) {
      const c = p.classes.length;
      expectThat(
        p.proba.length === n * c,
        `${what}: proba has ${p.proba.length} values, expected rows x classes = ${n * c}`,
      );
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < c; j++) {
          const v = p.proba[i * c + j]!;
          expectThat(v >= -1e-9 && v <= 1 + 1e-9, `${what}: probability ${v} outside [0, 1] (row ${i})`);
          s += v;
        }
        expectThat(Math.abs(s - 1) < 1e-6, `${what}: probabilities of row ${i} sum to ${s}, not 1`);
      }
    }
  } else {
    expectThat(p.values && p.values.length === n, `${what}: ${p.values?.length} values for ${n} rows`);
    for (const v of p.values)
      expectThat(Number.isFinite(v), `${what}: prediction ${v} is not a finite number`);
  }
}

/** Checks that two predictions of the same rows agree (after a save/load round trip). */
export function samePredictions(a: Predictions, b: Predictions, what: string): void {
  if (a.problem_type === "classification" && b.problem_type === "classification") {
    expectThat(a.classes.join("|") === b.classes.join("|"), `${what}: classes differ after the round trip`);
    for (let i = 0; i < a.labels.length; i++)
      expectThat(
        a.labels[i] === b.labels[i],
        `${what}: row ${i} predicted ${a.classes[a.labels[i]!]} before and ${b.classes[b.labels[i]!]} after`,
      );
    if (a.proba && b.proba)
      for (let i = 0; i < a.proba.length; i++)
        expectThat(Math.abs(a.proba[i]! - b.proba[i]!) < 1e-9, `${what}: probabilities differ at index ${i}`);
  } else if (a.problem_type === "regression" && b.problem_type === "regression") {
    for (let i = 0; i < a.values.length; i++)
      expectThat(
        Math.abs(a.values[i]! - b.values[i]!) <= 1e-9 * Math.max(1, Math.abs(a.values[i]!)),
        `${what}: row ${i} predicted ${a.values[i]} before and ${b.values[i]} after`,
      );
  } else expectThat(false, `${what}: problem types differ after the round trip`);
}

/** The sample index values of a table (empty without the index column). */
export function ids(t: Table): number[] {
  return t.has(SAMPLE_INDEX) ? (t.values(SAMPLE_INDEX) as number[]) : [];
}
