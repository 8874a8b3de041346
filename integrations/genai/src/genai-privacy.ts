/**
 * What may be sent to a language model: code, schemas and config, never data rows or secret values.
 * These helpers prepare config for a prompt: values under secret-looking keys and registered secret
 * values (resolved `${env:...}` values, API keys) become the placeholder `<secret>`; `${env:NAME}`
 * references in YAML source stay as written (they name a variable, not its value).
 */
import { isSecretKey, REDACTED, redactText } from "@lolpop/core";
import { isMap, isScalar, isSeq, parseDocument, visit } from "yaml";

/** What a secret value is replaced with in a prompt. */
export const SECRET_PLACEHOLDER = "<secret>";

const ENV_ONLY = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/;

/** Text with every registered secret value replaced by {@link SECRET_PLACEHOLDER}. */
export function scrubForPrompt(text: string): string {
  const redacted = redactText(text);
  return redacted === text ? text : redacted.split(REDACTED).join(SECRET_PLACEHOLDER);
}

/**
 * A deep copy of a (resolved) config value for a prompt: values under secret-looking keys, values at
 * `secretPaths` (dotted paths, e.g. those that came from the environment), and registered secret
 * values inside strings are replaced by {@link SECRET_PLACEHOLDER}.
 */
export function redactForPrompt<T>(value: T, secretPaths: ReadonlySet<string> = new Set(), basePath = ""): T {
  const walk = (v: unknown, path: string): unknown => {
    if (path && secretPaths.has(path)) return SECRET_PLACEHOLDER;
    if (typeof v === "string") return scrubForPrompt(v);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, path ? `${path}.${i}` : String(i)));
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const child = path ? `${path}.${k}` : k;
        out[k] =
          isSecretKey(k) && x !== null && x !== undefined && typeof x !== "object"
            ? SECRET_PLACEHOLDER
            : walk(x, child);
      }
      return out;
    }
    return v;
  };
  return walk(value, basePath) as T;
}

/**
 * YAML source (e.g. lolpop.yaml) for a prompt, comments and layout kept: a scalar under a
 * secret-looking key becomes {@link SECRET_PLACEHOLDER} unless it is only an `${env:NAME}` reference,
 * and registered secret values anywhere are replaced. Text that is not valid YAML is only scrubbed of
 * registered secrets.
 */
export function yamlForPrompt(source: string): string {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) return scrubForPrompt(source);
  let changed = false;
  const hide = (node: unknown): void => {
    if (isScalar(node)) {
      if (node.value === null || node.value === undefined) return;
      if (typeof node.value === "string" && ENV_ONLY.test(node.value.trim())) return;
      node.value = SECRET_PLACEHOLDER;
      changed = true;
    } else if (isMap(node)) {
      for (const item of node.items) hide(item.value);
    } else if (isSeq(node)) {
      for (const item of node.items) hide(item);
    }
  };
  visit(doc, {
    Pair(_key, pair) {
      const k = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (k && isSecretKey(k)) {
        hide(pair.value);
        // The value is handled: do not visit inside it.
        return visit.SKIP;
      }
      return undefined;
    },
  });
  return scrubForPrompt(changed ? doc.toString() : source);
}
