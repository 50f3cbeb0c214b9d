//! Wycheproof ECDSA vectors for the exact raw-signature forms teescan verifies, including the
//! zero, out-of-range, high-s and wrong-size signatures of the CVE-2022-21449 ("psychic
//! signatures") class. Every vector goes through the crypto room (`teescan::crypto`), so it runs
//! against the backend the crate was built with: aws-lc-rs by default, ring with
//! `--no-default-features --features crypto-ring` (CI runs both).
//!
//! * **P-256 / SHA-256, raw `r ‖ s` (IEEE P1363), 64 bytes**: the TDX quote signature, the QE
//!   report signature and the TCB Info / QE Identity signatures. The quote carries the signature
//!   as a fixed 64-byte field and the attestation key as 64 bytes `x ‖ y`; dcap-qvl (ring
//!   backend, as teescan configures it) DER-encodes `r ‖ s` with its `DerSigEncoder` and verifies
//!   with the room's webpki ECDSA P-256/SHA-256 algorithm. This file reproduces that path.
//! * **P-384 / SHA-384, raw `r ‖ s`, 96 bytes**: the NVIDIA SPDM report signature
//!   (`SpdmReport::verify_signature`: the room's `EcdsaP384Sha384Fixed` with the leaf's
//!   uncompressed point, 97 bytes) and NRAS ES384 tokens (the same algorithm).
//! * **P-256 / P-384, ASN.1 DER**: certificates, CRLs and OCSP responses (the room's webpki
//!   algorithms).
//!
//! Every vector's expected result must agree: `valid` verifies, `invalid` does not
//! (`acceptable` is allowed either way and counted). A vector whose signature does not have the
//! fixed width cannot be carried by the formats at all; such vectors must all be invalid.
//! The last tests drive the same edge cases through teescan's own APIs (a real H100 report, a
//! TEST-PKI TDX quote).

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/testpki.rs"]
mod testpki;

use dcap_qvl::config::EcdsaSigEncoder as _;
use teescan::crypto::SigAlg;
use wycheproof::ecdsa::{TestName, TestSet};
use wycheproof::TestResult;

/// Outcome counts of one vector set.
#[derive(Debug, Default)]
struct Tally {
    valid: usize,
    invalid: usize,
    acceptable: usize,
    /// Invalid vectors whose signature has the wrong width for the raw form.
    wrong_width: usize,
}

impl Tally {
    fn total(&self) -> usize {
        self.valid + self.invalid + self.acceptable
    }
}

/// Run `verify(public_point_uncompressed, msg, sig) -> accepted` over every vector of `name`,
/// where the raw signature has `width` bytes; panics listing every disagreement.
fn run(name: TestName, width: usize, verify: impl Fn(&[u8], &[u8], &[u8]) -> bool) -> Tally {
    let set = TestSet::load(name).expect("wycheproof set");
    let mut tally = Tally::default();
    let mut disagreements = Vec::new();
    for group in &set.test_groups {
        let key: &[u8] = &group.key.key;
        assert_eq!(key.len(), width + 1, "uncompressed point of {name:?}");
        for t in &group.tests {
            let sig: &[u8] = &t.sig;
            let msg: &[u8] = &t.msg;
            let accepted = if sig.len() == width { verify(key, msg, sig) } else { false };
            match t.result {
                TestResult::Valid => {
                    tally.valid += 1;
                    if !accepted {
                        disagreements.push(format!("tc {} ({}) is valid but was rejected", t.tc_id, t.comment));
                    }
                }
                TestResult::Invalid => {
                    tally.invalid += 1;
                    if sig.len() != width {
                        tally.wrong_width += 1;
                    }
                    if accepted {
                        disagreements.push(format!("tc {} ({}, flags {:?}) is invalid but was accepted", t.tc_id, t.comment, t.flags));
                    }
                }
                TestResult::Acceptable => tally.acceptable += 1,
            }
        }
    }
    eprintln!("{name:?}: {} vectors {tally:?}", tally.total());
    assert!(disagreements.is_empty(), "{name:?}: {} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
    tally
}

/// teescan's TDX path: the quote's 64-byte `x ‖ y` key and 64-byte `r ‖ s`, DER-encoded by
/// dcap-qvl's encoder and verified by the room's webpki ECDSA P-256/SHA-256 algorithm (the one
/// teescan's dcap-qvl `Config` hands it).
fn tdx_p256_verify(point: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    // The quote holds the key without the 0x04 prefix; dcap-qvl puts it back.
    let Some(xy) = point.strip_prefix(&[0x04]) else { return false };
    let mut key = [0x04u8; 65];
    key[1..].copy_from_slice(xy);
    let (r, s) = sig.split_at(32);
    let Ok(der) = dcap_qvl::signature::DerSigEncoder::encode_ecdsa_sig(r, s) else { return false };
    let alg = teescan::crypto::webpki_alg(SigAlg::EcdsaP256Sha256Der).expect("P-256 webpki algorithm");
    alg.verify_signature(&key, msg, &der).is_ok()
}

/// teescan's GPU path (`SpdmReport::verify_signature`, NRAS ES384): a 97-byte uncompressed
/// P-384 point and a 96-byte `r ‖ s`, the room's fixed-width ECDSA P-384/SHA-384.
fn gpu_p384_verify(point: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    if point.len() != 97 || point.first() != Some(&0x04) {
        return false;
    }
    teescan::crypto::verify(SigAlg::EcdsaP384Sha384Fixed, point, msg, sig).is_ok()
}

/// Run the ASN.1 DER set `name` through the room's webpki algorithm for `alg` (the X.509 path:
/// certificates, CRLs, OCSP). `acceptable` vectors may go either way.
fn run_der(name: TestName, alg: SigAlg) -> Tally {
    let set = TestSet::load(name).expect("wycheproof set");
    let webpki_alg = teescan::crypto::webpki_alg(alg).expect("webpki algorithm");
    let mut tally = Tally::default();
    let mut disagreements = Vec::new();
    for group in &set.test_groups {
        for t in &group.tests {
            let accepted = webpki_alg.verify_signature(&group.key.key, &t.msg, &t.sig).is_ok();
            match t.result {
                TestResult::Valid => {
                    tally.valid += 1;
                    if !accepted {
                        disagreements.push(format!("tc {} ({}) is valid but was rejected", t.tc_id, t.comment));
                    }
                }
                TestResult::Invalid => {
                    tally.invalid += 1;
                    if accepted {
                        disagreements.push(format!("tc {} ({}, flags {:?}) is invalid but was accepted", t.tc_id, t.comment, t.flags));
                    }
                }
                TestResult::Acceptable => tally.acceptable += 1,
            }
        }
    }
    eprintln!("{name:?} on {}: {} vectors {tally:?}", teescan::crypto::backend_name(), tally.total());
    assert!(disagreements.is_empty(), "{name:?}: {} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
    tally
}

#[test]
fn p256_sha256_der_vectors_agree_with_the_x509_path() {
    let t = run_der(TestName::EcdsaSecp256r1Sha256, SigAlg::EcdsaP256Sha256Der);
    assert!(t.total() > 250 && t.valid > 100 && t.invalid > 200, "{t:?}");
}

#[test]
fn p384_sha384_der_vectors_agree_with_the_x509_path() {
    let t = run_der(TestName::EcdsaSecp384r1Sha384, SigAlg::EcdsaP384Sha384Der);
    assert!(t.total() > 250 && t.valid > 100 && t.invalid > 200, "{t:?}");
}

#[test]
fn p256_sha256_p1363_vectors_agree_with_the_tdx_path() {
    let t = run(TestName::EcdsaSecp256r1Sha256P1363, 64, tdx_p256_verify);
    // A test that ran nothing proves nothing: the set has hundreds of vectors of both kinds.
    assert!(t.total() > 250 && t.valid > 150 && t.invalid > 80, "{t:?}");
}

#[test]
fn p384_sha384_p1363_vectors_agree_with_the_gpu_path() {
    let t = run(TestName::EcdsaSecp384r1Sha384P1363, 96, gpu_p384_verify);
    assert!(t.total() > 250 && t.valid > 150 && t.invalid > 80, "{t:?}");
}

/// The verifiers above really accept a good signature and really reject a tampered one (so a
/// vector run where everything is rejected could not pass unnoticed).
#[test]
fn the_verifiers_are_not_constant() {
    let set = TestSet::load(TestName::EcdsaSecp384r1Sha384P1363).expect("set");
    let (group, t) = set
        .test_groups
        .iter()
        .find_map(|g| g.tests.iter().find(|t| t.result == TestResult::Valid).map(|t| (g, t)))
        .expect("a valid vector");
    assert!(gpu_p384_verify(&group.key.key, &t.msg, &t.sig));
    let mut bad = t.sig.to_vec();
    bad[95] ^= 1;
    assert!(!gpu_p384_verify(&group.key.key, &t.msg, &bad));
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256P1363).expect("set");
    let (group, t) = set
        .test_groups
        .iter()
        .find_map(|g| g.tests.iter().find(|t| t.result == TestResult::Valid).map(|t| (g, t)))
        .expect("a valid vector");
    assert!(tdx_p256_verify(&group.key.key, &t.msg, &t.sig));
    let mut bad = t.sig.to_vec();
    bad[0] ^= 0x80;
    assert!(!tdx_p256_verify(&group.key.key, &t.msg, &bad));
}

// ---------------------------------------------------------------------------------------------
// The same edge cases through teescan's own APIs.

/// The P-384 group order n, big-endian.
const P384_N: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0,
    0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];

/// The P-256 group order n, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa,
    0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// a − b for equal-width big-endian numbers (a ≥ b).
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = u8::try_from(d).expect("byte");
    }
    assert_eq!(borrow, 0, "a < b");
    out
}

/// Edge-case signatures derived from a genuine `r ‖ s` of width `2·k` over a curve of order `n`:
/// (label, signature, whether ECDSA accepts it).
fn edge_cases(good: &[u8], n: &[u8]) -> Vec<(&'static str, Vec<u8>, bool)> {
    let k = n.len();
    let (r, s) = good.split_at(k);
    let cat = |a: &[u8], b: &[u8]| [a, b].concat();
    let zero = vec![0u8; k];
    let one = {
        let mut v = vec![0u8; k];
        v[k - 1] = 1;
        v
    };
    let ff = vec![0xffu8; k];
    vec![
        ("genuine", good.to_vec(), true),
        // (r, n − s) is the other valid signature for the same message: ECDSA is malleable, and
        // neither format requires low s. teescan never uses signature bytes as identifiers.
        ("high-s twin (r, n-s)", cat(r, &sub_be(n, s)), true),
        ("r = s = 0 (CVE-2022-21449)", cat(&zero, &zero), false),
        ("r = 0", cat(&zero, s), false),
        ("s = 0", cat(r, &zero), false),
        ("r = s = 1", cat(&one, &one), false),
        ("r = n", cat(n, s), false),
        ("s = n", cat(r, n), false),
        ("r = n + r (out of range, same residue)", cat(&ff, s), false),
        ("s = 2^k - 1 (out of range)", cat(r, &ff), false),
        ("r = n - r", cat(&sub_be(n, r), s), false),
        ("swapped (s, r)", cat(s, r), false),
    ]
}

/// The real H100 sample report through `SpdmReport::verify_signature` with its real leaf: only
/// the genuine signature and its (r, n−s) twin verify.
#[test]
fn spdm_report_signature_edge_cases() {
    let Some(root) = corpus::root() else { return };
    let hex_text = corpus::read(&root, "nvidia/nvtrust-sample-h100/attestation_report.hex");
    let raw = hex::decode(String::from_utf8(hex_text).expect("utf8").split_whitespace().collect::<String>()).expect("hex");
    let pem = corpus::read(&root, "nvidia/nvtrust-sample-h100/device_cert_chain.pem");
    let leaf = pem::parse_many(&pem).expect("pem").remove(0).into_contents();
    let sig_at = raw.len() - 96;
    let good = raw[sig_at..].to_vec();
    for (label, sig, ok) in edge_cases(&good, &P384_N) {
        let mut bytes = raw.clone();
        bytes[sig_at..].copy_from_slice(&sig);
        let report = teescan::nvidia::spdm::SpdmReport::parse(&bytes).expect("parses");
        assert_eq!(report.verify_signature(&leaf).is_ok(), ok, "{label}");
    }
}

/// A TEST-PKI TDX quote through `scan_tdx_quote`: only the genuine signature and its (r, n−s)
/// twin pass `tdx.quote.signature` (the check id of the quote's ECDSA signature).
#[test]
fn tdx_quote_signature_edge_cases() {
    use teescan::report::Status;
    let pki = testpki::TestPki::new();
    let m = pki.mint(&testpki::MintOptions::default());
    let quote = teescan::tdx::Quote::parse(&m.quote).expect("quote");
    // Signature data: u32 length, then the 64-byte ECDSA signature over the header and body.
    let sig_at = quote.signed_len + 4;
    let good = m.quote[sig_at..sig_at + 64].to_vec();
    let coll = teescan::tdx::Collateral::from_dcap_json(m.collateral_json.as_bytes()).expect("collateral");
    let mut opts = teescan::ScanOptions::new(teescan::time::Timestamp::from_unix(testpki::PINNED_TIME_UNIX));
    opts.intel_root = teescan::pki::TrustAnchor::danger_test_root(&m.root_der).expect("root");
    for (label, sig, ok) in edge_cases(&good, &P256_N) {
        let mut q = m.quote.clone();
        q[sig_at..sig_at + 64].copy_from_slice(&sig);
        let report = teescan::scan_tdx_quote(&q, &coll, &opts).expect("scans");
        let check = report.checks.iter().find(|c| c.id == "tdx.quote.signature").expect("signature check");
        assert_eq!(check.status == Status::Pass, ok, "{label}: {check:?}");
        if !ok {
            assert_ne!(report.verdict.exit_code(), 0, "{label}");
        }
    }
}
