/**
 * The forecaster contract of this package and the two statistical forecasters: seasonal naive and
 * ETS, each fitted per series. A forecaster fits on a {@link SeriesSet} and forecasts the next
 * `horizon` points of every series with their timestamps, with prediction intervals where the model
 * gives them. Fitted forecasters save to a folder (`forecaster.json`) and load back.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { readSavedModelFile, writeJsonAtomic } from "@lolpop/core";
import {
  type EtsCriterion,
  type EtsModel,
  type EtsSpec,
  type ForecastInterval,
  fitEts,
  forecastEts,
} from "./forecast-ets.js";
import { defaultSeasonLength, type Frequency, futureTimes } from "./forecast-frequency.js";
import { ForecastModelError } from "./forecast-model-error.js";
import {
  fitSeasonalNaive,
  forecastSeasonalNaive,
  type SeasonalNaiveModel,
} from "./forecast-seasonal-naive.js";
import type { SeriesSet, TimeSeries } from "./forecast-series.js";

/** What a forecast is asked for. */
export interface ForecastRequest {
  /** Points to forecast after the end of each series. */
  horizon: number;
  /** Prediction interval levels in percent, e.g. `[80, 95]`. Default: none. */
  level?: readonly number[];
  /**
   * Future values of the exogenous columns, by series key then column: `horizon` values each.
   * Needed by forecasters fitted with exogenous columns.
   */
  exogenous?: Record<string, Record<string, Float64Array>>;
  /** Aborts long forecasts (Python calls). */
  signal?: AbortSignal;
}

/** The forecast of one series. */
export interface SeriesForecast {
  key: string;
  idValues: Array<string | number | null>;
  /** Timestamps of the forecast points (the next `horizon` steps of the frequency). */
  time: Float64Array;
  mean: Float64Array;
  /** Prediction intervals, ascending levels (empty when the model gives none or none were asked). */
  intervals: ForecastInterval[];
}

/** A forecaster fitted on a set of series. */
export interface FittedForecaster {
  /** The forecaster's name, e.g. `ets` or `prophet`. */
  readonly kind: string;
  /** Per series facts for logs and tracking (chosen ETS model, AICc...). */
  readonly summary: Record<string, Record<string, unknown>>;
  /** Forecasts every fitted series. */
  forecast(request: ForecastRequest): Promise<SeriesForecast[]>;
  /** Writes the fitted state into `dir` (created when missing). */
  save(dir: string): Promise<void>;
}

/** Something that fits forecasts. */
export interface Forecaster {
  readonly kind: string;
  /** Fits on every series of `data` (each series on its own or one global model, per forecaster). */
  fit(data: SeriesSet, options?: { signal?: AbortSignal }): Promise<FittedForecaster>;
}

/** The tail of a series needed to place forecasts in time. */
export interface SeriesEnd {
  key: string;
  idValues: Array<string | number | null>;
  /** Last timestamp seen in fitting. */
  last: number;
}

/** File a fitted forecaster saves its state in. */
export const FORECASTER_FILE = "forecaster.json";
/** `format` of {@link FORECASTER_FILE}. */
export const FORECASTER_FORMAT = "lolpop-forecaster";
/** Highest `format_version` of {@link FORECASTER_FILE} this package reads. */
export const FORECASTER_FORMAT_VERSION = 1;

export function seriesEnd(s: TimeSeries): SeriesEnd {
  return { key: s.key, idValues: s.idValues, last: s.time[s.time.length - 1]! };
}

export function checkHorizon(h: number): void {
  if (!Number.isInteger(h) || h < 1)
    throw new ForecastModelError({
      message: `forecast horizon must be a positive integer, got ${h}`,
      code: "horizon_invalid",
    });
}

/** Writes `forecaster.json` with the common header. */
export async function writeForecasterFile(dir: string, body: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, FORECASTER_FILE), {
    format: FORECASTER_FORMAT,
    format_version: FORECASTER_FORMAT_VERSION,
    ...body,
  });
}

const numbers = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
const floats = (a: unknown) =>
  Float64Array.from((a as Array<number | null>) ?? [], (v) => (v === null ? Number.NaN : v));

// ------------------------------------------------------------------ seasonal naive

/** Options of {@link seasonalNaiveForecaster}. */
export interface SeasonalNaiveOptions {
  /** Season length. Default: from the frequency (12 monthly, 7 daily, 24 hourly, ...; 1 = naive). */
  seasonLength?: number;
}

class FittedSeasonalNaive implements FittedForecaster {
  readonly kind = "seasonal_naive";
  constructor(
    readonly frequency: Frequency,
    readonly ends: SeriesEnd[],
    readonly models: SeasonalNaiveModel[],
  ) {}
  get summary() {
    return Object.fromEntries(
      this.ends.map((e, i) => [
        e.key,
        { season_length: this.models[i]!.seasonLength, sigma: this.models[i]!.sigma },
      ]),
    );
  }
  async forecast(request: ForecastRequest): Promise<SeriesForecast[]> {
    checkHorizon(request.horizon);
    return this.ends.map((e, i) => ({
      key: e.key,
      idValues: e.idValues,
      time: futureTimes(e.last, this.frequency, request.horizon),
      ...forecastSeasonalNaive(this.models[i]!, request.horizon, { level: request.level }),
    }));
  }
  async save(dir: string): Promise<void> {
    await writeForecasterFile(dir, {
      kind: this.kind,
      frequency: this.frequency,
      series: this.ends.map((e, i) => ({
        ...e,
        season_length: this.models[i]!.seasonLength,
        last_season: numbers(this.models[i]!.lastSeason),
        sigma: Number.isFinite(this.models[i]!.sigma) ? this.models[i]!.sigma : null,
        nobs: this.models[i]!.nobs,
      })),
    });
  }
}

/** The seasonal naive forecaster (each series repeats its last season), the forecasting baseline. */
export function seasonalNaiveForecaster(options: SeasonalNaiveOptions = {}): Forecaster {
  return {
    kind: "seasonal_naive",
    async fit(data) {
      const m = options.seasonLength ?? defaultSeasonLength(data.frequency);
      return new FittedSeasonalNaive(
        data.frequency,
        data.series.map(seriesEnd),
        data.series.map((s) => fitSeasonalNaive(s.values, m, s.key || undefined)),
      );
    },
  };
}

// ------------------------------------------------------------------ ETS

/** Options of {@link etsForecaster}: those of `fitEts` plus the season length default. */
export interface EtsForecasterOptions {
  /** Season length. Default: from the frequency (12 monthly, 4 quarterly, 7 daily, 24 hourly...). */
  seasonLength?: number;
  /** Model letters (error, trend, season; `Z` = choose). Default `"ZZZ"`. */
  model?: string;
  /** Damped trend: true, false, or unset to try both. */
  damped?: boolean;
  /** Allow a multiplicative trend when the trend letter is `Z`. Default false. */
  allowMultiplicativeTrend?: boolean;
  /** Selection criterion. Default `"aicc"`. */
  ic?: EtsCriterion;
  /** Nelder–Mead iterations per candidate model. Default 1000. */
  maxIterations?: number;
}

interface SavedEts {
  spec: EtsSpec;
  season_length: number;
  params: { alpha: number | null; beta: number | null; gamma: number | null; phi: number | null };
  last_state: Array<number | null>;
  sigma2: number;
  aicc: number | null;
  nobs: number;
}

class FittedEts implements FittedForecaster {
  readonly kind = "ets";
  constructor(
    readonly frequency: Frequency,
    readonly ends: SeriesEnd[],
    readonly models: EtsModel[],
  ) {}
  get summary() {
    return Object.fromEntries(
      this.ends.map((e, i) => {
        const m = this.models[i]!;
        return [e.key, { method: m.method, aicc: m.aicc, ...m.params, sigma2: m.sigma2 }];
      }),
    );
  }
  async forecast(request: ForecastRequest): Promise<SeriesForecast[]> {
    checkHorizon(request.horizon);
    return this.ends.map((e, i) => ({
      key: e.key,
      idValues: e.idValues,
      time: futureTimes(e.last, this.frequency, request.horizon),
      ...forecastEts(this.models[i]!, request.horizon, { level: request.level }),
    }));
  }
  async save(dir: string): Promise<void> {
    await writeForecasterFile(dir, {
      kind: this.kind,
      frequency: this.frequency,
      series: this.ends.map((e, i) => {
        const m = this.models[i]!;
        const p = m.params;
        const saved: SavedEts = {
          spec: m.spec,
          season_length: m.seasonLength,
          params: numbersRecord(p),
          last_state: numbers(m.lastState),
          sigma2: m.sigma2,
          aicc: Number.isFinite(m.aicc) ? m.aicc : null,
          nobs: m.nobs,
        };
        return { ...e, model: saved };
      }),
    });
  }
}

function numbersRecord(p: EtsModel["params"]): SavedEts["params"] {
  const f = (v: number) => (Number.isFinite(v) ? v : null);
  return { alpha: f(p.alpha), beta: f(p.beta), gamma: f(p.gamma), phi: f(p.phi) };
}

/** ETS per series (AutoETS by default): maximum likelihood fit, AICc selection, prediction intervals. */
export function etsForecaster(options: EtsForecasterOptions = {}): Forecaster {
  return {
    kind: "ets",
    async fit(data, fitOptions) {
      const m = options.seasonLength ?? defaultSeasonLength(data.frequency);
      const models: EtsModel[] = [];
      for (const s of data.series) {
        fitOptions?.signal?.throwIfAborted();
        models.push(
          fitEts(s.values, {
            seasonLength: m,
            model: options.model,
            damped: options.damped,
            allowMultiplicativeTrend: options.allowMultiplicativeTrend,
            ic: options.ic,
            maxIterations: options.maxIterations,
            name: s.key || undefined,
          }),
        );
      }
      return new FittedEts(data.frequency, data.series.map(seriesEnd), models);
    },
  };
}

// ------------------------------------------------------------------ loading

/**
 * Loads a seasonal naive or ETS forecaster saved by `save(dir)` (the ML and Prophet forecasters have
 * their own loaders, `loadMlForecaster` and `loadProphetForecaster`).
 * @throws StoreError when the folder holds no valid forecaster of these kinds.
 */
export async function loadStatisticalForecaster(dir: string): Promise<FittedForecaster> {
  const file = await readSavedModelFile<{ kind: string; frequency: Frequency; series: unknown[] }>(dir, {
    fileName: FORECASTER_FILE,
    trainer: "forecaster",
    package: "@lolpop/forecast",
    format: FORECASTER_FORMAT,
    maxVersion: FORECASTER_FORMAT_VERSION,
  });
  const { kind, frequency, series } = file.data;
  if (!frequency || !Array.isArray(series)) return file.invalid("no frequency or series");
  const ends = series.map((s) => {
    const e = s as SeriesEnd;
    return { key: e.key, idValues: e.idValues, last: e.last };
  });
  if (kind === "seasonal_naive") {
    const models = series.map((s) => {
      const r = s as {
        season_length: number;
        last_season: Array<number | null>;
        sigma: number | null;
        nobs: number;
      };
      return {
        seasonLength: r.season_length,
        lastSeason: floats(r.last_season),
        sigma: r.sigma ?? Number.NaN,
        nobs: r.nobs,
      };
    });
    return new FittedSeasonalNaive(frequency, ends, models);
  }
  if (kind === "ets") {
    const models = series.map((s) => {
      const r = (s as { model: SavedEts }).model;
      const nan = (v: number | null) => (v === null ? Number.NaN : v);
      const model: EtsModel = {
        spec: r.spec,
        method: `ETS(${r.spec.error},${r.spec.trend}${r.spec.damped ? "d" : ""},${r.spec.season})`,
        seasonLength: r.season_length,
        params: {
          alpha: nan(r.params.alpha),
          beta: nan(r.params.beta),
          gamma: nan(r.params.gamma),
          phi: nan(r.params.phi),
        },
        initialState: new Float64Array(0),
        lastState: floats(r.last_state),
        residuals: new Float64Array(0),
        fitted: new Float64Array(0),
        sigma2: r.sigma2,
        loglik: Number.NaN,
        aic: Number.NaN,
        aicc: nan(r.aicc),
        bic: Number.NaN,
        mse: Number.NaN,
        nParams: Number.NaN,
        nobs: r.nobs,
        iterations: 0,
        evaluations: 0,
      };
      return model;
    });
    return new FittedEts(frequency, ends, models);
  }
  return file.invalid(`kind "${String(kind)}" is not seasonal_naive or ets`);
}
