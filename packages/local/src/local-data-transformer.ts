/**
 * LocalDataTransformer: turns raw data into the table the workflow trains on, either with a user
 * module (`module: transforms/prepare.ts`, exporting `transform(table, ctx)`, see
 * `local-data-transformer-module.ts`) or with declarative `steps` (drop, rename, cast, derive,
 * filter, dropna, see `local-data-transformer-steps.ts`, whose expressions are the language of
 * `local-data-transformer-expression.ts`).
 */
import {
  ConfigError,
  configIssuesOf,
  DataError,
  type DataTransformer,
  defineComponent,
  type JsonSchema,
  type Table,
} from "@lolpop/core";
import { codeTreeFingerprint } from "./local-code-fingerprint.js";
import {
  describeValue,
  isTable,
  loadTransformFunction,
  moduleFingerprint,
  type TransformFunction,
} from "./local-data-transformer-module.js";
import { applyStep, compileSteps, STEP_SCHEMA, type TransformStep } from "./local-data-transformer-steps.js";

/** Config of {@link localDataTransformer}. */
export interface LocalDataTransformerConfig {
  /** User module (relative to the project root): .js, .mjs or .ts. Default: none. */
  module?: string | null;
  /** Name of the function the module exports. Default `transform`. */
  function: string;
  /** Declarative steps, applied in order. Default `[]`. */
  steps: TransformStep[];
}

/** An instance of {@link localDataTransformer}: the `DataTransformer` contract. */
export type LocalDataTransformer = DataTransformer;

/** JSON Schema of {@link localDataTransformer}'s config. */
export const localDataTransformerConfigSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    module: {
      type: ["string", "null"],
      minLength: 1,
      description:
        "Path (relative to the project root) of a .js, .mjs or .ts module exporting the transform function. A .ts module is compiled on its own; its imports are resolved from its folder.",
      default: null,
    },
    function: {
      type: "string",
      minLength: 1,
      description:
        "Name of the exported function called as fn(table, ctx); it returns a Table (or a Promise of one).",
      default: "transform",
    },
    steps: {
      type: "array",
      items: STEP_SCHEMA,
      description:
        "Declarative steps applied in order: {drop: [cols]}, {rename: {old: new}}, {cast: {col: numeric|categorical|bool}}, {derive: {name, expr}}, {filter: expr}, {dropna: [cols]}.",
      default: [],
    },
  },
};

/**
 * Checks `module` / `steps` (exactly one of them) and compiles the steps' expressions.
 * @throws ConfigError at `<path>.config...` for each problem.
 */
function checkTransformerConfig(
  cfg: LocalDataTransformerConfig,
  path: string,
): ReturnType<typeof compileSteps> {
  const steps = cfg.steps ?? [];
  const configPath = `${path}.config`;
  if (cfg.module && steps.length) {
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: `${configPath}.module`,
          message: "set either `module` or `steps`, not both",
        },
      ],
    });
  }
  if (!cfg.module && !steps.length) {
    throw new ConfigError({
      issues: [
        {
          code: "missing_key",
          path: configPath,
          message: "LocalDataTransformer needs `module` (a transform file) or `steps`",
        },
      ],
    });
  }
  return compileSteps(steps, configPath);
}

/**
 * `LocalDataTransformer` (kind `data_transformer`): applies a user module's `transform(table, ctx)`
 * (`.js`, `.mjs`, or `.ts` compiled by esbuild into a temporary file outside the project) or a list
 * of declarative `steps`. Exactly one of `module` and `steps` must be set. The input table is never
 * mutated. `code_fingerprint()` gives the module's SHA-256, which model versions record.
 */
export const localDataTransformer = defineComponent<"data_transformer", LocalDataTransformerConfig>({
  kind: "data_transformer",
  type: "LocalDataTransformer",
  description: "Transforms data with a user module (.js/.mjs/.ts) or declarative steps",
  configSchema: localDataTransformerConfigSchema,
  checkConfig: (config, info) => configIssuesOf(info.path, () => checkTransformerConfig(config, info.path)),
  create(ctx) {
    const cfg = ctx.config;
    const compiled = checkTransformerConfig(cfg, ctx.path);
    const fnName = cfg.function ?? "transform";
    let loaded: Promise<TransformFunction> | undefined;

    return {
      async transform(table: Table): Promise<Table> {
        if (cfg.module) {
          loaded ??= loadTransformFunction(cfg.module, fnName, ctx.project.root);
          let fn: TransformFunction;
          try {
            fn = await loaded;
          } catch (e) {
            loaded = undefined;
            throw e;
          }
          const result = await fn(table, ctx);
          if (!isTable(result)) {
            throw new DataError({
              message: `data_transformer: ${cfg.module} ${fnName}() returned ${describeValue(result)}, a Table was expected (return e.g. table.withColumn(...) or Table.fromColumns(...))`,
              code: "module_invalid",
            });
          }
          return result;
        }
        let t = table;
        for (const step of compiled) {
          ctx.signal.throwIfAborted();
          t = applyStep(step, t, ctx);
        }
        return t;
      },
      /** A user module's content hash (saved with model versions); undefined with `steps`. */
      async code_fingerprint() {
        return cfg.module ? moduleFingerprint(cfg.module, ctx.project.root) : undefined;
      },
      /** The module and its local imports, hashed (the step cache's key); undefined with `steps`. */
      async code_tree_fingerprint() {
        return cfg.module ? (await codeTreeFingerprint(cfg.module, ctx.project.root)).sha256 : undefined;
      },
    } satisfies DataTransformer;
  },
});
