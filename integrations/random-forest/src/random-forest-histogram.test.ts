// RandomForestModelTrainer with the histogram engine (the default): fit, predict, save/load, seeds
// and threads, params, missing values, errors. Worker threads run the built worker script
// (dist/random-forest-histogram-worker.js): build the package before these tests.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelledError,
  type ClassificationPredictions,
  ConfigError,
  createLogger,
  DataError,
  instantiateComponent,
  type LogRecord,
  type ModelTrainer,
  type RegressionPredictions,
  StoreError,
  Table,
  type TrainedModel,
} from "@lolpop/core";
import {
  cars,
  type Dataset,
  friedman1,
  holdoutSplit,
  penguins,
  syntheticClassification,
  toTable,
} from "../test/fixtures/datasets.js";
import {
  FOREST_FILE,
  HistogramForestModel,
  type HistogramModelFile,
  RandomForestModel,
  type RandomForestTrainerConfig,
  randomForestModelTrainer,
} from "./index.js";
import { decodeForest } from "./random-forest-histogram-forest.js";

async function trainer(config: Record<string, unknown> = {}, logs?: LogRecord[]): Promise<ModelTrainer> {
  return instantiateComponent<"model_trainer", RandomForestTrainerConfig>(randomForestModelTrainer, {
    config,
    ...(logs
      ? {
          logger: createLogger({
            level: "debug",
            format: "json",
            stream: { write: () => true },
            sinks: [(r) => void logs.push(r)],
          }),
        }
      : {}),
  });
}

function split(d: Dataset, seed: number) {
  const s = holdoutSplit(d.y.length, 0.25, seed);
  const train = toTable(d, s.train);
  const test = toTable(d, s.test);
  return {
    d,
    train,
    test,
    X: train.drop(["y"]),
    y: train.column("y"),
    Xtest: test.drop(["y"]),
    ytest: test.column("y"),
  };
}

function accuracy(pred: ClassificationPredictions, truth: Table): number {
  const y = truth.categorical("y");
  let ok = 0;
  for (let i = 0; i < pred.labels.length; i++)
    if (pred.classes[pred.labels[i]!] === y.dictionary[y.codes[i]!]) ok++;
  return ok / pred.labels.length;
}

function r2(pred: Float64Array, truth: Float64Array): number {
  const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < truth.length; i++) {
    res += (truth[i]! - pred[i]!) ** 2;
    tot += (truth[i]! - mean) ** 2;
  }
  return 1 - res / tot;
}

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lolpop-rf-hist-"));
  tmpDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

const SPECIES = ["Adelie", "Chinstrap", "Gentoo"];
const peng = split(penguins(), 11);
const car = split(cars(), 5);
let classifier: TrainedModel;
let classifierPred: ClassificationPredictions;
let regressor: TrainedModel;
let regressorPred: RegressionPredictions;

beforeAll(async () => {
  classifier = await (await trainer({ training_params: { n_estimators: 40, max_depth: 8 }, seed: 7 })).fit({
    problem_type: "classification",
    X: peng.X,
    y: peng.y,
    classes: SPECIES,
  });
  classifierPred = (await classifier.predict(peng.Xtest)) as ClassificationPredictions;
  regressor = await (await trainer({ training_params: { n_estimators: 40, max_depth: null }, seed: 7 })).fit({
    problem_type: "regression",
    X: car.X,
    y: car.y,
  });
  regressorPred = (await regressor.predict(car.Xtest)) as RegressionPredictions;
}, 120_000);

describe("histogram engine: fit and predict", () => {
  it("is the default engine", () => {
    expect(classifier).toBeInstanceOf(HistogramForestModel);
    expect(classifier.trainer).toBe("RandomForestModelTrainer");
    expect(classifier.params).toMatchObject({
      engine: "histogram",
      n_estimators: 40,
      max_depth: 8,
      max_features: "sqrt",
      criterion: "gini",
      min_samples_leaf: 1,
      class_weight: null,
      max_bins: 255,
      seed: 7,
    });
    expect((classifier as HistogramForestModel).n_trees).toBe(40);
    expect(regressor.params).toMatchObject({ max_features: 1, criterion: "squared_error", max_depth: null });
  });

  it("classifies penguins: accuracy > 0.95, probabilities that sum to 1 with the label as argmax", () => {
    expect(accuracy(classifierPred, peng.test)).toBeGreaterThan(0.95);
    const { proba, labels, classes } = classifierPred;
    expect(classes).toEqual(SPECIES);
    expect(labels).toBeInstanceOf(Int32Array);
    expect(proba).toBeInstanceOf(Float64Array);
    expect(proba!.length).toBe(labels.length * 3);
    for (let i = 0; i < labels.length; i++) {
      const row = Array.from(proba!.subarray(i * 3, i * 3 + 3));
      expect(row.every((p) => p >= 0 && p <= 1)).toBe(true);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(row.indexOf(Math.max(...row))).toBe(labels[i]);
    }
  });

  it("regresses cars (with missing Horsepower): R² > 0.8", () => {
    expect(car.X.numeric("Horsepower").some(Number.isNaN)).toBe(true);
    expect(regressorPred.values).toBeInstanceOf(Float64Array);
    expect(regressorPred.values.every(Number.isFinite)).toBe(true);
    expect(r2(regressorPred.values, car.test.numeric("y"))).toBeGreaterThan(0.8);
    expect(regressor.classes).toBeUndefined();
  });

  it("reports impurity importance that sums to 1 and ranks informative features first", async () => {
    const fi = classifier.feature_importance!()!;
    expect(Object.keys(fi)).toEqual(peng.d.featureNames);
    expect(Object.values(fi).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    const d = friedman1({ n: 1500, features: 8, noise: 0.5, seed: 2 });
    const t = toTable(d);
    const model = await (await trainer({ training_params: { n_estimators: 30, max_depth: null } })).fit({
      problem_type: "regression",
      X: t.drop(["y"]),
      y: t.column("y"),
    });
    const imp = model.feature_importance!()!;
    // x0..x4 drive the target; x5..x7 are noise.
    const informative = Math.min(imp.x0!, imp.x1!, imp.x3!);
    for (const noise of ["x5", "x6", "x7"]) expect(imp[noise]!).toBeLessThan(informative);
  });

  it("follows the order of input.classes and handles classes absent from training", async () => {
    const reversed = [...SPECIES].reverse().concat("Emperor");
    const model = await (await trainer({ training_params: { n_estimators: 10 } })).fit({
      problem_type: "classification",
      X: peng.X,
      y: peng.y,
      classes: reversed,
    });
    const pred = (await model.predict(peng.Xtest)) as ClassificationPredictions;
    expect(pred.classes).toEqual(reversed);
    expect(accuracy(pred, peng.test)).toBeGreaterThan(0.9);
    for (let i = 0; i < pred.labels.length; i++) expect(pred.proba![i * 4 + 3]).toBe(0);
  });

  it("predicts zero rows, and ignores column order and non-feature columns", async () => {
    const empty = (await classifier.predict(peng.Xtest.head(0))) as ClassificationPredictions;
    expect(empty.labels.length).toBe(0);
    expect(empty.proba!.length).toBe(0);
    const reordered = peng.test.select(["y", ...[...peng.d.featureNames].reverse()]);
    const pred = (await classifier.predict(reordered)) as ClassificationPredictions;
    expect(pred.proba).toEqual(classifierPred.proba);
  });

  it("predicts large tables on worker threads with the same result", async () => {
    const d = syntheticClassification({ n: 60_000, features: 6, informative: 3, classes: 2, seed: 8 });
    const t = toTable(d);
    const model = await (await trainer({ training_params: { n_estimators: 70, max_depth: 6 } })).fit({
      problem_type: "classification",
      X: t.slice(0, 3000).drop(["y"]),
      y: t.slice(0, 3000).column("y"),
      classes: d.classes,
    });
    const X = t.drop(["y"]);
    const parallel = (await model.predict(X)) as ClassificationPredictions; // 60k x 70 trees: workers
    const serial = (await (
      await trainer({ n_jobs: 1 })
    )
      .load(await saved(model))
      .then((m) => m.predict(X))) as ClassificationPredictions;
    expect(parallel.proba).toEqual(serial.proba);
    expect(parallel.labels).toEqual(serial.labels);
  });
});

async function saved(model: TrainedModel): Promise<string> {
  const dir = await tmp();
  await model.save(dir);
  return dir;
}

describe("histogram engine: save and load", () => {
  it("writes model.json and forest.bin, and loads identical predictions", async () => {
    const dir = join(await tmp(), "nested", "model");
    await classifier.save(dir);
    await classifier.save(dir); // overwriting leaves no temporary file
    expect((await readdir(dir)).sort()).toEqual([FOREST_FILE, "model.json"]);
    const file = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as HistogramModelFile;
    expect(file).toMatchObject({
      format: "lolpop.random-forest.model",
      format_version: 2,
      engine: "histogram",
      trainer: "RandomForestModelTrainer",
      library: { name: "@lolpop/random-forest" },
      problem_type: "classification",
      feature_names: peng.d.featureNames,
      classes: SPECIES,
      forest: { file: FOREST_FILE, binary_version: 1, trees: 40 },
    });
    const bin = await readFile(join(dir, FOREST_FILE));
    expect(bin.length).toBe(file.forest.bytes);
    expect(decodeForest(new Uint8Array(bin)).nTrees).toBe(40);

    // Loads with any configured engine.
    for (const engine of ["histogram", "ml-random-forest"]) {
      const loaded = await (await trainer({ engine })).load(dir);
      expect(loaded).toBeInstanceOf(HistogramForestModel);
      const pred = (await loaded.predict(peng.Xtest)) as ClassificationPredictions;
      expect(pred.proba).toEqual(classifierPred.proba);
      expect(pred.labels).toEqual(classifierPred.labels);
      expect(loaded.params).toEqual(classifier.params);
      expect(loaded.feature_importance!()).toEqual(classifier.feature_importance!());
      expect(loaded.classes).toEqual(SPECIES);
    }
  });

  it("round-trips a regressor", async () => {
    const loaded = await (await trainer()).load(await saved(regressor));
    expect(((await loaded.predict(car.Xtest)) as RegressionPredictions).values).toEqual(regressorPred.values);
    expect(loaded.problem_type).toBe("regression");
  });

  it("is far smaller than the ml-random-forest JSON for the same forest size", async () => {
    const params = { training_params: { n_estimators: 20, max_depth: 6 }, seed: 3 };
    const hist = await (await trainer(params)).fit({ problem_type: "classification", X: peng.X, y: peng.y });
    const ml = await (await trainer({ ...params, engine: "ml-random-forest" })).fit({
      problem_type: "classification",
      X: peng.X,
      y: peng.y,
    });
    const size = async (m: TrainedModel) => {
      const dir = await saved(m);
      let total = 0;
      for (const f of await readdir(dir)) total += (await readFile(join(dir, f))).length;
      return total;
    };
    expect(ml).toBeInstanceOf(RandomForestModel);
    expect(await size(hist)).toBeLessThan((await size(ml)) / 2);
  });

  it("refuses a damaged, missing or mismatched forest.bin, naming the file", async () => {
    const dir = await saved(classifier);
    const bin = await readFile(join(dir, FOREST_FILE));
    const flipped = Buffer.from(bin);
    flipped[100] = flipped[100]! ^ 0xff;
    await writeFile(join(dir, FOREST_FILE), flipped);
    const err = await (await trainer()).load(dir).catch((e) => e);
    expect(StoreError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/forest\.bin does not match the size and SHA-256/);

    await rm(join(dir, FOREST_FILE));
    await expect((await trainer()).load(dir)).rejects.toThrow(
      /forest\.bin is missing.*copy the whole model folder/,
    );

    await writeFile(join(dir, FOREST_FILE), bin);
    const header = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
    await writeFile(join(dir, "model.json"), JSON.stringify({ ...header, feature_names: ["a", "b"] }));
    await expect((await trainer()).load(dir)).rejects.toThrow(/does not match feature_names and classes/);
    await writeFile(join(dir, "model.json"), JSON.stringify({ ...header, engine: "xgboost" }));
    await expect((await trainer()).load(dir)).rejects.toThrow(/unknown engine "xgboost"/);
    await writeFile(join(dir, "model.json"), JSON.stringify({ ...header, format_version: 3 }));
    await expect((await trainer()).load(dir)).rejects.toThrow(
      /format version 3.*upgrade @lolpop\/random-forest/,
    );
  });
});

describe("histogram engine: seeds, threads and params", () => {
  const d = syntheticClassification({ n: 5000, features: 10, informative: 4, classes: 2, seed: 21 });
  const data = split(d, 1);
  const forestBytes = async (m: TrainedModel) => readFile(join(await saved(m), FOREST_FILE));

  it("gives the same forest for a seed whatever n_jobs is (workers or not)", async () => {
    // 3750 rows x 60 trees is enough work to use worker threads.
    const fitWith = async (n_jobs: number, logs: LogRecord[]) =>
      (await trainer({ n_jobs, training_params: { n_estimators: 60, max_depth: null }, seed: 5 }, logs)).fit({
        problem_type: "classification",
        X: data.X,
        y: data.y,
        classes: d.classes,
      });
    const logs1: LogRecord[] = [];
    const logs2: LogRecord[] = [];
    const logs3: LogRecord[] = [];
    const one = await fitWith(1, logs1);
    const two = await fitWith(2, logs2);
    const three = await fitWith(3, logs3);
    const threads = (logs: LogRecord[]) => logs.find((r) => r.msg.startsWith("fitted 60 trees"))?.threads;
    expect([threads(logs1), threads(logs2), threads(logs3)]).toEqual([1, 2, 3]);
    const bytes = await forestBytes(one);
    expect((await forestBytes(two)).equals(bytes)).toBe(true);
    expect((await forestBytes(three)).equals(bytes)).toBe(true);
    expect(two.feature_importance!()).toEqual(one.feature_importance!());
  });

  it("builds a different forest for a different seed; FitInput.seed and params.seed take precedence", async () => {
    const fit = async (config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      (await trainer({ training_params: { n_estimators: 5, max_depth: 4 }, ...config })).fit({
        problem_type: "classification",
        X: data.X,
        y: data.y,
        ...extra,
      });
    const a = await fit({ seed: 1 });
    const b = await fit({ seed: 2 });
    expect((await forestBytes(a)).equals(await forestBytes(b))).toBe(false);
    const viaInput = await fit({ seed: 1 }, { seed: 2 });
    expect(viaInput.params.seed).toBe(2);
    expect((await forestBytes(viaInput)).equals(await forestBytes(b))).toBe(true);
    expect((await fit({ seed: 1 }, { seed: 2, params: { seed: 9 } })).params.seed).toBe(9);
  });

  it("takes a tuner's params, including engine and n_jobs", async () => {
    const t = await trainer({ training_params: { n_estimators: 5 } });
    const model = await t.fit({
      problem_type: "classification",
      X: data.X,
      y: data.y,
      params: {
        n_estimators: 7,
        max_depth: 3,
        max_features: 0.5,
        min_samples_leaf: 5,
        min_samples_split: 12,
        criterion: "entropy",
        class_weight: { c1: 2 },
        max_bins: 32,
        bootstrap: false,
        max_samples: 0.5,
        n_jobs: 1,
      },
    });
    expect(model.params).toMatchObject({
      engine: "histogram",
      n_estimators: 7,
      max_depth: 3,
      max_features: 0.5,
      min_samples_leaf: 5,
      min_samples_split: 12,
      criterion: "entropy",
      class_weight: { c1: 2 },
      max_bins: 32,
      bootstrap: false,
      max_samples: 0.5,
    });
    expect(model.params).not.toHaveProperty("n_jobs");
    const small = await t.fit({
      problem_type: "classification",
      X: data.X.head(300),
      y: data.train.head(300).column("y"),
      params: { engine: "ml-random-forest", n_estimators: 3, max_depth: 3 },
    });
    expect(small).toBeInstanceOf(RandomForestModel);
    expect(small.params.engine).toBe("ml-random-forest");
  });

  it("subsamples without replacement when bootstrap is false and max_samples < 1", async () => {
    const fit = (training_params: Record<string, unknown>) =>
      trainer({ training_params: { n_estimators: 4, max_depth: null, ...training_params }, seed: 3 }).then(
        (t) => t.fit({ problem_type: "classification", X: data.X, y: data.y }),
      );
    const all = decodeForest(new Uint8Array(await forestBytes(await fit({ bootstrap: false }))));
    const half = decodeForest(
      new Uint8Array(await forestBytes(await fit({ bootstrap: false, max_samples: 0.3 }))),
    );
    // Fewer rows per tree, smaller trees.
    expect(half.feature.length).toBeLessThan(all.feature.length * 0.6);
  });

  it("rejects bad params from the config or a tuner, naming each", async () => {
    const bad = await trainer({
      training_params: { max_bins: 300, min_samples_leaf: 0, criterion: "mae", class_weight: "even" },
      n_jobs: 0,
    }).catch((e) => e);
    expect(ConfigError.isInstance(bad)).toBe(true);
    for (const key of ["max_bins", "min_samples_leaf", "criterion", "class_weight", "n_jobs"])
      expect(bad.message).toMatch(new RegExp(key));
    const t = await trainer();
    const fit = (
      params: Record<string, unknown>,
      problem_type: "classification" | "regression" = "classification",
    ) => t.fit({ problem_type, X: data.X, y: problem_type === "regression" ? car.y : data.y, params });
    await expect(fit({ engine: "catboost" })).rejects.toThrow(
      /engine must be one of "histogram", "ml-random-forest"/,
    );
    await expect(fit({ n_jobs: -1 })).rejects.toThrow(/n_jobs must be an integer >= 1 or null/);
    await expect(fit({ criterion: "squared_error" })).rejects.toThrow(/"squared_error" is for regression/);
    await expect(fit({ class_weight: { c7: 2 } })).rejects.toThrow(/class_weight names label\(s\) "c7"/);
    await expect(fit({ max_features: 11 })).rejects.toThrow(/only 10 feature/);
    const reg = await trainer();
    await expect(
      reg.fit({ problem_type: "regression", X: car.X, y: car.y, params: { criterion: "gini" } }),
    ).rejects.toThrow(/"gini" is for classification/);
    await expect(
      reg.fit({ problem_type: "regression", X: car.X, y: car.y, params: { class_weight: "balanced" } }),
    ).rejects.toThrow(/class_weight only applies to classification/);
  });
});

describe("histogram engine: missing values and inputs", () => {
  it("routes missing values by a learned direction, also when only some rows miss a value", async () => {
    // Class c0 misses x0 half of the time; c1 never does; x0's values carry no signal.
    const d = syntheticClassification({ n: 3000, features: 4, informative: 2, classes: 2, seed: 3 });
    const x0 = Float64Array.from(d.columns[3]!);
    d.y.forEach((c, i) => {
      if (c === 0 && i % 2 === 0) x0[i] = Number.NaN;
    });
    d.columns[3] = x0;
    const data = split(d, 4);
    const model = await (await trainer({ training_params: { n_estimators: 30, max_depth: null } })).fit({
      problem_type: "classification",
      X: data.X,
      y: data.y,
      classes: d.classes,
    });
    const pred = (await model.predict(data.Xtest)) as ClassificationPredictions;
    // Every test row missing x3 is c0, and the forest learned that missing values of x3 mean c0.
    const rows = Array.from(data.Xtest.numeric("x3").keys()).filter((i) =>
      Number.isNaN(data.Xtest.numeric("x3")[i]!),
    );
    expect(rows.length).toBeGreaterThan(100);
    const meanP0 = rows.reduce((s, i) => s + pred.proba![i * 2]!, 0) / rows.length;
    expect(meanP0).toBeGreaterThan(0.9);
    expect(rows.every((i) => pred.labels[i] === 0)).toBe(true);
    expect(accuracy(pred, data.test)).toBeGreaterThan(0.85);
    expect(model.feature_importance!()!.x3!).toBeGreaterThan(0.1);
  });

  it("fits all-missing and constant features without failing", async () => {
    const X = Table.fromColumns({
      a: Float64Array.from({ length: 50 }, (_, i) => i),
      empty: new Float64Array(50).fill(Number.NaN),
      constant: new Float64Array(50).fill(3),
    });
    const y = Table.fromColumns({ y: Array.from({ length: 50 }, (_, i) => (i < 25 ? "lo" : "hi")) }).column(
      "y",
    );
    const model = await (await trainer({ training_params: { n_estimators: 5 } })).fit({
      problem_type: "classification",
      X,
      y,
    });
    const pred = (await model.predict(X)) as ClassificationPredictions;
    pred.labels.forEach((label, i) => expect(pred.classes[label]).toBe(i < 25 ? "lo" : "hi"));
    expect(model.feature_importance!()).toEqual({ a: 1, empty: 0, constant: 0 });
  });

  it("shares the input checks of the trainer", async () => {
    const t = await trainer();
    const X = peng.X.withColumn(
      "island",
      Array.from({ length: peng.X.numRows }, () => "Dream"),
    );
    const err = await t.fit({ problem_type: "classification", X, y: peng.y }).catch((e) => e);
    expect(DataError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/"island".*LocalFeatureTransformer/);
    await expect(classifier.predict(peng.Xtest.drop(["Body Mass (g)"]))).rejects.toThrow(
      /missing feature column\(s\) "Body Mass \(g\)"/,
    );
    const one = Table.fromColumns({ a: [1] });
    await expect(
      t.fit({ problem_type: "regression", X: one, y: Table.fromColumns({ y: [1] }).column("y") }),
    ).rejects.toThrow(/at least 2 training rows/);
  });
});

describe("histogram engine: cancellation", () => {
  const d = syntheticClassification({ n: 20_000, features: 10, informative: 5, classes: 2, seed: 6 });
  const t = toTable(d);
  const fit = async (n_jobs: number, signal: AbortSignal) =>
    (await trainer({ n_jobs, training_params: { n_estimators: 20_000, max_depth: null } })).fit({
      problem_type: "classification",
      X: t.drop(["y"]),
      y: t.column("y"),
      signal,
    });

  // 20,000 unlimited trees on 20k rows take hours (a tenth of a second or more per tree): a fit that
  // noticed the signal only at its end would fail these tests by their timeout.
  it.each([1, 2])("stops a long fit when the signal aborts mid-fit (n_jobs %i)", async (n_jobs) => {
    const ac = new AbortController();
    setTimeout(() => ac.abort("stop"), 300);
    const err = await fit(n_jobs, ac.signal).catch((e) => e);
    expect(CancelledError.isInstance(err)).toBe(true);
  });

  it("does not start when already aborted", async () => {
    const ac = new AbortController();
    ac.abort("stop");
    const err = await fit(2, ac.signal).catch((e) => e);
    expect(CancelledError.isInstance(err)).toBe(true);
  });
});
