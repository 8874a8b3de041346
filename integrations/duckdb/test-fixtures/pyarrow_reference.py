"""Reference reader/writer for @lolpop/duckdb's parity tests (pandas and pyarrow from the project venv).

  dump_csv <csv> <ts_column>   pandas.read_csv, the timestamp column through pd.to_datetime(utc=True)
  dump_parquet <parquet>       pyarrow.parquet.read_table
  write_types <parquet>        a Parquet file with the types the connector maps (see TYPES below)

Prints {"columns": [{"name", "type", "values"}]}: numbers as floats (missing as null), timestamps and
dates as epoch milliseconds (UTC), infinities as "inf"/"-inf", booleans as 1/0, decimals as the nearest float, integers beyond
2^53 as exact decimal text, strings as text.
"""
import datetime as dt
import decimal
import json
import math
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def cell(v):
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return v if abs(v) <= 2**53 else str(v)
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, pd.Timestamp):
        v = v.tz_localize("UTC") if v.tzinfo is None else v
        return v.value / 1e6
    if isinstance(v, dt.datetime):
        v = v.replace(tzinfo=dt.timezone.utc) if v.tzinfo is None else v
        return (v - EPOCH) / dt.timedelta(milliseconds=1)
    if isinstance(v, dt.date):
        return (dt.datetime(v.year, v.month, v.day, tzinfo=dt.timezone.utc) - EPOCH) / dt.timedelta(milliseconds=1)
    if hasattr(v, "item"):
        return cell(v.item())
    return v


def dump_frame(df):
    return [{"name": str(c), "type": str(df[c].dtype), "values": [cell(v) for v in df[c].tolist()]} for c in df.columns]


def dump_table(table):
    out = []
    for name, col in zip(table.column_names, table.columns):
        values = col.to_pylist()
        if pa.types.is_timestamp(col.type):
            # exact epoch ms from the integer storage (to_pylist drops nanoseconds)
            unit = {"s": 1e-3, "ms": 1, "us": 1e3, "ns": 1e6}[col.type.unit]
            ints = col.cast(pa.int64()).to_pylist()
            values = [None if i is None else i / unit for i in ints]
            out.append({"name": name, "type": str(col.type), "values": values})
            continue
        out.append({"name": name, "type": str(col.type), "values": [cell(v) for v in values]})
    return out


def write_types(path):
    big = 2**53 + 1
    table = pa.table({
        "small_int": pa.array([1, -2, None, 4], pa.int32()),
        "int64_big": pa.array([1, big, -big - 2, None], pa.int64()),
        "uint64": pa.array([0, 2**63 + 5, 7, None], pa.uint64()),
        "dec_9_2": pa.array([decimal.Decimal("1234567.89"), decimal.Decimal("-0.01"), None, decimal.Decimal("0")], pa.decimal128(9, 2)),
        "dec_18_3": pa.array([decimal.Decimal("123456789012345.678"), decimal.Decimal("-0.001"), None, decimal.Decimal("1.1")], pa.decimal128(18, 3)),
        "dec_38_10": pa.array([decimal.Decimal("1234567890123456789012345.0123456789"), decimal.Decimal("0.1"), None, decimal.Decimal("-3.3333333333")], pa.decimal128(38, 10)),
        "f32": pa.array([0.1, None, float("inf"), -2.5], pa.float32()),
        "f64": pa.array([0.1, float("nan"), None, 1e300], pa.float64()),
        "flag": pa.array([True, False, None, True], pa.bool_()),
        "day": pa.array([dt.date(2024, 2, 29), dt.date(1969, 12, 31), None, dt.date(2000, 1, 1)], pa.date32()),
        "ts_naive_ms": pa.array([dt.datetime(2024, 1, 1, 10, 0, 0, 123000), None, dt.datetime(1960, 6, 1), dt.datetime(2038, 1, 19, 3, 14, 8)], pa.timestamp("ms")),
        "ts_paris_ns": pa.array([pd.Timestamp("2024-03-31 01:30:00.123456789", tz="Europe/Paris").value, None, pd.Timestamp("2024-10-27 03:30", tz="Europe/Paris").value, 0], pa.timestamp("ns", tz="Europe/Paris")),
        "ts_utc_us": pa.array([1_700_000_000_123_456, None, -1, 0], pa.timestamp("us", tz="UTC")),
        "dict_str": pa.array(["alpha", "beta", None, "alpha"]).dictionary_encode(),
        "long_str": pa.array(["a fairly long string value", None, "another fairly long string value", "a fairly long string value"]),
        "unicode": pa.array(["é", "日本語テキスト長い文字列です", "", None]),
        "list_int": pa.array([[1, 2], None, [], [3]], pa.list_(pa.int64())),
        "struct_ab": pa.array([{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}, {"a": 4, "b": None}], pa.struct([("a", pa.int64()), ("b", pa.string())])),
    })
    pq.write_table(table, path)


cmd = sys.argv[1]
if cmd == "dump_csv":
    df = pd.read_csv(sys.argv[2])
    if len(sys.argv) > 3:
        df[sys.argv[3]] = pd.to_datetime(df[sys.argv[3]], utc=True, format="ISO8601")
    print(json.dumps({"columns": dump_frame(df)}))
elif cmd == "dump_parquet":
    print(json.dumps({"columns": dump_table(pq.read_table(sys.argv[2]))}))
elif cmd == "write_types":
    write_types(sys.argv[2])
    print(json.dumps({"ok": True}))
else:
    raise SystemExit(f"unknown command {cmd}")
