#!/usr/bin/env bash
# Count the ECDSA verifications each benchmarked scan performs, cold and warm, by instrumenting
# ring (the one ECDSA backend of teescan, webpki, dcap-qvl, xml-sec's ECDSA, OCSP, NRAS, SPDM) with
# uprobes: every P-256 verification calls `ring_core_0_17_14__p256_point_mul` once, every P-384
# verification calls `ring_core_0_17_14__p384_point_mul` twice (calibrated on the NEAR 8xH100 cold
# scan: 35 verifications known from the cache's counters = 70 calls). Each benchmark routine is
# run 1 and 11 times through `TEESCAN_ONESHOT` (benches/common/mod.rs); the difference / 10 is
# the per-scan count, setup excluded. Needs root and `perf` (linux-perf). Not a test.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export TEESCAN_CORPUS="${TEESCAN_CORPUS:-$repo/../shared/fixtures}"
cd "$repo"

declare -A exe
while read -r name path; do exe[$name]="$path"; done < <(
  cargo bench --locked --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for j in map(json.loads, sys.stdin):
    if j.get("reason") == "compiler-artifact" and j.get("executable") and "bench" in j["target"]["kind"]:
        print(j["target"]["name"], j["executable"])')

probe() { # bench-name
  local b="${exe[$1]}"
  perf probe -q -d "teescan_$1:*" >/dev/null 2>&1 || true
  perf probe -q -x "$b" --add "teescan_$1:${1}_p384=ring_core_0_17_14__p384_point_mul" >/dev/null
  perf probe -q -x "$b" --add "teescan_$1:${1}_p256=ring_core_0_17_14__p256_point_mul" >/dev/null
}

calls() { # bench-name routine-id n -> "p256 p384"
  TEESCAN_ONESHOT="$2" TEESCAN_ONESHOT_N="$3" perf stat -x, -e "teescan_$1:${1}_p256,teescan_$1:${1}_p384" "${exe[$1]}" --bench 2>&1 >/dev/null \
    | awk -F, '/teescan_/{v[$3]=$1} END{printf "%s %s\n", v["teescan_'"$1"':'"$1"'_p256"], v["teescan_'"$1"':'"$1"'_p384"]}'
}

declare -A probed=()
printf "%-44s %8s %8s\n" "routine (per call)" "P-256" "P-384"
for spec in \
  "tdx tdx/dcap_qvl_alone_near" "tdx tdx/verify_cold_near" "tdx tdx/verify_warm_near" "tdx tdx/verify_warm_near_distinct_quotes" \
  "gpu gpu/h100_full_appraisal_cold" "gpu gpu/h100_full_appraisal_warm" "gpu gpu/h100_current_collateral_cold" "gpu gpu/h100_current_collateral_warm" \
  "gpu gpu/near_8xh100_no_nras_cold" "gpu gpu/near_8xh100_with_nras_cold" "gpu gpu/near_8xh100_with_nras_warm" \
  "provider provider/near_direct_full_scan_cold" "provider provider/near_direct_full_scan_warm"; do
  set -- $spec
  if [ -z "${probed[$1]:-}" ]; then probe "$1"; probed[$1]=1; fi
  read -r a1 b1 < <(calls "$1" "$2" 1)
  read -r a11 b11 < <(calls "$1" "$2" 11)
  printf "%-44s %8s %8s\n" "$2" "$(( (a11 - a1) / 10 ))" "$(( (b11 - b1) / 20 ))"
done
for b in tdx gpu provider; do perf probe -q -d "teescan_$b:*" >/dev/null 2>&1 || true; done
