/**
 * The `MLmodel` file written at the root of every model version's artifact folder. MLflow's
 * tooling reads it (UI, `mlflow.models.Model.load`, `models:/` downloads); it records a `lolpop`
 * flavor naming the files of the version and how lolpop loads them back.
 */
import { randomUUID } from "node:crypto";

/** Name of the file (MLflow requires exactly this name). */
export const MLMODEL_FILE = "MLmodel";

/** Name of the lolpop flavor in `MLmodel`. */
export const LOLPOP_FLAVOR = "lolpop";

/** Content of the `lolpop` flavor. */
export interface LolpopFlavor {
  /** Version of @lolpop/mlflow that wrote the version. */
  lolpop_version: string;
  /** Layout of the folder: `lolpop-model-bundle` (model/, feature_transformer/, lolpop-model.json). */
  format: string;
  format_version: number;
  /** Who can load it: `node` (lolpop's trainer and feature transformer types). */
  runtime: string;
  /** Metadata file of the bundle, relative to the model folder. */
  data: string;
  /** Trainer type that loads `model/`, when known. */
  trainer?: string;
  /** Feature transformer type that loads `feature_transformer/`, when known. */
  feature_transformer?: string;
  problem_type?: string;
  /** Every file of the version (relative paths), MLmodel excluded. */
  files: string[];
}

/** What {@link renderMlmodel} writes. */
export interface MlmodelContent {
  artifact_path: string;
  run_id: string;
  flavor: LolpopFlavor;
  /** Sum of the file sizes, in bytes. */
  model_size_bytes: number;
  /** Free-form metadata (metrics at registration...). */
  metadata?: Record<string, unknown>;
  /** Default: now. */
  created?: Date;
}

type Yaml = string | number | boolean | null | undefined | Yaml[] | { [k: string]: Yaml };

function scalar(v: string | number | boolean | null): string {
  if (v === null) return "null";
  if (typeof v === "number")
    return Number.isFinite(v) ? String(v) : v > 0 ? ".inf" : Number.isNaN(v) ? ".nan" : "-.inf";
  if (typeof v === "boolean") return v ? "true" : "false";
  // A JSON string is a valid YAML double-quoted scalar.
  return JSON.stringify(v);
}

function keyText(k: string): string {
  return /^[A-Za-z_][\w.-]*$/.test(k) ? k : JSON.stringify(k);
}

function emit(value: Yaml, indent: number, lines: string[]): void {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === "object") {
        const sub: string[] = [];
        emit(item, indent + 2, sub);
        lines.push(`${pad}- ${sub[0]!.trimStart()}`, ...sub.slice(1));
      } else lines.push(`${pad}- ${scalar(item ?? null)}`);
    }
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, Yaml>)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length === 0) lines.push(`${pad}${keyText(k)}: []`);
      else {
        lines.push(`${pad}${keyText(k)}:`);
        emit(v, indent, lines);
      }
    } else if (v !== null && typeof v === "object") {
      if (Object.keys(v).length === 0) lines.push(`${pad}${keyText(k)}: {}`);
      else {
        lines.push(`${pad}${keyText(k)}:`);
        emit(v, indent + 2, lines);
      }
    } else lines.push(`${pad}${keyText(k)}: ${scalar(v)}`);
  }
}

/** Formats a date as MLflow does in `utc_time_created` (`YYYY-MM-DD HH:MM:SS.ffffff`). */
export function mlflowUtcTime(d: Date): string {
  const iso = d.toISOString(); // 2026-01-02T03:04:05.678Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

/** Renders the YAML text of an `MLmodel` file. */
export function renderMlmodel(c: MlmodelContent): string {
  const doc: Record<string, Yaml> = {
    artifact_path: c.artifact_path,
    flavors: { [LOLPOP_FLAVOR]: c.flavor as unknown as Yaml },
    metadata: (c.metadata ?? undefined) as Yaml,
    model_size_bytes: c.model_size_bytes,
    model_uuid: randomUUID().replace(/-/g, ""),
    run_id: c.run_id,
    utc_time_created: mlflowUtcTime(c.created ?? new Date()),
  };
  const lines: string[] = [];
  emit(doc, 0, lines);
  return `${lines.join("\n")}\n`;
}
