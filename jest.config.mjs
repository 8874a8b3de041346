// One jest run over every package: `pnpm test` (after a build) uses this.
import { DEFAULT_TEST_TIMEOUT } from "./jest.base.mjs";

export default {
  // Read from this top-level config only; each project applies its own through jest.base.mjs.
  testTimeout: DEFAULT_TEST_TIMEOUT,
  projects: [
    "<rootDir>/packages/*/jest.config.mjs",
    "<rootDir>/integrations/*/jest.config.mjs",
    "<rootDir>/apps/*/jest.config.mjs",
    "<rootDir>/tests/jest.config.mjs",
    "<rootDir>/tests/publish/jest.config.mjs",
  ],
};
