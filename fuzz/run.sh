#!/usr/bin/env bash
# Build the fuzz targets once, then run them one after another (one process at a time), each
# for SECS seconds (default 100), and print executions and time per target from libFuzzer's
# final stats. Logs go to fuzz/logs/<target>.log, crashing inputs to fuzz/artifacts/<target>/
# (both git-ignored). Seed first with fuzz/seed.sh.
#   fuzz/run.sh [SECS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
SECS=${1:-100}; shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(cargo +nightly fuzz list)
cargo +nightly fuzz build >logs.build 2>&1 || { cat logs.build; exit 1; }
BIN=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    "$BIN/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "corpus/$t" >"logs/$t.log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "logs/$t.log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1)
    printf '%-16s exit=%-3s runs=%-10s secs=%-5s %s corpus=%s\n' "$t" "$rc" "${runs:-?}" "${secs:-?}" "${cov:-}" "$(ls "corpus/$t" | wc -l)"
done
