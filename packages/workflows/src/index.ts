/**
 * @lolpop/workflows: the standard runners and pipelines. Importing it registers them.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { offlineDeploy } from "./offline-deploy.js";
import { offlinePredict } from "./offline-predict.js";
import { offlineProcess } from "./offline-process.js";
import { offlineTrain } from "./offline-train.js";
import { classificationRunner, regressionRunner, timeSeriesRunner } from "./runners.js";
import { timeSeriesPredict } from "./timeseries-predict.js";
import { timeSeriesTrain } from "./timeseries-train.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/workflows plugin (registered on import). */
export const workflowsPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [
      classificationRunner,
      regressionRunner,
      timeSeriesRunner,
      offlineProcess,
      offlineTrain,
      offlineDeploy,
      offlinePredict,
      timeSeriesTrain,
      timeSeriesPredict,
    ],
  }),
);

export default workflowsPlugin;
export {
  type ForecastBundleMeta,
  type LoadedForecastBundle,
  loadForecastBundle,
} from "./forecast-bundle.js";
export type { RunStepOptions, WorkflowStage, WorkflowStep, WorkflowSummary } from "./runners.js";
export { stagesOf } from "./runners.js";
export { forecastTable } from "./timeseries-predict.js";
export type { TimeSeriesTrainConfig } from "./timeseries-train.js";
export type * from "./types.js";
export {
  classificationRunner,
  offlineDeploy,
  offlinePredict,
  offlineProcess,
  offlineTrain,
  regressionRunner,
  timeSeriesPredict,
  timeSeriesRunner,
  timeSeriesTrain,
};
