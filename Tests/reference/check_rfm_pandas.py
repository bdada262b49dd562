"""RFM features against an independent pandas computation on generated transactions."""
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
    ours = pd.read_csv(persona.path("rfm.csv")).set_index("customer_id").loc[ref.index]
    check(len(ours) == len(ref), f"{len(ref)} customers in both")
    for col, tol in [("recency_days", 1e-3), ("frequency", 0), ("monetary_total", 0.006), ("monetary_mean", 0.006),
                     ("tenure_days", 1e-3), ("interval_mean_days", 1e-3), ("interval_std_days", 1e-3)]:
        a, b = ours[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float)
        both_nan = np.isnan(a) & np.isnan(b)
        diff = np.where(both_nan, 0, np.abs(a - b))
        check(np.all(np.isfinite(diff)) and diff.max() <= tol, f"{col}: largest difference {np.nanmax(diff):.2g} (tolerance {tol})")
    # Quintile scores: 1 + floor(5 * (customers strictly worse) / n), ties sharing a score.
    n = len(ref)
    worse_f = ref["frequency"].apply(lambda v: (ref["frequency"] < v).sum())
    f_score = 1 + np.minimum(4, (5 * worse_f) // n)
    check((ours["f_score"].to_numpy() == f_score.to_numpy()).all(), "frequency scores by the documented rule")
    worse_r = ref["recency_days"].round(3).apply(lambda v: (ref["recency_days"].round(3) > v).sum())
    r_score = 1 + np.minimum(4, (5 * worse_r) // n)
    agree = (ours["r_score"].to_numpy() == r_score.to_numpy()).mean()
    check(agree >= 0.999, f"recency scores by the documented rule ({agree:.4%} agree; recency is compared at 3 decimals here)")
