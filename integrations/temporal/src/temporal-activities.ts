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
import type { LoadedProject, Logger } from "@lolpop/core";
import { stagesOf, type WorkflowStep } from "@lolpop/workflows";
import { Context } from "@temporalio/activity";
import { stepFailure } from "./temporal-failure.js";
import { loadStepData, saveStepData } from "./temporal-step-data.js";
import type { LolpopActivities, RunStageInput, RunStageOutput } from "./temporal-workflow-types.js";

/** What the activities need from their host (the `lolpop worker` command). */
export interface ActivityHost {
  /** Loads and validates the project of a config file, with its plugins. */
  openProject(configFile: string): Promise<LoadedProject>;
  logger: Logger;
}

/** Heartbeat period: a third of the heartbeat timeout, at most 5 s. */
function heartbeatEvery(ctx: Context): number {
  const t = ctx.info.heartbeatTimeoutMs;
  return Math.max(200, Math.min(5000, t ? Math.floor(t / 3) : 5000));
}

/** The activities a worker registers. */
export function createActivities(host: ActivityHost): LolpopActivities {
  const build = async (configFile: string, runId: string, signal?: AbortSignal) => {
    const loaded = await host.openProject(configFile);
    return loaded.createWorkflow({ logger: host.logger, runId, ...(signal ? { signal } : {}) });
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
        const wf = await build(input.configFile, input.runId, ctx.cancellationSignal);
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
