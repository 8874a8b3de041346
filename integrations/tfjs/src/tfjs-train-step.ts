/**
 * One mini-batch step of TfjsModelTrainer's training loop, built to run as few TensorFlow.js kernels
 * as the math needs: every kernel call costs a fixed overhead (on tfjs-node a call into libtensorflow),
 * and a small network's step is dominated by that overhead rather than by its matrix products.
 *
 * - The loss is computed from the output layer's logits (the layer's sigmoid/softmax is not applied
 *   in training), with its gradient written out: `w (sigmoid(z) - y) / m` for binary cross-entropy,
 *   `w (softmax(z) - y) / m` for categorical cross-entropy, `2 w (z - y) / (m k)` for squared error,
 *   instead of the tape's derivative of clip/log/mul chains.
 * - On the `tensorflow` backend, ReLU's gradient is libtensorflow's own `ReluGrad` kernel (tfjs
 *   composes it from five kernels).
 * - The optimizer updates one flat variable holding every weight (one update, whatever the number of
 *   layers) and the layers' variables are assigned their slices of it.
 * The network (weights, layers, activations) is the same Sequential model that is saved.
 */
import type { Tf } from "./tfjs-runtime.js";

type Tensor = import("@tensorflow/tfjs").Tensor;
type Tensor2D = import("@tensorflow/tfjs").Tensor2D;
type Scalar = import("@tensorflow/tfjs").Scalar;
type Variable = import("@tensorflow/tfjs").Variable;
type LayersModel = import("@tensorflow/tfjs").LayersModel;
type Optimizer = import("@tensorflow/tfjs").Optimizer;
/** `tf.customGrad`'s argument type (its single-input form is what is written here). */
type CustomGradientFunc = Parameters<Tf["customGrad"]>[0];

/** What a layer's activation looks like at run time (tfjs-layers' Dense keeps it as `activation`). */
interface ActivationFn {
  apply(x: Tensor): Tensor;
  getClassName?(): string;
}

/** A training step over a batch: returns the batch's mean (weighted) loss as a scalar tensor. */
export interface TrainStep {
  run(x: Tensor2D, y: Tensor2D, rowWeights: Tensor | undefined, dropoutSeed: () => number): Scalar;
  /** Frees the flat weight variable (the layers' variables belong to the network). */
  dispose(): void;
}

/**
 * ReLU whose gradient is one libtensorflow `ReluGrad` kernel, when the active backend is tfjs-node
 * (it exposes `executeSingleOutput` and its binding's attribute constants); `undefined` elsewhere.
 */
function nativeRelu(tf: Tf): ((x: Tensor) => Tensor) | undefined {
  if (tf.getBackend() !== "tensorflow") return undefined;
  const backend = tf.backend() as unknown as {
    executeSingleOutput?: (name: string, attrs: unknown[], inputs: Tensor[]) => Tensor;
    binding?: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  };
  const binding = backend.binding;
  if (typeof backend.executeSingleOutput !== "function" || !binding) return undefined;
  const attrs = [{ name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }];
  return tf.customGrad(((x: Tensor, save: (tensors: Tensor[]) => void) => {
    const out = tf.relu(x);
    save([out]);
    return {
      value: out,
      // ReluGrad(gradients, features): gradients where features > 0 (the output is > 0 exactly there).
      gradFunc: (dy: Tensor, saved: Tensor[]) =>
        backend.executeSingleOutput!("ReluGrad", attrs, [dy, saved[0]!]),
    };
  }) as CustomGradientFunc) as (x: Tensor) => Tensor;
}

/** Mean over the batch of the per-row loss from logits `z`, with the gradient written out. */
function logitLoss(
  tf: Tf,
  output: "sigmoid" | "softmax" | "linear",
  z: Tensor,
  y: Tensor,
  w: Tensor | undefined,
): Scalar {
  const m = z.shape[0]!;
  const k = z.shape[1] ?? 1;
  const f = tf.customGrad(((logits: Tensor, save: (tensors: Tensor[]) => void) => {
    save([logits]);
    let perRow: Tensor;
    if (output === "sigmoid")
      // softplus(z) - y z = -[y log σ(z) + (1 - y) log(1 - σ(z))], stable for large |z|.
      perRow = tf.reshape(tf.sub(tf.softplus(logits), tf.mul(y, logits)), [-1]);
    else if (output === "softmax") perRow = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(y, logits), 1));
    else perRow = tf.mean(tf.squaredDifference(logits, y), 1);
    const value = (w ? tf.mean(tf.mul(perRow, w)) : tf.mean(perRow)) as Scalar;
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const zz = saved[0]!;
        const diff =
          output === "sigmoid"
            ? tf.sub(tf.sigmoid(zz), y)
            : output === "softmax"
              ? tf.sub(tf.softmax(zz), y)
              : tf.mul(tf.sub(zz, y), 2 / k);
        const scaled = tf.mul(diff, tf.div(dy, m));
        return w ? tf.mul(scaled, tf.reshape(w, [m, 1])) : scaled;
      },
    };
  }) as CustomGradientFunc);
  return f(z) as Scalar;
}

/**
 * The step function of a Sequential network of Dense layers whose last layer gives `output`
 * (its activation is left out: the loss takes logits). `dropouts[i]` is the dropout rate after
 * layer `i`'s activation.
 */
export function createTrainStep(
  tf: Tf,
  net: LayersModel,
  output: "sigmoid" | "softmax" | "linear",
  dropouts: readonly number[],
  optimizer: Optimizer,
): TrainStep {
  const layers = net.layers;
  const variables = net.trainableWeights.map((w) => w.read() as Variable);
  if (variables.length !== layers.length * 2)
    throw new Error(`internal: expected a kernel and a bias per layer, got ${variables.length} weights`);
  const relu = nativeRelu(tf);
  const activations = layers.map((layer) => {
    const fn = (layer as unknown as { activation?: ActivationFn }).activation;
    if (!fn || typeof fn.apply !== "function")
      throw new Error(`internal: layer ${layer.name} has no activation function`);
    if (relu && fn.getClassName?.() === "relu") return relu;
    return (x: Tensor) => fn.apply(x);
  });
  const shapes = variables.map((v) => v.shape);
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const flat = tf.variable(
    tf.tidy(() => tf.concat(variables.map((v) => tf.reshape(v, [-1])))),
    true,
    `lolpop_flat_weights_${Math.random().toString(36).slice(2)}`,
  );
  const last = layers.length - 1;
  return {
    run(x, y, rowWeights, dropoutSeed) {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          let h: Tensor = x;
          for (let i = 0; i <= last; i++) {
            const z = tf.add(tf.matMul(h, variables[2 * i]!), variables[2 * i + 1]!);
            if (i === last) return logitLoss(tf, output, z, y, rowWeights);
            h = activations[i]!(z);
            if (dropouts[i]! > 0) h = tf.dropout(h, dropouts[i]!, undefined, dropoutSeed());
          }
          throw new Error("internal: a network without layers");
        }, variables);
        const g = tf.concat(variables.map((v) => tf.reshape(grads[v.name]!, [-1])));
        optimizer.applyGradients({ [flat.name]: g });
        const parts = tf.split(flat, sizes);
        variables.forEach((v, i) => {
          v.assign(tf.reshape(parts[i]!, shapes[i]!));
        });
        return value;
      });
    },
    dispose() {
      flat.dispose();
    },
  };
}
