#!/usr/bin/env bash
# Runs each libFuzzer target for a number of seconds from its seed corpus
# (Tests/Fuzz/corpus/NAME), with new inputs kept in fuzz-out/corpus/NAME and
# any crash written to fuzz-out/. Exits non-zero when a target crashes.
set -euo pipefail
BIN="$1"; SECONDS_EACH="$2"; shift 2
declare -A SEEDS=([FuzzCSV]=csv [FuzzParquet]=parquet [FuzzDecompress]=decompress [FuzzModelFile]=modelfile [FuzzExperiment]=experiment)
mkdir -p fuzz-out
status=0
for target in "$@"; do
    seeds="Tests/Fuzz/corpus/${SEEDS[$target]}"
    work="fuzz-out/corpus/${SEEDS[$target]}"
    mkdir -p "$work"
    echo "fuzzing $target for $SECONDS_EACH s (seeds: $seeds)"
    if ! "$BIN/$target" "$work" "$seeds" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=4096 \
        -artifact_prefix="fuzz-out/$target-" -print_final_stats=1 2> "fuzz-out/$target.log"; then
        echo "  $target found a crash: see fuzz-out/$target.log and fuzz-out/$target-*" >&2
        status=1
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "fuzz-out/$target.log" | sed 's/^/  /' || true
done
exit $status
