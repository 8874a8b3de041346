"""Prophet called directly (no lolpop code), for @lolpop/forecast's test that the bridge forecaster
gives the same forecasts. Runs in the project's .venv (prophet 1.5.0 from python/requirements.txt).

stdin: {"options": {...Prophet(**options)}, "levels": [80, 95], "seed": 0,
        "series": [{"ds": [epoch ms], "y": [...], "future": [epoch ms]}]}
stdout: {"series": [{"mean": [...], "intervals": [{"level", "lower", "upper"}]}]}
"""

import json
import logging
import sys

import numpy as np
import pandas as pd
from prophet import Prophet

logging.getLogger("cmdstanpy").setLevel(logging.WARNING)


def main():
    request = json.load(sys.stdin)
    out = []
    for s in request["series"]:
        df = pd.DataFrame({"ds": pd.to_datetime(s["ds"], unit="ms"), "y": s["y"]})
        model = Prophet(**request.get("options", {}))
        model.fit(df)
        future = pd.DataFrame({"ds": pd.to_datetime(s["future"], unit="ms")})
        row = {"intervals": []}
        for level in request["levels"]:
            model.interval_width = level / 100.0
            np.random.seed(request.get("seed", 0))
            fc = model.predict(future)
            row["mean"] = fc["yhat"].tolist()
            row["intervals"].append(
                {"level": level, "lower": fc["yhat_lower"].tolist(), "upper": fc["yhat_upper"].tolist()}
            )
        out.append(row)
    json.dump({"series": out}, sys.stdout)


if __name__ == "__main__":
    main()
