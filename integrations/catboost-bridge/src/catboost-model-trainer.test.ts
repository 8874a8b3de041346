// CatBoostModelTrainer against the real catboost from PyPI (the venv built by `pnpm python:setup`).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ClassificationPredictions,
  ConfigError,
  DataError,
  getPlugin,
  instantiateComponent,
  type RegressionPredictions,
  resolveType,
  StoreError,
  Table,
} from "@lolpop/core";
import { PythonCallError } from "@lolpop/python-bridge";
import {
  removeTempDirs as cleanTemp,
  makeTrainer,
  maxRelativeDiff,
  packageDir,
  readJson,
  repoRoot,
  synthetic,
  tempDir,
  venvPythonForTests,
} from "../test/helpers.js";
import plugin, {
  type CatBoostModel,
  type CatBoostModelMeta,
  catboostModelTrainer,
  closeCatBoostWorkers,
} from "./index.js";

afterAll(() => cleanTemp());

/** Per-test timeout: jest's testTimeout is not applied per project when the root config runs every package. */
const TIMEOUT = 120_000;

const data = synthetic(1500, 5, 11);
const holdout = synthetic(400, 5, 12);
const tmp = () => tempDir("lolpop-catboost-");

afterAll(async () => {
  await closeCatBoostWorkers();
});

function accuracy(p: ClassificationPredictions, y: ReturnType<typeof synthetic>["y"]["binary"]): number {
  const col = y as { codes: Int32Array; dictionary: readonly string[] };
  let ok = 0;
  for (let i = 0; i < p.labels.length; i++)
    if (p.classes[p.labels[i]!] === col.dictionary[col.codes[i]!]) ok++;
  return ok / p.labels.length;
}

describe("plugin and config", () => {
  it(
    "registers CatBoostModelTrainer from its manifest",
    () => {
      const pkg = readJson<{ lolpop: { components: unknown[] }; name: string }>(
        join(packageDir, "package.json"),
      );
      expect(pkg.lolpop.components).toEqual([{ kind: "model_trainer", type: "CatBoostModelTrainer" }]);
      expect(getPlugin(pkg.name)).toBe(plugin);
      expect(resolveType("CatBoostModelTrainer")?.kind).toBe("model_trainer");
    },
    TIMEOUT,
  );

  it(
    "rejects bad common params, reserved pass-through params and wrong losses, naming each YAML path",
    async () => {
      const err = await instantiateComponent(catboostModelTrainer, {
        path: "train.model_trainer",
        config: { training_params: { depth: 0, iterations: "many", colsample: 1 } },
      }).catch((e) => e);
      expect(ConfigError.isInstance(err)).toBe(true);
      const paths = (err as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          "train.model_trainer.config.training_params.depth",
          "train.model_trainer.config.training_params.iterations",
          "train.model_trainer.config.training_params.colsample",
        ]),
      );
      const reserved = await instantiateComponent(catboostModelTrainer, {
        path: "train.model_trainer",
        config: { extra_params: { random_seed: 3, depth: 4 } },
      }).catch((e) => e);
      expect(reserved.message).toMatch(
        /extra_params\.random_seed: random_seed is set by CatBoostModelTrainer itself \(use seed\)/,
      );
      expect(reserved.message).toMatch(/extra_params\.depth: depth is a common parameter/);
      const loss = await instantiateComponent(catboostModelTrainer, {
        path: "train.model_trainer",
        problemType: "regression",
        config: { training_params: { loss_function: "MultiClass" } },
      }).catch((e) => e);
      expect(loss.message).toMatch(/loss_function "MultiClass" is not a regression loss/);
    },
    TIMEOUT,
  );

  it(
    "passes unknown CatBoost params through, and CatBoost's own error names a wrong one",
    async () => {
      const { trainer } = await makeTrainer({
        training_params: { iterations: 20 },
        extra_params: { leaf_estimation_iterations: 2 },
      });
      const m = await trainer.fit({ problem_type: "regression", X: data.numeric, y: data.y.regression });
      expect(m.params).toMatchObject({ leaf_estimation_iterations: 2, iterations: 20, seed: 42 });
      const bad = await trainer
        .fit({
          problem_type: "regression",
          X: data.numeric,
          y: data.y.regression,
          params: { no_such_param: 1 },
        })
        .catch((e) => e);
      expect(PythonCallError.isInstance(bad)).toBe(true);
      expect(bad.message).toMatch(/unexpected keyword argument 'no_such_param'/);
      expect(bad.message).toMatch(/Python traceback/);
    },
    TIMEOUT,
  );
});

describe("training and prediction", () => {
  it(
    "binary classification: native scoring equals CatBoost's, probabilities, labels, importance",
    async () => {
      const { trainer, logger } = await makeTrainer({ training_params: { iterations: 150 } });
      const m = (await trainer.fit({
        problem_type: "classification",
        X: data.numeric,
        y: data.y.binary,
        classes: ["no", "yes"],
      })) as CatBoostModel;
      expect(m.scoring).toBe("native");
      expect(
        logger.lines.some((l) => l.level === "info" && /computed natively in TypeScript/.test(l.msg)),
      ).toBe(true);
      const p = (await m.predict(holdout.numeric)) as ClassificationPredictions;
      const py = (await m.predict(holdout.numeric, { scoring: "python" })) as ClassificationPredictions;
      expect(maxRelativeDiff(p.proba!, py.proba!)).toBeLessThan(1e-9);
      expect(p.classes).toEqual(["no", "yes"]);
      for (let i = 0; i < 400; i++) expect(p.proba![2 * i]! + p.proba![2 * i + 1]!).toBeCloseTo(1, 12);
      expect(Array.from(p.labels)).toEqual(Array.from(py.labels));
      // The target also depends on a category this model does not see: beat the majority class clearly.
      const yes = (holdout.y.binary as { codes: Int32Array; dictionary: readonly string[] }).codes.filter(
        (c) => holdout.y.binary.type === "categorical" && holdout.y.binary.dictionary[c] === "yes",
      ).length;
      expect(accuracy(p, holdout.y.binary)).toBeGreaterThan(Math.max(yes, 400 - yes) / 400 + 0.1);
      const fi = m.feature_importance!()!;
      expect(Object.keys(fi)).toEqual(["x0", "x1", "x2", "x3", "x4"]);
      expect(Object.values(fi).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(fi.x0).toBeGreaterThan(fi.x4!);
      expect(m.params).toMatchObject({ iterations: 150, depth: 6, loss_function: "Logloss", seed: 42 });
    },
    TIMEOUT,
  );

  it(
    "multiclass with a categorical feature: passed as a CatBoost categorical feature, scored in Python",
    async () => {
      const { trainer, logger } = await makeTrainer({ training_params: { iterations: 150 } });
      const m = (await trainer.fit({
        problem_type: "classification",
        X: data.withCategory,
        y: data.y.multi,
      })) as CatBoostModel;
      expect(m.cat_features).toEqual(["color"]);
      expect(m.classes).toEqual(["high", "low", "mid"]);
      expect(m.scoring).toBe("python");
      expect(
        logger.lines.some((l) =>
          /CatBoost in Python: the model has categorical features \("color"\)/.test(l.msg),
        ),
      ).toBe(true);
      const p = (await m.predict(holdout.withCategory)) as ClassificationPredictions;
      expect(p.proba).toHaveLength(400 * 3);
      expect(accuracy(p, holdout.y.multi)).toBeGreaterThan(0.7);
      // The category matters: the model without it does worse.
      const mNum = await trainer.fit({ problem_type: "classification", X: data.numeric, y: data.y.multi });
      expect(accuracy(p, holdout.y.multi)).toBeGreaterThan(
        accuracy((await mNum.predict(holdout.numeric)) as ClassificationPredictions, holdout.y.multi),
      );
      expect(m.feature_importance!()!.color).toBeGreaterThan(0.05);
      // Unseen and missing categories are handled, not thrown on.
      const odd = holdout.withCategory.slice(0, 3).withColumn("color", ["purple", null, "red"]);
      expect(((await m.predict(odd)) as ClassificationPredictions).labels).toHaveLength(3);
      await expect(m.predict(holdout.numeric)).rejects.toThrow(/missing feature column\(s\) "color"/);
      const none = (await m.predict(holdout.withCategory.slice(0, 0))) as ClassificationPredictions;
      expect(none.labels).toHaveLength(0);
      expect(none.proba).toHaveLength(0);
    },
    TIMEOUT,
  );

  it(
    "regression, with numeric columns declared categorical through cat_features",
    async () => {
      const codes = Float64Array.from(
        data.withCategory.values("color"),
        (c) => ({ red: 1, green: 2, blue: 3 })[c as string]!,
      );
      const X = data.numeric.withColumn("color_code", codes);
      const hX = holdout.numeric.withColumn(
        "color_code",
        Float64Array.from(
          holdout.withCategory.values("color"),
          (c) => ({ red: 1, green: 2, blue: 3 })[c as string]!,
        ),
      );
      const { trainer } = await makeTrainer({
        training_params: { iterations: 150 },
        cat_features: ["color_code"],
      });
      const m = (await trainer.fit({ problem_type: "regression", X, y: data.y.regression })) as CatBoostModel;
      expect(m.cat_features).toEqual(["color_code"]);
      const p = (await m.predict(hX)) as RegressionPredictions;
      const y = holdout.y.regression as { values: Float64Array };
      let sse = 0;
      let sst = 0;
      const mean = y.values.reduce((a, b) => a + b, 0) / y.values.length;
      for (let i = 0; i < y.values.length; i++) {
        sse += (p.values[i]! - y.values[i]!) ** 2;
        sst += (y.values[i]! - mean) ** 2;
      }
      expect(1 - sse / sst).toBeGreaterThan(0.7);
      const { trainer: t2 } = await makeTrainer({ cat_features: ["nope"] });
      await expect(t2.fit({ problem_type: "regression", X, y: data.y.regression })).rejects.toThrow(
        /cat_features names column\(s\) "nope" that are not feature columns/,
      );
    },
    TIMEOUT,
  );

  it(
    "early stopping on the valid split keeps the trees up to the best iteration",
    async () => {
      const { trainer } = await makeTrainer({
        training_params: { iterations: 3000, learning_rate: 0.3, early_stopping_rounds: 20 },
      });
      const m = (await trainer.fit({
        problem_type: "classification",
        X: data.numeric,
        y: data.y.binary,
        valid: { X: holdout.numeric, y: holdout.y.binary },
      })) as CatBoostModel;
      expect(m.meta.best_iteration).not.toBeNull();
      expect(m.tree_count).toBeLessThan(3000);
      expect(m.tree_count).toBe(m.meta.best_iteration! + 1);
      expect(m.meta.best_score.validation).toHaveProperty("Logloss");
      // Without a valid split every iteration is trained.
      const { trainer: t2, logger } = await makeTrainer({
        training_params: { iterations: 60, early_stopping_rounds: 5 },
      });
      const all = (await t2.fit({
        problem_type: "classification",
        X: data.numeric,
        y: data.y.binary,
      })) as CatBoostModel;
      expect(all.tree_count).toBe(60);
      expect(logger.lines.some((l) => l.level === "warn" && /no valid split/.test(l.msg))).toBe(true);
    },
    TIMEOUT,
  );

  it(
    "is deterministic for a seed, and a tuner's params (including seed) override the config",
    async () => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 40 }, thread_count: 1 });
      const a = await trainer.fit({
        problem_type: "regression",
        X: data.numeric,
        y: data.y.regression,
        seed: 5,
      });
      const b = await trainer.fit({
        problem_type: "regression",
        X: data.numeric,
        y: data.y.regression,
        seed: 5,
      });
      const c = await trainer.fit({
        problem_type: "regression",
        X: data.numeric,
        y: data.y.regression,
        seed: 5,
        params: { seed: 6, depth: 3 },
      });
      const pa = ((await a.predict(holdout.numeric)) as RegressionPredictions).values;
      expect(((await b.predict(holdout.numeric)) as RegressionPredictions).values).toEqual(pa);
      expect(((await c.predict(holdout.numeric)) as RegressionPredictions).values).not.toEqual(pa);
      expect(c.params).toMatchObject({ seed: 6, depth: 3 });
      // Refitting with the model's own params (what the workflow does with refit_on_all_data) works.
      const refit = await trainer.fit({
        problem_type: "regression",
        X: data.numeric,
        y: data.y.regression,
        params: c.params,
      });
      expect(((await refit.predict(holdout.numeric)) as RegressionPredictions).values).toEqual(
        ((await c.predict(holdout.numeric)) as RegressionPredictions).values,
      );
    },
    TIMEOUT,
  );

  it(
    "reports bad data before starting Python",
    async () => {
      const { trainer } = await makeTrainer();
      await expect(
        trainer.fit({ problem_type: "classification", X: data.numeric, y: data.y.binary, classes: ["no"] }),
      ).rejects.toThrow(/at least 2 classes/);
      await expect(
        trainer.fit({
          problem_type: "classification",
          X: data.numeric,
          y: data.y.binary,
          classes: ["no", "maybe"],
        }),
      ).rejects.toThrow(/label\(s\) "yes" that are not among the classes/);
      await expect(
        trainer.fit({ problem_type: "regression", X: data.numeric, y: data.y.binary }),
      ).rejects.toThrow(DataError);
      await expect(
        trainer.fit({ problem_type: "regression", X: Table.fromColumns({ a: [1] }), y: data.y.regression }),
      ).rejects.toThrow(/at least 2 training rows/);
    },
    TIMEOUT,
  );
});

describe("save and load", () => {
  it(
    "round-trips a numeric model: .cbm, .json and metadata; loading and predicting need no Python",
    async () => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 80 } });
      const m = (await trainer.fit({
        problem_type: "classification",
        X: data.numeric,
        y: data.y.multi,
      })) as CatBoostModel;
      const dir = tmp();
      await m.save(dir);
      expect(readdirSync(dir).sort()).toEqual(["lolpop-catboost.json", "model.cbm", "model.json"]);
      const meta = readJson<CatBoostModelMeta>(join(dir, "lolpop-catboost.json"));
      expect(meta).toMatchObject({
        format: "lolpop.catboost.model",
        format_version: 1,
        catboost_version: "1.2.10",
        problem_type: "classification",
        classes: ["high", "low", "mid"],
        loss_function: "MultiClass",
        tree_count: 80,
        native: { supported: true },
      });
      expect(readFileSync(join(dir, "model.json"), "utf8")).toMatch(/"oblivious_trees"/);
      // A trainer whose Python does not exist still loads and predicts this model.
      const offline = (await instantiateComponent(catboostModelTrainer, {
        config: { python: "/nonexistent/python3" },
        project: { root: repoRoot },
      })) as unknown as { load(d: string): Promise<CatBoostModel> };
      const loaded = await offline.load(dir);
      expect(loaded.scoring).toBe("native");
      const before = (await m.predict(holdout.numeric)) as ClassificationPredictions;
      const after = (await loaded.predict(holdout.numeric)) as ClassificationPredictions;
      expect(after.proba).toEqual(before.proba);
      expect(loaded.feature_importance()).toEqual(m.feature_importance());
      // Python loads the .cbm and agrees.
      const { trainer: withPython } = await makeTrainer();
      const viaPython = (await withPython.load(dir)) as CatBoostModel;
      const py = (await viaPython.predict(holdout.numeric, {
        scoring: "python",
      })) as ClassificationPredictions;
      expect(maxRelativeDiff(py.proba!, before.proba!)).toBeLessThan(1e-9);
    },
    TIMEOUT,
  );

  it(
    "round-trips a categorical model through the .cbm, also after the worker restarts",
    async () => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 80 } });
      const m = (await trainer.fit({
        problem_type: "regression",
        X: data.withCategory,
        y: data.y.regression,
      })) as CatBoostModel;
      const dir = tmp();
      await m.save(dir);
      const before = ((await m.predict(holdout.withCategory)) as RegressionPredictions).values;
      const { trainer: t2 } = await makeTrainer();
      const loaded = (await t2.load(dir)) as CatBoostModel;
      expect(loaded.scoring).toBe("python");
      expect(((await loaded.predict(holdout.withCategory)) as RegressionPredictions).values).toEqual(before);
      const { catboostWorker } = await import("./catboost-worker.js");
      const worker = catboostWorker({ python: venvPythonForTests(), projectRoot: repoRoot });
      await worker.kill();
      expect(((await loaded.predict(holdout.withCategory)) as RegressionPredictions).values).toEqual(before);
      expect(((await m.predict(holdout.withCategory)) as RegressionPredictions).values).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    "native_scoring: never forces Python, always refuses models that need it",
    async () => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 20 }, native_scoring: "never" });
      const m = (await trainer.fit({
        problem_type: "regression",
        X: data.numeric,
        y: data.y.regression,
      })) as CatBoostModel;
      expect(m.scoring).toBe("python");
      expect(m.scoring_reason).toMatch(/native_scoring is never/);
      const { trainer: strict } = await makeTrainer({
        training_params: { iterations: 20 },
        native_scoring: "always",
      });
      await expect(
        strict.fit({ problem_type: "regression", X: data.withCategory, y: data.y.regression }),
      ).rejects.toThrow(
        /native_scoring is "always" but this model cannot be scored natively: the model has categorical features/,
      );
    },
    TIMEOUT,
  );

  it(
    "names what is wrong with a damaged model folder",
    async () => {
      const { trainer } = await makeTrainer();
      const empty = tmp();
      const err = await trainer.load(empty).catch((e) => e);
      expect(StoreError.isInstance(err)).toBe(true);
      expect(err.message).toMatch(
        /no lolpop-catboost\.json in .*: it is not a model saved by CatBoostModelTrainer/,
      );
    },
    TIMEOUT,
  );
});
