/**
 * The conformance suite a plugin author runs against each component: the definition is well formed,
 * the config schema is valid and closed with a description and default per key, defaults are applied,
 * bad config is rejected with its path, the kind's contract methods exist and behave (including a
 * save/load round trip for trainers), and no secret value reaches an error or a log line.
 *
 * ```ts
 * import { describeConformance } from "@lolpop/testing";
 * import { myTrainer } from "./my-trainer.js";
 * describeConformance(myTrainer, { problemTypes: ["classification"] });
 * ```
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AnyDefinition,
  ConfigError,
  createLogger,
  instantiateComponent,
  isDefinition,
  isSecretKey,
  type JsonSchema,
  type LogRecord,
  type ProblemType,
  registerSecret,
  type StandaloneOptions,
} from "@lolpop/core";
import AjvModule from "ajv";
import { type BehaviourEnv, behaviourChecks, ConformanceError, expectThat } from "./behaviour.js";
import { contractMethods } from "./contracts.js";
import { SAMPLE_INDEX, SAMPLE_TARGET } from "./sample-data.js";

// ajv is CommonJS: its default export arrives as the module object under NodeNext.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as unknown as typeof AjvModule.default;

/** Options of the conformance suite. */
export interface ConformanceOptions {
  /** A valid config for the component (its required keys); default `{}`. */
  config?: Record<string, unknown>;
  /**
   * Values the component may inherit like a runner's `config:` (only keys its schema declares are
   * used); default `{ target: "target", index: "id" }`, matching the sample data.
   */
  inherited?: Record<string, unknown>;
  /** Problem types to exercise (trainers, tuners, splitters); default both. */
  problemTypes?: ProblemType[];
  /** Peers returned by `ctx.component(kind)`. */
  peers?: StandaloneOptions["peers"];
  /** Contract methods, for a kind core does not define. */
  methods?: string[];
  /** Run the kind's behaviour checks (default true). Turn off only for a component that needs an unavailable service. */
  behaviour?: boolean;
  /** Where a data connector writes and reads back; default a CSV file in a temp folder. */
  connectorTarget?: (dir: string) => string;
  /** Extra secret config values (key: value) for the no-secret check; secret-looking keys of the schema get one anyway. */
  secrets?: Record<string, string>;
  /** Require a description and a default on every config key (default true). */
  documentedConfig?: boolean;
  /** Per-test timeout passed to `it` (default 60 s). */
  timeout?: number;
}

/** One check of the suite. */
export interface ConformanceCheck {
  /** Test name. */
  name: string;
  /** Resolves when the check passes; rejects with a {@link ConformanceError} naming the problem. */
  run: () => Promise<void>;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true });

function props(schema: JsonSchema): Record<string, JsonSchema> {
  return (schema.properties ?? {}) as Record<string, JsonSchema>;
}

/** A value of the wrong type for a property schema, or undefined when the schema accepts anything. */
export function wrongValue(s: JsonSchema): unknown {
  const types = new Set<string>();
  const collect = (x: JsonSchema) => {
    if (Array.isArray(x.type)) for (const t of x.type) types.add(String(t));
    else if (typeof x.type === "string") types.add(x.type);
    if (Array.isArray(x.enum)) for (const v of x.enum as unknown[]) types.add(v === null ? "null" : typeof v);
    for (const alt of ((x.anyOf ?? x.oneOf) as JsonSchema[] | undefined) ?? []) collect(alt);
  };
  collect(s);
  if (types.size === 0) return undefined;
  if (types.has("integer")) types.add("number");
  const candidates: Array<[string, unknown]> = [
    ["object", { lolpop_conformance: true }],
    ["array", [{ lolpop_conformance: true }]],
    ["boolean", true],
    ["number", 12.5],
    ["string", "lolpop-conformance-wrong-value"],
  ];
  if (Array.isArray(s.enum) && !types.has("boolean")) return true;
  for (const [t, v] of candidates) if (!types.has(t)) return v;
  return undefined;
}

function newTmp(dirs: string[]): string {
  const d = mkdtempSync(join(tmpdir(), "lolpop-conformance-"));
  dirs.push(d);
  return d;
}

function cleanup(dirs: string[]): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

function issuesOf(e: unknown): Array<{ path: string; message: string }> {
  return ConfigError.isInstance(e) ? e.issues : [];
}

/** Every text an error carries (message, stack, causes, details). */
function errorText(e: unknown, depth = 0): string {
  if (depth > 10 || e === undefined || e === null) return "";
  if (typeof e !== "object") return String(e);
  const err = e as {
    message?: unknown;
    stack?: unknown;
    cause?: unknown;
    details?: unknown;
    issues?: unknown;
  };
  let details = "";
  try {
    details = JSON.stringify({ details: err.details, issues: err.issues }) ?? "";
  } catch {
    details = "";
  }
  return `${String(err.message ?? "")}\n${String(err.stack ?? "")}\n${details}\n${errorText(err.cause, depth + 1)}`;
}

/**
 * The checks for one definition, in order. Components get every check; pipelines and runners (built
 * by the engine, see `runWorkflow`) get the definition and config checks.
 */
export function conformanceChecks(
  definition: AnyDefinition,
  options: ConformanceOptions = {},
): ConformanceCheck[] {
  const def = definition;
  const type = (def as { type?: string })?.type ?? "the definition";
  const schema = (def?.configSchema ?? {}) as JsonSchema;
  const isComponent = def?.kind !== "pipeline" && def?.kind !== "runner";
  const problemTypes = options.problemTypes ?? ["classification", "regression"];
  const inherited = options.inherited ?? { target: SAMPLE_TARGET, index: SAMPLE_INDEX };
  const dirs: string[] = [];
  const instantiate = async (
    config: Record<string, unknown>,
    root?: string,
    extra: Partial<StandaloneOptions> = {},
    target: AnyDefinition = def,
  ) =>
    instantiateComponent(target as never, {
      config,
      inherited,
      problemType: problemTypes[0],
      project: { root: root ?? newTmp(dirs) },
      ...(options.peers ? { peers: options.peers } : {}),
      ...extra,
    });
  const guarded = (name: string, fn: () => Promise<void>): ConformanceCheck => ({
    name,
    run: async () => {
      try {
        await fn();
      } finally {
        cleanup(dirs);
      }
    },
  });
  // Validates a config the way core does for pipelines and runners (components go through instantiateComponent).
  const validate = (config: Record<string, unknown>) => {
    const v = ajv.compile(schema);
    const copy = structuredClone(config);
    const ok = v(copy);
    return { ok, copy, errors: v.errors ?? [] };
  };

  const checks: ConformanceCheck[] = [];
  checks.push(
    guarded(
      "definition: made by defineComponent/definePipeline/defineRunner, with a kind, a type name and a description",
      async () => {
        expectThat(
          isDefinition(def),
          `${type} is not a lolpop definition: make it with defineComponent (or definePipeline/defineRunner)`,
        );
        expectThat(
          typeof def.kind === "string" && /^[a-z][a-z0-9_]*$/.test(def.kind),
          `kind must be snake_case (got ${JSON.stringify(def.kind)})`,
        );
        expectThat(
          /^[A-Z][A-Za-z0-9]*$/.test(def.type),
          `type must be a PascalCase name such as MyModelTrainer (got ${JSON.stringify(def.type)})`,
        );
        expectThat(typeof def.create === "function", "create must be a function");
        expectThat(
          typeof def.description === "string" && def.description.trim(),
          `${type} needs a one-line description (shown by lolpop plugins info)`,
        );
      },
    ),
    guarded("config schema: valid JSON Schema of an object that rejects unknown keys", async () => {
      expectThat(schema && typeof schema === "object", "configSchema must be a JSON Schema object");
      expectThat(
        ajv.validateSchema(schema),
        `configSchema is not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`,
      );
      try {
        ajv.compile(schema);
      } catch (e) {
        throw new ConformanceError(`configSchema does not compile: ${(e as Error).message}`);
      }
      expectThat(
        schema.type === "object",
        `configSchema must have type: "object" (got ${JSON.stringify(schema.type)})`,
      );
      expectThat(
        schema.additionalProperties === false,
        "configSchema must set additionalProperties: false, so a typo in a key is an error",
      );
    }),
  );
  if (options.documentedConfig !== false)
    checks.push(
      guarded(
        isComponent
          ? "config schema: every key has a description, and a default unless it is required"
          : "config schema: every key has a description",
        async () => {
          const required = new Set((schema.required as string[] | undefined) ?? []);
          const problems: string[] = [];
          for (const [k, s] of Object.entries(props(schema))) {
            if (typeof s.description !== "string" || !s.description.trim())
              problems.push(`${k} has no description`);
            // Pipelines and runners often leave a key unset to mean "decide from the problem type".
            if (isComponent && !required.has(k) && s.default === undefined)
              problems.push(`${k} has no default`);
          }
          expectThat(problems.length === 0, `config keys: ${problems.join("; ")}`);
        },
      ),
    );
  checks.push(
    guarded("config: defaults are applied to keys left out", async () => {
      const base = options.config ?? {};
      const expected = Object.entries(props(schema)).filter(
        ([k, s]) => s.default !== undefined && base[k] === undefined && inherited[k] === undefined,
      );
      if (isComponent) {
        let seen: Record<string, unknown> | undefined;
        const spy = {
          ...def,
          create: (ctx: { config: Record<string, unknown> }) => {
            seen = ctx.config;
            return def.create(ctx);
          },
        };
        await instantiate(base, undefined, {}, spy as AnyDefinition);
        for (const [k, s] of expected)
          expectThat(
            JSON.stringify(seen?.[k]) === JSON.stringify(s.default),
            `key ${k}: create() saw ${JSON.stringify(seen?.[k])}, expected the default ${JSON.stringify(s.default)}`,
          );
      } else {
        const r = validate(base);
        for (const [k, s] of expected)
          expectThat(
            JSON.stringify(r.copy[k]) === JSON.stringify(s.default),
            `key ${k}: default ${JSON.stringify(s.default)} not applied`,
          );
      }
    }),
    guarded("bad config: an unknown key is rejected, naming its path", async () => {
      const config = { ...(options.config ?? {}), lolpop_conformance_unknown_key: 1 };
      if (isComponent) {
        let error: unknown;
        try {
          await instantiate(config);
        } catch (e) {
          error = e;
        }
        expectThat(
          ConfigError.isInstance(error),
          `an unknown config key must throw a ConfigError (got ${error === undefined ? "no error" : String((error as Error).message)})`,
        );
        expectThat(
          issuesOf(error).some((i) => i.path.endsWith("config.lolpop_conformance_unknown_key")),
          `the error must name the path of the key (issues: ${JSON.stringify(issuesOf(error).map((i) => i.path))})`,
        );
      } else {
        const r = validate(config);
        expectThat(!r.ok, "an unknown config key must be rejected");
      }
    }),
  );
  const typed = Object.entries(props(schema))
    .map(([k, s]) => [k, wrongValue(s)] as const)
    .filter(([, v]) => v !== undefined);
  checks.push(
    guarded("bad config: a value of the wrong type is rejected, naming its path", async () => {
      const problems: string[] = [];
      for (const [key, bad] of typed) {
        const config = { ...(options.config ?? {}), [key]: bad };
        if (isComponent) {
          let error: unknown;
          try {
            await instantiate(config);
          } catch (e) {
            error = e;
          }
          if (!ConfigError.isInstance(error))
            problems.push(`${key}: ${JSON.stringify(bad)} was accepted (no ConfigError)`);
          else if (!issuesOf(error).some((i) => i.path.includes(`config.${key}`)))
            problems.push(
              `${key}: the error does not name config.${key} (${issuesOf(error)
                .map((i) => i.path)
                .join(", ")})`,
            );
        } else if (validate(config).ok) problems.push(`${key}: ${JSON.stringify(bad)} was accepted`);
      }
      expectThat(problems.length === 0, problems.join("; "));
    }),
  );
  if (!isComponent) return checks;

  const methods = options.methods ?? contractMethods(def.kind);
  checks.push(
    guarded(`contract: implements every ${def.kind} method`, async () => {
      expectThat(methods, `kind ${def.kind} is not defined by core: pass its methods in options.methods`);
      const instance = (await instantiate(options.config ?? {})) as unknown as Record<string, unknown>;
      expectThat(instance && typeof instance === "object", "create() must return an object");
      const missing = methods.filter((m) => typeof instance[m] !== "function");
      expectThat(missing.length === 0, `missing ${def.kind} methods: ${missing.join(", ")}`);
    }),
  );
  const env = (extra: Partial<StandaloneOptions> = {}, config = options.config ?? {}): BehaviourEnv => ({
    type: def.type,
    create: (root) => instantiate(config, root, extra),
    tmp: () => newTmp(dirs),
    problemTypes,
    ...(options.connectorTarget ? { connectorTarget: options.connectorTarget } : {}),
  });
  if (options.behaviour !== false)
    for (const c of behaviourChecks(def.kind, env())) checks.push(guarded(`behaviour: ${c.name}`, c.run));

  checks.push(
    guarded("errors and logs never contain secret values", async () => {
      const canary = `lolpop-canary-${Math.random().toString(36).slice(2, 10)}`;
      registerSecret(canary);
      const secretKeys = Object.entries(props(schema))
        .filter(
          ([k, s]) =>
            isSecretKey(k) && (s.type === "string" || (Array.isArray(s.type) && s.type.includes("string"))),
        )
        .map(([k]) => k);
      const leaks: string[] = [];
      const logs: LogRecord[] = [];
      const logger = createLogger({
        level: "debug",
        format: "json",
        stream: { write: () => true },
        sinks: [(r) => logs.push(r)],
      });
      // An unknown secret-looking key: the error must not echo its value.
      try {
        await instantiate({ ...(options.config ?? {}), api_token: canary }, undefined, { logger });
      } catch (e) {
        if (errorText(e).includes(canary)) leaks.push("the unknown-key error shows the value of api_token");
      }
      const secretConfig: Record<string, unknown> = { ...(options.config ?? {}), ...options.secrets };
      for (const k of secretKeys) secretConfig[k] = canary;
      if (options.secrets) for (const v of Object.values(options.secrets)) registerSecret(v);
      if (secretKeys.length || options.secrets) {
        const values = [canary, ...Object.values(options.secrets ?? {})];
        const leaked = (text: string) => values.some((v) => v.length >= 4 && text.includes(v));
        const run = async (what: string, fn: () => Promise<unknown>) => {
          try {
            await fn();
          } catch (e) {
            if (leaked(errorText(e))) leaks.push(`${what}: an error shows a secret value`);
          }
        };
        await run("create", () => instantiate(secretConfig, undefined, { logger }));
        if (options.behaviour !== false)
          for (const c of behaviourChecks(def.kind, env({ logger }, secretConfig))) await run(c.name, c.run);
        for (const r of logs)
          if (leaked(JSON.stringify(r)))
            leaks.push(`a log line shows a secret value: ${JSON.stringify(r.msg)}`);
      }
      expectThat(leaks.length === 0, [...new Set(leaks)].join("; "));
    }),
  );
  return checks;
}

/** Runs every check and returns the outcomes (framework-free). */
export async function checkComponent(
  definition: AnyDefinition,
  options: ConformanceOptions = {},
): Promise<Array<{ name: string; passed: boolean; message?: string }>> {
  const out: Array<{ name: string; passed: boolean; message?: string }> = [];
  for (const c of conformanceChecks(definition, options)) {
    try {
      await c.run();
      out.push({ name: c.name, passed: true });
    } catch (e) {
      out.push({ name: c.name, passed: false, message: (e as Error).message });
    }
  }
  return out;
}

/** The test functions the suite registers with (jest, vitest and mocha globals fit). */
export interface TestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>, timeout?: number) => void;
}

/** The global `describe`/`it`, or a clear error. */
export function globalTestApi(): TestApi {
  const g = globalThis as { describe?: unknown; it?: unknown };
  if (typeof g.describe !== "function" || typeof g.it !== "function")
    throw new Error(
      "@lolpop/testing: describe/it are not defined: call this from a test file run by jest, vitest or mocha, or pass { test: { describe, it } }",
    );
  return { describe: g.describe as TestApi["describe"], it: g.it as TestApi["it"] };
}

/** Registers the conformance suite of a component as a `describe` block with one test per check. */
export function describeConformance(
  definition: AnyDefinition,
  options: ConformanceOptions & { test?: TestApi } = {},
): void {
  const api = options.test ?? globalTestApi();
  const label = `${(definition as { type?: string })?.type ?? "component"} (${(definition as { kind?: string })?.kind ?? "?"}) conforms to lolpop`;
  api.describe(label, () => {
    for (const c of conformanceChecks(definition, options)) api.it(c.name, c.run, options.timeout ?? 60_000);
  });
}
