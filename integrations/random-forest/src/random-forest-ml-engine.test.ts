// The ml-random-forest engine (engine: ml-random-forest): the earlier pure-JS library, kept for
// compatibility and for models saved with it. Also the plugin, config and shared input checks.
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CancelledError,
  type ClassificationPredictions,
  ConfigError,
  DataError,
  getPlugin,
  instantiateComponent,
  type ModelTrainer,
  type RegressionPredictions,
  resolveType,
  StoreError,
  Table,
  type TrainedModel,
} from "@lolpop/core";
import plugin, {
  type RandomForestModelFile,
  type RandomForestTrainerConfig,
  randomForestModelTrainer,
} from "./index.js";
import { resolveMaxFeatures } from "./random-forest-params.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = join(pkgDir, "node_modules", "vega-datasets", "data");

// ---------------------------------------------------------------- data

/** Deterministic permutation (test-side PRNG, independent of the trainer's). */
function permutation(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
}

interface Split {
  train: Table;
  test: Table;
}

function holdout(table: Table, testShare: number, seed: number): Split {
  const idx = permutation(table.numRows, seed);
  const nTest = Math.round(table.numRows * testShare);
  return { test: table.take(idx.slice(0, nTest)), train: table.take(idx.slice(nTest)) };
}

const PENGUIN_FEATURES = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
const SPECIES = ["Adelie", "Chinstrap", "Gentoo"];

/** penguins.json: 4 numeric features and `species`; rows with a missing feature or species are dropped. */
function penguins(): Table {
  const raw = JSON.parse(readFileSync(join(dataDir, "penguins.json"), "utf8")) as Array<
    Record<string, unknown>
  >;
  const rows = raw.filter(
    (r) => typeof r.Species === "string" && PENGUIN_FEATURES.every((f) => typeof r[f] === "number"),
  );
  const cols: Record<string, Array<number | string>> = { species: rows.map((r) => r.Species as string) };
  for (const f of PENGUIN_FEATURES) cols[f] = rows.map((r) => r[f] as number);
  return Table.fromColumns(cols, { roles: { species: "target" } });
}

const CAR_FEATURES = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Year"];

/** cars.json: numeric columns and Miles_per_Gallon; rows without a target are dropped, missing Horsepower stays NaN. */
function cars(): Table {
  const raw = JSON.parse(readFileSync(join(dataDir, "cars.json"), "utf8")) as Array<Record<string, unknown>>;
  const rows = raw.filter((r) => typeof r.Miles_per_Gallon === "number");
  const num = (v: unknown) => (typeof v === "number" ? v : Number.NaN);
  return Table.fromColumns(
    {
      Cylinders: Float64Array.from(rows, (r) => num(r.Cylinders)),
      Displacement: Float64Array.from(rows, (r) => num(r.Displacement)),
      Horsepower: Float64Array.from(rows, (r) => num(r.Horsepower)),
      Weight_in_lbs: Float64Array.from(rows, (r) => num(r.Weight_in_lbs)),
      Acceleration: Float64Array.from(rows, (r) => num(r.Acceleration)),
      Year: Float64Array.from(rows, (r) => Number(String(r.Year).slice(0, 4))),
      mpg: Float64Array.from(rows, (r) => r.Miles_per_Gallon as number),
    },
    { roles: { mpg: "target" } },
  );
}

const features = (t: Table) => t.select(t.columnsWithRole("feature"));

function accuracy(pred: ClassificationPredictions, truth: Table): number {
  const y = truth.categorical("species");
  let ok = 0;
  for (let i = 0; i < pred.labels.length; i++)
    if (pred.classes[pred.labels[i]!] === y.dictionary[y.codes[i]!]) ok++;
  return ok / pred.labels.length;
}

function r2(pred: Float64Array, truth: Float64Array): number {
  const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < truth.length; i++) {
    ssRes += (truth[i]! - pred[i]!) ** 2;
    ssTot += (truth[i]! - mean) ** 2;
  }
  return 1 - ssRes / ssTot;
}

async function trainer(config: Record<string, unknown> = {}): Promise<ModelTrainer> {
  return instantiateComponent<"model_trainer", RandomForestTrainerConfig>(randomForestModelTrainer, {
    config: { engine: "ml-random-forest", ...config },
  });
}

const SMALL = { training_params: { n_estimators: 15, max_depth: 6 } };
// ml-random-forest draws max_features once per tree (not per split), so the default "sqrt" needs more
// trees than a per-split forest would.
const PENGUIN_PARAMS = { training_params: { n_estimators: 50, max_depth: 6 } };

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lolpop-rf-"));
  tmpDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

// Fitted once, reused.
const penguinSplit = holdout(penguins(), 0.25, 11);
const carSplit = holdout(cars(), 0.25, 5);
let classifier: TrainedModel;
let regressor: TrainedModel;
let classifierPred: ClassificationPredictions;
let regressorPred: RegressionPredictions;
const measured: Record<string, number> = {};

beforeAll(async () => {
  classifier = await (await trainer({ ...PENGUIN_PARAMS, seed: 7 })).fit({
    problem_type: "classification",
    X: features(penguinSplit.train),
    y: penguinSplit.train.column("species"),
    classes: SPECIES,
  });
  classifierPred = (await classifier.predict(features(penguinSplit.test))) as ClassificationPredictions;
  regressor = await (await trainer({ ...SMALL, seed: 7 })).fit({
    problem_type: "regression",
    X: features(carSplit.train),
    y: carSplit.train.column("mpg"),
  });
  regressorPred = (await regressor.predict(features(carSplit.test))) as RegressionPredictions;
}, 120_000);

afterAll(() => {
  if (process.env.LOLPOP_RF_REPORT) console.log(JSON.stringify(measured));
});

// ---------------------------------------------------------------- plugin and config

describe("plugin", () => {
  it("registers RandomForestModelTrainer on import", () => {
    expect(plugin.name).toBe("@lolpop/random-forest");
    expect(getPlugin("@lolpop/random-forest")).toBe(plugin);
    const reg = resolveType("RandomForestModelTrainer");
    expect(reg?.kind).toBe("model_trainer");
    expect(reg?.definition).toBe(randomForestModelTrainer);
  });

  it("matches the package.json manifest", () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    expect(pkg.lolpop.components).toEqual([{ kind: "model_trainer", type: "RandomForestModelTrainer" }]);
    expect(plugin.version).toBe(pkg.version);
  });

  it("documents and defaults every config key", () => {
    const schema = randomForestModelTrainer.configSchema as any;
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual([
      "engine",
      "n_jobs",
      "scoring_engine",
      "seed",
      "training_params",
    ]);
    const tp = schema.properties.training_params;
    expect(tp.additionalProperties).toBe(false);
    for (const prop of [...Object.values<any>(schema.properties), ...Object.values<any>(tp.properties)]) {
      expect(typeof prop.description).toBe("string");
      expect(prop.default).toBeDefined();
    }
    expect(schema.properties.engine.default).toBe("histogram");
    expect(Object.keys(tp.properties).sort()).toEqual(
      [
        "bootstrap",
        "class_weight",
        "criterion",
        "max_bins",
        "max_depth",
        "max_features",
        "max_samples",
        "min_samples_leaf",
        "min_samples_split",
        "n_estimators",
      ].sort(),
    );
  });

  it("rejects histogram-only parameters for engine ml-random-forest, naming each", async () => {
    const err = await trainer({
      training_params: { min_samples_leaf: 3, criterion: "entropy", class_weight: "balanced", max_bins: 64 },
    }).catch((e) => e);
    expect(ConfigError.isInstance(err)).toBe(true);
    const paths = (err as ConfigError).issues.map((i) => i.path);
    for (const key of ["min_samples_leaf", "criterion", "class_weight", "max_bins"])
      expect(paths.some((p) => p.endsWith(`training_params.${key}`))).toBe(true);
    expect(err.message).toMatch(/only supported by engine "histogram"/);
  });

  it("rejects invalid config, naming every key", async () => {
    const err = await trainer({ training_params: { n_estimators: 0, max_featurez: 2 }, seed: 1.5 }).catch(
      (e) => e,
    );
    expect(ConfigError.isInstance(err)).toBe(true);
    const paths = (err as ConfigError).issues.map((i) => i.path).join(" ");
    expect(paths).toContain("training_params.n_estimators");
    expect(paths).toContain("training_params");
    expect(paths).toContain("seed");
    expect((err as Error).message).toMatch(/max_featurez/);
  });

  it("accepts max_features as fraction, count or rule", async () => {
    for (const max_features of [0.5, 1, 3, "sqrt", "log2", "auto"]) {
      await expect(trainer({ training_params: { max_features } })).resolves.toBeDefined();
    }
    await expect(trainer({ training_params: { max_features: 1.5 } })).rejects.toThrow(/max_features/);
    await expect(trainer({ training_params: { max_features: "all" } })).rejects.toThrow(/max_features/);
  });
});

describe("resolveMaxFeatures", () => {
  it("resolves rules, fractions and counts", () => {
    expect(resolveMaxFeatures("auto", 16, "classification")).toEqual({ rule: "sqrt", count: 4 });
    expect(resolveMaxFeatures("auto", 16, "regression")).toEqual({ rule: 1, count: 16 });
    expect(resolveMaxFeatures("log2", 16, "regression").count).toBe(4);
    expect(resolveMaxFeatures("sqrt", 2, "classification").count).toBe(1);
    expect(resolveMaxFeatures(0.5, 6, "regression").count).toBe(3);
    expect(resolveMaxFeatures(0.01, 6, "regression").count).toBe(1);
    expect(resolveMaxFeatures(1, 6, "regression").count).toBe(6);
    expect(resolveMaxFeatures(3, 6, "regression").count).toBe(3);
    expect(() => resolveMaxFeatures(7, 6, "regression")).toThrow(/only 6 feature/);
  });
});

// ---------------------------------------------------------------- classification

describe("classification (penguins)", () => {
  it("predicts the holdout with accuracy > 0.9", () => {
    expect(penguinSplit.train.numRows).toBeGreaterThan(200);
    const acc = accuracy(classifierPred, penguinSplit.test);
    measured.penguins_accuracy = acc;
    expect(acc).toBeGreaterThan(0.9);
    expect(classifier.trainer).toBe("RandomForestModelTrainer");
    expect(classifier.problem_type).toBe("classification");
    expect(classifier.classes).toEqual(SPECIES);
    expect(classifier.feature_names).toEqual(PENGUIN_FEATURES);
    expect(classifier.params).toMatchObject({
      n_estimators: 50,
      max_depth: 6,
      max_features: "sqrt",
      criterion: "gini",
      seed: 7,
      engine: "ml-random-forest",
    });
  });

  it("returns predictions in the contract's shape", () => {
    const n = penguinSplit.test.numRows;
    expect(classifierPred.problem_type).toBe("classification");
    expect(classifierPred.classes).toEqual(SPECIES);
    expect(classifierPred.labels).toBeInstanceOf(Int32Array);
    expect(classifierPred.labels.length).toBe(n);
    expect(classifierPred.proba).toBeInstanceOf(Float64Array);
    expect(classifierPred.proba!.length).toBe(n * SPECIES.length);
  });

  it("gives probabilities that sum to 1 and whose argmax is the label", () => {
    const { proba, labels } = classifierPred;
    const k = SPECIES.length;
    for (let i = 0; i < labels.length; i++) {
      const row = Array.from(proba!.subarray(i * k, (i + 1) * k));
      expect(row.every((p) => p >= 0 && p <= 1)).toBe(true);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(row.indexOf(Math.max(...row))).toBe(labels[i]);
    }
  });

  it("follows the order of input.classes, not the target's dictionary", async () => {
    const reversed = [...SPECIES].reverse();
    const model = await (await trainer({ ...PENGUIN_PARAMS, seed: 7 })).fit({
      problem_type: "classification",
      X: features(penguinSplit.train),
      y: penguinSplit.train.column("species"),
      classes: reversed,
    });
    const pred = (await model.predict(features(penguinSplit.test))) as ClassificationPredictions;
    expect(pred.classes).toEqual(reversed);
    expect(accuracy(pred, penguinSplit.test)).toBeGreaterThan(0.9);
  });

  it("reports feature importance that sums to 1", () => {
    const fi = classifier.feature_importance!()!;
    expect(Object.keys(fi)).toEqual(PENGUIN_FEATURES);
    expect(Object.values(fi).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(Object.values(fi).every((v) => v >= 0)).toBe(true);
  });
});

// ---------------------------------------------------------------- regression

describe("regression (cars)", () => {
  it("predicts Miles_per_Gallon with R² > 0.7 on the holdout", () => {
    expect(regressorPred.problem_type).toBe("regression");
    expect(regressorPred.values).toBeInstanceOf(Float64Array);
    expect(regressorPred.values.length).toBe(carSplit.test.numRows);
    expect(regressorPred.values.every((v) => Number.isFinite(v))).toBe(true);
    const score = r2(regressorPred.values, carSplit.test.numeric("mpg"));
    measured.cars_r2 = score;
    expect(score).toBeGreaterThan(0.7);
    expect(regressor.params.max_features).toBe(1);
    expect(regressor.classes).toBeUndefined();
  });

  it("reports feature importance for regression", () => {
    const fi = regressor.feature_importance!()!;
    expect(Object.keys(fi)).toEqual(CAR_FEATURES);
    expect(Object.values(fi).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });
});

// ---------------------------------------------------------------- save and load

describe("save and load", () => {
  it("round-trips a classifier: identical predictions and importances", async () => {
    const dir = join(await tmp(), "nested", "model");
    await classifier.save(dir);
    expect(await readdir(dir)).toEqual(["model.json"]);
    const file = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as RandomForestModelFile;
    expect(file).toMatchObject({
      format: "lolpop.random-forest.model",
      format_version: 1,
      engine: "ml-random-forest",
      trainer: "RandomForestModelTrainer",
      library: { name: "ml-random-forest", version: "2.1.0" },
      problem_type: "classification",
      feature_names: PENGUIN_FEATURES,
      classes: SPECIES,
    });
    expect(file.impute_means).toHaveLength(PENGUIN_FEATURES.length);
    expect(file.model.name).toBe("RFClassifier");
    expect(file.model.baseModel.nEstimators).toBe(50);

    const loaded = await (await trainer()).load(dir);
    const pred = (await loaded.predict(features(penguinSplit.test))) as ClassificationPredictions;
    expect(pred.labels).toEqual(classifierPred.labels);
    expect(pred.proba).toEqual(classifierPred.proba);
    expect(loaded.feature_importance!()).toEqual(classifier.feature_importance!());
    expect(loaded.params).toEqual(classifier.params);
    expect(loaded.classes).toEqual(SPECIES);
    expect(loaded.feature_names).toEqual(PENGUIN_FEATURES);
  });

  it("round-trips a regressor", async () => {
    const dir = await tmp();
    await regressor.save(dir);
    await regressor.save(dir); // overwriting is fine and leaves no temporary file
    expect(await readdir(dir)).toEqual(["model.json"]);
    const loaded = await (await trainer()).load(dir);
    const pred = (await loaded.predict(features(carSplit.test))) as RegressionPredictions;
    expect(pred.values).toEqual(regressorPred.values);
    expect(loaded.feature_importance!()).toEqual(regressor.feature_importance!());
    expect(loaded.problem_type).toBe("regression");
  });

  it("loads a model saved by 0.1.0, before engines existed, with identical predictions", async () => {
    const dir = join(pkgDir, "test", "fixtures", "ml-random-forest-0.1.0");
    const file = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
    expect(file.format_version).toBe(1);
    expect(file.engine).toBeUndefined();
    const expected = JSON.parse(await readFile(join(dir, "expected.json"), "utf8"));
    // Loads whatever engine the trainer is configured with.
    for (const config of [{}, { engine: "histogram" }]) {
      const model = await instantiateComponent<"model_trainer", RandomForestTrainerConfig>(
        randomForestModelTrainer,
        { config },
      ).then((t) => t.load(dir));
      expect(model.params).toMatchObject({
        engine: "ml-random-forest",
        n_estimators: 3,
        max_depth: 3,
        seed: 5,
      });
      const all = penguins();
      const pred = (await model.predict(features(all))) as ClassificationPredictions;
      expect(pred.classes).toEqual(expected.classes);
      expect(Array.from(pred.proba!)).toEqual(expected.proba);
    }
  });

  it("fails clearly on a missing or foreign model", async () => {
    const dir = await tmp();
    const missing = await (await trainer()).load(join(dir, "nothing")).catch((e) => e);
    expect(StoreError.isInstance(missing)).toBe(true);
    expect(missing.message).toMatch(/no model\.json/);
    await writeFile(join(dir, "model.json"), JSON.stringify({ format: "something-else" }));
    await expect((await trainer()).load(dir)).rejects.toThrow(/not a valid RandomForestModelTrainer model/);
    await writeFile(join(dir, "model.json"), "{not json");
    await expect((await trainer()).load(dir)).rejects.toThrow(/invalid JSON/);
    await writeFile(
      join(dir, "model.json"),
      JSON.stringify({ format: "lolpop.random-forest.model", format_version: 99 }),
    );
    await expect((await trainer()).load(dir)).rejects.toThrow(/upgrade @lolpop\/random-forest/);
  });
});

// ---------------------------------------------------------------- determinism and params

describe("seeds and params", () => {
  const small = holdout(penguins(), 0.5, 3);
  const fitSmall = async (config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    (await trainer(config)).fit({
      problem_type: "classification",
      X: features(small.train),
      y: small.train.column("species"),
      classes: SPECIES,
      ...extra,
    });
  const modelJson = async (model: TrainedModel) => {
    const dir = await tmp();
    await model.save(dir);
    return JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as RandomForestModelFile;
  };
  const tp = { n_estimators: 8, max_depth: 4 };

  it("is deterministic for a seed", async () => {
    const a = await fitSmall({ training_params: tp, seed: 3 });
    const b = await fitSmall({ training_params: tp, seed: 3 });
    const pa = (await a.predict(features(small.test))) as ClassificationPredictions;
    const pb = (await b.predict(features(small.test))) as ClassificationPredictions;
    expect(pb.proba).toEqual(pa.proba);
    expect(pb.labels).toEqual(pa.labels);
    expect((await modelJson(b)).model).toEqual((await modelJson(a)).model);
  });

  it("builds a different forest for a different seed", async () => {
    const a = await fitSmall({ training_params: tp, seed: 3 });
    const b = await fitSmall({ training_params: tp, seed: 4 });
    const pa = (await a.predict(features(small.test))) as ClassificationPredictions;
    const pb = (await b.predict(features(small.test))) as ClassificationPredictions;
    expect(pb.proba).not.toEqual(pa.proba);
    expect((await modelJson(b)).model).not.toEqual((await modelJson(a)).model);
    expect(b.params.seed).toBe(4);
  });

  it("takes FitInput.seed over the configured seed, and params.seed over both", async () => {
    expect((await fitSmall({ training_params: tp, seed: 3 }, { seed: 9 })).params.seed).toBe(9);
    expect(
      (await fitSmall({ training_params: tp, seed: 3 }, { seed: 9, params: { seed: 12 } })).params.seed,
    ).toBe(12);
    const viaInput = await fitSmall({ training_params: tp, seed: 3 }, { seed: 4 });
    const viaConfig = await fitSmall({ training_params: tp, seed: 4 });
    expect((await modelJson(viaInput)).model).toEqual((await modelJson(viaConfig)).model);
  });

  it("lets a tuner's params override training_params", async () => {
    const model = await fitSmall(
      { training_params: tp },
      { params: { n_estimators: 3, max_features: 2, bootstrap: false, max_samples: 0.5 } },
    );
    expect(model.params).toMatchObject({
      n_estimators: 3,
      max_depth: 4,
      max_features: 2,
      bootstrap: false,
      max_samples: 0.5,
    });
    const file = await modelJson(model);
    expect(file.model.baseModel.nEstimators).toBe(3);
    expect(file.model.baseModel.n).toBe(2);
    expect(file.model.baseModel.indexes.every((ix) => new Set(ix).size === 2)).toBe(true);
    expect(file.model.baseModel.useSampleBagging).toBe(false);
    expect(file.training_rows).toBe(Math.round(small.train.numRows * 0.5));
  });

  it("draws exactly one feature per tree when asked (the library reads 1 as 'all')", async () => {
    const model = await fitSmall({ training_params: { ...tp, max_features: 0.01 } });
    const file = await modelJson(model);
    expect(file.model.baseModel.n).toBe(1);
    expect(file.model.baseModel.indexes.every((ix) => ix.length === 1)).toBe(true);
  });

  it("rejects invalid params from a tuner, naming them", async () => {
    const err = await fitSmall(
      { training_params: tp },
      { params: { n_estimators: -1, learning_rate: 0.1 } },
    ).catch((e) => e);
    expect(ConfigError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/n_estimators/);
    expect(err.message).toMatch(/learning_rate/);
    await expect(fitSmall({ training_params: tp }, { params: { max_features: 9 } })).rejects.toThrow(
      /only 4 feature/,
    );
  });

  it("stops when the signal is aborted", async () => {
    const ac = new AbortController();
    ac.abort("stop");
    const err = await fitSmall({ training_params: tp }, { signal: ac.signal }).catch((e) => e);
    expect(CancelledError.isInstance(err)).toBe(true);
  });
});

// ---------------------------------------------------------------- missing values

describe("missing values", () => {
  const base = holdout(penguins(), 0.5, 8);
  const withHoles = (t: Table, every: number) => {
    let out = t;
    PENGUIN_FEATURES.forEach((f, j) => {
      const v = Float64Array.from(t.numeric(f));
      for (let i = j; i < v.length; i += every) v[i] = Number.NaN;
      out = out.withColumn(f, v);
    });
    return out;
  };

  it("imputes training means at fit and predict", async () => {
    const train = withHoles(base.train, 7);
    const model = await (
      await trainer({ training_params: { n_estimators: 15, max_depth: 5, max_features: 1 }, seed: 1 })
    ).fit({
      problem_type: "classification",
      X: features(train),
      y: train.column("species"),
      classes: SPECIES,
    });
    const dir = await tmp();
    await model.save(dir);
    const file = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as RandomForestModelFile;
    PENGUIN_FEATURES.forEach((f, j) => {
      const values = Array.from(train.numeric(f)).filter((v) => !Number.isNaN(v));
      expect(file.impute_means[j]).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    });

    const test = withHoles(base.test, 5);
    const pred = (await model.predict(features(test))) as ClassificationPredictions;
    expect(pred.proba!.every((p) => Number.isFinite(p))).toBe(true);
    expect(accuracy(pred, test)).toBeGreaterThan(0.8);
    // A missing value predicts exactly like the training mean.
    let filled = test;
    PENGUIN_FEATURES.forEach((f, j) => {
      filled = filled.withColumn(
        f,
        Float64Array.from(test.numeric(f), (v) => (Number.isNaN(v) ? file.impute_means[j]! : v)),
      );
    });
    const same = (await model.predict(features(filled))) as ClassificationPredictions;
    expect(same.proba).toEqual(pred.proba);

    const loaded = await (await trainer()).load(dir);
    expect(((await loaded.predict(features(test))) as ClassificationPredictions).proba).toEqual(pred.proba);
  });

  it("regression handles NaN features (cars has missing Horsepower)", () => {
    expect(carSplit.train.numeric("Horsepower").some((v) => Number.isNaN(v))).toBe(true);
    expect(regressorPred.values.every((v) => Number.isFinite(v))).toBe(true);
  });
});

// ---------------------------------------------------------------- errors

describe("errors", () => {
  it("names missing and extra feature columns at predict", async () => {
    const X = features(penguinSplit.test);
    const missing = await classifier.predict(X.drop(["Body Mass (g)"])).catch((e) => e);
    expect(DataError.isInstance(missing)).toBe(true);
    expect(missing.message).toMatch(/missing feature column\(s\) "Body Mass \(g\)"/);
    const extra = await classifier.predict(X.withColumn("Year", new Float64Array(X.numRows))).catch((e) => e);
    expect(DataError.isInstance(extra)).toBe(true);
    expect(extra.message).toMatch(/unexpected feature column\(s\) "Year"/);
    // Columns with another role are ignored, and column order does not matter.
    const reordered = penguinSplit.test.select([...PENGUIN_FEATURES].reverse().concat("species"));
    const pred = (await classifier.predict(reordered)) as ClassificationPredictions;
    expect(pred.proba).toEqual(classifierPred.proba);
  });

  it("asks for a feature_transformer when features are not numeric", async () => {
    const X = features(penguinSplit.train).withColumn(
      "island",
      Array.from({ length: penguinSplit.train.numRows }, (_, i) => (i % 2 ? "Biscoe" : "Dream")),
    );
    const err = await (await trainer(SMALL))
      .fit({ problem_type: "classification", X, y: penguinSplit.train.column("species"), classes: SPECIES })
      .catch((e) => e);
    expect(DataError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/"island"/);
    expect(err.message).toMatch(/feature_transformer/);
    expect(err.message).toMatch(/LocalFeatureTransformer/);

    const Xp = features(penguinSplit.test).withColumn(
      "Body Mass (g)",
      Array(penguinSplit.test.numRows).fill("heavy"),
    );
    await expect(classifier.predict(Xp)).rejects.toThrow(/"Body Mass \(g\)".*LocalFeatureTransformer/);
  });

  it("needs at least two classes", async () => {
    const t = await trainer(SMALL);
    const X = features(penguinSplit.train);
    await expect(
      t.fit({
        problem_type: "classification",
        X,
        y: penguinSplit.train.column("species"),
        classes: ["Adelie"],
      }),
    ).rejects.toThrow(/at least 2 classes/);
    const oneClass = Table.fromColumns({ y: Array(X.numRows).fill("Adelie") }).column("y");
    await expect(t.fit({ problem_type: "classification", X, y: oneClass, classes: SPECIES })).rejects.toThrow(
      /at least 2 distinct classes/,
    );
    await expect(t.fit({ problem_type: "classification", X, y: oneClass })).rejects.toThrow(
      /at least 2 classes/,
    );
  });

  it("rejects labels outside the classes and missing labels", async () => {
    const t = await trainer(SMALL);
    const X = features(penguinSplit.train);
    await expect(
      t.fit({
        problem_type: "classification",
        X,
        y: penguinSplit.train.column("species"),
        classes: ["Adelie", "Gentoo"],
      }),
    ).rejects.toThrow(/"Chinstrap".*not among the classes/);
    const labels = penguinSplit.train.values("species").map((v, i) => (i === 3 ? null : v));
    const y = Table.fromColumns({ y: labels }).column("y");
    await expect(t.fit({ problem_type: "classification", X, y, classes: SPECIES })).rejects.toThrow(
      /missing value/,
    );
  });

  it("rejects a categorical target for regression", async () => {
    const err = await (await trainer(SMALL))
      .fit({
        problem_type: "regression",
        X: features(penguinSplit.train),
        y: penguinSplit.train.column("species"),
      })
      .catch((e) => e);
    expect(DataError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/regression needs a numeric target/);
  });

  it("rejects X without feature columns and mismatched lengths", async () => {
    const t = await trainer(SMALL);
    const y = penguinSplit.train.column("species");
    await expect(
      t.fit({
        problem_type: "classification",
        X: penguinSplit.train.select(["species"]),
        y,
        classes: SPECIES,
      }),
    ).rejects.toThrow(/at least one feature column/);
    await expect(
      t.fit({ problem_type: "classification", X: features(penguinSplit.test), y, classes: SPECIES }),
    ).rejects.toThrow(/rows but y has/);
  });
});

describe("small and empty inputs", () => {
  it("predicts zero rows", async () => {
    const empty = features(penguinSplit.test).head(0);
    const pred = (await classifier.predict(empty)) as ClassificationPredictions;
    expect(pred.labels.length).toBe(0);
    expect(pred.proba!.length).toBe(0);
    const reg = (await regressor.predict(features(carSplit.test).head(0))) as RegressionPredictions;
    expect(reg.values.length).toBe(0);
  });

  it("fits a handful of rows", async () => {
    const X = Table.fromColumns({ a: [1, 2, 3, 4, 5, 6], b: [0, 1, 0, 1, 0, 1] });
    const y = Table.fromColumns({ y: ["lo", "lo", "lo", "hi", "hi", "hi"] }).column("y");
    const model = await (await trainer({ training_params: { n_estimators: 3 } })).fit({
      problem_type: "classification",
      X,
      y,
      classes: ["lo", "hi"],
    });
    const pred = (await model.predict(X)) as ClassificationPredictions;
    expect(pred.labels.length).toBe(6);
    const reg = await (await trainer({ training_params: { n_estimators: 3 } })).fit({
      problem_type: "regression",
      X,
      y: Table.fromColumns({ y: [1, 2, 3, 4, 5, 6] }).column("y"),
    });
    expect(((await reg.predict(X)) as RegressionPredictions).values.every(Number.isFinite)).toBe(true);
  });
});
