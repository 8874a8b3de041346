/**
 * A lolpop worker: a Temporal worker that runs the `lolpopRun` workflow and the step activities of
 * any lolpop project whose plugins this installation has. The workflow code is bundled once per
 * worker start (`bundleWorkflowCode`, a few seconds) and kept for the worker's life.
 */
import { fileURLToPath } from "node:url";
import { type LoadedProject, type Logger, loadProject, type ProjectPlugins } from "@lolpop/core";
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from "@temporalio/worker";
import { createActivities } from "./temporal-activities.js";
import { TemporalConfigError } from "./temporal-config-error.js";
import type { TemporalSettings } from "./temporal-settings.js";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  settings: Pick<TemporalSettings, "address" | "namespace" | "task_queue">;
  /** Activities run at once (default 1: one step at a time). */
  concurrency?: number;
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
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address: settings.address });
  } catch (e) {
    throw new TemporalConfigError({
      message: `cannot reach Temporal at ${settings.address} (${(e as Error).message}): start a server or pass --address / set TEMPORAL_ADDRESS`,
      code: "temporal_unreachable",
      cause: e,
    });
  }
  const openProject = async (configFile: string): Promise<LoadedProject> =>
    loadProject({ configPath: configFile, discover: (_source) => options.discover(configFile) });
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.task_queue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ openProject, logger: options.logger }),
    maxConcurrentActivityTaskExecutions: options.concurrency ?? 1,
  });
  return {
    run: async () => {
      try {
        await worker.run();
      } finally {
        await connection.close();
      }
    },
    shutdown: () => worker.shutdown(),
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
