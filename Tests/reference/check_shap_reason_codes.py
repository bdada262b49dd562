"""Reason codes: Persona's TreeSHAP contributions for its own decision trees and boosted trees
against the shap package's TreeExplainer given the same trees as arrays, additivity on every
row, and logistic regression's exact linear contributions."""
import numpy as np
import pandas as pd
import shap
from safetensors.numpy import load_file

from common import Persona, check, parse_args, workdir


def shap_tree(feature, left, right, missing_left, threshold, value, cover):
    leaf = feature < 0
    return {
        "children_left": np.where(leaf, -1, left).astype(np.int64),
        "children_right": np.where(leaf, -1, right).astype(np.int64),
        "children_default": np.where(leaf, -1, np.where(missing_left == 1, left, right)).astype(np.int64),
        "features": np.where(leaf, -2, feature).astype(np.int64),
        "thresholds": np.where(leaf, 0, threshold).astype(np.float64),
        "values": value.reshape(-1, 1).astype(np.float64),
        "node_sample_weight": cover.astype(np.float64),
    }


args = parse_args()
numeric = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "usage_gb", "usage_change", "senior"]
with workdir() as d:
    persona = Persona(args.persona, d)
    persona("datasets", "generate", "churn", "--rows", 6000, "--seed", 17, "--out", "churn.csv")
    persona("datasets", "generate", "churn", "--rows", 800, "--seed", 18, "--out", "rows.csv")
    rows = pd.read_csv(persona.path("rows.csv"))
    # rows with missing values in numbers the trees split on
    rng = np.random.default_rng(3)
    for c in ["monthly_charges", "usage_gb", "tenure_months"]:
        rows.loc[rng.random(len(rows)) < 0.05, c] = np.nan
    rows.to_csv(persona.path("rows.csv"), index=False)
    X = rows[numeric].to_numpy(np.float32).astype(np.float64)   # Persona compares values rounded to Float32

    persona("train", "gbdt", "--data", "churn.csv", "--target", "churned", "--features", ",".join(numeric),
            "--trees", 60, "--early-stopping-rounds", 0, "--out", "gbdt.persona")
    persona("train", "tree", "--data", "churn.csv", "--target", "churned", "--features", ",".join(numeric),
            "--max-depth", 6, "--out", "tree.persona")
    persona("train", "logreg", "--data", "churn.csv", "--target", "churned", "--out", "logreg.persona")

    for kind in ["gbdt", "tree", "logreg"]:
        persona("score", f"{kind}.persona", "--data", "rows.csv", "--contributions", "--explain", 3, "--out", f"{kind}-why.csv")
        why = pd.read_csv(persona.path(f"{kind}-why.csv"))
        contrib = [c for c in why.columns if c.startswith("contrib_") and c != "contrib_bias"]
        total = why[contrib].sum(axis=1) + why["contrib_bias"]
        err = np.abs(total - why["raw_score"]).max()
        check(err <= 1e-9, f"{kind}: contributions and bias add up to raw_score on every row (largest gap {err:.2g})")
        # reason_k are the k largest contributions, largest first
        ok = True
        for i, r in why.iterrows():
            top = sorted(((r[c], c[len("contrib_"):]) for c in contrib), key=lambda t: -t[0])[:3]
            ok &= [r[f"reason_{k + 1}"] for k in range(3)] == [name for _, name in top]
            ok &= all(abs(r[f"contribution_{k + 1}"] - v) < 1e-12 for k, (v, _) in enumerate(top))
        check(ok, f"{kind}: reason_1..3 are the columns with the largest contributions, largest first")

    t = load_file(persona.path("gbdt.persona"))
    offsets = t["tree_offsets"]
    trees = []
    for k in range(len(offsets) - 1):
        a, b = offsets[k], offsets[k + 1]
        trees.append(shap_tree(t["feature"][a:b], t["left"][a:b], t["right"][a:b], t["missing_left"][a:b], t["threshold"][a:b],
                               t["value"][a:b], t["cover"][a:b]))
    explainer = shap.TreeExplainer({"trees": trees, "base_offset": float(t["init_score"][0])})
    ref = explainer.shap_values(X)
    why = pd.read_csv(persona.path("gbdt-why.csv"))
    ours = why[[f"contrib_{c}" for c in numeric]].to_numpy()
    err = np.abs(ours - ref).max()
    check(err <= 1e-6, f"gbdt: TreeSHAP values equal shap's TreeExplainer on the same trees (largest difference {err:.2g})")
    err = abs(float(np.ravel(explainer.expected_value)[0]) - why["contrib_bias"][0])
    check(err <= 1e-6, f"gbdt: the bias is shap's expected value ({err:.2g})")
    p = 1 / (1 + np.exp(-why["raw_score"]))
    check(np.abs(p - why["probability"]).max() <= 1e-6, "gbdt: raw_score is the log-odds of the probability")

    t = load_file(persona.path("tree.persona"))
    tree = shap_tree(t["feature"], t["left"], t["right"], t["missing_left"], t["threshold"], t["value"][:, 1], t["weight"])
    explainer = shap.TreeExplainer({"trees": [tree], "base_offset": 0.0})
    ref = explainer.shap_values(X)
    why = pd.read_csv(persona.path("tree-why.csv"))
    ours = why[[f"contrib_{c}" for c in numeric]].to_numpy()
    err = np.abs(ours - ref).max()
    check(err <= 1e-9, f"tree: TreeSHAP values equal shap's TreeExplainer (largest difference {err:.2g})")
    check(np.abs(why["raw_score"] - why["probability_1"]).max() <= 1e-6, "tree: raw_score is the probability of churning")

    why = pd.read_csv(persona.path("logreg-why.csv"))
    p = 1 / (1 + np.exp(-why["raw_score"]))
    check(np.abs(p - why["probability"]).max() <= 1e-6, "logreg: raw_score is the log-odds of the probability")
