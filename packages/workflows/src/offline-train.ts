import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  BUNDLE_FORMAT,
  CHAMPION_ALIAS,
  type ChallengerIdentity,
  CORE_VERSION,
  type Column,
  DataError,
  definePipeline,
  describeColumns,
  hashValue,
  type InferenceBundleMeta,
  type InputSchema,
  isCancellation,
  type LabeledData,
  loadInferenceBundle,
  MODEL_TAGS,
  type ModelVersionInfo,
  type ProblemType,
  readBundleMeta,
  removeBundle,
  runCachedStep,
  type StepCacheUse,
  Table,
  type TrainedModel,
  tableChunks,
  tableFromBytes,
  thrownError,
  writeBundle,
} from "@lolpop/core";
import {
  baselinePredictions,
  computeMetrics,
  defaultMetrics,
  isLowerBetter,
  METRIC_NAMES,
  metricNotes,
  PROBABILITY_METRICS,
} from "@lolpop/core/metrics";
import { savedComponent } from "./saved-component.js";
import { componentIdentity, noteStepCache, stepCacheUse } from "./step-cache-use.js";
import type {
  ChampionScore,
  ProcessResult,
  SplitMetrics,
  StageOptions,
  TrainOptions,
  TrainResult,
} from "./types.js";
import { checkMetrics } from "./workflows-config-checks.js";

interface TrainConfig {
  target: string;
  index?: string;
  model_name: string;
  perf_metric?: string;
  metrics?: string[];
  refit_on_all_data: boolean;
  seed: number;
  cache?: boolean | { split?: boolean; encode?: boolean; train?: boolean };
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

/** Better means higher, or lower for error metrics. */
export function isBetter(metric: string, a: number, b: number): boolean {
  return isLowerBetter(metric) ? a < b : a > b;
}

/** Metrics by split as one flat map: `test.f1_macro`, `baseline.test.f1_macro`. */
function flatten(metrics: SplitMetrics, baseline: SplitMetrics): Record<string, number> {
  const flat: Record<string, number> = {};
  for (const [s, m] of Object.entries(metrics)) for (const [k, v] of Object.entries(m)) flat[`${s}.${k}`] = v;
  for (const [s, m] of Object.entries(baseline))
    for (const [k, v] of Object.entries(m)) flat[`baseline.${s}.${k}`] = v;
  return flat;
}

/** The inverse of {@link flatten} for the given splits (other keys, e.g. `champion.*`, are skipped). */
function unflatten(
  flat: Record<string, number>,
  splits: string[],
): { metrics: SplitMetrics; baseline: SplitMetrics } {
  const metrics: SplitMetrics = {};
  const baseline: SplitMetrics = {};
  for (const [key, v] of Object.entries(flat)) {
    const parts = key.split(".");
    const [first, second, third] = parts as [string, string?, string?];
    if (parts.length === 2 && splits.includes(first)) {
      metrics[first] ??= {};
      metrics[first][second!] = v;
    } else if (parts.length === 3 && first === "baseline" && splits.includes(second!)) {
      baseline[second!] ??= {};
      baseline[second!]![third!] = v;
    }
  }
  return { metrics, baseline };
}

/** Whether two saved data transformers are the same (type, config and code). */
function sameTransformer(
  a: ProcessResult["data_transformer"],
  b: ProcessResult["data_transformer"],
): boolean {
  if (!a || !b) return !a && !b;
  return (
    hashValue({ type: a.type, config: a.config, code: a.code?.sha256 }) ===
    hashValue({ type: b.type, config: b.config, code: b.code?.sha256 })
  );
}

/** What it takes to score a champion on a challenger's comparison split (again, after a compare-and-set conflict). */
interface ComparisonState {
  split: string;
  /** The split's rows as the workflow trains on them (after the process data transformer). */
  rows: Table;
  /** The data as read, when a data transformer ran (the champion's own transformer is replayed on it). */
  raw?: Table;
  index?: string;
  dataTransformer?: ProcessResult["data_transformer"];
  metricNames: string[];
}

/**
 * `OfflineTrain`: split, fit the feature transformer on train only, train one trainer or tune,
 * pick the winner on valid, score every split, compare with a baseline and with the champion on
 * the same test split (replaying the champion's own inference bundle), optionally refit on all
 * data, and register a model version (an inference bundle, format 2). A challenger identical to an
 * existing version (same data fingerprint, config hash and seeds) is not trained or registered
 * again unless `force` is given.
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
      cache: {
        type: ["boolean", "object"],
        additionalProperties: false,
        properties: {
          split: { type: "boolean" },
          encode: { type: "boolean" },
          train: { type: "boolean" },
        },
        description:
          "false: never take the split, the encoded features or the model from the step cache; or per step, e.g. {train: false}. Fresh outputs are still recorded for later runs. Default true. Tuning and refit_on_all_data are never cached.",
      },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as unknown as TrainConfig;
    const problemType = (ctx.problemType ?? "classification") as ProblemType;
    const perfMetric = cfg.perf_metric ?? (problemType === "classification" ? "f1_macro" : "rmse");
    /** Comparison states of this process's challengers, by `name@version` (the last few). */
    const states = new Map<string, ComparisonState>();
    const remember = (name: string, version: number, state: ComparisonState) => {
      states.set(`${name}@${version}`, state);
      while (states.size > 8) states.delete(states.keys().next().value!);
    };

    const featuresOf = (t: Table) => t.select(t.columnsWithRole("feature"));

    /**
     * Scores model version `version` on the comparison split by replaying its own bundle: on the
     * split's rows when its data transformer is the challenger's, else on the raw rows of the split
     * (found by the index column). Anything that stops it (missing columns, a value of another
     * type, another transformer without an index, a damaged version) makes it unscorable, with why.
     */
    const scoreVersion = async (state: ComparisonState, version: number): Promise<ChampionScore> => {
      const repo = ctx.component("model_repository");
      const label = `champion v${version}`;
      const what = `the ${state.split} split`;
      try {
        const bundle = await loadInferenceBundle(ctx, await repo.download_model(cfg.model_name, version), {
          label,
        });
        let input = state.rows;
        let transformed = false;
        if (sameTransformer(bundle.meta.data_transformer, state.dataTransformer)) {
          transformed = bundle.meta.data_transformer !== undefined;
        } else if (state.dataTransformer) {
          // Another transformer made the split: replay the champion's own on the same rows as read.
          const index = state.index;
          if (!state.raw || !index || !state.raw.has(index) || !state.rows.has(index))
            throw new DataError({
              message: `it was trained with another process data_transformer (${bundle.meta.data_transformer?.type ?? "none"}), and without an index column the ${state.split} rows cannot be found in the data as read to replay it: set config.index`,
            });
          const wanted = new Set(state.rows.values(index).map(String));
          const at: number[] = [];
          const seen = new Set<string>();
          state.raw.values(index).forEach((v, i) => {
            const key = String(v);
            if (!wanted.has(key)) return;
            if (seen.has(key))
              throw new DataError({
                message: `the index column "${index}" repeats ${key}: the ${state.split} rows cannot be found in the data as read`,
              });
            seen.add(key);
            at.push(i);
          });
          input = state.raw.take(at);
        }
        const result = await bundle.predict(input, { transformed, requireIndex: false, what });
        if (!result.rows.has(bundle.meta.target))
          throw new DataError({
            message: `its data_transformer drops the target column "${bundle.meta.target}"`,
          });
        return {
          version,
          scored: true,
          metrics: computeMetrics(
            state.metricNames,
            result.rows.column(bundle.meta.target),
            result.predictions,
          ),
        };
      } catch (e) {
        if (isCancellation(e) || ctx.signal.aborted) throw e;
        const root = thrownError(e);
        const reason = root instanceof Error ? root.message : String(root);
        ctx.logger.warn(`${label} could not be scored on ${what}: ${reason}`);
        return { version, scored: false, reason };
      }
    };

    /** The current champion on the comparison split (its stored metrics when it is the challenger itself). */
    const scoreChampion = async (
      state: ComparisonState,
      challenger: { version?: number; metrics: Record<string, number> },
    ): Promise<ChampionScore | undefined> => {
      const current = await ctx.component("model_repository").get_alias(cfg.model_name, CHAMPION_ALIAS);
      if (!current) return undefined;
      if (current.version === challenger.version)
        return { version: current.version, scored: true, metrics: challenger.metrics };
      return scoreVersion(state, current.version);
    };

    const compare = (
      split: string,
      challenger: number,
      baseline: number,
      champion: ChampionScore | undefined,
    ): TrainResult["comparison"] => {
      const championScore = champion?.scored ? champion.metrics?.[perfMetric] : undefined;
      return {
        split,
        challenger,
        baseline,
        ...(championScore !== undefined ? { champion: championScore } : {}),
        beats_baseline: isBetter(perfMetric, challenger, baseline),
        beats_champion: !champion
          ? true
          : championScore !== undefined && isBetter(perfMetric, challenger, championScore),
      };
    };

    /** Seeds that decide the result: this pipeline's and its components' configured `seed`s. */
    const identityOf = (processed: ProcessResult): ChallengerIdentity => {
      const seeds: Record<string, number> = { [ctx.path]: cfg.seed };
      for (const kind of ["data_splitter", "feature_transformer", "model_trainer", "hyperparameter_tuner"]) {
        const info = ctx.componentInfo(kind);
        const seed = info?.config.seed;
        if (info && typeof seed === "number") seeds[info.path] = seed;
      }
      const parts = {
        data_fingerprint: processed.dataset.fingerprint,
        config_hash: ctx.lineage.snapshot().config_hash,
        seeds,
      };
      return { key: hashValue(parts), ...parts };
    };

    return {
      /** Trains (or tunes), evaluates and registers a challenger from processed data. */
      async train_model(processed: ProcessResult, options: TrainOptions = {}): Promise<TrainResult> {
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
          const useAll = await stepCacheUse(ctx, options, cfg.cache !== false);
          const per = typeof cfg.cache === "object" ? cfg.cache : {};
          const useOf = (step: "split" | "encode" | "train"): StepCacheUse => ({
            ...useAll,
            lookup: useAll.lookup && per[step] !== false,
          });
          const splitterInfo = ctx.componentInfo("data_splitter");
          const splitSeed = splitterInfo?.config.seed;
          const split_ = await runCachedStep(splitterInfo ? useOf("split") : noStore(useAll), {
            parts: {
              step: "split",
              component: componentIdentity(splitterInfo),
              config: { splitter: splitterInfo?.config ?? {}, problem_type: problemType },
              inputs: { table: processed.dataset.fingerprint },
              ...(typeof splitSeed === "number" ? { seed: splitSeed } : {}),
            },
            run: () => ctx.component("data_splitter").split_data(processed.table),
            save: async (v) => ({
              train: tableChunks(v.train),
              valid: tableChunks(v.valid),
              ...(v.test ? { test: tableChunks(v.test) } : {}),
            }),
            restore: async (o) => {
              const read = async (n: string) => tableFromBytes(await o.bytes(n), `the cached ${n} split`);
              const hasTest = (await o.names()).includes("test");
              return {
                train: await read("train"),
                valid: await read("valid"),
                ...(hasTest ? { test: await read("test") } : {}),
              };
            },
          });
          await noteStepCache(ctx, "split", split_, options);
          const splits = split_.value;
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
          const split = splits.test ? "test" : "valid";
          const state: ComparisonState = {
            split,
            rows: split === "test" ? splits.test! : splits.valid,
            ...(processed.raw ? { raw: processed.raw } : {}),
            ...(cfg.index ? { index: cfg.index } : {}),
            ...(processed.data_transformer ? { dataTransformer: processed.data_transformer } : {}),
            metricNames,
          };
          const identity = identityOf(processed);

          // An identical challenger exists: compare it again, register nothing.
          if (!options.force) {
            const same = await findIdentical(repo.list_versions(cfg.model_name), identity.key);
            const stored =
              same &&
              unflatten(
                same.metrics,
                named.map(([n]) => n),
              );
            const challengerScore = stored?.metrics[split]?.[perfMetric];
            const baselineScore = stored?.baseline[split]?.[perfMetric];
            if (same && stored && challengerScore !== undefined && baselineScore !== undefined) {
              const { meta } = await readBundleMeta(await repo.download_model(cfg.model_name, same.version));
              ctx.logger.info(
                `${cfg.model_name} v${same.version} has the same data, config and seeds: not trained or registered again (lolpop run --force registers a new version)`,
              );
              const champion = await scoreChampion(state, {
                version: same.version,
                metrics: stored.metrics[split]!,
              });
              remember(cfg.model_name, same.version, state);
              ctx.lineage.recordModel({ name: cfg.model_name, version: same.version, registered: false });
              if (tracker && run) {
                await tracker.log_tags(run.id, {
                  model_name: cfg.model_name,
                  model_version: String(same.version),
                  identical_to: String(same.version),
                });
                await tracker.end_run(run.id, "FINISHED");
              }
              return {
                model_name: cfg.model_name,
                version: same.version,
                registered: false,
                identical_to: same.version,
                trainer: meta.trainer.type,
                params: meta.params,
                perf_metric: perfMetric,
                metrics: stored.metrics,
                baseline: stored.baseline,
                ...(champion ? { champion } : {}),
                comparison: compare(split, challengerScore, baselineScore, champion),
                refit_on_all_data: cfg.refit_on_all_data,
                ...(processed.check ? { data_check: processed.check.status } : {}),
              };
            }
          }

          const ft = ctx.component("feature_transformer");
          const rawFeatures = featuresOf(splits.train).columnNames;
          const featureSchema = describeColumns(splits.train.select(rawFeatures), {
            required: () => true,
          });
          // Encoding is cached when the split's outputs are blobs (its inputs are their digests).
          const ftInfo_ = ctx.componentInfo("feature_transformer");
          const splitOut = split_.outputs;
          const encode = await runCachedStep(ftInfo_ && splitOut ? useOf("encode") : noStore(useAll), {
            parts: {
              step: "encode",
              component: componentIdentity(ftInfo_),
              config: ftInfo_?.config ?? {},
              inputs: Object.fromEntries(named.map(([n]) => [n, splitOut?.[n]?.digest ?? ""])),
            },
            run: async () => {
              await ft.fit(featuresOf(splits.train));
              const X = new Map<string, Table>();
              for (const [name, t] of named) X.set(name, await ft.transform(featuresOf(t)));
              return X;
            },
            save: async (X, dir) => {
              await mkdir(join(dir, "feature_transformer"));
              await ft.save(join(dir, "feature_transformer"));
              return Object.fromEntries([...X].map(([n, t]) => [`X_${n}`, tableChunks(t)]));
            },
            restore: async (o) => {
              await ft.load(await o.dir("feature_transformer"));
              const X = new Map<string, Table>();
              for (const [name] of named)
                X.set(name, tableFromBytes(await o.bytes(`X_${name}`), `the cached encoded ${name} split`));
              return X;
            },
          });
          await noteStepCache(ctx, "encode", encode, options);
          const encoded = new Map<string, LabeledData>();
          for (const [name, t] of named)
            encoded.set(name, { X: encode.value.get(name)!, y: t.column(cfg.target) });
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
                  tags: {
                    "lolpop.stage": "tuning_trial",
                    trainer: trial.trainer,
                    ...(trial.worker ? { "lolpop.worker": trial.worker } : {}),
                  },
                });
                await tracker.log_params(r.id, trial.params);
                const flat: Record<string, number> = {};
                for (const [s, m] of Object.entries(trial.metrics))
                  for (const [k, v] of Object.entries(m)) flat[`${s}.${k}`] = v;
                await tracker.log_metrics(r.id, flat);
                await tracker.end_run(r.id, "FINISHED");
              }
            }
          } else {
            const trainer = ctx.component("model_trainer");
            const trainerInfo_ = ctx.componentInfo("model_trainer");
            const encOut = encode.outputs;
            const fitted = await runCachedStep(
              trainerInfo_ && encOut && splitOut ? useOf("train") : noStore(useAll),
              {
                parts: {
                  step: "train",
                  component: componentIdentity(trainerInfo_),
                  config: {
                    trainer: trainerInfo_?.config ?? {},
                    problem_type: problemType,
                    classes: classes ?? null,
                  },
                  inputs: {
                    X_train: encOut?.X_train?.digest ?? "",
                    X_valid: encOut?.X_valid?.digest ?? "",
                    train: splitOut?.train?.digest ?? "",
                    valid: splitOut?.valid?.digest ?? "",
                  },
                  seed: cfg.seed,
                },
                run: () =>
                  trainer.fit({
                    problem_type: problemType,
                    X: train.X,
                    y: train.y,
                    classes,
                    valid,
                    seed: cfg.seed,
                    signal: ctx.signal,
                    ...(run ? { run_id: run.id } : {}),
                  }),
                save: async (m, dir) => {
                  await mkdir(join(dir, "model"));
                  await m.save(join(dir, "model"));
                  return {};
                },
                restore: async (o) => trainer.load(await o.dir("model")),
              },
            );
            await noteStepCache(ctx, "train", fitted, options);
            model = fitted.value;
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
          const challengerScore = metrics[split]![perfMetric]!;
          const baselineScore = baseline[split]![perfMetric]!;
          ctx.logger.info(
            `baseline ${perfMetric} on ${split}: ${baselineScore.toFixed(4)}, challenger: ${challengerScore.toFixed(4)}`,
          );

          // The champion, scored on the same split by replaying its own bundle.
          const champion = await scoreChampion(state, { metrics: metrics[split]! });
          const comparison = compare(split, challengerScore, baselineScore, champion);
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

          const flat = flatten(metrics, baseline);
          if (comparison.champion !== undefined)
            flat[`champion.${split}.${perfMetric}`] = comparison.champion;
          const ftInfo = ctx.componentInfo("feature_transformer")!;
          const trainerInfo = ctx.componentInfo("model_trainer");
          const input = inputSchema(processed, rawFeatures, cfg.target, cfg.index);
          const meta: InferenceBundleMeta = {
            format: BUNDLE_FORMAT,
            problem_type: problemType,
            target: cfg.target,
            ...(cfg.index ? { index: cfg.index } : {}),
            ...(classes ? { classes } : {}),
            input,
            ...(processed.data_transformer ? { data_transformer: processed.data_transformer } : {}),
            features: featureSchema,
            feature_columns: rawFeatures,
            feature_transformer: savedComponent(ftInfo),
            trainer: savedComponent({
              type: finalModel.trainer,
              config: trainerInfo?.type === finalModel.trainer ? trainerInfo.config : {},
            }),
            params: finalModel.params,
            metrics: flat,
            datasets: [
              {
                name: processed.dataset.name,
                fingerprint: processed.dataset.fingerprint,
                rows: processed.dataset.rows,
              },
            ],
            identity,
            plugins: ctx.lineage.snapshot().plugins,
            core_version: CORE_VERSION,
            created_at: new Date().toISOString(),
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
          const dir = await writeBundle({ model: finalModel, featureTransformer: ft, meta });
          let version: number;
          try {
            const mv = await repo.register_model({
              name: cfg.model_name,
              dir,
              ...(run ? { run_id: run.id } : {}),
              metrics: flat,
              tags: {
                trainer: finalModel.trainer,
                problem_type: problemType,
                [MODEL_TAGS.identity]: identity.key,
                [MODEL_TAGS.dataFingerprint]: identity.data_fingerprint,
                [MODEL_TAGS.configHash]: identity.config_hash,
                // What a later decision without retraining (`lolpop models approve`) needs.
                [MODEL_TAGS.perfMetric]: perfMetric,
                [MODEL_TAGS.comparisonSplit]: split,
                [MODEL_TAGS.comparedWith]: champion ? String(champion.version) : "none",
              },
            });
            version = mv.version;
          } finally {
            await removeBundle(dir);
          }
          ctx.lineage.recordModel({ name: cfg.model_name, version, registered: true });
          remember(cfg.model_name, version, state);
          if (tracker && run) {
            await tracker.log_tags(run.id, { model_name: cfg.model_name, model_version: String(version) });
            await tracker.end_run(run.id, "FINISHED");
          }
          return {
            model_name: cfg.model_name,
            version,
            registered: true,
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
          if (tracker && run)
            await tracker.end_run(run.id, ctx.signal.aborted ? "KILLED" : "FAILED").catch(() => undefined);
          throw e;
        }
      },

      /**
       * Compares a challenger of this process with the current champion again (after the champion
       * changed while the challenger was being deployed): the same split, the champion's own bundle.
       * @throws DataError when the challenger was not trained by this pipeline in this process.
       */
      async rescore_champion(trained: TrainResult, _options: StageOptions = {}): Promise<TrainResult> {
        const state = states.get(`${trained.model_name}@${trained.version}`);
        if (!state)
          throw new DataError({
            message: `${trained.model_name} v${trained.version} was not trained in this process: its ${trained.comparison.split} split is not at hand to compare it with the new champion; run the workflow again`,
            code: "no_comparison_split",
          });
        const champion = await scoreChampion(state, {
          version: trained.version,
          metrics: trained.metrics[state.split] ?? {},
        });
        const { champion: _old, ...rest } = trained;
        return {
          ...rest,
          ...(champion ? { champion } : {}),
          comparison: compare(
            state.split,
            trained.comparison.challenger,
            trained.comparison.baseline,
            champion,
          ),
        };
      },
    };
  },
});

/** The same cache use without a store: the step just runs (not cacheable here). */
function noStore(use: StepCacheUse): StepCacheUse {
  return { ...use, store: undefined };
}

/** The version whose identity tag is `key`, if any. */
async function findIdentical(
  versions: Promise<ModelVersionInfo[]>,
  key: string,
): Promise<ModelVersionInfo | undefined> {
  return (await versions).find((v) => v.tags[MODEL_TAGS.identity] === key);
}

/**
 * The input schema saved with a version: the data as read (from the process step), each column
 * required at predict when a data transformer runs (it may use any of them), else the features and
 * the index. Without a process record, the training table itself.
 */
function inputSchema(
  processed: ProcessResult,
  features: string[],
  target: string,
  index: string | undefined,
): InputSchema {
  const transformer = processed.data_transformer !== undefined;
  const base =
    processed.input ??
    ({
      columns: describeColumns(processed.table, {
        roles: {
          ...(processed.table.has(target) ? { [target]: "target" as const } : {}),
          ...(index && processed.table.has(index) ? { [index]: "index" as const } : {}),
        },
      }),
      typing: {},
    } satisfies InputSchema);
  return {
    typing: base.typing,
    columns: base.columns.map((c) => ({
      ...c,
      required:
        c.role !== "target" &&
        (transformer || c.role === "index" || c.name === index || features.includes(c.name)),
    })),
  };
}
