#!/usr/bin/env python3
"""Side-by-side table: teescan (criterion medians, hyperfine process times) against the peers
(peers.py medians). Usage: table.py CRITERION_DIR PEERS_JSON PROCESSES_JSON"""

import json
import os
import sys

crit_dir, peers_path, procs_path = sys.argv[1:4]


def crit_ms(bench_id):
    p = os.path.join(crit_dir, bench_id.replace("/", "_"), "new", "estimates.json")
    try:
        with open(p) as f:
            return json.load(f)["median"]["point_estimate"] / 1e6
    except OSError:
        return None


peers = json.load(open(peers_path))
procs = {}
if os.path.exists(procs_path):
    for r in json.load(open(procs_path)).get("results", []):
        procs[r["command"]] = r.get("median", r.get("mean")) * 1e3


def peer(name):
    return peers.get(name, {}).get("median_ms")


def fmt(x):
    if x is None:
        return "n/a"
    return f"{x * 1000:.0f} µs" if x < 1 else f"{x:.2f} ms"


rows = [
    ("TDX quote, cold (NEAR)", crit_ms("tdx/verify_cold_near"), "dcap-qvl 0.7.1 Rust crate alone", crit_ms("tdx/dcap_qvl_alone_near")),
    ("TDX quote, cold (NEAR)", crit_ms("tdx/verify_cold_near"), "dcap-qvl 0.7.1 crate, claims API (as teescan)", crit_ms("tdx/dcap_qvl_alone_near_claims")),
    ("TDX quote, cold (NEAR)", crit_ms("tdx/verify_cold_near"), "dcap-qvl 0.7.0 PyPI (Rust under Python)", peer("dcap_qvl_py_near_quote")),
    ("TDX quote, warm (NEAR)", crit_ms("tdx/verify_warm_near"), "dcap-qvl 0.7.0 PyPI (Rust under Python)", peer("dcap_qvl_py_near_quote")),
    ("H100, chain+2 RIMs+OCSP, cold", crit_ms("gpu/h100_full_appraisal_cold"), "nv-local-gpu-verifier 2.7.3 attest()", peer("nv_h100_full")),
    ("H100, chain+2 RIMs+OCSP, warm", crit_ms("gpu/h100_full_appraisal_warm"), "nv-local-gpu-verifier 2.7.3 attest()", peer("nv_h100_full")),
    ("H100, current collateral, warm", crit_ms("gpu/h100_current_collateral_warm"), "nv-local-gpu-verifier 2.7.3 attest()", peer("nv_h100_full")),
    ("NEAR 8xH100, no NRAS, cold", crit_ms("gpu/near_8xh100_no_nras_cold"), "nv-local-gpu-verifier 2.7.3, same steps", peer("nv_near_8xh100")),
    ("NEAR 8xH100 + NRAS, cold", crit_ms("gpu/near_8xh100_with_nras_cold"), "nv-local-gpu-verifier 2.7.3 (no NRAS)", peer("nv_near_8xh100")),
    ("H100 CLI process (teescan scan)", procs.get("teescan_h100_cli"), "python peers.py nvidia-once (import+attest)", procs.get("nvidia_h100_process")),
    ("NEAR direct full scan, CLI process", procs.get("teescan_near_direct_cli"), "(target: < 50 ms)", 50.0),
    ("NEAR direct full scan, in-process cold", crit_ms("provider/near_direct_full_scan_cold"), "", None),
    ("NEAR direct full scan, in-process warm", crit_ms("provider/near_direct_full_scan_warm"), "", None),
]

print()
print(f"{'teescan':42} {'time':>10}   {'peer':46} {'time':>10}   {'peer / teescan':>14}")
print("-" * 130)
for name, ours, peer_name, theirs in rows:
    ratio = f"{theirs / ours:.1f}x" if ours and theirs else ""
    print(f"{name:42} {fmt(ours):>10}   {peer_name:46} {fmt(theirs):>10}   {ratio:>14}")
print()
for backend in ("room", "awslc", "ring"):
    floor256, floor384 = crit_ms(f"floor/{backend}_p256_sha256_verify"), crit_ms(f"floor/{backend}_p384_sha384_verify")
    label = {"room": "crypto room (backend in use)", "awslc": "aws-lc-rs direct", "ring": "ring direct"}[backend]
    print(f"floor, {label}: P-256 verify {fmt(floor256)}, P-384 verify {fmt(floor384)}")
print("peer notes:")
for k, v in peers.items():
    print(f"  {k}: {v.get('note', '')} (first run {fmt(v.get('first_ms'))}, min {fmt(v.get('min_ms'))}, {v.get('runs')} runs)")
