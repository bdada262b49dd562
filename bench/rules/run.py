#!/usr/bin/env python3
"""Association rules: Persona against mlxtend 0.25 and pyfim, from the same
basket file to a rules file, each in its own process.

Generates long-form baskets (`basket_id,item`, one row per basket and item):
item popularity a truncated Zipf law (exponent 1) over the item ids, basket
sizes Poisson (mean 10, at least 1) drawn with replacement, repeats dropped
(about 9 distinct items a basket). Then times whole processes from the CSV to
a rules CSV:
  - Persona: `persona train rules` then `persona inspect --rules --out`;
  - mlxtend: pandas.read_csv, TransactionEncoder (sparse), fpgrowth,
    association_rules(metric="confidence"), the rules written as CSV;
  - pyfim: pandas.read_csv, the baskets as lists, fim.fpgrowth(target="r",
    mode="o": a rule's support is its whole itemset's, as in mlxtend),
    support, confidence and lift written as CSV.
Cases: `small` (100,000 baskets of 1,000 items, min support 0.005) and `large`
(1,000,000 baskets of 40,000 items, min support 0.001); min confidence 0.5.
Prints median seconds of --repeat alternating runs, the ratios to Persona,
peak memory (max RSS; Persona's against the input file's size) and the
itemsets and rules each tool found. pyfim's rules have one item after the
arrow, so they are compared with the rules of one consequent item.

mlxtend's fpgrowth reads the one-hot frame with `df.values`, which makes it
dense even when it is sparse (baskets x items bytes: 40 GB on `large`), so it is
skipped when that does not fit in half the available memory (or --skip-mlxtend).
"""
import argparse
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import MEASURE, median, workdir  # noqa: E402

CASES = {
    "small": dict(baskets=100_000, items=1_000, support=0.005),
    "large": dict(baskets=1_000_000, items=40_000, support=0.001),
}
CONFIDENCE = 0.5

# Baskets as lists of items, for both peers: rows grouped by basket_id (a stable sort, then split).
GROUP = r"""
df = pd.read_csv(path)
b, it = df["basket_id"].to_numpy(), df["item"].to_numpy()
order = np.argsort(b, kind="stable")
b, it = b[order], it[order]
tr = [a.tolist() for a in np.split(it, np.flatnonzero(b[1:] != b[:-1]) + 1)]
"""

MLXTEND = r"""
import json, sys, time, warnings
t0 = time.time()
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
from mlxtend.preprocessing import TransactionEncoder
from mlxtend.frequent_patterns import association_rules, fpgrowth
path, support, confidence, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
""" + GROUP + r"""
te = TransactionEncoder().fit(tr)
onehot = pd.DataFrame.sparse.from_spmatrix(te.transform(tr, sparse=True), columns=te.columns_)
t1 = time.time()
freq = fpgrowth(onehot, min_support=support, use_colnames=True)
t2 = time.time()
rules = association_rules(freq, num_itemsets=len(tr), metric="confidence", min_threshold=confidence)
t3 = time.time()
names = lambda s: json.dumps(sorted(map(str, s)))
single = int((rules["consequents"].map(len) == 1).sum())
rules["antecedents"] = rules["antecedents"].map(names)
rules["consequents"] = rules["consequents"].map(names)
rules.columns = [{"antecedents": "antecedent", "consequents": "consequent"}.get(k, k.replace(" ", "_")) for k in rules.columns]
rules.to_csv(out, index=False)
t4 = time.time()
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "rules_time": t3 - t2, "write": t4 - t3,
                  "itemsets": len(freq), "rules": len(rules), "single": single}))
"""

PYFIM = r"""
import csv, json, sys, time
t0 = time.time()
import numpy as np, pandas as pd, fim
path, support, confidence, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
""" + GROUP + r"""
t1 = time.time()
# supp and conf in percent; mode "o": a rule's support is body and head together (pyfim's
# default is the body's alone, which also keeps rules whose whole itemset is not frequent)
rules = fim.fpgrowth(tr, target="r", supp=100 * support, conf=100 * confidence, zmin=2, report="scla", mode="o")
t2 = time.time()
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["antecedent", "consequent", "support", "confidence", "lift", "count"])
    for head, body, s, c, l, a in rules:
        w.writerow([json.dumps(sorted(map(str, body))), json.dumps([str(head)]), repr(s), repr(c), repr(l), a])
t3 = time.time()
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "write": t3 - t2, "rules": len(rules), "single": len(rules)}))
"""

# Untimed: pyfim's count of frequent itemsets, next to the others'.
PYFIM_ITEMSETS = r"""
import json, sys
import numpy as np, pandas as pd, fim
path, support = sys.argv[1], float(sys.argv[2])
""" + GROUP + r"""
print(json.dumps({"itemsets": len(fim.fpgrowth(tr, target="s", supp=100 * support, zmin=1, report="a"))}))
"""


def measured(cmd, timeout=None):
    """Runs cmd in its own process group; returns (stdout, stderr, wall seconds, peak RSS in MB),
    or None when it ran past timeout seconds (then the whole group is killed)."""
    p = subprocess.Popen([sys.executable, "-c", MEASURE, *map(str, cmd)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None
    lines = out.strip().splitlines()
    if not lines or not lines[-1].startswith("MEASURE"):
        raise SystemExit(f"{cmd[0]} failed:\n{err}\n{out}")
    code, wall, rss = lines[-1].split()[1:]
    if int(code) != 0:
        raise SystemExit(f"{' '.join(map(str, cmd[:3]))} failed ({code}):\n{err[-3000:]}\n{out[-2000:]}")
    return "\n".join(lines[:-1]), err, float(wall), int(rss) / 1024


def python_peer(script, *args, timeout=None):
    r = measured([sys.executable, "-c", script, *args], timeout)
    if r is None:
        return None
    out, err, wall, rss = r
    result = json.loads(out.strip().splitlines()[-1])
    result.update(wall=wall, rss=rss)
    return result


def baskets(work, n, m, seed=0, mean=10.0, exponent=1.0):
    """work/baskets-N-M-sSEED.csv: N baskets over M items, made once."""
    path = os.path.join(work, f"baskets-{n}-{m}-s{seed}.csv")
    if not os.path.exists(path):
        import time
        t = time.time()
        rng = np.random.default_rng(seed)
        sizes = np.maximum(1, rng.poisson(mean, n))
        weight = np.arange(1, m + 1, dtype=np.float64) ** -exponent  # truncated Zipf over the ranks
        cdf = np.cumsum(weight)
        cdf /= cdf[-1]
        ranks = np.minimum(np.searchsorted(cdf, rng.random(int(sizes.sum())), side="right"), m - 1)
        ids = rng.permutation(m)[ranks]  # popularity does not follow the id
        key = np.unique(np.repeat(np.arange(n, dtype=np.int64), sizes) * m + ids)  # sorted, repeats dropped
        pd.DataFrame({"basket_id": key // m, "item": key % m}).to_csv(path + ".tmp", index=False)
        os.replace(path + ".tmp", path)
        print(f"generated {n} baskets of {m} items, {key.size} rows ({key.size / n:.2f} items a basket) "
              f"in {time.time() - t:.1f} s -> {path}", flush=True)
    return path


def available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("inf")


def run_case(a, name, work):
    c = CASES[name]
    n, m, support = c["baskets"], c["items"], c["support"]
    data = baskets(work, n, m)
    size_mb = os.path.getsize(data) / 2**20
    model, ours_out = os.path.join(work, f"rules-{name}.safetensors"), os.path.join(work, f"rules-{name}-persona.csv")
    mlx_out, fim_out = os.path.join(work, f"rules-{name}-mlxtend.csv"), os.path.join(work, f"rules-{name}-pyfim.csv")

    skip_mlxtend = None
    dense_mb = n * m / 2**20
    if a.skip_mlxtend:
        skip_mlxtend = "--skip-mlxtend"
    elif dense_mb > available_mb() / 2:
        skip_mlxtend = (f"its fpgrowth makes the one-hot frame dense (df.values): {n} x {m} bytes = "
                        f"{dense_mb / 1024:.0f} GB, more than half the {available_mb() / 1024:.0f} GB available")

    def run_persona():
        r1 = measured([a.persona, "train", "rules", "--data", data, "--basket", "basket_id", "--item", "item",
                       "--min-support", support, "--min-confidence", CONFIDENCE, "--out", model])
        r2 = measured([a.persona, "inspect", model, "--rules", "--out", ours_out])
        return {"wall": r1[2] + r2[2], "train": r1[2], "inspect": r2[2], "rss": max(r1[3], r2[3]), "log": r1[1]}

    tools = [("Persona", run_persona)]
    if not skip_mlxtend:
        tools.append(("mlxtend", lambda: python_peer(MLXTEND, data, support, CONFIDENCE, mlx_out, timeout=a.timeout)))
    tools.append(("pyfim", lambda: python_peer(PYFIM, data, support, CONFIDENCE, fim_out, timeout=a.timeout)))
    if a.peers_only:
        tools = tools[1:]

    print(f"\n== {name}: {n} baskets of {m} items ({size_mb:.1f} MB), min support {support}, "
          f"min confidence {CONFIDENCE}", flush=True)
    if skip_mlxtend:
        print(f"mlxtend skipped: {skip_mlxtend}")
    runs = {t: [] for t, _ in tools}
    for i in range(a.repeat):
        line = []
        for t, fn in tools:
            if runs[t] is None:
                continue
            r = fn()
            if r is None:
                print(f"{t} ran past --timeout {a.timeout} s and was stopped; left out", flush=True)
                runs[t] = None
                continue
            runs[t].append(r)
            line.append(f"{t} {r['wall']:.2f} s ({r['rss']:.0f} MB)")
        print(f"run {i + 1}: " + ", ".join(line), flush=True)
    done = {t: r for t, r in runs.items() if r}
    med = {t: {k: median(r, k) for k in ("wall", "rss")} for t, r in done.items()}

    # what each found (untimed)
    found = {}
    if "Persona" in done:
        measured([a.persona, "inspect", model, "--itemsets", "--out", os.path.join(work, f"itemsets-{name}.csv")])
        with open(os.path.join(work, f"itemsets-{name}.csv")) as f:
            itemsets = sum(1 for _ in f) - 1
        cons = pd.read_csv(ours_out, usecols=["consequent"], dtype=str)["consequent"]
        found["Persona"] = (itemsets, len(cons), int(cons.map(lambda s: len(json.loads(s)) == 1).sum()))
    if "mlxtend" in done:
        r = done["mlxtend"][0]
        found["mlxtend"] = (r["itemsets"], r["rules"], r["single"])
    if "pyfim" in done:
        sets = python_peer(PYFIM_ITEMSETS, data, support)["itemsets"]
        found["pyfim"] = (sets, None, done["pyfim"][0]["rules"])

    import importlib.metadata as md
    version = {"Persona": "", "mlxtend": " " + md.version("mlxtend"), "pyfim": " " + md.version("pyfim")}
    print(f"\nrules, {name}: medians of {a.repeat} runs, CSV in to rules CSV out, each in its own process")
    print(f"{'':18}{'seconds':>10}{'/ Persona':>11}{'peak MB':>10}{'itemsets':>10}{'rules':>9}{'1-item consequent':>19}")
    for t in done:
        ratio = f"{med[t]['wall'] / med['Persona']['wall']:.2f}x" if "Persona" in med else ""
        sets, rules, single = found.get(t, (None, None, None))
        show = lambda v: "" if v is None else str(v)
        print(f"{t + version[t]:18}{med[t]['wall']:>10.2f}{ratio:>11}{med[t]['rss']:>10.0f}"
              f"{show(sets):>10}{show(rules):>9}{show(single):>19}")
    if "Persona" in med:
        p = done["Persona"]
        print(f"Persona: train {median(p, 'train'):.2f} s + inspect {median(p, 'inspect'):.2f} s; peak memory "
              f"{med['Persona']['rss']:.0f} MB = {med['Persona']['rss'] / size_mb:.2f}x the input file ({size_mb:.1f} MB)")
        for t in ("mlxtend", "pyfim"):
            if t in med:
                print(f"{t}/Persona: {med[t]['wall'] / med['Persona']['wall']:.2f}x the time, "
                      f"{med[t]['rss'] / med['Persona']['rss']:.2f}x the memory")
    labels = {"read": "imports, read, group", "fit": "fpgrowth", "rules_time": "association_rules", "write": "write"}
    for t in ("mlxtend", "pyfim"):
        if t in done:
            r = done[t]
            parts = [f"{labels[k]}{' and one-hot' if k == 'read' and t == 'mlxtend' else ''} {median(r, k):.2f} s"
                     for k in labels if k in r[0]]
            print(f"{t}: " + ", ".join(parts))
    same = {v[0] for v in found.values()}
    if len(found) > 1:
        print("itemsets: " + ("the same count for all" if len(same) == 1 else "COUNTS DIFFER") +
              "; rules of one consequent item: " +
              ("the same count for all" if len({v[2] for v in found.values()}) == 1 else "COUNTS DIFFER"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persona", required=True)
    ap.add_argument("--case", choices=["small", "large", "all"], default="all")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-mlxtend", action="store_true")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds a peer may run before it is left out")
    ap.add_argument("--peers-only", action="store_true", help="time mlxtend and pyfim only (no Persona binary yet)")
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    for name in (["small", "large"] if a.case == "all" else [a.case]):
        run_case(a, name, work)


if __name__ == "__main__":
    main()
