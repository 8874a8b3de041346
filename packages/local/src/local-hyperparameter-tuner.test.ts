import {
  CancelledError,
  type Column,
  ConfigError,
  DataError,
  defineComponent,
  definePlugin,
  type FitInput,
  instantiateComponent,
  LolpopError,
  type Orchestrator,
  type Predictions,
  registerPlugin,
  Table,
  type TrainedModel,
  type TuningInput,
} from "@lolpop/core";
import { computeMetric } from "@lolpop/core/metrics";
import {
  type FailedTrialResult,
  type LocalHyperparameterTuner,
  localHyperparameterTuner,
  planTrials,
} from "./local-hyperparameter-tuner.js";

// ---------------------------------------------------------------- a tiny real trainer: k nearest neighbours

interface FitRecord {
  trainer: string;
  params: Record<string, unknown>;
  seed?: number;
  config: Record<string, unknown>;
  hasSignal: boolean;
}
const fits: FitRecord[] = [];
/** Called at the start of every fit (tests use it to abort mid-search). */
let onFit: (input: FitInput) => void = () => {};

function features(X: Table): Float64Array[] {
  return X.columnNames.map((n) => X.numeric(n));
}

function knnModel(type: string, input: FitInput, k: number): TrainedModel {
  const train = features(input.X);
  const n = input.X.numRows;
  const classes = input.classes ?? [];
  const yCodes = new Int32Array(n);
  const yValues = new Float64Array(n);
  if (input.problem_type === "classification") {
    const y = input.y;
    if (y.type !== "categorical") throw new Error("classification needs a categorical target");
    for (let i = 0; i < n; i++) yCodes[i] = classes.indexOf(y.dictionary[y.codes[i]!]!);
  } else {
    yValues.set((input.y as Extract<Column, { type: "numeric" }>).values);
  }
  return {
    trainer: type,
    problem_type: input.problem_type,
    params: { k },
    feature_names: input.X.columnNames,
    ...(input.problem_type === "classification" ? { classes } : {}),
    async predict(X: Table): Promise<Predictions> {
      const cols = features(X);
      const m = X.numRows;
      const labels = new Int32Array(m);
      const proba = new Float64Array(m * classes.length);
      const values = new Float64Array(m);
      for (let r = 0; r < m; r++) {
        const dist = Array.from({ length: n }, (_, i) => {
          let d = 0;
          for (let c = 0; c < cols.length; c++) d += (cols[c]![r]! - train[c]![i]!) ** 2;
          return [d, i] as const;
        }).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        const near = dist.slice(0, Math.min(k, n)).map(([, i]) => i);
        if (input.problem_type === "classification") {
          const votes = new Array(classes.length).fill(0);
          for (const i of near) votes[yCodes[i]!]++;
          let best = 0;
          for (let c = 1; c < votes.length; c++) if (votes[c] > votes[best]) best = c;
          labels[r] = best;
          for (let c = 0; c < classes.length; c++) proba[r * classes.length + c] = votes[c] / near.length;
        } else {
          values[r] = near.reduce((s, i) => s + yValues[i]!, 0) / near.length;
        }
      }
      return input.problem_type === "classification"
        ? { problem_type: "classification", classes, labels, proba }
        : { problem_type: "regression", values };
    },
    async save() {},
  };
}

const knnTrainer = defineComponent<"model_trainer", { training_params: Record<string, unknown> }>({
  kind: "model_trainer",
  type: "TestKnnModelTrainer",
  configSchema: {
    type: "object",
    properties: { training_params: { type: "object", description: "defaults", default: {} } },
    additionalProperties: false,
  },
  create: (ctx) => ({
    async fit(input) {
      fits.push({
        trainer: ctx.type,
        params: { ...input.params },
        seed: input.seed,
        config: structuredClone(ctx.config),
        hasSignal: input.signal !== undefined,
      });
      onFit(input);
      if (input.params?.fail === true) throw new Error("this combination cannot be fitted");
      return knnModel(ctx.type, input, Number(input.params?.k ?? ctx.config.training_params.k ?? 1));
    },
    async load() {
      throw new Error("not used");
    },
  }),
});

/** A second trainer type: predicts the majority class (or mean) whatever the params. */
const majorityTrainer = defineComponent<"model_trainer">({
  kind: "model_trainer",
  type: "TestMajorityModelTrainer",
  create: (ctx) => ({
    async fit(input) {
      fits.push({
        trainer: ctx.type,
        params: { ...input.params },
        seed: input.seed,
        config: structuredClone(ctx.config),
        hasSignal: input.signal !== undefined,
      });
      onFit(input);
      return knnModel(ctx.type, input, input.X.numRows);
    },
    async load() {
      throw new Error("not used");
    },
  }),
});

registerPlugin(
  definePlugin({ name: "tuner-test-trainers", version: "0.0.0", components: [knnTrainer, majorityTrainer] }),
);

// ---------------------------------------------------------------- data

/** x in [0, 1); class b when x > 0.5, with a few flipped labels in train (so k=1 overfits). */
function classificationData(): Pick<TuningInput, "problem_type" | "train" | "valid" | "classes"> {
  const n = 40;
  const flip = new Set([3, 11, 25, 30, 37]);
  const xTrain = Array.from({ length: n }, (_, i) => i / n);
  const yTrain = xTrain.map((x, i) => (x > 0.5 !== flip.has(i) ? "b" : "a"));
  const xValid = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
  const yValid = xValid.map((x) => (x > 0.5 ? "b" : "a"));
  return {
    problem_type: "classification",
    classes: ["a", "b"],
    train: { X: Table.fromColumns({ x: xTrain }), y: Table.fromColumns({ y: yTrain }).column("y") },
    valid: { X: Table.fromColumns({ x: xValid }), y: Table.fromColumns({ y: yValid }).column("y") },
  };
}

function regressionData(): Pick<TuningInput, "problem_type" | "train" | "valid"> {
  const n = 30;
  const noise = (i: number) => (((i * 7919) % 13) - 6) / 20;
  const xTrain = Array.from({ length: n }, (_, i) => i / n);
  const xValid = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
  return {
    problem_type: "regression",
    train: {
      X: Table.fromColumns({ x: xTrain }),
      y: Table.fromColumns({ y: xTrain.map((x, i) => 3 * x + noise(i)) }).column("y"),
    },
    valid: {
      X: Table.fromColumns({ x: xValid }),
      y: Table.fromColumns({ y: xValid.map((x) => 3 * x) }).column("y"),
    },
  };
}

async function tuner(
  config: Record<string, unknown>,
  orchestrator?: Orchestrator,
): Promise<LocalHyperparameterTuner> {
  return (await instantiateComponent(localHyperparameterTuner, {
    config,
    ...(orchestrator ? { orchestrator } : {}),
  })) as LocalHyperparameterTuner;
}

beforeEach(() => {
  fits.length = 0;
  onFit = () => {};
});

// ---------------------------------------------------------------- tests

describe("LocalHyperparameterTuner", () => {
  it("runs every grid combination in order and picks the best valid score", async () => {
    const t = await tuner({
      training_params: { TestKnnModelTrainer: { k: [1, 3, 7, 39] }, TestMajorityModelTrainer: {} },
    });
    const data = classificationData();
    const result = await t.run_experiment({ ...data, perf_metric: "accuracy" });
    expect(result.trials.map((r) => [r.trainer, r.params])).toEqual([
      ["TestKnnModelTrainer", { k: 1 }],
      ["TestKnnModelTrainer", { k: 3 }],
      ["TestKnnModelTrainer", { k: 7 }],
      ["TestKnnModelTrainer", { k: 39 }],
      ["TestMajorityModelTrainer", {}],
    ]);
    const scores = result.trials.map((r) => r.metrics.valid!.accuracy!);
    const bestScore = Math.max(...scores);
    expect(result.best.metrics.valid!.accuracy).toBe(bestScore);
    expect(result.best.params).toEqual(result.trials[scores.indexOf(bestScore)]!.params);
    expect(result.best.params.k).not.toBe(1); // k=1 copies the flipped labels
    // The winning model is real: its predictions reproduce the recorded score.
    expect(computeMetric("accuracy", data.valid.y, await result.best.model.predict(data.valid.X))).toBe(
      bestScore,
    );
    for (const r of result.trials) {
      expect(typeof r.metrics.train!.accuracy).toBe("number");
      expect(r.duration_ms).toBeGreaterThanOrEqual(0);
    }
    // One fresh trainer per trial, the configured seed, a signal, and no leaked tuner training_params.
    expect(fits).toHaveLength(5);
    expect(fits.every((f) => f.seed === 42 && f.hasSignal)).toBe(true);
    expect(fits[0]!.config.training_params).toEqual({});
  });

  it("keeps the first trial on ties", async () => {
    const t = await tuner({
      training_params: { TestKnnModelTrainer: { k: 5, tag: ["first", "second", "third"] } },
    });
    const result = await t.run_experiment({ ...classificationData(), perf_metric: "f1_macro" });
    expect(new Set(result.trials.map((r) => r.metrics.valid!.f1_macro)).size).toBe(1);
    expect(result.best.params).toEqual({ k: 5, tag: "first" });
  });

  it("minimizes lower-is-better metrics", async () => {
    const t = await tuner({ training_params: { TestKnnModelTrainer: { k: [1, 3, 30] } } });
    const result = await t.run_experiment({ ...regressionData(), perf_metric: "rmse", seed: 7 });
    const scores = result.trials.map((r) => r.metrics.valid!.rmse!);
    expect(result.best.metrics.valid!.rmse).toBe(Math.min(...scores));
    expect(result.best.params.k).toBe(3);
    expect(fits.every((f) => f.seed === 7)).toBe(true); // the input's seed wins over the config's
  });

  it("random search draws distinct combinations, deterministically for a seed", async () => {
    const config = {
      method: "random",
      n_trials: 4,
      training_params: {
        TestKnnModelTrainer: { k: [1, 2, 3, 4, 5, 6, 7, 8], w: ["u", "d"] },
        TestMajorityModelTrainer: { z: [1, 2] },
      },
    };
    const t = await tuner(config);
    const a = t.plan(1);
    expect(a).toHaveLength(4);
    expect(new Set(a.map((p) => JSON.stringify(p))).size).toBe(4);
    expect(t.plan(1)).toEqual(a);
    expect(t.plan(2)).not.toEqual(a);
    const result = await t.run_experiment({ ...classificationData(), perf_metric: "accuracy", seed: 1 });
    expect(result.trials.map((r) => ({ trainer: r.trainer, params: r.params }))).toEqual(a);
    const again = await t.run_experiment({ ...classificationData(), perf_metric: "accuracy", seed: 1 });
    expect(again.trials.map((r) => r.metrics)).toEqual(result.trials.map((r) => r.metrics));
    expect(again.best.params).toEqual(result.best.params);
    // Asking for at least the whole grid runs the whole grid.
    const all = planTrials(
      { method: "random", n_trials: 50, seed: 1, max_trials: 200, training_params: config.training_params },
      1,
    );
    expect(all).toHaveLength(18);
    // Sampling without replacement exhausts a small space exactly.
    const most = planTrials(
      { method: "random", n_trials: 17, seed: 3, max_trials: 200, training_params: config.training_params },
      3,
    );
    expect(new Set(most.map((p) => JSON.stringify(p))).size).toBe(17);
  });

  it("refuses a grid larger than max_trials, naming its size", async () => {
    const err = await tuner({
      training_params: {
        TestKnnModelTrainer: { k: Array.from({ length: 30 }, (_, i) => i + 1), w: [1, 2, 3, 4, 5, 6, 7] },
      },
    }).catch((e) => e);
    expect(ConfigError.isInstance(err)).toBe(true);
    expect(err.message).toContain("210 combinations");
    expect(err.message).toContain("max_trials 200");
    await expect(
      tuner({ max_trials: 2, training_params: { TestKnnModelTrainer: { k: [1, 2, 3] } } }),
    ).rejects.toThrow(/3 combinations/);
    await expect(
      tuner({
        method: "random",
        n_trials: 5,
        max_trials: 2,
        training_params: { TestKnnModelTrainer: { k: [1, 2, 3, 4, 5, 6] } },
      }),
    ).rejects.toThrow(/n_trials 5 is more than max_trials 2/);
    // A huge space is fine for a random search.
    const big = await tuner({
      method: "random",
      n_trials: 3,
      training_params: {
        TestKnnModelTrainer: {
          a: Array.from({ length: 1000 }, (_, i) => i),
          b: Array.from({ length: 1000 }, (_, i) => i),
        },
      },
    });
    expect(big.plan()).toHaveLength(3);
  });

  it("validates its config", async () => {
    await expect(tuner({})).rejects.toThrow(/training_params/);
    await expect(tuner({ training_params: {} })).rejects.toThrow(ConfigError);
    await expect(tuner({ training_params: { TestKnnModelTrainer: { k: [] } } })).rejects.toThrow(
      /TestKnnModelTrainer\.k: an empty list/,
    );
    await expect(tuner({ training_params: { TestKnnModelTrainer: {} }, method: "bayes" })).rejects.toThrow(
      ConfigError,
    );
    await expect(tuner({ training_params: { TestKnnModelTrainer: {} }, extra: 1 })).rejects.toThrow(
      ConfigError,
    );
  });

  it("names unknown trainer types and metrics before fitting anything", async () => {
    const t = await tuner({ training_params: { NoSuchModelTrainer: { k: [1] }, TestKnnModelTrainer: {} } });
    const err = await t.run_experiment({ ...classificationData(), perf_metric: "accuracy" }).catch((e) => e);
    expect(ConfigError.isInstance(err)).toBe(true);
    expect(err.message).toContain("NoSuchModelTrainer");
    const t2 = await tuner({ training_params: { TestKnnModelTrainer: {} } });
    await expect(t2.run_experiment({ ...classificationData(), perf_metric: "acuracy" })).rejects.toThrow(
      DataError,
    );
    expect(fits).toHaveLength(0);
  });

  it("stops between trials when the signal is aborted", async () => {
    const t = await tuner({ training_params: { TestKnnModelTrainer: { k: [1, 2, 3, 4] } } });
    const before = new AbortController();
    before.abort("user pressed ctrl-c");
    await expect(
      t.run_experiment({ ...classificationData(), perf_metric: "accuracy", signal: before.signal }),
    ).rejects.toThrow(CancelledError);
    expect(fits).toHaveLength(0);

    const during = new AbortController();
    onFit = () => {
      if (fits.length === 2) during.abort("enough");
    };
    const err = await t
      .run_experiment({ ...classificationData(), perf_metric: "accuracy", signal: during.signal })
      .catch((e) => e);
    expect(CancelledError.isInstance(err)).toBe(true);
    expect(err.message).toContain("enough");
    expect(fits).toHaveLength(2);
  });

  it("records failed trials and keeps searching; fails when every trial fails", async () => {
    const t = await tuner({ training_params: { TestKnnModelTrainer: { k: 3, fail: [true, false] } } });
    const result = await t.run_experiment({ ...classificationData(), perf_metric: "accuracy" });
    expect(result.trials).toHaveLength(2);
    expect((result.trials[0] as FailedTrialResult).error).toContain("cannot be fitted");
    expect(result.trials[0]!.metrics).toEqual({});
    expect(result.best.params).toEqual({ k: 3, fail: false });

    const bad = await tuner({ training_params: { TestKnnModelTrainer: { fail: true } } });
    const err = await bad
      .run_experiment({ ...classificationData(), perf_metric: "accuracy" })
      .catch((e) => e);
    expect(LolpopError.isInstance(err)).toBe(true);
    expect(err.code).toBe("tuning_failed");
    expect(err.message).toContain("cannot be fitted");
  });

  it("treats a list value wrapped in a list as one fixed value", () => {
    const plan = planTrials(
      {
        method: "grid",
        n_trials: 10,
        seed: 42,
        max_trials: 200,
        training_params: { TestKnnModelTrainer: { layers: [[64, 32]], k: [1, 2] } },
      },
      42,
    );
    expect(plan).toEqual([
      { trainer: "TestKnnModelTrainer", params: { layers: [64, 32], k: 1 } },
      { trainer: "TestKnnModelTrainer", params: { layers: [64, 32], k: 2 } },
    ]);
  });

  it("hands its trials to the orchestrator: run elsewhere (JSON only), it picks the same winner and refits it", async () => {
    const config = {
      training_params: { TestKnnModelTrainer: { k: [1, 3, 7, 39] }, TestMajorityModelTrainer: {} },
    };
    const data = classificationData();
    const local = await (await tuner(config)).run_experiment({ ...data, perf_metric: "accuracy" });
    // A "remote" orchestrator: each trial through a separate tuner's run_trial, in reverse order,
    // results passed through JSON (no model), tagged with the worker that ran them.
    const worker = await tuner(config);
    const batches: Array<{ component: string; count: number; keys: string[] }> = [];
    const remote: Orchestrator = {
      name: "remote-test",
      runStep: (step) => step.run(),
      async runTrials(batch) {
        batches.push({ component: batch.component, count: batch.count, keys: Object.keys(batch.shared) });
        const out = new Array(batch.count);
        for (let i = batch.count - 1; i >= 0; i--) {
          const r = await worker.run_trial(batch.shared, i);
          out[i] = { ...JSON.parse(JSON.stringify(r)), worker: `w${i % 2}` };
        }
        return out;
      },
    };
    fits.length = 0;
    const result = await (await tuner(config, remote)).run_experiment({ ...data, perf_metric: "accuracy" });
    expect(batches).toEqual([
      {
        component: "LocalHyperparameterTuner",
        count: 5,
        keys: ["problem_type", "train", "valid", "classes", "perf_metric"],
      },
    ]);
    expect(result.trials.map((t) => [t.trainer, t.params, t.metrics, t.worker])).toEqual(
      local.trials.map((t, i) => [t.trainer, t.params, t.metrics, `w${i % 2}`]),
    );
    expect([result.best.trainer, result.best.params]).toEqual([local.best.trainer, local.best.params]);
    // 5 trials on the "worker" plus one refit of the winner here; same predictions as the local winner.
    expect(fits).toHaveLength(6);
    expect(fits[5]!.params).toEqual(local.best.params);
    expect(await result.best.model.predict(data.valid.X)).toEqual(
      await local.best.model.predict(data.valid.X),
    );
  });
});
