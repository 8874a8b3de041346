/**
 * The shapes the Temporal workflow, its activities and the client exchange (JSON, small: URIs and
 * summaries, never data). Type-only, so the workflow bundle stays free of Node code.
 */
import type { TemporalStepSettings } from "./temporal-settings.js";

/** The input of the `lolpopRun` workflow. */
export interface LolpopRunInput {
  /** Absolute path of the workflow config; every worker must see it at this path. */
  configFile: string;
  /** The lolpop run id (= the Temporal workflow id). */
  runId: string;
  /** `lolpop run --step`. */
  step: string;
  force?: boolean;
  /** Task queue of the steps without their own. */
  taskQueue: string;
  /** Per-stage activity settings. */
  steps: Record<string, TemporalStepSettings>;
}

/** What the workflow reports to queries (`lolpop runs attach`). */
export interface LolpopRunProgress {
  step: string;
  /** Stages finished, in order. */
  done: string[];
  status: "running" | "succeeded" | "failed" | "cancelled";
  /** The summary so far (what a cancelled run reports). */
  summary?: Record<string, unknown>;
}

/** Input of the `runStage` activity. */
export interface RunStageInput {
  configFile: string;
  runId: string;
  stage: string;
  /** The summary so far. */
  summary: Record<string, unknown>;
  /** The tracker's workflow run, when there is a tracker. */
  trackerRunId?: string;
  /** URI of the processed data (after the process stage). */
  processedUri?: string;
  force?: boolean;
}

/** Output of the `runStage` activity. */
export interface RunStageOutput {
  summary: Record<string, unknown>;
  processedUri?: string;
}

/** The task queue of the tuning trials of runs on `taskQueue` (every `lolpop worker` polls both). */
export function trialsQueueOf(taskQueue: string): string {
  return `${taskQueue}.trials`;
}

/** The input of the `lolpopTrials` workflow: one `runTrial` activity per trial, all at once. */
export interface LolpopTrialsInput {
  configFile: string;
  runId: string;
  /** Dotted config path of the component with `run_trial` (the tuner). */
  component: string;
  /** `file:` URI of what every trial shares (the batch's `shared`: data and settings). */
  sharedUri: string;
  count: number;
  /** Task queue of the trial activities. */
  taskQueue: string;
}

/** Input of the `runTrial` activity. */
export interface RunTrialInput {
  configFile: string;
  runId: string;
  component: string;
  sharedUri: string;
  index: number;
}

/** The activities the workflow calls. */
export interface LolpopActivities {
  /**
   * Starts the tracked workflow run; returns the summary's start (`problem_type`, `run_id`) and the
   * stages of the step, in order (the runner's `stagesOf`).
   */
  beginRun(input: {
    configFile: string;
    runId: string;
    step: string;
  }): Promise<{ summary: Record<string, unknown>; stages: string[] }>;
  runStage(input: RunStageInput): Promise<RunStageOutput>;
  /** Runs one tuning trial; its result (params and metrics, no model) and the worker that ran it. */
  runTrial(input: RunTrialInput): Promise<Record<string, unknown> & { worker: string }>;
  endRun(input: {
    configFile: string;
    runId: string;
    trackerRunId?: string;
    outcome: "succeeded" | "failed" | "cancelled";
  }): Promise<void>;
}

/** Details of the failure the workflow ends with: what was done, and which step failed. */
export interface LolpopRunFailureDetails {
  summary: Record<string, unknown>;
  step: string;
  /** What the activity said about the step's error (`StepErrorDetails` of temporal-failure.ts). */
  error?: unknown;
}

/** Application failure types the workflow and activities use. */
export const FAILURE_TYPES = {
  /** Bad config or bad data: retrying cannot help. */
  nonRetryable: "LolpopNonRetryable",
  /** The run failed (details: {@link LolpopRunFailureDetails}). */
  runFailed: "LolpopRunFailed",
} as const;
