/**
 * @lolpop/forecast: time-series forecasting for lolpop. Native forecasters in TypeScript (seasonal
 * naive, ETS fitted by likelihood with AICc selection, an ML forecaster on lag / rolling / calendar
 * features over any regression `model_trainer`), Prophet through `@lolpop/python-bridge`, the
 * time-series data checks, and rolling-origin backtesting.
 *
 * A library for now: importing it registers nothing.
 */
export {
  type BacktestFold,
  type BacktestFoldResult,
  type BacktestOptions,
  backtest,
  type FoldData,
  rollingOriginFolds,
  splitAtFold,
} from "./forecast-backtest.js";
export {
  ForecastDataError,
  type ForecastDataIssue,
  type ForecastDataIssueCode,
} from "./forecast-data-error.js";
export {
  applyEts,
  type EtsComponentType,
  type EtsCriterion,
  type EtsErrorType,
  type EtsForecastOptions,
  type EtsModel,
  type EtsOptions,
  type EtsParameters,
  type EtsParams,
  type EtsSpec,
  etsMethodName,
  type ForecastInterval,
  fitEts,
  forecastEts,
  type PointForecast,
  simulatePaths,
} from "./forecast-ets.js";
export {
  type CalendarFeature,
  calendarValue,
  defaultCalendar,
  type FeatureSpec,
  featureNames,
  type Normalization,
  type RollingStat,
  seriesScale,
} from "./forecast-features.js";
export {
  type EtsForecasterOptions,
  etsForecaster,
  type FittedForecaster,
  FORECASTER_FILE,
  FORECASTER_FORMAT,
  FORECASTER_FORMAT_VERSION,
  type Forecaster,
  type ForecastRequest,
  type SeasonalNaiveOptions,
  type SeriesForecast,
  seasonalNaiveForecaster,
} from "./forecast-forecaster.js";
export {
  addSteps,
  defaultSeasonLength,
  FREQUENCY_HELP,
  type Frequency,
  type FrequencyUnit,
  formatFrequency,
  formatTime,
  futureTimes,
  inferFrequency,
  parseFrequency,
  stepIndex,
} from "./forecast-frequency.js";
export { type LoadForecasterOptions, loadForecaster } from "./forecast-load.js";
export { loadMlForecaster, type MlForecasterOptions, type MlStrategy, mlForecaster } from "./forecast-ml.js";
export { ForecastModelError } from "./forecast-model-error.js";
export { type NelderMeadOptions, type NelderMeadResult, nelderMead } from "./forecast-nelder-mead.js";
export { levelMultiplier, normalCdf, normalPdf, normalQuantile } from "./forecast-normal.js";
export {
  loadProphetForecaster,
  type ProphetForecasterOptions,
  type ProphetModelOptions,
  prophetForecaster,
} from "./forecast-prophet.js";
export {
  closeProphetWorkers,
  FORECAST_HANDLER_FILE,
  FORECAST_REQUIREMENTS_FILE,
  FORECAST_SETUP_COMMAND,
  prophetRequirements,
  prophetWorker,
} from "./forecast-prophet-worker.js";
export {
  fitSeasonalNaive,
  forecastSeasonalNaive,
  type SeasonalNaiveModel,
} from "./forecast-seasonal-naive.js";
export {
  type PrepareSeriesOptions,
  prepareSeries,
  type SeriesSet,
  type TimeSeries,
} from "./forecast-series.js";
export { runSetupCli, type SetupForecastPythonOptions, setupForecastPython } from "./setup.js";
