// `lolpop test`: workflow tests with pre/post hooks on component, pipeline and runner methods. A
// failing hook fails the command (exit 1) and is named; the report lists every hook with its timing.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initProject } from "@lolpop/cli";
import { json } from "./cli-helpers.js";
import { lolpop, tempProject } from "./helpers.js";

const dir = tempProject("lolpop-test-cmd-");
initProject({ dir, template: "classification", force: true });
// tempProject's package.json lists the workspace plugins; init wrote its own: put the linked one back.
writeFileSync(
  join(dir, "package.json"),
  JSON.stringify({
    name: "test-cmd",
    private: true,
    type: "module",
    dependencies: { "@lolpop/workflows": "*", "@lolpop/local": "*", "@lolpop/random-forest": "*" },
  }),
);
execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
writeFileSync(
  join(dir, "tests", "more.mjs"),
  `export function fit_input_has_rows({ args }) { return args[0].X.numRows > 0; }
export function wants_many_features({ output, component }) {
  if (typeof component.fit !== "function") return [false, "no trainer"];
  return [output.feature_names.length > 100, \`only \${output.feature_names.length} features\`];
}
export function throws() { throw new Error("hook bug"); }
export async function slow_pass() { await new Promise((r) => setTimeout(r, 30)); return { passed: true }; }
export function stop_here() { return { passed: false, message: "stop the run" }; }
`,
);
const testsFile = (body: string) => {
  writeFileSync(join(dir, "t.yaml"), `tests:\n${body}`);
  return ["--tests", "t.yaml"];
};

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Report = {
  ok: boolean;
  hooks: Array<{
    name: string;
    key: string;
    phase: string;
    status: string;
    calls: number;
    duration_ms: number;
    message?: string;
    hook: string;
  }>;
  passed: number;
  failed: number;
  workflow: { status: string; error?: string };
};

describe("lolpop test", () => {
  it("the init template's tests pass: exit 0, every hook reported with its timing", () => {
    const r = lolpop(["test", "--json"], dir);
    if (r.code !== 0) throw new Error(`${r.stdout}\n${r.stderr}`);
    const rep = json<Report>(r);
    expect(rep.ok).toBe(true);
    expect(rep.hooks.map((h) => [h.key, h.phase, h.status, h.calls])).toEqual([
      ["process.data_connector.get_data", "post", "passed", 1],
      ["train.train_model", "post", "passed", 1],
    ]);
    for (const h of rep.hooks) expect(h.duration_ms).toBeGreaterThanOrEqual(0);
    expect(rep.workflow.status).toBe("succeeded");
  });

  it("one failing post-hook: exit 1, named on stderr and in the report, the other hooks still reported", () => {
    const args = testsFile(`  train.model_trainer.fit:
    pre_hooks:
      - { hook_file: tests/more.mjs, hook_method: fit_input_has_rows }
    post_hooks:
      - { hook_file: tests/more.mjs, hook_method: wants_many_features }
  process:
    process_data:
      post_hooks:
        - { hook_file: tests/more.mjs, hook_method: slow_pass, name: "slow but fine" }
`);
    const r = lolpop(["test", ...args], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /lolpop: FAILED: post-hook tests\/more\.mjs#wants_many_features on train\.model_trainer\.fit: only \d+ features/,
    );
    expect(r.stdout).toMatch(
      /FAIL\s+post-hook tests\/more\.mjs#wants_many_features\s+train\.model_trainer\.fit\s+1\s+[\d.]+ ms/,
    );
    expect(r.stdout).toMatch(
      /pass\s+pre-hook tests\/more\.mjs#fit_input_has_rows\s+train\.model_trainer\.fit\s+1/,
    );
    expect(r.stdout).toMatch(
      /pass\s+post-hook tests\/more\.mjs#slow_pass "slow but fine"\s+process\.process_data\s+1\s+[\d.]+ ms/,
    );
    expect(r.stdout).toMatch(/workflow succeeded in .*\nFAILED$/m);
    const rep = json<Report>(lolpop(["test", ...args, "--json"], dir));
    expect(rep).toMatchObject({ ok: false, passed: 2, failed: 1 });
    const slow = rep.hooks.find((h) => h.name === "slow but fine")!;
    expect(slow.duration_ms).toBeGreaterThanOrEqual(25);
  });

  it("a hook that throws fails with its error; hook_on_error: warn only reports", () => {
    const r = lolpop(
      [
        "test",
        "--json",
        ...testsFile(`  process.data_connector.get_data:
    post_hooks:
      - { hook_file: tests/more.mjs, hook_method: throws, hook_on_error: warn }
`),
      ],
      dir,
    );
    expect(r.code).toBe(0);
    expect(json<Report>(r).hooks[0]).toMatchObject({ status: "warned", message: "threw: hook bug" });
  });

  it("hook_on_error: stop stops the workflow at that call", () => {
    const r = lolpop(
      [
        "test",
        "--json",
        ...testsFile(`  process.process_data:
    post_hooks:
      - { hook_file: tests/more.mjs, hook_method: stop_here, hook_on_error: stop }
  train.train_model:
    pre_hooks:
      - { hook_file: tests/more.mjs, hook_method: slow_pass }
`),
      ],
      dir,
    );
    expect(r.code).toBe(1);
    const rep = json<Report>(r);
    expect(rep.workflow.status).toBe("stopped");
    expect(rep.workflow.error).toMatch(
      /post-hook tests\/more\.mjs#stop_here on process\.process_data failed: stop the run/,
    );
    expect(rep.hooks.map((h) => h.status)).toEqual(["failed", "not_run"]);
    expect(rep.hooks[1]!.message).toBe("train.train_model was never called during the run");
  });

  it("a hook on a method the chosen step never calls fails the command", () => {
    const r = lolpop(
      [
        "test",
        "--step",
        "process",
        ...testsFile(`  train.train_model:
    post_hooks:
      - { hook_file: tests/more.mjs, hook_method: slow_pass }
`),
      ],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /did not run: post-hook tests\/more\.mjs#slow_pass on train\.train_model: train\.train_model was never called/,
    );
  });

  it("bad tests are config errors (exit 2) naming the file, line and YAML path", () => {
    const unknown = lolpop(
      [
        "test",
        ...testsFile(`  train.model_traner.fit:
    post_hooks:
      - { hook_file: tests/more.mjs, hook_method: slow_pass }
`),
      ],
      dir,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /t\.yaml:2:3 tests\.train\.model_traner\.fit: no component, pipeline or runner at "train\.model_traner"; did you mean "train\.model_trainer"/,
    );
    const method = lolpop(
      [
        "test",
        ...testsFile(`  train.model_trainer.fitt:
    post_hooks:
      - { hook_file: tests/more.mjs, hook_method: slow_pass }
`),
      ],
      dir,
    );
    expect(method.code).toBe(2);
    expect(method.stderr).toMatch(/train\.model_trainer has no method "fitt" \(methods: fit, load\)/);
    const missing = lolpop(
      [
        "test",
        ...testsFile(`  train.train_model:
    post_hooks:
      - { hook_file: tests/nope.mjs, hook_method: x }
      - { hook_file: tests/more.mjs, hook_method: nothing_here, on_error: warn }
`),
      ],
      dir,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /tests\.train\.train_model\.post_hooks\.0\.hook_file: hook file .*tests\/nope\.mjs does not exist/,
    );
    expect(missing.stderr).toMatch(
      /tests\.train\.train_model\.post_hooks\.1\.on_error: unknown key "on_error"/,
    );
    expect(missing.stderr).toMatch(
      /exports no function "nothing_here" \(exported functions: fit_input_has_rows, slow_pass, stop_here, throws, wants_many_features\)/,
    );
  });

  it("validate finds the problems of the workflow tests that lolpop test would, before any work", () => {
    const args = testsFile(`  train.train_model:
    post_hooks:
      - { hook_file: tests/more.mjs, hook_method: slow_pas }
  train.model_traner.fit:
    post_hooks:
      - { hook_file: tests/more.mjs, hook_method: slow_pass }
`);
    const v = lolpop(["validate", ...args], dir);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(
      /t\.yaml:4:\d+ tests\.train\.train_model\.post_hooks\.0\.hook_method: .*exports no function "slow_pas"/,
    );
    expect(v.stderr).toMatch(
      /t\.yaml:5:3 tests\.train\.model_traner\.fit: no component, pipeline or runner at "train\.model_traner"/,
    );
    // The config's own tests: section is checked by a plain validate.
    const own = join(dir, "own-tests.yaml");
    writeFileSync(
      own,
      readFileSync(join(dir, "lolpop.yaml"), "utf8").replace(
        "hook_method: has_enough_rows",
        "hook_method: has_enuf_rows",
      ),
    );
    const plain = lolpop(["validate", "own-tests.yaml"], dir);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(
      /own-tests\.yaml:\d+:\d+ tests\..*hook_method: .*exports no function "has_enuf_rows"/,
    );
    expect(lolpop(["validate"], dir).code).toBe(0);
  });

  it("a config without tests: says how to add them", () => {
    writeFileSync(join(dir, "none.yaml"), "tests: {}\n");
    const r = lolpop(["test", "--tests", "none.yaml"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no workflow tests: add a tests: section/);
  });
});
