// The native training step (raw libtensorflow ops, tensorflow backend) against the generic step
// (TensorFlow.js ops and optimizers, itself checked against automatic differentiation in
// train-step.test.ts): the same network, data and optimizer trained a few steps both ways must end
// with the same weights and losses within float32 rounding. A mutation check breaks one gradient
// term (one layer's bias gradient, off by 0.01) and expects the comparison to catch it.
import type * as tf from "@tensorflow/tfjs";
import type { TfjsModel } from "../src/tfjs-model.js";
import {
  createNativeStep,
  type NativeBinding,
  type NativeStepSpec,
  nativeBinding,
  nativeStepSupport,
} from "../src/tfjs-native-step.js";
import { loadTf } from "../src/tfjs-runtime.js";
import { createTrainStep } from "../src/tfjs-train-step.js";
import {
  features,
  lcg,
  makeTrainer,
  maxDiff,
  network,
  type Output,
  recordingLogger,
  SPIRAL_PARAMS,
  slow,
  spirals,
  target,
} from "./helpers.js";

/** `steps` batches of `m` rows (the last one shorter), as the trainer passes them. */
function batches(steps: number, m: number, d: number, k: number, output: Output, seed: number) {
  const r = lcg(seed);
  return Array.from({ length: steps }, (_, s) => {
    const rows = s === steps - 1 ? m - 5 : m;
    const x = Float32Array.from({ length: rows * d }, () => r() * 4 - 2);
    const y = new Float32Array(rows * k);
    for (let i = 0; i < rows; i++) {
      if (output === "linear") for (let c = 0; c < k; c++) y[i * k + c] = r() * 3 - 1;
      else if (output === "sigmoid") y[i] = r() > 0.5 ? 1 : 0;
      else y[i * k + Math.floor(r() * k)] = 1;
    }
    const w = Float32Array.from({ length: rows }, () => 0.5 + r() * 2);
    return { x, y, w, rows };
  });
}

interface Case {
  output: Output;
  k: number;
  hidden: string[];
  weighted: boolean;
  optimizer: "adam" | "sgd";
}

const CASES: Case[] = [
  { output: "sigmoid", k: 1, hidden: ["relu", "relu"], weighted: false, optimizer: "adam" },
  { output: "sigmoid", k: 1, hidden: ["tanh", "relu"], weighted: true, optimizer: "adam" },
  { output: "softmax", k: 3, hidden: ["relu", "sigmoid"], weighted: true, optimizer: "adam" },
  { output: "softmax", k: 4, hidden: ["elu"], weighted: false, optimizer: "sgd" },
  { output: "linear", k: 1, hidden: ["relu", "linear"], weighted: false, optimizer: "adam" },
  { output: "linear", k: 2, hidden: [], weighted: true, optimizer: "sgd" },
];

const STEPS = 6;
const D = 5;
const M = 32;

/** Trains the case both ways; returns the largest weight difference and the per-step losses. */
function trainBoth(t: typeof tf, c: Case, i: number, binding?: NativeBinding) {
  const lr = c.optimizer === "adam" ? 0.01 : 0.1;
  const data = batches(STEPS, M, D, c.k, c.output, 300 + i);
  const native = network(t, D, c.k, c.output, c.hidden, 11 * i, 9);
  const generic = network(t, D, c.k, c.output, c.hidden, 11 * i, 9);
  const spec: NativeStepSpec = {
    output: c.output,
    activations: c.hidden,
    dropouts: [...c.hidden.map(() => 0), 0],
    optimizer: c.optimizer,
    learningRate: lr,
  };
  expect(nativeStepSupport(t as never, spec)).toEqual({ ok: true });
  const fast = createNativeStep(t as never, native as never, spec, binding);
  const optimizer = c.optimizer === "adam" ? t.train.adam(lr) : t.train.sgd(lr);
  const slowStep = createTrainStep(t as never, generic as never, c.output, spec.dropouts, optimizer as never);
  const losses: Array<[number, number]> = [];
  for (const b of data) {
    const ours = fast.run(b.x, b.y, c.weighted ? b.w : undefined, b.rows);
    const ref = t.tidy(
      () =>
        (
          slowStep.run(
            t.tensor2d(b.x, [b.rows, D]) as never,
            t.tensor2d(b.y, [b.rows, c.k]) as never,
            (c.weighted ? t.tensor1d(b.w) : undefined) as never,
            () => 1,
          ) as unknown as tf.Scalar
        ).dataSync()[0]!,
    );
    losses.push([ours, ref]);
  }
  fast.sync();
  const got = native.getWeights().map((v) => v.dataSync());
  const want = generic.getWeights().map((v) => v.dataSync());
  const start = network(t, D, c.k, c.output, c.hidden, 11 * i, 9);
  const initial = start.getWeights().map((v) => v.dataSync());
  let worst = 0;
  let moved = 0;
  got.forEach((g, j) => {
    for (let e = 0; e < g.length; e++) {
      worst = Math.max(worst, Math.abs(g[e]! - want[j]![e]!));
      moved = Math.max(moved, Math.abs(g[e]! - initial[j]![e]!));
    }
  });
  fast.dispose();
  slowStep.dispose();
  optimizer.dispose();
  for (const net of [native, generic, start]) net.dispose();
  return { worst, moved, losses };
}

describe("native training step (tensorflow backend)", () => {
  let t: typeof tf;
  beforeAll(async () => {
    t = (await loadTf()) as unknown as typeof tf;
    await import("@tensorflow/tfjs-node");
    expect(await t.setBackend("tensorflow")).toBe(true);
  }, 120_000);

  slow("trains to the same weights and losses as the generic step (Adam and SGD, weighted rows)", () => {
    for (const [i, c] of CASES.entries()) {
      const label = `${c.output} ${c.hidden.join("-") || "no hidden"} ${c.optimizer}${c.weighted ? " weighted" : ""}`;
      const { worst, moved, losses } = trainBoth(t, c, i);
      expect({ label, worst }).toEqual({ label, worst: expect.closeTo(0, 5) });
      // Training moved the weights well beyond the tolerance (the comparison is not vacuous).
      expect({ label, moved: moved > 1e-2 }).toEqual({ label, moved: true });
      for (const [ours, ref] of losses)
        expect({ label, loss: ours }).toEqual({ label, loss: expect.closeTo(ref, 5) });
    }
  });

  slow("the comparison catches one broken gradient term (a bias gradient off by 0.01)", () => {
    const real = nativeBinding(t as never)!;
    let calls = 0;
    // Adds 0.01 to the second BiasAddGrad of every step (the second layer's bias gradient). (A
    // constant factor would not do: Adam's update is invariant to the scale of a gradient.)
    const broken: NativeBinding = {
      TF_FLOAT: real.TF_FLOAT,
      TF_INT32: real.TF_INT32,
      TF_ATTR_TYPE: real.TF_ATTR_TYPE,
      TF_ATTR_BOOL: real.TF_ATTR_BOOL,
      TF_ATTR_STRING: real.TF_ATTR_STRING,
      TF_ATTR_SHAPE: real.TF_ATTR_SHAPE,
      createTensor: (shape, dtype, values) => real.createTensor(shape, dtype, values),
      deleteTensor: (id) => real.deleteTensor(id),
      tensorDataSync: (id) => real.tensorDataSync(id),
      executeOp(name: string, attrs: Parameters<NativeBinding["executeOp"]>[1], inputs: number[], n: number) {
        const out = real.executeOp(name, attrs, inputs, n);
        if (name !== "BiasAddGrad" || ++calls % 3 !== 2) return out;
        const factor = real.createTensor([], real.TF_FLOAT, Float32Array.of(0.01));
        const scaled = real.executeOp("AddV2", attrs, [out[0]!.id, factor], 1);
        real.deleteTensor(factor);
        real.deleteTensor(out[0]!.id);
        return scaled;
      },
    };
    const c = CASES[0]!;
    const { worst } = trainBoth(t, c, 0, broken);
    expect(calls).toBe(STEPS * 3);
    expect(worst).toBeGreaterThan(1e-4);
  });

  slow(
    "TfjsModelTrainer picks it, says so, and trains the same model as the generic step (validation split, class weights)",
    async () => {
      const train = spirals(300, 21);
      const valid = spirals(100, 22);
      const fit = async (generic: boolean, params = SPIRAL_PARAMS) => {
        const { logger, lines } = recordingLogger();
        const trainer = await makeTrainer(
          { backend: "tensorflow", training_params: { ...params, epochs: 8, class_weight: "balanced" } },
          logger,
        );
        if (generic) process.env.LOLPOP_TFJS_NATIVE_STEP = "0";
        try {
          const model = (await trainer.fit({
            problem_type: "classification",
            X: features(train),
            y: target(train),
            valid: { X: features(valid), y: target(valid) },
            seed: 5,
          })) as TfjsModel;
          return { model, said: lines.map((l) => l.msg).filter((m) => m.startsWith("training step:")) };
        } finally {
          delete process.env.LOLPOP_TFJS_NATIVE_STEP;
        }
      };
      const native = await fit(false);
      const generic = await fit(true);
      expect(native.said).toEqual(["training step: native (libtensorflow ops on tensorflow)"]);
      expect(generic.said).toEqual([
        "training step: generic (TensorFlow.js ops; the native step does not cover LOLPOP_TFJS_NATIVE_STEP=0)",
      ]);
      // Validation losses per epoch read the network, so they show the weights were synced every epoch.
      const history = (m: TfjsModel) => m.training.history.map((h) => [h.loss, h.val_loss]);
      const [a, b] = [history(native.model), history(generic.model)];
      expect(a).toHaveLength(8);
      a.forEach(([loss, val], i) => {
        expect(loss).toBeCloseTo(b[i]![0]!, 4);
        expect(val).toBeCloseTo(b[i]![1]!, 4);
      });
      const test = spirals(200, 23);
      expect(
        maxDiff(await native.model.predict(features(test)), await generic.model.predict(features(test))),
      ).toBeLessThan(1e-4);
      native.model.dispose();
      generic.model.dispose();
      // Dropout is not covered: the log says so.
      const dropout = await fit(false, {
        ...SPIRAL_PARAMS,
        layers: [{ units: 8, activation: "relu", dropout: 0.1 }],
      });
      expect(dropout.said).toEqual([
        "training step: generic (TensorFlow.js ops; the native step does not cover dropout)",
      ]);
      dropout.model.dispose();
    },
  );

  test("frees every libtensorflow tensor it makes (steps, sync, dispose)", () => {
    const binding = nativeBinding(t as never)! as NativeBinding & { getNumOfTensors(): number };
    const net = network(t, D, 3, "softmax", ["relu"], 1, 9);
    const data = batches(3, M, D, 3, "softmax", 9);
    const before = binding.getNumOfTensors();
    const step = createNativeStep(t as never, net as never, {
      output: "softmax",
      activations: ["relu"],
      dropouts: [0, 0],
      optimizer: "adam",
      learningRate: 0.01,
    });
    for (const b of data) step.run(b.x, b.y, b.w, b.rows);
    step.sync();
    step.dispose();
    expect(binding.getNumOfTensors()).toBe(before);
    net.dispose();
  });

  test("says what it does not cover", () => {
    const base: NativeStepSpec = {
      output: "sigmoid",
      activations: ["relu"],
      dropouts: [0, 0],
      optimizer: "adam",
      learningRate: 0.01,
    };
    expect(nativeStepSupport(t as never, base)).toEqual({ ok: true });
    expect(nativeStepSupport(t as never, { ...base, activations: ["gelu"] })).toEqual({
      ok: false,
      reason: "activation gelu",
    });
    expect(nativeStepSupport(t as never, { ...base, dropouts: [0.2, 0] })).toEqual({
      ok: false,
      reason: "dropout",
    });
    expect(nativeStepSupport(t as never, { ...base, optimizer: "rmsprop" })).toEqual({
      ok: false,
      reason: "optimizer rmsprop",
    });
  });
});
