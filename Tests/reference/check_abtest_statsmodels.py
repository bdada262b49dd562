"""A/B test planning and analysis against statsmodels and scipy, on generated campaigns."""
import math

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize, proportions_ztest

from common import Persona, check, parse_args, workdir

args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)

    # --- plan: sample sizes as statsmodels solves them, rounded up
    cases = [(0.05, "0.01", 0.05, 0.8, 1, 2), (0.05, "10%", 0.05, 0.8, 1, 2), (0.2, "-0.03", 0.01, 0.9, 1, 2),
             (0.12, "0.015", 0.05, 0.8, 2, 2), (0.3, "5%", 0.1, 0.95, 0.5, 1), (0.01, "0.002", 0.05, 0.8, 3, 1)]
    for base, mde, alpha, power, ratio, sides in cases:
        flags = ["--baseline-rate", base, "--mde", mde, "--alpha", alpha, "--power", power, "--ratio", ratio, "--json"]
        got = persona.json("abtest", "plan", *flags, *(["--one-sided"] if sides == 1 else []))
        p2 = base * (1 + float(mde[:-1]) / 100) if mde.endswith("%") else base + float(mde)
        es = abs(proportion_effectsize(p2, base))
        n1 = NormalIndPower().solve_power(effect_size=es, nobs1=None, alpha=alpha, power=power, ratio=ratio,
                                          alternative="two-sided" if sides == 2 else "larger")
        want = (math.ceil(n1 - 1e-7), math.ceil(n1 * ratio - 1e-7))
        check((got["n_control"], got["n_treatment"]) == want and abs(got["effect_size"] - es) < 1e-12,
              f"proportion plan {base} {mde} alpha {alpha} power {power} ratio {ratio} {sides}-sided: {want}")
    for sd, mde, alpha, power, ratio, sides in [(40, 2, 0.05, 0.8, 1, 2), (1, 0.5, 0.05, 0.9, 1, 2), (10, 3, 0.01, 0.8, 2, 1),
                                                (5, 4, 0.05, 0.8, 1, 2), (3, 0.25, 0.1, 0.7, 0.7, 2)]:
        got = persona.json("abtest", "plan", "--sd", sd, "--mde", mde, "--alpha", alpha, "--power", power, "--ratio", ratio,
                           "--json", *(["--one-sided"] if sides == 1 else []))
        n1 = TTestIndPower().solve_power(effect_size=mde / sd, nobs1=None, alpha=alpha, power=power, ratio=ratio,
                                         alternative="two-sided" if sides == 2 else "larger")
        want = (math.ceil(n1 - 1e-7), math.ceil(n1 * ratio - 1e-7))
        check((got["n_control"], got["n_treatment"]) == want, f"mean plan d={mde / sd:.4g} alpha {alpha} power {power} ratio {ratio} {sides}-sided: {want}")

    # --- sequential boundaries: Monte Carlo crossing probabilities under no effect match the spending function
    rng = np.random.default_rng(7)
    for spending, looks, sides in [("obrien-fleming", 5, 2), ("pocock", 4, 2), ("obrien-fleming", 3, 1)]:
        plan = persona.json("abtest", "plan", "--baseline-rate", 0.1, "--mde", 0.02, "--looks", looks, "--spending", spending,
                            "--json", *(["--one-sided"] if sides == 1 else []))
        seq = plan["sequential"]["looks"]
        paths = 1_000_000
        increments = rng.standard_normal((paths, looks)) * np.sqrt(1 / looks)
        s = np.cumsum(increments, axis=1)
        z = s / np.sqrt(np.arange(1, looks + 1) / looks)
        alive = np.ones(paths, bool)
        spent = []
        for k, look in enumerate(seq):
            hit = alive & ((np.abs(z[:, k]) if sides == 2 else z[:, k]) >= look["z_boundary"])
            alive &= ~hit
            spent.append((~alive).mean())
        want = [look["cumulative_alpha"] for look in seq]
        se = np.sqrt(np.array(want) * (1 - np.array(want)) / paths)
        check(np.all(np.abs(np.array(spent) - want) <= 4 * se + 1e-6),
              f"{spending} {looks} looks {sides}-sided: simulated alpha spent {np.round(spent, 5).tolist()} matches {np.round(want, 5).tolist()}")

    # --- analyze: proportions, means, CUPED, Holm, BH, SRM
    persona("datasets", "generate", "campaign", "--rows", 30000, "--seed", 5, "--out", "campaign.csv")
    df = pd.read_csv(persona.path("campaign.csv"))
    res = persona.json("abtest", "analyze", "--data", "campaign.csv", "--group", "group", "--control", "control",
                       "--outcome", "converted", "--json")
    arms = {a["name"]: a for a in res["arms"]}
    c = df[df.group == "control"].converted
    ps = []
    for name in ["offer_a", "offer_b"]:
        t = df[df.group == name].converted
        low, upp = confint_proportions_2indep(t.sum(), len(t), c.sum(), len(c), method="newcomb", compare="diff", alpha=0.05)
        z, p = proportions_ztest([t.sum(), c.sum()], [len(t), len(c)])
        a = arms[name]
        check(abs(a["difference"] - (t.mean() - c.mean())) < 1e-12 and abs(a["ci_low"] - low) < 1e-8 and abs(a["ci_high"] - upp) < 1e-8,
              f"{name}: Newcombe interval [{low:.6f}, {upp:.6f}]")
        check(abs(a["p_value"] - p) < 1e-8 and abs(a["statistic"] - z) < 1e-8, f"{name}: pooled z test p = {p:.3g}")
        ps.append(p)
    holm = multipletests(ps, method="holm")[1]
    check(all(abs(arms[n]["p_value_holm"] - h) < 1e-10 for n, h in zip(["offer_a", "offer_b"], holm)), "Holm-adjusted p-values")
    counts = df.group.value_counts()
    chi = stats.chisquare([counts["control"], counts["offer_a"], counts["offer_b"]])
    check(abs(res["srm_p_value"] - chi.pvalue) < 1e-10, f"sample ratio mismatch p = {chi.pvalue:.4f}")
    skewed = persona.json("abtest", "analyze", "--data", "campaign.csv", "--group", "group", "--control", "control",
                          "--outcome", "converted", "--planned-split", "40:30:30", "--json")
    n = len(df)
    chi = stats.chisquare([counts["control"], counts["offer_a"], counts["offer_b"]], [0.4 * n, 0.3 * n, 0.3 * n])
    check(abs(skewed["srm_p_value"] - chi.pvalue) < 1e-10, f"sample ratio mismatch against 40:30:30 p = {chi.pvalue:.3g}")

    res = persona.json("abtest", "analyze", "--data", "campaign.csv", "--group", "group", "--control", "control",
                       "--outcome", "revenue", "--pre", "pre_revenue", "--segment", "plan", "--json")
    arms = {a["name"]: a for a in res["arms"]}
    theta = np.cov(df.revenue, df.pre_revenue)[0, 1] / df.pre_revenue.var()
    check(abs(res["cuped_theta"] - theta) < 1e-10, f"CUPED theta {theta:.6f}")
    adj = df.revenue - theta * (df.pre_revenue - df.pre_revenue.mean())
    for name in ["offer_a", "offer_b"]:
        t, cc = df[df.group == name].revenue, df[df.group == "control"].revenue
        w = stats.ttest_ind(t, cc, equal_var=False)
        ci = w.confidence_interval(0.95)
        a = arms[name]
        check(abs(a["p_value"] - w.pvalue) < 1e-8 and abs(a["ci_low"] - ci.low) < 1e-8 and abs(a["ci_high"] - ci.high) < 1e-8,
              f"{name}: Welch t test p = {w.pvalue:.3g}, interval [{ci.low:.4f}, {ci.high:.4f}]")
        wa = stats.ttest_ind(adj[df.group == name], adj[df.group == "control"], equal_var=False)
        cia = wa.confidence_interval(0.95)
        check(abs(a["cuped_p_value"] - wa.pvalue) < 1e-8 and abs(a["cuped_ci_low"] - cia.low) < 1e-8
              and abs(a["cuped_ci_high"] - cia.high) < 1e-8,
              f"{name}: CUPED Welch p = {wa.pvalue:.3g}, interval [{cia.low:.4f}, {cia.high:.4f}], variance cut {a['variance_reduction']:.1%}")
    raw = []
    check(sorted(seg["value"] for seg in res["segments"]) == sorted(df.plan.astype(str).unique())
          and all([a["name"] for a in seg["arms"]] == ["control", "offer_a", "offer_b"] for seg in res["segments"]),
          f"one segment per plan ({len(res['segments'])}), each with control and both offers")
    for seg in res["segments"]:
        part = df[df.plan == seg["value"]]
        for a in seg["arms"][1:]:
            w = stats.ttest_ind(part[part.group == a["name"]].revenue, part[part.group == "control"].revenue, equal_var=False)
            check(abs(a["p_value"] - w.pvalue) < 1e-8, f"segment {seg['value']}, {a['name']}: Welch p = {w.pvalue:.3g}")
            raw.append((a["p_value_bh"], w.pvalue))
    bh = multipletests([p for _, p in raw], method="fdr_bh")[1]
    check(all(abs(ours - ref) < 1e-8 for (ours, _), ref in zip(raw, bh)), "Benjamini-Hochberg across segments and arms")
