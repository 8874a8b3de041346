import { isAbsolute, join, resolve } from "node:path";
import {
  CHAMPION_ALIAS,
  ConfigError,
  DataError,
  definePipeline,
  type Predictions,
  Table,
} from "@lolpop/core";
import { computeMetrics, defaultMetrics, metricNotes, PROBABILITY_METRICS } from "@lolpop/core/metrics";
import { loadBundle } from "./model-bundle.js";
import type { EvaluateOptions, EvaluateResult, PredictResult, StageOptions } from "./types.js";

interface PredictConfig {
  model_name: string;
  model_version?: number;
  output_path?: string;
  ground_truth_path?: string;
}

/** Builds the output table: index (when present), prediction, and one probability column per class. */
function predictionTable(data: Table, index: string | undefined, p: Predictions): Table {
  const cols: Array<[string, ArrayLike<number> | Array<string | null>]> = [];
  if (index && data.has(index)) cols.push([index, data.values(index) as Array<string | null>]);
  if (p.problem_type === "regression") cols.push(["prediction", p.values]);
  else {
    cols.push(["prediction", Array.from(p.labels, (l) => p.classes[l] ?? null)]);
    if (p.proba) {
      const k = p.classes.length;
      p.classes.forEach((c, j) => {
        const col = new Float64Array(p.labels.length);
        for (let i = 0; i < col.length; i++) col[i] = p.proba![i * k + j]!;
        cols.push([`proba_${c}`, col]);
      });
    }
  }
  return Table.fromColumns(cols as never, index && data.has(index) ? { roles: { [index]: "index" } } : {});
}

/** `OfflinePredict`: scores new data with the champion (or a pinned version) and saves predictions. */
export const offlinePredict = definePipeline({
  type: "OfflinePredict",
  description: "Scores new data with the champion and saves predictions; tracked as a prediction job.",
  requires: ["data_connector", "model_repository"],
  uses: ["data_checker", "metadata_tracker"],
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      model_name: { type: "string", default: "model", description: "Registered model name." },
      model_version: { type: "integer", minimum: 1, description: "Pin a version instead of the champion." },
      output_path: {
        type: "string",
        description: "Where predictions are written (default .lolpop/predictions/<job>.csv).",
      },
      ground_truth_path: {
        type: "string",
        description:
          "File with the index and target of predicted rows, read by the evaluate step with this pipeline's data connector.",
      },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as unknown as PredictConfig;
    return {
      /** Predicts the connector's data with the champion; returns where the predictions went. */
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
        const bundle = await loadBundle(ctx, await repo.download_model(cfg.model_name, mv.version));
        const data = await ctx.component("data_connector").get_data(options.source);
        const missing = bundle.meta.feature_columns.filter((c) => !data.has(c));
        if (missing.length)
          throw new DataError({
            message: `the prediction data lacks columns model v${mv.version} was trained on: ${missing.join(", ")}`,
            code: "missing_column",
          });
        const raw = data.select(bundle.meta.feature_columns);
        const checker = ctx.optionalComponent("data_checker");
        if (checker) {
          const report = await checker.check_data(raw, { name: "prediction_data" });
          if (report.status !== "PASS")
            await ctx.notify(
              `prediction data check: ${report.status}`,
              report.status === "ERROR" ? "error" : "warn",
            );
        }
        const predictions = await bundle.model.predict(await bundle.transformer.transform(raw));
        const out = predictionTable(data, bundle.meta.index, predictions);
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
          await tracker.log_tags(job.id, { predictions_path: saved.uri, index: bundle.meta.index ?? "" });
          await tracker.log_metrics(job.id, { rows: out.numRows });
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
       * Joins saved predictions with ground truth by the index column and logs metrics on the
       * prediction job. `truth_source` is read with this pipeline's data connector.
       */
      async evaluate_ground_truth(options: EvaluateOptions = {}): Promise<EvaluateResult> {
        // A missing setting is a config error (exit 2, with the line), found before any work.
        const truthSource = options.truth_source ?? cfg.ground_truth_path;
        if (!truthSource) {
          throw new ConfigError({
            issues: [
              {
                code: "missing_key",
                path: `${ctx.path}.config.ground_truth_path`,
                message: `no ground truth to evaluate against: set ${ctx.path}.config.ground_truth_path to a file with the index and target columns`,
              },
            ],
          });
        }
        const repo = ctx.component("model_repository");
        const connector = ctx.component("data_connector");
        const tracker = ctx.optionalComponent("metadata_tracker");
        // Which prediction job: the given one, else the latest of this model (needs a tracker).
        let jobId = options.job_id;
        let predictionsPath = options.predictions_path;
        let jobVersion: number | undefined;
        if (tracker && (!predictionsPath || jobId)) {
          const job = jobId
            ? await tracker.get_run(jobId)
            : (
                await tracker.search_runs({
                  tags: { "lolpop.stage": "prediction_job", model_name: cfg.model_name },
                  limit: 1,
                })
              )[0];
          if (job) {
            jobId = job.id;
            predictionsPath ??= job.tags.predictions_path;
            jobVersion = Number(job.tags.model_version) || undefined;
          }
        }
        if (!predictionsPath) {
          throw new DataError({
            message: `no prediction job of model "${cfg.model_name}" found: run the predict step first (lolpop run --step predict)`,
            code: "no_prediction_job",
          });
        }
        const preds = await connector.get_data(predictionsPath);
        const truth = await connector.get_data(truthSource);
        const mv = jobVersion
          ? await repo.get_model_version(cfg.model_name, jobVersion)
          : cfg.model_version
            ? await repo.get_model_version(cfg.model_name, cfg.model_version)
            : await repo.get_alias(cfg.model_name, CHAMPION_ALIAS);
        if (!mv)
          throw new DataError({ message: `no champion of model "${cfg.model_name}"`, code: "no_champion" });
        const bundle = await loadBundle(ctx, await repo.download_model(cfg.model_name, mv.version));
        const index = bundle.meta.index;
        if (!index)
          throw new DataError({
            message:
              "evaluate_ground_truth needs an index column: set config.index so predictions can be joined with ground truth",
          });
        for (const [name, t] of [
          ["predictions", preds],
          ["ground truth", truth],
        ] as const) {
          if (!t.has(index))
            throw new DataError({
              message: `the ${name} have no index column "${index}"`,
              code: "missing_column",
            });
        }
        if (!truth.has(bundle.meta.target))
          throw new DataError({
            message: `the ground truth has no target column "${bundle.meta.target}"`,
            code: "missing_column",
          });
        const truthRow = new Map<string, number>();
        truth.values(index).forEach((v, i) => truthRow.set(String(v), i));
        const pi: number[] = [];
        const ti: number[] = [];
        preds.values(index).forEach((v, i) => {
          const j = truthRow.get(String(v));
          if (j !== undefined) {
            pi.push(i);
            ti.push(j);
          }
        });
        if (pi.length === 0)
          throw new DataError({ message: `no prediction matches a ground-truth row by "${index}"` });
        const p = preds.take(pi);
        const t = truth.take(ti);
        let predictions: Predictions;
        if (bundle.meta.problem_type === "regression")
          predictions = { problem_type: "regression", values: Float64Array.from(p.numeric("prediction")) };
        else {
          const classes = bundle.meta.classes ?? [];
          const labels = Int32Array.from(p.values("prediction"), (v) => classes.indexOf(String(v)));
          const k = classes.length;
          const hasProba = classes.every((c) => p.has(`proba_${c}`));
          const proba = hasProba ? new Float64Array(p.numRows * k) : undefined;
          if (proba)
            classes.forEach((c, j) => p.numeric(`proba_${c}`).forEach((v, i) => (proba[i * k + j] = v)));
          predictions = { problem_type: "classification", classes, labels, ...(proba ? { proba } : {}) };
        }
        let y = t.column(bundle.meta.target);
        if (bundle.meta.problem_type === "classification" && y.type === "numeric")
          y = Table.fromColumns({
            y: Array.from(y.values, (v) => (Number.isNaN(v) ? null : String(v))),
          }).column("y");
        const names = defaultMetrics(bundle.meta.problem_type, bundle.meta.classes?.length).filter(
          (m) =>
            predictions.problem_type === "regression" ||
            (predictions as { proba?: unknown }).proba ||
            !PROBABILITY_METRICS.has(m),
        );
        const metrics = computeMetrics(names, y, predictions);
        const notes = metricNotes(metrics, y, predictions);
        if (tracker && jobId)
          await tracker.log_metrics(
            jobId,
            Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`ground_truth.${k}`, v])),
          );
        return {
          ...(jobId ? { job_id: jobId } : {}),
          model_version: mv.version,
          rows: pi.length,
          unmatched: preds.numRows - pi.length,
          metrics,
          ...(Object.keys(notes).length ? { metric_notes: notes } : {}),
        };
      },
    };
  },
});
