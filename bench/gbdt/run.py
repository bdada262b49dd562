#!/usr/bin/env python3
"""Gradient-boosted trees (churn): Persona against LightGBM and scikit-learn's
HistGradientBoosting, on the same files in one run, each in its own process.

The same boosting setup for all three: 200 rounds without early stopping,
learning rate 0.1, 31 leaves, at least 20 rows per leaf, 255 bins, categories
split natively (pandas categories for the peers). Prints wall time, the fit
alone, peak memory and held-out AUC, and the ratios against the faster peer.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import generated, measured, median, run_python_peer, workdir  # noqa: E402

PEER = r"""
import json, sys, time
t0 = time.time()
import numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score
train, test = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
which, rounds = sys.argv[3], int(sys.argv[4])
X, Xt = train.drop(columns=["customer_id", "churned"]), test.drop(columns=["customer_id", "churned"])
for c in list(X.columns):
    if X[c].dtype == object or str(X[c].dtype) in ("str", "string"):
        cats = pd.Categorical(X[c]).categories
        X[c] = pd.Categorical(X[c], categories=cats); Xt[c] = pd.Categorical(Xt[c], categories=cats)
t1 = time.time()
if which == "lightgbm":
    import lightgbm as lgb
    model = lgb.LGBMClassifier(n_estimators=rounds, learning_rate=0.1, num_leaves=31, min_child_samples=20, max_bin=255,
                               n_jobs=2, verbose=-1).fit(X, train["churned"])
else:
    from sklearn.ensemble import HistGradientBoostingClassifier
    model = HistGradientBoostingClassifier(max_iter=rounds, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
                                           early_stopping=False, categorical_features="from_dtype").fit(X, train["churned"])
t2 = time.time()
auc = roc_auc_score(test["churned"], model.predict_proba(Xt)[:, 1])
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "auc": float(auc)}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = generated(a.persona, work, "churn", a.rows, 1)
    train, test = os.path.join(work, "gbdt-train.csv"), os.path.join(work, "gbdt-test.csv")
    subprocess.run([a.persona, "split", "rows", "--data", data, "--test-fraction", "0.2", "--stratify", "churned", "--seed", "1",
                    "--train-out", train, "--test-out", test], check=True, capture_output=True)
    model = os.path.join(work, "gbdt.safetensors")

    def run_persona():
        out, err, wall, rss = measured([a.persona, "train", "gbdt", "--data", train, "--target", "churned", "--trees", str(a.rounds),
                                        "--early-stopping-rounds", "0", "--out", model])
        fit = float(re.search(r"boosted [0-9]+ rounds in ([0-9.]+) s", err).group(1))
        return {"wall": wall, "rss": rss, "fit": fit}

    runs = {"Persona": [], "LightGBM": [], "HistGradientBoosting": []}
    for i in range(a.repeat):
        runs["Persona"].append(run_persona())
        runs["LightGBM"].append(run_python_peer(PEER, train, test, "lightgbm", a.rounds))
        runs["HistGradientBoosting"].append(run_python_peer(PEER, train, test, "hgb", a.rounds))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s (fit {v[-1]['fit']:.2f} s)" for k, v in runs.items()), flush=True)
    ev = subprocess.run([a.persona, "evaluate", model, "--data", test, "--json"], capture_output=True, text=True, check=True)
    aucs = {"Persona": json.loads(ev.stdout)["auc"], "LightGBM": runs["LightGBM"][0]["auc"], "HistGradientBoosting": runs["HistGradientBoosting"][0]["auc"]}
    med = {k: {m: median(v, m) for m in ("wall", "fit", "rss")} for k, v in runs.items()}
    import lightgbm
    import sklearn
    print(f"\ngradient boosting: {a.rows} churn rows (80% to train), {a.rounds} rounds, 31 leaves; medians of {a.repeat} runs")
    print(f"(LightGBM {lightgbm.__version__}, scikit-learn {sklearn.__version__})")
    print(f"{'':22}" + "".join(f"{k:>22}" for k in runs))
    for m, label, unit in [("wall", "wall time, end to end", "s"), ("fit", "  fitting", "s"), ("rss", "peak memory", "MB")]:
        print(f"{label:22}" + "".join(f"{med[k][m]:>20.2f}{unit:>2}" if unit == "s" else f"{med[k][m]:>20.0f}{unit}" for k in runs))
    print(f"{'held-out AUC':22}" + "".join(f"{aucs[k]:>22.4f}" for k in runs))
    best_wall = min(med["LightGBM"]["wall"], med["HistGradientBoosting"]["wall"])
    best_fit = min(med["LightGBM"]["fit"], med["HistGradientBoosting"]["fit"])
    print(f"Persona against the faster peer: end to end {best_wall / med['Persona']['wall']:.2f}x, fit {best_fit / med['Persona']['fit']:.2f}x")


if __name__ == "__main__":
    main()
