"""Wire format and helpers of the @lolpop/python-bridge worker (standard library only; numpy optional).

A frame is: a 4-byte little-endian header length, the UTF-8 JSON header (a JSON-RPC 2.0 message with
an extra "buffers" list of byte lengths), then the buffers back to back. Inside the message, a binary
value is written as {"$buffer": i, "dtype": "<f8"} (i indexes "buffers"; dtype is a numpy type string)
and a table as {"$table": 1, "num_rows": n, "columns": [...]} whose columns carry such buffers.
Buffers arrive as numpy arrays when numpy is installed, else as memoryviews.
"""

import json
import struct

PROTOCOL_VERSION = 1
_HEADER = struct.Struct("<I")

try:  # numpy is optional for the generic worker; handlers that need it import it themselves
    import numpy as _np
except Exception:  # pragma: no cover - depends on the environment
    _np = None

_MEMORYVIEW_FORMATS = {
    "<f8": "d",
    "<f4": "f",
    "<i4": "i",
    "<u4": "I",
    "<i2": "h",
    "<u2": "H",
    "|i1": "b",
    "|u1": "B",
    "|b1": "B",
    "<i8": "q",
    "<u8": "Q",
}


class ProtocolError(Exception):
    """The byte stream is not a valid frame."""


def read_exact(stream, n):
    """Reads exactly n bytes into a fresh bytearray; returns None on end of file before the first byte."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            if got == 0:
                return None
            raise ProtocolError("end of input inside a frame (%d of %d bytes)" % (got, n))
        got += k
    return buf


def read_frame(stream):
    """Reads one frame; returns (message, buffers) or None at end of input."""
    head = read_exact(stream, 4)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    raw = read_exact(stream, size) if size else bytearray()
    if raw is None:
        raise ProtocolError("end of input before the frame header")
    try:
        message = json.loads(raw.decode("utf-8"))
    except ValueError as e:
        raise ProtocolError("frame header is not JSON: %s" % e)
    lengths = message.pop("buffers", None) or []
    buffers = []
    for n in lengths:
        b = read_exact(stream, int(n)) if n else bytearray()
        if b is None:
            raise ProtocolError("end of input before a buffer")
        buffers.append(b)
    return message, buffers


def _as_array(buf, dtype):
    if _np is not None:
        return _np.frombuffer(buf, dtype=_np.dtype(dtype))
    fmt = _MEMORYVIEW_FORMATS.get(dtype)
    if fmt is None:
        raise ProtocolError("unsupported dtype %r" % dtype)
    return memoryview(buf).cast(fmt)


class Column(object):
    """One column of a Table: numeric (values: float64, NaN = missing) or categorical (codes: int32
    indexing dictionary, -1 = missing)."""

    __slots__ = ("name", "kind", "role", "logical", "values", "codes", "dictionary")

    def __init__(self, name, kind, role="feature", logical=None, values=None, codes=None, dictionary=None):
        self.name = name
        self.kind = kind
        self.role = role
        self.logical = logical
        self.values = values
        self.codes = codes
        self.dictionary = dictionary

    def strings(self, missing):
        """A categorical column as a numpy object array of str (missing values become `missing`)."""
        if self.kind != "categorical":
            raise TypeError("column %r is numeric" % self.name)
        lookup = _np.array(list(self.dictionary) + [missing], dtype=object)
        codes = _np.asarray(self.codes)
        return lookup[_np.where(codes < 0, len(self.dictionary), codes)]


class Table(object):
    """A table sent by @lolpop/python-bridge's encodeTable: ordered columns of equal length."""

    def __init__(self, num_rows, columns):
        self.num_rows = num_rows
        self.columns = columns

    @property
    def names(self):
        return [c.name for c in self.columns]

    def column(self, name):
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError("no column %r (columns: %s)" % (name, ", ".join(self.names)))


def decode(value, buffers):
    """Replaces buffer and table references in a decoded JSON value."""
    if isinstance(value, dict):
        if "$buffer" in value:
            i = value["$buffer"]
            if not isinstance(i, int) or i < 0 or i >= len(buffers):
                raise ProtocolError("buffer reference %r out of range" % (i,))
            arr = _as_array(buffers[i], value.get("dtype", "|u1"))
            shape = value.get("shape")
            if shape is not None and _np is not None:
                arr = arr.reshape(shape)
            return arr
        if "$table" in value:
            cols = []
            for c in value.get("columns", []):
                kind = c.get("type")
                if kind == "numeric":
                    cols.append(Column(c["name"], "numeric", c.get("role", "feature"), c.get("logical"),
                                       values=decode(c["values"], buffers)))
                elif kind == "categorical":
                    cols.append(Column(c["name"], "categorical", c.get("role", "feature"),
                                       codes=decode(c["codes"], buffers), dictionary=list(c["dictionary"])))
                else:
                    raise ProtocolError("unknown column type %r" % (kind,))
            return Table(int(value.get("num_rows", 0)), cols)
        return {k: decode(v, buffers) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v, buffers) for v in value]
    return value


def encode(value, buffers):
    """Turns numpy arrays and bytes into buffer references (appending to `buffers`); returns a JSON-able value."""
    if _np is not None and isinstance(value, _np.ndarray):
        arr = _np.ascontiguousarray(value)
        if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not _little_endian()):
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        if arr.dtype == object:
            return [encode(v, buffers) for v in arr.tolist()]
        buffers.append(memoryview(arr).cast("B"))
        ref = {"$buffer": len(buffers) - 1, "dtype": arr.dtype.str}
        if arr.ndim != 1:
            ref["shape"] = list(arr.shape)
        return ref
    if isinstance(value, (bytes, bytearray, memoryview)):
        buffers.append(memoryview(value).cast("B"))
        return {"$buffer": len(buffers) - 1, "dtype": "|u1"}
    if isinstance(value, dict):
        return {str(k): encode(v, buffers) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v, buffers) for v in value]
    if _np is not None and isinstance(value, _np.generic):
        return encode(value.item(), buffers)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None  # JSON has no NaN or infinity
    return value


def _little_endian():
    import sys

    return sys.byteorder == "little"


def write_frame(write, message):
    """Encodes `message` (numpy arrays and bytes become buffers) and writes one frame with `write(bytes)`."""
    buffers = []
    body = encode(message, buffers)
    body["buffers"] = [b.nbytes for b in buffers]
    header = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
    write(_HEADER.pack(len(header)) + header)
    for b in buffers:
        write(b)
