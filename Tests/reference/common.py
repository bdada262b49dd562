"""Helpers shared by the reference checks."""
import argparse
import csv
import json
import os
import subprocess
import tempfile


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    return ap.parse_args()


class Persona:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir

    def __call__(self, *args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([self.binary, *map(str, args)], cwd=self.workdir, capture_output=True, text=True, env=e)
        if p.returncode != 0:
            raise SystemExit(f"persona {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stderr}")
        return p.stdout

    def json(self, *args):
        return json.loads(self(*args))

    def path(self, name):
        return os.path.join(self.workdir, name)


def workdir():
    return tempfile.TemporaryDirectory(prefix="persona-ref-")


def check(condition, message):
    if not condition:
        raise SystemExit("FAILED: " + message)
    print("ok   " + message)


# The text Persona reads as a missing value.
MISSING = {"", "NA", "N/A", "NaN", "null", "None", "na", "n/a", "nan", "NULL", "NONE", "none"}
# The numeric columns of `persona datasets generate churn`.
CHURN_NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "usage_gb", "usage_change"]


def damage(path, out, numeric, categorical, boolean, seed):
    """Copies a CSV, blanking some numbers and making some categories missing or unseen."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = list(csv.reader(open(path, newline="")))
    header = rows[0]
    for r in rows[1:]:
        for c in numeric:
            if rng.random() < 0.08:
                r[header.index(c)] = str(rng.choice(["", "NA", "null"]))
        for c in categorical:
            u = rng.random()
            if u < 0.05:
                r[header.index(c)] = str(rng.choice(["", "NA", "None"]))
            elif u < 0.10:
                r[header.index(c)] = "never-seen-" + str(rng.integers(3))
        for c in boolean:
            if rng.random() < 0.05:
                r[header.index(c)] = ""
    with open(out, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
