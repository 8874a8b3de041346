import { jestConfig } from "../../jest.base.mjs";

// The end-to-end file installs real packages from a local registry: minutes, not seconds.
export default jestConfig(import.meta.url, { testMatch: ["<rootDir>/*.test.ts"], testTimeout: 600000 });
