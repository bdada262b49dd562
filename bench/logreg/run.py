#!/usr/bin/env python3
"""Logistic regression (churn), Persona against scikit-learn, on the same file in one run.

Generates a churn file with `persona datasets generate churn`, then runs
  - persona train logreg --target churned --l2 L  (the fitted pipeline: median
    imputation with indicators, one-hot, standardisation; Newton's method)
  - scikit-learn: pandas.read_csv, the same preprocessing as a ColumnTransformer,
    LogisticRegression(solver="lbfgs", C=1/(n*L))
each in its own process. With --wide, two more categorical columns join the
file (state: 50 levels, channel: 3 levels; about 80 encoded columns). Prints wall time (end to end and the fit alone),
peak memory and the training log loss of each, and the ratios.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import alternate, generated, measured, median, run_python_peer, workdir  # noqa: E402

SKLEARN = r"""
import json, sys, time
t0 = time.time()
import numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
df = pd.read_csv(sys.argv[1])
df["paperless_billing"] = (df["paperless_billing"] == "yes").astype(float)
numeric = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "usage_gb", "usage_change", "paperless_billing", "senior"]
categorical = ["contract", "plan", "region", "payment_method"] + [c for c in ("state", "channel") if c in df.columns]
X, y = df[numeric + categorical], df["churned"].to_numpy()
t1 = time.time()
l2 = float(sys.argv[2])
model = make_pipeline(
    ColumnTransformer([("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
                       ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)]),
    LogisticRegression(solver="lbfgs", C=1 / (len(df) * l2), max_iter=1000, tol=1e-6))
model.fit(X, y)
t2 = time.time()
p = model.predict_proba(X)[:, 1]
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "log_loss": float(log_loss(y, p)),
                  "iterations": int(model[-1].n_iter_[0])}))
"""


def widened(path):
    """The churn file with a 50-level `state` and a 3-level `channel`, made once
    (both drawn at random: encoded columns to fit, not signal)."""
    import numpy as np
    import pandas as pd
    out = path.replace(".csv", "-wide.csv")
    if not os.path.exists(out):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        rng = np.random.default_rng(7)
        df.insert(len(df.columns) - 1, "state", [f"S{int(v):02d}" for v in rng.integers(0, 50, len(df))])
        df.insert(len(df.columns) - 1, "channel", rng.choice(["web", "store", "phone"], len(df), p=[0.5, 0.3, 0.2]))
        df.to_csv(out + ".tmp", index=False)
        os.replace(out + ".tmp", out)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--wide", action="store_true", help="add a 50-level and a 3-level categorical column")
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = generated(a.persona, work, "churn", a.rows, 1)
    if a.wide:
        data = widened(data)
    model = os.path.join(work, "churn.safetensors")

    def run_persona():
        out, err, wall, rss = measured([a.persona, "train", "logreg", "--data", data, "--target", "churned",
                                        "--l2", str(a.l2), "--out", model])
        fit = float(re.search(r"fitted in ([0-9.]+) s", err).group(1))
        read = float(re.search(r"features in ([0-9.]+) s", err).group(1))
        iters = int(re.search(r"fitted in [0-9.]+ s: (\d+) iterations", err).group(1))
        return {"wall": wall, "rss": rss, "fit": fit, "read": read, "iterations": iters}

    runs_p, runs_s = alternate(a.repeat, run_persona, lambda: run_python_peer(SKLEARN, data, a.l2))
    p = {k: median(runs_p, k) for k in ("wall", "read", "fit", "rss")}
    s = {k: median(runs_s, k) for k in ("wall", "read", "fit", "rss")}
    ev = subprocess.run([a.persona, "evaluate", model, "--data", data, "--json"], capture_output=True, text=True, check=True)
    p_loss = json.loads(ev.stdout)["log_loss"]
    s_loss = runs_s[0]["log_loss"]

    import sklearn
    print(f"\nlogistic regression: {a.rows} churn rows{' (wide: + state, channel)' if a.wide else ''}, l2 {a.l2} (scikit-learn C = {1 / (a.rows * a.l2):.4g}); medians of {a.repeat} runs")
    print(f"{'':24}{'Persona':>12}{'scikit-learn ' + sklearn.__version__:>24}{'ratio':>10}")
    print(f"{'wall time, end to end':24}{p['wall']:>11.2f}s{s['wall']:>23.2f}s{s['wall'] / p['wall']:>9.2f}x")
    print(f"{'  reading the CSV':24}{p['read']:>11.2f}s{s['read']:>23.2f}s{s['read'] / p['read']:>9.2f}x")
    print(f"{'  fitting':24}{p['fit']:>11.2f}s{s['fit']:>23.2f}s{s['fit'] / p['fit']:>9.2f}x")
    print(f"{'iterations':24}{runs_p[0]['iterations']:>12}{runs_s[0]['iterations']:>24}")
    print(f"{'peak memory (max RSS)':24}{p['rss']:>10.0f}MB{s['rss']:>22.0f}MB{p['rss'] / s['rss']:>9.2f}x")
    print(f"{'training log loss':24}{p_loss:>12.7f}{s_loss:>24.7f}{p_loss - s_loss:>+10.1e}")
    print(f"speed-up (scikit-learn time / Persona time): end to end {s['wall'] / p['wall']:.2f}x, fit {s['fit'] / p['fit']:.2f}x; "
          f"log loss difference {p_loss - s_loss:+.1e}; memory ratio {p['rss'] / s['rss']:.2f}")


if __name__ == "__main__":
    main()
