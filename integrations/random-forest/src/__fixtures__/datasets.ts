/**
 * Datasets for the tests: seeded synthetic generators and tables from vega-datasets.
 * Each dataset is numeric features (NaN = missing) and a target, plus a problem type.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng, permutation, Table } from "@lolpop/core";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dataDir = join(pkgDir, "node_modules", "vega-datasets", "data");

/** A dataset as columns. */
export interface Dataset {
  name: string;
  problem: "classification" | "regression";
  featureNames: string[];
  /** Feature columns (NaN = missing). */
  columns: Float64Array[];
  /** Classification: class index per row; regression: target values. */
  y: Int32Array | Float64Array;
  /** Classification: class labels. */
  classes?: string[];
}

/** Standard normal draws from a seeded uniform generator (Box-Muller). */
export function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(rand(), 1e-300);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * Classes as Gaussian clusters on the vertices of a hypercube in `informative` dimensions (two
 * clusters per class), plus redundant linear combinations and pure-noise features; `flip` of the
 * labels are random (in the spirit of scikit-learn's make_classification).
 */
export function syntheticClassification(opts: {
  n: number;
  features: number;
  informative: number;
  classes: number;
  seed: number;
  flip?: number;
  /** Class shares (default: equal). */
  weights?: number[];
}): Dataset {
  const { n, features: F, informative: I, classes: K, seed } = opts;
  const rand = createRng(seed);
  const normal = gaussian(rand);
  const clusters = K * 2;
  // Cluster centres: distinct hypercube vertices (+-1.5), jittered.
  const centres: number[][] = [];
  for (let c = 0; c < clusters; c++) {
    const code = (c * 2654435761) >>> 0;
    centres.push(Array.from({ length: I }, (_, d) => ((code >>> d) & 1 ? 1.5 : -1.5) + 0.3 * normal()));
  }
  const redundant = Math.min(2, F - I);
  const mix = Array.from({ length: redundant }, () => Array.from({ length: I }, () => normal()));
  const weights = opts.weights ?? Array(K).fill(1 / K);
  const columns = Array.from({ length: F }, () => new Float64Array(n));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let u = rand();
    let k = 0;
    while (k < K - 1 && u >= weights[k]!) {
      u -= weights[k]!;
      k++;
    }
    const centre = centres[k * 2 + (rand() < 0.5 ? 0 : 1)]!;
    const x = centre.map((m) => m + normal());
    for (let d = 0; d < I; d++) columns[d]![i] = x[d]!;
    for (let r = 0; r < redundant; r++) {
      let s = 0;
      for (let d = 0; d < I; d++) s += mix[r]![d]! * x[d]!;
      columns[I + r]![i] = s;
    }
    for (let f = I + redundant; f < F; f++) columns[f]![i] = normal();
    y[i] = rand() < (opts.flip ?? 0.03) ? Math.floor(rand() * K) : k;
  }
  return {
    name: `synthetic classification ${n}x${F}, ${K} classes`,
    problem: "classification",
    featureNames: Array.from({ length: F }, (_, f) => `x${f}`),
    columns,
    y,
    classes: Array.from({ length: K }, (_, k) => `c${k}`),
  };
}

/** Friedman #1 regression: y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise, x ~ U(0, 1). */
export function friedman1(opts: { n: number; features: number; noise: number; seed: number }): Dataset {
  const { n, features: F, noise, seed } = opts;
  const rand = createRng(seed);
  const normal = gaussian(rand);
  const columns = Array.from({ length: F }, () => new Float64Array(n));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) columns[f]![i] = rand();
    const x = (f: number) => columns[f]![i]!;
    y[i] =
      10 * Math.sin(Math.PI * x(0) * x(1)) + 20 * (x(2) - 0.5) ** 2 + 10 * x(3) + 5 * x(4) + noise * normal();
  }
  return {
    name: `Friedman #1 ${n}x${F}`,
    problem: "regression",
    featureNames: Array.from({ length: F }, (_, f) => `x${f}`),
    columns,
    y,
  };
}

function readJson(file: string): Array<Record<string, unknown>> {
  return JSON.parse(readFileSync(join(dataDir, file), "utf8")) as Array<Record<string, unknown>>;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : Number.NaN);

function fromRows(
  name: string,
  rows: Array<Record<string, unknown>>,
  features: string[],
  target: string,
  problem: "classification" | "regression",
): Dataset {
  const columns = features.map((f) => Float64Array.from(rows, (r) => num(r[f])));
  if (problem === "regression") {
    return {
      name,
      problem,
      featureNames: features,
      columns,
      y: Float64Array.from(rows, (r) => num(r[target])),
    };
  }
  const classes = [...new Set(rows.map((r) => String(r[target])))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return {
    name,
    problem,
    featureNames: features,
    columns,
    y: Int32Array.from(rows, (r) => index.get(String(r[target]))!),
    classes,
  };
}

/** penguins.json: species from the four measurements (rows with a missing value dropped). */
export function penguins(): Dataset {
  const features = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
  const rows = readJson("penguins.json").filter(
    (r) => typeof r.Species === "string" && features.every((f) => typeof r[f] === "number"),
  );
  return fromRows("penguins (vega-datasets)", rows, features, "Species", "classification");
}

/** seattle-weather.csv: the day's weather from precipitation, temperatures, wind and month. */
export function seattleWeather(): Dataset {
  const lines = readFileSync(join(dataDir, "seattle-weather.csv"), "utf8").trim().split("\n").slice(1);
  const rows = lines.map((line) => {
    const [date, precipitation, tmax, tmin, wind, weather] = line.split(",");
    return {
      precipitation: Number(precipitation),
      temp_max: Number(tmax),
      temp_min: Number(tmin),
      wind: Number(wind),
      month: Number(date!.slice(5, 7)),
      weather,
    };
  });
  return fromRows(
    "seattle-weather (vega-datasets)",
    rows,
    ["precipitation", "temp_max", "temp_min", "wind", "month"],
    "weather",
    "classification",
  );
}

/** cars.json: Miles_per_Gallon (rows without it dropped; Horsepower has missing values). */
export function cars(): Dataset {
  const rows = readJson("cars.json")
    .filter((r) => typeof r.Miles_per_Gallon === "number")
    .map((r) => ({ ...r, Year: Number(String(r.Year).slice(0, 4)) }));
  return fromRows(
    "cars (vega-datasets)",
    rows,
    ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Year"],
    "Miles_per_Gallon",
    "regression",
  );
}

/** movies.json: IMDB Rating from grosses, budget, running time, Rotten Tomatoes rating, votes, year (many missing values). */
export function movies(): Dataset {
  const rows = readJson("movies.json")
    .filter((r) => typeof r["IMDB Rating"] === "number")
    .map((r) => {
      const year = Number(String(r["Release Date"] ?? "").slice(-4));
      return { ...r, year: year > 1900 && year < 2030 ? year : Number.NaN };
    });
  return fromRows(
    "movies (vega-datasets)",
    rows,
    [
      "US Gross",
      "Worldwide Gross",
      "US DVD Sales",
      "Production Budget",
      "Running Time min",
      "Rotten Tomatoes Rating",
      "IMDB Votes",
      "year",
    ],
    "IMDB Rating",
    "regression",
  );
}

/** The dataset as a lolpop Table (features + target `y`). */
export function toTable(d: Dataset, rows?: ArrayLike<number>): Table {
  const idx = rows ?? Int32Array.from({ length: d.y.length }, (_, i) => i);
  const cols: Record<string, Float64Array | string[]> = {};
  d.featureNames.forEach((f, j) => {
    cols[f] = Float64Array.from(idx, (r) => d.columns[j]![r]!);
  });
  if (d.problem === "classification") cols.y = Array.from(idx, (r) => d.classes![d.y[r]!]!);
  else cols.y = Float64Array.from(idx, (r) => d.y[r]!);
  return Table.fromColumns(cols, { roles: { y: "target" } });
}

/** Train/test row indices: a seeded `testShare` of the rows for test. */
export function holdoutSplit(
  n: number,
  testShare: number,
  seed: number,
): { train: Int32Array; test: Int32Array } {
  const p = permutation(n, createRng(seed));
  const nTest = Math.round(n * testShare);
  return { test: p.slice(0, nTest).sort(), train: p.slice(nTest).sort() };
}
