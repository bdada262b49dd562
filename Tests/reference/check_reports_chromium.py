"""HTML reports: one per family, rendered in headless Chromium.

Each report must be self-contained (no scripts, nothing fetched: every URL in
it is an SVG namespace), every inline SVG must be well-formed XML with a title
and labelled axes, and Chromium must load the page, with the network cut off,
and find the family's plots in the DOM. Screenshots at 1280 px wide go to
--screenshots DIR when given.
"""
import argparse
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

from common import Persona, check, workdir

ap = argparse.ArgumentParser()
ap.add_argument("--persona", required=True)
ap.add_argument("--screenshots", default=None)
args = ap.parse_args()

EXPECTED = {
    "logreg": ["roc", "precision-recall", "gains", "lift", "calibration", "confusion", "contributions"],
    "tree": ["roc", "precision-recall", "gains", "lift", "calibration", "confusion", "importance", "tree", "contributions"],
    "tree-regression": ["predicted-actual", "importance", "tree", "contributions"],
    "tree-multiclass": ["confusion", "roc", "importance", "tree"],
    "gbdt": ["roc", "precision-recall", "gains", "lift", "calibration", "confusion", "contributions"],
    "gbdt-multiclass": ["confusion", "roc"],
    "rules": ["lift-support", "rule-network"],
    "kmeans": ["elbow", "silhouette", "projection", "profiles"],
    "als": ["precision-at-k", "recall-at-k", "popularity"],
    "uplift": ["qini-1", "uplift-1", "deciles-1", "qini-2", "uplift-2", "deciles-2"],
    "abtest-analyze": ["effects", "segments"],
    "abtest-plan": ["boundaries"],
}
SVG_NS = "{http://www.w3.org/2000/svg}"

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
check(chromium is not None, "chromium is installed (scripts/install-chromium.sh)")


def chromium_run(*flags):
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", *flags],
                          capture_output=True, text=True, timeout=120)


with workdir() as d:
    p = Persona(args.persona, d)
    p("datasets", "generate", "churn", "--rows", 3000, "--seed", 4, "--out", "churn.csv")
    p("split", "--data", "churn.csv", "--stratify", "churned", "--test-fraction", 0.3, "--seed", 4,
      "--train-out", "train.csv", "--test-out", "test.csv")
    p("train", "logreg", "--data", "train.csv", "--target", "churned", "--out", "logreg.persona")
    p("train", "tree", "--data", "train.csv", "--target", "churned", "--max-depth", 5, "--out", "tree.persona")
    p("train", "tree", "--data", "train.csv", "--target", "monthly_charges", "--task", "regression",
      "--exclude", "customer_id,total_charges", "--max-depth", 4, "--out", "tree-regression.persona")
    p("datasets", "generate", "customers", "--rows", 2500, "--seed", 4, "--out", "customers.csv")
    p("train", "kmeans", "--data", "customers.csv", "--k", 4, "--seed", 4, "--out", "kmeans.persona")
    p("train", "tree", "--data", "customers.csv", "--target", "preferred_channel", "--max-depth", 4, "--out", "tree-multiclass.persona")
    p("train", "gbdt", "--data", "train.csv", "--target", "churned", "--out", "gbdt.persona")
    p("train", "gbdt", "--data", "customers.csv", "--target", "preferred_channel", "--trees", 30, "--out", "gbdt-multiclass.persona")
    p("datasets", "generate", "baskets", "--rows", 3000, "--seed", 2, "--out", "baskets.csv")
    p("train", "rules", "--data", "baskets.csv", "--basket", "basket_id", "--item", "item", "--min-support", 0.02,
      "--min-confidence", 0.3, "--out", "rules.persona")
    p("datasets", "generate", "interactions", "--rows", 12000, "--seed", 4, "--out", "inter.csv")
    p("split", "interactions", "--data", "inter.csv", "--by", "user", "--user", "user_id", "--test-fraction", 0.2,
      "--seed", 4, "--train-out", "inter-train.csv", "--test-out", "inter-test.csv")
    p("train", "als", "--data", "inter-train.csv", "--user", "user_id", "--item", "item_id", "--rating", "rating",
      "--implicit", "--factors", 8, "--out", "als.persona")
    p("datasets", "generate", "campaign", "--rows", 6000, "--seed", 4, "--out", "campaign.csv")
    p("train", "uplift", "--data", "campaign.csv", "--treatment", "group", "--control", "control", "--outcome", "converted",
      "--exclude", "revenue,true_uplift", "--learner", "logreg", "--out", "uplift.persona")
    data = {"uplift": "campaign.csv", "logreg": "test.csv", "tree": "test.csv", "tree-regression": "test.csv", "tree-multiclass": "customers.csv",
            "gbdt": "test.csv", "gbdt-multiclass": "customers.csv", "kmeans": "customers.csv", "als": "inter-test.csv",
            "rules": "baskets.csv"}

    for family, figures in EXPECTED.items():
        report = p.path(f"{family}.html")
        if family == "abtest-analyze":
            p("abtest", "analyze", "--data", "campaign.csv", "--group", "group", "--control", "control", "--outcome", "revenue",
              "--pre", "pre_revenue", "--segment", "plan", "--report", f"{family}.html")
        elif family == "abtest-plan":
            p("abtest", "plan", "--baseline-rate", 0.05, "--mde", "10%", "--looks", 4, "--report", f"{family}.html")
        else:
            p("evaluate", f"{family}.persona", "--data", data[family], "--report", f"{family}.html")
        html = open(report, encoding="utf-8").read()
        urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", html))
        check("<script" not in html.lower() and urls <= {"http://www.w3.org/2000/svg"},
              f"{family}: self-contained (no scripts; the only URL is the SVG namespace)")
        svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
        ok = True
        for s in svgs:
            root = ET.fromstring(s)
            texts = [t.text or "" for t in root.iter(SVG_NS + "text")]
            ok &= root.find(SVG_NS + "title") is not None and len(texts) >= 3
        check(len(svgs) == len(figures) and ok, f"{family}: {len(svgs)} inline SVGs, each valid XML with a title and labels")

        dom = chromium_run("--dump-dom", "file://" + report)
        found = re.findall(r'<figure id="([a-z0-9-]+)"', dom.stdout)
        check(dom.returncode == 0 and found == figures, f"{family}: Chromium loads the page offline and finds {', '.join(found)}")
        if args.screenshots:
            os.makedirs(args.screenshots, exist_ok=True)
            shot = os.path.join(os.path.abspath(args.screenshots), f"{family}.png")
            r = chromium_run("--window-size=1280,4000", "--screenshot=" + shot, "file://" + report)
            check(r.returncode == 0 and os.path.getsize(shot) > 10000, f"{family}: screenshot at 1280 px -> {shot}")
