/**
 * The activities of a lolpop run: each builds the workflow from the config (the same config file,
 * seen by every worker at the same path) and calls one runner method: `begin_run`, `run_stage` for
 * one stage, `end_run`. A stage heartbeats while it works, so a dead worker is noticed within the
 * step's `heartbeat_timeout` and the stage retried elsewhere; Temporal's cancellation reaches the
 * stage as the workflow's abort signal.
 *
 * A retried stage is safe: the processed data is written under its content hash (a retry writes the
 * same file) and the train stage registers a version only when no identical one (same data, config
 * and seeds) exists, so a retried train finds the version the killed attempt registered.
 */
import { join } from "node:path";
import type { LoadedProject, Logger, Orchestrator } from "@lolpop/core";
import { stagesOf, type WorkflowStep } from "@lolpop/workflows";
import { ApplicationFailure, Context } from "@temporalio/activity";
import type { Client } from "@temporalio/client";
import { stepFailure } from "./temporal-failure.js";
import { loadStepData, saveStepData } from "./temporal-step-data.js";
import { temporalTrialsOrchestrator } from "./temporal-trials.js";
import {
  FAILURE_TYPES,
  type LolpopActivities,
  type RunStageInput,
  type RunStageOutput,
} from "./temporal-workflow-types.js";

/** What the activities need from their host (the `lolpop worker` command). */
export interface ActivityHost {
  /** Loads and validates the project of a config file, with its plugins. */
  openProject(configFile: string): Promise<LoadedProject>;
  logger: Logger;
  /** The worker's identity (recorded with each trial it runs). */
  identity: string;
  /** The worker's task queue and a client, to fan a tuner's trials out; without them trials run in the step. */
  trials?: { taskQueue: string; client: () => Promise<Client> };
}

/** Heartbeat period: a third of the heartbeat timeout, at most 5 s. */
function heartbeatEvery(ctx: Context): number {
  const t = ctx.info.heartbeatTimeoutMs;
  return Math.max(200, Math.min(5000, t ? Math.floor(t / 3) : 5000));
}

/** The activities a worker registers. */
export function createActivities(host: ActivityHost): LolpopActivities {
  const build = async (
    configFile: string,
    runId: string,
    signal?: AbortSignal,
    orchestrator?: Orchestrator,
  ) => {
    const loaded = await host.openProject(configFile);
    return loaded.createWorkflow({
      logger: host.logger,
      runId,
      ...(signal ? { signal } : {}),
      ...(orchestrator ? { orchestrator } : {}),
    });
  };
  return {
    async beginRun({ configFile, runId, step }) {
      try {
        const wf = await build(configFile, runId);
        const hasPredict = wf.plan.pipelines.some((p) => p.attr === "predict");
        const begun = (await wf.run("begin_run", step)) as { run_id?: string };
        return {
          summary: {
            problem_type: wf.plan.runner.registered.definition.problemType,
            ...(begun.run_id ? { run_id: begun.run_id } : {}),
          },
          stages: stagesOf(step as WorkflowStep, hasPredict),
        };
      } catch (e) {
        throw stepFailure(e);
      }
    },
    async runStage(input: RunStageInput): Promise<RunStageOutput> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat({ stage: input.stage }), heartbeatEvery(ctx));
      ctx.heartbeat({ stage: input.stage });
      host.logger.info(`step ${input.stage} of run ${input.runId} started (attempt ${ctx.info.attempt})`);
      try {
        const trials = host.trials
          ? temporalTrialsOrchestrator({
              client: host.trials.client,
              taskQueue: host.trials.taskQueue,
              configFile: input.configFile,
              runId: input.runId,
            })
          : undefined;
        const wf = await build(input.configFile, input.runId, ctx.cancellationSignal, trials);
        const processed = input.processedUri ? await loadStepData(input.processedUri) : undefined;
        const out = (await wf.run(
          "run_stage",
          input.stage,
          {
            summary: input.summary,
            ...(processed ? { processed } : {}),
            ...(input.trackerRunId ? { run_id: input.trackerRunId } : {}),
          },
          input.force ? { force: true } : {},
        )) as { summary: Record<string, unknown>; processed?: Record<string, unknown> };
        let processedUri = input.processedUri;
        if (input.stage === "process" && out.processed) {
          const stateDir = join(wf.plan.file, "..", ".lolpop");
          processedUri = await saveStepData(stateDir, out.processed);
        }
        host.logger.info(`step ${input.stage} of run ${input.runId} finished`);
        return { summary: out.summary, ...(processedUri ? { processedUri } : {}) };
      } catch (e) {
        // Cancelled by Temporal (lolpop runs cancel): report the cancellation, not a step error.
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? e;
        throw stepFailure(e);
      } finally {
        clearInterval(beat);
      }
    },
    async runTrial(input) {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat({ trial: input.index }), heartbeatEvery(ctx));
      ctx.heartbeat({ trial: input.index });
      try {
        const wf = await build(input.configFile, input.runId, ctx.cancellationSignal);
        const tuner = wf.component<{
          run_trial?: (s: Record<string, unknown>, i: number) => Promise<unknown>;
        }>(input.component);
        if (typeof tuner?.run_trial !== "function")
          throw ApplicationFailure.create({
            message: `${input.component} cannot run one trial (no run_trial method): use a tuner that supports running trials on workers`,
            type: FAILURE_TYPES.nonRetryable,
            nonRetryable: true,
          });
        const shared = await loadStepData(input.sharedUri);
        const out = (await tuner.run_trial(shared, input.index)) as Record<string, unknown>;
        host.logger.info(`trial ${input.index + 1} of run ${input.runId} ran on worker ${host.identity}`);
        return { ...out, worker: host.identity };
      } catch (e) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? e;
        if (e instanceof ApplicationFailure) throw e;
        throw stepFailure(e);
      } finally {
        clearInterval(beat);
      }
    },
    async endRun({ configFile, runId, trackerRunId, outcome }) {
      try {
        const wf = await build(configFile, runId);
        await wf.run("end_run", trackerRunId, outcome);
      } catch (e) {
        throw stepFailure(e);
      }
    },
  };
}
