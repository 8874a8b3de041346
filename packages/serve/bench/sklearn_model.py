"""Trains the scikit-learn equivalent of a lolpop penguins forest and saves it as an MLflow model.

Usage: python sklearn_model.py <train.csv> <out_dir> <n_estimators> <max_depth>
The pipeline imputes and one-hot encodes like lolpop's LocalFeatureTransformer, then fits a
RandomForestClassifier with the same number of trees and depth.
"""
import sys

import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

train, out, trees, depth = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
df = pd.read_csv(train)
y = df.pop("species")
X = df.drop(columns=["id"])
cat = ["island", "sex"]
num = [c for c in X.columns if c not in cat]
pre = ColumnTransformer(
    [
        ("num", SimpleImputer(strategy="median"), num),
        ("cat", Pipeline([("imp", SimpleImputer(strategy="most_frequent")), ("oh", OneHotEncoder(handle_unknown="ignore"))]), cat),
    ]
)
model = Pipeline([("pre", pre), ("rf", RandomForestClassifier(n_estimators=trees, max_depth=depth, random_state=7))])
model.fit(X, y)
mlflow.sklearn.save_model(
    model,
    out,
    signature=infer_signature(X.head(5), model.predict(X.head(5))),
    # The model was trained here, by this script: its types are trusted.
    skops_trusted_types=["numpy.dtype", "sklearn.tree._tree.Tree"],
)
print("saved", out)
