/**
 * Workflow tests (`lolpop generate tests workflow`): hooks for `lolpop test`. The model chooses which
 * calls of the workflow to check and with which check, from fixed lists (the hook points: the
 * contract methods of the workflow's components; the checks: the functions of a hooks module this
 * package writes, never code from the model). The result is a tests file (`<config>.genai-tests.yaml`,
 * run with `lolpop test <config> --tests <file>`) and the hooks module (`tests/genai-hooks.mjs`).
 * Before they are offered they are run with the project's own `lolpop test`: hooks that fail or
 * never run are dropped and reported, and the rest is run again.
 */
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { CONTRACT_METHODS, type JsonSchema } from "@lolpop/core";
import { stringify } from "yaml";
import { cleanProse } from "./genai-docs.js";
import type { WorkflowFacts } from "./genai-facts.js";
import { GenaiSetupError } from "./genai-setup-error.js";
import { binOf, type DroppedCase, run } from "./genai-tests.js";
import type {
  ChatMessage,
  GenerateObjectRequest,
  GenerateObjectResult,
  LanguageModel,
} from "./genai-types.js";
import type { WorkflowTypeFacts } from "./genai-workflow-docs.js";

/** The checks a generated hook can make, with the phase it runs in and what it asserts. */
export const WORKFLOW_CHECKS = {
  returns_value: { phase: "post", text: "the call returns a value (not undefined or null)" },
  has_rows: {
    phase: "post",
    text: "the output holds at least one table or list, and none is empty",
  },
  finite_numbers: {
    phase: "post",
    text: "the output holds numbers (e.g. metrics), and all of them are finite",
  },
  input_has_rows: {
    phase: "pre",
    text: "the arguments hold at least one table or list, and none is empty",
  },
} as const;

/** A check's name. */
export type WorkflowCheck = keyof typeof WORKFLOW_CHECKS;

/** One hook: `check` on the call `point` (`<path>.<method>`, e.g. `process.data_connector.get_data`). */
export interface WorkflowHookCase {
  name: string;
  point: string;
  check: WorkflowCheck;
}

/** Where the generated files go, relative to the config's folder. */
export const WORKFLOW_HOOKS_FILE = "tests/genai-hooks.mjs";

/** The tests file written next to a config: `lolpop.yaml` -> `lolpop.genai-tests.yaml`. */
export function workflowTestsFile(configFile: string): string {
  return join(dirname(configFile), `${basename(configFile).replace(/\.ya?ml$/i, "")}.genai-tests.yaml`);
}

/**
 * The calls a hook may check: every contract method of each component of the workflow, as
 * `<path>.<method>` the way `lolpop test` names them (`notifier.notify` for a global component,
 * `train.model_trainer.fit` for a pipeline's), the pipelines' components first. Components of kinds
 * core does not define are left out.
 */
export function workflowHookPoints(
  facts: WorkflowFacts,
  types: Record<string, WorkflowTypeFacts>,
): Array<{ point: string; type: string; kind: string }> {
  const out: Array<{ point: string; type: string; kind: string }> = [];
  // The pipelines' components first (they touch the data), then the shared ones (tracker, repository...).
  const entries = Object.entries(facts.components);
  const shared = (p: string) => p.startsWith("components.");
  const ordered = [...entries.filter(([p]) => !shared(p)), ...entries.filter(([p]) => shared(p))];
  for (const [yamlPath, type] of ordered) {
    const kind = types[type]?.kind;
    const methods = kind ? (CONTRACT_METHODS as Record<string, readonly string[]>)[kind] : undefined;
    if (!kind || !methods) continue;
    const path = yamlPath.replace(/^components\./, "").replace(/\.components\./, ".");
    for (const m of methods) out.push({ point: `${path}.${m}`, type, kind });
  }
  return out;
}

/** The JSON Schema of the answer: up to `maxCases` hooks, each a known point and check. */
export function workflowTestsSchema(points: string[], maxCases = 6): JsonSchema {
  return {
    type: "object",
    properties: {
      hooks: {
        type: "array",
        minItems: 1,
        maxItems: maxCases,
        items: {
          type: "object",
          properties: {
            point: { type: "string", enum: points },
            check: { type: "string", enum: Object.keys(WORKFLOW_CHECKS) },
            name: { type: "string", minLength: 3, maxLength: 60 },
          },
          required: ["point", "check", "name"],
          additionalProperties: false,
        },
      },
    },
    required: ["hooks"],
    additionalProperties: false,
  };
}

/** The messages asking for workflow hooks: the config (secrets replaced), the points and the checks. */
export function workflowTestsMessages(
  facts: WorkflowFacts,
  types: Record<string, WorkflowTypeFacts>,
  maxCases = 6,
): ChatMessage[] {
  const points = workflowHookPoints(facts, types);
  const parts = [
    `Choose up to ${maxCases} checks for a test run of the lolpop workflow configured in ${basename(facts.file)}: each checks one call the workflow makes.`,
    `Calls (point: component type, kind):\n${points.map((p) => `- ${p.point}: ${p.type}, ${p.kind}`).join("\n")}`,
    `Checks:\n${Object.entries(WORKFLOW_CHECKS)
      .map(([k, v]) => `- ${k} (${v.phase === "pre" ? "before" : "after"} the call): ${v.text}`)
      .join("\n")}`,
    `The config file (secret values replaced by <secret>):\n${facts.yaml.trimEnd()}`,
    "For each hook give point, check and name (what it makes sure of, in a few words). Prefer calls that load, split, transform or train on data.",
  ];
  return [
    {
      role: "system",
      content:
        "You write tests for machine-learning workflows built with lolpop, a framework for config-driven workflows in TypeScript. Use only the calls and checks listed.",
    },
    { role: "user", content: parts.join("\n\n") },
  ];
}

/** Options of {@link workflowTestsRequest}. */
export interface WorkflowTestsRequestOptions {
  /** Most hooks asked for. Default 6. */
  maxCases?: number;
  /** Default 100 per hook, plus 48. */
  maxTokens?: number;
  /** Default 0. */
  seed?: number;
  /** Default 0. */
  temperature?: number;
  signal?: AbortSignal;
}

/** The whole request `generate tests workflow` sends: what `--dry-run` prints. */
export function workflowTestsRequest(
  facts: WorkflowFacts,
  types: Record<string, WorkflowTypeFacts>,
  options: WorkflowTestsRequestOptions = {},
): GenerateObjectRequest {
  const max = options.maxCases ?? 6;
  const points = workflowHookPoints(facts, types).map((p) => p.point);
  if (points.length === 0)
    throw new GenaiSetupError({
      message: `${basename(facts.file)}: none of its components is of a kind core defines, so there is no call to check (lolpop plugins list shows what is installed).`,
      code: "genai_unsupported_target",
    });
  return {
    messages: workflowTestsMessages(facts, types, max),
    schema: workflowTestsSchema(points, max),
    schemaName: "workflow_hooks",
    // About 100 tokens per hook: a small model spells out the point, the check and the name.
    maxTokens: options.maxTokens ?? 100 * max + 48,
    temperature: options.temperature ?? 0,
    seed: options.seed ?? 0,
    signal: options.signal,
  };
}

/** The model's answer as hooks: names cleaned, repeats (same point and check) dropped. */
export function parseHooks(raw: { hooks: Array<{ point: string; check: string; name: string }> }): {
  hooks: WorkflowHookCase[];
  dropped: DroppedCase[];
} {
  const hooks: WorkflowHookCase[] = [];
  const dropped: DroppedCase[] = [];
  const seen = new Set<string>();
  for (const h of raw.hooks) {
    const name = cleanProse(h.name).replace(/"/g, "'");
    const key = `${h.point}#${h.check}`;
    if (!(h.check in WORKFLOW_CHECKS)) {
      dropped.push({ name, option: h.point, value: h.check, reason: `${h.check} is not a check` });
      continue;
    }
    if (seen.has(key)) {
      dropped.push({ name, option: h.point, value: h.check, reason: "the same check as an earlier hook" });
      continue;
    }
    seen.add(key);
    hooks.push({ name, point: h.point, check: h.check as WorkflowCheck });
  }
  return { hooks, dropped };
}

/** The label of hook `i` in the tests file and in `lolpop test`'s report. */
function hookLabel(i: number, h: WorkflowHookCase): string {
  return `${i + 1}: ${h.name}`;
}

/** The tests file: a `tests:` section with one hook per case, pointing at `hooksFile` (relative to it). */
export function renderWorkflowTests(
  configFile: string,
  hooks: WorkflowHookCase[],
  hooksFile = WORKFLOW_HOOKS_FILE,
): string {
  const tests: Record<string, Record<string, unknown[]>> = {};
  hooks.forEach((h, i) => {
    const phase = WORKFLOW_CHECKS[h.check].phase === "pre" ? "pre_hooks" : "post_hooks";
    const entry = tests[h.point] ?? {};
    tests[h.point] = entry;
    entry[phase] = [
      ...(entry[phase] ?? []),
      { hook_file: hooksFile, hook_method: h.check, name: hookLabel(i, h) },
    ];
  });
  const name = basename(configFile);
  return [
    `# Workflow tests written by \`lolpop generate tests workflow\`; they passed with lolpop test before they were offered.`,
    `# Run: npx lolpop test ${name} --tests ${basename(workflowTestsFile(configFile))}`,
    stringify({ tests }, { lineWidth: 0 }),
  ].join("\n");
}

/** The hooks module: one exported function per check of {@link WORKFLOW_CHECKS}. */
export const WORKFLOW_HOOKS_MODULE = `// Checks for \`lolpop test\`, written by \`lolpop generate tests workflow\` (@lolpop/genai). Each hook
// gets { path, method, phase, args, output, component, type, kind } and returns [passed, message].

// Row counts of the tables (objects with numRows) and lists in value, up to three levels deep.
function rowCounts(value, depth = 0) {
  if (value === null || typeof value !== "object") return [];
  if (typeof value.numRows === "number") return [value.numRows];
  if (Array.isArray(value)) return [value.length];
  if (depth >= 3) return [];
  return Object.values(value).flatMap((v) => rowCounts(v, depth + 1));
}

// Numbers in value outside tables and lists, up to three levels deep.
function numbers(value, depth = 0) {
  if (typeof value === "number") return [value];
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
  if (typeof value.numRows === "number" || depth >= 3) return [];
  return Object.values(value).flatMap((v) => numbers(v, depth + 1));
}

function rowsCheck(where, counts) {
  if (counts.length === 0) return [false, \`\${where} no table or list\`];
  const empty = counts.filter((n) => n === 0).length;
  return [empty === 0, \`\${empty} of the \${counts.length} tables or lists are empty\`];
}

export function returns_value({ output }) {
  return [output !== undefined && output !== null, \`the call returned \${output === null ? "null" : "nothing"}\`];
}

export function has_rows({ output }) {
  return rowsCheck("the output holds", rowCounts(output));
}

export function finite_numbers({ output }) {
  const found = numbers(output);
  if (found.length === 0) return [false, "the output holds no number"];
  const bad = found.filter((n) => !Number.isFinite(n));
  return [bad.length === 0, \`\${bad.length} of \${found.length} numbers are not finite (\${bad.slice(0, 3).join(", ")})\`];
}

export function input_has_rows({ args }) {
  return rowsCheck("the arguments hold", args.flatMap((a) => rowCounts(a)));
}
`;

/** One hook's outcome in `lolpop test --json`. */
interface HookReport {
  name: string;
  status: "passed" | "failed" | "warned" | "not_run";
  message?: string;
}

/** Outcome of one `lolpop test` run of the hooks. */
export interface WorkflowTestRun {
  /** Status by hook label. */
  hooks: Map<string, HookReport>;
  workflow: { status: string; error?: string };
  ms: number;
}

/**
 * Runs the hooks with the project's own `lolpop test` (the workflow runs once, as `lolpop test`
 * runs it): the tests file and the hooks module are written next to their final places under
 * temporary names, then removed.
 * @throws GenaiSetupError when `lolpop test` gives no report (a config error, the CLI missing).
 */
export async function runWorkflowHooks(options: {
  configFile: string;
  projectRoot: string;
  hooks: WorkflowHookCase[];
  /** Default 600000 ms. */
  timeoutMs?: number;
}): Promise<WorkflowTestRun> {
  const dir = dirname(options.configFile);
  const tag = `genai-check-${process.pid}`;
  const hooksFile = join(dir, "tests", `.genai-hooks.${tag}.mjs`);
  const testsFile = join(dir, `.${basename(workflowTestsFile(options.configFile))}.${tag}.yaml`);
  const lolpop = binOf(options.projectRoot, "@lolpop/cli", "lolpop");
  const created = !existsSync(join(dir, "tests"));
  try {
    if (created) await mkdir(join(dir, "tests"));
    await writeFile(hooksFile, WORKFLOW_HOOKS_MODULE);
    await writeFile(
      testsFile,
      renderWorkflowTests(options.configFile, options.hooks, relative(dir, hooksFile)),
    );
    const t0 = Date.now();
    const r = await run(
      process.execPath,
      [lolpop, "test", basename(options.configFile), "--tests", basename(testsFile), "--json"],
      dir,
      options.timeoutMs ?? 600_000,
      { LOLPOP_NO_HANDOFF: "1" },
    );
    let report: { hooks?: HookReport[]; workflow?: { status: string; error?: string } } | undefined;
    try {
      report = JSON.parse(r.stdout);
    } catch {}
    if (!report?.hooks || !report.workflow)
      throw new GenaiSetupError({
        message: `lolpop test gave no report (exit ${r.code}): ${r.out.trim().split("\n").slice(-10).join("\n")}`,
        code: "genai_tests_run",
      });
    return {
      hooks: new Map(report.hooks.map((h) => [h.name, h])),
      workflow: report.workflow,
      ms: Date.now() - t0,
    };
  } finally {
    await rm(hooksFile, { force: true });
    await rm(testsFile, { force: true });
    if (created) await rm(join(dir, "tests"), { recursive: true, force: true });
  }
}

/** What {@link generateWorkflowTests} produced. */
export interface GeneratedWorkflowTests {
  /** False when no hook passed: nothing is offered. */
  offer: boolean;
  hooks: WorkflowHookCase[];
  dropped: DroppedCase[];
  /** The tests file and the hooks module, by absolute path (empty when not offered). */
  files: Record<string, string>;
  /** Why nothing is offered. */
  problems: string[];
  result: GenerateObjectResult<unknown>;
  /** Time of each `lolpop test` run, in ms. */
  runs: number[];
}

/**
 * Asks `model` for workflow hooks and checks them with `lolpop test`: hooks that fail or never run
 * are dropped (with the reason), the rest is run again and offered only when every hook passes.
 */
export async function generateWorkflowTests(
  model: LanguageModel,
  facts: WorkflowFacts,
  types: Record<string, WorkflowTypeFacts>,
  options: WorkflowTestsRequestOptions & { projectRoot: string; timeoutMs?: number },
): Promise<GeneratedWorkflowTests> {
  const result = await model.generateObject<{
    hooks: Array<{ point: string; check: string; name: string }>;
  }>(workflowTestsRequest(facts, types, options));
  const parsed = parseHooks(result.value);
  const dropped = [...parsed.dropped];
  let hooks = parsed.hooks;
  const runs: number[] = [];
  const problems: string[] = [];
  const check = (list: WorkflowHookCase[]) =>
    runWorkflowHooks({
      configFile: facts.file,
      projectRoot: options.projectRoot,
      hooks: list,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  for (let round = 0; round < 2 && hooks.length > 0; round++) {
    const r = await check(hooks);
    runs.push(r.ms);
    const kept: WorkflowHookCase[] = [];
    hooks.forEach((h, i) => {
      const rep = r.hooks.get(hookLabel(i, h));
      if (rep?.status === "passed") kept.push(h);
      else
        dropped.push({
          name: h.name,
          option: h.point,
          value: h.check,
          reason:
            rep?.status === "not_run"
              ? "the workflow never made this call"
              : `failed when run${rep?.message ? `: ${rep.message}` : ""}`,
        });
    });
    if (kept.length === hooks.length) {
      if (r.workflow.status !== "succeeded")
        problems.push(`the workflow ${r.workflow.status}: ${r.workflow.error ?? "no reason given"}`);
      break;
    }
    hooks = kept;
    if (round === 1) problems.push("hooks that passed on the first run failed on the second");
  }
  if (hooks.length === 0) problems.push("no proposed hook passed");
  const offer = problems.length === 0;
  const files = offer
    ? {
        [workflowTestsFile(facts.file)]: renderWorkflowTests(facts.file, hooks),
        [join(dirname(facts.file), WORKFLOW_HOOKS_FILE)]: WORKFLOW_HOOKS_MODULE,
      }
    : {};
  return { offer, hooks: offer ? hooks : [], dropped, files, problems, result, runs };
}
