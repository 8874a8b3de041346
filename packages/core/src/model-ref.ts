/**
 * Model references, one rule for every command, server and library that names a model version:
 * `name@alias` follows an alias, `name/version` (or `name/v3`) is one version, and a bare `name` is
 * its `champion`. Names may themselves hold `/` or `@` (MLflow allows them): the last `@` starts an
 * alias, else the last `/` a version.
 */
import type { ModelRepository, ModelVersionInfo } from "./contracts.js";
import { ModelRefError } from "./errors.js";
import { CHAMPION_ALIAS } from "./kit/tracking.js";

/** A parsed model reference: an alias to follow, or one version. */
export type ModelRef =
  | { name: string; alias: string; version?: undefined }
  | { name: string; version: number; alias?: undefined };

const EXAMPLES =
  "write name@alias (e.g. penguins@champion), name/version (e.g. penguins/3) or a name (its champion)";

/**
 * Parses a version argument: a whole number from 1, optionally written `v3`.
 * @param what How the value is named in the error, e.g. the whole reference.
 * @throws ModelRefError (`bad_model_ref`) for anything else.
 */
export function parseModelVersion(text: string, what = `version "${text}"`): number {
  if (!isModelVersion(text))
    throw new ModelRefError({
      message: `${what}: a model version is a whole number from 1 (e.g. 3 or v3)`,
      code: "bad_model_ref",
      ref: text,
    });
  return Number(text.replace(/^v/, ""));
}

/** `3` or `v3`: a whole number from 1 that a double holds exactly. */
function isModelVersion(text: string): boolean {
  return /^v?[1-9][0-9]*$/.test(text) && Number.isSafeInteger(Number(text.replace(/^v/, "")));
}

/**
 * Parses `name@alias`, `name/version` or a bare `name` (its {@link CHAMPION_ALIAS} alias).
 * @throws ModelRefError (`bad_model_ref`) for an empty name, alias or version, or a version that is
 * not a whole number from 1.
 */
export function parseModelRef(text: string): ModelRef {
  const bad = (why: string) =>
    new ModelRefError({
      message: `model reference "${text}" ${why}: ${EXAMPLES}`,
      code: "bad_model_ref",
      ref: text,
    });
  const at = text.lastIndexOf("@");
  if (at >= 0) {
    const name = text.slice(0, at);
    const alias = text.slice(at + 1);
    if (!name) throw bad("has no model name");
    if (!alias) throw bad("has an empty alias");
    return { name, alias };
  }
  const slash = text.lastIndexOf("/");
  if (slash >= 0) {
    const name = text.slice(0, slash);
    if (!name) throw bad("has no model name");
    const v = text.slice(slash + 1);
    if (!isModelVersion(v)) throw bad(`has version "${v}", not a whole number from 1`);
    return { name, version: Number(v.replace(/^v/, "")) };
  }
  if (!text.trim()) throw bad("is empty");
  return { name: text, alias: CHAMPION_ALIAS };
}

/** The reference as text: `name@alias` or `name/version`. */
export function formatModelRef(ref: ModelRef): string {
  return ref.alias !== undefined ? `${ref.name}@${ref.alias}` : `${ref.name}/${ref.version}`;
}

/**
 * The version a reference names, through the repository contract.
 * @throws ModelRefError `bad_model_ref` (malformed text), `no_model` (no version of that name),
 * `no_alias` (the alias points at nothing; the message lists the versions) or `no_version`.
 */
export async function resolveModelRef(
  repository: Pick<ModelRepository, "get_alias" | "get_model_version" | "list_versions">,
  ref: string | ModelRef,
): Promise<ModelVersionInfo> {
  const r = typeof ref === "string" ? parseModelRef(ref) : ref;
  const text = formatModelRef(r);
  const versionsOf = async () => {
    const versions = await repository.list_versions(r.name);
    if (versions.length === 0)
      throw new ModelRefError({
        message: `no model named "${r.name}" in the model repository: train and register one first (lolpop run)`,
        code: "no_model",
        ref: text,
      });
    return versions.map((v) => v.version);
  };
  if (r.version !== undefined) {
    try {
      return await repository.get_model_version(r.name, r.version);
    } catch (e) {
      const versions = await versionsOf();
      if (versions.includes(r.version)) throw e;
      throw new ModelRefError({
        message: `model "${r.name}" has no version ${r.version} (versions: ${versions.join(", ")})`,
        code: "no_version",
        ref: text,
        cause: e,
      });
    }
  }
  const mv = await repository.get_alias(r.name, r.alias);
  if (mv) return mv;
  const versions = await versionsOf();
  throw new ModelRefError({
    message: `model "${r.name}" has no alias "${r.alias}" (versions: ${versions.join(", ")}); name a version, e.g. ${r.name}/${versions.at(-1)}, or promote one (lolpop models promote ${r.name} <version>)`,
    code: "no_alias",
    ref: text,
  });
}
