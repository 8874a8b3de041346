/**
 * LocalFeatureTransformer: learns imputation, categorical encoding and scaling on the training
 * split's feature columns, and applies them to any table, giving an all-numeric table.
 *
 * For each feature column, in the order seen at fit:
 * - numeric: missing values imputed (`numeric_impute`), then scaled (`scaling`; statistics of the
 *   imputed training values, population standard deviation; a constant column gets scale 1);
 * - categorical: missing values imputed (`categorical_impute`), then one-hot encoded as columns
 *   `col=value` (values in alphabetical order, `col=__other__` last) or ordinal encoded (the index of
 *   the value in that order; ordinal codes are not scaled). Only the `max_categories` most frequent
 *   training values get their own column; the others share `__other__`. With `passthrough` the
 *   column stays categorical text (missing values imputed, every value kept, unseen ones included),
 *   for trainers that handle categories natively such as CatBoost.
 * - with `add_missing_indicators`, a `col__missing` column (1 when the value was missing) follows each
 *   feature that had missing values at fit.
 *
 * Values never seen at fit give all zeros (one-hot) or -1 (ordinal) and one warning per `transform`
 * call; they never throw. A numeric feature with no value at all at fit (all NaN), or a categorical
 * one with only missing values, is dropped with a warning and listed in the saved state's `dropped`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Column,
  DataError,
  defineComponent,
  type FeatureTransformer,
  type JsonSchema,
  type OnnxGraphPiece,
  Table,
  writeJsonAtomic,
} from "@lolpop/core";
import { checkFeatureTransformerConfig } from "./local-config-checks.js";

/** File written by `save(dir)`. */
export const FEATURE_TRANSFORMER_FILE = "feature_transformer.json";
/** `format` field of the saved file. */
export const FEATURE_TRANSFORMER_FORMAT = "lolpop.local_feature_transformer";
/** Version of the saved file's layout. */
export const FEATURE_TRANSFORMER_VERSION = 1;
/** Name of the bucket that collects infrequent categories. */
export const OTHER_CATEGORY = "__other__";

/** Config of {@link localFeatureTransformer}. */
export interface LocalFeatureTransformerConfig {
  /** How missing numeric values are filled. Default `median`. */
  numeric_impute: "mean" | "median" | "most_frequent" | "constant";
  /** How missing categorical values are filled. Default `most_frequent`. */
  categorical_impute: "most_frequent" | "constant";
  /** Value used by the `constant` strategies (numeric: a number, default 0; categorical: text, default `__missing__`). */
  fill_value?: number | string | null;
  /** Categorical encoding. Default `onehot`. */
  encoding: CategoricalEncoding;
  /** Scaling of numeric features. Default `standard`. */
  scaling: "standard" | "minmax" | "none";
  /** Most frequent categories kept per column; the rest go to `__other__`. Default 50. */
  max_categories: number;
  /** Adds a `col__missing` 0/1 column for each feature that had missing values at fit. Default false. */
  add_missing_indicators: boolean;
}

/** How categorical features are encoded. */
export type CategoricalEncoding = "onehot" | "ordinal" | "passthrough";

/** Fitted state of one numeric feature. */
export interface NumericFeatureState {
  name: string;
  kind: "numeric";
  /** Value that replaces a missing one. */
  fill: number;
  /** Output = (value - center) / scale. */
  center: number;
  scale: number;
  missing_indicator: boolean;
}

/** Fitted state of one categorical feature. */
export interface CategoricalFeatureState {
  name: string;
  kind: "categorical";
  encoding: CategoricalEncoding;
  /** Categories with their own column / code, alphabetical. */
  categories: string[];
  /** Training categories that were merged into `__other__` (empty when there is no other bucket). */
  infrequent: string[];
  /** Category that replaces a missing value. */
  fill: string;
  missing_indicator: boolean;
}

/** Fitted state of one feature. */
export type FeatureState = NumericFeatureState | CategoricalFeatureState;

/** What `save(dir)` writes to {@link FEATURE_TRANSFORMER_FILE}. */
export interface SavedFeatureTransformer {
  format: typeof FEATURE_TRANSFORMER_FORMAT;
  version: number;
  /** The config used at fit (for reference; the state alone drives `transform`). */
  config: LocalFeatureTransformerConfig;
  features: FeatureState[];
  /** Feature columns dropped at fit, with the reason. */
  dropped: Array<{ name: string; reason: string }>;
  /** Output column names, in order. */
  output_columns: string[];
}

function outputNames(f: FeatureState): string[] {
  const out: string[] = [];
  if (f.kind === "numeric" || f.encoding !== "onehot") out.push(f.name);
  else {
    for (const c of f.categories) out.push(`${f.name}=${c}`);
    if (f.infrequent.length) out.push(`${f.name}=${OTHER_CATEGORY}`);
  }
  if (f.missing_indicator) out.push(`${f.name}__missing`);
  return out;
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fitNumeric(
  name: string,
  values: Float64Array,
  cfg: LocalFeatureTransformerConfig,
  fillValue: number,
): NumericFeatureState | undefined {
  const present: number[] = [];
  for (const v of values) if (!Number.isNaN(v)) present.push(v);
  if (present.length === 0) return undefined;
  let fill: number;
  switch (cfg.numeric_impute) {
    case "mean":
      fill = present.reduce((a, b) => a + b, 0) / present.length;
      break;
    case "median": {
      const s = Float64Array.from(present).sort();
      const m = s.length >> 1;
      fill = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
      break;
    }
    case "most_frequent": {
      const counts = new Map<number, number>();
      for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
      let best = Number.POSITIVE_INFINITY;
      let bestCount = 0;
      for (const [v, c] of counts)
        if (c > bestCount || (c === bestCount && v < best)) {
          best = v;
          bestCount = c;
        }
      fill = best;
      break;
    }
    default:
      fill = fillValue;
  }
  const missing = present.length < values.length;
  let center = 0;
  let scale = 1;
  if (cfg.scaling !== "none") {
    const n = values.length;
    const at = (i: number) => (Number.isNaN(values[i]!) ? fill : values[i]!);
    if (cfg.scaling === "standard") {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += at(i);
      center = sum / n;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (at(i) - center) ** 2;
      const sd = Math.sqrt(ss / n);
      scale = sd > 0 && Number.isFinite(sd) ? sd : 1;
    } else {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const v = at(i);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      center = lo;
      scale = hi - lo > 0 ? hi - lo : 1;
    }
  }
  return {
    name,
    kind: "numeric",
    fill,
    center,
    scale,
    missing_indicator: cfg.add_missing_indicators && missing,
  };
}

function fitCategorical(
  name: string,
  col: Column & { type: "categorical" },
  cfg: LocalFeatureTransformerConfig,
  fillValue: string,
): CategoricalFeatureState | undefined {
  const perCode = new Float64Array(col.dictionary.length);
  let missing = 0;
  for (const c of col.codes) {
    if (c < 0) missing++;
    else perCode[c]!++;
  }
  const counts = new Map<string, number>();
  col.dictionary.forEach((v, c) => {
    if (perCode[c]! > 0) counts.set(v, (counts.get(v) ?? 0) + perCode[c]!);
  });
  if (counts.size === 0) return undefined;
  let fill: string;
  if (cfg.categorical_impute === "constant") fill = fillValue;
  else {
    fill = "";
    let best = -1;
    for (const [v, c] of counts)
      if (c > best || (c === best && byText(v, fill) < 0)) {
        fill = v;
        best = c;
      }
  }
  if (missing) counts.set(fill, (counts.get(fill) ?? 0) + missing);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || byText(a[0], b[0]));
  // passthrough keeps every value: no __other__ bucket
  const limit = cfg.encoding === "passthrough" ? ranked.length : cfg.max_categories;
  const kept = ranked.slice(0, limit).map(([v]) => v);
  const infrequent = ranked.slice(limit).map(([v]) => v);
  return {
    name,
    kind: "categorical",
    encoding: cfg.encoding,
    categories: kept.sort(byText),
    infrequent: infrequent.sort(byText),
    fill,
    missing_indicator: cfg.add_missing_indicators && missing > 0,
  };
}

/** Numeric values of `col` for a numeric feature (categorical text is parsed; bad text is an error). */
function asNumeric(name: string, col: Column): Float64Array {
  if (col.type === "numeric") return col.values;
  const parsed = col.dictionary.map((d) => {
    const s = d.trim();
    return /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) ? Number(s) : Number.NaN;
  });
  const used = new Uint8Array(col.dictionary.length);
  for (const c of col.codes) if (c >= 0) used[c] = 1;
  const bad = col.dictionary.filter((_, j) => used[j] && Number.isNaN(parsed[j]!));
  if (bad.length) {
    throw new DataError({
      message: `feature "${name}" was numeric at fit but holds text now (e.g. ${bad
        .slice(0, 3)
        .map((b) => `"${b}"`)
        .join(", ")}); fix the data or declare the missing-value markers in the data connector's na_values`,
      code: "wrong_column_type",
      details: { column: name },
    });
  }
  const out = new Float64Array(col.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = col.codes[i]! < 0 ? Number.NaN : parsed[col.codes[i]!]!;
  return out;
}

/** Text values of `col` for a categorical feature: a codes array and a dictionary (numbers become text). */
function asCategorical(col: Column): { codes: Int32Array; dictionary: readonly string[] } {
  if (col.type === "categorical") return col;
  const dict: string[] = [];
  const index = new Map<number, number>();
  const codes = new Int32Array(col.values.length);
  for (let i = 0; i < codes.length; i++) {
    const v = col.values[i]!;
    if (Number.isNaN(v)) {
      codes[i] = -1;
      continue;
    }
    let c = index.get(v);
    if (c === undefined) {
      c = dict.length;
      dict.push(col.logical === "bool" ? (v ? "true" : "false") : String(v));
      index.set(v, c);
    }
    codes[i] = c;
  }
  return { codes, dictionary: dict };
}

function validateState(value: unknown, file: string): SavedFeatureTransformer {
  const bad = (why: string) =>
    new DataError({
      message: `${file} is not a valid LocalFeatureTransformer state: ${why}`,
      code: "invalid_state",
      details: { file },
    });
  if (typeof value !== "object" || value === null) throw bad("not a JSON object");
  const s = value as Partial<SavedFeatureTransformer>;
  if (s.format !== FEATURE_TRANSFORMER_FORMAT)
    throw bad(`format is ${JSON.stringify(s.format)}, expected "${FEATURE_TRANSFORMER_FORMAT}"`);
  if (typeof s.version !== "number") throw bad("no version");
  if (s.version > FEATURE_TRANSFORMER_VERSION) {
    throw new DataError({
      message: `${file} was written by a newer @lolpop/local (state version ${s.version}, this one reads up to ${FEATURE_TRANSFORMER_VERSION}); upgrade @lolpop/local`,
      code: "invalid_state",
      details: { file },
    });
  }
  if (!Array.isArray(s.features)) throw bad("no features list");
  for (const f of s.features) {
    if (typeof f?.name !== "string" || (f.kind !== "numeric" && f.kind !== "categorical"))
      throw bad(`bad feature entry ${JSON.stringify(f)}`);
    if (f.kind === "numeric" && ![f.fill, f.center, f.scale].every((x) => typeof x === "number"))
      throw bad(`bad numeric feature "${f.name}"`);
    if (
      f.kind === "categorical" &&
      (!Array.isArray(f.categories) || !Array.isArray(f.infrequent) || typeof f.fill !== "string")
    ) {
      throw bad(`bad categorical feature "${f.name}"`);
    }
  }
  return {
    ...s,
    dropped: s.dropped ?? [],
    output_columns: s.features.flatMap(outputNames),
  } as SavedFeatureTransformer;
}

/** An instance of {@link localFeatureTransformer}: the `FeatureTransformer` contract. */
export type LocalFeatureTransformer = FeatureTransformer;

/** JSON Schema of {@link localFeatureTransformer}'s config. */
export const localFeatureTransformerConfigSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    numeric_impute: {
      enum: ["mean", "median", "most_frequent", "constant"],
      description:
        "How missing numeric values are filled, from the training values (constant: fill_value, default 0).",
      default: "median",
    },
    categorical_impute: {
      enum: ["most_frequent", "constant"],
      description: "How missing categorical values are filled (constant: fill_value, default __missing__).",
      default: "most_frequent",
    },
    fill_value: {
      type: ["number", "string", "null"],
      description:
        "Value used by the constant strategies: a number for numeric columns, text for categorical ones. Default: 0 / __missing__.",
      default: null,
    },
    encoding: {
      enum: ["onehot", "ordinal", "passthrough"],
      description:
        "onehot: one 0/1 column per category named col=value; ordinal: one column of category indices (alphabetical order); passthrough: the column stays categorical text, missing values imputed (for trainers with native categorical support such as CatBoost).",
      default: "onehot",
    },
    scaling: {
      enum: ["standard", "minmax", "none"],
      description:
        "Scaling of numeric features: standard (mean 0, unit variance), minmax (0..1 on the training range) or none.",
      default: "standard",
    },
    max_categories: {
      type: "integer",
      minimum: 1,
      description:
        "Most frequent categories kept per categorical column; the others share the __other__ category.",
      default: 50,
    },
    add_missing_indicators: {
      type: "boolean",
      description: "Adds a col__missing 0/1 column for each feature that had missing values at fit.",
      default: false,
    },
  },
};

/**
 * `LocalFeatureTransformer` (kind `feature_transformer`): imputation, one-hot or ordinal encoding with
 * an `__other__` bucket, and standard or min-max scaling, learned on the `feature` columns at fit.
 * `save(dir)` writes `feature_transformer.json` atomically; `load(dir)` restores it.
 */
export const localFeatureTransformer = defineComponent<"feature_transformer", LocalFeatureTransformerConfig>({
  kind: "feature_transformer",
  type: "LocalFeatureTransformer",
  description: "Imputes, encodes (one-hot/ordinal, or passes categories through) and scales feature columns",
  configSchema: localFeatureTransformerConfigSchema,
  checkConfig: checkFeatureTransformerConfig,
  create(ctx) {
    const cfg: LocalFeatureTransformerConfig = {
      numeric_impute: ctx.config.numeric_impute ?? "median",
      categorical_impute: ctx.config.categorical_impute ?? "most_frequent",
      fill_value: ctx.config.fill_value ?? null,
      encoding: ctx.config.encoding ?? "onehot",
      scaling: ctx.config.scaling ?? "standard",
      max_categories: ctx.config.max_categories ?? 50,
      add_missing_indicators: ctx.config.add_missing_indicators ?? false,
    };
    const numericFill = typeof cfg.fill_value === "number" ? cfg.fill_value : 0;
    const categoricalFill =
      cfg.fill_value === null || cfg.fill_value === undefined ? "__missing__" : String(cfg.fill_value);
    let state: SavedFeatureTransformer | undefined;

    const fitted = (what: string): SavedFeatureTransformer => {
      if (!state) {
        throw new DataError({
          message: `${ctx.path}: ${what}() was called before fit() or load(); fit the feature transformer on the training data first`,
          code: "not_fitted",
        });
      }
      return state;
    };

    const self: FeatureTransformer = {
      async fit(table: Table): Promise<void> {
        const names = table.columnsWithRole("feature");
        if (names.length === 0) {
          throw new DataError({
            message: `no feature columns to fit on (columns: ${table.schema.map((s) => `${s.name} [${s.role}]`).join(", ") || "none"})`,
            code: "no_features",
          });
        }
        if (table.numRows === 0)
          throw new DataError({
            message: "cannot fit the feature transformer on an empty table",
            code: "empty_input",
          });
        const features: FeatureState[] = [];
        const dropped: SavedFeatureTransformer["dropped"] = [];
        for (const name of names) {
          const col = table.column(name);
          const f =
            col.type === "numeric"
              ? fitNumeric(name, col.values, cfg, numericFill)
              : fitCategorical(name, col, cfg, categoricalFill);
          if (!f) {
            const reason = col.type === "numeric" ? "all values are missing (NaN)" : "all values are missing";
            dropped.push({ name, reason });
            ctx.logger.warn(`feature "${name}" is dropped: ${reason} in the ${table.numRows} training rows`, {
              column: name,
            });
            continue;
          }
          features.push(f);
        }
        if (features.length === 0) {
          throw new DataError({
            message: `every feature column is entirely missing (${names.join(", ")}); nothing to train on`,
            code: "no_features",
          });
        }
        const output = features.flatMap(outputNames);
        const seen = new Set<string>();
        for (const o of output) {
          if (seen.has(o)) {
            throw new DataError({
              message: `encoded column name "${o}" would appear twice; rename the column that clashes with it`,
              code: "duplicate_column",
            });
          }
          seen.add(o);
        }
        state = {
          format: FEATURE_TRANSFORMER_FORMAT,
          version: FEATURE_TRANSFORMER_VERSION,
          config: { ...cfg },
          features,
          dropped,
          output_columns: output,
        };
        ctx.logger.info(
          `fitted on ${table.numRows} rows: ${features.length} features -> ${output.length} columns`,
          {
            features: features.length,
            columns: output.length,
            dropped: dropped.map((d) => d.name),
          },
        );
      },

      async transform(table: Table): Promise<Table> {
        const s = fitted("transform");
        const missing = s.features.filter((f) => !table.has(f.name)).map((f) => f.name);
        if (missing.length) {
          throw new DataError({
            message: `the data lacks feature column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} seen at fit (columns: ${table.columnNames.join(", ") || "none"})`,
            code: "missing_column",
            details: { columns: missing },
          });
        }
        const n = table.numRows;
        const out: Array<[string, Float64Array | Column]> = [];
        const unknown: string[] = [];
        for (const f of s.features) {
          const col = table.column(f.name);
          let indicator: Float64Array | undefined;
          if (f.kind === "numeric") {
            const x = asNumeric(f.name, col);
            const y = new Float64Array(n);
            if (f.missing_indicator) indicator = new Float64Array(n);
            for (let i = 0; i < n; i++) {
              let v = x[i]!;
              if (Number.isNaN(v)) {
                v = f.fill;
                if (indicator) indicator[i] = 1;
              }
              y[i] = (v - f.center) / f.scale;
            }
            out.push([f.name, y]);
          } else if (f.encoding === "passthrough") {
            const c = asCategorical(col);
            if (f.missing_indicator) indicator = new Float64Array(n);
            let fillCode = c.dictionary.indexOf(f.fill);
            const dictionary = fillCode < 0 ? [...c.dictionary, f.fill] : c.dictionary;
            if (fillCode < 0) fillCode = c.dictionary.length;
            const codes = new Int32Array(n);
            for (let i = 0; i < n; i++) {
              const code = c.codes[i]!;
              if (code < 0) {
                codes[i] = fillCode;
                if (indicator) indicator[i] = 1;
              } else codes[i] = code;
            }
            out.push([f.name, { type: "categorical", codes, dictionary }]);
          } else {
            const c = asCategorical(col);
            const k = f.categories.length;
            const position = new Map<string, number>(f.categories.map((v, j) => [v, j]));
            for (const v of f.infrequent) position.set(v, k);
            // map the input dictionary once: output position, or -1 for an unseen category
            const map = Int32Array.from(c.dictionary, (v) => position.get(v) ?? -1);
            const fillPos = position.get(f.fill) ?? -1;
            const width = k + (f.infrequent.length ? 1 : 0);
            let unseen = 0;
            const unseenValues = new Set<string>();
            if (f.missing_indicator) indicator = new Float64Array(n);
            const codes = new Int32Array(n);
            for (let i = 0; i < n; i++) {
              const code = c.codes[i]!;
              let p: number;
              if (code < 0) {
                p = fillPos;
                if (indicator) indicator[i] = 1;
              } else {
                p = map[code]!;
                if (p < 0) {
                  unseen++;
                  if (unseenValues.size < 5) unseenValues.add(c.dictionary[code]!);
                }
              }
              codes[i] = p;
            }
            if (unseen)
              unknown.push(
                `"${f.name}": ${unseen} row(s), e.g. ${[...unseenValues].map((v) => `"${v}"`).join(", ")}`,
              );
            if (f.encoding === "ordinal") out.push([f.name, Float64Array.from(codes)]);
            else {
              const cols = Array.from({ length: width }, () => new Float64Array(n));
              for (let i = 0; i < n; i++) if (codes[i]! >= 0) cols[codes[i]!]![i] = 1;
              f.categories.forEach((v, j) => out.push([`${f.name}=${v}`, cols[j]!]));
              if (f.infrequent.length) out.push([`${f.name}=${OTHER_CATEGORY}`, cols[k]!]);
            }
          }
          if (indicator) out.push([`${f.name}__missing`, indicator]);
        }
        if (unknown.length) {
          ctx.logger.warn(
            `categories not seen at fit are encoded as ${s.features.some((f) => f.kind === "categorical" && f.encoding === "ordinal") ? "-1 (ordinal) / " : ""}all zeros: ${unknown.join("; ")}`,
            {
              unknown_categories: unknown,
            },
          );
        }
        return Table.fromColumns(out);
      },

      async fit_transform(table: Table): Promise<Table> {
        await self.fit(table);
        return self.transform(table);
      },

      /**
       * The fitted encoding as a piece of an ONNX graph (Imputer, Scaler, LabelEncoder,
       * OneHotEncoder, Concat): one input per raw feature column, output `features`. Throws an
       * OnnxExportError for `encoding: passthrough`.
       */
      async to_onnx(): Promise<OnnxGraphPiece> {
        const s = fitted("to_onnx");
        const { featureTransformerToOnnx } = await import("./local-feature-transformer-onnx.js");
        return featureTransformerToOnnx(s, ctx.path);
      },

      async save(dir: string): Promise<void> {
        const s = fitted("save");
        await writeJsonAtomic(join(dir, FEATURE_TRANSFORMER_FILE), s);
      },

      async load(dir: string): Promise<void> {
        const file = join(dir, FEATURE_TRANSFORMER_FILE);
        let text: string;
        try {
          text = await readFile(file, "utf8");
        } catch (e) {
          throw new DataError({
            message: `cannot load the feature transformer: ${file} ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `is unreadable (${(e as Error).message})`}`,
            code: "invalid_state",
            details: { file },
            cause: e,
          });
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          throw new DataError({
            message: `${file} is not valid JSON: ${(e as Error).message}`,
            code: "invalid_state",
            details: { file },
            cause: e,
          });
        }
        state = validateState(parsed, file);
      },
    };
    return self;
  },
});
