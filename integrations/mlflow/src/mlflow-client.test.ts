// The REST client against a real MLflow server (pinned in python/requirements.txt), served over
// HTTPS with a self-signed certificate so the TLS settings are exercised too, and with
// `--allowed-hosts localhost:*` so that requests naming 127.0.0.1 get the security middleware's
// plain-text 403. One server per file.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LolpopError, RemoteServiceError } from "@lolpop/core";
import {
  type MlflowTestServer,
  processesMatching,
  selfSignedCert,
  startMlflowServer,
} from "../test/fixtures/mlflow-server.mjs";
import { collectPages, isMlflowError, MlflowClient, proxyPathOf } from "./mlflow-client.js";
import type { MlflowMetric } from "./mlflow-types.js";

let server: MlflowTestServer;
let certs: { cert: string; key: string };
let client: MlflowClient;
let work: string;
/** `https://localhost:<port>` (allowed host); `server.uri` names 127.0.0.1 (refused by the middleware). */
let uri: string;

const fast = { max_retries: 1, backoff_factor_s: 0.05, backoff_jitter_s: 0 };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "lolpop-mlflow-client-"));
  certs = selfSignedCert(work);
  server = await startMlflowServer({ tls: certs, args: ["--allowed-hosts", "localhost:*"] });
  uri = server.uri.replace("127.0.0.1", "localhost");
  client = new MlflowClient({
    config: { tracking_uri: uri, ca_bundle: certs.cert, ...fast },
    resolve: { env: {}, credentialsFile: join(work, "none") },
  });
}, 240_000);

afterAll(async () => {
  await client?.close();
  if (!server) return;
  const { leftover } = await server.stop();
  expect(leftover).toBe(false);
  expect(processesMatching(server.dir)).toEqual([]);
}, 60_000);

const mkClient = (config: Record<string, unknown>) =>
  new MlflowClient({
    config: { tracking_uri: uri, ...fast, ...config },
    resolve: { env: {}, credentialsFile: join(work, "none") },
  });

describe("transport against a real server", () => {
  it("verifies TLS with the CA bundle, refuses an unknown CA with a hint, and accepts insecure_tls", async () => {
    expect(await client.serverVersion()).toBe("3.17.2");
    const strict = mkClient({});
    const t0 = Date.now();
    const err = await strict.serverVersion().catch((e) => e);
    expect(RemoteServiceError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/TLS error/);
    expect(err.message).toMatch(/ca_bundle|MLFLOW_TRACKING_SERVER_CERT_PATH/);
    expect(Date.now() - t0).toBeLessThan(5000); // not retried
    const insecure = mkClient({ insecure_tls: true });
    expect(await insecure.serverVersion()).toBe("3.17.2");
    await insecure.close();
    await strict.close();
  });

  it("maps MLflow errors to RemoteServiceError keeping status and error_code, and handles non-JSON bodies", async () => {
    const missing = await client.getRun("0123456789abcdef0123456789abcdef").catch((e) => e);
    expect(RemoteServiceError.isInstance(missing)).toBe(true);
    expect(missing.status).toBe(404);
    expect(missing.serviceCode).toBe("RESOURCE_DOES_NOT_EXIST");
    expect(missing.details).toMatchObject({ service: "mlflow", serviceCode: "RESOURCE_DOES_NOT_EXIST" });
    // An unknown endpoint: Flask answers 404 with an HTML page.
    const html = await client.transport
      .request<RemoteServiceError>({
        method: "GET",
        path: "/api/2.0/mlflow/no-such-endpoint",
        idempotent: true,
      })
      .catch((e) => e);
    expect(html.status).toBe(404);
    expect(html.serviceCode).toBeUndefined();
    expect(html.message).toMatch(/Not Found/);
    expect(html.message).not.toMatch(/<html/);
    // The security middleware answers a Host header it does not allow with a plain-text 403.
    const foreign = new MlflowClient({
      config: { tracking_uri: server.uri, ca_bundle: certs.cert, ...fast },
      resolve: { env: {}, credentialsFile: join(work, "none") },
    });
    const refused = await foreign.getExperiment("0").catch((e) => e);
    expect(refused.status).toBe(403);
    expect(refused.message).toMatch(/Invalid Host header/);
    expect(refused.message).toMatch(/--allowed-hosts/);
    await foreign.close();
  });
});

describe("experiments", () => {
  it("gets or creates an experiment, also concurrently", async () => {
    const name = `exp-${Date.now()}`;
    const all = await Promise.all([1, 2, 3].map(() => client.getOrCreateExperiment(name)));
    const ids = new Set(all.map((e) => e.experiment_id));
    expect(ids.size).toBe(1);
    expect(all[0]!.lifecycle_stage).toBe("active");
    expect(all[0]!.artifact_location).toMatch(/^mlflow-artifacts:/);
    expect((await client.getOrCreateExperiment(name)).experiment_id).toBe(all[0]!.experiment_id);
    const found = await client.searchExperiments({ filter: `name = '${name}'` });
    expect(found.items.map((e) => e.experiment_id)).toEqual([all[0]!.experiment_id]);
    expect(await client.getExperimentByName(`${name}-missing`)).toBeUndefined();
  });

  it("refuses a deleted experiment with what to do, or restores it on request", async () => {
    const name = `deleted-${Date.now()}`;
    const exp = await client.getOrCreateExperiment(name);
    await client.deleteExperiment(exp.experiment_id!);
    const err = await client.getOrCreateExperiment(name).catch((e) => e);
    expect(LolpopError.isInstance(err)).toBe(true);
    expect(err.code).toBe("mlflow_experiment_deleted");
    expect(err.message).toMatch(/restore_deleted_experiment/);
    const restored = await client.getOrCreateExperiment(name, { restoreDeleted: true });
    expect(restored.experiment_id).toBe(exp.experiment_id);
    expect((await client.getExperiment(exp.experiment_id!)).lifecycle_stage).toBe("active");
  });
});

describe("runs, params, metrics, tags, inputs", () => {
  let expId: string;
  beforeAll(async () => {
    expId = (await client.getOrCreateExperiment(`runs-${Date.now()}`)).experiment_id!;
  });

  it("creates, updates, searches with pagination, deletes and restores runs", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await client.createRun({
        experimentId: expId,
        runName: `r${i}`,
        tags: { group: i % 2 ? "odd" : "even" },
      });
      ids.push(run.info!.run_id!);
      expect(run.info!.status).toBe("RUNNING");
      expect(run.info!.artifact_uri).toBe(`mlflow-artifacts:/${expId}/${run.info!.run_id}/artifacts`);
    }
    await client.updateRun({ runId: ids[0]!, status: "FINISHED", endTime: Date.now() });
    expect((await client.getRun(ids[0]!)).info!.status).toBe("FINISHED");
    const pages: number[] = [];
    const all = await collectPages(async (pageToken) => {
      const page = await client.searchRuns({
        experimentIds: [expId],
        maxResults: 2,
        pageToken,
        orderBy: ["attributes.start_time ASC"],
      });
      pages.push(page.items.length);
      return page;
    });
    expect(pages).toEqual([2, 2, 1]);
    expect(all.map((r) => r.info!.run_name)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    const even = await client.searchAllRuns({ experimentIds: [expId], filter: "tags.`group` = 'even'" });
    expect(even.map((r) => r.info!.run_name).sort()).toEqual(["r0", "r2", "r4"]);
    await client.deleteRun(ids[4]!);
    expect((await client.searchAllRuns({ experimentIds: [expId] })).length).toBe(4);
    expect((await client.searchAllRuns({ experimentIds: [expId], runViewType: "DELETED_ONLY" })).length).toBe(
      1,
    );
    await client.restoreRun(ids[4]!);
    expect((await client.searchAllRuns({ experimentIds: [expId] })).length).toBe(5);
  });

  it("logs params, metrics and tags one by one and in chunked batches", async () => {
    const runId = (await client.createRun({ experimentId: expId, runName: "batch" })).info!.run_id!;
    await client.logParam(runId, "single", "1");
    await client.logMetric(runId, "single", 0.5, { step: 3, timestamp: 1000 });
    await client.setTag(runId, "note", "hello");
    await client.setTag(runId, "gone", "x");
    await client.deleteTag(runId, "gone");
    const metrics: MlflowMetric[] = [];
    for (let step = 0; step < 250; step++)
      for (let k = 0; k < 10; k++)
        metrics.push({ key: `m${k}`, value: step * 10 + k, timestamp: 1_000_000 + step, step });
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: `v${i}` }));
    const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: `w${i}` }));
    const requests = await client.logBatch(runId, { metrics, params, tags });
    // 250 params (3 batches of <=100), 150 tags (2), 2,500 metrics (3 of <=1,000), packed together.
    expect(requests).toBeGreaterThanOrEqual(4);
    const run = await client.getRun(runId);
    expect(run.data!.params!.length).toBe(251);
    expect(run.data!.tags!.filter((t) => /^t\d+$/.test(t.key)).length).toBe(150);
    expect(run.data!.tags!.find((t) => t.key === "gone")).toBeUndefined();
    const history = await client.getMetricHistory(runId, "m7");
    expect(history.length).toBe(250);
    expect(history.map((m) => m.value).sort((a, b) => a - b)[249]).toBe(2497);
    expect(run.data!.metrics!.find((m) => m.key === "m7")!.value).toBe(2497);
    // The same batch again (what a retry sends) adds no duplicate points.
    await client.logBatch(runId, { metrics: metrics.slice(0, 1000), params: params.slice(0, 10) });
    expect((await client.getMetricHistory(runId, "m0")).length).toBe(250);
  });

  it("sends NaN and infinities as MLflow expects and reads them back", async () => {
    const runId = (await client.createRun({ experimentId: expId, runName: "special" })).info!.run_id!;
    await client.logBatch(runId, {
      metrics: [
        { key: "nan", value: Number.NaN, timestamp: 1, step: 0 },
        { key: "inf", value: Number.POSITIVE_INFINITY, timestamp: 1, step: 0 },
        { key: "ninf", value: Number.NEGATIVE_INFINITY, timestamp: 1, step: 0 },
      ],
    });
    const m = Object.fromEntries((await client.getRun(runId)).data!.metrics!.map((x) => [x.key, x.value]));
    expect(Number.isNaN(m.nan)).toBe(true);
    expect(m.inf).toBeGreaterThan(1e308);
    expect(m.ninf).toBeLessThan(-1e308);
  });

  it("validates keys and lengths before sending anything", async () => {
    const runId = (await client.createRun({ experimentId: expId, runName: "invalid" })).info!.run_id!;
    const bad = [
      () =>
        client.logBatch(runId, {
          params: [
            { key: "ok", value: "1" },
            { key: "../escape", value: "2" },
          ],
        }),
      () =>
        client.logBatch(runId, {
          params: [
            { key: "ok", value: "1" },
            { key: "long", value: "x".repeat(6001) },
          ],
        }),
      () => client.logBatch(runId, { tags: [{ key: "k".repeat(251), value: "v" }] }),
      () => client.logBatch(runId, { metrics: [{ key: "a;b", value: 1, timestamp: 1, step: 0 }] }),
      () =>
        client.logBatch(runId, {
          metrics: [{ key: "m", value: true as unknown as number, timestamp: 1, step: 0 }],
        }),
      () => client.logBatch(runId, { metrics: [{ key: "m", value: 1, timestamp: 1.5, step: 0 }] }),
      () =>
        client.logBatch(runId, {
          params: [
            { key: "d", value: "1" },
            { key: "d", value: "2" },
          ],
        }),
    ];
    for (const call of bad) {
      const err = await call().catch((e) => e);
      expect(LolpopError.isInstance(err)).toBe(true);
      expect(err.code).toBe("mlflow_invalid_request");
    }
    const run = await client.getRun(runId);
    expect(run.data?.params ?? []).toEqual([]);
    // A value the server refuses keeps MLflow's code: params are immutable.
    await client.logParam(runId, "fixed", "1");
    const changed = await client.logParam(runId, "fixed", "2").catch((e) => e);
    expect(isMlflowError(changed, "INVALID_PARAMETER_VALUE")).toBe(true);
    expect(changed.status).toBe(400);
  });

  it("records dataset inputs once", async () => {
    const runId = (await client.createRun({ experimentId: expId, runName: "inputs" })).info!.run_id!;
    const input = {
      tags: [{ key: "mlflow.data.context", value: "training" }],
      dataset: {
        name: "penguins",
        digest: "0123456789abcdef",
        source_type: "local",
        source: '{"uri":"data/train.csv"}',
        profile: '{"num_rows":3}',
      },
    };
    await client.logInputs(runId, [input]);
    await client.logInputs(runId, [input]);
    const inputs = (await client.getRun(runId)).inputs!.dataset_inputs!;
    expect(inputs).toHaveLength(1);
    expect(inputs[0]!.dataset).toMatchObject({ name: "penguins", digest: "0123456789abcdef" });
    const long = { ...input, dataset: { ...input.dataset, digest: "x".repeat(37) } };
    expect((await client.logInputs(runId, [long]).catch((e) => e)).code).toBe("mlflow_invalid_request");
  });
});

describe("artifacts through the proxy", () => {
  it("uploads, lists, downloads and deletes files and folders", async () => {
    const exp = await client.getOrCreateExperiment(`artifacts-${Date.now()}`);
    const run = await client.createRun({ experimentId: exp.experiment_id! });
    const root = run.info!.artifact_uri!;
    expect(proxyPathOf(root)).toBe(`${exp.experiment_id}/${run.info!.run_id}/artifacts`);
    await client.uploadArtifact(root, "notes/hello.txt", "héllo");
    await client.uploadArtifact(root, "bin/data.bin", new Uint8Array([0, 1, 2, 255]));
    const src = join(work, "tree");
    mkdirSync(join(src, "sub", "deeper"), { recursive: true });
    writeFileSync(join(src, "a.json"), '{"a":1}');
    writeFileSync(join(src, "sub", "b.csv"), "x\n1\n");
    writeFileSync(join(src, "sub", "deeper", "c.txt"), "c");
    expect(await client.uploadDirectory(root, "tree", src)).toEqual([
      "a.json",
      "sub/b.csv",
      "sub/deeper/c.txt",
    ]);
    expect((await client.listArtifacts(root)).map((f) => [f.path, f.is_dir])).toEqual([
      ["bin", true],
      ["notes", true],
      ["tree", true],
    ]);
    expect(await client.listArtifactsRecursive(root)).toEqual([
      "bin/data.bin",
      "notes/hello.txt",
      "tree/a.json",
      "tree/sub/b.csv",
      "tree/sub/deeper/c.txt",
    ]);
    expect(await client.listArtifacts(root, "nothing/here")).toEqual([]);
    expect(Buffer.from(await client.downloadArtifact(root, "notes/hello.txt")).toString("utf8")).toBe(
      "héllo",
    );
    expect([...(await client.downloadArtifact(root, "bin/data.bin"))]).toEqual([0, 1, 2, 255]);
    const dest = join(work, "down");
    expect(await client.downloadArtifacts(root, "tree", dest)).toEqual([
      "a.json",
      "sub/b.csv",
      "sub/deeper/c.txt",
    ]);
    expect(readFileSync(join(dest, "sub", "deeper", "c.txt"), "utf8")).toBe("c");
    const missing = await client.downloadArtifact(root, "notes/missing.txt").catch((e) => e);
    expect(missing.status).toBe(404);
    await client.deleteArtifact(root, "bin");
    expect((await client.listArtifacts(root)).map((f) => f.path)).toEqual(["notes", "tree"]);
    for (const p of ["../x", "/abs", "a//b", "a/./b"])
      expect((await client.uploadArtifact(root, p, "x").catch((e) => e)).code).toBe("mlflow_invalid_request");
    expect(() => proxyPathOf("s3://bucket/1/abc/artifacts")).toThrow(/unsupported artifact scheme/);
  });
});

describe("model registry", () => {
  it("registers models and versions, pages through searches, sets tags and moves aliases", async () => {
    const name = `model-${Date.now()}`;
    const exp = await client.getOrCreateExperiment(`registry-${Date.now()}`);
    const run = await client.createRun({ experimentId: exp.experiment_id! });
    const source = `${run.info!.artifact_uri}/model`;
    await client.uploadArtifact(run.info!.artifact_uri!, "model/MLmodel", "flavors: {}\n");
    await client.createRegisteredModel({ name, tags: { team: "a" }, description: "first" });
    const dup = await client.createRegisteredModel({ name }).catch((e) => e);
    expect(isMlflowError(dup, "RESOURCE_ALREADY_EXISTS")).toBe(true);
    expect(dup.status).toBe(400);
    expect((await client.getOrCreateRegisteredModel(name)).name).toBe(name);
    const versions = [];
    for (let i = 0; i < 3; i++)
      versions.push(
        await client.createModelVersion({ name, source, runId: run.info!.run_id!, tags: { i: String(i) } }),
      );
    expect(versions.map((v) => v.version)).toEqual(["1", "2", "3"]);
    expect(versions[0]!.status).toBe("READY");
    const pages: number[] = [];
    const all = await collectPages(async (pageToken) => {
      const page = await client.searchModelVersions({ filter: `name = '${name}'`, maxResults: 1, pageToken });
      pages.push(page.items.length);
      return page;
    });
    expect(pages).toEqual([1, 1, 1]);
    expect(all.map((v) => v.version).sort()).toEqual(["1", "2", "3"]);
    expect(
      (await client.searchAllModelVersions({ filter: `name = '${name}' and tags.\`i\` = '1'` })).map(
        (v) => v.version,
      ),
    ).toEqual(["2"]);
    expect(
      (await client.searchAllRegisteredModels({ filter: `name = '${name}'` })).map((m) => m.name),
    ).toEqual([name]);

    expect(await client.getModelVersionByAlias(name, "champion")).toBeUndefined();
    expect(await client.getModelVersionByAlias(`${name}-none`, "champion")).toBeUndefined();
    await client.setRegisteredModelAlias(name, "champion", 1);
    expect((await client.getModelVersionByAlias(name, "champion"))!.version).toBe("1");
    await client.setRegisteredModelAlias(name, "champion", 3);
    const champ = await client.getModelVersionByAlias(name, "champion");
    expect(champ!.version).toBe("3");
    expect(champ!.aliases).toEqual(["champion"]);
    expect((await client.getRegisteredModel(name)).aliases).toEqual([{ alias: "champion", version: "3" }]);
    await client.deleteRegisteredModelAlias(name, "champion");
    expect(await client.getModelVersionByAlias(name, "champion")).toBeUndefined();
    expect((await client.setRegisteredModelAlias(name, "latest", 1).catch((e) => e)).code).toBe(
      "mlflow_invalid_request",
    );

    await client.setModelVersionTag(name, 2, "stage", "qa");
    await client.deleteModelVersionTag(name, 2, "i");
    const v2 = await client.getModelVersion(name, 2);
    expect(v2.tags!.filter((t) => t.key !== "lolpop.request_id")).toEqual([{ key: "stage", value: "qa" }]);
    await client.setRegisteredModelTag(name, "owner", "me");
    await client.deleteRegisteredModelTag(name, "team");
    await client.updateRegisteredModel(name, "second");
    await client.updateModelVersion(name, 2, "v2 notes");
    const model = await client.getRegisteredModel(name);
    expect(model.tags).toEqual([{ key: "owner", value: "me" }]);
    expect(model.description).toBe("second");
    expect((await client.getModelVersion(name, 2)).description).toBe("v2 notes");
    expect(await client.getModelVersionDownloadUri(name, 1)).toBe(source);
    await client.deleteModelVersion(name, 1);
    expect((await client.getModelVersion(name, 1).catch((e) => e)).serviceCode).toBe(
      "RESOURCE_DOES_NOT_EXIST",
    );
    await client.deleteRegisteredModel(name);
    expect(await client.findRegisteredModel(name)).toBeUndefined();
  });
});
