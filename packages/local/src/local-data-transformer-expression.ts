/**
 * The expression language of LocalDataTransformer's `derive.expr` and `filter` steps: a tokenizer and
 * parser (never `eval`) and a vectorized evaluator over a table's typed arrays.
 *
 * Numbers, `'text'` (or `"text"`), `true`/`false`, column names (bare identifiers, or
 * `col("name with spaces")`), `+ - * / %` (`+` also joins two texts), comparisons
 * `== != < <= > >=`, `and`/`or`/`not`, parentheses and the functions `abs`, `log`, `exp`, `sqrt`,
 * `round(x[, digits])`, `min(a, b, ...)`, `max(a, b, ...)`, `is_missing(x)`, `coalesce(a, b, ...)`.
 * Missing values propagate: any arithmetic, comparison or function of a missing value is missing
 * (NaN), except `is_missing`, `coalesce`, and `and`/`or` when the other side decides
 * (`false and missing` is false, `true or missing` is true). Results that are not finite (`x / 0`,
 * `log(0)`) are missing too.
 */
import {
  type CategoricalColumn,
  type Column,
  categoricalFromText,
  type NumericColumn,
  type Table,
} from "@lolpop/core";

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
  const { codes, dictionary } = categoricalFromText(n, get);
  return { t: "str", codes, dict: dictionary };
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
export function pointAt(expr: string, pos: number): string {
  return `\n    ${expr}\n    ${" ".repeat(pos)}^`;
}
