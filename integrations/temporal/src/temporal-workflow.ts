/**
 * The Temporal workflow of a lolpop run. Deterministic (Temporal replays it): it only sequences
 * activities, one per stage, and passes their small outputs (summary, URIs) along. Bundled into
 * the worker with `bundleWorkflowCode`; it must import nothing but `@temporalio/workflow` and types.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from "@temporalio/workflow";
import {
  FAILURE_TYPES,
  type LolpopActivities,
  type LolpopRunFailureDetails,
  type LolpopRunInput,
  type LolpopRunProgress,
  type LolpopTrialsInput,
} from "./temporal-workflow-types.js";

/** Query: where the run is. */
export const progressQuery = defineQuery<LolpopRunProgress>("lolpop.progress");

/** Runs the stages of a lolpop run as activities; returns the runner's summary. */
export async function lolpopRun(scheduled: LolpopRunInput): Promise<Record<string, unknown>> {
  // A run started by a schedule has no run id of its own: it takes its workflow id.
  const input = scheduled.runId ? scheduled : { ...scheduled, runId: workflowInfo().workflowId };
  const progress: LolpopRunProgress = { step: "start", done: [], status: "running" };
  setHandler(progressQuery, () => progress);
  const bookkeeping = proxyActivities<LolpopActivities>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: "2m",
    retry: { maximumAttempts: 5, initialInterval: "1s" },
  });
  const begun = await bookkeeping.beginRun({
    configFile: input.configFile,
    runId: input.runId,
    step: input.step,
  });
  let summary = begun.summary;
  progress.summary = summary;
  const trackerRunId = typeof summary.run_id === "string" ? summary.run_id : undefined;
  let processedUri: string | undefined;
  try {
    for (const stage of begun.stages) {
      progress.step = stage;
      const s = input.steps[stage] ?? {};
      const acts = proxyActivities<LolpopActivities>({
        taskQueue: s.task_queue ?? input.taskQueue,
        startToCloseTimeout: (s.start_to_close_timeout ?? "1h") as "1h",
        heartbeatTimeout: (s.heartbeat_timeout ?? "30s") as "30s",
        // On cancel, wait until the step has stopped (it sees the cancel at its next heartbeat), so
        // a cancelled run has nothing still working (registering a model) behind it.
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        retry: {
          maximumAttempts: s.retry?.maximum_attempts ?? 3,
          initialInterval: (s.retry?.initial_interval ?? "1s") as "1s",
          backoffCoefficient: s.retry?.backoff_coefficient ?? 2,
          maximumInterval: (s.retry?.maximum_interval ?? "1m") as "1m",
          nonRetryableErrorTypes: [FAILURE_TYPES.nonRetryable],
        },
      });
      const out = await acts.runStage({
        configFile: input.configFile,
        runId: input.runId,
        stage,
        summary,
        ...(trackerRunId ? { trackerRunId } : {}),
        ...(processedUri ? { processedUri } : {}),
        ...(input.force ? { force: true } : {}),
      });
      summary = out.summary;
      progress.summary = summary;
      if (out.processedUri) processedUri = out.processedUri;
      progress.done.push(stage);
    }
  } catch (e) {
    const cancelled = isCancellation(e);
    progress.status = cancelled ? "cancelled" : "failed";
    await CancellationScope.nonCancellable(() =>
      bookkeeping.endRun({
        configFile: input.configFile,
        runId: input.runId,
        ...(trackerRunId ? { trackerRunId } : {}),
        outcome: cancelled ? "cancelled" : "failed",
      }),
    );
    if (cancelled) throw e;
    const cause = e instanceof ActivityFailure && e.cause instanceof ApplicationFailure ? e.cause : undefined;
    const details: LolpopRunFailureDetails = {
      summary,
      step: progress.step,
      ...(cause?.details?.[0] !== undefined ? { error: cause.details[0] } : {}),
    };
    throw ApplicationFailure.create({
      message: cause?.message ?? (e instanceof Error ? e.message : String(e)),
      type: FAILURE_TYPES.runFailed,
      nonRetryable: true,
      details: [details],
    });
  }
  await bookkeeping.endRun({
    configFile: input.configFile,
    runId: input.runId,
    ...(trackerRunId ? { trackerRunId } : {}),
    outcome: "succeeded",
  });
  progress.status = "succeeded";
  return summary;
}

/**
 * Runs the trials of a tuning search as parallel activities (any worker polling the trials queue
 * takes one) and returns their small JSON results in trial order. Started by the train step's
 * activity; a trial that fails to fit is a result (with `error`), not a failure.
 */
export async function lolpopTrials(input: LolpopTrialsInput): Promise<unknown[]> {
  const acts = proxyActivities<LolpopActivities>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: "1h",
    heartbeatTimeout: "30s",
    retry: {
      maximumAttempts: 3,
      initialInterval: "1s",
      nonRetryableErrorTypes: [FAILURE_TYPES.nonRetryable],
    },
  });
  return Promise.all(
    Array.from({ length: input.count }, (_, index) =>
      acts.runTrial({
        configFile: input.configFile,
        runId: input.runId,
        component: input.component,
        sharedUri: input.sharedUri,
        index,
      }),
    ),
  );
}
