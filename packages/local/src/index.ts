/**
 * @lolpop/local: the embedded defaults. Importing this module registers its components.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { type BlobGcPlan, collectBlobGarbage } from "./local-blob-gc.js";
import { localBlobStore } from "./local-blob-store.js";
import { codeTreeFingerprint } from "./local-code-fingerprint.js";
import { localDataConnector } from "./local-data-connector.js";
import { localDataSplitter } from "./local-data-splitter.js";
import { localDataTransformer } from "./local-data-transformer.js";
import { localFeatureTransformer } from "./local-feature-transformer.js";
import { localHyperparameterTuner } from "./local-hyperparameter-tuner.js";
import { localMetadataTracker } from "./local-metadata-tracker.js";
import { localModelRepository } from "./local-model-repository.js";
import { localStepCache } from "./local-step-cache.js";
import { stdoutNotifier } from "./stdout-notifier.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/local plugin (registered on import). */
export const localPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [
      localDataConnector,
      localDataTransformer,
      localDataSplitter,
      localFeatureTransformer,
      localHyperparameterTuner,
      localMetadataTracker,
      localModelRepository,
      stdoutNotifier,
    ],
  }),
);

export default localPlugin;
export {
  type BlobGcPlan,
  codeTreeFingerprint,
  collectBlobGarbage,
  localBlobStore,
  localDataConnector,
  localDataSplitter,
  localDataTransformer,
  localFeatureTransformer,
  localHyperparameterTuner,
  localMetadataTracker,
  localModelRepository,
  localStepCache,
  stdoutNotifier,
};
