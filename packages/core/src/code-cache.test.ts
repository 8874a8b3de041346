// V8 code caches of lolpop's CommonJS builds (what `lolpop validate` starts from): a second process
// compiles from the cache; a damaged cache, an edited file or another build never uses a cache
// that is not its own (V8 itself checks only the source's length, and a damaged cache crashes the
// process); the caches can be off. Each case runs in child processes, as the CLI does, with the
// built `dist/code-cache.js`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const codeCache = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "code-cache.js"),
).href;

/** Loads `file` in a new process: its `answer()`, whether it came from the cache, and the exit status. */
function load(file: string, env: Record<string, string>) {
  const script = `
    const { loadCommonJs } = await import(${JSON.stringify(codeCache)});
    const m = loadCommonJs(${JSON.stringify(file)}, { modules: { answer: 41 } });
    const out = { fromCache: m.fromCache, answer: m.exports.answer() };
    m.storeCache();
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return {
    status: r.status,
    stderr: r.stderr,
    ...(r.status === 0 ? (JSON.parse(r.stdout) as { fromCache: boolean; answer: number }) : {}),
  };
}

/** A CommonJS module whose functions run when `answer()` is called; `k` changes the result, not the length. */
const source = (k: number) =>
  `"use strict";\nconst base = require("answer");\nfunction add(a) { return a + ${k}; }\n` +
  `${Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x * ${i} + add(${i}); }`).join("\n")}\n` +
  "exports.answer = () => add(base) + f7(1) - f7(1);\n";

describe("code cache (loadCommonJs)", () => {
  let dir: string;
  let cache: string;
  let file: string;
  let stampBuild: (file: string) => void;
  beforeAll(async () => {
    ({ stampBuild } = (await import(codeCache)) as { stampBuild: (file: string) => void });
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lolpop-code-cache-"));
    cache = join(dir, "cache");
    file = join(dir, "module.cjs");
    writeFileSync(file, source(1));
    stampBuild(file);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const env = () => ({ LOLPOP_SCHEMA_CACHE_DIR: cache });
  const cacheFile = () => join(cache, readdirSync(cache).find((f) => f.startsWith("code-"))!);

  test("the first process compiles and stores the cache; the next compiles from it, same result", () => {
    expect(readFileSync(file, "utf8")).toMatch(/^\/\/ lolpop-build [0-9a-f]{16}\n"use strict";/);
    expect(load(file, env())).toEqual({ status: 0, stderr: "", fromCache: false, answer: 42 });
    expect(readdirSync(cache).filter((f) => f.endsWith(".v8"))).toHaveLength(1);
    expect(load(file, env())).toEqual({ status: 0, stderr: "", fromCache: true, answer: 42 });
    // Stamping again (a build of the same text) changes nothing.
    const before = readFileSync(file, "utf8");
    stampBuild(file);
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  test("a damaged cache is not used (V8 would crash on it): compiled again and rewritten", () => {
    load(file, env());
    const stored = readFileSync(cacheFile());
    const damaged = Buffer.from(stored);
    const mid = 16 + Math.floor((stored.length - 16) / 4);
    damaged[mid] = damaged[mid]! ^ 0x55;
    writeFileSync(cacheFile(), damaged);
    expect(load(file, env())).toEqual({ status: 0, stderr: "", fromCache: false, answer: 42 });
    expect(load(file, env())).toMatchObject({ status: 0, fromCache: true, answer: 42 });
    // Cut short: not used either.
    writeFileSync(cacheFile(), stored.subarray(0, stored.length - 3));
    expect(load(file, env())).toMatchObject({ status: 0, fromCache: false, answer: 42 });
  });

  test("another build of the file (same length) and an edit without a new stamp do not use the old cache", () => {
    load(file, env());
    expect(load(file, env())).toMatchObject({ fromCache: true, answer: 42 });
    // A new build: same length, another text, another stamp.
    writeFileSync(file, source(2));
    stampBuild(file);
    expect(load(file, env())).toMatchObject({ status: 0, fromCache: false, answer: 43 });
    expect(load(file, env())).toMatchObject({ fromCache: true, answer: 43 });
    // Edited by hand, stamp kept, same size: the modification time tells.
    const text = readFileSync(file, "utf8");
    const mtime = statSync(file).mtime;
    writeFileSync(file, text.replace("return a + 2;", "return a + 3;"));
    utimesSync(file, mtime, new Date(mtime.getTime() + 5000));
    expect(statSync(file).size).toBe(Buffer.byteLength(text));
    expect(load(file, env())).toMatchObject({ status: 0, fromCache: false, answer: 44 });
  });

  test("LOLPOP_SCHEMA_CACHE=0: compiled every time, nothing written; an unstamped file is never cached", () => {
    const off = { ...env(), LOLPOP_SCHEMA_CACHE: "0" };
    expect(load(file, off)).toMatchObject({ status: 0, fromCache: false, answer: 42 });
    expect(load(file, off)).toMatchObject({ status: 0, fromCache: false, answer: 42 });
    expect(() => readdirSync(cache)).toThrow();
    const plain = join(dir, "plain.cjs");
    writeFileSync(plain, source(1));
    expect(load(plain, env())).toMatchObject({ status: 0, fromCache: false, answer: 42 });
    expect(load(plain, env())).toMatchObject({ status: 0, fromCache: false, answer: 42 });
    expect(() => readdirSync(cache)).toThrow();
  });
});
