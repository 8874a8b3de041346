import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

// The command module is its own entry: the manifest lists it and the CLI imports it only when
// `lolpop ui` runs. The page (src/web) is built by Vite into dist/web after this step.
export default defineConfig(tsupConfig({ entry: ["src/index.ts", "src/ui-command.ts"] }));
