// The disk cache of config-schema validators: a cached validator finds the same problems and applies
// the same defaults as a freshly compiled one; a corrupt entry is compiled again; the cache can be off.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheKeyOf, schemaCacheDir } from "../code-cache.js";
import { loadCachedValidator, schemaCacheEntry } from "./schema-cache.js";
import { AJV_OPTIONS, validateAgainstSchema } from "./schema-validator.js";

const schema = () => ({
  type: "object",
  additionalProperties: false,
  properties: {
    seed: { type: "integer", default: 42 },
    method: { enum: ["random", "stratified"], default: "random" },
    ratio: { type: "array", items: { type: "number", minimum: 0 } },
  },
  required: ["ratio"],
});

describe("schema validator cache", () => {
  let dir: string;
  const saved = { ...process.env };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lolpop-schema-cache-"));
    process.env.LOLPOP_SCHEMA_CACHE_DIR = dir;
    delete process.env.LOLPOP_SCHEMA_CACHE;
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  test("a validator compiled once is stored and, loaded from disk, gives the same problems and defaults", () => {
    const fresh = { ratio: [0.5, -1], methd: "x" } as Record<string, unknown>;
    const first = validateAgainstSchema(schema(), fresh);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(dir, files[0]!), "utf8")).toContain("module.exports");

    // A new schema object (as in a new process): the validator now comes from the cache file.
    const entry = schemaCacheEntry(schema(), AJV_OPTIONS);
    expect(files[0]).toBe(`${entry.key}.cjs`);
    expect(typeof loadCachedValidator(dir, entry)?.validate).toBe("function");
    const again = { ratio: [0.5, -1], methd: "x" } as Record<string, unknown>;
    const second = validateAgainstSchema(schema(), again);
    expect(second).toEqual(first);
    expect(second.map((p) => p.code).sort()).toEqual(["invalid_value", "unknown_key"]);
    expect(again).toEqual(fresh);
    expect(again.seed).toBe(42);
    expect(again.method).toBe("random");
    const ok = { ratio: [1] } as Record<string, unknown>;
    expect(validateAgainstSchema(schema(), ok)).toEqual([]);
    expect(ok).toEqual({ ratio: [1], seed: 42, method: "random" });
  });

  test("a corrupt cache entry is compiled again and replaced", () => {
    validateAgainstSchema(schema(), { ratio: [] });
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file!), "this is not javascript (");
    const problems = validateAgainstSchema(schema(), { ratio: "no" });
    expect(problems.map((p) => p.code)).toEqual(["invalid_type"]);
    expect(readFileSync(join(dir, file!), "utf8")).toContain("module.exports");
  });

  test("an entry of another schema under the same name (a hash collision) is not used: compiled again and replaced", () => {
    validateAgainstSchema(schema(), { ratio: [] });
    const [file] = readdirSync(dir);
    const stored = readFileSync(join(dir, file!), "utf8");
    // Another schema's entry: its first line names that schema; its validator accepts anything.
    const other = stored.split("\n")[0]!.replace('"minimum":0', '"minimum":1');
    expect(other).not.toBe(stored.split("\n")[0]);
    writeFileSync(join(dir, file!), `${other}\nmodule.exports = function v() { return true; };`);
    expect(validateAgainstSchema(schema(), { ratio: [-1] }).map((p) => p.code)).toEqual(["invalid_value"]);
    const replaced = readFileSync(join(dir, file!), "utf8");
    expect(replaced.split("\n")[0]).toBe(stored.split("\n")[0]);
    expect(replaced).toContain("module.exports = validate");
  });

  test("a validator loaded from the cache stores its V8 code cache after its first use; the next load uses it", () => {
    const fresh = validateAgainstSchema(schema(), { ratio: [-1] });
    const [file] = readdirSync(dir);
    const entry = schemaCacheEntry(schema(), AJV_OPTIONS);
    // Compiled by ajv in this process: no code cache yet (the next process writes it).
    expect(readdirSync(dir)).toEqual([file]);
    const first = loadCachedValidator(dir, entry)!;
    expect(first.afterFirstUse).toBeInstanceOf(Function);
    expect(readdirSync(dir)).toEqual([file]);
    // Through validateAgainstSchema (a new schema object, as in a new process): used, then stored.
    expect(validateAgainstSchema(schema(), { ratio: [-1] })).toEqual(fresh);
    expect(readdirSync(dir).sort()).toEqual([file, `${file}.v8`].sort());
    const v8 = readFileSync(join(dir, `${file}.v8`));
    // The id of the code it was compiled from (16 hex digits), then the V8 data twice.
    expect(v8.toString("latin1", 0, 16)).toMatch(/^[0-9a-f]{16}$/);
    const data = v8.subarray(16);
    expect(data.subarray(0, data.length / 2).equals(data.subarray(data.length / 2))).toBe(true);
    const again = loadCachedValidator(dir, entry)!;
    expect(again.afterFirstUse).toBeUndefined();
    const value = { ratio: [0.5] } as Record<string, unknown>;
    expect(again.validate(value)).toBe(true);
    expect(value).toEqual({ ratio: [0.5], seed: 42, method: "random" });
    // Compiled again by ajv (the entry replaced, another id): the old code cache is not used.
    writeFileSync(join(dir, file!), "corrupt");
    validateAgainstSchema(schema(), { ratio: [] });
    expect(loadCachedValidator(dir, entry)!.afterFirstUse).toBeInstanceOf(Function);
  });

  test("a schema whose text holds a line separator (U+2028) is cached and read back like any other", () => {
    const odd = () => ({ ...schema(), description: "first\u2028second\u2029third" });
    validateAgainstSchema(odd(), { ratio: [] });
    const [file] = readdirSync(dir);
    const stored = readFileSync(join(dir, file!), "utf8");
    expect(stored.split("\n")[0]).not.toMatch(/[\u2028\u2029]/);
    const entry = schemaCacheEntry(odd(), AJV_OPTIONS);
    expect(typeof loadCachedValidator(dir, entry)?.validate).toBe("function");
  });

  test("cache keys: 16 hex digits, the same for the same material, different for a one-character change", () => {
    const base = JSON.stringify(schema());
    expect(cacheKeyOf(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(cacheKeyOf(base)).toBe(cacheKeyOf(JSON.stringify(schema())));
    const keys = new Set([cacheKeyOf(""), cacheKeyOf(base)]);
    for (let i = 0; i < base.length; i++) keys.add(cacheKeyOf(base.slice(0, i) + "#" + base.slice(i + 1)));
    keys.add(cacheKeyOf(`${base} `));
    expect(keys.size).toBe(base.length + 3);
    // Beyond ASCII, and longer than the encoder's first buffer: the last character still counts.
    expect(cacheKeyOf("café")).not.toBe(cacheKeyOf("cafe"));
    const long = "x".repeat(100_000);
    expect(cacheKeyOf(`${long}a`)).toBe(cacheKeyOf(`${long}a`));
    expect(cacheKeyOf(`${long}a`)).not.toBe(cacheKeyOf(`${long}b`));
    // Another seed: another hash of the same material.
    expect(cacheKeyOf(base, 1)).toMatch(/^[0-9a-f]{16}$/);
    expect(cacheKeyOf(base, 1)).not.toBe(cacheKeyOf(base));
    expect(cacheKeyOf(base, 1)).toBe(cacheKeyOf(base, 1));
  });

  test("LOLPOP_SCHEMA_CACHE=0 writes nothing; the default location is under the user's cache folder", () => {
    process.env.LOLPOP_SCHEMA_CACHE = "0";
    expect(validateAgainstSchema(schema(), { ratio: [2] })).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(schemaCacheDir({ LOLPOP_SCHEMA_CACHE: "0" })).toBeUndefined();
    expect(schemaCacheDir({ XDG_CACHE_HOME: "/x/cache" })).toBe(
      join("/x/cache", "lolpop", "schema-validators"),
    );
  });
});
