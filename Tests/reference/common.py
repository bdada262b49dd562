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


def skip(reason):
    """Ends a check that cannot run here (a tool or a setting is missing): one line
    starting with `SKIP:` on standard output, then exit 0. Tests/run_checks.py
    counts these lines (and fails on them under CI=true)."""
    import sys

    print("SKIP: " + reason, flush=True)
    sys.exit(0)


def same_number(ours, ref, tol, relative=False):
    """True when two metrics agree within tol (relative to |ref| when asked)."""
    scale = max(abs(ref), 1e-300) if relative else 1.0
    return abs(ours - ref) <= tol * scale


def check_metrics(name, ev, ref, tolerances, note=""):
    """persona evaluate's numbers (ev) against the same metrics recomputed by
    scikit-learn's functions from persona score's output on the same rows (ref),
    every key in tolerances: (tol, relative). Names each metric that differs."""
    wrong, worst = [], 0.0
    for key, (tol, relative) in tolerances.items():
        if key not in ev:
            wrong.append(f"{key} missing from persona evaluate's output")
            continue
        gap = abs(ev[key] - ref[key]) / (max(abs(ref[key]), 1e-300) if relative else 1.0)
        worst = max(worst, gap)
        if not same_number(ev[key], ref[key], tol, relative):
            wrong.append(f"{key} {ev[key]!r} vs {float(ref[key])!r}")
    check(not wrong, f"{name}: persona evaluate's {', '.join(tolerances)} equal scikit-learn's on persona score's output "
                     f"(largest gap {worst:.1g})" + ("; differ: " + "; ".join(wrong) + (f" ({note})" if note else "") if wrong else ""))


def binary_reference(y, p, predicted, positive):
    """scikit-learn's metrics of a binary classifier from persona score's columns:
    y the true labels, p the positive class's probability, predicted the label."""
    import numpy as np
    from sklearn.metrics import (accuracy_score, average_precision_score, brier_score_loss, f1_score, log_loss,
                                 precision_score, recall_score, roc_auc_score)

    truth = np.asarray(y).astype(str) == str(positive)
    called = np.asarray(predicted).astype(str) == str(positive)
    p = np.asarray(p, dtype=float)
    return {
        "accuracy": accuracy_score(truth, called),
        "precision": precision_score(truth, called, zero_division=0),
        "recall": recall_score(truth, called, zero_division=0),
        "f1": f1_score(truth, called, zero_division=0),
        "auc": roc_auc_score(truth, p),
        "pr_auc": average_precision_score(truth, p),
        "log_loss": log_loss(truth, p, labels=[False, True]),
        "brier": brier_score_loss(truth, p),
    }


# Tolerances of persona evaluate against binary_reference. Labels and counts are
# exact; persona score writes each probability rounded to Float32 (7 to 8
# significant digits), so the metrics of the probabilities carry that rounding
# (AUC and PR AUC change only where two rows' probabilities round to one value).
BINARY_TOLERANCES = {"accuracy": (1e-12, False), "precision": (1e-12, False), "recall": (1e-12, False), "f1": (1e-12, False),
                     "auc": (1e-6, False), "pr_auc": (1e-6, False), "log_loss": (1e-6, True), "brier": (1e-6, True)}


def multiclass_reference(y, probabilities, classes, predicted):
    """scikit-learn's accuracy, macro precision, recall and F1, and log loss of a
    classifier of several classes from persona score's columns."""
    import numpy as np
    from sklearn.metrics import accuracy_score, log_loss, precision_recall_fscore_support

    y, predicted = np.asarray(y).astype(str), np.asarray(predicted).astype(str)
    p = np.asarray(probabilities, dtype=float)
    p = p / p.sum(axis=1, keepdims=True)          # the file's Float32 rounding
    precision, recall, f1, _ = precision_recall_fscore_support(y, predicted, labels=list(classes), average="macro", zero_division=0)
    return {"accuracy": accuracy_score(y, predicted), "precision": precision, "recall": recall, "f1": f1,
            "log_loss": log_loss(y, p, labels=list(classes))}


MULTICLASS_TOLERANCES = {"accuracy": (1e-12, False), "precision": (1e-12, False), "recall": (1e-12, False), "f1": (1e-12, False),
                         "log_loss": (1e-6, True)}


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
