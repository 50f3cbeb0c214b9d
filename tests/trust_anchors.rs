//! Issue 13, anchors: the GPU report signature and the OCSP responder and signature sites refuse
//! a self-made key. Each forgery is checked to be well made (its signature verifies under the
//! self-made key) so that the failure shown is the missing chain to a pinned NVIDIA key.
//!
//! Real evidence: the nvtrust H100 sample (report, device chain, seven OCSP responses) at its
//! pinned time 2025-08-21T12:00Z. Forged keys and certificates: `support/gpu_forge.rs`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/gpu_forge.rs"]
mod gpu_forge;

use std::path::Path;

use der::{Decode as _, Encode as _};
use teescan::nvidia::chain::{verify_device_chain, ChainError};
use teescan::nvidia::evidence::{EvidenceList, GpuEvidence};
use teescan::nvidia::ocsp::{decode_response, verify_ocsp, CertStatus, OcspError};
use teescan::nvidia::spdm::{SpdmError, SpdmReport};
use teescan::nvidia::verify::{verify_gpus, GpuCollateral, GpuOptions, GpuVerification};
use teescan::pki::TrustAnchor;
use teescan::report::Status;
use teescan::time::Timestamp;

const DIR: &str = "nvidia/nvtrust-sample-h100";
const AT: &str = "2025-08-21T12:00:00Z";

fn at() -> Timestamp {
    Timestamp::parse_rfc3339(AT).unwrap()
}

struct Sample {
    report: Vec<u8>,
    chain: Vec<Vec<u8>>,
    ocsp: Vec<Vec<u8>>,
    nonce: [u8; 32],
}

fn sample(root: &Path) -> Sample {
    let report = hex::decode(String::from_utf8(corpus::read(root, &format!("{DIR}/attestation_report.hex"))).unwrap().trim()).unwrap();
    let chain = pem::parse_many(corpus::read(root, &format!("{DIR}/device_cert_chain.pem"))).unwrap().into_iter().map(pem::Pem::into_contents).collect();
    let mut files: Vec<_> = std::fs::read_dir(root.join(DIR).join("ocsp")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let ocsp = files.iter().map(|f| decode_response(&std::fs::read(f).unwrap()).unwrap()).collect();
    let nonce = report[4..36].try_into().unwrap();
    Sample { report, chain, ocsp, nonce }
}

/// GPU verification of one device (its report and chain) with the sample's OCSP responses and
/// the RIM requirement waived (RIMs are not what these tests are about).
fn scan(s: &Sample, report: Vec<u8>, chain: Vec<Vec<u8>>, ocsp: Vec<Vec<u8>>) -> GpuVerification {
    let item = GpuEvidence { report, cert_chain: chain, arch_hint: None, nonce_hint: None, driver_version_hint: None, vbios_version_hint: None };
    let list = EvidenceList { arch_hint: None, nonce_hint: None, items: vec![item] };
    let coll = GpuCollateral { ocsp, ..GpuCollateral::default() };
    let opts = GpuOptions { expected_nonce: Some(s.nonce), require_rims: false, ..GpuOptions::default() };
    verify_gpus(&list, &coll, at(), &opts)
}

fn status(v: &GpuVerification, id: &str) -> (Status, String) {
    let c = v.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id}"));
    (c.status, format!("{:?} {:?}", c.reason, c.actual))
}

/// The untouched sample passes chain, signature and device OCSP: the guard against a vacuous run.
fn assert_real_sample_passes(s: &Sample) {
    let v = scan(s, s.report.clone(), s.chain.clone(), s.ocsp.clone());
    for id in ["gpu[0].chain", "gpu[0].report.signature", "gpu[0].chain.fwid", "gpu[0].report.nonce", "gpu[0].ocsp.brom"] {
        assert_eq!(status(&v, id).0, Status::Pass, "{id} on the real sample: {:?}", status(&v, id));
    }
}

// ---------------------------------------------------------------------------------------------
// nvidia.gpu.report.signature

#[test]
fn report_re_signed_with_a_self_made_chain_named_like_nvidia_fails_the_anchor() {
    let Some(root) = corpus::root() else { return };
    let s = sample(&root);
    assert_real_sample_passes(&s);
    // (self-made root named `NVIDIA Device Identity CA`) and (self-made intermediates under the
    // real pinned root appended as the chain's last certificate).
    for real_root in [false, true] {
        let f = gpu_forge::device_chain_like(&s.chain, real_root);
        for (i, (forged, real)) in f.chain.iter().zip(&s.chain).enumerate() {
            assert_eq!(gpu_forge::cn_of(forged), gpu_forge::cn_of(real), "certificate {i} named like NVIDIA's");
        }
        let report = gpu_forge::resign_report(&s.report, &f.leaf_key);
        // Control: the forgery is well made. The report parses, carries the real nonce and its
        // signature verifies under the self-made leaf; with its own root as the anchor the
        // self-made chain validates (FWID read from the copied DICE extension).
        let parsed = SpdmReport::parse(&report).unwrap();
        assert_eq!(parsed.nonce(), &s.nonce);
        assert_eq!(parsed.verify_signature(&f.chain[0]), Ok(()), "real_root={real_root}");
        if !real_root {
            let own = TrustAnchor::danger_test_root(&f.chain[4]).unwrap();
            let c = verify_device_chain(&f.chain, &own, at()).unwrap();
            assert!(c.leaf_fwid.is_some() && c.hwmodel.contains("BROM"), "{c:?}");
        }
        // The pinned NVIDIA Device Identity CA refuses the chain …
        let pinned = TrustAnchor::nvidia_device_identity_ca();
        match verify_device_chain(&f.chain, &pinned, at()) {
            Err(ChainError::RootMismatch { .. }) if !real_root => {}
            Err(ChainError::Path(_)) if real_root => {}
            other => panic!("real_root={real_root}: {other:?}"),
        }
        // … so the scan fails the chain and the report signature, and proves nothing more.
        let v = scan(&s, report, f.chain.clone(), s.ocsp.clone());
        let (chain, why) = status(&v, "gpu[0].chain");
        assert_eq!(chain, Status::Fail, "real_root={real_root}: {why}");
        let (sig, why) = status(&v, "gpu[0].report.signature");
        assert_eq!(sig, Status::Fail, "real_root={real_root}: {why}");
        assert!(why.contains("chain did not validate"), "real_root={real_root}: {why}");
        let passed: Vec<&str> = v.checks.iter().filter(|c| c.status == Status::Pass).map(|c| c.id.as_str()).collect();
        assert!(passed.iter().all(|id| ["gpu[0].report.parse", "gpu[0].report.nonce", "gpu.consistent", "gpu.unique"].contains(id)), "real_root={real_root}: {passed:?}");
    }
}

#[test]
fn real_chain_with_a_report_re_signed_by_a_self_made_key_fails_the_signature() {
    let Some(root) = corpus::root() else { return };
    let s = sample(&root);
    assert_real_sample_passes(&s);
    let key = gpu_forge::p384_key();
    let report = gpu_forge::resign_report(&s.report, &key);
    assert_ne!(report, s.report);
    assert_eq!(report.len(), s.report.len());
    // Control: the signature is a valid one, under the self-made key.
    let parsed = SpdmReport::parse(&report).unwrap();
    let ring_key = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P384_SHA384_FIXED, key.public_key_raw());
    assert!(ring_key.verify(parsed.signed_bytes(), parsed.signature()).is_ok());
    assert_eq!(parsed.verify_signature(&s.chain[0]), Err(SpdmError::BadSignature));
    let v = scan(&s, report, s.chain.clone(), s.ocsp.clone());
    assert_eq!(status(&v, "gpu[0].chain").0, Status::Pass);
    let (sig, why) = status(&v, "gpu[0].report.signature");
    assert_eq!(sig, Status::Fail, "{why}");
    assert!(why.contains("does not verify"), "{why}");
}

// ---------------------------------------------------------------------------------------------
// nvidia.ocsp.responder, nvidia.ocsp.signature

/// The real response for the BROM certificate (chain\[1\], issued by chain\[2\]): verifies `good`.
fn brom_response(s: &Sample) -> (usize, Vec<u8>) {
    let (cert, issuer) = (&s.chain[1], &s.chain[2]);
    let found: Vec<(usize, &Vec<u8>)> = s.ocsp.iter().enumerate().filter(|(_, r)| verify_ocsp(r, cert, issuer, at()).is_ok()).collect();
    assert_eq!(found.len(), 1, "one real response covers the BROM certificate");
    let (i, r) = found[0];
    assert_eq!(verify_ocsp(r, cert, issuer, at()).unwrap().status, CertStatus::Good);
    (i, r.clone())
}

/// A `good` response for the real BROM certificate (real CertID, times and extensions), signed
/// by a self-made delegated responder named like NVIDIA's, issued by a self-made CA named like
/// the BROM's real issuer. Returns (response DER, responder certificate DER).
fn forged_by_self_made_responder(s: &Sample) -> (Vec<u8>, Vec<u8>) {
    let (_, real) = brom_response(s);
    let parts = gpu_forge::ocsp_parts(&real);
    let real_certs = parts.certs();
    assert!(!real_certs.is_empty(), "NVIDIA's responses carry their delegated responder");
    let (certs, key) = gpu_forge::responder_like(&real_certs[0], &s.chain[2]);
    assert_eq!(gpu_forge::cn_of(&certs[0]), gpu_forge::cn_of(&real_certs[0]));
    let mut data = parts.data.clone();
    data.responder_id = gpu_forge::by_key(&key);
    let (der, tbs) = parts.resign(&data, &key, &certs);
    // Control: the forged response's signature verifies under the self-made responder's key.
    let ring_key = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P384_SHA384_ASN1, key.public_key_raw());
    let sig = gpu_forge::ocsp_parts(&der).basic.signature.as_bytes().unwrap().to_vec();
    assert!(ring_key.verify(&tbs, &sig).is_ok());
    (der, certs[0].clone())
}

#[test]
fn self_made_ocsp_responder_named_like_nvidia_is_not_authorised() {
    let Some(root) = corpus::root() else { return };
    let s = sample(&root);
    let (der, _) = forged_by_self_made_responder(&s);
    match verify_ocsp(&der, &s.chain[1], &s.chain[2], at()) {
        Err(OcspError::ResponderNotAuthorized { subject, .. }) => assert!(subject.contains("NVIDIA"), "{subject}"),
        other => panic!("{other:?}"),
    }
}

/// The same forged response put in the GPU collateral instead of the real one: supplied
/// evidence that fails verification must fail the device's OCSP check, not be indeterminate.
#[test]
fn self_made_ocsp_responder_in_gpu_collateral_fails_the_ocsp_check() {
    let Some(root) = corpus::root() else { return };
    let s = sample(&root);
    assert_real_sample_passes(&s);
    let (i, _) = brom_response(&s);
    let (der, _) = forged_by_self_made_responder(&s);
    let mut ocsp = s.ocsp.clone();
    ocsp[i] = der;
    let v = scan(&s, s.report.clone(), s.chain.clone(), ocsp);
    let (st, why) = status(&v, "gpu[0].ocsp.brom");
    assert_eq!(st, Status::Fail, "{why}");
}

#[test]
fn ocsp_response_re_signed_by_a_self_made_key_fails_the_signature() {
    let Some(root) = corpus::root() else { return };
    let s = sample(&root);
    let (_, real) = brom_response(&s);
    let parts = gpu_forge::ocsp_parts(&real);
    let key = gpu_forge::p384_key();
    // (a) The real tbsResponseData (naming NVIDIA's delegated responder) and the real responder
    // certificate, signed by a self-made key.
    let (der, tbs) = parts.resign(&parts.data, &key, &parts.certs());
    assert_eq!(tbs, parts.basic.tbs_response_data.to_der().unwrap(), "the signed bytes are the real ones");
    match verify_ocsp(&der, &s.chain[1], &s.chain[2], at()) {
        Err(OcspError::BadSignature { signer }) => assert!(signer.contains("NVIDIA"), "{signer}"),
        other => panic!("real responder, self-made key: {other:?}"),
    }
    // (b) The responder id names the real issuer itself (byName), signed by a self-made key.
    let mut data = parts.data.clone();
    let issuer = x509_cert::Certificate::from_der(&s.chain[2]).unwrap();
    data.responder_id = gpu_forge::ResponderId::ByName(issuer.tbs_certificate().subject().clone());
    let (der, _) = parts.resign(&data, &key, &[]);
    match verify_ocsp(&der, &s.chain[1], &s.chain[2], at()) {
        Err(OcspError::BadSignature { .. }) => {}
        other => panic!("issuer as responder, self-made key: {other:?}"),
    }
}
