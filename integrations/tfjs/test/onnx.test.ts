// ONNX export of TfjsModel: the exported network passes the ONNX checker and predicts like lolpop
// in onnxruntime (Python, from the test venv) and onnxruntime-node: identical labels,
// probabilities within 1e-5, regression values within 1e-5 (relative). Every hidden activation.
import { type Table, Table as TableClass } from "@lolpop/core";
import { composeModel, encodeModel, OnnxExportError } from "@lolpop/onnx";
import * as tf from "@tensorflow/tfjs";
import { parity } from "../../../packages/onnx/test/helpers.js";
import type { TfjsModel } from "../src/index.js";
import { denseLayers, tfjsToOnnx } from "../src/tfjs-onnx.js";
import { blobs, features, makeTrainer, slow, smooth, spirals, target } from "./helpers.js";

async function exportAndCompare(model: TfjsModel, X: Table) {
  const expected = await model.predict(X);
  const onnx = composeModel({
    problem_type: model.problem_type,
    model: await model.to_onnx(),
    feature_names: model.feature_names,
    ...(model.classes ? { classes: model.classes } : {}),
  });
  return parity(encodeModel(onnx), X, expected);
}

/** Sets some values missing and one infinite (the model imputes its training means). */
function withGaps(t: Table): Table {
  const names = t.columnsWithRole("feature");
  const cols = names.map((n, j) => {
    const v = Float64Array.from(t.numeric(n));
    for (let i = j; i < v.length; i += 7) v[i] = Number.NaN;
    if (j === 0) v[3] = Number.POSITIVE_INFINITY;
    return [n, v] as [string, Float64Array];
  });
  return TableClass.fromColumns(cols);
}

describe("TfjsModel as ONNX", () => {
  slow("binary (sigmoid output) on two spirals", async () => {
    const trainer = await makeTrainer({
      backend: "wasm",
      training_params: { layers: [{ units: 16, activation: "relu" }], epochs: 15, early_stopping: false },
    });
    const train = spirals(300, 1);
    const model = (await trainer.fit({
      problem_type: "classification",
      X: features(train),
      y: target(train),
      seed: 3,
    })) as TfjsModel;
    expect(model.meta.output).toBe("sigmoid");
    const p = await exportAndCompare(model, withGaps(features(spirals(400, 2))));
    expect(p.checker).toBe("ok");
    expect(p.labelMismatches).toEqual({ python: 0, node: 0 });
    expect(p.maxDiff.python).toBeLessThan(1e-5);
    expect(p.maxDiff.node).toBeLessThan(1e-5);
  });

  slow("three classes (softmax output), one hidden layer per activation", async () => {
    const activations = [
      "relu",
      "elu",
      "selu",
      "relu6",
      "tanh",
      "sigmoid",
      "softplus",
      "softsign",
      "swish",
      "mish",
      "gelu",
      "linear",
    ] as const;
    const trainer = await makeTrainer({
      backend: "wasm",
      training_params: {
        layers: activations.map((activation) => ({ units: 6, activation })),
        epochs: 10,
        early_stopping: false,
      },
    });
    const train = blobs(300, 4);
    const model = (await trainer.fit({
      problem_type: "classification",
      X: features(train),
      y: target(train),
      seed: 5,
    })) as TfjsModel;
    const piece = await model.to_onnx();
    for (const op of ["Relu", "Elu", "Selu", "Clip", "Tanh", "Softplus", "Softsign", "Erf", "Softmax"])
      expect(piece.nodes.map((n) => n.op_type)).toContain(op);
    const p = await exportAndCompare(model, withGaps(features(blobs(600, 6))));
    expect(p.checker).toBe("ok");
    expect(p.labelMismatches).toEqual({ python: 0, node: 0 });
    expect(p.maxDiff.python).toBeLessThan(1e-5);
    expect(p.maxDiff.node).toBeLessThan(1e-5);
  });

  slow("regression (linear output, standardized target restored)", async () => {
    const trainer = await makeTrainer({
      backend: "wasm",
      training_params: {
        layers: [
          { units: 16, activation: "tanh" },
          { units: 8, activation: "relu" },
        ],
        epochs: 15,
        early_stopping: false,
      },
    });
    const train = smooth(400, 11);
    const model = (await trainer.fit({
      problem_type: "regression",
      X: features(train),
      y: target(train),
    })) as TfjsModel;
    expect(model.meta.target_scaling!.mean).toBeGreaterThan(5);
    const p = await exportAndCompare(model, withGaps(features(smooth(500, 12))));
    expect(p.checker).toBe("ok");
    expect(p.maxDiff.python).toBeLessThan(1e-5);
    expect(p.maxDiff.node).toBeLessThan(1e-5);
  });
});

describe("what the ONNX export refuses", () => {
  it("a layer other than Dense, by name", () => {
    const net = tf.sequential();
    net.add(tf.layers.dense({ units: 4, inputShape: [3], name: "hidden" }));
    net.add(tf.layers.dropout({ rate: 0.5, name: "drop" }));
    try {
      expect(() => denseLayers(net, "train.model_trainer")).toThrow(
        /train\.model_trainer: layer "drop" is a Dropout; the ONNX export handles Dense layers only/,
      );
      try {
        denseLayers(net, "x");
      } catch (e) {
        expect(OnnxExportError.isInstance(e)).toBe(true);
        expect((e as OnnxExportError).unsupported).toBe('layer "drop" (Dropout)');
      }
    } finally {
      net.dispose();
    }
  });

  it("an activation it does not translate, by name", () => {
    const layer = {
      name: "h",
      activation: "hardSigmoid",
      inputs: 1,
      units: 1,
      kernel: new Float32Array([1]),
    };
    expect(() =>
      tfjsToOnnx(
        { feature_names: ["a"], impute_means: [0], output: "linear", target_scaling: { mean: 0, std: 1 } },
        [layer, { ...layer, name: "out", activation: "linear" }],
        "m",
      ),
    ).toThrow(/m: layer "h" uses the activation "hardSigmoid", which the ONNX export does not translate/);
  });
});
