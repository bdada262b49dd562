#!/usr/bin/env python3
"""Decision tree (churn), Persona against scikit-learn, on the same files in one run.

Generates a churn file with `persona datasets generate churn` and a held-out
split, then trains a depth-10 classification tree with each:
  - persona train tree --target churned --max-depth 10 (binned histograms, native categories)
  - scikit-learn: pandas.read_csv, one-hot categories, missing values as -1,
    DecisionTreeClassifier(max_depth=10)
each in its own process. Prints time, peak memory and held-out accuracy.
`--depth 0` trains both without a depth limit (each tool's default).
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
from sklearn.tree import DecisionTreeClassifier
from sklearn.metrics import accuracy_score
train, test = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
cats = ["contract", "plan", "region", "payment_method"]
both = pd.get_dummies(pd.concat([train, test]).drop(columns=["customer_id", "churned"]), columns=cats)
both["paperless_billing"] = (both["paperless_billing"] == "yes").astype(float)
both = both.fillna(-1).to_numpy(dtype=np.float32)
Xtr, Xte = both[:len(train)], both[len(train):]
t1 = time.time()
model = DecisionTreeClassifier(max_depth=int(sys.argv[3]) or None, random_state=0).fit(Xtr, train["churned"])
t2 = time.time()
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "accuracy": float(accuracy_score(test["churned"], model.predict(Xte)))}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--depth", type=int, default=10, help="0: no depth limit (both tools' default)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = generated(a.persona, work, "churn", a.rows, 1)
    train, test = os.path.join(work, "tree-train.csv"), os.path.join(work, "tree-test.csv")
    subprocess.run([a.persona, "split", "--data", data, "--test-fraction", "0.2", "--stratify", "churned", "--seed", "1",
                    "--train-out", train, "--test-out", test], check=True, capture_output=True)
    model = os.path.join(work, "tree.safetensors")

    def run_persona():
        depth = ["--max-depth", str(a.depth)] if a.depth > 0 else []
        out, err, wall, rss = measured([a.persona, "train", "tree", "--data", train, "--target", "churned",
                                        *depth, "--out", model])
        fit = float(re.search(r"grew the tree in ([0-9.]+) s", err).group(1))
        read = float(re.search(r"into bins in ([0-9.]+) s", err).group(1))
        return {"wall": wall, "rss": rss, "fit": fit, "read": read}

    runs_p, runs_s = alternate(a.repeat, run_persona, lambda: run_python_peer(SKLEARN, train, test, a.depth))
    ev = subprocess.run([a.persona, "evaluate", model, "--data", test, "--json"], capture_output=True, text=True, check=True)
    p_acc = json.loads(ev.stdout)["accuracy"]
    p = {k: median(runs_p, k) for k in ("wall", "read", "fit", "rss")}
    s = {k: median(runs_s, k) for k in ("wall", "read", "fit", "rss")}
    import sklearn
    depth = f"depth {a.depth}" if a.depth > 0 else "no depth limit"
    print(f"\ndecision tree: {a.rows} churn rows (80% to train), {depth}; medians of {a.repeat} runs")
    print(f"{'':24}{'Persona':>12}{'scikit-learn ' + sklearn.__version__:>24}{'ratio':>10}")
    print(f"{'wall time, end to end':24}{p['wall']:>11.2f}s{s['wall']:>23.2f}s{s['wall'] / p['wall']:>9.2f}x")
    print(f"{'  reading':24}{p['read']:>11.2f}s{s['read']:>23.2f}s{s['read'] / p['read']:>9.2f}x")
    print(f"{'  fitting':24}{p['fit']:>11.2f}s{s['fit']:>23.2f}s{s['fit'] / p['fit']:>9.2f}x")
    print(f"{'peak memory (max RSS)':24}{p['rss']:>10.0f}MB{s['rss']:>22.0f}MB{p['rss'] / s['rss']:>9.2f}x")
    print(f"{'held-out accuracy':24}{p_acc:>12.4f}{runs_s[0]['accuracy']:>24.4f}{(p_acc - runs_s[0]['accuracy']) * 100:>+9.2f}pp")


if __name__ == "__main__":
    main()
