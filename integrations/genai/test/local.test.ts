// The local provider on the real default model (Gemma 3 270M Q4_K_M through node-llama-cpp's prebuilt
// CPU binary): grammar-constrained answers that match the schema, determinism at temperature 0 with
// a fixed seed, the token limit, cancellation, and clear errors when the model is missing. Answers are
// kept short (small maxTokens) so the suite stays within a few minutes on two cores.

import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type AnyDefinition, CancelledError, type JsonSchema } from "@lolpop/core";
import { stdoutNotifier } from "@lolpop/local";
import ts from "typescript";
import {
  applyDocComment,
  applyReadmeSection,
  checkAnswer,
  collectComponentFacts,
  createLocalModel,
  DEFAULT_DOCS_LIMITS,
  definitionRange,
  docsSchema,
  FETCH_MODEL_COMMAND,
  GenaiOutputError,
  GenaiSetupError,
  type GenerateObjectRequest,
  generateComponentDocs,
  generateComponentTests,
  type LocalLanguageModel,
  readmeMarkers,
  renderDocComment,
  renderReadmeSection,
  unifiedDiff,
} from "../src/index.js";
import { MODEL_TIMEOUT, speedLine, testModel } from "./local-helpers.js";
import { type ScaffoldedPlugin, scaffoldPlugin } from "./scaffold-helpers.js";

const schema: JsonSchema = {
  type: "object",
  properties: {
    kind: { type: "string", enum: ["model_trainer", "data_connector", "notifier"] },
    summary: { type: "string" },
  },
  required: ["kind", "summary"],
  additionalProperties: false,
};
const request = (content: string, extra: Partial<GenerateObjectRequest> = {}): GenerateObjectRequest => ({
  messages: [
    { role: "system", content: "You classify lolpop components. Answer in JSON." },
    { role: "user", content },
  ],
  schema,
  maxTokens: 48,
  ...extra,
});

let model: LocalLanguageModel;

beforeAll(async () => {
  model = testModel();
  await model.load();
}, MODEL_TIMEOUT);

afterAll(async () => {
  if (!model) return;
  process.stderr.write(`\n${speedLine(model)}\n`);
  await model.close();
}, MODEL_TIMEOUT);

test(
  "answers with JSON that matches the schema (the grammar forces it)",
  async () => {
    const r = await model.generateObject<{ kind: string; summary: string }>(
      request("RandomForestModelTrainer trains a random forest classifier on a table. Which kind is it?"),
    );
    expect(checkAnswer(r.text, schema)).toEqual({ ok: true, value: r.value });
    expect(["model_trainer", "data_connector", "notifier"]).toContain(r.value.kind);
    expect(typeof r.value.summary).toBe("string");
    expect(r).toMatchObject({
      provider: "local",
      model: "gemma-3-270m-q4_k_m.gguf",
      repaired: false,
      finishReason: "stop",
    });
    expect(r.usage.promptTokens).toBeGreaterThan(10);
    expect(r.usage.completionTokens).toBeGreaterThan(3);
    expect(model.stats().loadMs).toBeGreaterThan(0);
  },
  MODEL_TIMEOUT,
);

test(
  "temperature 0 and a fixed seed give the same answer twice, also with another request in between",
  async () => {
    const ask = request("LocalDataConnector reads CSV files from disk. Which kind is it?", {
      temperature: 0,
      seed: 42,
    });
    const first = await model.generateObject(ask);
    await model.generateObject(request("StdoutNotifier prints messages. Which kind is it?", { seed: 3 }));
    const second = await model.generateObject(ask);
    expect(second.text).toBe(first.text);
    expect(second.value).toEqual(first.value);
  },
  MODEL_TIMEOUT,
);

test(
  "an answer cut at maxTokens is refused, not returned half-written",
  async () => {
    const e = await model.generateObject(request("Describe a model trainer.", { maxTokens: 4 })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(GenaiOutputError.isInstance(e)).toBe(true);
    expect((e as GenaiOutputError).truncated).toBe(true);
    expect((e as Error).message).toMatch(/token limit \(maxTokens 4\)/);
  },
  MODEL_TIMEOUT,
);

test(
  "a cancelled signal stops the request",
  async () => {
    const ac = new AbortController();
    ac.abort(new Error("stop"));
    const e = await model.generateObject(request("Which kind?", { signal: ac.signal })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(CancelledError.isInstance(e)).toBe(true);
  },
  MODEL_TIMEOUT,
);

test("previewRequest: what the model would get, and that nothing leaves the machine", () => {
  const preview = model.previewRequest(request("Which kind?"));
  expect(preview.destination).toMatch(
    /^local: .*gemma-3-270m-q4_k_m\.gguf \(in this process; nothing leaves the machine\)$/,
  );
  expect(JSON.parse(preview.body)).toEqual({
    messages: request("Which kind?").messages,
    grammar: schema,
    temperature: 0,
    seed: 0,
    max_tokens: 48,
  });
});

describe("generate docs on a first-party component (StdoutNotifier of @lolpop/local)", () => {
  const localDir = dirname(createRequire(import.meta.url).resolve("@lolpop/local/package.json"));
  const sourceFile = join(localDir, "src", "stdout-notifier.ts");
  const limits = { summary: 120, description: 300, option: 100 };

  test(
    "gives a valid doc comment and README section (structure checked, not prose)",
    async () => {
      const facts = collectComponentFacts({
        definition: stdoutNotifier,
        packageDir: localDir,
        plugin: { name: "@lolpop/local" },
      });
      const { docs, result } = await generateComponentDocs(model, facts, { limits, seed: 1 });
      process.stderr.write(
        `\ngenerate docs StdoutNotifier (local model): ${JSON.stringify(result.value)} in ${result.elapsedMs} ms, ${result.usage.promptTokens} prompt + ${result.usage.completionTokens} generated tokens\n`,
      );
      // The answer matches the schema of the request: lengths, and exactly the two options.
      expect(
        checkAnswer(result.text, docsSchema(facts, { ...DEFAULT_DOCS_LIMITS, ...limits })),
      ).toMatchObject({ ok: true });
      expect(Object.keys(docs.options).sort()).toEqual(["min_level", "prefix"]);
      expect(docs.summary.length).toBeGreaterThanOrEqual(10);

      // Doc comment: above the definition, the code unchanged, still valid TypeScript.
      const source = readFileSync(sourceFile, "utf8");
      const comment = renderDocComment(facts, docs);
      const written = applyDocComment(source, "StdoutNotifier", comment, "src/stdout-notifier.ts");
      const range = definitionRange(written, "StdoutNotifier")!;
      const doc = written.split("\n").slice(range.docStart, range.start);
      expect(doc[0]).toBe("/**");
      expect(doc[1]).toMatch(/^ \* `StdoutNotifier` \(kind `notifier`\): \S/);
      expect(doc).toContain(" * Config:");
      expect(doc.some((l) => l.startsWith(' * - `min_level` (default `"info"`): '))).toBe(true);
      expect(doc.some((l) => l.startsWith(' * - `prefix` (default `"[lolpop]"`): '))).toBe(true);
      expect(doc[doc.length - 1]).toBe(" */");
      const diagnostics = ts.transpileModule(written, {
        reportDiagnostics: true,
        fileName: "stdout-notifier.ts",
      }).diagnostics;
      expect(diagnostics).toEqual([]);
      expect(unifiedDiff("src/stdout-notifier.ts", source, written)).toMatch(
        /^--- a\/src\/stdout-notifier\.ts\n/,
      );

      // README section: appended to the real README, markers once, config table from the schema.
      const readme = readFileSync(join(localDir, "README.md"), "utf8");
      const updated = applyReadmeSection(readme, "StdoutNotifier", renderReadmeSection(facts, docs));
      const { start, end } = readmeMarkers("StdoutNotifier");
      expect(updated.startsWith(readme.trimEnd())).toBe(true);
      const section = updated.slice(updated.indexOf(start), updated.indexOf(end) + end.length);
      expect(updated.split(start).length - 1).toBe(1);
      expect(section).toContain("### StdoutNotifier (`notifier`)");
      expect(section).toContain(
        '| `min_level` | `"info" \\| "warn" \\| "error"` | `"info"` | Lowest level printed. |',
      );
      expect(section).toContain('| `prefix` | `string` | `"[lolpop]"` | Text at the start of every line. |');
      expect(section).toContain(docs.summary);
    },
    MODEL_TIMEOUT,
  );
});

describe("generate tests on a scaffolded plugin (lolpop create plugin)", () => {
  let plugin: ScaffoldedPlugin | undefined;
  afterAll(() => {
    if (plugin) rmSync(plugin.root, { recursive: true, force: true });
  });

  test(
    "writes a test file that type-checks and runs green; failing cases are dropped, not written",
    async () => {
      plugin = scaffoldPlugin();
      const mod = (await import(join(plugin.dir, plugin.source))) as Record<string, AnyDefinition>;
      const facts = collectComponentFacts({
        definition: mod[plugin.exportName]!,
        packageDir: plugin.dir,
        maxSourceChars: 2500,
      });
      const file = "src/knn-model-trainer.genai.test.ts";
      const out = await generateComponentTests(model, facts, {
        packageDir: plugin.dir,
        file,
        importFrom: "./knn-model-trainer.js",
        exportName: plugin.exportName,
        maxCases: 3,
        seed: 1,
      });
      const proposed = out.result!.value.cases.length;
      process.stderr.write(
        `\ngenerate tests KnnModelTrainer (local model): ${proposed} cases proposed in ${out.result!.elapsedMs} ms, ${out.cases.length} kept, dropped: ${JSON.stringify(out.dropped)}; type check ${out.verification.ms.typecheck} ms, run ${out.verification.ms.run} ms\n`,
      );
      expect(proposed).toBeGreaterThanOrEqual(1);
      expect(out.cases.length + out.dropped.length).toBe(proposed);
      expect(out.offer).toBe(true);
      expect(out.typeErrors).toEqual([]);
      expect(out.failures).toEqual([]);
      // Every test of the offered file passed: conformance plus one test per kept case.
      const caseTests = out.verification.tests.filter((t) => t.caseIndex !== undefined);
      expect(caseTests).toHaveLength(out.cases.length);
      expect(out.verification.tests.every((t) => t.status === "passed")).toBe(true);
      expect(out.verification.tests.length).toBeGreaterThan(out.cases.length + 5);
      expect(out.text).toMatch(/^\/\/ Generated by `lolpop generate tests KnnModelTrainer`/);
      expect(out.text).toContain("describeConformance(knnModelTrainer);");
      for (const d of out.dropped)
        expect(d.reason).toMatch(/^(failed when run|the value is not JSON|the same value)/);
    },
    2 * MODEL_TIMEOUT,
  );
});

describe("setup errors", () => {
  test("a modelPath that does not exist is named, with what to do", async () => {
    const m = createLocalModel({ modelPath: "/nonexistent/model.gguf" });
    const e = await m.load().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(GenaiSetupError.isInstance(e)).toBe(true);
    expect((e as Error).message).toMatch(
      /the model file \/nonexistent\/model\.gguf does not exist \(modelPath\)/,
    );
    await m.close();
  });

  test("the default model missing from an empty cache: says how to fetch it", async () => {
    const m = createLocalModel({ env: { LOLPOP_MODEL_CACHE: join("/nonexistent", "cache") } });
    expect(m.modelPath).toBe("/nonexistent/cache/gemma-3-270m-q4_k_m.gguf");
    const e = await m.generateObject(request("Which kind?")).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(GenaiSetupError.isInstance(e)).toBe(true);
    expect((e as Error).message).toContain(FETCH_MODEL_COMMAND);
    expect((e as Error).message).toContain("LOLPOP_MODEL_CACHE");
  });

  test(
    "a file that is not a GGUF model is refused when loading",
    async () => {
      const m = createLocalModel({ modelPath: join(__dirnameOf(), "model-status.mjs") });
      const e = await m.load().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(GenaiSetupError.isInstance(e)).toBe(true);
      expect((e as Error).message).toMatch(/could not load .*model-status\.mjs as a GGUF model/);
      await m.close();
    },
    MODEL_TIMEOUT,
  );
});

function __dirnameOf(): string {
  return new URL(".", import.meta.url).pathname;
}
