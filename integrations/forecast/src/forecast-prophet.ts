/**
 * Prophet through `@lolpop/python-bridge`: one Prophet model per series, fitted in Python; the
 * fitted models come back as Prophet's JSON and stay in Node (saved with the forecaster), and each
 * forecast sends them to Python again, so predicting needs Python too. Exogenous columns become
 * Prophet regressors. Needs `prophet` in the project's venv (`npx lolpop-forecast-setup`).
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Logger, readSavedModelFile, writeFileAtomic } from "@lolpop/core";
import type { PythonWorker } from "@lolpop/python-bridge";
import type { ForecastInterval } from "./forecast-ets.js";
import {
  checkHorizon,
  type FittedForecaster,
  FORECASTER_FILE,
  FORECASTER_FORMAT,
  FORECASTER_FORMAT_VERSION,
  type Forecaster,
  type ForecastRequest,
  type SeriesEnd,
  type SeriesForecast,
  seriesEnd,
  writeForecasterFile,
} from "./forecast-forecaster.js";
import { type Frequency, futureTimes } from "./forecast-frequency.js";
import { ForecastModelError } from "./forecast-model-error.js";
import { prophetWorker } from "./forecast-prophet-worker.js";
import type { SeriesSet } from "./forecast-series.js";

/** Prophet constructor options passed through (see Prophet's documentation; unset = Prophet's default). */
export interface ProphetModelOptions {
  growth?: "linear" | "flat";
  n_changepoints?: number;
  changepoint_range?: number;
  yearly_seasonality?: boolean | number | "auto";
  weekly_seasonality?: boolean | number | "auto";
  daily_seasonality?: boolean | number | "auto";
  seasonality_mode?: "additive" | "multiplicative";
  seasonality_prior_scale?: number;
  holidays_prior_scale?: number;
  changepoint_prior_scale?: number;
  /** Sampled paths for intervals. Prophet's default 1000. */
  uncertainty_samples?: number;
  scaling?: "absmax" | "minmax";
  /** Adds a country's public holidays (`"US"`, `"FR"`...), `add_country_holidays`. */
  country_holidays?: string;
}

/** Options of {@link prophetForecaster}. */
export interface ProphetForecasterOptions {
  /** Prophet's own options. */
  prophet?: ProphetModelOptions;
  /**
   * Python interpreter. Default: `LOLPOP_PYTHON`, `LOLPOP_VENV`, the project's `.venv`, then
   * `python3` (as @lolpop/python-bridge finds it).
   */
  python?: string;
  /** Project root for the `.venv` lookup. Default: `process.cwd()`. */
  projectRoot?: string;
  /** Seed of the interval sampling (Prophet samples uncertainty). Default 0. */
  seed?: number;
  /** Timeout of one fit or predict call, ms. Default: none. */
  timeoutMs?: number;
  /** Receives the worker's stderr at debug level. */
  logger?: Logger;
  /** The worker to use instead of the shared one (tests). */
  worker?: PythonWorker;
}

const KNOWN = new Set([
  "growth",
  "n_changepoints",
  "changepoint_range",
  "yearly_seasonality",
  "weekly_seasonality",
  "daily_seasonality",
  "seasonality_mode",
  "seasonality_prior_scale",
  "holidays_prior_scale",
  "changepoint_prior_scale",
  "uncertainty_samples",
  "scaling",
  "country_holidays",
]);

interface ProphetState {
  frequency: Frequency;
  ends: SeriesEnd[];
  models: string[];
  regressors: string[];
  options: ProphetModelOptions;
}

class FittedProphet implements FittedForecaster {
  readonly kind = "prophet";
  constructor(
    readonly state: ProphetState,
    readonly settings: ProphetForecasterOptions,
  ) {}

  get summary() {
    return Object.fromEntries(this.state.ends.map((e) => [e.key, { regressors: this.state.regressors }]));
  }

  async forecast(request: ForecastRequest): Promise<SeriesForecast[]> {
    checkHorizon(request.horizon);
    const h = request.horizon;
    const { ends, models, regressors, frequency } = this.state;
    const times = ends.map((e) => futureTimes(e.last, frequency, h));
    const series = ends.map((e, i) => {
      const byCol = request.exogenous?.[e.key];
      const regs: Record<string, Float64Array> = {};
      for (const name of regressors) {
        const v = byCol?.[name];
        if (!v || v.length < h)
          throw new ForecastModelError({
            message: `the Prophet forecast of series ${JSON.stringify(e.key)} needs ${h} future value(s) of regressor ${JSON.stringify(name)}; pass them in the request's exogenous values`,
            code: "exogenous_missing",
          });
        regs[name] = v.slice(0, h);
      }
      return { model: models[i]!, ds: times[i]!, regressors: regs };
    });
    const worker = workerFor(this.settings);
    const answer = await worker.call<{
      series: Array<{ mean: Float64Array; intervals: ForecastInterval[] }>;
    }>(
      "forecast.predict",
      { series, levels: [...(request.level ?? [])].sort((a, b) => a - b), seed: this.settings.seed ?? 0 },
      { signal: request.signal, timeoutMs: this.settings.timeoutMs },
    );
    return ends.map((e, i) => ({
      key: e.key,
      idValues: e.idValues,
      time: times[i]!,
      mean: answer.series[i]!.mean,
      intervals: answer.series[i]!.intervals,
    }));
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < this.state.models.length; i++) {
      const name = `prophet-${i + 1}.json`;
      await writeFileAtomic(join(dir, name), this.state.models[i]!);
      files.push(name);
    }
    await writeForecasterFile(dir, {
      kind: this.kind,
      frequency: this.state.frequency,
      regressors: this.state.regressors,
      options: this.state.options,
      series: this.state.ends.map((e, i) => ({ ...e, model_file: files[i] })),
    });
  }
}

function workerFor(o: ProphetForecasterOptions): PythonWorker {
  return o.worker ?? prophetWorker({ python: o.python, projectRoot: o.projectRoot, logger: o.logger });
}

/**
 * Prophet per series, through the Python bridge. Fitting and predicting start (or reuse) a Python
 * worker with prophet; the error when prophet is missing carries the `pip install` line.
 */
export function prophetForecaster(options: ProphetForecasterOptions = {}): Forecaster {
  for (const key of Object.keys(options.prophet ?? {}))
    if (!KNOWN.has(key))
      throw new ForecastModelError({
        message: `Prophet option ${JSON.stringify(key)} is not supported; use ${[...KNOWN].join(", ")}`,
        code: "prophet_option_invalid",
      });
  return {
    kind: "prophet",
    async fit(data: SeriesSet, fitOptions) {
      if (data.timeKind !== "datetime")
        throw new ForecastModelError({
          message: `Prophet needs timestamps, and the time column ${JSON.stringify(data.timeColumn)} holds an integer index; use a datetime column`,
          code: "prophet_needs_dates",
        });
      const worker = workerFor(options);
      const answer = await worker.call<{ models: string[] }>(
        "forecast.fit",
        {
          options: options.prophet ?? {},
          regressors: data.exogenousColumns,
          series: data.series.map((s) => ({ ds: s.time, y: s.values, regressors: s.exogenous })),
        },
        { signal: fitOptions?.signal, timeoutMs: options.timeoutMs },
      );
      return new FittedProphet(
        {
          frequency: data.frequency,
          ends: data.series.map(seriesEnd),
          models: answer.models,
          regressors: [...data.exogenousColumns],
          options: options.prophet ?? {},
        },
        options,
      );
    },
  };
}

/**
 * Loads a Prophet forecaster saved by `save(dir)`; forecasting with it starts Python
 * (`settings` chooses the interpreter, seed and timeout as for {@link prophetForecaster}).
 * @throws StoreError when the folder holds no Prophet forecaster.
 */
export async function loadProphetForecaster(
  dir: string,
  settings: Omit<ProphetForecasterOptions, "prophet"> = {},
): Promise<FittedForecaster> {
  const file = await readSavedModelFile<{
    kind: string;
    frequency: Frequency;
    regressors: string[];
    options: ProphetModelOptions;
    series: Array<SeriesEnd & { model_file: string }>;
  }>(dir, {
    fileName: FORECASTER_FILE,
    trainer: "forecaster",
    package: "@lolpop/forecast",
    format: FORECASTER_FORMAT,
    maxVersion: FORECASTER_FORMAT_VERSION,
  });
  const d = file.data;
  if (d.kind !== "prophet") return file.invalid(`kind "${String(d.kind)}" is not prophet`);
  if (!d.frequency || !Array.isArray(d.series)) return file.invalid("no frequency or series");
  const models: string[] = [];
  for (const s of d.series) {
    if (typeof s.model_file !== "string" || s.model_file.includes("/") || s.model_file.includes(".."))
      return file.invalid(`series ${JSON.stringify(s.key)} has no valid model_file`);
    try {
      models.push(await readFile(join(dir, s.model_file), "utf8"));
    } catch (e) {
      return file.invalid(`cannot read ${s.model_file}: ${(e as Error).message}`, e);
    }
  }
  return new FittedProphet(
    {
      frequency: d.frequency,
      ends: d.series.map((s) => ({ key: s.key, idValues: s.idValues, last: s.last })),
      models,
      regressors: d.regressors ?? [],
      options: d.options ?? {},
    },
    settings,
  );
}
