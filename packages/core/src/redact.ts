/**
 * Secret redaction. Two sources of secrets: config values that came from the environment
 * (`${env:NAME}`), and values under keys that look secret (password, token, secret, api key...).
 * Known secret values are kept in a process-wide set (shared by every copy of core) so loggers,
 * trackers and error messages can scrub them from free text.
 */

/** What redacted values are replaced with. */
export const REDACTED = "***";

const SECRET_KEY =
  /(pass(word|wd|phrase)?$|^pwd$|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|authorization|^auth$|cookie|session[-_]?key)/i;

/** True when a config key's name suggests its value is a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Shortest secret value scrubbed from free text (shorter ones would mangle ordinary output). */
const MIN_TEXT_SECRET_LENGTH = 4;

function secretSet(): Set<string> {
  const g = globalThis as Record<symbol, unknown>;
  const key = Symbol.for("lolpop.secrets@1");
  let set = g[key] as Set<string> | undefined;
  if (!set) {
    set = new Set<string>();
    Object.defineProperty(g, key, { value: set, enumerable: false });
  }
  return set;
}

/** Remembers a secret value so {@link redactText} scrubs it from any text. */
export function registerSecret(value: unknown): void {
  if (typeof value === "string" && value.length >= MIN_TEXT_SECRET_LENGTH) secretSet().add(value);
  else if (typeof value === "number" || typeof value === "boolean") {
    const s = String(value);
    if (s.length >= MIN_TEXT_SECRET_LENGTH) secretSet().add(s);
  }
}

/** Replaces every registered secret value in `text` with `***`. */
export function redactText(text: string): string {
  const set = secretSet();
  if (set.size === 0) return text;
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...set].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * Returns a deep copy of `value` with secrets replaced by `***`: values under secret-looking keys,
 * values at the given dotted paths (e.g. those that came from the environment), and registered
 * secret values inside strings.
 */
export function redactValue<T>(value: T, secretPaths: ReadonlySet<string> = new Set(), basePath = ""): T {
  return redactAt(value, secretPaths, basePath) as T;
}

function redactAt(value: unknown, secretPaths: ReadonlySet<string>, path: string): unknown {
  if (path && secretPaths.has(path)) return REDACTED;
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value))
    return value.map((v, i) => redactAt(v, secretPaths, path ? `${path}.${i}` : String(i)));
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const childPath = path ? `${path}.${k}` : k;
      out[k] =
        isSecretKey(k) && v !== null && v !== undefined && typeof v !== "object"
          ? REDACTED
          : redactAt(v, secretPaths, childPath);
    }
    return out;
  }
  return value;
}
