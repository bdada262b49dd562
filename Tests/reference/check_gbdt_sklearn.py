"""Gradient boosting against scikit-learn's HistGradientBoosting and LightGBM.

1. Exactness. On numeric columns of at most 255 distinct values (each value its
   own bin in both libraries, so every split Persona can make scikit-learn can
   make too) and the same settings (leaf-wise, 15 leaves, 20 rows per leaf, no
   penalty, no early stopping), scikit-learn's HistGradientBoosting grows the
   same trees as Persona: the same starting score (the log odds; with several
   classes the centred log of each class's share), the same gradients and
   hessians (p - y, p(1 - p), per class for softmax), the same gains and leaf
   values. The probabilities of every training row must agree within 1e-6, for
   two classes, for three (softmax), and for regression (squared error).
2. Quality. On generated churn rows with categories (a three-class target),
   Persona's held-out log loss with its defaults (early stopping on a tenth),
   computed here with scikit-learn's log_loss from `persona score`'s
   probabilities, must be within 0.01 of the better of LightGBM's and
   HistGradientBoosting's with theirs (LightGBM with early stopping on the same
   kind of held-out tenth), on either side: all three are histogram gradient
   boosting with about the same defaults, so none should beat the others by
   more than chance; far better than both means the held-out rows leaked into
   training or the log loss is computed wrongly. `persona evaluate`'s accuracy,
   macro precision, recall and F1 and log loss on the same rows must equal
   scikit-learn's functions on `persona score`'s output.
"""
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import log_loss

from common import MULTICLASS_TOLERANCES, Persona, check, check_metrics, multiclass_reference, parse_args, workdir


def exact_data(rng, n, classes):
    # values on a grid: fewer than 255 distinct values per column
    x = rng.integers(0, 120, size=(n, 4)).astype(float) / 4
    z = 0.08 * x[:, 0] - 0.05 * x[:, 1] + 0.3 * np.sin(x[:, 2]) + rng.normal(0, 0.7, n)
    if classes == 0:
        y = 3 * z + rng.normal(0, 0.5, n)
    elif classes == 2:
        y = (z > 0.4).astype(int)
    else:
        y = np.digitize(z + 0.04 * x[:, 3], [-0.2, 0.9])
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    frame["y"] = y if classes == 0 else ["k" + str(v) for v in y]
    return frame, x


def run_persona(persona, frame, name, extra):
    frame.to_csv(persona.path(name + ".csv"), index=False)
    persona("train", "gbdt", "--data", name + ".csv", "--target", "y", "--trees", 25, "--num-leaves", 15,
            "--learning-rate", 0.2, "--early-stopping-rounds", 0, "--out", name + ".persona", *extra)
    persona("score", name + ".persona", "--data", name + ".csv", "--out", name + "-scores.csv")
    return pd.read_csv(persona.path(name + "-scores.csv"), dtype={"predicted": str})


def sklearn_settings():
    return dict(max_iter=25, max_leaf_nodes=15, learning_rate=0.2, min_samples_leaf=20, l2_regularization=0.0,
                early_stopping=False, max_bins=255)


args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    rng = np.random.default_rng(11)

    # two classes
    frame, x = exact_data(rng, 3000, 2)
    ours = run_persona(persona, frame, "two", ["--positive", "k1"])
    ref = HistGradientBoostingClassifier(**sklearn_settings()).fit(x, frame["y"])
    p = ref.predict_proba(x)[:, list(ref.classes_).index("k1")]
    diff = np.abs(p - ours["probability"].to_numpy()).max()
    check(diff <= 1e-6, f"two classes: every training row's probability within {diff:.2g} of HistGradientBoosting's (25 trees of 15 leaves)")

    # three classes: softmax, one tree per class and round
    frame, x = exact_data(rng, 3000, 3)
    ours = run_persona(persona, frame, "three", [])
    ref = HistGradientBoostingClassifier(**sklearn_settings()).fit(x, frame["y"])
    cols = ["probability_" + c for c in ref.classes_]
    diff = np.abs(ref.predict_proba(x) - ours[cols].to_numpy()).max()
    check(diff <= 1e-6, f"three classes (softmax): every training row's class probabilities within {diff:.2g} of HistGradientBoosting's")
    same = (ref.predict(x) == ours["predicted"].to_numpy()).mean()
    check(same == 1.0, f"three classes: the predicted class agrees on {same:.2%} of rows")

    # regression
    frame, x = exact_data(rng, 3000, 0)
    ours = run_persona(persona, frame, "reg", ["--task", "regression"])
    ref = HistGradientBoostingRegressor(**sklearn_settings()).fit(x, frame["y"])
    diff = np.abs(ref.predict(x) - ours["prediction"].to_numpy()).max()
    check(diff <= 1e-6, f"regression: every training row's prediction within {diff:.2g} of HistGradientBoosting's")

    # Held-out quality with each library's defaults, on churn rows with categories.
    persona("datasets", "generate", "churn", "--rows", 30000, "--seed", 21, "--out", "churn.csv")
    persona("datasets", "generate", "churn", "--rows", 10000, "--seed", 22, "--out", "holdout.csv")
    # a three-class target: the contract, from everything but the id
    persona("train", "gbdt", "--data", "churn.csv", "--target", "contract", "--exclude", "customer_id", "--out", "contract.persona")
    persona("score", "contract.persona", "--data", "holdout.csv", "--out", "contract-scores.csv")
    ours = pd.read_csv(persona.path("contract-scores.csv"), dtype={"predicted": str})
    train = pd.read_csv(persona.path("churn.csv"), keep_default_na=True)
    hold = pd.read_csv(persona.path("holdout.csv"), keep_default_na=True)
    classes = sorted(train["contract"].unique())
    features = [c for c in train.columns if c not in ("customer_id", "contract")]
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(train[c])]
    for frame_ in (train, hold):
        for c in categorical:
            frame_[c] = pd.Categorical(frame_[c], categories=sorted(train[c].dropna().unique()))
    y_train = train["contract"].map(classes.index).to_numpy()
    y_hold = hold["contract"].map(classes.index).to_numpy()
    p_ours = ours[["probability_" + c for c in classes]].to_numpy()
    p_ours /= p_ours.sum(axis=1, keepdims=True)      # the file's 8 significant digits
    ll_ours = log_loss(y_hold, p_ours, labels=range(len(classes)))
    check(len(ours) == len(hold), "three classes held out: one score per row")
    ev = persona.json("evaluate", "contract.persona", "--data", "holdout.csv", "--json")
    check_metrics("three classes held out", ev, multiclass_reference(hold["contract"], p_ours, classes, ours["predicted"]),
                  MULTICLASS_TOLERANCES)

    cut = np.random.default_rng(5).random(len(train)) < 0.1
    booster = lgb.LGBMClassifier(n_estimators=1000, verbose=-1, random_state=0)
    warnings.simplefilter("ignore", FutureWarning)
    warnings.filterwarnings("ignore", message=".*eval_set.*")
    booster.fit(train.loc[~cut, features], y_train[~cut], eval_set=[(train.loc[cut, features], y_train[cut])],
                callbacks=[lgb.early_stopping(20, verbose=False)])
    ll_lgb = log_loss(y_hold, booster.predict_proba(hold[features]), labels=range(len(classes)))
    hgb = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0).fit(train[features], y_train)
    ll_hgb = log_loss(y_hold, hgb.predict_proba(hold[features]), labels=range(len(classes)))
    best = min(ll_lgb, ll_hgb)
    margin = 0.01
    check(best - margin <= ll_ours <= best + margin,
          f"three classes held out: log loss {ll_ours:.4f} against LightGBM's {ll_lgb:.4f} and HistGradientBoosting's {ll_hgb:.4f} "
          f"(defaults; {ll_ours - best:+.4f} from the better, margin ±{margin})")
