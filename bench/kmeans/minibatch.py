#!/usr/bin/env python3
"""Mini-batch k-means, Persona against scikit-learn's MiniBatchKMeans, on the same file in one run.

The same blobs as bench/kmeans/run.py (bench/common.py) (ROWS x DIM around K centres). Persona
streams the CSV (`persona train kmeans --algorithm minibatch --no-scale`:
a profiling pass, a pipeline pass, PASSES mini-batch passes, two streamed Lloyd
steps and a final pass for the inertia); scikit-learn reads the whole file with
pandas and runs MiniBatchKMeans(batch_size, max_iter=PASSES, n_init=3) in
memory. Prints time, peak memory and inertia of each, and the inertia of full
Lloyd (Persona, k-means++) for reference.
"""
import argparse
import json
import os
import re
import subprocess
import sys


HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import alternate, blobs, measured, median, run_python_peer, workdir  # noqa: E402

SKLEARN = r"""
import json, sys, time
t0 = time.time()
import numpy as np, pandas as pd
from sklearn.cluster import MiniBatchKMeans
X = pd.read_csv(sys.argv[1]).to_numpy()
t1 = time.time()
km = MiniBatchKMeans(n_clusters=int(sys.argv[2]), batch_size=int(sys.argv[3]), max_iter=int(sys.argv[4]), n_init=3,
                     random_state=0, max_no_improvement=None, tol=0.0).fit(X)
t2 = time.time()
inertia = float(((X - km.cluster_centers_[km.labels_]) ** 2).sum())
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "inertia": inertia}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data, _ = blobs(work, a.rows, a.dim, a.k)
    model = os.path.join(work, "mb.safetensors")

    def run_persona():
        out, err, wall, rss = measured([a.persona, "train", "kmeans", "--data", data, "--k", str(a.k), "--algorithm", "minibatch",
                                        "--batch-size", str(a.batch_size), "--passes", str(a.passes), "--tol", "0", "--no-scale",
                                        "--seed", "0", "--out", model])
        return {"wall": wall, "rss": rss, "fit": wall, "inertia": float(re.search(r"inertia (\S+) after", out).group(1))}

    runs_p, runs_s = alternate(a.repeat, run_persona, lambda: run_python_peer(SKLEARN, data, a.k, a.batch_size, a.passes))
    ev = subprocess.run([a.persona, "evaluate", model, "--data", data, "--json", "--silhouette-sample", "2"],
                        capture_output=True, text=True, check=True)
    p_inertia = json.loads(ev.stdout)["inertia"]
    subprocess.run([a.persona, "train", "kmeans", "--data", data, "--k", str(a.k), "--no-scale", "--seed", "0", "--n-init", "3",
                    "--out", os.path.join(work, "full.safetensors"), "--quiet"], check=True, capture_output=True)
    ev = subprocess.run([a.persona, "evaluate", os.path.join(work, "full.safetensors"), "--data", data, "--json", "--silhouette-sample", "2"],
                        capture_output=True, text=True, check=True)
    full = json.loads(ev.stdout)["inertia"]
    p = {k: median(runs_p, k) for k in ("wall", "rss")}
    s = {k: median(runs_s, k) for k in ("wall", "read", "fit", "rss")}
    import sklearn
    print(f"\nmini-batch k-means: {a.rows} x {a.dim}, k={a.k}, batch {a.batch_size}, {a.passes} passes; medians of {a.repeat} runs")
    print(f"{'':26}{'Persona (streamed)':>20}{'scikit-learn ' + sklearn.__version__:>24}{'ratio':>9}")
    print(f"{'wall time, end to end':26}{p['wall']:>19.2f}s{s['wall']:>23.2f}s{s['wall'] / p['wall']:>8.2f}x")
    print(f"{'peak memory (max RSS)':26}{p['rss']:>18.0f}MB{s['rss']:>22.0f}MB{p['rss'] / s['rss']:>8.2f}x")
    print(f"{'inertia':26}{p_inertia:>20.6g}{runs_s[0]['inertia']:>24.6g}{p_inertia / runs_s[0]['inertia']:>9.4f}")
    print(f"{'full Lloyd, k-means++ x3':26}{full:>20.6g}")
    print(f"inertia against full Lloyd: Persona {p_inertia / full:.4f}, scikit-learn {runs_s[0]['inertia'] / full:.4f}")


if __name__ == "__main__":
    main()
