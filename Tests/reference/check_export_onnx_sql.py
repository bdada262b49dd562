"""Exported models against Persona's own predictions on the same rows.

Every family's ONNX file is checked with onnx.checker, loaded in ONNX Runtime
and fed the raw columns of a scoring file that has missing values and unseen
categories; probabilities and distances must agree within 1e-5, labels, risk
deciles and segments exactly. The SQL exports run in SQLite on the same rows and
must agree within 1e-6, labels exactly.

One exception, and only where ONNX sums boosted trees in Float32 (binary and
multi-class gbdt, uplift on gbdt): a label may differ on a row whose
probability (or uplift) lies within the ONNX-versus-Persona difference of that
very row, widened by one Float32 step, of the threshold, a risk decile's edge,
or the runner-up's value (an argmax). Such rows are counted and printed; any
other difference fails.
"""
import sqlite3

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from safetensors.numpy import load_file

from common import CHURN_NUMERIC, MISSING, Persona, check, damage, parse_args, workdir


def feeds(session, frame):
    """The graph's inputs from a data frame read with every cell as text."""
    out = {}
    for i in session.get_inputs():
        col = frame[i.name]
        if i.type == "tensor(float)":
            out[i.name] = pd.to_numeric(col, errors="coerce").to_numpy(np.float32).reshape(-1, 1)
        else:
            out[i.name] = col.to_numpy(dtype=object).reshape(-1, 1)
    return out


def run_onnx(path, frame):
    onnx.checker.check_model(onnx.load(path), full_check=True)
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(None, feeds(s, frame))))


def float32_step(v):
    """One unit in the last place of v as a Float32."""
    return np.spacing(np.abs(np.asarray(v, dtype=np.float32))).astype(np.float64)


def near_edge(ours, got, edges):
    """Rows where some edge (a threshold, a cut point) lies between Persona's value
    and ONNX's, widened by one Float32 step of the edge: where Float32 arithmetic
    can put the row on the other side."""
    lo, hi = np.minimum(ours, got)[:, None], np.maximum(ours, got)[:, None]
    e = np.asarray(edges, dtype=np.float64)[None, :]
    step = float32_step(e)
    return ((lo - step <= e) & (e <= hi + step)).any(axis=1)


def near_tie(ours, got):
    """Rows (of a values matrix, one column per choice) whose best and runner-up
    values lie within twice the row's ONNX-versus-Persona difference plus one
    Float32 step: where Float32 arithmetic can reorder them."""
    top2 = np.sort(ours, axis=1)[:, -2:]
    slack = 2 * np.abs(ours - got).max(axis=1) + float32_step(top2[:, 1])
    return top2[:, 1] - top2[:, 0] <= slack


def check_labels(name, ours, got, allowed=None, why=""):
    """Labels equal on every row, except rows in `allowed` (Float32 edges), which are
    counted and printed; without `allowed`, on every row."""
    ours, got = np.asarray(ours).astype(str), np.asarray(got).ravel().astype(str)
    if allowed is None:
        allowed = np.zeros(len(ours), bool)
        why = None
    differ = ours != got
    excused, other = int((differ & allowed).sum()), int((differ & ~allowed).sum())
    said = f"identical on all {len(ours)} rows" if why is None else f"equal on all {len(ours)} rows but {excused} {why}"
    check(len(ours) == len(got) and other == 0,
          f"{name}: {said}" + (f"; {other} {'other ' if why is not None else ''}rows differ" if other else ""))


def sqlite_table(frame, numeric):
    db = sqlite3.connect(":memory:")
    cols = list(frame.columns)
    db.execute("CREATE TABLE customers (" + ", ".join(f'"{c}" {"REAL" if c in numeric else "TEXT"}' for c in cols) + ")")
    values = []
    for _, r in frame.iterrows():
        row = []
        for c in cols:
            v = r[c]
            if c in numeric:
                row.append(None if v in MISSING else float(v))
            else:
                row.append(v)
        values.append(row)
    db.executemany("INSERT INTO customers VALUES (" + ", ".join("?" for _ in cols) + ")", values)
    return db


def run_sql(db, sql_path):
    cur = db.execute(open(sql_path).read())
    names = [d[0] for d in cur.description]
    return pd.DataFrame(cur.fetchall(), columns=names)


args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    persona("datasets", "generate", "churn", "--rows", 4000, "--seed", 5, "--out", "train.csv")
    persona("datasets", "generate", "churn", "--rows", 1500, "--seed", 6, "--out", "clean.csv")
    damage(persona.path("clean.csv"), persona.path("score.csv"), CHURN_NUMERIC,
           ["contract", "plan", "region", "payment_method"], ["paperless_billing"], seed=1)
    frame = pd.read_csv(persona.path("score.csv"), dtype=str, keep_default_na=False)

    # logistic regression
    persona("train", "logreg", "--data", "train.csv", "--target", "churned", "--l2", 0.001, "--out", "lr.persona")
    persona("export", "lr.persona", "--format", "onnx", "--out", "lr.onnx")
    persona("score", "lr.persona", "--data", "score.csv", "--out", "lr-scores.csv")
    ours = pd.read_csv(persona.path("lr-scores.csv"), dtype={"predicted": str})
    got = run_onnx(persona.path("lr.onnx"), frame)
    diff = np.abs(got["probabilities"][:, 1] - ours["probability"].to_numpy())
    check(diff.max() <= 1e-5, f"logreg ONNX: probabilities within {diff.max():.2g} of persona score on {len(ours)} rows with missing and unseen values")
    check((got["label"].ravel() == ours["predicted"].to_numpy()).all(), "logreg ONNX: labels identical on every row")
    check((got["risk_decile"].ravel() == ours["risk_decile"].to_numpy()).all(), "logreg ONNX: risk deciles identical on every row")
    check(np.allclose(got["probabilities"].sum(axis=1), 1, atol=1e-6), "logreg ONNX: probabilities sum to 1")

    persona("export", "lr.persona", "--format", "sql", "--table", "customers", "--out", "lr.sql")
    db = sqlite_table(frame, CHURN_NUMERIC)
    sql = run_sql(db, persona.path("lr.sql"))
    diff = np.abs(sql["probability"].to_numpy(dtype=float) - ours["probability"].to_numpy())
    check(len(sql) == len(ours) and diff.max() <= 1e-6, f"logreg SQL in SQLite: probabilities within {diff.max():.2g}")
    check((sql["predicted"].astype(str).to_numpy() == ours["predicted"].to_numpy()).all(), "logreg SQL: predicted classes identical")

    # decision trees: classification and regression
    persona("train", "tree", "--data", "train.csv", "--target", "churned", "--max-depth", 8, "--out", "tree.persona")
    persona("export", "tree.persona", "--format", "onnx", "--out", "tree.onnx")
    persona("score", "tree.persona", "--data", "score.csv", "--out", "tree-scores.csv")
    ours = pd.read_csv(persona.path("tree-scores.csv"), dtype={"predicted": str})
    got = run_onnx(persona.path("tree.onnx"), frame)
    diff = np.abs(got["probabilities"][:, 1] - ours["probability"].to_numpy())
    check(diff.max() <= 1e-5, f"tree ONNX: probabilities within {diff.max():.2g}")
    check((got["label"].ravel() == ours["predicted"].to_numpy()).all(), "tree ONNX: labels identical on every row")
    check((got["risk_decile"].ravel() == ours["risk_decile"].to_numpy()).all(), "tree ONNX: risk deciles identical on every row")
    persona("export", "tree.persona", "--format", "sql", "--table", "customers", "--out", "tree.sql")
    sql = run_sql(db, persona.path("tree.sql"))
    diff = np.abs(sql["probability"].to_numpy(dtype=float) - ours["probability"].to_numpy())
    check(diff.max() <= 1e-6, f"tree SQL in SQLite: probabilities within {diff.max():.2g}")
    check((sql["predicted"].astype(str).to_numpy() == ours["predicted"].to_numpy()).all(), "tree SQL: predicted classes identical")

    # gradient-boosted trees (SQL)
    persona("train", "gbdt", "--data", "train.csv", "--target", "churned", "--trees", 40, "--early-stopping-rounds", 0,
            "--min-category-rows", 20, "--out", "gbdt.persona")
    persona("score", "gbdt.persona", "--data", "score.csv", "--out", "gbdt-scores.csv")
    ours = pd.read_csv(persona.path("gbdt-scores.csv"), dtype={"predicted": str})
    persona("export", "gbdt.persona", "--format", "sql", "--table", "customers", "--out", "gbdt.sql")
    sql = run_sql(db, persona.path("gbdt.sql"))
    diff = np.abs(sql["probability"].to_numpy(dtype=float) - ours["probability"].to_numpy())
    check(diff.max() <= 1e-6, f"gbdt SQL in SQLite: probabilities within {diff.max():.2g} on rows with missing and unseen values")
    check((sql["predicted"].astype(str).to_numpy() == ours["predicted"].to_numpy()).all(), "gbdt SQL: predicted classes identical")
    # a random forest on the same engine: the average, not the logistic of a sum
    persona("train", "gbdt", "--data", "train.csv", "--target", "churned", "--mode", "rf", "--trees", 15, "--num-leaves", 64,
            "--min-category-rows", 20, "--out", "rf.persona")
    persona("score", "rf.persona", "--data", "score.csv", "--out", "rf-scores.csv")
    rf_ours = pd.read_csv(persona.path("rf-scores.csv"), dtype={"predicted": str})
    persona("export", "rf.persona", "--format", "onnx", "--out", "rf.onnx")
    got = run_onnx(persona.path("rf.onnx"), frame)
    diff = np.abs(got["probabilities"][:, 1] - rf_ours["probability"].to_numpy())
    check(diff.max() <= 1e-5, f"random forest ONNX: probabilities within {diff.max():.2g} on rows with missing and unseen values")
    persona("export", "rf.persona", "--format", "sql", "--table", "customers", "--out", "rf.sql")
    sql = run_sql(db, persona.path("rf.sql"))
    diff = np.abs(sql["probability"].to_numpy(dtype=float) - rf_ours["probability"].to_numpy())
    check(diff.max() <= 1e-6, f"random forest SQL in SQLite: probabilities within {diff.max():.2g}")
    persona("export", "gbdt.persona", "--format", "onnx", "--out", "gbdt.onnx")
    got = run_onnx(persona.path("gbdt.onnx"), frame)
    p_ours, p_got = ours["probability"].to_numpy(), got["probabilities"][:, 1].astype(np.float64)
    diff = np.abs(p_got - p_ours)
    check(diff.max() <= 1e-5, f"gbdt ONNX: probabilities within {diff.max():.2g} on rows with missing and unseen values")
    check_labels("gbdt ONNX: predicted classes", ours["predicted"], got["label"], near_edge(p_ours, p_got, [0.5]),
                 "whose probability lies within Float32 rounding of the threshold 0.5 (ONNX sums the trees in Float32)")
    cuts = load_file(persona.path("gbdt.persona"))["risk_cut_points"]
    check_labels("gbdt ONNX: risk deciles", ours["risk_decile"], got["risk_decile"], near_edge(p_ours, p_got, cuts),
                 "whose probability lies within Float32 rounding of a decile's edge (ONNX sums the trees in Float32)")
    # several classes: softmax over one tree per class and round
    persona("train", "gbdt", "--data", "train.csv", "--target", "plan", "--exclude", "customer_id,monthly_charges",
            "--trees", 15, "--early-stopping-rounds", 0, "--min-category-rows", 20, "--out", "plan.persona")
    persona("score", "plan.persona", "--data", "score.csv", "--out", "plan-scores.csv")
    ours = pd.read_csv(persona.path("plan-scores.csv"), dtype={"predicted": str})
    classes = [c[len("probability_"):] for c in ours.columns if c.startswith("probability_")]
    columns = ["probability_" + c for c in classes]
    check(len(classes) == 3, f"three-class gbdt scores: {', '.join(columns)}")
    persona("export", "plan.persona", "--format", "onnx", "--out", "plan.onnx")
    got = run_onnx(persona.path("plan.onnx"), frame)
    diff = np.abs(got["probabilities"] - ours[columns].to_numpy())
    check(diff.max() <= 1e-5, f"three-class gbdt ONNX: probabilities within {diff.max():.2g} on rows with missing and unseen values")
    check_labels("three-class gbdt ONNX: predicted classes", ours["predicted"], got["label"],
                 near_tie(ours[columns].to_numpy(), got["probabilities"].astype(np.float64)),
                 "whose two likeliest classes lie within Float32 rounding of each other (ONNX sums the trees in Float32)")
    persona("export", "plan.persona", "--format", "sql", "--table", "customers", "--out", "plan.sql")
    sql = run_sql(db, persona.path("plan.sql"))
    diff = np.abs(sql[columns].to_numpy(dtype=float) - ours[columns].to_numpy())
    check(diff.max() <= 1e-6, f"three-class gbdt SQL in SQLite: probabilities within {diff.max():.2g}")
    check((sql["predicted"].astype(str).to_numpy() == ours["predicted"].to_numpy()).all(), "three-class gbdt SQL: predicted classes identical")

    persona("train", "tree", "--data", "train.csv", "--target", "monthly_charges", "--task", "regression", "--exclude", "customer_id,total_charges",
            "--max-depth", 7, "--out", "reg.persona")
    persona("export", "reg.persona", "--format", "onnx", "--out", "reg.onnx")
    persona("export", "reg.persona", "--format", "sql", "--table", "customers", "--out", "reg.sql")
    persona("score", "reg.persona", "--data", "score.csv", "--out", "reg-scores.csv")
    ours = pd.read_csv(persona.path("reg-scores.csv"))["predicted"].to_numpy()
    got = run_onnx(persona.path("reg.onnx"), frame)["predicted"].ravel()
    check(np.abs(got - ours).max() <= 1e-5 * np.abs(ours).max(), f"regression tree ONNX: predictions within {np.abs(got - ours).max():.2g}")
    sql = run_sql(db, persona.path("reg.sql"))["predicted"].to_numpy(dtype=float)
    check(np.abs(sql - ours).max() <= 1e-6 * np.abs(ours).max(), f"regression tree SQL: predictions within {np.abs(sql - ours).max():.2g}")

    # k-means
    persona("datasets", "generate", "customers", "--rows", 3000, "--seed", 7, "--out", "cust.csv")
    persona("datasets", "generate", "customers", "--rows", 1000, "--seed", 8, "--out", "cust-clean.csv")
    damage(persona.path("cust-clean.csv"), persona.path("cust-score.csv"),
           ["age", "income", "orders_12m", "avg_order_value", "web_visits_30d"], ["region", "preferred_channel", "gender"],
           ["loyalty_member"], seed=2)
    cust = pd.read_csv(persona.path("cust-score.csv"), dtype=str, keep_default_na=False)
    persona("train", "kmeans", "--data", "cust.csv", "--k", 5, "--seed", 3, "--out", "km.persona")
    persona("export", "km.persona", "--format", "onnx", "--out", "km.onnx")
    persona("score", "km.persona", "--data", "cust-score.csv", "--out", "km-scores.csv")
    ours = pd.read_csv(persona.path("km-scores.csv"))
    got = run_onnx(persona.path("km.onnx"), cust)
    check((got["segment"].ravel() == ours["segment"].to_numpy()).all(), f"k-means ONNX: segments identical on all {len(ours)} rows")
    diff = np.abs(got["distance"].ravel() - ours["distance"].to_numpy())
    check(diff.max() <= 1e-5 * max(1.0, ours["distance"].max()), f"k-means ONNX: distances within {diff.max():.2g}")

    # ALS: known users and one the model never saw (the popularity fallback)
    persona("datasets", "generate", "interactions", "--rows", 6000, "--seed", 4, "--out", "ratings.csv")
    persona("train", "als", "--data", "ratings.csv", "--user", "user_id", "--item", "item_id", "--rating", "rating",
            "--factors", 8, "--out", "als.persona")
    persona("export", "als.persona", "--format", "onnx", "--top", 5, "--out", "als.onnx")
    users = sorted(set(pd.read_csv(persona.path("ratings.csv"), dtype=str)["user_id"]))[:40] + ["nobody-like-this"]
    pd.DataFrame({"user_id": users}).to_csv(persona.path("users.csv"), index=False)
    persona("recommend", "als.persona", "--users", "users.csv", "--top", 5, "--out", "recs.csv")
    recs = pd.read_csv(persona.path("recs.csv"), dtype={"user": str, "item": str})
    onnx.checker.check_model(onnx.load(persona.path("als.onnx")), full_check=True)
    s = ort.InferenceSession(persona.path("als.onnx"), providers=["CPUExecutionProvider"])
    top_items, top_scores, _ = s.run(["top_items", "top_scores", "scores"], {"user_id": np.array(users, dtype=object)})
    same_items = diff_max = 0
    for i, u in enumerate(users):
        r = recs[recs["user"] == u].sort_values("rank")
        same_items += list(r["item"]) == list(top_items[i])
        diff_max = max(diff_max, np.abs(r["score"].to_numpy() - top_scores[i]).max() / max(1.0, np.abs(r["score"]).max()))
    check(same_items == len(users), f"ALS ONNX: the same top 5 items for {same_items} of {len(users)} users (one unknown)")
    check(diff_max <= 1e-5, f"ALS ONNX: scores within {diff_max:.2g} (relative)")

    # uplift: every learner and method, on campaign rows with missing and unseen values
    persona("datasets", "generate", "campaign", "--rows", 6000, "--seed", 31, "--out", "camp.csv")
    persona("datasets", "generate", "campaign", "--rows", 1500, "--seed", 32, "--out", "camp-clean.csv")
    camp_numeric = ["age", "tenure_months", "visits_30d", "pre_revenue"]
    damage(persona.path("camp-clean.csv"), persona.path("camp-score.csv"), camp_numeric, ["region", "plan"], ["email_opt_in"], seed=5)
    camp = pd.read_csv(persona.path("camp-score.csv"), dtype=str, keep_default_na=False)
    camp_db = sqlite_table(camp, camp_numeric + ["converted", "revenue", "true_uplift"])
    for learner, method in [("logreg", "two-model"), ("tree", "transformed-outcome"), ("gbdt", "two-model")]:
        name = f"uplift-{learner}"
        persona("train", "uplift", "--data", "camp.csv", "--treatment", "group", "--control", "control", "--outcome", "converted",
                "--exclude", "revenue,true_uplift", "--learner", learner, "--method", method, "--out", name + ".persona")
        persona("score", name + ".persona", "--data", "camp-score.csv", "--out", name + "-scores.csv")
        ours = pd.read_csv(persona.path(name + "-scores.csv"))
        persona("export", name + ".persona", "--format", "onnx", "--out", name + ".onnx")
        got = run_onnx(persona.path(name + ".onnx"), camp)
        diff = max(np.abs(got["uplift"][:, k] - ours[f"uplift_{t}"].to_numpy()).max() for k, t in enumerate(["offer_a", "offer_b"]))
        check(diff <= 1e-5, f"uplift ({learner}, {method}) ONNX: uplifts within {diff:.2g} on rows with missing and unseen values")
        # the choice is the largest of the uplifts and control's 0; only boosted trees are summed in Float32
        values = np.column_stack([ours[f"uplift_{t}"].to_numpy() for t in ["offer_a", "offer_b"]] + [np.zeros(len(ours))])
        tie = near_tie(values, np.column_stack([got["uplift"].astype(np.float64), np.zeros(len(ours))]))
        if learner == "gbdt":
            check_labels(f"uplift ({learner}, {method}) ONNX: best treatment", ours["best_treatment"], got["best_treatment"], tie,
                         "whose two largest uplifts (control's being 0) lie within Float32 rounding of each other (ONNX sums the trees in Float32)")
        else:
            check_labels(f"uplift ({learner}, {method}) ONNX: best treatment", ours["best_treatment"], got["best_treatment"])
        diff = np.abs(got["best_uplift"].ravel() - ours["best_uplift"].to_numpy()).max()
        check(got["best_uplift"].shape == (len(ours), 1) and diff <= 1e-5, f"uplift ({learner}, {method}) ONNX: best uplift within {diff:.2g}")
        persona("export", name + ".persona", "--format", "sql", "--table", "customers", "--out", name + ".sql")
        sql = run_sql(camp_db, persona.path(name + ".sql"))
        diff = max(np.abs(sql[f"uplift_{t}"].to_numpy(dtype=float) - ours[f"uplift_{t}"].to_numpy()).max() for t in ["offer_a", "offer_b"])
        check(diff <= 1e-6, f"uplift ({learner}, {method}) SQL in SQLite: uplifts within {diff:.2g}")
        check((sql["best_treatment"].to_numpy() == ours["best_treatment"].to_numpy()).all()
              and np.abs(sql["best_uplift"].to_numpy(dtype=float) - ours["best_uplift"].to_numpy()).max() <= 1e-6,
              f"uplift ({learner}, {method}) SQL: best treatment and its uplift identical")

    # the model card travels with the graph
    meta = {p.key: p.value for p in onnx.load(persona.path("lr.onnx")).metadata_props}
    check(meta.get("persona.kind") == "logreg" and "tenure_months" in meta.get("persona.inputs", "")
          and "probabilities" in meta.get("persona.outputs", ""), "ONNX metadata: kind, model card, inputs and outputs")
