import {
  CHAMPION_ALIAS,
  DataError,
  definePipeline,
  type FittedForecast,
  type Forecaster,
  type ForecastFold,
  type ForecastSeries,
  type ForecastSeriesSet,
  MODEL_TAGS,
  removeBundle,
} from "@lolpop/core";
import {
  defaultForecastMetrics,
  FORECAST_ERROR_METRICS,
  forecastMetrics,
  hasZeroActuals,
  type ScoredSeries,
} from "@lolpop/core/metrics";
import { type ForecastBundleMeta, readBundleMeta, writeForecastBundle } from "./forecast-bundle.js";
import type { BacktestFoldSummary, ProcessResult, SplitMetrics, StageOptions, TrainResult } from "./types.js";

/** Config of `TimeSeriesTrain` (the series keys usually come from the runner's config). */
export interface TimeSeriesTrainConfig {
  target: string;
  time: string;
  ids?: string | string[];
  exogenous?: string[];
  frequency?: string;
  season_length?: number;
  horizon: number;
  levels: number[];
  model_name: string;
  perf_metric: string;
  metrics?: string[];
  folds: number;
  step?: number;
  min_train_length: number;
  candidates?: Array<{ type: string; config?: Record<string, unknown> }>;
  baseline: string;
  refit_on_all_data: boolean;
}

/** Properties shared by the runner's and the pipelines' config schemas (runner values are inherited). */
export const SERIES_PROPERTIES = {
  target: { type: "string", description: "Target column (numeric)." },
  time: { type: "string", description: "Time column: datetimes, ISO 8601 text or integers (a time index)." },
  ids: {
    anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }],
    description: "Series id column(s): many series in one table. Default: the table is one series.",
  },
  exogenous: {
    type: "array",
    items: { type: "string" },
    description: "Numeric columns known in the future (regressors for forecasters that use them).",
  },
  frequency: {
    type: "string",
    description:
      "Frequency (Y, Q, M, W, D, H, min, s, index, with multiples such as 15min). Default: inferred and checked.",
  },
  season_length: {
    type: "integer",
    minimum: 1,
    description: "Season length. Default: from the frequency (12 monthly, 7 daily, 24 hourly...).",
  },
  horizon: {
    type: "integer",
    minimum: 1,
    description: "Points forecast per series (and per fold and test split).",
  },
  levels: {
    type: "array",
    items: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 100 },
    default: [80, 95],
    description: "Prediction interval levels in percent.",
  },
  model_name: { type: "string", default: "model", description: "Registered model name." },
} as const;

const ids = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === "string" ? [v] : v;

/** The test points of `test` against `forecast`, aligned by time, with the training values for MASE. */
function scored(
  train: ForecastSeries,
  test: ForecastSeries,
  forecast: {
    time: Float64Array;
    mean: Float64Array;
    intervals: Array<{ level: number; lower: Float64Array; upper: Float64Array }>;
  },
  seasonLength: number,
): ScoredSeries {
  const at = new Map<number, number>();
  forecast.time.forEach((t, k) => at.set(t, k));
  const idx: number[] = [];
  const actual: number[] = [];
  test.time.forEach((t, j) => {
    const k = at.get(t);
    if (k !== undefined) {
      idx.push(k);
      actual.push(test.values[j]!);
    }
  });
  if (idx.length !== test.time.length)
    throw new DataError({
      message: `the forecast of series "${test.key}" does not cover its test timestamps: the forecaster returned other times than the data's frequency`,
      code: "bad_predictions",
    });
  const pick = (a: Float64Array) => Float64Array.from(idx, (k) => a[k]!);
  return {
    key: test.key,
    actual: Float64Array.from(actual),
    mean: pick(forecast.mean),
    insample: train.values,
    seasonLength,
    intervals: forecast.intervals.map((b) => ({
      level: b.level,
      lower: pick(b.lower),
      upper: pick(b.upper),
    })),
  };
}

function mean(rows: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(rows[0] ?? {})) {
    const vals = rows.map((r) => r[k]!).filter((v) => !Number.isNaN(v));
    out[k] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : Number.NaN;
  }
  return out;
}

/**
 * `TimeSeriesTrain`: reads the series (data checks naming series and timestamps), holds out the last
 * `horizon` points of every series as the test split, chooses among the candidate forecasters by a
 * rolling-origin backtest on the data before the test split, scores the winner, the seasonal naive
 * baseline and the champion's forecaster (refitted on the same data) on the test split, refits the
 * winner on all data and registers a model version.
 */
export const timeSeriesTrain = definePipeline({
  type: "TimeSeriesTrain",
  description:
    "Time-ordered splits, rolling-origin backtesting to choose a forecaster, seasonal naive baseline, champion comparison, registers a model version.",
  requires: ["forecaster", "model_repository"],
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["target", "time", "horizon"],
    properties: {
      ...SERIES_PROPERTIES,
      perf_metric: {
        enum: [...FORECAST_ERROR_METRICS],
        default: "mase",
        description:
          "Error metric the forecaster is chosen and compared by (mean over backtest folds, then test).",
      },
      metrics: {
        type: "array",
        items: { type: "string" },
        description:
          "Metrics computed on every split (mae, rmse, mape, smape, mase, coverage_<level>). Default: all of them; mape is left out with a warning when actuals hold zeros (asked for explicitly, it is an error).",
      },
      folds: { type: "integer", minimum: 1, default: 3, description: "Rolling-origin backtest folds." },
      step: {
        type: "integer",
        minimum: 1,
        description: "Periods between fold origins. Default: the horizon.",
      },
      min_train_length: {
        type: "integer",
        minimum: 2,
        default: 2,
        description: "Points a series needs before an origin to take part in a fold.",
      },
      candidates: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["type"],
          properties: { type: { type: "string" }, config: { type: "object" } },
        },
        description:
          "Forecaster types (and configs) to choose from by backtest. Default: the forecaster component alone.",
      },
      baseline: {
        type: "string",
        default: "SeasonalNaiveForecaster",
        description: "Forecaster type of the baseline the model must beat.",
      },
      refit_on_all_data: {
        type: "boolean",
        default: true,
        description:
          "Refit the winner on every point (test split included) before registering it, so predict forecasts from the end of the data.",
      },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as unknown as TimeSeriesTrainConfig;
    const levels = [...cfg.levels].sort((a, b) => a - b);

    return {
      /** Backtests, chooses, evaluates and registers a forecaster from processed data. */
      async train_model(processed: ProcessResult, options: StageOptions = {}): Promise<TrainResult> {
        const tracker = ctx.optionalComponent("metadata_tracker");
        const repo = ctx.component("model_repository");
        const run =
          tracker && options.run_id
            ? await tracker.start_run({
                name: "train",
                parent_id: options.run_id,
                tags: { "lolpop.stage": "train" },
              })
            : undefined;
        try {
          const main = ctx.component("forecaster");
          const spec = {
            time: cfg.time,
            target: cfg.target,
            ids: ids(cfg.ids),
            exogenous: cfg.exogenous ?? [],
            ...(cfg.frequency ? { frequency: cfg.frequency } : {}),
            ...(cfg.season_length ? { season_length: cfg.season_length } : {}),
          };
          const data = await main.prepare_series(processed.table, spec);
          const h = cfg.horizon;
          // Test split: the last horizon of every series; backtest folds inside what comes before it.
          const [testFold] = await main.split_series(data, {
            horizon: h,
            folds: 1,
            min_train_length: cfg.min_train_length,
          });
          if (!testFold || testFold.train.series.length === 0)
            throw new DataError({
              message: `no series has ${cfg.min_train_length} points before its last ${h} (the test split): lower horizon or add history`,
            });
          const folds = await main.split_series(testFold.train, {
            horizon: h,
            folds: cfg.folds,
            ...(cfg.step ? { step: cfg.step } : {}),
            min_train_length: cfg.min_train_length,
          });
          const valid = folds.filter((f) => f.train.series.length > 0);
          if (valid.length === 0)
            throw new DataError({
              message: `no backtest fold has data: the series are too short for ${cfg.folds} folds of ${h} before the test split; lower folds, step or horizon`,
            });

          const mainInfo = ctx.componentInfo("forecaster")!;
          const candidates: Array<{ type: string; config: Record<string, unknown>; forecaster: Forecaster }> =
            [];
          // Candidates are named by type, with their position when one type appears more than once.
          if (cfg.candidates)
            for (const c of cfg.candidates)
              candidates.push({
                type: c.type,
                config: c.config ?? {},
                forecaster: await ctx.createComponent("forecaster", c.type, c.config ?? {}),
              });
          else candidates.push({ type: mainInfo.type, config: mainInfo.config, forecaster: main });
          const baselineForecaster = await ctx.createComponent("forecaster", cfg.baseline, {});
          const nameOf = (i: number) =>
            candidates.filter((c) => c.type === candidates[i]!.type).length > 1
              ? `${candidates[i]!.type}#${i + 1}`
              : candidates[i]!.type;

          // Metric names: coverage for the levels the forecaster gives; MAPE dropped (with a warning) on zero actuals unless asked for.
          const allScored: ScoredSeries[] = [];
          const namesFor = (sc: ScoredSeries[]): string[] => {
            if (cfg.metrics) return [...new Set([...cfg.metrics, cfg.perf_metric])];
            const given = levels.filter((l) => sc.every((s) => s.intervals?.some((b) => b.level === l)));
            const zeros = hasZeroActuals(allScored);
            return defaultForecastMetrics(given, !zeros || cfg.perf_metric === "mape");
          };
          const scoreFold = async (
            f: Forecaster,
            fold: Pick<ForecastFold, "train" | "test" | "exogenous">,
          ): Promise<{ fitted: FittedForecast; series: ScoredSeries[] }> => {
            ctx.signal.throwIfAborted();
            const fitted = await f.fit(fold.train, { signal: ctx.signal });
            const out = await fitted.forecast({
              horizon: h,
              level: levels,
              ...(fold.exogenous ? { exogenous: fold.exogenous } : {}),
              signal: ctx.signal,
            });
            const byKey = new Map(out.map((o) => [o.key, o]));
            const series = fold.test.map((t, i) => {
              const o = byKey.get(t.key);
              if (!o)
                throw new DataError({
                  message: `the forecaster returned no forecast for series "${t.key}"`,
                  code: "bad_predictions",
                });
              return scored(fold.train.series[i]!, t, o, data.seasonLength);
            });
            return { fitted, series };
          };
          for (const fold of [...valid, testFold])
            for (const t of fold.test) allScored.push({ key: t.key, actual: t.values, mean: t.values });
          if (hasZeroActuals(allScored) && !cfg.metrics && cfg.perf_metric !== "mape")
            ctx.logger.warn(
              "the actuals hold zeros: mape is undefined there and is not computed (smape and mase are)",
            );

          // Backtest every candidate and the baseline on the folds.
          const backtest: BacktestFoldSummary[] = valid.map((f) => ({
            fold: f.index,
            train_end: label(f.train, f.origin),
            test_start: firstTestLabel(f),
            test_end: label(f.train, f.testEnd),
            series: f.train.series.length,
            skipped: f.skipped,
            metrics: {},
          }));
          const results: Array<{
            name: string;
            type: string;
            config: Record<string, unknown>;
            forecaster: Forecaster;
            valid: Record<string, number>;
          }> = [];
          const entrants = [
            ...candidates.map((c, i) => ({ ...c, name: nameOf(i) })),
            {
              type: cfg.baseline,
              name: `baseline ${cfg.baseline}`,
              config: {},
              forecaster: baselineForecaster,
            },
          ];
          for (const c of entrants) {
            const perFold: Array<Record<string, number>> = [];
            for (const [i, fold] of valid.entries()) {
              const { series } = await scoreFold(c.forecaster, fold);
              const m = forecastMetrics(namesFor(series), series);
              perFold.push(m);
              backtest[i]!.metrics[c.name] = m;
            }
            results.push({ ...c, valid: mean(perFold) });
          }
          const baselineValid = results.pop()!.valid;
          const pm = cfg.perf_metric;
          let winner = results[0]!;
          for (const r of results.slice(1))
            if (r.valid[pm]! < winner.valid[pm]! || Number.isNaN(winner.valid[pm]!)) winner = r;
          ctx.logger.info(
            `backtest (${valid.length} folds) ${pm}: ${results.map((r) => `${r.name} ${r.valid[pm]!.toFixed(4)}`).join(", ")}, baseline ${baselineValid[pm]!.toFixed(4)}`,
          );

          // Test split: winner, baseline and the champion's forecaster, each fitted before the test window.
          const testScores = await scoreFold(winner.forecaster, testFold);
          const names = namesFor(testScores.series);
          const metrics: SplitMetrics = {
            valid: winner.valid,
            test: forecastMetrics(names, testScores.series),
          };
          const baselineTest = await scoreFold(baselineForecaster, testFold);
          const baseline: SplitMetrics = {
            valid: baselineValid,
            test: forecastMetrics(namesFor(baselineTest.series), baselineTest.series),
          };
          let champion: TrainResult["champion"];
          const current = await repo.get_alias(cfg.model_name, CHAMPION_ALIAS);
          if (current) {
            const dir = await repo.download_model(cfg.model_name, current.version);
            const meta = (await readBundleMeta(dir)) as unknown as ForecastBundleMeta;
            if (
              meta.problem_type !== "timeseries" ||
              meta.series.target !== cfg.target ||
              meta.series.time !== cfg.time
            ) {
              ctx.logger.warn(
                `champion v${current.version} is not a forecaster of ${cfg.target} by ${cfg.time}: it is not compared`,
              );
            } else {
              // The champion's fitted state has seen the test window: its forecaster is refitted on the same data as the challenger.
              const f = await ctx.createComponent("forecaster", meta.forecaster.type, meta.forecaster.config);
              const s = await scoreFold(f, testFold);
              champion = {
                version: current.version,
                scored: true,
                metrics: forecastMetrics(namesFor(s.series), s.series),
              };
            }
          }
          const challengerScore = metrics.test![pm]!;
          const baselineScore = baseline.test![pm]!;
          const championScore = champion?.metrics?.[pm];
          const comparison = {
            split: "test",
            challenger: challengerScore,
            baseline: baselineScore,
            ...(championScore !== undefined ? { champion: championScore } : {}),
            beats_baseline: challengerScore < baselineScore,
            beats_champion: championScore === undefined || challengerScore < championScore,
          };
          ctx.logger.info(
            `baseline ${pm} on test: ${baselineScore.toFixed(4)}, challenger: ${challengerScore.toFixed(4)}`,
          );
          if (!comparison.beats_baseline)
            await ctx.notify(
              `the forecaster does not beat the ${cfg.baseline} baseline on test ${pm} (${challengerScore.toFixed(4)} vs ${baselineScore.toFixed(4)})`,
              "warn",
            );

          const final = cfg.refit_on_all_data
            ? await winner.forecaster.fit(data, { signal: ctx.signal })
            : testScores.fitted;
          const fitSet: ForecastSeriesSet = cfg.refit_on_all_data ? data : testFold.train;
          const flat: Record<string, number> = {};
          for (const [s, m] of Object.entries(metrics))
            for (const [k, v] of Object.entries(m)) flat[`${s}.${k}`] = v;
          for (const [s, m] of Object.entries(baseline))
            for (const [k, v] of Object.entries(m)) flat[`baseline.${s}.${k}`] = v;
          if (championScore !== undefined) flat[`champion.test.${pm}`] = championScore;
          const meta: ForecastBundleMeta = {
            format: 1,
            problem_type: "timeseries",
            series: {
              ...spec,
              frequency: data.frequencyLabel,
              season_length: data.seasonLength,
            },
            horizon: h,
            levels,
            forecaster: { type: winner.type, config: winner.config },
            metrics: flat,
            datasets: [
              {
                name: processed.dataset.name,
                fingerprint: processed.dataset.fingerprint,
                rows: processed.dataset.rows,
              },
            ],
            series_end: Object.fromEntries(
              fitSet.series.map((s) => [s.key, label(fitSet, s.time[s.time.length - 1]!)]),
            ),
            ...(options.run_id ? { workflow_run_id: options.run_id } : {}),
          };
          const dir = await writeForecastBundle(final, meta);
          let version: number;
          try {
            const mv = await repo.register_model({
              name: cfg.model_name,
              dir,
              ...(run ? { run_id: run.id } : {}),
              metrics: flat,
              tags: {
                trainer: winner.type,
                problem_type: "timeseries",
                // What a later decision without retraining (`lolpop models approve`) needs.
                [MODEL_TAGS.perfMetric]: pm,
                [MODEL_TAGS.comparisonSplit]: "test",
                [MODEL_TAGS.comparedWith]: champion ? String(champion.version) : "none",
              },
            });
            version = mv.version;
          } finally {
            await removeBundle(dir);
          }
          if (tracker && run) {
            await tracker.log_params(run.id, {
              forecaster: winner.type,
              ...winner.config,
              horizon: h,
              folds: valid.length,
              perf_metric: pm,
              frequency: data.frequencyLabel,
              season_length: data.seasonLength,
            });
            await tracker.log_metrics(run.id, flat);
            for (const f of backtest)
              for (const [type, m] of Object.entries(f.metrics))
                await tracker.log_metrics(
                  run.id,
                  Object.fromEntries(Object.entries(m).map(([k, v]) => [`backtest.${type}.${k}`, v])),
                  { step: f.fold },
                );
            await tracker.log_tags(run.id, { model_name: cfg.model_name, model_version: String(version) });
            await tracker.end_run(run.id, "FINISHED");
          }
          return {
            model_name: cfg.model_name,
            version,
            registered: true,
            trainer: winner.type,
            params: winner.config,
            perf_metric: pm,
            metrics,
            baseline,
            ...(champion ? { champion } : {}),
            comparison,
            refit_on_all_data: cfg.refit_on_all_data,
            ...(candidates.length > 1 ? { trials: candidates.length } : {}),
            ...(processed.check ? { data_check: processed.check.status } : {}),
            backtest,
            test_split: {
              train_end: label(testFold.train, testFold.origin),
              test_start: firstTestLabel(testFold),
              test_end: label(testFold.train, testFold.testEnd),
            },
          };
        } catch (e) {
          if (tracker && run) await tracker.end_run(run.id, "FAILED").catch(() => undefined);
          throw e;
        }
      },
    };
  },
});

/** A timestamp of `set` as written in outputs. */
function label(set: ForecastSeriesSet, t: number): string {
  return set.formatTime(t);
}

/** The earliest test timestamp of a fold. */
function firstTestLabel(fold: ForecastFold): string {
  let first = Number.POSITIVE_INFINITY;
  for (const t of fold.test) if (t.time.length && t.time[0]! < first) first = t.time[0]!;
  return label(fold.train, first);
}
