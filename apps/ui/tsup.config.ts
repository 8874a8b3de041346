import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

// The command module is its own entry: the manifest lists it and the CLI imports it only when
// `lolpop ui` runs. src/public (the page, its script and style) is copied to dist/public.
export default defineConfig(
  tsupConfig({ entry: ["src/index.ts", "src/ui-command.ts"], publicDir: "src/public" }),
);
