/**
 * `TemporalOrchestrator`: runs a lolpop run on Temporal. The client starts the `lolpopRun` workflow
 * with workflow id = the lolpop run id (a run id is never started twice: starting it again attaches
 * to it), follows its progress and returns the runner's summary, or throws the same error a local run
 * throws. Any `lolpop worker` on the task queue runs the steps.
 *
 * Env: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default `default`),
 * LOLPOP_TASK_QUEUE (default `lolpop`); the config's `orchestrator:` section and command-line
 * options win over them.
 */
import type { ConfigIssue, RunLauncher, RunRequest, WorkflowPlan } from "@lolpop/core";
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import { temporalPlanIssues } from "./temporal-checks.js";
import { TemporalConfigError } from "./temporal-config-error.js";
import { isCancellation, runErrorFrom } from "./temporal-failure.js";
import { connectionSecurity, type TemporalSettings, temporalSettings } from "./temporal-settings.js";
import type { LolpopRunInput, LolpopRunProgress } from "./temporal-workflow-types.js";

/** Name of the workflow type the workers register. */
export const WORKFLOW_TYPE = "lolpopRun";
/** Name of the progress query. */
export const PROGRESS_QUERY = "lolpop.progress";

/** A connected client and the settings it was made from; `close()` when done. */
export interface TemporalHandle {
  client: Client;
  settings: TemporalSettings;
  close(): Promise<void>;
}

/** Connects to the Temporal frontend of `settings`; a clear error when it cannot be reached. */
export async function connectTemporal(settings: TemporalSettings): Promise<TemporalHandle> {
  let connection: Connection;
  try {
    const security = connectionSecurity(settings);
    connection = await Connection.connect({ address: settings.address, connectTimeout: "10s", ...security });
  } catch (e) {
    if (TemporalConfigError.isInstance(e)) throw e;
    throw new TemporalConfigError({
      message: `cannot reach Temporal at ${settings.address} (${(e as Error).message}): start a server (temporal server start-dev) or set orchestrator.address / TEMPORAL_ADDRESS`,
      code: "temporal_unreachable",
      cause: e,
    });
  }
  return {
    client: new Client({ connection, namespace: settings.namespace }),
    settings,
    close: () => connection.close(),
  };
}

/** Options of {@link followRun}. */
export interface FollowOptions {
  /** Called when the run enters a step. */
  onStep?: RunRequest["onStep"];
  /** How often progress is asked for (default 500 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  /** How long to keep waiting while the server is unreachable (default 5 minutes). */
  reconnectMs?: number;
}

/** True for "the server cannot be reached" (gRPC UNAVAILABLE / DEADLINE_EXCEEDED) anywhere in the cause chain. */
function isUnavailable(e: unknown): boolean {
  let current = e;
  for (let i = 0; i < 10 && current && typeof current === "object"; i++) {
    const code = (current as { code?: unknown }).code;
    if (code === 14 || code === 4) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Waits for run `runId` to end and returns its summary; a failed run throws what a local run would
 * (a `PartialRunError` with the summary so far). Progress is read with a query while it runs.
 */
export async function followRun(
  h: TemporalHandle,
  runId: string,
  options: FollowOptions = {},
): Promise<Record<string, unknown>> {
  const handle = h.client.workflow.getHandle(runId);
  let seen = "";
  const done: string[] = [];
  let stop = false;
  const poll = async () => {
    while (!stop) {
      try {
        const p = (await handle.query(PROGRESS_QUERY)) as LolpopRunProgress;
        for (const s of p.done)
          if (!done.includes(s)) {
            done.push(s);
            options.onStep?.(s, "finished");
          }
        if (p.step !== seen && p.status === "running" && !p.done.includes(p.step)) {
          seen = p.step;
          options.onStep?.(p.step, "started");
        }
      } catch {
        // No worker answered the query yet: try again.
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    }
  };
  const polling = options.onStep ? poll() : Promise.resolve();
  try {
    // The server may restart while we wait (its state is durable): keep waiting while it is unreachable.
    const deadline = Date.now() + (options.reconnectMs ?? 300_000);
    for (;;) {
      try {
        return (await handle.result()) as Record<string, unknown>;
      } catch (e) {
        if (!isUnavailable(e) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } catch (e) {
    // The last progress (step, summary so far) of a cancelled run; a closed run still answers
    // queries while a worker is up, else the error says less.
    let progress: LolpopRunProgress | undefined;
    try {
      if (!isCancellation(e)) throw e;
      progress = (await Promise.race([
        handle.query(PROGRESS_QUERY),
        new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 5000).unref()),
      ])) as LolpopRunProgress;
    } catch {
      progress = undefined;
    }
    throw runErrorFrom(e, progress);
  } finally {
    stop = true;
    await polling;
  }
}

/** The orchestrator the CLI uses for `lolpop run --orchestrator temporal`. */
export class TemporalOrchestrator implements RunLauncher {
  readonly name = "temporal";

  /** Settings errors and machine-local paths, with file and line (see temporal-checks.ts). */
  check(plan: WorkflowPlan): ConfigIssue[] {
    return temporalPlanIssues(plan);
  }

  /**
   * Starts the run (or attaches to it when a run with this id exists) and waits for its summary.
   * The request's `config` is the `orchestrator:` section (with command-line overrides applied).
   */
  async run(request: RunRequest): Promise<Record<string, unknown>> {
    const settings = temporalSettings(request.config);
    const h = await connectTemporal(settings);
    try {
      const input: LolpopRunInput = {
        configFile: request.configFile,
        runId: request.runId,
        step: request.step,
        ...(request.force ? { force: true } : {}),
        taskQueue: settings.task_queue,
        steps: settings.steps as LolpopRunInput["steps"],
      };
      try {
        await h.client.workflow.start(WORKFLOW_TYPE, {
          taskQueue: settings.task_queue,
          workflowId: request.runId,
          args: [input],
        });
      } catch (e) {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      }
      return await followRun(h, request.runId, {
        ...(request.onStep ? { onStep: request.onStep } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } finally {
      await h.close();
    }
  }
}
