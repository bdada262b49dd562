"""ALS against the `implicit` library on the same data and hyperparameters
(factors, regularisation, alpha, iterations): precision@10 and NDCG@10 of the
top-10 lists (seen items excluded) within 2% relative either way, both scored by
the same code here from the lists (`persona recommend`'s for Persona); implicit
is the mean of three seeds, and the same algorithm from another start lands
that close on either side. `persona evaluate`'s precision, recall, NDCG, MAP
at 10 and coverage must equal the same definitions (Metrics/Ranking.swift)
computed here from `persona recommend`'s lists."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares

from common import Persona, check, parse_args, workdir

args = parse_args()


def metrics(lists, relevant, k=10):
    return all_metrics(lists, relevant, k)[:2]


def all_metrics(lists, relevant, k=10):
    """precision@k = hits / k, recall@k = hits / |R|, NDCG@k = sum over hits of
    1/log2(rank + 1) over the ideal, MAP@k = sum over hits of precision at the
    hit's rank / min(k, |R|), each averaged over users."""
    p = n = r = m = 0.0
    for items, rel in zip(lists, relevant):
        hits = [1 if i in rel else 0 for i in items[:k]]
        p += sum(hits) / k
        r += sum(hits) / len(rel)
        dcg = sum(h / np.log2(j + 2) for j, h in enumerate(hits))
        idcg = sum(1 / np.log2(j + 2) for j in range(min(k, len(rel))))
        n += dcg / idcg
        m += sum(np.cumsum(hits)[j] / (j + 1) for j, h in enumerate(hits) if h) / min(k, len(rel))
    u = len(lists)
    return p / u, n / u, r / u, m / u


with workdir() as d:
    persona = Persona(args.persona, d)
    persona("datasets", "generate", "interactions", "--rows", 60000, "--seed", 8, "--out", "i.csv")
    persona("split", "interactions", "--data", "i.csv", "--by", "user", "--user", "user_id", "--test-fraction", 0.2, "--seed", 2,
            "--train-out", "tr.csv", "--test-out", "te.csv")
    factors, reg, alpha, iterations = 8, 0.1, 1.0, 15
    persona("train", "als", "--data", "tr.csv", "--user", "user_id", "--item", "item_id", "--rating", "rating", "--implicit",
            "--factors", factors, "--reg", reg, "--alpha", alpha, "--iterations", iterations, "--out", "m.safetensors", "--quiet")
    tr, te = pd.read_csv(persona.path("tr.csv")), pd.read_csv(persona.path("te.csv"))
    users = {u: i for i, u in enumerate(tr.user_id.unique())}
    items = {it: i for i, it in enumerate(tr.item_id.unique())}
    unknown = te.user_id[~te.user_id.isin(users)].nunique()
    te = te[te.user_id.isin(users)]
    relevant = te.groupby("user_id").item_id.apply(set)
    pd.DataFrame({"user_id": relevant.index}).to_csv(persona.path("users.csv"), index=False)
    persona("recommend", "m.safetensors", "--users", "users.csv", "--top", 10, "--exclude-seen", "--out", "recs.csv", "--quiet")
    recs = pd.read_csv(persona.path("recs.csv")).groupby("user", sort=False).item.apply(list)
    ours = metrics([recs[u] for u in relevant.index], list(relevant))
    ev = persona.json("evaluate", "m.safetensors", "--data", "te.csv", "--json", "--k", 10)
    precision, ndcg, recall, mapk = all_metrics([recs[u] for u in relevant.index], list(relevant))
    coverage = len(set().union(*(recs[u] for u in relevant.index))) / tr.item_id.nunique()
    want = {"precision_at_k": precision, "recall_at_k": recall, "ndcg_at_k": ndcg, "map_at_k": mapk, "coverage": coverage,
            "users": len(relevant), "unknown_users": unknown}
    wrong = [f"{key} {ev[key]!r} vs {float(v)!r}" for key, v in want.items() if abs(ev[key] - v) > 1e-9]
    check(not wrong, f"persona evaluate's {', '.join(want)} equal the same metrics of persona recommend's lists for the "
                     f"{len(relevant)} test users" + ("; differ: " + "; ".join(wrong) if wrong else ""))
    # implicit: confidence 1 + alpha * r given directly (its own alpha multiplies the matrix).
    conf = sp.csr_matrix(((1 + alpha * tr.rating).astype(np.float32), (tr.user_id.map(users), tr.item_id.map(items))),
                         shape=(len(users), len(items)))
    inverse = {i: it for it, i in items.items()}
    scores = []
    for seed in [0, 1, 2]:
        model = AlternatingLeastSquares(factors=factors, regularization=reg, alpha=1.0, iterations=iterations, random_state=seed)
        model.fit(conf, show_progress=False)
        uids = np.array([users[u] for u in relevant.index])
        ids, _ = model.recommend(uids, conf[uids], N=10, filter_already_liked_items=True)
        scores.append(metrics([[inverse[i] for i in row] for row in ids], list(relevant)))
    ref = np.mean(scores, axis=0)
    for name, a, b in [("precision@10", ours[0], ref[0]), ("NDCG@10", ours[1], ref[1])]:
        rel = (a - b) / b
        check(abs(rel) <= 0.02, f"{name}: Persona {a:.4f} vs implicit {b:.4f} (mean of 3 seeds), {rel:+.1%} relative")
