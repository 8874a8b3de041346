// One jest run over every package: `pnpm test` (after a build) uses this.
export default {
  projects: [
    "<rootDir>/packages/*/jest.config.mjs",
    "<rootDir>/integrations/*/jest.config.mjs",
    "<rootDir>/apps/*/jest.config.mjs",
    "<rootDir>/tests/jest.config.mjs",
    "<rootDir>/tests/publish/jest.config.mjs",
    "<rootDir>/tests/onnx/jest.config.mjs",
  ],
};
