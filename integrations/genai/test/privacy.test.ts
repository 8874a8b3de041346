// Privacy of what is sent: config secrets become placeholders, `${env:...}` references stay as
// written, registered secret values never reach a request body, data files are never read, and
// --dry-run prints the exact prompt and body without the key.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerSecret } from "@lolpop/core";
import { stdoutNotifier } from "@lolpop/local";
import {
  collectComponentFacts,
  collectWorkflowFacts,
  createLanguageModel,
  createLocalModel,
  createOpenAICompatibleModel,
  docsRequest,
  formatDryRun,
  redactForPrompt,
  SECRET_PLACEHOLDER,
  yamlForPrompt,
} from "../src/index.js";
import { completion, FakeOpenAIServer } from "./fake-openai-server.js";

const KEY = "sk-privacy-test-KEY-0b5e2d8c";
const RESOLVED = "resolved-mlflow-token-71f3";
registerSecret(RESOLVED);

const workflowYaml = `# the project's workflow
runner: ClassificationRunner
config:
  target: species
components:
  metadata_tracker: MLflowMetadataTracker
pipelines:
  process: OfflineProcess
  train: OfflineTrain
process:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config: { path: data/train.csv }
train:
  components:
    model_trainer: RandomForestModelTrainer
metadata_tracker:
  config:
    tracking_uri: https://mlflow.example.org
    token: \${env:MLFLOW_TRACKING_TOKEN}
    password: hunter2-literal-password
    extra_headers:
      authorization: Bearer ${RESOLVED}
    credentials:
      user: alice
      api_key: literal-key-in-yaml
`;

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-genai-privacy-"));
  writeFileSync(join(dir, "lolpop.yaml"), workflowYaml);
  // A data file next to it, with a row nobody may send.
  writeFileSync(join(dir, "train.csv"), "id,species\n1,ROW-VALUE-NEVER-SENT-4242\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("config for prompts", () => {
  test("YAML: literal secrets become placeholders, env references stay, comments stay", () => {
    const out = yamlForPrompt(workflowYaml);
    expect(out).toContain("# the project's workflow");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal lolpop env reference, not a template
    expect(out).toContain("token: ${env:MLFLOW_TRACKING_TOKEN}");
    expect(out).toContain(`password: ${SECRET_PLACEHOLDER}`);
    expect(out).toContain(`authorization: ${SECRET_PLACEHOLDER}`);
    expect(out).toContain(`api_key: ${SECRET_PLACEHOLDER}`);
    // A secret-looking key holding a mapping: its leaves are hidden, its keys kept.
    expect(out).toMatch(
      new RegExp(`credentials:\\n\\s+user: ${SECRET_PLACEHOLDER}\\n\\s+api_key: ${SECRET_PLACEHOLDER}`),
    );
    for (const s of ["hunter2-literal-password", RESOLVED, "literal-key-in-yaml"])
      expect(out).not.toContain(s);
    expect(out).toContain("tracking_uri: https://mlflow.example.org");
  });

  test("YAML that does not parse is still scrubbed of registered secrets", () => {
    const out = yamlForPrompt(`a: [unclosed\ntoken_value: ${RESOLVED}`);
    expect(out).not.toContain(RESOLVED);
    expect(out).toContain(SECRET_PLACEHOLDER);
  });

  test("resolved config: secret keys, secret paths and registered values become placeholders", () => {
    const out = redactForPrompt(
      {
        tracking_uri: `https://u:${RESOLVED}@host`,
        nested: { db_password: "pw123456", from_env: "x-value-1234" },
        n: 3,
      },
      new Set(["nested.from_env"]),
    );
    expect(out).toEqual({
      tracking_uri: `https://u:${SECRET_PLACEHOLDER}@host`,
      nested: { db_password: SECRET_PLACEHOLDER, from_env: SECRET_PLACEHOLDER },
      n: 3,
    });
  });

  test("workflow facts: types from the YAML, only the config file read (no data row)", () => {
    const f = collectWorkflowFacts(join(dir, "lolpop.yaml"));
    expect(f.runner).toBe("ClassificationRunner");
    expect(f.pipelines).toEqual({ process: "OfflineProcess", train: "OfflineTrain" });
    expect(f.components).toEqual({
      "components.metadata_tracker": "MLflowMetadataTracker",
      "process.components.data_connector": "LocalDataConnector",
      "train.components.model_trainer": "RandomForestModelTrainer",
    });
    expect(JSON.stringify(f)).not.toContain("ROW-VALUE-NEVER-SENT");
    expect(JSON.stringify(f)).not.toContain("hunter2-literal-password");
  });

  test("a workflow file that is not YAML: says so with the file", () => {
    writeFileSync(join(dir, "bad.yaml"), "runner: [unclosed\n");
    expect(() => collectWorkflowFacts(join(dir, "bad.yaml"))).toThrow(/bad\.yaml:\d*: not a YAML mapping/);
    expect(() => collectWorkflowFacts(join(dir, "missing.yaml"))).toThrow(/cannot read the workflow config/);
  });
});

describe("what is sent", () => {
  const server = new FakeOpenAIServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  test("a registered secret inside a prompt never reaches the server", async () => {
    server.reply({ json: completion('{"summary":"ok","options":[]}') });
    const model = createOpenAICompatibleModel({
      baseUrl: server.baseUrl,
      model: "m",
      env: { OPENAI_API_KEY: KEY },
    });
    await model.generateObject({
      messages: [{ role: "user", content: `the token is ${RESOLVED}` }],
      schema: { type: "object" },
    });
    expect(server.requests[0]!.rawBody).not.toContain(RESOLVED);
    expect(server.requests[0]!.body.messages[0].content).toBe("the token is ***");
  });

  test("--dry-run: the exact prompt and body, the key only as a placeholder, nothing sent", async () => {
    const facts = collectComponentFacts({ definition: stdoutNotifier });
    const request = docsRequest(facts);
    const model = createOpenAICompatibleModel({
      baseUrl: server.baseUrl,
      model: "m",
      env: { OPENAI_API_KEY: KEY },
    });
    const text = formatDryRun(model, request);
    expect(server.requests).toHaveLength(0);
    expect(text).toContain("Dry run: nothing was sent.");
    expect(text).toContain(`Destination: POST ${server.baseUrl}/chat/completions`);
    expect(text).toContain("authorization: Bearer <key from OPENAI_API_KEY>");
    expect(text).toContain(request.messages[1]!.content);
    expect(text).not.toContain(KEY);
    // The body printed is the body sent.
    server.reply({
      json: completion(
        JSON.stringify({
          summary: "Prints lines.",
          description: "Prints each notification as one line.",
          options: { min_level: "Lowest.", prefix: "Prefix." },
        }),
      ),
    });
    await model.generateObject(request);
    expect(text).toContain(`Exact request body:\n${server.requests[0]!.rawBody}\n`);
  });

  test("--dry-run of the local model says nothing leaves the machine, and strips terminal control codes", () => {
    const model = createLocalModel({ modelPath: "/models/any.gguf" });
    const text = formatDryRun(model, {
      messages: [{ role: "user", content: "source with \u001b[31mANSI\u001b[0m codes" }],
      schema: { type: "object" },
    });
    expect(text).toContain(
      "Destination: local: /models/any.gguf (in this process; nothing leaves the machine)",
    );
    expect(text).toContain("source with [31mANSI[0m codes");
    expect(text).not.toContain("\u001b");
  });
});

describe("settings", () => {
  test("build either provider; problems are listed with their config path", () => {
    const m = createLanguageModel(
      { provider: "openai-compatible", base_url: "http://127.0.0.1:1/v1", model: "m", api_key_env: "X_KEY" },
      { env: { X_KEY: KEY } },
    );
    expect([m.provider, m.model]).toEqual(["openai-compatible", "m"]);
    expect(formatDryRun(m, { messages: [{ role: "user", content: "hi" }], schema: {} })).toContain(
      "authorization: Bearer <key from X_KEY>",
    );
    const l = createLanguageModel({ provider: "local", model_path: "/m/x.gguf" });
    expect([l.provider, l.model]).toEqual(["local", "x.gguf"]);
    expect(() => createLanguageModel({ provider: "ollama" }, { where: "lolpop.yaml genai" })).toThrow(
      'lolpop.yaml genai.provider: must be "openai-compatible" or "local" (got "ollama").',
    );
    expect(() =>
      createLanguageModel({ provider: "openai-compatible", model: "", timeout_ms: -1, apiKey: "x" }),
    ).toThrow(
      /invalid openai-compatible settings:\n {2}- genai: must have required property 'base_url'\n {2}- genai: unknown key "apiKey"\n {2}- genai\.model: must NOT have fewer than 1 characters\n {2}- genai\.timeout_ms: must be >= 1/,
    );
  });
});
