import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BaseContext,
  type FeatureTransformer,
  type ProblemType,
  StoreError,
  type TrainedModel,
  writeJsonAtomic,
} from "@lolpop/core";

/** Metadata saved with every model version (`lolpop-model.json`). */
export interface ModelBundleMeta {
  format: 1;
  problem_type: ProblemType;
  target: string;
  index?: string;
  classes?: string[];
  /** Raw feature columns the feature transformer expects. */
  feature_columns: string[];
  trainer: { type: string; config: Record<string, unknown> };
  feature_transformer: { type: string; config: Record<string, unknown> };
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  datasets: Array<{ name: string; fingerprint: string; rows: number }>;
  workflow_run_id?: string;
}

/** File of a model version that holds its metadata. */
export const MODEL_META_FILE = "lolpop-model.json";
const META = MODEL_META_FILE;

/** Writes model, fitted feature transformer and metadata into a new temp folder; returns it. */
export async function writeBundle(
  model: TrainedModel,
  ft: FeatureTransformer,
  meta: ModelBundleMeta,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lolpop-model-"));
  await mkdir(join(dir, "model"));
  await mkdir(join(dir, "feature_transformer"));
  await model.save(join(dir, "model"));
  await ft.save(join(dir, "feature_transformer"));
  await writeJsonAtomic(join(dir, META), meta);
  return dir;
}

/** Removes a temp bundle folder. */
export async function removeBundle(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A model version loaded back with its own trainer and feature transformer. */
export interface LoadedBundle {
  meta: ModelBundleMeta;
  model: TrainedModel;
  transformer: FeatureTransformer;
}

/** Loads a model version folder, rebuilding its own trainer and feature transformer types from its metadata. */
export async function loadBundle(ctx: BaseContext<unknown>, dir: string): Promise<LoadedBundle> {
  let meta: ModelBundleMeta;
  const file = join(dir, META);
  try {
    meta = JSON.parse(await readFile(file, "utf8")) as ModelBundleMeta;
  } catch (e) {
    throw new StoreError({
      message: `cannot read model metadata ${file}: ${(e as Error).message}. The model version is damaged: register a new one.`,
      path: file,
      cause: e,
    });
  }
  if ((meta.problem_type as string) === "timeseries")
    throw new StoreError({
      message: `the model version in ${dir} is a time-series forecaster: predict it with the TimeSeriesPredict pipeline (runner TimeSeriesRunner)`,
      path: file,
    });
  const transformer = await ctx.createComponent(
    "feature_transformer",
    meta.feature_transformer.type,
    meta.feature_transformer.config,
  );
  await transformer.load(join(dir, "feature_transformer"));
  const trainer = await ctx.createComponent("model_trainer", meta.trainer.type, meta.trainer.config);
  const model = await trainer.load(join(dir, "model"));
  return { meta, model, transformer };
}
