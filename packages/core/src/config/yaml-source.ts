import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Document } from "yaml";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { yaml } from "../lazy-deps.js";
import { parseCachedConfig } from "./config-cache.js";

/** A parsed config file that can tell the line of any YAML path. */
export interface ConfigSource {
  /** Absolute path, or a label such as `<inline>`. */
  file: string;
  /** The parsed data (plain JS). */
  data: unknown;
  /** Line and column (1-based) of the value at `path`, or of its nearest existing ancestor. */
  locate(path: ReadonlyArray<string | number>): { line: number; column: number } | undefined;
  /** Line and column of the key at `path` (falls back to the value). */
  locateKey(path: ReadonlyArray<string | number>): { line: number; column: number } | undefined;
}

/** Parses YAML text. YAML errors (syntax, duplicate keys...) become one {@link ConfigError} with lines. */
export function parseConfigText(text: string, file = "<inline>"): ConfigSource {
  const { isCollection, isMap, isPair, isScalar, LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      const msg = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      return {
        code: e.code === "DUPLICATE_KEY" ? "duplicate_key" : "yaml_syntax",
        path: "",
        message: `YAML ${msg}`,
        file,
        line: pos.line,
        column: pos.col,
      };
    });
    throw new ConfigError({ issues });
  }
  const data = doc.toJS({ maxAliasCount: 1000 });
  const pos = (offset: number | undefined) => {
    if (offset === undefined) return undefined;
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const nodeAt = (path: ReadonlyArray<string | number>) => {
    for (let n = path.length; n >= 0; n--) {
      const node = (doc as Document).getIn(path.slice(0, n), true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node && (isScalar(node) || isCollection(node)) && node.range)
        return { node, exact: n === path.length };
    }
    return undefined;
  };
  const keyPos = (path: ReadonlyArray<string | number>) => {
    const parent = (doc as Document).getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const last = path[path.length - 1];
    const pair = parent.items.find(
      (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last),
    );
    return pair && isScalar(pair.key) && pair.key.range ? pos(pair.key.range[0]) : undefined;
  };
  const findDepth = (path: ReadonlyArray<string | number>, node: unknown) => {
    for (let n = path.length; n >= 0; n--)
      if ((doc as Document).getIn(path.slice(0, n), true) === node) return n;
    return 0;
  };
  return {
    file,
    data,
    // A mapping or list value starts on the line after its key: report the key's line instead.
    locate: (path) => {
      const hit = nodeAt(path);
      if (!hit) return undefined;
      if (isCollection(hit.node) && !(hit.node as { flow?: boolean }).flow) {
        const depth = hit.exact ? path.length : findDepth(path, hit.node);
        if (depth > 0) {
          const key = keyPos(path.slice(0, depth));
          if (key) return key;
        }
      }
      return pos(hit.node.range?.[0]);
    },
    locateKey: (path) => (path.length === 0 ? pos(0) : (keyPos(path) ?? pos(nodeAt(path)?.node.range?.[0]))),
  };
}

/**
 * The text of the config file at `path` (relative to `cwd`); a missing or unreadable file is a
 * {@link ConfigError} that says what to do.
 */
export function readConfigText(path: string, cwd = process.cwd()): string {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  try {
    // One small file, read synchronously: `fs/promises` takes four thread-pool round trips (open,
    // stat, read, close), ~1-2 ms of a `lolpop validate` spent waiting.
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : ((e as Error).message ?? String(e));
    throw new ConfigError({
      issues: [
        {
          code: "config_not_found",
          path: "",
          file,
          message: `cannot read the config file (${why}). Pass the path of your lolpop.yaml, or run in the folder that has it.`,
        },
      ],
    });
  }
}

/**
 * Reads and parses a config file (a file read before comes from the parsed-config cache, see
 * `LOLPOP_SCHEMA_CACHE`); a missing file is a {@link ConfigError} that says what to do.
 */
export async function loadConfigFile(path: string, cwd = process.cwd()): Promise<ConfigSource> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  const text = readConfigText(file);
  // Through the parsed-config cache (config-cache.ts): a file read before skips the YAML parser.
  return parseCachedConfig(text, file, parseConfigText);
}
