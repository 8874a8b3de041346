/**
 * `lolpop lineage name@alias|name/version`: the chain from data to predictions of one model
 * version, read through the model repository and metadata tracker contracts: the data the training
 * read (fingerprints, files) → the runs that trained it → the config hash and code → the version →
 * its prediction jobs.
 */
import { type MetadataTracker, MODEL_TAGS, RUN_TAGS, type RunRecord } from "@lolpop/core";
import type { ModelRef, ProjectStore } from "./models-store.js";

/** A run in the chain. */
export interface LineageRun {
  id: string;
  name: string;
  stage?: string;
  status: string;
  started_at: string;
  ended_at?: string;
  parent_id?: string;
}

/** The lineage of one model version (`lolpop lineage --json`). */
export interface ModelLineage {
  model: {
    name: string;
    version: number;
    created_at: string;
    aliases: string[];
    uri: string;
    run_id?: string;
    tags: Record<string, string>;
    metrics: Record<string, number>;
  };
  /** Hash of the redacted resolved config that trained it. */
  config_hash?: string;
  /** Fingerprint of the processed training data. */
  data_fingerprint?: string;
  /** The code: git commit, core and plugin versions (from the workflow run). */
  code: { git_commit?: string; core_version?: string; plugins?: string[] };
  /** The data the training runs recorded (oldest run first). */
  data: Array<{
    name: string;
    fingerprint: string;
    rows: number;
    columns: number;
    source?: string;
    context?: string;
    run_id: string;
  }>;
  /** The train run and the workflow run around it. */
  runs: LineageRun[];
  /** Prediction jobs that scored with this version, newest first. */
  prediction_jobs: Array<
    LineageRun & { rows?: number; predictions_path?: string; job_predictions_path?: string }
  >;
  /** What could not be read (e.g. a run that was deleted), said plainly. */
  notes: string[];
}

function runOf(r: RunRecord): LineageRun {
  return {
    id: r.id,
    name: r.name,
    ...(r.tags[RUN_TAGS.stage] ? { stage: r.tags[RUN_TAGS.stage] } : {}),
    status: r.status,
    started_at: r.started_at,
    ...(r.ended_at ? { ended_at: r.ended_at } : {}),
    ...(r.parent_id ? { parent_id: r.parent_id } : {}),
  };
}

async function tryGetRun(
  tracker: MetadataTracker,
  id: string,
  notes: string[],
): Promise<RunRecord | undefined> {
  try {
    return await tracker.get_run(id);
  } catch (e) {
    notes.push(`run ${id} could not be read: ${(e as Error).message}`);
    return undefined;
  }
}

/** Reads the lineage of the version `ref` names. */
export async function lineageOf(store: ProjectStore, ref: ModelRef): Promise<ModelLineage> {
  const { resolveModelRef } = await import("@lolpop/core");
  const mv = await resolveModelRef(store.repo, ref);
  const out: ModelLineage = {
    model: {
      name: mv.name,
      version: mv.version,
      created_at: mv.created_at,
      aliases: mv.aliases,
      uri: mv.uri,
      ...(mv.run_id ? { run_id: mv.run_id } : {}),
      tags: mv.tags,
      metrics: mv.metrics,
    },
    ...(mv.tags[MODEL_TAGS.configHash] ? { config_hash: mv.tags[MODEL_TAGS.configHash] } : {}),
    ...(mv.tags[MODEL_TAGS.dataFingerprint] ? { data_fingerprint: mv.tags[MODEL_TAGS.dataFingerprint] } : {}),
    code: {},
    data: [],
    runs: [],
    prediction_jobs: [],
    notes: [],
  };
  const tracker = store.tracker;
  if (!tracker) {
    out.notes.push("the config has no metadata_tracker: runs, data and prediction jobs are not recorded");
    return out;
  }
  // The run that registered the version, then its parents (the workflow run).
  const chain: RunRecord[] = [];
  let id = mv.run_id;
  while (id && chain.length < 5 && !chain.some((r) => r.id === id)) {
    const r = await tryGetRun(tracker, id, out.notes);
    if (!r) break;
    chain.push(r);
    id = r.parent_id;
  }
  if (!mv.run_id) out.notes.push(`${mv.name} v${mv.version} names no run that produced it`);
  for (const r of [...chain].reverse()) {
    out.runs.push(runOf(r));
    for (const d of r.datasets)
      out.data.push({
        name: d.name,
        fingerprint: d.fingerprint,
        rows: d.rows,
        columns: d.columns,
        ...(d.source ? { source: d.source } : {}),
        ...(d.context ? { context: d.context } : {}),
        run_id: r.id,
      });
    const t = r.tags;
    if (t[RUN_TAGS.gitCommit]) out.code.git_commit = t[RUN_TAGS.gitCommit];
    if (t[RUN_TAGS.coreVersion]) out.code.core_version = t[RUN_TAGS.coreVersion];
    if (t[RUN_TAGS.plugins]) out.code.plugins = t[RUN_TAGS.plugins]!.split(",").filter(Boolean);
    if (!out.config_hash && t[RUN_TAGS.configHash]) out.config_hash = t[RUN_TAGS.configHash];
  }
  const jobs = await tracker.search_runs({
    tags: { [RUN_TAGS.stage]: "prediction_job", model_name: mv.name, model_version: String(mv.version) },
  });
  for (const j of jobs) {
    const rec = await tryGetRun(tracker, j.id, out.notes);
    if (!rec) continue;
    out.prediction_jobs.push({
      ...runOf(rec),
      ...(rec.metrics.rows !== undefined ? { rows: rec.metrics.rows } : {}),
      ...(rec.tags.predictions_path ? { predictions_path: rec.tags.predictions_path } : {}),
      ...(rec.tags.job_predictions_path ? { job_predictions_path: rec.tags.job_predictions_path } : {}),
    });
  }
  return out;
}

/** The text tree of `lolpop lineage`. */
export async function renderLineage(l: ModelLineage): Promise<string> {
  const { stripControlChars } = await import("@lolpop/core");
  const c = (s: string | undefined) => stripControlChars(s ?? "", { newlines: false });
  const lines: string[] = [];
  const branch = (items: string[][], indent = "") => {
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      item.forEach((line, j) =>
        lines.push(`${indent}${j === 0 ? (last ? "└─ " : "├─ ") : last ? "   " : "│  "}${line}`),
      );
    });
  };
  const m = l.model;
  lines.push(
    `${c(m.name)} v${m.version}${m.aliases.length ? ` (${m.aliases.map(c).join(", ")})` : ""}  registered ${m.created_at}`,
  );
  const sub = (title: string, rows: string[]) => [
    title,
    ...rows.map((r, i) => `${i === rows.length - 1 ? "└─ " : "├─ "}${r}`),
  ];
  branch([
    sub(
      `data (${l.data.length})`,
      l.data.map(
        (d) =>
          `${c(d.name)}${d.context ? ` [${d.context}]` : ""}  ${c(d.fingerprint.slice(0, 16))}  ${d.rows} rows x ${d.columns} cols${d.source ? `  ${c(d.source)}` : ""}`,
      ),
    ),
    sub(
      `runs (${l.runs.length})`,
      l.runs.map((r) => `${c(r.stage ?? r.name)} ${c(r.id)}  ${r.status}  ${r.started_at}`),
    ),
    [`config hash ${c(l.config_hash) || "(not recorded)"}`],
    [
      `code: git ${c(l.code.git_commit) || "(not a checkout)"}, @lolpop/core ${c(l.code.core_version) || "?"}${l.code.plugins?.length ? `, ${l.code.plugins.map(c).join(", ")}` : ""}`,
    ],
    [`version ${c(m.name)}/${m.version}  ${c(m.uri)}`],
    sub(
      `prediction jobs (${l.prediction_jobs.length})`,
      l.prediction_jobs.map(
        (j) =>
          `${c(j.id)}  ${j.status}  ${j.started_at}${j.rows !== undefined ? `  ${j.rows} rows` : ""}${j.job_predictions_path || j.predictions_path ? `  ${c(j.job_predictions_path ?? j.predictions_path)}` : ""}`,
      ),
    ),
  ]);
  for (const n of l.notes) lines.push(`note: ${c(n)}`);
  return lines.join("\n");
}
