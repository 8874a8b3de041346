/**
 * `@lolpop/core/metrics`: evaluation metrics (scikit-learn's definitions, over typed arrays) and
 * no-skill baselines. A subpath of its own, so `import "@lolpop/core"` does not load them; the
 * standard workflows, the tuners and any component that scores models import them from here.
 */
export { baselinePredictions } from "./baseline.js";
export {
  defaultForecastMetrics,
  FORECAST_ERROR_METRICS,
  type ForecastErrorMetric,
  forecastMae,
  forecastMape,
  forecastMase,
  forecastMetrics,
  forecastRmse,
  forecastSmape,
  hasZeroActuals,
  intervalCoverage,
  isForecastMetric,
  type ScoredSeries,
} from "./forecast.js";
export {
  computeMetric,
  computeMetrics,
  defaultMetrics,
  isLowerBetter,
  isMetricName,
  METRIC_NAMES,
  type MetricName,
  metricNote,
  metricNotes,
  metricProblemType,
  PROBABILITY_METRICS,
} from "./metrics.js";
