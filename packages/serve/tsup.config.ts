import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

// The command module is its own entry: the manifest lists it and the CLI imports it only when
// `lolpop serve` runs.
export default defineConfig(tsupConfig({ entry: ["src/index.ts", "src/serve-command.ts"] }));
