#!/usr/bin/env python3
"""Customer value: Persona's BG/NBD against lifetimes 0.11 (BetaGeoFitter), from
the same summary file, each in its own process.

Generates --customers summaries (1,000,000 by default; numpy, seed 0) from a
BG/NBD process with parameters close to CDNOW's (r 0.24, alpha 4.4, a 0.79,
b 2.4): per customer, T uniform on [1, 39] weeks, a purchase rate
lambda ~ Gamma(r, scale 1/alpha), a dropout probability p ~ Beta(a, b);
purchases after the first (at time 0) come at rate lambda, and after each the
customer drops out with probability p. frequency = repeat purchases in (0, T],
recency = the time of the last one (0 without any), recency and T in weeks
rounded to 2 decimals as in lifetimes' CDNOW summary (a repeat buyer's recency
at least 0.01); monetary_value, for repeat buyers only, the mean of
frequency Gamma(6.25, scale 1/nu) spends with nu ~ Gamma(3.74, scale 1/15.44)
(CDNOW's Gamma-Gamma fit), 0 for the others. Written once as
work/value-summary-N-s0.csv, columns customer_id,frequency,recency,T,monetary_value.

Then times whole processes (imports, read and all), alternating, medians of
--repeat runs, wall time, peak memory (max RSS) and CPU seconds (user + sys of
the process and its threads):
  fit:
  - Persona: `persona train value --summary FILE --spend none --out m.safetensors`
    (BG/NBD by maximum likelihood on the summary; no spend model);
  - lifetimes: pandas.read_csv, BetaGeoFitter().fit(df.frequency, df.recency,
    df['T']) (penalizer 0, its defaults), the parameters written as JSON.
  The fitted parameters (Persona's from `persona inspect m.safetensors --json`)
  are compared: the largest relative difference over r, alpha, a, b, and the
  mean log-likelihood per customer of each side's parameters on the data.
  score (52 weeks ahead, on the same customers, with Persona's fitted parameters):
  - Persona: `persona score m.safetensors --data FILE --horizon 52 --out scores.csv`
    (P(alive), expected purchases, decile and lifecycle per customer);
  - lifetimes: pandas.read_csv, no fit: a BetaGeoFitter whose params_ are set
    to Persona's parameters, conditional_expected_number_of_purchases_up_to_time(52, ...)
    and conditional_probability_alive(...) for every customer, written as CSV
    with the customer id.
  The two files' p_alive and expected purchases are compared (untimed).
If lifetimes' scoring of every customer would take over 5 minutes (measured
on 100,000 customers first), its side scores a leading subsample instead, its
time is scaled to all customers, and the output says so (it does not, on the
machine of bench/RESULTS.md: a few seconds).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import MEASURE, median, workdir  # noqa: E402

TRUE = dict(r=0.24, alpha=4.4, a=0.79, b=2.4)
SPEND = dict(p=6.25, q=3.74, gamma=15.44)  # CDNOW's Gamma-Gamma parameters
NAMES = ("r", "alpha", "a", "b")
HORIZON = 52
PEER_SCORE_LIMIT = 300.0  # seconds lifetimes' scoring may take on every customer

# MEASURE, and then the CPU seconds (user, sys) of the measured process and its threads.
MEASURE_CPU = MEASURE + r"""
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("CPU", ru.ru_utime, ru.ru_stime)
"""

LIFETIMES_FIT = r"""
import json, sys, time
t0 = time.time()
import pandas as pd
from lifetimes import BetaGeoFitter
path, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(path)
t1 = time.time()
bgf = BetaGeoFitter().fit(df.frequency, df.recency, df['T'])
t2 = time.time()
params = {k: float(bgf.params_[k]) for k in ("r", "alpha", "a", "b")}
with open(out, "w") as f:
    json.dump(params, f)
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "params": params,
                  "nll": float(bgf._negative_log_likelihood_)}))
"""

LIFETIMES_SCORE = r"""
import json, sys, time
t0 = time.time()
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter
path, params, horizon, out, rows = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
df = pd.read_csv(path, nrows=rows if rows > 0 else None)
t1 = time.time()
bgf = BetaGeoFitter()
bgf.params_ = pd.Series(params, index=["r", "alpha", "a", "b"])
f, r, T = df.frequency.to_numpy(), df.recency.to_numpy(), df["T"].to_numpy()
expected = bgf.conditional_expected_number_of_purchases_up_to_time(horizon, f, r, T)
alive = bgf.conditional_probability_alive(f, r, T)
t2 = time.time()
pd.DataFrame({"customer_id": df.customer_id.to_numpy(), "p_alive": alive,
              "expected_purchases": expected}).to_csv(out, index=False)
t3 = time.time()
print(json.dumps({"read": t1 - t0, "score": t2 - t1, "write": t3 - t2, "rows": len(df)}))
"""

# Untimed: the mean log-likelihood per customer of given BG/NBD parameters (lifetimes' own formula).
LOGLIK = r"""
import json, sys
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter
df = pd.read_csv(sys.argv[1], usecols=["frequency", "recency", "T"])
out = {}
for side, p in json.loads(sys.argv[2]).items():
    nll = BetaGeoFitter._negative_log_likelihood(np.log([p["r"], p["alpha"], p["a"], p["b"]]),
                                                 df.frequency.to_numpy(), df.recency.to_numpy(), df["T"].to_numpy(),
                                                 np.ones(len(df)), 0.0)
    out[side] = -float(nll)
print(json.dumps(out))
"""


def measured(cmd):
    """Runs cmd through common.MEASURE; returns (stdout, stderr, wall s, peak RSS MB, CPU s)."""
    import subprocess
    p = subprocess.run([sys.executable, "-c", MEASURE_CPU, *map(str, cmd)], capture_output=True, text=True)
    lines = p.stdout.strip().splitlines()
    if len(lines) < 2 or not lines[-2].startswith("MEASURE"):
        raise SystemExit(f"{cmd[0]} failed:\n{p.stderr[-3000:]}\n{p.stdout[-2000:]}")
    code, wall, rss = lines[-2].split()[1:]
    user, sys_ = map(float, lines[-1].split()[1:])
    if int(code) != 0:
        raise SystemExit(f"{' '.join(map(str, cmd[:3]))} failed ({code}):\n{p.stderr[-3000:]}\n{p.stdout[-2000:]}")
    return "\n".join(lines[:-2]), p.stderr, float(wall), int(rss) / 1024, user + sys_


def python_peer(script, *args):
    out, err, wall, rss, cpu = measured([sys.executable, "-c", script, *map(str, args)])
    r = json.loads(out.strip().splitlines()[-1])
    r.update(wall=wall, rss=rss, cpu=cpu)
    return r


def persona(cmd):
    out, err, wall, rss, cpu = measured(cmd)
    return {"wall": wall, "rss": rss, "cpu": cpu, "out": out, "log": err}


def summaries(work, n, seed=0):
    """work/value-summary-N-sSEED.csv: N customers' BG/NBD summaries, made once."""
    path = os.path.join(work, f"value-summary-{n}-s{seed}.csv")
    if os.path.exists(path):
        return path
    t = time.time()
    rng = np.random.default_rng(seed)
    T = np.round(rng.uniform(1, 39, n), 2)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    events = rng.poisson(lam * T)                   # purchases in (0, T] had the customer stayed
    drop = rng.geometric(p)                         # the repeat purchase after which the customer leaves
    x = np.minimum(events, drop)
    buyers = x > 0
    # given `events` purchases in (0, T], the x-th of them is at T times the x-th of `events` uniform order statistics
    last = np.zeros(n)
    last[buyers] = T[buyers] * rng.beta(x[buyers], events[buyers] - x[buyers] + 1)
    recency = np.where(buyers, np.maximum(np.round(last, 2), 0.01), 0.0)
    nu = rng.gamma(SPEND["q"], 1 / SPEND["gamma"], n)
    spend = np.zeros(n)
    spend[buyers] = rng.gamma(SPEND["p"] * x[buyers], 1 / (nu[buyers] * x[buyers]))  # the mean of x Gamma(p, 1/nu) spends
    df = pd.DataFrame({"customer_id": np.arange(1, n + 1), "frequency": x, "recency": recency, "T": T,
                       "monetary_value": np.round(spend, 2)})
    df.to_csv(path + ".tmp", index=False, float_format="%.2f")
    os.replace(path + ".tmp", path)
    print(f"generated {n} customers' summaries in {time.time() - t:.1f} s -> {path}: "
          f"{buyers.mean():.1%} repeat buyers, mean frequency {x.mean():.3f}, max {x.max()}, "
          f"mean T {T.mean():.2f} weeks", flush=True)
    return path


def show_params(p):
    return ", ".join(f"{k}={p[k]:.6g}" for k in NAMES)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persona", required=True)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = summaries(work, a.customers)
    size_mb = os.path.getsize(data) / 2**20
    model = os.path.join(work, "value.safetensors")
    params_json = os.path.join(work, "value-lifetimes-params.json")
    ours_scores, peer_scores = os.path.join(work, "value-scores-persona.csv"), os.path.join(work, "value-scores-lifetimes.csv")

    import importlib.metadata as md
    peer = f"lifetimes {md.version('lifetimes')}"
    print(f"\n== fit: BG/NBD on {a.customers} customers' summaries ({size_mb:.1f} MB), {os.cpu_count()} cores", flush=True)
    fit_p, fit_l = [], []
    for i in range(a.repeat):
        fit_p.append(persona([a.persona, "train", "value", "--summary", data, "--spend", "none", "--out", model]))
        fit_l.append(python_peer(LIFETIMES_FIT, data, params_json))
        print(f"run {i + 1}: Persona {fit_p[-1]['wall']:.2f} s ({fit_p[-1]['cpu']:.2f} s CPU, {fit_p[-1]['rss']:.0f} MB), "
              f"{peer} {fit_l[-1]['wall']:.2f} s (fit {fit_l[-1]['fit']:.2f} s, {fit_l[-1]['rss']:.0f} MB)", flush=True)
    log = [line for line in fit_p[-1]["log"].splitlines() + fit_p[-1]["out"].splitlines() if line.strip()]
    if log:
        print("Persona's train output (last run):\n  " + "\n  ".join(log[-6:]))

    card = json.loads(persona([a.persona, "inspect", model, "--json"])["out"])
    ours = {k: float(card["parameters"][k]) for k in NAMES}
    theirs = fit_l[-1]["params"]
    rel = {k: abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in NAMES}
    worst = max(rel, key=rel.get)
    ll = python_peer(LOGLIK, data, json.dumps({"Persona": ours, "lifetimes": theirs, "true": TRUE}))

    wp, wl = median(fit_p, "wall"), median(fit_l, "wall")
    print(f"\nfit: medians of {a.repeat} runs, CSV in to parameters out, each in its own process")
    print(f"{'':20}{'seconds':>10}{'CPU s':>9}{'peak MB':>9}")
    print(f"{'Persona':20}{wp:>10.2f}{median(fit_p, 'cpu'):>9.2f}{median(fit_p, 'rss'):>9.0f}")
    print(f"{peer:20}{wl:>10.2f}{median(fit_l, 'cpu'):>9.2f}{median(fit_l, 'rss'):>9.0f}"
          f"   (imports and read {median(fit_l, 'read'):.2f} s, fit {median(fit_l, 'fit'):.2f} s)")
    print(f"lifetimes/Persona: {wl / wp:.2f}x the time, {median(fit_l, 'rss') / median(fit_p, 'rss'):.2f}x the memory")
    print(f"parameters  Persona:   {show_params(ours)}")
    print(f"            lifetimes: {show_params(theirs)}")
    print(f"            generated: {show_params(TRUE)}")
    print(f"largest relative difference, Persona against lifetimes: {rel[worst]:.2e} ({worst}); "
          + ", ".join(f"{k} {rel[k]:.1e}" for k in NAMES))
    print("mean log-likelihood per customer (lifetimes' formula): "
          + ", ".join(f"{k} {ll[k]:.10f}" for k in ("Persona", "lifetimes", "true"))
          + f"; Persona - lifetimes {ll['Persona'] - ll['lifetimes']:+.2e}")

    # scoring: Persona's parameters on both sides
    print(f"\n== score: {HORIZON} weeks ahead, {a.customers} customers", flush=True)
    rows = 0
    probe_n = 100_000
    if a.customers > probe_n:
        probe = python_peer(LIFETIMES_SCORE, data, json.dumps(ours), HORIZON, peer_scores, probe_n)
        projected = probe["score"] * a.customers / probe_n
        if projected > PEER_SCORE_LIMIT:
            rows = max(probe_n, int(probe_n * PEER_SCORE_LIMIT / 2 / probe["score"]))
            print(f"lifetimes' scoring of {probe_n} customers took {probe['score']:.1f} s ({projected:.0f} s projected "
                  f"for all): its side scores the first {rows} customers only; its times are scaled to "
                  f"{a.customers} customers", flush=True)
    sc_p, sc_l = [], []
    for i in range(a.repeat):
        sc_p.append(persona([a.persona, "score", model, "--data", data, "--horizon", HORIZON, "--out", ours_scores]))
        sc_l.append(python_peer(LIFETIMES_SCORE, data, json.dumps(ours), HORIZON, peer_scores, rows))
        print(f"run {i + 1}: Persona {sc_p[-1]['wall']:.2f} s ({sc_p[-1]['cpu']:.2f} s CPU, {sc_p[-1]['rss']:.0f} MB), "
              f"{peer} {sc_l[-1]['wall']:.2f} s (score {sc_l[-1]['score']:.2f} s, {sc_l[-1]['rss']:.0f} MB)", flush=True)
    log = [line for line in sc_p[-1]["log"].splitlines() + sc_p[-1]["out"].splitlines() if line.strip()]
    if log:
        print("Persona's score output (last run):\n  " + "\n  ".join(log[-6:]))
    scale = a.customers / sc_l[-1]["rows"]
    wp, wl = median(sc_p, "wall"), median(sc_l, "wall") * scale
    cpu = median(sc_p, "cpu")
    print(f"\nscore: medians of {a.repeat} runs, CSV in to scores CSV out, each in its own process")
    print(f"{'':20}{'seconds':>10}{'CPU s':>9}{'peak MB':>9}{'customers/s':>13}")
    print(f"{'Persona':20}{wp:>10.2f}{cpu:>9.2f}{median(sc_p, 'rss'):>9.0f}{a.customers / wp:>13,.0f}")
    note = f"   (imports and read {median(sc_l, 'read'):.2f} s, the two predictions {median(sc_l, 'score'):.2f} s, " \
           f"write {median(sc_l, 'write'):.2f} s)"
    if scale != 1:
        note += f"   SUBSAMPLE: {sc_l[-1]['rows']} customers, times x{scale:.2f}"
    print(f"{peer:20}{wl:>10.2f}{median(sc_l, 'cpu') * scale:>9.2f}{median(sc_l, 'rss'):>9.0f}"
          f"{a.customers / wl:>13,.0f}{note}")
    print(f"lifetimes/Persona: {wl / wp:.2f}x the time")
    print(f"Persona's score: {cpu:.2f} CPU s (user + sys) in {wp:.2f} s wall, {cpu / wp:.2f} cores busy on average; "
          f"{cpu / a.customers * 1e6:.2f} CPU µs per customer")

    # the two sides' scores (untimed)
    mine = pd.read_csv(ours_scores, usecols=["customer_id", "p_alive", "expected_purchases"])
    other = pd.read_csv(peer_scores)
    both = other.merge(mine, on="customer_id", suffixes=("_l", "_p"))
    bad = {c: int((~np.isfinite(mine[c])).sum()) for c in ("p_alive", "expected_purchases")}
    print(f"scores compared on {len(both)} customers: " + ", ".join(
        f"{c} max |diff| {np.max(np.abs(both[c + '_p'] - both[c + '_l'])):.1e}, "
        f"max relative {np.max(np.abs(both[c + '_p'] - both[c + '_l']) / np.maximum(np.abs(both[c + '_l']), 1e-300)):.1e}"
        for c in ("p_alive", "expected_purchases"))
          + f"; non-finite in Persona's: {bad}; rows: Persona {len(mine)}, lifetimes {len(other)}")


if __name__ == "__main__":
    main()
