/**
 * What every predict pipeline does with its output: a `prediction_job` run in the metadata tracker
 * (when there is one), the predictions saved through the pipeline's data connector and recorded in
 * the lineage. Jobs keep history: each job has its folder `.lolpop/predictions/<job>/` (the
 * predictions, or a copy of them when `output_path` is set: that file holds the latest job's), and
 * `.lolpop/predictions/latest` links to the last job's folder.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, rename, rm, symlink } from "node:fs/promises";
import { basename, extname, isAbsolute, join, resolve } from "node:path";
import {
  CHAMPION_ALIAS,
  ConfigError,
  DataError,
  type MetadataTracker,
  type ModelRepository,
  type ModelVersionInfo,
  type PipelineContext,
  type SavedData,
  type Table,
} from "@lolpop/core";

/** The saved predictions and the tracker run that records them (still open). */
export interface PredictionJob {
  tracker?: MetadataTracker;
  job?: { id: string };
  saved: SavedData;
  /** The job's own copy of the predictions (`.lolpop/predictions/<job>/...`), when it is a file. */
  job_file?: string;
}

/** Tag of a prediction job run: the job's own copy of its predictions (never overwritten by a later job). */
export const JOB_PREDICTIONS_TAG = "job_predictions_path";

/** `<predictions>/latest` → `<job>` (relative), replaced atomically; false where links cannot be made. */
async function linkLatest(predictionsDir: string, jobName: string): Promise<boolean> {
  const tmp = join(predictionsDir, `.latest-${process.pid}-${Date.now()}`);
  try {
    await symlink(jobName, tmp, "dir");
    await rename(tmp, join(predictionsDir, "latest"));
    return true;
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
    return false;
  }
}

/** Starts the prediction job run, saves `out` and records it in the lineage. */
export async function savePredictions<C>(
  ctx: PipelineContext<C>,
  spec: { model_name: string; version: number; output_path?: string; run_id?: string },
  out: Table,
): Promise<PredictionJob> {
  const tracker = ctx.optionalComponent("metadata_tracker");
  const job = tracker
    ? await tracker.start_run({
        name: `predict-${spec.model_name}-v${spec.version}`,
        ...(spec.run_id ? { parent_id: spec.run_id } : {}),
        tags: {
          "lolpop.stage": "prediction_job",
          model_name: spec.model_name,
          model_version: String(spec.version),
        },
      })
    : undefined;
  const jobName = job?.id ?? `${spec.model_name}-v${spec.version}-${Date.now()}`;
  const predictionsDir = join(ctx.project.stateDir, "predictions");
  const jobDir = join(predictionsDir, jobName);
  const target = spec.output_path
    ? isAbsolute(spec.output_path)
      ? spec.output_path
      : resolve(ctx.project.root, spec.output_path)
    : join(jobDir, "predictions.csv");
  const saved = await ctx.component("data_connector").save_data(out, target);
  await mkdir(jobDir, { recursive: true });
  // The job's own copy: output_path holds the latest job's predictions, the job folder keeps each.
  let jobFile: string | undefined;
  if (!spec.output_path) jobFile = target;
  else if (existsSync(saved.uri)) {
    jobFile = join(jobDir, `predictions${extname(saved.uri) || `.${saved.format}`}`);
    await copyFile(saved.uri, jobFile);
  }
  if (!(await linkLatest(predictionsDir, basename(jobDir))))
    ctx.logger.debug(`could not link ${join(predictionsDir, "latest")} to ${jobDir}`);
  if (tracker && job && jobFile) await tracker.log_tags(job.id, { [JOB_PREDICTIONS_TAG]: jobFile });
  ctx.lineage.recordDataset({
    name: "predictions",
    fingerprint: out.fingerprint(),
    rows: out.numRows,
    columns: out.numColumns,
    source: saved.uri,
    context: "prediction",
  });
  return {
    ...(tracker ? { tracker } : {}),
    ...(job ? { job } : {}),
    saved,
    ...(jobFile ? { job_file: jobFile } : {}),
  };
}

/** The prediction job an evaluation reads: its run id, predictions file and model version. */
export interface FoundPredictionJob {
  job_id?: string;
  predictions_path: string;
  version?: number;
}

/**
 * Which prediction job to evaluate: the given `job_id` (its predictions file and version from the
 * tracker), else the given `predictions_path`, else the latest prediction job of the model.
 * @throws DataError (`no_prediction_job`) when none is found.
 */
export async function findPredictionJob<C>(
  ctx: PipelineContext<C>,
  model_name: string,
  options: { job_id?: string; predictions_path?: string },
): Promise<FoundPredictionJob> {
  const tracker = ctx.optionalComponent("metadata_tracker");
  let jobId = options.job_id;
  let predictionsPath = options.predictions_path;
  let version: number | undefined;
  if (tracker && (!predictionsPath || jobId)) {
    const job = jobId
      ? await tracker.get_run(jobId)
      : (
          await tracker.search_runs({
            tags: { "lolpop.stage": "prediction_job", model_name },
            limit: 1,
          })
        )[0];
    if (job) {
      jobId = job.id;
      // The job's own copy first: output_path may hold a later job's predictions by now.
      const own = job.tags[JOB_PREDICTIONS_TAG];
      predictionsPath ??= own && existsSync(own) ? own : job.tags.predictions_path;
      version = Number(job.tags.model_version) || undefined;
    }
  }
  if (!predictionsPath) {
    throw new DataError({
      message: `no prediction job of model "${model_name}" found: run the predict step first (lolpop run --step predict)`,
      code: "no_prediction_job",
    });
  }
  return {
    ...(jobId ? { job_id: jobId } : {}),
    predictions_path: predictionsPath,
    ...(version ? { version } : {}),
  };
}

/**
 * The ground truth `evaluate_ground_truth` joins with: the given `truth_source`, else the pipeline's
 * `config.ground_truth_path`. `holds` says what the file must hold, for the message.
 * @throws ConfigError (`missing_key`, naming `<path>.config.ground_truth_path`) when neither is set:
 * found before any work, like the other config errors.
 */
export function groundTruthSource<C>(
  ctx: PipelineContext<C>,
  options: { truth_source?: string },
  configured: string | undefined,
  holds: string,
): string {
  const source = options.truth_source ?? configured;
  if (source) return source;
  throw new ConfigError({
    issues: [
      {
        code: "missing_key",
        path: `${ctx.path}.config.ground_truth_path`,
        message: `no ground truth to evaluate against: set ${ctx.path}.config.ground_truth_path to a file with ${holds}`,
      },
    ],
  });
}

/**
 * The model version a predict pipeline uses: the given `version` (a prediction job's own, or
 * `predict.config.model_version`), else the champion.
 * @throws DataError (`no_model_version` / `no_champion`) saying what to do when there is none.
 */
export async function modelVersionToUse(
  repo: ModelRepository,
  model_name: string,
  version: number | undefined,
): Promise<ModelVersionInfo> {
  const mv = version
    ? await repo.get_model_version(model_name, version)
    : await repo.get_alias(model_name, CHAMPION_ALIAS);
  if (mv) return mv;
  throw version
    ? new DataError({
        message: `model "${model_name}" has no version ${version}: set predict.config.model_version to a registered version (lolpop models list ${model_name})`,
        code: "no_model_version",
      })
    : new DataError({
        message: `no champion of model "${model_name}" yet: run the train and deploy steps first (lolpop run --step all), or set predict.config.model_version`,
        code: "no_champion",
      });
}
