/**
 * What passes between steps: the processed data is written once, by the `process` step, to a file
 * in the project's state folder (which every worker must see, like the store), and the later steps
 * get its URI. Tables are written exactly, as core's table bytes (numbers as IEEE-754 bytes, categories
 * as codes and dictionary), so the data a worker trains on is the data the process step made: same
 * fingerprint, same model identity, same metrics as a local run.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Column, Table, tableFromBytes, tableToBytes, writeFileAtomic } from "@lolpop/core";

/** A table as JSON text: base64 of core's exact table bytes (`tableToBytes`). */
const saveTable = (t: Table): string => Buffer.from(tableToBytes(t)).toString("base64");
const loadTable = (data: string, file: string): Table =>
  tableFromBytes(Buffer.from(data, "base64"), `the processed data in ${file}`);

/** Whether `v` is a `LabeledData` (`{X: Table, y: Column}`). */
function isLabeled(v: unknown): v is { X: Table; y: Column } {
  if (!v || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  return (
    Object.keys(o).length === 2 && o.X instanceof Table && !!o.y && typeof o.y === "object" && "type" in o.y
  );
}

/**
 * Writes `processed` (a `ProcessResult`, or a tuning batch's shared input: tables and `{X, y}`
 * pairs are kept exactly) under `<stateDir>/temporal/<folder>/` (default `processed`) and returns
 * its `file:` URI; the name is the content's hash, so a retried step writes the same file.
 */
export async function saveStepData(
  stateDir: string,
  processed: Record<string, unknown>,
  folder = "processed",
): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(processed))
    out[k] =
      v instanceof Table
        ? { $table: saveTable(v) }
        : isLabeled(v)
          ? { $labeled: { X: saveTable(v.X), y: saveTable(Table.fromColumns([["y", v.y]])) } }
          : v;
  const text = JSON.stringify(out);
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 32);
  const file = join(stateDir, "temporal", folder, `${hash}.json`);
  await writeFileAtomic(file, text);
  return pathToFileURL(file).href;
}

/** Reads what {@link saveStepData} wrote. */
export async function loadStepData(uri: string): Promise<Record<string, unknown>> {
  const file = uri.startsWith("file:") ? fileURLToPath(uri) : uri;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new Error(
      `the processed data of this run (${file}) cannot be read on this worker (${(e as Error).message}): every worker must see the project folder at the same path`,
    );
  }
  const data = JSON.parse(text) as Record<string, unknown>;
  for (const k of Object.keys(data)) {
    const v = data[k] as { $table?: unknown; $labeled?: { X: unknown; y: unknown } } | undefined;
    if (!v || typeof v !== "object" || !(v.$table || v.$labeled)) continue;
    const saved = [v.$table ?? v.$labeled?.X, v.$labeled?.y].filter((x) => x !== undefined);
    if (saved.some((x) => typeof x !== "string"))
      throw new Error(
        `the processed data in ${file} was written by an older @lolpop/temporal worker: let that run finish on workers of its version, or run it again`,
      );
    data[k] = v.$labeled
      ? { X: loadTable(v.$labeled.X as string, file), y: loadTable(v.$labeled.y as string, file).column("y") }
      : loadTable(v.$table as string, file);
  }
  return data;
}
