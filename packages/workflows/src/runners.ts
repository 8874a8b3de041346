import { hostname } from "node:os";
import {
  CancelledError,
  defineRunner,
  isCancellation,
  isProcessAlive,
  type MetadataTracker,
  PartialRunError,
  type ProblemType,
  RUN_TAGS,
  type RunnerContext,
  type RunStatus,
  uncancellable,
} from "@lolpop/core";
import { vName } from "./offline-deploy.js";
import { cachedSteps } from "./step-cache-use.js";
import { SERIES_PROPERTIES } from "./timeseries-train.js";
import type {
  DeployOptions,
  DeployResult,
  EvaluateOptions,
  EvaluateResult,
  PredictResult,
  ProcessResult,
  StageOptions,
  TrainOptions,
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
  /**
   * Why the whole workflow (`all`) did not predict: deploy left no champion (e.g. the version awaits
   * manual approval). Asking for the `predict` step alone still fails.
   */
  predict_skipped?: string;
  evaluate?: EvaluateResult;
  /**
   * Steps whose outputs came from the step cache: step (`process`, `split`, `encode`, `train`) ->
   * the run that computed them. Absent when none was cached.
   */
  cached?: Record<string, string>;
}

/** Options of `run_step` and `build_all`. */
export interface RunStepOptions {
  /** Register the challenger even when an identical version exists (`lolpop run --force`). */
  force?: boolean;
  /** False: take nothing from the step cache (`lolpop run --no-cache`). Default true. */
  cache?: boolean;
}

/** The steps of `run_step`. */
export type WorkflowStep = "process" | "train" | "deploy" | "predict" | "evaluate" | "all";

/** One stage of a run, in the order they run. */
export type WorkflowStage = "process" | "train" | "deploy" | "predict" | "evaluate";

/**
 * The stages `run_step(step)` runs, in order: `process`, `train` (process, train), `deploy` (+
 * deploy), `all` (+ predict when a predict pipeline is configured), `predict` or `evaluate` alone.
 */
export function stagesOf(step: WorkflowStep, hasPredict: boolean): WorkflowStage[] {
  if (step === "evaluate") return ["evaluate"];
  if (step === "predict") return hasPredict ? ["predict"] : [];
  const chain: WorkflowStage[] = ["process", "train", "deploy"];
  if (step === "process") return ["process"];
  if (step === "train") return chain.slice(0, 2);
  if (step === "deploy") return chain;
  return hasPredict ? [...chain, "predict"] : chain;
}

/** How many times a promotion decision is made when the champion keeps changing under it. */
const MAX_DECISIONS = 5;

type Pipe<T> = T & Record<string, unknown>;
interface ProcessPipe {
  process_data(o?: StageOptions & { source?: string }): Promise<ProcessResult>;
}
interface TrainPipe {
  train_model(p: ProcessResult, o?: TrainOptions): Promise<TrainResult>;
  rescore_champion?(t: TrainResult, o?: StageOptions): Promise<TrainResult>;
}
interface DeployPipe {
  deploy_model(t: TrainResult, o?: DeployOptions): Promise<DeployResult>;
}
interface PredictPipe {
  predict_data(o?: StageOptions & { source?: string }): Promise<PredictResult>;
  evaluate_ground_truth(o?: EvaluateOptions): Promise<EvaluateResult>;
}

/**
 * Ends `runId`'s descendants (and the run itself with `self`) that are still RUNNING, with `status`
 * and `tags`. Returns how many were ended.
 */
async function endOpenRuns(
  t: MetadataTracker,
  runId: string,
  status: RunStatus,
  options: { self?: boolean; tags?: Record<string, string> } = {},
): Promise<number> {
  let ended = 0;
  const end = async (id: string) => {
    if (options.tags) await t.log_tags(id, options.tags);
    await t.end_run(id, status);
    ended++;
  };
  const walk = async (parent: string, depth: number): Promise<void> => {
    if (depth > 20) return;
    for (const child of await t.search_runs({ parent_id: parent })) {
      if (child.status === "RUNNING") await end(child.id);
      await walk(child.id, depth + 1);
    }
  };
  await walk(runId, 0);
  if (options.self) await end(runId);
  return ended;
}

function createRunner(ctx: RunnerContext, problemType: ProblemType) {
  const tracker = () => ctx.optionalComponent("metadata_tracker");

  /** Workflow runs left RUNNING by a process of this host that is gone (SIGKILL...) end KILLED, tagged stale. */
  const markStaleRuns = async (t: MetadataTracker): Promise<void> => {
    let candidates: Awaited<ReturnType<MetadataTracker["search_runs"]>>;
    try {
      candidates = await t.search_runs({ tags: { [RUN_TAGS.stage]: "workflow" }, limit: 50 });
    } catch (e) {
      ctx.logger.debug(`could not look for stale runs: ${(e as Error).message}`);
      return;
    }
    const host = hostname();
    for (const r of candidates) {
      const pid = Number(r.tags[RUN_TAGS.pid]);
      if (r.status !== "RUNNING" || r.tags[RUN_TAGS.host] !== host || !pid || pid === process.pid) continue;
      if (isProcessAlive(pid)) continue;
      const why = `process ${pid} on ${host} is gone`;
      const n = await endOpenRuns(t, r.id, "KILLED", { self: true, tags: { [RUN_TAGS.stale]: why } });
      ctx.logger.warn(
        `marked ${n} stale run${n === 1 ? "" : "s"} KILLED: ${r.name} ${r.id} (started ${r.started_at}) was left RUNNING and ${why}`,
      );
    }
  };

  /** Starts the tracked workflow run `name` (after ending stale ones); undefined without a tracker. */
  const beginRun = async (name: string): Promise<{ id: string } | undefined> => {
    const t = tracker();
    if (t) await markStaleRuns(t);
    // Which code and config made the run, as tags that `lolpop runs compare` puts side by side.
    const facts = t ? ctx.lineage.snapshot() : undefined;
    const run = t
      ? await t.start_run({
          name,
          tags: {
            [RUN_TAGS.stage]: "workflow",
            "lolpop.runner": ctx.type,
            [RUN_TAGS.pid]: String(process.pid),
            [RUN_TAGS.host]: hostname(),
            ...(facts
              ? {
                  [RUN_TAGS.configHash]: facts.config_hash,
                  [RUN_TAGS.coreVersion]: facts.core_version,
                  [RUN_TAGS.plugins]: facts.plugins.map((p) => `${p.name}@${p.version}`).join(","),
                  ...(facts.git
                    ? { [RUN_TAGS.gitCommit]: `${facts.git.commit}${facts.git.dirty ? "+dirty" : ""}` }
                    : {}),
                }
              : {}),
          },
        })
      : undefined;
    if (run) ctx.lineage.bindRun(run.id);
    return run ? { id: run.id } : undefined;
  };

  /**
   * Ends the tracked workflow run (FINISHED, FAILED, or KILLED when cancelled, with every run still
   * open under it) after writing lineage.json. Returns the failure to report: `failure`, or the
   * error ending the run raised when there was none.
   */
  const endRun = async (runId: string | undefined, failure: unknown): Promise<unknown> => {
    const t = tracker();
    const cancelled = failure !== undefined && (isCancellation(failure) || ctx.signal.aborted);
    const status = failure === undefined ? "succeeded" : cancelled ? "cancelled" : "failed";
    if (!t || !runId) return failure;
    try {
      await uncancellable(async () => {
        if (failure !== undefined) await endOpenRuns(t, runId, cancelled ? "KILLED" : "FAILED");
        const lineage = { ...ctx.lineage.snapshot(), status, ended_at: new Date().toISOString() };
        await t.log_artifact(runId, "lineage.json", JSON.stringify(lineage, null, 2));
        await t.end_run(runId, status === "succeeded" ? "FINISHED" : cancelled ? "KILLED" : "FAILED");
      });
    } catch (e) {
      if (failure === undefined) return e;
      ctx.logger.error(`could not end the workflow run ${runId}: ${(e as Error).message}`);
    }
    return failure;
  };

  /**
   * Runs `body` in a tracked workflow run and always ends it: FINISHED, FAILED, or KILLED when
   * cancelled (with every run still open under it), after writing lineage.json with the final
   * status, the run's own id and the model versions produced. A failure is rethrown as a
   * {@link PartialRunError} carrying the summary of what was done and the step that failed.
   */
  const withRun = async (
    name: string,
    body: (runId: string | undefined, summary: WorkflowSummary, at: (step: string) => void) => Promise<void>,
  ): Promise<WorkflowSummary> => {
    const run = await beginRun(name);
    const summary: WorkflowSummary = { problem_type: problemType, ...(run ? { run_id: run.id } : {}) };
    let step = "start";
    let failure: unknown;
    try {
      await body(run?.id, summary, (s) => {
        step = s;
      });
    } catch (e) {
      failure = e ?? new Error("unknown failure");
    }
    const reported = await endRun(run?.id, failure);
    if (reported !== undefined && failure === undefined) step = "finish";
    if (reported !== undefined)
      throw new PartialRunError({
        summary: summary as unknown as Record<string, unknown>,
        step,
        cause: reported,
      });
    return summary;
  };

  /**
   * Runs one stage of a run and records its outcome in `summary`; returns the processed data for
   * the stages after `process`. The one place a stage's work is defined: `run_step` calls it for
   * each step through the orchestrator, and remote orchestrators call it (`run_stage`) per step.
   */
  const runStage = async (
    stage: WorkflowStage,
    summary: WorkflowSummary,
    processed: ProcessResult | undefined,
    o: StageOptions,
    options: RunStepOptions,
  ): Promise<ProcessResult | undefined> => {
    const out = await runStageOnly(stage, summary, processed, o, options);
    const cached = cachedSteps(ctx);
    if (Object.keys(cached).length) summary.cached = cached;
    return out;
  };

  const runStageOnly = async (
    stage: WorkflowStage,
    summary: WorkflowSummary,
    processed: ProcessResult | undefined,
    o: StageOptions,
    options: RunStepOptions,
  ): Promise<ProcessResult | undefined> => {
    switch (stage) {
      case "evaluate":
        summary.evaluate = await self.evaluate_ground_truth();
        return processed;
      case "process": {
        const p = await self.process_data(o);
        summary.process = {
          rows: p.dataset.rows,
          columns: p.dataset.columns,
          fingerprint: p.dataset.fingerprint,
          ...(p.check ? { data_check: p.check.status } : {}),
        };
        return p;
      }
      case "train":
        if (!processed) throw new Error("the train step needs the result of the process step");
        summary.train = await self.train_model(processed, {
          ...o,
          ...(options.force ? { force: true } : {}),
        });
        return processed;
      case "deploy":
        if (!summary.train) throw new Error("the deploy step needs the result of the train step");
        summary.deploy = await deploy(summary.train, o, (t) => {
          summary.train = t;
        });
        return processed;
      case "predict": {
        // Deploy ran in this run and left no champion (e.g. the version awaits manual approval):
        // nothing to predict with, which is not a failure of the run. The predict step alone fails.
        const d = summary.deploy;
        if (d && !d.promoted && d.champion_version === undefined && summary.train) {
          const name = summary.train.model_name;
          const awaits = d.reasons.some((r) => r.includes("manual approval required"))
            ? `v${d.version} awaits approval (lolpop models approve ${name} ${d.version})`
            : `v${d.version} was not promoted (${d.reasons.join("; ")})`;
          summary.predict_skipped = `no champion of ${name} yet: ${awaits}`;
          return processed;
        }
        summary.predict = await self.predict_data(o);
        return processed;
      }
    }
  };

  /**
   * Deploys `train`, and when the champion changed before the alias moved (compare-and-set
   * failed), compares with the new champion and decides again (at most {@link MAX_DECISIONS} times).
   */
  const deploy = async (
    train: TrainResult,
    o: StageOptions,
    rescored: (t: TrainResult) => void = () => undefined,
  ): Promise<DeployResult> => {
    const notes: string[] = [];
    let current = train;
    for (let decision = 1; ; decision++) {
      const d = await ctx.pipeline<Pipe<DeployPipe>>("deploy").deploy_model(current, { ...o, notes });
      if (!d.conflict) return d;
      notes.push(
        `the champion changed from ${vName(d.conflict.expected)} to ${vName(d.conflict.actual)} while deciding, so the decision was made again`,
      );
      const trainPipe = ctx.optionalPipeline<Pipe<TrainPipe>>("train");
      const canRescore = typeof trainPipe?.rescore_champion === "function";
      if (decision >= MAX_DECISIONS || !canRescore) {
        const reasons = [
          ...notes,
          canRescore
            ? `the champion kept changing (${MAX_DECISIONS} decisions): not promoted; deploy again`
            : "the comparison cannot be made again without the train pipeline: not promoted; deploy again",
        ];
        const t = tracker();
        if (t && o.run_id)
          await t.log_tags(o.run_id, { promoted: "false", promotion_reasons: reasons.join("; ") });
        const { conflict: _c, ...rest } = d;
        return { ...rest, promoted: false, reasons };
      }
      current = await trainPipe!.rescore_champion!(current, o);
      rescored(current);
    }
  };

  const runner = {
    /** Loads, transforms, tracks and checks the training data. */
    process_data: (o: StageOptions = {}) => ctx.pipeline<Pipe<ProcessPipe>>("process").process_data({ ...o }),
    /** Trains and registers a challenger from processed data. */
    train_model: (p: ProcessResult, o: TrainOptions = {}) =>
      ctx.pipeline<Pipe<TrainPipe>>("train").train_model(p, o),
    /** Applies the promotion policy (deciding again when the champion changes under it). */
    deploy_model: (t: TrainResult, o: StageOptions = {}) => deploy(t, o),
    /** Scores the prediction data with the champion. */
    predict_data: (o: StageOptions = {}) => ctx.pipeline<Pipe<PredictPipe>>("predict").predict_data(o),
    /** Joins predictions with ground truth and logs metrics on the prediction job. */
    evaluate_ground_truth: (o: EvaluateOptions = {}) =>
      ctx.pipeline<Pipe<PredictPipe>>("predict").evaluate_ground_truth(o),
    /**
     * Runs the workflow up to `step`: `process`, `train` (process + train), `deploy` (+ deploy),
     * `predict` (predict only, with the current champion), `evaluate` (the latest prediction job
     * against `predict.config.ground_truth_path`) or `all`. Whatever happens, the workflow run
     * ends (FINISHED, FAILED or KILLED); a failure is a `PartialRunError` with the summary so far.
     */
    run_step: (step: WorkflowStep = "all", options: RunStepOptions = {}): Promise<WorkflowSummary> =>
      withRun(`workflow-${step}`, async (runId, summary, at) => {
        const o = {
          ...(runId ? { run_id: runId } : {}),
          ...(options.cache === false ? { cache: false } : {}),
        };
        let processed: ProcessResult | undefined;
        for (const stage of stagesOf(step, ctx.optionalPipeline("predict") !== undefined)) {
          at(stage);
          processed = await ctx.orchestrator.runStep({
            name: stage,
            ...(runId ? { runId } : {}),
            run: () => runStage(stage, summary, processed, o, options),
          });
        }
      }),
    /**
     * Starts the tracked workflow run of `step` (for orchestrators that run the stages elsewhere);
     * returns its id, or `{}` without a tracker. End it with `end_run`.
     */
    begin_run: async (step: WorkflowStep = "all"): Promise<{ run_id?: string }> => {
      const run = await beginRun(`workflow-${step}`);
      return run ? { run_id: run.id } : {};
    },
    /**
     * Ends a run started with `begin_run`: FINISHED, or FAILED / KILLED (`outcome`) with every run
     * still open under it, after writing lineage.json.
     */
    end_run: async (
      runId: string | undefined,
      outcome: "succeeded" | "failed" | "cancelled",
    ): Promise<void> => {
      const failure =
        outcome === "succeeded"
          ? undefined
          : outcome === "cancelled"
            ? new CancelledError()
            : new Error("failed");
      const reported = await endRun(runId, failure);
      if (reported !== undefined && failure === undefined) throw reported;
    },
    /**
     * Runs one stage of a run started with `begin_run` and returns the summary with its outcome
     * (and the processed data, which the caller stores and hands to the next stage).
     */
    run_stage: async (
      stage: WorkflowStage,
      state: { summary: WorkflowSummary; processed?: ProcessResult; run_id?: string },
      options: RunStepOptions = {},
    ): Promise<{ summary: WorkflowSummary; processed?: ProcessResult }> => {
      const summary = { ...state.summary };
      const o = {
        ...(state.run_id ? { run_id: state.run_id } : {}),
        ...(options.cache === false ? { cache: false } : {}),
      };
      const processed = await runStage(stage, summary, state.processed, o, options);
      return { summary, ...(processed ? { processed } : {}) };
    },
    /** The whole workflow: process, train, deploy, predict. */
    build_all: (options: RunStepOptions = {}): Promise<WorkflowSummary> => self.run_step("all", options),
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
