"""scikit-learn side of bench/predict.mjs.

Usage:
  python sklearn_predict.py fit SPEC.json    fits one RandomForestClassifier on SPEC's training rows,
                                             pickles it to SPEC["model"], prints {"fit_s", "nodes"}
  python sklearn_predict.py serve SPEC.json  loads SPEC["model"] and SPEC["X_test"], prints
                                             {"ready": true, "nodes"}, then times predict_proba once
                                             per line read from stdin (so the sides can alternate):
                                             {"predict_s", "cpu_s" (all threads),
                                             "peak_rss_mb"}; on "proba PATH" it also
                                             writes the class-1 probabilities (float64) to PATH.
SPEC: {"X_train": path (float64, row-major n x F), "y_train": path (int32), "X_test": path,
       "F": features, "params": RandomForestClassifier params, "n_jobs": int, "seed": int,
       "model": pickle path}
"""
import json
import pickle
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier


def nodes_of(model):
    return int(sum(e.tree_.node_count for e in model.estimators_))


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def fit(spec):
    F = spec["F"]
    X = np.fromfile(spec["X_train"], dtype="<f8").reshape(-1, F)
    y = np.fromfile(spec["y_train"], dtype="<i4")
    model = RandomForestClassifier(random_state=spec["seed"], n_jobs=spec["n_jobs"], **spec["params"])
    t0 = time.perf_counter()
    model.fit(X, y)
    fit_s = time.perf_counter() - t0
    with open(spec["model"], "wb") as f:
        pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
    print(json.dumps({"fit_s": fit_s, "nodes": nodes_of(model)}), flush=True)


def serve(spec):
    with open(spec["model"], "rb") as f:
        model = pickle.load(f)
    model.n_jobs = spec["n_jobs"]
    Xt = np.fromfile(spec["X_test"], dtype="<f8").reshape(-1, spec["F"])
    model.predict_proba(Xt[:1000])  # warm up, as the other sides do
    print(json.dumps({"ready": True, "nodes": nodes_of(model)}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        t0 = time.perf_counter()
        c0 = time.process_time()
        proba = model.predict_proba(Xt)
        predict_s = time.perf_counter() - t0
        cpu_s = time.process_time() - c0
        if cmd[0] == "proba":
            np.ascontiguousarray(proba[:, 1], dtype="<f8").tofile(cmd[1])
        print(json.dumps({"predict_s": predict_s, "cpu_s": cpu_s, "peak_rss_mb": peak_rss_mb()}), flush=True)


if __name__ == "__main__":
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    {"fit": fit, "serve": serve}[sys.argv[1]](spec)
