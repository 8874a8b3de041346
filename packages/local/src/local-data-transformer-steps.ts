/**
 * LocalDataTransformer's declarative `steps` (drop, rename, cast, derive, filter, dropna): their
 * JSON Schema, their compilation (expressions parsed once, every syntax error reported at its YAML
 * path) and applying one step to a table. A filter keeps the rows where the condition is true
 * (missing counts as false).
 */
import {
  asCategorical,
  type Column,
  type ComponentContext,
  ConfigError,
  DataError,
  type Table,
} from "@lolpop/core";
import {
  ExpressionError,
  type ExprNode,
  evaluateExpression,
  parseExpression,
  pointAt,
} from "./local-data-transformer-expression.js";

/** Types a `cast` step converts to. */
export type CastType = "numeric" | "categorical" | "bool";

/** One declarative step (a one-key object, as written in YAML). */
export type TransformStep =
  | { drop: string[] }
  | { rename: Record<string, string> }
  | { cast: Record<string, CastType> }
  | { derive: { name: string; expr: string } }
  | { filter: string }
  | { dropna: string[] };

/** A step ready to apply: its expressions parsed. */
export type CompiledStep =
  | { kind: "drop"; index: number; columns: string[] }
  | { kind: "rename"; index: number; mapping: Record<string, string> }
  | { kind: "cast"; index: number; casts: Record<string, CastType> }
  | { kind: "derive"; index: number; name: string; expr: string; tree: ExprNode }
  | { kind: "filter"; index: number; expr: string; tree: ExprNode }
  | { kind: "dropna"; index: number; columns: string[] };

/**
 * Compiles the configured steps, parsing every expression once.
 * @param configPath YAML path of the component's `config`, for issue paths.
 * @throws ConfigError with every expression that does not parse, each at its YAML path.
 */
export function compileSteps(steps: readonly TransformStep[], configPath: string): CompiledStep[] {
  const issues: Array<{ code: string; path: string; message: string }> = [];
  const out: CompiledStep[] = [];
  steps.forEach((step, index) => {
    const [kind] = Object.keys(step);
    const where = `steps[${index}] (${kind})`;
    const parse = (expr: string, yamlPath: string): ExprNode | undefined => {
      try {
        return parseExpression(expr);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        issues.push({
          code: "invalid_expression",
          path: yamlPath,
          message: `${where}: ${e.message} at column ${e.position + 1} of the expression:${pointAt(expr, e.position)}`,
        });
        return undefined;
      }
    };
    if ("drop" in step) out.push({ kind: "drop", index, columns: step.drop });
    else if ("rename" in step) out.push({ kind: "rename", index, mapping: step.rename });
    else if ("cast" in step) out.push({ kind: "cast", index, casts: step.cast });
    else if ("dropna" in step) out.push({ kind: "dropna", index, columns: step.dropna });
    else if ("derive" in step) {
      const tree = parse(step.derive.expr, `${configPath}.steps.${index}.derive.expr`);
      if (tree) out.push({ kind: "derive", index, name: step.derive.name, expr: step.derive.expr, tree });
    } else if ("filter" in step) {
      const tree = parse(step.filter, `${configPath}.steps.${index}.filter`);
      if (tree) out.push({ kind: "filter", index, expr: step.filter, tree });
    }
  });
  if (issues.length) throw new ConfigError({ issues });
  return out;
}

function stepError(step: CompiledStep, message: string, details: Record<string, unknown> = {}): DataError {
  return new DataError({
    message: `data_transformer steps[${step.index}] (${step.kind}): ${message}`,
    code: "transform_step_failed",
    details: { step: step.index, ...details },
  });
}

function requireColumns(step: CompiledStep, table: Table, names: readonly string[]): void {
  const missing = names.filter((c) => !table.has(c));
  if (missing.length) {
    throw stepError(
      step,
      `no column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} (columns: ${table.columnNames.join(", ")})`,
      { columns: missing },
    );
  }
}

function castColumn(step: CompiledStep, name: string, col: Column, to: CastType): Column {
  if (to === "categorical") {
    if (col.type === "categorical") return col;
    return asCategorical(col);
  }
  if (col.type === "numeric") {
    if (to === "numeric")
      return { type: "numeric", values: col.values, logical: col.logical === "bool" ? "float" : col.logical };
    const out = new Float64Array(col.values.length);
    for (let i = 0; i < out.length; i++)
      out[i] = Number.isNaN(col.values[i]!) ? Number.NaN : col.values[i] ? 1 : 0;
    return { type: "numeric", values: out, logical: "bool" };
  }
  const parsed = col.dictionary.map((d) => {
    const s = d.trim();
    if (to === "numeric")
      return /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) ? Number(s) : Number.NaN;
    const l = s.toLowerCase();
    return l === "true" || l === "yes" || l === "1"
      ? 1
      : l === "false" || l === "no" || l === "0"
        ? 0
        : Number.NaN;
  });
  const used = new Uint8Array(col.dictionary.length);
  for (const c of col.codes) if (c >= 0) used[c] = 1;
  const bad = col.dictionary.filter((_, j) => used[j] && !Number.isFinite(parsed[j]!));
  if (bad.length) {
    const shown = bad
      .slice(0, 5)
      .map((b) => `"${b}"`)
      .join(", ");
    throw stepError(
      step,
      `column "${name}" cannot be cast to ${to}: ${bad.length} value(s) do not convert, e.g. ${shown}. Map them to missing with the connector's na_values first.`,
      {
        column: name,
      },
    );
  }
  const out = new Float64Array(col.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = col.codes[i]! < 0 ? Number.NaN : parsed[col.codes[i]!]!;
  return { type: "numeric", values: out, logical: to === "bool" ? "bool" : "float" };
}

/** Applies one step to `table` (never mutated). @throws DataError naming the step. */
export function applyStep(step: CompiledStep, table: Table, ctx: Pick<ComponentContext, "logger">): Table {
  switch (step.kind) {
    case "drop":
      requireColumns(step, table, step.columns);
      return table.drop(step.columns);
    case "rename": {
      requireColumns(step, table, Object.keys(step.mapping));
      const targets = Object.values(step.mapping);
      const clash = targets.find(
        (t, i) => targets.indexOf(t) !== i || (table.has(t) && !(t in step.mapping)),
      );
      if (clash)
        throw stepError(
          step,
          `renaming makes two columns named "${clash}"; drop or rename the existing one first`,
          { column: clash },
        );
      return table.rename(step.mapping);
    }
    case "cast": {
      requireColumns(step, table, Object.keys(step.casts));
      let t = table;
      for (const [name, to] of Object.entries(step.casts))
        t = t.withColumn(name, castColumn(step, name, t.column(name), to));
      return t;
    }
    case "derive": {
      const col = evaluate(step, step.expr, step.tree, table);
      return table.withColumn(step.name, col);
    }
    case "filter": {
      const col = evaluate(step, step.expr, step.tree, table);
      if (col.type !== "numeric")
        throw stepError(step, `the condition "${step.expr}" gives text, a true/false condition was expected`);
      const mask = new Uint8Array(table.numRows);
      let kept = 0;
      for (let i = 0; i < mask.length; i++) {
        const v = col.values[i]!;
        if (!Number.isNaN(v) && v !== 0) {
          mask[i] = 1;
          kept++;
        }
      }
      ctx.logger.info(`steps[${step.index}] filter "${step.expr}" kept ${kept} of ${table.numRows} rows`);
      return table.filter(mask);
    }
    case "dropna": {
      const names = step.columns.length ? step.columns : table.columnNames;
      requireColumns(step, table, names);
      const cols = names.map((c) => table.column(c));
      const mask = new Uint8Array(table.numRows).fill(1);
      let dropped = 0;
      for (let i = 0; i < mask.length; i++) {
        for (const c of cols) {
          if (c.type === "numeric" ? Number.isNaN(c.values[i]!) : c.codes[i]! < 0) {
            mask[i] = 0;
            dropped++;
            break;
          }
        }
      }
      ctx.logger.info(`steps[${step.index}] dropna dropped ${dropped} of ${table.numRows} rows`, {
        columns: names,
      });
      return dropped ? table.filter(mask) : table;
    }
  }
}

function evaluate(step: CompiledStep, expr: string, tree: ExprNode, table: Table): Column {
  try {
    return evaluateExpression(tree, table);
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    throw stepError(
      step,
      `${e.message} at column ${e.position + 1} of the expression:${pointAt(expr, e.position)}`,
      { position: e.position },
    );
  }
}

/** JSON Schema of one step (an item of the `steps` config key). */
export const STEP_SCHEMA = {
  type: "object",
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
  description: "One step: an object with exactly one of drop, rename, cast, derive, filter, dropna.",
  properties: {
    drop: { type: "array", items: { type: "string" }, minItems: 1, description: "Columns to remove." },
    rename: {
      type: "object",
      additionalProperties: { type: "string", minLength: 1 },
      description: "Columns to rename, {old: new}.",
    },
    cast: {
      type: "object",
      additionalProperties: { enum: ["numeric", "categorical", "bool"] },
      description:
        "Columns to convert, {column: numeric|categorical|bool}; values that do not convert are an error.",
    },
    derive: {
      type: "object",
      additionalProperties: false,
      required: ["name", "expr"],
      description: "Adds (or replaces) column `name` with the value of expression `expr`.",
      properties: {
        name: { type: "string", minLength: 1, description: "Name of the new column." },
        expr: { type: "string", minLength: 1, description: "Expression computing it." },
      },
    },
    filter: {
      type: "string",
      minLength: 1,
      description: "Keeps the rows where this condition is true (missing counts as false).",
    },
    dropna: {
      type: "array",
      items: { type: "string" },
      description: "Drops rows with a missing value in any of these columns (an empty list: any column).",
    },
  },
};
