/**
 * What every predict pipeline does with its output: a `prediction_job` run in the metadata tracker
 * (when there is one), the predictions saved through the pipeline's data connector (to
 * `output_path`, else `.lolpop/predictions/<job>.csv`) and recorded in the lineage.
 */
import { isAbsolute, join, resolve } from "node:path";
import {
  DataError,
  type MetadataTracker,
  type PipelineContext,
  type SavedData,
  type Table,
} from "@lolpop/core";

/** The saved predictions and the tracker run that records them (still open). */
export interface PredictionJob {
  tracker?: MetadataTracker;
  job?: { id: string };
  saved: SavedData;
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
  const target = spec.output_path
    ? isAbsolute(spec.output_path)
      ? spec.output_path
      : resolve(ctx.project.root, spec.output_path)
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
  return { ...(tracker ? { tracker } : {}), ...(job ? { job } : {}), saved };
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
      predictionsPath ??= job.tags.predictions_path;
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
