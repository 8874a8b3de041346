"""Reads a lolpop workflow back with MLflow's official Python client and prints JSON.

Usage: python read_back.py <tracking_uri> <workflow_run_id> <train_run_id> <model_name> <out_dir>
"""

import json
import math
import os
import sys

import mlflow
from mlflow import MlflowClient
from mlflow.models import Model


def clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def main():
    uri, workflow_run_id, train_run_id, model_name, out_dir = sys.argv[1:6]
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)

    def list_all(run_id, path=None):
        files = []
        for f in client.list_artifacts(run_id, path):
            files.extend(list_all(run_id, f.path) if f.is_dir else [f.path])
        return files

    def describe(run_id):
        run = client.get_run(run_id)
        return {
            "name": run.info.run_name,
            "status": run.info.status,
            "experiment_id": run.info.experiment_id,
            "params": run.data.params,
            "metrics": run.data.metrics,
            "tags": run.data.tags,
            "artifacts": sorted(list_all(run_id)),
            "inputs": [
                {
                    "name": d.dataset.name,
                    "digest": d.dataset.digest,
                    "source_type": d.dataset.source_type,
                    "profile": json.loads(d.dataset.profile) if d.dataset.profile else None,
                    "context": {t.key: t.value for t in d.tags}.get("mlflow.data.context"),
                }
                for d in run.inputs.dataset_inputs
            ],
        }

    children = client.search_runs(
        [client.get_run(workflow_run_id).info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{workflow_run_id}'",
    )
    lineage_path = mlflow.artifacts.download_artifacts(
        run_id=workflow_run_id, artifact_path="lineage.json", dst_path=os.path.join(out_dir, "lineage")
    )
    with open(lineage_path) as f:
        lineage = json.load(f)

    champion = client.get_model_version_by_alias(model_name, "champion")
    local = mlflow.artifacts.download_artifacts(
        f"models:/{model_name}@champion", dst_path=os.path.join(out_dir, "champion")
    )
    downloaded = sorted(
        os.path.relpath(os.path.join(root, name), local).replace(os.sep, "/")
        for root, _, names in os.walk(local)
        for name in names
    )
    model = Model.load(local)
    with open(os.path.join(local, "lolpop-model.json")) as f:
        bundle = json.load(f)

    out = {
        "mlflow_version": mlflow.__version__,
        "workflow": describe(workflow_run_id),
        "train": describe(train_run_id),
        "children": sorted(r.info.run_name for r in children),
        "lineage_config_hash": lineage.get("config_hash"),
        "champion": {
            "version": champion.version,
            "source": champion.source,
            "run_id": champion.run_id,
            "aliases": list(champion.aliases),
            "tags": champion.tags,
        },
        "downloaded": downloaded,
        "flavors": model.flavors,
        "artifact_path": model.artifact_path,
        "mlmodel_run_id": model.run_id,
        "bundle_trainer": bundle["trainer"]["type"],
    }
    sys.stdout.write(json.dumps(clean(out)))


if __name__ == "__main__":
    main()
