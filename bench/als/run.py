#!/usr/bin/env python3
"""ALS (implicit feedback), Persona against the `implicit` library (CPU), on the same file in one run.

Generates USERS x ITEMS with INTERACTIONS implicit counts (power-law item
popularity, a low-rank taste), then
  - trains both with the same factors, regularisation, alpha and iterations
    (implicit is given the confidence 1 + alpha * count directly);
  - recommends the top 10 unseen items to every user with both.
Each side runs in its own process. Prints training time, recommend-all
throughput (users per second) and peak memory.
"""
import argparse
import os
import re
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import alternate, measured, median, run_python_peer, workdir  # noqa: E402

IMPLICIT = r"""
import json, os, sys, time
os.environ["OPENBLAS_NUM_THREADS"] = "1"
t0 = time.time()
import numpy as np, pandas as pd, scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
df = pd.read_csv(sys.argv[1])
users, uidx = np.unique(df.user_id.to_numpy(), return_inverse=True)
items, iidx = np.unique(df.item_id.to_numpy(), return_inverse=True)
factors, reg, alpha, iterations = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
conf = sp.csr_matrix(((1 + alpha * df["count"].to_numpy()).astype(np.float32), (uidx, iidx)), shape=(len(users), len(items)))
t1 = time.time()
model = AlternatingLeastSquares(factors=factors, regularization=reg, alpha=1.0, iterations=iterations, random_state=0)
model.fit(conf, show_progress=False)
t2 = time.time()
ids, scores = model.recommend(np.arange(len(users)), conf, N=10, filter_already_liked_items=True)
t3 = time.time()
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "recommend": t3 - t2, "users": len(users)}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--interactions", type=int, default=5_000_000)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--reg", type=float, default=0.01)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = os.path.join(work, f"implicit-{a.users}x{a.items}x{a.interactions}.csv")
    if not os.path.exists(data):
        rng = np.random.default_rng(0)
        pop = (np.arange(a.items) + 1.0) ** -0.8
        pop /= pop.sum()
        u = rng.integers(0, a.users, a.interactions * 11 // 10)
        i = rng.choice(a.items, size=len(u), p=pop)
        pairs = np.unique(u.astype(np.int64) * a.items + i)[: a.interactions]
        df = pd.DataFrame({"user_id": pairs // a.items, "item_id": pairs % a.items,
                           "count": rng.geometric(0.5, len(pairs))})
        df.to_csv(data, index=False)
    model = os.path.join(work, "als.safetensors")

    def run_persona():
        out, err, wall, rss = measured([a.persona, "train", "als", "--data", data, "--user", "user_id", "--item", "item_id",
                                        "--rating", "count", "--implicit", "--factors", str(a.factors), "--reg", str(a.reg),
                                        "--alpha", str(a.alpha), "--iterations", str(a.iterations), "--out", model])
        fit = float(re.search(r"fitted in ([0-9.]+) s", err).group(1))
        read = float(re.search(r"items.* in ([0-9.]+) s", err).group(1))
        out2, err2, wall2, rss2 = measured([a.persona, "recommend", model, "--all-users", "--top", "10", "--exclude-seen",
                                            "--out", os.path.join(work, "recs.csv")])
        return {"wall": wall, "rss": max(rss, rss2), "fit": fit, "read": read, "recommend": wall2}

    runs_p, runs_s = alternate(a.repeat, run_persona,
                               lambda: run_python_peer(IMPLICIT, data, a.factors, a.reg, a.alpha, a.iterations), peer="implicit")
    p = {k: median(runs_p, k) for k in ("wall", "read", "fit", "rss", "recommend")}
    s = {k: median(runs_s, k) for k in ("wall", "read", "fit", "rss", "recommend")}
    users = runs_s[0]["users"]
    import implicit
    print(f"\nALS implicit: {users} users x {a.items} items x {a.interactions} interactions, {a.factors} factors, "
          f"{a.iterations} iterations; medians of {a.repeat} runs")
    print(f"{'':26}{'Persona':>12}{'implicit ' + implicit.__version__:>20}{'ratio':>10}")
    print(f"{'training (fit)':26}{p['fit']:>11.2f}s{s['fit']:>19.2f}s{s['fit'] / p['fit']:>9.2f}x")
    print(f"{'train, end to end':26}{p['wall']:>11.2f}s{s['wall'] - s['recommend']:>19.2f}s{(s['wall'] - s['recommend']) / p['wall']:>9.2f}x")
    print(f"{'recommend all, top 10':26}{users / p['recommend']:>8.0f} u/s{users / s['recommend']:>15.0f} u/s{s['recommend'] / p['recommend']:>9.2f}x")
    print(f"{'peak memory (max RSS)':26}{p['rss']:>10.0f}MB{s['rss']:>18.0f}MB{p['rss'] / s['rss']:>9.2f}x")


if __name__ == "__main__":
    main()
