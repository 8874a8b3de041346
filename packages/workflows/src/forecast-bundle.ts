import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BaseContext,
  BUNDLE_FILE,
  type FittedForecast,
  type SeriesSpec,
  StoreError,
  writeJsonAtomic,
} from "@lolpop/core";

/** Metadata saved with every time-series model version (`lolpop-model.json`, `problem_type: timeseries`). */
export interface ForecastBundleMeta {
  format: 1;
  problem_type: "timeseries";
  /** How the series were read: time, target, ids, exogenous, frequency, season length. */
  series: SeriesSpec & { ids: string[]; exogenous: string[]; frequency: string; season_length: number };
  /** Points forecast by `predict` and interval levels. */
  horizon: number;
  levels: number[];
  /** The forecaster type and config that fitted the model (rebuilt to load it). */
  forecaster: { type: string; config: Record<string, unknown> };
  metrics: Record<string, number>;
  datasets: Array<{ name: string; fingerprint: string; rows: number }>;
  /** Last timestamp of each series the model was fitted on (as written in the data). */
  series_end?: Record<string, string>;
  workflow_run_id?: string;
}

/** Writes a fitted forecast and its metadata into a new temp folder; returns it. */
export async function writeForecastBundle(fitted: FittedForecast, meta: ForecastBundleMeta): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lolpop-model-"));
  await fitted.save(join(dir, "model"));
  await writeJsonAtomic(join(dir, BUNDLE_FILE), meta);
  return dir;
}

/** A time-series model version loaded back with its own forecaster type. */
export interface LoadedForecastBundle {
  meta: ForecastBundleMeta;
  fitted: FittedForecast;
}

/** Reads the metadata of a model version folder; `problem_type` tells time-series versions apart. */
export async function readBundleMeta(
  dir: string,
): Promise<{ problem_type: string } & Record<string, unknown>> {
  const file = join(dir, BUNDLE_FILE);
  try {
    return JSON.parse(await readFile(file, "utf8")) as { problem_type: string };
  } catch (e) {
    throw new StoreError({
      message: `cannot read model metadata ${file}: ${(e as Error).message}. The model version is damaged: register a new one.`,
      path: file,
      cause: e,
    });
  }
}

/** Loads a time-series model version, rebuilding its forecaster type from the metadata. */
export async function loadForecastBundle(
  ctx: BaseContext<unknown>,
  dir: string,
): Promise<LoadedForecastBundle> {
  const meta = (await readBundleMeta(dir)) as unknown as ForecastBundleMeta;
  if (meta.problem_type !== "timeseries")
    throw new StoreError({
      message: `the model version in ${dir} is a ${meta.problem_type} model, not a time-series one: check model_name`,
      path: join(dir, BUNDLE_FILE),
    });
  const forecaster = await ctx.createComponent("forecaster", meta.forecaster.type, meta.forecaster.config);
  return { meta, fitted: await forecaster.load(join(dir, "model")) };
}
