// One rule for model references (CLI, serve, export): parsing, and resolving through the repository
// contract with errors that say what exists.
import type { ModelRepository, ModelVersionInfo } from "./contracts.js";
import { ModelRefError } from "./errors.js";
import { formatModelRef, parseModelRef, parseModelVersion, resolveModelRef } from "./model-ref.js";

const version = (v: number, aliases: string[] = []): ModelVersionInfo => ({
  name: "penguins",
  version: v,
  created_at: "2026-01-01T00:00:00Z",
  aliases,
  tags: {},
  metrics: {},
  uri: `file:///models/penguins/${v}`,
});

const repo: Pick<ModelRepository, "get_alias" | "get_model_version" | "list_versions"> = {
  async get_alias(name, alias) {
    return name === "penguins" && alias === "champion" ? version(2, ["champion"]) : undefined;
  },
  async get_model_version(name, v) {
    if (name === "penguins" && (v === 1 || v === 2)) return version(v);
    throw new Error(`no version ${v} of ${name}`);
  },
  async list_versions(name) {
    return name === "penguins" ? [version(1), version(2, ["champion"])] : [];
  },
};

async function refError(p: Promise<unknown>): Promise<ModelRefError> {
  const e = await p.catch((x: unknown) => x);
  if (!ModelRefError.isInstance(e)) throw new Error(`expected a ModelRefError, got ${String(e)}`);
  return e;
}

describe("parseModelRef", () => {
  test("name@alias, name/version (3 or v3), a bare name is its champion", () => {
    expect(parseModelRef("penguins@staging")).toEqual({ name: "penguins", alias: "staging" });
    expect(parseModelRef("penguins/3")).toEqual({ name: "penguins", version: 3 });
    expect(parseModelRef("penguins/v3")).toEqual({ name: "penguins", version: 3 });
    expect(parseModelRef("penguins")).toEqual({ name: "penguins", alias: "champion" });
    // Names may hold "/" and "@" (MLflow allows them): the last "@", else the last "/", splits.
    expect(parseModelRef("team/penguins@champion")).toEqual({ name: "team/penguins", alias: "champion" });
    expect(parseModelRef("team/penguins/2")).toEqual({ name: "team/penguins", version: 2 });
    expect(formatModelRef(parseModelRef("penguins/v3"))).toBe("penguins/3");
    expect(formatModelRef(parseModelRef("penguins"))).toBe("penguins@champion");
  });

  test.each([
    "",
    " ",
    "penguins@",
    "@champion",
    "penguins/",
    "/3",
    "penguins/0",
    "penguins/x",
    "penguins/1.5",
  ])("%j is a usage error that shows the accepted forms", (text) => {
    let e: unknown;
    try {
      parseModelRef(text);
    } catch (x) {
      e = x;
    }
    expect(ModelRefError.isInstance(e)).toBe(true);
    const err = e as ModelRefError;
    expect([err.code, err.usage]).toEqual(["bad_model_ref", true]);
    expect(err.message).toMatch(/name@alias \(e\.g\. penguins@champion\), name\/version/);
  });

  test("parseModelVersion takes whole numbers from 1", () => {
    expect(parseModelVersion("7")).toBe(7);
    expect(parseModelVersion("v7")).toBe(7);
    expect(() => parseModelVersion("0")).toThrow(/version "0": a model version is a whole number from 1/);
    expect(() => parseModelVersion("99999999999999999999")).toThrow(/whole number from 1/);
  });
});

describe("resolveModelRef", () => {
  test("an alias, a version, a bare name", async () => {
    expect((await resolveModelRef(repo, "penguins@champion")).version).toBe(2);
    expect((await resolveModelRef(repo, "penguins/1")).version).toBe(1);
    expect((await resolveModelRef(repo, { name: "penguins", version: 2 })).version).toBe(2);
    expect((await resolveModelRef(repo, "penguins")).version).toBe(2);
  });

  test("what names nothing says what exists (not usage errors)", async () => {
    let e = await refError(resolveModelRef(repo, "penguins@staging"));
    expect([e.code, e.usage]).toEqual(["no_alias", false]);
    expect(e.message).toBe(
      'model "penguins" has no alias "staging" (versions: 1, 2); name a version, e.g. penguins/2, or promote one (lolpop models promote penguins <version>)',
    );
    e = await refError(resolveModelRef(repo, "penguins/7"));
    expect([e.code, e.message]).toEqual(["no_version", 'model "penguins" has no version 7 (versions: 1, 2)']);
    e = await refError(resolveModelRef(repo, "otters/1"));
    expect(e.code).toBe("no_model");
    expect(e.message).toMatch(/no model named "otters" in the model repository/);
    e = await refError(resolveModelRef(repo, "otters"));
    expect(e.code).toBe("no_model");
  });

  test("a failure reading a version that exists is not turned into 'no such version'", async () => {
    const broken = { ...repo, get_model_version: async () => Promise.reject(new Error("disk on fire")) };
    await expect(resolveModelRef(broken, "penguins/1")).rejects.toThrow("disk on fire");
  });
});
