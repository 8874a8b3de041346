/**
 * What the version page shows beyond the repository's record, read through the store contracts:
 * the model's feature importance (the trainer's `TrainedModel.feature_importance()`, on the version
 * loaded from its bundle), training curves (`MetadataTracker.get_metric_history` of the run that
 * trained it, for metrics logged at more than one step) and the HTML reports (drift, profile...)
 * stored as artifacts of the runs of its workflow run.
 */
import { join } from "node:path";
import type { BundleHost, MetadataTracker, ModelVersionInfo, RunRecord } from "@lolpop/core";

/** Feature importance of a version: `values` sorted by importance (largest first), or why there is none. */
export interface VersionImportance {
  /** Trainer type that made the model (from its bundle). */
  trainer?: string;
  values: Array<{ feature: string; value: number }>;
  /** Set when `values` is empty: why. */
  note?: string;
}

/** Training curves: one series per metric the training run logged at two or more steps. */
export interface VersionCurves {
  run_id?: string;
  series: Array<{ key: string; points: Array<{ step: number; value: number }> }>;
  note?: string;
}

/** An HTML report stored as a run artifact, served sandboxed at `url`. */
export interface VersionReport {
  run_id: string;
  run_name: string;
  name: string;
  url: string;
}

/** Most metric keys whose history is read for curves (a run logs a few per epoch). */
const MAX_CURVE_KEYS = 50;

/** URL path of a run's artifact under the UI's sandboxed report route. */
export function reportUrl(runId: string, name: string): string {
  return `/reports/${encodeURIComponent(runId)}/${name.split("/").map(encodeURIComponent).join("/")}`;
}

/** Loads the version's model from its bundle and asks it for its feature importance. */
export async function versionImportance(
  repo: { download_model(name: string, version: number): Promise<string> },
  mv: ModelVersionInfo,
  host: BundleHost,
): Promise<VersionImportance> {
  const core = await import("@lolpop/core");
  const dir = await repo.download_model(mv.name, mv.version);
  const { meta } = await core.readBundleMeta(dir);
  const trainer = await host.createComponent("model_trainer", meta.trainer.type, meta.trainer.config);
  const model = await trainer.load(join(dir, core.BUNDLE_MODEL_DIR));
  try {
    const fi = typeof model.feature_importance === "function" ? model.feature_importance() : undefined;
    const values = Object.entries(fi ?? {})
      .filter(([, v]) => typeof v === "number" && Number.isFinite(v))
      .map(([feature, value]) => ({ feature, value }))
      .sort((a, b) => b.value - a.value);
    return values.length
      ? { trainer: meta.trainer.type, values }
      : {
          trainer: meta.trainer.type,
          values: [],
          note: `${meta.trainer.type} records no feature importance for its models`,
        };
  } finally {
    (model as { dispose?: () => void }).dispose?.();
  }
}

/** The per-step history of the training run's metrics (those logged at 2 or more steps). */
export async function versionCurves(
  tracker: MetadataTracker | undefined,
  mv: ModelVersionInfo,
): Promise<VersionCurves> {
  if (!tracker) return { series: [], note: "the config has no metadata_tracker" };
  if (!mv.run_id) return { series: [], note: `${mv.name} v${mv.version} names no run that trained it` };
  if (typeof tracker.get_metric_history !== "function")
    return {
      run_id: mv.run_id,
      series: [],
      note: "the metadata tracker keeps only the latest value of each metric (no get_metric_history)",
    };
  const run = await tracker.get_run(mv.run_id);
  const series: VersionCurves["series"] = [];
  for (const key of Object.keys(run.metrics).slice(0, MAX_CURVE_KEYS)) {
    const points = (await tracker.get_metric_history(mv.run_id, key)).map((p) => ({
      step: p.step,
      value: p.value,
    }));
    if (new Set(points.map((p) => p.step)).size >= 2) series.push({ key, points });
  }
  return series.length
    ? { run_id: mv.run_id, series }
    : {
        run_id: mv.run_id,
        series: [],
        note: "the training run logged no per-step metrics (its trainer logs none, e.g. random forests)",
      };
}

/**
 * HTML artifacts of the runs around the version: the run that trained it, its parents (the workflow
 * run) and the workflow run's other child runs (process: data checks and profiles; evaluation).
 */
export async function versionReports(
  tracker: MetadataTracker | undefined,
  mv: ModelVersionInfo,
): Promise<VersionReport[]> {
  if (!tracker || !mv.run_id) return [];
  const seen = new Map<string, RunRecord>();
  let id: string | undefined = mv.run_id;
  let top: RunRecord | undefined;
  while (id && !seen.has(id) && seen.size < 5) {
    const run: RunRecord = await tracker.get_run(id);
    seen.set(id, run);
    top = run;
    id = run.parent_id;
  }
  if (top)
    for (const child of await tracker.search_runs({ parent_id: top.id, limit: 100 }))
      if (!seen.has(child.id)) seen.set(child.id, await tracker.get_run(child.id));
  const out: VersionReport[] = [];
  for (const run of seen.values())
    for (const name of run.artifacts)
      if (/\.html?$/i.test(name))
        out.push({ run_id: run.id, run_name: run.name, name, url: reportUrl(run.id, name) });
  return out;
}
