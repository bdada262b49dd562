"""A real market-basket dataset, obtained from a Debian package: Weka's supermarket.arff.

Source: Debian package `weka` (bookworm: 3.6.14-3, section java), which ships the
Weka example data uncompressed at /usr/share/doc/weka/examples/supermarket.arff.
The file is the supermarket example used in Witten, Frank & Hall, "Data Mining:
Practical Machine Learning Tools and Techniques" (Weka's book): one row per
customer transaction from a real supermarket (described there as in New Zealand),
one nominal attribute per department or product group whose only value is `t`
(bought) and `?` (not bought), plus a class attribute `total` {low, high}
(`% low < 100`: spend under 100), which is not an item and is dropped here.

Shape (weka 3.6.14-3): 4627 baskets, 216 item attributes of which 122 occur,
85762 (basket, item) rows, 1 to 48 items a basket (mean 18.5); no empty basket
and no duplicate item within a basket (the file is a 0/1 matrix). Many item names
are anonymised as `departmentNN`; the rest are spelled as in the file, for
example 'bread and cake', 'milk-cream', 'juice-sat-cord-ms'. The file is ASCII.

Obtaining it needs only apt: if the file is not already installed, the .deb
(about 6.6 MB) is fetched with `apt-get download` and unpacked with `dpkg -x`
into a temporary folder; nothing is installed and no Java is needed.
`apt-get update` is run (through sudo when not root) only if the download fails.

    real_baskets("baskets.csv")  ->  writes `basket_id,item` rows, returns a description
    python real_baskets.py baskets.csv
"""
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

PACKAGE = "weka"
ARFF_PATH = "usr/share/doc/weka/examples/supermarket.arff"
CLASS_ATTRIBUTE = "total"


def _as_root(cmd):
    if os.geteuid() == 0 or shutil.which("sudo") is None:
        return cmd
    return ["sudo", "-n"] + cmd


def _download_deb(folder):
    def attempt():
        return subprocess.run(["apt-get", "download", PACKAGE], cwd=folder,
                              capture_output=True, text=True)
    r = attempt()
    if r.returncode != 0:
        subprocess.run(_as_root(["apt-get", "update", "-qq"]), check=True)
        r = attempt()
    if r.returncode != 0:
        raise RuntimeError(f"apt-get download {PACKAGE} failed: {r.stderr.strip()}")
    debs = [f for f in os.listdir(folder) if f.startswith(PACKAGE + "_") and f.endswith(".deb")]
    if len(debs) != 1:
        raise RuntimeError(f"expected one {PACKAGE} .deb in {folder}, found {debs}")
    return os.path.join(folder, debs[0])


def _parse_arff(text):
    """Return (item names by column, list of baskets as lists of item names)."""
    names, baskets, in_data = [], [], False
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        if not in_data:
            low = s.lower()
            if low.startswith("@attribute"):
                m = re.match(r"@attribute\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))\s", s, re.I)
                if not m:
                    raise ValueError(f"unparsed attribute line: {s!r}")
                names.append(next(g for g in m.groups() if g is not None))
            elif low.startswith("@data"):
                in_data = True
            continue
        if s.startswith("{"):           # sparse ARFF: {index value, ...}
            pairs = [p.strip().split(None, 1) for p in s.strip("{}").split(",") if p.strip()]
            values = {int(i): v.strip() for i, v in pairs}
            row = [values.get(i, "?") for i in range(len(names))]
        else:
            row = [v.strip() for v in s.split(",")]
        if len(row) != len(names):
            raise ValueError(f"row {len(baskets) + 1} has {len(row)} values for {len(names)} attributes")
        baskets.append([names[i] for i, v in enumerate(row)
                        if names[i] != CLASS_ATTRIBUTE and v.strip("'\"") == "t"])
    return names, baskets


def real_baskets(out_csv):
    """Write Weka's supermarket baskets to out_csv as `basket_id,item`; return a description."""
    installed = os.path.join("/", ARFF_PATH)
    with tempfile.TemporaryDirectory(prefix="real_baskets_") as tmp:
        if os.path.exists(installed):
            path = installed
            version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", PACKAGE],
                                     capture_output=True, text=True).stdout.strip() or "installed"
        else:
            deb = _download_deb(tmp)
            version = subprocess.run(["dpkg-deb", "-f", deb, "Version"], check=True,
                                     capture_output=True, text=True).stdout.strip()
            root = os.path.join(tmp, "root")
            subprocess.run(["dpkg", "-x", deb, root], check=True)
            path = os.path.join(root, ARFF_PATH)
        with open(path, encoding="ascii") as f:
            names, baskets = _parse_arff(f.read())

    rows = 0
    items = set()
    with open(out_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["basket_id", "item"])
        for basket_id, basket in enumerate(baskets, start=1):
            for item in basket:
                w.writerow([basket_id, item])
                items.add(item)
                rows += 1
    return (f"Weka supermarket.arff (Debian package {PACKAGE} {version}): {len(baskets)} baskets, "
            f"{len(items)} distinct items ({len(names) - 1} declared), {rows} basket-item rows")


if __name__ == "__main__":
    print(real_baskets(sys.argv[1] if len(sys.argv) > 1 else "real_baskets.csv"))
