/**
 * The native training step of TfjsModelTrainer on the `tensorflow` backend (tfjs-node): the forward
 * pass, the written-out backward pass and the optimizer update of a stack of Dense layers, run as raw
 * libtensorflow ops through tfjs-node's binding (`executeOp` on tensor handles), without TensorFlow.js's
 * engine (no tensor bookkeeping, no gradient tape). On a small network a step is dominated by per-op
 * overhead, and this path runs about 37 ops per step for Dense 256-256-1 with Adam (the generic path
 * about 80, each also paying the engine's bookkeeping).
 *
 * It covers: hidden layers with `relu`, `linear`, `tanh`, `sigmoid` or `elu` activations and no
 * dropout; an output layer trained on logits (`sigmoid` / binary cross-entropy, `softmax` /
 * categorical cross-entropy, `linear` / squared error), with or without row weights; the `adam`
 * (libtensorflow's `ResourceApplyAdam`, with the epsilon TensorFlow.js's Adam uses) and `sgd`
 * (`ResourceApplyGradientDescent`) optimizers. {@link nativeStepSupport} says why anything else is not
 * covered; the trainer then uses the generic step (tfjs-train-step.ts), whose results this one equals
 * within float32 rounding. Env `LOLPOP_TFJS_NATIVE_STEP=0` turns the native step off (default: on
 * wherever it applies).
 *
 * The weights live in libtensorflow resource variables while training; `sync()` copies them into the
 * network's variables (the trainer calls it after every epoch, before validation and saving).
 */
import type { Tf } from "./tfjs-runtime.js";

type LayersModel = import("@tensorflow/tfjs").LayersModel;
type Variable = import("@tensorflow/tfjs").Variable;

/** The part of tfjs-node's native binding this step uses (tensor handles are integer ids). */
export interface NativeBinding {
  executeOp(
    name: string,
    attrs: NativeAttr[],
    inputs: number[],
    outputs: number,
  ): Array<{ id: number; shape: number[]; dtype: number }>;
  createTensor(shape: number[], dtype: number, values: Float32Array | Int32Array): number;
  deleteTensor(id: number): void;
  tensorDataSync(id: number): Float32Array;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_STRING: number;
  TF_ATTR_SHAPE: number;
}

/** An op attribute as tfjs-node's binding takes it. */
export interface NativeAttr {
  name: string;
  type: number;
  value: unknown;
}

/** Hidden-layer activations with a libtensorflow forward op and gradient op. */
const HIDDEN = {
  relu: { forward: "Relu", grad: "ReluGrad" },
  tanh: { forward: "Tanh", grad: "TanhGrad" },
  sigmoid: { forward: "Sigmoid", grad: "SigmoidGrad" },
  elu: { forward: "Elu", grad: "EluGrad" },
  linear: { forward: undefined, grad: undefined },
} as const;
type HiddenActivation = keyof typeof HIDDEN;

/** What the trainer knows about the network it is about to train. */
export interface NativeStepSpec {
  output: "sigmoid" | "softmax" | "linear";
  /** Hidden layers' activations, in order (the output layer excluded). */
  activations: readonly string[];
  /** Dropout rate after each layer (the output layer's included). */
  dropouts: readonly number[];
  optimizer: string;
  learningRate: number;
}

/** The native binding of the active backend when it is tfjs-node's, else `undefined`. */
export function nativeBinding(tf: Tf): NativeBinding | undefined {
  if (tf.getBackend() !== "tensorflow") return undefined;
  const binding = (tf.backend() as unknown as { binding?: Partial<NativeBinding> }).binding;
  if (
    !binding ||
    typeof binding.executeOp !== "function" ||
    typeof binding.createTensor !== "function" ||
    typeof binding.deleteTensor !== "function" ||
    typeof binding.tensorDataSync !== "function"
  )
    return undefined;
  return binding as NativeBinding;
}

/**
 * Whether the native step covers this network on the active backend: `{ ok: true }`, or the reason
 * it does not (said in the training log).
 */
export function nativeStepSupport(
  tf: Tf,
  spec: NativeStepSpec,
): { ok: true } | { ok: false; reason: string } {
  if (process.env.LOLPOP_TFJS_NATIVE_STEP === "0") return { ok: false, reason: "LOLPOP_TFJS_NATIVE_STEP=0" };
  if (tf.getBackend() !== "tensorflow") return { ok: false, reason: `backend ${tf.getBackend()}` };
  if (!nativeBinding(tf)) return { ok: false, reason: "tfjs-node's binding lacks executeOp" };
  const other = spec.activations.find((a) => !(a in HIDDEN));
  if (other !== undefined) return { ok: false, reason: `activation ${other}` };
  if (spec.dropouts.some((r) => r > 0)) return { ok: false, reason: "dropout" };
  if (spec.optimizer !== "adam" && spec.optimizer !== "sgd")
    return { ok: false, reason: `optimizer ${spec.optimizer}` };
  return { ok: true };
}

/** A native training step (see the module comment). */
export interface NativeStep {
  /**
   * One step on the batch: `x` is `m x d` row-major, `y` `m x k`, `w` the rows' weights. Returns the
   * batch's mean (weighted) loss.
   */
  run(x: Float32Array, y: Float32Array, w: Float32Array | undefined, m: number): number;
  /** Copies the trained weights into the network's variables. */
  sync(): void;
  /** Frees the libtensorflow variables and constants (the network is left as it is). */
  dispose(): void;
}

/** Adam's defaults in TensorFlow.js (`tf.train.adam(lr)`; epsilon is the float32 backend epsilon). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-7;

let variableCounter = 0;

/**
 * The native step for `net` (a Sequential stack of Dense layers whose last layer gives
 * `spec.output`), starting from the network's current weights. Call {@link nativeStepSupport} first.
 * `binding` defaults to the active tfjs-node backend's.
 */
export function createNativeStep(
  tf: Tf,
  net: LayersModel,
  spec: NativeStepSpec,
  binding: NativeBinding | undefined = nativeBinding(tf),
): NativeStep {
  if (!binding) throw new Error("internal: the native training step needs the tensorflow backend");
  const b = binding;
  const F = b.TF_FLOAT;
  const tAttr: NativeAttr = { name: "T", type: b.TF_ATTR_TYPE, value: F };
  const dtypeAttr: NativeAttr = { name: "dtype", type: b.TF_ATTR_TYPE, value: F };
  const matMulAttrs = (ta: boolean, tb: boolean): NativeAttr[] => [
    tAttr,
    { name: "transpose_a", type: b.TF_ATTR_BOOL, value: ta },
    { name: "transpose_b", type: b.TF_ATTR_BOOL, value: tb },
  ];
  const MATMUL = matMulAttrs(false, false);
  const MATMUL_TA = matMulAttrs(true, false);
  const MATMUL_TB = matMulAttrs(false, true);
  const T_ONLY = [tAttr];
  const reduceAttrs = (keep: boolean): NativeAttr[] => [
    { name: "keep_dims", type: b.TF_ATTR_BOOL, value: keep },
    tAttr,
    { name: "Tidx", type: b.TF_ATTR_TYPE, value: b.TF_INT32 },
  ];
  const REDUCE = reduceAttrs(false);
  const APPLY = [
    tAttr,
    { name: "use_locking", type: b.TF_ATTR_BOOL, value: false },
    { name: "use_nesterov", type: b.TF_ATTR_BOOL, value: false },
  ];
  const APPLY_SGD = [tAttr, { name: "use_locking", type: b.TF_ATTR_BOOL, value: false }];

  const layers = net.layers;
  const variables = net.trainableWeights.map((w) => w.read() as Variable);
  if (variables.length !== layers.length * 2)
    throw new Error(`internal: expected a kernel and a bias per layer, got ${variables.length} weights`);
  const activations = spec.activations.map((a) => {
    if (!(a in HIDDEN)) throw new Error(`internal: the native step does not cover activation ${a}`);
    return HIDDEN[a as HiddenActivation];
  });
  if (activations.length !== layers.length - 1)
    throw new Error(`internal: ${activations.length} hidden activations for ${layers.length} layers`);
  const adam = spec.optimizer === "adam";
  if (!adam && spec.optimizer !== "sgd")
    throw new Error(`internal: the native step does not cover optimizer ${spec.optimizer}`);

  /** Handles kept for the step's lifetime (freed by dispose). */
  const owned: number[] = [];
  const op1 = (name: string, attrs: NativeAttr[], inputs: number[]): number =>
    b.executeOp(name, attrs, inputs, 1)[0]!.id;
  const run0 = (name: string, attrs: NativeAttr[], inputs: number[]): void => {
    b.executeOp(name, attrs, inputs, 0);
  };
  const constant = (shape: number[], values: Float32Array | Int32Array, dtype = F): number => {
    const id = b.createTensor(shape, dtype, values);
    owned.push(id);
    return id;
  };
  const scalar = (v: number) => constant([], Float32Array.of(v));

  // Resource variables: the weights, and Adam's moments, initialized from the network.
  const prefix = `lolpop_native_${process.pid}_${++variableCounter}_${Math.random().toString(36).slice(2)}`;
  const resources: number[] = [];
  const resource = (name: string, shape: number[], values: Float32Array): number => {
    const handle = op1(
      "VarHandleOp",
      [
        dtypeAttr,
        { name: "shape", type: b.TF_ATTR_SHAPE, value: shape },
        { name: "container", type: b.TF_ATTR_STRING, value: "" },
        { name: "shared_name", type: b.TF_ATTR_STRING, value: `${prefix}_${name}` },
      ],
      [],
    );
    resources.push(handle);
    const init = b.createTensor(shape, F, values);
    try {
      run0("AssignVariableOp", [dtypeAttr], [handle, init]);
    } finally {
      b.deleteTensor(init);
    }
    return handle;
  };
  const shapes = variables.map((v) => v.shape as number[]);
  const weights = variables.map((v, i) => resource(`w${i}`, shapes[i]!, v.dataSync() as Float32Array));
  const zeros = (i: number) => new Float32Array(shapes[i]!.reduce((a, c) => a * c, 1));
  const moments = adam
    ? variables.map((_, i) => [
        resource(`m${i}`, shapes[i]!, zeros(i)),
        resource(`v${i}`, shapes[i]!, zeros(i)),
      ])
    : [];
  const lr = scalar(spec.learningRate);
  const beta1 = scalar(BETA1);
  const beta2 = scalar(BETA2);
  const axesAll = constant([2], Int32Array.of(0, 1), b.TF_INT32);
  const axis0 = constant([1], Int32Array.of(0), b.TF_INT32);
  const axis1 = constant([1], Int32Array.of(1), b.TF_INT32);
  const k = (shapes[shapes.length - 1] ?? [1])[0]!;
  /** Per batch size: the scale of the output gradient (1/m, and 2/(k m) for squared error). */
  const scales = new Map<number, number>();
  const scaleFor = (m: number): number => {
    let id = scales.get(m);
    if (id === undefined) {
      id = scalar(spec.output === "linear" ? 2 / (k * m) : 1 / m);
      scales.set(m, id);
    }
    return id;
  };
  let t = 0;
  const last = layers.length - 1;

  return {
    run(x, y, w, m) {
      const d = x.length / m;
      const temp: number[] = [];
      let params: number[] = [];
      const op = (name: string, attrs: NativeAttr[], inputs: number[]): number => {
        const id = op1(name, attrs, inputs);
        temp.push(id);
        return id;
      };
      const input = (shape: number[], values: Float32Array): number => {
        const id = b.createTensor(shape, F, values);
        temp.push(id);
        return id;
      };
      try {
        const xs = input([m, d], x);
        const ys = input([m, k], y);
        // Row weights pre-divided by m (and by k/2 for squared error), as a column and as a vector.
        let ws: number | undefined;
        let wv: number | undefined;
        if (w) {
          const f = spec.output === "linear" ? 2 / (k * m) : 1 / m;
          const scaled = Float32Array.from(w, (v) => v * f);
          ws = input([m, 1], scaled);
          wv = input([m], spec.output === "linear" ? Float32Array.from(w, (v) => v / m) : scaled);
        }
        // Forward: h[i] is layer i's input; the last layer gives logits.
        // The weights' current values (not in `temp`: released before the update, so that the
        // update writes the variables in place instead of copying them away from these reads).
        params = weights.map((handle) => op1("ReadVariableOp", [dtypeAttr], [handle]));
        const h: number[] = [xs];
        let z = 0;
        for (let i = 0; i <= last; i++) {
          z = op("BiasAdd", T_ONLY, [op("MatMul", MATMUL, [h[i]!, params[2 * i]!]), params[2 * i + 1]!]);
          if (i < last) {
            const f = activations[i]!.forward;
            h.push(f ? op(f, T_ONLY, [z]) : z);
          }
        }
        // Loss and its gradient with respect to the logits (already divided by m).
        let loss: number;
        let dz: number;
        if (spec.output === "sigmoid") {
          // softplus(z) - y z, and sigmoid(z) - y.
          const perRow = op("Sub", T_ONLY, [op("Softplus", T_ONLY, [z]), op("Mul", T_ONLY, [ys, z])]);
          loss = ws
            ? op("Sum", REDUCE, [op("Mul", T_ONLY, [perRow, ws]), axesAll])
            : op("Mean", REDUCE, [perRow, axesAll]);
          dz = op("Mul", T_ONLY, [op("Sub", T_ONLY, [op("Sigmoid", T_ONLY, [z]), ys]), ws ?? scaleFor(m)]);
        } else if (spec.output === "softmax") {
          const [perRowOut, backprop] = b.executeOp("SoftmaxCrossEntropyWithLogits", T_ONLY, [z, ys], 2);
          temp.push(perRowOut!.id, backprop!.id);
          loss = wv
            ? op("Sum", REDUCE, [op("Mul", T_ONLY, [perRowOut!.id, wv]), axis0])
            : op("Mean", REDUCE, [perRowOut!.id, axis0]);
          dz = op("Mul", T_ONLY, [backprop!.id, ws ?? scaleFor(m)]);
        } else {
          const diff = op("Sub", T_ONLY, [z, ys]);
          const sq = op("Square", T_ONLY, [diff]);
          loss = wv
            ? op("Sum", REDUCE, [op("Mul", T_ONLY, [op("Mean", REDUCE, [sq, axis1]), wv]), axis0])
            : op("Mean", REDUCE, [sq, axesAll]);
          dz = op("Mul", T_ONLY, [diff, ws ?? scaleFor(m)]);
        }
        // Backward, last layer first; each layer's gradients are applied as soon as they exist.
        t++;
        let b1p = 0;
        let b2p = 0;
        let eps = 0;
        if (adam) {
          b1p = input([], Float32Array.of(BETA1 ** t));
          b2p = input([], Float32Array.of(BETA2 ** t));
          // ResourceApplyAdam divides by sqrt(v) + eps; TensorFlow.js's Adam by
          // sqrt(v / (1 - beta2^t)) + eps: the same update with eps scaled by sqrt(1 - beta2^t).
          eps = input([], Float32Array.of(ADAM_EPSILON * Math.sqrt(1 - BETA2 ** t)));
        }
        const apply = (j: number, grad: number) => {
          if (adam)
            run0("ResourceApplyAdam", APPLY, [
              weights[j]!,
              moments[j]![0]!,
              moments[j]![1]!,
              b1p,
              b2p,
              lr,
              beta1,
              beta2,
              eps,
              grad,
            ]);
          else run0("ResourceApplyGradientDescent", APPLY_SGD, [weights[j]!, lr, grad]);
        };
        const grads: Array<[number, number]> = [];
        for (let i = last; i >= 0; i--) {
          grads.push([2 * i, op("MatMul", MATMUL_TA, [h[i]!, dz])]);
          grads.push([2 * i + 1, op("BiasAddGrad", T_ONLY, [dz])]);
          if (i > 0) {
            const dh = op("MatMul", MATMUL_TB, [dz, params[2 * i]!]);
            const act = activations[i - 1]!;
            // ReluGrad(gradients, features) with the relu output (> 0 exactly where its input is);
            // TanhGrad / SigmoidGrad(y, dy); EluGrad(gradients, outputs).
            dz = !act.grad
              ? dh
              : act.grad === "TanhGrad" || act.grad === "SigmoidGrad"
                ? op(act.grad, T_ONLY, [h[i]!, dh])
                : op(act.grad, T_ONLY, [dh, h[i]!]);
          }
        }
        // Applied after every gradient is computed: the backward pass reads the pre-step weights.
        for (const id of params) b.deleteTensor(id);
        params = [];
        for (const [j, g] of grads) apply(j, g);
        return b.tensorDataSync(loss)[0]!;
      } finally {
        for (const id of params) b.deleteTensor(id);
        for (const id of temp) b.deleteTensor(id);
      }
    },
    sync() {
      variables.forEach((v, i) => {
        const id = op1("ReadVariableOp", [dtypeAttr], [weights[i]!]);
        try {
          const values = b.tensorDataSync(id);
          tf.tidy(() => v.assign(tf.tensor(values, shapes[i]!, "float32")));
        } finally {
          b.deleteTensor(id);
        }
      });
    },
    dispose() {
      for (const h of resources) {
        try {
          run0(
            "DestroyResourceOp",
            [{ name: "ignore_lookup_error", type: b.TF_ATTR_BOOL, value: true }],
            [h],
          );
        } finally {
          b.deleteTensor(h);
        }
      }
      resources.length = 0;
      for (const id of owned) b.deleteTensor(id);
      owned.length = 0;
    },
  };
}
