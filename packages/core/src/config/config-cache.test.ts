// The parsed-config cache: a config read again comes from the cache with the same data and the same
// line/column lookups; edited files, YAML errors, aliases, special numbers and literal secrets never
// come from (or go to) the cache; a corrupt entry is parsed again; the cache can be off.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import { configCacheFile, isCacheableConfig } from "./config-cache.js";
import { loadConfigFile, parseConfigText } from "./yaml-source.js";

const CONFIG = `# a config
runner: ClassificationRunner
config:
  target: species
components:
  notifier: StdoutNotifier
train:
  model_trainer:
    config:
      training_params: { n_estimators: 30, max_depth: 8 }
      ratios: [0.7, 0.15, 0.15]
`;

describe("parsed-config cache", () => {
  let dir: string;
  let work: string;
  const saved = { ...process.env };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lolpop-config-cache-"));
    work = mkdtempSync(join(tmpdir(), "lolpop-config-cache-work-"));
    process.env.LOLPOP_SCHEMA_CACHE_DIR = dir;
    delete process.env.LOLPOP_SCHEMA_CACHE;
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });
  const entries = () => readdirSync(dir).filter((f) => f.startsWith("config-"));
  const write = (text: string) => {
    const file = join(work, "lolpop.yaml");
    writeFileSync(file, text);
    return file;
  };

  test("a config read again comes from its cache entry, with the same data and positions", async () => {
    const file = write(CONFIG);
    const first = await loadConfigFile(file);
    expect(entries()).toEqual([configCacheFile(CONFIG)]);

    // Prove the second read uses the entry: mark the stored data, read again.
    const entry = join(dir, entries()[0]!);
    const stored = JSON.parse(readFileSync(entry, "utf8")) as {
      check: string;
      data: Record<string, unknown>;
    };
    expect(stored.data).toEqual(first.data);
    writeFileSync(entry, JSON.stringify({ check: stored.check, data: { ...stored.data, marker: true } }));
    const second = await loadConfigFile(file);
    expect(second.data).toEqual({ ...(first.data as object), marker: true });

    // Positions (used for error messages) are exact: they come from parsing the text on demand.
    const fresh = parseConfigText(CONFIG, file);
    for (const path of [
      ["runner"],
      ["config", "target"],
      ["components"],
      ["train", "model_trainer", "config", "training_params", "max_depth"],
      ["train", "model_trainer", "config", "ratios", 2],
      ["train", "nope", "deeper"],
    ]) {
      expect(second.locate(path)).toEqual(fresh.locate(path));
      expect(second.locateKey(path)).toEqual(fresh.locateKey(path));
    }
    expect(second.locate(["config", "target"])).toEqual({ line: 4, column: 11 });
  });

  test("an edited file is parsed again (the entry is keyed by the text)", async () => {
    const file = write(CONFIG);
    await loadConfigFile(file);
    write(CONFIG.replace("species", "island"));
    const edited = await loadConfigFile(file);
    expect((edited.data as { config: { target: string } }).config.target).toBe("island");
    expect(entries()).toHaveLength(2);
  });

  test("YAML errors are the same on every read and are never cached", async () => {
    const file = write("runner: A\nrunner: B\n");
    for (let i = 0; i < 2; i++) {
      const err = await loadConfigFile(file).catch((e: unknown) => e);
      expect(ConfigError.isInstance(err)).toBe(true);
      expect((err as ConfigError).issues[0]).toMatchObject({ code: "duplicate_key", line: 2 });
    }
    expect(entries()).toEqual([]);
  });

  test("an entry for another text under the same name (a hash collision) is parsed again and replaced", async () => {
    const file = write(CONFIG);
    const first = await loadConfigFile(file);
    const entry = join(dir, entries()[0]!);
    const stored = JSON.parse(readFileSync(entry, "utf8")) as {
      check: string;
      data: Record<string, unknown>;
    };
    expect(stored.check).toMatch(/^[0-9a-f]{16}$/);
    // Another text's entry: its check is the second hash of that text.
    writeFileSync(entry, JSON.stringify({ check: "0123456789abcdef", data: { runner: "Foreign" } }));
    expect((await loadConfigFile(file)).data).toEqual(first.data);
    expect(JSON.parse(readFileSync(entry, "utf8"))).toEqual(stored);
  });

  test("an entry holds the parsed data and a hash, never the text (comments may hold anything)", async () => {
    const text = `# token for the staging server: s3cr3t-in-a-comment\n${CONFIG}`;
    await loadConfigFile(write(text));
    expect(entries()).toHaveLength(1);
    const raw = readFileSync(join(dir, entries()[0]!), "utf8");
    expect(raw).not.toContain("s3cr3t-in-a-comment");
    expect(Object.keys(JSON.parse(raw)).sort()).toEqual(["check", "data"]);
  });

  test("a corrupt entry is parsed again", async () => {
    const file = write(CONFIG);
    const first = await loadConfigFile(file);
    writeFileSync(join(dir, entries()[0]!), "{ not json");
    expect((await loadConfigFile(file)).data).toEqual(first.data);
  });

  test("literal secrets, aliases and special numbers are not stored; env references are", async () => {
    for (const text of [
      "runner: A\nconfig:\n  password: hunter2\n",
      "runner: A\nconfig:\n  api_key: 12345678\n",
      "runner: A\nbase: &b { x: 1 }\nother: *b\n",
      "runner: A\nconfig:\n  limit: .inf\n",
    ]) {
      await loadConfigFile(write(text));
      expect(entries()).toEqual([]);
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal lolpop env reference, not a template
    await loadConfigFile(write("runner: A\nconfig:\n  password: ${env:DB_PASSWORD}\n"));
    expect(entries()).toHaveLength(1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal lolpop env reference, not a template
    expect(readFileSync(join(dir, entries()[0]!), "utf8")).toContain("${env:DB_PASSWORD}");
  });

  test("isCacheableConfig accepts plain JSON data only", () => {
    expect(isCacheableConfig({ a: [1, "x", true, null, { b: 2.5 }] })).toBe(true);
    const shared = { x: 1 };
    expect(isCacheableConfig({ a: shared, b: shared })).toBe(false);
    expect(isCacheableConfig({ a: Number.NaN })).toBe(false);
    expect(isCacheableConfig({ a: -0 })).toBe(false);
    expect(isCacheableConfig({ a: new Date(0) })).toBe(false);
    expect(isCacheableConfig({ token: "abc" })).toBe(false);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal lolpop env reference, not a template
    expect(isCacheableConfig({ token: "${env:T}" })).toBe(true);
  });

  test("LOLPOP_SCHEMA_CACHE=0 turns it off", async () => {
    process.env.LOLPOP_SCHEMA_CACHE = "0";
    await loadConfigFile(write(CONFIG));
    expect(readdirSync(dir)).toEqual([]);
  });
});
