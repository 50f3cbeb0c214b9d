#!/usr/bin/env bash
# Count the signature verifications each benchmarked scan performs, cold and warm, from the crypto
# room's counter (`teescan::crypto::verification_count`: every signature teescan, rustls-webpki,
# dcap-qvl (through teescan's Config), xml-sec (through teescan's key), OCSP, NRAS and SPDM check
# goes through it). Each benchmark routine is run N times through `TEESCAN_ONESHOT`
# (benches/common/mod.rs), which prints the verifications of those calls, setup excluded. Needs no
# root and no perf. `tdx/dcap_qvl_alone_near` is dcap-qvl with its own ring configuration, outside
# the room: it counts 0 here (it verifies the same 9 P-256 signatures as `tdx/verify_cold_near`).
# Not a test.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export TEESCAN_CORPUS="${TEESCAN_CORPUS:-$repo/../shared/fixtures}"
cd "$repo"
N="${COUNT_N:-5}"

declare -A exe
while read -r name path; do exe[$name]="$path"; done < <(
  cargo bench --locked --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for j in map(json.loads, sys.stdin):
    if j.get("reason") == "compiler-artifact" and j.get("executable") and "bench" in j["target"]["kind"]:
        print(j["target"]["name"], j["executable"])')

printf "%-44s %14s\n" "routine" "per call"
for spec in \
  "floor floor/room_p384_sha384_verify" \
  "tdx tdx/verify_cold_near" "tdx tdx/verify_warm_near" "tdx tdx/verify_warm_near_distinct_quotes" \
  "gpu gpu/h100_full_appraisal_cold" "gpu gpu/h100_full_appraisal_warm" "gpu gpu/h100_current_collateral_cold" "gpu gpu/h100_current_collateral_warm" \
  "gpu gpu/near_8xh100_no_nras_cold" "gpu gpu/near_8xh100_with_nras_cold" "gpu gpu/near_8xh100_with_nras_warm" \
  "provider provider/near_direct_full_scan_cold" "provider provider/near_direct_full_scan_warm"; do
  set -- $spec
  v="$(TEESCAN_ONESHOT="$2" TEESCAN_ONESHOT_N="$N" "${exe[$1]}" --bench 2>&1 >/dev/null | awk '/^teescan-oneshot /{print $6}')"
  printf "%-44s %14s\n" "$2" "$(python3 -c "print(${v:-0} / $N)")"
done
