// The argument recognizer of `lolpop validate`'s plain forms (run without commander); the command
// itself is tested end to end in tests/validate-fast-path.test.ts and the config corpus tests.
import { fastValidate } from "./validate-command.js";

describe("validate fast path", () => {
  it("takes validate with a config, --json, --set and --tests", () => {
    expect(fastValidate(["validate"])).toEqual({ opts: { set: [] } });
    expect(fastValidate(["validate", "a.yaml", "--json"])).toEqual({
      config: "a.yaml",
      opts: { set: [], json: true },
    });
    expect(
      fastValidate(["validate", "--set", "a.b=1", "--set=c=x y", "--tests", "t.yaml", "cfg/lolpop.yaml"]),
    ).toEqual({ config: "cfg/lolpop.yaml", opts: { set: ["a.b=1", "c=x y"], tests: "t.yaml" } });
    expect(fastValidate(["validate", "--tests=t.yaml"])).toEqual({ opts: { set: [], tests: "t.yaml" } });
  });

  it("leaves everything else to commander (help, unknown options, missing or dash values, extra arguments)", () => {
    for (const args of [
      ["validate", "--help"],
      ["validate", "-h"],
      ["validate", "--bogus"],
      ["validate", "--set"],
      ["validate", "--set", "--json"],
      ["validate", "--set="],
      ["validate", "--tests", "-x"],
      ["validate", "a.yaml", "b.yaml"],
      ["validate", "--"],
      ["validate", "a.yaml", "--json", "--"],
      ["run"],
      [],
    ])
      expect(fastValidate(args)).toBeUndefined();
  });
});
