/** Source of the example component of `lolpop create plugin`: a k-nearest-neighbours trainer. */

/** `src/<file>.ts` of the example trainer. */
export function trainerSource(args: { type: string; exportName: string; packageName: string }): string {
  const { type, exportName, packageName } = args;
  return `/**
 * ${type}: k-nearest-neighbours models for classification (majority vote) and regression (mean of
 * the neighbours' targets). Features are standardized with the training means and deviations;
 * missing values (NaN) are replaced by the training mean. The model keeps its training rows.
 *
 * The checks and builders every trainer needs come from @lolpop/core's component-author kit:
 * mergeTrainingParams (config, then a tuner's params, every problem at its YAML path), fitTarget
 * (problem type, classes, target), checkPredictFeatures, classificationPredictions /
 * regressionPredictions, writeJsonAtomic and readSavedModelFile.
 */
import { join } from "node:path";
import {
  type ComponentContext,
  checkPredictFeatures,
  classificationPredictions,
  defineComponent,
  type FitInput,
  fitTarget,
  mergeTrainingParams,
  type ModelTrainer,
  type Predictions,
  type ProblemType,
  readSavedModelFile,
  regressionPredictions,
  type Table,
  type TrainedModel,
  writeJsonAtomic,
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

/**
 * The parameters of a fit: the config's k and weights, then a hyperparameter tuner's \`params\`
 * (FitInput.params) key by key. A bad tuner value is a ConfigError at \`<path>.params.<key>\`.
 */
function params(config: ${type}Config, override: Record<string, unknown> | undefined, path: string) {
  return mergeTrainingParams(
    {
      trainer: ${exportName.toUpperCase()}_TYPE,
      defaults: { k: config.k, weights: config.weights },
      check: (key, value) => {
        if (key === "k" && !(Number.isInteger(value) && (value as number) >= 1))
          return \`k must be an integer >= 1, got \${JSON.stringify(value)}\`;
        if (key === "weights" && value !== "uniform" && value !== "distance")
          return \`weights must be "uniform" or "distance", got \${JSON.stringify(value)}\`;
        return undefined;
      },
    },
    undefined,
    override,
    path,
  ).params;
}

function matrix(X: Table, names: string[], means: number[], scales: number[]): Float64Array {
  const n = X.numRows;
  const d = names.length;
  const out = new Float64Array(n * d);
  names.forEach((name, j) => {
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
      // A DataError naming the missing and unexpected feature columns.
      checkPredictFeatures(X, state.feature_names, ${exportName.toUpperCase()}_TYPE);
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
        return regressionPredictions(values);
      }
      const classes = state.classes ?? [];
      const c = classes.length;
      const proba = new Float64Array(n * c);
      for (let i = 0; i < n; i++) {
        let weight = 0;
        for (const { r, w } of neighbours(q, i)) {
          proba[i * c + state.targets[r]] += w;
          weight += w;
        }
        for (let j = 0; j < c; j++) proba[i * c + j] /= weight;
      }
      // Labels each row with its most probable class.
      return classificationPredictions(classes, proba, n);
    },
    async save(dir: string): Promise<void> {
      // Temporary file, then rename: a crash never leaves half a model.
      await writeJsonAtomic(join(dir, MODEL_FILE), state);
    },
  };
}

async function fit(ctx: ComponentContext<${type}Config>, input: FitInput): Promise<TrainedModel> {
  const p = params(ctx.config, input.params, ctx.path);
  const names = input.X.columnNames;
  if (input.X.numRows === 0) throw new Error(\`\${ctx.path}: cannot fit on an empty table\`);
  if (names.length === 0) throw new Error(\`\${ctx.path}: the table has no feature columns\`);
  // The problem type checked; the classes (FitInput.classes, else the labels of y) and each row's
  // class index, or the numeric target; DataErrors that name the rows otherwise.
  const { problem, classes, target } = fitTarget(input);
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
    problem_type: problem,
    k: p.k,
    weights: p.weights,
    feature_names: names,
    ...(classes ? { classes } : {}),
    means,
    scales,
    points: Array.from(matrix(input.X, names, means, scales)),
    targets: Array.from(target),
  };
  ctx.logger.debug(\`fitted on \${input.X.numRows} rows, \${names.length} features (k=\${p.k})\`);
  return model(state);
}

async function load(dir: string): Promise<TrainedModel> {
  // StoreErrors naming the file when it is missing, not JSON, of another format or a newer version.
  const { data } = await readSavedModelFile<ModelState>(dir, {
    fileName: MODEL_FILE,
    trainer: ${exportName.toUpperCase()}_TYPE,
    package: "${packageName}",
    format: FORMAT,
    maxVersion: 1,
  });
  return model(data as ModelState);
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
