import { jestConfig } from "../../../../jest.base.mjs";

export default jestConfig(import.meta.url, { testMatch: ["<rootDir>/*.fixture.ts"], testTimeout: 1000 });
