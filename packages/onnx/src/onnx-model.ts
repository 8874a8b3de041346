/**
 * ONNX models as plain data, and their protobuf encoding: `encodeModel` writes the bytes of an
 * `.onnx` file (ModelProto), `decodeModel` reads one. The messages and field numbers are those of
 * onnx.proto (IR version 8 onwards); fields lolpop does not use (training info, functions, sparse
 * tensors, external data) are not written and are ignored when read, except external data, which
 * is refused (the tensor's values would be missing).
 */
import type { OnnxAttribute, OnnxElementType, OnnxNode, OnnxTensor, OnnxTensorData } from "@lolpop/core";
import {
  int64Of,
  ProtoReader,
  ProtoWriter,
  readDoubles,
  readFloats,
  readInts,
  stringOf,
} from "./onnx-protobuf.js";

/** The type of a graph value: a tensor, a sequence or a map (as ZipMap produces). */
export type OnnxType =
  | { tensor: OnnxElementType; shape?: ReadonlyArray<number | string | null> }
  | { sequence: OnnxType }
  | { map: { key: OnnxElementType; value: OnnxType } };

/** A named, typed value of a graph (ONNX `ValueInfoProto`). */
export interface OnnxGraphValue {
  name: string;
  type: OnnxType;
  doc_string?: string;
}

/** A graph (ONNX `GraphProto`). */
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxGraphValue[];
  outputs: OnnxGraphValue[];
  /** Types of intermediate values (optional in ONNX). */
  value_info?: OnnxGraphValue[];
  doc_string?: string;
}

/** A model (ONNX `ModelProto`). */
export interface OnnxModel {
  /** IR version, e.g. 8. */
  ir_version: number;
  /** Operator sets used: domain (`""` default) to version. */
  opsets: Record<string, number>;
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph: OnnxGraph;
  /** Free key/value metadata (ONNX `metadata_props`). */
  metadata?: Record<string, string>;
}

/** ONNX `TensorProto.DataType` codes of the element types. */
export const ELEMENT_TYPE_CODES: Readonly<Record<OnnxElementType, number>> = Object.freeze({
  float: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  double: 11,
});

const ELEMENT_TYPES_BY_CODE = new Map<number, OnnxElementType>(
  Object.entries(ELEMENT_TYPE_CODES).map(([k, v]) => [v, k as OnnxElementType]),
);

const ONNX_TYPE_NAMES: Record<number, string> = {
  3: "int8",
  4: "uint16",
  5: "int16",
  10: "float16",
  12: "uint32",
  13: "uint64",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
};

function elementType(code: number, where: string): OnnxElementType {
  const t = ELEMENT_TYPES_BY_CODE.get(code);
  if (!t)
    throw new RangeError(
      `${where}: element type ${ONNX_TYPE_NAMES[code] ?? code} is not supported (float, double, int64, int32, string, bool and uint8 are)`,
    );
  return t;
}

/** Number of values a tensor of these dimensions holds. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------- encode

const utf8 = new TextEncoder();

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  const count = elementCount(t.dims);
  if (t.data.length !== count)
    throw new RangeError(
      `tensor "${t.name}": ${t.data.length} values for dims [${t.dims.join(", ")}] (${count})`,
    );
  w.packedInts(1, t.dims);
  w.int(2, ELEMENT_TYPE_CODES[t.type]);
  if (t.name) w.string(8, t.name);
  if (t.type === "string") {
    for (const s of t.data as readonly string[]) w.bytes(6, utf8.encode(s));
    return;
  }
  const data = t.data as Exclude<OnnxTensorData, readonly string[]>;
  // raw_data: the values' little-endian bytes (booleans one byte each).
  const expected: Record<Exclude<OnnxElementType, "string">, string> = {
    float: "Float32Array",
    double: "Float64Array",
    int64: "BigInt64Array",
    int32: "Int32Array",
    bool: "Uint8Array",
    uint8: "Uint8Array",
  };
  if (data.constructor.name !== expected[t.type])
    throw new TypeError(
      `tensor "${t.name}" of type ${t.type} needs a ${expected[t.type]}, got ${data.constructor.name}`,
    );
  const raw = new Uint8Array(data.byteLength);
  const view = new DataView(raw.buffer);
  const n = data.length;
  // Switch on the declared type (not `instanceof`: typed arrays may come from another realm).
  if (t.type === "float") for (let i = 0; i < n; i++) view.setFloat32(i * 4, data[i] as number, true);
  else if (t.type === "double") for (let i = 0; i < n; i++) view.setFloat64(i * 8, data[i] as number, true);
  else if (t.type === "int64") for (let i = 0; i < n; i++) view.setBigInt64(i * 8, data[i] as bigint, true);
  else if (t.type === "int32") for (let i = 0; i < n; i++) view.setInt32(i * 4, data[i] as number, true);
  else for (let i = 0; i < n; i++) raw[i] = data[i] as number;
  w.bytes(9, raw);
}

const ATTRIBUTE_TYPE_CODES: Record<OnnxAttribute["type"], number> = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  floats: 6,
  ints: 7,
  strings: 8,
};

function writeAttribute(w: ProtoWriter, name: string, a: OnnxAttribute): void {
  w.string(1, name);
  w.int(20, ATTRIBUTE_TYPE_CODES[a.type]);
  switch (a.type) {
    case "float":
      w.float(2, a.value);
      break;
    case "int":
      w.int(3, a.value < 0 ? BigInt(a.value) : a.value);
      break;
    case "string":
      w.string(4, a.value);
      break;
    case "tensor":
      w.message(5, (t) => writeTensor(t, a.value));
      break;
    case "floats":
      w.packedFloats(7, a.value);
      break;
    case "ints":
      w.packedInts(8, a.value);
      break;
    case "strings":
      for (const s of a.value) w.string(9, s);
      break;
  }
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op_type);
  for (const [name, a] of Object.entries(n.attributes ?? {})) w.message(5, (m) => writeAttribute(m, name, a));
  if (n.doc_string) w.string(6, n.doc_string);
  if (n.domain) w.string(7, n.domain);
}

function writeType(w: ProtoWriter, t: OnnxType): void {
  if ("tensor" in t) {
    w.message(1, (m) => {
      m.int(1, ELEMENT_TYPE_CODES[t.tensor]);
      if (t.shape)
        m.message(2, (s) => {
          for (const d of t.shape!)
            s.message(1, (dim) => {
              if (typeof d === "number") dim.int(1, d);
              else if (typeof d === "string") dim.string(2, d);
            });
        });
    });
  } else if ("sequence" in t) w.message(4, (m) => m.message(1, (e) => writeType(e, t.sequence)));
  else
    w.message(5, (m) => {
      m.int(1, ELEMENT_TYPE_CODES[t.map.key]);
      m.message(2, (v) => writeType(v, t.map.value));
    });
}

function writeValue(w: ProtoWriter, v: OnnxGraphValue): void {
  w.string(1, v.name);
  w.message(2, (t) => writeType(t, v.type));
  if (v.doc_string) w.string(3, v.doc_string);
}

function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  if (g.doc_string) w.string(10, g.doc_string);
  for (const v of g.inputs) w.message(11, (m) => writeValue(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValue(m, v));
  for (const v of g.value_info ?? []) w.message(13, (m) => writeValue(m, v));
}

/** The bytes of an `.onnx` file for `model` (a serialized ONNX ModelProto). */
export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.ir_version);
  if (model.producer_name) w.string(2, model.producer_name);
  if (model.producer_version) w.string(3, model.producer_version);
  if (model.domain) w.string(4, model.domain);
  if (model.model_version !== undefined) w.int(5, model.model_version);
  if (model.doc_string) w.string(6, model.doc_string);
  w.message(7, (g) => writeGraph(g, model.graph));
  for (const [domain, version] of Object.entries(model.opsets))
    w.message(8, (m) => {
      if (domain) m.string(1, domain);
      m.int(2, version);
    });
  for (const [key, value] of Object.entries(model.metadata ?? {}))
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  return w.finish();
}

// ---------------------------------------------------------------- decode

function readTensor(bytes: Uint8Array, where: string): OnnxTensor {
  const r = new ProtoReader(bytes);
  const dims: bigint[] = [];
  let code = 0;
  let name = "";
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const doubles: number[] = [];
  const int32s: bigint[] = [];
  const int64s: bigint[] = [];
  const strings: string[] = [];
  let external = false;
  for (const f of r.fields()) {
    switch (f.field) {
      case 1:
        readInts(f, dims);
        break;
      case 2:
        code = Number(f.varint);
        break;
      case 4:
        readFloats(r, f, floats);
        break;
      case 5:
        readInts(f, int32s);
        break;
      case 6:
        strings.push(stringOf(f));
        break;
      case 7:
        readInts(f, int64s);
        break;
      case 8:
        name = stringOf(f);
        break;
      case 9:
        raw = f.bytes;
        break;
      case 10:
        readDoubles(r, f, doubles);
        break;
      case 14:
        external = f.varint === 1n;
        break;
    }
  }
  const at = name ? `${where} tensor "${name}"` : `${where} tensor`;
  if (external) throw new RangeError(`${at} keeps its data in an external file, which is not supported`);
  const type = elementType(code, at);
  const shape = dims.map(Number);
  const count = elementCount(shape);
  let data: OnnxTensorData;
  if (type === "string") data = strings;
  else if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (type === "float") data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
    else if (type === "double")
      data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true));
    else if (type === "int64")
      data = BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true));
    else if (type === "int32")
      data = Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
    else data = Uint8Array.from(raw.subarray(0, count));
  } else if (type === "float") data = Float32Array.from(floats);
  else if (type === "double") data = Float64Array.from(doubles);
  else if (type === "int64") data = BigInt64Array.from(int64s);
  else if (type === "int32") data = Int32Array.from(int32s, Number);
  else data = Uint8Array.from(int32s, Number);
  if (data.length !== count)
    throw new RangeError(`${at}: ${data.length} values for dims [${shape.join(", ")}]`);
  return { name, type, dims: shape, data };
}

function readAttribute(bytes: Uint8Array, where: string): [string, OnnxAttribute] {
  const r = new ProtoReader(bytes);
  let name = "";
  let type = 0;
  let f32 = 0;
  let i64 = 0;
  let s = "";
  let t: Uint8Array | undefined;
  const floats: number[] = [];
  const ints: bigint[] = [];
  const strings: string[] = [];
  for (const f of r.fields()) {
    switch (f.field) {
      case 1:
        name = stringOf(f);
        break;
      case 20:
        type = Number(f.varint);
        break;
      case 2:
        f32 = r.float(f);
        break;
      case 3:
        i64 = int64Of(f);
        break;
      case 4:
        s = stringOf(f);
        break;
      case 5:
        t = f.bytes;
        break;
      case 7:
        readFloats(r, f, floats);
        break;
      case 8:
        readInts(f, ints);
        break;
      case 9:
        strings.push(stringOf(f));
        break;
    }
  }
  const at = `${where} attribute "${name}"`;
  switch (type) {
    case 1:
      return [name, { type: "float", value: f32 }];
    case 2:
      return [name, { type: "int", value: i64 }];
    case 3:
      return [name, { type: "string", value: s }];
    case 4:
      return [name, { type: "tensor", value: readTensor(t ?? new Uint8Array(0), at) }];
    case 6:
      return [name, { type: "floats", value: floats }];
    case 7:
      return [name, { type: "ints", value: ints.map(Number) }];
    case 8:
      return [name, { type: "strings", value: strings }];
    default:
      throw new RangeError(`${at}: attribute type ${type} is not supported`);
  }
}

function readNode(bytes: Uint8Array, index: number): OnnxNode {
  const r = new ProtoReader(bytes);
  const node: OnnxNode = { op_type: "", inputs: [], outputs: [] };
  const attrs: Array<Uint8Array> = [];
  for (const f of r.fields()) {
    if (f.field === 1) node.inputs.push(stringOf(f));
    else if (f.field === 2) node.outputs.push(stringOf(f));
    else if (f.field === 3) node.name = stringOf(f);
    else if (f.field === 4) node.op_type = stringOf(f);
    else if (f.field === 5) attrs.push(f.bytes!);
    else if (f.field === 6) node.doc_string = stringOf(f);
    else if (f.field === 7) node.domain = stringOf(f);
  }
  const where = `node ${index} (${node.op_type}${node.name ? ` "${node.name}"` : ""})`;
  if (attrs.length) node.attributes = Object.fromEntries(attrs.map((a) => readAttribute(a, where)));
  return node;
}

function readType(bytes: Uint8Array, where: string): OnnxType {
  const r = new ProtoReader(bytes);
  for (const f of r.fields()) {
    if (f.field === 1) {
      let elem = 0;
      let shape: Array<number | string | null> | undefined;
      for (const g of new ProtoReader(f.bytes!).fields()) {
        if (g.field === 1) elem = Number(g.varint);
        else if (g.field === 2) {
          shape = [];
          for (const d of new ProtoReader(g.bytes!).fields()) {
            if (d.field !== 1) continue;
            let dim: number | string | null = null;
            for (const x of new ProtoReader(d.bytes!).fields()) {
              if (x.field === 1) dim = int64Of(x);
              else if (x.field === 2) dim = stringOf(x);
            }
            shape.push(dim);
          }
        }
      }
      return shape ? { tensor: elementType(elem, where), shape } : { tensor: elementType(elem, where) };
    }
    if (f.field === 4) {
      for (const g of new ProtoReader(f.bytes!).fields())
        if (g.field === 1) return { sequence: readType(g.bytes!, where) };
    }
    if (f.field === 5) {
      let key = 0;
      let value: OnnxType | undefined;
      for (const g of new ProtoReader(f.bytes!).fields()) {
        if (g.field === 1) key = Number(g.varint);
        else if (g.field === 2) value = readType(g.bytes!, where);
      }
      if (value) return { map: { key: elementType(key, where), value } };
    }
  }
  throw new RangeError(`${where}: a type other than tensor, sequence or map`);
}

function readValue(bytes: Uint8Array, where: string): OnnxGraphValue {
  const r = new ProtoReader(bytes);
  let name = "";
  let type: Uint8Array | undefined;
  let doc: string | undefined;
  for (const f of r.fields()) {
    if (f.field === 1) name = stringOf(f);
    else if (f.field === 2) type = f.bytes;
    else if (f.field === 3) doc = stringOf(f);
  }
  const v: OnnxGraphValue = { name, type: readType(type ?? new Uint8Array(0), `${where} "${name}"`) };
  if (doc) v.doc_string = doc;
  return v;
}

function readGraph(bytes: Uint8Array): OnnxGraph {
  const g: OnnxGraph = { name: "", nodes: [], initializers: [], inputs: [], outputs: [], value_info: [] };
  for (const f of new ProtoReader(bytes).fields()) {
    if (f.field === 1) g.nodes.push(readNode(f.bytes!, g.nodes.length));
    else if (f.field === 2) g.name = stringOf(f);
    else if (f.field === 5) g.initializers.push(readTensor(f.bytes!, "initializer"));
    else if (f.field === 10) g.doc_string = stringOf(f);
    else if (f.field === 11) g.inputs.push(readValue(f.bytes!, "graph input"));
    else if (f.field === 12) g.outputs.push(readValue(f.bytes!, "graph output"));
    else if (f.field === 13) g.value_info!.push(readValue(f.bytes!, "value_info"));
  }
  return g;
}

/** Reads the bytes of an `.onnx` file (a serialized ModelProto). Throws a RangeError naming what is wrong. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const model: OnnxModel = {
    ir_version: 0,
    opsets: {},
    graph: { name: "", nodes: [], initializers: [], inputs: [], outputs: [] },
  };
  let graph: Uint8Array | undefined;
  for (const f of new ProtoReader(bytes).fields()) {
    switch (f.field) {
      case 1:
        model.ir_version = int64Of(f);
        break;
      case 2:
        model.producer_name = stringOf(f);
        break;
      case 3:
        model.producer_version = stringOf(f);
        break;
      case 4:
        model.domain = stringOf(f);
        break;
      case 5:
        model.model_version = int64Of(f);
        break;
      case 6:
        model.doc_string = stringOf(f);
        break;
      case 7:
        graph = f.bytes;
        break;
      case 8: {
        let domain = "";
        let version = 0;
        for (const g of new ProtoReader(f.bytes!).fields()) {
          if (g.field === 1) domain = stringOf(g);
          else if (g.field === 2) version = int64Of(g);
        }
        model.opsets[domain] = version;
        break;
      }
      case 14: {
        let key = "";
        let value = "";
        for (const g of new ProtoReader(f.bytes!).fields()) {
          if (g.field === 1) key = stringOf(g);
          else if (g.field === 2) value = stringOf(g);
        }
        model.metadata ??= {};
        model.metadata[key] = value;
        break;
      }
    }
  }
  if (!graph) throw new RangeError("not an ONNX model: no graph");
  model.graph = readGraph(graph);
  return model;
}
