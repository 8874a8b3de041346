/**
 * Fingerprint of user code for the step cache: a transform module and every local module it
 * imports, recursively (relative specifiers `./` and `../` only; packages and `node:` builtins are
 * identified by the plugin versions instead). The result is the SHA-256 over the sorted list of
 * `<path relative to the project root>\0<sha256 of the file>`, so editing an imported helper
 * changes it, and so does renaming or moving a file.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { DataError } from "@lolpop/core";

const EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"];
/** import/export ... from "x", import "x", import("x"), require("x"). */
const SPECIFIERS = [
  /\b(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"'\n]+)["']/g,
  /\bimport\s*["']([^"'\n]+)["']/g,
  /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g,
  /\brequire\(\s*["']([^"'\n]+)["']\s*\)/g,
];

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/** Resolves a relative specifier like Node and TypeScript do (`.js` may name a `.ts` source). */
function resolveLocal(spec: string, fromDir: string): string | undefined {
  const base = resolve(fromDir, spec);
  if (isFile(base)) return base;
  const noJs = base.replace(/\.(c|m)?js$/, "");
  for (const ext of EXTENSIONS)
    if (isFile(base + ext) || isFile(noJs + ext)) return isFile(base + ext) ? base + ext : noJs + ext;
  for (const ext of EXTENSIONS) if (isFile(resolve(base, `index${ext}`))) return resolve(base, `index${ext}`);
  return undefined;
}

/**
 * The fingerprint of the module `rel` (relative to `projectRoot`) and its local imports, with the
 * files it covers (relative, POSIX separators, sorted).
 * @throws DataError `module_not_found` when the module or one of its local imports is missing.
 */
export async function codeTreeFingerprint(
  rel: string,
  projectRoot: string,
): Promise<{ sha256: string; files: string[] }> {
  const entry = isAbsolute(rel) ? rel : resolve(projectRoot, rel);
  const seen = new Map<string, string>();
  const queue: Array<{ file: string; from?: string }> = [{ file: entry }];
  while (queue.length) {
    const { file, from } = queue.shift()!;
    if (seen.has(file)) continue;
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch (e) {
      throw new DataError({
        message: `cannot fingerprint ${file}${from ? ` (imported by ${from})` : ""}: the file cannot be read. Fix the module path or the import.`,
        code: "module_not_found",
        details: { file },
        cause: e,
      });
    }
    seen.set(file, createHash("sha256").update(content).digest("hex"));
    if (file.endsWith(".json")) continue;
    const text = content.toString("utf8");
    for (const re of SPECIFIERS)
      for (const m of text.matchAll(re)) {
        const spec = m[1]!;
        if (!spec.startsWith("./") && !spec.startsWith("../")) continue;
        const target = resolveLocal(spec, dirname(file));
        if (!target)
          throw new DataError({
            message: `cannot fingerprint ${file}: its import "${spec}" resolves to no file. Fix the import.`,
            code: "module_not_found",
            details: { file, import: spec },
          });
        queue.push({ file: target, from: file });
      }
  }
  const rows = [...seen].map(([f, h]) => [relative(projectRoot, f).split(sep).join("/"), h] as const);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash("sha256").update("lolpop-code-v1\u0000");
  for (const [f, fh] of rows) h.update(`${f}\u0000${fh}\n`);
  return { sha256: h.digest("hex"), files: rows.map(([f]) => f) };
}
