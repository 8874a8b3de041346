import {
  CHAMPION_ALIAS,
  type Column,
  type ConfigCheckInfo,
  type ConfigCheckIssue,
  DataError,
  definePipeline,
  type LabeledData,
  type ProblemType,
  Table,
  type TrainedModel,
} from "@lolpop/core";
import {
  baselinePredictions,
  computeMetrics,
  defaultMetrics,
  isLowerBetter,
  METRIC_NAMES,
  metricNotes,
  metricProblemType,
  PROBABILITY_METRICS,
} from "@lolpop/core/metrics";
import { loadBundle, type ModelBundleMeta, removeBundle, writeBundle } from "./model-bundle.js";
import type { ProcessResult, SplitMetrics, StageOptions, TrainResult } from "./types.js";

interface TrainConfig {
  target: string;
  index?: string;
  model_name: string;
  perf_metric?: string;
  metrics?: string[];
  refit_on_all_data: boolean;
  seed: number;
}

function classesOf(tables: Table[], target: string): string[] {
  const set = new Set<string>();
  for (const t of tables) {
    const col = t.column(target);
    if (col.type !== "categorical") continue;
    const used = new Uint8Array(col.dictionary.length);
    for (let i = 0; i < col.codes.length; i++) if (col.codes[i]! >= 0) used[col.codes[i]!] = 1;
    col.dictionary.forEach((v, i) => used[i] && set.add(v));
  }
  return [...set].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** `perf_metric` and `metrics` must be metrics of the runner's problem type. */
function checkMetrics(cfg: TrainConfig, info: ConfigCheckInfo): ConfigCheckIssue[] {
  const problemType = info.problemType;
  if (!problemType) return [];
  const valid = METRIC_NAMES.filter((m) => metricProblemType(m) === problemType);
  const check = (name: unknown, path: Array<string | number>): ConfigCheckIssue[] =>
    typeof name === "string" &&
    (METRIC_NAMES as readonly string[]).includes(name) &&
    metricProblemType(name) !== problemType
      ? [
          {
            path,
            code: "metric_not_applicable",
            message: `${name} is a ${metricProblemType(name)} metric, and this workflow is ${problemType}: use one of ${valid.join(", ")}`,
          },
        ]
      : [];
  return [
    ...check(cfg.perf_metric, ["perf_metric"]),
    ...(Array.isArray(cfg.metrics) ? cfg.metrics.flatMap((m, i) => check(m, ["metrics", i])) : []),
  ];
}

/** Better means higher, or lower for error metrics. */
export function isBetter(metric: string, a: number, b: number): boolean {
  return isLowerBetter(metric) ? a < b : a > b;
}

/**
 * `OfflineTrain`: split, fit the feature transformer on train only, train one trainer or tune,
 * pick the winner on valid, score every split, compare with a baseline and with the champion on
 * the same test split (using the champion's own model and transformer), optionally refit on all
 * data, and register a model version.
 */
export const offlineTrain = definePipeline({
  type: "OfflineTrain",
  description:
    "Splits, encodes, trains or tunes, scores, compares with baseline and champion, registers a model version.",
  requires: ["data_splitter", "feature_transformer", "model_repository"],
  uses: ["model_trainer", "hyperparameter_tuner", "metadata_tracker"],
  checkConfig: checkMetrics,
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["target"],
    properties: {
      target: { type: "string", description: "Target column." },
      index: { type: "string", description: "Index column (kept out of the features)." },
      model_name: { type: "string", default: "model", description: "Registered model name." },
      perf_metric: {
        enum: [...METRIC_NAMES],
        description: "Metric the winner is chosen and compared by (default f1_macro / rmse).",
      },
      metrics: {
        type: "array",
        items: { enum: [...METRIC_NAMES] },
        description: "Metrics computed on every split (default: all for the problem type).",
      },
      refit_on_all_data: {
        type: "boolean",
        default: false,
        description: "After choosing the winner, refit transformer and model on train+valid+test.",
      },
      seed: { type: "integer", default: 42, description: "Seed handed to trainers." },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as unknown as TrainConfig;
    const problemType = (ctx.problemType ?? "classification") as ProblemType;
    const perfMetric = cfg.perf_metric ?? (problemType === "classification" ? "f1_macro" : "rmse");

    const featuresOf = (t: Table) => t.select(t.columnsWithRole("feature"));

    return {
      /** Trains (or tunes), evaluates and registers a challenger from processed data. */
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
          const splits = await ctx.component("data_splitter").split_data(processed.table);
          const named: Array<[string, Table]> = [
            ["train", splits.train],
            ["valid", splits.valid],
          ];
          if (splits.test) named.push(["test", splits.test]);
          for (const [name, t] of named)
            if (t.numRows === 0)
              throw new DataError({
                message: `the ${name} split is empty: use more data or change split_ratio`,
              });
          const classes =
            problemType === "classification"
              ? classesOf(
                  named.map(([, t]) => t),
                  cfg.target,
                )
              : undefined;
          if (classes && classes.length < 2)
            throw new DataError({
              message: `classification needs at least 2 classes in "${cfg.target}", found ${classes.length}`,
            });
          const metricNames = cfg.metrics ?? defaultMetrics(problemType, classes?.length);
          if (!metricNames.includes(perfMetric)) metricNames.push(perfMetric);

          const ft = ctx.component("feature_transformer");
          const rawFeatures = featuresOf(splits.train).columnNames;
          await ft.fit(featuresOf(splits.train));
          const encoded = new Map<string, LabeledData>();
          for (const [name, t] of named)
            encoded.set(name, { X: await ft.transform(featuresOf(t)), y: t.column(cfg.target) });
          const train = encoded.get("train")!;
          const valid = encoded.get("valid")!;

          let model: TrainedModel;
          let trials: number | undefined;
          const tuner = ctx.optionalComponent("hyperparameter_tuner");
          if (tuner) {
            const result = await tuner.run_experiment({
              problem_type: problemType,
              train,
              valid,
              classes,
              perf_metric: perfMetric,
              seed: cfg.seed,
              signal: ctx.signal,
            });
            model = result.best.model;
            trials = result.trials.length;
            if (tracker && run) {
              for (const [i, trial] of result.trials.entries()) {
                const r = await tracker.start_run({
                  name: `trial-${i + 1}`,
                  parent_id: run.id,
                  tags: { "lolpop.stage": "tuning_trial", trainer: trial.trainer },
                });
                await tracker.log_params(r.id, trial.params);
                const flat: Record<string, number> = {};
                for (const [split, m] of Object.entries(trial.metrics))
                  for (const [k, v] of Object.entries(m)) flat[`${split}.${k}`] = v;
                await tracker.log_metrics(r.id, flat);
                await tracker.end_run(r.id, "FINISHED");
              }
            }
          } else {
            model = await ctx.component("model_trainer").fit({
              problem_type: problemType,
              X: train.X,
              y: train.y,
              classes,
              valid,
              seed: cfg.seed,
              signal: ctx.signal,
              ...(run ? { run_id: run.id } : {}),
            });
          }
          ctx.lineage.recordSeed(ctx.path, cfg.seed);

          // Score every split, and a baseline fitted on train.
          const metrics: SplitMetrics = {};
          const baseline: SplitMetrics = {};
          const notes: Record<string, Record<string, string>> = {};
          for (const [name] of named) {
            const d = encoded.get(name)!;
            const predicted = await model.predict(d.X);
            if (predicted.problem_type === "classification" && !predicted.proba) {
              // A model without probabilities cannot be scored on probability metrics.
              const dropped = metricNames.filter((m) => PROBABILITY_METRICS.has(m));
              if (dropped.length) {
                if (
                  PROBABILITY_METRICS.has(perfMetric) ||
                  cfg.metrics?.some((m) => PROBABILITY_METRICS.has(m))
                ) {
                  throw new DataError({
                    message: `${model.trainer} gives no class probabilities, so ${dropped.join(", ")} cannot be computed: choose other metrics in train.config`,
                  });
                }
                ctx.logger.warn(
                  `${model.trainer} gives no class probabilities: ${dropped.join(", ")} not computed`,
                );
                metricNames.splice(
                  0,
                  metricNames.length,
                  ...metricNames.filter((m) => !PROBABILITY_METRICS.has(m)),
                );
              }
            }
            metrics[name] = computeMetrics(metricNames, d.y, predicted);
            const splitNotes = metricNotes(metrics[name]!, d.y, predicted);
            if (Object.keys(splitNotes).length) notes[name] = splitNotes;
            baseline[name] = computeMetrics(
              metricNames,
              d.y,
              baselinePredictions(problemType, train.y, d.X.numRows, classes),
            );
          }
          const split = splits.test ? "test" : "valid";
          const challengerScore = metrics[split]![perfMetric]!;
          const baselineScore = baseline[split]![perfMetric]!;
          ctx.logger.info(
            `baseline ${perfMetric} on ${split}: ${baselineScore.toFixed(4)}, challenger: ${challengerScore.toFixed(4)}`,
          );

          // Champion, scored on the same raw split with its own transformer and model.
          let champion: TrainResult["champion"];
          const current = await repo.get_alias(cfg.model_name, CHAMPION_ALIAS);
          if (current) {
            const bundle = await loadBundle(ctx, await repo.download_model(cfg.model_name, current.version));
            const rawSplit = split === "test" ? splits.test! : splits.valid;
            const missing = bundle.meta.feature_columns.filter((c) => !rawSplit.has(c));
            if (missing.length) {
              ctx.logger.warn(
                `champion v${current.version} needs columns the new data lacks (${missing.join(", ")}): it is not compared`,
              );
            } else {
              const X = await bundle.transformer.transform(rawSplit.select(bundle.meta.feature_columns));
              champion = {
                version: current.version,
                metrics: computeMetrics(
                  metricNames,
                  rawSplit.column(cfg.target),
                  await bundle.model.predict(X),
                ),
              };
            }
          }
          const championScore = champion?.metrics[perfMetric];
          const comparison = {
            split,
            challenger: challengerScore,
            baseline: baselineScore,
            ...(championScore !== undefined ? { champion: championScore } : {}),
            beats_baseline: isBetter(perfMetric, challengerScore, baselineScore),
            beats_champion:
              championScore === undefined || isBetter(perfMetric, challengerScore, championScore),
          };
          if (!comparison.beats_baseline)
            await ctx.notify(
              `the model does not beat the baseline on ${split} ${perfMetric} (${challengerScore.toFixed(4)} vs ${baselineScore.toFixed(4)})`,
              "warn",
            );

          // Optional refit on all data with the winning trainer and params.
          let finalModel = model;
          if (cfg.refit_on_all_data) {
            const all = Table.concat(named.map(([, t]) => t));
            await ft.fit(featuresOf(all));
            const X = await ft.transform(featuresOf(all));
            const trainer = await ctx.createComponent("model_trainer", model.trainer, {});
            finalModel = await trainer.fit({
              problem_type: problemType,
              X,
              y: all.column(cfg.target) as Column,
              classes,
              params: model.params,
              seed: cfg.seed,
              signal: ctx.signal,
              ...(run ? { run_id: run.id } : {}),
            });
          }

          const flat: Record<string, number> = {};
          for (const [s, m] of Object.entries(metrics))
            for (const [k, v] of Object.entries(m)) flat[`${s}.${k}`] = v;
          for (const [s, m] of Object.entries(baseline))
            for (const [k, v] of Object.entries(m)) flat[`baseline.${s}.${k}`] = v;
          if (championScore !== undefined) flat[`champion.${split}.${perfMetric}`] = championScore;
          const ftInfo = ctx.componentInfo("feature_transformer")!;
          const trainerInfo = ctx.componentInfo("model_trainer");
          const meta: ModelBundleMeta = {
            format: 1,
            problem_type: problemType,
            target: cfg.target,
            ...(cfg.index ? { index: cfg.index } : {}),
            ...(classes ? { classes } : {}),
            feature_columns: rawFeatures,
            trainer: {
              type: finalModel.trainer,
              config: trainerInfo?.type === finalModel.trainer ? trainerInfo.config : {},
            },
            feature_transformer: { type: ftInfo.type, config: ftInfo.config },
            params: finalModel.params,
            metrics: flat,
            datasets: [
              {
                name: processed.dataset.name,
                fingerprint: processed.dataset.fingerprint,
                rows: processed.dataset.rows,
              },
            ],
            ...(options.run_id ? { workflow_run_id: options.run_id } : {}),
          };
          // The training record is logged before registration, so a failed registration keeps it.
          if (tracker && run) {
            await tracker.log_params(run.id, {
              trainer: finalModel.trainer,
              ...finalModel.params,
              perf_metric: perfMetric,
              refit_on_all_data: cfg.refit_on_all_data,
            });
            await tracker.log_metrics(run.id, flat);
          }
          const dir = await writeBundle(finalModel, ft, meta);
          let version: number;
          try {
            const mv = await repo.register_model({
              name: cfg.model_name,
              dir,
              ...(run ? { run_id: run.id } : {}),
              metrics: flat,
              tags: { trainer: finalModel.trainer, problem_type: problemType },
            });
            version = mv.version;
          } finally {
            await removeBundle(dir);
          }
          if (tracker && run) {
            await tracker.log_tags(run.id, { model_name: cfg.model_name, model_version: String(version) });
            await tracker.end_run(run.id, "FINISHED");
          }
          return {
            model_name: cfg.model_name,
            version,
            trainer: finalModel.trainer,
            params: finalModel.params,
            perf_metric: perfMetric,
            metrics,
            ...(Object.keys(notes).length ? { metric_notes: notes } : {}),
            baseline,
            ...(champion ? { champion } : {}),
            comparison,
            refit_on_all_data: cfg.refit_on_all_data,
            ...(trials !== undefined ? { trials } : {}),
            ...(processed.check ? { data_check: processed.check.status } : {}),
          };
        } catch (e) {
          if (tracker && run) await tracker.end_run(run.id, "FAILED").catch(() => undefined);
          throw e;
        }
      },
    };
  },
});
