"""Reference side of bench/read-speed.mjs: reads files with pandas on request, one JSON line per answer.

Commands on stdin, one per line: `csv <path>`, `parquet <path>`, `write_parquet <csv> <parquet>`, `quit`.
The CSV read converts `ts` to UTC datetimes, so both sides produce the same typed table.
"""
import json
import sys
import time

import pandas as pd


def read_csv(path):
    df = pd.read_csv(path)
    df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    return df


def summary(df):
    return {"rows": int(df.shape[0]), "columns": int(df.shape[1]), "x1_sum": float(df["x1"].sum()),
            "x1_missing": int(df["x1"].isna().sum()), "cities": int(df["city"].nunique())}


for line in sys.stdin:
    cmd, *args = line.split()
    if cmd == "quit":
        break
    t = time.perf_counter()
    if cmd == "csv":
        df = read_csv(args[0])
    elif cmd == "parquet":
        df = pd.read_parquet(args[0])
    elif cmd == "write_parquet":
        df = read_csv(args[0])
        df.to_parquet(args[1], index=False)
    ms = (time.perf_counter() - t) * 1000
    print(json.dumps({"ms": ms, **summary(df)}), flush=True)
    del df
