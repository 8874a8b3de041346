// `lolpop serve` as users run it (the real binary, a plugin command found through the project's
// dependencies): MLflow's own Python scoring client gets the predictions `lolpop run --step
// predict` wrote; the champion alias moves while requests are in flight; faults (10 MB body, slow
// client, malformed input) get clear 4xx without a crash; SIGTERM lets in-flight requests finish;
// --workers; the bearer token never reaches a log.
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { instantiateComponent, type ModelRepository } from "@lolpop/core";
import { localModelRepository } from "@lolpop/local";
import { loadPredictor, MODEL_VERSION_HEADER } from "../src/index.js";
import {
  csvRows,
  killServers,
  lolpop,
  penguinsYaml,
  repoRoot,
  servedProject,
  startServe,
  trainVersion,
} from "./helpers.js";

const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");

let dir: string;
let rows: Array<Record<string, string | number | null>>;

beforeAll(() => {
  dir = servedProject(penguinsYaml({ trees: 20, depth: 6, seed: 7 }));
  trainVersion(dir);
  // v2: a smaller forest with another seed (different probabilities), promoted (require_beat_champion: false).
  writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ trees: 3, depth: 2, seed: 11 }));
  trainVersion(dir);
  rows = csvRows(join(dir, "data", "new.csv")).map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, v !== null && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v]),
    ),
  );
}, 240_000);

afterAll(() => {
  killServers();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function champion(): Promise<ModelRepository> {
  return instantiateComponent(localModelRepository as never, {
    project: { root: dir },
  }) as Promise<ModelRepository>;
}

describe("lolpop serve", () => {
  it("answers MLflow's own Python scoring client with the predictions lolpop run --step predict wrote", async () => {
    const r = lolpop(dir, ["run", "--step", "predict"]);
    expect(r.code).toBe(0);
    const written = csvRows(join(dir, "predictions", "penguins.csv"));
    const server = await startServe(dir, ["penguins@champion"]);
    try {
      const port = new URL(server.url).port;
      const script = `
import json, sys
import pandas as pd
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
client = ScoringServerClient("127.0.0.1", ${port})
client.wait_server_ready(timeout=30)
df = pd.read_csv(sys.argv[1])
resp = client.invoke(df)
print(json.dumps({"version": client.get_version(), "predictions": list(resp["predictions"])}))
`;
      const py = spawnSync(python, ["-c", script, join(dir, "data", "new.csv")], {
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(py.stderr).not.toMatch(/Traceback/);
      expect(py.status).toBe(0);
      const out = JSON.parse(py.stdout.trim().split("\n").pop()!);
      expect(out.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(out.predictions).toEqual(written.map((w) => w.prediction));
      expect(out.predictions.length).toBe(68);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // One structured access log line per request.
    const lines = server
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.path === "/invocations")).toMatchObject({
      msg: "request",
      method: "POST",
      status: 200,
      model_version: "2",
    });
  }, 180_000);

  it("moves with the champion alias while requests are in flight: every answer is from v1 or v2, none fails", async () => {
    const sample = rows.filter((_, i) => i % 7 === 0);
    const expected: Record<number, unknown[]> = {};
    for (const v of [1, 2]) {
      const p = await loadPredictor(`penguins/${v}`, { project: join(dir, "lolpop.yaml") });
      expected[v] = (await p.predict(sample)).output.toRows();
    }
    expect(expected[1]).not.toEqual(expected[2]);
    const repo = await champion();
    expect((await repo.get_alias("penguins", "champion"))?.version).toBe(2);
    const server = await startServe(dir, ["penguins@champion", "--poll", "100"]);
    try {
      const answers: Array<{ status: number; version: number; body: unknown }> = [];
      let stop = false;
      const client = async () => {
        while (!stop) {
          const res = await post(`${server.url}/invocations`, {
            dataframe_records: sample,
            params: { probabilities: true },
          });
          answers.push({
            status: res.status,
            version: Number(res.headers.get(MODEL_VERSION_HEADER)),
            body: await res.json(),
          });
        }
      };
      const clients = [client(), client(), client(), client()];
      while (answers.length < 20) await new Promise((r) => setTimeout(r, 20));
      await repo.promote_model("penguins", 1, { reason: "alias-move test" });
      const movedAt = answers.length;
      // Until v1 has answered for a while.
      while (answers.filter((a) => a.version === 1).length < 20) await new Promise((r) => setTimeout(r, 20));
      stop = true;
      await Promise.all(clients);
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      for (const a of answers) {
        expect([1, 2]).toContain(a.version);
        expect((a.body as { predictions: unknown[] }).predictions).toEqual(expected[a.version]);
      }
      expect(answers.slice(0, movedAt).some((a) => a.version === 2)).toBe(true);
      expect(answers.at(-1)!.version).toBe(1);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('lolpop_serve_model_version{model="penguins"} 1');
      expect(metrics).toContain('lolpop_serve_model_switches_total{model="penguins"} 1');
      expect(metrics).toMatch(/lolpop_serve_predicted_rows_total\{model="penguins",version="2"\} [1-9]\d*/);
      expect(metrics).toMatch(/lolpop_serve_predicted_rows_total\{model="penguins",version="1"\} [1-9]\d*/);
      expect(server.stderr()).toMatch(/penguins@champion moved from v2 to v1/);
    } finally {
      await repo.promote_model("penguins", 2, { reason: "restore" });
      expect(await server.stop()).toBe(0);
    }
  }, 180_000);

  it("answers faults with a clear 4xx and keeps serving: malformed JSON, wrong types, missing columns, a 10 MB body, a slow client", async () => {
    const server = await startServe(dir, ["penguins/1", "--request-timeout", "1500"]);
    try {
      const url = `${server.url}/invocations`;
      const malformed = await post(url, '{"dataframe_records": [');
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as any).message).toMatch(/not valid JSON/);
      const wrongType = await post(url, { dataframe_records: [{ ...rows[0], body_mass_g: [1, 2] }] });
      expect(wrongType.status).toBe(400);
      expect(((await wrongType.json()) as any).message).toMatch(
        /row 1, column "body_mass_g": a list is not a value/,
      );
      const missing = await post(url, { dataframe_records: [{ island: "Biscoe" }] });
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as any).message).toMatch(/lacks columns .*"beak_length_mm"/);
      // 10 MB: above the default 5 MiB limit, announced with `Expect: 100-continue` as curl does for
      // large bodies: the 413 comes before the upload, which is never sent.
      const big = JSON.stringify({ dataframe_records: Array.from({ length: 80_000 }, () => rows[0]) });
      expect(big.length).toBeGreaterThan(10_000_000);
      let uploaded = false;
      const tooLarge = await new Promise<{ status: number; body: string }>((resolveLarge, reject) => {
        const req = httpRequest(url, {
          method: "POST",
          agent: false,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(big),
            expect: "100-continue",
          },
        });
        req.on("continue", () => {
          uploaded = true;
          req.end(big);
        });
        req.on("response", (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d) => {
            body += d;
          });
          res.on("end", () => resolveLarge({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.flushHeaders();
      });
      expect(uploaded).toBe(false);
      expect(tooLarge.status).toBe(413);
      expect(JSON.parse(tooLarge.body).message).toMatch(/larger than the server's limit/);
      // A body within the limit announced the same way is let in (100 Continue) and answered.
      const small = JSON.stringify({ dataframe_records: rows.slice(0, 2) });
      const continued = await new Promise<number>((resolveSmall, reject) => {
        const req = httpRequest(url, {
          method: "POST",
          agent: false,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(small),
            expect: "100-continue",
          },
        });
        req.on("continue", () => req.end(small));
        req.on("response", (res) => {
          res.resume();
          res.on("end", () => resolveSmall(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.flushHeaders();
      });
      expect(continued).toBe(200);
      // A slow client: headers, then a trickle of the body; it is answered 408 and cut off while
      // other requests are served.
      const port = Number(new URL(server.url).port);
      const slow = await new Promise<string>((resolveSlow) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.write(
            "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
          );
        });
        let got = "";
        const trickle = setInterval(() => socket.write(" "), 200);
        socket.on("data", (d) => {
          got += d;
        });
        socket.on("close", () => {
          clearInterval(trickle);
          resolveSlow(got);
        });
        socket.on("error", () => undefined);
      });
      expect(slow).toMatch(/^HTTP\/1\.1 408/);
      const ok = await post(url, { dataframe_records: rows.slice(0, 3) });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as any).predictions).toHaveLength(3);
      expect((await fetch(`${server.url}/ping`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 180_000);

  it("finishes in-flight requests on SIGTERM, then exits 0 and accepts no more", async () => {
    const server = await startServe(dir, ["penguins@champion", "--no-watch"]);
    const big = JSON.stringify({
      dataframe_records: Array.from({ length: 300 }, (_, i) => rows[i % rows.length]),
    });
    // Ten requests, each on its own connection, fully written before the signal: all in flight.
    const written: Array<Promise<void>> = [];
    const sent = Array.from(
      { length: 10 },
      () =>
        new Promise<number>((resolveStatus, reject) => {
          const req = httpRequest(`${server.url}/invocations`, {
            method: "POST",
            agent: false,
            headers: { "content-type": "application/json", "content-length": Buffer.byteLength(big) },
          });
          written.push(new Promise((w) => req.on("finish", () => w())));
          req.on("response", (res) => {
            res.resume();
            res.on("end", () => resolveStatus(res.statusCode ?? 0));
          });
          req.on("error", reject);
          req.end(big);
        }),
    );
    await Promise.all(written);
    const exited = server.stop();
    const results = await Promise.all(sent);
    expect(results).toEqual(Array(10).fill(200));
    expect(await exited).toBe(0);
    await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
  }, 180_000);

  it("--workers 2 serves from two processes sharing the port", async () => {
    const server = await startServe(dir, ["penguins/2", "--workers", "2"]);
    try {
      const statuses = await Promise.all(
        Array.from(
          { length: 20 },
          async () => (await post(`${server.url}/invocations`, { instances: rows.slice(0, 5) })).status,
        ),
      );
      expect(statuses).toEqual(Array(20).fill(200));
      const ps = spawnSync("ps", ["-o", "pid=", "--ppid", String(server.proc.pid)], { encoding: "utf8" });
      expect(ps.stdout.trim().split("\n").filter(Boolean)).toHaveLength(2);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 180_000);

  it("requires LOLPOP_SERVE_TOKEN as a bearer token (health checks excepted) and never logs it", async () => {
    const token = "tok-3f9a1c7e5b2d";
    const server = await startServe(dir, ["penguins/1"], { LOLPOP_SERVE_TOKEN: token });
    try {
      expect((await fetch(`${server.url}/ping`)).status).toBe(200);
      expect((await post(`${server.url}/invocations`, { instances: rows.slice(0, 1) })).status).toBe(401);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      const ok = await post(
        `${server.url}/invocations`,
        { instances: rows.slice(0, 1) },
        { authorization: `Bearer ${token}` },
      );
      expect(ok.status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.stdout()).not.toContain(token);
    expect(server.stderr()).not.toContain(token);
  }, 180_000);

  it("refuses a bad reference or a missing version with a clear message and exit code 2", () => {
    const bad = lolpop(dir, ["serve", "penguins@"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/model reference "penguins@" .*name@alias/);
    const none = lolpop(dir, ["serve", "penguins/9", "--port", "0"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/model "penguins" has no version 9/);
    const help = lolpop(dir, ["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: lolpop serve/);
    expect(readFileSync(join(dir, "lolpop.yaml"), "utf8")).toContain("model_name: penguins");
  }, 120_000);
});
