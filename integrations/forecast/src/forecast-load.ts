/** Loading any fitted forecaster saved by `save(dir)`, by the kind its `forecaster.json` records. */
import type { ModelTrainer } from "@lolpop/core";
import { readSavedModelFile } from "@lolpop/core";
import {
  type FittedForecaster,
  FORECASTER_FILE,
  FORECASTER_FORMAT,
  FORECASTER_FORMAT_VERSION,
  loadStatisticalForecaster,
} from "./forecast-forecaster.js";
import { loadMlForecaster } from "./forecast-ml.js";
import { ForecastModelError } from "./forecast-model-error.js";
import { loadProphetForecaster, type ProphetForecasterOptions } from "./forecast-prophet.js";

/** Options of {@link loadForecaster}. */
export interface LoadForecasterOptions {
  /** The trainer that reads the model(s) of an `ml` forecaster (the type that fitted them). */
  trainer?: ModelTrainer;
  /** Python settings of a `prophet` forecaster. */
  prophet?: Omit<ProphetForecasterOptions, "prophet">;
}

/**
 * Loads a seasonal naive, ETS, ML or Prophet forecaster from `dir`.
 * @throws StoreError when `dir` holds no valid forecaster; ForecastModelError when an `ml` forecaster is loaded without its trainer.
 */
export async function loadForecaster(
  dir: string,
  options: LoadForecasterOptions = {},
): Promise<FittedForecaster> {
  const file = await readSavedModelFile<{ kind: string }>(dir, {
    fileName: FORECASTER_FILE,
    trainer: "forecaster",
    package: "@lolpop/forecast",
    format: FORECASTER_FORMAT,
    maxVersion: FORECASTER_FORMAT_VERSION,
  });
  switch (file.data.kind) {
    case "ml": {
      if (!options.trainer) {
        throw new ForecastModelError({
          message: `${file.file} is an ML forecaster: loading it needs the trainer that fitted it (options.trainer)`,
          code: "trainer_missing",
        });
      }
      return loadMlForecaster(dir, options.trainer);
    }
    case "prophet":
      return loadProphetForecaster(dir, options.prophet);
    default:
      return loadStatisticalForecaster(dir);
  }
}
