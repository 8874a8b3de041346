import { jestConfig, TYPED_ARRAYS_ENVIRONMENT } from "../../jest.base.mjs";

// Forest fits and the scikit-learn reference runs take seconds each on a busy 2-core machine.
// The ONNX parity tests score with onnxruntime-node, which checks typed arrays against Node's own.
export default jestConfig(import.meta.url, {
  testTimeout: 120000,
  testEnvironment: TYPED_ARRAYS_ENVIRONMENT,
});
