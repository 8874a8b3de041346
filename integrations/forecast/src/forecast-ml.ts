/**
 * The machine-learning forecaster: one global regression model over every series, trained on lag,
 * rolling and calendar features (see `forecast-features.ts`) with any lolpop `model_trainer` (the
 * `ModelTrainer` contract of `@lolpop/core`: the random forest, CatBoost, tfjs...).
 *
 * - `recursive` (default): one model predicts the next point; a forecast feeds its own predictions
 *   back as lags, one step at a time.
 * - `direct`: one model per step ahead `h = 1..horizon`, each trained on targets `h` steps after the
 *   row's origin, so no prediction is fed back (the horizon is fixed at fit time).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type ModelTrainer,
  numericColumn,
  type RegressionPredictions,
  readSavedModelFile,
  Table,
  type TrainedModel,
} from "@lolpop/core";
import {
  type CalendarFeature,
  checkFeatureOptions,
  defaultCalendar,
  type FeatureSpec,
  featureNames,
  historyNeeded,
  type Normalization,
  type RollingStat,
  rowLevel,
  type SeriesScale,
  seriesScale,
  targetBase,
  writeFeatureRow,
} from "./forecast-features.js";
import {
  checkHorizon,
  type FittedForecaster,
  FORECASTER_FILE,
  FORECASTER_FORMAT,
  FORECASTER_FORMAT_VERSION,
  type Forecaster,
  type ForecastRequest,
  type SeriesEnd,
  type SeriesForecast,
  seriesEnd,
  writeForecasterFile,
} from "./forecast-forecaster.js";
import { defaultSeasonLength, type Frequency, futureTimes } from "./forecast-frequency.js";
import { ForecastModelError } from "./forecast-model-error.js";
import type { SeriesSet } from "./forecast-series.js";

/** Recursive (one model, predictions fed back) or direct (one model per step ahead). */
export type MlStrategy = "recursive" | "direct";

/** Options of {@link mlForecaster}. */
export interface MlForecasterOptions {
  /** A regression trainer (any `model_trainer` component, e.g. RandomForestModelTrainer). */
  trainer: ModelTrainer;
  /** The trainer's type name, recorded when saving (e.g. `RandomForestModelTrainer`). Default `"unknown"`. */
  trainerType?: string;
  /** Default `"recursive"`. */
  strategy?: MlStrategy;
  /** Steps ahead the `direct` strategy trains models for (required for `direct`). */
  horizon?: number;
  /** Season length. Default: from the frequency (12 monthly, 7 daily, 24 hourly...). */
  seasonLength?: number;
  /** Lags. Default `1..seasonLength` (`1..3` without a season). */
  lags?: number[];
  /** Rolling windows. Default `[seasonLength]` (`[3]` without a season). */
  windows?: number[];
  /** Statistics per rolling window. Default `["mean", "std"]`. */
  rollingStats?: RollingStat[];
  /** Calendar fields of the target's timestamp. Default: from the frequency (month for monthly data...). */
  calendar?: CalendarFeature[];
  /**
   * Per-row normalisation. Default `"window"`: values relative to the mean of the last season, in
   * units of the series' scale (its mean absolute seasonal difference); `"series"`: relative to the
   * series mean, same units; `"none"`: raw values.
   */
  normalize?: Normalization;
  /** Window of the `window` normalisation. Default: the season length (3 without a season). */
  levelWindow?: number;
  /**
   * What the model predicts the target relative to: `season` (default: the same season's latest
   * known value, so the model learns the change over a season, and trends and seasonality carry
   * over) or `level` (the normalisation level).
   */
  targetBase?: "level" | "season";
  /** Trainer parameters (merged over the trainer's own `training_params`). */
  params?: Record<string, unknown>;
  /** Seed passed to the trainer. Default 0. */
  seed?: number;
}

interface SeriesState extends SeriesEnd {
  /** The last `historyNeeded` values (oldest first). */
  tail: Float64Array;
  scale: SeriesScale;
}

interface MlMeta {
  trainer_type: string;
  strategy: MlStrategy;
  horizon: number | null;
  spec: FeatureSpec;
  feature_names: string[];
}

class FittedMl implements FittedForecaster {
  readonly kind = "ml";
  constructor(
    readonly frequency: Frequency,
    readonly meta: MlMeta,
    readonly states: SeriesState[],
    /** recursive: one model; direct: model h-1 predicts h steps ahead. */
    readonly models: TrainedModel[],
  ) {}

  get summary() {
    return Object.fromEntries(
      this.states.map((s) => [
        s.key,
        {
          strategy: this.meta.strategy,
          trainer: this.meta.trainer_type,
          features: this.meta.feature_names.length,
        },
      ]),
    );
  }

  async forecast(request: ForecastRequest): Promise<SeriesForecast[]> {
    checkHorizon(request.horizon);
    const h = request.horizon;
    const { spec, strategy } = this.meta;
    if (strategy === "direct" && h > this.models.length)
      throw new ForecastModelError({
        message: `this direct ML forecaster was trained for ${this.models.length} step(s) ahead and cannot forecast ${h}; refit it with horizon >= ${h} or use the recursive strategy`,
        code: "horizon_invalid",
      });
    const k = this.states.length;
    const times = this.states.map((s) => futureTimes(s.last, this.frequency, h));
    const exo = (i: number, step: number): Float64Array => {
      const out = new Float64Array(spec.exogenous.length);
      const byCol = request.exogenous?.[this.states[i]!.key];
      spec.exogenous.forEach((name, j) => {
        const v = byCol?.[name];
        if (!v || v.length < h || !Number.isFinite(v[step]!))
          throw new ForecastModelError({
            message: `the forecast of series ${JSON.stringify(this.states[i]!.key)} needs ${h} future value(s) of exogenous column ${JSON.stringify(name)}; pass them in the request's exogenous values`,
            code: "exogenous_missing",
          });
        out[j] = v[step]!;
      });
      return out;
    };
    const means = this.states.map(() => new Float64Array(h));
    const names = this.meta.feature_names;
    const predictRows = async (model: TrainedModel, columns: Float64Array[]) => {
      const X = Table.fromColumns(names.map((n, c) => [n, numericColumn(columns[c]!)] as const));
      const p = (await model.predict(X)) as RegressionPredictions;
      if (p.problem_type !== "regression")
        throw new ForecastModelError({
          message: `the ML forecaster's trainer returned ${p.problem_type} predictions; use a regression trainer`,
          code: "trainer_invalid",
        });
      return p.values;
    };
    if (strategy === "recursive") {
      const histories = this.states.map((s) => {
        const buf = new Float64Array(s.tail.length + h);
        buf.set(s.tail);
        return buf;
      });
      for (let step = 0; step < h; step++) {
        request.signal?.throwIfAborted();
        const columns = names.map(() => new Float64Array(k));
        const levels = new Float64Array(k);
        const bases = new Float64Array(k);
        for (let i = 0; i < k; i++) {
          const s = this.states[i]!;
          const origin = s.tail.length + step - 1;
          levels[i] = rowLevel(histories[i]!, origin, spec, s.scale);
          bases[i] = targetBase(histories[i]!, origin, 1, spec, levels[i]!);
          writeFeatureRow(
            columns,
            i,
            histories[i]!,
            origin,
            times[i]![step]!,
            exo(i, step),
            spec,
            s.scale,
            levels[i]!,
          );
        }
        const pred = await predictRows(this.models[0]!, columns);
        for (let i = 0; i < k; i++) {
          const s = this.states[i]!;
          const v = bases[i]! + pred[i]! * s.scale.scale;
          histories[i]![s.tail.length + step] = v;
          means[i]![step] = v;
        }
      }
    } else {
      for (let step = 0; step < h; step++) {
        request.signal?.throwIfAborted();
        const columns = names.map(() => new Float64Array(k));
        const levels = new Float64Array(k);
        const bases = new Float64Array(k);
        for (let i = 0; i < k; i++) {
          const s = this.states[i]!;
          const origin = s.tail.length - 1;
          levels[i] = rowLevel(s.tail, origin, spec, s.scale);
          bases[i] = targetBase(s.tail, origin, step + 1, spec, levels[i]!);
          writeFeatureRow(
            columns,
            i,
            s.tail,
            origin,
            times[i]![step]!,
            exo(i, step),
            spec,
            s.scale,
            levels[i]!,
          );
        }
        const pred = await predictRows(this.models[step]!, columns);
        for (let i = 0; i < k; i++) means[i]![step] = bases[i]! + pred[i]! * this.states[i]!.scale.scale;
      }
    }
    return this.states.map((s, i) => ({
      key: s.key,
      idValues: s.idValues,
      time: times[i]!,
      mean: means[i]!,
      intervals: [],
    }));
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < this.models.length; i++) await this.models[i]!.save(join(dir, `model-${i + 1}`));
    await writeForecasterFile(dir, {
      kind: this.kind,
      frequency: this.frequency,
      ...this.meta,
      models: this.models.length,
      series: this.states.map((s) => ({
        key: s.key,
        idValues: s.idValues,
        last: s.last,
        tail: Array.from(s.tail),
        scale: s.scale,
      })),
    });
  }
}

function resolveSpec(options: MlForecasterOptions, data: SeriesSet): FeatureSpec {
  const m = options.seasonLength ?? defaultSeasonLength(data.frequency);
  const seasonal = m > 1;
  const spec: FeatureSpec = {
    lags: [...new Set(options.lags ?? Array.from({ length: seasonal ? m : 3 }, (_, i) => i + 1))].sort(
      (a, b) => a - b,
    ),
    windows: [...new Set(options.windows ?? [seasonal ? m : 3])].sort((a, b) => a - b),
    rollingStats: options.rollingStats ?? ["mean", "std"],
    calendar: options.calendar ?? (data.timeKind === "index" ? [] : defaultCalendar(data.frequency)),
    exogenous: [...data.exogenousColumns],
    normalize: options.normalize ?? "window",
    levelWindow: options.levelWindow ?? (seasonal ? m : 3),
    targetBase: options.targetBase ?? "season",
    seasonLength: m,
  };
  checkFeatureOptions(spec);
  if (spec.calendar.length && data.timeKind === "index")
    throw new ForecastModelError({
      message: "calendar features need a datetime time column; this data has an integer time index",
      code: "features_invalid",
    });
  return spec;
}

/**
 * The ML forecaster: a global model on lag / rolling / calendar features, trained with `trainer`
 * (a regression `model_trainer`), recursive or direct.
 */
export function mlForecaster(options: MlForecasterOptions): Forecaster {
  const strategy = options.strategy ?? "recursive";
  if (strategy !== "recursive" && strategy !== "direct")
    throw new ForecastModelError({
      message: `strategy must be "recursive" or "direct", got ${JSON.stringify(strategy)}`,
      code: "strategy_invalid",
    });
  if (strategy === "direct" && !(Number.isInteger(options.horizon) && options.horizon! >= 1))
    throw new ForecastModelError({
      message: "the direct strategy trains one model per step ahead: give its horizon (a positive integer)",
      code: "horizon_invalid",
    });
  return {
    kind: "ml",
    async fit(data, fitOptions) {
      const spec = resolveSpec(options, data);
      const need = historyNeeded(spec);
      const names = featureNames(spec);
      const steps = strategy === "direct" ? options.horizon! : 1;
      const scales = data.series.map((s) =>
        spec.normalize === "none" ? { scale: 1, mean: 0 } : seriesScale(s.values, spec.seasonLength),
      );
      const short = data.series.filter((s) => s.values.length < need + steps);
      if (short.length)
        throw new ForecastModelError({
          message: `the ML forecaster needs at least ${need + steps} point(s) per series (history of ${need} for the lags and windows, plus ${steps} target(s)); too short: ${short
            .slice(0, 10)
            .map((s) => `${JSON.stringify(s.key)} (${s.values.length})`)
            .join(
              ", ",
            )}${short.length > 10 ? ", ..." : ""}. Use fewer lags or smaller windows, or drop those series`,
          code: "series_too_short",
        });
      const models: TrainedModel[] = [];
      for (let h = 1; h <= steps; h++) {
        fitOptions?.signal?.throwIfAborted();
        let rows = 0;
        for (const s of data.series) rows += s.values.length - need - h + 1;
        const columns = names.map(() => new Float64Array(rows));
        const target = new Float64Array(rows);
        let r = 0;
        data.series.forEach((s, si) => {
          const sc = scales[si]!;
          const exoAt = new Float64Array(spec.exogenous.length);
          for (let origin = need - 1; origin + h < s.values.length; origin++) {
            const t = origin + h;
            spec.exogenous.forEach((name, j) => {
              exoAt[j] = s.exogenous[name]![t]!;
            });
            const level = rowLevel(s.values, origin, spec, sc);
            writeFeatureRow(columns, r, s.values, origin, s.time[t]!, exoAt, spec, sc, level);
            target[r] = (s.values[t]! - targetBase(s.values, origin, h, spec, level)) / sc.scale;
            r++;
          }
        });
        const X = Table.fromColumns(names.map((n, c) => [n, numericColumn(columns[c]!)] as const));
        const model = await options.trainer.fit({
          problem_type: "regression",
          X,
          y: numericColumn(target),
          params: options.params,
          seed: options.seed ?? 0,
          signal: fitOptions?.signal,
        });
        models.push(model);
      }
      const states: SeriesState[] = data.series.map((s, i) => ({
        ...seriesEnd(s),
        tail: s.values.slice(s.values.length - need),
        scale: scales[i]!,
      }));
      return new FittedMl(
        data.frequency,
        {
          trainer_type: options.trainerType ?? "unknown",
          strategy,
          horizon: strategy === "direct" ? options.horizon! : null,
          spec,
          feature_names: names,
        },
        states,
        models,
      );
    },
  };
}

/**
 * Loads an ML forecaster saved by `save(dir)`, its model(s) read back by `trainer.load` (the same
 * trainer type that fitted it).
 * @throws StoreError when the folder holds no ML forecaster.
 */
export async function loadMlForecaster(dir: string, trainer: ModelTrainer): Promise<FittedForecaster> {
  const file = await readSavedModelFile<
    MlMeta & {
      kind: string;
      frequency: Frequency;
      models: number;
      series: Array<{
        key: string;
        idValues: Array<string | number | null>;
        last: number;
        tail: number[];
        scale: SeriesScale;
      }>;
    }
  >(dir, {
    fileName: FORECASTER_FILE,
    trainer: "forecaster",
    package: "@lolpop/forecast",
    format: FORECASTER_FORMAT,
    maxVersion: FORECASTER_FORMAT_VERSION,
  });
  const d = file.data;
  if (d.kind !== "ml") return file.invalid(`kind "${String(d.kind)}" is not ml`);
  if (!d.spec || !d.series || !d.frequency || !d.feature_names || !d.strategy || !d.models)
    return file.invalid("missing spec, series, frequency or models");
  const models: TrainedModel[] = [];
  for (let i = 0; i < d.models; i++) models.push(await trainer.load(join(dir, `model-${i + 1}`)));
  return new FittedMl(
    d.frequency,
    {
      trainer_type: d.trainer_type ?? "unknown",
      strategy: d.strategy,
      horizon: d.horizon ?? null,
      spec: d.spec,
      feature_names: d.feature_names,
    },
    d.series.map((s) => ({
      key: s.key,
      idValues: s.idValues,
      last: s.last,
      tail: Float64Array.from(s.tail),
      scale: s.scale,
    })),
    models,
  );
}
