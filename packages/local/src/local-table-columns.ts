/**
 * Column builders of the table readers: values are collected as they are parsed (numbers as
 * `Float64Array`, text dictionary-encoded) and each column's type is decided once the file is read;
 * a forced type (`columns` option) that a value does not fit is an error naming the row.
 */
import {
  type Column,
  DataError,
  type NumericLogicalType,
  parseBoolText,
  parseDateText,
  Table,
} from "@lolpop/core";
import { parseDecimal } from "./local-table-csv.js";
import type { ForcedColumnType } from "./local-table-format.js";

const SIMPLE_DECIMAL_RE = /^-?(?:[1-9]\d*|0)(?:\.\d*[1-9])?$/;

/**
 * True when `text` is certainly the text `String(Number(text))` gives back, without formatting the
 * number (which is slow): at most 15 characters (so at most 15 significant digits, which survive a
 * round trip through a double), no leading zeros, no trailing zeros after the point, not `-0`, and
 * not small enough for exponent notation.
 */
function isCanonicalDecimal(text: string): boolean {
  return text.length <= 15 && SIMPLE_DECIMAL_RE.test(text) && text !== "-0" && !text.includes(".000000");
}

const parseBool = (text: string): number => parseBoolText(text);

/** Kind of a value: text (CSV, or a JSON string) or a typed JSON number / boolean. */
export const Kind = { Text: 0, Number: 1, Bool: 2 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** A value that does not fit a forced column type; the reader turns `row` into a line number. */
class BadValue extends Error {
  constructor(
    readonly column: string,
    readonly value: string,
    readonly row: number,
    readonly forced: ForcedColumnType,
  ) {
    super(`bad value ${value}`);
  }
}

/**
 * Collects one column's values and decides its type at the end. While every value is a number it
 * stores `Float64Array` values (plus the original text of the rare values whose text is not the
 * number's canonical form, e.g. `007`), so numeric columns cost 8 bytes a cell. The first value
 * that is not a number switches it to dictionary-encoded text, rebuilding earlier values exactly.
 */
export class ColumnBuilder {
  #length = 0;
  // numeric mode
  #values: Float64Array | undefined = new Float64Array(64);
  readonly #nonCanonical = new Map<number, string>();
  // text mode
  #codes: Int32Array | undefined;
  #dict: string[] = [];
  #kinds: Kind[] = [];
  #firstRow: number[] = [];
  #index = new Map<string, number>();

  constructor(private readonly typed: boolean) {}

  /** A CSV column read as numbers (exactly `values.length` rows; the array is kept, not copied). */
  static ofNumbers(values: Float64Array): ColumnBuilder {
    const b = new ColumnBuilder(false);
    b.#values = values;
    b.#length = values.length;
    return b;
  }

  /**
   * A CSV column read as text (exactly `codes.length` rows, codes into `dict`, -1 missing;
   * `firstRow[k]` is the row where `dict[k]` first appears). The arrays are kept, not copied.
   */
  static ofText(codes: Int32Array, dict: string[], firstRow: number[]): ColumnBuilder {
    const b = new ColumnBuilder(false);
    b.#values = undefined;
    b.#codes = codes;
    b.#length = codes.length;
    b.#dict = dict;
    b.#kinds = dict.map(() => Kind.Text);
    b.#firstRow = firstRow;
    for (let k = 0; k < dict.length; k++) b.#index.set(dict[k]!, k);
    return b;
  }

  get length(): number {
    return this.#length;
  }

  #grow(): void {
    if (this.#values) {
      if (this.#length === this.#values.length) {
        const next = new Float64Array(this.#values.length * 2);
        next.set(this.#values);
        this.#values = next;
      }
    } else if (this.#length === this.#codes!.length) {
      const next = new Int32Array(this.#codes!.length * 2);
      next.set(this.#codes!);
      this.#codes = next;
    }
  }

  #code(text: string, kind: Kind, row: number): number {
    const key = kind === Kind.Text ? text : `${kind}\u0000${text}`;
    let code = this.#index.get(key);
    if (code === undefined) {
      code = this.#dict.length;
      this.#dict.push(text);
      this.#kinds.push(kind);
      this.#firstRow.push(row);
      this.#index.set(key, code);
    }
    return code;
  }

  #toText(): void {
    const values = this.#values!;
    this.#values = undefined;
    this.#codes = new Int32Array(Math.max(64, values.length));
    for (let r = 0; r < this.#length; r++) {
      const v = values[r]!;
      this.#codes[r] = Number.isNaN(v)
        ? -1
        : this.#code(this.#nonCanonical.get(r) ?? String(v), this.typed ? Kind.Number : Kind.Text, r);
    }
    this.#nonCanonical.clear();
  }

  /** Appends a missing value. */
  addMissing(): void {
    this.#grow();
    if (this.#values) this.#values[this.#length++] = Number.NaN;
    else this.#codes![this.#length++] = -1;
  }

  /** Pads with missing values up to `n` rows. */
  padTo(n: number): void {
    while (this.#length < n) this.addMissing();
  }

  /** Appends a value (CSV text, or a JSON value of `kind`). */
  add(text: string, kind: Kind): void {
    if (this.#values) {
      let v: number;
      let canonical: boolean;
      if (kind === Kind.Text && !this.typed && isCanonicalDecimal(text)) {
        v = Number(text);
        canonical = true;
      } else {
        v =
          kind === Kind.Number
            ? Number(text)
            : kind === Kind.Text && !this.typed
              ? parseDecimal(text)
              : Number.NaN;
        canonical = String(v) === text;
      }
      if (!Number.isNaN(v)) {
        this.#grow();
        if (!canonical) this.#nonCanonical.set(this.#length, text);
        this.#values![this.#length++] = v;
        return;
      }
      this.#toText();
    }
    this.#grow();
    this.#codes![this.#length] = this.#code(text, kind, this.#length);
    this.#length++;
  }

  /** Builds the column, inferring its type unless `forced`. @throws BadValue */
  finish(name: string, forced: ForcedColumnType | undefined): Column {
    const n = this.#length;
    if (this.#values) {
      const values = this.#values.length === n ? this.#values : this.#values.slice(0, n);
      if (!forced || forced === "numeric") return { type: "numeric", values, logical: "float" };
      if (forced === "datetime") return { type: "numeric", values, logical: "datetime" };
      if (forced === "bool") {
        for (let r = 0; r < n; r++) {
          const v = values[r]!;
          if (!Number.isNaN(v) && v !== 0 && v !== 1)
            throw new BadValue(name, this.#nonCanonical.get(r) ?? String(v), r, forced);
        }
        return { type: "numeric", values, logical: "bool" };
      }
      this.#toText();
    }
    const codes = this.#codes!.length === n ? this.#codes! : this.#codes!.slice(0, n);
    const dict = this.#dict;
    const kinds = this.#kinds;
    const numericFrom = (perEntry: Float64Array, logical: NumericLogicalType): Column => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const c = codes[i]!;
        out[i] = c < 0 ? Number.NaN : perEntry[c]!;
      }
      return { type: "numeric", values: out, logical };
    };
    const convert = (to: ForcedColumnType, fn: (text: string, kind: Kind) => number): Float64Array => {
      const out = new Float64Array(dict.length);
      for (let j = 0; j < dict.length; j++) {
        const v = fn(dict[j]!, kinds[j]!);
        if (Number.isNaN(v)) throw new BadValue(name, dict[j]!, this.#firstRow[j]!, to);
        out[j] = v;
      }
      return out;
    };
    if (forced === "categorical") return { type: "categorical", codes, dictionary: [...dict] };
    if (forced === "numeric")
      return numericFrom(
        convert("numeric", (t, k) => (k === Kind.Bool ? parseBool(t) : parseDecimal(t))),
        "float",
      );
    if (forced === "bool") {
      return numericFrom(
        convert("bool", (t) => parseBoolText(t, true)),
        "bool",
      );
    }
    if (forced === "datetime") {
      return numericFrom(
        convert("datetime", (t, k) => (k === Kind.Number ? Number(t) : parseDateText(t))),
        "datetime",
      );
    }
    if (this.typed) {
      if (kinds.every((k) => k === Kind.Bool))
        return numericFrom(
          Float64Array.from(dict, (t) => (t === "true" ? 1 : 0)),
          "bool",
        );
      return { type: "categorical", codes, dictionary: [...dict] };
    }
    const bools = Float64Array.from(dict, parseBool);
    if (!bools.some(Number.isNaN)) return numericFrom(bools, "bool");
    return { type: "categorical", codes, dictionary: [...dict] };
  }
}

/**
 * Column types a reader is asked to read columns as, by someone other than the `columns` option
 * (a model version at predict): columns the file lacks are skipped, and `columns` wins.
 */
export interface ExpectedTyping {
  columns: Record<string, ForcedColumnType>;
  /** Who expects them, for messages: e.g. `model v3`. */
  label: string;
}

/** Builds the table; `locate(row)` describes where a data row is in the file (for errors). */
export async function buildTable(
  names: string[],
  builders: ColumnBuilder[],
  file: string,
  forced: Record<string, ForcedColumnType> | undefined,
  locate: (row: number) => Promise<string>,
  expected?: ExpectedTyping,
): Promise<Table> {
  for (const name of Object.keys(forced ?? {})) {
    if (!names.includes(name)) {
      throw new DataError({
        message: `${file}: \`columns\` sets a type for "${name}", but the file has no such column (columns: ${names.join(", ")})`,
        code: "missing_column",
        details: { file, column: name },
      });
    }
  }
  const typeOf = (n: string) => forced?.[n] ?? expected?.columns[n];
  try {
    return Table.fromColumns(names.map((n, j) => [n, builders[j]!.finish(n, typeOf(n))] as const));
  } catch (e) {
    if (!(e instanceof BadValue)) throw e;
    const where = await locate(e.row);
    const what =
      e.forced === "numeric"
        ? "a number"
        : e.forced === "datetime"
          ? "a date or epoch milliseconds"
          : "true/false";
    const byOption = forced?.[e.column] !== undefined;
    throw new DataError({
      message: byOption
        ? `${file}: column "${e.column}" is set to ${e.forced} in \`columns\`, but the value "${e.value}" on ${where} is not ${what}; fix the value, add it to na_values, or change the column's type`
        : `${file}: ${expected!.label} was trained with column "${e.column}" as ${e.forced}, but the value "${e.value}" on ${where} is not ${what}; fix the value, or add it to na_values`,
      code: "bad_value",
      details: { file, column: e.column, value: e.value, where },
    });
  }
}
