//! Every signature teescan checks is verified in the crypto room (`teescan::crypto`): dcap-qvl's
//! TDX pipeline, the X.509 paths of rustls-webpki, SPDM report signatures and NRAS tokens all
//! show up in `crypto::verification_count()`. One test in its own binary, so the process-global
//! counter moves only with what it does.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/testpki.rs"]
mod testpki;

use teescan::crypto::verification_count;
use teescan::nvidia::evidence::parse_evidence_list;
use teescan::nvidia::verify::{verify_gpus, GpuCollateral, GpuOptions, NrasInput};
use teescan::report::Verdict;
use teescan::time::Timestamp;

fn counted<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = verification_count();
    let r = f();
    (r, verification_count() - before)
}

#[test]
fn every_signature_of_a_tdx_scan_and_a_gpu_appraisal_is_verified_in_the_crypto_room() {
    // TDX (TEST PKI): the quote and QE report signatures, the TCB Info and QE Identity
    // signatures, the root CA and PCK CRLs and the certificates of the three chains — all inside
    // dcap-qvl, which takes its verifier from teescan's Config. Before the room, dcap-qvl used
    // ring directly and this counted nothing.
    let pki = testpki::TestPki::new();
    let m = pki.mint(&testpki::MintOptions::default());
    let coll = teescan::tdx::Collateral::from_dcap_json(m.collateral_json.as_bytes()).expect("collateral");
    let mut opts = teescan::ScanOptions::new(Timestamp::from_unix(testpki::PINNED_TIME_UNIX));
    opts.intel_root = teescan::pki::TrustAnchor::danger_test_root(&m.root_der).expect("root");
    let (report, n_tdx) = counted(|| teescan::scan_tdx_quote(&m.quote, &coll, &opts).expect("scans"));
    assert_eq!(report.verdict, Verdict::Pass, "{:?}", report.checks);
    let n = n_tdx;
    assert!(n >= 8, "a TDX scan verified {n} signatures in the room, expected the quote's, the QE report's, TCB Info, QE Identity, two CRLs and the chains");
    // A tampered quote signature is verified (and rejected) in the room too.
    let quote = teescan::tdx::Quote::parse(&m.quote).expect("quote");
    let mut bad = m.quote.clone();
    let sig_at = quote.signed_len + 4;
    bad[sig_at + 5] ^= 1;
    let (report, n_bad) = counted(|| teescan::scan_tdx_quote(&bad, &coll, &opts).expect("scans"));
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(n_bad >= 1, "the bad quote signature was not verified in the room");

    // GPU (real NEAR 8×H100 payload with its NRAS response): 8 SPDM report signatures (P-384),
    // the device chains' certificates (webpki) and the NRAS tokens (ES384) and their x5c.
    let Some(root) = corpus::root() else { return };
    let near = "nvidia/providers/neardirect-qwen35-teep";
    let list = parse_evidence_list(&corpus::read(&root, &format!("{near}/nvidia_payload.json"))).expect("payload");
    let coll = GpuCollateral {
        nras: Some(NrasInput {
            body: corpus::read(&root, &format!("{near}/nras_response.json")),
            jwks: corpus::read(&root, &format!("{near}/nras_jwks_at_capture.json")),
        }),
        ..GpuCollateral::default()
    };
    let nonce: [u8; 32] = hex::decode("541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b").unwrap().try_into().unwrap();
    let gopts = GpuOptions { expected_nonce: Some(nonce), require_rims: false, require_ocsp: false, require_nras: true, ..GpuOptions::default() };
    let at = Timestamp::parse_rfc3339("2026-06-29T02:06:40Z").unwrap();
    let (v, n) = counted(|| verify_gpus(&list, &coll, at, &gopts));
    assert_eq!(Verdict::from_checks(&v.checks), Verdict::Pass);
    // 8 report signatures + 9 NRAS tokens at least, plus the certificates.
    assert!(n >= 8 + 9, "an 8-GPU appraisal with NRAS verified only {n} signatures in the room");
    eprintln!("room verifications: TDX scan {n_tdx}, 8xH100 + NRAS {n}");
}
