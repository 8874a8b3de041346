/**
 * Turns a resolved config into a validated plan: which runner, pipelines and components to build,
 * each with its validated config. Every problem is collected, with file, line and YAML path.
 */

import { didYouMean, FIRST_PARTY_TYPES } from "../catalog.js";
import type { ProblemType } from "../contracts.js";
import { BUILTIN_KINDS } from "../contracts.js";
import { ConfigError, type ConfigIssue, PluginConflictError, UnknownComponentError } from "../errors.js";
import type { OrchestratorPlan } from "../orchestrator.js";
import type { AnyDefinition, JsonSchema } from "../plugin.js";
import { redactText, redactValue } from "../redact.js";
import { listTypes, type RegisteredType, registeredKinds, resolveType } from "../registry.js";
import { runConfigChecks } from "./config-checks.js";
import { type ResolvedConfig, resolveConfig } from "./resolve.js";
import { validateAgainstSchema } from "./schema-validator.js";
import type { ConfigSource } from "./yaml-source.js";

/** A component to build. */
export interface ComponentPlan {
  /** Attribute name in the config (usually the kind), e.g. `model_trainer`. */
  attr: string;
  /** Dotted path, e.g. `train.model_trainer` or `metadata_tracker`. */
  path: string;
  kind: string;
  type: string;
  registered: RegisteredType;
  /** Validated config with defaults and inherited keys. */
  config: Record<string, unknown>;
}

/** A pipeline to build with its local components. */
export interface PipelinePlan {
  attr: string;
  path: string;
  type: string;
  registered: RegisteredType;
  config: Record<string, unknown>;
  components: ComponentPlan[];
}

/** A validated workflow. */
export interface WorkflowPlan {
  file: string;
  /** The parsed config the plan was made from (the engine points errors of on-demand components at its lines). */
  source: ConfigSource;
  runner: { type: string; registered: RegisteredType; config: Record<string, unknown> };
  /** Global components, in written order. */
  components: ComponentPlan[];
  pipelines: PipelinePlan[];
  /** The whole resolved config (contains secrets: never print it; use `redacted`). */
  resolved: Record<string, unknown>;
  /** The resolved config with secrets replaced by `***`. */
  redacted: Record<string, unknown>;
  /** Paths whose values came from the environment. */
  secretPaths: ReadonlySet<string>;
  /** Plugins providing the types in use. */
  plugins: Array<{ name: string; version: string }>;
  /** `plugins:` list from the config, if any. */
  pluginList?: string[];
  /** The `orchestrator:` section, when the config has one (absent: steps run in-process). */
  orchestrator?: OrchestratorPlan;
}

const TOP_LEVEL_KEYS = [
  "runner",
  "config",
  "components",
  "pipelines",
  "plugins",
  "name",
  "description",
  "$schema",
  "tests",
  "orchestrator",
];
const SECTION_KEYS = ["components", "config"];

type Path = Array<string | number>;

class IssueCollector {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly source: ConfigSource) {}
  add(path: Path, code: string, message: string, at: "value" | "key" = "value"): void {
    const loc = at === "key" ? this.source.locateKey(path) : this.source.locate(path);
    this.issues.push({
      code,
      path: path.join("."),
      message: redactText(message),
      file: this.source.file,
      ...(loc ? { line: loc.line, column: loc.column } : {}),
    });
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function knownKinds(): Set<string> {
  const kinds = new Set<string>(BUILTIN_KINDS);
  for (const k of registeredKinds()) if (k !== "runner" && k !== "pipeline") kinds.add(k);
  return kinds;
}

function installHint(typeName: string): string {
  const entry = FIRST_PARTY_TYPES[typeName];
  return entry
    ? ` ${typeName} is provided by ${entry.package}: install it with \`npm install ${entry.package}\` (or \`pnpm add ${entry.package}\`).`
    : "";
}

/** Resolves a type name, reporting unknown names, conflicts and wrong kinds. */
function resolveTypeRef(
  c: IssueCollector,
  value: unknown,
  expectedKind: string | undefined,
  path: Path,
  what: string,
): RegisteredType | undefined {
  if (typeof value !== "string" || value.trim() === "") {
    c.add(
      path,
      "invalid_type",
      `must be a ${what} type name such as ${exampleFor(expectedKind)} (got ${value === null ? "nothing" : Array.isArray(value) ? "a list" : typeof value})`,
    );
    return undefined;
  }
  let found: RegisteredType | undefined;
  try {
    found = resolveType(value);
  } catch (e) {
    if (PluginConflictError.isInstance(e)) {
      c.add(path, "type_conflict", e.message);
      return undefined;
    }
    throw e;
  }
  if (!found) {
    const pool = listTypes(expectedKind).map((t) => t.type);
    const catalog = Object.entries(FIRST_PARTY_TYPES)
      .filter(([, v]) => !expectedKind || v.kind === expectedKind)
      .map(([k]) => k);
    // A known first-party name that is not installed needs an install hint, not a guess.
    const guesses = FIRST_PARTY_TYPES[value] ? [] : didYouMean(value, [...pool, ...catalog]);
    const kindText = expectedKind ? `${expectedKind} ` : "";
    const installed = pool.length
      ? ` Installed ${kindText}types: ${pool.join(", ")}.`
      : ` No ${kindText}types are installed.`;
    const hint =
      installHint(value) || (guesses[0] && !pool.includes(guesses[0]) ? installHint(guesses[0]) : "");
    c.add(
      path,
      "unknown_type",
      `unknown ${kindText}type "${value}".${guesses.length ? ` Did you mean ${guesses.join(", ")}?` : ""}${installed}${hint}`,
    );
    return undefined;
  }
  if (expectedKind && found.kind !== expectedKind) {
    c.add(
      path,
      "wrong_kind",
      `${found.type} is a ${found.kind}, not a ${expectedKind}. ${
        listTypes(expectedKind).length
          ? `Installed ${expectedKind} types: ${listTypes(expectedKind)
              .map((t) => t.type)
              .join(", ")}.`
          : ""
      }`.trim(),
    );
    return undefined;
  }
  return found;
}

function exampleFor(kind?: string): string {
  const e = Object.entries(FIRST_PARTY_TYPES).find(([, v]) => v.kind === kind);
  return e ? e[0] : "LocalDataConnector";
}

function relaxed(schema: JsonSchema): JsonSchema {
  const cached = relaxedCache.get(schema);
  if (cached) return cached;
  const r = { ...schema, additionalProperties: true };
  relaxedCache.set(schema, r);
  return r;
}
const relaxedCache = new WeakMap<JsonSchema, JsonSchema>();

function declaredKeys(def: AnyDefinition): string[] {
  return Object.keys((def.configSchema.properties as Record<string, unknown> | undefined) ?? {});
}

/**
 * Validates one config section: declared keys missing here are inherited nearest-first from
 * `parents` (each a config object and the YAML path it sits at), then the schema applies.
 */
function validateSection(
  c: IssueCollector,
  def: AnyDefinition,
  raw: unknown,
  sectionPath: Path,
  parents: ReadonlyArray<{ config: Record<string, unknown>; path: Path }>,
  secretPaths: ReadonlySet<string>,
  opts: {
    allowExtra: boolean;
    extraKnown?: Set<string>;
    referenced?: ReadonlySet<string>;
    /** Runs the definition's `checkConfig` (when the schema passed) for the owner at `path`. */
    check?: { path: string; problemType?: ProblemType };
  },
): Record<string, unknown> {
  if (raw !== undefined && raw !== null && !isMapping(raw)) {
    c.add(sectionPath, "invalid_type", "config must be a mapping of key: value");
    return {};
  }
  const own: Record<string, unknown> = structuredClone((raw as Record<string, unknown>) ?? {});
  const origin = new Map<string, Path>();
  for (const key of declaredKeys(def)) {
    if (own[key] !== undefined) continue;
    for (const parent of parents) {
      if (parent.config[key] !== undefined) {
        own[key] = structuredClone(parent.config[key]);
        origin.set(key, [...parent.path, key]);
        break;
      }
    }
  }
  const toYamlPath = (p: Path): Path => {
    const head = p[0];
    if (typeof head === "string" && origin.has(head)) return [...origin.get(head)!, ...p.slice(1)];
    return [...sectionPath, ...p];
  };
  const problems = validateAgainstSchema(
    opts.allowExtra ? relaxed(def.configSchema) : def.configSchema,
    own,
    {
      isSecretPath: (p) => secretPaths.has(toYamlPath(p).join(".")),
    },
  );
  for (const p of problems) {
    const where = toYamlPath(p.path);
    let message = p.message;
    if (p.code === "missing_key" && p.path.length === 1) {
      const alt = parents.map((x) => (x.path.length ? x.path.join(".") : "config")).join(" or ");
      message += ` for ${def.type}: set it under ${sectionPath.join(".")}${alt ? `, or in ${alt}` : ""}`;
    } else message = `${message} [${def.type}]`;
    c.add(where, p.code, message, p.code === "unknown_key" ? "key" : "value");
  }
  if (opts.check)
    for (const issue of runConfigChecks(def, own, opts.check, problems.length === 0))
      c.add(toYamlPath([...issue.path]), issue.code ?? "invalid_value", `${issue.message} [${def.type}]`);
  if (opts.allowExtra && opts.extraKnown && raw) {
    for (const key of Object.keys(raw as object)) {
      if (!opts.extraKnown.has(key) && !opts.referenced?.has([...sectionPath, key].join("."))) {
        const guess = didYouMean(key, opts.extraKnown, 1);
        c.add(
          [...sectionPath, key],
          "unknown_key",
          `unknown key "${key}": no runner, pipeline or component in this scope reads it.${guess.length ? ` Did you mean "${guess[0]}"?` : ""}`,
          "key",
        );
      }
    }
  }
  return own;
}

/** Validates a resolved config against the registered plugins. Throws one ConfigError listing every problem. */
export function planWorkflow(source: ConfigSource, resolved: ResolvedConfig): WorkflowPlan {
  const c = new IssueCollector(source);
  c.issues.push(...resolved.issues);
  const data = resolved.data;
  if (resolved.issues.some((i) => i.code === "empty_config" || i.code === "not_a_mapping"))
    throw new ConfigError({ issues: c.issues });

  const pipelinesRaw = data.pipelines;
  const componentsRaw = data.components;
  const pipelineAttrs = isMapping(pipelinesRaw) ? Object.keys(pipelinesRaw) : [];
  const globalAttrs = isMapping(componentsRaw) ? Object.keys(componentsRaw) : [];

  // Top-level sections.
  for (const key of Object.keys(data)) {
    if (TOP_LEVEL_KEYS.includes(key) || pipelineAttrs.includes(key) || globalAttrs.includes(key)) continue;
    const guess = didYouMean(key, [...TOP_LEVEL_KEYS, ...pipelineAttrs, ...globalAttrs], 1);
    c.add(
      [key],
      "unknown_section",
      `unknown section "${key}": it is not a pipeline listed under pipelines:, a component listed under components:, or one of ${TOP_LEVEL_KEYS.slice(0, 5).join(", ")}.${guess.length ? ` Did you mean "${guess[0]}"?` : ""}`,
      "key",
    );
  }
  let pluginList: string[] | undefined;
  if (data.plugins !== undefined) {
    if (!Array.isArray(data.plugins) || data.plugins.some((p) => typeof p !== "string"))
      c.add(["plugins"], "invalid_type", "plugins must be a list of package names or relative paths");
    else pluginList = data.plugins as string[];
  }

  const orchestrator = orchestratorSection(c, data.orchestrator);

  // Runner.
  let runner: RegisteredType | undefined;
  if (data.runner === undefined)
    c.add(
      [],
      "missing_key",
      `missing required key "runner": name a runner type such as ClassificationRunner`,
    );
  else runner = resolveTypeRef(c, data.runner, "runner", ["runner"], "runner");
  if (data.config !== undefined && data.config !== null && !isMapping(data.config))
    c.add(["config"], "invalid_type", "config must be a mapping of key: value");
  const runnerRaw = (isMapping(data.config) ? data.config : {}) as Record<string, unknown>;

  // Global components.
  const kinds = knownKinds();
  const globalTypes: Array<{ attr: string; reg: RegisteredType }> = [];
  // Attributes whose type did not resolve: already reported, so no "missing component" on top.
  const unresolved = new Set<string>();
  if (componentsRaw !== undefined && componentsRaw !== null && !isMapping(componentsRaw))
    c.add(["components"], "invalid_type", "components must be a mapping of attribute: ComponentType");
  for (const attr of globalAttrs) {
    const reg = resolveTypeRef(
      c,
      (componentsRaw as Record<string, unknown>)[attr],
      kinds.has(attr) ? attr : undefined,
      ["components", attr],
      kinds.has(attr) ? attr : "component",
    );
    if (reg && (reg.kind === "runner" || reg.kind === "pipeline"))
      c.add(["components", attr], "wrong_kind", `${reg.type} is a ${reg.kind}, not a component`);
    else if (reg) globalTypes.push({ attr, reg });
    else unresolved.add(attr);
  }

  // Pipelines and their local components.
  if (data.pipelines === undefined)
    c.add(
      [],
      "missing_key",
      `missing required key "pipelines": map stage names to pipeline types, e.g. train: OfflineTrain`,
    );
  else if (!isMapping(pipelinesRaw))
    c.add(["pipelines"], "invalid_type", "pipelines must be a mapping of name: PipelineType");
  const pipelineTypes: Array<{
    attr: string;
    reg: RegisteredType;
    locals: Array<{ attr: string; reg: RegisteredType }>;
  }> = [];
  for (const attr of pipelineAttrs) {
    const reg = resolveTypeRef(
      c,
      (pipelinesRaw as Record<string, unknown>)[attr],
      "pipeline",
      ["pipelines", attr],
      "pipeline",
    );
    const section = data[attr];
    const locals: Array<{ attr: string; reg: RegisteredType }> = [];
    if (section !== undefined && section !== null && !isMapping(section)) {
      c.add(
        [attr],
        "invalid_type",
        `the ${attr} section must be a mapping with components:, config: and component sections`,
      );
    } else if (isMapping(section)) {
      const localRaw = section.components;
      if (localRaw !== undefined && localRaw !== null && !isMapping(localRaw))
        c.add(
          [attr, "components"],
          "invalid_type",
          "components must be a mapping of attribute: ComponentType",
        );
      const localAttrs = isMapping(localRaw) ? Object.keys(localRaw) : [];
      for (const la of localAttrs) {
        const lreg = resolveTypeRef(
          c,
          (localRaw as Record<string, unknown>)[la],
          kinds.has(la) ? la : undefined,
          [attr, "components", la],
          kinds.has(la) ? la : "component",
        );
        if (lreg && (lreg.kind === "runner" || lreg.kind === "pipeline"))
          c.add([attr, "components", la], "wrong_kind", `${lreg.type} is a ${lreg.kind}, not a component`);
        else if (lreg) locals.push({ attr: la, reg: lreg });
        else unresolved.add(`${attr}.${la}`);
      }
      for (const key of Object.keys(section)) {
        if (SECTION_KEYS.includes(key) || localAttrs.includes(key)) continue;
        if (globalAttrs.includes(key)) {
          c.add(
            [attr, key],
            "misplaced_section",
            `${key} is a global component: configure it in the top-level ${key}: section, or list it under ${attr}.components to make a local one`,
            "key",
          );
          continue;
        }
        const guess = didYouMean(key, [...SECTION_KEYS, ...localAttrs], 1);
        c.add(
          [attr, key],
          "unknown_key",
          `unknown key "${key}" in the ${attr} section: expected components:, config: or a section for one of its components (${localAttrs.join(", ") || "none listed"}).${guess.length ? ` Did you mean "${guess[0]}"?` : ""}`,
          "key",
        );
      }
    }
    if (reg) pipelineTypes.push({ attr, reg, locals });
  }

  // Sections of global components may only hold config.
  const checkComponentSection = (path: Path, value: unknown) => {
    if (value === undefined || value === null) return;
    if (!isMapping(value)) {
      c.add(path, "invalid_type", `the ${path.join(".")} section must be a mapping with a config: key`);
      return;
    }
    for (const key of Object.keys(value))
      if (key !== "config")
        c.add(
          [...path, key],
          "unknown_key",
          `unknown key "${key}": a component section holds only config:`,
          "key",
        );
  };
  for (const { attr } of globalTypes) checkComponentSection([attr], data[attr]);
  for (const p of pipelineTypes)
    for (const l of p.locals)
      checkComponentSection([p.attr, l.attr], (data[p.attr] as Record<string, unknown>)[l.attr]);

  // Requirements.
  if (runner?.definition.requiresPipelines) {
    for (const need of runner.definition.requiresPipelines) {
      if (!pipelineAttrs.includes(need))
        c.add(
          ["pipelines"],
          "missing_pipeline",
          `${runner.type} needs a "${need}" pipeline: add it under pipelines:`,
        );
    }
  }
  for (const p of pipelineTypes) {
    for (const need of p.reg.definition.requires ?? []) {
      const has =
        p.locals.some((l) => l.reg.kind === need) ||
        globalTypes.some((g) => g.reg.kind === need) ||
        unresolved.has(need) ||
        unresolved.has(`${p.attr}.${need}`);
      if (!has) {
        const example = exampleFor(need);
        c.add(
          data[p.attr] === undefined ? ["pipelines", p.attr] : [p.attr],
          "missing_component",
          `${p.reg.type} needs a ${need}: add "${need}: ${example}" under ${p.attr}.components (or under the top-level components:)`,
        );
      }
    }
  }

  // Local components a pipeline never looks up (only for pipelines that declare what they use).
  for (const p of pipelineTypes) {
    const def = p.reg.definition;
    if (!def.uses) continue;
    const used = new Set<string>([...(def.requires ?? []), ...def.uses, "notifier"]);
    for (const peer of [...p.locals, ...globalTypes])
      for (const k of peer.reg.definition.uses ?? []) used.add(k);
    for (const l of p.locals) {
      if (used.has(l.reg.kind)) continue;
      const kinds = [...new Set([...(def.requires ?? []), ...def.uses])];
      c.add(
        [p.attr, "components", l.attr],
        "unused_component",
        `${p.reg.type} does not use a ${l.reg.kind}, so ${l.reg.type} would never run: remove it from ${p.attr}.components (${p.reg.type} uses ${kinds.join(", ")}), or list it under the pipeline that uses it`,
        "key",
      );
    }
  }

  // Config validation, nearest-first inheritance.
  const secretPaths = resolved.secretPaths;
  const allDefs = [
    runner,
    ...globalTypes.map((g) => g.reg),
    ...pipelineTypes.flatMap((p) => [p.reg, ...p.locals.map((l) => l.reg)]),
  ].filter(Boolean) as RegisteredType[];
  const runnerKnown = new Set<string>(allDefs.flatMap((r) => declaredKeys(r.definition)));
  const problemType = runner?.definition.problemType;
  const runnerConfig = runner
    ? validateSection(c, runner.definition, data.config, ["config"], [], secretPaths, {
        allowExtra: true,
        extraKnown: runnerKnown,
        referenced: resolved.referenced,
        check: { path: "runner", problemType },
      })
    : runnerRaw;
  const runnerParent = { config: runnerConfig, path: ["config"] as Path };
  const components: ComponentPlan[] = globalTypes.map(({ attr, reg }) => ({
    attr,
    path: attr,
    kind: reg.kind,
    type: reg.type,
    registered: reg,
    config: validateSection(
      c,
      reg.definition,
      (data[attr] as Record<string, unknown> | undefined)?.config,
      [attr, "config"],
      [runnerParent],
      secretPaths,
      { allowExtra: false, check: { path: attr, problemType } },
    ),
  }));
  const pipelines: PipelinePlan[] = pipelineTypes.map(({ attr, reg, locals }) => {
    const section = (data[attr] ?? {}) as Record<string, unknown>;
    const known = new Set<string>(
      [reg, ...locals.map((l) => l.reg)].flatMap((r) => declaredKeys(r.definition)),
    );
    const config = validateSection(
      c,
      reg.definition,
      section.config,
      [attr, "config"],
      [runnerParent],
      secretPaths,
      {
        allowExtra: true,
        extraKnown: known,
        referenced: resolved.referenced,
        check: { path: attr, problemType },
      },
    );
    const pipelineParent = { config, path: [attr, "config"] as Path };
    return {
      attr,
      path: attr,
      type: reg.type,
      registered: reg,
      config,
      components: locals.map((l) => ({
        attr: l.attr,
        path: `${attr}.${l.attr}`,
        kind: l.reg.kind,
        type: l.reg.type,
        registered: l.reg,
        config: validateSection(
          c,
          l.reg.definition,
          (section[l.attr] as Record<string, unknown> | undefined)?.config,
          [attr, l.attr, "config"],
          [pipelineParent, runnerParent],
          secretPaths,
          { allowExtra: false, check: { path: `${attr}.${l.attr}`, problemType } },
        ),
      })),
    };
  });

  // Checks over the whole plan (only on an otherwise valid config: they read validated configs; an
  // unused component is valid config, and a definition's check may say more about it).
  if (c.issues.every((i) => i.code === "unused_component") && runner) {
    const view = { runner: { type: runner.type, config: runnerConfig }, components, pipelines };
    const owners: Array<[AnyDefinition, { attr: string; path: string }]> = [
      [runner.definition, { attr: "runner", path: "runner" }],
      ...components.map((g): [AnyDefinition, { attr: string; path: string }] => [
        g.registered.definition,
        { attr: g.attr, path: g.path },
      ]),
      ...pipelines.flatMap((p) => [
        [p.registered.definition, { attr: p.attr, path: p.path }] as [
          AnyDefinition,
          { attr: string; path: string },
        ],
        ...p.components.map((l): [AnyDefinition, { attr: string; path: string }] => [
          l.registered.definition,
          { attr: l.attr, path: l.path },
        ]),
      ]),
    ];
    const specific = new Set<string>();
    for (const [def, self] of owners)
      for (const issue of def.checkPlan?.(view, self) ?? []) {
        c.add(issue.path, issue.code, issue.message);
        specific.add(issue.path.join("."));
      }
    // A definition's own check says more than the generic "never looked up" one at the same path.
    for (let i = c.issues.length - 1; i >= 0; i--) {
      const issue = c.issues[i]!;
      if (issue.code === "unused_component" && specific.has(issue.path)) c.issues.splice(i, 1);
    }
  }

  if (c.issues.length > 0) {
    const allUnknown = c.issues.every((i) => i.code === "unknown_type");
    throw allUnknown
      ? new UnknownComponentError({ issues: c.issues })
      : new ConfigError({ issues: c.issues });
  }
  const plugins = new Map<string, string>();
  for (const r of allDefs) plugins.set(r.plugin, r.pluginVersion);
  return {
    file: source.file,
    source,
    runner: { type: runner!.type, registered: runner!, config: runnerConfig },
    components,
    pipelines,
    resolved: data,
    redacted: redactValue(data, secretPaths),
    secretPaths,
    plugins: [...plugins].map(([name, version]) => ({ name, version })),
    ...(pluginList ? { pluginList } : {}),
    ...(orchestrator ? { orchestrator } : {}),
  };
}

/**
 * Reads `orchestrator:`: a type name (`orchestrator: TemporalOrchestrator`) or a mapping with a
 * `type` and the orchestrator's own keys. The keys are checked by the orchestrator's package when
 * it is used (`lolpop validate` loads it when it is installed).
 */
function orchestratorSection(c: IssueCollector, raw: unknown): OrchestratorPlan | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "string" && raw.trim() !== "") return { type: raw.trim(), config: {} };
  if (isMapping(raw) && typeof raw.type === "string" && raw.type.trim() !== "") {
    const { type, ...config } = raw;
    return { type: (type as string).trim(), config };
  }
  c.add(
    ["orchestrator"],
    "invalid_type",
    "orchestrator must be a type name (e.g. TemporalOrchestrator) or a mapping with type: and the orchestrator's settings",
  );
  return undefined;
}

/** Validates config for a component created on demand (`ctx.createComponent`). */
export function validateComponentConfig(
  source: ConfigSource,
  def: AnyDefinition,
  config: Record<string, unknown>,
  path: Path,
  parents: ReadonlyArray<{ config: Record<string, unknown>; path: Path }>,
  problemType?: ProblemType,
): Record<string, unknown> {
  const c = new IssueCollector(source);
  const owner = path[path.length - 1] === "config" ? path.slice(0, -1) : path;
  const out = validateSection(c, def, config, path, parents, new Set(), {
    allowExtra: false,
    check: { path: owner.join("."), problemType },
  });
  if (c.issues.length) throw new ConfigError({ issues: c.issues });
  return out;
}

/**
 * A config error raised while building or running a workflow, with every issue located in the
 * config file: issues without a file get `source`'s file and the line of their YAML path (or of
 * its nearest existing ancestor). Returns the same error when every issue is located.
 */
export function locateConfigError(error: ConfigError, source: ConfigSource): ConfigError {
  if (error.issues.every((i) => i.file !== undefined)) return error;
  const issues = error.issues.map((i) => {
    if (i.file !== undefined) return i;
    const path = i.path ? i.path.split(".").map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : [];
    const loc = source.locate(path);
    return { ...i, file: source.file, ...(loc ? { line: loc.line, column: loc.column } : {}) };
  });
  return new ConfigError({ issues, code: error.code, cause: error });
}

/** Parses nothing: resolves and plans an already loaded source in one step. */
export function planFromSource(source: ConfigSource, env: NodeJS.ProcessEnv = process.env): WorkflowPlan {
  return planWorkflow(source, resolveConfig(source, env));
}
