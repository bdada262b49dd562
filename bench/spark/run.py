#!/usr/bin/env python3
"""Scoring at scale: one churn file scored three ways, in one run.

Generates a churn file (10,000,000 rows by default), trains a logistic
regression on a 100,000-row sample and exports it to ONNX and to Spark SQL, then
  - persona score MODEL --data FILE --out scores.csv           (one process, every core)
  - persona-spark score --model M.onnx --data FILE --format csv (Spark local[2],
    ONNX Runtime in mapInPandas, one session and thread per Python worker)
  - Spark SQL local[2]: the CSV read with its schema, the exported SELECT, CSV out
each in its own process, alternating. Prints rows per second per core and the
peak memory of the whole process tree (Spark's JVM and its Python workers
summed, sampled every 0.2 s), checks that all three wrote the same
probabilities, and prints the ratios.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import generated, median, workdir  # noqa: E402

CORES = 2

SPARK_SQL = r"""
import sys, time
from pyspark.sql import SparkSession
from pyspark.sql import types as T
data, sql_path, out = sys.argv[1:4]
spark = SparkSession.builder.master("local[2]").appName("persona bench: Spark SQL").config("spark.ui.enabled", "false").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
text = ["customer_id", "contract", "plan", "region", "payment_method", "paperless_billing", "senior", "churned"]
header = open(data).readline().strip().split(",")
schema = T.StructType([T.StructField(c, T.StringType() if c in text else T.DoubleType()) for c in header])
spark.read.option("header", True).schema(schema).csv(data).createOrReplaceTempView("customers")
scored = spark.sql(open(sql_path).read().strip().rstrip(";"))
scored.select("customer_id", "probability", "predicted").write.option("header", True).csv(out)
spark.stop()
"""


def tree_rss(pid):
    """Resident memory of a process and all its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return total / 1024


def run(cmd, env=None):
    """Runs cmd; returns wall seconds and the peak RSS of its process tree."""
    start = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = [0.0]

    def sample():
        while p.poll() is None:
            peak[0] = max(peak[0], tree_rss(p.pid))
            time.sleep(0.2)

    t = threading.Thread(target=sample)
    t.start()
    out, err = p.communicate()
    t.join()
    wall = time.time() - start
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{err.decode()[-3000:]}")
    return {"wall": wall, "rss": peak[0]}


def read_scores(path):
    files = [path] if os.path.isfile(path) else sorted(glob.glob(os.path.join(path, "*.csv")))
    keep = lambda i: i % 97 != 0 if i > 0 else False  # noqa: E731
    return pd.concat(pd.read_csv(f, skiprows=keep, usecols=["customer_id", "probability"]) for f in files)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    data = generated(a.persona, work, "churn", a.rows, 1)
    sample = generated(a.persona, work, "churn", 100_000, 2)
    model = os.path.join(work, "churn.persona")
    graph = os.path.join(work, "churn.onnx")
    sql = os.path.join(work, "churn.spark.sql")
    subprocess.run([a.persona, "train", "logreg", "--data", sample, "--target", "churned", "--out", model, "-q"], check=True)
    subprocess.run([a.persona, "export", model, "--format", "onnx", "--out", graph, "-q"], check=True)
    subprocess.run([a.persona, "export", model, "--format", "sql", "--dialect", "spark", "--table", "customers", "--out", sql, "-q"], check=True)
    persona_spark = os.path.join(os.path.dirname(sys.executable), "persona-spark")
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_MASTER="local[2]")
    size = os.path.getsize(data) / 1e6
    print(f"{a.rows:,} rows ({size:.0f} MB), logistic regression, {CORES} cores for every engine")

    outs = {k: os.path.join(work, k) for k in ("persona.csv", "udf", "sql")}
    runs = {"Persona": [], "Spark + ONNX UDF": [], "Spark SQL": []}
    for i in range(a.repeat):
        for o in outs.values():
            shutil.rmtree(o, ignore_errors=True) if os.path.isdir(o) else (os.path.exists(o) and os.remove(o))
        runs["Persona"].append(run([a.persona, "score", model, "--data", data, "--out", outs["persona.csv"], "-q"]))
        runs["Spark + ONNX UDF"].append(run([persona_spark, "score", "--model", graph, "--data", data, "--out", outs["udf"],
                                             "--format", "csv", "--id", "customer_id"], env=env))
        runs["Spark SQL"].append(run([sys.executable, "-c", SPARK_SQL, data, sql, outs["sql"]], env=env))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.1f} s ({v[-1]['rss']:.0f} MB)" for k, v in runs.items()), flush=True)

    ours = read_scores(outs["persona.csv"]).sort_values("customer_id").reset_index(drop=True)
    gaps = {}
    for k, o in (("Spark + ONNX UDF", outs["udf"]), ("Spark SQL", outs["sql"])):
        theirs = read_scores(o).sort_values("customer_id").reset_index(drop=True)
        both = ours.merge(theirs, on="customer_id", suffixes=("", "_peer"))
        gaps[k] = float(np.abs(both["probability"] - both["probability_peer"]).max()) if len(both) else float("nan")

    print()
    print(f"{'':20}{'wall (s)':>10}{'rows/s/core':>14}{'peak MB':>10}{'vs Persona':>12}")
    base = median(runs["Persona"], "wall")
    for k, v in runs.items():
        wall, rss = median(v, "wall"), median(v, "rss")
        print(f"{k:20}{wall:>10.1f}{a.rows / wall / CORES:>14,.0f}{rss:>10.0f}{wall / base:>11.1f}x")
    print("largest probability difference from persona score (rows sampled and joined on customer_id): "
          + ", ".join(f"{k} {g:.2g}" for k, g in gaps.items()))


if __name__ == "__main__":
    main()
