// Shared by this package's tests: temp folders, the project venv's pandas/pyarrow reference, the
// quickstart penguins data, and column comparison. Not part of the published build.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Column, type Definition, instantiateComponent, type Table } from "@lolpop/core";

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = join(packageDir, "..", "..");

const made: string[] = [];
/** A new temp folder, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
process.on("exit", () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** The project venv's interpreter; throws with the setup command when it is missing. */
export function venvPython(): string {
  const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
  const python = join(venv, "bin", "python");
  if (!existsSync(python))
    throw new Error(
      `No Python venv at ${venv}: run \`pnpm python:setup\` at the repository root, or set LOLPOP_VENV.`,
    );
  return python;
}

/** One column as the reference dumps it. */
export interface ReferenceColumn {
  name: string;
  type: string;
  values: Array<number | string | null | unknown>;
}

/** Runs test-fixtures/pyarrow_reference.py. */
export function reference(...args: string[]): { columns: ReferenceColumn[] } {
  const r = spawnSync(venvPython(), [join(packageDir, "test-fixtures", "pyarrow_reference.py"), ...args], {
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`pyarrow_reference.py ${args.join(" ")} failed: ${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout);
}

/** A column's values the way the reference dumps them (missing as null, bools 1/0, infinities as "inf"/"-inf"). */
export function plainValues(col: Column): Array<number | string | null> {
  const out: Array<number | string | null> = [];
  if (col.type === "categorical") {
    for (let i = 0; i < col.codes.length; i++)
      out.push(col.codes[i]! < 0 ? null : col.dictionary[col.codes[i]!]!);
  } else
    for (const v of col.values)
      out.push(
        Number.isNaN(v)
          ? null
          : v === Number.POSITIVE_INFINITY
            ? "inf"
            : v === Number.NEGATIVE_INFINITY
              ? "-inf"
              : v,
      );
  return out;
}

/** Instantiates a component definition outside a workflow. */
export function make<T>(
  def: Definition<unknown, never>,
  config: Record<string, unknown>,
  root?: string,
): Promise<T> {
  return instantiateComponent(
    def as never,
    { config, ...(root ? { project: { root } } : {}) } as never,
  ) as Promise<T>;
}

/** A project folder with the quickstart's penguins data (data/train.csv, new.csv, new_truth.csv). */
export function penguinsProject(prefix = "lolpop-duckdb-wf-"): string {
  const dir = tempDir(prefix);
  symlinkSync(join(packageDir, "node_modules"), join(dir, "node_modules"));
  copyFileSync(
    join(repoRoot, "examples", "quickstart", "penguins", "prepare-data.mjs"),
    join(dir, "prepare-data.mjs"),
  );
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

/** Rows of a table as plain values, for readable failures. */
export function rowsOf(t: Table): Array<Record<string, number | string | null>> {
  return t
    .toRows()
    .map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, typeof v === "number" && Number.isNaN(v) ? null : v]),
      ),
    );
}
