"""Uplift models: Persona's Qini and uplift AUC, uplift at k and by percentile against scikit-uplift's
on Persona's own scores, and recovery of the generator's known treatment effect."""
import warnings

import numpy as np
import pandas as pd
from sklift.metrics import qini_auc_score, uplift_at_k, uplift_auc_score, uplift_by_percentile

from common import Persona, check, parse_args, workdir

warnings.simplefilter("ignore", FutureWarning)
args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    persona("datasets", "generate", "campaign", "--rows", 30000, "--seed", 21, "--out", "train.csv")
    persona("datasets", "generate", "campaign", "--rows", 15000, "--seed", 22, "--out", "test.csv")
    test = pd.read_csv(persona.path("test.csv"))
    for learner, method in [("gbdt", "two-model"), ("logreg", "two-model"), ("tree", "transformed-outcome")]:
        model = f"uplift-{learner}-{method}.safetensors"
        persona("train", "uplift", "--data", "train.csv", "--treatment", "group", "--control", "control", "--outcome", "converted",
                "--exclude", "revenue,true_uplift", "--learner", learner, "--method", method, "--seed", 3, "--out", model)
        persona("score", model, "--data", "test.csv", "--id", "customer_id", "--out", f"scores-{learner}.csv")
        scores = pd.read_csv(persona.path(f"scores-{learner}.csv"))
        check((scores.customer_id == test.customer_id).all(), f"{learner} {method}: one score per row, in order")
        ev = persona.json("evaluate", model, "--data", "test.csv", "--json")
        for t in ev["treatments"]:
            name = t["name"]
            rows = test.group.isin([name, "control"]).to_numpy()
            y = test.converted.to_numpy()[rows]
            treated = (test.group.to_numpy()[rows] == name).astype(int)
            u = scores[f"uplift_{name}"].to_numpy()[rows]
            q, a = qini_auc_score(y, u, treated), uplift_auc_score(y, u, treated)
            k = uplift_at_k(y, u, treated, strategy="overall", k=0.3)
            check(abs(t["qini_auc"] - q) < 1e-6 and abs(t["uplift_auc"] - a) < 1e-6 and abs(t["uplift_at_k"] - k) < 1e-9,
                  f"{learner} {method}, {name}: Qini AUC {q:.5f}, uplift AUC {a:.5f}, uplift at 30% {k:.5f} as scikit-uplift")
            pct = uplift_by_percentile(y, u, treated, strategy="overall", bins=10)
            ours = [b["uplift"] for b in t["deciles"]]
            check(np.allclose(ours, pct["uplift"].to_numpy(), atol=1e-12), f"{learner} {method}, {name}: uplift by decile as scikit-uplift")
        corr = np.corrcoef(scores.uplift_offer_a, test.true_uplift)[0, 1]
        floor = {"gbdt": 0.8, "logreg": 0.7, "tree": 0.5}[learner]
        check(corr > floor, f"{learner} {method}: predicted uplift of offer_a follows the known effect (correlation {corr:.3f} > {floor})")
        best = scores.best_treatment.value_counts().to_dict()
        check(set(best) <= {"control", "offer_a", "offer_b"}, f"{learner} {method}: best treatments {best}")
