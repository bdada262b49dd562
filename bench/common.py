"""Shared by the benchmarks: run a command in its own process and measure it."""
import subprocess
import sys

MEASURE = r"""
import resource, subprocess, sys, time
t = time.time()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(p.stderr)
print(p.stdout)
print("MEASURE", p.returncode, wall, rss)
"""


def measured(cmd):
    """Runs cmd; returns (stdout, stderr, wall seconds, peak RSS in MB)."""
    p = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True)
    lines = p.stdout.strip().splitlines()
    code, wall, rss = lines[-1].split()[1:]
    if int(code) != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{p.stderr}\n{p.stdout}")
    return "\n".join(lines[:-1]), p.stderr, float(wall), int(rss) / 1024


def median(runs, key):
    values = sorted(r[key] for r in runs)
    return values[len(values) // 2]
