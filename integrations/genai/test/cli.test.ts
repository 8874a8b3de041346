// `lolpop generate docs|tests` through the real `lolpop` binary, in a project that depends on
// @lolpop/genai: the command comes from genai's manifest, targets resolve through the CLI's
// discovery, --dry-run prints the exact request, and --write changes only doc comments and marked
// README sections. The model here is the fake OpenAI-compatible server on loopback (the real local
// model is in local.test.ts).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { JsonSchema } from "@lolpop/core";
import { stdoutNotifier } from "@lolpop/local";
import { parse } from "yaml";
import {
  collectComponentFacts,
  createOpenAICompatibleModel,
  docsRequest,
  formatDryRun,
  readmeMarkers,
  WORKFLOW_CHECKS,
  WORKFLOW_HOOKS_MODULE,
} from "../src/index.js";
import {
  changedFiles,
  fileHashes,
  type GenaiProject,
  genaiProject,
  link,
  packageFolder,
  repoRoot,
  runLolpop,
  withoutDocComments,
} from "./cli-helpers.js";
import { completion, FakeOpenAIServer } from "./fake-openai-server.js";

const SLOW = 120_000;
const KEY = "sk-e2e-0123456789-do-not-send";
const PASSWORD = "hunter2-e2e-do-not-send";
const TOKEN = "tok-e2e-resolved-value-do-not-send";
// A section with secrets: one literal under a secret-looking key, one from the environment.
const EXTRA_YAML = `evaluate:\n  config:\n    password: ${PASSWORD}\n    token: \${env:GENAI_E2E_TOKEN}\n`;

let project: GenaiProject;
const server = new FakeOpenAIServer();
const lolpop = (args: string[], env: Record<string, string> = {}) =>
  runLolpop(project.bin, args, project.dir, { GENAI_E2E_TOKEN: TOKEN, ...env });
const viaServer = () => ["--provider", "openai-compatible", "--base-url", server.baseUrl, "--model", "m"];

const docsAnswer = {
  summary: "Prints each notification as one line on standard output.",
  description: "Use it where people read the log: development and CI runs.",
  options: { min_level: "Notifications below this level are dropped.", prefix: "Printed before each line." },
};

beforeAll(async () => {
  project = genaiProject(EXTRA_YAML);
  await server.start();
}, SLOW);

afterAll(async () => {
  await server.stop();
  if (project) rmSync(project.dir, { recursive: true, force: true });
});

test(
  "lolpop --help lists generate from genai's manifest; generate --help prints its usage",
  async () => {
    const help = await lolpop(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Plugin commands:\n\s+generate \[args\.\.\.\]\s+Generate docs or tests/);
    expect(help.stdout).toContain("[@lolpop/genai]");
    const own = await lolpop(["generate", "--help"]);
    expect([own.code, own.stderr]).toEqual([0, ""]);
    expect(own.stdout).toMatch(/^Usage: lolpop generate docs\|tests <target> \[options\]/);
    for (const o of ["--provider", "--model", "--base-url", "--dry-run", "--write", "--json", "--settings"])
      expect(own.stdout).toContain(o);
  },
  SLOW,
);

test(
  "usage errors exit 2 and say what to do; nothing is sent",
  async () => {
    const cases: Array<[string[], RegExp]> = [
      [["generate"], /say what to generate: docs or tests \(run lolpop generate --help for usage\)/],
      [["generate", "readme", "X"], /unknown subcommand "readme": docs or tests/],
      [["generate", "docs"], /lolpop generate docs needs a target/],
      [["generate", "docs", "StdoutNotifier", "--temperature", "1"], /Unknown option '--temperature'/],
      [
        ["generate", "docs", "StdoutNotifier", "--dry-run", "--write"],
        /--dry-run and --write exclude each other/,
      ],
      [
        ["generate", "docs", "StdoutNotifier", "--base-url", "http://127.0.0.1:1/v1"],
        /--base-url is for --provider openai-compatible/,
      ],
      [
        ["generate", "tests", "StdoutNotifier", "--max-cases", "0"],
        /--max-cases must be a whole number from 1 to 20/,
      ],
      [
        ["generate", "docs", "StdoutNotifer"],
        /no installed plugin provides "StdoutNotifer".*did you mean "StdoutNotifier"\?/,
      ],
      [["generate", "docs", "nope.yaml"], /no workflow config at .*nope\.yaml/],
      [
        ["generate", "tests", "OfflineTrain", ...viaServer()],
        /OfflineTrain is a pipeline: generate tests writes component tests/,
      ],
      [
        ["generate", "docs", "StdoutNotifier", "--provider", "openai-compatible", "--model", "m"],
        /invalid openai-compatible settings:\n\s+- the command line: must have required property 'base_url'/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await lolpop(args);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.stderr).toMatch(/^lolpop generate: /);
      expect(r.stderr).toMatch(message);
    }
    expect(server.requests).toHaveLength(0);
  },
  SLOW,
);

test(
  "docs <Type> --dry-run prints the exact prompt and request; the API key is not in it; nothing is sent or written",
  async () => {
    const before = fileHashes(project.dir);
    const r = await lolpop(["generate", "docs", "StdoutNotifier", "--dry-run", ...viaServer()], {
      OPENAI_API_KEY: KEY,
    });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    // The same text the library renders for this request: the prompt is exactly what would be sent.
    const facts = collectComponentFacts({
      definition: stdoutNotifier,
      packageDir: project.localDir,
      plugin: { name: "@lolpop/local", version: stdoutNotifierVersion() },
    });
    const model = createOpenAICompatibleModel({
      baseUrl: server.baseUrl,
      model: "m",
      env: { OPENAI_API_KEY: KEY },
    });
    expect(r.stdout).toBe(`=== docs of StdoutNotifier ===\n${formatDryRun(model, docsRequest(facts))}`);
    expect(r.stdout).toContain("Document the lolpop notifier component type `StdoutNotifier`");
    expect(r.stdout).toContain("authorization: Bearer <key from OPENAI_API_KEY>");
    expect(r.stdout).not.toContain(KEY);
    expect(server.requests).toHaveLength(0);
    expect(changedFiles(before, fileHashes(project.dir))).toEqual([]);
  },
  SLOW,
);

test(
  "docs workflow --dry-run: the config is sent with secret values replaced and env references as written",
  async () => {
    const r = await lolpop(["generate", "docs", "workflow", "--dry-run"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain("=== docs of the workflow lolpop.yaml ===");
    expect(r.stdout).toContain("Destination: local: ");
    expect(r.stdout).toContain("    password: <secret>\n");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal lolpop env reference, not a template
    expect(r.stdout).toContain("    token: ${env:GENAI_E2E_TOKEN}\n");
    // Types are described from their plugins' definitions.
    expect(r.stdout).toContain(
      "- train.components.model_trainer: RandomForestModelTrainer (model_trainer: Random forests",
    );
    expect(r.stdout).not.toContain(PASSWORD);
    expect(r.stdout).not.toContain(TOKEN);
  },
  SLOW,
);

test(
  "docs <plugin> --dry-run: one request per type of the plugin package",
  async () => {
    const r = await lolpop(["generate", "docs", "@lolpop/local", "--dry-run", "--json", ...viaServer()]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const manifest = JSON.parse(readFileSync(join(project.localDir, "package.json"), "utf8")).lolpop;
    expect(out.requests.map((q: { label: string }) => q.label)).toEqual(
      manifest.components.map((c: { type: string }) => `docs of ${c.type}`),
    );
    expect(out).toMatchObject({ ok: true, dryRun: true, written: false, files: [] });
  },
  SLOW,
);

test(
  "docs <pipeline> and <runner> --dry-run: resolved through discovery, described from their definitions",
  async () => {
    const pipeline = await lolpop(["generate", "docs", "OfflineTrain", "--dry-run", ...viaServer()]);
    expect([pipeline.code, pipeline.stderr]).toEqual([0, ""]);
    expect(pipeline.stdout).toContain("=== docs of OfflineTrain ===");
    expect(pipeline.stdout).toContain(
      "Document the lolpop pipeline type `OfflineTrain` from the package @lolpop/workflows.",
    );
    expect(pipeline.stdout).toContain("Component kinds it needs: data_splitter, feature_transformer");
    expect(pipeline.stdout).toContain('- model_name (string, default "model"): Registered model name.');
    const runner = await lolpop([
      "generate",
      "docs",
      "ClassificationRunner",
      "--dry-run",
      "--json",
      ...viaServer(),
    ]);
    expect(runner.code).toBe(0);
    const out = JSON.parse(runner.stdout);
    expect(out.target).toEqual({ kind: "type", name: "ClassificationRunner", plugin: "@lolpop/workflows" });
    expect(out.requests[0].preview).toContain("Document the lolpop runner type `ClassificationRunner`");
    expect(out.requests[0].preview).toContain("Pipelines it runs: process, train, deploy.");
  },
  SLOW,
);

test(
  "docs <Type>: a diff without --write; --write changes only the doc comment and the marked README section",
  async () => {
    const source = join(project.localDir, "src", "stdout-notifier.ts");
    const readme = join(project.localDir, "README.md");
    const sourceBefore = readFileSync(source, "utf8");
    const readmeBefore = readFileSync(readme, "utf8");
    const before = fileHashes(project.dir);

    server.reply({ json: completion(JSON.stringify(docsAnswer)) });
    const shown = await lolpop(["generate", "docs", "StdoutNotifier", ...viaServer()]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      /^--- a\/vendor\/local\/src\/stdout-notifier\.ts\n\+\+\+ b\/vendor\/local\/src\/stdout-notifier\.ts\n@@ /,
    );
    expect(shown.stdout).toContain("+--- a/vendor/local/README.md".slice(1));
    expect(shown.stdout).toContain(`+${readmeMarkers("StdoutNotifier").start}`);
    expect(shown.stdout).toMatch(
      /Run again with --write to apply these changes to vendor\/local\/src\/stdout-notifier\.ts, vendor\/local\/README\.md\.\n$/,
    );
    expect(shown.stderr).toMatch(/StdoutNotifier: answered in \d+\.\d s \(7 tokens\)/);
    expect(changedFiles(before, fileHashes(project.dir))).toEqual([]);
    // What the server got: the facts, in the model's request.
    expect(server.requests[0]!.body.model).toBe("m");
    expect(server.requests[0]!.body.messages[1].content).toContain('type: "StdoutNotifier"');

    server.reply({ json: completion(JSON.stringify(docsAnswer)) });
    const written = await lolpop(["generate", "docs", "StdoutNotifier", "--write", "--json", ...viaServer()]);
    expect([written.code, written.stderr]).toEqual([0, ""]);
    const out = JSON.parse(written.stdout);
    expect(out).toMatchObject({
      ok: true,
      what: "docs",
      target: { kind: "type", name: "StdoutNotifier", plugin: "@lolpop/local" },
      provider: "openai-compatible",
      model: "m",
      written: true,
      usage: { answers: 1, completionTokens: 7 },
    });
    expect(out.files.map((f: { file: string; written: boolean }) => [f.file, f.written])).toEqual([
      ["vendor/local/src/stdout-notifier.ts", true],
      ["vendor/local/README.md", true],
    ]);
    // Every other file is byte-identical; the source differs only in doc comments.
    expect(changedFiles(before, fileHashes(project.dir))).toEqual([
      "vendor/local/README.md",
      "vendor/local/src/stdout-notifier.ts",
    ]);
    const sourceAfter = readFileSync(source, "utf8");
    expect(withoutDocComments(sourceAfter)).toBe(withoutDocComments(sourceBefore));
    expect(sourceAfter).toContain(
      "/**\n * `StdoutNotifier` (kind `notifier`): Prints each notification as one line on standard output.\n",
    );
    // The README keeps its text and gains the section at the end.
    const readmeAfter = readFileSync(readme, "utf8");
    const { start, end } = readmeMarkers("StdoutNotifier");
    expect(readmeAfter.startsWith(`${readmeBefore.trimEnd()}\n\n${start}\n`)).toBe(true);
    expect(readmeAfter.endsWith(`${end}\n`)).toBe(true);
    expect(readmeAfter).toContain(
      '| `prefix` | `string` | `"[lolpop]"` | Text at the start of every line. |',
    );

    // The same answer again: nothing to change.
    server.reply({ json: completion(JSON.stringify(docsAnswer)) });
    const again = await lolpop(["generate", "docs", "StdoutNotifier", "--write", ...viaServer()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("\nNothing to change: the files already hold this text.\n");
  },
  SLOW,
);

test(
  "docs workflow --write: a marked section in the README next to lolpop.yaml, tables from the config",
  async () => {
    const readme = join(project.dir, "README.md");
    writeFileSync(readme, "# Penguins\n\nOur project.\n");
    server.reply({
      json: completion(
        JSON.stringify({
          summary: "Classifies penguin species with a random forest.",
          description: "Reads local CSV files, trains, promotes and predicts.",
          pipelines: {
            process: "Loads the training data.",
            train: "Trains the model.",
            deploy: "Promotes the champion.",
            predict: "Scores new data.",
          },
        }),
      ),
    });
    const r = await lolpop(["generate", "docs", "workflow", "--write", ...viaServer()]);
    expect([r.code, r.stdout.split("\n").pop()]).toEqual([0, ""]);
    expect(r.stdout).toContain("Wrote README.md.");
    const text = readFileSync(readme, "utf8");
    const { start, end } = readmeMarkers("workflow:lolpop.yaml");
    expect(text.startsWith(`# Penguins\n\nOur project.\n\n${start}\n`)).toBe(true);
    expect(text).toContain("### Workflow (`lolpop.yaml`)");
    expect(text).toContain(
      "Runner: `ClassificationRunner` (Process, train, deploy and predict for classification.).",
    );
    expect(text).toContain(
      "| `train` | `OfflineTrain` | data_splitter: `LocalDataSplitter`, feature_transformer: `LocalFeatureTransformer`, model_trainer: `RandomForestModelTrainer` | Trains the model. |",
    );
    expect(text).toContain(
      "| `notifier` | `StdoutNotifier` | Prints notifications as lines on standard output |",
    );
    expect(text.endsWith(`${end}\n`)).toBe(true);
    // The request carried the config with the secrets replaced.
    const sent = JSON.stringify(server.requests.at(-1)!.body);
    expect(sent).toContain("password: <secret>");
    expect(sent).not.toContain(PASSWORD);
    expect(sent).not.toContain(TOKEN);
  },
  SLOW,
);

test(
  "a server that refuses the request: exit 1 with its reason, nothing written, the key not shown",
  async () => {
    const before = fileHashes(project.dir);
    server.reply({ status: 400, json: { error: { message: `bad request for key ${KEY}` } } });
    const r = await lolpop(["generate", "docs", "StdoutNotifier", "--write", ...viaServer()], {
      OPENAI_API_KEY: KEY,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /\nlolpop generate: http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions answered 400: bad request for key \*\*\*\.\n$/,
    );
    expect(r.stderr).not.toContain(KEY);
    expect(changedFiles(before, fileHashes(project.dir))).toEqual([]);
  },
  SLOW,
);

test(
  "tests workflow --dry-run: the hook points and checks offered, the config with secrets replaced; nothing sent",
  async () => {
    const before = fileHashes(project.dir);
    const sent = server.requests.length;
    const r = await lolpop([
      "generate",
      "tests",
      "workflow",
      "--dry-run",
      "--max-cases",
      "4",
      ...viaServer(),
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain("=== workflow hooks of lolpop.yaml ===");
    expect(r.stdout).toContain("Choose up to 4 checks for a test run of the lolpop workflow");
    expect(r.stdout).toContain("- process.data_connector.get_data: LocalDataConnector, data_connector\n");
    expect(r.stdout).toContain("- notifier.notify: StdoutNotifier, notifier\n");
    expect(r.stdout).toContain("- has_rows (after the call): ");
    expect(r.stdout).toContain("    password: <secret>\n");
    expect(r.stdout).not.toContain(PASSWORD);
    expect(r.stdout).not.toContain(TOKEN);
    expect(server.requests).toHaveLength(sent);
    expect(changedFiles(before, fileHashes(project.dir))).toEqual([]);
  },
  SLOW,
);

describe("tests workflow: hooks for lolpop test, checked by running it", () => {
  let wf: GenaiProject | undefined;
  afterAll(() => {
    if (wf) rmSync(wf.dir, { recursive: true, force: true });
  });

  test(
    "--write: the hooks that pass are written, the failing, never-run and repeated ones are dropped and reported; lolpop test passes on the files",
    async () => {
      wf = genaiProject();
      prepareData(wf.dir);
      const hooks = [
        { point: "process.data_connector.get_data", check: "has_rows", name: "the training data has rows" },
        { point: "train.model_trainer.fit", check: "input_has_rows", name: "fit gets rows" },
        { point: "metadata_tracker.log_metrics", check: "input_has_rows", name: "metrics are tables" },
        { point: "notifier.notify", check: "returns_value", name: "notify returns something" },
        { point: "process.data_connector.get_data", check: "has_rows", name: "again" },
      ];
      server.reset(); // replies left queued by earlier tests would come first
      server.reply({ json: completion(JSON.stringify({ hooks })) });
      const r = await runLolpop(
        wf.bin,
        ["generate", "tests", "workflow", "--write", "--json", ...viaServer()],
        wf.dir,
      );
      expect([r.code, r.stderr, r.code === 0 ? "" : r.stdout]).toEqual([0, "", ""]);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({
        ok: true,
        written: true,
        target: { kind: "workflow", name: "lolpop.yaml" },
      });
      expect(out.files.map((f: { file: string }) => f.file)).toEqual([
        "lolpop.genai-tests.yaml",
        "tests/genai-hooks.mjs",
      ]);
      expect(
        out.dropped.map((d: { option: string; value: string; reason: string }) => [
          d.option,
          d.value,
          d.reason,
        ]),
      ).toEqual([
        ["process.data_connector.get_data", "has_rows", "the same check as an earlier hook"],
        [
          "metadata_tracker.log_metrics",
          "input_has_rows",
          "failed when run: the arguments hold no table or list",
        ],
        ["notifier.notify", "returns_value", "the workflow never made this call"],
      ]);
      // The request offered only known points and checks.
      const sent = server.requests.at(-1)!.body as {
        response_format: { json_schema: { schema: JsonSchema } };
      };
      const item = (sent.response_format.json_schema.schema as any).properties.hooks.items;
      expect(item.properties.check.enum).toEqual(Object.keys(WORKFLOW_CHECKS));
      expect(item.properties.point.enum).toContain("train.model_trainer.fit");

      const tests = readFileSync(join(wf.dir, "lolpop.genai-tests.yaml"), "utf8");
      expect(tests).toContain("# Run: npx lolpop test lolpop.yaml --tests lolpop.genai-tests.yaml\n");
      expect(parse(tests)).toEqual({
        tests: {
          "process.data_connector.get_data": {
            post_hooks: [
              {
                hook_file: "tests/genai-hooks.mjs",
                hook_method: "has_rows",
                name: "1: the training data has rows",
              },
            ],
          },
          "train.model_trainer.fit": {
            pre_hooks: [
              { hook_file: "tests/genai-hooks.mjs", hook_method: "input_has_rows", name: "2: fit gets rows" },
            ],
          },
        },
      });
      expect(readFileSync(join(wf.dir, "tests", "genai-hooks.mjs"), "utf8")).toBe(WORKFLOW_HOOKS_MODULE);
      // No temporary file of the check is left behind.
      expect(Object.keys(fileHashes(wf.dir)).filter((f) => f.includes("genai-check"))).toEqual([]);

      // The files as written pass with lolpop test, each hook called.
      const t = await runLolpop(
        wf.bin,
        ["test", "lolpop.yaml", "--tests", "lolpop.genai-tests.yaml", "--json"],
        wf.dir,
      );
      expect(t.code).toBe(0);
      const report = JSON.parse(t.stdout);
      expect(report.hooks.map((h: { name: string; status: string }) => [h.name, h.status])).toEqual([
        ["1: the training data has rows", "passed"],
        ["2: fit gets rows", "passed"],
      ]);
    },
    3 * SLOW,
  );

  test(
    "no proposed hook passes: exit 1, nothing written, the reasons listed",
    async () => {
      const dir = wf!.dir;
      rmSync(join(dir, "lolpop.genai-tests.yaml"), { force: true });
      rmSync(join(dir, "tests"), { recursive: true, force: true });
      server.reset();
      server.reply({
        json: completion(
          JSON.stringify({
            hooks: [{ point: "metadata_tracker.log_metrics", check: "has_rows", name: "logged rows" }],
          }),
        ),
      });
      const r = await runLolpop(wf!.bin, ["generate", "tests", "workflow", "--write", ...viaServer()], dir);
      expect([r.code, r.stdout]).toEqual([1, expect.stringContaining("Nothing offered")]);
      expect(r.stdout).toContain(
        "Nothing offered: the generated tests did not pass:\n  - no proposed hook passed\n",
      );
      expect(r.stdout).toContain(
        "logged rows: metadata_tracker.log_metrics = has_rows: failed when run: the output holds no table or list",
      );
      expect(existsSync(join(dir, "lolpop.genai-tests.yaml"))).toBe(false);
      expect(existsSync(join(dir, "tests"))).toBe(false);
    },
    3 * SLOW,
  );
});

/** Writes the penguins quickstart's data into `dir` with its own script. */
function prepareData(dir: string): void {
  const example = join(repoRoot, "examples", "quickstart", "penguins");
  cpSync(join(example, "prepare-data.mjs"), join(dir, "prepare-data.mjs"));
  link(dir, "vega-datasets", packageFolder("vega-datasets", example));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
}

function stdoutNotifierVersion(): string {
  return JSON.parse(readFileSync(join(project.localDir, "package.json"), "utf8")).version;
}
