// `--set path=value` overrides: parsed as YAML paths and YAML values, applied to the config text.
import { ConfigError } from "../errors.js";
import { applyConfigOverrides, parseConfigOverride } from "./overrides.js";
import { parseConfigText } from "./yaml-source.js";

const text = `# a comment that stays
runner: ClassificationRunner
components:
  metadata_tracker: LocalMetadataTracker
pipelines:
  train: OfflineTrain
train:
  config:
    perf_metric: f1_macro
  data_splitter:
    config:
      split_ratio: [0.7, 0.15, 0.15]
`;

function issueOf(fn: () => unknown): { code: string; message: string; path: string } {
  try {
    fn();
  } catch (e) {
    if (ConfigError.isInstance(e)) return e.issues[0]!;
    throw e;
  }
  throw new Error("no error");
}

describe("parseConfigOverride", () => {
  it("reads a dotted path with list indexes and a YAML value", () => {
    expect(parseConfigOverride("a.b[1].c=7")).toEqual({
      text: "a.b[1].c=7",
      path: ["a", "b", 1, "c"],
      value: 7,
    });
    expect(parseConfigOverride("a=true").value).toBe(true);
    expect(parseConfigOverride('a="7"').value).toBe("7");
    expect(parseConfigOverride("a=[x, 2]").value).toEqual(["x", 2]);
    expect(parseConfigOverride("a=x=y").value).toBe("x=y");
    expect(parseConfigOverride("a=").value).toBeNull();
  });

  it("refuses what is not path=value, naming the argument", () => {
    expect(issueOf(() => parseConfigOverride("novalue"))).toMatchObject({
      code: "bad_override",
      message: expect.stringContaining("--set novalue: expected path=value"),
    });
    expect(issueOf(() => parseConfigOverride("a..b=1")).message).toContain("is not a YAML path");
    expect(issueOf(() => parseConfigOverride("a=[1")).message).toContain("the value is not valid YAML");
  });
});

describe("applyConfigOverrides", () => {
  it("sets existing values, creates missing maps below a known section, keeps comments", () => {
    const out = applyConfigOverrides(text, "/p/lolpop.yaml", [
      "train.config.perf_metric=accuracy",
      "train.data_splitter.config.split_ratio[0]=0.6",
      "train.model_trainer.config.seed=3",
      "metadata_tracker.config.dir=/tmp/store",
    ]);
    const data = parseConfigText(out).data as Record<string, Record<string, Record<string, unknown>>>;
    expect(data.train!.config).toEqual({ perf_metric: "accuracy" });
    expect((data.train!.data_splitter!.config as { split_ratio: number[] }).split_ratio).toEqual([
      0.6, 0.15, 0.15,
    ]);
    expect(data.train!.model_trainer).toEqual({ config: { seed: 3 } });
    expect(data.metadata_tracker).toEqual({ config: { dir: "/tmp/store" } });
    expect(out).toContain("# a comment that stays");
  });

  it("an unknown section, a key under a value and an index past the end are errors naming the argument", () => {
    expect(issueOf(() => applyConfigOverrides(text, "/p/lolpop.yaml", ["trian.config.x=1"]))).toMatchObject({
      code: "bad_override",
      path: "trian.config.x",
      message: expect.stringMatching(
        /^--set trian\.config\.x=1: the config has no section "trian" \(it has runner, components, pipelines, train\)$/,
      ),
    });
    expect(issueOf(() => applyConfigOverrides(text, "f", ["runner.config=1"])).message).toContain(
      "runner is a value, not a map",
    );
    expect(
      issueOf(() => applyConfigOverrides(text, "f", ["train.data_splitter.config.split_ratio[5]=1"])).message,
    ).toContain("train.data_splitter.config.split_ratio has 3 items (index 5 is past the end)");
  });

  it("no overrides: the text as it is", () => {
    expect(applyConfigOverrides(text, "f", [])).toBe(text);
  });
});
