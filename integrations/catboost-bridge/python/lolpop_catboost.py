"""CatBoost handlers of @lolpop/catboost-bridge, loaded into the @lolpop/python-bridge worker as
methods "catboost.<function>". Tables arrive as lolpop_bridge.Table (numpy columns); models live in a
small in-process cache keyed by the id Node gives them, and Node re-sends the .cbm bytes when the
cache (or the worker) lost one.
"""

import os
import shutil
import tempfile
import time
from collections import OrderedDict

import catboost
import numpy as np

_MODELS = OrderedDict()
_MAX_MODELS = 16


class UnknownModelError(KeyError):
    """The model id is not in this worker's cache (Node then sends the model with load_model)."""


def _remember(model_id, model):
    _MODELS[model_id] = model
    _MODELS.move_to_end(model_id)
    while len(_MODELS) > _MAX_MODELS:
        _MODELS.popitem(last=False)


def _model(model_id):
    model = _MODELS.get(model_id)
    if model is None:
        raise UnknownModelError(model_id)
    _MODELS.move_to_end(model_id)
    return model


def _category_strings(column, missing):
    """A column as str categories for CatBoost (which refuses floats and None in categorical features)."""
    if column.kind == "categorical":
        return column.strings(missing)
    values = np.asarray(column.values, dtype=np.float64)
    out = np.empty(values.shape[0], dtype=object)
    nan = np.isnan(values)
    whole = ~nan & np.isfinite(values) & (values == np.round(values))
    out[nan] = missing
    out[whole] = values[whole].astype(np.int64).astype(str)
    rest = ~nan & ~whole
    if rest.any():
        out[rest] = np.array([repr(float(v)) for v in values[rest]], dtype=object)
    return out


def _pool(table, features, cat_features, missing, label=None):
    """A catboost.Pool with the feature columns in training order."""
    cat_set = set(cat_features)
    columns = [table.column(name) for name in features]
    for c in columns:
        if c.kind == "categorical" and c.name not in cat_set:
            raise TypeError("feature %r is categorical but the model treats it as numeric" % c.name)
    cat_idx = [i for i, name in enumerate(features) if name in cat_set]
    if not cat_idx:
        data = np.empty((table.num_rows, len(features)), dtype=np.float32)
        for j, c in enumerate(columns):
            data[:, j] = c.values
    else:
        import pandas as pd

        data = pd.DataFrame(
            {
                c.name: (_category_strings(c, missing) if c.name in cat_set else np.asarray(c.values, dtype=np.float64))
                for c in columns
            },
            columns=list(features),
        )
    return catboost.Pool(data, label=label, cat_features=cat_idx or None, feature_names=list(features))


def version(params, call):
    return {"catboost": catboost.__version__, "numpy": np.__version__}


def fit(params, call):
    """Fits a CatBoostClassifier or CatBoostRegressor; returns the model as .cbm and .json bytes plus facts."""
    problem = params["problem_type"]
    features = params["features"]
    cat_features = params.get("cat_features") or []
    missing = params.get("missing_category", "__missing__")
    cb_params = dict(params.get("catboost_params") or {})
    y = np.asarray(params["y"])
    train = _pool(params["table"], features, cat_features, missing, label=y)
    eval_pool = None
    if params.get("valid_table") is not None:
        eval_pool = _pool(params["valid_table"], features, cat_features, missing, label=np.asarray(params["valid_y"]))
    # allow_writing_files=False: CatBoost writes nothing (no catboost_info/ in the working folder).
    cb_params["allow_writing_files"] = False
    if problem == "classification":
        k = int(params["num_classes"])
        cb_params.setdefault("loss_function", "Logloss" if k == 2 else "MultiClass")
        cb_params["class_names"] = list(range(k))
        model = catboost.CatBoostClassifier(**cb_params)
    else:
        cb_params.setdefault("loss_function", "RMSE")
        model = catboost.CatBoostRegressor(**cb_params)
    started = time.time()
    model.fit(train, eval_set=eval_pool)
    fit_seconds = time.time() - started
    # The export folder exists only for the two save_model calls (a worker killed while training
    # leaves nothing behind).
    work = tempfile.mkdtemp(prefix="lolpop-catboost-")
    try:
        cbm_path = os.path.join(work, "model.cbm")
        json_path = os.path.join(work, "model.json")
        model.save_model(cbm_path, format="cbm")
        model.save_model(json_path, format="json", pool=train if cat_features else None)
        with open(cbm_path, "rb") as f:
            cbm = f.read()
        with open(json_path, "rb") as f:
            model_json = f.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remember(params["model_id"], model)
    all_params = model.get_all_params()
    best = model.get_best_iteration()
    return {
        "cbm": cbm,
        "json": model_json,
        "feature_importance": np.asarray(model.get_feature_importance(), dtype=np.float64),
        "tree_count": int(model.tree_count_),
        "best_iteration": None if best is None else int(best),
        "best_score": model.get_best_score(),
        "fit_seconds": fit_seconds,
        "catboost_version": catboost.__version__,
        "used_params": {
            k: all_params.get(k)
            for k in (
                "iterations",
                "learning_rate",
                "depth",
                "l2_leaf_reg",
                "loss_function",
                "eval_metric",
                "border_count",
                "nan_mode",
                "grow_policy",
                "one_hot_max_size",
            )
            if k in all_params
        },
    }


def load_model(params, call):
    """Loads .cbm bytes into the cache under model_id."""
    problem = params["problem_type"]
    fd, path = tempfile.mkstemp(prefix="lolpop-catboost-", suffix=".cbm")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(memoryview(params["cbm"]).cast("B"))
        model = catboost.CatBoostClassifier() if problem == "classification" else catboost.CatBoostRegressor()
        model.load_model(path, format="cbm")
    finally:
        os.remove(path)
    _remember(params["model_id"], model)
    return {"tree_count": int(model.tree_count_)}


def predict(params, call):
    """Predicts with a cached model: class probabilities (rows x classes, flat) or regression values.
    prediction_type "RawFormulaVal" gives the raw scores instead (used to check the native scorer)."""
    model = _model(params["model_id"])
    pool = _pool(
        params["table"], params["features"], params.get("cat_features") or [], params.get("missing_category", "__missing__")
    )
    thread_count = int(params.get("thread_count", -1))
    kind = params.get("prediction_type")
    if kind:
        out = model.predict(pool, prediction_type=kind, thread_count=thread_count)
    elif params["problem_type"] == "classification":
        out = model.predict_proba(pool, thread_count=thread_count)
    else:
        out = model.predict(pool, thread_count=thread_count)
    return {"values": np.ascontiguousarray(out, dtype=np.float64)}


def export_onnx(params, call):
    """CatBoost's own ONNX export of a cached model: the .onnx bytes, and its scale and bias
    (CatBoost's ONNX export writes the bias but not the scale)."""
    model = _model(params["model_id"])
    scale, bias = model.get_scale_and_bias()
    fd, path = tempfile.mkstemp(prefix="lolpop-catboost-", suffix=".onnx")
    os.close(fd)
    try:
        model.save_model(path, format="onnx")
        with open(path, "rb") as f:
            data = f.read()
    finally:
        os.remove(path)
    return {"onnx": data, "scale": float(scale), "bias": np.atleast_1d(np.asarray(bias, dtype=np.float64))}


def forget(params, call):
    """Drops a model from the cache."""
    _MODELS.pop(params["model_id"], None)
    return True
