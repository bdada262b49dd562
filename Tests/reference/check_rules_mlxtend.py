"""Association rules against mlxtend 0.25 (fpgrowth + association_rules) and
pyfim (Borgelt's fpgrowth), on the same baskets and thresholds:
  - the same frequent itemsets, with supports within 1e-12 and the same counts
    (mlxtend and pyfim);
  - the same rules (every split of every frequent itemset of 2+ items whose
    confidence reaches the threshold), and each of mlxtend's 12 measures within
    1e-12 (absolute up to 1, relative above: lift, conviction; inf == inf).
On `persona datasets generate baskets` (3,000 baskets), without and with
--max-length 3, with the one-row-per-basket input (--items, --separator) and
with the support given as a count; on hand-made edge cases (an item in every
basket, infinite conviction, confidence ties that mlxtend keeps or drops, an
itemset at the support threshold); then, when Tests/reference/real_baskets.py
(real_baskets(out_csv)) is there and gets its file, on those real baskets."""
import csv
import importlib.metadata
import itertools
import json
import math
import os
import sys
import warnings
from fractions import Fraction

import fim
import mlxtend
import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import association_rules, fpgrowth
from mlxtend.preprocessing import TransactionEncoder

from common import MISSING, Persona, check, parse_args, workdir

args = parse_args()
HERE = os.path.dirname(os.path.abspath(__file__))
assert mlxtend.__version__ == "0.25.0", f"the measures are mlxtend 0.25's; installed {mlxtend.__version__}"

MEASURES = ["antecedent_support", "consequent_support", "support", "confidence", "lift", "representativity",
            "leverage", "conviction", "zhangs_metric", "jaccard", "certainty", "kulczynski"]
TOL = 1e-12
PYFIM = importlib.metadata.version("pyfim")
# mlxtend's certainty divides by 1 - consequent support before it replaces 0/0 by 0
warnings.filterwarnings("ignore", "invalid value encountered in divide", RuntimeWarning)


def baskets(path, basket="basket_id", item="item"):
    """The transactions of a long-form file, as mlxtend and pyfim are given them: each basket's
    distinct items (a basket counts once however often an item repeats in it)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    groups = df.groupby(basket, sort=False)[item].agg(lambda s: sorted(set(s)))
    return groups.tolist()


def mlxtend_side(tr, min_support, min_confidence, max_len):
    te = TransactionEncoder()
    onehot = pd.DataFrame(te.fit(tr).transform(tr), columns=te.columns_)
    freq = fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=max_len)
    n = len(tr)
    itemsets = {frozenset(s): (v, round(v * n)) for s, v in zip(freq.itemsets, freq.support)}
    rules = {}
    if (freq.itemsets.map(len) >= 2).any():
        r = association_rules(freq, num_itemsets=n, metric="confidence", min_threshold=min_confidence)
        r.columns = [c.replace(" ", "_") for c in r.columns]
        for row in r.itertuples(index=False):
            rules[(frozenset(row.antecedents), frozenset(row.consequents))] = {m: float(getattr(row, m)) for m in MEASURES}
    return itemsets, rules


def pyfim_side(tr, min_support, max_len):
    # supp in percent; pyfim turns it into a count with ceil, forgiving a few ulps of rounding
    # (zmax=None is refused: "'NoneType' object cannot be interpreted as an integer"; leave it out)
    limit = {"zmax": max_len} if max_len else {}
    found = fim.fpgrowth(tr, target="s", supp=100 * min_support, zmin=1, report="a", **limit)
    return {frozenset(s): c for s, c in found}


def names(text, what):
    items = json.loads(text)
    if items != sorted(items):
        raise SystemExit(f"FAILED: {what} {text} is not sorted")
    return frozenset(items)


def columns(found, expected, name, seen=set()):
    if name not in seen or found != expected:
        check(found == expected, f"{name} columns: {','.join(found or [])}")
        seen.add(name)


def persona_side(persona, model):
    persona("inspect", model, "--itemsets", "--out", "itemsets.csv")
    persona("inspect", model, "--rules", "--out", "rules.csv")
    itemsets, rules = {}, {}
    with open(persona.path("itemsets.csv"), newline="") as f:
        rows = csv.DictReader(f)
        columns(rows.fieldnames, ["itemset", "support", "count"], "itemsets.csv")
        for row in rows:
            itemsets[names(row["itemset"], "itemset")] = (float(row["support"]), int(row["count"]))
    with open(persona.path("rules.csv"), newline="") as f:
        rows = csv.DictReader(f)
        columns(rows.fieldnames, ["antecedent", "consequent"] + MEASURES + ["count"], "rules.csv")
        for row in rows:
            key = (names(row["antecedent"], "antecedent"), names(row["consequent"], "consequent"))
            rules[key] = {m: float(row[m]) for m in MEASURES}
            rules[key]["count"] = int(row["count"])
    return itemsets, rules


def show(s):
    return "{" + ",".join(sorted(s)) + "}"


def close(a, b):
    if math.isinf(a) or math.isinf(b) or math.isnan(a) or math.isnan(b):
        return a == b or (math.isnan(a) and math.isnan(b))
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def diff(a, b):
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if math.isinf(a) or math.isinf(b):
        return math.inf
    return abs(a - b) / max(1.0, abs(a), abs(b))


def compare(label, n, ours, mlx, pyf, min_confidence):
    p_sets, p_rules = ours
    m_sets, m_rules = mlx
    only_p = [show(s) for s in p_sets.keys() - m_sets.keys()]
    only_m = [show(s) for s in m_sets.keys() - p_sets.keys()]
    check(not only_p and not only_m,
          f"{label}: the same {len(m_sets)} frequent itemsets as mlxtend (Persona {len(p_sets)}; only Persona: "
          f"{only_p[:5]}, only mlxtend: {only_m[:5]})")
    by_size = np.bincount([len(s) for s in m_sets])[1:].tolist()
    sup = max((abs(p_sets[s][0] - m_sets[s][0]) for s in m_sets), default=0.0)
    bad = [(show(s), p_sets[s], m_sets[s]) for s in m_sets if p_sets[s][1] != m_sets[s][1]]
    check(sup <= TOL and not bad, f"{label}: itemset supports max |diff| {sup:.1e} and the same counts "
          f"(itemsets of 1, 2, ... items: {by_size}){'; counts differ: ' + str(bad[:5]) if bad else ''}")
    # pyfim never reports an itemset of items that are in every basket ({z} when z is everywhere):
    # they are perfect extensions of the empty set, reported only alongside other items
    if pyf is None:
        return
    everywhere = [s for s, (_, c) in p_sets.items() if c == n]
    universal = frozenset().union(*everywhere)
    expected = {s: c for s, (_, c) in p_sets.items() if not s <= universal}
    check(pyf == expected,
          f"{label}: pyfim {PYFIM} finds the same {len(pyf)} itemsets "
          + (f"(all but {len(p_sets) - len(expected)} of items in every basket, which pyfim leaves out) " if universal else "")
          + f"with the same counts (only pyfim: {[show(s) for s in pyf.keys() - expected.keys()][:5]}, "
          f"only Persona: {[show(s) for s in expected.keys() - pyf.keys()][:5]}, "
          f"count differs: {[show(s) for s in pyf.keys() & expected.keys() if pyf[s] != expected[s]][:5]})")

    # A rule whose confidence is the threshold exactly (by counts) is a tie. mlxtend computes
    # confidence as (sAC * n) / (sA * n) with sAC = count / n in doubles, which can round below
    # the threshold: at n = 3000 and 0.3, (108 of 360) is dropped, (60 of 200) kept.
    def tie(a, c):
        cAC, cA = m_sets[a | c][1], m_sets[a][1]  # the itemsets are the same by now
        return Fraction(cAC, cA) == Fraction(str(min_confidence))
    ties = sum(1 for a, c in m_rules if tie(a, c))
    only_p = [f"{show(a)}->{show(c)}" + (" (a tie)" if tie(a, c) else "") for a, c in p_rules.keys() - m_rules.keys()]
    only_m = [f"{show(a)}->{show(c)} (confidence {m_rules[(a, c)]['confidence']!r}{', a tie' if tie(a, c) else ''})"
              for a, c in m_rules.keys() - p_rules.keys()]
    sizes = np.bincount([len(a) + len(c) for a, c in m_rules]).tolist()[2:] if m_rules else []
    note = ""
    if only_p or only_m:
        note = ("; a tie is kept by mlxtend when (sAC*n)/(sA*n) >= threshold in doubles, sAC = count/n" if
                any("tie" in r for r in only_p + only_m) else "")
    check(not only_p and not only_m,
          f"{label}: the same {len(m_rules)} rules as mlxtend (Persona {len(p_rules)}; from itemsets of 2, 3, ... items: "
          f"{sizes}; {ties} kept at confidence = {min_confidence} exactly; only Persona: {only_p[:5]}, only mlxtend: {only_m[:5]}){note}")
    worst = {m: (0.0, None) for m in MEASURES}
    infinite = 0
    for key, mr in m_rules.items():
        pr = p_rules[key]
        infinite += math.isinf(mr["conviction"])
        for m in MEASURES:
            d = diff(pr[m], mr[m])
            if d > worst[m][0]:
                worst[m] = (d, f"{show(key[0])}->{show(key[1])}: Persona {pr[m]!r}, mlxtend {mr[m]!r}")
    failing = {m: w for m, (d, w) in worst.items() if d > TOL}
    check(not failing, f"{label}: all 12 measures of {len(m_rules)} rules within {TOL:g} "
          f"(max diff, relative above 1: {max(d for d, _ in worst.values()):.1e}; {infinite} rules with conviction inf)"
          + (f"; outside: {failing}" if failing else ""))
    counts = [key for key, pr in p_rules.items() if pr["count"] != m_sets[key[0] | key[1]][1]]
    check(not counts, f"{label}: each rule's count is its itemset's ({len(counts)} differ: {counts[:3]})")
    return m_sets, m_rules


def consistent_support(s, n):
    """A support threshold at which mlxtend agrees with itself. mlxtend keeps a single item when
    count / n >= s, but prunes its conditional trees below math.ceil(s * n) (no slack): when
    s * n rounds up past a whole count k (0.07 * 100 = 7.000000000000001), itemsets of 2+ items
    seen k times are dropped while single items seen k times stay. Then move up to the first
    count k where both tests agree, and use k / n."""
    def agrees(t):
        k = math.ceil(t * n)
        return k / n >= t and (k - 1) / n < t
    if agrees(s):
        return s
    for k in range(math.ceil(s * n), math.ceil(s * n) + 100):
        if agrees(k / n):
            return k / n
    raise SystemExit(f"no consistent support near {s} for {n} baskets")


def run(persona, label, data, tr, min_support, min_confidence, max_len=None, extra=(), with_pyfim=True):
    n = len(tr)
    opts = ["--min-support", repr(min_support), "--min-confidence", repr(min_confidence)]
    if max_len:
        opts += ["--max-length", max_len]
    persona("train", "rules", "--data", data, "--basket", "basket_id", *extra, *opts, "--out", "m.safetensors")
    ours = persona_side(persona, "m.safetensors")
    mlx = mlxtend_side(tr, min_support, min_confidence, max_len)
    pyf = pyfim_side(tr, min_support, max_len) if with_pyfim else None
    compare(f"{label}, {n} baskets, support {min_support:g}, confidence {min_confidence:g}"
            + (f", max length {max_len}" if max_len else ""), n, ours, mlx, pyf, min_confidence)
    return ours, mlx


def real_file(d):
    """The real baskets as a clean long-form file (basket_id,item), or None."""
    if not os.path.exists(os.path.join(HERE, "real_baskets.py")):
        print("SKIP: Tests/reference/real_baskets.py is not there; the real-basket part is skipped")
        return None
    sys.path.insert(0, HERE)
    from real_baskets import real_baskets
    raw = os.path.join(d, "real-raw.csv")
    try:
        returned = real_baskets(raw)
    except Exception as e:  # e.g. no network for apt-get download
        print(f"SKIP: real_baskets() failed ({type(e).__name__}: {e}); the real-basket part is skipped")
        return None
    print(f"real baskets: {returned}")
    if isinstance(returned, str) and os.path.exists(returned):
        raw = returned
    if not os.path.exists(raw):
        print(f"SKIP: real_baskets() wrote no file ({returned!r}); the real-basket part is skipped")
        return None
    df = pd.read_csv(raw, dtype=str, keep_default_na=False)
    basket, item = ("basket_id", "item") if {"basket_id", "item"} <= set(df.columns) else df.columns[:2]
    df = df[[basket, item]].set_axis(["basket_id", "item"], axis=1)
    missing = df.basket_id.isin(MISSING) | df.item.isin(MISSING)
    if missing.any():
        print(f"note: {missing.sum()} real rows with a missing basket or item dropped")
        df = df[~missing]
    first = df.basket_id.drop_duplicates()
    if len(first) > 50_000:
        print(f"note: the first 50,000 of {len(first)} real baskets kept (mlxtend's time)")
        df = df[df.basket_id.isin(set(first.iloc[:50_000]))]
    out = os.path.join(d, "real.csv")
    df.to_csv(out, index=False)
    print(f"real baskets, cleaned: {df.basket_id.nunique()} baskets, {df.item.nunique()} items, {len(df)} rows "
          f"({df.duplicated().sum()} repeated (basket, item) rows)")
    mod = sys.modules["real_baskets"]
    # Weka's supermarket baskets hold 18.5 items on average: at 0.1, 7,961 itemsets of up to 7 items
    # and 96,348 rules (mlxtend: 4 s)
    return out, getattr(mod, "MIN_SUPPORT", 0.1), getattr(mod, "MIN_CONFIDENCE", 0.3)


with workdir() as d:
    persona = Persona(args.persona, d)
    persona("datasets", "generate", "baskets", "--rows", 3000, "--seed", 5, "--out", "b.csv")
    tr = baskets(persona.path("b.csv"))
    n = len(tr)
    check(n == 3000, f"generated {n} baskets of {len(set(itertools.chain(*tr)))} items, "
          f"{sum(map(len, tr)) / n:.2f} items per basket")
    s, c = 0.02, 0.3
    check(consistent_support(s, n) == s, f"support {s} x {n} baskets is a whole count ({s * n!r}), where mlxtend agrees with itself")
    long_form, _ = run(persona, "generated", "b.csv", tr, s, c, extra=("--item", "item"))
    run(persona, "generated", "b.csv", tr, s, c, max_len=3, extra=("--item", "item"))

    # the same baskets one row each (items joined by ';') and the support as a count give the same model
    items = set(itertools.chain(*tr))
    if any(";" in i for i in items):
        print("note: an item name holds ';'; the --items form is not tried")
    else:
        df = pd.read_csv(persona.path("b.csv"), dtype=str, keep_default_na=False)
        wide = df.groupby("basket_id", sort=False).item.agg(";".join).reset_index().rename(columns={"item": "items"})
        wide.to_csv(persona.path("wide.csv"), index=False)
        persona("train", "rules", "--data", "wide.csv", "--basket", "basket_id", "--items", "items", "--separator", ";",
                "--min-support", s, "--min-confidence", c, "--out", "m.safetensors")
        check(persona_side(persona, "m.safetensors") == long_form,
              "one row per basket (--items items --separator ';'): the same itemsets, rules and measures, bit for bit")
    count = round(s * n)
    persona("train", "rules", "--data", "b.csv", "--basket", "basket_id", "--item", "item",
            "--min-support", count, "--min-confidence", c, "--out", "m.safetensors")
    check(persona_side(persona, "m.safetensors") == long_form,
          f"--min-support {count} (a count) gives the same itemsets, rules and measures as {s}, bit for bit")

    # edge cases, 3000 baskets by hand: z in every basket (consequent support 1: certainty 0,
    # conviction inf); a -> b at confidence 0.3 exactly (108 of 360), which mlxtend drops (its
    # (sAC*n)/(sA*n) rounds below 0.3), c -> d at 0.3 exactly (60 of 200), which it keeps;
    # e -> f always (conviction inf); {c,d} at the support threshold exactly (60), g one below (59)
    spans = {"a": [(0, 360)], "b": [(0, 108), (2000, 2200)], "c": [(400, 600)], "d": [(400, 460), (2400, 2500)],
             "e": [(700, 800)], "f": [(700, 900)], "g": [(1000, 1059)]}
    with open(persona.path("edges.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["basket_id", "item"])
        for b in range(3000):
            for item in ["z"] + [i for i, ranges in spans.items() if any(lo <= b < hi for lo, hi in ranges)]:
                w.writerow([f"E{b:04d}", item])
    _, (_, m_rules) = run(persona, "edge cases", "edges.csv", baskets(persona.path("edges.csv")), 0.02, 0.3,
                          extra=("--item", "item"))
    rule = lambda a, c: (frozenset(a), frozenset(c)) in m_rules
    check(not rule("a", "b") and rule("c", "d") and rule("e", "f") and rule("e", "fz"),
          "edge cases exercised: mlxtend drops a -> b (108 of 360), keeps c -> d (60 of 200) and e -> f, e -> {f,z}")

    # mlxtend's two support tests: at 0.28 of 25 baskets (0.28 x 25 = 7.000000000000001) an item
    # in 7 baskets is kept (7/25 >= 0.28) but a pair in 7 is pruned (below ceil(0.28 x 25) = 8).
    with open(persona.path("threshold.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["basket_id", "item"])
        rows = [(f"p{b}", i) for b in range(7) for i in "ab"] + [("q1", "a"), ("q2", "b")]
        rows += [(f"c{b}", "c") for b in range(7)] + [(f"u{b}", f"rare{b}") for b in range(9)]
        w.writerows(rows)
    # (pyfim keeps the pair: its threshold is ceil with a few ulps of slack, 7; mlxtend's is the reference)
    (t_sets, _), _ = run(persona, "support threshold", "threshold.csv", baskets(persona.path("threshold.csv")), 0.28, 0.5,
                         extra=("--item", "item"), with_pyfim=False)
    check(frozenset("c") in t_sets and frozenset("ab") not in t_sets,
          "support threshold exercised: at 0.28 of 25 baskets the item c (7 baskets) is kept and the pair {a, b} (7) is not, as in mlxtend")

    real = real_file(d)
    if real:
        data, s, c = real
        tr = baskets(data)
        t = consistent_support(s, len(tr))
        if t != s:
            print(f"note: support {s!r} x {len(tr)} baskets = {s * len(tr)!r}, where mlxtend disagrees with itself "
                  f"(items kept at count/n >= s, larger itemsets pruned below ceil(s*n)); using {t!r} = {round(t * len(tr))}/{len(tr)}")
        run(persona, "real", data, tr, t, c, extra=("--item", "item"))
        run(persona, "real", data, tr, t, c, max_len=3, extra=("--item", "item"))
