"""Runs the real Evidently on CSV files, for @lolpop/evidently's parity tests and benchmark.

Reads a JSON request on stdin:
  {"mode": "report", "cases": [{"current": path, "reference": path | null,
                                "drift": {DataDriftPreset kwargs} | null, "summary": bool}]}
  {"mode": "bench", "current": path, "reference": path, "repeat": n}
Writes JSON on stdout: for "report", one entry per case, either {"snapshot": Report(...).run(...).dict()
as JSON (NaN as null, infinities as "inf"/"-inf")} or {"error": "<ExceptionType>: message"}; for "bench", {"seconds": [...]}.
CSV files are read with pandas.read_csv defaults, as a user would load them.
"""

import json
import math
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import pandas as pd  # noqa: E402
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset, DataSummaryPreset  # noqa: E402


def clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def run_case(case):
    current = pd.read_csv(case["current"])
    reference = pd.read_csv(case["reference"]) if case.get("reference") else None
    presets = []
    if case.get("drift") is not None:
        presets.append(DataDriftPreset(**case["drift"]))
    if case.get("summary", True):
        presets.append(DataSummaryPreset())
    try:
        snapshot = Report(presets, include_tests=True).run(current, reference)
        return {"snapshot": clean(json.loads(snapshot.json()))}
    except Exception as e:  # the parity test compares errors too
        return {"error": f"{type(e).__name__}: {e}"}


def main():
    request = json.load(sys.stdin)
    if request["mode"] == "report":
        out = [run_case(c) for c in request["cases"]]
    elif request["mode"] == "bench":
        current = pd.read_csv(request["current"])
        reference = pd.read_csv(request["reference"])
        seconds = []
        for _ in range(request.get("repeat", 1)):
            start = time.perf_counter()
            Report([DataDriftPreset()]).run(current, reference)
            seconds.append(time.perf_counter() - start)
        out = {"seconds": seconds, "rows": len(current), "columns": len(current.columns)}
    else:
        raise SystemExit(f"unknown mode {request['mode']}")
    json.dump(out, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
