/**
 * Failures across the Temporal boundary. An activity turns a step's error into an
 * `ApplicationFailure` carrying what the CLI needs to say the same as a local run (config issues,
 * call frames, error code); bad config and bad data are non-retryable (retrying cannot help). The
 * client turns the run's failure back into the error a local run throws: a `PartialRunError` with
 * the summary so far, the failed step and the step's own error.
 */
import {
  CancelledError,
  ComponentCallError,
  ConfigError,
  type ConfigIssue,
  DataError,
  LolpopError,
  PartialRunError,
  partialRunOf,
  thrownError,
  UnknownComponentError,
} from "@lolpop/core";
import { ApplicationFailure, CancelledFailure } from "@temporalio/common";
import {
  FAILURE_TYPES,
  type LolpopRunFailureDetails,
  type LolpopRunProgress,
} from "./temporal-workflow-types.js";

/** What an activity's failure carries about the step's error. */
export interface StepErrorDetails {
  code?: string;
  /** Call frames, outermost first (as a local run reports them). */
  frames?: string[];
  /** The config issues of a config error. */
  issues?: ConfigIssue[];
  /** The message of the error the component threw. */
  rootMessage: string;
  /** `config`, `data` or `other`. */
  rootKind: "config" | "data" | "other";
}

/** True when retrying cannot help: the config or the data is wrong. */
export function isNonRetryable(error: unknown): boolean {
  const root = thrownError(partialRunOf(error)?.cause ?? error);
  return ConfigError.isInstance(root) || UnknownComponentError.isInstance(root) || DataError.isInstance(root);
}

/** The `ApplicationFailure` an activity throws for a step's error. */
export function stepFailure(error: unknown): ApplicationFailure {
  const e = partialRunOf(error)?.cause ?? error;
  const root = thrownError(e);
  const details: StepErrorDetails = {
    rootMessage: root instanceof Error ? root.message : String(root),
    rootKind: ConfigError.isInstance(root) ? "config" : DataError.isInstance(root) ? "data" : "other",
    ...(LolpopError.isInstance(root) ? { code: root.code } : {}),
    ...(ComponentCallError.isInstance(e) ? { frames: e.frames } : {}),
    ...(ConfigError.isInstance(root) ? { issues: root.issues } : {}),
  };
  const nonRetryable = isNonRetryable(error);
  return ApplicationFailure.create({
    message: e instanceof Error ? e.message : String(e),
    type: nonRetryable ? FAILURE_TYPES.nonRetryable : "LolpopStepError",
    nonRetryable,
    details: [details],
  });
}

/**
 * Rebuilds the step's error from {@link StepErrorDetails}, with the frames a local run reports: the
 * activity's outer `runner.run_stage` frame is dropped (a local run's step error starts at the pipeline).
 */
export function stepErrorFrom(d: StepErrorDetails): Error {
  const root: Error =
    d.rootKind === "config" && d.issues
      ? new ConfigError({ issues: d.issues, ...(d.code ? { code: d.code } : {}) })
      : d.rootKind === "data"
        ? new DataError({ message: d.rootMessage, ...(d.code ? { code: d.code } : {}) })
        : new LolpopError({ message: d.rootMessage, ...(d.code ? { code: d.code } : {}) });
  const frames = d.frames?.[0] === "runner.run_stage" ? d.frames.slice(1) : (d.frames ?? []);
  let err: Error = root;
  for (let i = frames.length - 1; i >= 0; i--)
    err = new ComponentCallError({ frame: frames[i]!, cause: err });
  return err;
}

/**
 * The error a failed run gives on the client: a {@link PartialRunError} (summary, step, the step's
 * error) when the workflow failed in a step, else `error` itself.
 */
export function runErrorFrom(error: unknown, progress?: LolpopRunProgress): unknown {
  let current: unknown = error;
  let run: ApplicationFailure | undefined;
  let step: ApplicationFailure | undefined;
  for (let i = 0; i < 20 && current; i++) {
    if (current instanceof ApplicationFailure) {
      if (current.type === FAILURE_TYPES.runFailed) run = current;
      else if (run && !step) step = current;
    }
    current = (current as { cause?: unknown }).cause;
  }
  if (!run) {
    // Cancelled (`lolpop runs cancel`): what a local run interrupted in that step reports.
    if (isCancellation(error))
      return new PartialRunError({
        summary: progress?.summary ?? {},
        step: progress?.step ?? "start",
        cause: new CancelledError({ path: progress?.step, reason: "cancelled with lolpop runs cancel" }),
      });
    return error;
  }
  const details = run.details?.[0] as (LolpopRunFailureDetails & { error?: StepErrorDetails }) | undefined;
  const cause = details?.error ? stepErrorFrom(details.error) : new LolpopError({ message: run.message });
  return new PartialRunError({ summary: details?.summary ?? {}, step: details?.step ?? "start", cause });
}

/** Whether a Temporal cancellation is in the cause chain of `error`. */
export function isCancellation(error: unknown): boolean {
  let current: unknown = error;
  for (let i = 0; i < 20 && current; i++) {
    if (current instanceof CancelledFailure) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
