/**
 * @lolpop/serve: a lolpop model version in your Node code (`loadPredictor`) and over HTTP
 * (`createServeApp`, and the `lolpop serve` command this plugin adds): MLflow scoring protocol,
 * KServe Open Inference Protocol v2, Prometheus metrics. Importing it registers the plugin (it has
 * no components; its manifest lists the command).
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The plugin (no components: it adds the `serve` command through its manifest). */
export const servePlugin = registerPlugin(
  definePlugin({ name: pkg.name, version: pkg.version, components: [] }),
);

export default servePlugin;
export { ServeError } from "./serve-error.js";
export {
  DEFAULT_POLL_INTERVAL_MS,
  type LoadPredictorOptions,
  loadPredictor,
  type PredictOptions,
  type Predictor,
  type PredictResult,
  type ProbaResult,
  type ServedModel,
} from "./serve-predictor.js";
export {
  createServeApp,
  DEFAULT_BODY_LIMIT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MODEL_VERSION_HEADER,
  type ServeAppOptions,
} from "./serve-server.js";
export type { V2ModelMetadata, V2Tensor } from "./serve-v2.js";
