"""persona-spark against `persona score` and `persona recommend`, row by row.

Run with PERSONA set to the persona binary:
    PERSONA=.build/debug/persona python -m unittest discover integrations/spark/tests
One local[2] Spark session serves the DataFrame tests; the console script runs
in its own processes, as a user runs it.

Numbers must agree within 1e-6 (distances 1e-5) and labels, segments and
deciles on every row. The one exception is boosted trees, which ONNX sums in
Float32: a label or decile may differ on a row whose probability lies within
that row's ONNX-versus-Persona difference, widened by one Float32 step, of the
threshold or a decile's edge. Such rows are counted and printed; any other
difference fails. Without PERSONA the module prints a line starting with SKIP:
and is skipped.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import pandas as pd

PERSONA = os.environ.get("PERSONA")
spark = None
work = None


def persona(*args):
    p = subprocess.run([PERSONA, *map(str, args)], cwd=work, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"persona {' '.join(map(str, args))} failed:\n{p.stderr}")
    return p.stdout


def path(name):
    return os.path.join(work, name)


def damage(src, dst, numeric, categorical, boolean, seed):
    """Blanks some numbers, makes some categories missing or unseen, some yes/no missing."""
    rng = np.random.default_rng(seed)
    f = pd.read_csv(src, dtype=str, keep_default_na=False)
    for c in numeric:
        f.loc[rng.random(len(f)) < 0.08, c] = ""
    for c in categorical:
        u = rng.random(len(f))
        f.loc[u < 0.05, c] = "NA"
        f.loc[(u >= 0.05) & (u < 0.10), c] = "never-seen"
    for c in boolean:
        f.loc[rng.random(len(f)) < 0.05, c] = ""
    f.to_csv(dst, index=False)


def setUpModule():
    global spark, work
    if not PERSONA:
        print("SKIP: integrations/spark/tests: PERSONA is not set (set it to the persona binary)", flush=True)
        raise unittest.SkipTest("set PERSONA to the persona binary")
    # the workers run this interpreter, which has persona_spark installed
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    work = tempfile.mkdtemp(prefix="persona-spark-test-")
    spark = (SparkSession.builder.master("local[2]").appName("persona-spark tests")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    churn_numeric = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "usage_gb", "usage_change"]
    persona("datasets", "generate", "churn", "--rows", 4000, "--seed", 41, "--out", "train.csv")
    persona("datasets", "generate", "churn", "--rows", 1500, "--seed", 42, "--out", "clean.csv")
    damage(path("clean.csv"), path("score.csv"), churn_numeric, ["contract", "plan", "region", "payment_method"],
           ["paperless_billing"], seed=1)
    persona("datasets", "generate", "customers", "--rows", 3000, "--seed", 43, "--out", "cust.csv")
    persona("datasets", "generate", "customers", "--rows", 1000, "--seed", 44, "--out", "cust-clean.csv")
    damage(path("cust-clean.csv"), path("cust-score.csv"), ["age", "income"], ["region", "preferred_channel"], ["loyalty_member"], seed=2)


def tearDownModule():
    if spark is not None:
        spark.stop()
    if work:
        shutil.rmtree(work, ignore_errors=True)


def train(name, *args, data="train.csv", score_data="score.csv"):
    persona("train", *args, "--data", data, "--out", name + ".persona")
    persona("export", name + ".persona", "--format", "onnx", "--out", name + ".onnx")
    persona("score", name + ".persona", "--data", score_data, "--out", name + "-scores.csv")
    return pd.read_csv(path(name + "-scores.csv"), dtype={"predicted": str, "customer_id": str})


def text_frame(csv):
    """The file as Spark reads a CSV without a schema: every column text."""
    return spark.read.option("header", True).csv(path(csv))


def typed_frame(csv, boolean):
    """The file with real types: numbers as doubles, the yes/no column as BOOLEAN."""
    from pyspark.sql import functions as F
    df = spark.read.option("header", True).option("inferSchema", True).csv(path(csv))
    for c in boolean:
        v = F.lower(F.col(c).cast("string"))
        df = df.withColumn(c, F.when(v.isin("yes", "true", "1"), True).when(v.isin("no", "false", "0"), False))
    return df


def near_edge(ours, got, edges):
    """Rows where some edge (a threshold, a decile's cut point) lies between
    Persona's value and ONNX's, widened by one Float32 step of the edge: where
    Float32 arithmetic can put the row on the other side."""
    lo, hi = np.minimum(ours, got)[:, None], np.maximum(ours, got)[:, None]
    e = np.asarray(edges, dtype=np.float64)[None, :]
    step = np.spacing(np.abs(e.astype(np.float32))).astype(np.float64)
    return ((lo - step <= e) & (e <= hi + step)).any(axis=1)


class Parity(unittest.TestCase):
    def assert_same(self, ours, got, numbers, labels, key="customer_id", tol=1e-6, float32_edges=None):
        """Numbers within tol (relative to the largest), labels equal on every row.
        float32_edges maps a label column to (the number column it is cut from,
        its edges): rows near an edge may differ, and are counted and printed."""
        got = got.toPandas() if hasattr(got, "toPandas") else got
        self.assertEqual(len(got), len(ours))
        both = ours.merge(got, on=key, suffixes=("", "_spark"))
        self.assertEqual(len(both), len(ours), "every row joins on the id")
        for c in numbers:
            a, b = both[c].to_numpy(float), both[c + "_spark"].to_numpy(float)
            scale = max(1.0, np.abs(a).max())
            self.assertLessEqual(np.abs(a - b).max() / scale, tol, c)
        for c in labels:
            differ = both[c].astype(str).to_numpy() != both[c + "_spark"].astype(str).to_numpy()
            allowed = np.zeros(len(both), bool)
            if float32_edges and c in float32_edges:
                value, edges = float32_edges[c]
                allowed = near_edge(both[value].to_numpy(float), both[value + "_spark"].to_numpy(float), edges)
                print(f"\n{self.id()}: {c} equal on all {len(both)} rows but {int((differ & allowed).sum())} within Float32 "
                      f"rounding of an edge (ONNX sums the trees in Float32)", flush=True)
            self.assertEqual(int((differ & ~allowed).sum()), 0,
                             f"{c}: {int((differ & ~allowed).sum())} of {len(both)} rows differ"
                             + (" away from any Float32 edge" if float32_edges and c in float32_edges else ""))

    def test_logreg_text_and_typed_columns(self):
        from persona_spark import score_dataframe
        ours = train("lr", "logreg", "--target", "churned")
        self.assertEqual(list(ours.columns), ["customer_id", "probability", "predicted", "risk_decile"])
        for df in [text_frame("score.csv"), typed_frame("score.csv", ["paperless_billing", "senior"])]:
            got = score_dataframe(df, path("lr.onnx"))
            self.assertEqual(got.columns, list(ours.columns))
            self.assert_same(ours, got, ["probability"], ["predicted", "risk_decile"])

    def test_tree_classification_and_regression(self):
        from persona_spark import score_dataframe
        ours = train("tree", "tree", "--target", "churned", "--max-depth", 8)
        got = score_dataframe(text_frame("score.csv"), path("tree.onnx"))
        self.assertEqual(got.columns, list(ours.columns))
        self.assert_same(ours, got, [c for c in ours.columns if c.startswith("probability_")], ["predicted"])
        ours = train("reg", "tree", "--target", "monthly_charges", "--task", "regression", "--exclude", "customer_id,total_charges")
        got = score_dataframe(typed_frame("score.csv", ["paperless_billing", "senior"]), path("reg.onnx"))
        self.assert_same(ours, got, ["predicted"], [])

    def test_gbdt(self):
        from persona_spark import score_dataframe
        ours = train("gbdt", "gbdt", "--target", "churned", "--trees", 40, "--early-stopping-rounds", 0)
        got = score_dataframe(text_frame("score.csv"), path("gbdt.onnx"))
        self.assertEqual(got.columns, list(ours.columns))
        # ONNX sums the trees in Float32: a probability within Float32 rounding of the threshold or of
        # a decile's edge may land on the other side; every other row must agree
        from safetensors.numpy import load_file
        cuts = load_file(path("gbdt.persona"))["risk_cut_points"]
        self.assert_same(ours, got, ["probability"], ["predicted", "risk_decile"],
                         float32_edges={"predicted": ("probability", [0.5]), "risk_decile": ("probability", cuts)})

    def test_kmeans_with_segment_names(self):
        from persona_spark import score_dataframe
        persona("train", "kmeans", "--data", "cust.csv", "--k", 5, "--seed", 3, "--out", "km.persona")
        persona("label", "km.persona", "--segment", 2, "--name", "Loyal big spenders")
        persona("export", "km.persona", "--format", "onnx", "--out", "km.onnx")
        persona("score", "km.persona", "--data", "cust-score.csv", "--out", "km-scores.csv")
        ours = pd.read_csv(path("km-scores.csv"), dtype={"customer_id": str, "segment_name": str}, keep_default_na=False)
        got = score_dataframe(typed_frame("cust-score.csv", ["loyalty_member"]), path("km.onnx")).toPandas()
        self.assertEqual(list(got.columns), list(ours.columns))
        got["segment_name"] = got["segment_name"].fillna("")
        self.assert_same(ours, got, ["distance"], ["segment", "segment_name"], tol=1e-5)

    def test_uplift(self):
        from persona_spark import score_dataframe
        persona("datasets", "generate", "campaign", "--rows", 5000, "--seed", 45, "--out", "camp.csv")
        persona("datasets", "generate", "campaign", "--rows", 800, "--seed", 46, "--out", "camp-score.csv")
        ours = train("uplift", "uplift", "--treatment", "group", "--control", "control", "--outcome", "converted",
                     "--exclude", "revenue,true_uplift", data="camp.csv", score_data="camp-score.csv")
        got = score_dataframe(text_frame("camp-score.csv"), path("uplift.onnx"))
        self.assertEqual(got.columns, list(ours.columns))
        self.assert_same(ours, got, ["uplift_offer_a", "uplift_offer_b", "best_uplift"], ["best_treatment"])

    def test_als_top_items(self):
        from persona_spark import recommend_dataframe
        persona("datasets", "generate", "interactions", "--rows", 6000, "--seed", 47, "--out", "ratings.csv")
        persona("train", "als", "--data", "ratings.csv", "--user", "user_id", "--item", "item_id", "--rating", "rating",
                "--factors", 8, "--out", "als.persona")
        persona("export", "als.persona", "--format", "onnx", "--top", 5, "--out", "als.onnx")
        users = sorted(set(pd.read_csv(path("ratings.csv"), dtype=str)["user_id"]))[:30] + ["nobody-like-this"]
        pd.DataFrame({"user_id": users}).to_csv(path("users.csv"), index=False)
        persona("recommend", "als.persona", "--users", "users.csv", "--top", 5, "--out", "recs.csv")
        ours = pd.read_csv(path("recs.csv"), dtype={"user": str, "item": str})
        got = recommend_dataframe(spark.createDataFrame(pd.DataFrame({"user_id": users})), path("als.onnx")).toPandas()
        self.assertEqual(list(got.columns), ["user", "item", "rank", "score"])
        both = ours.merge(got, on=["user", "rank"], suffixes=("", "_spark"))
        self.assertEqual(len(both), len(ours))
        self.assertTrue((both["item"] == both["item_spark"]).all())
        self.assertLessEqual(np.abs(both["score"] - both["score_spark"]).max(), 1e-5 * max(1.0, both["score"].abs().max()))

    def test_errors_name_the_column(self):
        from persona_spark import ModelError, score_dataframe
        if not os.path.exists(path("lr.onnx")):
            train("lr", "logreg", "--target", "churned")
        df = text_frame("score.csv")
        with self.assertRaisesRegex(ModelError, "no column 'tenure_months'"):
            score_dataframe(df.drop("tenure_months"), path("lr.onnx"))
        from pyspark.sql import functions as F
        with self.assertRaisesRegex(ModelError, "'tenure_months' is array<string>"):
            score_dataframe(df.withColumn("tenure_months", F.array(F.lit("1"))), path("lr.onnx"))
        bad = df.withColumn("usage_gb", F.when(F.col("customer_id") == F.lit(df.first()["customer_id"]), F.lit("lots")).otherwise(F.col("usage_gb")))
        with self.assertRaises(Exception) as caught:
            score_dataframe(bad, path("lr.onnx")).collect()
        self.assertIn("column 'usage_gb': 'lots' is not a number", str(caught.exception))
        with open(path("truncated.onnx"), "wb") as f:
            f.write(open(path("lr.onnx"), "rb").read()[:500])
        with self.assertRaisesRegex(ModelError, "not a readable ONNX model"):
            score_dataframe(df, path("truncated.onnx"))


class ConsoleScript(unittest.TestCase):
    def run_cli(self, *args):
        exe = os.path.join(os.path.dirname(sys.executable), "persona-spark")
        return subprocess.run([exe, *map(str, args)], cwd=work, capture_output=True, text=True, timeout=600)

    def test_score_csv_folder_to_parquet_and_parquet_to_csv(self):
        if not os.path.exists(path("lr.onnx")):
            train("lr", "logreg", "--target", "churned")
        ours = pd.read_csv(path("lr-scores.csv"), dtype={"predicted": str, "customer_id": str})
        # a folder of CSV part files in, Parquet parts out
        os.makedirs(path("parts"), exist_ok=True)
        frame = pd.read_csv(path("score.csv"), dtype=str, keep_default_na=False)
        for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
            frame.iloc[part].to_csv(path(f"parts/part-{i:05d}.csv"), index=False)
        p = self.run_cli("score", "--model", "lr.onnx", "--data", "parts", "--out", "scored")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = pd.read_parquet(path("scored"))
        Parity().assert_same(ours, got, ["probability"], ["predicted", "risk_decile"])
        # Parquet in (what Spark just wrote, plus ids), CSV out
        spark.read.option("header", True).csv(path("score.csv")).write.parquet(path("score-parquet"))
        p = self.run_cli("score", "--model", "lr.onnx", "--data", "score-parquet", "--out", "scored-csv", "--format", "csv", "--id", "customer_id")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = pd.concat(pd.read_csv(os.path.join(path("scored-csv"), f), dtype={"predicted": str, "customer_id": str})
                        for f in sorted(os.listdir(path("scored-csv"))) if f.endswith(".csv"))
        Parity().assert_same(ours, got, ["probability"], ["predicted", "risk_decile"])
        # refusals: an existing output, the output onto the input, a missing model; nothing written
        p = self.run_cli("score", "--model", "lr.onnx", "--data", "parts", "--out", "scored")
        self.assertEqual(p.returncode, 1)
        self.assertIn("already exists", p.stderr)
        p = self.run_cli("score", "--model", "lr.onnx", "--data", "parts", "--out", "parts")
        self.assertEqual(p.returncode, 1)
        p = self.run_cli("score", "--model", "nope.onnx", "--data", "parts", "--out", "never")
        self.assertEqual(p.returncode, 1)
        self.assertIn("nope.onnx", p.stderr)
        self.assertFalse(os.path.exists(path("never")))


if __name__ == "__main__":
    unittest.main()
