// Shared jest configuration: TypeScript through @swc/jest, native ESM (run jest with
// --experimental-vm-modules, which scripts/run-tests.mjs and each package's `test` script do).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Timeout (ms) of every test and hook that sets none, in every project built by {@link jestConfig}
 * (jest's own default, 5 s, is too short on a busy 2-core CI machine). A package raises it with
 * `jestConfig(import.meta.url, { testTimeout })`.
 */
export const DEFAULT_TEST_TIMEOUT = 30_000;

// jest 30 reads `testTimeout` from the top-level config only and ignores it in a `projects` entry,
// so each project applies its own with jest.setTimeout in this setup file (read per project).
const timeoutSetup = fileURLToPath(new URL("./jest.timeout-setup.cjs", import.meta.url));

/**
 * Builds the jest config of one package from its jest.config.mjs URL. `overrides.testTimeout`
 * (default {@link DEFAULT_TEST_TIMEOUT}) applies to this project's tests and hooks both when it runs
 * alone and as one of the root config's projects.
 */
export function jestConfig(configUrl, overrides = {}) {
  const rootDir = dirname(fileURLToPath(configUrl));
  const { testTimeout = DEFAULT_TEST_TIMEOUT, setupFilesAfterEnv = [], globals = {}, ...rest } = overrides;
  return {
    rootDir,
    displayName: rootDir.split("/").slice(-2).join("/"),
    testEnvironment: "node",
    extensionsToTreatAsEsm: [".ts"],
    transform: {
      "^.+\\.ts$": [
        "@swc/jest",
        {
          jsc: { parser: { syntax: "typescript" }, target: "es2022" },
          module: { type: "es6" },
        },
      ],
    },
    moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
    testMatch: ["<rootDir>/src/**/*.test.ts", "<rootDir>/test/**/*.test.ts"],
    testPathIgnorePatterns: ["/node_modules/", "/dist/"],
    testTimeout,
    setupFilesAfterEnv: [timeoutSetup, ...setupFilesAfterEnv],
    globals: { ...globals, __lolpopTestTimeout: testTimeout },
    ...rest,
  };
}
