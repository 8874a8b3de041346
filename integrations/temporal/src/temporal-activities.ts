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
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { LoadedProject, Logger, Orchestrator } from "@lolpop/core";
import { stagesOf, type WorkflowStep } from "@lolpop/workflows";
import { ApplicationFailure, Context } from "@temporalio/activity";
import type { Client } from "@temporalio/client";
import { stepFailure } from "./temporal-failure.js";
import { RunCache } from "./temporal-run-cache.js";
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

/**
 * Heartbeat period: a third of the heartbeat timeout, at most {@link HEARTBEAT_THROTTLE_MS}. A
 * cancel reaches a step only with a heartbeat's answer, so this (and the worker's throttle) bounds
 * how long a cancelled step keeps working.
 */
function heartbeatEvery(ctx: Context): number {
  const t = ctx.info.heartbeatTimeoutMs;
  return Math.max(200, Math.min(HEARTBEAT_THROTTLE_MS, t ? Math.floor(t / 3) : HEARTBEAT_THROTTLE_MS));
}

/**
 * Longest gap between two heartbeats the worker sends to the server (the SDK's throttle, by
 * default 0.8 x the heartbeat timeout: 24 s): 1 s, so `lolpop runs cancel` stops a step within
 * about a second (one heartbeat call a second per running step).
 */
export const HEARTBEAT_THROTTLE_MS = 1000;

/** The activities a worker registers. */
export function createActivities(host: ActivityHost): LolpopActivities {
  // The trials of a search share the built workflow and the decoded data on this worker.
  const workflows = new RunCache<Awaited<ReturnType<LoadedProject["createWorkflow"]>>>({ max: 4 });
  const inputs = new RunCache<Record<string, unknown>>({ max: 2 });
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
        if (ctx.cancellationSignal.aborted) {
          host.logger.info(`step ${input.stage} of run ${input.runId} cancelled`);
          throw ctx.cancellationSignal.reason ?? e;
        }
        throw stepFailure(e);
      } finally {
        clearInterval(beat);
      }
    },
    async runTrial(input) {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat({ trial: input.index }), heartbeatEvery(ctx));
      ctx.heartbeat({ trial: input.index });
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const queued = Math.max(0, Date.now() - ctx.info.currentAttemptScheduledTimestampMs);
      try {
        // Built without the activity's signal (the entry outlives it): the trial gets the signal
        // with its input instead (`shared.signal`, which the tuner honours like a run's signal).
        const stamp = await stat(input.configFile).then(
          (s) => `${s.mtimeMs}:${s.size}`,
          () => "",
        );
        const wf = await workflows.get(input.runId, `${input.configFile}\0${input.runId}\0${stamp}`, () =>
          build(input.configFile, input.runId),
        );
        const t1 = performance.now();
        const tuner = wf.component<{
          run_trial?: (s: Record<string, unknown>, i: number) => Promise<unknown>;
        }>(input.component);
        if (typeof tuner?.run_trial !== "function")
          throw ApplicationFailure.create({
            message: `${input.component} cannot run one trial (no run_trial method): use a tuner that supports running trials on workers`,
            type: FAILURE_TYPES.nonRetryable,
            nonRetryable: true,
          });
        // The URI names the content (its hash): the same URI is the same data.
        const shared = await inputs.get(input.runId, input.sharedUri, () => loadStepData(input.sharedUri));
        const t2 = performance.now();
        const out = (await tuner.run_trial(
          { ...shared, signal: ctx.cancellationSignal },
          input.index,
        )) as Record<string, unknown>;
        const t3 = performance.now();
        const ms = (a: number, b: number) => Math.round(b - a);
        const cpu = process.cpuUsage(cpu0);
        host.logger.info(
          `trial ${input.index + 1} of run ${input.runId} ran on worker ${host.identity} (queued ${queued} ms, build ${ms(t0, t1)} ms, data ${ms(t1, t2)} ms, trial ${ms(t2, t3)} ms, cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms)`,
        );
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
      workflows.dropRun(runId);
      inputs.dropRun(runId);
      try {
        const wf = await build(configFile, runId);
        await wf.run("end_run", trackerRunId, outcome);
      } catch (e) {
        throw stepFailure(e);
      }
    },
  };
}
