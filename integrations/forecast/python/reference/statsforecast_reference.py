"""Reference forecasts from statsforecast for @lolpop/forecast's parity tests and benchmark.

Reads a JSON request on stdin and writes a JSON answer on stdout:
  {"series": [{"name": str, "y": [float], "season_length": int}],
   "h": int, "level": [int], "models": [{"kind": "ets", "model": "ZZZ", "damped": null}
                                         | {"kind": "seasonal_naive"}]}
Each answer row gives the mean forecast, the intervals, and for ETS the selected model, its
parameters and AICc, plus the seconds spent fitting and forecasting (for the benchmark).
"""

import json
import math
import sys
import time
import warnings

import numpy as np
import statsforecast
from statsforecast.models import AutoETS, SeasonalNaive


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _floats(a):
    return [_clean(float(x)) for x in np.asarray(a, dtype=np.float64)]


def textbook_forecast(fit, h):
    """Point forecasts from the reference's fitted final state with the damping sum of Hyndman et al.
    (2008), phi + phi^2 + ... + phi^h. statsforecast 2.1.1's own recursion adds phi^(i+1) where the
    book has phi^(i+2) (2 phi at h = 2), fixed upstream in Nixtla/statsforecast#1219 after 2.1.1."""
    comp = fit["components"]
    trend, season, damped = comp[1], comp[2], comp[3] == "D"
    m = int(fit["m"])
    state = np.asarray(fit["states"][-1], dtype=np.float64)
    l = state[0]
    b = state[1] if trend != "N" else 0.0
    s0 = 2 if trend != "N" else 1
    phi = float(fit["par"][3]) if damped else 1.0
    out = []
    phistar = 0.0
    for i in range(h):
        phistar += phi ** (i + 1)
        if trend == "N":
            f = l
        elif trend == "A":
            f = l + phistar * b
        else:
            f = l * b**phistar
        if season != "N":
            j = m - 1 - (i % m)
            f = f + state[s0 + j] if season == "A" else f * state[s0 + j]
        out.append(float(f))
    return out


def run(request):
    h = int(request["h"])
    level = request.get("level") or None
    out = []
    for spec in request["models"]:
        rows = []
        started = time.perf_counter()
        for s in request["series"]:
            y = np.asarray(s["y"], dtype=np.float64)
            m = int(s.get("season_length", 1))
            row = {"name": s["name"]}
            try:
                if spec["kind"] == "ets":
                    model = AutoETS(season_length=m, model=spec.get("model", "ZZZ"), damped=spec.get("damped"))
                else:
                    model = SeasonalNaive(season_length=m)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(y)
                    fc = model.predict(h=h, level=level)
                row["mean"] = _floats(fc["mean"])
                row["intervals"] = [
                    {"level": lv, "lower": _floats(fc["lo-%s" % lv]), "upper": _floats(fc["hi-%s" % lv])}
                    for lv in (level or [])
                ]
                if spec["kind"] == "ets":
                    fit = model.model_
                    row["method"] = fit.get("method")
                    row["components"] = fit["components"]
                    row["par"] = _floats(fit["par"][:4])
                    row["init_state"] = _floats(fit["par"][4:])
                    row["residuals"] = _floats(fit["residuals"])
                    row["aicc"] = _clean(float(fit["aicc"]))
                    row["loglik"] = _clean(float(fit["loglik"]))
                    row["sigma2"] = _clean(float(fit["sigma2"]))
                    row["mean_textbook"] = _floats(textbook_forecast(fit, h))
            except Exception as e:  # reported per series, the caller decides
                row["error"] = "%s: %s" % (type(e).__name__, e)
            rows.append(row)
        out.append({"spec": spec, "seconds": time.perf_counter() - started, "rows": rows})
    return {"statsforecast": statsforecast.__version__, "results": out}


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
