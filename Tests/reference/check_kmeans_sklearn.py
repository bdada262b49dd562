"""k-means against scikit-learn on the same data and the same starting centres:
at least 99.9% identical assignments and inertia within 1e-4 relative; and the
clustering metrics against scikit-learn's on Persona's labels."""
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from common import Persona, check, parse_args, workdir

args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    for seed, (n, dim, k) in enumerate([(20000, 8, 6), (12000, 20, 12), (5000, 3, 4)]):
        rng = np.random.default_rng(100 + seed)
        true_centres = rng.normal(0, 4, size=(k, dim))
        X = true_centres[rng.integers(0, k, n)] + rng.normal(0, 1.5, size=(n, dim))
        X = np.round(X, 5)
        cols = [f"f{j}" for j in range(dim)]
        pd.DataFrame(X, columns=cols).to_csv(persona.path("data.csv"), index=False)
        start = X[rng.choice(n, k, replace=False)]
        pd.DataFrame(start, columns=cols).to_csv(persona.path("init.csv"), index=False)
        persona("train", "kmeans", "--data", "data.csv", "--k", k, "--init", "init.csv", "--no-scale",
                "--max-iter", 300, "--tol", 1e-4, "--out", "m.safetensors", "--quiet")
        persona("score", "m.safetensors", "--data", "data.csv", "--out", "s.csv", "--quiet")
        ours = pd.read_csv(persona.path("s.csv"))["segment"].to_numpy()
        ref = KMeans(n_clusters=k, init=start, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd").fit(X)
        agree = float(np.mean(ours == ref.labels_))
        check(agree >= 0.999, f"n={n} d={dim} k={k}: assignments agree with scikit-learn on {agree:.5%} of rows")
        ev = persona.json("evaluate", "m.safetensors", "--data", "data.csv", "--json", "--silhouette-sample", 100000)
        rel = abs(ev["inertia"] - ref.inertia_) / ref.inertia_
        check(rel <= 1e-4, f"n={n} d={dim} k={k}: inertia {ev['inertia']:.6g} vs scikit-learn {ref.inertia_:.6g} (relative {rel:.2e})")
        if n <= 5000:
            sil = silhouette_score(X, ours)
            check(abs(ev["silhouette"] - sil) <= 1e-5, f"silhouette {ev['silhouette']:.7f} vs scikit-learn {sil:.7f}")
        db = davies_bouldin_score(X, ours)
        check(abs(ev["davies_bouldin"] - db) <= 1e-5 * max(1, db), f"Davies-Bouldin {ev['davies_bouldin']:.7f} vs scikit-learn {db:.7f}")
        ch = calinski_harabasz_score(X, ours)
        check(abs(ev["calinski_harabasz"] - ch) <= 1e-5 * ch, f"Calinski-Harabasz {ev['calinski_harabasz']:.6f} vs scikit-learn {ch:.6f}")

    # k-means++ from Persona's own seeding reaches an inertia as good as scikit-learn's
    # k-means++ (best of 5 seeds each) on well-separated blobs.
    rng = np.random.default_rng(7)
    centres = rng.normal(0, 6, size=(8, 5))
    X = np.round(centres[rng.integers(0, 8, 8000)] + rng.normal(0, 1, size=(8000, 5)), 5)
    pd.DataFrame(X, columns=[f"f{j}" for j in range(5)]).to_csv(persona.path("blobs.csv"), index=False)
    persona("train", "kmeans", "--data", "blobs.csv", "--k", 8, "--n-init", 5, "--seed", 1, "--no-scale", "--out", "pp.safetensors", "--quiet")
    ours = persona.json("evaluate", "pp.safetensors", "--data", "blobs.csv", "--json", "--silhouette-sample", 2)["inertia"]
    ref = KMeans(n_clusters=8, n_init=5, random_state=1).fit(X).inertia_
    check(ours <= ref * 1.001, f"k-means++ best of 5: inertia {ours:.6g} vs scikit-learn {ref:.6g}")
