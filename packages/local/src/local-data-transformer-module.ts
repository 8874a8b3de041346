/**
 * LocalDataTransformer's user modules: loading the `transform(table, ctx)` function of a `.js`,
 * `.mjs` or `.ts` module (TypeScript compiled alone by esbuild into a temporary file outside the
 * project, its imports resolved from the module's folder) and checking what it returns.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DataError, Table } from "@lolpop/core";

/** A lolpop Table (also one made by another copy of @lolpop/core). */
export function isTable(value: unknown): value is Table {
  if (value instanceof Table) return true;
  const v = value as Partial<Table> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.numRows === "number" &&
    Array.isArray(v.columnNames) &&
    typeof v.column === "function" &&
    typeof v.withColumn === "function"
  );
}

/** How a wrong return value is named in the error, e.g. `an object (a, b)`. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object")
    return `an object (${
      Object.keys(v as object)
        .slice(0, 5)
        .join(", ") || "no keys"
    })`;
  return typeof v === "undefined" ? "undefined (did you forget `return`?)" : `a ${typeof v}`;
}

/** Reads the package.json `exports`/`main` of a bare specifier found under a `node_modules` folder above `fromDir`. */
function resolveBare(specifier: string, fromDir: string): string | undefined {
  const parts = specifier.split("/");
  const nameLen = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, nameLen).join("/");
  const sub = parts.slice(nameLen).join("/");
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", name);
    const pkgFile = join(pkgDir, "package.json");
    if (existsSync(pkgFile)) {
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
        exports?: unknown;
        main?: string;
        module?: string;
      };
      const key = sub ? `./${sub}` : ".";
      const pick = (entry: unknown): string | undefined => {
        if (typeof entry === "string") return entry;
        if (Array.isArray(entry)) {
          for (const e of entry) {
            const r = pick(e);
            if (r) return r;
          }
          return undefined;
        }
        if (entry && typeof entry === "object") {
          for (const cond of ["import", "node", "default"]) {
            const r = (entry as Record<string, unknown>)[cond];
            if (r !== undefined) {
              const p = pick(r);
              if (p) return p;
            }
          }
        }
        return undefined;
      };
      let target: string | undefined;
      if (pkg.exports !== undefined) {
        const exp = pkg.exports as Record<string, unknown>;
        const isMap =
          typeof exp === "object" &&
          exp !== null &&
          !Array.isArray(exp) &&
          Object.keys(exp).some((k) => k.startsWith("."));
        target = isMap ? pick(exp[key]) : key === "." ? pick(exp) : undefined;
      } else {
        target = sub ? sub : (pkg.module ?? pkg.main ?? "index.js");
      }
      return target ? resolve(pkgDir, target) : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Points the import specifiers of compiled code at absolute file URLs, so it runs from a temp folder. */
function rewriteImports(code: string, file: string): string {
  const fromDir = dirname(file);
  const builtins = new Set(builtinModules);
  const fix = (spec: string): string => {
    if (spec.startsWith("node:") || builtins.has(spec) || /^[a-z]+:/i.test(spec)) return spec;
    if (spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/"))
      return pathToFileURL(resolve(fromDir, spec)).href;
    const found = resolveBare(spec, fromDir);
    return found ? pathToFileURL(found).href : spec;
  };
  return code
    .replace(
      /^(\s*(?:import|export)\b[^;'"]*?\bfrom\s*)"([^"\n]+)"/gm,
      (_m, head: string, spec: string) => `${head}${JSON.stringify(fix(spec))}`,
    )
    .replace(
      /^(\s*import\s*)"([^"\n]+)"/gm,
      (_m, head: string, spec: string) => `${head}${JSON.stringify(fix(spec))}`,
    )
    .replace(/\bimport\(\s*"([^"\n]+)"\s*\)/g, (_m, spec: string) => `import(${JSON.stringify(fix(spec))})`);
}

/** Imports a user module (TypeScript compiled by esbuild first). */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  const ext = extname(file).toLowerCase();
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  }
  // TypeScript: compile alone with esbuild's transform API into a temporary .mjs outside the project.
  // esbuild is an optional peer dependency: only TypeScript modules need it.
  let transform: typeof import("esbuild").transform;
  try {
    ({ transform } = await import("esbuild"));
  } catch (e) {
    throw new DataError({
      message: `data_transformer module ${file} is TypeScript, which needs esbuild: install it in the project (npm install --save-dev esbuild), or write the module in JavaScript (.mjs)`,
      code: "module_invalid",
      details: { file },
      cause: e,
    });
  }
  const source = await readFile(file, "utf8");
  let code: string;
  try {
    const out = await transform(source, {
      loader: ext === ".tsx" ? "tsx" : "ts",
      format: "esm",
      target: "node20",
      sourcefile: file,
      sourcemap: "inline",
    });
    code = out.code;
  } catch (e) {
    throw new DataError({
      message: `data_transformer module ${file} does not compile: ${(e as Error).message}`,
      code: "module_invalid",
      details: { file },
      cause: e,
    });
  }
  const dir = await mkdtemp(join(tmpdir(), "lolpop-transform-"));
  try {
    const hash = createHash("sha256").update(file).update(source).digest("hex").slice(0, 16);
    const out = join(dir, `transform-${hash}.mjs`);
    await writeFile(out, rewriteImports(code, file));
    return (await import(pathToFileURL(out).href)) as Record<string, unknown>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The content hash of the user module `rel` (relative to `projectRoot`): what a model version
 * records, so predict can tell that the module changed since training. Covers the module file
 * itself, not the files it imports.
 * @throws DataError `module_not_found` when the file does not exist.
 */
export async function moduleFingerprint(
  rel: string,
  projectRoot: string,
): Promise<{ source: string; sha256: string }> {
  const file = isAbsolute(rel) ? rel : resolve(projectRoot, rel);
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (e) {
    throw new DataError({
      message: `data_transformer module not found: ${file} (module: "${rel}", relative to the project root ${projectRoot})`,
      code: "module_not_found",
      details: { file },
      cause: e,
    });
  }
  return { source: rel, sha256: createHash("sha256").update(content).digest("hex") };
}

/** A user module's transform function. */
export type TransformFunction = (table: Table, ctx: unknown) => unknown;

/**
 * Loads the function `fnName` of the user module `rel` (relative to `projectRoot`).
 * @throws DataError `module_not_found` or `module_invalid`, naming the file and what to do.
 */
export async function loadTransformFunction(
  rel: string,
  fnName: string,
  projectRoot: string,
): Promise<TransformFunction> {
  const file = isAbsolute(rel) ? rel : resolve(projectRoot, rel);
  if (!existsSync(file)) {
    throw new DataError({
      message: `data_transformer module not found: ${file} (module: "${rel}", relative to the project root ${projectRoot})`,
      code: "module_not_found",
      details: { file },
    });
  }
  const ext = extname(file).toLowerCase();
  if (![".js", ".mjs", ".cjs", ".ts", ".mts", ".tsx"].includes(ext)) {
    throw new DataError({
      message: `data_transformer module ${file} must be a .js, .mjs or .ts file`,
      code: "module_invalid",
      details: { file },
    });
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importUserModule(file);
  } catch (e) {
    if (DataError.isInstance(e)) throw e;
    throw new DataError({
      message: `data_transformer module ${file} failed to load: ${(e as Error).message}`,
      code: "module_invalid",
      details: { file },
      cause: e,
    });
  }
  const fn =
    mod[fnName] ??
    (fnName === "default" ? undefined : (mod.default as Record<string, unknown> | undefined)?.[fnName]);
  if (typeof fn !== "function") {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    throw new DataError({
      message: `data_transformer module ${file} does not export a function "${fnName}" (exported functions: ${exported.join(", ") || "none"}); export it or set \`function\``,
      code: "module_invalid",
      details: { file, function: fnName },
    });
  }
  return fn as TransformFunction;
}
