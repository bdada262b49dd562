#!/usr/bin/env python3
"""Runs the checks that need Python: comparisons with reference libraries
(Tests/reference/check_*.py) and every walkthrough in notebooks-cli/ (each
fenced ```bash cell, in order, in one shell, in a fresh folder).

The README's worked examples (its untyped ``` blocks that start with a
persona command) run the same way, in order, in a fresh folder without a
`models/` folder (the commands create it).

Prints one line per check (PASS, FAIL or SKIP, with the time it took) and a
closing 'checks: N passed, M failed, K skipped' line; exits 1 when a check
failed or none passed.

Walkthroughs
    Every ```bash (or ```sh) cell of notebooks-cli/*.md (README.md excepted)
    runs in order in one `bash` with `set -euo pipefail`, in a fresh temporary
    folder holding a `datasets` symlink to the repository's datasets/ and an
    empty `models/`, with persona's folder and then this Python's folder (the
    venv: pandas, pyarrow, onnxruntime, pyspark) first on PATH. A walkthrough
    passes when the shell exits 0; on failure the runner names the cell and
    its line in the markdown file and repeats every `expect failed:` line.

    Before the cells, the script defines these helpers (print them with
    --print-helpers; a reader runs a walkthrough by hand after
    `source <(python3 Tests/run_checks.py --print-helpers)`):

    expect VALUE OP BOUND [message...]
        Numeric comparison, OP one of >= <= > < == != (awk, so floats and
        1e-7 notation work). Fails when either side is not a number (an
        empty string, nan) or the comparison is false:
            expect "$auc" '>=' 0.80 "AUC on held-out customers"
            expect "$(wc -l < call-list.csv)" == 501 "header + 500 rows"
    expect-file-equal A B
        The two files are byte-identical (cmp); otherwise prints both sizes,
        the first difference and the first differing bytes, and fails.
    expect-no-file PATH...
        None of the paths exists (a failed command wrote nothing).
    expect-error CODE 'fragment' -- command [args...]
        Runs the command (stdout passes through, stderr is captured and
        printed to stderr) and requires its exit status to be exactly CODE
        (1: bad data, 2: bad usage) and its stderr to contain the fragment.
        Success, any other status, and a crash (a signal: 132 SIGILL,
        133 SIGTRAP, 134 SIGABRT, 139 SIGSEGV...) fail the check.
    json-value FILE 'EXPR'
        Prints the Python expression EXPR evaluated with `j` bound to the
        parsed JSON file and the json module at hand (dicts and lists are
        printed as JSON):
            expect "$(json-value m.json 'j["auc"]')" '>=' 0.80 "AUC"
    expect-json FILE 'EXPR' [message...]
        Fails unless the Python expression EXPR (with `j` the parsed JSON
        file) is true.

    Every failure prints one line starting with `expect failed:` to stderr
    and exits the shell with status 1 (in an interactive shell, where the
    helpers were sourced by hand, the helper only returns 1).

Reference scripts
    Tests/reference/check_*.py run as `python check_x.py --persona PATH`;
    exit status 0 passes. A script that cannot run its check here (a tool
    or a data file missing) prints a line starting with `SKIP:` on stdout,
    e.g. `SKIP: chromium is not installed`, and exits 0: that check is
    reported as SKIP (also when only a part of it was skipped and the rest
    passed). With CI=true in the environment a skipped check is a failure.
    A non-zero exit is a failure whatever the script printed.

Timeouts
    A check that runs longer than its limit (walkthroughs 900 s, reference
    scripts 1200 s, or --timeout) is killed with every process it started
    and reported as FAIL; the remaining checks still run.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK_TIMEOUT = 900
SCRIPT_TIMEOUT = 1200
SKIP_MARKER = re.compile(r"^SKIP:\s*(.*)$", re.M)

# Bash functions defined before a walkthrough's cells; documented above.
HELPERS = r'''
# expect helpers from Tests/run_checks.py (python3 Tests/run_checks.py --print-helpers)
# a failure ends the walkthrough's shell, or only the call in an interactive shell
_expect_fail() { printf 'expect failed: %s\n' "$*" >&2; [[ $- == *i* ]] && return 1; exit 1; }
_expect_ok() { if [[ -n "${PERSONA_EXPECT_LOG:-}" ]]; then printf '%s\n' "$*" >> "$PERSONA_EXPECT_LOG"; fi; return 0; }
_expect_is_number() { [[ $1 =~ ^[[:space:]]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$ ]]; }
expect() {
  (( $# >= 3 )) || _expect_fail "usage: expect VALUE OP BOUND [message] (got: $*)" || return
  local value=$1 op=$2 bound=$3; shift 3
  local what=${*:+$*: }
  case $op in '>='|'<='|'>'|'<'|'=='|'!=') ;; *) _expect_fail "${what}unknown operator '$op' (use >= <= > < == !=)" || return;; esac
  _expect_is_number "$value" || _expect_fail "${what}got '$value', which is not a number (expected $op $bound)" || return
  _expect_is_number "$bound" || _expect_fail "${what}the bound '$bound' is not a number" || return
  if awk -v a="$value" -v b="$bound" -v op="$op" 'BEGIN { a += 0; b += 0
        if (op == ">=") ok = a >= b; else if (op == "<=") ok = a <= b; else if (op == ">") ok = a > b
        else if (op == "<") ok = a < b; else if (op == "==") ok = a == b; else ok = a != b
        exit !ok }'; then
    _expect_ok "expect $value $op $bound ${what}"
  else
    _expect_fail "${what}got ${value//[[:space:]]/}, expected $op $bound" || return
  fi
}
expect-file-equal() {
  (( $# == 2 )) || _expect_fail "usage: expect-file-equal A B (got: $*)" || return
  [[ -f $1 ]] || _expect_fail "expect-file-equal: $1 does not exist" || return
  [[ -f $2 ]] || _expect_fail "expect-file-equal: $2 does not exist" || return
  if cmp -s -- "$1" "$2"; then _expect_ok "expect-file-equal $1 $2"; return 0; fi
  {
    printf 'expect failed: %s (%s bytes) and %s (%s bytes) differ: %s\n' "$1" "$(wc -c < "$1")" "$2" "$(wc -c < "$2")" \
      "$(cmp -- "$1" "$2" 2>&1 | sed 's/^.* differ: //; s/^cmp: //')"
    cmp -l -- "$1" "$2" 2>/dev/null | head -n 5 | awk '{ printf "  byte %d: %s vs %s (octal)\n", $1, $2, $3 }' || true
  } >&2
  [[ $- == *i* ]] && return 1; exit 1
}
expect-no-file() {
  (( $# >= 1 )) || _expect_fail "usage: expect-no-file PATH... (got: $*)" || return
  local path
  for path in "$@"; do [[ ! -e $path ]] || _expect_fail "$path exists; expected nothing written" || return; done
  _expect_ok "expect-no-file $*"
}
expect-error() {
  (( $# >= 4 )) && [[ $3 == -- ]] || _expect_fail "usage: expect-error CODE 'fragment' -- command [args...] (got: $*)" || return
  local code=$1 fragment=$2; shift 3
  _expect_is_number "$code" && (( code > 0 )) || _expect_fail "expect-error: CODE must be a non-zero exit status (got '$code')" || return
  local err status message
  err=$(mktemp)
  "$@" 2> "$err" && status=0 || status=$?
  message=$(cat "$err"); rm -f "$err"
  if [[ -n $message ]]; then printf '%s\n' "$message" >&2; fi
  if (( status == 0 )); then _expect_fail "'$*' succeeded; expected exit $code with '$fragment' on stderr" || return; fi
  if (( status > 128 )); then _expect_fail "'$*' crashed: exit $status (signal $((status - 128))); expected exit $code" || return; fi
  (( status == code )) || _expect_fail "'$*' exited $status; expected exit $code" || return
  [[ $message == *"$fragment"* ]] || _expect_fail "'$*' exited $code but its stderr lacks '$fragment'" || return
  _expect_ok "expect-error $code '$fragment' -- $*"
}
json-value() {
  (( $# == 2 )) || _expect_fail "usage: json-value FILE 'EXPR' (got: $*)" || return
  python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"j": j, "json": json})
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1" "$2"
}
expect-json() {
  (( $# >= 2 )) || _expect_fail "usage: expect-json FILE 'EXPR' [message] (got: $*)" || return
  local file=$1 expr=$2; shift 2
  local value
  value=$(json-value "$file" "bool($expr)") || _expect_fail "${*:+$*: }could not evaluate $expr on $file" || return
  [[ $value == True ]] || _expect_fail "${*:+$*: }$expr is false on $file" || return
  _expect_ok "expect-json $file $expr"
}
'''


def notebook_cells(path):
    """The ```bash cells of a markdown file as (first line number, text)."""
    text = open(path, encoding="utf-8").read()
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1))
            for m in re.finditer(r"^```(?:bash|sh)\n(.*?)^```", text, flags=re.S | re.M)]


def readme_cells(path):
    """The README's worked examples: its untyped ``` blocks that start with a
    persona command, as (first line number, text)."""
    text = open(path, encoding="utf-8").read()
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1))
            for m in re.finditer(r"^```\n(.*?)^```", text, flags=re.S | re.M)
            if m.group(1).startswith("persona ")]


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_group(cmd, timeout, **kwargs):
    """Runs cmd in its own process group (persona, Spark's JVM and every other
    child with it); on timeout kills the whole group.

    Returns (returncode, or None on timeout, stdout, stderr)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True, **kwargs)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        kill_group(p)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # something left the group and holds the pipes
            p.kill()
            out, err = "", "(output lost: a process outside the group kept the pipes open)"
        return None, out or "", err or ""
    except BaseException:  # Ctrl-C: the group is in its own session and would not see it
        kill_group(p)
        raise


def tail(text, n=3000):
    return text if len(text) <= n else "..." + text[-n:]


def run_notebook(path, persona, timeout, log, readme=False):
    cells = readme_cells(path) if readme else notebook_cells(path)
    if not cells:
        return "fail", "no ```bash cells found"
    with tempfile.TemporaryDirectory(prefix="persona-notebook-") as work, \
            tempfile.NamedTemporaryFile(prefix="persona-expect-", suffix=".log", mode="r") as expectations:
        os.symlink(os.path.join(ROOT, "datasets"), os.path.join(work, "datasets"))
        if readme:
            # The README's commands run as a newcomer types them, from the
            # repository's folder for `pip install ./integrations/spark`; its
            # outputs (models/ included, which nothing creates beforehand) go to the fresh folder.
            os.symlink(os.path.join(ROOT, "integrations"), os.path.join(work, "integrations"))
        else:
            os.makedirs(os.path.join(work, "models"))
        env = dict(os.environ)
        # persona first, then this venv's python (pandas, onnxruntime) for the Python cells
        env["PATH"] = os.pathsep.join([os.path.dirname(os.path.abspath(persona)), os.path.dirname(sys.executable), env["PATH"]])
        env["PERSONA_EXPECT_LOG"] = expectations.name
        script = "set -euo pipefail\n" + HELPERS + "\n".join(
            f"echo '--- cell {i + 1} (line {line})' >&2\n{cell}" for i, (line, cell) in enumerate(cells))
        code, out, err = run_group(["bash", "-c", script], timeout, cwd=work, env=env)
        checked = len(expectations.read().splitlines())
    if log:
        log(out, err)
    summary = f"{len(cells)} cell{'s' * (len(cells) != 1)}, {checked} expectation{'s' * (checked != 1)} met"
    if code == 0:
        return "pass", summary
    started = re.findall(r"^--- cell (\d+) \(line (\d+)\)$", err, flags=re.M)
    where = f"cell {started[-1][0]} (line {started[-1][1]})" if started else "before the first cell"
    why = f"timed out after {timeout:g} s" if code is None else f"exit {code}"
    failures = re.findall(r"^expect failed: .*$", err, flags=re.M)
    head = f"{why} in {where}; {summary} before it"
    if failures:
        head += "\n" + "\n".join(failures)
    return "fail", f"{head}\n--- stdout\n{tail(out)}\n--- stderr\n{tail(err)}"


def run_script(path, persona, timeout, log):
    code, out, err = run_group([sys.executable, path, "--persona", persona], timeout)
    if log:
        log(out, err)
    detail = (out + err).strip()
    if code is None:
        return "fail", f"timed out after {timeout:g} s\n{tail(detail)}"
    if code != 0:
        return "fail", f"exit {code}\n{detail}"
    skips = SKIP_MARKER.findall(out)
    if skips:
        return "skip", detail
    return "pass", detail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persona", help="the persona binary to check")
    ap.add_argument("--only", help="run only checks whose name contains this")
    ap.add_argument("--timeout", type=float, help=f"seconds per check (default {NOTEBOOK_TIMEOUT} for a walkthrough, "
                                                  f"{SCRIPT_TIMEOUT} for a reference script)")
    ap.add_argument("--log-dir", help="write each check's full stdout and stderr to this folder")
    ap.add_argument("--print-helpers", action="store_true",
                    help="print the walkthroughs' bash helpers (expect, expect-file-equal, expect-no-file, expect-error, "
                         "json-value, expect-json) and exit; `source <(python3 Tests/run_checks.py --print-helpers)`")
    args = ap.parse_args()
    if args.print_helpers:
        sys.stdout.write(HELPERS.lstrip("\n"))
        return
    if not args.persona:
        ap.error("--persona is required")
    persona = os.path.abspath(args.persona)
    ci = os.environ.get("CI", "").lower() == "true"
    checks = []
    ref = os.path.join(ROOT, "Tests", "reference")
    for name in sorted(os.listdir(ref)):
        if name.startswith("check_") and name.endswith(".py"):
            checks.append(("reference/" + name, run_script, os.path.join(ref, name), SCRIPT_TIMEOUT))
    checks.append(("README.md", lambda path, persona, timeout, log: run_notebook(path, persona, timeout, log, readme=True),
                   os.path.join(ROOT, "README.md"), NOTEBOOK_TIMEOUT))
    nb = os.path.join(ROOT, "notebooks-cli")
    for name in sorted(os.listdir(nb)):
        if name.endswith(".md") and name != "README.md":
            checks.append(("notebooks-cli/" + name, run_notebook, os.path.join(nb, name), NOTEBOOK_TIMEOUT))
    if args.log_dir:
        os.makedirs(args.log_dir, exist_ok=True)
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for name, run, path, timeout in checks:
        if args.only and args.only not in name:
            continue
        log = None
        if args.log_dir:
            def log(out, err, name=name):
                stem = os.path.join(args.log_dir, name.replace("/", "_"))
                open(stem + ".stdout", "w").write(out)
                open(stem + ".stderr", "w").write(err)
        start = time.time()
        try:
            status, detail = run(path, persona, args.timeout or timeout, log)
        except Exception as e:  # the runner itself must not stop the other checks
            status, detail = "fail", f"runner error: {type(e).__name__}: {e}"
        took = time.time() - start
        if status == "skip" and ci:
            status = "fail"
            detail = "skipped, and CI=true makes a skip a failure:\n" + detail
        print(f"{status.upper()} {name} ({took:.1f} s)", flush=True)
        if detail:
            print("    " + detail.replace("\n", "\n    "), flush=True)
        counts[status] += 1
    print(f"checks: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    sys.exit(1 if counts["fail"] or not counts["pass"] else 0)


if __name__ == "__main__":
    main()
