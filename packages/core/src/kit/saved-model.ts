/**
 * Reading the metadata file of a model a trainer saved, with the errors every trainer needs: the
 * file is missing, unreadable, not JSON, of another format, or of a newer format version.
 */
import { join } from "node:path";
import { StoreError } from "../errors.js";
import { fsPromises } from "../lazy-deps.js";

/** What {@link readSavedModelFile} checks. */
export interface SavedModelFileSpec {
  /** File name inside the model folder, e.g. `lolpop-catboost.json`. */
  fileName: string;
  /** Trainer type that writes it, for messages, e.g. `CatBoostModelTrainer`. */
  trainer: string;
  /** Package that reads it, for the upgrade hint, e.g. `@lolpop/catboost-bridge`. */
  package: string;
  /** Expected `format` field. */
  format: string;
  /** Highest `format_version` this package reads. */
  maxVersion: number;
}

/** A saved model's metadata, parsed, with a helper to reject it. */
export interface SavedModelFile<T> {
  /** Absolute path of the file. */
  file: string;
  /** The parsed JSON object (its `format` and `format_version` checked; the rest is the caller's to check). */
  data: Partial<T> & { format: string; format_version: number };
  /** Throws a `StoreError` (`model_invalid`) saying why the file is not a valid model. */
  invalid(why: string, cause?: unknown): never;
}

/**
 * Reads `dir/spec.fileName` and checks it is JSON of `spec.format` with a `format_version` this
 * package reads. Errors are `StoreError`s naming the file: `model_not_found`, `store_error`,
 * `model_invalid` or `model_format_unsupported` (with the package to upgrade).
 */
export async function readSavedModelFile<T = Record<string, unknown>>(
  dir: string,
  spec: SavedModelFileSpec,
): Promise<SavedModelFile<T>> {
  const file = join(dir, spec.fileName);
  const invalid = (why: string, cause?: unknown): never => {
    throw new StoreError({
      message: `${file} is not a valid ${spec.trainer} model: ${why}`,
      path: file,
      cause,
      code: "model_invalid",
    });
  };
  let text: string;
  try {
    text = await fsPromises().readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    throw new StoreError({
      message:
        code === "ENOENT"
          ? `no ${spec.fileName} in ${dir}: it is not a model saved by ${spec.trainer}, or its saving did not finish`
          : `cannot read ${file}: ${(cause as Error)?.message ?? String(cause)}`,
      path: file,
      cause,
      code: code === "ENOENT" ? "model_not_found" : "store_error",
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    return invalid(`invalid JSON (${(cause as Error).message})`, cause);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return invalid("not a JSON object");
  const meta = data as { format?: unknown; format_version?: unknown };
  if (meta.format !== spec.format) return invalid(`"format" is not "${spec.format}"`);
  if (typeof meta.format_version !== "number" || meta.format_version > spec.maxVersion) {
    throw new StoreError({
      message: `${file} has format version ${String(meta.format_version)}, this ${spec.package} reads up to ${spec.maxVersion}: upgrade ${spec.package}`,
      path: file,
      code: "model_format_unsupported",
    });
  }
  return { file, data: data as SavedModelFile<T>["data"], invalid };
}
