/**
 * Config overrides given on the command line (`lolpop run --set train.config.seed=7`): a YAML path
 * and a value parsed as YAML (`7` is a number, `true` a boolean, `[a, b]` a list, `"7"` a string),
 * applied to the config's YAML text before it is read, so every check of the config applies to them.
 */
import { ConfigError } from "../errors.js";
import { yaml } from "../lazy-deps.js";

/** One parsed `path=value` override. */
export interface ConfigOverride {
  /** The argument as given. */
  text: string;
  /** YAML path: map keys and sequence indexes (`a.b[0].c`). */
  path: Array<string | number>;
  /** The value, parsed as YAML. */
  value: unknown;
}

function overrideError(file: string, text: string, message: string, path = ""): ConfigError {
  return new ConfigError({
    issues: [{ code: "bad_override", path, file, message: `--set ${text}: ${message}` }],
  });
}

/**
 * Parses `path=value` (`train.model_trainer.config.max_depth=8`, `predict.config.passthrough=[id]`,
 * `components.notifier.config.prefix[0]=x`).
 * @throws ConfigError (`bad_override`) when it is not `path=value` with a dotted path.
 */
export function parseConfigOverride(text: string, file = "<command line>"): ConfigOverride {
  const eq = text.indexOf("=");
  if (eq <= 0)
    throw overrideError(file, text, "expected path=value, e.g. --set train.model_trainer.config.max_depth=8");
  const rawPath = text.slice(0, eq).trim();
  const path: Array<string | number> = [];
  for (const part of rawPath.split(".")) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m)
      throw overrideError(
        file,
        text,
        `"${rawPath}" is not a YAML path: keys separated by dots, list items as [index] (a.b[0].c)`,
      );
    path.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
  }
  let value: unknown;
  try {
    value = yaml().parse(text.slice(eq + 1), { strict: true });
  } catch (e) {
    throw overrideError(file, text, `the value is not valid YAML (${(e as Error).message.split("\n")[0]})`);
  }
  return { text, path, value };
}

/**
 * Applies `path=value` overrides to a config's YAML text and returns the new text. The first key
 * must be a section the config has, or the name of one of its pipelines or global components;
 * missing maps below it are created (the config's own checks then
 * report a key that is not allowed there); a list item must exist.
 * @throws ConfigError (`bad_override`) naming the argument and what the config has at that place.
 */
export function applyConfigOverrides(text: string, file: string, overrides: readonly string[]): string {
  if (overrides.length === 0) return text;
  const { isMap, isSeq, parseDocument } = yaml();
  const doc = parseDocument(text);
  if (doc.errors.length) return text; // reading the config reports them, with lines
  for (const arg of overrides) {
    const o = parseConfigOverride(arg, file);
    const at = o.path.join(".");
    const top = doc.contents;
    // A section the config has, or the section of one of its pipelines or global components.
    const named = (section: string) => {
      const m = isMap(top) ? top.get(section, true) : undefined;
      return isMap(m) && m.has(o.path[0]);
    };
    if (!isMap(top) || !(top.has(o.path[0]) || named("pipelines") || named("components")))
      throw overrideError(
        file,
        arg,
        `the config has no section "${o.path[0]}" (it has ${isMap(top) ? top.items.map((p) => String((p.key as { value?: unknown })?.value ?? p.key)).join(", ") : "none"})`,
        at,
      );
    for (let i = 1; i < o.path.length; i++) {
      const parentPath = o.path.slice(0, i);
      const parent = doc.getIn(parentPath, true);
      const key = o.path[i]!;
      const where = parentPath.join(".");
      if (typeof key === "number") {
        if (!isSeq(parent) || key >= parent.items.length)
          throw overrideError(
            file,
            arg,
            isSeq(parent)
              ? `${where} has ${parent.items.length} items (index ${key} is past the end)`
              : `${where} is not a list`,
            at,
          );
        continue;
      }
      if (parent === undefined || parent === null) continue; // created by setIn
      if (!isMap(parent))
        throw overrideError(file, arg, `${where} is a value, not a map: it has no key "${key}"`, at);
    }
    const parentOfLast = o.path.length > 1 ? doc.getIn(o.path.slice(0, -1), true) : doc.contents;
    if (parentOfLast !== undefined && parentOfLast !== null && !isMap(parentOfLast) && !isSeq(parentOfLast))
      throw overrideError(file, arg, `${o.path.slice(0, -1).join(".")} is a value, not a map`, at);
    doc.setIn(o.path, doc.createNode(o.value));
  }
  return doc.toString();
}
