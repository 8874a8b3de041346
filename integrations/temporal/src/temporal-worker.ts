/**
 * A lolpop worker: a Temporal worker that runs the `lolpopRun` workflow and the step activities of
 * any lolpop project whose plugins this installation has. The workflow code is bundled once per
 * worker start (`bundleWorkflowCode`, a few seconds) and kept for the worker's life.
 */
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { type LoadedProject, type Logger, loadProject, type ProjectPlugins } from "@lolpop/core";
import { Client, Connection } from "@temporalio/client";
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from "@temporalio/worker";
import { createActivities, HEARTBEAT_THROTTLE_MS } from "./temporal-activities.js";
import { TemporalConfigError } from "./temporal-config-error.js";
import type { TemporalSettings } from "./temporal-settings.js";
import { workerConnectionOptions } from "./temporal-worker-options.js";
import { trialsQueueOf } from "./temporal-workflow-types.js";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  settings: Pick<TemporalSettings, "address" | "namespace" | "task_queue"> &
    Partial<Pick<TemporalSettings, "tls" | "api_key_env">>;
  /** Activities run at once (default 1: one step at a time), and as many tuning trials. */
  concurrency?: number;
  /** Recorded with each trial this worker runs (default `<pid>@<hostname>`). */
  identity?: string;
  /** Finds the plugins of a config's project (the CLI's discovery). */
  discover: (configFile: string) => ProjectPlugins | Promise<ProjectPlugins>;
  logger: Logger;
}

/** A started worker: `run()` resolves when it has shut down; `shutdown()` asks it to stop. */
export interface LolpopWorker {
  run(): Promise<void>;
  shutdown(): void;
}

let bundle: Awaited<ReturnType<typeof bundleWorkflowCode>> | undefined;

/** Bundles the workflow code (once per process). */
async function workflowBundle(): Promise<Awaited<ReturnType<typeof bundleWorkflowCode>>> {
  bundle ??= await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL("./temporal-workflow.js", import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
  });
  return bundle;
}

/** Connects to Temporal and creates a worker on `settings.task_queue`. */
export async function startWorker(options: WorkerOptions): Promise<LolpopWorker> {
  const { settings } = options;
  try {
    Runtime.install({ logger: quietRuntimeLogger(options.logger) });
  } catch {
    // Installed already (a second worker in this process): keep it.
  }
  const connectOptions = workerConnectionOptions(settings);
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(connectOptions);
  } catch (e) {
    throw new TemporalConfigError({
      message: `cannot reach Temporal at ${settings.address} (${(e as Error).message}): start a server or pass --address / set TEMPORAL_ADDRESS`,
      code: "temporal_unreachable",
      cause: e,
    });
  }
  const openProject = async (configFile: string): Promise<LoadedProject> =>
    loadProject({ configPath: configFile, discover: (_source) => options.discover(configFile) });
  const identity = options.identity ?? `${process.pid}@${hostname()}`;
  // A client for the train step to start its trials workflow with (made on first use).
  let clientConnection: Promise<Connection> | undefined;
  const client = async (): Promise<Client> => {
    clientConnection ??= Connection.connect(connectOptions);
    return new Client({ connection: await clientConnection, namespace: settings.namespace });
  };
  const activities = createActivities({
    openProject,
    logger: options.logger,
    identity,
    trials: { taskQueue: settings.task_queue, client },
  });
  const concurrency = options.concurrency ?? 1;
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.task_queue,
    identity,
    workflowBundle: await workflowBundle(),
    activities,
    maxConcurrentActivityTaskExecutions: concurrency,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
    defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
  });
  // Trials have their own queue, so a train step waiting for its trials never takes the slot a
  // trial needs (one worker alone still runs them all).
  const trialsWorker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: trialsQueueOf(settings.task_queue),
    identity,
    workflowBundle: await workflowBundle(),
    activities,
    maxConcurrentActivityTaskExecutions: concurrency,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
    defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
  });
  return {
    run: async () => {
      try {
        await Promise.all([worker.run(), trialsWorker.run()]);
      } finally {
        if (clientConnection) await (await clientConnection).close().catch(() => undefined);
        await connection.close();
      }
    },
    shutdown: () => {
      worker.shutdown();
      trialsWorker.shutdown();
    },
  };
}

/** The SDK's runtime logs at warn and above through our logger. */
function quietRuntimeLogger(logger: Logger) {
  const at =
    (level: "warn" | "error") =>
    (message: string): void =>
      logger[level](`temporal: ${message}`);
  const none = (): void => undefined;
  return { log: none, trace: none, debug: none, info: none, warn: at("warn"), error: at("error") } as never;
}
