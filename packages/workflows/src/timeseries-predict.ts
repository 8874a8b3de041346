import { DataError, definePipeline, type ForecastOutput, Table } from "@lolpop/core";
import { forecastMetrics, hasZeroActuals, type ScoredSeries } from "@lolpop/core/metrics";
import type { ForecastBundleMeta } from "./forecast-bundle.js";
import { loadForecastBundle, readBundleMeta } from "./forecast-bundle.js";
import {
  findPredictionJob,
  groundTruthSource,
  modelVersionToUse,
  savePredictions,
} from "./prediction-job.js";
import type { EvaluateOptions, EvaluateResult, PredictResult, StageOptions } from "./types.js";

interface TimeSeriesPredictConfig {
  ground_truth_path?: string;
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
      ground_truth_path: {
        type: "string",
        description:
          "File with the series ids, the time column and the target of forecast points, read by the evaluate step with this pipeline's data connector.",
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
        const mv = await modelVersionToUse(repo, cfg.model_name, cfg.model_version);
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
        const { tracker, job, saved } = await savePredictions(
          ctx,
          {
            model_name: cfg.model_name,
            version: mv.version,
            ...(cfg.output_path ? { output_path: cfg.output_path } : {}),
            ...(options.run_id ? { run_id: options.run_id } : {}),
          },
          out,
        );
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

      /**
       * Joins saved forecasts with ground truth by series ids and time, and logs the metrics on the
       * prediction job: mae, rmse, smape, mape (when no actual is 0) and coverage per interval level.
       * MASE needs the training data and is not computed here.
       */
      async evaluate_ground_truth(options: EvaluateOptions = {}): Promise<EvaluateResult> {
        // A missing setting is a config error (exit 2, with the line), found before any work.
        const truthSource = groundTruthSource(
          ctx,
          options,
          cfg.ground_truth_path,
          "the series ids, the time column and the target",
        );
        const repo = ctx.component("model_repository");
        const connector = ctx.component("data_connector");
        const tracker = ctx.optionalComponent("metadata_tracker");
        const found = await findPredictionJob(ctx, cfg.model_name, options);
        const predictionsPath = found.predictions_path;
        const jobId = found.job_id;
        const jobVersion = found.version;
        const { version } = await modelVersionToUse(repo, cfg.model_name, jobVersion ?? cfg.model_version);
        const meta = (await readBundleMeta(
          await repo.download_model(cfg.model_name, version),
        )) as unknown as ForecastBundleMeta;
        const preds = await connector.get_data(predictionsPath);
        const truth = await connector.get_data(truthSource);
        const keyCols = [...meta.series.ids, meta.series.time];
        for (const [name, t, cols] of [
          ["predictions", preds, [...keyCols, "mean"]],
          ["ground truth", truth, [...keyCols, meta.series.target]],
        ] as const)
          for (const c of cols)
            if (!t.has(c))
              throw new DataError({ message: `the ${name} have no column "${c}"`, code: "missing_column" });
        // Time values are compared as written ("2024-05-01"); datetimes read back are compared by instant.
        const cell = (t: Table, c: string, i: number) => {
          const v = t.get(i, c);
          if (c !== meta.series.time || v === null) return String(v);
          const ms = typeof v === "number" ? v : Date.parse(String(v));
          return Number.isNaN(ms) || /index/.test(meta.series.frequency) ? String(v) : String(ms);
        };
        const rowKey = (t: Table, i: number) => keyCols.map((c) => cell(t, c, i)).join("\u0000");
        const truthRow = new Map<string, number>();
        for (let i = 0; i < truth.numRows; i++) truthRow.set(rowKey(truth, i), i);
        const levels = preds.columnNames
          .filter((c) => c.startsWith("lower_") && preds.has(`upper_${c.slice(6)}`))
          .map((c) => Number(c.slice(6)));
        const groups = new Map<string, { p: number[]; t: number[] }>();
        let unmatched = 0;
        for (let i = 0; i < preds.numRows; i++) {
          const j = truthRow.get(rowKey(preds, i));
          if (j === undefined) {
            unmatched++;
            continue;
          }
          const series = meta.series.ids.map((c) => cell(preds, c, i)).join(", ");
          const g = groups.get(series) ?? { p: [], t: [] };
          g.p.push(i);
          g.t.push(j);
          groups.set(series, g);
        }
        if (groups.size === 0)
          throw new DataError({
            message: `no forecast matches a ground-truth row by ${keyCols.join(", ")}`,
          });
        const y = truth.numeric(meta.series.target);
        const scoredSeries: ScoredSeries[] = [...groups].map(([key, g]) => ({
          key,
          actual: Float64Array.from(g.t, (j) => y[j]!),
          mean: Float64Array.from(g.p, (i) => preds.numeric("mean")[i]!),
          intervals: levels.map((level) => ({
            level,
            lower: Float64Array.from(g.p, (i) => preds.numeric(`lower_${level}`)[i]!),
            upper: Float64Array.from(g.p, (i) => preds.numeric(`upper_${level}`)[i]!),
          })),
        }));
        const names = [
          "mae",
          "rmse",
          ...(hasZeroActuals(scoredSeries) ? [] : ["mape"]),
          "smape",
          ...levels.map((l) => `coverage_${l}`),
        ];
        const metrics = forecastMetrics(names, scoredSeries);
        if (tracker && jobId)
          await tracker.log_metrics(
            jobId,
            Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`ground_truth.${k}`, v])),
          );
        const rows = scoredSeries.reduce((a, s) => a + s.actual.length, 0);
        return { ...(jobId ? { job_id: jobId } : {}), model_version: version, rows, unmatched, metrics };
      },
    };
  },
});
