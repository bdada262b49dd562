"""RFM features against an independent pandas computation on generated transactions:
the same customer ids (no more, none fewer, none twice), every value within the
rounding of the written file, the R, F and M quintile scores, the RFM score and
the segment by the documented rules on every customer."""
import numpy as np
import pandas as pd

from common import Persona, check, parse_args, workdir

args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    persona("datasets", "generate", "transactions", "--rows", 20000, "--seed", 12, "--out", "tx.csv")
    persona("features", "rfm", "--data", "tx.csv", "--customer", "customer_id", "--time", "timestamp", "--amount", "amount",
            "--as-of", "2026-07-01", "--out", "rfm.csv")
    tx = pd.read_csv(persona.path("tx.csv"), parse_dates=["timestamp"])
    tx = tx.sample(frac=1, random_state=0)            # order must not matter
    as_of = pd.Timestamp("2026-07-01")
    g = tx.groupby("customer_id")
    ref = pd.DataFrame({
        "recency_days": (as_of - g["timestamp"].max()).dt.total_seconds() / 86400,
        "frequency": g.size(),
        "monetary_total": g["amount"].sum(),
        "monetary_mean": g["amount"].mean(),
        "tenure_days": (as_of - g["timestamp"].min()).dt.total_seconds() / 86400,
    })
    gaps = tx.sort_values(["customer_id", "timestamp"]).groupby("customer_id")["timestamp"].diff().dt.total_seconds() / 86400
    gap_frame = pd.DataFrame({"customer_id": tx.sort_values(["customer_id", "timestamp"])["customer_id"], "gap": gaps}).dropna()
    ref["interval_mean_days"] = gap_frame.groupby("customer_id")["gap"].mean()
    ref["interval_std_days"] = gap_frame.groupby("customer_id")["gap"].std(ddof=0)
    ref.loc[ref["frequency"] < 3, "interval_std_days"] = np.nan
    ours = pd.read_csv(persona.path("rfm.csv"), dtype={"customer_id": str})
    ref.index = ref.index.astype(str)
    dup = ours["customer_id"][ours["customer_id"].duplicated()].tolist()
    extra, lacking = set(ours["customer_id"]) - set(ref.index), set(ref.index) - set(ours["customer_id"])
    check(not dup and not extra and not lacking,
          f"one row per customer: the same {len(ref)} customer ids as pandas "
          f"({len(dup)} repeated, {len(extra)} not in the transactions, {len(lacking)} left out"
          + (f": e.g. {sorted(extra | lacking | set(dup))[:3]}" if dup or extra or lacking else "") + ")")
    ours = ours.set_index("customer_id").loc[ref.index]
    # The file writes days with 3 decimals and money with 2: half a unit of the last place apart at most.
    days, money = 0.5e-3 * 1.0001, 0.5e-2 * 1.0001
    for col, tol in [("recency_days", days), ("frequency", 0), ("monetary_total", money), ("monetary_mean", money),
                     ("tenure_days", days), ("interval_mean_days", days), ("interval_std_days", days)]:
        a, b = ours[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float)
        both_nan = np.isnan(a) & np.isnan(b)
        diff = np.where(both_nan, 0, np.abs(a - b))
        check(np.all(np.isfinite(diff)) and diff.max() <= tol, f"{col}: largest difference {np.nanmax(diff):.2g} (tolerance {tol:.4g})")
    # Quintile scores: 1 + floor(5 * (customers strictly worse) / n), ties sharing a score.
    n = len(ref)
    worse_f = ref["frequency"].apply(lambda v: (ref["frequency"] < v).sum())
    f_score = 1 + np.minimum(4, (5 * worse_f) // n)
    check((ours["f_score"].to_numpy() == f_score.to_numpy()).all(), "frequency scores by the documented rule")
    # Recency in whole seconds (the timestamps' resolution), so equal last purchases tie exactly.
    seconds = (as_of - g["timestamp"].max()).dt.total_seconds()
    seconds.index = seconds.index.astype(str)
    worse_r = seconds.apply(lambda v: (seconds > v).sum())
    r_score = 1 + np.minimum(4, (5 * worse_r) // n)
    bad = int((ours["r_score"].to_numpy() != r_score.to_numpy()).sum())
    check(bad == 0, f"recency scores by the documented rule ({bad} of {n} customers differ)")
    # Spend: the total, in cents, so equal totals tie exactly.
    total = ref["monetary_total"].round(2)
    worse_m = total.apply(lambda v: (total < v).sum())
    m_score = 1 + np.minimum(4, (5 * worse_m) // n)
    bad = int((ours["m_score"].to_numpy() != m_score.to_numpy()).sum())
    check(bad == 0, f"monetary scores by the documented rule on the total spend ({bad} of {n} customers differ)")
    check((ours["rfm_score"].to_numpy() == 100 * r_score.to_numpy() + 10 * f_score.to_numpy() + m_score.to_numpy()).all(),
          "rfm_score is R, F and M as three digits")
    segments = {}
    for name, rs, fs in [("Champions", [5], [4, 5]), ("Loyal", [3, 4], [4, 5]), ("Potential loyalist", [4, 5], [2, 3]),
                         ("New", [5], [1]), ("Promising", [4], [1]), ("Needs attention", [3], [3]), ("Hibernating", [2, 3], [1, 2]),
                         ("At risk", [1, 2], [3, 4]), ("Cannot lose", [1, 2], [5]), ("Lost", [1], [1, 2])]:
        for r in rs:
            for f in fs:
                assert (r, f) not in segments
                segments[(r, f)] = name
    check(len(segments) == 25, "the segment table of `persona features rfm --help` covers every R and F once")
    want = [segments[(r, f)] for r, f in zip(r_score, f_score)]
    bad = int((ours["rfm_segment"].to_numpy() != np.array(want)).sum())
    check(bad == 0, f"segments by the documented table ({bad} of {n} customers differ; {pd.Series(want).value_counts().to_dict()})")
    first = g["timestamp"].min().dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    last = g["timestamp"].max().dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    first.index, last.index = first.index.astype(str), last.index.astype(str)
    check((ours["first_purchase"] == first).all() and (ours["last_purchase"] == last).all(), "first and last purchase times")
