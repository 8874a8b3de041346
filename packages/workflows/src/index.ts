/**
 * @lolpop/workflows: the standard runners and pipelines. Importing it registers them.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { offlineDeploy } from "./offline-deploy.js";
import { offlinePredict } from "./offline-predict.js";
import { offlineProcess } from "./offline-process.js";
import { offlineTrain } from "./offline-train.js";
import { classificationRunner, regressionRunner } from "./runners.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/workflows plugin (registered on import). */
export const workflowsPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [
      classificationRunner,
      regressionRunner,
      offlineProcess,
      offlineTrain,
      offlineDeploy,
      offlinePredict,
    ],
  }),
);

export default workflowsPlugin;
export type { RunStepOptions, WorkflowStep, WorkflowSummary } from "./runners.js";
export type * from "./types.js";
export {
  classificationRunner,
  offlineDeploy,
  offlinePredict,
  offlineProcess,
  offlineTrain,
  regressionRunner,
};
