/**
 * Scoring an exported model with onnxruntime-node, an optional peer dependency loaded on first use:
 * {@link OnnxScorer} turns a lolpop Table into the model's inputs (one `[N, 1]` tensor per raw
 * column) and its outputs back into lolpop predictions.
 */
import {
  asCategorical,
  classificationPredictions,
  DataError,
  LolpopError,
  type Predictions,
  type ProblemType,
  regressionPredictions,
  type Table,
} from "@lolpop/core";
import { LABEL, METADATA_KEYS, PREDICTION, PROBABILITIES } from "./onnx-compose.js";
import { decodeModel, encodeModel, type OnnxModel } from "./onnx-model.js";

type Ort = typeof import("onnxruntime-node");
type Session = import("onnxruntime-node").InferenceSession;
type OrtTensor = import("onnxruntime-node").Tensor;

let runtime: Promise<Ort> | undefined;

/**
 * Imports onnxruntime-node (once). Throws a LolpopError with the install line when it is missing.
 * Its install script downloads GPU libraries and fails offline; the CPU runtime works without it
 * (`ONNXRUNTIME_NODE_INSTALL=skip`, or leave it off pnpm's build allow-list).
 */
export function loadOnnxRuntime(): Promise<Ort> {
  runtime ??= import("onnxruntime-node")
    .then((m) => ((m as { default?: Ort }).default?.InferenceSession ? (m as { default: Ort }).default : m))
    .catch((cause) => {
      runtime = undefined;
      throw new LolpopError({
        message: `onnxruntime-node is needed to score ONNX models and could not be loaded (${(cause as Error)?.message ?? String(cause)}). Install it: npm install onnxruntime-node@^1.30.0 (set ONNXRUNTIME_NODE_INSTALL=skip when there is no internet; the CPU runtime needs no download).`,
        code: "dependency_missing",
        cause,
      });
    });
  return runtime;
}

/** One input of an exported model. */
export interface OnnxInput {
  name: string;
  type: "float" | "double" | "string";
}

/** Options of {@link OnnxScorer.create}. */
export interface OnnxScorerOptions {
  /** Threads of one run (onnxruntime's `intraOpNumThreads`); default: onnxruntime's choice. */
  threads?: number;
}

/** Reads lolpop's metadata from a composed model. */
function describe(model: OnnxModel): { problem: ProblemType; classes?: string[]; inputs: OnnxInput[] } {
  const meta = model.metadata ?? {};
  const problem = meta[METADATA_KEYS.problem_type];
  if (problem !== "classification" && problem !== "regression")
    throw new DataError({
      message: `this ONNX model was not exported by lolpop (no ${METADATA_KEYS.problem_type} metadata)`,
      code: "onnx_not_lolpop",
    });
  const inputs: OnnxInput[] = model.graph.inputs.map((v) => {
    const t = "tensor" in v.type ? v.type.tensor : undefined;
    if (t !== "float" && t !== "double" && t !== "string")
      throw new DataError({
        message: `input "${v.name}" of the ONNX model is not a float, double or string tensor`,
        code: "onnx_not_lolpop",
      });
    return { name: v.name, type: t };
  });
  const classes = meta[METADATA_KEYS.classes]
    ? (JSON.parse(meta[METADATA_KEYS.classes]!) as string[])
    : undefined;
  return { problem, ...(classes ? { classes } : {}), inputs };
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A model exported by lolpop, open in onnxruntime-node. */
export class OnnxScorer {
  readonly problem_type: ProblemType;
  /** Class labels, for classification. */
  readonly classes?: string[];
  /** The raw columns the model reads. */
  readonly inputs: readonly OnnxInput[];
  readonly #ort: Ort;
  readonly #session: Session;

  private constructor(ort: Ort, session: Session, info: ReturnType<typeof describe>) {
    this.#ort = ort;
    this.#session = session;
    this.problem_type = info.problem;
    if (info.classes) this.classes = info.classes;
    this.inputs = info.inputs;
  }

  /** Opens a model exported by lolpop (`composeModel` output, or the bytes of its `.onnx` file). */
  static async create(model: Uint8Array | OnnxModel, options: OnnxScorerOptions = {}): Promise<OnnxScorer> {
    const isBytes = ArrayBuffer.isView(model);
    const decoded = isBytes ? decodeModel(model as Uint8Array) : (model as OnnxModel);
    const bytes = isBytes ? (model as Uint8Array) : encodeModel(model as OnnxModel);
    const info = describe(decoded);
    const ort = await loadOnnxRuntime();
    const session = await ort.InferenceSession.create(bytes, {
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    });
    return new OnnxScorer(ort, session, info);
  }

  /**
   * The model's inputs from a table, `[N, 1]` each: float32 or float64 (as the input is typed) for
   * numeric inputs (NaN missing), string for text ("" missing).
   */
  feeds(table: Table): Record<string, OrtTensor> {
    const n = table.numRows;
    const absent = this.inputs.filter((i) => !table.has(i.name)).map((i) => i.name);
    if (absent.length)
      throw new DataError({
        message: `the data lacks column${absent.length > 1 ? "s" : ""} ${absent.map((a) => `"${a}"`).join(", ")} that the ONNX model reads (columns: ${table.columnNames.join(", ") || "none"})`,
        code: "missing_column",
        details: { columns: absent },
      });
    const feeds: Record<string, OrtTensor> = {};
    for (const input of this.inputs) {
      const col = table.column(input.name);
      if (input.type === "string") {
        const c = asCategorical(col);
        const text = Array.from(c.codes, (code) => (code < 0 ? "" : c.dictionary[code]!));
        feeds[input.name] = new this.#ort.Tensor("string", text, [n, 1]);
        continue;
      }
      let values: Float64Array;
      if (col.type === "numeric")
        values = col.values instanceof Float64Array ? col.values : Float64Array.from(col.values);
      else {
        const parsed = col.dictionary.map((d) => (NUMBER.test(d.trim()) ? Number(d.trim()) : Number.NaN));
        const bad = col.dictionary.find((_d, j) => Number.isNaN(parsed[j]!) && col.codes.includes(j));
        if (bad !== undefined)
          throw new DataError({
            message: `column "${input.name}" holds text ("${bad}") where the ONNX model reads numbers`,
            code: "wrong_column_type",
            details: { column: input.name },
          });
        values = Float64Array.from(col.codes, (code) => (code < 0 ? Number.NaN : parsed[code]!));
      }
      feeds[input.name] =
        input.type === "double"
          ? new this.#ort.Tensor("float64", values, [n, 1])
          : new this.#ort.Tensor("float32", Float32Array.from(values), [n, 1]);
    }
    return feeds;
  }

  /** Runs the model; returns its outputs by name. */
  async run(table: Table): Promise<Record<string, OrtTensor>> {
    return (await this.#session.run(this.feeds(table))) as Record<string, OrtTensor>;
  }

  /**
   * lolpop predictions from the model's outputs: for classification the labels are the model's
   * `label` output (as class indexes) and `proba` its `probabilities`; for regression `prediction`.
   */
  async predict(table: Table): Promise<Predictions> {
    const n = table.numRows;
    const out = await this.run(table);
    if (this.problem_type === "regression")
      return regressionPredictions(Float64Array.from(out[PREDICTION]!.data as Float32Array));
    const classes = this.classes!;
    const proba = Float64Array.from(out[PROBABILITIES]!.data as Float32Array);
    const predictions = classificationPredictions(classes, proba, n);
    const index = new Map(classes.map((c, i) => [c, i]));
    const labels = out[LABEL]!.data as string[];
    for (let i = 0; i < n; i++) predictions.labels[i] = index.get(labels[i]!) ?? -1;
    return predictions;
  }

  /** Releases the session. */
  async close(): Promise<void> {
    await this.#session.release();
  }
}
