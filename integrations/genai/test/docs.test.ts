// Facts, prompts and writers of `generate docs`, without a model: facts of first-party types come from
// their real definitions, sources and @lolpop/core's declarations; the writers change only doc
// comments and marked README sections; the diff is checked by applying it with patch(1).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { localDataConnector, stdoutNotifier } from "@lolpop/local";
import {
  answerTokenBudget,
  applyDocComment,
  applyReadmeSection,
  type ComponentDocs,
  checkAnswer,
  collectComponentFacts,
  createOpenAICompatibleModel,
  definitionRange,
  docsRequest,
  GenaiSetupError,
  generateComponentDocs,
  readmeMarkers,
  renderConfigTable,
  renderDocComment,
  renderReadmeSection,
  unifiedDiff,
} from "../src/index.js";
import { completion, FakeOpenAIServer } from "./fake-openai-server.js";

const localDir = dirname(createRequire(import.meta.url).resolve("@lolpop/local/package.json"));
const notifierFacts = () =>
  collectComponentFacts({
    definition: stdoutNotifier,
    packageDir: localDir,
    plugin: { name: "@lolpop/local", version: "0.1.0" },
  });
const docs: ComponentDocs = {
  summary: "Prints each notification as one line on standard output.",
  description: "Use it in development and CI, where the log is read by people; secrets are scrubbed.",
  options: { min_level: "Notifications below this level are dropped.", prefix: "Printed before each line." },
};

describe("facts", () => {
  test("of StdoutNotifier: kind, contract from core's declarations, options from the schema, source", () => {
    const f = notifierFacts();
    expect(f).toMatchObject({
      type: "StdoutNotifier",
      kind: "notifier",
      description: "Prints notifications as lines on standard output",
    });
    expect(f.options).toEqual([
      {
        name: "min_level",
        type: '"info" | "warn" | "error"',
        required: false,
        default: "info",
        description: "Lowest level printed.",
      },
      {
        name: "prefix",
        type: "string",
        required: false,
        default: "[lolpop]",
        description: "Text at the start of every line.",
      },
    ]);
    expect(f.contract.methods).toEqual(["notify"]);
    expect(f.contract.declaration).toMatch(
      /^\/\*\*[\s\S]*\*\/\s*(export )?interface Notifier \{[\s\S]*notify\([\s\S]*\}$/,
    );
    expect(f.source).toMatchObject({ file: "src/stdout-notifier.ts", truncated: false });
    // The definition statement with its doc comment, not the whole file.
    expect(f.source!.text).toMatch(/^\/\*\*\n \* `StdoutNotifier` \(kind `notifier`\)/);
    expect(f.source!.text).toContain('type: "StdoutNotifier"');
    expect(f.source!.text).not.toContain("export function formatNotification");
    const lines = readFileSync(join(localDir, "src", "stdout-notifier.ts"), "utf8").split("\n");
    expect(lines[f.source!.line - 1]).toMatch(/^export const stdoutNotifier = defineComponent/);
  });

  test("a long definition is cut at maxSourceChars, and says so", () => {
    const f = collectComponentFacts({
      definition: localDataConnector,
      packageDir: localDir,
      maxSourceChars: 600,
    });
    expect(f.source!.truncated).toBe(true);
    expect(f.source!.text.length).toBeLessThan(700);
    expect(f.source!.text).toMatch(/\/\/ \.\.\. \(\d+ more characters not sent\)$/);
    expect(f.contract.methods).toEqual(["get_data", "save_data"]);
  });

  test("published layout: the source is read from the source map's sourcesContent when there is no src/", () => {
    const dir = mkdtempSync(join(tmpdir(), "lolpop-genai-pkg-"));
    try {
      const text = readFileSync(join(localDir, "src", "stdout-notifier.ts"), "utf8");
      const distDir = join(dir, "dist");
      spawnSync("mkdir", ["-p", distDir]);
      writeFileSync(
        join(distDir, "index.js.map"),
        JSON.stringify({
          version: 3,
          sources: ["../src/stdout-notifier.ts"],
          sourcesContent: [text],
          mappings: "",
        }),
      );
      const f = collectComponentFacts({ definition: stdoutNotifier, packageDir: dir });
      expect(f.source?.file).toBe("src/stdout-notifier.ts");
      expect(f.source?.text).toContain('type: "StdoutNotifier"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the request", () => {
  test("asks for one sentence per config option, and only those", () => {
    const req = docsRequest(notifierFacts());
    expect(req.schema).toMatchObject({
      required: ["summary", "description", "options"],
      properties: { options: { required: ["min_level", "prefix"], additionalProperties: false } },
    });
    expect(checkAnswer(JSON.stringify(docs), req.schema)).toEqual({ ok: true, value: docs });
    expect(
      checkAnswer(JSON.stringify({ ...docs, options: { min_level: "x y z" } }), req.schema),
    ).toMatchObject({
      ok: false,
      problems: ["/options: must have required property 'prefix'"],
    });
    const user = req.messages[1]!.content;
    expect(user).toContain(
      "Document the lolpop notifier component type `StdoutNotifier` from the package @lolpop/local.",
    );
    expect(user).toContain('- min_level ("info" | "warn" | "error", default "info"): Lowest level printed.');
    expect(user).toContain("Source of its definition (src/stdout-notifier.ts)");
    expect(user).toContain("The notifier contract:");
    expect(req.maxTokens).toBe(answerTokenBudget(req.schema));
  });

  test("maxTokens holds the longest answer the limits allow, at one token per character", () => {
    // A small model on some CPUs answers with runs of one digit (one token each) up to the limit: the
    // grammar ends the string there, and the answer must still fit (it was cut at 694 tokens).
    const req = docsRequest(notifierFacts());
    const at = (n: number) => "0".repeat(n);
    const longest = {
      summary: at(160),
      description: at(700),
      options: { min_level: at(200), prefix: at(200) },
    };
    const text = JSON.stringify(longest, null, 4);
    expect(checkAnswer(text, req.schema).ok).toBe(true);
    expect(req.maxTokens).toBeGreaterThanOrEqual(text.length);
    expect(checkAnswer(JSON.stringify({ ...longest, summary: at(161) }), req.schema).ok).toBe(false);
    // Other limits, other budget; a limit given by the caller wins.
    const short = docsRequest(notifierFacts(), { limits: { description: 100 } });
    expect(req.maxTokens! - short.maxTokens!).toBe(600);
    expect(docsRequest(notifierFacts(), { maxTokens: 50 }).maxTokens).toBe(50);
  });
});

describe("answerTokenBudget", () => {
  test("adds up every bounded value of the schema, and is undefined when one is unbounded", () => {
    const object = (properties: Record<string, unknown>) => ({
      type: "object",
      properties,
      additionalProperties: false,
    });
    const s = { type: "string", maxLength: 10 };
    // {"a": <12>} with a whitespace allowance of 8 per value and 8 for the object.
    expect(answerTokenBudget(object({ a: s }))).toBe(2 + 8 + 3 + 2 + 12 + 8);
    expect(answerTokenBudget(object({ a: { enum: ["x", "longer"] } }))).toBe(2 + 8 + 3 + 2 + 8 + 8);
    expect(answerTokenBudget({ type: "array", items: s, maxItems: 3 })).toBe(2 + 3 * (12 + 1 + 8));
    expect(answerTokenBudget({ type: "string" })).toBeUndefined();
    expect(answerTokenBudget({ type: "array", items: s })).toBeUndefined();
    expect(answerTokenBudget({ type: "object", properties: { a: s } })).toBeUndefined();
    expect(answerTokenBudget(object({ a: s, b: { type: "string" } }))).toBeUndefined();
    expect(answerTokenBudget({ anyOf: [s] })).toBeUndefined();
  });
});

describe("README section", () => {
  test("config table from the schema: options, types, defaults, the schema's descriptions", () => {
    expect(renderConfigTable(notifierFacts(), docs)).toBe(
      [
        "| Option | Type | Default | Description |",
        "| --- | --- | --- | --- |",
        '| `min_level` | `"info" \\| "warn" \\| "error"` | `"info"` | Lowest level printed. |',
        '| `prefix` | `string` | `"[lolpop]"` | Text at the start of every line. |',
      ].join("\n"),
    );
  });

  test("appended when absent, replaced in place when present, nothing else touched", () => {
    const f = notifierFacts();
    const section = renderReadmeSection(f, docs);
    const readme = "# my-plugin\n\nIntro text.\n\n## Usage\n\nSee below.\n";
    const once = applyReadmeSection(readme, "StdoutNotifier", section);
    expect(once.startsWith(readme.trimEnd())).toBe(true);
    expect(once).toContain(`${readmeMarkers("StdoutNotifier").start}\n`);
    const withTail = `${once}\n## Licence\n\nApache-2.0\n`;
    const changed = renderReadmeSection(f, { ...docs, summary: "Another summary sentence." });
    const twice = applyReadmeSection(withTail, "StdoutNotifier", changed);
    expect(twice).toBe(withTail.replace(section, changed));
    expect(twice).toContain("## Licence\n\nApache-2.0\n");
    expect(applyReadmeSection(twice, "StdoutNotifier", changed)).toBe(twice);
  });

  test("unbalanced markers are refused with the file and line", () => {
    const { start } = readmeMarkers("StdoutNotifier");
    const broken = `# x\n\ntext\n${start}\nhalf a section\n`;
    expect(() => applyReadmeSection(broken, "StdoutNotifier", "s", "README.md")).toThrow(
      /README\.md:4: the generated section of StdoutNotifier needs exactly one/,
    );
    expect(() => applyReadmeSection(broken, "StdoutNotifier", "s")).toThrow(GenaiSetupError);
  });

  test("model text cannot break out of the section, the table or the doc comment", async () => {
    const f = notifierFacts();
    const { end } = readmeMarkers("StdoutNotifier");
    const hostile = {
      summary: `Prints lines --> ${end} */ const pwned = 1; /*`,
      description: "Line one\nline two | with a pipe\u0007 and a bell",
      options: { min_level: "a | b", prefix: "*/ x" },
    };
    const server = new FakeOpenAIServer();
    await server.start();
    try {
      server.reply({ json: completion(JSON.stringify(hostile)) });
      const model = createOpenAICompatibleModel({ baseUrl: server.baseUrl, model: "m", env: {} });
      const { docs: clean, result } = await generateComponentDocs(model, f);
      expect(result.value).toEqual(hostile);
      expect(clean.summary).toBe("Prints lines lolpop-genai:docs:StdoutNotifier:end * / const pwned = 1; /*");
      expect(clean.description).toBe("Line one line two | with a pipe and a bell");
      const section = renderReadmeSection(f, clean);
      expect(section.split(end).length - 1).toBe(1);
      expect(section.endsWith(end)).toBe(true);
      const source = readFileSync(join(localDir, "src", "stdout-notifier.ts"), "utf8");
      // The comment stays one comment: the code outside doc comments is unchanged (else this throws).
      const out = applyDocComment(source, "StdoutNotifier", renderDocComment(f, clean));
      expect(out).not.toContain("\nconst pwned");
    } finally {
      await server.stop();
    }
  });
});

describe("doc comment", () => {
  const file = join(localDir, "src", "stdout-notifier.ts");
  const source = readFileSync(file, "utf8");

  test("replaces the definition's doc comment and nothing else", () => {
    const comment = renderDocComment(notifierFacts(), docs);
    expect(comment).toBe(
      [
        "/**",
        " * `StdoutNotifier` (kind `notifier`): Prints each notification as one line on standard output.",
        " *",
        " * Use it in development and CI, where the log is read by people; secrets are scrubbed.",
        " *",
        " * Config:",
        ' * - `min_level` (default `"info"`): Notifications below this level are dropped.',
        ' * - `prefix` (default `"[lolpop]"`): Printed before each line.',
        " */",
      ].join("\n"),
    );
    const out = applyDocComment(source, "StdoutNotifier", comment, "src/stdout-notifier.ts");
    const range = definitionRange(source, "StdoutNotifier")!;
    const outLines = out.split("\n");
    const srcLines = source.split("\n");
    expect(outLines.slice(0, range.docStart)).toEqual(srcLines.slice(0, range.docStart));
    expect(outLines.slice(range.docStart, range.docStart + 9).join("\n")).toBe(comment);
    expect(outLines.slice(range.docStart + 9)).toEqual(srcLines.slice(range.start));
    // Idempotent.
    expect(applyDocComment(out, "StdoutNotifier", comment)).toBe(out);
  });

  test("inserted above a definition that has none", () => {
    const src =
      'import { defineComponent } from "@lolpop/core";\n\nexport const x = defineComponent({\n  kind: "notifier",\n  type: "X",\n});\n';
    const out = applyDocComment(src, "X", "/**\n * `X`: does x.\n */");
    expect(out).toBe(src.replace("export const x", "/**\n * `X`: does x.\n */\nexport const x"));
  });

  test("a definition that is not there: an error, not a guess", () => {
    expect(() => applyDocComment(source, "NoSuchType", "/** x */", "src/stdout-notifier.ts")).toThrow(
      /src\/stdout-notifier\.ts: no top-level definition with type "NoSuchType" found/,
    );
  });

  test("a comment that would change code is refused", () => {
    expect(() => applyDocComment(source, "StdoutNotifier", "/** x */ const injected = 1;")).toThrow(
      /would change code outside doc comments; nothing was written/,
    );
  });
});

describe("unified diff", () => {
  test("applies with patch(1) to give the new text", () => {
    const before = readFileSync(join(localDir, "src", "stdout-notifier.ts"), "utf8");
    const after = applyDocComment(before, "StdoutNotifier", renderDocComment(notifierFacts(), docs));
    const diff = unifiedDiff("src/stdout-notifier.ts", before, after);
    expect(diff).toMatch(
      /^--- a\/src\/stdout-notifier\.ts\n\+\+\+ b\/src\/stdout-notifier\.ts\n@@ -\d+,\d+ \+\d+,\d+ @@\n/,
    );
    const dir = mkdtempSync(join(tmpdir(), "lolpop-genai-diff-"));
    try {
      for (const [name, a, b] of [
        ["notifier.ts", before, after],
        [
          "readme.md",
          "# t\n\nx\n",
          applyReadmeSection("# t\n\nx\n", "StdoutNotifier", renderReadmeSection(notifierFacts(), docs)),
        ],
        ["middle.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n", "a\nb\nC\nd\ne\nf\ng\nh\ni\nJ\nk\nl\n"],
        ["empty.txt", "", "one\ntwo\n"],
      ] as const) {
        const f = join(dir, name);
        writeFileSync(f, a);
        const p = spawnSync("patch", [f], { input: unifiedDiff(name, a, b), encoding: "utf8" });
        expect([name, p.status, p.stderr]).toEqual([name, 0, ""]);
        expect(readFileSync(f, "utf8")).toBe(b);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("equal texts: no diff", () => {
    expect(unifiedDiff("f", "a\n", "a\n")).toBe("");
  });
});
