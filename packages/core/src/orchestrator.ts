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

/** Runs the steps of a run. */
export interface Orchestrator {
  /** Short name for logs (`in-process`, `temporal`). */
  readonly name: string;
  /** Runs one step and returns what it returned. */
  runStep<O>(step: OrchestratorStep<O>): Promise<O>;
}

/** The default: every step runs in this process, in order, as soon as it is asked for. */
export const inProcessOrchestrator: Orchestrator = Object.freeze({
  name: "in-process",
  runStep: <O>(step: OrchestratorStep<O>): Promise<O> => step.run(),
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
