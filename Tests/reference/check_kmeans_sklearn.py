"""k-means against scikit-learn on the same data and the same starting centres.

- `persona score`'s segments and distances against the model file's centres:
  every row in the segment of its nearest centre, at that distance.
- Assignments equal to scikit-learn's on every row, except rows whose two
  nearest centres are equally far within Float32 rounding (Persona computes in
  Float32, scikit-learn in Float64): those are counted and printed, any other
  difference fails.
- Persona's inertia, recomputed here as the sum of `persona score`'s squared
  distances, within 1e-4 relative of scikit-learn's, either way; `persona
  evaluate`'s inertia equal to that sum, and its silhouette, Davies-Bouldin and
  Calinski-Harabasz equal to scikit-learn's functions on Persona's labels.
- k-means++ from Persona's own seeding (best of 5) against scikit-learn's
  k-means++ (best of 5) on well-separated blobs: inertia within 0.1% either way.
  On such blobs every decent start converges to the same partition, so a lower
  inertia than scikit-learn's is as suspicious as a higher one.
"""
import numpy as np
import pandas as pd
from safetensors.numpy import load_file
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from common import Persona, check, parse_args, workdir

# Float32 rounding of a squared distance: a few units of 2^-24 of the squared
# norms involved (Persona sums Float32 products).
TIE = 1e-6


def scored(persona, model, data):
    persona("score", model, "--data", data, "--out", "s.csv", "--quiet")
    s = pd.read_csv(persona.path("s.csv"))
    return s["segment"].to_numpy(), s["distance"].to_numpy()


def check_against_centres(name, X, centres, segment, distance):
    """Each row's segment is its nearest centre (ties within Float32 rounding
    allowed) and its distance the distance to that centre."""
    sq = ((X[:, None, :] - centres[None, :, :].astype(np.float64)) ** 2).sum(axis=2)
    nearest = sq.argmin(axis=1)
    rows = np.arange(len(X))
    gap = sq[rows, segment] - sq[rows, nearest]
    scale = (X ** 2).sum(axis=1) + (centres.astype(np.float64) ** 2).sum(axis=1)[segment] + 1.0
    other = (segment != nearest) & (gap > TIE * scale)
    ties = int(((segment != nearest) & ~other).sum())
    d = np.sqrt(sq[rows, segment])
    err = np.abs(d - distance).max() / max(1.0, d.max())
    check(not other.any() and err <= 1e-6,
          f"{name}: every row in its nearest centre's segment ({ties} within Float32 rounding of a tie, "
          f"{int(other.sum())} not), distance within {err:.1g} of the model file's centres")


def check_assignments(name, X, ours, ref):
    """Persona's segments against scikit-learn's labels: equal on every row but
    those scikit-learn's own centres find equally near within Float32 rounding."""
    c = ref.cluster_centers_
    differ = np.flatnonzero(ours != ref.labels_)
    ties = 0
    for i in differ:
        a, b = ((X[i] - c[ours[i]]) ** 2).sum(), ((X[i] - c[ref.labels_[i]]) ** 2).sum()
        ties += abs(a - b) <= TIE * ((X[i] ** 2).sum() + (c[ours[i]] ** 2).sum() + 1.0)
    check(len(differ) == ties, f"{name}: assignments equal scikit-learn's on {len(X) - len(differ)} of {len(X)} rows; "
                               f"{ties} differ within Float32 rounding of a tie, {len(differ) - ties} otherwise")


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
        name = f"n={n} d={dim} k={k}"
        ours, distance = scored(persona, "m.safetensors", "data.csv")
        Xf = X.astype(np.float32).astype(np.float64)       # Persona reads numbers as Float32
        check_against_centres(name, Xf, load_file(persona.path("m.safetensors"))["centroids"], ours, distance)
        ref = KMeans(n_clusters=k, init=start, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd").fit(X)
        check_assignments(name, X, ours, ref)
        inertia = float((distance ** 2).sum())
        rel = (inertia - ref.inertia_) / ref.inertia_
        check(abs(rel) <= 1e-4, f"{name}: inertia (sum of squared distances) {inertia:.6g} vs scikit-learn {ref.inertia_:.6g} (relative {rel:+.2e})")
        ev = persona.json("evaluate", "m.safetensors", "--data", "data.csv", "--json", "--silhouette-sample", 100000)
        rel = abs(ev["inertia"] - inertia) / inertia
        check(rel <= 1e-6, f"{name}: persona evaluate's inertia {ev['inertia']:.8g} is the sum of persona score's squared distances (relative {rel:.1e})")
        if n <= 5000:
            sil = silhouette_score(X, ours)
            check(abs(ev["silhouette"] - sil) <= 1e-5, f"silhouette {ev['silhouette']:.7f} vs scikit-learn {sil:.7f}")
        db = davies_bouldin_score(X, ours)
        check(abs(ev["davies_bouldin"] - db) <= 1e-5 * max(1, db), f"Davies-Bouldin {ev['davies_bouldin']:.7f} vs scikit-learn {db:.7f}")
        ch = calinski_harabasz_score(X, ours)
        check(abs(ev["calinski_harabasz"] - ch) <= 1e-5 * ch, f"Calinski-Harabasz {ev['calinski_harabasz']:.6f} vs scikit-learn {ch:.6f}")

    # k-means++ from Persona's own seeding reaches the inertia of scikit-learn's
    # k-means++ (best of 5 seeds each) on well-separated blobs.
    rng = np.random.default_rng(7)
    centres = rng.normal(0, 6, size=(8, 5))
    X = np.round(centres[rng.integers(0, 8, 8000)] + rng.normal(0, 1, size=(8000, 5)), 5)
    pd.DataFrame(X, columns=[f"f{j}" for j in range(5)]).to_csv(persona.path("blobs.csv"), index=False)
    persona("train", "kmeans", "--data", "blobs.csv", "--k", 8, "--n-init", 5, "--seed", 1, "--no-scale", "--out", "pp.safetensors", "--quiet")
    _, distance = scored(persona, "pp.safetensors", "blobs.csv")
    ours = float((distance ** 2).sum())
    ev = persona.json("evaluate", "pp.safetensors", "--data", "blobs.csv", "--json", "--silhouette-sample", 2)["inertia"]
    check(abs(ev - ours) <= 1e-6 * ours, f"k-means++: persona evaluate's inertia {ev:.8g} is the sum of persona score's squared distances")
    ref = KMeans(n_clusters=8, n_init=5, random_state=1).fit(X).inertia_
    margin = 1e-3
    check(abs(ours - ref) <= margin * ref, f"k-means++ best of 5: inertia {ours:.6g} vs scikit-learn {ref:.6g} "
                                          f"({(ours - ref) / ref:+.2e} relative, margin ±{margin})")
