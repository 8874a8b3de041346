"""scikit-learn reference runs for @lolpop/random-forest's parity tests and benchmark.

Usage: python sklearn_reference.py SPEC.json  ->  JSON on stdout.

SPEC: {
  "task": "classification" | "regression",
  "X": path of a float64 little-endian file, row-major n x F (NaN = missing),
  "n": rows, "F": features,
  "y": path of the target: int32 class codes (classification) or float64 values (regression),
  "params": {n_estimators, max_depth, max_features, min_samples_split, min_samples_leaf, bootstrap,
             max_samples, criterion, class_weight},  # scikit-learn names and values
  "n_jobs": worker processes/threads for scikit-learn,
  "runs": [{"train": int32 row index file, "test": int32 row index file, "seed": int}],
  "predict_repeats": optional, times predict is timed (the median is reported; default 1)
}
Each run fits a RandomForestClassifier/Regressor on the train rows with random_state = seed and
scores the test rows (accuracy or R^2). Times are wall-clock seconds of fit and predict.
"""
import json
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import accuracy_score, r2_score


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    n, F = spec["n"], spec["F"]
    X = np.fromfile(spec["X"], dtype="<f8").reshape(n, F)
    classification = spec["task"] == "classification"
    y = np.fromfile(spec["y"], dtype="<i4" if classification else "<f8")
    params = dict(spec["params"])
    # lolpop reads a number <= 1 as a fraction (1 = every feature); scikit-learn reads the int 1 as
    # "one feature", and JSON does not keep 1.0 apart from 1.
    mf = params.get("max_features")
    if isinstance(mf, (int, float)) and not isinstance(mf, bool) and mf <= 1:
        params["max_features"] = float(mf)
    if params.get("max_samples") == 1.0:
        params["max_samples"] = None
    cw = params.get("class_weight")
    if isinstance(cw, dict):
        params["class_weight"] = {int(k): float(v) for k, v in cw.items()}
    runs = []
    for run in spec["runs"]:
        train = np.fromfile(run["train"], dtype="<i4")
        test = np.fromfile(run["test"], dtype="<i4")
        Model = RandomForestClassifier if classification else RandomForestRegressor
        model = Model(random_state=run["seed"], n_jobs=spec.get("n_jobs", 1), **params)
        t0 = time.perf_counter()
        model.fit(X[train], y[train])
        fit_s = time.perf_counter() - t0
        times = []
        for _ in range(max(1, int(spec.get("predict_repeats", 1)))):
            t0 = time.perf_counter()
            if classification:
                proba = model.predict_proba(X[test])
                pred = model.classes_[np.argmax(proba, axis=1)]
            else:
                pred = model.predict(X[test])
            times.append(time.perf_counter() - t0)
        predict_s = float(np.median(times))
        score = accuracy_score(y[test], pred) if classification else r2_score(y[test], pred)
        runs.append(
            {
                "score": float(score),
                "fit_s": fit_s,
                "predict_s": predict_s,
                "nodes": int(sum(e.tree_.node_count for e in model.estimators_)),
            }
        )
        del model
    print(
        json.dumps(
            {
                "sklearn": sklearn.__version__,
                "numpy": np.__version__,
                "runs": runs,
                # ru_maxrss is in KiB on Linux.
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
