import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

// Command modules are their own entries (the manifest lists them; the CLI imports one only when its
// command runs); the workflow code is an entry too, bundled by each worker with bundleWorkflowCode.
export default defineConfig(
  tsupConfig({
    entry: [
      "src/index.ts",
      "src/temporal-worker-command.ts",
      "src/temporal-runs-attach-command.ts",
      "src/temporal-runs-cancel-command.ts",
      "src/temporal-schedule-create-command.ts",
      "src/temporal-schedule-list-command.ts",
      "src/temporal-schedule-delete-command.ts",
      "src/temporal-workflow.ts",
    ],
  }),
);
