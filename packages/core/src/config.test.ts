import { fixturePlugin } from "../test/fixtures/plugin.js";
import {
  ConfigError,
  redactValue,
  registerPlugin,
  resetRegistry,
  UnknownComponentError,
  validateConfigText,
} from "./index.js";

beforeAll(() => registerPlugin(fixturePlugin));
afterAll(() => resetRegistry());

const base = `runner: FixtureRunner
config:
  target: species
pipelines:
  process: FixtureProcess
process:
  components:
    data_connector: FixtureConnector
  data_connector:
    config:
      path: data.csv
`;

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    validateConfigText(text, "/proj/lolpop.yaml", env);
  } catch (e) {
    if (!ConfigError.isInstance(e)) throw e;
    return { error: e, issues: e.issues };
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("validates, applies defaults and inherits declared keys nearest-first", () => {
    const { plan } = validateConfigText(base, "/proj/lolpop.yaml", {});
    const c = plan.pipelines[0]!.components[0]!;
    expect(c.config).toEqual({ path: "data.csv", rows: 3, fail: false, slow_ms: 0, target: "species" });
    expect(plan.runner.config).toEqual({ target: "species", seed: 7 });
  });

  it("a pipeline's config wins over the runner's (nearest first)", () => {
    const { plan } = validateConfigText(
      base.replace("process:\n  components:", "process:\n  config:\n    target: island\n  components:"),
      "/p/l.yaml",
      {},
    );
    expect(plan.pipelines[0]!.components[0]!.config.target).toBe("island");
  });

  it("interpolates env with defaults and types, and resolves references (falsy too)", () => {
    const text =
      `${base}      rows: \${env:ROWS:-5}\n      password: \${env:DB_PASSWORD}\n      fail: $config.flag\n`.replace(
        "target: species",
        "target: species\n  flag: false",
      );
    const { plan } = validateConfigText(text, "/p/l.yaml", { DB_PASSWORD: "hunter2-secret" });
    const c = plan.pipelines[0]!.components[0]!;
    expect(c.config.rows).toBe(5);
    expect(c.config.fail).toBe(false);
    expect(c.config.password).toBe("hunter2-secret");
    expect(JSON.stringify(plan.redacted)).not.toContain("hunter2-secret");
    expect(JSON.stringify(redactValue({ note: "pw is hunter2-secret" }))).not.toContain("hunter2-secret");
  });

  it("reports every problem at once with file:line and YAML path", () => {
    const text = `runner: FixtureRunner
pipelines:
  process: FixtureProcess
process:
  components:
    data_connector: FixtureConector
    notifier: FixtureNotifier
  notifier:
    config:
      colour: red
`;
    const { issues, error } = issuesOf(text);
    expect(issues.map((i) => [i.code, i.path, i.line])).toEqual([
      ["unknown_type", "process.components.data_connector", 6],
      ["unknown_key", "process.notifier.config.colour", 10],
    ]);
    expect(error.message).toContain("/proj/lolpop.yaml:6:");
    expect(error.message).toContain("Did you mean FixtureConnector?");
  });

  it("reports a pipeline's missing component kind", () => {
    const { issues } = issuesOf("runner: FixtureRunner\npipelines:\n  process: FixtureProcess\n");
    expect(issues).toMatchObject([{ code: "missing_component", path: "pipelines.process", line: 3 }]);
    expect(issues[0]!.message).toContain('needs a data_connector: add "data_connector:');
  });

  it("an unknown first-party type gets an install hint", () => {
    const { error } = issuesOf(base.replace("FixtureConnector", "LocalDataConnector"));
    expect(UnknownComponentError.isInstance(error)).toBe(true);
    expect(error.message).toContain("npm install @lolpop/local");
  });

  it("never shows a secret in a bad value", () => {
    const { error } = issuesOf(`${base}      rows: \${env:ROWS}\n      password: 12\n`, {
      ROWS: "many-rows-secret",
    });
    expect(error.message).toContain("process.data_connector.config.rows");
    expect(error.message).not.toContain("many-rows-secret");
    expect(error.message).toContain("value hidden");
  });
});
