"""Two builds of Persona side by side: the same jobs, alternating, whole
processes. For a change that should not make anything slower (a refactor),
run the build before it as --before and the build after it as --after; the
ratio is after / before (below 1: faster).

  .venv/bin/python bench/builds/run.py --before OLD/persona --after .build/release/persona --repeat 3
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import blobs, generated, measured, median, workdir  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, default=500000, help="rows of the churn and interaction files")
    ap.add_argument("--work")
    args = ap.parse_args()
    work = workdir(args.work)
    churn = generated(args.after, work, "churn", args.rows, 1)
    base = generated(args.after, work, "churn", 2 * args.rows, 2)
    inter = generated(args.after, work, "interactions", args.rows, 3)
    points, init = blobs(work, args.rows, 32, 32)
    out = lambda name: os.path.join(work, name)  # noqa: E731
    jobs = [
        ("train logreg", ["train", "logreg", "--data", churn, "--target", "churned", "--l2", "1e-4", "--out", out("lr.safetensors")]),
        ("train tree", ["train", "tree", "--data", churn, "--target", "churned", "--max-depth", "8", "--out", out("tree.safetensors")]),
        ("train gbdt", ["train", "gbdt", "--data", churn, "--target", "churned", "--trees", "100", "--out", out("gb.safetensors")]),
        ("train kmeans", ["train", "kmeans", "--data", points, "--k", "32", "--init", init, "--no-scale", "--tol", "0",
                          "--max-iter", "20", "--out", out("km.safetensors")]),
        ("train als", ["train", "als", "--data", inter, "--user", "user_id", "--item", "item_id", "--rating", "rating",
                       "--implicit", "--factors", "32", "--out", out("als.safetensors")]),
        ("cv logreg", ["cv", "logreg", "--data", churn, "--target", "churned", "--l2", "1e-4", "--folds", "5"]),
        ("score", ["score", out("lr.safetensors"), "--data", base, "--out", out("scores.csv")]),
        ("recommend", ["recommend", out("als.safetensors"), "--all-users", "--top", "10", "--exclude-seen", "--out", out("recs.csv")]),
    ]
    print(f"{'job':<16}{'before':>10}{'after':>10}{'after/before':>14}{'RSS before':>12}{'RSS after':>11}")
    for name, cmd in jobs:
        runs = {"before": [], "after": []}
        for _ in range(args.repeat):
            for side in ("before", "after"):
                binary = args.before if side == "before" else args.after
                _, _, wall, rss = measured([binary, *cmd, "--quiet"])
                runs[side].append({"wall": wall, "rss": rss})
        b, a = median(runs["before"], "wall"), median(runs["after"], "wall")
        rb, ra = median(runs["before"], "rss"), median(runs["after"], "rss")
        print(f"{name:<16}{b:>9.2f}s{a:>9.2f}s{a / b:>14.2f}{rb:>10.0f}MB{ra:>9.0f}MB", flush=True)


if __name__ == "__main__":
    main()
