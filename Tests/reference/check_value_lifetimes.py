"""Customer value against lifetimes (the reference implementation of BG/NBD,
MBG/NBD, BG/BB and Gamma-Gamma) on the same data:

- the summaries of a generated transaction log (frequency, recency, T and
  monetary value, as lifetimes' summary_data_from_transaction_data makes them
  with freq='D', in weeks) for every customer;
- the fitted parameters and log-likelihood of each model on that log, on
  CDNOW's 2,357 customers and on the donations data, with and without a
  penalty: Persona's optimum is at least as likely as lifetimes', and the
  parameters agree;
- P(alive), conditional expected purchases and expected spend per customer,
  computed by lifetimes on Persona's own parameters, to 1e-8 relative;
- the README's DuckDB query for the summary gives Persona's summaries."""
import os
import re
import warnings

import numpy as np
import pandas as pd

from common import Persona, check, parse_args, workdir

warnings.simplefilter("ignore")
from lifetimes import BetaGeoBetaBinomFitter, BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter  # noqa: E402
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value, load_donations  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

args = parse_args()


def bgnbd_log_likelihood(params, x, tx, T):
    """BG/NBD's log-likelihood summed over customers (Fader, Hardie and Lee 2005, eq. 6), in time as given."""
    from scipy.special import gammaln
    r, alpha, a, b = params
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx), -np.inf)
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def close(ours, ref, rel):
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    err = np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-12)
    return bool(np.all(np.isfinite(ours)) and err.max() <= rel), float(err.max())


with workdir() as d:
    persona = Persona(args.persona, d)

    # --- summaries of a log --------------------------------------------------
    persona("datasets", "generate", "transactions", "--rows", 30000, "--seed", 8, "--out", "tx.csv")
    tx = pd.read_csv(persona.path("tx.csv")).sample(frac=1, random_state=1)   # order must not matter
    tx.to_csv(persona.path("shuffled.csv"), index=False)
    end = "2026-03-31"
    ref = summary_data_from_transaction_data(tx, "customer_id", "timestamp", monetary_value_col="amount",
                                             observation_period_end=end, freq="D")
    ref["recency"] /= 7
    ref["T"] /= 7
    persona("train", "value", "--data", "shuffled.csv", "--customer", "customer_id", "--time", "timestamp", "--amount", "amount",
            "--calibration-end", end, "--out", "log.safetensors")
    persona("score", "log.safetensors", "--data", "shuffled.csv", "--horizon", 26, "--out", "log.csv")
    ours = pd.read_csv(persona.path("log.csv"), dtype={"customer_id": str}).set_index("customer_id")
    check(sorted(ours.index) == sorted(ref.index), f"the same {len(ref)} customers as lifetimes' summary (none after the calibration end)")
    ours = ours.loc[ref.index]
    for col in ["frequency", "recency", "T", "monetary_value"]:
        ok, err = close(ours[col], ref[col], 1e-12) if col != "monetary_value" else close(ours[col] + 1, ref[col] + 1, 1e-12)
        check(ok, f"summary {col} equals lifetimes' on every customer (largest relative difference {err:.1e})")

    # --- the README's SQL summary -------------------------------------------
    import duckdb
    readme = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")).read()
    query = re.search(r"what each customer will be worth.*?```sql\n(.*?)```", readme, re.S).group(1)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE transactions AS SELECT * FROM read_csv_auto('{persona.path('shuffled.csv')}')")
    sql = con.execute(query).df().set_index("customer_id").loc[ref.index]
    for col in ["frequency", "recency", "T", "monetary_value"]:
        ok, err = close(sql[col] + 1, ours[col] + 1, 1e-12)
        check(ok, f"the README's DuckDB query gives Persona's {col} (largest relative difference {err:.1e})")

    # --- fits: parameters and likelihood ------------------------------------
    info = persona.json("inspect", "log.safetensors", "--json")
    bgf = BetaGeoFitter().fit(ref["frequency"], ref["recency"], ref["T"])
    lt = bgf.params_[["r", "alpha", "a", "b"]].to_numpy()
    mine = np.array([info["parameters"][k] for k in ["r", "alpha", "a", "b"]])
    ok, err = close(mine, lt, 1e-3)
    check(ok, f"BG/NBD parameters on the log agree with lifetimes' (largest relative difference {err:.1e})")
    lt_ll = bgnbd_log_likelihood(lt, ref["frequency"], ref["recency"], ref["T"])
    my_ll = bgnbd_log_likelihood(mine, ref["frequency"], ref["recency"], ref["T"])
    check(abs(info["log_likelihood"] - my_ll) <= 1e-9 * abs(my_ll), f"the log-likelihood Persona reports is the formula's ({info['log_likelihood']:.6f})")
    check(my_ll >= lt_ll - 1e-9 * abs(lt_ll), f"Persona's BG/NBD optimum is at least as likely as lifetimes' ({my_ll:.6f} against {lt_ll:.6f})")
    repeat = ref[(ref["frequency"] > 0) & (ref["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    ok, err = close([info["spend_parameters"][k] for k in ["p", "q", "gamma"]], ggf.params_[["p", "q", "v"]].to_numpy(), 1e-3)
    check(ok, f"Gamma-Gamma parameters on the log agree with lifetimes' (largest relative difference {err:.1e})")

    # --- predictions on Persona's own parameters ----------------------------
    bgf.params_ = pd.Series(mine, index=["r", "alpha", "a", "b"])
    e = bgf.conditional_expected_number_of_purchases_up_to_time(26, ref["frequency"], ref["recency"], ref["T"])
    ok, err = close(ours["expected_purchases"], e, 1e-8)
    check(ok, f"BG/NBD expected purchases in 26 weeks equal lifetimes' on the same parameters (largest relative difference {err:.1e})")
    p = bgf.conditional_probability_alive(ref["frequency"], ref["recency"], ref["T"])
    ok, err = close(ours["p_alive"], p, 1e-8)
    check(ok, f"BG/NBD P(alive) equals lifetimes' (largest relative difference {err:.1e})")
    ggf.params_ = pd.Series([info["spend_parameters"][k] for k in ["p", "q", "gamma"]], index=["p", "q", "v"])
    spend = ggf.conditional_expected_average_profit(ref["frequency"], ref["monetary_value"])
    ok, err = close(ours["expected_spend"], spend, 1e-8)
    check(ok, f"expected spend equals lifetimes' conditional_expected_average_profit (largest relative difference {err:.1e})")

    # --- CDNOW: BG/NBD, MBG/NBD, with and without a penalty; Gamma-Gamma with one
    cd = load_cdnow_summary_data_with_monetary_value()
    cd.index.name = "ID"
    cd.to_csv(persona.path("cdnow.csv"))
    gg = cd[cd["frequency"] > 0]
    persona("train", "value", "--summary", "cdnow.csv", "--spend-penalty", 0.001, "--out", "gg.safetensors")
    info = persona.json("inspect", "gg.safetensors", "--json")
    f = GammaGammaFitter(penalizer_coef=0.001).fit(gg["frequency"], gg["monetary_value"])
    ok, err = close([info["spend_parameters"][k] for k in ["p", "q", "gamma"]], f.params_[["p", "q", "v"]].to_numpy(), 1e-3)
    check(ok, f"Gamma-Gamma on CDNOW with penalty 0.001 agrees with lifetimes' (largest relative difference {err:.1e})")
    for model, fitter, names in [("bgnbd", BetaGeoFitter, ["r", "alpha", "a", "b"]), ("mbgnbd", ModifiedBetaGeoFitter, ["r", "alpha", "a", "b"]),
                                 ("pareto", ParetoNBDFitter, ["r", "alpha", "s", "beta"])]:
        for penalty in [0, 0.01]:
            persona("train", "value", "--summary", "cdnow.csv", "--model", model, "--penalty", penalty, "--out", f"{model}.safetensors")
            info = persona.json("inspect", f"{model}.safetensors", "--json")
            f = fitter(penalizer_coef=penalty).fit(cd["frequency"], cd["recency"], cd["T"])
            mine = np.array([info["parameters"][k] for k in names])
            if model == "pareto":
                # lifetimes fits Pareto/NBD by Nelder-Mead (tolerance 1e-6) along a flat ridge:
                # compare the objective lifetimes minimises, on its own scaled time
                scale = 1 / cd["T"].max()

                def objective(p):
                    p = np.array(p, dtype=float) * [1, scale, 1, scale]
                    return ParetoNBDFitter._negative_log_likelihood(p, cd["frequency"].to_numpy(), cd["recency"].to_numpy() * scale,
                                                                    cd["T"].to_numpy() * scale, np.ones(len(cd)), penalty)
                ours_obj, lt_obj = objective(mine), objective(f.params_[names].to_numpy())
                check(ours_obj <= lt_obj + 1e-9 * abs(lt_obj),
                      f"pareto on CDNOW, penalty {penalty}: Persona's optimum of lifetimes' objective is at least as low ({ours_obj:.9f} against {lt_obj:.9f})")
                ok, err = close(mine, f.params_[names].to_numpy(), 1e-2)
            else:
                ok, err = close(mine, f.params_[names].to_numpy(), 1e-3)
            check(ok, f"{model} on CDNOW, penalty {penalty}: parameters agree with lifetimes' (largest relative difference {err:.1e})")
            if penalty == 0:
                persona("score", f"{model}.safetensors", "--data", "cdnow.csv", "--horizon", 39, "--out", f"{model}.csv")
                s = pd.read_csv(persona.path(f"{model}.csv"))
                f.params_ = pd.Series(mine, index=names)
                e = f.conditional_expected_number_of_purchases_up_to_time(39, cd["frequency"], cd["recency"], cd["T"])
                ok, err = close(s["expected_purchases"], e, 1e-8)
                check(ok, f"{model} expected purchases in 39 weeks on CDNOW equal lifetimes' (largest relative difference {err:.1e})")
                p = f.conditional_probability_alive(cd["frequency"], cd["recency"], cd["T"])
                ok, err = close(s["p_alive"], p, 1e-8)
                check(ok, f"{model} P(alive) on CDNOW equals lifetimes' (largest relative difference {err:.1e})")

    # --- BG/BB on the donations data ------------------------------------------
    dn = load_donations()
    dn.to_csv(persona.path("donations.csv"), index=False)
    persona("train", "value", "--summary", "donations.csv", "--model", "bgbb", "--out", "bgbb.safetensors")
    info = persona.json("inspect", "bgbb.safetensors", "--json")
    bb = BetaGeoBetaBinomFitter().fit(dn["frequency"], dn["recency"], dn["periods"], weights=dn["weights"])
    names = ["alpha", "beta", "gamma", "delta"]
    mine = np.array([info["parameters"][k] for k in names])
    ok, err = close(mine, bb.params_[names].to_numpy(), 1e-3)
    check(ok, f"BG/BB parameters on the donations agree with lifetimes' (largest relative difference {err:.1e})")
    persona("score", "bgbb.safetensors", "--data", "donations.csv", "--horizon", 5, "--out", "bgbb.csv")
    s = pd.read_csv(persona.path("bgbb.csv"))
    bb.params_ = pd.Series(mine, index=names)
    e = bb.conditional_expected_number_of_purchases_up_to_time(5, dn["frequency"], dn["recency"], dn["periods"])
    ok, err = close(s["expected_purchases"], e, 1e-8)
    check(ok, f"BG/BB expected donations in the next 5 opportunities equal lifetimes' (largest relative difference {err:.1e})")
    p = bb.conditional_probability_alive(1, dn["frequency"], dn["recency"], dn["periods"])
    ok, err = close(s["p_alive"], p, 1e-8)
    check(ok, f"BG/BB P(alive) equals lifetimes' (largest relative difference {err:.1e})")
