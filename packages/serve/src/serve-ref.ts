/**
 * Model references for serving: core's one rule (`parseModelRef` / `resolveModelRef`), with its
 * errors as HTTP statuses: a malformed reference is a 400, one that names nothing a 404.
 */
import {
  type ModelRef,
  ModelRefError,
  type ModelRepository,
  type ModelVersionInfo,
  parseModelRef,
  resolveModelRef,
} from "@lolpop/core";
import { ServeError } from "./serve-error.js";

function asServeError(e: unknown): unknown {
  if (!ModelRefError.isInstance(e)) return e;
  return new ServeError({ message: e.message, code: e.code, status: e.usage ? 400 : 404, cause: e });
}

/**
 * Parses `name@alias`, `name/version` or a bare `name` (its `champion`).
 * @throws ServeError (400, code `bad_model_ref`) saying which forms are accepted.
 */
export function parseServedRef(text: string): ModelRef {
  try {
    return parseModelRef(text);
  } catch (e) {
    throw asServeError(e);
  }
}

/**
 * The version `ref` names in `store`.
 * @throws ServeError (404, code `no_model`, `no_alias` or `no_version`) when it names nothing.
 */
export async function resolveServedRef(
  store: Pick<ModelRepository, "get_alias" | "get_model_version" | "list_versions">,
  ref: ModelRef,
): Promise<ModelVersionInfo> {
  try {
    return await resolveModelRef(store, ref);
  } catch (e) {
    throw asServeError(e);
  }
}
