import { CHAMPION_ALIAS } from "@lolpop/core";
import { ServeError } from "./serve-error.js";

/** A parsed model reference: `name@alias` (follows the alias) or `name/version` (one version). */
export type ModelRef =
  | { name: string; alias: string; version?: undefined }
  | { name: string; version: number; alias?: undefined };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Parses `name@alias`, `name/version` or a bare `name` (its `champion` alias).
 * @throws ServeError (code `bad_model_ref`) saying which forms are accepted.
 */
export function parseModelRef(ref: string): ModelRef {
  const bad = (why: string) =>
    new ServeError({
      message: `model reference "${ref}" ${why}: write name@alias (e.g. penguins@champion) or name/version (e.g. penguins/3)`,
      code: "bad_model_ref",
      status: 400,
    });
  const at = ref.indexOf("@");
  const slash = ref.indexOf("/");
  if (at >= 0 && slash >= 0) throw bad("has both @ and /");
  if (slash >= 0) {
    const name = ref.slice(0, slash);
    const v = ref.slice(slash + 1);
    if (!NAME.test(name)) throw bad("has no valid model name");
    if (!/^[1-9]\d*$/.test(v)) throw bad(`has version "${v}", not a whole number from 1`);
    return { name, version: Number(v) };
  }
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const alias = at >= 0 ? ref.slice(at + 1) : CHAMPION_ALIAS;
  if (!NAME.test(name)) throw bad("has no valid model name");
  if (!NAME.test(alias)) throw bad(`has alias "${alias}", which is not a valid alias name`);
  return { name, alias };
}

/** The reference as text (`name@alias` or `name/version`). */
export function formatModelRef(ref: ModelRef): string {
  return ref.alias !== undefined ? `${ref.name}@${ref.alias}` : `${ref.name}/${ref.version}`;
}
