/**
 * KServe Open Inference Protocol v2 for a tabular model: each input column is one tensor of shape
 * `[n]` (or `[n, 1]`), named like the column (null elements are missing values); outputs are `prediction` and, for classifiers with
 * probabilities, one `proba_<class>` tensor per class.
 */
import type { InferenceBundleMeta, InputColumn } from "@lolpop/core";
import { Table } from "@lolpop/core";
import { ServeError } from "./serve-error.js";
import type { PredictResult } from "./serve-predictor.js";
import { describe } from "./serve-predictor.js";

/** Tensor datatypes of the protocol. */
export const V2_DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
] as const;

/** One tensor's description in model metadata. */
export interface V2TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

/** `GET /v2/models/{name}`. */
export interface V2ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: V2TensorMeta[];
  outputs: V2TensorMeta[];
}

/** One tensor of an infer response. */
export interface V2Tensor extends V2TensorMeta {
  data: Array<string | number | boolean | null>;
}

/** The datatype a column is sent as. */
function datatypeOf(c: InputColumn): string {
  if (c.type === "categorical" || c.type === undefined) return "BYTES";
  if (c.logical === "bool") return "BOOL";
  if (c.logical === "int") return "INT64";
  if (c.logical === "datetime") return "INT64";
  return "FP64";
}

/** Model metadata: inputs are the columns a request must have, outputs what infer returns. */
export function v2Metadata(name: string, version: number, meta: InferenceBundleMeta): V2ModelMetadata {
  const inputs = meta.input.columns
    .filter((c) => c.required && c.role !== "target" && c.role !== "index")
    .map((c) => ({ name: c.name, datatype: datatypeOf(c), shape: [-1] }));
  const outputs: V2TensorMeta[] = [
    { name: "prediction", datatype: meta.problem_type === "regression" ? "FP64" : "BYTES", shape: [-1] },
  ];
  if (meta.problem_type === "classification")
    for (const c of meta.classes ?? []) outputs.push({ name: `proba_${c}`, datatype: "FP64", shape: [-1] });
  return { name, versions: [String(version)], platform: "lolpop", inputs, outputs };
}

const bad = (message: string, details?: Record<string, unknown>) =>
  new ServeError({ message, code: "bad_request", ...(details ? { details } : {}) });

/** Flattens nested lists (row-major), as tensors may be sent. */
function flatten(data: unknown[]): unknown[] {
  return data.some(Array.isArray) ? data.flat(Number.POSITIVE_INFINITY) : data;
}

function checkValue(input: string, datatype: string, v: unknown, i: number): void {
  if (v === null) return; // a missing value
  const fail = (want: string) => {
    throw bad(`inputs "${input}", element ${i}: ${describe(v)} is not ${want} (datatype ${datatype})`, {
      input,
      element: i,
    });
  };
  if (datatype === "BYTES") {
    if (typeof v !== "string") fail("text");
  } else if (datatype === "BOOL") {
    if (typeof v !== "boolean") fail("true/false");
  } else if (datatype.startsWith("FP")) {
    if (typeof v !== "number") fail("a number");
  } else if (typeof v !== "number" || !Number.isInteger(v) || (datatype.startsWith("UINT") && v < 0))
    fail(datatype.startsWith("UINT") ? "a whole number from 0" : "a whole number");
}

/** A parsed infer request. */
export interface V2Request {
  id?: string;
  table: Table;
  /** Names of the requested outputs (all when absent). */
  outputs?: string[];
}

/** Parses an infer request body (already JSON-parsed) into a table with one column per input. */
export function parseV2Infer(body: unknown): V2Request {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw bad(`the body is ${describe(body)}: send {"inputs": [{"name", "shape", "datatype", "data"}, ...]}`);
  const b = body as Record<string, unknown>;
  if (b.id !== undefined && typeof b.id !== "string") throw bad(`id is ${describe(b.id)}: send text`);
  if (!Array.isArray(b.inputs) || b.inputs.length === 0)
    throw bad(`inputs must be a non-empty list of tensors {"name", "shape", "datatype", "data"}`);
  let n = -1;
  const cols: Array<[string, unknown[]]> = [];
  const seen = new Set<string>();
  b.inputs.forEach((t: unknown, k) => {
    if (t === null || typeof t !== "object" || Array.isArray(t))
      throw bad(`inputs[${k}] is ${describe(t)}: send a tensor object`);
    const { name, shape, datatype, data } = t as Record<string, unknown>;
    if (typeof name !== "string" || name === "") throw bad(`inputs[${k}].name must be the column name`);
    if (seen.has(name)) throw bad(`inputs "${name}" is given twice`);
    seen.add(name);
    if (typeof datatype !== "string" || !(V2_DATATYPES as readonly string[]).includes(datatype))
      throw bad(
        `inputs "${name}": datatype ${JSON.stringify(datatype)} is not one of ${V2_DATATYPES.join(", ")}`,
      );
    if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0))
      throw bad(`inputs "${name}": shape must be a list of whole numbers, e.g. [3] or [3, 1]`);
    if (shape.length > 2 || (shape.length === 2 && shape[1] !== 1))
      throw bad(`inputs "${name}": shape ${JSON.stringify(shape)} is not one column; send [n] or [n, 1]`);
    if (!Array.isArray(data)) throw bad(`inputs "${name}": data must be a list`);
    const flat = flatten(data);
    const size = (shape as number[]).reduce((a, d) => a * d, 1);
    if (flat.length !== size)
      throw bad(
        `inputs "${name}": data has ${flat.length} elements, shape ${JSON.stringify(shape)} needs ${size}`,
      );
    flat.forEach((v, i) => checkValue(name, datatype, v, i));
    const rows = shape[0] as number;
    if (n >= 0 && rows !== n)
      throw bad(`inputs "${name}" has ${rows} rows, the other inputs ${n}: send one row count`);
    n = rows;
    cols.push([name, flat]);
  });
  if (n === 0) throw bad("the inputs have no rows: send at least one row");
  let outputs: string[] | undefined;
  if (b.outputs !== undefined) {
    if (!Array.isArray(b.outputs)) throw bad(`outputs must be a list of {"name"}`);
    outputs = b.outputs.map((o: unknown, k) => {
      const name = o && typeof o === "object" ? (o as Record<string, unknown>).name : undefined;
      if (typeof name !== "string") throw bad(`outputs[${k}] must be {"name": "..."}`);
      return name;
    });
  }
  const table = Table.fromColumns(cols as never);
  return { ...(typeof b.id === "string" ? { id: b.id } : {}), table, ...(outputs ? { outputs } : {}) };
}

/** The infer response of a prediction (every output, or the requested ones). */
export function v2Response(
  result: PredictResult,
  request: Pick<V2Request, "id" | "outputs">,
): { model_name: string; model_version: string; id?: string; outputs: V2Tensor[] } {
  const n = result.predictions.length;
  const all: V2Tensor[] = [
    {
      name: "prediction",
      datatype: result.problemType === "regression" ? "FP64" : "BYTES",
      shape: [n],
      data: result.predictions,
    },
  ];
  for (const name of result.output.columnNames)
    if (name.startsWith("proba_"))
      all.push({
        name,
        datatype: "FP64",
        shape: [n],
        data: Array.from(result.output.numeric(name), (v) => (Number.isNaN(v) ? null : v)),
      });
  let outputs = all;
  if (request.outputs) {
    outputs = request.outputs.map((name) => {
      const found = all.find((t) => t.name === name);
      if (!found)
        throw bad(`output "${name}" does not exist (outputs: ${all.map((t) => t.name).join(", ")})`);
      return found;
    });
  }
  return {
    model_name: result.name,
    model_version: String(result.version),
    ...(request.id !== undefined ? { id: request.id } : {}),
    outputs,
  };
}
