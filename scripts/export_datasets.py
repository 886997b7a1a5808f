#!/usr/bin/env python3
"""Exports the two real data sets that DescentData bundles, once, from scikit-learn.

    python3 scripts/export_datasets.py

Writes into Sources/DescentData/Resources/:
  breast_cancer.csv  Wisconsin Diagnostic Breast Cancer, 569 rows x 30 features + target
  digits.csv         Optical Recognition of Handwritten Digits (sklearn's copy), 1797 x 64 + target
  datasets.json      shapes, feature and class names, SHA-256 of each CSV, and the versions used

Both sets ship inside scikit-learn (no download). They come from the UCI Machine Learning
Repository, which publishes them under CC BY 4.0 (see Resources/README.md). Floats are
written with repr(), the shortest string that round-trips, so the Swift loader reads the
exact float64 values scikit-learn holds. Re-running the script reproduces the files byte
for byte for the same scikit-learn version.
"""

import csv
import hashlib
import io
import json
import os
import platform
import sys

import numpy
import sklearn
from sklearn.datasets import load_breast_cancer, load_digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources", "DescentData", "Resources")


def fmt(value):
    """Shortest round-tripping text; integers without a decimal point."""
    f = float(value)
    return str(int(f)) if f.is_integer() else repr(f)


def write_csv(name, bunch):
    data = bunch.data
    target = bunch.target
    header = [str(n) for n in bunch.feature_names] + ["target"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row, label in zip(data, target):
        writer.writerow([fmt(v) for v in row] + [str(int(label))])
    text = buffer.getvalue().encode("utf-8")
    with open(os.path.join(OUT, name + ".csv"), "wb") as f:
        f.write(text)
    return {
        "file": name + ".csv",
        "rows": int(data.shape[0]),
        "features": int(data.shape[1]),
        "feature_names": [str(n) for n in bunch.feature_names],
        "target_names": [str(n) for n in bunch.target_names],
        "class_counts": [int((target == k).sum()) for k in range(len(bunch.target_names))],
        "sha256": hashlib.sha256(text).hexdigest(),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {
        "generator": "scripts/export_datasets.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "datasets": {
            "breast_cancer": dict(
                write_csv("breast_cancer", load_breast_cancer()),
                source="UCI Machine Learning Repository: Breast Cancer Wisconsin (Diagnostic), "
                "https://doi.org/10.24432/C5DW2B, via sklearn.datasets.load_breast_cancer",
                license="CC BY 4.0",
            ),
            "digits": dict(
                write_csv("digits", load_digits()),
                source="UCI Machine Learning Repository: Optical Recognition of Handwritten Digits, "
                "https://doi.org/10.24432/C50P49, via sklearn.datasets.load_digits "
                "(the 1,797-image test portion, 8x8 pixels with values 0-16)",
                license="CC BY 4.0",
            ),
        },
    }
    with open(os.path.join(OUT, "datasets.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    for name, info in manifest["datasets"].items():
        print(f"{name}: {info['rows']} x {info['features']}, classes {info['class_counts']}", file=sys.stderr)


if __name__ == "__main__":
    main()
