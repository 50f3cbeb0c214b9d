#!/usr/bin/env bash
# teescan against its peers, on the same inputs, in the same run (scripts/peers/README.md).
# Not a test and not run in CI. Needs the corpus (TEESCAN_CORPUS, default ../shared/fixtures),
# Python 3 with venv, PyPI access (first run only), and optionally hyperfine (apt-get install hyperfine).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export TEESCAN_CORPUS="${TEESCAN_CORPUS:-$repo/../shared/fixtures}"
target="${CARGO_TARGET_DIR:-$repo/target}"
venv="${PEERS_VENV:-${TMPDIR:-/tmp}/teescan-peers-venv}"
out="${PEERS_OUT:-$target/peers}"
mkdir -p "$out"

[ -f "$TEESCAN_CORPUS/tdx/manifest.json" ] || { echo "corpus not found at $TEESCAN_CORPUS (set TEESCAN_CORPUS)" >&2; exit 2; }

# 1. Peers, pinned versions, in a venv.
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "nv-local-gpu-verifier==2.7.3" "dcap-qvl==0.7.0"

# 2. teescan, release: the CLI and the criterion benchmarks (short runs; the medians are read from
#    criterion's estimates.json).
cd "$repo"
cargo build --release --locked --bin teescan
bench_args=(--noplot --measurement-time "${BENCH_SECS:-3}" --warm-up-time 1)
cargo bench --locked --bench floor -- "${bench_args[@]}" 'floor/(ring|awslc|room)_p(256|384)_sha(256|384)_verify'
cargo bench --locked --bench tdx -- "${bench_args[@]}" 'tdx/(dcap_qvl_alone_near|verify_cold_near|verify_warm_near)'
cargo bench --locked --bench gpu -- "${bench_args[@]}" 'gpu/(h100|near_8xh100)'
cargo bench --locked --bench provider -- "${bench_args[@]}"

# 3. The peers, in-process timings.
"$venv/bin/python" "$here/peers.py" > "$out/peers.json"

# 4. Whole processes (start-up included), when hyperfine is installed.
bin="$target/release/teescan"
T="$TEESCAN_CORPUS/providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637"
R="$T/responses"
H="$TEESCAN_CORPUS/nvidia/nvtrust-sample-h100"
near_cmd="$bin scan $R/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body --collateral $T --nras $R/0006_nras.attestation.nvidia.com_v3_attest_gpu.body --jwks $R/0007_nras.attestation.nvidia.com_.well-known_jwks.json.body --nonce 541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b --at 2026-06-29T02:06:40Z --policy $repo/policies/nearai.toml --offline -q"
nonce_h100="$(head -c 72 "$H/attestation_report.hex" | tail -c 64)"
# --rims takes a directory of RIMs only: link the sample's two.
mkdir -p "$out/h100-rims"
ln -sf "$H"/NV_GPU_*.xml "$out/h100-rims/"
h100_cmd="$bin scan $H/attestation_report.hex --cert-chain $H/device_cert_chain.pem --rims $out/h100-rims --ocsp $H/ocsp --nonce $nonce_h100 --at 2025-10-24T12:00:00Z -q"
# Exit codes: the NEAR scan passes (0); the H100 scan is indeterminate (3: at one time, one of the
# sample's two OCSP dates is always outside its window) — all its work is still done.
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 --runs "${PROC_RUNS:-30}" --ignore-failure --export-json "$out/processes.json" \
    -n teescan_near_direct_cli "$near_cmd" \
    -n teescan_h100_cli "$h100_cmd" \
    -n nvidia_h100_process "$venv/bin/python $here/peers.py nvidia-once" \
    -n dcap_qvl_py_import "$venv/bin/python -c 'import dcap_qvl'"
else
  echo "hyperfine not installed: timing whole processes with a loop of 20 runs" >&2
  python3 - "$out/processes.json" "$near_cmd" "$h100_cmd" "$venv/bin/python $here/peers.py nvidia-once" <<'EOF'
import json, statistics, subprocess, sys, time
out, cmds = sys.argv[1], dict(zip(["teescan_near_direct_cli", "teescan_h100_cli", "nvidia_h100_process"], sys.argv[2:]))
res = []
for name, cmd in cmds.items():
    ts = []
    for _ in range(20):
        t0 = time.perf_counter(); subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); ts.append(time.perf_counter() - t0)
    res.append({"command": name, "median": statistics.median(ts), "min": min(ts), "mean": statistics.mean(ts)})
json.dump({"results": res}, open(out, "w"))
EOF
fi
set +e; $near_cmd; near_code=$?; $h100_cmd; h100_code=$?; set -e
echo "exit codes: NEAR direct scan $near_code (expected 0), H100 scan $h100_code (expected 3)"

# 5. The table.
python3 "$here/table.py" "$target/criterion" "$out/peers.json" "$out/processes.json"
