#!/usr/bin/env python3
"""Boosting's defaults on real customer data: held-out AUC of
`persona train gbdt` with no flags but --data and --target, against LightGBM's
and scikit-learn's HistGradientBoosting defaults, over several random splits.

The data is real: CDNOW's transaction log (every purchase, January 1997 to
June 1998, of the 23,570 customers who first bought in the first quarter of
1997, and its 2,357-customer sample), which the PyPI package `Lifetimes`
ships. From it come churn tables as a retailer builds them: each customer's
history up to a cut-off date (purchases, days with purchases, CDs, spend,
recency, tenure, the gap between purchase days, the last 90 days, the first
purchase, its month), and `churned` = 1 when the customer bought nothing in
the months after it.

  cdnow-39w          all customers, history to 1997-09-30, churn over the next 39 weeks
  cdnow-26w          all customers, history to 1997-06-30, churn over the next 52 weeks
  cdnow-sample-39w   the 2,357-customer sample, as cdnow-39w

Each table is split --splits times (stratified, 30% held out, seeds 0, 1, ...);
every method fits the same training part and is scored on the same held-out
part. Persona's logistic regression (defaults) is shown for context. The
target of the boosting issue: Persona's mean AUC at least the better of the
two peers' less 0.005.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import workdir  # noqa: E402


def transactions(name):
    spec = importlib.util.find_spec("lifetimes")
    if spec is None:
        raise SystemExit("the CDNOW data ships with the PyPI package Lifetimes: pip install Lifetimes")
    import pandas as pd
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", name)
    cols = ["customer_id", "date", "cds", "spend"] if name == "CDNOW_master.txt" else ["customer_id", "id2", "date", "cds", "spend"]
    t = pd.read_csv(path, sep=r"\s+", header=None, names=cols, skiprows=1 if name == "CDNOW_master.txt" else 0,
                    dtype={"customer_id": str, "date": str})
    t["date"] = pd.to_datetime(t["date"], format="%Y%m%d")
    return t[["customer_id", "date", "cds", "spend"]]


def churn_table(t, cutoff, horizon_end):
    """One row per customer: history up to `cutoff`, churned = no purchase in (cutoff, horizon_end]."""
    import numpy as np
    import pandas as pd
    cutoff, horizon_end = pd.Timestamp(cutoff), pd.Timestamp(horizon_end)
    start = pd.Timestamp("1997-01-01")
    past = t[t["date"] <= cutoff]
    future = t[(t["date"] > cutoff) & (t["date"] <= horizon_end)]
    g = past.groupby("customer_id")
    days = past.groupby(["customer_id", "date"]).size().reset_index().groupby("customer_id")
    first = g["date"].min()
    last = g["date"].max()
    n_days = days.size()
    recent = past[past["date"] > cutoff - pd.Timedelta(days=90)].groupby("customer_id")
    firsts = past[past["date"] == past.groupby("customer_id")["date"].transform("min")].groupby("customer_id")
    out = pd.DataFrame({
        "first_purchase_day": (first - start).dt.days,
        "first_month": first.dt.strftime("%b"),
        "transactions": g.size(),
        "purchase_days": n_days,
        "cds": g["cds"].sum(),
        "spend": g["spend"].sum().round(2),
        "mean_spend": g["spend"].mean().round(2),
        "max_spend": g["spend"].max().round(2),
        "first_spend": firsts["spend"].sum().round(2),
        "first_cds": firsts["cds"].sum(),
        "days_since_last": (cutoff - last).dt.days,
        "tenure_days": (cutoff - first).dt.days,
        # missing for a customer with one purchase day
        "mean_gap_days": ((last - first).dt.days / (n_days - 1)).where(n_days > 1).round(1),
        "purchases_90d": recent.size(),
        "spend_90d": recent["spend"].sum().round(2),
    })
    out["purchases_90d"] = out["purchases_90d"].fillna(0).astype(int)
    out["spend_90d"] = out["spend_90d"].fillna(0.0)
    bought = set(future["customer_id"])
    out["churned"] = np.array([int(c not in bought) for c in out.index])
    return out.reset_index()


PEER = r"""
import json, sys, warnings
import pandas as pd
from sklearn.metrics import roc_auc_score
warnings.filterwarnings("ignore")
train, test = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
X, Xt = train.drop(columns=["customer_id", "churned"]), test.drop(columns=["customer_id", "churned"])
for c in list(X.columns):
    if X[c].dtype == object or str(X[c].dtype) in ("str", "string"):
        cats = pd.Categorical(X[c]).categories
        X[c] = pd.Categorical(X[c], categories=cats); Xt[c] = pd.Categorical(Xt[c], categories=cats)
if sys.argv[3] == "lightgbm":
    import lightgbm as lgb
    model = lgb.LGBMClassifier(n_jobs=2, verbose=-1, random_state=int(sys.argv[4])).fit(X, train["churned"])
else:
    from sklearn.ensemble import HistGradientBoostingClassifier
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=int(sys.argv[4])).fit(X, train["churned"])
print(json.dumps({"auc": float(roc_auc_score(test["churned"], model.predict_proba(Xt)[:, 1]))}))
"""


def persona_auc(persona, family, train, test, model):
    subprocess.run([persona, "train", family, "--data", train, "--target", "churned", "--out", model],
                   check=True, capture_output=True)
    ev = subprocess.run([persona, "evaluate", model, "--data", test, "--json"], capture_output=True, text=True, check=True)
    return json.loads(ev.stdout)["auc"]


def peer_auc(which, train, test, seed):
    p = subprocess.run([sys.executable, "-c", PEER, train, test, which, str(seed)], capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])["auc"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    from sklearn.model_selection import train_test_split
    import lightgbm
    import sklearn

    master, sample = transactions("CDNOW_master.txt"), transactions("CDNOW_sample.txt")
    tables = {
        "cdnow-39w": churn_table(master, "1997-09-30", "1998-06-30"),
        "cdnow-26w": churn_table(master, "1997-06-30", "1998-06-30"),
        "cdnow-sample-39w": churn_table(sample, "1997-09-30", "1998-06-30"),
    }
    methods = ["Persona gbdt", "LightGBM", "HistGradientBoosting", "Persona logreg"]
    print(f"LightGBM {lightgbm.__version__}, scikit-learn {sklearn.__version__}; defaults throughout; "
          f"mean held-out AUC over {a.splits} stratified 70/30 splits\n")
    print(f"{'table':18}{'rows':>7}{'churned':>9}" + "".join(f"{m:>22}" for m in methods) + f"{'gbdt - best peer':>18}")
    worst = None
    for name, df in tables.items():
        path = os.path.join(work, name + ".csv")
        df.to_csv(path, index=False)
        aucs = {m: [] for m in methods}
        for seed in range(a.splits):
            tr, te = train_test_split(df, test_size=0.3, stratify=df["churned"], random_state=seed)
            train, test = os.path.join(work, f"{name}-train.csv"), os.path.join(work, f"{name}-test.csv")
            tr.to_csv(train, index=False)
            te.to_csv(test, index=False)
            aucs["Persona gbdt"].append(persona_auc(a.persona, "gbdt", train, test, os.path.join(work, "gbdt.safetensors")))
            aucs["Persona logreg"].append(persona_auc(a.persona, "logreg", train, test, os.path.join(work, "logreg.safetensors")))
            aucs["LightGBM"].append(peer_auc("lightgbm", train, test, seed))
            aucs["HistGradientBoosting"].append(peer_auc("hgb", train, test, seed))
        mean = {m: sum(v) / len(v) for m, v in aucs.items()}
        gap = mean["Persona gbdt"] - max(mean["LightGBM"], mean["HistGradientBoosting"])
        worst = gap if worst is None else min(worst, gap)
        print(f"{name:18}{len(df):>7}{df['churned'].mean():>9.3f}" + "".join(f"{mean[m]:>22.4f}" for m in methods)
              + f"{gap:>+18.4f}", flush=True)
    print(f"\nPersona's defaults against the better peer, worst table: {worst:+.4f} (target: at least -0.005)")


if __name__ == "__main__":
    main()
