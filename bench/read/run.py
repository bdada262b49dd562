#!/usr/bin/env python3
"""Reading CSV for training: Persona against pandas, pyarrow, polars and DuckDB,
on a numeric, a mixed and a quoted file of 1,000,000 rows each, in one run.

Files (generated once into the work folder):
  numeric  1M rows x 32 numbers (4 decimals)
  mixed    1M generated churn rows: 19 columns, numbers, categories, yes/no, an id
  quoted   the mixed file with every field quoted (csv.QUOTE_ALL)
Each reader runs in its own process, alternating, and reports two times:
  in process    the read call alone, imports and start-up excluded; for Persona
                the training read its `train kmeans` prints (parse, infer types,
                profile; then fit the pipeline and encode the Float32 matrix)
  whole process the process's wall time (Persona: `train kmeans --k 2
                --max-iter 1`, whose fit is a few milliseconds; the peers:
                start Python, import, read)
The peers only parse into typed columns (no profile, no encoding): the
comparison flatters them. Prints MB/s per reader and Persona's ratio to each.
"""
import argparse
import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import blobs, generated, measured, median, workdir  # noqa: E402

PEERS = {
    "pandas": "import pandas as pd\nt = time.time(); df = pd.read_csv(path); n = len(df)",
    "pyarrow": "import pyarrow.csv as pc\nt = time.time(); df = pc.read_csv(path); n = df.num_rows",
    "polars": "import polars as pl\nt = time.time(); df = pl.read_csv(path); n = df.height",
    "duckdb": "import duckdb\ncon = duckdb.connect()\nt = time.time(); df = con.sql(f\"SELECT * FROM read_csv_auto('{path}')\").to_arrow_table(); n = df.num_rows",
}
PEER = "import json, sys, time\npath = sys.argv[1]\n{body}\nprint(json.dumps({{'seconds': time.time() - t, 'rows': n}}))\n"


def quoted_copy(src, dst):
    if os.path.exists(dst):
        return dst
    with open(src, newline="") as f, open(dst + ".tmp", "w", newline="") as g:
        w = csv.writer(g, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for row in csv.reader(f):
            w.writerow(row)
    os.replace(dst + ".tmp", dst)
    return dst


def persona_read(binary, path):
    _, err, wall, rss = measured([binary, "train", "kmeans", "--data", path, "--k", "2", "--max-iter", "1", "--seed", "1",
                                  "--out", os.path.join(os.path.dirname(path), "read.persona")])
    read = re.search(r"read \d+ rows, \d+ columns in ([\d.]+) s", err)
    encode = re.search(r"features in ([\d.]+) s", err)
    inproc = float(read.group(1)) + (float(encode.group(1)) if encode else 0.0)
    return {"in": inproc, "wall": wall, "rss": rss}


def peer_read(name, path):
    import json
    out, _, wall, rss = measured([sys.executable, "-c", PEER.format(body=PEERS[name]), path])
    r = json.loads(out.strip().splitlines()[-1])
    return {"in": r["seconds"], "wall": wall, "rss": rss}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = workdir(a.workdir)
    numeric, _ = blobs(work, a.rows, 32, 32)
    mixed = generated(a.persona, work, "churn", a.rows, 1)
    files = {"numeric": numeric, "mixed": mixed, "quoted": quoted_copy(mixed, os.path.join(work, f"churn-{a.rows}-quoted.csv"))}
    readers = ["persona"] + list(PEERS)
    print(f"{a.rows:,} rows per file; in-process read and whole process; medians of {a.repeat} alternating runs; 2 cores")
    for kind, path in files.items():
        mb = os.path.getsize(path) / 1e6
        runs = {r: [] for r in readers}
        for _ in range(a.repeat):
            for r in readers:
                runs[r].append(persona_read(a.persona, path) if r == "persona" else peer_read(r, path))
        print(f"\n{kind}: {os.path.basename(path)}, {mb:.0f} MB")
        print(f"{'':10}{'in process':>12}{'MB/s':>8}{'whole':>10}{'MB/s':>8}{'peak MB':>9}{'Persona is (in / whole)':>26}")
        p_in, p_wall = median(runs["persona"], "in"), median(runs["persona"], "wall")
        for r in readers:
            t_in, t_wall, rss = median(runs[r], "in"), median(runs[r], "wall"), median(runs[r], "rss")
            ratio = "" if r == "persona" else f"{t_in / p_in:.2f}x / {t_wall / p_wall:.2f}x"
            print(f"{r:10}{t_in:>11.2f}s{mb / t_in:>8.0f}{t_wall:>9.2f}s{mb / t_wall:>8.0f}{rss:>9.0f}{ratio:>26}")
    print("\nratios above 1 mean Persona is faster")


if __name__ == "__main__":
    main()
