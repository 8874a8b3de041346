// Where the jest global setup records the outcome of fetching the default model (one file per checkout).
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Status file of the model fetch for the package at `pkgDir`. */
export function modelStatusFile(pkgDir) {
  const id = createHash("sha256").update(pkgDir).digest("hex").slice(0, 12);
  return join(tmpdir(), `lolpop-genai-model-${id}.json`);
}
