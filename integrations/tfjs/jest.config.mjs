import { jestConfig, TYPED_ARRAYS_ENVIRONMENT } from "../../jest.base.mjs";

export default jestConfig(import.meta.url, {
  // Node's typed-array constructors in the test realm (TensorFlow.js checks them with instanceof).
  testEnvironment: TYPED_ARRAYS_ENVIRONMENT,
  // TensorFlow.js keeps its engine on the global object and frees tensors late (finalizers, the
  // native addon); jest's soft deletion of globals between files would warn about each access.
  testEnvironmentOptions: { globalsCleanup: "off" },
  // Builds @tensorflow/tfjs-node (fast when already built) so the tensorflow backend is tested.
  globalSetup: "<rootDir>/test/global-setup.mjs",
});
