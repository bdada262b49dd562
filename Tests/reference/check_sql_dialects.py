"""Every SQL dialect of `persona export --format sql`, run in its real engine,
against `persona score` on the same rows with missing and unseen values.

SQLite (Python's sqlite3), DuckDB (PyPI), PostgreSQL (Debian's server, started
by scripts/postgres.sh in a private folder and stopped at the end) and Spark SQL
(pyspark in local mode). Each engine gets the rows as typed columns: numbers as
doubles with NULL for missing, categories as text (missing markers and unseen
values as written), the yes/no column as a real BOOLEAN where the engine has
one (text in SQLite). Probabilities, uplifts and distances must agree within
1e-6, labels and segments exactly, for logistic regression, a classification
and a regression tree, gradient boosting, a random forest, k-means and an
uplift model.

Association rules export a script (the rule tables, then one query over the
open baskets, a two-column text table): each engine's suggestions must be
persona score --top 5's rows, the same (basket_id, rank, item), confidence and
lift within 1e-9, the antecedent's text identical, with item names that need
escaping and ties broken by item name in byte order, also in a PostgreSQL
database whose text sorts in en-US (ICU) order, as a production database's
usually does, and not in byte order like the test server's C locale.
"""
import os
import sqlite3
import subprocess
import tempfile
import time

import duckdb
import numpy as np
import pandas as pd

from common import CHURN_NUMERIC, MISSING, Persona, check, damage, parse_args, workdir

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
YES, NO = {"yes", "y", "true", "t", "1"}, {"no", "n", "false", "f", "0"}


def typed_rows(frame, numeric, boolean):
    """The frame's cells as Python values: floats or None, True/False/None, text."""
    cols = ["row_id"] + list(frame.columns)
    kinds = ["int"] + ["num" if c in numeric else "bool" if c in boolean else "text" for c in frame.columns]
    rows = []
    for i, r in enumerate(frame.itertuples(index=False)):
        out = [i]
        for c, v in zip(frame.columns, r):
            if c in numeric:
                out.append(None if v in MISSING else float(v))
            elif c in boolean:
                s = v.strip().lower()
                out.append(True if s in YES else False if s in NO else None)
            else:
                out.append(v)
        rows.append(out)
    return cols, kinds, rows


class Engines:
    def __init__(self, pg_conninfo, warehouse):
        self.pg = __import__("psycopg").connect(pg_conninfo, autocommit=True)
        self.pg_en_us = None
        from pyspark.sql import SparkSession
        # the rule tables an export creates are written under the warehouse folder
        self.spark = (SparkSession.builder.master("local[2]").appName("persona-sql-dialects")
                      .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                      .config("spark.sql.warehouse.dir", warehouse).getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")

    def load(self, table, cols, kinds, rows):
        """One table of the same rows in every engine."""
        self.sqlite = sqlite3.connect(":memory:")
        sqlite_type = {"int": "INTEGER", "num": "REAL", "bool": "TEXT", "text": "TEXT"}
        self.sqlite.execute(f"CREATE TABLE {table} (" + ", ".join(f'"{c}" {sqlite_type[k]}' for c, k in zip(cols, kinds)) + ")")
        as_text = [[("yes" if v else "no") if k == "bool" and v is not None else v for v, k in zip(r, kinds)] for r in rows]
        self.sqlite.executemany(f"INSERT INTO {table} VALUES (" + ", ".join("?" for _ in cols) + ")", as_text)

        sql_type = {"int": "BIGINT", "num": "DOUBLE PRECISION", "bool": "BOOLEAN", "text": "TEXT"}
        ddl = ", ".join(f'"{c}" {sql_type[k]}' for c, k in zip(cols, kinds))
        self.duck = duckdb.connect()
        self.duck.execute(f"CREATE TABLE {table} ({ddl})")
        self.duck.executemany(f"INSERT INTO {table} VALUES (" + ", ".join("?" for _ in cols) + ")", rows)

        for pg in [self.pg] + ([self.pg_en_us] if self.pg_en_us else []):
            pg.execute(f"DROP TABLE IF EXISTS {table}")
            pg.execute(f"CREATE TABLE {table} ({ddl})")
            with pg.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)

        from pyspark.sql.types import BooleanType, DoubleType, LongType, StringType, StructField, StructType
        spark_type = {"int": LongType(), "num": DoubleType(), "bool": BooleanType(), "text": StringType()}
        schema = StructType([StructField(c, spark_type[k], True) for c, k in zip(cols, kinds)])
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(table)

    def run(self, dialect, sql_text):
        query = "SELECT * FROM (" + sql_text.strip().rstrip(";") + ") AS persona_export ORDER BY row_id"
        if dialect == "sqlite":
            cur = self.sqlite.execute(query)
            return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        if dialect == "duckdb":
            return self.duck.execute(query).fetchdf()
        if dialect == "postgres":
            cur = self.pg.execute(query)
            return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
        return self.spark.sql(query).toPandas()

    def en_us(self, pg_conninfo):
        """A second PostgreSQL database on the same server whose text sorts in en-US order; load() fills it too."""
        import psycopg
        self.pg.execute("DROP DATABASE IF EXISTS persona_en_us")
        self.pg.execute("CREATE DATABASE persona_en_us TEMPLATE template0 LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
        self.pg_en_us = psycopg.connect(psycopg.conninfo.make_conninfo(pg_conninfo, dbname="persona_en_us"), autocommit=True)

    def script(self, dialect, sql_text, en_us=False):
        """Runs an export's statements (separated by ";\n") in order; the last one's rows."""
        *setup, query = [s for s in sql_text.split(";\n") if s.strip()]
        query = query.strip().rstrip(";")
        if dialect == "sqlite":
            for s in setup:
                self.sqlite.execute(s)
            cur = self.sqlite.execute(query)
            return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        if dialect == "duckdb":
            for s in setup:
                self.duck.execute(s)
            return self.duck.execute(query).fetchdf()
        if dialect == "postgres":
            pg = self.pg_en_us if en_us else self.pg
            for s in setup:
                pg.execute(s)
            cur = pg.execute(query)
            return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
        for s in setup:
            self.spark.sql(s)
        return self.spark.sql(query).toPandas()


DIALECTS = [("sqlite", "SQLite"), ("duckdb", "DuckDB"), ("postgres", "PostgreSQL"), ("spark", "Spark SQL")]


def compare(persona, engines, model, name, numbers, labels, rel=False):
    ours = pd.read_csv(persona.path(name + "-scores.csv"), dtype={c: str for c in labels})
    for dialect, engine in DIALECTS:
        path = f"{name}.{dialect}.sql"
        persona("export", model, "--format", "sql", "--table", "customers", "--dialect", dialect, "--out", path)
        start = time.time()
        got = engines.run(dialect, open(persona.path(path)).read())
        took = time.time() - start
        ok = len(got) == len(ours)
        worst = 0.0
        for c in numbers:
            a = got[c].to_numpy(dtype=float)
            b = ours[c].to_numpy(dtype=float)
            scale = max(1.0, np.abs(b).max()) if rel else 1.0
            worst = max(worst, np.abs(a - b).max() / scale)
        same = all((got[c].astype(str).to_numpy() == ours[c].astype(str).to_numpy()).all() for c in labels)
        check(ok and worst <= 1e-6 and same,
              f"{name} SQL in {engine}: {', '.join(numbers)} within {worst:.2g}{' (relative)' if rel else ''}"
              + (f", {', '.join(labels)} identical" if labels else "") + f" on {len(ours)} rows ({took:.1f} s)")


def suggestions(frame):
    """(basket_id, rank, item) -> (confidence, lift, antecedent) of a table of suggestions."""
    frame = frame.rename(columns=str.lower)[["basket_id", "rank", "item", "confidence", "lift", "antecedent"]]
    return {(str(b), int(r), str(i)): (float(c), float(f), str(a)) for b, r, i, c, f, a in frame.itertuples(index=False)}


def compare_rules(persona, engines, model, name):
    ours = suggestions(pd.read_csv(persona.path(name + "-scores.csv"), dtype=str, keep_default_na=False))
    baskets = len({k[0] for k in ours})
    for dialect, engine in DIALECTS + [("postgres", "PostgreSQL, en-US collation")]:
        path = f"{name}.{dialect}.sql"
        persona("export", model, "--format", "sql", "--table", "open_baskets", "--dialect", dialect, "--out", path)
        start = time.time()
        got = suggestions(engines.script(dialect, open(persona.path(path)).read(), en_us="en-US" in engine))
        took = time.time() - start
        both = sorted(got.keys() & ours.keys())
        worst = max((abs(got[k][i] - ours[k][i]) for k in both for i in (0, 1)), default=0.0)
        texts = [k for k in both if got[k][2] != ours[k][2]]
        missing, extra = sorted(ours.keys() - got.keys()), sorted(got.keys() - ours.keys())
        wrong = [f"{len(ks)} {what}, first {ks[0]}" for ks, what in
                 [(missing, f"of persona score's {len(ours)} rows missing"), (extra, "rows not in persona score"),
                  (texts, "antecedents differ")] if ks]
        same = "; ".join(wrong) if wrong else "basket_id, rank, item and antecedent identical"
        check(not wrong and worst <= 1e-9, f"{name} SQL in {engine}: {same}, confidence and lift within {worst:.2g} "
              f"on {len(ours)} suggestions for {baskets} baskets ({took:.1f} s)")


args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    # a folder of its own, outside the work folder, so the server's user can reach it
    pg_dir = tempfile.mkdtemp(prefix="persona-postgres-")
    started = subprocess.run([os.path.join(ROOT, "scripts", "postgres.sh"), "start", pg_dir], capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit("FAILED: could not start PostgreSQL:\n" + started.stderr)
    conninfo = started.stdout.strip()
    try:
        engines = Engines(conninfo, persona.path("spark-warehouse"))
        persona("datasets", "generate", "churn", "--rows", 4000, "--seed", 15, "--out", "train.csv")
        persona("datasets", "generate", "churn", "--rows", 800, "--seed", 16, "--out", "clean.csv")
        damage(persona.path("clean.csv"), persona.path("score.csv"), CHURN_NUMERIC,
               ["contract", "plan", "region", "payment_method"], ["paperless_billing"], seed=3)
        frame = pd.read_csv(persona.path("score.csv"), dtype=str, keep_default_na=False)
        # a quote and a backslash in a category: each dialect escapes its literals
        frame.loc[frame.index[:5], "region"] = ["O'Brien \\ Co", "O'Brien \\ Co", "a`b\"c", "", "West"]
        frame.to_csv(persona.path("score.csv"), index=False)
        train = pd.read_csv(persona.path("train.csv"), dtype=str, keep_default_na=False)
        train.loc[train.index[:300], "region"] = "O'Brien \\ Co"
        train.to_csv(persona.path("train.csv"), index=False)
        engines.load("customers", *typed_rows(frame, CHURN_NUMERIC, {"paperless_billing"}))

        models = [
            ("logreg", ["train", "logreg", "--l2", 0.001], ["probability"], ["predicted"]),
            ("tree", ["train", "tree", "--max-depth", 8], ["probability"], ["predicted"]),
            ("gbdt", ["train", "gbdt", "--trees", 12, "--early-stopping-rounds", 0, "--min-category-rows", 20], ["probability"], ["predicted"]),
            ("rf", ["train", "gbdt", "--mode", "rf", "--trees", 5, "--num-leaves", 32, "--min-category-rows", 20], ["probability"], ["predicted"]),
        ]
        for name, train_args, numbers, labels in models:
            persona(*train_args, "--data", "train.csv", "--target", "churned", "--out", name + ".persona")
            persona("score", name + ".persona", "--data", "score.csv", "--out", name + "-scores.csv")
            compare(persona, engines, name + ".persona", name, numbers, labels)
        persona("train", "tree", "--data", "train.csv", "--target", "monthly_charges", "--task", "regression",
                "--exclude", "customer_id,total_charges", "--max-depth", 7, "--out", "reg.persona")
        persona("score", "reg.persona", "--data", "score.csv", "--out", "reg-scores.csv")
        compare(persona, engines, "reg.persona", "reg", ["predicted"], [], rel=True)
        # several classes (softmax): each class's trees, the softmax and the most probable class
        persona("train", "gbdt", "--data", "train.csv", "--target", "plan", "--exclude", "customer_id,monthly_charges",
                "--trees", 4, "--num-leaves", 15, "--early-stopping-rounds", 0, "--min-category-rows", 20, "--out", "plan.persona")
        persona("score", "plan.persona", "--data", "score.csv", "--out", "plan-scores.csv")
        compare(persona, engines, "plan.persona", "plan", ["probability_basic", "probability_premium", "probability_standard"], ["predicted"])

        # k-means on customers, with named segments
        cust_numeric = ["age", "income", "tenure_months", "orders_12m", "avg_order_value", "days_since_last_order",
                        "web_visits_30d", "email_open_rate", "support_tickets"]
        persona("datasets", "generate", "customers", "--rows", 3000, "--seed", 17, "--out", "cust.csv")
        persona("datasets", "generate", "customers", "--rows", 800, "--seed", 18, "--out", "cust-clean.csv")
        damage(persona.path("cust-clean.csv"), persona.path("cust-score.csv"), cust_numeric[:5],
               ["region", "preferred_channel", "gender"], ["loyalty_member"], seed=4)
        cust = pd.read_csv(persona.path("cust-score.csv"), dtype=str, keep_default_na=False)
        engines.load("customers", *typed_rows(cust, cust_numeric, {"loyalty_member"}))
        persona("train", "kmeans", "--data", "cust.csv", "--k", 5, "--seed", 3, "--out", "km.persona")
        for seg, label in enumerate(["Loyal", "New", "Lapsed", "Big spenders", "Bargain hunters' club"]):
            persona("label", "km.persona", "--segment", seg, "--name", label)
        persona("score", "km.persona", "--data", "cust-score.csv", "--out", "km-scores.csv")
        compare(persona, engines, "km.persona", "km", ["distance"], ["segment", "segment_name"], rel=True)

        # uplift: two gbdt models inside one SELECT
        camp_numeric = ["age", "tenure_months", "visits_30d", "pre_revenue", "converted", "revenue", "true_uplift"]
        persona("datasets", "generate", "campaign", "--rows", 5000, "--seed", 19, "--out", "camp.csv")
        persona("datasets", "generate", "campaign", "--rows", 800, "--seed", 20, "--out", "camp-clean.csv")
        damage(persona.path("camp-clean.csv"), persona.path("camp-score.csv"), camp_numeric[:4], ["region", "plan"], ["email_opt_in"], seed=6)
        camp = pd.read_csv(persona.path("camp-score.csv"), dtype=str, keep_default_na=False)
        engines.load("customers", *typed_rows(camp, camp_numeric, {"email_opt_in"}))
        persona("train", "uplift", "--data", "camp.csv", "--treatment", "group", "--control", "control", "--outcome", "converted",
                "--exclude", "revenue,true_uplift", "--learner", "logreg", "--out", "uplift.persona")
        persona("score", "uplift.persona", "--data", "camp-score.csv", "--out", "uplift-scores.csv")
        compare(persona, engines, "uplift.persona", "uplift", ["uplift_offer_a", "uplift_offer_b", "best_uplift"], ["best_treatment"])

        # association rules: a script that creates the rule tables, then one query over open baskets
        persona("datasets", "generate", "baskets", "--rows", 3000, "--seed", 21, "--out", "baskets.csv")
        baskets = pd.read_csv(persona.path("baskets.csv"), dtype=str, keep_default_na=False)
        # a quote, a double quote and a backslash in an item (SQL literals and the antecedents' JSON escape them)
        baskets.loc[baskets["item"] == "salsa", "item"] = "salsa \"O'Brien\" \\ hot"
        # three items always bought together: a rule suggests them with one confidence and lift, so the
        # name decides their ranks, in byte order ("Zucchini" < "apricot" < "éclair"), not as a locale sorts them
        rng = np.random.default_rng(5)
        hosts = [b for b in sorted(set(baskets.loc[baskets["item"] == "coffee beans", "basket_id"])) if rng.random() < 0.4]
        together = pd.DataFrame([(b, i) for b in hosts for i in ["Zucchini", "apricot", "éclair"]], columns=["basket_id", "item"])
        baskets = pd.concat([baskets, together]).sort_values("basket_id", kind="stable")
        baskets.to_csv(persona.path("baskets.csv"), index=False)
        persona("split", "rows", "--data", "baskets.csv", "--group", "basket_id", "--test-fraction", 0.2, "--seed", 1,
                "--train-out", "baskets-train.csv", "--test-out", "open.csv")
        persona("train", "rules", "--data", "baskets-train.csv", "--basket", "basket_id", "--item", "item",
                "--min-support", 0.01, "--min-confidence", 0.3, "--out", "rules.safetensors")
        persona("score", "rules.safetensors", "--data", "open.csv", "--top", 5, "--out", "rules-scores.csv")
        engines.en_us(conninfo)
        open_rows = pd.read_csv(persona.path("open.csv"), dtype=str, keep_default_na=False)
        engines.load("open_baskets", ["basket_id", "item"], ["text", "text"], open_rows[["basket_id", "item"]].values.tolist())
        compare_rules(persona, engines, "rules.safetensors", "rules")
        engines.spark.stop()
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "postgres.sh"), "stop", pg_dir], check=False)
