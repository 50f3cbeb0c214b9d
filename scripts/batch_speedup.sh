#!/usr/bin/env bash
# Batch speed-up over cores (issue #7): N copies (default 1,000) of the NEAR direct capture's
# report (TDX quote + 8 H100 + NRAS + event log + policy), scanned offline by one `teescan scan
# DIR` process with -j 1, 2, … up to the number of CPUs. Prints wall and CPU time per worker count
# and the speed-up over -j 1. Not a test; needs the corpus (TEESCAN_CORPUS, default
# ../shared/fixtures) and builds the release binary.
#   scripts/batch_speedup.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
CORPUS=${TEESCAN_CORPUS:-../shared/fixtures}
T=$CORPUS/providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637
[ -d "$T" ] || { echo "corpus not found at $CORPUS" >&2; exit 1; }
cargo build --release --locked --quiet
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
for i in $(seq -w 1 "$N"); do
    cp "$T/responses/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body" "$DIR/r$i.json"
done
ARGS=(--collateral "$T" --nras "$T/responses/0006_nras.attestation.nvidia.com_v3_attest_gpu.body"
      --jwks "$T/responses/0007_nras.attestation.nvidia.com_.well-known_jwks.json.body"
      --nonce 541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b
      --at 2026-06-29T02:06:40Z --policy policies/nearai.toml --offline --no-cache -q)
CPUS=$(nproc)
base=""
TIMEFORMAT='%R %U %S'
printf '%-8s %-10s %-10s %-8s\n' workers wall_s cpu_s speedup
for j in $(seq 1 "$CPUS"); do
    { time target/release/teescan scan "$DIR" "${ARGS[@]}" -j "$j"; } 2>"$DIR/.time" || {
        echo "batch failed" >&2; cat "$DIR/.time" >&2; exit 1; }
    read -r wall user sys <"$DIR/.time"
    base=${base:-$wall}
    awk -v j="$j" -v w="$wall" -v u="$user" -v s="$sys" -v b="$base" \
        'BEGIN { printf "%-8s %-10.2f %-10.2f %-8.2f\n", j, w, u + s, b / w }'
done
awk -v b="$base" -v n="$N" 'BEGIN { printf "%d reports per run; %.2f ms per report at -j 1\n", n, b * 1000 / n }'
