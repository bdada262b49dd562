#!/usr/bin/env python3
"""Batch scoring: a churn file scored by a logistic-regression model, Persona
against pandas + ONNX Runtime on the same exported model, in one run.

Generates a churn file (10,000,000 rows by default) and trains a model on a
100,000-row sample, exports it with `persona export --format onnx`, then runs
  - persona score MODEL --data FILE --out scores.csv
  - pandas.read_csv in chunks of 500,000 rows, each chunk's raw columns fed to
    the ONNX graph in ONNX Runtime, the id and scores appended to a CSV
each in its own process, alternating. Prints rows per second and peak memory
of both, checks that both wrote the same probabilities, and prints the ratio.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import generated, measured, median, run_python_peer, workdir  # noqa: E402

PEER = r"""
import json, sys, time
t0 = time.time()
import numpy as np, pandas as pd, onnxruntime as ort
data, model, out = sys.argv[1:4]
options = ort.SessionOptions()
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
inputs = [(i.name, i.type == "tensor(float)") for i in session.get_inputs()]
rows = 0
first = True
for chunk in pd.read_csv(data, dtype=str, keep_default_na=False, chunksize=500_000):
    feed = {}
    for name, is_float in inputs:
        col = chunk[name]
        if is_float:
            feed[name] = pd.to_numeric(col, errors="coerce").to_numpy(np.float32).reshape(-1, 1)
        else:
            feed[name] = col.to_numpy(dtype=object).reshape(-1, 1)
    label, probabilities = session.run(["label", "probabilities"], feed)
    pd.DataFrame({"customer_id": chunk["customer_id"].to_numpy(), "probability": probabilities[:, 1],
                  "predicted": label.ravel()}).to_csv(out, mode="w" if first else "a", header=first, index=False)
    first = False
    rows += len(chunk)
print(json.dumps({"rows": rows, "seconds": time.time() - t0}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = generated(a.persona, work, "churn", a.rows, 1)
    sample = generated(a.persona, work, "churn", 100_000, 2)
    model = os.path.join(work, "churn.safetensors")
    graph = os.path.join(work, "churn.onnx")
    subprocess.run([a.persona, "train", "logreg", "--data", sample, "--target", "churned", "--out", model, "-q"],
                   check=True, capture_output=True)
    subprocess.run([a.persona, "export", model, "--format", "onnx", "--out", graph], check=True, capture_output=True)
    size = os.path.getsize(data) / 1e6
    print(f"{a.rows} rows ({size:.0f} MB), logistic regression on {len(pd.read_csv(sample, usecols=[0]))} rows, 2 cores")
    ours_out, peer_out = os.path.join(work, "persona-scores.csv"), os.path.join(work, "peer-scores.csv")

    runs_p, runs_s = [], []
    for i in range(a.repeat):
        _, _, wall, rss = measured([a.persona, "score", model, "--data", data, "--out", ours_out, "-q"])
        runs_p.append({"wall": wall, "rss": rss})
        r = run_python_peer(PEER, data, graph, peer_out)
        runs_s.append({"wall": r["wall"], "rss": r["rss"]})
        print(f"run {i + 1}: Persona {wall:.2f} s ({a.rows / wall:,.0f} rows/s, {rss:.0f} MB), "
              f"pandas + ONNX Runtime {r['wall']:.2f} s ({a.rows / r['wall']:,.0f} rows/s, {r['rss']:.0f} MB)", flush=True)
    p = {k: median(runs_p, k) for k in ("wall", "rss")}
    s = {k: median(runs_s, k) for k in ("wall", "rss")}

    # Both wrote the same scores (compared on every 97th row to keep memory small).
    keep = lambda i: i % 97 != 0 if i > 0 else False  # noqa: E731
    ours = pd.read_csv(ours_out, skiprows=keep, usecols=["customer_id", "probability"])
    peer = pd.read_csv(peer_out, skiprows=keep, usecols=["customer_id", "probability"])
    same_ids = bool((ours["customer_id"].to_numpy() == peer["customer_id"].to_numpy()).all())
    gap = float(np.abs(ours["probability"].to_numpy() - peer["probability"].to_numpy()).max())

    print()
    print(f"{'':28}{'Persona':>14}{'pandas+ORT':>14}{'ratio':>10}")
    print(f"{'rows per second':28}{a.rows / p['wall']:>14,.0f}{a.rows / s['wall']:>14,.0f}{s['wall'] / p['wall']:>9.2f}x")
    print(f"{'wall time (s)':28}{p['wall']:>14.2f}{s['wall']:>14.2f}")
    print(f"{'peak memory (MB)':28}{p['rss']:>14.0f}{s['rss']:>14.0f}{p['rss'] / s['rss']:>9.2f}x")
    print(f"same rows in the same order: {same_ids}; largest probability difference {gap:.2g} (every 97th row)")
    print(f"Persona is {s['wall'] / p['wall']:.2f}x faster, peak memory {p['rss']:.0f} MB "
          f"({'under' if p['rss'] < 256 else 'OVER'} the 256 MB budget)")


if __name__ == "__main__":
    main()
