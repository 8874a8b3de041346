import { jestConfig, TYPED_ARRAYS_ENVIRONMENT } from "../../jest.base.mjs";

// onnxruntime-node checks typed arrays against Node's constructors.
export default jestConfig(import.meta.url, { testTimeout: 60000, testEnvironment: TYPED_ARRAYS_ENVIRONMENT });
