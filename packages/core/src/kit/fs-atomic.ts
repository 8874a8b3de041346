import { basename, dirname, join } from "node:path";
import { fsPromises, nodeCrypto } from "../lazy-deps.js";

/**
 * Writes a file atomically: the data goes to a temporary file in the same folder
 * (`.<name>.<pid>.<hex>.tmp`), is flushed to disk, then renamed over the target. Readers see the
 * old file or the new one, never a part; a failed write leaves no temporary file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await fsPromises().mkdir(dir, { recursive: true });
  const tmp = join(
    dir,
    `.${basename(path)}.${process.pid}.${nodeCrypto().randomBytes(6).toString("hex")}.tmp`,
  );
  const fh = await fsPromises().open(tmp, "wx");
  try {
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    await fsPromises().rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await fsPromises().rm(tmp, { force: true });
    throw e;
  }
}

/** Writes pretty JSON atomically (see {@link writeFileAtomic}). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
