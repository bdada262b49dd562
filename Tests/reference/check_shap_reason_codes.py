"""Reason codes: Persona's TreeSHAP contributions for its own decision trees and boosted trees
against the shap package's TreeExplainer given the same trees as arrays, additivity on every
row, and logistic regression's linear contributions recomputed here from the model file.

Logistic regression: `persona score --contributions` documents each column's
contribution as the coefficient times the deviation from the training mean, on
the log-odds, summed over the column's encoded features. This check rebuilds
the encoded features in Python from the card's pipeline (median imputation of
Float32-rounded numbers, standardisation, missing indicators, one-hot levels
with the fill level for a missing category and the last slot for an unseen
one), checks the pipeline's medians, centres and scales and the file's
feature_means tensor against the training rows, and recomputes every row's
contrib_<column>, contrib_bias and raw_score from the coefficients tensor,
within 1e-6 on the log-odds, on rows with missing values and unseen
categories (the model trained on rows with missing values and categories)."""
import numpy as np
import pandas as pd
import shap
from safetensors.numpy import load_file

from common import CHURN_NUMERIC, Persona, check, damage, parse_args, workdir


MISSING_WORDS = {"", "na", "n/a", "nan", "null", "none"}      # Persona's missing markers, any case
YES, NO = {"true", "t", "yes", "y"}, {"false", "f", "no", "n"}


def encode(columns, frame):
    """The encoded feature matrix of a frame read as text, column by column as the
    card's pipeline describes, and the encoded features of each input column."""
    blocks, owners = [], []
    for k, c in enumerate(columns):
        text = frame[c["name"]].astype(str).str.strip(" ")
        missing = text.str.lower().isin(MISSING_WORDS).to_numpy()
        if c["type"] == "categorical":
            levels = c["levels"]
            fill = levels.index(c["fill_value"].strip(" ")) if c.get("fill_value", "").strip(" ") in levels else len(levels)
            slot = np.array([fill if m else (levels.index(t) if t in levels else len(levels)) for t, m in zip(text, missing)])
            block = np.zeros((len(frame), len(levels) + 1))
            block[np.arange(len(frame)), slot] = 1
        else:
            raw, missing = numbers(c, frame)
            value = np.where(missing, np.float32(c["median"]), raw)
            scaled = ((value.astype(np.float64) - c["center"]) / c["scale"]).astype(np.float32)
            block = scaled.reshape(-1, 1).astype(np.float64)
            if c["missing_indicator"]:
                block = np.column_stack([block, missing.astype(np.float64)])
        blocks.append(block)
        owners += [k] * block.shape[1]
    return np.column_stack(blocks), np.array(owners)


def numbers(c, frame):
    """A numeric or boolean column's values as Persona reads them (Float32; a
    boolean's words as 1 and 0), and which are missing."""
    def number(t):
        try:
            return float(t)
        except ValueError:
            low = t.lower()
            assert c["type"] == "boolean" and (low in YES or low in NO), f"{c['name']}: {t!r} is not a number"
            return 1.0 if low in YES else 0.0
    text = frame[c["name"]].astype(str).str.strip(" ")
    missing = text.str.lower().isin(MISSING_WORDS).to_numpy()
    return np.array([0 if m else number(t) for t, m in zip(text, missing)], dtype=np.float32), missing


def numeric_fit(c, frame):
    """Median of the present values (Float32), and the mean and population standard
    deviation after imputation: what training fits for a numeric or boolean column."""
    raw, missing = numbers(c, frame)
    median = float(np.median(raw[~missing].astype(np.float64)))
    value = np.where(missing, np.float32(median), raw).astype(np.float64)
    return median, value.mean(), value.std()


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
    # Logistic regression learns from rows with missing numbers and categories and
    # explains rows with missing values and categories it never saw.
    categorical = ["contract", "plan", "region", "payment_method"]
    damage(persona.path("churn.csv"), persona.path("lr-train.csv"), CHURN_NUMERIC, categorical, [], seed=4)
    damage(persona.path("rows.csv"), persona.path("lr-rows.csv"), CHURN_NUMERIC, categorical, ["paperless_billing"], seed=5)
    # damage() writes never-seen-0..2, which the damaged training rows hold too: make these unseen
    text = open(persona.path("lr-rows.csv")).read()
    open(persona.path("lr-rows.csv"), "w").write(text.replace("never-seen-", "only-when-scoring-"))
    persona("train", "logreg", "--data", "lr-train.csv", "--target", "churned", "--out", "logreg.persona")

    for kind in ["gbdt", "tree", "logreg"]:
        data = "lr-rows.csv" if kind == "logreg" else "rows.csv"
        persona("score", f"{kind}.persona", "--data", data, "--contributions", "--explain", 3, "--out", f"{kind}-why.csv")
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
    check(np.abs(why["raw_score"] - why["probability"]).max() <= 1e-6, "tree: raw_score is the probability of churning")

    why = pd.read_csv(persona.path("logreg-why.csv"))
    p = 1 / (1 + np.exp(-why["raw_score"]))
    check(np.abs(p - why["probability"]).max() <= 1e-6, "logreg: raw_score is the log-odds of the probability")

    # Logistic regression's contributions from the model file alone.
    t = load_file(persona.path("logreg.persona"))
    card = persona.json("inspect", "logreg.persona", "--json")
    columns = card["pipeline"]["columns"]
    beta, means = t["coefficients"], t["feature_means"]
    train = pd.read_csv(persona.path("lr-train.csv"), dtype=str, keep_default_na=False)
    fits = [(c, numeric_fit(c, train)) for c in columns if c["type"] != "categorical"]
    gap = max(max(abs(c["median"] - m), abs(c["center"] - mu) / max(1.0, abs(mu)), abs(c["scale"] - sd) / sd) for c, (m, mu, sd) in fits)
    check(card["pipeline"]["standardize"] and gap <= 1e-12,
          f"logreg: the card's medians, centres and scales of {len(fits)} numeric and yes/no columns are those of the training rows (largest gap {gap:.1g})")
    X_train, owners = encode(columns, train)
    gap = np.abs(X_train.mean(axis=0) - means).max()
    check(means.shape == (X_train.shape[1],) and beta.shape == (X_train.shape[1] + 1,) and gap <= 1e-12,
          f"logreg: feature_means are the means of the {X_train.shape[1]} encoded features over the training rows (largest gap {gap:.1g})")
    rows_text = pd.read_csv(persona.path("lr-rows.csv"), dtype=str, keep_default_na=False)
    X, owners = encode(columns, rows_text)
    per_feature = beta[1:] * (X - means)
    want = np.column_stack([per_feature[:, owners == k].sum(axis=1) for k in range(len(columns))])
    names = [f"contrib_{c['name']}" for c in columns]
    check([c for c in why.columns if c.startswith("contrib_") and c != "contrib_bias"] == names,
          f"logreg: one contrib_<column> per input column, in the pipeline's order ({len(names)})")
    ours = why[names].to_numpy()
    err = np.abs(ours - want).max(axis=0)
    worst = int(err.argmax())
    bias = beta[0] + beta[1:] @ means
    raw = beta[0] + X @ beta[1:]
    err_bias, err_raw = np.abs(why["contrib_bias"] - bias).max(), np.abs(why["raw_score"] - raw).max()
    unseen = sum(int((X[:, owners == k][:, -1] == 1).sum()) for k, c in enumerate(columns) if c["type"] == "categorical")
    imputed = sum(int(rows_text[c["name"]].str.strip(" ").str.lower().isin(MISSING_WORDS).sum()) for c in columns)
    check(err.max() <= 1e-6 and err_bias <= 1e-6 and err_raw <= 1e-6,
          f"logreg: every contrib_<column> is the coefficients times the deviation from the training means, summed over the "
          f"column's encoded features, on {len(why)} rows with {imputed} missing cells and {unseen} unseen categories "
          f"(largest difference {err.max():.1g}, in {names[worst]}; bias {err_bias:.1g}, raw_score {err_raw:.1g})")
