import { jestConfig, TYPED_ARRAYS_ENVIRONMENT } from "../../jest.base.mjs";

// The ONNX tests score with onnxruntime-node, which checks typed arrays against Node's own.
export default jestConfig(import.meta.url, { testEnvironment: TYPED_ARRAYS_ENVIRONMENT });
