// Shared jest configuration: TypeScript through @swc/jest, native ESM (run jest with
// --experimental-vm-modules, which scripts/run-tests.mjs and each package's `test` script do).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A test environment whose realm has Node's typed-array constructors, for packages whose tests call
 * native code that checks them (tfjs, onnxruntime-node): `testEnvironment: TYPED_ARRAYS_ENVIRONMENT`.
 */
export const TYPED_ARRAYS_ENVIRONMENT = fileURLToPath(
  new URL("./jest.typed-arrays-environment.mjs", import.meta.url),
);

/** Builds the jest config of one package from its jest.config.mjs URL. */
export function jestConfig(configUrl, overrides = {}) {
  const rootDir = dirname(fileURLToPath(configUrl));
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
    ...overrides,
  };
}
