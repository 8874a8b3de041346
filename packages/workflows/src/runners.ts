import { defineRunner, type ProblemType, type RunnerContext } from "@lolpop/core";
import { SERIES_PROPERTIES } from "./timeseries-train.js";
import type {
  DeployResult,
  EvaluateOptions,
  EvaluateResult,
  PredictResult,
  ProcessResult,
  StageOptions,
  TrainResult,
} from "./types.js";

/** The summary `build_all` returns (and `lolpop run` prints). */
export interface WorkflowSummary {
  problem_type: ProblemType;
  run_id?: string;
  process?: { rows: number; columns: number; fingerprint: string; data_check?: string };
  train?: TrainResult;
  deploy?: DeployResult;
  predict?: PredictResult;
  evaluate?: EvaluateResult;
}

type Pipe<T> = T & Record<string, unknown>;
interface ProcessPipe {
  process_data(o?: StageOptions & { source?: string }): Promise<ProcessResult>;
}
interface TrainPipe {
  train_model(p: ProcessResult, o?: StageOptions): Promise<TrainResult>;
}
interface DeployPipe {
  deploy_model(t: TrainResult, o?: StageOptions): Promise<DeployResult>;
}
interface PredictPipe {
  predict_data(o?: StageOptions & { source?: string }): Promise<PredictResult>;
  evaluate_ground_truth(o?: EvaluateOptions): Promise<EvaluateResult>;
}

function createRunner(ctx: RunnerContext, problemType: ProblemType) {
  const tracker = () => ctx.optionalComponent("metadata_tracker");
  const withRun = async <T>(name: string, fn: (runId?: string) => Promise<T>): Promise<T> => {
    const t = tracker();
    const run = t
      ? await t.start_run({ name, tags: { "lolpop.stage": "workflow", "lolpop.runner": ctx.type } })
      : undefined;
    try {
      const out = await fn(run?.id);
      if (t && run) {
        await t.log_artifact(run.id, "lineage.json", JSON.stringify(ctx.lineage.snapshot(), null, 2));
        await t.end_run(run.id, "FINISHED");
      }
      return out;
    } catch (e) {
      if (t && run) await t.end_run(run.id, ctx.signal.aborted ? "KILLED" : "FAILED").catch(() => undefined);
      throw e;
    }
  };
  const runner = {
    /** Loads, transforms, tracks and checks the training data. */
    process_data: (o: StageOptions = {}) => ctx.pipeline<Pipe<ProcessPipe>>("process").process_data({ ...o }),
    /** Trains and registers a challenger from processed data. */
    train_model: (p: ProcessResult, o: StageOptions = {}) =>
      ctx.pipeline<Pipe<TrainPipe>>("train").train_model(p, o),
    /** Applies the promotion policy. */
    deploy_model: (t: TrainResult, o: StageOptions = {}) =>
      ctx.pipeline<Pipe<DeployPipe>>("deploy").deploy_model(t, o),
    /** Scores the prediction data with the champion. */
    predict_data: (o: StageOptions = {}) => ctx.pipeline<Pipe<PredictPipe>>("predict").predict_data(o),
    /** Joins predictions with ground truth and logs metrics on the prediction job. */
    evaluate_ground_truth: (o: EvaluateOptions = {}) =>
      ctx.pipeline<Pipe<PredictPipe>>("predict").evaluate_ground_truth(o),
    /**
     * Runs the workflow up to `step`: `process`, `train` (process + train), `deploy` (+ deploy),
     * `predict` (predict only, with the current champion), `evaluate` (the latest prediction job
     * against `predict.config.ground_truth_path`) or `all`.
     */
    run_step: (
      step: "process" | "train" | "deploy" | "predict" | "evaluate" | "all" = "all",
    ): Promise<WorkflowSummary> =>
      withRun(`workflow-${step}`, async (runId) => {
        const summary: WorkflowSummary = { problem_type: problemType, ...(runId ? { run_id: runId } : {}) };
        const o = runId ? { run_id: runId } : {};
        if (step === "evaluate") {
          summary.evaluate = await self.evaluate_ground_truth();
          return summary;
        }
        if (step !== "predict") {
          const processed = await self.process_data(o);
          summary.process = {
            rows: processed.dataset.rows,
            columns: processed.dataset.columns,
            fingerprint: processed.dataset.fingerprint,
            ...(processed.check ? { data_check: processed.check.status } : {}),
          };
          if (step === "process") return summary;
          summary.train = await self.train_model(processed, o);
          if (step === "train") return summary;
          summary.deploy = await self.deploy_model(summary.train, o);
          if (step === "deploy") return summary;
        }
        if (ctx.optionalPipeline("predict")) summary.predict = await self.predict_data(o);
        return summary;
      }),
    /** The whole workflow: process, train, deploy, predict. */
    build_all: (): Promise<WorkflowSummary> => self.run_step("all"),
  };
  // Calls between runner methods go through the wrapped instance only when made from outside;
  // internally `self` is the plain object.
  const self = runner;
  return runner;
}

const runnerSchema = {
  type: "object",
  additionalProperties: false,
  required: ["target"],
  properties: {
    target: { type: "string", description: "Target column, visible to every pipeline and component." },
    index: { type: "string", description: "Index column, used to join predictions with ground truth." },
    model_name: { type: "string", default: "model", description: "Registered model name." },
  },
};

/** `ClassificationRunner`: the standard workflow for classification. */
export const classificationRunner = defineRunner({
  type: "ClassificationRunner",
  description: "Process, train, deploy and predict for classification.",
  problemType: "classification",
  requiresPipelines: ["process", "train", "deploy"],
  configSchema: runnerSchema,
  create: (ctx) => createRunner(ctx, "classification"),
});

/** `RegressionRunner`: the standard workflow for regression. */
export const regressionRunner = defineRunner({
  type: "RegressionRunner",
  description: "Process, train, deploy and predict for regression.",
  problemType: "regression",
  requiresPipelines: ["process", "train", "deploy"],
  configSchema: runnerSchema,
  create: (ctx) => createRunner(ctx, "regression"),
});

/** `TimeSeriesRunner`: the standard workflow for forecasting many series. */
export const timeSeriesRunner = defineRunner({
  type: "TimeSeriesRunner",
  description:
    "Process, train (time-ordered splits, rolling-origin backtesting, seasonal naive baseline), deploy and forecast the next horizon of every series.",
  problemType: "timeseries",
  requiresPipelines: ["process", "train", "deploy"],
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["target", "time", "horizon"],
    properties: SERIES_PROPERTIES,
  },
  create: (ctx) => createRunner(ctx, "timeseries"),
});
