/**
 * LocalDataTransformer: turns raw data into the table the workflow trains on, either with a user
 * module (`module: transforms/prepare.ts`, exporting `transform(table, ctx)`) or with declarative
 * `steps` (drop, rename, cast, derive, filter, dropna).
 *
 * Expressions (`derive.expr`, `filter`) use a small language parsed here, never `eval`:
 * numbers, `'text'` (or `"text"`), `true`/`false`, column names (bare identifiers, or
 * `col("name with spaces")`), `+ - * / %` (`+` also joins two texts), comparisons
 * `== != < <= > >=`, `and`/`or`/`not`, parentheses and the functions `abs`, `log`, `exp`, `sqrt`,
 * `round(x[, digits])`, `min(a, b, ...)`, `max(a, b, ...)`, `is_missing(x)`, `coalesce(a, b, ...)`.
 * They run vectorized over the columns' typed arrays. Missing values propagate: any arithmetic,
 * comparison or function of a missing value is missing (NaN), except `is_missing`, `coalesce`, and
 * `and`/`or` when the other side decides (`false and missing` is false, `true or missing` is true).
 * Results that are not finite (`x / 0`, `log(0)`) are missing too. A filter keeps the rows where the
 * condition is true (missing counts as false).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type CategoricalColumn,
  type Column,
  type ComponentContext,
  ConfigError,
  DataError,
  type DataTransformer,
  defineComponent,
  type NumericColumn,
  Table,
} from "@lolpop/core";

// ================================================================ expression language

/** A syntax or type error in an expression, with the 0-based character position it points at. */
export class ExpressionError extends Error {
  /** 0-based offset in the expression text. */
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = "ExpressionError";
    this.position = position;
  }
}

/** A parsed expression (see the module doc for the language). */
export type ExprNode =
  | { type: "num"; value: number; pos: number }
  | { type: "str"; value: string; pos: number }
  | { type: "col"; name: string; pos: number }
  | { type: "unary"; op: "-" | "not"; arg: ExprNode; pos: number }
  | { type: "binary"; op: BinaryOp; left: ExprNode; right: ExprNode; pos: number }
  | { type: "call"; fn: FunctionName; args: ExprNode[]; pos: number };

type BinaryOp = "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "and" | "or";

const FUNCTIONS = {
  abs: [1, 1],
  log: [1, 1],
  exp: [1, 1],
  sqrt: [1, 1],
  round: [1, 2],
  min: [2, Number.POSITIVE_INFINITY],
  max: [2, Number.POSITIVE_INFINITY],
  is_missing: [1, 1],
  coalesce: [2, Number.POSITIVE_INFINITY],
} as const;
type FunctionName = keyof typeof FUNCTIONS;
const KEYWORDS = new Set(["and", "or", "not", "true", "false"]);

interface Token {
  kind: "num" | "str" | "ident" | "op" | "(" | ")" | "," | "eof";
  text: string;
  value?: number | string;
  pos: number;
}

const TWO_CHAR_OPS = new Set(["==", "!=", "<=", ">="]);
const ONE_CHAR_OPS = new Set(["+", "-", "*", "/", "%", "<", ">"]);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9.]/.test(ch)) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new ExpressionError(`unexpected "${ch}"`, i);
      i += m[0].length;
      if (i < src.length && /[A-Za-z_]/.test(src[i]!))
        throw new ExpressionError(`unexpected "${src[i]}" after the number ${m[0]}`, i);
      out.push({ kind: "num", text: m[0], value: Number(m[0]), pos: start });
      continue;
    }
    if (ch === "'" || ch === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= src.length)
          throw new ExpressionError(`text starting here is never closed (missing ${ch})`, start);
        const c = src[i]!;
        if (c === "\\" && i + 1 < src.length) {
          value += src[i + 1];
          i += 2;
          continue;
        }
        if (c === ch) {
          i++;
          break;
        }
        value += c;
        i++;
      }
      out.push({ kind: "str", text: src.slice(start, i), value, pos: start });
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      i += m[0].length;
      out.push({ kind: "ident", text: m[0], pos: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      out.push({ kind: "op", text: two, pos: start });
      i += 2;
      continue;
    }
    if (two === "&&" || two === "||")
      throw new ExpressionError(`use "${two === "&&" ? "and" : "or"}" instead of "${two}"`, i);
    if (ch === "=") throw new ExpressionError('use "==" to compare values', i);
    if (ch === "!") throw new ExpressionError('use "not" (or "!=") instead of "!"', i);
    if (ONE_CHAR_OPS.has(ch)) {
      out.push({ kind: "op", text: ch, pos: start });
      i++;
      continue;
    }
    if (ch === "(" || ch === ")" || ch === ",") {
      out.push({ kind: ch, text: ch, pos: start });
      i++;
      continue;
    }
    throw new ExpressionError(`unexpected character "${ch}"`, i);
  }
  out.push({ kind: "eof", text: "", pos: src.length });
  return out;
}

/**
 * Parses an expression into a tree.
 * @throws ExpressionError with the position of the offending character.
 */
export function parseExpression(src: string): ExprNode {
  const tokens = tokenize(src);
  let k = 0;
  const peek = () => tokens[k]!;
  const next = () => tokens[k++]!;
  const isWord = (t: Token, w: string) => t.kind === "ident" && t.text === w;
  const describe = (t: Token) => (t.kind === "eof" ? "the end of the expression" : `"${t.text}"`);

  const parseOr = (): ExprNode => {
    let left = parseAnd();
    while (isWord(peek(), "or")) {
      const t = next();
      left = { type: "binary", op: "or", left, right: parseAnd(), pos: t.pos };
    }
    return left;
  };
  const parseAnd = (): ExprNode => {
    let left = parseNot();
    while (isWord(peek(), "and")) {
      const t = next();
      left = { type: "binary", op: "and", left, right: parseNot(), pos: t.pos };
    }
    return left;
  };
  const parseNot = (): ExprNode => {
    if (isWord(peek(), "not")) {
      const t = next();
      return { type: "unary", op: "not", arg: parseNot(), pos: t.pos };
    }
    return parseComparison();
  };
  const isCmp = (t: Token) => t.kind === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.text);
  const parseComparison = (): ExprNode => {
    const left = parseAdditive();
    if (!isCmp(peek())) return left;
    const t = next();
    const node: ExprNode = {
      type: "binary",
      op: t.text as BinaryOp,
      left,
      right: parseAdditive(),
      pos: t.pos,
    };
    if (isCmp(peek()))
      throw new ExpressionError(`chained comparisons are not supported: combine them with "and"`, peek().pos);
    return node;
  };
  const parseAdditive = (): ExprNode => {
    let left = parseMultiplicative();
    while (peek().kind === "op" && (peek().text === "+" || peek().text === "-")) {
      const t = next();
      left = { type: "binary", op: t.text as BinaryOp, left, right: parseMultiplicative(), pos: t.pos };
    }
    return left;
  };
  const parseMultiplicative = (): ExprNode => {
    let left = parseUnary();
    while (peek().kind === "op" && ["*", "/", "%"].includes(peek().text)) {
      const t = next();
      left = { type: "binary", op: t.text as BinaryOp, left, right: parseUnary(), pos: t.pos };
    }
    return left;
  };
  const parseUnary = (): ExprNode => {
    const t = peek();
    if (t.kind === "op" && (t.text === "-" || t.text === "+")) {
      next();
      const arg = parseUnary();
      return t.text === "-" ? { type: "unary", op: "-", arg, pos: t.pos } : arg;
    }
    return parsePrimary();
  };
  const parsePrimary = (): ExprNode => {
    const t = next();
    if (t.kind === "num") return { type: "num", value: t.value as number, pos: t.pos };
    if (t.kind === "str") return { type: "str", value: t.value as string, pos: t.pos };
    if (t.kind === "(") {
      const inner = parseOr();
      const close = next();
      if (close.kind !== ")")
        throw new ExpressionError(
          `expected ")" to close the "(" at column ${t.pos + 1}, found ${describe(close)}`,
          close.pos,
        );
      return inner;
    }
    if (t.kind === "ident") {
      if (t.text === "true" || t.text === "false")
        return { type: "num", value: t.text === "true" ? 1 : 0, pos: t.pos };
      if (KEYWORDS.has(t.text))
        throw new ExpressionError(`unexpected "${t.text}": a value was expected`, t.pos);
      if (peek().kind === "(") {
        next();
        const args: ExprNode[] = [];
        if (peek().kind !== ")") {
          for (;;) {
            args.push(parseOr());
            if (peek().kind === ",") {
              next();
              continue;
            }
            break;
          }
        }
        const close = next();
        if (close.kind !== ")")
          throw new ExpressionError(
            `expected "," or ")" in the call of ${t.text}(), found ${describe(close)}`,
            close.pos,
          );
        if (t.text === "col") {
          if (args.length !== 1 || args[0]!.type !== "str")
            throw new ExpressionError('col() takes one quoted column name, e.g. col("body mass")', t.pos);
          return { type: "col", name: args[0].value, pos: t.pos };
        }
        if (!Object.hasOwn(FUNCTIONS, t.text)) {
          throw new ExpressionError(
            `unknown function "${t.text}"; functions are: col, ${Object.keys(FUNCTIONS).join(", ")}`,
            t.pos,
          );
        }
        const fn = t.text as FunctionName;
        const [min, max] = FUNCTIONS[fn];
        if (args.length < min || args.length > max) {
          const want =
            min === max
              ? `${min}`
              : max === Number.POSITIVE_INFINITY
                ? `at least ${min}`
                : `${min} to ${max}`;
          throw new ExpressionError(
            `${fn}() takes ${want} argument${want === "1" ? "" : "s"}, got ${args.length}`,
            t.pos,
          );
        }
        return { type: "call", fn, args, pos: t.pos };
      }
      return { type: "col", name: t.text, pos: t.pos };
    }
    throw new ExpressionError(
      `expected a value (number, 'text', column or function), found ${describe(t)}`,
      t.pos,
    );
  };

  const tree = parseOr();
  const rest = peek();
  if (rest.kind !== "eof")
    throw new ExpressionError(
      `unexpected ${describe(rest)}: an operator or the end of the expression was expected`,
      rest.pos,
    );
  return tree;
}

/** Names of the columns an expression reads. */
export function expressionColumns(node: ExprNode): string[] {
  const out = new Set<string>();
  const walk = (n: ExprNode) => {
    if (n.type === "col") out.add(n.name);
    else if (n.type === "unary") walk(n.arg);
    else if (n.type === "binary") {
      walk(n.left);
      walk(n.right);
    } else if (n.type === "call") n.args.forEach(walk);
  };
  walk(node);
  return [...out];
}

type Value =
  | { t: "num"; v: Float64Array; bool: boolean }
  | { t: "str"; codes: Int32Array; dict: readonly string[] };

const NaN_ = Number.NaN;
const finite = (x: number) => (Number.isFinite(x) ? x : NaN_);

function numValue(v: Value, what: string, pos: number): Float64Array {
  if (v.t !== "num") throw new ExpressionError(`${what} needs numbers, but got text`, pos);
  return v.v;
}

function textAt(v: Value & { t: "str" }, i: number): string | undefined {
  const c = v.codes[i]!;
  return c < 0 ? undefined : v.dict[c];
}

/** Builds a categorical value from per-row strings (undefined = missing), compact dictionary. */
function strFrom(n: number, get: (i: number) => string | undefined): Value {
  const dict: string[] = [];
  const index = new Map<string, number>();
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = get(i);
    if (s === undefined) {
      codes[i] = -1;
      continue;
    }
    let c = index.get(s);
    if (c === undefined) {
      c = dict.length;
      dict.push(s);
      index.set(s, c);
    }
    codes[i] = c;
  }
  return { t: "str", codes, dict };
}

/**
 * Evaluates a parsed expression over every row of `table`.
 * @returns A numeric or categorical column (comparisons give numeric 0/1 with logical type `bool`).
 * @throws ExpressionError for an unknown column or a type mismatch, pointing at the sub-expression.
 */
export function evaluateExpression(node: ExprNode, table: Table): Column {
  const n = table.numRows;
  const evalNode = (e: ExprNode): Value => {
    switch (e.type) {
      case "num":
        return { t: "num", v: new Float64Array(n).fill(e.value), bool: false };
      case "str":
        return { t: "str", codes: new Int32Array(n), dict: [e.value] };
      case "col": {
        if (!table.has(e.name)) {
          throw new ExpressionError(
            `unknown column "${e.name}" (columns: ${table.columnNames.join(", ") || "none"})`,
            e.pos,
          );
        }
        const c = table.column(e.name);
        return c.type === "numeric"
          ? { t: "num", v: c.values, bool: c.logical === "bool" }
          : { t: "str", codes: c.codes, dict: c.dictionary };
      }
      case "unary": {
        const a = evalNode(e.arg);
        const x = numValue(a, e.op === "-" ? "negation" : '"not"', e.pos);
        const out = new Float64Array(n);
        if (e.op === "-") for (let i = 0; i < n; i++) out[i] = -x[i]!;
        else for (let i = 0; i < n; i++) out[i] = Number.isNaN(x[i]!) ? NaN_ : x[i] ? 0 : 1;
        return { t: "num", v: out, bool: e.op === "not" };
      }
      case "binary":
        return evalBinary(e.op, evalNode(e.left), evalNode(e.right), e.pos);
      case "call":
        return evalCall(e.fn, e.args.map(evalNode), e.pos, e.args);
    }
  };

  const evalBinary = (op: BinaryOp, a: Value, b: Value, pos: number): Value => {
    const out = new Float64Array(n);
    if (op === "and" || op === "or") {
      const x = numValue(a, `"${op}"`, pos);
      const y = numValue(b, `"${op}"`, pos);
      for (let i = 0; i < n; i++) {
        const p = x[i]!;
        const q = y[i]!;
        const pm = Number.isNaN(p);
        const qm = Number.isNaN(q);
        if (op === "and") out[i] = (!pm && !p) || (!qm && !q) ? 0 : pm || qm ? NaN_ : 1;
        else out[i] = (!pm && p) || (!qm && q) ? 1 : pm || qm ? NaN_ : 0;
      }
      return { t: "num", v: out, bool: true };
    }
    if (op === "==" || op === "!=" || op === "<" || op === "<=" || op === ">" || op === ">=") {
      const cmp = (d: number) =>
        op === "=="
          ? d === 0
          : op === "!="
            ? d !== 0
            : op === "<"
              ? d < 0
              : op === "<="
                ? d <= 0
                : op === ">"
                  ? d > 0
                  : d >= 0;
      if (a.t === "num" && b.t === "num") {
        for (let i = 0; i < n; i++) {
          const p = a.v[i]!;
          const q = b.v[i]!;
          out[i] = Number.isNaN(p) || Number.isNaN(q) ? NaN_ : cmp(p < q ? -1 : p > q ? 1 : 0) ? 1 : 0;
        }
        return { t: "num", v: out, bool: true };
      }
      if (a.t === "str" && b.t === "str") {
        for (let i = 0; i < n; i++) {
          const p = textAt(a, i);
          const q = textAt(b, i);
          out[i] = p === undefined || q === undefined ? NaN_ : cmp(p < q ? -1 : p > q ? 1 : 0) ? 1 : 0;
        }
        return { t: "num", v: out, bool: true };
      }
      if (op !== "==" && op !== "!=")
        throw new ExpressionError(`"${op}" cannot order a number against text; cast the column first`, pos);
      const [s, x] = a.t === "str" ? [a, (b as Value & { t: "num" }).v] : [b as Value & { t: "str" }, a.v];
      for (let i = 0; i < n; i++) {
        const p = textAt(s, i);
        const q = x[i]!;
        out[i] = p === undefined || Number.isNaN(q) ? NaN_ : cmp(p === String(q) ? 0 : 1) ? 1 : 0;
      }
      return { t: "num", v: out, bool: true };
    }
    if (op === "+" && a.t === "str" && b.t === "str") {
      return strFrom(n, (i) => {
        const p = textAt(a, i);
        const q = textAt(b, i);
        return p === undefined || q === undefined ? undefined : p + q;
      });
    }
    const x = numValue(a, `"${op}"`, pos);
    const y = numValue(b, `"${op}"`, pos);
    switch (op) {
      case "+":
        for (let i = 0; i < n; i++) out[i] = finite(x[i]! + y[i]!);
        break;
      case "-":
        for (let i = 0; i < n; i++) out[i] = finite(x[i]! - y[i]!);
        break;
      case "*":
        for (let i = 0; i < n; i++) out[i] = finite(x[i]! * y[i]!);
        break;
      case "/":
        for (let i = 0; i < n; i++) out[i] = finite(x[i]! / y[i]!);
        break;
      case "%":
        for (let i = 0; i < n; i++) out[i] = finite(x[i]! % y[i]!);
        break;
    }
    return { t: "num", v: out, bool: false };
  };

  const evalCall = (fn: FunctionName, args: Value[], pos: number, nodes: ExprNode[]): Value => {
    const out = new Float64Array(n);
    const map1 = (f: (x: number) => number): Value => {
      const x = numValue(args[0]!, `${fn}()`, nodes[0]!.pos);
      for (let i = 0; i < n; i++) out[i] = finite(f(x[i]!));
      return { t: "num", v: out, bool: false };
    };
    switch (fn) {
      case "abs":
        return map1(Math.abs);
      case "log":
        return map1(Math.log);
      case "exp":
        return map1(Math.exp);
      case "sqrt":
        return map1(Math.sqrt);
      case "round": {
        const x = numValue(args[0]!, "round()", nodes[0]!.pos);
        const d = args[1] ? numValue(args[1], "round() digits", nodes[1]!.pos) : undefined;
        for (let i = 0; i < n; i++) {
          const digits = d ? d[i]! : 0;
          if (Number.isNaN(digits) || !Number.isInteger(digits)) {
            out[i] = NaN_;
            continue;
          }
          const f = 10 ** digits;
          const v = x[i]!;
          out[i] = finite((Math.sign(v) * Math.round(Math.abs(v) * f)) / f);
        }
        return { t: "num", v: out, bool: false };
      }
      case "min":
      case "max": {
        const cols = args.map((a, j) => numValue(a, `${fn}()`, nodes[j]!.pos));
        const f = fn === "min" ? Math.min : Math.max;
        for (let i = 0; i < n; i++) {
          let acc = cols[0]![i]!;
          for (let j = 1; j < cols.length; j++) acc = f(acc, cols[j]![i]!);
          out[i] = acc;
        }
        return { t: "num", v: out, bool: false };
      }
      case "is_missing": {
        const a = args[0]!;
        if (a.t === "num") for (let i = 0; i < n; i++) out[i] = Number.isNaN(a.v[i]!) ? 1 : 0;
        else for (let i = 0; i < n; i++) out[i] = a.codes[i]! < 0 ? 1 : 0;
        return { t: "num", v: out, bool: true };
      }
      case "coalesce": {
        const kinds = new Set(args.map((a) => a.t));
        if (kinds.size > 1)
          throw new ExpressionError("coalesce() needs arguments of one type (all numbers or all text)", pos);
        if (args[0]!.t === "num") {
          const cols = args.map((a) => (a as Value & { t: "num" }).v);
          for (let i = 0; i < n; i++) {
            let v = NaN_;
            for (const c of cols) {
              if (!Number.isNaN(c[i]!)) {
                v = c[i]!;
                break;
              }
            }
            out[i] = v;
          }
          return { t: "num", v: out, bool: args.every((a) => (a as Value & { t: "num" }).bool) };
        }
        const strs = args as Array<Value & { t: "str" }>;
        return strFrom(n, (i) => {
          for (const s of strs) {
            const v = textAt(s, i);
            if (v !== undefined) return v;
          }
          return undefined;
        });
      }
    }
  };

  const result = evalNode(node);
  if (result.t === "num") {
    const col: NumericColumn = { type: "numeric", values: result.v, logical: result.bool ? "bool" : "float" };
    // a bare numeric column reference keeps its own logical type
    if (node.type === "col") return table.column(node.name);
    return col;
  }
  if (node.type === "col") return table.column(node.name);
  const cat: CategoricalColumn = { type: "categorical", codes: result.codes, dictionary: result.dict };
  return cat;
}

/** Formats an expression error with a caret under the offending character. */
function pointAt(expr: string, pos: number): string {
  return `\n    ${expr}\n    ${" ".repeat(pos)}^`;
}

// ================================================================ steps

/** Types a `cast` step converts to. */
export type CastType = "numeric" | "categorical" | "bool";

/** One declarative step (a one-key object, as written in YAML). */
export type TransformStep =
  | { drop: string[] }
  | { rename: Record<string, string> }
  | { cast: Record<string, CastType> }
  | { derive: { name: string; expr: string } }
  | { filter: string }
  | { dropna: string[] };

/** Config of {@link localDataTransformer}. */
export interface LocalDataTransformerConfig {
  /** User module (relative to the project root): .js, .mjs or .ts. Default: none. */
  module?: string | null;
  /** Name of the function the module exports. Default `transform`. */
  function: string;
  /** Declarative steps, applied in order. Default `[]`. */
  steps: TransformStep[];
}

type CompiledStep =
  | { kind: "drop"; index: number; columns: string[] }
  | { kind: "rename"; index: number; mapping: Record<string, string> }
  | { kind: "cast"; index: number; casts: Record<string, CastType> }
  | { kind: "derive"; index: number; name: string; expr: string; tree: ExprNode }
  | { kind: "filter"; index: number; expr: string; tree: ExprNode }
  | { kind: "dropna"; index: number; columns: string[] };

function compileSteps(steps: readonly TransformStep[], configPath: string): CompiledStep[] {
  const issues: Array<{ code: string; path: string; message: string }> = [];
  const out: CompiledStep[] = [];
  steps.forEach((step, index) => {
    const [kind] = Object.keys(step);
    const where = `steps[${index}] (${kind})`;
    const parse = (expr: string, yamlPath: string): ExprNode | undefined => {
      try {
        return parseExpression(expr);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        issues.push({
          code: "invalid_expression",
          path: yamlPath,
          message: `${where}: ${e.message} at column ${e.position + 1} of the expression:${pointAt(expr, e.position)}`,
        });
        return undefined;
      }
    };
    if ("drop" in step) out.push({ kind: "drop", index, columns: step.drop });
    else if ("rename" in step) out.push({ kind: "rename", index, mapping: step.rename });
    else if ("cast" in step) out.push({ kind: "cast", index, casts: step.cast });
    else if ("dropna" in step) out.push({ kind: "dropna", index, columns: step.dropna });
    else if ("derive" in step) {
      const tree = parse(step.derive.expr, `${configPath}.steps.${index}.derive.expr`);
      if (tree) out.push({ kind: "derive", index, name: step.derive.name, expr: step.derive.expr, tree });
    } else if ("filter" in step) {
      const tree = parse(step.filter, `${configPath}.steps.${index}.filter`);
      if (tree) out.push({ kind: "filter", index, expr: step.filter, tree });
    }
  });
  if (issues.length) throw new ConfigError({ issues });
  return out;
}

function stepError(step: CompiledStep, message: string, details: Record<string, unknown> = {}): DataError {
  return new DataError({
    message: `data_transformer steps[${step.index}] (${step.kind}): ${message}`,
    code: "transform_step_failed",
    details: { step: step.index, ...details },
  });
}

function requireColumns(step: CompiledStep, table: Table, names: readonly string[]): void {
  const missing = names.filter((c) => !table.has(c));
  if (missing.length) {
    throw stepError(
      step,
      `no column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} (columns: ${table.columnNames.join(", ")})`,
      { columns: missing },
    );
  }
}

function castColumn(step: CompiledStep, name: string, col: Column, to: CastType): Column {
  if (to === "categorical") {
    if (col.type === "categorical") return col;
    return strFromColumn(col);
  }
  if (col.type === "numeric") {
    if (to === "numeric")
      return { type: "numeric", values: col.values, logical: col.logical === "bool" ? "float" : col.logical };
    const out = new Float64Array(col.values.length);
    for (let i = 0; i < out.length; i++) out[i] = Number.isNaN(col.values[i]!) ? NaN_ : col.values[i] ? 1 : 0;
    return { type: "numeric", values: out, logical: "bool" };
  }
  const parsed = col.dictionary.map((d) => {
    const s = d.trim();
    if (to === "numeric") return /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN_;
    const l = s.toLowerCase();
    return l === "true" || l === "yes" || l === "1" ? 1 : l === "false" || l === "no" || l === "0" ? 0 : NaN_;
  });
  const used = new Uint8Array(col.dictionary.length);
  for (const c of col.codes) if (c >= 0) used[c] = 1;
  const bad = col.dictionary.filter((_, j) => used[j] && !Number.isFinite(parsed[j]!));
  if (bad.length) {
    const shown = bad
      .slice(0, 5)
      .map((b) => `"${b}"`)
      .join(", ");
    throw stepError(
      step,
      `column "${name}" cannot be cast to ${to}: ${bad.length} value(s) do not convert, e.g. ${shown}. Map them to missing with the connector's na_values first.`,
      {
        column: name,
      },
    );
  }
  const out = new Float64Array(col.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = col.codes[i]! < 0 ? NaN_ : parsed[col.codes[i]!]!;
  return { type: "numeric", values: out, logical: to === "bool" ? "bool" : "float" };
}

function strFromColumn(col: NumericColumn): Column {
  const v = strFrom(col.values.length, (i) => {
    const x = col.values[i]!;
    if (Number.isNaN(x)) return undefined;
    if (col.logical === "bool") return x ? "true" : "false";
    if (col.logical === "datetime") return new Date(x).toISOString();
    return String(x);
  }) as Value & { t: "str" };
  return { type: "categorical", codes: v.codes, dictionary: v.dict };
}

function applyStep(
  step: CompiledStep,
  table: Table,
  ctx: ComponentContext<LocalDataTransformerConfig>,
): Table {
  switch (step.kind) {
    case "drop":
      requireColumns(step, table, step.columns);
      return table.drop(step.columns);
    case "rename": {
      requireColumns(step, table, Object.keys(step.mapping));
      const targets = Object.values(step.mapping);
      const clash = targets.find(
        (t, i) => targets.indexOf(t) !== i || (table.has(t) && !(t in step.mapping)),
      );
      if (clash)
        throw stepError(
          step,
          `renaming makes two columns named "${clash}"; drop or rename the existing one first`,
          { column: clash },
        );
      return table.rename(step.mapping);
    }
    case "cast": {
      requireColumns(step, table, Object.keys(step.casts));
      let t = table;
      for (const [name, to] of Object.entries(step.casts))
        t = t.withColumn(name, castColumn(step, name, t.column(name), to));
      return t;
    }
    case "derive": {
      const col = evaluate(step, step.expr, step.tree, table);
      return table.withColumn(step.name, col);
    }
    case "filter": {
      const col = evaluate(step, step.expr, step.tree, table);
      if (col.type !== "numeric")
        throw stepError(step, `the condition "${step.expr}" gives text, a true/false condition was expected`);
      const mask = new Uint8Array(table.numRows);
      let kept = 0;
      for (let i = 0; i < mask.length; i++) {
        const v = col.values[i]!;
        if (!Number.isNaN(v) && v !== 0) {
          mask[i] = 1;
          kept++;
        }
      }
      ctx.logger.info(`steps[${step.index}] filter "${step.expr}" kept ${kept} of ${table.numRows} rows`);
      return table.filter(mask);
    }
    case "dropna": {
      const names = step.columns.length ? step.columns : table.columnNames;
      requireColumns(step, table, names);
      const cols = names.map((c) => table.column(c));
      const mask = new Uint8Array(table.numRows).fill(1);
      let dropped = 0;
      for (let i = 0; i < mask.length; i++) {
        for (const c of cols) {
          if (c.type === "numeric" ? Number.isNaN(c.values[i]!) : c.codes[i]! < 0) {
            mask[i] = 0;
            dropped++;
            break;
          }
        }
      }
      ctx.logger.info(`steps[${step.index}] dropna dropped ${dropped} of ${table.numRows} rows`, {
        columns: names,
      });
      return dropped ? table.filter(mask) : table;
    }
  }
}

function evaluate(step: CompiledStep, expr: string, tree: ExprNode, table: Table): Column {
  try {
    return evaluateExpression(tree, table);
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    throw stepError(
      step,
      `${e.message} at column ${e.position + 1} of the expression:${pointAt(expr, e.position)}`,
      { position: e.position },
    );
  }
}

// ================================================================ user modules

function isTable(value: unknown): value is Table {
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

function describeValue(v: unknown): string {
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

async function importUserModule(file: string): Promise<Record<string, unknown>> {
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

// ================================================================ component

const STEP_SCHEMA = {
  type: "object",
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
  description: "One step: an object with exactly one of drop, rename, cast, derive, filter, dropna.",
  properties: {
    drop: { type: "array", items: { type: "string" }, minItems: 1, description: "Columns to remove." },
    rename: {
      type: "object",
      additionalProperties: { type: "string", minLength: 1 },
      description: "Columns to rename, {old: new}.",
    },
    cast: {
      type: "object",
      additionalProperties: { enum: ["numeric", "categorical", "bool"] },
      description:
        "Columns to convert, {column: numeric|categorical|bool}; values that do not convert are an error.",
    },
    derive: {
      type: "object",
      additionalProperties: false,
      required: ["name", "expr"],
      description: "Adds (or replaces) column `name` with the value of expression `expr`.",
      properties: {
        name: { type: "string", minLength: 1, description: "Name of the new column." },
        expr: { type: "string", minLength: 1, description: "Expression computing it." },
      },
    },
    filter: {
      type: "string",
      minLength: 1,
      description: "Keeps the rows where this condition is true (missing counts as false).",
    },
    dropna: {
      type: "array",
      items: { type: "string" },
      description: "Drops rows with a missing value in any of these columns (an empty list: any column).",
    },
  },
};

/** An instance of {@link localDataTransformer}: the `DataTransformer` contract. */
export type LocalDataTransformer = DataTransformer;

/**
 * `LocalDataTransformer` (kind `data_transformer`): applies a user module's `transform(table, ctx)`
 * (`.js`, `.mjs`, or `.ts` compiled by esbuild into a temporary file outside the project) or a list
 * of declarative `steps`. Exactly one of `module` and `steps` must be set. The input table is never
 * mutated.
 */
export const localDataTransformer = defineComponent<"data_transformer", LocalDataTransformerConfig>({
  kind: "data_transformer",
  type: "LocalDataTransformer",
  description: "Transforms data with a user module (.js/.mjs/.ts) or declarative steps",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      module: {
        type: ["string", "null"],
        minLength: 1,
        description:
          "Path (relative to the project root) of a .js, .mjs or .ts module exporting the transform function. A .ts module is compiled on its own; its imports are resolved from its folder.",
        default: null,
      },
      function: {
        type: "string",
        minLength: 1,
        description:
          "Name of the exported function called as fn(table, ctx); it returns a Table (or a Promise of one).",
        default: "transform",
      },
      steps: {
        type: "array",
        items: STEP_SCHEMA,
        description:
          "Declarative steps applied in order: {drop: [cols]}, {rename: {old: new}}, {cast: {col: numeric|categorical|bool}}, {derive: {name, expr}}, {filter: expr}, {dropna: [cols]}.",
        default: [],
      },
    },
  },
  create(ctx) {
    const cfg = ctx.config;
    const steps = cfg.steps ?? [];
    const configPath = `${ctx.path}.config`;
    if (cfg.module && steps.length) {
      throw new ConfigError({
        issues: [
          {
            code: "invalid_value",
            path: `${configPath}.module`,
            message: "set either `module` or `steps`, not both",
          },
        ],
      });
    }
    if (!cfg.module && !steps.length) {
      throw new ConfigError({
        issues: [
          {
            code: "missing_key",
            path: configPath,
            message: "LocalDataTransformer needs `module` (a transform file) or `steps`",
          },
        ],
      });
    }
    const compiled = compileSteps(steps, configPath);
    const fnName = cfg.function ?? "transform";
    let loaded: Promise<(table: Table, c: unknown) => unknown> | undefined;

    const loadFunction = async (): Promise<(table: Table, c: unknown) => unknown> => {
      const rel = cfg.module!;
      const file = isAbsolute(rel) ? rel : resolve(ctx.project.root, rel);
      if (!existsSync(file)) {
        throw new DataError({
          message: `data_transformer module not found: ${file} (module: "${rel}", relative to the project root ${ctx.project.root})`,
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
      return fn as (table: Table, c: unknown) => unknown;
    };

    return {
      async transform(table: Table): Promise<Table> {
        if (cfg.module) {
          loaded ??= loadFunction();
          let fn: (table: Table, c: unknown) => unknown;
          try {
            fn = await loaded;
          } catch (e) {
            loaded = undefined;
            throw e;
          }
          const result = await fn(table, ctx);
          if (!isTable(result)) {
            throw new DataError({
              message: `data_transformer: ${cfg.module} ${fnName}() returned ${describeValue(result)}, a Table was expected (return e.g. table.withColumn(...) or Table.fromColumns(...))`,
              code: "module_invalid",
            });
          }
          return result;
        }
        let t = table;
        for (const step of compiled) {
          ctx.signal.throwIfAborted();
          t = applyStep(step, t, ctx);
        }
        return t;
      },
    } satisfies DataTransformer;
  },
});
