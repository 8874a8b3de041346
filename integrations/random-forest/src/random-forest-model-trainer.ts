/**
 * RandomForestModelTrainer: random forests for classification and regression, with two engines:
 *
 * - `histogram` (default): binned features, histogram split search, trees fitted in parallel on
 *   worker threads; for thousands to millions of rows (`random-forest-histogram-engine.ts`);
 * - `ml-random-forest`: the earlier pure-JS library, kept for compatibility and for models saved
 *   with it; small data only (`random-forest-ml-engine.ts`).
 *
 * `load` reads `model.json` and restores the model with the engine that wrote it, whatever engine
 * the trainer is configured with.
 */
import {
  type ComponentContext,
  checkProblemType,
  defineComponent,
  type FitInput,
  type ModelTrainer,
  pickSeed,
  readSavedModelFile,
  type TrainedModel,
} from "@lolpop/core";
import { checkRandomForestConfig, checkTrainerConfig } from "./random-forest-config-checks.js";
import {
  checkAborted,
  MODEL_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  prepareFitData,
} from "./random-forest-data.js";
import {
  fitHistogramForest,
  type HistogramModelFile,
  loadHistogramForest,
  resolveJobs,
} from "./random-forest-histogram-engine.js";
import { fitMlForest, loadMlForest, type RandomForestModelFile } from "./random-forest-ml-engine.js";
import {
  checkEngineParams,
  DEFAULT_ENGINE,
  DEFAULT_SEED,
  RANDOM_FOREST_TRAINER_TYPE,
  type RandomForestTrainerConfig,
  randomForestConfigSchema,
  resolveTrainingParams,
} from "./random-forest-params.js";

/** The model with the configured scoring engine (`scoring_engine: onnx` predicts through onnxruntime-node). */
async function scored(
  ctx: ComponentContext<RandomForestTrainerConfig>,
  model: TrainedModel,
): Promise<TrainedModel> {
  if ((ctx.config.scoring_engine ?? "lolpop") === "lolpop") return model;
  const { withOnnxScoring } = await import("@lolpop/onnx");
  return withOnnxScoring(model);
}

async function fit(ctx: ComponentContext<RandomForestTrainerConfig>, input: FitInput): Promise<TrainedModel> {
  const path = ctx.path;
  checkAborted([input.signal, ctx.signal], path);
  const problem = input.problem_type;
  checkProblemType(problem);
  const resolved = resolveTrainingParams(ctx.config.training_params, input.params, path);
  const seed = pickSeed(resolved.seed, input.seed, ctx.config.seed, DEFAULT_SEED);
  const engine = resolved.engine ?? ctx.config.engine ?? DEFAULT_ENGINE;
  checkEngineParams(engine, resolved.params, problem, path);
  const data = prepareFitData(input);
  if (engine === "ml-random-forest") return fitMlForest(ctx, input, data, resolved.params, seed);
  const nJobs = resolveJobs(resolved.n_jobs !== undefined ? resolved.n_jobs : ctx.config.n_jobs);
  return fitHistogramForest(ctx, input, data, resolved.params, seed, nJobs);
}

async function load(ctx: ComponentContext<RandomForestTrainerConfig>, dir: string): Promise<TrainedModel> {
  const {
    file,
    data,
    invalid: corrupt,
  } = await readSavedModelFile<{ engine: string }>(dir, {
    fileName: MODEL_FILE,
    trainer: RANDOM_FOREST_TRAINER_TYPE,
    package: "@lolpop/random-forest",
    format: MODEL_FORMAT,
    maxVersion: MODEL_FORMAT_VERSION,
  });
  // Files written before engines existed have no "engine": they are ml-random-forest models.
  const engine = data.engine ?? "ml-random-forest";
  if (engine === "ml-random-forest")
    return loadMlForest(ctx, file, data as Partial<RandomForestModelFile>, corrupt);
  if (engine === "histogram")
    return loadHistogramForest(
      dir,
      data as Partial<HistogramModelFile>,
      corrupt,
      resolveJobs(ctx.config.n_jobs),
    );
  return corrupt(`unknown engine ${JSON.stringify(engine)}; upgrade @lolpop/random-forest`);
}

/**
 * `model_trainer` RandomForestModelTrainer: random forests for classification and regression.
 * Engine `histogram` (default) or `ml-random-forest`; see {@link randomForestConfigSchema}.
 */
export const randomForestModelTrainer = defineComponent<"model_trainer", RandomForestTrainerConfig>({
  kind: "model_trainer",
  type: RANDOM_FOREST_TRAINER_TYPE,
  description:
    "Random forests for classification and regression (histogram engine on worker threads by default; ml-random-forest for compatibility)",
  configSchema: randomForestConfigSchema as unknown as Record<string, unknown>,
  // Bad training_params are config errors that validation finds (and create too, for direct use).
  checkConfig: checkRandomForestConfig,
  create: (ctx): ModelTrainer => {
    checkTrainerConfig(ctx.config, ctx.path);
    return {
      fit: async (input) => scored(ctx, await fit(ctx, input)),
      load: async (dir) => scored(ctx, await load(ctx, dir)),
    };
  },
});
