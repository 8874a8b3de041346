/**
 * Config schemas of installed component types, for `lolpop plugins info` (a table per component) and
 * `lolpop schema` (one JSON Schema for lolpop.yaml). Pure functions: the schemas come from
 * `componentInfos` (loader.ts).
 */
import type { JsonSchema } from "@lolpop/core";

/** One component type with its config schema. */
export interface ComponentInfo {
  plugin: string;
  kind: string;
  type: string;
  description?: string;
  configSchema: JsonSchema;
  /** Where the schema came from: the manifest's schema file, or the plugin's code. */
  source: "manifest" | "code";
}

/** One row of a config table. */
export interface ConfigKeyRow {
  /** Dotted key below `config`, e.g. `training_params.n_estimators`. */
  key: string;
  type: string;
  /** JSON of the default, `(required)`, or empty. */
  default: string;
  description: string;
}

/** Short type text of a schema: `integer`, `string | null`, `"a" | "b"`, `number[]`, `mapping`. */
export function typeText(s: JsonSchema | undefined): string {
  if (!s || typeof s !== "object") return "any";
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alts = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(alts)) return [...new Set(alts.map(typeText))].join(" | ");
  const t = s.type;
  const one = (name: unknown): string => {
    if (name === "array") {
      const items = s.items as JsonSchema | undefined;
      return items && !Array.isArray(items) ? `${typeText(items)}[]` : "list";
    }
    if (name === "object") return "mapping";
    return String(name);
  };
  if (Array.isArray(t)) return t.map(one).join(" | ");
  if (t !== undefined) return one(t);
  if (s.properties) return "mapping";
  return "any";
}

/** Flattens a config schema into rows, one per key (nested mappings as dotted keys). */
export function configRows(schema: JsonSchema, prefix = "", depth = 0): ConfigKeyRow[] {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows: ConfigKeyRow[] = [];
  for (const [key, s] of Object.entries(props)) {
    const full = prefix ? `${prefix}.${key}` : key;
    rows.push({
      key: full,
      type: typeText(s),
      default: required.has(key) ? "(required)" : s.default === undefined ? "" : JSON.stringify(s.default),
      description: typeof s.description === "string" ? s.description : "",
    });
    if (depth < 2 && s && typeof s === "object" && s.properties) rows.push(...configRows(s, full, depth + 1));
  }
  return rows;
}

/** Key of a type's section schema under `definitions` (letters, digits and `_` only, safe in a `$ref`). */
function defKey(type: string): string {
  return `type_${type.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function ref(type: string): { $ref: string } {
  return { $ref: `#/definitions/${defKey(type)}` };
}

/**
 * A component's config schema as used in the file schema: without `$schema`/`$id` (they would change
 * how refs inside resolve) and without top-level `required` (required keys may be inherited from the
 * pipeline's or runner's config).
 */
function sectionConfig(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, required: _r, ...rest } = schema;
  return rest;
}

/**
 * One JSON Schema (draft-07) for a whole lolpop.yaml from the installed component types: runner and
 * pipeline names, the component types of each kind under `components:`, and each component's
 * `config` checked against its type's schema wherever the section names that type.
 */
export function buildConfigSchema(infos: ComponentInfo[]): JsonSchema {
  const byKind = new Map<string, ComponentInfo[]>();
  const counts = new Map<string, number>();
  for (const i of infos) {
    byKind.set(i.kind, [...(byKind.get(i.kind) ?? []), i]);
    counts.set(i.type, (counts.get(i.type) ?? 0) + 1);
  }
  // A type provided by two plugins is ambiguous: only its qualified names are offered.
  const names = (i: ComponentInfo) =>
    counts.get(i.type)! > 1 ? [`${i.plugin}/${i.type}`] : [i.type, `${i.plugin}/${i.type}`];
  const typeEnum = (list: ComponentInfo[]) => ({ enum: [...new Set(list.flatMap(names))].sort() });
  const components = infos.filter((i) => i.kind !== "runner" && i.kind !== "pipeline");
  const componentKinds = [...byKind.keys()].filter((k) => k !== "runner" && k !== "pipeline").sort();

  const definitions: Record<string, JsonSchema> = {};
  for (const i of infos) {
    for (const name of names(i)) {
      definitions[defKey(name)] = {
        type: "object",
        description: `Section of a ${i.type} (${i.plugin}).`,
        properties: {
          config: { ...sectionConfig(i.configSchema), description: i.description ?? `${i.type} config` },
        },
        additionalProperties: false,
      };
    }
  }
  const anyConfig = {
    type: "object",
    description: "Values visible to every component below unless overridden (nearest first).",
  };
  definitions.components = {
    type: "object",
    description: "Components by attribute name (usually the kind): attribute: ComponentType.",
    properties: Object.fromEntries(
      componentKinds.map((k) => [k, { ...typeEnum(byKind.get(k)!), description: `A ${k} type.` }]),
    ),
    additionalProperties: components.length ? typeEnum(components) : { type: "string" },
  };
  // `if components.<kind> is T then <kind>: is a T section`, for global and pipeline-local sections.
  const sectionRules = componentKinds.flatMap((k) =>
    byKind.get(k)!.flatMap((i) =>
      names(i).map((name) => ({
        if: {
          properties: { components: { properties: { [k]: { const: name } }, required: [k] } },
          required: ["components"],
        },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
        then: { properties: { [k]: ref(name) } },
      })),
    ),
  );
  definitions.section = {
    type: "object",
    description:
      "A pipeline's section (components:, config:, one section per local component) or a global component's section (config:).",
    properties: {
      components: { $ref: "#/definitions/components" },
      config: anyConfig,
    },
    additionalProperties: {
      type: "object",
      properties: { config: { type: "object" } },
      additionalProperties: false,
    },
    allOf: sectionRules,
  };
  const hook = {
    type: "object",
    required: ["hook_file", "hook_method"],
    properties: {
      hook_file: { type: "string", description: "Module with the hook, relative to this file." },
      hook_method: { type: "string", description: "Exported function to call." },
      hook_on_error: {
        enum: ["fail", "warn", "stop"],
        default: "fail",
        description: "fail: the test fails and the run goes on; warn: reported only; stop: the run stops.",
      },
      name: { type: "string", description: "Label in the report." },
    },
    additionalProperties: false,
  };
  // A tests entry: hooks of one method, or nested path segments (train: {model_trainer: {fit: ...}}).
  definitions.tests = {
    type: "object",
    properties: {
      pre_hooks: {
        type: "array",
        items: hook,
        description: "Hooks called before the method with its arguments.",
      },
      post_hooks: {
        type: "array",
        items: hook,
        description: "Hooks called after the method with its output.",
      },
    },
    additionalProperties: { $ref: "#/definitions/tests" },
  };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "lolpop workflow config",
    description: "Generated by `lolpop schema` from the plugins installed in this project.",
    type: "object",
    required: ["runner", "pipelines"],
    properties: {
      $schema: { type: "string" },
      name: { type: "string", description: "Workflow name." },
      description: { type: "string" },
      runner: { ...typeEnum(byKind.get("runner") ?? []), description: "The runner type." },
      config: anyConfig,
      plugins: {
        type: "array",
        items: { type: "string" },
        description:
          "Exactly these plugin packages (names or relative paths) instead of the project's dependencies.",
      },
      components: { $ref: "#/definitions/components" },
      pipelines: {
        type: "object",
        description: "Pipelines by stage name: process, train, deploy, predict...",
        additionalProperties: typeEnum(byKind.get("pipeline") ?? []),
      },
      tests: {
        type: "object",
        description:
          "Workflow tests for `lolpop test`: `path.method` (e.g. train.model_trainer.fit) to pre_hooks / post_hooks.",
        additionalProperties: { $ref: "#/definitions/tests" },
      },
    },
    additionalProperties: { $ref: "#/definitions/section" },
    allOf: sectionRules,
    definitions,
  };
}
