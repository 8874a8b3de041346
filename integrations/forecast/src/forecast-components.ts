/**
 * The `forecaster` components of this plugin: `SeasonalNaiveForecaster`, `ETSForecaster`,
 * `MLForecaster` and `ProphetForecaster`. Each wraps a forecaster of this package behind the
 * `forecaster` contract of `@lolpop/core` (data checks, rolling-origin folds, fit, load), so the
 * `TimeSeriesRunner` of `@lolpop/workflows` can use any of them.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ComponentContext,
  defineComponent,
  type FittedForecast,
  type Forecaster as ForecasterComponent,
  type ForecastFold,
  type ForecastSeriesSet,
  type JsonSchema,
  type SeriesSpec,
  writeJsonAtomic,
} from "@lolpop/core";
import { foldExogenous, rollingOriginFolds, splitAtFold } from "./forecast-backtest.js";
import type { EtsCriterion } from "./forecast-ets.js";
import type { CalendarFeature, Normalization, RollingStat } from "./forecast-features.js";
import type { FittedForecaster, Forecaster } from "./forecast-forecaster.js";
import { etsForecaster, seasonalNaiveForecaster } from "./forecast-forecaster.js";
import { defaultSeasonLength, type Frequency, formatFrequency, formatTime } from "./forecast-frequency.js";
import { loadForecaster } from "./forecast-load.js";
import { type MlStrategy, mlForecaster } from "./forecast-ml.js";
import { type ProphetModelOptions, prophetForecaster } from "./forecast-prophet.js";
import { prepareSeries, type SeriesSet } from "./forecast-series.js";

/** File next to `forecaster.json` recording how the fitted series' timestamps are written. */
const TIME_FILE = "lolpop-time.json";

interface TimeInfo {
  frequency: Frequency;
  timeKind: "datetime" | "index";
}

function wrapFitted(type: string, fitted: FittedForecaster, time: TimeInfo): FittedForecast {
  const label = (t: number) =>
    formatTime(t, time.timeKind === "index" ? { unit: "index", step: 1 } : time.frequency);
  return {
    forecaster: type,
    get summary() {
      return fitted.summary;
    },
    async forecast(query) {
      const out = await fitted.forecast(query);
      return out.map((f) => ({ ...f, labels: Array.from(f.time, label) }));
    },
    async save(dir) {
      await fitted.save(dir);
      await writeJsonAtomic(join(dir, TIME_FILE), time);
    },
  };
}

async function readTimeInfo(dir: string): Promise<TimeInfo> {
  try {
    return JSON.parse(await readFile(join(dir, TIME_FILE), "utf8")) as TimeInfo;
  } catch {
    // A forecaster saved by the library alone: read its frequency from forecaster.json.
    const f = JSON.parse(await readFile(join(dir, "forecaster.json"), "utf8")) as { frequency: Frequency };
    return { frequency: f.frequency, timeKind: f.frequency?.unit === "index" ? "index" : "datetime" };
  }
}

/** Config every forecaster component accepts. */
interface BaseConfig {
  /** Season length; default from the frequency. */
  season_length?: number;
}

const seasonLengthProp = {
  type: "integer",
  minimum: 1,
  description:
    "Season length (points per season). Default: the runner's season_length, else from the frequency (12 monthly, 4 quarterly, 52 weekly, 7 daily, 24 hourly; 1 otherwise).",
};

function withSet(data: SeriesSet, seasonLength: number): ForecastSeriesSet {
  const f: Frequency = data.timeKind === "index" ? { unit: "index", step: 1 } : data.frequency;
  return {
    ...data,
    frequencyLabel: formatFrequency(data.frequency),
    seasonLength,
    formatTime: (t) => formatTime(t, f),
  };
}

/**
 * Builds a forecaster component from a factory of library forecasters; `load` reads any saved
 * forecaster of this package (the ML one with the trainer of `trainer` config).
 */
function forecasterComponent<C extends BaseConfig>(opts: {
  type: string;
  description: string;
  properties: Record<string, unknown>;
  make: (ctx: ComponentContext<C>, seasonLength: number) => Promise<Forecaster>;
  load: (ctx: ComponentContext<C>, dir: string) => Promise<FittedForecaster>;
}) {
  return defineComponent<"forecaster", C>({
    kind: "forecaster",
    type: opts.type,
    description: opts.description,
    configSchema: {
      type: "object",
      additionalProperties: false,
      properties: { season_length: seasonLengthProp, ...opts.properties },
    } as JsonSchema,
    create: (ctx): ForecasterComponent => ({
      async prepare_series(table, spec: SeriesSpec) {
        const set = prepareSeries(table, {
          time: spec.time,
          target: spec.target,
          ...(spec.ids?.length ? { ids: spec.ids } : {}),
          ...(spec.exogenous?.length ? { exogenous: spec.exogenous } : {}),
          ...(spec.frequency ? { frequency: spec.frequency } : {}),
          ...(spec.season_length ? { seasonLength: spec.season_length } : {}),
        });
        return withSet(
          set,
          spec.season_length ?? ctx.config.season_length ?? defaultSeasonLength(set.frequency),
        );
      },
      async split_series(data, o) {
        const set = data as unknown as SeriesSet;
        const options = {
          horizon: o.horizon,
          ...(o.folds !== undefined ? { folds: o.folds } : {}),
          ...(o.step !== undefined ? { step: o.step } : {}),
          ...(o.min_train_length !== undefined ? { minTrainLength: o.min_train_length } : {}),
        };
        return rollingOriginFolds(set, options).map((fold): ForecastFold => {
          const split = splitAtFold(set, fold, options);
          const exogenous = foldExogenous(set, split, o.horizon);
          return {
            ...fold,
            train: withSet(split.train, data.seasonLength),
            test: split.test,
            skipped: split.skipped,
            ...(exogenous ? { exogenous } : {}),
          };
        });
      },
      async fit(data, options = {}) {
        const set = data as unknown as SeriesSet;
        const forecaster = await opts.make(ctx, ctx.config.season_length ?? data.seasonLength);
        const fitted = await forecaster.fit(set, { signal: options.signal ?? ctx.signal });
        return wrapFitted(opts.type, fitted, { frequency: set.frequency, timeKind: set.timeKind });
      },
      async load(dir) {
        return wrapFitted(opts.type, await opts.load(ctx, dir), await readTimeInfo(dir));
      },
    }),
  });
}

const loadStatistical = (_ctx: unknown, dir: string) => loadForecaster(dir);

// ------------------------------------------------------------------ seasonal naive

/** Config of `SeasonalNaiveForecaster`. */
export interface SeasonalNaiveForecasterConfig extends BaseConfig {}

/** `SeasonalNaiveForecaster`: each series repeats its last season (the forecasting baseline), with intervals. */
export const seasonalNaiveForecasterComponent = forecasterComponent<SeasonalNaiveForecasterConfig>({
  type: "SeasonalNaiveForecaster",
  description:
    "Seasonal naive: each series repeats its last season (the baseline), with prediction intervals.",
  properties: {},
  make: async (_ctx, seasonLength) => seasonalNaiveForecaster({ seasonLength }),
  load: loadStatistical,
});

// ------------------------------------------------------------------ ETS

/** Config of `ETSForecaster`. */
export interface EtsForecasterConfig extends BaseConfig {
  /** Model letters: error A/M/Z, trend N/A/M/Z, season N/A/M/Z. Default `ZZZ` (AutoETS). */
  model: string;
  /** Damped trend; unset tries both. */
  damped?: boolean;
  /** Allow a multiplicative trend when the trend letter is Z. Default false. */
  allow_multiplicative_trend: boolean;
  /** Selection criterion. Default `aicc`. */
  ic: EtsCriterion;
  /** Nelder–Mead iterations per candidate. Default 1000. */
  max_iterations: number;
}

/** `ETSForecaster`: exponential smoothing per series, fitted by likelihood and chosen by AICc (AutoETS). */
export const etsForecasterComponent = forecasterComponent<EtsForecasterConfig>({
  type: "ETSForecaster",
  description:
    "ETS (exponential smoothing state space models) per series, maximum likelihood fit, AICc selection, prediction intervals.",
  properties: {
    model: {
      type: "string",
      pattern: "^[AMZ][NAMZ][NAMZ]$",
      default: "ZZZ",
      description:
        "Error, trend and season letters (A additive, M multiplicative, N none, Z choose). Default ZZZ.",
    },
    damped: { type: "boolean", description: "Damped trend: true or false; unset tries both." },
    allow_multiplicative_trend: {
      type: "boolean",
      default: false,
      description: "Consider a multiplicative trend when the trend letter is Z.",
    },
    ic: { enum: ["aicc", "aic", "bic"], default: "aicc", description: "Criterion the model is chosen by." },
    max_iterations: {
      type: "integer",
      minimum: 1,
      default: 1000,
      description: "Nelder–Mead iterations per candidate model.",
    },
  },
  make: async (ctx, seasonLength) =>
    etsForecaster({
      seasonLength,
      model: ctx.config.model,
      ...(ctx.config.damped !== undefined ? { damped: ctx.config.damped } : {}),
      allowMultiplicativeTrend: ctx.config.allow_multiplicative_trend,
      ic: ctx.config.ic,
      maxIterations: ctx.config.max_iterations,
    }),
  load: loadStatistical,
});

// ------------------------------------------------------------------ ML

/** Config of `MLForecaster`. */
export interface MlForecasterConfig extends BaseConfig {
  /** The regression `model_trainer` type, e.g. `RandomForestModelTrainer`. */
  trainer: string;
  /** Config of the trainer (as under its own YAML section). */
  trainer_config: Record<string, unknown>;
  strategy: MlStrategy;
  /** Steps of the `direct` strategy; default the runner's `horizon`. */
  horizon?: number;
  lags?: number[];
  windows?: number[];
  rolling_stats?: RollingStat[];
  calendar?: CalendarFeature[];
  normalize?: Normalization;
  target_base?: "level" | "season";
  params?: Record<string, unknown>;
  seed: number;
}

async function mlTrainer(ctx: ComponentContext<MlForecasterConfig>) {
  return ctx.createComponent("model_trainer", ctx.config.trainer, ctx.config.trainer_config);
}

/** `MLForecaster`: one global regression model on lag, rolling and calendar features (any `model_trainer`). */
export const mlForecasterComponent = forecasterComponent<MlForecasterConfig>({
  type: "MLForecaster",
  description:
    "One global regression model over every series, on lag, rolling-window and calendar features; any model_trainer.",
  properties: {
    trainer: {
      type: "string",
      default: "RandomForestModelTrainer",
      description: "The regression model_trainer type (its plugin must be installed).",
    },
    trainer_config: { type: "object", default: {}, description: "Config of the trainer." },
    strategy: {
      enum: ["recursive", "direct"],
      default: "recursive",
      description: "recursive: one model, predictions fed back; direct: one model per step.",
    },
    horizon: {
      type: "integer",
      minimum: 1,
      description: "Steps the direct strategy trains models for. Default: the runner's horizon.",
    },
    lags: {
      type: "array",
      items: { type: "integer", minimum: 1 },
      description: "Lags. Default 1..season length.",
    },
    windows: {
      type: "array",
      items: { type: "integer", minimum: 2 },
      description: "Rolling windows. Default [season length].",
    },
    rolling_stats: {
      type: "array",
      items: { enum: ["mean", "std", "min", "max"] },
      description: "Statistics per rolling window. Default [mean, std].",
    },
    calendar: {
      type: "array",
      items: { type: "string" },
      description: "Calendar fields of the target's timestamp. Default from the frequency.",
    },
    normalize: {
      enum: ["window", "series", "none"],
      description: "Per-row normalisation. Default window.",
    },
    target_base: {
      enum: ["season", "level"],
      description: "What the model predicts the change from. Default season.",
    },
    params: { type: "object", description: "Trainer parameters merged over its training_params." },
    seed: { type: "integer", default: 0, description: "Seed handed to the trainer." },
  },
  make: async (ctx, seasonLength) => {
    const c = ctx.config;
    const horizon = c.horizon ?? ctx.lookup<number>("horizon");
    return mlForecaster({
      trainer: await mlTrainer(ctx),
      trainerType: c.trainer,
      strategy: c.strategy,
      seasonLength,
      seed: c.seed,
      ...(horizon !== undefined ? { horizon } : {}),
      ...(c.lags ? { lags: c.lags } : {}),
      ...(c.windows ? { windows: c.windows } : {}),
      ...(c.rolling_stats ? { rollingStats: c.rolling_stats } : {}),
      ...(c.calendar ? { calendar: c.calendar } : {}),
      ...(c.normalize ? { normalize: c.normalize } : {}),
      ...(c.target_base ? { targetBase: c.target_base } : {}),
      ...(c.params ? { params: c.params } : {}),
    });
  },
  load: async (ctx, dir) => loadForecaster(dir, { trainer: await mlTrainer(ctx) }),
});

// ------------------------------------------------------------------ Prophet

/** Config of `ProphetForecaster`. */
export interface ProphetForecasterConfig extends BaseConfig {
  /** Prophet's own options (growth, seasonality_mode, yearly_seasonality, ...). */
  prophet: ProphetModelOptions;
  /** Python interpreter; default LOLPOP_PYTHON, LOLPOP_VENV, the project's .venv, then python3. */
  python?: string;
  seed: number;
  /** Timeout of one fit or predict call in ms. */
  timeout_ms?: number;
}

const prophetOptions = (ctx: ComponentContext<ProphetForecasterConfig>) => ({
  projectRoot: ctx.project.root,
  logger: ctx.logger,
  seed: ctx.config.seed,
  ...(ctx.config.python ? { python: ctx.config.python } : {}),
  ...(ctx.config.timeout_ms ? { timeoutMs: ctx.config.timeout_ms } : {}),
});

/** `ProphetForecaster`: Prophet per series through the Python bridge (needs Python with prophet). */
export const prophetForecasterComponent = forecasterComponent<ProphetForecasterConfig>({
  type: "ProphetForecaster",
  description:
    "Prophet per series through @lolpop/python-bridge (fitting and forecasting need Python with prophet).",
  properties: {
    prophet: {
      type: "object",
      default: {},
      description:
        "Prophet's options: growth, n_changepoints, changepoint_range, yearly/weekly/daily_seasonality, seasonality_mode, *_prior_scale, uncertainty_samples, scaling, country_holidays.",
    },
    python: {
      type: "string",
      description:
        "Python interpreter. Default: LOLPOP_PYTHON, LOLPOP_VENV, the project's .venv, then python3.",
    },
    seed: { type: "integer", default: 0, description: "Seed of Prophet's interval sampling." },
    timeout_ms: { type: "integer", minimum: 1, description: "Timeout of one fit or predict call (ms)." },
  },
  make: async (ctx) => prophetForecaster({ prophet: ctx.config.prophet, ...prophetOptions(ctx) }),
  load: async (ctx, dir) => loadForecaster(dir, { prophet: prophetOptions(ctx) }),
});
