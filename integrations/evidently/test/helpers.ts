// Shared by this package's tests and benchmark: the project venv's Python running the real
// Evidently, CSV writing, and seeded data generators. Not part of the published build.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ComponentContext,
  createRng,
  type DataConnector,
  type Definition,
  instantiateComponent,
  type Table,
} from "@lolpop/core";
import { localDataConnector } from "@lolpop/local";

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = join(packageDir, "..", "..");
export const referenceScript = join(packageDir, "python", "evidently_reference.py");

/** The project venv's interpreter; throws with the setup command when it is missing. */
export function venvPython(): string {
  const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
  const python = join(venv, "bin", "python");
  if (!existsSync(python))
    throw new Error(
      `No Python venv at ${venv}: run \`pnpm python:setup\` at the repository root (it installs evidently==0.7.23 from integrations/evidently/python/requirements.txt), or set LOLPOP_VENV.`,
    );
  return python;
}

/** Runs python/evidently_reference.py with a JSON request; returns its JSON answer. */
export function runEvidently<T = unknown>(request: unknown, timeoutMs = 600_000): T {
  const r = spawnSync(venvPython(), [referenceScript], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs,
  });
  if (r.status !== 0)
    throw new Error(
      `evidently_reference.py failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ""}): ${r.stderr.slice(-4000)}${
        /No module named/.test(r.stderr) ? "\nRun `pnpm python:setup` at the repository root." : ""
      }`,
    );
  return JSON.parse(r.stdout) as T;
}

/** A cell of a generated CSV. */
export type Cell = number | string | boolean | null;

function csvCell(v: Cell): string {
  if (v === null || (typeof v === "number" && Number.isNaN(v))) return "";
  if (typeof v === "boolean") return v ? "True" : "False";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes columns as a CSV file. */
export function writeCsv(path: string, columns: ReadonlyArray<readonly [string, readonly Cell[]]>): string {
  const n = columns[0]?.[1].length ?? 0;
  const lines = [columns.map(([name]) => csvCell(name)).join(",")];
  for (let i = 0; i < n; i++) lines.push(columns.map(([, v]) => csvCell(v[i]!)).join(","));
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** A new temp folder. */
export function tempDir(prefix = "lolpop-evidently-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Seeded generators. */
export function generators(seed: number) {
  const u = createRng(seed);
  const normal = (mu = 0, sigma = 1) => {
    let a = u();
    while (a === 0) a = u();
    return mu + sigma * Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
  };
  const pick = <T>(items: readonly T[], weights?: readonly number[]): T => {
    if (!weights) return items[Math.floor(u() * items.length)]!;
    const total = weights.reduce((s, w) => s + w, 0);
    let r = u() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i]!;
      if (r < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  };
  const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
  /** Rounds to 6 decimals so CSV text and the parsed value agree exactly everywhere. */
  const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
  return { u, normal, pick, times, r6 };
}

/** A LocalDataConnector (lolpop's CSV reader), as a workflow would use it. */
export function localConnector(root = process.cwd()): Promise<DataConnector> {
  return instantiateComponent<"data_connector", Record<string, unknown>>(
    localDataConnector as unknown as Definition<DataConnector, ComponentContext>,
    {
      config: { path: "data.csv" },
      project: { root },
    },
  );
}

/** Reads a CSV file the way a lolpop workflow does. */
export async function readCsvTable(path: string): Promise<Table> {
  return (await localConnector()).get_data(path);
}
