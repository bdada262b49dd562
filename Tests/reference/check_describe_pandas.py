"""describe's findings against pandas and numpy on a messy customer table:
duplicate rows as pandas' duplicated(), duplicate ids as df[id].duplicated(),
outliers by the IQR rule (numpy's linear quantiles, 1.5 x IQR) and by the MAD
rule (modified z-score 0.6745 (x - median) / MAD over 3.5), numbers written
with currency signs or thousands separators, values that differ only by case,
spacing or punctuation, impossible ages and dates, and every date format with
its count."""
import numpy as np
import pandas as pd

from common import Persona, check, parse_args, workdir

args = parse_args()
rng = np.random.default_rng(7)
with workdir() as d:
    persona = Persona(args.persona, d)
    n = 3000
    names = np.array(["Anna Lee", "Bo Chan", "Cy Dore", "Di Eng", "Ed Fox"])
    frame = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)],
        "name": names[rng.integers(0, len(names), n)],
        "age": rng.integers(18, 90, n).astype(float),
        "spend": np.round(rng.lognormal(4, 0.6, n), 2),
        "joined": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="D"),
    })
    frame["joined"] = frame["joined"].dt.strftime("%Y-%m-%d")
    frame.loc[rng.choice(n, 40, replace=False), "spend"] = np.round(rng.uniform(5000, 90000, 40), 2)   # planted outliers
    frame.loc[[3, 70, 500], "age"] = [-4, 150, -1]                                                      # impossible ages
    frame.loc[[10, 11], "joined"] = ["1899-05-01", "2200-01-01"]                                        # impossible dates
    frame.loc[[20, 21, 22], "joined"] = ["14/03/2023", "25/12/2022", "01/02/2023"]                      # another format
    frame.loc[[30, 31, 32, 33], "name"] = ["anna  lee", "ANNA LEE", "Anna-Lee", "bo chan"]               # variants
    frame["spend"] = frame["spend"].astype(object)
    frame.loc[[40, 41], "spend"] = ["$1,234.50", "$12.00"]                                             # currency
    frame.loc[[42], "spend"] = ["2,500.75"]                                                             # thousands
    dupes = frame.iloc[[100, 101, 102, 100]].copy()                                                     # exact duplicate rows
    same_id = frame.iloc[[200, 201]].copy()
    same_id["age"] = [33.0, 44.0]                                                                       # same id, other values
    messy = pd.concat([frame, dupes, same_id], ignore_index=True)
    messy.to_csv(persona.path("messy.csv"), index=False)

    got = persona.json("describe", "messy.csv", "--json")
    raw = pd.read_csv(persona.path("messy.csv"), dtype=str, keep_default_na=False)
    check(got["duplicate_rows"] == int(raw.duplicated().sum()), f"duplicate rows {got['duplicate_rows']} as pandas' duplicated() ({int(raw.duplicated().sum())})")
    check(got["id_column"] == "customer_id" and got["duplicate_ids"] == int(raw["customer_id"].duplicated().sum()),
          f"duplicate ids {got['duplicate_ids']} as pandas ({int(raw['customer_id'].duplicated().sum())})")
    columns = {c["name"]: c for c in got["columns"]}

    spend = pd.to_numeric(raw["spend"].str.replace(r"[$,]", "", regex=True)).to_numpy()
    q1, q3 = np.percentile(spend, [25, 75])
    iqr_out = spend[(spend < q1 - 1.5 * (q3 - q1)) | (spend > q3 + 1.5 * (q3 - q1))]
    med = np.median(spend)
    mad = np.median(np.abs(spend - med))
    mad_out = spend[np.abs(0.6745 * (spend - med) / mad) > 3.5]
    o = columns["spend"]["outliers"]
    check(o["iqr"]["count"] == len(iqr_out) and np.isclose(o["iqr"]["low"], q1 - 1.5 * (q3 - q1)) and np.isclose(o["iqr"]["high"], q3 + 1.5 * (q3 - q1))
          and np.isclose(o["iqr"]["min"], iqr_out.min()) and np.isclose(o["iqr"]["max"], iqr_out.max()),
          f"spend: {o['iqr']['count']} IQR outliers as numpy ({len(iqr_out)}), the same fences and range")
    check(o["mad"]["count"] == len(mad_out), f"spend: {o['mad']['count']} MAD outliers as numpy ({len(mad_out)})")
    age = pd.to_numeric(raw["age"]).to_numpy()
    q1, q3 = np.percentile(age, [25, 75])
    age_iqr = int(((age < q1 - 1.5 * (q3 - q1)) | (age > q3 + 1.5 * (q3 - q1))).sum())
    check((columns["age"]["outliers"] or {"iqr": {"count": 0}})["iqr"]["count"] == age_iqr, f"age: IQR outliers as numpy ({age_iqr})")
    check(columns["age"]["impossible"]["count"] == int(((age < 0) | (age > 130)).sum()) and columns["age"]["impossible"]["line"] == 5,
          f"age: impossible ages {columns['age']['impossible']}")
    forms = {f["format"]: f for f in columns["spend"]["formats"]}
    currency = int(raw["spend"].str.contains(r"\$").sum())
    thousands = int((raw["spend"].str.contains(",") & ~raw["spend"].str.contains(r"\$")).sum())
    check(forms["number with a currency sign and thousands separators"]["count"] + forms["number with a currency sign"]["count"] == currency
          and forms["number with thousands separators"]["count"] == thousands and forms["number with a currency sign"]["line"] == 43,
          f"spend: numbers written as text {sorted((k, v['count'], v['line']) for k, v in forms.items())}")
    joined = columns["joined"]
    check(joined["type"] == "date" and joined["date_order"] == "day first", "joined: a date column, day first")
    iso = int(raw["joined"].str.match(r"^\d{4}-\d{2}-\d{2}$").sum())
    dates = {f["format"]: f["count"] for f in joined["formats"]}
    check(dates == {"yyyy-mm-dd": iso, "dd/mm/yyyy": len(raw) - iso}, f"joined: formats {dates}")
    parsed = pd.concat([pd.to_datetime(raw["joined"][raw["joined"].str.contains("-")], format="%Y-%m-%d"),
                        pd.to_datetime(raw["joined"][raw["joined"].str.contains("/")], format="%d/%m/%Y")])
    check(joined["min"] == (parsed.min() - pd.Timestamp("1970-01-01")).total_seconds()
          and joined["max"] == (parsed.max() - pd.Timestamp("1970-01-01")).total_seconds(), "joined: the range pandas' to_datetime reads")
    check(joined["impossible"]["count"] == 2, f"joined: a date before 1900 and one in the future {joined['impossible']}")
    key = raw["name"].str.lower().str.replace(r"[^a-z0-9]", "", regex=True)
    spellings = raw.groupby(key)["name"].nunique()
    grouped = spellings[spellings > 1].index
    check(columns["name"]["variants"]["groups"] == len(grouped) and columns["name"]["variants"]["rows"] == int(key.isin(grouped).sum()),
          f"name: {columns['name']['variants']}")
    text = persona("describe", "messy.csv")
    check(f"duplicate rows: {got['duplicate_rows']}" in text and "duplicate ids in customer_id" in text and "written differently" in text
          and "impossible value" in text, "the text names every finding")
