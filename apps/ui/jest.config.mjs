import { jestConfig } from "../../jest.base.mjs";

// Trains small penguins models for the store the UI reads: slower than the default.
export default jestConfig(import.meta.url, { testTimeout: 120_000 });
