/**
 * `LocalHyperparameterTuner`: grid or seeded random search over trainer types and their parameters,
 * run in process. Each trial creates a fresh trainer, fits it on train, scores train and valid with
 * the workflow's `perf_metric`, and the best valid score wins (ties: the earliest trial).
 */
import {
  CancelledError,
  type ComponentContext,
  ConfigError,
  configIssuesOf,
  createRng,
  defineComponent,
  type HyperparameterTuner,
  type JsonSchema,
  LolpopError,
  type ModelTrainer,
  runTrialsInProcess,
  type TrainedModel,
  type TrialResult,
  type TuningInput,
  type TuningResult,
} from "@lolpop/core";
import { computeMetric, isLowerBetter } from "@lolpop/core/metrics";

/** Config of {@link localHyperparameterTuner}. */
export interface LocalHyperparameterTunerConfig {
  /**
   * Search space by trainer type: `{RandomForestModelTrainer: {max_depth: [4, 8], n_estimators: 100}}`.
   * An array lists the candidates of a parameter; any other value is fixed. To fix an array value,
   * wrap it: `hidden_layers: [[64, 32]]`.
   */
  training_params: Record<string, Record<string, unknown>>;
  /** `grid` (every combination, in order) or `random` (a seeded sample of `n_trials` distinct combinations). Default `grid`. */
  method: "grid" | "random";
  /** Number of trials of a random search. Default 10. */
  n_trials: number;
  /** Seed of the random search and of every fit, unless the tuning input carries one. Default 42. */
  seed: number;
  /** Largest number of trials allowed; a larger grid is a configuration error. Default 200. */
  max_trials: number;
}

/** One trial of the search: a trainer type and its parameters. */
export interface PlannedTrial {
  trainer: string;
  params: Record<string, unknown>;
}

/** A trial that failed: it is kept in `trials` with empty metrics and the error message. */
export type FailedTrialResult = TrialResult & { error: string };

/** What one trial gives: its result, and (when run in this process) its model or its error. */
export interface TrialOutcome {
  result: TrialResult | FailedTrialResult;
  model?: TrainedModel;
  cause?: unknown;
  /** Where it ran, when an orchestrator ran it elsewhere. */
  worker?: string;
}

/** The search space of one trainer type: parameter names and their candidates. */
interface Space {
  trainer: string;
  keys: string[];
  choices: unknown[][];
  size: number;
}

function buildSpaces(trainingParams: Record<string, Record<string, unknown>>, path: string): Space[] {
  const spaces: Space[] = [];
  const issues: Array<{ code: string; path: string; message: string }> = [];
  for (const [trainer, params] of Object.entries(trainingParams)) {
    const keys = Object.keys(params ?? {});
    const choices = keys.map((k) => {
      const v = params[k];
      if (Array.isArray(v)) {
        if (v.length === 0)
          issues.push({
            code: "invalid_value",
            path: `${path}.config.training_params.${trainer}.${k}`,
            message: "an empty list of candidates: give at least one value",
          });
        return v;
      }
      return [v];
    });
    spaces.push({ trainer, keys, choices, size: choices.reduce((n, c) => n * Math.max(c.length, 1), 1) });
  }
  if (spaces.length === 0)
    issues.push({
      code: "invalid_value",
      path: `${path}.config.training_params`,
      message: "no trainer type: name at least one, e.g. {RandomForestModelTrainer: {max_depth: [4, 8]}}",
    });
  if (issues.length) throw new ConfigError({ issues });
  return spaces;
}

/** Decodes the `index`-th combination of a space (last parameter varies fastest). */
function decode(space: Space, index: number): PlannedTrial {
  const params: Record<string, unknown> = {};
  let rest = index;
  for (let k = space.keys.length - 1; k >= 0; k--) {
    const c = space.choices[k]!;
    params[space.keys[k]!] = structuredClone(c[rest % c.length]);
    rest = Math.floor(rest / c.length);
  }
  // Keep the declared key order.
  const ordered: Record<string, unknown> = {};
  for (const key of space.keys) ordered[key] = params[key];
  return { trainer: space.trainer, params: ordered };
}

/**
 * Lists the trials of a search: every combination in order for `grid`; for `random`, `nTrials`
 * distinct combinations, each drawn by picking a trainer type uniformly then a combination of its
 * parameters uniformly (all combinations, in grid order, when there are no more than `nTrials`).
 * @throws ConfigError when the number of trials exceeds `maxTrials` (naming the size) or a candidate list is empty.
 */
export function planTrials(
  config: LocalHyperparameterTunerConfig,
  seed: number,
  path = "LocalHyperparameterTuner",
): PlannedTrial[] {
  const spaces = buildSpaces(config.training_params, path);
  const total = spaces.reduce((n, s) => n + s.size, 0);
  const sizes = spaces.map((s) => `${s.trainer}: ${s.size}`).join(", ");
  const grid = (): PlannedTrial[] =>
    spaces.flatMap((s) => Array.from({ length: s.size }, (_, i) => decode(s, i)));
  if (config.method === "random" && config.n_trials < total) {
    if (config.n_trials > config.max_trials) {
      throw new ConfigError({
        issues: [
          {
            code: "invalid_value",
            path: `${path}.config.n_trials`,
            message: `n_trials ${config.n_trials} is more than max_trials ${config.max_trials}: lower n_trials or raise max_trials`,
          },
        ],
      });
    }
    const rng = createRng(seed);
    const used = spaces.map(() => new Set<number>());
    const out: PlannedTrial[] = [];
    for (let t = 0; t < config.n_trials; t++) {
      const open = spaces.map((_s, i) => i).filter((i) => used[i]!.size < spaces[i]!.size);
      const si = open[Math.floor(rng() * open.length)]!;
      const space = spaces[si]!;
      const taken = used[si]!;
      let index: number;
      if (taken.size * 2 < space.size) {
        do index = Math.floor(rng() * space.size);
        while (taken.has(index));
      } else {
        const free: number[] = [];
        for (let i = 0; i < space.size; i++) if (!taken.has(i)) free.push(i);
        index = free[Math.floor(rng() * free.length)]!;
      }
      taken.add(index);
      out.push(decode(space, index));
    }
    return out;
  }
  if (total > config.max_trials) {
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: `${path}.config.training_params`,
          message: `the grid has ${total} combinations (${sizes}), more than max_trials ${config.max_trials}: narrow training_params, raise max_trials, or use method: random with n_trials`,
        },
      ],
    });
  }
  return grid();
}

function throwIfAborted(path: string, ...signals: Array<AbortSignal | undefined>): void {
  for (const s of signals) if (s?.aborted) throw new CancelledError({ path, reason: s.reason });
}

/** Whether `a` is a strictly better score than `b` (NaN is never better; anything beats NaN). */
function isBetter(a: number, b: number, lowerIsBetter: boolean): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return lowerIsBetter ? a < b : a > b;
}

/** A tuner running trials one after the other in this process. */
export type LocalHyperparameterTuner = HyperparameterTuner & {
  /** The trials a run will make with `seed` (default: the configured seed). */
  plan(seed?: number): PlannedTrial[];
  /** Runs one trial of a search here (what a remote worker calls); the outcome has no model. */
  run_trial(shared: Record<string, unknown>, index: number): Promise<TrialOutcome>;
};

function createTuner(ctx: ComponentContext<LocalHyperparameterTunerConfig>): LocalHyperparameterTuner {
  const config = ctx.config;
  // Fail at build time on an empty candidate list or a grid over max_trials.
  planTrials(config, config.seed, ctx.path);

  /** Plans the search of `input` and makes the function running one of its trials here. */
  const prepare = async (input: TuningInput) => {
    const perf = input.perf_metric;
    const lowerIsBetter = isLowerBetter(perf); // DataError naming the valid metrics when unknown
    const seed = input.seed ?? config.seed;
    ctx.lineage.recordSeed(ctx.path, seed);
    const planned = planTrials(config, seed, ctx.path);
    const missing: string[] = [];
    for (const t of new Set(planned.map((p) => p.trainer)))
      if (!(await ctx.hasType("model_trainer", t))) missing.push(t);
    if (missing.length) {
      throw new ConfigError({
        issues: missing.map((t) => ({
          code: "unknown_type",
          path: `${ctx.path}.config.training_params.${t}`,
          message: `no model_trainer type "${t}" is installed; install the plugin that provides it or fix the name`,
        })),
      });
    }
    const signals = [input.signal, ctx.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];

    const runOne = async (i: number): Promise<TrialOutcome> => {
      throwIfAborted(ctx.path, ...signals);
      const trial = planned[i]!;
      const started = performance.now();
      const trainer: ModelTrainer = await ctx.createComponent("model_trainer", trial.trainer, {});
      const label = `trial ${i + 1}/${planned.length} ${trial.trainer} ${JSON.stringify(trial.params)}`;
      try {
        const model = await trainer.fit({
          problem_type: input.problem_type,
          X: input.train.X,
          y: input.train.y,
          ...(input.classes ? { classes: input.classes } : {}),
          valid: input.valid,
          params: structuredClone(trial.params),
          seed,
          ...(signal ? { signal } : {}),
        });
        const validScore = computeMetric(perf, input.valid.y, await model.predict(input.valid.X));
        const trainScore = computeMetric(perf, input.train.y, await model.predict(input.train.X));
        const result: TrialResult = {
          trainer: trial.trainer,
          params: trial.params,
          metrics: { train: { [perf]: trainScore }, valid: { [perf]: validScore } },
          duration_ms: performance.now() - started,
        };
        ctx.logger.info(`${label}: valid ${perf}=${validScore}`, { trial: i + 1, trainer: trial.trainer });
        return { result, model };
      } catch (e) {
        throwIfAborted(ctx.path, ...signals);
        if (CancelledError.isInstance(e)) throw e;
        const message = e instanceof Error ? e.message : String(e);
        ctx.logger.warn(`${label} failed: ${message}`, { trial: i + 1, trainer: trial.trainer });
        const failed: FailedTrialResult = {
          trainer: trial.trainer,
          params: trial.params,
          metrics: {},
          duration_ms: performance.now() - started,
          error: message,
        };
        return { result: failed, cause: e };
      }
    };
    return { perf, lowerIsBetter, planned, signals, signal, runOne };
  };

  return {
    plan: (seed = config.seed) => planTrials(config, seed, ctx.path),

    /**
     * Runs trial `index` of the search `shared` describes (the `shared` of the batch this tuner gave
     * the orchestrator): what a remote worker calls. Returns the trial's result, without its model.
     */
    async run_trial(shared: Record<string, unknown>, index: number): Promise<TrialOutcome> {
      const { runOne } = await prepare(shared as unknown as TuningInput);
      const outcome = await runOne(index);
      const { model: _model, cause: _cause, ...rest } = outcome;
      return rest;
    },

    async run_experiment(input: TuningInput): Promise<TuningResult> {
      const { perf, lowerIsBetter, planned, signals, signal, runOne } = await prepare(input);
      const runTrials = ctx.orchestrator.runTrials ?? runTrialsInProcess;
      const outcomes = await runTrials<TrialOutcome>({
        component: ctx.path,
        count: planned.length,
        shared: {
          problem_type: input.problem_type,
          train: input.train,
          valid: input.valid,
          ...(input.classes ? { classes: input.classes } : {}),
          perf_metric: perf,
          ...(input.seed !== undefined ? { seed: input.seed } : {}),
        },
        runTrial: runOne,
        ...(signal ? { signal } : {}),
      });
      throwIfAborted(ctx.path, ...signals);

      const trials: TrialResult[] = [];
      let best: { index: number; result: TrialResult; model?: TrainedModel } | undefined;
      let firstError: unknown;
      for (const [i, o] of outcomes.entries()) {
        const result = o.worker ? { ...o.result, worker: o.worker } : o.result;
        trials.push(result);
        if ("error" in o.result) {
          firstError ??= o.cause ?? new Error(String((o.result as FailedTrialResult).error));
          continue;
        }
        if (
          !best ||
          isBetter(o.result.metrics.valid![perf]!, best.result.metrics.valid![perf]!, lowerIsBetter)
        )
          best = { index: i, result, ...(o.model ? { model: o.model } : {}) };
      }
      if (!best) {
        const message = firstError instanceof Error ? firstError.message : String(firstError);
        throw new LolpopError({
          message: `Every tuning trial failed (${planned.length}); the first failure: ${message}`,
          code: "tuning_failed",
          cause: firstError,
        });
      }
      if (Number.isNaN(best.result.metrics.valid![perf]!))
        ctx.logger.warn(`every trial scored NaN on valid ${perf}; keeping the first one`);
      // A trial run elsewhere ships back only its params and metrics: refit the winner here (same
      // data, params and seed, so the same model).
      let model = best.model;
      if (!model) {
        const again = await runOne(best.index);
        if (!again.model) throw again.cause;
        model = again.model;
      }
      return { best: { ...best.result, model }, trials };
    },
  };
}

/** JSON Schema of {@link localHyperparameterTuner}'s config. */
export const localHyperparameterTunerConfigSchema: JsonSchema = {
  type: "object",
  properties: {
    training_params: {
      type: "object",
      description:
        "Search space by trainer type, e.g. {RandomForestModelTrainer: {max_depth: [4, 8], n_estimators: 100}}. A list gives the candidates of a parameter, any other value is fixed; wrap a list value in a list to fix it ([[64, 32]]).",
      minProperties: 1,
      additionalProperties: { type: "object" },
    },
    method: {
      enum: ["grid", "random"],
      description:
        "grid: every combination, in order. random: n_trials distinct combinations drawn with the seed.",
      default: "grid",
    },
    n_trials: {
      type: "integer",
      minimum: 1,
      description: "Number of trials of a random search.",
      default: 10,
    },
    seed: {
      type: "integer",
      description:
        "Seed of the random search and of every fit (a seed in the tuning input takes precedence).",
      default: 42,
    },
    max_trials: {
      type: "integer",
      minimum: 1,
      description:
        "Safety cap on the number of trials: a larger grid (or n_trials) is a configuration error.",
      default: 200,
    },
  },
  required: ["training_params"],
  additionalProperties: false,
};

/**
 * `LocalHyperparameterTuner` (kind `hyperparameter_tuner`): grid or seeded random search over
 * `training_params` (trainer types and parameter candidates), winner by the valid-split `perf_metric`.
 * Deterministic for a seed; checks cancellation between trials.
 */
export const localHyperparameterTuner = defineComponent<
  "hyperparameter_tuner",
  LocalHyperparameterTunerConfig
>({
  kind: "hyperparameter_tuner",
  type: "LocalHyperparameterTuner",
  description: "Grid or random search over trainer types and parameters, winner by valid perf_metric",
  configSchema: localHyperparameterTunerConfigSchema,
  // An empty candidate list or a grid over max_trials is found by validation.
  checkConfig: (config, info) => configIssuesOf(info.path, () => planTrials(config, config.seed, info.path)),
  create: (ctx) => createTuner(ctx),
});
