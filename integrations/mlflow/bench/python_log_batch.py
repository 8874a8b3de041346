"""Reference side of bench/mlflow-logging.mjs: MLflow's Python client logging the same data.

Usage: python python_log_batch.py <tracking_uri> <experiment_id> <points> <keys> <params>
Reads one line per round on stdin ("go"), logs one run, and answers one line
`LOLPOP_RESULT {"ms": ..., "run_id": ...}` (time from create_run to set_terminated). MLflow prints
"View run ..." lines on stdout too, hence the marker.
"""

import json
import sys
import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param


def main():
    uri, experiment_id = sys.argv[1], sys.argv[2]
    points, keys, n_params = (int(x) for x in sys.argv[3:6])
    client = MlflowClient(uri)
    steps = points // keys
    for line in sys.stdin:
        if line.strip() != "go":
            break
        t0 = time.perf_counter()
        run = client.create_run(experiment_id, run_name="python-log-batch")
        now = int(time.time() * 1000)
        metrics = [Metric(f"metric_{k}", step * 0.001 + k, now, step) for step in range(steps) for k in range(keys)]
        params = [Param(f"param_{i}", f"value_{i}") for i in range(n_params)]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id, "FINISHED")
        ms = (time.perf_counter() - t0) * 1000
        sys.stdout.write("\nLOLPOP_RESULT " + json.dumps({"ms": ms, "run_id": run.info.run_id}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
