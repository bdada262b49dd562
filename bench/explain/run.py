#!/usr/bin/env python3
"""Reason codes: Persona's TreeSHAP contributions against the shap package's
TreeExplainer on Persona's own trees, and LightGBM's pred_contrib on a LightGBM
model of the same size, on the same rows, each in its own process (read the CSV,
compute every row's contributions, write them as CSV; LightGBM's time starts after
it has trained its model, so its process start-up and training do not count).

Numeric columns only, so that shap can take Persona's trees as arrays (its tree
format has no category sets). Prints wall time, peak memory and rows per second.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import generated, measured, median, run_python_peer, workdir  # noqa: E402

NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "usage_gb", "usage_change", "senior"]

PEER = r"""
import json, sys, time
t0 = time.time()
import numpy as np, pandas as pd
rows, model, which, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
cols = sys.argv[5].split(",")
X = pd.read_csv(rows)[cols].to_numpy(np.float32).astype(np.float64)
if which == "shap":
    import shap
    from safetensors.numpy import load_file
    t = load_file(model)
    trees = []
    for k in range(len(t["tree_offsets"]) - 1):
        a, b = t["tree_offsets"][k], t["tree_offsets"][k + 1]
        f, l, r, m = t["feature"][a:b], t["left"][a:b], t["right"][a:b], t["missing_left"][a:b]
        leaf = f < 0
        trees.append({"children_left": np.where(leaf, -1, l), "children_right": np.where(leaf, -1, r),
                      "children_default": np.where(leaf, -1, np.where(m == 1, l, r)), "features": np.where(leaf, -2, f),
                      "thresholds": np.where(leaf, 0, t["threshold"][a:b]), "values": t["value"][a:b].reshape(-1, 1),
                      "node_sample_weight": t["cover"][a:b]})
    explainer = shap.TreeExplainer({"trees": trees, "base_offset": float(t["init_score"][0])})
    phi = explainer.shap_values(X)
else:
    import lightgbm as lgb
    train = pd.read_csv(model)
    booster = lgb.LGBMClassifier(n_estimators=int(sys.argv[6]), learning_rate=0.1, num_leaves=31, min_child_samples=20,
                                 n_jobs=2, verbose=-1).fit(train[cols], train["churned"]).booster_
    t0 = time.time()       # the contributions alone, not LightGBM's training
    X = pd.read_csv(rows)[cols].to_numpy(np.float64)
    phi = booster.predict(X, pred_contrib=True)[:, :-1]
pd.DataFrame(phi, columns=cols).to_csv(out, index=False)
print(json.dumps({"inside": time.time() - t0, "rows": len(X)}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = generated(a.persona, work, "churn", a.rows, 1)
    model = os.path.join(work, "explain.safetensors")
    subprocess.run([a.persona, "train", "gbdt", "--data", data, "--target", "churned", "--features", ",".join(NUMERIC),
                    "--trees", str(a.trees), "--early-stopping-rounds", "0", "--out", model], check=True, capture_output=True)
    out = os.path.join(work, "contributions.csv")

    def run_persona():
        _, _, wall, rss = measured([a.persona, "score", model, "--data", data, "--contributions", "--out", out, "--quiet"])
        return {"wall": wall, "rss": rss}

    runs = {"Persona": [], "shap TreeExplainer": [], "LightGBM pred_contrib": []}
    for i in range(a.repeat):
        runs["Persona"].append(run_persona())
        runs["shap TreeExplainer"].append(run_python_peer(PEER, data, model, "shap", out + ".shap", ",".join(NUMERIC)))
        lgb = run_python_peer(PEER, data, data, "lightgbm", out + ".lgb", ",".join(NUMERIC), a.trees)
        # LightGBM trains its own model first: only its read, contributions and write count.
        runs["LightGBM pred_contrib"].append({"wall": lgb["inside"]})
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s" for k, v in runs.items()), flush=True)
    med = {k: median(v, "wall") for k, v in runs.items()}
    print(f"\nTreeSHAP contributions: {a.rows} rows, {a.trees} trees of 31 leaves, {len(NUMERIC)} numeric columns; medians of {a.repeat} runs")
    for k in runs:
        rss = median(runs[k], "rss") if "rss" in runs[k][0] else float("nan")
        print(f"{k:24} {med[k]:8.2f} s  {a.rows / med[k]:10.0f} rows/s  peak {rss:6.0f} MB")
    print(f"Persona against shap: {med['shap TreeExplainer'] / med['Persona']:.2f}x; against LightGBM: {med['LightGBM pred_contrib'] / med['Persona']:.2f}x")


if __name__ == "__main__":
    main()
