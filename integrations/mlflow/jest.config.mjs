import { jestConfig } from "../../jest.base.mjs";

// Tests talk to a real MLflow server (started once per test file): allow slow steps.
export default jestConfig(import.meta.url, { testTimeout: 120_000 });
