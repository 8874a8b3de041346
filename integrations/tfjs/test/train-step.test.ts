// The training step's written-out gradients (logit losses, libtensorflow's ReluGrad, one flat
// optimizer variable) against TensorFlow.js's automatic differentiation of the saved network's own
// outputs: one SGD step from the same weights must give the same weights, on cpu and tensorflow.
import type * as tf from "@tensorflow/tfjs";
import { loadTf } from "../src/tfjs-runtime.js";
import { createTrainStep } from "../src/tfjs-train-step.js";
import { lcg, network, type Output, slow } from "./helpers.js";

/** The loss of the network's own outputs (probabilities or values), the formula a user would write. */
function referenceLoss(t: typeof tf, output: Output, p: tf.Tensor, y: tf.Tensor, w?: tf.Tensor): tf.Scalar {
  let perRow: tf.Tensor;
  if (output === "sigmoid")
    perRow = t.neg(t.reshape(t.add(t.mul(y, t.log(p)), t.mul(t.sub(1, y), t.log(t.sub(1, p)))), [-1]));
  else if (output === "softmax") perRow = t.neg(t.sum(t.mul(y, t.log(p)), 1));
  else perRow = t.mean(t.squaredDifference(p, y), 1);
  return (w ? t.mean(t.mul(perRow, w)) : t.mean(perRow)) as tf.Scalar;
}

function batch(m: number, d: number, k: number, output: Output, seed: number) {
  const r = lcg(seed);
  const x = Float32Array.from({ length: m * d }, () => r() * 4 - 2);
  const y = new Float32Array(m * k);
  for (let i = 0; i < m; i++) {
    if (output === "linear") for (let c = 0; c < k; c++) y[i * k + c] = r() * 3 - 1;
    else if (output === "sigmoid") y[i] = r() > 0.5 ? 1 : 0;
    else y[i * k + Math.floor(r() * k)] = 1;
  }
  const w = Float32Array.from({ length: m }, () => 0.5 + r() * 2);
  return { x, y, w };
}

const CASES: Array<{ output: Output; k: number; hidden: string[]; weighted: boolean }> = [
  { output: "sigmoid", k: 1, hidden: ["relu", "relu"], weighted: false },
  { output: "sigmoid", k: 1, hidden: ["tanh", "relu"], weighted: true },
  { output: "softmax", k: 3, hidden: ["relu"], weighted: true },
  { output: "softmax", k: 4, hidden: ["gelu", "swish"], weighted: false },
  { output: "linear", k: 1, hidden: ["relu", "elu"], weighted: false },
  { output: "linear", k: 2, hidden: [], weighted: true },
];

describe.each(["cpu", "tensorflow"] as const)("training step on %s", (backend) => {
  slow("matches automatic differentiation of the network's outputs (one SGD step)", async () => {
    const t = (await loadTf()) as unknown as typeof tf;
    if (backend === "tensorflow") await import("@tensorflow/tfjs-node");
    expect(await t.setBackend(backend)).toBe(true);
    const d = 5;
    const m = 33;
    const lr = 0.5;
    for (const [i, c] of CASES.entries()) {
      const { x, y, w } = batch(m, d, c.k, c.output, 100 + i);
      const ours = network(t, d, c.k, c.output, c.hidden, 7 * i, 7);
      const ref = network(t, d, c.k, c.output, c.hidden, 7 * i, 7);
      const sgd = t.train.sgd(lr);
      const step = createTrainStep(
        t as never,
        ours as never,
        c.output,
        [...c.hidden.map(() => 0), 0],
        sgd as never,
      );
      const xt = t.tensor2d(x, [m, d]);
      const yt = t.tensor2d(y, [m, c.k]);
      const wt = c.weighted ? t.tensor1d(w) : undefined;
      const loss = step.run(xt as never, yt as never, wt as never, () => 1) as unknown as tf.Scalar;
      const vars = ref.trainableWeights.map((v) => v.read() as tf.Variable);
      const { value, grads } = t.variableGrads(
        () => referenceLoss(t, c.output, ref.apply(xt) as tf.Tensor, yt, wt),
        vars,
      );
      const expected = vars.map((v) => t.sub(v, t.mul(grads[v.name]!, lr)).dataSync());
      const got = ours.getWeights().map((v) => v.dataSync());
      const label = `${c.output} ${c.hidden.join("-")}${c.weighted ? " weighted" : ""}`;
      expect({ label, loss: loss.dataSync()[0] }).toEqual({
        label,
        loss: expect.closeTo(value.dataSync()[0]!, 4),
      });
      got.forEach((g, j) => {
        let worst = 0;
        for (let e = 0; e < g.length; e++) worst = Math.max(worst, Math.abs(g[e]! - expected[j]![e]!));
        expect({ label, weight: j, worst }).toEqual({ label, weight: j, worst: expect.closeTo(0, 5) });
      });
      // The step moved the weights (a no-op step would pass the comparison only if grads were 0).
      const before = network(t, d, c.k, c.output, c.hidden, 7 * i, 7)
        .getWeights()
        .map((v) => v.dataSync());
      expect(got.some((g, j) => g.some((v, e) => Math.abs(v - before[j]![e]!) > 1e-4))).toBe(true);
      step.dispose();
      for (const tensor of [xt, yt, wt, loss, value]) tensor?.dispose();
      ours.dispose();
      ref.dispose();
    }
  });
});
