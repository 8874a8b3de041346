import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSavedModelFile, StoreError } from "../index.js";

const spec = {
  fileName: "meta.json",
  trainer: "XTrainer",
  package: "@acme/x",
  format: "acme.x",
  maxVersion: 2,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-saved-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function storeError(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    if (StoreError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a StoreError");
}

describe("readSavedModelFile", () => {
  it("returns the parsed metadata and a helper that rejects it with the file named", async () => {
    writeFileSync(join(dir, "meta.json"), JSON.stringify({ format: "acme.x", format_version: 2, n: 3 }));
    const r = await readSavedModelFile<{ n: number }>(dir, spec);
    expect(r.file).toBe(join(dir, "meta.json"));
    expect(r.data.n).toBe(3);
    const e = await storeError(Promise.resolve().then(() => r.invalid("n is too small")));
    expect(e.message).toBe(`${join(dir, "meta.json")} is not a valid XTrainer model: n is too small`);
    expect(e.code).toBe("model_invalid");
  });

  it.each([
    [
      "missing file",
      undefined,
      "model_not_found",
      /no meta\.json in .*: it is not a model saved by XTrainer, or its saving did not finish/,
    ],
    ["not JSON", "{oops", "model_invalid", /is not a valid XTrainer model: invalid JSON/],
    ["not an object", "[1]", "model_invalid", /not a JSON object/],
    ["another format", '{"format":"other","format_version":1}', "model_invalid", /"format" is not "acme\.x"/],
    [
      "a newer version",
      '{"format":"acme.x","format_version":3}',
      "model_format_unsupported",
      /format version 3, this @acme\/x reads up to 2: upgrade @acme\/x/,
    ],
  ])("%s: a StoreError with its code", async (_, text, code, message) => {
    if (text !== undefined) writeFileSync(join(dir, "meta.json"), text);
    const e = await storeError(readSavedModelFile(dir, spec));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });
});
