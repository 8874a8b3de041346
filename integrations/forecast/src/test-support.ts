// Helpers shared by this package's tests (not part of the public API, not bundled).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Table } from "@lolpop/core";
import { prepareSeries, type SeriesSet } from "./forecast-series.js";

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = join(packageDir, "..", "..");

/** The shared fixture (see test/fixtures/README.md for sources and licences). */
export interface Fixture {
  air_passengers: { season_length: number; dates: string[]; values: number[] };
  co2: { season_length: number; dates: string[]; values: number[] };
  co2_raw_start: { dates: string[]; values: number[] };
  unemployment: { season_length: number; series: Array<{ name: string; dates: string[]; values: number[] }> };
}

export const FIXTURE_FILE = join(packageDir, "test", "fixtures", "series.json");

let fixture: Fixture | undefined;
export function loadFixture(): Fixture {
  fixture ??= JSON.parse(readFileSync(FIXTURE_FILE, "utf8")) as Fixture;
  return fixture;
}

/** The fixture's series by name: `air`, `co2`, and the 14 unemployment industries. */
export function fixtureSeries(): Array<{
  name: string;
  dates: string[];
  values: number[];
  seasonLength: number;
}> {
  const f = loadFixture();
  return [
    { name: "air", dates: f.air_passengers.dates, values: f.air_passengers.values, seasonLength: 12 },
    { name: "co2", dates: f.co2.dates, values: f.co2.values, seasonLength: 12 },
    ...f.unemployment.series.map((s) => ({ ...s, seasonLength: 12 })),
  ];
}

/** A long table of `(series, date, value)` rows. */
export function longTable(series: Array<{ name: string; dates: string[]; values: number[] }>): Table {
  const name: string[] = [];
  const date: string[] = [];
  const value: number[] = [];
  for (const s of series)
    s.dates.forEach((d, i) => {
      name.push(s.name);
      date.push(d);
      value.push(s.values[i]!);
    });
  return Table.fromColumns({ series: name, date, value });
}

/** The unemployment fixture as a checked SeriesSet (14 monthly series). */
export function unemploymentSet(): SeriesSet {
  return prepareSeries(longTable(loadFixture().unemployment.series), {
    time: "date",
    target: "value",
    ids: "series",
  });
}

/** The project's venv interpreter (prophet); throws, failing the test, when missing. */
export function venvPythonForTests(): string {
  const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
  const python = join(venv, "bin", "python");
  if (!existsSync(python))
    throw new Error(`no Python venv at ${venv}: run \`pnpm python:setup\` at the repository root first`);
  return python;
}

let referencePython: string | undefined;
/** The statsforecast venv's interpreter, built (once, cached) by scripts/reference-venv.mjs. */
export function referencePythonForTests(): string {
  if (referencePython) return referencePython;
  const r = spawnSync(process.execPath, [join(packageDir, "scripts", "reference-venv.mjs")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) throw new Error(`scripts/reference-venv.mjs failed (exit ${r.status})`);
  referencePython = r.stdout.trim().split("\n").pop()!;
  return referencePython;
}

/** Runs a Python script with a JSON request on stdin and parses its JSON answer. */
export function runPythonJson<T>(python: string, script: string, request: unknown): T {
  const r = spawnSync(python, [script], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Largest |a - b| / |b| over the arrays. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-12);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

/** Deterministic PRNG for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
