"""Prophet handlers of @lolpop/forecast, loaded into the @lolpop/python-bridge worker as methods
"forecast.<function>". Series arrive as numpy arrays (timestamps as epoch milliseconds); models
travel back to Node as Prophet's own JSON (prophet.serialize), so Node keeps them and predicting
sends them back: nothing is cached between calls.
"""

import logging

import numpy as np
import pandas as pd

# cmdstanpy logs two INFO lines per fit on stderr; keep warnings and errors only.
logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
logging.getLogger("prophet").setLevel(logging.WARNING)

from prophet import Prophet  # noqa: E402
from prophet import __version__ as PROPHET_VERSION  # noqa: E402
from prophet.serialize import model_from_json, model_to_json  # noqa: E402

# Constructor arguments passed through from the forecaster's `prophet` options.
PROPHET_ARGS = (
    "growth",
    "n_changepoints",
    "changepoint_range",
    "yearly_seasonality",
    "weekly_seasonality",
    "daily_seasonality",
    "seasonality_mode",
    "seasonality_prior_scale",
    "holidays_prior_scale",
    "changepoint_prior_scale",
    "interval_width",
    "uncertainty_samples",
    "scaling",
)


def _dates(ms):
    return pd.to_datetime(np.asarray(ms, dtype=np.float64).astype("int64"), unit="ms")


def _frame(ds, y=None, regressors=None):
    df = pd.DataFrame({"ds": _dates(ds)})
    if y is not None:
        df["y"] = np.asarray(y, dtype=np.float64)
    for name, values in (regressors or {}).items():
        df[name] = np.asarray(values, dtype=np.float64)
    return df


def version(params, call):
    return {"prophet": PROPHET_VERSION, "numpy": np.__version__, "pandas": pd.__version__}


def make_model(options, regressors):
    """A Prophet with the given constructor options, country holidays and extra regressors."""
    kwargs = {k: options[k] for k in PROPHET_ARGS if options.get(k) is not None}
    model = Prophet(**kwargs)
    if options.get("country_holidays"):
        model.add_country_holidays(country_name=options["country_holidays"])
    for name in regressors:
        model.add_regressor(name)
    return model


def fit(params, call):
    """Fits one Prophet per series; returns each model as Prophet JSON."""
    options = params.get("options") or {}
    regressors = params.get("regressors") or []
    out = []
    for s in params["series"]:
        model = make_model(options, regressors)
        model.fit(_frame(s["ds"], s["y"], s.get("regressors")))
        out.append(model_to_json(model))
    return {"models": out, "prophet": PROPHET_VERSION}


def predict(params, call):
    """Forecasts with models from `fit`: the point forecast and, per level, Prophet's sampled
    interval (the random state seeded before each prediction, so results repeat). A model fitted
    with uncertainty_samples 0 has no intervals: none are returned."""
    seed = int(params.get("seed", 0))
    levels = params.get("levels") or []
    results = []
    for s in params["series"]:
        model = model_from_json(s["model"])
        future = _frame(s["ds"], regressors=s.get("regressors"))
        row = {"intervals": []}
        if not levels or not model.uncertainty_samples:
            np.random.seed(seed)
            fc = model.predict(future)
            row["mean"] = fc["yhat"].to_numpy(dtype=np.float64)
        for level in levels if model.uncertainty_samples else []:
            model.interval_width = float(level) / 100.0
            np.random.seed(seed)
            fc = model.predict(future)
            row["mean"] = fc["yhat"].to_numpy(dtype=np.float64)
            row["intervals"].append(
                {
                    "level": level,
                    "lower": fc["yhat_lower"].to_numpy(dtype=np.float64),
                    "upper": fc["yhat_upper"].to_numpy(dtype=np.float64),
                }
            )
        results.append(row)
    return {"series": results}
