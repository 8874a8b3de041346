"""scikit-learn side of bench/tree-structure.mjs: fits RandomForestClassifier on the raw rows and on
the same rows binned like a histogram forest (scikit-learn's own 255-bin quantile binner), and prints
each forest's node count, depth histogram and leaf sizes as JSON.

Usage: python tree_structure.py SPEC.json   (SPEC: {"X", "y", "F", "params", "seed"})
"""
import json
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper


def structure(model):
    nodes = 0
    depths = {}
    leaf_sizes = []
    for est in model.estimators_:
        t = est.tree_
        nodes += t.node_count
        depth = np.zeros(t.node_count, dtype=int)
        for i in range(t.node_count):
            for c in (t.children_left[i], t.children_right[i]):
                if c >= 0:
                    depth[c] = depth[i] + 1
        for d in depth:
            depths[int(d)] = depths.get(int(d), 0) + 1
        leaf = t.children_left < 0
        leaf_sizes.extend(t.n_node_samples[leaf].tolist())
    leaf_sizes = np.array(leaf_sizes)
    return {
        "nodes": int(nodes),
        "depth_histogram": [depths.get(d, 0) for d in range(max(depths) + 1)],
        "leaves": int(len(leaf_sizes)),
        "leaf_rows": {
            "mean": float(leaf_sizes.mean()),
            "p50": float(np.median(leaf_sizes)),
            "share_1": float((leaf_sizes == 1).mean()),
        },
    }


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    X = np.fromfile(spec["X"], dtype="<f8").reshape(-1, spec["F"])
    y = np.fromfile(spec["y"], dtype="<i4")
    out = {}
    for name, data in (
        ("sklearn", X),
        ("sklearn_on_255_bins", _BinMapper(n_bins=256, random_state=0).fit_transform(X).astype(np.float64)),
    ):
        model = RandomForestClassifier(random_state=spec["seed"], n_jobs=2, **spec["params"]).fit(data, y)
        out[name] = structure(model)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
