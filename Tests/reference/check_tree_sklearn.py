"""Decision trees against scikit-learn's DecisionTreeClassifier and DecisionTreeRegressor
on the same data and depth.

Persona's metrics are recomputed here with scikit-learn's own functions
(accuracy_score, r2_score, ...) from `persona score`'s output on the held-out
rows, never taken from `persona evaluate`; `persona evaluate`'s numbers must
then equal those (labels exactly, metrics of probabilities within the Float32
rounding of the score file), so a wrong metric fails too.

The comparison with scikit-learn is two-sided: held-out accuracy within 0.5
percentage point above or below scikit-learn's, R² within 0.01 above or below.
Both grow greedy CART trees to the same depth, but Persona cuts numbers into 255
quantile bins and splits categories natively where scikit-learn tries every
threshold on one-hot columns, so single splits differ and so do the held-out
scores, by chance, in either direction; a gap larger than that means a
different algorithm (or a wrong metric), whichever side it is on.
"""
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, r2_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from common import (BINARY_TOLERANCES, MULTICLASS_TOLERANCES, Persona, binary_reference, check, check_metrics,
                    multiclass_reference, parse_args, workdir)

ACCURACY_MARGIN = 0.005     # either side of scikit-learn's held-out accuracy
R2_MARGIN = 0.01            # either side of scikit-learn's held-out R²


def within(ours, ref, margin):
    return ref - margin <= ours <= ref + margin


args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    # Classification on the churn data: numbers and one-hot categories for scikit-learn.
    persona("datasets", "generate", "churn", "--rows", 40000, "--seed", 21, "--out", "churn.csv")
    persona("split", "--data", "churn.csv", "--test-fraction", 0.25, "--stratify", "churned", "--seed", 2,
            "--train-out", "train.csv", "--test-out", "test.csv")
    train, test = pd.read_csv(persona.path("train.csv")), pd.read_csv(persona.path("test.csv"))
    cats = ["contract", "plan", "region", "payment_method"]
    both = pd.get_dummies(pd.concat([train, test]).drop(columns=["customer_id", "churned"]), columns=cats)
    both["paperless_billing"] = (both["paperless_billing"] == "yes").astype(float)
    both = both.fillna(-1)
    Xtr, Xte = both.iloc[:len(train)].to_numpy(float), both.iloc[len(train):].to_numpy(float)
    for depth in [3, 6, 10]:
        persona("train", "tree", "--data", "train.csv", "--target", "churned", "--max-depth", depth, "--out", "t.safetensors", "--quiet")
        persona("score", "t.safetensors", "--data", "test.csv", "--id", "customer_id", "--out", "t.csv", "--quiet")
        scores = pd.read_csv(persona.path("t.csv"), dtype={"customer_id": str, "predicted": str})
        check(scores["customer_id"].tolist() == test["customer_id"].astype(str).tolist(), f"classification depth {depth}: one score per test row, in order")
        ours = accuracy_score(test["churned"].astype(str), scores["predicted"])
        ev = persona.json("evaluate", "t.safetensors", "--data", "test.csv", "--json")
        at = scores["probability"] == ev["threshold"]
        check_metrics(f"classification depth {depth}", ev,
                      binary_reference(test["churned"], scores["probability"], scores["predicted"], 1), BINARY_TOLERANCES,
                      note=f"{at.sum()} rows have probability exactly at the threshold {ev['threshold']}; persona score predicts "
                           f"{scores['predicted'][at].value_counts().to_dict()} for them")
        ref = accuracy_score(test["churned"], DecisionTreeClassifier(max_depth=depth, random_state=0).fit(Xtr, train["churned"]).predict(Xte))
        check(within(ours, ref, ACCURACY_MARGIN),
              f"classification depth {depth}: held-out accuracy {ours:.4f} vs scikit-learn {ref:.4f} ({ours - ref:+.4f}, margin ±{ACCURACY_MARGIN})")

    # Regression: a smooth function of mixed features.
    rng = np.random.default_rng(3)
    n = 20000
    X = rng.normal(size=(n, 5))
    y = np.sin(X[:, 0]) * 3 + X[:, 1] ** 2 + 0.5 * X[:, 2] + rng.normal(0, 0.3, n)
    df = pd.DataFrame(np.round(X, 5), columns=[f"x{j}" for j in range(5)])
    df["y"] = np.round(y, 5)
    df.iloc[:15000].to_csv(persona.path("rtrain.csv"), index=False)
    df.iloc[15000:].to_csv(persona.path("rtest.csv"), index=False)
    yte = df["y"][15000:].to_numpy()
    for depth in [4, 8]:
        persona("train", "tree", "--data", "rtrain.csv", "--target", "y", "--task", "regression", "--max-depth", depth,
                "--out", "r.safetensors", "--quiet")
        persona("score", "r.safetensors", "--data", "rtest.csv", "--out", "r.csv", "--quiet")
        pred = pd.read_csv(persona.path("r.csv"))["predicted"].to_numpy()
        check(len(pred) == len(yte), f"regression depth {depth}: one prediction per test row")
        ours = r2_score(yte, pred)
        ev = persona.json("evaluate", "r.safetensors", "--data", "rtest.csv", "--json")
        # predictions are written rounded to Float32: about 1e-7 relative
        check_metrics(f"regression depth {depth}", ev,
                      {"r2": ours, "rmse": mean_squared_error(yte, pred) ** 0.5, "mae": mean_absolute_error(yte, pred)},
                      {"r2": (1e-6, False), "rmse": (1e-6, True), "mae": (1e-6, True)})
        model = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(df.iloc[:15000, :5], df["y"][:15000])
        ref = r2_score(yte, model.predict(df.iloc[15000:, :5]))
        check(within(ours, ref, R2_MARGIN), f"regression depth {depth}: held-out R² {ours:.4f} vs scikit-learn {ref:.4f} ({ours - ref:+.4f}, margin ±{R2_MARGIN})")

    # Multiclass (four channels) with categorical columns handled natively. The signal is weak
    # (about 47% accuracy), so single depths differ by chance in greedy choices; compare the
    # mean held-out accuracy over depths 4 to 7.
    persona("datasets", "generate", "customers", "--rows", 20000, "--seed", 5, "--out", "cust.csv")
    persona("split", "--data", "cust.csv", "--test-fraction", 0.25, "--seed", 3, "--train-out", "ctrain.csv", "--test-out", "ctest.csv")
    ctr, cte = pd.read_csv(persona.path("ctrain.csv")), pd.read_csv(persona.path("ctest.csv"))
    allc = pd.get_dummies(pd.concat([ctr, cte]).drop(columns=["customer_id", "preferred_channel"]), columns=["gender", "region", "loyalty_member"]).fillna(-1)
    ours, refs = [], []
    for depth in [4, 5, 6, 7]:
        persona("train", "tree", "--data", "ctrain.csv", "--target", "preferred_channel", "--max-depth", depth, "--out", "m.safetensors", "--quiet")
        persona("score", "m.safetensors", "--data", "ctest.csv", "--out", "m.csv", "--quiet")
        scores = pd.read_csv(persona.path("m.csv"), dtype={"predicted": str})
        ev = persona.json("evaluate", "m.safetensors", "--data", "ctest.csv", "--json")
        classes = ev["classes"]
        check(len(scores) == len(cte) and [c for c in scores.columns if c.startswith("probability_")] == ["probability_" + c for c in classes],
              f"multiclass depth {depth}: one row per test row, a probability per class ({', '.join(classes)})")
        ref_metrics = multiclass_reference(cte["preferred_channel"], scores[["probability_" + c for c in classes]], classes, scores["predicted"])
        check_metrics(f"multiclass depth {depth}", ev, ref_metrics, MULTICLASS_TOLERANCES)
        ours.append(ref_metrics["accuracy"])
        refs.append(accuracy_score(cte["preferred_channel"], DecisionTreeClassifier(max_depth=depth, random_state=0)
                                   .fit(allc.iloc[:len(ctr)], ctr["preferred_channel"]).predict(allc.iloc[len(ctr):])))
    a, b = float(np.mean(ours)), float(np.mean(refs))
    check(within(a, b, ACCURACY_MARGIN),
          f"multiclass, depths 4-7: mean held-out accuracy {a:.4f} vs scikit-learn {b:.4f} ({a - b:+.4f}, margin ±{ACCURACY_MARGIN})")
