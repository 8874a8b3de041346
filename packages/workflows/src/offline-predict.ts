import {
  ConfigError,
  type ConfigIssue,
  DataError,
  definePipeline,
  type InferenceBundle,
  loadInferenceBundle,
  type Predictions,
  readBundleMeta,
  Table,
  typingOf,
} from "@lolpop/core";
import { computeMetrics, defaultMetrics, metricNotes, PROBABILITY_METRICS } from "@lolpop/core/metrics";
import {
  findPredictionJob,
  groundTruthSource,
  modelVersionToUse,
  savePredictions,
} from "./prediction-job.js";
import type { EvaluateOptions, EvaluateResult, PredictResult, StageOptions } from "./types.js";
import { checkPredictPlan, columnsOf } from "./workflows-config-checks.js";

interface PredictConfig {
  model_name: string;
  model_version?: number;
  output_path?: string;
  ground_truth_path?: string;
  passthrough: string[];
  require_index: boolean;
}

/** `OfflinePredict`: scores new data with the champion (or a pinned version) and saves predictions. */
export const offlinePredict = definePipeline({
  type: "OfflinePredict",
  description:
    "Scores new data by replaying the champion's inference bundle and saves predictions; tracked as a prediction job.",
  requires: ["data_connector", "model_repository"],
  uses: ["data_checker", "metadata_tracker"],
  checkPlan: checkPredictPlan,
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
      passthrough: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description: "Input columns copied into the predictions, after the index column.",
      },
      require_index: {
        type: "boolean",
        default: true,
        description:
          "The prediction data must have the index column (written with each prediction, to join ground truth). false: predict without it when it is missing.",
      },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as unknown as PredictConfig;

    /** The run-time half of the static check: the predict connector's columns: against the version's own typing. */
    const checkAgainstBundle = (bundle: InferenceBundle): void => {
      const info = ctx.componentInfo("data_connector");
      if (!info) return;
      const issues: ConfigIssue[] = [];
      for (const [name, typing] of Object.entries(columnsOf(info))) {
        const column = bundle.meta.input.columns.find((c) => c.name === name);
        const trained = column && typingOf(column);
        if (!trained || trained === typing) continue;
        const path = [...info.path.split("."), "config", "columns", name];
        const at = ctx.locate(path);
        issues.push({
          code: "contradicts_training",
          path: path.join("."),
          message: `${bundle.label} was trained with "${name}" as ${trained}, and predict replays its typing: remove it here, or make it ${trained}`,
          ...(at ? { file: at.file, ...(at.line ? { line: at.line, column: at.column } : {}) } : {}),
        });
      }
      if (issues.length) throw new ConfigError({ issues });
    };

    return {
      /** Predicts the connector's data by replaying the champion's (or the pinned version's) bundle; returns where the predictions went. */
      async predict_data(options: StageOptions & { source?: string } = {}): Promise<PredictResult> {
        const repo = ctx.component("model_repository");
        const mv = await modelVersionToUse(repo, cfg.model_name, cfg.model_version);
        const label = `model v${mv.version}`;
        const bundle = await loadInferenceBundle(ctx, await repo.download_model(cfg.model_name, mv.version), {
          label,
        });
        checkAgainstBundle(bundle);
        const index = bundle.meta.index;
        const data = await ctx
          .component("data_connector")
          .get_data(options.source, { expected: { schema: bundle.meta.input, label } });
        const { output: out, rows } = await bundle.predict(data, {
          passthrough: cfg.passthrough ?? [],
          requireIndex: cfg.require_index ?? true,
          what: "the prediction data",
          missingHint: (missing) =>
            index && missing.includes(index)
              ? `add the index column "${index}" (written with each prediction, to join it with ground truth), or set ${ctx.path}.config.require_index: false`
              : undefined,
        });
        if (index && !out.has(index))
          ctx.logger.warn(
            `the prediction data has no index column "${index}": predictions are written without it`,
          );
        const checker = ctx.optionalComponent("data_checker");
        if (checker) {
          const report = await checker.check_data(rows.select(bundle.meta.feature_columns), {
            name: "prediction_data",
          });
          if (report.status !== "PASS")
            await ctx.notify(
              `prediction data check: ${report.status}`,
              report.status === "ERROR" ? "error" : "warn",
            );
        }
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
        const truthSource = groundTruthSource(
          ctx,
          options,
          cfg.ground_truth_path,
          "the index and target columns",
        );
        const repo = ctx.component("model_repository");
        const connector = ctx.component("data_connector");
        const tracker = ctx.optionalComponent("metadata_tracker");
        // Which prediction job: the given one, else the latest of this model (needs a tracker).
        const found = await findPredictionJob(ctx, cfg.model_name, options);
        const predictionsPath = found.predictions_path;
        const jobId = found.job_id;
        const jobVersion = found.version;
        const preds = await connector.get_data(predictionsPath);
        const truth = await connector.get_data(truthSource);
        const mv = await modelVersionToUse(repo, cfg.model_name, jobVersion ?? cfg.model_version);
        const bundle = await readBundleMeta(await repo.download_model(cfg.model_name, mv.version));
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
