import { jestConfig } from "../../jest.base.mjs";

// Tests compare with Evidently in Python and render reports in headless Chromium: slow on a busy machine.
export default jestConfig(import.meta.url, { testTimeout: 120_000 });
