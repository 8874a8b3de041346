// Where the jest global setup records the tfjs-node build outcome (one file per checkout).
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Status file of the tfjs-node build for the package at `pkgDir`. */
export function buildStatusFile(pkgDir) {
  const id = createHash("sha256").update(pkgDir).digest("hex").slice(0, 12);
  return join(tmpdir(), `lolpop-tfjs-node-build-${id}.json`);
}
