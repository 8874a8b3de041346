import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { didYouMean } from "../catalog.js";
import { schemaCacheDir } from "../code-cache.js";
import { ajvConstructor } from "../lazy-deps.js";
import type { JsonSchema } from "../plugin.js";
import { isSecretKey } from "../redact.js";
import { loadCachedValidator, schemaCacheEntry, storeCachedValidator } from "./schema-cache.js";

const require = createRequire(import.meta.url);

/** ajv's options for config schemas (part of every validator cache entry's key). */
export const AJV_OPTIONS = {
  allErrors: true,
  useDefaults: true,
  strict: false,
  coerceTypes: false,
  allowUnionTypes: true,
} as const;

let ajvInstance: InstanceType<ReturnType<typeof ajvConstructor>> | undefined;
function ajv() {
  const Ajv = ajvConstructor();
  // `code.source` keeps each validator's code, so it can be stored in the schema cache.
  ajvInstance ??= new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  return ajvInstance;
}
const cache = new WeakMap<object, ValidateFunction>();
/** What to do after a cached validator's first use (store its V8 code cache), by validator. */
const firstUse = new WeakMap<ValidateFunction, () => void>();

/** A schema's validator: from the disk cache when it has one (ajv is not even loaded), else compiled and stored. */
function compile(schema: JsonSchema): ValidateFunction {
  const dir = schemaCacheDir();
  if (!dir) return ajv().compile(schema);
  const entry = schemaCacheEntry(schema, AJV_OPTIONS);
  const cached = loadCachedValidator(dir, entry);
  if (cached) {
    if (cached.afterFirstUse) firstUse.set(cached.validate, cached.afterFirstUse);
    return cached.validate;
  }
  const instance = ajv();
  const validate = instance.compile(schema);
  const standalone = require("ajv/dist/standalone") as {
    default: (a: typeof instance, v: ValidateFunction) => string;
  };
  storeCachedValidator(dir, entry, standalone.default(instance, validate));
  return validate;
}

/** A schema problem, path relative to the validated object. */
export interface SchemaProblem {
  path: Array<string | number>;
  code: string;
  message: string;
}

/** Compiles (once per schema object) and runs validation; mutates `value` to apply defaults. */
export function validateAgainstSchema(
  schema: JsonSchema,
  value: Record<string, unknown>,
  options: { isSecretPath?: (path: Array<string | number>) => boolean } = {},
): SchemaProblem[] {
  let validate = cache.get(schema);
  if (!validate) {
    validate = compile(schema);
    cache.set(schema, validate);
  }
  const valid = validate(value);
  const after = firstUse.get(validate);
  if (after) {
    firstUse.delete(validate);
    after();
  }
  if (valid) return [];
  // An `if` failure only says "must match then": the `then` keyword's own errors say what is wrong.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== "if");
  return dedupe(errors.map((e) => describe(e, schema, value, options.isSecretPath)));
}

function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path.join(".")}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function pointerToPath(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(root: unknown, path: Array<string | number>): unknown {
  let cur = root;
  for (const seg of path) cur = (cur as Record<string | number, unknown> | undefined)?.[seg];
  return cur;
}

function schemaAt(schema: JsonSchema, schemaPath: string): JsonSchema | undefined {
  let cur: unknown = schema;
  for (const seg of schemaPath.replace(/^#\//, "").split("/").slice(0, -1))
    cur = (cur as Record<string, unknown> | undefined)?.[seg];
  return cur as JsonSchema | undefined;
}

function show(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (value === null) return "null";
  if (typeof value === "object") return "mapping";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function describe(
  e: ErrorObject,
  schema: JsonSchema,
  root: unknown,
  isSecretPath?: (p: Array<string | number>) => boolean,
): SchemaProblem {
  const path = pointerToPath(e.instancePath);
  const value = valueAt(root, path);
  const secret = path.some((p) => typeof p === "string" && isSecretKey(p)) || (isSecretPath?.(path) ?? false);
  const got = secret ? "" : ` (got ${show(value)})`;
  const gotType = secret
    ? ` (got a ${typeName(value)}; value hidden because it is secret)`
    : ` (got ${typeName(value)} ${show(value)})`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required": {
      // A conditional requirement (`if`/`then`) explains itself by the `then` schema's description.
      const why = e.schemaPath.includes("/then/") ? schemaAt(schema, e.schemaPath)?.description : undefined;
      return {
        path: [...path, String(p.missingProperty)],
        code: "missing_key",
        message: `missing required key "${String(p.missingProperty)}"${typeof why === "string" ? `: ${why}` : ""}`,
      };
    }
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const parent = schemaAt(schema, e.schemaPath);
      const allowed = Object.keys((parent?.properties as Record<string, unknown>) ?? {});
      const guess = didYouMean(key, allowed, 1);
      return {
        path: [...path, key],
        code: "unknown_key",
        message: `unknown key "${key}"${guess.length ? `; did you mean "${guess[0]}"?` : ""}${allowed.length ? ` Allowed keys: ${allowed.join(", ")}` : ""}`,
      };
    }
    case "type":
      return {
        path,
        code: "invalid_type",
        message: `must be ${String(p.type).replace(/,/g, " or ")}${gotType}`,
      };
    case "enum": {
      const allowed = p.allowedValues as unknown[];
      const guess =
        typeof value === "string" && !secret
          ? didYouMean(
              value,
              allowed.filter((v): v is string => typeof v === "string"),
              1,
            )
          : [];
      return {
        path,
        code: "invalid_value",
        message: `${guess.length ? `did you mean ${JSON.stringify(guess[0])}? ` : ""}must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}${got}`,
      };
    }
    case "const":
      return { path, code: "invalid_value", message: `must be ${JSON.stringify(p.allowedValue)}${got}` };
    default:
      return { path, code: "invalid_value", message: `${e.message ?? "is invalid"}${got}` };
  }
}
