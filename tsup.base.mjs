// Shared tsup options of the workspace packages (each package's tsup.config.ts passes what differs):
// ESM only, with type declarations and source maps, for Node 20; `src/index.ts` is the entry.
/** @param {import("tsup").Options} overrides */
export function tsupConfig(overrides = {}) {
  return {
    entry: ["src/index.ts"],
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    ...overrides,
  };
}
