#!/usr/bin/env python3
"""k-means, Persona against scikit-learn, on the same file in one run.

Generates ROWS x DIM points around K centres, writes one CSV and one file of
starting centres, then runs
  - persona train kmeans (lloyd from the given centres, --no-scale, tol 0)
  - scikit-learn: pandas.read_csv + KMeans(algorithm="lloyd", n_init=1, init=centres, tol=0)
each in its own process, with the same k and max_iter. Prints wall time (end
to end, and the fit alone), peak memory (max RSS) and the inertia of each, and
the ratios.
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
from sklearn.cluster import KMeans
X = pd.read_csv(sys.argv[1]).to_numpy()
init = pd.read_csv(sys.argv[2]).to_numpy()
t1 = time.time()
km = KMeans(n_clusters=init.shape[0], init=init, n_init=1, max_iter=int(sys.argv[3]), tol=0.0, algorithm="lloyd").fit(X)
t2 = time.time()
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "inertia": float(km.inertia_), "iterations": int(km.n_iter_)}))
"""

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--max-iter", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating; medians are reported")
    a = ap.parse_args()

    work = workdir(a.workdir)
    data, init = blobs(work, a.rows, a.dim, a.k, a.seed)

    def run_persona():
        out, err, wall, rss = measured([a.persona, "train", "kmeans", "--data", data, "--k", str(a.k), "--init", init,
                                        "--no-scale", "--max-iter", str(a.max_iter), "--tol", "0",
                                        "--out", os.path.join(work, "m.safetensors")])
        fit = float(re.search(r"fitted k-means in ([0-9.]+) s", err).group(1))
        read = float(re.search(r"features in ([0-9.]+) s", err).group(1))
        iters = int(re.search(r"after (\d+) iteration", out).group(1))
        return {"wall": wall, "rss": rss, "fit": fit, "read": read, "iterations": iters}

    runs_p, runs_s = alternate(a.repeat, run_persona, lambda: run_python_peer(SKLEARN, data, init, a.max_iter))

    p_wall, p_read, p_fit, p_rss = (median(runs_p, k) for k in ("wall", "read", "fit", "rss"))
    p_iter = runs_p[0]["iterations"]
    s = {k: median(runs_s, k) for k in ("wall", "read", "fit", "rss")}
    s["iterations"] = runs_s[0]["iterations"]
    s["inertia"] = runs_s[0]["inertia"]
    s_wall, s_rss = s["wall"], s["rss"]
    ev = subprocess.run([a.persona, "evaluate", os.path.join(work, "m.safetensors"), "--data", data, "--json",
                         "--silhouette-sample", "2"], capture_output=True, text=True, check=True)
    p_inertia = json.loads(ev.stdout)["inertia"]

    import sklearn
    print(f"\nk-means: {a.rows} rows x {a.dim} features, k={a.k}, max_iter={a.max_iter}, tol=0, same starting centres; medians of {a.repeat} runs")
    print(f"{'':24}{'Persona':>12}{'scikit-learn ' + sklearn.__version__:>24}{'ratio':>10}")
    print(f"{'wall time, end to end':24}{p_wall:>11.2f}s{s_wall:>23.2f}s{s_wall / p_wall:>9.2f}x")
    print(f"{'  reading the CSV':24}{p_read:>11.2f}s{s['read']:>23.2f}s{s['read'] / p_read:>9.2f}x")
    print(f"{'  fitting':24}{p_fit:>11.2f}s{s['fit']:>23.2f}s{s['fit'] / p_fit:>9.2f}x")
    print(f"{'iterations':24}{p_iter:>12}{s['iterations']:>24}")
    print(f"{'peak memory (max RSS)':24}{p_rss:>10.0f}MB{s_rss:>22.0f}MB{p_rss / s_rss:>9.2f}x")
    print(f"{'inertia':24}{p_inertia:>12.6g}{s['inertia']:>24.6g}{p_inertia / s['inertia']:>10.6f}")
    print(f"speed-up (scikit-learn time / Persona time): end to end {s_wall / p_wall:.2f}x, fit {s['fit'] / p_fit:.2f}x; "
          f"inertia ratio {p_inertia / s['inertia']:.6f}; memory ratio {p_rss / s_rss:.2f}")


if __name__ == "__main__":
    main()
