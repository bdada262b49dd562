"""Parquet input: files written by pyarrow (every compression, dictionary on
and off, small row groups, data pages v1 and v2), pandas and DuckDB (a single
file and a folder of part files) train the same model as the CSV they came
from (identical tensors), describe the same, and score the same. Types mean
the same as in CSV: a BOOLEAN column is the boolean column yes/no makes.
Nested columns are refused, naming the column."""
import os
import subprocess

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from safetensors import safe_open

from common import Persona, check, parse_args, workdir


def tensors(path):
    with safe_open(path, framework="numpy") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def same_tensors(a, b):
    ta, tb = tensors(a), tensors(b)
    return ta.keys() == tb.keys() and all(np.array_equal(ta[k], tb[k]) for k in ta)


args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    persona("datasets", "generate", "churn", "--rows", 6000, "--seed", 9, "--out", "churn.csv")
    persona("train", "logreg", "--data", "churn.csv", "--target", "churned", "--l2", "1e-3", "--out", "csv-lr.safetensors", "--quiet", env=env)
    persona("train", "tree", "--data", "churn.csv", "--target", "churned", "--max-depth", 5, "--out", "csv-tree.safetensors", "--quiet", env=env)
    persona("score", "csv-lr.safetensors", "--data", "churn.csv", "--out", "csv-scores.csv", "--quiet")
    described = persona.json("describe", "churn.csv", "--json")
    # Read as pyarrow reads CSV, with yes/no turned into real booleans, so the
    # Parquet files hold BOOLEAN, INT64, DOUBLE and STRING columns.
    table = pacsv.read_csv(persona.path("churn.csv"))
    frame = table.to_pandas()
    frame["paperless_billing"] = frame["paperless_billing"].map({"yes": True, "no": False})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    files = {}
    for compression in ["none", "snappy", "gzip", "zstd"]:
        for dictionary in [True, False]:
            name = f"pa-{compression}-{'dict' if dictionary else 'plain'}.parquet"
            pq.write_table(table, persona.path(name), compression=compression, use_dictionary=dictionary, row_group_size=1000)
            files[name] = "pyarrow"
    pq.write_table(table, persona.path("pa-v2.parquet"), data_page_version="2.0", compression="zstd", row_group_size=700)
    files["pa-v2.parquet"] = "pyarrow, data pages v2"
    frame.to_parquet(persona.path("pandas.parquet"))
    files["pandas.parquet"] = "pandas"
    con = duckdb.connect()
    con.register("churn", frame)
    con.execute(f"COPY churn TO '{persona.path('duck.parquet')}' (FORMAT PARQUET)")
    files["duck.parquet"] = "DuckDB"
    con.execute("SET threads TO 2")
    con.execute(f"COPY (SELECT * FROM churn ORDER BY customer_id) TO '{persona.path('duck-parts')}' (FORMAT PARQUET, PER_THREAD_OUTPUT TRUE)")
    os.makedirs(persona.path("spark-like"), exist_ok=True)
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        pq.write_table(pa.Table.from_pandas(frame.iloc[part], preserve_index=False), persona.path(f"spark-like/part-{i:05d}.snappy.parquet"))
    open(persona.path("spark-like/_SUCCESS"), "w").close()
    files["spark-like"] = "a folder of part files"
    for name, source in files.items():
        persona("train", "logreg", "--data", name, "--target", "churned", "--l2", "1e-3", "--out", "p-lr.safetensors", "--quiet", env=env)
        persona("train", "tree", "--data", name, "--target", "churned", "--max-depth", 5, "--out", "p-tree.safetensors", "--quiet", env=env)
        check(same_tensors(persona.path("p-lr.safetensors"), persona.path("csv-lr.safetensors"))
              and same_tensors(persona.path("p-tree.safetensors"), persona.path("csv-tree.safetensors")),
              f"{name} ({source}): the same logistic regression and tree as from the CSV")
        persona("score", "csv-lr.safetensors", "--data", name, "--out", "p-scores.csv", "--quiet")
        check(open(persona.path("p-scores.csv")).read() == open(persona.path("csv-scores.csv")).read(), f"{name}: the same scores")
        got = persona.json("describe", name, "--json")
        check([(c["name"], c["type"], c["missing"]) for c in got["columns"]] == [(c["name"], c["type"], c["missing"]) for c in described["columns"]],
              f"{name}: the same column types as the CSV")
    # The DuckDB folder holds the rows in another order: the same rows, the same column types.
    got = persona.json("describe", "duck-parts", "--json")
    check(got["rows"] == 6000 and [c["type"] for c in got["columns"]] == [c["type"] for c in described["columns"]],
          "a DuckDB folder of per-thread parts reads as one data set")

    # Types, nulls and text that needs quoting.
    types = pd.DataFrame({
        "id": ["a", "b", "c", None], "x": [1.5, None, 3.0, 4.25], "flag": [True, False, None, True],
        "day": pd.to_datetime(["2024-01-31", "2024-02-01", None, "1969-12-31"]).date,
        "at": pd.to_datetime(["2024-01-31 12:00:00", "2024-02-01 00:00:01.5", None, "1969-12-31 23:59:59"], format="ISO8601"),
        "n": pd.array([1, None, 3, -4], dtype="Int64"), "text": ["plain", "with, comma", 'quote "q"', "line\nbreak"],
        "f32": pd.array([0.1, 2.5, None, -1e-7], dtype="float32")})
    types.to_parquet(persona.path("types.parquet"))
    got = {c["name"]: c for c in persona.json("describe", "types.parquet", "--json")["columns"]}
    check(all(got[c]["missing"] == 1 for c in ["id", "x", "flag", "day", "at", "n", "f32"]) and got["text"]["missing"] == 0, "nulls are missing values")
    check(got["flag"]["type"] == "boolean" and got["x"]["type"] == "numeric" and got["n"]["type"] == "numeric", "BOOLEAN, DOUBLE and INT64 types")
    def epoch(text):
        return (pd.Timestamp(text) - pd.Timestamp("1970-01-01")).total_seconds()
    day, at = got["day"], got["at"]
    check(day["type"] == "date" and day["min"] == epoch("1969-12-31") and day["max"] == epoch("2024-02-01")
          and [(f["format"], f["count"]) for f in day["formats"]] == [("yyyy-mm-dd", 3)], f"DATE as 2024-01-31, a date column: {day}")
    check(at["type"] == "date" and at["min"] == epoch("1969-12-31 23:59:59") and at["max"] == epoch("2024-02-01 00:00:01.5")
          and at["formats"][0]["count"] == 3 and at["formats"][0]["example"] == "2024-01-31 12:00:00",
          f"TIMESTAMP as 2024-01-31 12:00:00, a date column: {at}")
    check({v["value"] for v in got["text"]["top_values"]} == {"plain", "with, comma", 'quote "q"', "line\nbreak"}, "strings with commas, quotes and line breaks")

    # A model trained on Parquet booleans scores CSV yes/no the same, and the reverse.
    boolean = pd.DataFrame({"flag": [True, False] * 200, "x": np.arange(400) % 7, "y": ([1, 0, 0, 1] * 100)})
    boolean.to_parquet(persona.path("b.parquet"))
    boolean.assign(flag=boolean["flag"].map({True: "yes", False: "no"})).to_csv(persona.path("b.csv"), index=False)
    persona("train", "logreg", "--data", "b.parquet", "--target", "y", "--out", "b-p.safetensors", "--quiet", env=env)
    persona("train", "logreg", "--data", "b.csv", "--target", "y", "--out", "b-c.safetensors", "--quiet", env=env)
    check(same_tensors(persona.path("b-p.safetensors"), persona.path("b-c.safetensors")), "a Parquet BOOLEAN and a CSV yes/no column train the same model")
    persona("score", "b-p.safetensors", "--data", "b.csv", "--out", "b1.csv", "--quiet")
    persona("score", "b-c.safetensors", "--data", "b.parquet", "--out", "b2.csv", "--quiet")
    check(open(persona.path("b1.csv")).read() == open(persona.path("b2.csv")).read(), "and each scores the other's file the same")

    # Nested columns and damaged files are named.
    pq.write_table(pa.table({"id": [1, 2], "tags": [[1, 2], [3]]}), persona.path("nested.parquet"))
    p = subprocess.run([args.persona, "describe", "nested.parquet"], cwd=d, capture_output=True, text=True)
    check(p.returncode == 1 and "tags" in p.stderr and "nested" in p.stderr, f"a list column is refused, named: {p.stderr.strip()}")
    data = open(persona.path("pa-snappy-dict.parquet"), "rb").read()
    open(persona.path("cut.parquet"), "wb").write(data[: len(data) // 2])
    p = subprocess.run([args.persona, "describe", "cut.parquet"], cwd=d, capture_output=True, text=True)
    check(p.returncode == 1 and "cut.parquet" in p.stderr and "Parquet" in p.stderr, f"a truncated file is named: {p.stderr.strip()}")
    # A footer announcing absurd sizes is refused, not allocated.
    bad = bytearray(data)
    bad[-8:-4] = (0x7FFFFFF0).to_bytes(4, "little")
    open(persona.path("huge.parquet"), "wb").write(bytes(bad))
    p = subprocess.run([args.persona, "describe", "huge.parquet"], cwd=d, capture_output=True, text=True)
    check(p.returncode == 1 and "footer" in p.stderr, f"an absurd footer size is refused: {p.stderr.strip()}")
    # Standard input can be Parquet too.
    p = subprocess.run(f"cat pa-zstd-dict.parquet | {args.persona} describe - --json", shell=True, cwd=d, capture_output=True, text=True)
    check(p.returncode == 0 and '"rows" : 6000' in p.stdout, "Parquet on standard input")

    # Parquet output: scores and recommendations that pyarrow, pandas and DuckDB read back.
    persona("score", "csv-lr.safetensors", "--data", "churn.csv", "--out", "scores.parquet", "--quiet")
    got = pq.read_table(persona.path("scores.parquet"))
    ref = pd.read_csv(persona.path("csv-scores.csv"))
    check(got.schema.field("customer_id").type == pa.string() and got.schema.field("probability").type == pa.float64()
          and got.schema.field("risk_decile").type == pa.int64(), f"score --out x.parquet: typed columns ({got.schema.types})")
    check(got.to_pandas().equals(ref), "the Parquet scores equal the CSV scores, row for row")
    check(duckdb.sql(f"SELECT count(*) FROM '{persona.path('scores.parquet')}'").fetchall()[0][0] == 6000, "DuckDB reads them")
    persona("datasets", "generate", "interactions", "--rows", 3000, "--seed", 2, "--out", "i.csv")
    persona("train", "als", "--data", "i.csv", "--user", "user_id", "--item", "item_id", "--implicit", "--factors", 4, "--out", "als.safetensors", "--quiet")
    persona("recommend", "als.safetensors", "--all-users", "--top", 3, "--out", "recs.parquet", "--quiet")
    persona("recommend", "als.safetensors", "--all-users", "--top", 3, "--out", "recs.csv", "--quiet")
    check(pq.read_table(persona.path("recs.parquet")).to_pandas().equals(pd.read_csv(persona.path("recs.csv"))), "recommend --out x.parquet")
    # Row groups of 65,536 rows; nulls stay nulls.
    persona("datasets", "generate", "churn", "--rows", 70000, "--seed", 3, "--out", "big.parquet")
    meta = pq.ParquetFile(persona.path("big.parquet")).metadata
    check(meta.num_rows == 70000 and meta.num_row_groups == 2, f"{meta.num_rows} rows in {meta.num_row_groups} row groups")
    open(persona.path("nulls.csv"), "w").write("a,b,c\n1,x,\n,y,2.5\n3,,\n")
    persona("split", "rows", "--data", "nulls.csv", "--test-fraction", 0.5, "--seed", 1, "--train-out", "n1.parquet", "--test-out", "n2.parquet")
    both = pd.concat([pq.read_table(persona.path(n)).to_pandas() for n in ["n1.parquet", "n2.parquet"]]).sort_values("b", na_position="last")
    check(int(both["a"].isna().sum()) == 1 and int(both["b"].isna().sum()) == 1 and int(both["c"].isna().sum()) == 2, "empty cells are nulls")
