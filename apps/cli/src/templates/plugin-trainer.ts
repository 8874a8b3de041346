/** Source of the example component of `lolpop create plugin`: a k-nearest-neighbours trainer. */

/** `src/<file>.ts` of the example trainer. */
export function trainerSource(args: { type: string; exportName: string; packageName: string }): string {
  const { type, exportName, packageName } = args;
  return `/**
 * ${type}: k-nearest-neighbours models for classification (majority vote) and regression (mean of
 * the neighbours' targets). Features are standardized with the training means and deviations;
 * missing values (NaN) are replaced by the training mean. The model keeps its training rows.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ClassificationPredictions,
  type Column,
  cellValue,
  type ComponentContext,
  defineComponent,
  type FitInput,
  type ModelTrainer,
  type Predictions,
  type ProblemType,
  type RegressionPredictions,
  type Table,
  type TrainedModel,
} from "@lolpop/core";

/** Type name used in lolpop.yaml. */
export const ${exportName.toUpperCase()}_TYPE = "${type}";
/** File written by \`TrainedModel.save\`. */
export const MODEL_FILE = "model.json";
const FORMAT = "${packageName}/knn";

/** Config of ${type} (the \`config:\` of its section). */
export interface ${type}Config {
  /** Number of neighbours. */
  k: number;
  /** \`uniform\`: every neighbour counts the same; \`distance\`: closer neighbours count more. */
  weights: "uniform" | "distance";
}

/** JSON Schema of the config: defaults are applied before \`create\` runs. */
export const ${exportName}ConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    k: {
      type: "integer",
      minimum: 1,
      default: 5,
      description: "Number of neighbours that vote (classification) or are averaged (regression).",
    },
    weights: {
      enum: ["uniform", "distance"],
      default: "uniform",
      description: "uniform: every neighbour counts the same; distance: a neighbour counts 1 / distance.",
    },
  },
};

interface ModelState {
  format: string;
  format_version: 1;
  problem_type: ProblemType;
  k: number;
  weights: "uniform" | "distance";
  feature_names: string[];
  classes?: string[];
  means: number[];
  scales: number[];
  /** Standardized training rows, row-major. */
  points: number[];
  /** Class index (classification) or value (regression) per training row. */
  targets: number[];
}

function params(config: ${type}Config, override: Record<string, unknown> | undefined, path: string) {
  const merged = { ...config, ...override };
  if (!Number.isInteger(merged.k) || (merged.k as number) < 1)
    throw new Error(\`\${path}: k must be an integer >= 1 (got \${JSON.stringify(merged.k)})\`);
  if (merged.weights !== "uniform" && merged.weights !== "distance")
    throw new Error(\`\${path}: weights must be "uniform" or "distance" (got \${JSON.stringify(merged.weights)})\`);
  return { k: merged.k as number, weights: merged.weights as "uniform" | "distance" };
}

function matrix(X: Table, names: string[], means: number[], scales: number[]): Float64Array {
  const n = X.numRows;
  const d = names.length;
  const out = new Float64Array(n * d);
  names.forEach((name, j) => {
    if (!X.has(name)) throw new Error(\`column "\${name}" is missing: predict needs the training features\`);
    const col = X.column(name);
    if (col.type !== "numeric")
      throw new Error(\`feature "\${name}" is not numeric: encode it first (a feature_transformer does)\`);
    for (let i = 0; i < n; i++) {
      const v = col.values[i];
      out[i * d + j] = ((Number.isNaN(v) ? means[j] : v) - means[j]) / scales[j];
    }
  });
  return out;
}

function targets(y: Column, problem: ProblemType, classes: string[] | undefined): number[] {
  const n = y.type === "numeric" ? y.values.length : y.codes.length;
  const out: number[] = new Array(n);
  if (problem === "regression") {
    if (y.type !== "numeric") throw new Error("regression needs a numeric target");
    for (let i = 0; i < n; i++) out[i] = y.values[i];
    return out;
  }
  const index = new Map((classes ?? []).map((c, i) => [c, i]));
  for (let i = 0; i < n; i++) {
    const label = cellValue(y, i);
    const k = label === null ? undefined : index.get(String(label));
    if (k === undefined) throw new Error(\`target row \${i} has label \${JSON.stringify(label)}, which is not in classes\`);
    out[i] = k;
  }
  return out;
}

function model(state: ModelState): TrainedModel {
  const d = state.feature_names.length;
  const rows = state.targets.length;
  const points = Float64Array.from(state.points);
  const k = Math.min(state.k, rows);
  const neighbours = (q: Float64Array, i: number) => {
    const dist = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const diff = q[i * d + j] - points[r * d + j];
        s += diff * diff;
      }
      dist[r] = Math.sqrt(s);
    }
    const order = Array.from({ length: rows }, (_, r) => r).sort((a, b) => dist[a] - dist[b] || a - b);
    return order.slice(0, k).map((r) => ({
      r,
      w: state.weights === "distance" ? 1 / Math.max(dist[r], 1e-12) : 1,
    }));
  };
  return {
    trainer: ${exportName.toUpperCase()}_TYPE,
    problem_type: state.problem_type,
    params: { k: state.k, weights: state.weights },
    feature_names: [...state.feature_names],
    ...(state.classes ? { classes: [...state.classes] } : {}),
    async predict(X: Table): Promise<Predictions> {
      const q = matrix(X, state.feature_names, state.means, state.scales);
      const n = X.numRows;
      if (state.problem_type === "regression") {
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          let sum = 0;
          let weight = 0;
          for (const { r, w } of neighbours(q, i)) {
            sum += w * state.targets[r];
            weight += w;
          }
          values[i] = sum / weight;
        }
        return { problem_type: "regression", values } satisfies RegressionPredictions;
      }
      const classes = state.classes ?? [];
      const c = classes.length;
      const labels = new Int32Array(n);
      const proba = new Float64Array(n * c);
      for (let i = 0; i < n; i++) {
        let weight = 0;
        for (const { r, w } of neighbours(q, i)) {
          proba[i * c + state.targets[r]] += w;
          weight += w;
        }
        let best = 0;
        for (let j = 0; j < c; j++) {
          proba[i * c + j] /= weight;
          if (proba[i * c + j] > proba[i * c + best]) best = j;
        }
        labels[i] = best;
      }
      return { problem_type: "classification", classes: [...classes], labels, proba } satisfies ClassificationPredictions;
    },
    async save(dir: string): Promise<void> {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, MODEL_FILE), JSON.stringify(state));
    },
  };
}

async function fit(ctx: ComponentContext<${type}Config>, input: FitInput): Promise<TrainedModel> {
  const p = params(ctx.config, input.params, ctx.path);
  const names = input.X.columnNames;
  if (input.X.numRows === 0) throw new Error(\`\${ctx.path}: cannot fit on an empty table\`);
  if (names.length === 0) throw new Error(\`\${ctx.path}: the table has no feature columns\`);
  const classes =
    input.problem_type === "classification"
      ? (input.classes ?? (input.y.type === "categorical" ? [...input.y.dictionary] : undefined))
      : undefined;
  if (input.problem_type === "classification" && (!classes || classes.length === 0))
    throw new Error(\`\${ctx.path}: classification needs FitInput.classes or a categorical target\`);
  const means: number[] = [];
  const scales: number[] = [];
  for (const name of names) {
    const col = input.X.column(name);
    if (col.type !== "numeric")
      throw new Error(\`\${ctx.path}: feature "\${name}" is not numeric: encode it first (a feature_transformer does)\`);
    let sum = 0;
    let count = 0;
    for (const v of col.values) {
      if (Number.isNaN(v)) continue;
      sum += v;
      count++;
    }
    const mean = count ? sum / count : 0;
    let sq = 0;
    for (const v of col.values) if (!Number.isNaN(v)) sq += (v - mean) ** 2;
    means.push(mean);
    scales.push(count > 1 && sq > 0 ? Math.sqrt(sq / count) : 1);
  }
  const state: ModelState = {
    format: FORMAT,
    format_version: 1,
    problem_type: input.problem_type,
    k: p.k,
    weights: p.weights,
    feature_names: names,
    ...(classes ? { classes } : {}),
    means,
    scales,
    points: Array.from(matrix(input.X, names, means, scales)),
    targets: targets(input.y, input.problem_type, classes),
  };
  ctx.logger.debug(\`fitted on \${input.X.numRows} rows, \${names.length} features (k=\${p.k})\`);
  return model(state);
}

async function load(dir: string): Promise<TrainedModel> {
  const state = JSON.parse(await readFile(join(dir, MODEL_FILE), "utf8")) as ModelState;
  if (state.format !== FORMAT || state.format_version !== 1)
    throw new Error(\`\${join(dir, MODEL_FILE)} is not a ${type} model (format \${state.format})\`);
  return model(state);
}

/** The ${type} component. */
export const ${exportName} = defineComponent<"model_trainer", ${type}Config>({
  kind: "model_trainer",
  type: ${exportName.toUpperCase()}_TYPE,
  description: "k-nearest-neighbours classifier and regressor",
  configSchema: ${exportName}ConfigSchema,
  create: (ctx): ModelTrainer => {
    params(ctx.config, undefined, ctx.path);
    return { fit: (input) => fit(ctx, input), load };
  },
});
`;
}
