import { jestConfig, TYPED_ARRAYS_ENVIRONMENT } from "../../jest.base.mjs";

// The ONNX export end to end on the quickstart data: onnxruntime-node and TensorFlow.js check typed
// arrays against Node's own constructors.
export default jestConfig(import.meta.url, {
  testMatch: ["<rootDir>/*.test.ts"],
  testTimeout: 300000,
  testEnvironment: TYPED_ARRAYS_ENVIRONMENT,
  // TensorFlow.js keeps its engine on the global object (see integrations/tfjs/jest.config.mjs).
  testEnvironmentOptions: { globalsCleanup: "off" },
});
