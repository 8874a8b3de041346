/**
 * Test generation for a component: a jest test file with @lolpop/testing's conformance suite plus
 * config cases a language model proposes from the config schema and the source ("this value of this
 * option is accepted / rejected"). Before the file is offered it is type-checked with the project's
 * TypeScript and run with the project's jest; cases that fail are dropped and reported, never written
 * as passing, and a file whose conformance suite fails is not offered at all.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { JsonSchema } from "@lolpop/core";
import type { ComponentFacts } from "./genai-facts.js";
import { GenaiSetupError } from "./genai-setup-error.js";
import type {
  ChatMessage,
  GenerateObjectRequest,
  GenerateObjectResult,
  LanguageModel,
} from "./genai-types.js";

/** One config case: setting `option` to `value` is accepted (`valid`) or rejected with a config error. */
export interface ConfigCase {
  name: string;
  option: string;
  value: unknown;
  valid: boolean;
}

/** A case that is not in the file, and why. */
export interface DroppedCase {
  name: string;
  option?: string;
  /** The value as the model wrote it. */
  value: string;
  reason: string;
}

/** The model's raw answer: values as JSON text. */
interface RawCases {
  cases: Array<{ name: string; option: string; value: string; valid: boolean }>;
}

/** The JSON Schema of the model's answer: up to `maxCases` cases over the type's config options. */
export function testCasesSchema(facts: ComponentFacts, maxCases = 6): JsonSchema {
  return {
    type: "object",
    properties: {
      cases: {
        type: "array",
        minItems: 1,
        maxItems: maxCases,
        items: {
          type: "object",
          properties: {
            name: { type: "string", minLength: 3, maxLength: 60 },
            option: { enum: facts.options.map((o) => o.name) },
            value: { type: "string", minLength: 1, maxLength: 40, description: "The value, as JSON text." },
            valid: { type: "boolean", description: "True when the component accepts the value." },
          },
          required: ["name", "option", "value", "valid"],
          additionalProperties: false,
        },
      },
    },
    required: ["cases"],
    additionalProperties: false,
  };
}

/** The messages asking for config cases. */
export function testsMessages(facts: ComponentFacts, maxCases = 6): ChatMessage[] {
  const options = facts.options
    .map((o) => {
      const schema = (facts.configSchema.properties as Record<string, unknown>)[o.name];
      return `- ${o.name}: ${JSON.stringify(schema)}`;
    })
    .join("\n");
  const parts = [
    `Propose up to ${maxCases} test cases for the config of the lolpop ${facts.kind} component \`${facts.type}\`.`,
    `Each case sets one option to one value and says whether the component accepts it (valid: true) or rejects it with a config error (valid: false). Mix valid and invalid values: a wrong type, a value out of range, a value not in the allowed list.`,
    `Config options (JSON Schema of each):\n${options}`,
  ];
  if (facts.source) parts.push(`Source of its definition (${facts.source.file}):\n${facts.source.text}`);
  parts.push('Write each value as JSON text, e.g. "5", "\\"distance\\"", "-1", "true".');
  return [
    {
      role: "system",
      content:
        "You write test cases for lolpop components from their JSON Schema. Use only the options given.",
    },
    { role: "user", content: parts.join("\n\n") },
  ];
}

/** Options of {@link testsRequest}. */
export interface TestsRequestOptions {
  /** Most cases asked for. Default 6. */
  maxCases?: number;
  maxTokens?: number;
  seed?: number;
  temperature?: number;
  signal?: AbortSignal;
}

/** The whole request for config cases: what `--dry-run` prints. */
export function testsRequest(
  facts: ComponentFacts,
  options: TestsRequestOptions = {},
): GenerateObjectRequest {
  const max = options.maxCases ?? 6;
  return {
    messages: testsMessages(facts, max),
    schema: testCasesSchema(facts, max),
    schemaName: "config_cases",
    maxTokens: options.maxTokens ?? 72 * max + 48,
    temperature: options.temperature ?? 0,
    seed: options.seed ?? 0,
    signal: options.signal,
  };
}

/** Parses the values and drops duplicates and values that are not JSON. */
export function parseCases(
  raw: RawCases,
  facts: ComponentFacts,
): { cases: ConfigCase[]; dropped: DroppedCase[] } {
  const names = new Set(facts.options.map((o) => o.name));
  const cases: ConfigCase[] = [];
  const dropped: DroppedCase[] = [];
  const seen = new Set<string>();
  for (const c of raw.cases) {
    const name = c.name.replace(/\p{Cc}+/gu, " ").trim();
    if (!names.has(c.option)) {
      dropped.push({ name, option: c.option, value: c.value, reason: `${c.option} is not a config option` });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(c.value);
    } catch {
      dropped.push({ name, option: c.option, value: c.value, reason: "the value is not JSON" });
      continue;
    }
    const key = `${c.option}=${JSON.stringify(value)}`;
    if (seen.has(key)) {
      dropped.push({ name, option: c.option, value: c.value, reason: "the same value as an earlier case" });
      continue;
    }
    seen.add(key);
    cases.push({ name, option: c.option, value, valid: c.valid });
  }
  return { cases, dropped };
}

/** What the test file is built from. */
export interface TestFileSpec {
  facts: ComponentFacts;
  /** Module specifier the definition is imported from, relative to the test file (e.g. `./knn-model-trainer.js`). */
  importFrom: string;
  /** Name of the exported definition (e.g. `knnModelTrainer`). */
  exportName: string;
  /** Config every case starts from (required options). Default `{}`. */
  baseConfig?: Record<string, unknown>;
  /** Options passed to `describeConformance`, as a TypeScript object literal. Default none. */
  conformanceOptions?: string;
  cases: ConfigCase[];
}

/** Title prefix of case `i` (1-based): how results are mapped back to cases. */
function caseTitle(i: number, c: ConfigCase): string {
  const what = `${c.valid ? "accepts" : "rejects"} ${c.option} = ${JSON.stringify(c.value)}`;
  return `config case ${i}: ${what}`.replace(/\s+/g, " ");
}

function literal(value: unknown): string {
  return JSON.stringify(value);
}

/** The test file's text. */
export function renderTestFile(spec: TestFileSpec): string {
  const { facts, exportName } = spec;
  const base = literal(spec.baseConfig ?? {});
  const lines = [
    `// Generated by \`lolpop generate tests ${facts.type}\` (@lolpop/genai): lolpop's conformance suite, plus`,
    "// config cases proposed by a language model; every case in this file passed when it was generated.",
    `import { ConfigError, instantiateComponent } from "@lolpop/core";`,
    `import { describeConformance } from "@lolpop/testing";`,
    `import { ${exportName} } from ${JSON.stringify(spec.importFrom)};`,
    "",
    `describeConformance(${exportName}${spec.conformanceOptions ? `, ${spec.conformanceOptions}` : ""});`,
  ];
  if (spec.cases.length) {
    lines.push(
      "",
      `describe(${JSON.stringify(`${facts.type} config`)}, () => {`,
      `  const base: Record<string, unknown> = ${base};`,
    );
    spec.cases.forEach((c, i) => {
      lines.push("");
      lines.push(`  // ${c.name.replace(/\*\//g, "* /")}`);
      lines.push(`  it(${JSON.stringify(caseTitle(i + 1, c))}, async () => {`);
      lines.push(`    const config = { ...base, ${JSON.stringify(c.option)}: ${literal(c.value)} };`);
      if (c.valid)
        lines.push(
          `    await expect(instantiateComponent(${exportName}, { config })).resolves.toBeDefined();`,
        );
      else {
        lines.push(
          `    const error = await instantiateComponent(${exportName}, { config }).then(`,
          "      () => undefined,",
          "      (e: unknown) => e,",
          "    );",
          "    expect(ConfigError.isInstance(error)).toBe(true);",
          `    expect((error as Error).message).toContain(${JSON.stringify(`config.${c.option}`)});`,
        );
      }
      lines.push("  });");
    });
    lines.push("});");
  }
  return `${lines.join("\n")}\n`;
}

/** The outcome of one test of the generated file. */
export interface TestOutcome {
  title: string;
  status: "passed" | "failed" | string;
  /** First lines of the failure. */
  message?: string;
  /** The case (1-based) when the test is a config case. */
  caseIndex?: number;
}

/** What running the checks on a test file found. */
export interface Verification {
  /** Type errors in the generated file (empty: it type-checks). */
  typeErrors: string[];
  tests: TestOutcome[];
  /** Time of the type check and the test run, in ms. */
  ms: { typecheck: number; run: number };
}

/** Runs a command: `out` is its stdout and stderr together, `stdout` its stdout; killed after `timeoutMs`. @internal */
export function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
    });
    let out = "";
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolvePromise({ code: null, out: `${out}${e.message}`, stdout });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, out, stdout });
    });
  });
}

/** A package's bin script, resolved from `packageDir` (the project's own TypeScript and jest). @internal */
export function binOf(packageDir: string, name: string, bin: string): string {
  try {
    const req = createRequire(join(resolve(packageDir), "package.json"));
    const pkgJson = req.resolve(`${name}/package.json`);
    const b = (JSON.parse(readFileSync(pkgJson, "utf8")) as { bin?: string | Record<string, string> }).bin;
    const rel = typeof b === "string" ? b : b?.[bin];
    if (!rel) throw new Error(`${name} declares no ${bin} bin`);
    return join(dirname(pkgJson), rel);
  } catch (e) {
    throw new GenaiSetupError({
      message: `checking the generated tests needs ${name} installed in ${packageDir} (its devDependencies): ${(e as Error).message}`,
      code: "genai_tests_tooling",
      cause: e,
    });
  }
}

/**
 * Type-checks and runs a test file as if it were at `file` (relative to `packageDir`): it is written
 * next to it under a temporary name, checked with the project's `tsc --noEmit -p` and run with the
 * project's jest (its own config), then removed.
 */
export async function verifyTestFile(options: {
  packageDir: string;
  /** Where the file will live, relative to `packageDir` (e.g. `src/knn-model-trainer.genai.test.ts`). */
  file: string;
  text: string;
  /** Per step. Default 300000 ms. */
  timeoutMs?: number;
}): Promise<Verification> {
  const dir = resolve(options.packageDir);
  const timeoutMs = options.timeoutMs ?? 300_000;
  const target = join(dir, options.file);
  const temp = join(
    dirname(target),
    `${basename(target).replace(/\.test\.ts$/, "")}.genai-check-${process.pid}.test.ts`,
  );
  const results = await mkdtemp(join(tmpdir(), "lolpop-genai-tests-"));
  const tsc = binOf(dir, "typescript", "tsc");
  const jest = binOf(dir, "jest", "jest");
  try {
    await writeFile(temp, options.text);
    const t0 = Date.now();
    const tc = await run(process.execPath, [tsc, "--noEmit", "-p", dir, "--pretty", "false"], dir, timeoutMs);
    const rel = relative(dir, temp);
    const typeErrors = tc.out
      .split("\n")
      .filter((l) => l.startsWith(rel) || l.startsWith(temp))
      .map((l) => l.replace(rel, options.file).replace(temp, options.file));
    const typecheckMs = Date.now() - t0;
    if (typeErrors.length) return { typeErrors, tests: [], ms: { typecheck: typecheckMs, run: 0 } };
    const out = join(results, "results.json");
    const t1 = Date.now();
    const r = await run(
      process.execPath,
      [
        "--experimental-vm-modules",
        "--no-warnings",
        jest,
        "--ci",
        "--json",
        `--outputFile=${out}`,
        "--runTestsByPath",
        temp,
      ],
      dir,
      timeoutMs,
    );
    const runMs = Date.now() - t1;
    if (!existsSync(out))
      throw new GenaiSetupError({
        message: `jest did not run the generated test file (exit ${r.code}):\n${r.out.trim().split("\n").slice(-15).join("\n")}`,
        code: "genai_tests_run",
      });
    const json = JSON.parse(readFileSync(out, "utf8")) as {
      testResults: Array<{
        message?: string;
        assertionResults: Array<{ title: string; status: string; failureMessages: string[] }>;
      }>;
    };
    const file = json.testResults[0];
    if (!file || (file.assertionResults.length === 0 && file.message))
      throw new GenaiSetupError({
        message: `the generated test file failed to run: ${(file?.message ?? r.out).trim().split("\n").slice(0, 15).join("\n")}`,
        code: "genai_tests_run",
      });
    const tests = file.assertionResults.map((a) => {
      const m = /^config case (\d+):/.exec(a.title);
      const t: TestOutcome = { title: a.title, status: a.status };
      if (m) t.caseIndex = Number(m[1]);
      if (a.failureMessages.length)
        t.message = a.failureMessages.join("\n").split("\n").slice(0, 6).join("\n");
      return t;
    });
    return { typeErrors, tests, ms: { typecheck: typecheckMs, run: runMs } };
  } finally {
    await rm(temp, { force: true });
    await rm(results, { recursive: true, force: true });
  }
}

/** Options of {@link generateComponentTests}. */
export interface GenerateTestsOptions extends TestsRequestOptions {
  packageDir: string;
  /** Where the file goes, relative to `packageDir`. */
  file: string;
  importFrom: string;
  exportName: string;
  baseConfig?: Record<string, unknown>;
  conformanceOptions?: string;
  /** Per check step. Default 300000 ms. */
  timeoutMs?: number;
}

/** The outcome of {@link generateComponentTests}. */
export interface GeneratedTests {
  /** The file's text: every test in it passed. */
  text: string;
  /** True when the file may be written: it type-checks and every test in it passed. */
  offer: boolean;
  cases: ConfigCase[];
  dropped: DroppedCase[];
  /** Conformance tests that failed (a defect of the component, not of the cases): the file is not offered. */
  failures: TestOutcome[];
  /** Type errors of the file (it is not offered then). */
  typeErrors: string[];
  verification: Verification;
  result?: GenerateObjectResult<RawCases>;
}

/**
 * Asks `model` for config cases, renders the test file, checks it (type check and run), drops the
 * cases that fail and checks again. The file is offered only when it type-checks and every test in it
 * passes.
 */
export async function generateComponentTests(
  model: LanguageModel,
  facts: ComponentFacts,
  options: GenerateTestsOptions,
): Promise<GeneratedTests> {
  let result: GenerateObjectResult<RawCases> | undefined;
  let cases: ConfigCase[] = [];
  let dropped: DroppedCase[] = [];
  if (facts.options.length > 0) {
    result = await model.generateObject<RawCases>(testsRequest(facts, options));
    ({ cases, dropped } = parseCases(result.value, facts));
  }
  const spec = (cs: ConfigCase[]): TestFileSpec => ({
    facts,
    importFrom: options.importFrom,
    exportName: options.exportName,
    baseConfig: options.baseConfig,
    conformanceOptions: options.conformanceOptions,
    cases: cs,
  });
  const check = (text: string) =>
    verifyTestFile({
      packageDir: options.packageDir,
      file: options.file,
      text,
      timeoutMs: options.timeoutMs,
    });
  let text = renderTestFile(spec(cases));
  let verification = await check(text);
  const failedCases = new Set(
    verification.tests
      .filter((t) => t.status !== "passed" && t.caseIndex !== undefined)
      .map((t) => t.caseIndex!),
  );
  if (verification.typeErrors.length === 0 && failedCases.size > 0) {
    for (const i of [...failedCases].sort((a, b) => a - b)) {
      const c = cases[i - 1]!;
      const outcome = verification.tests.find((t) => t.caseIndex === i);
      dropped.push({
        name: c.name,
        option: c.option,
        value: JSON.stringify(c.value),
        reason: `failed when run: the component ${c.valid ? "rejects" : "accepts"} it${outcome?.message ? ` (${outcome.message.split("\n")[0]})` : ""}`,
      });
    }
    cases = cases.filter((_, i) => !failedCases.has(i + 1));
    text = renderTestFile(spec(cases));
    verification = await check(text);
  }
  const failures = verification.tests.filter((t) => t.status !== "passed");
  return {
    text,
    offer: verification.typeErrors.length === 0 && failures.length === 0 && verification.tests.length > 0,
    cases,
    dropped,
    failures,
    typeErrors: verification.typeErrors,
    verification,
    result,
  };
}
