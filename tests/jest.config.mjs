import { jestConfig } from "../jest.base.mjs";

export default jestConfig(import.meta.url, { testMatch: ["<rootDir>/*.test.ts"], testTimeout: 120000 });
