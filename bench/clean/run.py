#!/usr/bin/env python3
"""Cleaning: `persona clean` against the same steps in pandas, each in its own
process, on generated dirty customer records (`persona datasets generate
dirty-customers`, --rows records, seed 0, in --workdir or a temporary folder).

The steps, on both sides: every value read as text; names trimmed with their
spacing collapsed; e-mail addresses lower-cased; UK phone numbers to E.164;
sign-up dates (ISO 8601 or dd/mm/yyyy) to ISO 8601; spend without its pound
sign; exact duplicate rows dropped; records linked through a shared e-mail
address or phone number into customers (connected components, scipy's
csgraph on the pandas side), numbered in order of their first record;
spend's outliers beyond 3 x IQR flagged; the result written as CSV. Persona:
`persona clean --data F --out out.csv --country GB --match email,phone`.
Timed: whole processes (imports, read, write), alternating, medians of
--repeat runs, wall time and peak memory (max RSS). The two outputs are
compared untimed: the same records, the same cleaned values, the same
customers (cluster numbers) and the same outlier flags.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import generated, measured, median, run_python_peer, workdir  # noqa: E402

PANDAS = r"""
import json, sys, time
t0 = time.time()
import numpy as np, pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
path, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(path, dtype=str, keep_default_na=False)
t1 = time.time()
df["name"] = df["name"].str.strip().str.replace(r"\s+", " ", regex=True)
df["email"] = df["email"].str.strip().str.lower()
digits = df["phone"].str.replace(r"\D", "", regex=True)
national = digits.where(~df["phone"].str.startswith("+"), digits.str[2:]).str.replace(r"^0", "", regex=True)
df["phone"] = ("+44" + national).where(digits != "", "")
slash = df["signup"].str.contains("/")
dates = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
dates[~slash] = pd.to_datetime(df.loc[~slash, "signup"], format="%Y-%m-%d")
dates[slash] = pd.to_datetime(df.loc[slash, "signup"], format="%d/%m/%Y")
df["signup"] = dates.dt.strftime("%Y-%m-%d")
pound = df["spend"].str.startswith("£")
df.loc[pound, "spend"] = df.loc[pound, "spend"].str[1:].astype(float).map(repr)
df = df.drop_duplicates().reset_index(drop=True)
spend = pd.to_numeric(df["spend"]).to_numpy()
n = len(df)
rows, cols = [], []
for col in ["email", "phone"]:
    key = df[col]
    ok = key.ne("").to_numpy()
    first = df.index.to_series().groupby(key).transform("min").to_numpy()
    rows.append(df.index.to_numpy()[ok]); cols.append(first[ok])
rows, cols = np.concatenate(rows), np.concatenate(cols)
_, labels = connected_components(coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)), directed=False)
first_seen = pd.Series(labels).drop_duplicates()
number = pd.Series(np.arange(1, len(first_seen) + 1), index=first_seen.to_numpy())
q1, q3 = np.percentile(spend, [25, 75])
flag = (spend < q1 - 3 * (q3 - q1)) | (spend > q3 + 3 * (q3 - q1))
if flag.any():
    df["spend_outlier"] = np.where(flag, "true", "false")
df["cluster_id"] = number.loc[labels].to_numpy()
t2 = time.time()
df.to_csv(out, index=False)
t3 = time.time()
print(json.dumps({"read": t1 - t0, "clean": t2 - t1, "write": t3 - t2}))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persona", default=os.path.join(HERE, "..", "..", ".build", "release", "persona"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None, help="keep the generated data here (default: a new temporary folder)")
    args = ap.parse_args()
    persona = os.path.abspath(args.persona)
    work = workdir(args.workdir)
    data = generated(persona, work, "dirty-customers", args.rows, 0)
    ours_out, theirs_out = os.path.join(work, "persona-clean.csv"), os.path.join(work, "pandas-clean.csv")
    runs_p, runs_s = [], []
    for i in range(args.repeat):
        _, _, wall, rss = measured([persona, "clean", "--data", data, "--out", ours_out, "--country", "GB", "--match", "email,phone", "-q"])
        runs_p.append({"wall": wall, "rss": rss})
        runs_s.append(run_python_peer(PANDAS, data, theirs_out))
        print(f"run {i + 1}: Persona {runs_p[-1]['wall']:.2f} s, pandas {runs_s[-1]['wall']:.2f} s", flush=True)
    import pandas as pd
    a = pd.read_csv(ours_out, dtype=str, keep_default_na=False)
    b = pd.read_csv(theirs_out, dtype=str, keep_default_na=False)
    same = {c: bool((a[c].to_numpy() == b[c].to_numpy()).all()) for c in b.columns if c in a.columns and len(a) == len(b) and c != "spend"}
    if len(a) == len(b):
        same["spend (as numbers)"] = bool((pd.to_numeric(a["spend"]).to_numpy() == pd.to_numeric(b["spend"]).to_numpy()).all())
    print(f"{len(a)} records from {args.rows}: columns equal to pandas': {same}")
    p, s = median(runs_p, "wall"), median(runs_s, "wall")
    print(f"clean {args.rows} records: Persona {p:.2f} s ({median(runs_p, 'rss'):.0f} MB), "
          f"pandas {s:.2f} s ({median(runs_s, 'rss'):.0f} MB): {s / p:.2f}x")


if __name__ == "__main__":
    main()
