/**
 * Building graph pieces: typed attribute and tensor helpers, and {@link PieceBuilder}, which names
 * intermediate values uniquely, collects constants and records the operator sets the nodes need.
 * The converters of the integrations (random forest, tfjs, CatBoost, the local feature transformer)
 * build their `to_onnx()` pieces with it.
 */
import type {
  OnnxAttribute,
  OnnxElementType,
  OnnxGraphPiece,
  OnnxNode,
  OnnxTensor,
  OnnxTensorData,
  OnnxValueInfo,
} from "@lolpop/core";

/** The ONNX-ML operator domain (TreeEnsembleClassifier, Imputer, Scaler, OneHotEncoder...). */
export const ONNX_ML_DOMAIN = "ai.onnx.ml";
/** IR version of the models lolpop writes (the one that goes with opset 17). */
export const IR_VERSION = 8;
/** Operator set versions lolpop's pieces are written for: default domain 17, ONNX-ML 3. */
export const DEFAULT_OPSETS: Readonly<Record<string, number>> = Object.freeze({
  "": 17,
  [ONNX_ML_DOMAIN]: 3,
});
/** The symbolic batch dimension (rows) of every input and output. */
export const BATCH_DIM = "N";

/** Typed attribute values (an ONNX attribute's type is explicit: `1` may be an int or a float). */
export const attr = {
  int: (value: number): OnnxAttribute => ({ type: "int", value }),
  float: (value: number): OnnxAttribute => ({ type: "float", value }),
  string: (value: string): OnnxAttribute => ({ type: "string", value }),
  ints: (value: ArrayLike<number>): OnnxAttribute => ({ type: "ints", value }),
  floats: (value: ArrayLike<number>): OnnxAttribute => ({ type: "floats", value }),
  strings: (value: readonly string[]): OnnxAttribute => ({ type: "strings", value }),
  tensor: (value: OnnxTensor): OnnxAttribute => ({ type: "tensor", value }),
};

/** A constant tensor; `data` must hold the product of `dims` values of the type's array kind. */
export function tensor(
  name: string,
  type: OnnxElementType,
  dims: readonly number[],
  data: OnnxTensorData,
): OnnxTensor {
  return { name, type, dims: [...dims], data };
}

/** A tensor value description (`shape` dims: number fixed, string symbolic, null unknown). */
export function tensorInfo(
  name: string,
  type: OnnxElementType,
  shape: ReadonlyArray<number | string | null>,
  doc_string?: string,
): OnnxValueInfo {
  return doc_string ? { name, type, shape: [...shape], doc_string } : { name, type, shape: [...shape] };
}

/** Options of one node. */
export interface NodeOptions {
  /** Operator set domain (`ai.onnx.ml` for ONNX-ML operators). */
  domain?: string;
  /** Node name; a unique one is made from the operator when absent. */
  name?: string;
  doc_string?: string;
}

/**
 * Builds one {@link OnnxGraphPiece}. Values are named `hint`, `hint_1`, `hint_2`...: unique within
 * the piece, including against its declared inputs and outputs.
 *
 * ```ts
 * const b = new PieceBuilder();
 * const x = b.input(tensorInfo("features", "float", ["N", 3]));
 * const w = b.constant("weights", "float", [3, 1], new Float32Array([1, 2, 3]));
 * b.node("MatMul", [x, w], ["prediction_2d"]);
 * ...
 * ```
 */
export class PieceBuilder {
  readonly #inputs: OnnxValueInfo[] = [];
  readonly #outputs: OnnxValueInfo[] = [];
  readonly #nodes: OnnxNode[] = [];
  readonly #initializers: OnnxTensor[] = [];
  readonly #used = new Set<string>();
  readonly #domains = new Set<string>();

  /** Reserves `name` exactly (an input or output name); throws when it is taken. */
  #reserve(name: string): string {
    if (this.#used.has(name)) throw new RangeError(`value name "${name}" is used twice in one piece`);
    this.#used.add(name);
    return name;
  }

  /** A new unique value name made from `hint`. */
  name(hint: string): string {
    const base = hint || "v";
    if (!this.#used.has(base)) return this.#reserve(base);
    for (let i = 1; ; i++) {
      const candidate = `${base}_${i}`;
      if (!this.#used.has(candidate)) return this.#reserve(candidate);
    }
  }

  /** Declares an input the piece reads; returns its name. */
  input(info: OnnxValueInfo): string {
    this.#inputs.push(info);
    return this.#reserve(info.name);
  }

  /**
   * Declares an output. Reserve its name with {@link outputName} before the node that writes it,
   * or give a name already produced by a node.
   */
  output(info: OnnxValueInfo): void {
    this.#outputs.push(info);
  }

  /** Reserves an output name exactly, for the node that will write it. */
  outputName(name: string): string {
    return this.#reserve(name);
  }

  /** Adds a constant; returns its (unique) name. */
  constant(hint: string, type: OnnxElementType, dims: readonly number[], data: OnnxTensorData): string {
    const name = this.name(hint);
    this.#initializers.push(tensor(name, type, dims, data));
    return name;
  }

  /** A float constant of shape `dims` (a 1-D vector when `dims` is absent). */
  floats(hint: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): string {
    return this.constant(hint, "float", dims, Float32Array.from(values));
  }

  /** A double constant of shape `dims` (a 1-D vector when `dims` is absent). */
  doubles(hint: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): string {
    return this.constant(hint, "double", dims, Float64Array.from(values));
  }

  /** An int64 constant of shape `dims` (a 1-D vector when `dims` is absent). */
  int64s(hint: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): string {
    return this.constant(hint, "int64", dims, BigInt64Array.from(Array.from(values, (v) => BigInt(v))));
  }

  /**
   * Adds a node writing `outputs`: names made with {@link name} or reserved with {@link outputName}.
   * {@link op} covers the common one-output case.
   */
  node(
    op_type: string,
    inputs: string[],
    outputs: string[],
    attributes?: Record<string, OnnxAttribute>,
    options: NodeOptions = {},
  ): void {
    const domain = options.domain ?? "";
    this.#domains.add(domain);
    const node: OnnxNode = {
      op_type,
      inputs,
      outputs,
      name: options.name ?? this.name(`${op_type}_node`),
    };
    if (domain) node.domain = domain;
    if (attributes && Object.keys(attributes).length) node.attributes = attributes;
    if (options.doc_string) node.doc_string = options.doc_string;
    this.#nodes.push(node);
  }

  /** Adds a node with one output named from `hint` (default: the operator); returns that name. */
  op(
    op_type: string,
    inputs: string[],
    attributes?: Record<string, OnnxAttribute>,
    options: NodeOptions & { hint?: string } = {},
  ): string {
    const out = this.name(options.hint ?? op_type.toLowerCase());
    this.node(op_type, inputs, [out], attributes, options);
    return out;
  }

  /** The piece. Opsets: {@link DEFAULT_OPSETS} of the domains the nodes use. */
  finish(extra: Pick<OnnxGraphPiece, "feature_names" | "doc_string"> = {}): OnnxGraphPiece {
    const opsets: Record<string, number> = {};
    for (const d of this.#domains) opsets[d] = DEFAULT_OPSETS[d] ?? 1;
    opsets[""] ??= DEFAULT_OPSETS[""]!;
    const piece: OnnxGraphPiece = {
      inputs: [...this.#inputs],
      outputs: [...this.#outputs],
      nodes: [...this.#nodes],
      initializers: [...this.#initializers],
      opsets,
    };
    if (extra.feature_names) piece.feature_names = [...extra.feature_names];
    if (extra.doc_string) piece.doc_string = extra.doc_string;
    return piece;
  }
}
