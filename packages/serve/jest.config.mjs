import { jestConfig } from "../../jest.base.mjs";

// Trains small penguins models and starts servers: slower than the default.
export default jestConfig(import.meta.url, { testTimeout: 120_000 });
