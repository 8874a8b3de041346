/**
 * Tuning trials on Temporal: the orchestrator the train step's activity builds its workflow with.
 * Its `runTrials` writes what the trials share (the encoded train and valid data, the settings) to
 * the project's state folder, starts the `lolpopTrials` workflow (one `runTrial` activity per trial,
 * on the trials task queue that every `lolpop worker` polls) and waits for the results: params and
 * metrics of each trial and the worker that ran it; no model comes back (the tuner refits the winner).
 */
import { basename, dirname, join } from "node:path";
import type { Orchestrator, RemoteTrialResult, TrialBatch } from "@lolpop/core";
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from "@temporalio/client";
import { saveStepData } from "./temporal-step-data.js";
import { type LolpopTrialsInput, trialsQueueOf } from "./temporal-workflow-types.js";

/** Name of the workflow type that runs the trials of a batch. */
export const TRIALS_WORKFLOW_TYPE = "lolpopTrials";

/** Options of {@link temporalTrialsOrchestrator}. */
export interface TrialsOrchestratorOptions {
  /** A connected client (the worker's, made on first use). */
  client: () => Promise<Client>;
  /** The run's task queue; the trials go to its trials queue ({@link trialsQueueOf}). */
  taskQueue: string;
  configFile: string;
  runId: string;
}

/** The orchestrator of a step running in a worker: steps here, trials fanned out on Temporal. */
export function temporalTrialsOrchestrator(options: TrialsOrchestratorOptions): Orchestrator {
  return {
    name: "temporal",
    runStep: (step) => step.run(),
    async runTrials<R>(batch: TrialBatch<R>): Promise<Array<RemoteTrialResult<R>>> {
      const stateDir = join(dirname(options.configFile), ".lolpop");
      const sharedUri = await saveStepData(stateDir, batch.shared, "trials");
      const input: LolpopTrialsInput = {
        configFile: options.configFile,
        runId: options.runId,
        component: batch.component,
        sharedUri,
        count: batch.count,
        taskQueue: trialsQueueOf(options.taskQueue),
      };
      // One search per run and data: a retried train step finds (or restarts) the same search.
      const workflowId = `${options.runId}.trials.${basename(sharedUri, ".json").slice(0, 16)}`;
      const client = await options.client();
      let handle: WorkflowHandle;
      try {
        handle = await client.workflow.start(TRIALS_WORKFLOW_TYPE, {
          taskQueue: options.taskQueue,
          workflowId,
          args: [input],
        });
      } catch (e) {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
        handle = client.workflow.getHandle(workflowId);
      }
      const cancel = (): void => void handle.cancel().catch(() => undefined);
      batch.signal?.addEventListener("abort", cancel, { once: true });
      try {
        return (await handle.result()) as Array<RemoteTrialResult<R>>;
      } finally {
        batch.signal?.removeEventListener("abort", cancel);
      }
    },
  };
}
