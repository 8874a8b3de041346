/**
 * `lolpop worker`: the plugin command of @lolpop/temporal (listed in its package.json manifest;
 * the CLI imports this module only when the command runs). Runs until SIGINT / SIGTERM, then lets
 * running steps finish (Temporal's graceful shutdown) and exits 0.
 */
import { parseArgs } from "node:util";
import { createLogger, type ProjectPlugins } from "@lolpop/core";
import { defineCommand } from "@lolpop/core/manifest";
import { TemporalConfigError } from "./temporal-config-error.js";
import type { TemporalSettings } from "./temporal-settings.js";
import { startWorker } from "./temporal-worker.js";
import {
  describeSecurity,
  WORKER_CONNECTION_OPTIONS,
  type WorkerFlags,
  workerSettings,
} from "./temporal-worker-options.js";

/** `lolpop worker --help`. */
export const WORKER_HELP = `Usage: lolpop worker [options]

Run a Temporal worker for lolpop runs: it runs any step of any workflow whose plugins are installed
here. Every worker must see the workflow config, the data and the store at the same paths (or use a
shared store such as MLflow).

Options:
  --task-queue <q>    task queue to poll (default $LOLPOP_TASK_QUEUE, else lolpop); steps are routed
                      to queues with the orchestrator's steps.<step>.task_queue
  --concurrency <n>   steps run at once (default 1)
  --address <host:port>  Temporal frontend (default $TEMPORAL_ADDRESS, else 127.0.0.1:7233)
  --namespace <ns>    Temporal namespace (default $TEMPORAL_NAMESPACE, else default)
  -c, --config <file> take the connection (address, namespace, task_queue, tls, api_key_env) from
                      this workflow config's orchestrator: section; the flags below override it
  --tls-cert <pem>    client certificate for mTLS (with --tls-key)
  --tls-key <pem>     the client certificate's private key (with --tls-cert)
  --tls-ca <pem>      root CA of the server (default: the system's)
  --tls-server-name <name>  TLS server name override
  --api-key-env <NAME>  environment variable holding an API key (Temporal Cloud; turns TLS on);
                      the key is read when connecting and never printed
  -h, --help          show this help
`;

export default defineCommand(async (args, ctx) => {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        ...WORKER_CONNECTION_OPTIONS,
        concurrency: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    ctx.stderr(`lolpop worker: ${(e as Error).message}\n\n${WORKER_HELP}`);
    return 2;
  }
  if (values.help) {
    ctx.stdout(WORKER_HELP);
    return 0;
  }
  const concurrency = values.concurrency === undefined ? 1 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    ctx.stderr(`lolpop worker: --concurrency must be a positive integer, got "${values.concurrency}"\n`);
    return 2;
  }
  const discoverPlugins = ctx.discoverPlugins;
  if (!discoverPlugins) {
    ctx.stderr("lolpop worker: this host offers no plugin discovery; run it through the lolpop CLI\n");
    return 2;
  }
  let settings: TemporalSettings;
  try {
    ({ settings } = await workerSettings(values as WorkerFlags, ctx.cwd));
  } catch (e) {
    ctx.stderr(`lolpop worker: ${(e as Error).message}\n`);
    return 2;
  }
  const logger = createLogger({ stream: process.stderr });
  const discover = async (configFile: string): Promise<ProjectPlugins> => {
    const p = await discoverPlugins({ configFile });
    return {
      loadTypes: (types) => p.loadTypes(types),
      loadType: async (type) => {
        const failed = await p.loadTypes(
          new Set([type.includes("/") ? type.slice(type.lastIndexOf("/") + 1) : type]),
        );
        if (failed.length)
          throw new Error(
            `the plugin providing "${type}" could not be loaded: ${failed.map((f) => `${f.plugin}: ${f.error}`).join("; ")}`,
          );
      },
    };
  };
  try {
    const worker = await startWorker({ settings, concurrency, discover, logger });
    const stop = () => worker.shutdown();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    logger.info(
      `worker polling task queue ${settings.task_queue} on ${settings.address} (namespace ${settings.namespace}, concurrency ${concurrency}, ${describeSecurity(settings)})`,
    );
    await worker.run();
    return 0;
  } catch (e) {
    if (TemporalConfigError.isInstance(e)) {
      ctx.stderr(`lolpop worker: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
});
