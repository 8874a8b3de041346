/**
 * The orchestrator contract: who runs the steps of a workflow run.
 *
 * A runner hands each pipeline step (`process`, `train`, `deploy`, `predict`, `evaluate`) to
 * `ctx.orchestrator.runStep`; the default {@link inProcessOrchestrator} runs it right here, which is
 * how every run behaved before orchestrators existed. An orchestrator that runs steps elsewhere
 * (`@lolpop/temporal`) implements {@link RunLauncher} as well: the CLI asks it to run a whole run
 * (`lolpop run --orchestrator temporal`), and the remote side builds the workflow from the same
 * config and calls the runner's stage methods, one step per unit of work, passing artifact URIs
 * between steps, never data.
 */

import type { WorkflowPlan } from "./config/plan.js";
import type { ConfigIssue } from "./errors.js";

/** One step as a runner hands it to the orchestrator. */
export interface OrchestratorStep<O> {
  /** The step's name: `process`, `train`, `deploy`, `predict` or `evaluate`. */
  name: string;
  /** The workflow's tracker run, when there is a tracker. */
  runId?: string;
  /** Runs the step in this process. */
  run: () => Promise<O>;
}

/**
 * Independent trials (a tuning search) handed to {@link Orchestrator.runTrials}. A remote
 * orchestrator runs trial `i` on a worker by building the same workflow there and calling
 * `run_trial(shared, i)` on the component at `component`; the result must then be small JSON.
 */
export interface TrialBatch<R> {
  /** Dotted config path of the component that runs one trial (`train.hyperparameter_tuner`). */
  component: string;
  /** Number of trials. */
  count: number;
  /** What every trial gets: JSON values, tables, and `{X, y}` pairs of a table and a column. */
  shared: Record<string, unknown>;
  /** Runs trial `index` in this process (what the in-process orchestrator calls). */
  runTrial(index: number): Promise<R>;
  /** Aborted when the run is cancelled: no further trial starts. */
  signal?: AbortSignal;
}

/** A trial's result as a remote orchestrator returns it: JSON, plus where it ran. */
export type RemoteTrialResult<R> = R & { worker?: string };

/** Runs the steps of a run. */
export interface Orchestrator {
  /** Short name for logs (`in-process`, `temporal`). */
  readonly name: string;
  /** Runs one step and returns what it returned. */
  runStep<O>(step: OrchestratorStep<O>): Promise<O>;
  /**
   * Runs the trials of a batch and returns their results in trial order. Optional: without it (or
   * with {@link inProcessOrchestrator}) the trials run one after the other in this process.
   */
  runTrials?<R>(batch: TrialBatch<R>): Promise<Array<RemoteTrialResult<R>>>;
}

/** Runs the trials of `batch` one after the other here, in order (`runTrial` checks cancellation). */
export async function runTrialsInProcess<R>(batch: TrialBatch<R>): Promise<Array<RemoteTrialResult<R>>> {
  const out: R[] = [];
  for (let i = 0; i < batch.count; i++) out.push(await batch.runTrial(i));
  // Run here: no `worker`.
  return out as Array<RemoteTrialResult<R>>;
}

/** The default: every step runs in this process, in order, as soon as it is asked for. */
export const inProcessOrchestrator: Orchestrator = Object.freeze({
  name: "in-process",
  runStep: <O>(step: OrchestratorStep<O>): Promise<O> => step.run(),
  runTrials: runTrialsInProcess,
});

/** What the CLI asks a {@link RunLauncher} to run. */
export interface RunRequest {
  /** Absolute path of the workflow config (every worker must see it at this path). */
  configFile: string;
  /** `process | train | deploy | predict | evaluate | all`. */
  step: string;
  /** Register the challenger even when an identical version exists. */
  force?: boolean;
  /** The run id: also the remote execution id, so a run is never started twice. */
  runId: string;
  /** The config's `orchestrator:` section (type removed), overridden by command-line options. */
  config: Record<string, unknown>;
  /** Called with each finished step (for progress lines). */
  onStep?: (step: string, status: "started" | "finished" | "failed") => void;
  signal?: AbortSignal;
}

/**
 * An orchestrator that runs whole runs elsewhere. `run` resolves with the runner's summary (what
 * `lolpop run` prints) or rejects with the same error a local run gives.
 */
export interface RunLauncher {
  readonly name: string;
  run(request: RunRequest): Promise<Record<string, unknown>>;
  /**
   * What is wrong with running `plan` this way, found without running anything (`lolpop validate`
   * and `lolpop run` ask before starting): its orchestrator settings, and what steps running on
   * other machines cannot use (a machine-local store or data path). Issues carry file and line.
   */
  check?(plan: WorkflowPlan): ConfigIssue[];
}

/** The `orchestrator:` section of a workflow config: a type name, or a mapping with `type`. */
export interface OrchestratorPlan {
  type: string;
  /** The other keys of the section. */
  config: Record<string, unknown>;
}
