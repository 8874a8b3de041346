/**
 * `lolpop serve [name@alias|name/version]`: the plugin command of @lolpop/serve (listed in its
 * package.json manifest; the lolpop CLI imports this module only when the command runs). Loads
 * the version from the project's model repository, then serves it on Fastify until SIGTERM or
 * SIGINT, letting in-flight requests finish. `--workers N` forks N processes with node:cluster
 * that share the port.
 *
 * Environment: `LOLPOP_SERVE_TOKEN` (bearer token; never logged), `LOLPOP_SERVE_POLL_MS` (alias
 * poll interval, default 5000).
 */
import cluster from "node:cluster";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  createLogger,
  formatModelRef,
  LolpopError,
  type ProjectPlugins,
  parseConfigText,
  redactText,
  registerSecret,
} from "@lolpop/core";
import { defineCommand, type PluginCommandContext } from "@lolpop/core/manifest";
import { ServeError } from "./serve-error.js";
import { DEFAULT_POLL_INTERVAL_MS, loadPredictor } from "./serve-predictor.js";
import { parseServedRef } from "./serve-ref.js";
import { createServeApp, DEFAULT_BODY_LIMIT, DEFAULT_REQUEST_TIMEOUT_MS } from "./serve-server.js";

/** `lolpop serve --help`. */
export const SERVE_HELP = `Usage: lolpop serve [name@alias|name/version] [options]

Serve a model version of the project's model repository over HTTP: the MLflow scoring protocol
(POST /invocations, GET /ping /health /version), KServe Open Inference Protocol v2
(/v2/models/<name>/infer ...) and Prometheus /metrics. Default reference: <model_name>@champion
(model_name from the workflow config). An alias is followed: when it moves, the new version is
loaded and swapped in without failing a request.

Options:
  --host <addr>            address to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --port <n>               port (default 8080; 0 picks a free one)
  --workers <n>            processes sharing the port, with node:cluster (default 1)
  -c, --config <file>      the workflow config (default lolpop.yaml)
  --body-limit <bytes>     largest request body, else 413 (default ${DEFAULT_BODY_LIMIT})
  --request-timeout <ms>   a request body not received by then is answered 408 (default ${DEFAULT_REQUEST_TIMEOUT_MS})
  --poll <ms>              alias poll interval (default LOLPOP_SERVE_POLL_MS or ${DEFAULT_POLL_INTERVAL_MS})
  --no-watch               do not follow the alias
  --no-access-log          no JSON access log lines on stdout
  -h, --help               show this help

Environment: LOLPOP_SERVE_TOKEN requires "Authorization: Bearer <token>" on every route but the
health checks. Exit codes: 0 stopped by a signal, 2 usage or setup error.
`;

/** Parsed command line of `lolpop serve`. */
export interface ServeArgs {
  ref?: string;
  host: string;
  port: number;
  workers: number;
  config: string;
  bodyLimit: number;
  requestTimeoutMs: number;
  pollMs: number;
  watch: boolean;
  accessLog: boolean;
}

const usage = (message: string) =>
  new ServeError({
    message: `${message} (run lolpop serve --help for usage)`,
    code: "serve_usage",
    status: 400,
  });

function wholeNumber(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw usage(`${flag} must be a whole number from ${min} (got "${text}")`);
  return Number(text);
}

/** Parses the arguments after `serve`; `help` when `--help` was asked for. */
export function parseServeArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ServeArgs | "help" {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    throw usage((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
  const v = parsed.values;
  if (v.help) return "help";
  if (parsed.positionals.length > 1) throw usage(`one model at a time (got ${parsed.positionals.join(" ")})`);
  const ref = parsed.positionals[0];
  if (ref !== undefined) parseServedRef(ref);
  const port = wholeNumber("--port", v.port, 8080, 0);
  if (port > 65535) throw usage(`--port must be at most 65535 (got ${port})`);
  return {
    ...(ref !== undefined ? { ref } : {}),
    host: v.host ?? "127.0.0.1",
    port,
    workers: wholeNumber("--workers", v.workers, 1, 1),
    config: v.config ?? "lolpop.yaml",
    bodyLimit: wholeNumber("--body-limit", v["body-limit"], DEFAULT_BODY_LIMIT, 1),
    requestTimeoutMs: wholeNumber("--request-timeout", v["request-timeout"], DEFAULT_REQUEST_TIMEOUT_MS, 1),
    pollMs: wholeNumber("--poll", v.poll ?? env.LOLPOP_SERVE_POLL_MS, DEFAULT_POLL_INTERVAL_MS, 1),
    watch: !v["no-watch"],
    accessLog: !v["no-access-log"],
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      workers: { type: "string" },
      config: { type: "string", short: "c" },
      "body-limit": { type: "string" },
      "request-timeout": { type: "string" },
      poll: { type: "string" },
      "no-watch": { type: "boolean" },
      "no-access-log": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** The primary of `--workers N`: forks, restarts a worker that dies, forwards SIGTERM/SIGINT. */
function runPrimary(a: ServeArgs, ctx: PluginCommandContext): Promise<number> {
  return new Promise((done) => {
    let stopping = false;
    let announced = false;
    const fork = () => cluster.fork({ LOLPOP_SERVE_WORKER: "1" });
    cluster.on("listening", (_w, address) => {
      if (announced) return;
      announced = true;
      ctx.stderr(`lolpop serve: ${a.workers} workers listening on http://${a.host}:${address.port}\n`);
    });
    cluster.on("exit", (worker, code) => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) done(0);
        return;
      }
      if (!announced) {
        // A worker that fails before listening fails the same way on a restart: stop.
        stopping = true;
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
        if (Object.keys(cluster.workers ?? {}).length === 0) done(code || 2);
        return;
      }
      ctx.stderr(`lolpop serve: worker ${worker.process.pid} exited (${code}); starting another\n`);
      fork();
    });
    const stop = () => {
      if (stopping) return;
      stopping = true;
      ctx.stderr("lolpop serve: stopping workers (in-flight requests finish)\n");
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    for (let i = 0; i < a.workers; i++) fork();
  });
}

/** One serving process: loads the predictor, listens, closes gracefully on SIGTERM/SIGINT. */
async function runServer(a: ServeArgs, ctx: PluginCommandContext, worker: boolean): Promise<number> {
  const configFile = resolve(ctx.cwd, a.config);
  if (!existsSync(configFile))
    throw usage(
      `${a.config} does not exist in ${ctx.cwd}: run lolpop serve in the project, or pass -c <file>`,
    );
  const found = ctx.discoverPlugins ? await ctx.discoverPlugins({ configFile }) : undefined;
  const loadType = found
    ? async (type: string) => {
        const failures = await found.loadTypes(new Set([type]));
        if (failures.length) throw new Error(failures.map((f) => `${f.plugin}: ${f.error}`).join("; "));
      }
    : undefined;
  const plugins: ProjectPlugins | undefined = found
    ? { loadTypes: (types) => found.loadTypes(types), ...(loadType ? { loadType } : {}) }
    : undefined;
  const logger = createLogger({ format: "json", stream: { write: (s: string) => ctx.stderr(s) } });
  let ref = a.ref;
  if (ref === undefined) {
    const data = parseConfigText(readFileSync(configFile, "utf8"), configFile).data as {
      config?: { model_name?: unknown };
    };
    const modelName = data?.config?.model_name;
    if (typeof modelName !== "string")
      throw usage(
        `${a.config} has no config.model_name: name the model to serve (lolpop serve name@champion)`,
      );
    ref = `${modelName}@champion`;
  }
  const parsed = parseServedRef(ref);
  const watch = a.watch && parsed.alias !== undefined;
  const predictor = await loadPredictor(ref, {
    project: configFile,
    ...(plugins ? { discover: () => plugins } : {}),
    ...(loadType ? { loadType } : {}),
    watch,
    pollIntervalMs: a.pollMs,
    logger,
  });
  const token = process.env.LOLPOP_SERVE_TOKEN;
  if (token) registerSecret(token);
  const { app, shutdown } = await createServeApp(predictor, {
    bodyLimit: a.bodyLimit,
    requestTimeoutMs: a.requestTimeoutMs,
    ...(token ? { token } : {}),
    ...(a.accessLog ? { accessLog: (line: string) => ctx.stdout(`${line}\n`) } : {}),
    onServerError: (e, r) =>
      logger.error(
        `${r.method} ${r.url.split("?")[0]} failed: ${redactText((e as Error)?.stack ?? String(e))}`,
      ),
  });
  const address = await app.listen({ host: a.host, port: a.port });
  if (!worker)
    ctx.stderr(
      `lolpop serve: ${formatModelRef(parsed)} (v${predictor.current().version}) listening on ${address.replace("[::1]", "localhost")}\n`,
    );
  return new Promise((done) => {
    const stop = () => {
      predictor.close();
      const finish = (code: number) => {
        // A cluster worker's IPC channel keeps it alive: let it go once the server closed.
        if (worker) cluster.worker?.disconnect();
        done(code);
      };
      shutdown().then(
        () => finish(0),
        () => finish(1),
      );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

export default defineCommand(async (args, ctx) => {
  try {
    const a = parseServeArgs(args);
    if (a === "help") {
      ctx.stdout(SERVE_HELP);
      return 0;
    }
    if (a.workers > 1 && cluster.isPrimary) return await runPrimary(a, ctx);
    return await runServer(a, ctx, cluster.isWorker);
  } catch (e) {
    if (LolpopError.isInstance(e) || typeof (e as { code?: unknown })?.code === "string") {
      ctx.stderr(`lolpop serve: ${redactText((e as Error).message)}\n`);
      return 2;
    }
    throw e;
  }
});
