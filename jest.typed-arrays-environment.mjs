// Jest runs each test file in its own realm, whose typed-array and ArrayBuffer constructors differ
// from Node's. Native addons and libraries that check typed arrays with instanceof then fail under
// jest only: TensorFlow.js ("requires values to be number[][] or flat/TypedArray") and
// onnxruntime-node ("A float32 tensor's data must be type of function Float32Array()") (jest
// #2549). This environment gives the test realm Node's own constructors. A package opts in with
// `testEnvironment: TYPED_ARRAYS_ENVIRONMENT` (jest.base.mjs).
import { TestEnvironment } from "jest-environment-node";

const SHARED = [
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
];

export default class TypedArraysTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}
