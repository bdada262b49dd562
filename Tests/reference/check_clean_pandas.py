"""persona clean against the same steps in pandas and numpy on a messy table:
dates as pandas' to_datetime reads each detected format, numbers without
currency signs or separators, exact duplicate rows as drop_duplicates() after
cleaning, rows that repeat an id merged into the first (keep='first'), and the
3 x IQR outlier flags of numpy's linear quartiles over the rows kept; every
change in the log, and the input untouched."""
import numpy as np
import pandas as pd

from common import Persona, check, parse_args, workdir

args = parse_args()
rng = np.random.default_rng(11)
with workdir() as d:
    persona = Persona(args.persona, d)
    n = 2000
    frame = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)],
        "email": [f"User{i}@Example.com" if i % 7 == 0 else f"user{i}@example.com" for i in range(n)],
        "joined": pd.to_datetime("2021-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
        "spend": np.round(rng.lognormal(4, 0.5, n), 2),
    })
    iso = rng.random(n) < 0.7
    frame["joined"] = np.where(iso, frame["joined"].dt.strftime("%Y-%m-%d"), frame["joined"].dt.strftime("%d/%m/%Y"))
    frame["spend"] = frame["spend"].astype(object)
    money = rng.random(n) < 0.2
    frame.loc[money, "spend"] = ["$" + f"{v:,.2f}" for v in frame.loc[money, "spend"]]
    frame.loc[rng.choice(n, 15, replace=False), "spend"] = [f"{v:.2f}" for v in rng.uniform(20000, 60000, 15)]
    messy = pd.concat([frame, frame.iloc[[5, 6, 7]], frame.iloc[[10, 11]].assign(spend=["1.00", "2.00"])], ignore_index=True)
    messy.to_csv(persona.path("messy.csv"), index=False)
    before = open(persona.path("messy.csv")).read()

    persona("clean", "--data", "messy.csv", "--out", "clean.csv", "--log", "log.csv")
    ours = pd.read_csv(persona.path("clean.csv"), dtype=str, keep_default_na=False)
    log = pd.read_csv(persona.path("log.csv"), dtype=str, keep_default_na=False)
    check(open(persona.path("messy.csv")).read() == before, "the input is untouched")

    # pandas: the same steps
    ref = pd.read_csv(persona.path("messy.csv"), dtype=str, keep_default_na=False)
    slash = ref["joined"].str.contains("/")
    dates = pd.Series(index=ref.index, dtype="datetime64[ns]")
    dates[~slash] = pd.to_datetime(ref.loc[~slash, "joined"], format="%Y-%m-%d")
    dates[slash] = pd.to_datetime(ref.loc[slash, "joined"], format="%d/%m/%Y")
    ref["joined"] = dates.dt.strftime("%Y-%m-%d")
    ref["email"] = ref["email"].str.lower()
    ref["spend"] = pd.to_numeric(ref["spend"].str.replace(r"[$,]", "", regex=True))
    ref = ref.drop_duplicates()
    ref = ref[~ref["customer_id"].duplicated(keep="first")]
    check(len(ours) == len(ref) and ours["customer_id"].tolist() == ref["customer_id"].tolist(),
          f"{len(ours)} rows kept, the same as pandas' drop_duplicates and first of each id ({len(ref)})")
    check((ours["joined"].to_numpy() == ref["joined"].to_numpy()).all(), "dates as pandas' to_datetime reads each format, written as ISO 8601")
    check(np.allclose(ours["spend"].astype(float).to_numpy(), ref["spend"].to_numpy(), rtol=0, atol=1e-9), "numbers without currency signs or separators")
    check((ours["email"].to_numpy() == ref["email"].to_numpy()).all(), "e-mail addresses lower-cased")
    q1, q3 = np.percentile(ref["spend"].to_numpy(), [25, 75])
    flags = ((ref["spend"] < q1 - 3 * (q3 - q1)) | (ref["spend"] > q3 + 3 * (q3 - q1))).map({True: "true", False: "false"})
    check("spend_outlier" in ours.columns and (ours["spend_outlier"].to_numpy() == flags.to_numpy()).all(),
          f"spend_outlier as numpy's 3 x IQR ({int((flags == 'true').sum())} flagged)")
    check(int((log["rule"] == "date to ISO 8601").sum()) == int(slash.iloc[:n].sum()),
          "every date rewritten in a kept row is in the log (dropped and merged rows log what became of them instead)")
    check(int(log["rule"].str.startswith("duplicate of line").sum()) == 3 and int(log["rule"].str.startswith("same customer_id").sum()) == 2
          and int(log["rule"].str.startswith("conflict").sum()) == 2, "3 duplicates dropped, 2 rows merged with their 2 conflicts, in the log")
