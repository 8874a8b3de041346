/**
 * A TfjsModel's network as a piece of an ONNX graph, written from the layer weights (no Python):
 * missing and infinite inputs replaced by the training means (Imputer, IsInf + Where), then per
 * Dense layer `MatMul` + `Add` and its activation, then the output as lolpop reads it: a sigmoid
 * unit becomes the probabilities `[1 - p, p]`, a softmax the class probabilities, a linear unit
 * the regression value (target standardization undone: `* std + mean`).
 *
 * Both sides compute in float32, so predictions agree to float32 rounding. Layers other than
 * Dense, and activations outside {@link ACTIVATIONS} plus `softmax`, are refused by name.
 */
import type { OnnxGraphPiece } from "@lolpop/core";
import {
  attr,
  BATCH_DIM,
  FEATURES,
  ONNX_ML_DOMAIN,
  OnnxExportError,
  PieceBuilder,
  PREDICTION,
  PROBABILITIES,
  tensorInfo,
} from "@lolpop/onnx";
import type { TfjsModelMeta } from "./tfjs-model.js";

/** One Dense layer's weights, read from the network. */
export interface DenseLayer {
  name: string;
  /** Activation (TensorFlow.js class name, e.g. `relu`). */
  activation: string;
  /** Row-major `[inputs, units]`. */
  kernel: Float32Array;
  inputs: number;
  units: number;
  /** `[units]`, absent when the layer has no bias. */
  bias?: Float32Array;
}

type LayersModel = import("@tensorflow/tfjs").LayersModel;

/** The Dense layers of a network with their weights; any other layer is an OnnxExportError. */
export function denseLayers(net: LayersModel, path: string): DenseLayer[] {
  return net.layers.map((layer) => {
    const kind = layer.getClassName();
    if (kind !== "Dense")
      throw new OnnxExportError({
        message: `${path}: layer "${layer.name}" is a ${kind}; the ONNX export handles Dense layers only`,
        unsupported: `layer "${layer.name}" (${kind})`,
      });
    const config = layer.getConfig() as { activation?: string; useBias?: boolean; units?: number };
    const [kernel, bias] = layer.getWeights();
    const [inputs, units] = kernel!.shape as [number, number];
    return {
      name: layer.name,
      activation: config.activation ?? "linear",
      kernel: Float32Array.from(kernel!.dataSync() as Float32Array),
      inputs,
      units,
      ...(config.useBias !== false && bias
        ? { bias: Float32Array.from(bias.dataSync() as Float32Array) }
        : {}),
    };
  });
}

/** TensorFlow.js's SELU constants (scale, and scale x alpha). */
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALE_ALPHA = 1.7580993408473766;

function activation(b: PieceBuilder, x: string, name: string, layer: string, path: string): string {
  const hint = `${layer}/${name}`;
  switch (name) {
    case "linear":
      return x;
    case "relu":
      return b.op("Relu", [x], undefined, { hint });
    case "relu6":
      return b.op(
        "Clip",
        [x, b.floats(`${layer}/zero`, [0], []), b.floats(`${layer}/six`, [6], [])],
        undefined,
        {
          hint,
        },
      );
    case "elu":
      return b.op("Elu", [x], { alpha: attr.float(1) }, { hint });
    case "selu":
      return b.op(
        "Selu",
        [x],
        { alpha: attr.float(SELU_SCALE_ALPHA / SELU_SCALE), gamma: attr.float(SELU_SCALE) },
        { hint },
      );
    case "tanh":
      return b.op("Tanh", [x], undefined, { hint });
    case "sigmoid":
      return b.op("Sigmoid", [x], undefined, { hint });
    case "softplus":
      return b.op("Softplus", [x], undefined, { hint });
    case "softsign":
      return b.op("Softsign", [x], undefined, { hint });
    case "softmax":
      return b.op("Softmax", [x], { axis: attr.int(-1) }, { hint });
    case "swish":
      return b.op("Mul", [b.op("Sigmoid", [x], undefined, { hint: `${hint}/sigmoid` }), x], undefined, {
        hint,
      });
    case "mish": {
      const sp = b.op("Softplus", [x], undefined, { hint: `${hint}/softplus` });
      return b.op("Mul", [x, b.op("Tanh", [sp], undefined, { hint: `${hint}/tanh` })], undefined, { hint });
    }
    case "gelu": {
      // x * 0.5 * (1 + erf(x / sqrt(2)))
      const erf = b.op("Erf", [b.op("Div", [x, b.floats(`${hint}/sqrt2`, [Math.SQRT2], [])])], undefined, {
        hint: `${hint}/erf`,
      });
      const cdf = b.op("Mul", [
        b.op("Add", [erf, b.floats(`${hint}/one`, [1], [])]),
        b.floats(`${hint}/half`, [0.5], []),
      ]);
      return b.op("Mul", [x, cdf], undefined, { hint });
    }
    default:
      throw new OnnxExportError({
        message: `${path}: layer "${layer}" uses the activation "${name}", which the ONNX export does not translate (it handles relu, relu6, elu, selu, tanh, sigmoid, softplus, softsign, swish, mish, gelu, softmax and linear)`,
        unsupported: `activation "${name}" of layer "${layer}"`,
      });
  }
}

/** Builds the ONNX piece of a TfjsModel from its metadata and Dense layers. */
export function tfjsToOnnx(
  meta: Pick<TfjsModelMeta, "feature_names" | "impute_means" | "output" | "classes" | "target_scaling">,
  layers: readonly DenseLayer[],
  path: string,
): OnnxGraphPiece {
  const F = meta.feature_names.length;
  const b = new PieceBuilder();
  const input = b.input(tensorInfo(FEATURES, "float", [BATCH_DIM, F]));
  // Missing and infinite values: the training means, as TfjsModel.predict does.
  const imputed = b.op(
    "Imputer",
    [input],
    { imputed_value_floats: attr.floats(meta.impute_means), replaced_value_float: attr.float(Number.NaN) },
    { domain: ONNX_ML_DOMAIN, hint: "imputed" },
  );
  let x = b.op(
    "Where",
    [
      b.op("IsInf", [imputed], undefined, { hint: "infinite" }),
      b.floats("means", meta.impute_means, [1, F]),
      imputed,
    ],
    undefined,
    { hint: "finite" },
  );
  let width = F;
  layers.forEach((layer, i) => {
    if (layer.inputs !== width)
      throw new Error(
        `${path}: layer "${layer.name}" reads ${layer.inputs} values, the previous one gives ${width}`,
      );
    const last = i === layers.length - 1;
    let z = b.op(
      "MatMul",
      [x, b.floats(`${layer.name}/kernel`, layer.kernel, [layer.inputs, layer.units])],
      undefined,
      {
        hint: `${layer.name}/matmul`,
      },
    );
    if (layer.bias)
      z = b.op("Add", [z, b.floats(`${layer.name}/bias`, layer.bias)], undefined, {
        hint: `${layer.name}/add`,
      });
    if (last && layer.activation !== meta.output)
      throw new OnnxExportError({
        message: `${path}: the output layer's activation is "${layer.activation}" but the model's metadata says "${meta.output}"`,
        unsupported: `output activation "${layer.activation}"`,
      });
    x = activation(b, z, layer.activation, layer.name, path);
    width = layer.units;
  });
  if (meta.output === "linear") {
    const { mean, std } = meta.target_scaling ?? { mean: 0, std: 1 };
    const scaled = b.op(
      "Add",
      [b.op("Mul", [x, b.floats("target_std", [std], [])]), b.floats("target_mean", [mean], [])],
      undefined,
      {
        hint: "value",
      },
    );
    b.node("Reshape", [scaled, b.int64s("rows", [-1])], [b.outputName(PREDICTION)]);
    b.output(tensorInfo(PREDICTION, "float", [BATCH_DIM]));
  } else if (meta.output === "sigmoid") {
    // [1 - p, p]
    const q = b.op("Sub", [b.floats("one", [1], []), x], undefined, { hint: "first_class" });
    b.node("Concat", [q, x], [b.outputName(PROBABILITIES)], { axis: attr.int(1) });
    b.output(tensorInfo(PROBABILITIES, "float", [BATCH_DIM, 2]));
  } else {
    b.node("Identity", [x], [b.outputName(PROBABILITIES)]);
    b.output(tensorInfo(PROBABILITIES, "float", [BATCH_DIM, width]));
  }
  return b.finish({
    feature_names: [...meta.feature_names],
    doc_string: `TensorFlow.js dense network: ${layers.map((l) => `${l.units} ${l.activation}`).join(" -> ")} (float32)`,
  });
}
