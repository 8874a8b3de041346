// The HTTP protocols of a served penguins model, in process (the app listening on loopback): golden
// request/response fixtures for every MLflow input format and every error status, the KServe v2
// responses validated against the protocol's JSON Schema, and the served predictions equal to the
// ones `lolpop run --step predict` wrote for the same rows.
// UPDATE_GOLDEN=1 rewrites test/fixtures/golden/*.json (review the diff).
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createServeApp, loadPredictor, type Predictor } from "../src/index.js";
import { csvRows, pkgDir, servedProject, trainVersion } from "./helpers.js";

const require = createRequire(import.meta.url);
const Ajv = require("ajv") as typeof import("ajv").default;
const goldenDir = join(pkgDir, "test", "fixtures", "golden");
const update = process.env.UPDATE_GOLDEN === "1";

let dir: string;
let predictor: Predictor;
let app: FastifyInstance;
let tokenApp: FastifyInstance;
let appUrl: string;
let tokenUrl: string;
let rows: Array<Record<string, string | null>>;

beforeAll(async () => {
  dir = servedProject();
  trainVersion(dir);
  predictor = await loadPredictor("penguins@champion", { project: join(dir, "lolpop.yaml") });
  app = (await createServeApp(predictor, { bodyLimit: 64 * 1024 })).app;
  tokenApp = (await createServeApp(predictor, { token: "s3cret-token-value" })).app;
  rows = csvRows(join(dir, "data", "new.csv"));
  appUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  tokenUrl = await tokenApp.listen({ host: "127.0.0.1", port: 0 });
}, 180_000);

/** Sends a request over loopback; status, headers and body text. */
async function call(
  base: string,
  r: { method: string; url: string; headers?: Record<string, string>; payload?: string },
): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const res = await fetch(base + r.url, {
    method: r.method,
    headers: r.headers ?? {},
    ...(r.payload !== undefined ? { body: r.payload } : {}),
  });
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

afterAll(async () => {
  await app?.close();
  await tokenApp?.close();
  predictor?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `n` rows of data/new.csv spread over the file (every species), with numbers as numbers (as a JSON client sends them). */
function jsonRows(n: number): Array<Record<string, string | number | null>> {
  const step = Math.max(1, Math.floor(rows.length / n));
  return rows
    .filter((_, i) => i % step === 0)
    .slice(0, n)
    .map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, v !== null && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v]),
      ),
    );
}

interface GoldenRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** A raw body (sent as is). */
  raw?: string;
}

interface GoldenCase {
  name: string;
  request: () => GoldenRequest;
  /** Which app answers (default: the one without a token). */
  token?: boolean;
  /** The v2 schema definition the response body must satisfy. */
  schema?: string;
}

const JSON_CT = { "content-type": "application/json" };
const records = () => jsonRows(4);
const columns = ["island", "beak_length_mm", "beak_depth_mm", "flipper_length_mm", "body_mass_g", "sex"];
const v2Inputs = (n: number, shape2 = false) => {
  const r = jsonRows(n);
  return columns.map((c) => {
    const numeric = c !== "island" && c !== "sex";
    return {
      name: c,
      shape: shape2 ? [n, 1] : [n],
      datatype: numeric ? "FP64" : "BYTES",
      data: r.map((x) => (shape2 ? [x[c]] : x[c])),
    };
  });
};

const CASES: GoldenCase[] = [
  // MLflow scoring protocol: every input format.
  { name: "mlflow-ping", request: () => ({ method: "GET", url: "/ping" }) },
  { name: "mlflow-health", request: () => ({ method: "GET", url: "/health" }) },
  {
    name: "mlflow-dataframe-split",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: {
        dataframe_split: {
          columns: Object.keys(records()[0]!),
          data: records().map((r) => Object.values(r)),
        },
      },
    }),
  },
  {
    name: "mlflow-dataframe-records",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { dataframe_records: records() },
    }),
  },
  {
    name: "mlflow-instances",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { instances: records() },
    }),
  },
  {
    name: "mlflow-inputs-columnar",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { inputs: Object.fromEntries(columns.map((c) => [c, records().map((r) => r[c])])) },
    }),
  },
  {
    name: "mlflow-inputs-records",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { inputs: records(), params: {} },
    }),
  },
  {
    name: "mlflow-params-probabilities",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { dataframe_records: records().slice(0, 2), params: { probabilities: true } },
    }),
  },
  {
    name: "mlflow-csv",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: { "content-type": "text/csv; charset=utf-8" },
      raw: `${readFileSync(join(dir, "data", "new.csv"), "utf8")
        .split("\n")
        .filter((_, i) => i === 0 || i % 17 === 1)
        .join("\n")}\n`,
    }),
  },
  // MLflow: every error status.
  {
    name: "mlflow-400-no-format-key",
    request: () => ({ method: "POST", url: "/invocations", headers: JSON_CT, body: { rows: records() } }),
  },
  {
    name: "mlflow-400-two-format-keys",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { dataframe_records: records(), instances: records() },
    }),
  },
  {
    name: "mlflow-400-bare-list",
    request: () => ({ method: "POST", url: "/invocations", headers: JSON_CT, body: records() }),
  },
  {
    name: "mlflow-400-malformed-json",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      raw: '{"dataframe_records": [{"island": ',
    }),
  },
  {
    name: "mlflow-400-wrong-type",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { dataframe_records: [{ ...records()[0], body_mass_g: { grams: 4000 } }] },
    }),
  },
  {
    name: "mlflow-400-bad-value",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { dataframe_records: [records()[0], { ...records()[1], flipper_length_mm: "long" }] },
    }),
  },
  {
    name: "mlflow-400-missing-columns",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { dataframe_records: records().map(({ sex: _s, body_mass_g: _b, ...r }) => r) },
    }),
  },
  {
    name: "mlflow-400-csv-ragged",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: { "content-type": "text/csv" },
      raw: "island,beak_length_mm\nBiscoe,45,3\n",
    }),
  },
  {
    name: "mlflow-401-no-token",
    token: true,
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { dataframe_records: records() },
    }),
  },
  {
    name: "mlflow-401-wrong-token",
    token: true,
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: { ...JSON_CT, authorization: "Bearer not-the-token" },
      body: { dataframe_records: records() },
    }),
  },
  { name: "mlflow-404-route", request: () => ({ method: "GET", url: "/nowhere" }) },
  {
    name: "mlflow-413-body-limit",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: JSON_CT,
      body: { dataframe_records: Array.from({ length: 1500 }, () => records()[0]) },
    }),
  },
  {
    name: "mlflow-415-charset",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: { "content-type": "application/json; charset=latin-1" },
      body: { dataframe_records: records() },
    }),
  },
  {
    name: "mlflow-415-content-type",
    request: () => ({
      method: "POST",
      url: "/invocations",
      headers: { "content-type": "text/plain" },
      raw: "x",
    }),
  },
  // KServe Open Inference Protocol v2.
  { name: "v2-server", request: () => ({ method: "GET", url: "/v2" }), schema: "server_metadata" },
  { name: "v2-live", request: () => ({ method: "GET", url: "/v2/health/live" }), schema: "live" },
  { name: "v2-ready", request: () => ({ method: "GET", url: "/v2/health/ready" }), schema: "ready" },
  {
    name: "v2-metadata",
    request: () => ({ method: "GET", url: "/v2/models/penguins" }),
    schema: "model_metadata",
  },
  {
    name: "v2-metadata-version",
    request: () => ({ method: "GET", url: "/v2/models/penguins/versions/1" }),
    schema: "model_metadata",
  },
  {
    name: "v2-model-ready",
    request: () => ({ method: "GET", url: "/v2/models/penguins/ready" }),
    schema: "model_ready",
  },
  {
    name: "v2-infer",
    request: () => ({
      method: "POST",
      url: "/v2/models/penguins/infer",
      headers: JSON_CT,
      body: { id: "r1", inputs: v2Inputs(3) },
    }),
    schema: "inference_response",
  },
  {
    name: "v2-infer-version-shape-n1-outputs",
    request: () => ({
      method: "POST",
      url: "/v2/models/penguins/versions/1/infer",
      headers: JSON_CT,
      body: { inputs: v2Inputs(2, true), outputs: [{ name: "proba_Gentoo" }, { name: "prediction" }] },
    }),
    schema: "inference_response",
  },
  {
    name: "v2-400-shape-mismatch",
    request: () => ({
      method: "POST",
      url: "/v2/models/penguins/infer",
      headers: JSON_CT,
      body: { inputs: v2Inputs(3).map((t, i) => (i === 1 ? { ...t, shape: [4] } : t)) },
    }),
    schema: "error",
  },
  {
    name: "v2-400-wrong-datatype",
    request: () => ({
      method: "POST",
      url: "/v2/models/penguins/infer",
      headers: JSON_CT,
      body: {
        inputs: v2Inputs(2).map((t) =>
          t.name === "body_mass_g" ? { ...t, datatype: "INT64", data: [3750.5, 4000] } : t,
        ),
      },
    }),
    schema: "error",
  },
  {
    name: "v2-400-missing-input",
    request: () => ({
      method: "POST",
      url: "/v2/models/penguins/infer",
      headers: JSON_CT,
      body: { inputs: v2Inputs(2).filter((t) => t.name !== "island") },
    }),
    schema: "error",
  },
  {
    name: "v2-400-unknown-output",
    request: () => ({
      method: "POST",
      url: "/v2/models/penguins/infer",
      headers: JSON_CT,
      body: { inputs: v2Inputs(1), outputs: [{ name: "species" }] },
    }),
    schema: "error",
  },
  {
    name: "v2-400-malformed-json",
    request: () => ({ method: "POST", url: "/v2/models/penguins/infer", headers: JSON_CT, raw: "{inputs:" }),
    schema: "error",
  },
  { name: "v2-404-model", request: () => ({ method: "GET", url: "/v2/models/iris" }), schema: "error" },
  {
    name: "v2-404-version",
    request: () => ({ method: "GET", url: "/v2/models/penguins/versions/9/ready" }),
    schema: "error",
  },
  {
    name: "v2-415-content-type",
    request: () => ({
      method: "POST",
      url: "/v2/models/penguins/infer",
      headers: { "content-type": "text/csv" },
      raw: "a\n1\n",
    }),
    schema: "error",
  },
];

/** What a fixture records of a response. */
function recorded(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  const type = String(res.headers["content-type"] ?? "");
  return {
    status: res.statusCode,
    content_type: type,
    body: type.startsWith("application/json") && res.body.trim() !== "" ? JSON.parse(res.body) : res.body,
  };
}

describe("golden request/response fixtures", () => {
  const schemas = JSON.parse(readFileSync(join(pkgDir, "test", "fixtures", "v2-schemas.json"), "utf8"));
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schemas, "v2");

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const req = c.request();
    const res = await call(c.token ? tokenUrl : appUrl, {
      method: req.method,
      url: req.url,
      headers: req.headers ?? {},
      ...(req.raw !== undefined
        ? { payload: req.raw }
        : req.body !== undefined
          ? { payload: JSON.stringify(req.body) }
          : {}),
    });
    const got = recorded(res);
    const file = join(goldenDir, `${c.name}.json`);
    if (update) {
      mkdirSync(goldenDir, { recursive: true });
      writeFileSync(file, `${JSON.stringify({ request: req, response: got }, null, 2)}\n`);
    }
    if (!existsSync(file)) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
    const golden = JSON.parse(readFileSync(file, "utf8"));
    expect(golden.request).toEqual(JSON.parse(JSON.stringify(req)));
    expect(got).toEqual(golden.response);
    if (c.schema) {
      const ok = ajv.validate(`v2#/definitions/${c.schema}`, got.body);
      expect(ajv.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
    if (got.status >= 400 && !c.name.startsWith("v2"))
      expect(Object.keys(got.body).sort()).toEqual(["code", "error_code", "message"]);
  });

  it("covers every error status the server answers with", () => {
    const statuses = new Set(CASES.map((c) => Number(/-(\d{3})-/.exec(c.name)?.[1] ?? 200)));
    expect([...statuses].sort()).toEqual([200, 400, 401, 404, 413, 415]);
  });
});

describe("served predictions", () => {
  it("equal what lolpop run --step predict wrote for the same rows, in every input format", async () => {
    const { lolpop } = await import("./helpers.js");
    const r = lolpop(dir, ["run", "--step", "predict"]);
    expect(r.code).toBe(0);
    const written = csvRows(join(dir, "predictions", "penguins.csv"));
    const all = jsonRows(rows.length);
    const send = async (body: unknown, headers = JSON_CT) => {
      const res = await call(appUrl, {
        method: "POST",
        url: "/invocations",
        headers,
        payload: body as string,
      });
      expect(res.statusCode).toBe(200);
      return JSON.parse(res.body).predictions as unknown[];
    };
    const expected = written.map((w) => w.prediction);
    expect(expected.length).toBe(rows.length);
    expect(await send(JSON.stringify({ dataframe_records: all }))).toEqual(expected);
    expect(await send(JSON.stringify({ instances: all }))).toEqual(expected);
    expect(
      await send(readFileSync(join(dir, "data", "new.csv"), "utf8"), { "content-type": "text/csv" }),
    ).toEqual(expected);
    const proba = (await send(
      JSON.stringify({ dataframe_records: all, params: { probabilities: true } }),
    )) as Array<Record<string, unknown>>;
    for (const [i, w] of written.entries())
      for (const k of ["id", "proba_Adelie", "proba_Chinstrap", "proba_Gentoo"])
        expect([i, k, proba[i]![k]]).toEqual([i, k, Number(w[k])]);
    // The library gives the same, and predictProba the same probabilities.
    const lib = await predictor.predict(all);
    expect(lib.predictions).toEqual(expected);
    expect(lib.version).toBe(1);
    const p = await predictor.predictProba(all);
    expect(p.classes).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
    expect(p.proba.map((row) => row[2])).toEqual(written.map((w) => Number(w.proba_Gentoo)));
  });

  it("counts requests, errors, latency and rows per version in /metrics", async () => {
    const res = await call(appUrl, { method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toMatch(
      /lolpop_serve_requests_total\{method="POST",route="\/invocations",status="200"\} \d+/,
    );
    expect(text).toMatch(/lolpop_serve_errors_total\{method="POST",route="\/invocations",status="400"\} \d+/);
    expect(text).toMatch(
      /lolpop_serve_request_duration_seconds_bucket\{route="\/invocations",le="\+Inf"\} \d+/,
    );
    expect(text).toMatch(/lolpop_serve_predicted_rows_total\{model="penguins",version="1"\} \d+/);
    expect(text).toContain('lolpop_serve_model_version{model="penguins"} 1');
    for (const line of text.split("\n"))
      if (line && !line.startsWith("#")) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/);
  });
});
