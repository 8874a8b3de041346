/**
 * The HTTP side of `lolpop ui`: a Fastify app with a JSON API over the project's store contracts
 * (metadata tracker and model repository) and the page's static files. The store is read through
 * the same functions as `lolpop runs|models|lineage` (exported by @lolpop/cli), and the actions
 * (approve, promote, rollback) run the CLI's own code path.
 *
 * Safety: actions are POST requests that must carry the per-process CSRF token in the
 * `x-lolpop-csrf` header (the served page embeds it); without it the answer is 403, and a
 * read-only app answers every action 403. Errors are redacted; the config's component settings
 * (which may hold secrets) are never sent.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { MetadataTracker, ModelVersionInfo, PromotionEvent, RunInfo, RunSummary } from "@lolpop/core";
import Fastify, { type FastifyInstance } from "fastify";
import { UiError } from "./ui-error.js";
import { type VersionImportance, versionCurves, versionImportance, versionReports } from "./ui-insights.js";

/** Header that carries the CSRF token of an action. */
export const CSRF_HEADER = "x-lolpop-csrf";

/** Most runs `GET /api/runs` returns (its `limit` default is 100). */
export const MAX_RUNS = 5000;

/** The store the UI reads: `openStore` of @lolpop/cli returns one. */
export type UiStore = import("@lolpop/cli").ProjectStore;

/** Options of {@link createUiApp}. */
export interface UiAppOptions {
  /** Refuse every action (403). Default false. */
  readOnly?: boolean;
  /** The CSRF token actions must send; default: 32 random bytes, hex, made per app. */
  csrfToken?: string;
  /** Who the actions are recorded as (default: the OS user). */
  user?: string;
  /**
   * Folder of the page's files as Vite builds them (`index.html`, `assets/`); default: `web/` that
   * the package ships next to this module (`dist/web`).
   */
  publicDir?: string;
}

type Cli = typeof import("@lolpop/cli");

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Policy of a stored report (an HTML artifact): a sandbox without `allow-same-origin`, so the
 * report's own scripts run in an opaque origin and cannot read the UI's API, cookies or storage;
 * no network, no forms, no framing.
 */
export const REPORT_CSP =
  "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Security headers of every answer: no framing, no sniffing, scripts and styles from the app only. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

function defaultPublicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Vite builds the page into dist/web (next to this module); run from src/, it is in ../dist/web.
  const built = join(here, "web");
  // (src/web holds the page's sources, with an index.html of its own: the build has assets/.)
  return existsSync(join(built, "assets")) ? built : join(here, "..", "dist", "web");
}

function parseVersion(text: string): number {
  if (!/^[1-9]\d*$/.test(text))
    throw new UiError({ message: `version must be a whole number from 1 (got "${text}")`, status: 400 });
  return Number(text);
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** How many runs' metrics `GET /api/runs` reads at once when the tracker's search has none. */
const METRICS_READ_BATCH = 16;

/**
 * Each listed run with its latest metrics: as `search_runs({ metrics: true })` returned them, else
 * (a tracker written before that option) read with `get_run`, {@link METRICS_READ_BATCH} at a
 * time; a run deleted meanwhile has none.
 */
async function withMetrics(
  tracker: MetadataTracker,
  runs: Array<RunInfo | RunSummary>,
): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  for (let at = 0; at < runs.length; at += METRICS_READ_BATCH) {
    const batch = runs.slice(at, at + METRICS_READ_BATCH);
    const records = await Promise.all(
      batch.map((r) => ("metrics" in r ? r : tracker.get_run(r.id).catch(() => undefined))),
    );
    batch.forEach((r, i) => out.push({ ...r, metrics: records[i]?.metrics ?? {} }));
  }
  return out;
}

/**
 * The sort keys of `GET /api/runs?sort=`: `started` (default, newest first), `name`, `status`,
 * `duration`, or `metric:<key>` (runs without that metric last); `-key` reverses. The runs sorted
 * are the ones listed (the newest `limit` that pass the filters).
 */
function sortRuns(runs: RunSummary[], sort: string | undefined): RunSummary[] {
  if (!sort) return runs;
  const desc = sort.startsWith("-");
  const key = desc ? sort.slice(1) : sort;
  const duration = (r: RunInfo) => (r.ended_at ? Date.parse(r.ended_at) - Date.parse(r.started_at) : -1);
  const cmp: Record<string, (a: RunSummary, b: RunSummary) => number> = {
    started: (a, b) => a.started_at.localeCompare(b.started_at),
    name: (a, b) => a.name.localeCompare(b.name),
    status: (a, b) => a.status.localeCompare(b.status),
    duration: (a, b) => duration(a) - duration(b),
  };
  if (key.startsWith("metric:") && key.length > 7) {
    const m = key.slice(7);
    const has = runs.filter((r) => Number.isFinite(r.metrics[m]));
    const without = runs.filter((r) => !Number.isFinite(r.metrics[m]));
    has.sort((a, b) => (desc ? b.metrics[m]! - a.metrics[m]! : a.metrics[m]! - b.metrics[m]!));
    return [...has, ...without];
  }
  const f = cmp[key];
  if (!f)
    throw new UiError({
      message: `sort must be one of started, name, status, duration or metric:<key> (with - for descending; got "${sort}")`,
    });
  return [...runs].sort((a, b) => (desc ? f(b, a) : f(a, b)));
}

/** The component calls of a run's workflow, summed per component method: what the run page's timings show. */
export interface ComponentCalls {
  /** The workflow run whose `lineage.json` they come from. */
  run_id: string;
  /** Per component method (`train.model_trainer.fit`), in the order first called. */
  calls: Array<{ path: string; count: number; ms: number; failed: number }>;
}

/** Log records the run page shows at most (the last ones). */
const LOG_RECORDS_SHOWN = 2000;

/**
 * An artifact of the workflow run of `run` (the run itself for a workflow run, else its parent) as
 * text, or undefined when the tracker cannot read artifacts back or there is none.
 */
async function workflowArtifact(
  tracker: MetadataTracker,
  run: RunInfo,
  name: string,
): Promise<{ run_id: string; text: string } | undefined> {
  if (typeof tracker.read_artifact !== "function") return undefined;
  const runId = run.tags["lolpop.stage"] === "workflow" || !run.parent_id ? run.id : run.parent_id;
  try {
    return { run_id: runId, text: new TextDecoder().decode(await tracker.read_artifact(runId, name)) };
  } catch {
    return undefined;
  }
}

/** The timings the workflow run recorded (its `lineage.json`), summed per component method. */
async function componentCalls(tracker: MetadataTracker, run: RunInfo): Promise<ComponentCalls | undefined> {
  const a = await workflowArtifact(tracker, run, "lineage.json");
  if (!a) return undefined;
  let lineage: { timings?: Array<{ path: string; ms: number; ok: boolean }> };
  try {
    lineage = JSON.parse(a.text);
  } catch {
    return undefined;
  }
  const byPath = new Map<string, { path: string; count: number; ms: number; failed: number }>();
  for (const t of Array.isArray(lineage.timings) ? lineage.timings : []) {
    if (typeof t?.path !== "string" || typeof t.ms !== "number") continue;
    const e = byPath.get(t.path) ?? { path: t.path, count: 0, ms: 0, failed: 0 };
    e.count++;
    e.ms += t.ms;
    if (t.ok === false) e.failed++;
    byPath.set(t.path, e);
  }
  return {
    run_id: a.run_id,
    calls: [...byPath.values()].map((e) => ({ ...e, ms: Math.round(e.ms * 1000) / 1000 })),
  };
}

/** The log `lolpop run` kept with the workflow run (`log.jsonl`): its last records, time, level and message. */
async function runLog(
  tracker: MetadataTracker,
  run: RunInfo,
): Promise<{ run_id: string; records: Array<{ time: string; level: string; msg: string }> } | undefined> {
  const a = await workflowArtifact(tracker, run, "log.jsonl");
  if (!a) return undefined;
  const records = [];
  for (const line of a.text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as { time?: unknown; level?: unknown; msg?: unknown };
      records.push({ time: String(r.time ?? ""), level: String(r.level ?? ""), msg: String(r.msg ?? "") });
    } catch {
      // A line that is not JSON (a truncated write) is skipped.
    }
  }
  return { run_id: a.run_id, records: records.slice(-LOG_RECORDS_SHOWN) };
}

/**
 * Builds the UI app over an open store (the caller closes the store). Routes: `GET /` (the page),
 * `GET /api/info|runs|runs/:id|compare?ids=|models|models/:name|models/:name/:version|lineage/:name/:version`,
 * `POST /api/models/:name/:version/approve|promote`, `POST /api/models/:name/rollback`.
 */
export async function createUiApp(
  store: UiStore,
  options: UiAppOptions = {},
): Promise<{ app: FastifyInstance; csrfToken: string }> {
  const cli: Cli = await import("@lolpop/cli");
  const core = await import("@lolpop/core");
  const csrfToken = options.csrfToken ?? randomBytes(32).toString("hex");
  const readOnly = options.readOnly ?? false;
  const publicDir = options.publicDir ?? defaultPublicDir();
  if (!existsSync(join(publicDir, "index.html")))
    throw new UiError({
      message: `the page's files are missing in ${publicDir} (no index.html): build the package (pnpm --filter @lolpop/ui build)`,
      status: 500,
    });
  const page = readFileSync(join(publicDir, "index.html"), "utf8").replace("__LOLPOP_CSRF__", csrfToken);
  const assetsDir = join(publicDir, "assets");
  const assets = new Map<string, Buffer>(
    (existsSync(assetsDir) ? readdirSync(assetsDir) : []).map((f) => [f, readFileSync(join(assetsDir, f))]),
  );

  const app = Fastify({ logger: false });
  app.addHook("onSend", async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
    return payload;
  });
  app.setErrorHandler((error, _req, reply) => {
    const e = error as Error & { status?: number; code?: unknown; statusCode?: number };
    const status = UiError.isInstance(e)
      ? e.status
      : e instanceof cli.ExitError
        ? e.code === 2
          ? 400
          : 409
        : core.LolpopError.isInstance(e)
          ? /not.?found|no model|does not exist/i.test(e.message) || /not_found/.test(String(e.code))
            ? 404
            : 409
          : (e.statusCode ?? 500);
    reply
      .code(status)
      .type("application/json")
      .send({ error: core.redactText(status >= 500 ? "internal error: see the server's log" : e.message) });
  });

  const tracker = () => cli.trackerOf(store);

  app.get("/", async (_req, reply) => reply.type(MIME[".html"]!).send(page));
  app.get("/favicon.ico", async (_req, reply) => reply.code(204).send());
  app.get<{ Params: { file: string } }>("/assets/:file", async (req, reply) => {
    const body = assets.get(req.params.file);
    if (body === undefined) throw new UiError({ message: "no such asset", status: 404 });
    const type = MIME[req.params.file.slice(req.params.file.lastIndexOf("."))] ?? "application/octet-stream";
    return reply.type(type).header("cache-control", "no-cache").send(body);
  });

  app.get("/api/info", async () => {
    const plan = store.workflow.plan;
    const versionOf = (plugin: string) => plan.plugins.find((p) => p.name === plugin)?.version ?? null;
    const node = (c: { attr: string; kind: string; type: string; registered: { plugin: string } }) => ({
      attr: c.attr,
      kind: c.kind,
      type: c.type,
      plugin: c.registered.plugin,
      version: versionOf(c.registered.plugin),
    });
    return {
      readOnly,
      config: plan.file.split(/[\\/]/).at(-1),
      models: store.configuredModels,
      repository: store.repoLabel,
      tracker: store.trackerLabel,
      graph: {
        runner: { type: plan.runner.type, plugin: plan.runner.registered.plugin },
        components: plan.components.map(node),
        pipelines: plan.pipelines.map((p) => ({
          ...node({ ...p, kind: "pipeline" }),
          components: p.components.map(node),
        })),
      },
    };
  });

  app.get<{
    Querystring: {
      status?: string;
      pipeline?: string;
      since?: string;
      until?: string;
      limit?: string;
      sort?: string;
    };
  }>("/api/runs", async (req) => {
    const q = req.query;
    const f = await cli.runsListFilter({
      ...(q.status ? { status: q.status } : {}),
      ...(q.pipeline ? { pipeline: q.pipeline } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.until ? { until: q.until } : {}),
      limit: q.limit ?? "100",
    });
    if (f.limit > MAX_RUNS)
      throw new UiError({ message: `limit must be at most ${MAX_RUNS} (got ${f.limit})` });
    const t = tracker();
    const runs = await t.search_runs({
      ...(f.stage ? { tags: { [core.RUN_TAGS.stage]: f.stage } } : {}),
      ...(f.status ? { status: f.status } : {}),
      ...(f.started_after ? { started_after: f.started_after } : {}),
      ...(f.started_before ? { started_before: f.started_before } : {}),
      limit: f.limit,
      metrics: true,
    });
    return { runs: sortRuns(await withMetrics(t, runs), q.sort) };
  });

  app.get<{ Params: { id: string } }>("/api/runs/:id", async (req) => {
    const t = tracker();
    const run = await cli.readRunView(t, req.params.id).catch((e: unknown) => {
      throw new UiError({
        message: `no run "${req.params.id}" in the metadata tracker`,
        status: 404,
        cause: e,
      });
    });
    const children = await t.search_runs({ parent_id: run.id });
    const [calls, log] = await Promise.all([componentCalls(t, run), runLog(t, run)]);
    return { run, children, calls, log };
  });

  app.get<{ Querystring: { ids?: string } }>("/api/compare", async (req) => {
    const ids = (req.query.ids ?? "").split(",").filter(Boolean);
    if (ids.length < 2 || ids.length > 5)
      throw new UiError({ message: `compare takes 2 to 5 run ids, comma separated (got ${ids.length})` });
    const t = tracker();
    const runs = [];
    for (const id of ids)
      runs.push(
        await cli.readRunView(t, id).catch((e: unknown) => {
          throw new UiError({ message: `no run "${id}" in the metadata tracker`, status: 404, cause: e });
        }),
      );
    return {
      runs: runs.map((r) => ({ id: r.id, name: r.name, status: r.status })),
      rows: cli.compareRows(runs),
    };
  });

  const history = async (name: string): Promise<PromotionEvent[]> =>
    typeof store.repo.get_promotion_history === "function" ? store.repo.get_promotion_history(name) : [];

  app.get("/api/models", async () => {
    const names =
      typeof store.repo.list_models === "function" ? await store.repo.list_models() : store.configuredModels;
    const models = [];
    for (const name of names) {
      const versions = await store.repo.list_versions(name);
      models.push({
        name,
        versions: versions.length,
        champion: await cli.championOf(store.repo, name),
        latest: versions.at(-1)?.version ?? null,
      });
    }
    return { models };
  });

  app.get<{ Params: { name: string } }>("/api/models/:name", async (req) => {
    const { name } = req.params;
    const versions: ModelVersionInfo[] = await store.repo.list_versions(name);
    if (versions.length === 0)
      throw new UiError({ message: `no model named "${name}" in the model repository`, status: 404 });
    return { name, champion: await cli.championOf(store.repo, name), versions, history: await history(name) };
  });

  app.get<{ Params: { name: string; version: string } }>("/api/models/:name/:version", async (req) => {
    const { name } = req.params;
    const version = parseVersion(req.params.version);
    const mv = await store.repo.get_model_version(name, version).catch((e: unknown) => {
      throw new UiError({ message: `no version ${version} of model "${name}"`, status: 404, cause: e });
    });
    const T = core.MODEL_TAGS;
    const events = (await history(name)).filter((e) => e.version === version || e.previous === version);
    return {
      version: mv,
      approved: mv.tags[T.approved] === "true",
      archived: mv.tags[T.archived] === "true",
      champion: await cli.championOf(store.repo, name),
      history: events,
    };
  });

  // Feature importance loads the version's model: once per version (versions do not change).
  const importance = new Map<string, Promise<VersionImportance>>();
  let host: Promise<import("@lolpop/core").BundleHost> | undefined;
  app.get<{ Params: { name: string; version: string } }>(
    "/api/models/:name/:version/insights",
    async (req) => {
      const { name } = req.params;
      const version = parseVersion(req.params.version);
      const mv = await store.repo.get_model_version(name, version).catch((e: unknown) => {
        throw new UiError({ message: `no version ${version} of model "${name}"`, status: 404, cause: e });
      });
      const key = `${name}\u0000${version}`;
      let fi = importance.get(key);
      if (!fi) {
        host ??= cli.versionComponentHost(store, {
          path: "ui",
          logger: core.createLogger({ level: "warn", stream: process.stderr }),
        });
        fi = host
          .then((h) => versionImportance(store.repo, mv, h))
          .catch((e: unknown) => ({
            values: [],
            note: `the model could not be loaded to read its feature importance: ${core.redactText((e as Error)?.message ?? String(e))}`,
          }));
        importance.set(key, fi);
      }
      const t = store.tracker;
      const [imp, curves, reports] = await Promise.all([fi, versionCurves(t, mv), versionReports(t, mv)]);
      return { importance: imp, curves, reports };
    },
  );

  // A stored report (run artifact), sandboxed: its scripts never run in the UI's origin.
  app.get<{ Params: { run: string; "*": string } }>("/reports/:run/*", async (req, reply) => {
    const t = tracker();
    const name = req.params["*"];
    if (typeof t.read_artifact !== "function")
      throw new UiError({
        message: `the metadata tracker (${store.trackerLabel}) cannot read artifacts back`,
        status: 404,
      });
    const bytes = await t.read_artifact(req.params.run, name).catch((e: unknown) => {
      throw new UiError({
        message: `run "${req.params.run}" has no artifact "${name}"`,
        status: 404,
        cause: e,
      });
    });
    const ext = name.slice(name.lastIndexOf(".")).toLowerCase();
    return reply
      .header("content-security-policy", REPORT_CSP)
      .type(MIME[ext] ?? "application/octet-stream")
      .send(Buffer.from(bytes));
  });

  app.get<{ Params: { name: string; version: string } }>("/api/lineage/:name/:version", async (req) =>
    cli.lineageOf(store, { name: req.params.name, version: parseVersion(req.params.version) }),
  );

  // Actions: the CSRF token in a header (a cross-site form cannot set one), and not read-only.
  const guard = (headers: Record<string, unknown>) => {
    if (readOnly)
      throw new UiError({
        message: "this UI is read-only (started with --read-only): run lolpop ui without it to act",
        status: 403,
        code: "ui_read_only",
      });
    const sent = headers[CSRF_HEADER];
    if (typeof sent !== "string" || !sameToken(sent, csrfToken))
      throw new UiError({
        message: `missing or wrong ${CSRF_HEADER} header: reload the page`,
        status: 403,
        code: "ui_csrf",
      });
  };
  type ActionBody = { by?: unknown; comment?: unknown; reason?: unknown } | undefined;
  const text = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim().slice(0, 500) : undefined);
  const by = (b: ActionBody) => text(b?.by) ?? options.user;

  app.post<{ Params: { name: string; version: string }; Body: ActionBody }>(
    "/api/models/:name/:version/approve",
    async (req) => {
      guard(req.headers);
      const who = by(req.body);
      const comment = text(req.body?.comment);
      return cli.approveVersion(store, req.params.name, parseVersion(req.params.version), {
        ...(who ? { by: who } : {}),
        ...(comment !== undefined ? { comment } : {}),
      });
    },
  );
  app.post<{ Params: { name: string; version: string }; Body: ActionBody }>(
    "/api/models/:name/:version/promote",
    async (req) => {
      guard(req.headers);
      const who = by(req.body);
      const reason = text(req.body?.reason);
      return cli.promoteVersion(store, req.params.name, parseVersion(req.params.version), {
        ...(who ? { by: who } : {}),
        reason: reason ?? `promoted in lolpop ui by ${who ?? core.osUserName()}`,
      });
    },
  );
  app.post<{ Params: { name: string }; Body: ActionBody }>("/api/models/:name/rollback", async (req) => {
    guard(req.headers);
    const who = by(req.body);
    const reason = text(req.body?.reason);
    return cli.rollbackModel(store, req.params.name, {
      ...(who ? { by: who } : {}),
      ...(reason !== undefined ? { reason } : {}),
      command: "lolpop ui rollback",
    });
  });

  return { app, csrfToken };
}
