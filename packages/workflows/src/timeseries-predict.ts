import { isAbsolute, join, resolve } from "node:path";
import { CHAMPION_ALIAS, DataError, definePipeline, type ForecastOutput, Table } from "@lolpop/core";
import type { ForecastBundleMeta } from "./forecast-bundle.js";
import { loadForecastBundle } from "./forecast-bundle.js";
import type { PredictResult, StageOptions } from "./types.js";

interface TimeSeriesPredictConfig {
  model_name: string;
  model_version?: number;
  output_path?: string;
  horizon?: number;
  levels?: number[];
}

/**
 * The forecast rows: the id columns, the time column, `mean`, then `lower_<level>` and
 * `upper_<level>` per interval level (absent when the model gives no intervals).
 */
export function forecastTable(meta: ForecastBundleMeta, forecasts: ForecastOutput[]): Table {
  const idCols = meta.series.ids;
  const cols: Array<[string, Array<string | number | null> | Float64Array]> = [];
  const n = forecasts.reduce((a, f) => a + f.mean.length, 0);
  idCols.forEach((name, j) => {
    const v: Array<string | number | null> = [];
    for (const f of forecasts) for (let k = 0; k < f.mean.length; k++) v.push(f.idValues[j] ?? null);
    cols.push([
      name,
      v.every((x) => typeof x === "number")
        ? Float64Array.from(v as number[])
        : v.map((x) => (x === null ? null : String(x))),
    ]);
  });
  cols.push([meta.series.time, forecasts.flatMap((f) => f.labels)]);
  const mean = new Float64Array(n);
  let o = 0;
  for (const f of forecasts) {
    mean.set(f.mean, o);
    o += f.mean.length;
  }
  cols.push(["mean", mean]);
  const levels = forecasts[0]?.intervals.map((b) => b.level) ?? [];
  for (const level of levels) {
    for (const side of ["lower", "upper"] as const) {
      const col = new Float64Array(n);
      let p = 0;
      for (const f of forecasts) {
        const band = f.intervals.find((b) => b.level === level);
        col.set(band ? band[side] : new Float64Array(f.mean.length).fill(Number.NaN), p);
        p += f.mean.length;
      }
      cols.push([`${side}_${level}`, col]);
    }
  }
  return Table.fromColumns(cols as never, {
    roles: Object.fromEntries(idCols.map((c) => [c, "index"])) as never,
  });
}

/** A future timestamp as text, in the same form as the forecast's labels when it is one of them. */
function timeText(t: number, f: ForecastOutput): string {
  const i = Array.prototype.indexOf.call(f.time, t);
  return i >= 0 ? f.labels[i]! : new Date(t).toISOString();
}

/**
 * `TimeSeriesPredict`: forecasts the next `horizon` points of every series with the champion (or a
 * pinned version), with prediction intervals where the model gives them, and saves them with the
 * data connector; tracked as a prediction job.
 */
export const timeSeriesPredict = definePipeline({
  type: "TimeSeriesPredict",
  description:
    "Forecasts the next horizon of every series with the champion and saves them (time, ids, mean, interval bounds).",
  requires: ["data_connector", "model_repository"],
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      model_name: { type: "string", default: "model", description: "Registered model name." },
      model_version: { type: "integer", minimum: 1, description: "Pin a version instead of the champion." },
      output_path: {
        type: "string",
        description:
          "Where forecasts are written (default .lolpop/predictions/<job>.csv). With exogenous columns, the data connector's configured data holds their future values (time, ids, exogenous columns, one row per future step).",
      },
      horizon: {
        type: "integer",
        minimum: 1,
        description: "Points per series. Default: the horizon the model was trained for.",
      },
      levels: {
        type: "array",
        items: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 100 },
        description: "Interval levels in percent. Default: those the model was trained with.",
      },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as unknown as TimeSeriesPredictConfig;
    return {
      /** Forecasts the next horizon of every series the champion was fitted on. */
      async predict_data(options: StageOptions & { source?: string } = {}): Promise<PredictResult> {
        const repo = ctx.component("model_repository");
        const mv = cfg.model_version
          ? await repo.get_model_version(cfg.model_name, cfg.model_version)
          : await repo.get_alias(cfg.model_name, CHAMPION_ALIAS);
        if (!mv)
          throw new DataError({
            message: `no champion of model "${cfg.model_name}" yet: run the train and deploy steps first (lolpop run --step all)`,
            code: "no_champion",
          });
        const { meta, fitted } = await loadForecastBundle(
          ctx,
          await repo.download_model(cfg.model_name, mv.version),
        );
        const horizon = cfg.horizon ?? meta.horizon;
        const level = cfg.levels ?? meta.levels;
        let exogenous: Record<string, Record<string, Float64Array>> | undefined;
        let future: Map<string, Float64Array> | undefined;
        if (meta.series.exogenous.length) {
          // Future values of the exogenous columns: rows of the connector's data after the end of
          // each series, read and checked like training data (the target is not needed).
          const raw = await ctx.component("data_connector").get_data(options.source);
          const missing = [meta.series.time, ...meta.series.ids, ...meta.series.exogenous].filter(
            (c) => !raw.has(c),
          );
          if (missing.length)
            throw new DataError({
              message: `model v${mv.version} forecasts with exogenous columns: the prediction data must hold their future values, but lacks ${missing.join(", ")}`,
              code: "missing_column",
            });
          const forecaster = await ctx.createComponent(
            "forecaster",
            meta.forecaster.type,
            meta.forecaster.config,
          );
          const rows = raw
            .select([meta.series.time, ...meta.series.ids, ...meta.series.exogenous])
            .withColumn(meta.series.target, new Float64Array(raw.numRows));
          // No season length: a future window shorter than a season is fine.
          const data = await forecaster.prepare_series(rows, {
            time: meta.series.time,
            target: meta.series.target,
            ids: meta.series.ids,
            exogenous: meta.series.exogenous,
            frequency: meta.series.frequency,
          });
          exogenous = {};
          future = new Map();
          const byKey = new Map(data.series.map((s) => [s.key, s]));
          for (const key of Object.keys(meta.series_end ?? {})) {
            const s = byKey.get(key);
            if (!s || s.time.length < horizon)
              throw new DataError({
                message: `series "${key}" has ${s?.time.length ?? 0} future rows of ${meta.series.exogenous.join(", ")} in the prediction data; forecasting ${horizon} points needs ${horizon}, from the step after ${meta.series_end![key]}`,
                code: "exogenous_future_missing",
              });
            exogenous[key] = Object.fromEntries(
              meta.series.exogenous.map((c) => [c, s.exogenous[c]!.slice(0, horizon)]),
            );
            future.set(key, s.time);
          }
        }
        const forecasts = await fitted.forecast({
          horizon,
          level,
          ...(exogenous ? { exogenous } : {}),
          signal: ctx.signal,
        });
        for (const f of forecasts) {
          const t = future?.get(f.key);
          if (t && t[0] !== f.time[0])
            throw new DataError({
              message: `the future rows of series "${f.key}" start at ${meta.series.time} = ${timeText(t[0]!, f)} but its forecast starts at ${f.labels[0]}: give the prediction data the ${horizon} steps right after the training data`,
              code: "exogenous_future_misaligned",
            });
        }
        const out = forecastTable(meta, forecasts);
        const tracker = ctx.optionalComponent("metadata_tracker");
        const job = tracker
          ? await tracker.start_run({
              name: `predict-${cfg.model_name}-v${mv.version}`,
              ...(options.run_id ? { parent_id: options.run_id } : {}),
              tags: {
                "lolpop.stage": "prediction_job",
                model_name: cfg.model_name,
                model_version: String(mv.version),
              },
            })
          : undefined;
        const jobName = job?.id ?? `${cfg.model_name}-v${mv.version}-${Date.now()}`;
        const target = cfg.output_path
          ? isAbsolute(cfg.output_path)
            ? cfg.output_path
            : resolve(ctx.project.root, cfg.output_path)
          : join(ctx.project.stateDir, "predictions", `${jobName}.csv`);
        const saved = await ctx.component("data_connector").save_data(out, target);
        ctx.lineage.recordDataset({
          name: "predictions",
          fingerprint: out.fingerprint(),
          rows: out.numRows,
          columns: out.numColumns,
          source: saved.uri,
          context: "prediction",
        });
        if (tracker && job) {
          await tracker.log_tags(job.id, { predictions_path: saved.uri });
          await tracker.log_metrics(job.id, { rows: out.numRows, series: forecasts.length });
          await tracker.end_run(job.id, "FINISHED");
        }
        return {
          version: mv.version,
          rows: out.numRows,
          path: saved.uri,
          ...(job ? { job_id: job.id } : {}),
        };
      },

      /** Not available for time series yet: says so instead of scoring the wrong thing. */
      async evaluate_ground_truth(): Promise<never> {
        throw new DataError({
          message:
            "evaluating saved forecasts against ground truth is not available for time series yet: retrain instead (the test split and backtest folds score the forecaster)",
          code: "not_supported",
        });
      },
    };
  },
});
