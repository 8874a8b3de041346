/**
 * A plugin described from the data its package ships (`lolpop.validation`, `./dist/validation.json`,
 * generated at build time from the definitions by `scripts/write-config-schemas.mjs`), so that
 * `lolpop validate` can plan a config without importing the plugin's code. A described plugin has
 * every definition's kind, type, config schema, `requires`/`uses`/`requiresPipelines`/`problemType`,
 * and the code checks its small checks module (`lolpop.configChecks`) exports; its `create` throws.
 * Registering the real plugin of the same name replaces its description (see `registerPlugin`).
 */

import type { ProblemType } from "./contracts.js";
import { PluginLoadError } from "./errors.js";
import {
  type AnyDefinition,
  type ConfigCheckInfo,
  type ConfigCheckIssue,
  definePipeline,
  definePlugin,
  defineRunner,
  type JsonSchema,
  type PlanCheck,
  type Plugin,
} from "./plugin.js";

/** Format of `validation.json` this core reads (a file of another format is ignored: the plugin is imported). */
export const VALIDATION_DATA_FORMAT = 1;

/** Where a type's code checks (`checkConfig`, `checkPlan`) live. */
export type ValidationChecks = "none" | "module" | "plugin";

/** One type of a plugin's `validation.json`. */
export interface ValidationTypeData {
  kind: string;
  type: string;
  requires?: string[];
  uses?: string[];
  requiresPipelines?: string[];
  problemType?: ProblemType;
  /**
   * `none`: the schema is all there is; `module`: the checks module (`lolpop.configChecks`) exports
   * them; `plugin`: only the plugin's code has them (validate imports the plugin).
   */
  checks: ValidationChecks;
}

/** The content of a plugin's `validation.json`. */
export interface ValidationData {
  format: number;
  /** Package name and version the file was generated for (a different installed version = stale). */
  plugin: string;
  version: string;
  apiVersion: number;
  types: ValidationTypeData[];
}

/** The code checks of one type, as a checks module exports them (`export const configChecks = {Type: {...}}`). */
export interface TypeCodeChecks {
  checkConfig?: (config: any, info: ConfigCheckInfo) => readonly ConfigCheckIssue[] | undefined;
  checkPlan?: PlanCheck;
}

const DESCRIBED = Symbol.for("lolpop.describedPlugin@1");

/** True for a plugin made by {@link describePlugin} (by any copy of core). */
export function isDescribedPlugin(plugin: unknown): boolean {
  return typeof plugin === "object" && plugin !== null && DESCRIBED in plugin;
}

/**
 * The validation data of a package when it can stand for the plugin's code: right format, same
 * package name and version as the installed package.json, and every type has a schema. Else undefined.
 */
export function usableValidationData(
  data: unknown,
  pkg: { name: string; version: string },
  schemas: Record<string, unknown> | undefined,
): ValidationData | undefined {
  const d = data as Partial<ValidationData> | null;
  if (!d || typeof d !== "object" || d.format !== VALIDATION_DATA_FORMAT) return undefined;
  if (d.plugin !== pkg.name || d.version !== pkg.version || !Array.isArray(d.types)) return undefined;
  if (!schemas || !d.types.every((t) => t && typeof t.type === "string" && schemas[t.type])) return undefined;
  return d as ValidationData;
}

/**
 * A plugin object from validation data, the shipped schemas and the checks module's exports. Its
 * definitions plan and validate like the real ones; their `create` throws (import the plugin to build).
 */
export function describePlugin(
  data: ValidationData,
  schemas: Record<string, JsonSchema>,
  checks: Record<string, TypeCodeChecks> = {},
): Plugin {
  const components: AnyDefinition[] = data.types.map((t) => {
    const { description, ...schema } = schemas[t.type] as JsonSchema & { description?: string };
    const create = () => {
      throw new PluginLoadError({
        plugin: data.plugin,
        message: `${t.type} of ${data.plugin} was described from its package data for validation only: import the plugin to build it`,
      });
    };
    const code: TypeCodeChecks =
      t.checks === "module"
        ? (checks[t.type] ?? {})
        : t.checks === "plugin"
          ? {
              // Only the plugin's code has this type's checks: a host imports the plugin for a
              // config that uses it; if a description is used anyway, say so rather than pass.
              checkConfig: () => [
                {
                  path: [],
                  code: "config_checks_unavailable",
                  message: `the config checks of ${t.type} are code of ${data.plugin}, which was not loaded: validate with the plugin installed and importable`,
                },
              ],
            }
          : {};
    const common = {
      type: t.type,
      ...(typeof description === "string" ? { description } : {}),
      configSchema: schema,
      ...(t.uses ? { uses: t.uses } : {}),
      ...(code.checkConfig ? { checkConfig: code.checkConfig } : {}),
      ...(code.checkPlan ? { checkPlan: code.checkPlan } : {}),
      create,
    };
    if (t.kind === "runner")
      return defineRunner({
        ...common,
        ...(t.requiresPipelines ? { requiresPipelines: t.requiresPipelines } : {}),
        ...(t.problemType ? { problemType: t.problemType } : {}),
      }) as AnyDefinition;
    if (t.kind === "pipeline")
      return definePipeline({ ...common, ...(t.requires ? { requires: t.requires } : {}) }) as AnyDefinition;
    // A component of any kind: defineComponent's brand without its kind-typed signature.
    return Object.freeze({ ...definePipeline(common), kind: t.kind }) as AnyDefinition;
  });
  const plugin = definePlugin({
    name: data.plugin,
    version: data.version,
    apiVersion: data.apiVersion,
    components,
  });
  return Object.freeze(Object.defineProperty({ ...plugin }, DESCRIBED, { value: true, enumerable: false }));
}

/**
 * The config schemas file of a plugin (`lolpop.configSchemas`, `./dist/schemas.json`): each
 * type's config JSON Schema, with the type's description. Written at build time; `lolpop plugins
 * info`, `lolpop schema` and `lolpop validate` read it instead of importing the plugin.
 */
export function configSchemasOf(plugin: Plugin): Record<string, JsonSchema> {
  return Object.fromEntries(
    plugin.components.map((c) => [
      c.type,
      { ...c.configSchema, ...(c.description ? { description: c.description } : {}) },
    ]),
  );
}

const CODE_CHECKS = ["checkConfig", "checkPlan"] as const;

/**
 * The validation data of a plugin (`lolpop.validation`, `./dist/validation.json`), written at build
 * time from its definitions: what `lolpop validate` needs besides the schemas to plan a config
 * without importing the plugin. A type's code checks are `module` when `checks` (the `configChecks`
 * export of the plugin's small checks module, `lolpop.configChecks`) holds the very functions its
 * definition uses, else `plugin` (validate then imports the plugin). The data names the package
 * version: for any other installed version it is stale (see {@link usableValidationData}).
 * @throws Error when `checks` exports a function that is not the check of that type's definition
 *   (the checks module must be where the definition takes its checks from).
 */
export function validationDataOf(
  plugin: Plugin,
  pkg: { name: string; version: string },
  checks: Record<string, TypeCodeChecks> = {},
): ValidationData {
  for (const [type, fns] of Object.entries(checks)) {
    const def = plugin.components.find((c) => c.type === type) as Record<string, unknown> | undefined;
    for (const [k, fn] of Object.entries(fns ?? {}))
      if (!def || !(CODE_CHECKS as readonly string[]).includes(k) || def[k] !== fn)
        throw new Error(
          `configChecks.${type}.${k} is not ${def ? `the ${k} of ${type}'s definition` : `a type of ${pkg.name}`}: define the check once in the checks module and use it in the definition`,
        );
  }
  const list = (v: unknown) => (Array.isArray(v) ? ([...v] as string[]) : undefined);
  return {
    format: VALIDATION_DATA_FORMAT,
    plugin: pkg.name,
    version: pkg.version,
    apiVersion: plugin.apiVersion,
    types: plugin.components.map((c) => {
      const def = c as unknown as Record<string, unknown>;
      const code = CODE_CHECKS.filter((k) => typeof def[k] === "function");
      const inModule = code.every(
        (k) => (checks[c.type] as Record<string, unknown> | undefined)?.[k] === def[k],
      );
      const requires = list(def.requires);
      const uses = list(def.uses);
      const requiresPipelines = list(def.requiresPipelines);
      return {
        kind: c.kind,
        type: c.type,
        ...(requires ? { requires } : {}),
        ...(uses ? { uses } : {}),
        ...(requiresPipelines ? { requiresPipelines } : {}),
        ...(def.problemType ? { problemType: def.problemType as ProblemType } : {}),
        checks: code.length === 0 ? "none" : inModule ? "module" : "plugin",
      };
    }),
  };
}
