// Transport behaviour that a healthy MLflow server cannot be made to show on demand (429, 503,
// slow answers, HTML from a proxy, auth challenges), against a scripted Node HTTP server on
// 127.0.0.1; plus settings resolution and the client-side limits. Real-server behaviour is covered
// by the other test files.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancelledError, ConfigError, createLogger, type LogRecord, RemoteServiceError } from "@lolpop/core";
import { freePort } from "../test/fixtures/mlflow-server.mjs";
import { MlflowClient } from "./mlflow-client.js";
import { chunkLogBatch, encodeJson, keyProblem, MLFLOW_LIMITS } from "./mlflow-limits.js";
import { readCredentialsFile, resolveConnectionSettings } from "./mlflow-settings.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler;
const seen: Array<{ method: string; url: string; headers: IncomingMessage["headers"]; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  seen.length = 0;
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

function mk(config: Record<string, unknown> = {}, env: Record<string, string> = {}, extra = {}) {
  return new MlflowClient({
    config: { tracking_uri: base, max_retries: 3, backoff_factor_s: 0.02, backoff_jitter_s: 0.01, ...config },
    resolve: { env, credentialsFile: join(tmpdir(), "lolpop-no-credentials") },
    ...extra,
  });
}

describe("retries", () => {
  it("retries idempotent calls on 503 and 429 with exponential backoff and honours Retry-After", async () => {
    let n = 0;
    handler = (_req, _body, res) => {
      n++;
      if (n === 1) return json(res, 503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" });
      if (n === 2)
        return json(
          res,
          429,
          { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" },
          { "retry-after": "0.3" },
        );
      json(res, 200, { run: { info: { run_id: "abc", status: "RUNNING" } } });
    };
    const t0 = Date.now();
    const run = await mk().getRun("abc");
    expect(run.info!.run_id).toBe("abc");
    expect(n).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it("gives up after max_retries and keeps the last status, error_code and attempt count", async () => {
    handler = (_req, _body, res) => json(res, 500, { error_code: "INTERNAL_ERROR", message: "boom" });
    const err = await mk({ max_retries: 2 })
      .getRun("abc")
      .catch((e) => e);
    expect(RemoteServiceError.isInstance(err)).toBe(true);
    expect(err.status).toBe(500);
    expect(err.serviceCode).toBe("INTERNAL_ERROR");
    expect(err.details.attempts).toBe(3);
    expect(err.message).toMatch(/gave up after 3 attempts/);
    expect(seen.length).toBe(3);
  });

  it("does not retry a 5xx of a non-idempotent call without a way to check its effect", async () => {
    handler = (_req, _body, res) => json(res, 500, { error_code: "INTERNAL_ERROR", message: "boom" });
    await expect(mk().logMetric("abc", "m", 1)).rejects.toMatchObject({ status: 500 });
    expect(seen.length).toBe(1);
  });

  it("looks for a run created by an attempt that failed ambiguously instead of creating it twice", async () => {
    let created = 0;
    let requestId = "";
    handler = (req, body, res) => {
      if (req.url!.endsWith("/runs/create")) {
        created++;
        requestId = JSON.parse(body).tags.find((t: { key: string }) => t.key === "lolpop.request_id").value;
        // The server created the run but the answer was lost.
        return json(res, 502, { message: "bad gateway" });
      }
      if (req.url!.endsWith("/runs/search")) {
        expect(JSON.parse(body).filter).toBe(`tags.\`lolpop.request_id\` = '${requestId}'`);
        return json(res, 200, { runs: [{ info: { run_id: "found" } }] });
      }
      json(res, 404, {});
    };
    const run = await mk().createRun({ experimentId: "1", runName: "x" });
    expect(run.info!.run_id).toBe("found");
    expect(created).toBe(1);
  });

  it("retries any call whose connection was refused (nothing reached the server)", async () => {
    const port = await freePort();
    const client = new MlflowClient({
      config: {
        tracking_uri: `http://127.0.0.1:${port}`,
        max_retries: 2,
        backoff_factor_s: 0.01,
        backoff_jitter_s: 0,
      },
      resolve: { env: {} },
    });
    const err = await client.logMetric("abc", "m", 1).catch((e) => e);
    expect(err.message).toMatch(/cannot connect to MLflow at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(err.details.attempts).toBe(3);
    expect(await client.health()).toBe(false);
  });

  it("gives up on a server that refuses the first connection within connect_timeout_s, saying what to check", async () => {
    const port = await freePort();
    const client = new MlflowClient({
      config: {
        tracking_uri: `http://127.0.0.1:${port}`,
        connect_timeout_s: 1,
        backoff_factor_s: 0.1,
        backoff_jitter_s: 0,
      },
      resolve: { env: {} },
    });
    const t0 = Date.now();
    const err = await client.getRun("abc").catch((e) => e);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(10_000);
    expect(err.details.reason).toBe("connect");
    expect(err.message).toMatch(
      /cannot connect to MLflow at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*gave up after \d+ attempts.*connect_timeout_s/,
    );
    expect(err.message).toMatch(/is `mlflow server` running.*port/);
  });

  it("keeps retrying a server that answered once and then went away (the full retry policy)", async () => {
    let n = 0;
    const server2 = createServer((_req, res) => {
      n++;
      json(res, 200, { run: { info: { run_id: `r${n}` } } });
    });
    await new Promise<void>((r) => server2.listen(0, "127.0.0.1", r));
    const port = (server2.address() as AddressInfo).port;
    const client = new MlflowClient({
      config: {
        tracking_uri: `http://127.0.0.1:${port}`,
        connect_timeout_s: 0.2,
        max_retries: 40,
        backoff_factor_s: 0.05,
        backoff_jitter_s: 0,
        max_backoff_s: 0.1,
      },
      resolve: { env: {} },
    });
    expect((await client.getRun("a")).info!.run_id).toBe("r1");
    server2.closeAllConnections();
    await new Promise((r) => server2.close(r));
    const later = client.getRun("b");
    await new Promise((r) => setTimeout(r, 1000));
    const again = createServer((_req, res) => json(res, 200, { run: { info: { run_id: "back" } } }));
    await new Promise<void>((r) => again.listen(port, "127.0.0.1", r));
    expect((await later).info!.run_id).toBe("back");
    again.closeAllConnections();
    await new Promise((r) => again.close(r));
  });

  it("times out slow attempts and retries idempotent ones", async () => {
    let n = 0;
    handler = (_req, _body, res) => {
      n++;
      if (n === 1) setTimeout(() => json(res, 200, { run: { info: { run_id: "late" } } }), 1500);
      else json(res, 200, { run: { info: { run_id: "quick" } } });
    };
    const run = await mk({ request_timeout_s: 0.3 }).getRun("x");
    expect(run.info!.run_id).toBe("quick");
    handler = (_req, _body, res) => setTimeout(() => json(res, 200, {}), 1500);
    const err = await mk({ request_timeout_s: 0.2, max_retries: 0 })
      .getRun("x")
      .catch((e) => e);
    expect(err.message).toMatch(/timed out after 0 s \(request_timeout_s/);
  });

  it("stops waiting when cancelled", async () => {
    handler = (_req, _body, res) => json(res, 503, { message: "busy" });
    const ac = new AbortController();
    const client = mk({ backoff_factor_s: 5, max_retries: 5 }, {}, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("user pressed ctrl-c")), 200);
    const t0 = Date.now();
    const err = await client.getRun("x").catch((e) => e);
    expect(CancelledError.isInstance(err)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe("error bodies", () => {
  it("reads HTML and plain-text error pages from proxies and adds hints", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>");
    };
    const err = await mk({ max_retries: 0 })
      .getRun("x")
      .catch((e) => e);
    expect(err.status).toBe(502);
    expect(err.serviceCode).toBeUndefined();
    expect(err.message).toMatch(/failed with 502: 502 Bad Gateway nginx/);
    handler = (_req, _body, res) => {
      res.writeHead(401, { "content-type": "text/plain" });
      res.end("You are not authenticated.");
    };
    const auth = await mk()
      .getRun("x")
      .catch((e) => e);
    expect(auth.status).toBe(401);
    expect(auth.message).toMatch(/MLFLOW_TRACKING_USERNAME/);
    expect(seen.length).toBe(2); // 502 once (max_retries 0), 401 never retried
  });

  it("reports a 200 answer that is not JSON", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>a login page</html>");
    };
    const err = await mk()
      .getRun("x")
      .catch((e) => e);
    expect(err.message).toMatch(/not JSON/);
  });
});

describe("auth and secrets", () => {
  it("sends basic auth (winning over a token), bearer tokens, and credentials from the URL or the credentials file", async () => {
    handler = (_req, _body, res) => json(res, 200, {});
    // Credentials from the environment go to the server MLFLOW_TRACKING_URI names (paired).
    await mk({ username: "ann", password: "s3cret-pass" }, { MLFLOW_TRACKING_TOKEN: "tok-123456" }).getRun(
      "x",
    );
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from("ann:s3cret-pass").toString("base64")}`);
    await mk(
      {},
      {
        MLFLOW_TRACKING_URI: base,
        MLFLOW_TRACKING_USERNAME: "bob",
        MLFLOW_TRACKING_PASSWORD: "pw-987654",
        MLFLOW_TRACKING_TOKEN: "tok-123456",
      },
    ).getRun("x");
    expect(seen[1]!.headers.authorization).toBe(`Basic ${Buffer.from("bob:pw-987654").toString("base64")}`);
    await mk({}, { MLFLOW_TRACKING_URI: `${base}/`, MLFLOW_TRACKING_TOKEN: "tok-123456" }).getRun("x");
    expect(seen[2]!.headers.authorization).toBe("Bearer tok-123456");
    const withUser = new MlflowClient({
      config: { tracking_uri: base.replace("http://", "http://carol:pa%24%24word@") },
      resolve: { env: {}, credentialsFile: join(tmpdir(), "lolpop-no-credentials") },
    });
    expect(withUser.trackingUri).toBe(base);
    await withUser.getRun("x");
    expect(seen[3]!.headers.authorization).toBe(`Basic ${Buffer.from("carol:pa$$word").toString("base64")}`);
    const dir = mkdtempSync(join(tmpdir(), "lolpop-cred-"));
    const file = join(dir, "credentials");
    writeFileSync(
      file,
      "[other]\nmlflow_tracking_username = x\n[mlflow]\nmlflow_tracking_username = dave\nmlflow_tracking_password = file-pass-1\n",
    );
    expect(readCredentialsFile(file)).toEqual({ username: "dave", password: "file-pass-1" });
    await new MlflowClient({
      config: { tracking_uri: base },
      resolve: { env: { MLFLOW_TRACKING_URI: base }, credentialsFile: file },
    }).getRun("x");
    expect(seen[4]!.headers.authorization).toBe(
      `Basic ${Buffer.from("dave:file-pass-1").toString("base64")}`,
    );
    await mk().getRun("x");
    expect(seen[5]!.headers.authorization).toBeUndefined();
    expect(seen.every((s) => s.headers.origin === undefined)).toBe(true);
  });

  it("lets credentials in tracking_uri win over MLFLOW_TRACKING_TOKEN", async () => {
    handler = (_req, _body, res) => json(res, 200, {});
    await new MlflowClient({
      config: { tracking_uri: base.replace("http://", "http://erin:uri-pass-1@") },
      resolve: {
        env: { MLFLOW_TRACKING_URI: base, MLFLOW_TRACKING_TOKEN: "tok-ambient-1" },
        credentialsFile: join(tmpdir(), "lolpop-no-credentials"),
      },
    }).getRun("x");
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from("erin:uri-pass-1").toString("base64")}`);
  });

  it("never sends ambient credentials to a server they are not paired with, and says so on a 401", async () => {
    handler = (_req, _body, res) => json(res, 401, { error_code: "UNAUTHENTICATED", message: "who are you" });
    const ambient = {
      MLFLOW_TRACKING_TOKEN: "tok-ambient-2",
      MLFLOW_TRACKING_USERNAME: "frank",
      MLFLOW_TRACKING_PASSWORD: "pw-ambient-2",
    };
    const file = join(mkdtempSync(join(tmpdir(), "lolpop-cred-")), "credentials");
    writeFileSync(
      file,
      "[mlflow]\nmlflow_tracking_username = gina\nmlflow_tracking_password = file-pass-2\n",
    );
    for (const env of [ambient, { ...ambient, MLFLOW_TRACKING_URI: "https://mlflow.company.example" }]) {
      const err = await new MlflowClient({
        config: { tracking_uri: base, max_retries: 0 },
        resolve: { env, credentialsFile: file },
      })
        .getRun("x")
        .catch((e) => e);
      expect(err.status).toBe(401);
      expect(err.message).toMatch(
        /credentials from the environment were not sent.*MLFLOW_TRACKING_URI.*token: \$\{env:MLFLOW_TRACKING_TOKEN\}/,
      );
      expect(err.message).not.toContain("tok-ambient-2");
    }
    expect(seen.map((x) => x.headers.authorization)).toEqual([undefined, undefined]);
  });

  it("never puts credentials in logs or errors, even when the server echoes them", async () => {
    handler = (req, _body, res) =>
      json(res, 401, {
        error_code: "UNAUTHENTICATED",
        message: `bad credentials: ${req.headers.authorization}`,
      });
    const lines: LogRecord[] = [];
    const logger = createLogger({
      level: "debug",
      format: "json",
      stream: { write: () => true },
      sinks: [(l) => lines.push(l)],
    });
    const err = await mk({ username: "erin", password: "very-secret-pw" }, {}, { logger })
      .getRun("x")
      .catch((e) => e);
    const b64 = Buffer.from("erin:very-secret-pw").toString("base64");
    const text = `${err.message} ${JSON.stringify(err.details)} ${JSON.stringify(lines)}`;
    expect(err.status).toBe(401);
    expect(text).not.toContain("very-secret-pw");
    expect(text).not.toContain(b64);
    expect(err.message).toContain("***");
    handler = (_req, _body, res) => json(res, 503, { message: "busy" });
    await mk({ token: "tok-abcdef-secret" }, {}, { logger })
      .getRun("x")
      .catch(() => undefined);
    expect(lines.some((l) => /retry 1\/3/.test(l.msg))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain("tok-abcdef-secret");
  });
});

describe("settings", () => {
  it("requires an http(s) tracking URI and names the config key and variable", () => {
    const noUri = (() => {
      try {
        resolveConnectionSettings({}, { env: {}, configPath: "metadata_tracker.config" });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(ConfigError.isInstance(noUri)).toBe(true);
    expect(noUri.issues[0]!.path).toBe("metadata_tracker.config.tracking_uri");
    expect(noUri.message).toMatch(/MLFLOW_TRACKING_URI/);
    expect(() => resolveConnectionSettings({ tracking_uri: "file:///tmp/mlruns" }, { env: {} })).toThrow(
      /not supported/,
    );
    expect(() => resolveConnectionSettings({ tracking_uri: "databricks" }, { env: {} })).toThrow(
      /Databricks/,
    );
    expect(() => resolveConnectionSettings({ tracking_uri: "not a url" }, { env: {} })).toThrow(/not a URL/);
    expect(() =>
      resolveConnectionSettings({ tracking_uri: base }, { env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: "many" } }),
    ).toThrow(/MLFLOW_HTTP_REQUEST_MAX_RETRIES/);
  });

  it("reads MLflow's environment variables with the Python client's defaults", () => {
    const s = resolveConnectionSettings(
      {},
      {
        env: {
          MLFLOW_TRACKING_URI: "https://mlflow.example.com/prefix/",
          MLFLOW_TRACKING_INSECURE_TLS: "true",
          MLFLOW_TRACKING_SERVER_CERT_PATH: "/ca.pem",
          MLFLOW_HTTP_REQUEST_TIMEOUT: "30",
          MLFLOW_HTTP_REQUEST_MAX_RETRIES: "2",
        },
        credentialsFile: join(tmpdir(), "lolpop-no-credentials"),
      },
    );
    expect(s).toMatchObject({
      trackingUri: "https://mlflow.example.com/prefix",
      insecureTls: true,
      caBundlePath: "/ca.pem",
      timeoutMs: 30_000,
      retry: { maxRetries: 2, backoffFactorMs: 2000, backoffJitterMs: 1000, maxBackoffMs: 120_000 },
      auth: { type: "none" },
    });
    const cfg = resolveConnectionSettings(
      { tracking_uri: "http://h:1", max_retries: 0, request_timeout_s: 5 },
      { env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: "9" } },
    );
    expect(cfg.retry.maxRetries).toBe(0);
    expect(cfg.timeoutMs).toBe(5000);
  });
});

describe("limits", () => {
  it("checks keys like MLflow's validation", () => {
    for (const ok of ["a", "train.f1_macro", "a/b", "with space", "x:y", "ünï-cödé_1", "k".repeat(250)])
      expect(keyProblem(ok)).toBeUndefined();
    for (const bad of ["", "/a", "a/", "a//b", "..a", "a/../b", "./a", "a;b", "a\nb", "k".repeat(251), "a@b"])
      expect(keyProblem(bad)).toBeDefined();
  });

  it("splits log-batch payloads within the per-request counts and size", () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: `m${i % 7}`,
      value: i,
      timestamp: 1,
      step: i,
    }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: "v" }));
    const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: "w" }));
    const chunks = chunkLogBatch({ metrics, params, tags });
    for (const c of chunks) {
      expect(c.metrics.length).toBeLessThanOrEqual(MLFLOW_LIMITS.metricsPerBatch);
      expect(c.params.length).toBeLessThanOrEqual(MLFLOW_LIMITS.paramsPerBatch);
      expect(c.tags.length).toBeLessThanOrEqual(MLFLOW_LIMITS.tagsPerBatch);
      expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(
        MLFLOW_LIMITS.entitiesPerBatch,
      );
    }
    expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
    expect(chunks.flatMap((c) => c.params)).toEqual(params);
    expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
    // Size: 100 params of 6,000 and 100 tags of 8,000 characters fit the counts of one request
    // but not its 1 MB.
    const sized = chunkLogBatch({
      params: Array.from({ length: 100 }, (_, i) => ({ key: `big${i}`, value: "x".repeat(6000) })),
      tags: Array.from({ length: 100 }, (_, i) => ({ key: `big${i}`, value: "y".repeat(8000) })),
    });
    for (const c of sized)
      expect(Buffer.byteLength(encodeJson({ run_id: "r".repeat(32), ...c }))).toBeLessThanOrEqual(
        MLFLOW_LIMITS.batchRequestBytes,
      );
    expect(sized.length).toBeGreaterThanOrEqual(2);
  });

  it("encodes non-finite numbers as MLflow's strings", () => {
    expect(encodeJson({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: -Infinity, d: 1.5 })).toBe(
      '{"a":"NaN","b":"Infinity","c":"-Infinity","d":1.5}',
    );
  });
});
