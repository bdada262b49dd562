"""Logistic regression against scikit-learn on the same data and penalty:
coefficients within 1e-3 relative, AUC and log loss within 1e-4 either way;
standard errors against the inverse-Hessian formula; and the whole pipeline
(imputation, one-hot, indicators) against a scikit-learn pipeline on the churn
data, held-out AUC and log loss within 2e-3 either way. Persona's metrics are
computed here with scikit-learn's functions from `persona score`'s
probabilities and labels, and `persona evaluate`'s own numbers (accuracy,
precision, recall, F1, AUC, PR AUC, log loss, Brier) must equal those."""
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from common import BINARY_TOLERANCES, Persona, binary_reference, check, check_metrics, parse_args, workdir

args = parse_args()

import sklearn
NEW_API = tuple(int(v) for v in sklearn.__version__.split(".")[:2]) >= (1, 8)


def sk_options(penalty="l2", **kw):
    """scikit-learn 1.8 replaced `penalty` by `l1_ratio` (and C=inf for none)."""
    if not NEW_API:
        return dict(penalty=penalty, **kw)
    if penalty is None:
        return dict(C=np.inf, **kw)
    if penalty == "l1":
        return dict(l1_ratio=1.0, **kw)
    if penalty == "elasticnet":
        return dict(kw)          # l1_ratio given by the caller
    return dict(l1_ratio=0.0, **kw)


def coefs(persona, model, names):
    card = persona.json("inspect", model, "--json")
    import struct, json
    raw = open(persona.path(model), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    start, end = header["coefficients"]["data_offsets"]
    beta = np.frombuffer(raw[8 + n + start:8 + n + end], dtype="<f8")
    return beta, card


def rel(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-2))


with workdir() as d:
    persona = Persona(args.persona, d)
    rng = np.random.default_rng(11)
    n, p = 3000, 6
    X = rng.normal(size=(n, p)) * [1, 2, 0.5, 1, 3, 1] + [0, 1, -1, 5, 0, 2]
    eta = -0.5 + X @ np.array([0.8, -0.4, 1.2, 0.3, 0.0, -0.7])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    cols = [f"x{j}" for j in range(p)]
    df = pd.DataFrame(np.round(X, 6), columns=cols)
    df["y"] = y
    df.to_csv(persona.path("d.csv"), index=False)
    Xr = df[cols].to_numpy()

    cases = [
        ("no penalty", [], sk_options(None, solver="newton-cholesky")),
        ("l2", ["--l2", 1e-3], sk_options(C=1 / (n * 1e-3), solver="newton-cholesky")),
        ("l2 lbfgs", ["--l2", 1e-3, "--solver", "lbfgs"], sk_options(C=1 / (n * 1e-3), solver="lbfgs")),
        ("l1", ["--l1", 2e-3], sk_options("l1", C=1 / (n * 2e-3), solver="saga")),
        ("elastic net", ["--l1", 1e-3, "--l2", 1e-3], sk_options("elasticnet", l1_ratio=0.5, C=0.5 / (n * 1e-3), solver="saga")),
        ("balanced", ["--l2", 1e-3, "--class-weight", "balanced"], sk_options(C=1 / (n * 1e-3), class_weight="balanced", solver="newton-cholesky")),
    ]
    for name, flags, sk in cases:
        persona("train", "logreg", "--data", "d.csv", "--target", "y", "--no-scale", *flags, "--out", "m.safetensors", "--quiet")
        beta, card = coefs(persona, "m.safetensors", cols)
        ref = LogisticRegression(tol=1e-12, max_iter=100000, **sk).fit(Xr, y)
        ref_beta = np.concatenate([ref.intercept_, ref.coef_[0]])
        r = rel(beta, ref_beta)
        check(r <= 1e-3, f"{name}: coefficients within {r:.1e} relative of scikit-learn")
        persona("score", "m.safetensors", "--data", "d.csv", "--out", "s.csv", "--quiet")
        scored = pd.read_csv(persona.path("s.csv"), dtype={"predicted": str})
        ours = scored["probability"].to_numpy()
        theirs = ref.predict_proba(Xr)[:, 1]
        da, dl = abs(roc_auc_score(y, ours) - roc_auc_score(y, theirs)), abs(log_loss(y, ours) - log_loss(y, theirs))
        check(da <= 1e-4 and dl <= 1e-4, f"{name}: AUC differs by {da:.1e}, log loss by {dl:.1e}")
        ev = persona.json("evaluate", "m.safetensors", "--data", "d.csv", "--json")
        check_metrics(name, ev, binary_reference(y, ours, scored["predicted"], 1), BINARY_TOLERANCES)

    # Standard errors of the unpenalised fit: sqrt(diag((Xᵀ W X)^-1)).
    persona("train", "logreg", "--data", "d.csv", "--target", "y", "--out", "u.safetensors", "--quiet")
    persona("score", "u.safetensors", "--data", "d.csv", "--out", "u.csv", "--quiet")
    pu = pd.read_csv(persona.path("u.csv"))["probability"].to_numpy()
    A = np.column_stack([np.ones(n), Xr])
    se = np.sqrt(np.diag(np.linalg.inv(A.T @ (A * (pu * (1 - pu))[:, None]))))
    text = persona("inspect", "u.safetensors")
    table = text.split("mean |contribution|")[0]          # the coefficient table, not the contributions after it
    rows = {line.split()[0]: line.split() for line in table.splitlines() if line.split() and (line.split()[0] in cols or line.startswith("(intercept)"))}
    ours_se = np.array([float(rows["(intercept)"][3])] + [float(rows[c][3]) for c in cols])
    r = np.max(np.abs(ours_se - se) / se)
    check(r <= 2e-3, f"standard errors in original units within {r:.1e} of the inverse-Hessian formula (printed to 4 digits)")

    # The churn data end to end: Persona's pipeline against the same steps in scikit-learn.
    persona("datasets", "generate", "churn", "--rows", 8000, "--seed", 5, "--out", "churn.csv")
    persona("split", "--data", "churn.csv", "--test-fraction", 0.25, "--stratify", "churned", "--seed", 1,
            "--train-out", "train.csv", "--test-out", "test.csv")
    persona("train", "logreg", "--data", "train.csv", "--target", "churned", "--l2", 1e-4, "--out", "c.safetensors", "--quiet")
    persona("score", "c.safetensors", "--data", "test.csv", "--out", "c.csv", "--quiet")
    train, test = pd.read_csv(persona.path("train.csv")), pd.read_csv(persona.path("test.csv"))
    numeric = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "usage_gb", "usage_change", "senior"]
    categorical = ["contract", "plan", "region", "payment_method"]
    for frame in (train, test):
        frame["paperless_billing"] = (frame["paperless_billing"] == "yes").astype(float)
    from sklearn.preprocessing import StandardScaler
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric + ["paperless_billing"]),
        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)])
    # Persona standardises the numbers but not the missing indicators, while this pipeline
    # scales both; with the same small ridge the two penalise slightly different
    # parametrisations, hence the looser tolerance here.
    model = make_pipeline(pre, LogisticRegression(tol=1e-12, max_iter=10000, **sk_options(C=1 / (len(train) * 1e-4), solver="newton-cholesky")))
    model.fit(train[numeric + ["paperless_billing"] + categorical], train["churned"])
    theirs = model.predict_proba(test[numeric + ["paperless_billing"] + categorical])[:, 1]
    scored = pd.read_csv(persona.path("c.csv"), dtype={"predicted": str})
    ours = scored["probability"].to_numpy()
    yt = test["churned"].to_numpy()
    check(len(scored) == len(test), "churn pipeline: one score per held-out row")
    ev = persona.json("evaluate", "c.safetensors", "--data", "test.csv", "--json")
    check_metrics("churn pipeline, held out", ev, binary_reference(yt, ours, scored["predicted"], 1), BINARY_TOLERANCES)
    da, dl = abs(roc_auc_score(yt, ours) - roc_auc_score(yt, theirs)), abs(log_loss(yt, ours) - log_loss(yt, theirs))
    check(da <= 2e-3 and dl <= 2e-3, f"churn pipeline: held-out AUC {roc_auc_score(yt, ours):.5f} vs {roc_auc_score(yt, theirs):.5f}, log loss {log_loss(yt, ours):.5f} vs {log_loss(yt, theirs):.5f}")
