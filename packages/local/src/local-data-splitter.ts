/**
 * LocalDataSplitter: splits a table into train, valid and (optionally) test, deterministically for a
 * seed. Methods: `random`, `stratified` (per target class), `column` (a column of
 * train/valid/test labels) and `time` (sorted by a time column; the latest rows are valid, then test).
 */
import {
  asCategorical,
  type CategoricalColumn,
  type ColumnRole,
  createRng,
  DataError,
  type DataSplits,
  type DataSplitter,
  defineComponent,
  type JsonSchema,
  type ProblemType,
  shuffleInPlace,
  type Table,
} from "@lolpop/core";
import { checkSplitterConfig } from "./local-config-checks.js";

/** Split methods; `auto` is explained on {@link LocalDataSplitterConfig.method}. */
export type SplitMethod = "auto" | "random" | "stratified" | "column" | "time";

/** Config of {@link localDataSplitter}. */
export interface LocalDataSplitterConfig {
  /** Target column (normally inherited from the runner's `config`). Required. */
  target: string;
  /** Index column (role `index`), or none. Default: none. */
  index?: string | null;
  /** Columns removed before splitting. Default `[]`. */
  drop_columns: string[];
  /**
   * `auto` (default): `column` when `split_column` is set, `time` when `time_column` is set, else
   * `stratified` for classification and `random` otherwise.
   */
  method: SplitMethod;
  /** Shares of [train, valid, test] (or [train, valid]: no test split); they sum to 1. Default `[0.7, 0.15, 0.15]`. */
  split_ratio: number[];
  /** Seed of the shuffles. Default 42. */
  seed: number;
  /** Column holding `train` / `valid` (or `validation`) / `test` per row, for method `column`. Default: none. */
  split_column?: string | null;
  /** Numeric or datetime column to sort by, for method `time`. Default: none. */
  time_column?: string | null;
}

/** Splits `n` into parts proportional to `ratios` (largest remainder; ties go to the earlier part). */
export function allocate(n: number, ratios: readonly number[]): number[] {
  const exact = ratios.map((r) => r * n);
  const counts = exact.map((x) => Math.floor(x + 1e-9));
  let rest = n - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x + 1e-9), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; rest > 0; k = (k + 1) % order.length, rest--) counts[order[k]![1]]!++;
  return counts;
}

const PART_NAMES = ["train", "valid", "test"] as const;

function columnsError(what: string, names: string[], table: Table, hint: string): DataError {
  return new DataError({
    message: `${what} ${names.map((n) => `"${n}"`).join(", ")} not found in the data (columns: ${table.columnNames.join(", ")}); ${hint}`,
    code: "missing_column",
    details: { columns: names, available: table.columnNames },
  });
}

export { checkSplitterConfig };

/** An instance of {@link localDataSplitter}: the `DataSplitter` contract. */
export type LocalDataSplitter = DataSplitter;

/** JSON Schema of {@link localDataSplitter}'s config. */
export const localDataSplitterConfigSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["target"],
  properties: {
    target: {
      type: "string",
      minLength: 1,
      description: "Target column. Usually inherited from the runner's config (config.target). Required.",
    },
    index: {
      type: ["string", "null"],
      minLength: 1,
      description:
        "Index column: kept in every split with role index, never used as a feature. Usually inherited from the runner's config. Default: none.",
      default: null,
    },
    drop_columns: {
      type: "array",
      items: { type: "string" },
      description: "Columns removed before splitting (identifiers, leaks...).",
      default: [],
    },
    method: {
      enum: ["auto", "random", "stratified", "column", "time"],
      description:
        "How rows are assigned: auto = column if split_column is set, time if time_column is set, else stratified for classification and random otherwise.",
      default: "auto",
    },
    split_ratio: {
      type: "array",
      items: { type: "number", exclusiveMinimum: 0, maximum: 1 },
      minItems: 2,
      maxItems: 3,
      description:
        "Shares of [train, valid, test] summing to 1; two numbers mean no test split. Not used by method column.",
      default: [0.7, 0.15, 0.15],
    },
    seed: {
      type: "integer",
      description: "Seed of the random and stratified shuffles; the same seed and data give the same split.",
      default: 42,
    },
    split_column: {
      type: ["string", "null"],
      minLength: 1,
      description:
        "For method column: a column whose values are train, valid (or validation) and test. It is removed from the splits.",
      default: null,
    },
    time_column: {
      type: ["string", "null"],
      minLength: 1,
      description:
        "For method time: a numeric or datetime column; rows are sorted by it and the latest ones become valid, then test.",
      default: null,
    },
  },
};

/**
 * `LocalDataSplitter` (kind `data_splitter`): train/valid/test splits by seeded random or stratified
 * sampling, a split column, or time order. Output tables give the target column the role `target`,
 * the index column `index` and every other column `feature`; `split_column` itself is removed. For
 * classification the target becomes categorical (numbers as their text, e.g. "0", "1"); for
 * regression it must be numeric. Rows with a missing target are dropped with a warning.
 */
export const localDataSplitter = defineComponent<"data_splitter", LocalDataSplitterConfig>({
  kind: "data_splitter",
  type: "LocalDataSplitter",
  description: "Splits data into train/valid/test: random, stratified, by a split column or by time",
  configSchema: localDataSplitterConfigSchema,
  checkConfig: checkSplitterConfig,
  create(ctx) {
    const cfg = ctx.config;
    const ratios = cfg.split_ratio ?? [0.7, 0.15, 0.15];
    const seed = cfg.seed ?? 42;
    const splitColumn = cfg.split_column ?? undefined;
    const timeColumn = cfg.time_column ?? undefined;
    const requested = cfg.method ?? "auto";

    return {
      async split_data(input: Table): Promise<DataSplits> {
        const problemType: ProblemType | undefined =
          ctx.problemType ?? ctx.lookup<ProblemType>("problem_type");
        const target = cfg.target;
        const index = cfg.index ?? undefined;
        const method =
          requested !== "auto"
            ? requested
            : splitColumn
              ? "column"
              : timeColumn
                ? "time"
                : problemType === "classification"
                  ? "stratified"
                  : "random";

        // ---- columns
        if (!input.has(target))
          throw columnsError(
            "target column",
            [target],
            input,
            "set `target` (usually in the runner's config) to one of them",
          );
        if (index && !input.has(index))
          throw columnsError("index column", [index], input, "set `index` to one of them, or remove it");
        if (index === target)
          throw new DataError({
            message: `the index column and the target are both "${target}"`,
            code: "invalid_columns",
          });
        const drops = cfg.drop_columns ?? [];
        const missingDrops = drops.filter((c) => !input.has(c));
        if (missingDrops.length) throw columnsError("drop_columns", missingDrops, input, "fix drop_columns");
        for (const [what, name] of [
          ["split_column", method === "column" ? splitColumn : undefined],
          ["time_column", method === "time" ? timeColumn : undefined],
        ] as const) {
          if (name && !input.has(name)) throw columnsError(what, [name], input, `set ${what} to one of them`);
        }
        if (drops.includes(target) || (index && drops.includes(index))) {
          throw new DataError({
            message: `drop_columns lists the ${drops.includes(target) ? "target" : "index"} column`,
            code: "invalid_columns",
          });
        }

        // ---- target type
        let table = input;
        let y = table.column(target);
        if (problemType === "classification" && y.type === "numeric") {
          y = asCategorical(y);
          table = table.withColumn(target, y);
          ctx.logger.debug(
            `target "${target}" is numeric: its values are used as class labels (${(y as CategoricalColumn).dictionary.slice(0, 10).join(", ")})`,
          );
        } else if (problemType === "regression" && y.type === "categorical") {
          throw new DataError({
            message: `target "${target}" is categorical (e.g. "${y.dictionary[0] ?? ""}"), but regression needs a numeric target; fix the data or force the column to numeric in the data connector's \`columns\``,
            code: "wrong_column_type",
            details: { column: target },
          });
        }

        // ---- rows with a missing target
        const n0 = table.numRows;
        const present = new Uint8Array(n0);
        let nPresent = 0;
        for (let i = 0; i < n0; i++) {
          const miss = y.type === "numeric" ? Number.isNaN(y.values[i]!) : y.codes[i]! < 0;
          if (!miss) {
            present[i] = 1;
            nPresent++;
          }
        }
        if (nPresent === 0) {
          throw new DataError({
            message: `target column "${target}" has no non-missing value in ${n0} rows`,
            code: "missing_target",
            details: { column: target },
          });
        }
        if (nPresent < n0) {
          ctx.logger.warn(`dropped ${n0 - nPresent} of ${n0} rows with a missing target "${target}"`, {
            column: target,
            dropped: n0 - nPresent,
          });
          table = table.filter(present);
          y = table.column(target);
        }
        const n = table.numRows;

        // ---- assign rows to parts
        const parts: number[][] = [[], [], []];
        const rng = createRng(seed);
        const parts3 = ratios.length;
        const tooFew = (counts: number[], rows: number): never => {
          const empty = counts.indexOf(0);
          throw new DataError({
            message: `too few rows for the split: ${rows} row(s) with split_ratio [${ratios.join(", ")}] leave the ${PART_NAMES[empty]} split empty; use more data or change split_ratio`,
            code: "too_few_rows",
            details: { rows, split_ratio: ratios },
          });
        };

        if (method === "random") {
          const counts = allocate(n, ratios);
          if (counts.some((c) => c === 0)) tooFew(counts, n);
          const perm = shuffleInPlace(
            Int32Array.from({ length: n }, (_, i) => i),
            rng,
          );
          let off = 0;
          counts.forEach((c, p) => {
            for (let k = off; k < off + c; k++) parts[p]!.push(perm[k]!);
            off += c;
          });
        } else if (method === "stratified") {
          if (y.type !== "categorical") {
            throw new DataError({
              message: `method stratified needs a categorical target, but "${target}" is numeric; use method random for regression`,
              code: "wrong_column_type",
              details: { column: target },
            });
          }
          const byClass: number[][] = y.dictionary.map(() => []);
          for (let i = 0; i < n; i++) byClass[y.codes[i]!]!.push(i);
          const pooled: number[] = [];
          const small: string[] = [];
          byClass.forEach((rows, c) => {
            if (rows.length === 0) return;
            if (rows.length < 2) {
              small.push(y.type === "categorical" ? y.dictionary[c]! : String(c));
              pooled.push(rows[0]!);
              return;
            }
            shuffleInPlace(rows, rng);
            const counts = allocate(rows.length, ratios);
            let off = 0;
            counts.forEach((k, p) => {
              for (let j = off; j < off + k; j++) parts[p]!.push(rows[j]!);
              off += k;
            });
          });
          if (small.length) {
            ctx.logger.warn(
              `stratified split: class${small.length > 1 ? "es" : ""} ${small.map((s) => `"${s}"`).join(", ")} of "${target}" ha${small.length > 1 ? "ve" : "s"} fewer than 2 rows; ${small.length > 1 ? "they are" : "it is"} assigned at random`,
              { classes: small },
            );
            shuffleInPlace(pooled, rng);
            for (const row of pooled) {
              const r = rng();
              let acc = 0;
              let p = 0;
              for (; p < ratios.length - 1; p++) {
                acc += ratios[p]!;
                if (r < acc) break;
              }
              parts[p]!.push(row);
            }
          }
          const counts = parts.slice(0, parts3).map((p) => p.length);
          if (counts.some((c) => c === 0)) tooFew(counts, n);
          for (const p of parts) shuffleInPlace(p, rng);
        } else if (method === "column") {
          const col = table.column(splitColumn!);
          const bad = new Map<string, number>();
          for (let i = 0; i < n; i++) {
            const raw =
              col.type === "categorical"
                ? col.codes[i]! < 0
                  ? undefined
                  : col.dictionary[col.codes[i]!]
                : Number.isNaN(col.values[i]!)
                  ? undefined
                  : String(col.values[i]);
            const v = raw?.trim().toLowerCase();
            const p = v === "train" ? 0 : v === "valid" || v === "validation" ? 1 : v === "test" ? 2 : -1;
            if (p < 0) bad.set(raw ?? "(missing)", (bad.get(raw ?? "(missing)") ?? 0) + 1);
            else parts[p]!.push(i);
          }
          if (bad.size) {
            const shown = [...bad].slice(0, 5).map(([v, c]) => `"${v}" (${c} rows)`);
            throw new DataError({
              message: `split_column "${splitColumn}" must hold train, valid or test in every row; found ${shown.join(", ")}`,
              code: "bad_split_column",
              details: { column: splitColumn },
            });
          }
          if (parts[0]!.length === 0 || parts[1]!.length === 0) {
            throw new DataError({
              message: `split_column "${splitColumn}" gives ${parts[0]!.length} train and ${parts[1]!.length} valid rows; both need at least one`,
              code: "too_few_rows",
            });
          }
        } else {
          const col = table.column(timeColumn!);
          if (col.type !== "numeric") {
            throw new DataError({
              message: `time_column "${timeColumn}" is categorical; it must be numeric or datetime (force it with the data connector's columns: {${timeColumn}: datetime})`,
              code: "wrong_column_type",
              details: { column: timeColumn },
            });
          }
          let missing = 0;
          for (let i = 0; i < n; i++) if (Number.isNaN(col.values[i]!)) missing++;
          if (missing) {
            throw new DataError({
              message: `time_column "${timeColumn}" has ${missing} missing value(s); rows cannot be ordered in time`,
              code: "missing_values",
              details: { column: timeColumn },
            });
          }
          const order = Int32Array.from({ length: n }, (_, i) => i).sort(
            (a, b) => col.values[a]! - col.values[b]! || a - b,
          );
          const counts = allocate(n, ratios);
          if (counts.some((c) => c === 0)) tooFew(counts, n);
          let off = 0;
          counts.forEach((c, p) => {
            for (let k = off; k < off + c; k++) parts[p]!.push(order[k]!);
            off += c;
          });
        }

        ctx.lineage.recordSeed(ctx.path, seed);

        // ---- roles and outputs
        let out = table;
        const removed = [
          ...drops,
          ...(method === "column" && splitColumn && splitColumn !== target && splitColumn !== index
            ? [splitColumn]
            : []),
        ];
        if (removed.length) out = out.drop([...new Set(removed)]);
        const roles: Record<string, ColumnRole> = {};
        for (const name of out.columnNames)
          roles[name] = name === target ? "target" : name === index ? "index" : "feature";
        out = out.withRoles(roles);
        const withTest = method === "column" ? parts[2]!.length > 0 : ratios.length === 3;
        const splits: DataSplits = {
          train: out.take(parts[0]!),
          valid: out.take(parts[1]!),
          ...(withTest ? { test: out.take(parts[2]!) } : {}),
        };
        ctx.logger.info(
          `split ${n} rows (${method}, seed ${seed}): train ${splits.train.numRows}, valid ${splits.valid.numRows}${splits.test ? `, test ${splits.test.numRows}` : ""}`,
          {
            method,
            seed,
            train: splits.train.numRows,
            valid: splits.valid.numRows,
            test: splits.test?.numRows,
          },
        );
        return splits;
      },
    } satisfies DataSplitter;
  },
});
