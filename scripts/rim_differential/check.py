#!/usr/bin/env python3
"""Differential check of teescan's NVIDIA RIM verification against signxml (dev tool, not CI).

Verifies the corpus RIMs (and two tampered variants) independently of teescan: the XML signature
with signxml (key pinned to the KeyInfo leaf, ECDSA-SHA384 / SHA-384 only, one reference, leaf
validity at the pinned time) and the KeyInfo chain with `openssl verify -attime` to the pinned NVIDIA
CoRIM signing root, at the same pinned times the Rust tests use; prints valid/invalid per file. Golden values are read from signxml's *verified* output (signed_xml) and
the active-measurement count is printed, so it can be compared with `tests/nvidia_rim.rs`.

    pip install signxml lxml
    python3 scripts/rim_differential/check.py [CORPUS_DIR]   # default ../shared/fixtures
"""
import base64
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod

HERE = Path(__file__).resolve().parent
CORPUS = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / ".." / "shared" / "fixtures"
NV = CORPUS / "nvidia"
ROOT_PEM = NV / "roots" / "nvidia_corim_signing_root_ca.pem"
SWID = "{http://standards.iso.org/iso/19770/-2/2015/schema.xsd}"


def t(s):
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc)


H100_AT, LS10_AT, OLD_AT, TODAY = t("2025-10-24T12:00:00"), t("2026-11-20T00:00:00"), t("2024-06-01T00:00:00"), t("2026-11-24T00:00:00")


def keyinfo_certs(data):
    """DER certificates of ds:KeyInfo/ds:X509Data, document order (leaf first)."""
    doc = etree.fromstring(data)
    ns = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    return [base64.b64decode("".join(e.text.split())) for e in doc.findall("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)]


def openssl_chain(certs, at):
    """Validate leaf -> KeyInfo intermediates -> pinned root with OpenSSL at `at` (KeyInfo roots dropped)."""
    with tempfile.TemporaryDirectory() as d:
        leaf = Path(d, "leaf.pem")
        inter = Path(d, "inter.pem")
        leaf.write_text(pem(certs[0]))
        inter.write_text("".join(pem(c) for c in certs[1:] if not self_signed(c)))
        r = subprocess.run(
            ["openssl", "verify", "-attime", str(int(at.timestamp())), "-CAfile", str(ROOT_PEM), "-untrusted", str(inter), str(leaf)],
            capture_output=True, text=True,
        )
        return r.returncode == 0, (r.stdout + r.stderr).strip().splitlines()[-1:]


def pem(der):
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


def self_signed(der):
    c = x509.load_der_x509_certificate(der)
    return c.subject == c.issuer


def check(label, data, at):
    # XMLDSig with signxml, the key pinned to the KeyInfo leaf (signxml's own chain builder, pyca
    # cryptography, refuses NVIDIA's intermediates: their pre-2050 validity dates are encoded as
    # GeneralizedTime, which RFC 5280 forbids), then the chain with OpenSSL at the same time.
    cfg = SignatureConfiguration(
        signature_methods=frozenset({SignatureMethod.ECDSA_SHA384}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA384}),
        expect_references=1,
        verification_time=at,
    )
    certs = keyinfo_certs(data)
    chain_ok, chain_msg = openssl_chain(certs, at)
    try:
        result = XMLVerifier().verify(data, x509_cert=pem(certs[0]), expect_config=cfg)
        signed = result.signed_xml
        active = [r for r in signed.iter(f"{SWID}Resource") if r.get("active") == "True"]
        sig = f"signature VALID ({len(active)} active in signed_xml)"
    except Exception as e:  # noqa: BLE001 - report any refusal
        sig = f"signature INVALID ({type(e).__name__}: {str(e).splitlines()[0][:70]})"
    chain = "chain OK" if chain_ok else f"chain FAIL ({' '.join(chain_msg)[:60]})"
    verdict = "valid" if chain_ok and sig.startswith("signature VALID") else "INVALID"
    print(f"{label:58s} at {at.date()}  {verdict:7s}  {sig}; {chain}")


def main():
    files = [
        (NV / "nvtrust-sample-h100" / "NV_GPU_DRIVER_GH100_550.90.07.xml", H100_AT),
        (NV / "nvtrust-sample-h100" / "NV_GPU_VBIOS_1010_0200_882_96009F0001.xml", H100_AT),
        (NV / "nvswitch-ls10" / "NV_SWITCH_BIOS_5612_0002_890_9610550001.xml", LS10_AT),
        *[(p, OLD_AT) for p in sorted((NV / "rim-samples").glob("*.swidtag"))],
    ]
    for path, at in files:
        check(str(path.relative_to(NV)), path.read_bytes(), at)
    vbios = (NV / "nvtrust-sample-h100" / "NV_GPU_VBIOS_1010_0200_882_96009F0001.xml").read_bytes()
    hash_tampered = vbios.replace(b'ns2:Hash0="8048dfd1', b'ns2:Hash0="9048dfd1', 1)
    sig_tampered = vbios.replace(b"<ds:SignatureValue>+8zHlC89", b"<ds:SignatureValue>+8zHlC88", 1)
    assert hash_tampered != vbios and sig_tampered != vbios
    check("VBIOS with one Hash character changed", hash_tampered, H100_AT)
    check("VBIOS with one SignatureValue character changed", sig_tampered, H100_AT)
    check("driver RIM verified today (signer expired 2026-06-01)", files[0][0].read_bytes(), TODAY)


if __name__ == "__main__":
    main()
