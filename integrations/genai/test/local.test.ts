// The local provider on the real default model (Gemma 3 270M Q4_K_M through node-llama-cpp's prebuilt
// CPU binary): grammar-constrained answers that match the schema, determinism at temperature 0 with
// a fixed seed, the token limit, cancellation, and clear errors when the model is missing; then
// `lolpop generate docs` and `generate tests` through the real binary on the same model. Answers are
// kept short (small maxTokens, --max-cases 3) so the suite stays within a few minutes on two cores.

import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CancelledError, type JsonSchema } from "@lolpop/core";
import ts from "typescript";
import {
  checkAnswer,
  createLocalModel,
  definitionRange,
  FETCH_MODEL_COMMAND,
  GenaiOutputError,
  GenaiSetupError,
  type GenerateObjectRequest,
  type LocalLanguageModel,
  readmeMarkers,
} from "../src/index.js";
import {
  changedFiles,
  fileHashes,
  type GenaiProject,
  genaiProject,
  link,
  packageFolder,
  runLolpop,
  withoutDocComments,
} from "./cli-helpers.js";
import { MODEL_TIMEOUT, pkgDir, speedLine, testModel } from "./local-helpers.js";
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

// `lolpop generate` through the real binary on the real model: the CLI process loads its own copy
// of the model (one thread). Generous timeouts: about 90 s (docs) and 180 s (tests) on an idle
// machine, several times that when the two cores are shared with other test files.
describe("lolpop generate docs on a first-party component (StdoutNotifier of @lolpop/local)", () => {
  let project: GenaiProject | undefined;
  afterAll(() => {
    if (project) rmSync(project.dir, { recursive: true, force: true });
  });

  test(
    "--write gives a valid doc comment and README section; every other byte is unchanged (structure checked, not prose)",
    async () => {
      project = genaiProject();
      const source = join(project.localDir, "src", "stdout-notifier.ts");
      const readmeFile = join(project.localDir, "README.md");
      const sourceBefore = readFileSync(source, "utf8");
      const readmeBefore = readFileSync(readmeFile, "utf8");
      const before = fileHashes(project.dir);
      const started = Date.now();
      const r = await runLolpop(
        project.bin,
        ["generate", "docs", "StdoutNotifier", "--write", "--json"],
        project.dir,
      );
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const out = JSON.parse(r.stdout);
      process.stderr.write(
        `\nlolpop generate docs StdoutNotifier (local model, CLI): ${Date.now() - started} ms in all, ${out.usage.promptTokens} prompt + ${out.usage.completionTokens} generated tokens in ${out.usage.elapsedMs} ms\n`,
      );
      expect(out).toMatchObject({
        ok: true,
        provider: "local",
        model: "gemma-3-270m-q4_k_m.gguf",
        written: true,
      });
      expect(changedFiles(before, fileHashes(project.dir))).toEqual([
        "vendor/local/README.md",
        "vendor/local/src/stdout-notifier.ts",
      ]);

      // Doc comment: above the definition, the code unchanged, still valid TypeScript.
      const written = readFileSync(source, "utf8");
      expect(withoutDocComments(written)).toBe(withoutDocComments(sourceBefore));
      const range = definitionRange(written, "StdoutNotifier")!;
      const doc = written.split("\n").slice(range.docStart, range.start);
      expect(doc[0]).toBe("/**");
      // The first paragraph (wrapped at 96 columns; a long word goes to its own line): type, kind, summary.
      const head = doc
        .slice(1, doc.indexOf(" *"))
        .map((l) => l.replace(/^ \* /, ""))
        .join(" ");
      expect(head).toMatch(/^`StdoutNotifier` \(kind `notifier`\): \S/);
      expect(doc).toContain(" * Config:");
      expect(doc.some((l) => l.startsWith(' * - `min_level` (default `"info"`): '))).toBe(true);
      expect(doc.some((l) => l.startsWith(' * - `prefix` (default `"[lolpop]"`): '))).toBe(true);
      expect(doc[doc.length - 1]).toBe(" */");
      const diagnostics = ts.transpileModule(written, {
        reportDiagnostics: true,
        fileName: "stdout-notifier.ts",
      }).diagnostics;
      expect(diagnostics).toEqual([]);

      // README section: appended to the real README, markers once, config table from the schema.
      const updated = readFileSync(readmeFile, "utf8");
      const { start, end } = readmeMarkers("StdoutNotifier");
      expect(updated.startsWith(`${readmeBefore.trimEnd()}\n\n${start}\n`)).toBe(true);
      expect(updated.endsWith(`${end}\n`)).toBe(true);
      const section = updated.slice(updated.indexOf(start), updated.indexOf(end) + end.length);
      expect(updated.split(start).length - 1).toBe(1);
      expect(section).toContain("### StdoutNotifier (`notifier`)");
      expect(section).toContain(
        '| `min_level` | `"info" \\| "warn" \\| "error"` | `"info"` | Lowest level printed. |',
      );
      expect(section).toContain('| `prefix` | `string` | `"[lolpop]"` | Text at the start of every line. |');
      // The summary sentence of the doc comment is the one in the section.
      expect(section).toContain(`\n${head.replace(/^`StdoutNotifier` \(kind `notifier`\): /, "")}\n`);
    },
    3 * MODEL_TIMEOUT,
  );
});

describe("lolpop generate tests on a scaffolded plugin (lolpop create plugin)", () => {
  let plugin: ScaffoldedPlugin | undefined;
  afterAll(() => {
    if (plugin) rmSync(plugin.root, { recursive: true, force: true });
  });

  test(
    "--write gives a test file that type-checks and runs green; failing cases are dropped, not written",
    async () => {
      plugin = scaffoldPlugin();
      const dir = plugin.dir;
      // The plugin's author installs the CLI and genai, and builds the plugin (its manifest's entry).
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      pkg.devDependencies = { ...pkg.devDependencies, "@lolpop/cli": "*", "@lolpop/genai": "*" };
      writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
      link(dir, "@lolpop/cli", packageFolder("@lolpop/cli"));
      link(dir, "@lolpop/genai", pkgDir);
      const tsup = join(packageFolder("tsup"), "dist", "cli-default.js");
      for (const args of [[tsup], [join("scripts", "write-schemas.mjs")]]) {
        const b = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8" });
        if (b.status !== 0) throw new Error(`building the scaffold failed:\n${b.stdout}\n${b.stderr}`);
      }
      const bin = join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js");
      const started = Date.now();
      const r = await runLolpop(
        bin,
        ["generate", "tests", "KnnModelTrainer", "--write", "--json", "--max-cases", "3"],
        dir,
      );
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const out = JSON.parse(r.stdout);
      process.stderr.write(
        `\nlolpop generate tests KnnModelTrainer (local model, CLI): ${Date.now() - started} ms in all, model ${out.usage.elapsedMs} ms for ${out.usage.completionTokens} tokens; dropped: ${JSON.stringify(out.dropped)}\n`,
      );
      const file = "src/knn-model-trainer.genai.test.ts";
      expect(out).toMatchObject({
        ok: true,
        written: true,
        target: { kind: "type", name: "KnnModelTrainer", plugin: "lolpop-plugin-knn" },
        files: [{ file, written: true }],
      });
      expect(out.usage.answers).toBe(1);
      for (const d of out.dropped)
        expect(d.reason).toMatch(/^(failed when run|the value is not JSON|the same value)/);
      const text = readFileSync(join(dir, file), "utf8");
      expect(text).toMatch(/^\/\/ Generated by `lolpop generate tests KnnModelTrainer`/);
      expect(text).toContain('import { knnModelTrainer } from "./knn-model-trainer.js";');
      expect(text).toContain("describeConformance(knnModelTrainer);");
      // The file as written: the plugin's own type check and test run pass, with every case green.
      const tsc = spawnSync(
        process.execPath,
        [join(packageFolder("typescript"), "bin", "tsc"), "--noEmit", "-p", dir],
        {
          cwd: dir,
          encoding: "utf8",
        },
      );
      expect([tsc.status, tsc.stdout]).toEqual([0, ""]);
      const jest = spawnSync(
        process.execPath,
        [
          "--experimental-vm-modules",
          join(packageFolder("jest"), "bin", "jest.js"),
          "--ci",
          "--json",
          "--runTestsByPath",
          join(dir, file),
        ],
        { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
      );
      const results = JSON.parse(jest.stdout);
      expect(results.numFailedTests).toBe(0);
      const kept = (text.match(/it\("config case \d+:/g) ?? []).length;
      expect(results.numPassedTests).toBeGreaterThan(kept + 5);
      expect(jest.status).toBe(0);
    },
    4 * MODEL_TIMEOUT,
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
