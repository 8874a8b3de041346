/**
 * The HTTP server of a predictor, on Fastify: the MLflow scoring protocol (`/ping`, `/health`,
 * `/version`, `/invocations`), KServe Open Inference Protocol v2 (`/v2/...`), Prometheus
 * `/metrics`, JSON access logs, an optional bearer token. `createServeApp` builds it without
 * listening, so it can be mounted, tested with `inject`, or listened on by `lolpop serve`.
 */
import { timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import { DataError } from "@lolpop/core";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { ServeError } from "./serve-error.js";
import { ServeMetrics } from "./serve-metrics.js";
import { decodeUtf8Body, parseContentType, parseInvocation, parseJsonBody } from "./serve-mlflow.js";
import type { Predictor } from "./serve-predictor.js";
import { parseV2Infer, v2Metadata, v2Response } from "./serve-v2.js";

const pkg = createRequire(import.meta.url)("../package.json") as { version: string };

/** Default largest request body (bytes): 5 MiB. */
export const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024;
/** Default time a request may take to arrive completely (ms). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Response header naming the model version that made the predictions. */
export const MODEL_VERSION_HEADER = "x-lolpop-model-version";

/** Options of {@link createServeApp}. */
export interface ServeAppOptions {
  /** Largest request body in bytes; above it the answer is 413. Default {@link DEFAULT_BODY_LIMIT}. */
  bodyLimit?: number;
  /** A request whose body has not fully arrived after this many ms is answered 408 and closed. Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number;
  /**
   * Bearer token required on every route but the health checks (`/ping`, `/health`,
   * `/v2/health/*`). Default none. `lolpop serve` reads it from `LOLPOP_SERVE_TOKEN`; it is never logged.
   */
  token?: string;
  /** Where JSON access log lines go (one per request). Default none. */
  accessLog?: (line: string) => void;
  /** Called with an unexpected error (answered 500 without its details). Default none. */
  onServerError?: (error: unknown, request: { method: string; url: string }) => void;
}

/** Routes that answer without the token (liveness probes). */
const OPEN_ROUTES = new Set(["/ping", "/health", "/v2/health/live", "/v2/health/ready", "/v2"]);

function tokenMatches(expected: string, header: string | undefined): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  const a = Buffer.from(header.slice(7));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Status and message of an error: ServeError and DataError (bad rows) are the caller's; others are 500. */
function classify(e: unknown): { status: number; message: string; code: string } {
  if (ServeError.isInstance(e)) return { status: e.status, message: e.message, code: e.code };
  if (DataError.isInstance(e)) return { status: 400, message: e.message, code: e.code };
  const fe = e as { statusCode?: number; code?: string; message?: string };
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return {
        status: 413,
        message: "the body is larger than the server's limit (--body-limit): send fewer rows per request",
        code: "body_too_large",
      };
    return { status: fe.statusCode, message: fe.message ?? "bad request", code: fe.code ?? "bad_request" };
  }
  return { status: 500, message: "internal error while predicting (see the server log)", code: "internal" };
}

const MLFLOW_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  404: "RESOURCE_DOES_NOT_EXIST",
  408: "BAD_REQUEST",
  413: "BAD_REQUEST",
  415: "BAD_REQUEST",
  500: "INTERNAL_ERROR",
  503: "TEMPORARILY_UNAVAILABLE",
};

/** Sends an error in the protocol of the route: `{error}` for v2, `{error_code, message}` otherwise. */
function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  e: unknown,
  onServerError: ServeAppOptions["onServerError"],
) {
  const { status, message, code } = classify(e);
  if (status >= 500) onServerError?.(e, request);
  reply.code(status).type("application/json");
  if (request.url.startsWith("/v2")) return reply.send({ error: message });
  return reply.send({
    error_code: MLFLOW_CODES[status] ?? (status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST"),
    message,
    code,
  });
}

/**
 * Builds the Fastify app of `predictor` (not listening). Routes, by protocol:
 * MLflow `GET /ping`, `GET /health`, `GET /version`, `POST /invocations`; KServe v2
 * `GET /v2/health/live|ready`, `GET /v2/models/{name}[/versions/{v}][/ready]`,
 * `POST /v2/models/{name}[/versions/{v}]/infer`; `GET /metrics`.
 */
export async function createServeApp(
  predictor: Predictor,
  options: ServeAppOptions = {},
): Promise<{ app: FastifyInstance; metrics: ServeMetrics; shutdown: (quietMs?: number) => Promise<void> }> {
  const name = predictor.ref.name;
  const fail = (request: FastifyRequest, reply: FastifyReply, e: unknown) =>
    sendError(request, reply, e, options.onServerError);
  const metrics = new ServeMetrics(name);
  metrics.served(predictor.current().version);
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: false,
    bodyLimit,
    requestTimeout,
    // Node checks request timeouts every connectionsCheckingInterval (30 s by default): check often
    // enough that a slow client is cut off close to the limit.
    http: {
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(requestTimeout / 4))),
      headersTimeout: Math.min(60_000, requestTimeout),
    },
    // Shutdown is ours (see `shutdown` below): requests on open connections are still answered.
    return503OnClosing: false,
    forceCloseConnections: "idle",
  });
  // `Expect: 100-continue` (curl sends it above 1 MB): a body over the limit is refused with 413
  // before the client uploads it, and the connection closes (the announced body never comes); others
  // get 100 Continue. Without it, the 413 is sent as soon as the headers are read and the body is
  // read and dropped while the request timeout allows.
  app.server.on("checkContinue", (req, res) => {
    if (Number(req.headers["content-length"]) > bodyLimit) res.setHeader("connection", "close");
    else res.writeContinue();
    app.server.emit("request", req, res);
  });
  let closing = false;
  let active = 0;
  let lastActivity = Date.now();
  app.addHook("onRequest", async (_request, reply) => {
    active++;
    lastActivity = Date.now();
    reply.raw.once("close", () => {
      active--;
      lastActivity = Date.now();
    });
  });
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });
  // Bodies stay bytes: each route checks the content type and charset itself (415, 400 in its protocol).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.addHook("onRequest", async (request, reply) => {
    if (!options.token) return;
    const path = request.url.split("?")[0]!;
    if (OPEN_ROUTES.has(path)) return;
    if (!tokenMatches(options.token, request.headers.authorization)) {
      reply.header("www-authenticate", 'Bearer realm="lolpop"');
      return fail(
        request,
        reply,
        new ServeError({
          message: "missing or wrong bearer token: send Authorization: Bearer <token>",
          status: 401,
          code: "unauthenticated",
        }),
      );
    }
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    const seconds = reply.elapsedTime / 1000;
    metrics.observe(route, request.method, reply.statusCode, seconds);
    options.accessLog?.(
      JSON.stringify({
        time: new Date().toISOString(),
        msg: "request",
        method: request.method,
        path: request.url.split("?")[0],
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        model_version: reply.getHeader(MODEL_VERSION_HEADER) ?? null,
        remote: request.ip,
      }),
    );
  });
  app.setErrorHandler((error, request, reply) => fail(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    fail(
      request,
      reply,
      new ServeError({
        message: `no route ${request.method} ${request.url.split("?")[0]}`,
        status: 404,
        code: "not_found",
      }),
    ),
  );

  const current = () => {
    const m = predictor.current();
    metrics.served(m.version);
    return m;
  };

  // ---------------------------------------------------------------- MLflow scoring protocol
  app.get("/ping", async (_req, reply) => reply.type("application/json").send("\n"));
  app.get("/health", async (_req, reply) => reply.type("application/json").send("\n"));
  app.get("/version", async (_req, reply) => reply.type("text/plain").send(pkg.version));
  app.post("/invocations", async (request, reply) => {
    const inv = parseInvocation(
      request.headers["content-type"],
      (request.body as Buffer | undefined) ?? Buffer.alloc(0),
    );
    const result = await predictor.predict(inv.rows, { what: "the request" });
    metrics.predicted(result.version, result.predictions.length);
    metrics.served(result.version);
    reply.header(MODEL_VERSION_HEADER, String(result.version));
    if (inv.params.probabilities === true) return { predictions: result.output.toRows() };
    return { predictions: result.predictions };
  });

  // ---------------------------------------------------------------- KServe v2
  app.get("/v2", async () => ({ name: "lolpop-serve", version: pkg.version, extensions: [] }));
  app.get("/v2/health/live", async () => ({ live: true }));
  app.get("/v2/health/ready", async () => ({ ready: true }));
  const model = (params: { name: string; version?: string }) => {
    if (params.name !== name)
      throw new ServeError({
        message: `no model "${params.name}" here: this server serves "${name}"`,
        status: 404,
        code: "not_found",
      });
    const m = current();
    if (params.version !== undefined && params.version !== String(m.version))
      throw new ServeError({
        message: `model "${name}" version ${params.version} is not served: version ${m.version} is`,
        status: 404,
        code: "not_found",
      });
    return m;
  };
  type P = { Params: { name: string; version?: string } };
  const metadata = async (request: FastifyRequest<P>) => {
    const m = model(request.params);
    return v2Metadata(name, m.version, m.bundle.meta);
  };
  const ready = async (request: FastifyRequest<P>) => {
    model(request.params);
    return { name, ready: true };
  };
  const infer = async (request: FastifyRequest<P>, reply: FastifyReply) => {
    const m = model(request.params);
    const { type, charset } = parseContentType(request.headers["content-type"]);
    if (type !== "application/json")
      throw new ServeError({
        message: `content type "${type || "(none)"}" is not supported: send application/json`,
        status: 415,
        code: "unsupported_media_type",
      });
    const body = parseJsonBody(
      decodeUtf8Body((request.body as Buffer | undefined) ?? Buffer.alloc(0), charset),
    );
    const req = parseV2Infer(body);
    const result = await predictor.predict(req.table, { what: "the request" });
    if (request.params.version !== undefined && result.version !== m.version)
      throw new ServeError({
        message: `model "${name}" moved to version ${result.version} during the request: retry`,
        status: 503,
        code: "version_moved",
      });
    metrics.predicted(result.version, result.predictions.length);
    metrics.served(result.version);
    reply.header(MODEL_VERSION_HEADER, String(result.version));
    return v2Response(result, req);
  };
  app.get("/v2/models/:name", metadata);
  app.get("/v2/models/:name/versions/:version", metadata);
  app.get("/v2/models/:name/ready", ready);
  app.get("/v2/models/:name/versions/:version/ready", ready);
  app.post("/v2/models/:name/infer", infer);
  app.post("/v2/models/:name/versions/:version/infer", infer);

  // ---------------------------------------------------------------- metrics
  app.get("/metrics", async (_req, reply) => {
    current();
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(metrics.render());
  });
  /**
   * Graceful stop. Answers carry `Connection: close` from now on; connections that were waiting to
   * be accepted (the event loop was busy predicting) are still accepted until no request ran or
   * arrived for `quietMs` (at most `graceMs`); then no new connection is accepted, every request
   * that reaches an open connection is answered, and idle connections are closed. Node's own close
   * would drop a connection whose request is not parsed yet: that request would be lost.
   */
  const shutdown = async (quietMs = 250, graceMs = 2_000) => {
    closing = true;
    const sleep = () => new Promise((r) => setTimeout(r, 25));
    const quiet = () => active === 0 && Date.now() - lastActivity >= quietMs;
    const until = Date.now() + graceMs;
    while (!quiet() && Date.now() < until) await sleep();
    const server = app.server;
    const closeIdle = server.closeIdleConnections.bind(server);
    server.closeIdleConnections = () => undefined;
    const closed = app.close();
    while (!quiet()) await sleep();
    server.closeIdleConnections = closeIdle;
    closeIdle();
    await closed;
  };
  return { app, metrics, shutdown };
}
