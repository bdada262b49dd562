"""Shared by the benchmarks: run a command in its own process and measure it."""
import subprocess
import sys

MEASURE = r"""
import resource, subprocess, sys, time
t = time.time()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(p.stderr)
print(p.stdout)
print("MEASURE", p.returncode, wall, rss)
"""


def measured(cmd):
    """Runs cmd; returns (stdout, stderr, wall seconds, peak RSS in MB)."""
    p = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True)
    lines = p.stdout.strip().splitlines()
    code, wall, rss = lines[-1].split()[1:]
    if int(code) != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{p.stderr}\n{p.stdout}")
    return "\n".join(lines[:-1]), p.stderr, float(wall), int(rss) / 1024


def median(runs, key):
    values = sorted(r[key] for r in runs)
    return values[len(values) // 2]


def run_python_peer(script, *args):
    """Runs a peer's Python script (which prints one JSON line last) in its own process."""
    import json
    out, err, wall, rss = measured([sys.executable, "-c", script, *map(str, args)])
    r = json.loads(out.strip().splitlines()[-1])
    r.update(wall=wall, rss=rss)
    return r


def alternate(repeat, run_persona, run_peer, peer="scikit-learn"):
    """Runs both sides `repeat` times, alternating, and prints each run."""
    runs_p, runs_s = [], []
    for i in range(repeat):
        runs_p.append(run_persona())
        runs_s.append(run_peer())
        print(f"run {i + 1}: Persona {runs_p[-1]['wall']:.2f} s (fit {runs_p[-1]['fit']:.2f} s), "
              f"{peer} {runs_s[-1]['wall']:.2f} s (fit {runs_s[-1]['fit']:.2f} s)", flush=True)
    return runs_p, runs_s


def blobs(work, rows, dim, k, seed=0):
    """ROWS x DIM points around K normal centres (sd 2, centres sd 5), as
    work/blobs-*.csv, plus K starting centres drawn from the rows as
    work/blobs-*-init.csv. Generated once per set of parameters."""
    import os
    import time

    import numpy as np
    import pandas as pd
    stem = os.path.join(work, f"blobs-{rows}x{dim}-k{k}-s{seed}")
    data, init = stem + ".csv", stem + "-init.csv"
    if not (os.path.exists(data) and os.path.exists(init)):
        t = time.time()
        rng = np.random.default_rng(seed)
        centres = rng.normal(0, 5, size=(k, dim))
        X = centres[rng.integers(0, k, rows)] + rng.normal(0, 2, size=(rows, dim))
        cols = [f"f{j}" for j in range(dim)]
        pd.DataFrame(X, columns=cols).to_csv(data, index=False, float_format="%.4f")
        pd.DataFrame(X[rng.choice(rows, k, replace=False)], columns=cols).to_csv(init, index=False, float_format="%.4f")
        print(f"generated {rows} x {dim} around {k} centres in {time.time() - t:.1f} s -> {data}")
    return data, init


def workdir(path):
    """The benchmark's working folder: the one given, or a new temporary one."""
    import os
    import tempfile
    work = path or tempfile.mkdtemp(prefix="persona-bench-")
    os.makedirs(work, exist_ok=True)
    return work


def generated(persona, work, kind, rows, seed):
    """work/KIND-ROWS-sSEED.csv from `persona datasets generate`, made once."""
    import os
    path = os.path.join(work, f"{kind}-{rows}-s{seed}.csv")
    if not os.path.exists(path):
        subprocess.run([persona, "datasets", "generate", kind, "--rows", str(rows), "--seed", str(seed), "--out", path],
                       check=True, capture_output=True)
    return path
