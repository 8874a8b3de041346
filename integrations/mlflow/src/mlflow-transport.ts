/**
 * HTTP transport of the MLflow client, on Node's fetch: auth headers, TLS options (through an undici
 * Agent, loaded only when TLS options are set), per-attempt timeouts, retries with exponential
 * backoff and jitter, and MLflow's error format mapped to {@link RemoteServiceError}.
 *
 * Retry rules: a request that never reached the server (connection refused, DNS failure) is retried
 * whatever its method; 408, 429 and 5xx answers, timeouts and broken connections are retried only
 * for idempotent calls (a retried `log-metric` would append a duplicate point). Non-idempotent calls
 * may pass `recover`, which looks for the effect of an attempt that may have succeeded before retrying.
 * Until the server has answered once, connection failures are retried only for `connect_timeout_s`
 * (a wrong host or port fails within seconds, saying what to check); once it has answered, an
 * outage gets the full retry policy (a server restart mid-run is waited for).
 *
 * Credentials never reach logs or errors: headers and bodies are never logged, messages are passed
 * through `redactText`, and the URL is stripped of user info.
 */
import { createWriteStream } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CancelledError, type Logger, RemoteServiceError, redactText, silentLogger } from "@lolpop/core";
import { encodeJson } from "./mlflow-limits.js";
import type { MlflowConnectionSettings } from "./mlflow-settings.js";
import type { MlflowErrorBody } from "./mlflow-types.js";

/** HTTP statuses retried (as MLflow's Python client does). */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Network error codes meaning the request never reached the server (safe to retry any call). */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** TLS failures: not retried, reported with a hint. */
const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/** How a response is read. */
export type ResponseKind = "json" | "bytes" | "none";

/** One request to the server. */
export interface MlflowRequest {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Path below the tracking URI, starting with `/`, e.g. `/api/2.0/mlflow/runs/get`. */
  path: string;
  /** Query parameters; arrays repeat the key; undefined values are skipped. */
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  /** JSON body (non-finite numbers are sent as MLflow's "NaN"/"Infinity" strings). */
  json?: unknown;
  /** Raw body (artifact uploads); a function is called per attempt. */
  body?: Uint8Array | (() => Promise<Uint8Array>);
  contentType?: string;
  /** Safe to repeat: retried on timeouts, broken connections, 408, 429 and 5xx. */
  idempotent: boolean;
  /**
   * For non-idempotent calls: after an attempt whose outcome is unknown (timeout, broken connection,
   * 5xx), looks for its effect; a value is returned as the result, undefined means "retry".
   */
  recover?: () => Promise<unknown>;
  /** Default `json`. */
  response?: ResponseKind;
  /** Overrides the retry policy's `maxRetries` for this request. */
  maxRetries?: number;
  signal?: AbortSignal;
}

/** Options of {@link MlflowTransport}. */
export interface MlflowTransportOptions {
  settings: MlflowConnectionSettings;
  /** Receives debug lines per request and warnings per retry (never headers or bodies). */
  logger?: Logger;
  /** Cancels waits and requests (e.g. the workflow's signal). */
  signal?: AbortSignal;
  /** Replaces `fetch` (tests, proxies). When TLS options are set, undici's fetch is used instead. */
  fetch?: typeof fetch;
  /** Sleep function (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** User agent sent with each request. */
  userAgent?: string;
}

/** What went wrong in one attempt. */
interface AttemptFailure {
  error: RemoteServiceError;
  /** Safe to retry whatever the method (nothing reached the server, or the server refused to process it). */
  notProcessed: boolean;
  /** Worth retrying at all. */
  transient: boolean;
  /** Server-provided wait (Retry-After), in ms. */
  retryAfterMs?: number;
}

function errorCodes(e: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (x: unknown) => {
    if (!x || typeof x !== "object" || seen.has(x)) return;
    seen.add(x);
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string") out.push(code);
    visit((x as { cause?: unknown }).cause);
    const errors = (x as { errors?: unknown }).errors;
    if (Array.isArray(errors)) errors.forEach(visit);
  };
  visit(e);
  return out;
}

function innermostMessage(e: unknown): string {
  let cur = e;
  let msg = e instanceof Error ? e.message : String(e);
  const seen = new Set<unknown>();
  while (cur && typeof cur === "object" && !seen.has(cur)) {
    seen.add(cur);
    if (cur instanceof Error && cur.message) msg = cur.message;
    const errors = (cur as { errors?: unknown[] }).errors;
    cur = (cur as { cause?: unknown }).cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return msg;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(t);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Hint appended to an error message, by status and body. */
function hintFor(
  status: number,
  code: string | undefined,
  plainText: boolean,
  body: string,
  unpaired?: string[],
): string {
  if (status === 401 && unpaired?.length)
    return ` The credentials from the environment were not sent: ${unpaired.join(", ")} pair with the server MLFLOW_TRACKING_URI names, and the config's tracking_uri names another one (or MLFLOW_TRACKING_URI is unset). To send them to this server, set MLFLOW_TRACKING_URI to it, or write token: \${env:MLFLOW_TRACKING_TOKEN} (or username and password) in the component's config.`;
  if (status === 401)
    return " Check the credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN), or username/password/token in the component's config.";
  if (status === 403 && plainText && /host|cross-origin|cors/i.test(body))
    return " The MLflow server's security middleware refused the request: start it with --allowed-hosts <your host> (and --cors-allowed-origins for browsers).";
  if (status === 403)
    return " The user lacks permission for this resource on the MLflow server (ask an admin to grant it).";
  if (status === 404 && (code === undefined || code === "ENDPOINT_NOT_FOUND") && plainText)
    return " The endpoint does not exist: check that tracking_uri points at an MLflow 3.x server (and its path prefix), and that artifacts are served (--serve-artifacts).";
  return "";
}

/** What to check when a connection cannot be made, by the network error code. */
function connectAdvice(codes: string[]): string {
  if (codes.includes("ENOTFOUND") || codes.includes("EAI_AGAIN"))
    return "the host name does not resolve: check the host in tracking_uri / MLFLOW_TRACKING_URI (and your network or VPN)";
  if (codes.includes("ECONNREFUSED"))
    return "nothing listens there: is `mlflow server` running, and do tracking_uri / MLFLOW_TRACKING_URI name its host and port (mlflow server --host 127.0.0.1 --port 5000 serves http://127.0.0.1:5000)?";
  return "the host cannot be reached: is `mlflow server` running, and do tracking_uri / MLFLOW_TRACKING_URI name its host and port (and does your network reach it)?";
}

/** Sends requests to one MLflow server. Create one per client; it keeps connections alive. */
export class MlflowTransport {
  readonly settings: MlflowConnectionSettings;
  private readonly logger: Logger;
  private readonly signal?: AbortSignal;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly userAgent: string;
  private fetchImpl?: typeof fetch;
  private fetchInit?: Promise<typeof fetch>;
  private readonly customFetch?: typeof fetch;
  private dispatcher?: unknown;
  /** The server has answered at least once (any HTTP status): connection failures get the full retry policy. */
  private contacted = false;

  constructor(options: MlflowTransportOptions) {
    this.settings = options.settings;
    this.logger = options.logger ?? silentLogger;
    this.signal = options.signal;
    this.sleep = options.sleep ?? defaultSleep;
    this.userAgent = options.userAgent ?? "lolpop-mlflow";
    this.customFetch = options.fetch;
  }

  /** The fetch to use: custom, global, or undici's with an Agent carrying the TLS options. */
  private getFetch(): Promise<typeof fetch> {
    if (this.fetchImpl) return Promise.resolve(this.fetchImpl);
    this.fetchInit ??= (async () => {
      const s = this.settings;
      const tls = s.insecureTls || s.caBundlePath || s.clientCertPath;
      if (this.customFetch || !tls) {
        this.fetchImpl = this.customFetch ?? globalThis.fetch;
        return this.fetchImpl;
      }
      const read = async (path: string, what: string) => {
        try {
          return await readFile(path);
        } catch (e) {
          throw new RemoteServiceError({
            service: "mlflow",
            message: `cannot read the ${what} ${path}: ${(e as Error).message}`,
            cause: e,
          });
        }
      };
      const connect: Record<string, unknown> = {};
      if (s.insecureTls) connect.rejectUnauthorized = false;
      if (s.caBundlePath)
        connect.ca = await read(s.caBundlePath, "CA bundle (ca_bundle / MLFLOW_TRACKING_SERVER_CERT_PATH)");
      if (s.clientCertPath) {
        const cert = await read(
          s.clientCertPath,
          "client certificate (client_cert / MLFLOW_TRACKING_CLIENT_CERT_PATH)",
        );
        connect.cert = cert;
        connect.key = s.clientKeyPath ? await read(s.clientKeyPath, "client key (client_key)") : cert;
      }
      const undici = await import("undici");
      this.dispatcher = new undici.Agent({ connect });
      const f = undici.fetch as unknown as typeof fetch;
      this.fetchImpl = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
        f(input, { ...init, dispatcher: this.dispatcher } as RequestInit)) as typeof fetch;
      return this.fetchImpl;
    })();
    return this.fetchInit;
  }

  /** Closes kept-alive connections of a TLS agent (the global fetch pool closes on its own). */
  async close(): Promise<void> {
    const d = this.dispatcher as { close?: () => Promise<void> } | undefined;
    this.dispatcher = undefined;
    this.fetchImpl = undefined;
    this.fetchInit = undefined;
    await d?.close?.();
  }

  private url(req: MlflowRequest): string {
    let url = `${this.settings.trackingUri}${req.path}`;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) params.append(k, item);
      else params.append(k, String(v));
    }
    const q = params.toString();
    if (q) url += `?${q}`;
    return url;
  }

  private async headers(req: MlflowRequest): Promise<Record<string, string>> {
    const h: Record<string, string> = { "user-agent": this.userAgent, accept: "application/json, */*" };
    if (req.json !== undefined) h["content-type"] = "application/json";
    else if (req.body !== undefined) h["content-type"] = req.contentType ?? "application/octet-stream";
    const auth = this.settings.auth;
    if (auth.type === "basic")
      h.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
    else if (auth.type === "bearer") h.authorization = `Bearer ${auth.token}`;
    else if (auth.type === "custom") Object.assign(h, await auth.headers());
    return h;
  }

  private describe(req: MlflowRequest): string {
    return `${req.method} ${this.settings.trackingUri}${req.path}`;
  }

  /** Backoff before retry `n` (1-based): factor * 2^(n-1), capped, plus jitter; at least Retry-After. */
  backoffMs(n: number, retryAfterMs?: number): number {
    const r = this.settings.retry;
    const base = Math.min(r.maxBackoffMs, r.backoffFactorMs * 2 ** (n - 1));
    const wait = base + Math.random() * r.backoffJitterMs;
    return Math.min(r.maxBackoffMs, Math.max(wait, retryAfterMs ?? 0));
  }

  /**
   * Sends a request with retries and returns the parsed JSON (`{}` for an empty body), the bytes,
   * or nothing.
   * @throws RemoteServiceError with the HTTP status and MLflow's `error_code` as `serviceCode`.
   * @throws CancelledError when the signal aborts.
   */
  async request<T = unknown>(req: MlflowRequest): Promise<T> {
    return this.withRetries(req, async (res) => {
      const kind = req.response ?? "json";
      if (kind === "none") {
        await res.arrayBuffer().catch(() => undefined);
        return undefined as T;
      }
      if (kind === "bytes") return new Uint8Array(await res.arrayBuffer()) as T;
      const text = await res.text();
      if (text.trim() === "") return {} as T;
      try {
        return JSON.parse(text) as T;
      } catch (e) {
        throw new RemoteServiceError({
          service: "mlflow",
          status: res.status,
          message: `MLflow ${this.describe(req)} answered ${res.status} with a body that is not JSON (${redactText(text.slice(0, 200))}): is tracking_uri the URL of an MLflow server?`,
          cause: e,
        });
      }
    });
  }

  /** Downloads a response body into `dest` (written to a temp file, then renamed), with retries. */
  async download(req: Omit<MlflowRequest, "response" | "idempotent">, dest: string): Promise<void> {
    const tmp = `${dest}.${process.pid}.${Math.random().toString(16).slice(2, 10)}.part`;
    try {
      await this.withRetries({ ...req, idempotent: true }, async (res) => {
        if (!res.body) throw new Error("empty response body");
        await pipeline(Readable.fromWeb(res.body as never), createWriteStream(tmp));
      });
      await rename(tmp, dest);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private async withRetries<T>(req: MlflowRequest, read: (res: Response) => Promise<T>): Promise<T> {
    const max = req.maxRetries ?? this.settings.retry.maxRetries;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const failure = await this.attempt(req, read);
      if (failure.ok) return failure.value;
      const f = failure.failure;
      const retryable = f.transient && (req.idempotent || f.notProcessed || req.recover !== undefined);
      // Before the server has ever answered, a refused connection or unknown host is most likely a
      // wrong URL or a server not started: retried only within connect_timeout_s.
      const firstContact = !this.contacted && f.error.details.reason === "connect";
      const elapsed = Date.now() - started;
      const budget = this.settings.retry.connectTimeoutMs;
      const overBudget = firstContact && elapsed >= budget;
      if (!retryable || attempt >= max || overBudget) {
        if (attempt > 0) f.error.details.attempts = attempt + 1;
        if (attempt > 0 && retryable)
          f.error.message = `${f.error.message} (gave up after ${attempt + 1} attempts over ${Math.round(elapsed / 1000)} s${firstContact ? `; connect_timeout_s (${budget / 1000} s) sets how long a first connection is retried` : ""})`;
        throw f.error;
      }
      const backoff = this.backoffMs(attempt + 1, f.retryAfterMs);
      const wait = firstContact ? Math.max(0, Math.min(backoff, budget - elapsed)) : backoff;
      this.logger.warn(
        `MLflow ${req.method} ${req.path}: ${f.error.message.split("\n")[0]}; retry ${attempt + 1}/${max} in ${(wait / 1000).toFixed(1)} s`,
      );
      await this.cancellable(this.sleep(wait, this.combinedSignal(req)), req);
      if (req.recover && !req.idempotent && !f.notProcessed) {
        // The attempt may have succeeded: look for its effect before sending it again.
        const found = await this.tryRecover(req);
        if (found !== undefined) return found as T;
      }
    }
  }

  private async tryRecover(req: MlflowRequest): Promise<unknown> {
    for (let i = 0; ; i++) {
      try {
        return await req.recover!();
      } catch (e) {
        if (i >= this.settings.retry.maxRetries) throw e;
        await this.cancellable(this.sleep(this.backoffMs(i + 1), this.combinedSignal(req)), req);
      }
    }
  }

  private combinedSignal(req: MlflowRequest): AbortSignal | undefined {
    const signals = [this.signal, req.signal].filter((s): s is AbortSignal => s !== undefined);
    if (signals.length === 0) return undefined;
    if (signals.length === 1) return signals[0];
    return AbortSignal.any(signals);
  }

  private async cancellable<T>(p: Promise<T>, req: MlflowRequest): Promise<T> {
    try {
      return await p;
    } catch (e) {
      const s = this.combinedSignal(req);
      if (s?.aborted)
        throw new CancelledError({ path: `MLflow ${req.method} ${req.path}`, reason: s.reason });
      throw e;
    }
  }

  private async attempt<T>(
    req: MlflowRequest,
    read: (res: Response) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; failure: AttemptFailure }> {
    const outer = this.combinedSignal(req);
    if (outer?.aborted)
      throw new CancelledError({ path: `MLflow ${req.method} ${req.path}`, reason: outer.reason });
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error("timeout")), this.settings.timeoutMs);
    const signal = outer ? AbortSignal.any([outer, timeout.signal]) : timeout.signal;
    const t0 = Date.now();
    try {
      const f = await this.getFetch();
      const body =
        req.json !== undefined
          ? encodeJson(req.json)
          : typeof req.body === "function"
            ? await req.body()
            : req.body;
      let res: Response;
      try {
        res = await f(this.url(req), {
          method: req.method,
          headers: await this.headers(req),
          body: body as RequestInit["body"],
          signal,
          redirect: "follow",
        });
      } catch (e) {
        return { ok: false, failure: this.networkFailure(e, req, outer, timeout.signal, t0) };
      }
      this.contacted = true;
      this.logger.debug(`MLflow ${req.method} ${req.path} -> ${res.status} in ${Date.now() - t0} ms`);
      if (res.ok) {
        try {
          return { ok: true, value: await read(res) };
        } catch (e) {
          if (RemoteServiceError.isInstance(e)) throw e;
          return { ok: false, failure: this.networkFailure(e, req, outer, timeout.signal, t0) };
        }
      }
      return { ok: false, failure: await this.httpFailure(res, req) };
    } finally {
      clearTimeout(timer);
    }
  }

  private networkFailure(
    e: unknown,
    req: MlflowRequest,
    outer: AbortSignal | undefined,
    timeout: AbortSignal,
    t0: number,
  ): AttemptFailure {
    if (outer?.aborted)
      throw new CancelledError({ path: `MLflow ${req.method} ${req.path}`, reason: outer.reason });
    const what = this.describe(req);
    if (timeout.aborted) {
      return {
        transient: true,
        notProcessed: false,
        error: new RemoteServiceError({
          service: "mlflow",
          message: `MLflow ${what} timed out after ${Math.round((Date.now() - t0) / 1000)} s (request_timeout_s / MLFLOW_HTTP_REQUEST_TIMEOUT)`,
          details: { method: req.method, path: req.path, reason: "timeout" },
          cause: e,
        }),
      };
    }
    const codes = errorCodes(e);
    const tls =
      codes.find((c) => TLS_CODES.has(c)) ??
      (/certificate|self[- ]signed|SSL/i.test(innermostMessage(e)) ? "TLS" : undefined);
    if (tls) {
      return {
        transient: false,
        notProcessed: true,
        error: new RemoteServiceError({
          service: "mlflow",
          message: redactText(
            `cannot connect to MLflow at ${this.settings.trackingUri}: TLS error (${innermostMessage(e)}). Trust the server's CA with ca_bundle / MLFLOW_TRACKING_SERVER_CERT_PATH, or (for tests only) set insecure_tls / MLFLOW_TRACKING_INSECURE_TLS=true.`,
          ),
          details: { method: req.method, path: req.path, reason: "tls", codes },
          cause: e,
        }),
      };
    }
    const notSent = codes.some((c) => NOT_SENT_CODES.has(c));
    return {
      transient: true,
      notProcessed: notSent,
      error: new RemoteServiceError({
        service: "mlflow",
        message: redactText(
          notSent
            ? `cannot connect to MLflow at ${this.settings.trackingUri} (${codes.find((c) => NOT_SENT_CODES.has(c))}): ${connectAdvice(codes)}`
            : `MLflow ${what} failed: ${innermostMessage(e)}`,
        ),
        details: { method: req.method, path: req.path, reason: notSent ? "connect" : "network", codes },
        cause: e,
      }),
    };
  }

  private async httpFailure(res: Response, req: MlflowRequest): Promise<AttemptFailure> {
    let text = "";
    try {
      text = (await res.text()).slice(0, 64 * 1024);
    } catch {
      // body unreadable: the status is all there is
    }
    let body: MlflowErrorBody | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === "object") body = parsed as MlflowErrorBody;
    } catch {
      body = undefined;
    }
    const code = typeof body?.error_code === "string" ? body.error_code : undefined;
    const serverMessage =
      typeof body?.message === "string"
        ? body.message
        : text
            .replace(/<[^>]*>/g, " ")
            .replace(/\s+/g, " ")
            .trim()
            .slice(0, 300) || res.statusText;
    const plain = body === undefined;
    const message = redactText(
      `MLflow ${this.describe(req)} failed with ${res.status}${code ? ` ${code}` : ""}: ${serverMessage}.${hintFor(res.status, code, plain, text, this.settings.unpairedCredentials)}`,
    );
    const status = res.status;
    return {
      transient: RETRY_STATUSES.has(status),
      notProcessed: status === 429,
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
      error: new RemoteServiceError({
        service: "mlflow",
        status,
        serviceCode: code,
        message,
        details: { method: req.method, path: req.path },
      }),
    };
  }
}
