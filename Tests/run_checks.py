#!/usr/bin/env python3
"""Runs the checks that need Python: comparisons with reference libraries
(Tests/reference/check_*.py) and every walkthrough in notebooks-cli/ (each
fenced ```bash cell, in order, in one shell, in a fresh folder).

Prints one line per check and a closing 'checks: N passed, M failed' line.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def notebook_script(path):
    text = open(path, encoding="utf-8").read()
    cells = re.findall(r"^```(?:bash|sh)\n(.*?)^```", text, flags=re.S | re.M)
    return cells


def run_notebook(path, persona):
    cells = notebook_script(path)
    if not cells:
        return False, "no ```bash cells found"
    with tempfile.TemporaryDirectory(prefix="persona-notebook-") as work:
        os.symlink(os.path.join(ROOT, "datasets"), os.path.join(work, "datasets"))
        os.makedirs(os.path.join(work, "models"))
        env = dict(os.environ)
        # persona first, then this venv's python (pandas, onnxruntime) for the Python cells
        env["PATH"] = os.pathsep.join([os.path.dirname(os.path.abspath(persona)), os.path.dirname(sys.executable), env["PATH"]])
        script = "set -euo pipefail\n" + "\n".join(
            f"echo '--- cell {i + 1}' >&2\n{cell}" for i, cell in enumerate(cells))
        p = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            return False, f"exit {p.returncode}\n--- stdout\n{p.stdout[-3000:]}\n--- stderr\n{p.stderr[-3000:]}"
        return True, f"{len(cells)} cells"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persona", required=True)
    ap.add_argument("--only", help="run only checks whose name contains this")
    args = ap.parse_args()
    persona = os.path.abspath(args.persona)
    checks = []
    ref = os.path.join(ROOT, "Tests", "reference")
    for name in sorted(os.listdir(ref)):
        if name.startswith("check_") and name.endswith(".py"):
            checks.append(("reference/" + name, "script", os.path.join(ref, name)))
    nb = os.path.join(ROOT, "notebooks-cli")
    for name in sorted(os.listdir(nb)):
        if name.endswith(".md") and name != "README.md":
            checks.append(("notebooks-cli/" + name, "notebook", os.path.join(nb, name)))
    passed = failed = 0
    for name, kind, path in checks:
        if args.only and args.only not in name:
            continue
        start = time.time()
        if kind == "script":
            p = subprocess.run([sys.executable, path, "--persona", persona], capture_output=True, text=True, timeout=1200)
            ok = p.returncode == 0
            detail = (p.stdout + p.stderr).strip()
        else:
            ok, detail = run_notebook(path, persona)
        took = time.time() - start
        print(f"{'PASS' if ok else 'FAIL'} {name} ({took:.1f} s)")
        if detail:
            print("    " + detail.replace("\n", "\n    "))
        passed += ok
        failed += not ok
    print(f"checks: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
