"""scikit-learn side of bench/predict.mjs: fits one RandomForestClassifier, then times predict_proba
once per line read from stdin, so the two sides' predictions can be interleaved.

Usage: python sklearn_predict.py SPEC.json
SPEC: {"X_train": path (float64, row-major n x F), "y_train": path (int32), "X_test": path,
       "F": features, "params": scikit-learn RandomForestClassifier params, "n_jobs": int, "seed": int}
Prints one JSON line after the fit ({"fit_s", "nodes"}), then one per request: {"predict_s"}; on
"proba PATH" it also writes the class-1 probabilities (float64) to PATH.
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    F = spec["F"]
    X = np.fromfile(spec["X_train"], dtype="<f8").reshape(-1, F)
    y = np.fromfile(spec["y_train"], dtype="<i4")
    Xt = np.fromfile(spec["X_test"], dtype="<f8").reshape(-1, F)
    model = RandomForestClassifier(random_state=spec["seed"], n_jobs=spec["n_jobs"], **spec["params"])
    t0 = time.perf_counter()
    model.fit(X, y)
    fit_s = time.perf_counter() - t0
    nodes = int(sum(e.tree_.node_count for e in model.estimators_))
    print(json.dumps({"fit_s": fit_s, "nodes": nodes}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        t0 = time.perf_counter()
        proba = model.predict_proba(Xt)
        predict_s = time.perf_counter() - t0
        if cmd[0] == "proba":
            np.ascontiguousarray(proba[:, 1], dtype="<f8").tofile(cmd[1])
        print(json.dumps({"predict_s": predict_s}), flush=True)


if __name__ == "__main__":
    main()
