/**
 * What every predict pipeline does with its output: a `prediction_job` run in the metadata tracker
 * (when there is one), the predictions saved through the pipeline's data connector (to
 * `output_path`, else `.lolpop/predictions/<job>.csv`) and recorded in the lineage.
 */
import { isAbsolute, join, resolve } from "node:path";
import type { MetadataTracker, PipelineContext, SavedData, Table } from "@lolpop/core";

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
