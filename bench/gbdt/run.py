#!/usr/bin/env python3
"""Gradient-boosted trees (churn): Persona against LightGBM and scikit-learn's
HistGradientBoosting, on the same files in one run, each in its own process.

The same boosting setup for all three: --trees rounds (100 and 500 by default)
without early stopping, learning rate 0.1, 31 leaves, at least 20 rows per
leaf, 255 bins, categories split natively (pandas categories for the peers).
Prints wall time, the fit alone, peak memory and held-out AUC, and the ratios
against the faster peer.

--wide adds a 50-level `state` column whose first ten levels raise churn
(a real effect to find among many levels). --forest compares random forests
instead: Persona's --mode rf against LightGBM's rf mode with the same settings
(100 trees of up to 1024 leaves, a bootstrap-sized sample per tree, about
sqrt(columns) columns per split).
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
which, rounds, forest = sys.argv[3], int(sys.argv[4]), sys.argv[5] == "rf"
X, Xt = train.drop(columns=["customer_id", "churned"]), test.drop(columns=["customer_id", "churned"])
for c in list(X.columns):
    if X[c].dtype == object or str(X[c].dtype) in ("str", "string"):
        cats = pd.Categorical(X[c]).categories
        X[c] = pd.Categorical(X[c], categories=cats); Xt[c] = pd.Categorical(Xt[c], categories=cats)
t1 = time.time()
if which == "lightgbm":
    import lightgbm as lgb
    if forest:
        model = lgb.LGBMClassifier(boosting_type="rf", n_estimators=rounds, num_leaves=1024, min_child_samples=20, max_bin=255,
                                   bagging_freq=1, bagging_fraction=0.632, feature_fraction_bynode=max(1, int(X.shape[1] ** 0.5)) / X.shape[1],
                                   n_jobs=2, verbose=-1).fit(X, train["churned"])
    else:
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


def widened(path):
    """The churn file with a 50-level `state`: in states S00-S09 a tenth of the
    customers who stayed churn instead."""
    import numpy as np
    import pandas as pd
    out = path.replace(".csv", "-state.csv")
    if not os.path.exists(out):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        rng = np.random.default_rng(7)
        state = rng.integers(0, 50, len(df))
        flip = (state < 10) & (df["churned"].to_numpy() == "0") & (rng.random(len(df)) < 0.1)
        df.loc[flip, "churned"] = "1"
        df.insert(len(df.columns) - 1, "state", [f"S{int(v):02d}" for v in state])
        df.to_csv(out + ".tmp", index=False)
        os.replace(out + ".tmp", out)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--trees", default="100,500", help="comma-separated rounds (or forest trees)")
    ap.add_argument("--wide", action="store_true", help="add a 50-level state column")
    ap.add_argument("--forest", action="store_true", help="random forests against LightGBM's rf mode")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = generated(a.persona, work, "churn", a.rows, 1)
    if a.wide:
        data = widened(data)
    train, test = data.replace(".csv", "-train.csv"), data.replace(".csv", "-test.csv")
    subprocess.run([a.persona, "split", "rows", "--data", data, "--test-fraction", "0.2", "--stratify", "churned", "--seed", "1",
                    "--train-out", train, "--test-out", test], check=True, capture_output=True)
    model = os.path.join(work, "gbdt.safetensors")
    peers = ["LightGBM"] if a.forest else ["LightGBM", "HistGradientBoosting"]
    import lightgbm
    import sklearn

    for rounds in [int(t) for t in a.trees.split(",")]:
        def run_persona():
            flags = ["--mode", "rf"] if a.forest else ["--early-stopping-rounds", "0"]
            out, err, wall, rss = measured([a.persona, "train", "gbdt", "--data", train, "--target", "churned", "--trees", str(rounds),
                                            *flags, "--out", model])
            fit = float(re.search(r"(?:boosted [0-9]+ rounds|grew [0-9]+ trees) in ([0-9.]+) s", err).group(1))
            return {"wall": wall, "rss": rss, "fit": fit}

        runs = {"Persona": [], **{p: [] for p in peers}}
        for i in range(a.repeat):
            runs["Persona"].append(run_persona())
            for p in peers:
                runs[p].append(run_python_peer(PEER, train, test, "lightgbm" if p == "LightGBM" else "hgb", rounds,
                                               "rf" if a.forest else "gbdt"))
            print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s (fit {v[-1]['fit']:.2f} s)" for k, v in runs.items()), flush=True)
        ev = subprocess.run([a.persona, "evaluate", model, "--data", test, "--json"], capture_output=True, text=True, check=True)
        aucs = {"Persona": json.loads(ev.stdout)["auc"], **{p: runs[p][0]["auc"] for p in peers}}
        med = {k: {m: median(v, m) for m in ("wall", "fit", "rss")} for k, v in runs.items()}
        what = f"random forests, {rounds} trees of up to 1024 leaves" if a.forest else f"gradient boosting, {rounds} rounds, 31 leaves"
        print(f"\n{what}: {a.rows} churn rows{' with a 50-level state' if a.wide else ''} (80% to train); medians of {a.repeat} runs")
        print(f"(LightGBM {lightgbm.__version__}, scikit-learn {sklearn.__version__})")
        print(f"{'':22}" + "".join(f"{k:>22}" for k in runs))
        for m, label, unit in [("wall", "wall time, end to end", "s"), ("fit", "  fitting", "s"), ("rss", "peak memory", "MB")]:
            print(f"{label:22}" + "".join(f"{med[k][m]:>20.2f}{unit:>2}" if unit == "s" else f"{med[k][m]:>20.0f}{unit}" for k in runs))
        print(f"{'held-out AUC':22}" + "".join(f"{aucs[k]:>22.4f}" for k in runs))
        best_wall = min(med[p]["wall"] for p in peers)
        best_fit = min(med[p]["fit"] for p in peers)
        print(f"Persona against the faster peer: end to end {best_wall / med['Persona']['wall']:.2f}x, fit {best_fit / med['Persona']['fit']:.2f}x\n",
              flush=True)


if __name__ == "__main__":
    main()
