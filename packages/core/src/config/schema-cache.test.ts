// The disk cache of config-schema validators: a cached validator finds the same problems and applies
// the same defaults as a freshly compiled one; a corrupt entry is compiled again; the cache can be off.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheKeyOf, loadCachedValidator, schemaCacheDir, schemaCacheEntry } from "./schema-cache.js";
import { validateAgainstSchema } from "./schema-validator.js";

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
    const entry = schemaCacheEntry(schema(), {
      allErrors: true,
      useDefaults: true,
      strict: false,
      coerceTypes: false,
      allowUnionTypes: true,
    });
    expect(files[0]).toBe(`${entry.key}.cjs`);
    expect(loadCachedValidator(dir, entry)).toBeInstanceOf(Function);
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

  test("a schema whose text holds a line separator (U+2028) is cached and read back like any other", () => {
    const odd = () => ({ ...schema(), description: "first\u2028second\u2029third" });
    validateAgainstSchema(odd(), { ratio: [] });
    const [file] = readdirSync(dir);
    const stored = readFileSync(join(dir, file!), "utf8");
    expect(stored.split("\n")[0]).not.toMatch(/[\u2028\u2029]/);
    const entry = schemaCacheEntry(odd(), {
      allErrors: true,
      useDefaults: true,
      strict: false,
      coerceTypes: false,
      allowUnionTypes: true,
    });
    expect(loadCachedValidator(dir, entry)).toBeInstanceOf(Function);
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
