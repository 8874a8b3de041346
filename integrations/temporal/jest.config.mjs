import { jestConfig } from "../../jest.base.mjs";

// Tests start the real Temporal dev server (built once by scripts/temporal-setup.mjs, which the
// global setup runs: a no-op when the binary is cached) and `lolpop worker` processes.
export default jestConfig(import.meta.url, {
  globalSetup: "<rootDir>/test/global-setup.mjs",
  testTimeout: 300_000,
});
