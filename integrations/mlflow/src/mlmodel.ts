/**
 * The `MLmodel` file written at the root of every model version's artifact folder. MLflow's
 * tooling reads it (UI, `mlflow.models.Model.load`, `models:/` downloads); it records a `lolpop`
 * flavor naming the files of the version and how lolpop loads them back. When the version was
 * exported to ONNX at registration (`export: [onnx]`), it also records an `onnx` flavor and a
 * `python_function` flavor (loader `mlflow.onnx`) with the model's input signature, so
 * `mlflow.pyfunc.load_model` and `mlflow models serve` load the version without lolpop.
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

/** An input or output of an exported ONNX model, as the signature describes it. */
export interface OnnxTensorInfo {
  name: string;
  /** ONNX element type (`float`, `double`, `string`, `int64`...). */
  type: string;
  /** Dimensions; `null` or a string for a variable one (the batch). */
  shape: Array<number | string | null>;
}

/** Flavors and signature added for an ONNX export (see {@link onnxFlavors}). */
export interface OnnxFlavors {
  flavors: Record<string, Yaml>;
  signature: { inputs: string; outputs: string; params: null };
}

/** File of the exported model in the version's folder (read by the `onnx` and `python_function` flavors). */
export const ONNX_MODEL_FILE = "model.onnx";

/** numpy dtype names of ONNX element types (MLflow tensor specs use them). */
const NUMPY_DTYPES: Record<string, string> = {
  float: "float32",
  double: "float64",
  int64: "int64",
  int32: "int32",
  bool: "bool",
  uint8: "uint8",
  string: "object",
};

function tensorSpec(t: OnnxTensorInfo): Record<string, unknown> {
  const dtype = NUMPY_DTYPES[t.type];
  if (!dtype) throw new Error(`ONNX element type ${t.type} has no MLflow tensor type`);
  return {
    type: "tensor",
    "tensor-spec": { dtype, shape: t.shape.map((d) => (typeof d === "number" ? d : -1)) },
    name: t.name,
  };
}

/**
 * The `onnx` flavor, the `python_function` flavor (loader module `mlflow.onnx`, reading
 * {@link ONNX_MODEL_FILE}) and the tensor signature (one named `[-1, 1]` input per raw feature
 * column, the model's outputs) of an exported version. `pyfunc.predict` takes a DataFrame with the
 * raw columns (missing text as `""`, missing numbers as NaN) or a dict of arrays, and returns a dict
 * of arrays (`label` and `probabilities`, or `prediction`).
 */
export function onnxFlavors(model: { inputs: OnnxTensorInfo[]; outputs: OnnxTensorInfo[] }): OnnxFlavors {
  return {
    flavors: {
      onnx: {
        code: null,
        data: ONNX_MODEL_FILE,
        // The oldest onnx release that reads the file (IR 8, opset 17, ONNX-ML 3).
        onnx_version: "1.12.0",
        providers: ["CPUExecutionProvider"],
      },
      python_function: {
        data: ONNX_MODEL_FILE,
        loader_module: "mlflow.onnx",
      },
    },
    signature: {
      inputs: JSON.stringify(model.inputs.map(tensorSpec)),
      outputs: JSON.stringify(model.outputs.map(tensorSpec)),
      params: null,
    },
  };
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
  /** The ONNX flavors and signature, when the version was exported ({@link onnxFlavors}). */
  onnx?: OnnxFlavors;
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
    flavors: { [LOLPOP_FLAVOR]: c.flavor as unknown as Yaml, ...c.onnx?.flavors },
    metadata: (c.metadata ?? undefined) as Yaml,
    model_size_bytes: c.model_size_bytes,
    model_uuid: randomUUID().replace(/-/g, ""),
    run_id: c.run_id,
    signature: c.onnx?.signature as Yaml,
    utc_time_created: mlflowUtcTime(c.created ?? new Date()),
  };
  const lines: string[] = [];
  emit(doc, 0, lines);
  return `${lines.join("\n")}\n`;
}
