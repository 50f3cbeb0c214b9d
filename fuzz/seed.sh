#!/usr/bin/env bash
# Seed fuzz/corpus/<target>/ from the real third-party evidence in ../shared/fixtures (or
# $TEESCAN_CORPUS) and the repository's own example files. The corpus directories are
# git-ignored: they are copies, never committed. Run from anywhere; re-running refreshes them.
set -euo pipefail
cd "$(dirname "$0")"
FIX="${TEESCAN_CORPUS:-../../shared/fixtures}"
REPO=..
[ -f "$FIX/tdx/manifest.json" ] || { echo "seed.sh: no corpus at $FIX (set TEESCAN_CORPUS)" >&2; exit 1; }

# add TARGET FILE...: copy each file in, named after its path.
add() {
    local t=$1; shift
    mkdir -p "corpus/$t"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "corpus/$t/$(echo "$f" | sed 's#^\.\./##; s#^\.\./##; s#[/ ]#_#g')"
    done
}
# add_hexdecoded TARGET FILE...: also seed the binary form of hex text files.
add_hexdecoded() {
    local t=$1; shift
    mkdir -p "corpus/$t"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        tr -d ' \n\r\t' <"$f" | xxd -r -p >"corpus/$t/$(basename "$f").bin"
    done
}

rm -rf corpus
shopt -s nullglob globstar

# TDX quotes: binary, hex and base64 forms, all versions and bodies in the corpus.
add tdx_quote "$FIX"/tdx/**/*.dat "$FIX"/tdx/**/*.bin "$FIX"/tdx/**/*.hex "$FIX"/tdx/dcap-qvl-0.7.1/tdx_quote* \
    "$FIX"/tdx/dcap-qvl-0.7.1/sgx_quote "$FIX"/tdx/teekit/tdx-v4-azure "$REPO"/fixtures/testpki/*.bin
for f in "$FIX"/tdx/derived/teep/*/quote_*.bin; do
    base64 -w0 "$f" >"corpus/tdx_quote/$(basename "$f").b64"
    xxd -p "$f" | tr -d '\n' >"corpus/tdx_quote/$(basename "$f").hex"
done
# End-to-end TDX verification uses the NEAR direct collateral: its quotes first, then the rest.
add tdx_verify "$FIX"/tdx/derived/teep/neardirect_*/quote_*.bin "$FIX"/tdx/derived/teep/*/quote_*.bin "$FIX"/tdx/**/*.dat

# DCAP collateral JSON.
add dcap_collateral "$FIX"/tdx/**/*collateral*.json "$REPO"/fixtures/testpki/collateral.json

# SPDM reports (hex as shipped, and binary), opaque data cut from them.
add spdm_report "$FIX"/nvidia/**/attestation_report.hex "$FIX"/nvidia/negative/*.hex
add_hexdecoded spdm_report "$FIX"/nvidia/**/attestation_report.hex "$FIX"/nvidia/negative/*.hex
mkdir -p corpus/spdm_opaque
python3 - "$FIX" corpus/spdm_opaque <<'PY'
import glob, os, struct, sys
fix, out = sys.argv[1], sys.argv[2]
for f in glob.glob(os.path.join(fix, "nvidia/**/attestation_report.hex"), recursive=True):
    b = bytes.fromhex("".join(open(f).read().split()))
    body = b[:-96]  # the P-384 signature ends the report
    # The opaque data is the tail of the signed part, preceded by its u16 length.
    for p in range(len(body) - 2, 0, -1):
        if struct.unpack_from("<H", body, p)[0] == len(body) - p - 2:
            name = f[len(fix):].strip("/").replace("/", "_")
            open(os.path.join(out, name + ".opaque"), "wb").write(body[p + 2:])
            break
PY

# Evidence lists (object and bare-array forms; providers' payloads).
add evidence_list "$FIX"/nvidia/ppcie-hgx-8gpu-4switch/*.json "$FIX"/nvidia/nvat-hopper-590/*.json \
    "$FIX"/nvidia/providers/*/nvidia_payload.json "$FIX"/nvidia/providers/*/gpu_evidence_instance0.json \
    "$FIX"/providers/dstack-verifier-fixtures/gpu_attestation_h100.json

# Certificate chains (PEM).
add cert_chain "$FIX"/nvidia/**/*.pem "$FIX"/tdx/**/*.pem

# RIMs.
add rim "$FIX"/nvidia/**/*.xml "$FIX"/nvidia/rim-samples/*.swidtag

# OCSP responses (base64 as shipped, and DER).
add ocsp "$FIX"/nvidia/**/ocsp/*
for f in "$FIX"/nvidia/**/ocsp/*.b64; do base64 -d "$f" >"corpus/ocsp/$(basename "$f").der"; done

# NRAS detached EATs and JWKS.
add nras_eat "$FIX"/nvidia/providers/*/nras_response.json "$FIX"/nvidia/nvswitch-ls10/nras_detached_eat.json \
    "$FIX"/providers/teep-captures/*/responses/*_nras.attestation.nvidia.com_v3_attest_gpu.body
add jwks "$FIX"/nvidia/providers/*/nras_jwks_at_capture.json \
    "$FIX"/providers/teep-captures/*/responses/*_jwks.json.body

# Provider reports and event logs.
add provider "$FIX"/providers/teep-captures/*/responses/0001_*.body "$FIX"/providers/dstack-verifier-fixtures/*.json
add eventlog "$FIX"/providers/teep-captures/*/responses/0001_*.body "$FIX"/providers/dstack-verifier-fixtures/*.json

# Response signatures: the corpus has none; the web3.js EIP-191 vector and an Ed25519 shape.
mkdir -p corpus/signature
printf '%s' '{"text":"Some data","signature":"0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c","signing_address":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","signing_algo":"ecdsa"}' >corpus/signature/web3js.json
printf '%s' '{"text":"Qwen/Qwen3.5-122B-A10B:0000000000000000000000000000000000000000000000000000000000000000:1111111111111111111111111111111111111111111111111111111111111111","signature":"'"$(printf '00%.0s' $(seq 64))"'","signing_address":"'"$(printf 'ab%.0s' $(seq 32))"'","signing_algo":"ed25519","signature_kind":"provider_tee"}' >corpus/signature/ed25519.json
printf '%s' '{"error_code":"not_found","message":"no signature"}' >corpus/signature/unavailable.json

# Policies: the repository's shipped policies.
add policy "$REPO"/policies/*.toml "$REPO"/fixtures/testpki/policy.toml
# SEV-SNP reports, dstack attestations and AMD certificates/CRLs.
add snp_report "$FIX"/sev-snp/*/*.bin "$FIX"/sev-snp/*/*.der "$FIX"/sev-snp/*/*.pem "$FIX"/sev-snp/*/decoded/* "$FIX"/sev-snp/dstack/*.json
add_hexdecoded snp_report "$FIX"/sev-snp/virtee-sev/report_milan.hex
# Sigstore bundles: the fixtures' release bundles and the conformance and Tinfoil vectors.
add sigstore_bundle "$FIX"/sigstore/**/*.sigstore.json "$FIX"/sigstore/**/*bundle*.json

for d in corpus/*; do printf '%-16s %3d files\n' "$(basename "$d")" "$(ls "$d" | wc -l)"; done
