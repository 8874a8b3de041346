// The page's side of the JSON API (see ../ui-server.ts for the routes).
const csrf = document.querySelector<HTMLMetaElement>('meta[name="lolpop-csrf"]')?.content ?? "";

/** GET /api/<path>; a non-2xx answer throws its `error` message. */
export async function api<T = any>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`/api/${path}`, init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body as T;
}

/** POST an action with the CSRF token. */
export function act<T = any>(path: string, body?: unknown): Promise<T> {
  return api<T>(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-lolpop-csrf": csrf },
    body: JSON.stringify(body ?? {}),
  });
}

export const enc = encodeURIComponent;

/** A value as the page shows it: whole numbers as they are, others with 4 decimals. */
export const fmt = (v: unknown): string =>
  typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v == null ? "" : String(v);

/** The store's own shapes, as the API sends them (types only: nothing of core is bundled). */
export type { ModelVersionInfo, RunInfo, RunRecord } from "@lolpop/core";
/** A row of `GET /api/runs`: the run with the latest value of each of its metrics. */
export type RunRow = import("@lolpop/core").RunSummary;
export interface GraphNodeInfo {
  attr: string;
  kind: string;
  type: string;
  plugin: string;
  version: string | null;
}
export interface Info {
  readOnly: boolean;
  config: string;
  models: string[];
  repository: string;
  tracker: string;
  graph: {
    runner: { type: string; plugin: string };
    components: GraphNodeInfo[];
    pipelines: Array<GraphNodeInfo & { components: GraphNodeInfo[] }>;
  };
}
