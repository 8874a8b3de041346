// Jest runs each test file in its own realm, whose typed-array and ArrayBuffer constructors differ
// from Node's. TensorFlow.js (and Node APIs such as fs and Buffer) create and check typed arrays
// against Node's constructors, so tensors built from a test's Float32Array fail with "requires
// values to be number[][] or flat/TypedArray" (jest #2549). This environment gives the test realm
// Node's own constructors.
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

export default class TfjsTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}
