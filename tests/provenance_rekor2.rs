//! Rekor v2 bundles (`dsse`/`hashedrekord` 0.0.2, Ed25519 checkpoints, no SET) and their RFC 3161
//! timestamps: a v2 bundle minted by the test PKI (`support/sigstore_pki.rs`: Ed25519 log, test
//! TSAs) and mutations of the real sigstore-conformance v2 bundles (read from `TEESCAN_CORPUS`).
//! Every supplied timestamp or log entry that does not verify is a failure with its own code.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/sigstore_pki.rs"]
mod sigstore_pki;

use base64::Engine as _;
use serde_json::Value;
use sigstore_pki::{release_statement, SigstorePki, Spec, TsaChoice, V2, T0, VERIFY_AT};
use teescan::pki::sigstore::TrustedRoot;
use teescan::provenance::{verify_bundle, Code, ProvenanceError, VerifiedBundle};
use teescan::time::Timestamp;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn spec() -> Spec {
    Spec::release("tinfoilsh/confidential-model-router", "v0.0.1", release_statement(&"ab".repeat(32), &"cd".repeat(48), &"01".repeat(48), &"02".repeat(48)))
}

fn minted(pki: &SigstorePki, v2: &V2) -> Result<VerifiedBundle, ProvenanceError> {
    let b = pki.bundle_v2(&spec(), v2);
    let root = TrustedRoot::from_json(&pki.trusted_root_json()).unwrap();
    verify_bundle(&serde_json::to_vec(&b).unwrap(), &root, Timestamp::from_unix(VERIFY_AT), None)
}

fn code(r: Result<VerifiedBundle, ProvenanceError>) -> Code {
    r.expect_err("must be rejected").code
}

#[test]
fn minted_rekor2_bundle_verifies_at_its_timestamp_and_not_under_the_public_good_root() {
    let pki = SigstorePki::new();
    let v = minted(&pki, &V2::default()).expect("a minted v2 bundle verifies under its own root");
    assert_eq!(v.integrated_time, T0 + 60, "the time is the TSA's signing time");
    assert_eq!(v.log_id, hex::encode(pki.ed_log.log_id()));
    let embedded = minted(&pki, &V2 { embed_cert: true, ..V2::default() });
    assert!(embedded.is_ok(), "{embedded:?}");
    let b = serde_json::to_vec(&pki.bundle_v2(&spec(), &V2::default())).unwrap();
    let public = TrustedRoot::public_good().unwrap();
    assert!(verify_bundle(&b, &public, Timestamp::from_unix(VERIFY_AT), None).is_err());
}

#[test]
fn tampered_timestamp_token_fails() {
    let pki = SigstorePki::new();
    let mut b = pki.bundle_v2(&spec(), &V2::default());
    let p = "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp";
    let mut tok = B64.decode(b.pointer(p).unwrap().as_str().unwrap()).unwrap();
    let n = tok.len();
    tok[n - 10] ^= 1; // inside the TSA's ECDSA signature
    *b.pointer_mut(p).unwrap() = Value::String(B64.encode(&tok));
    let root = TrustedRoot::from_json(&pki.trusted_root_json()).unwrap();
    let r = verify_bundle(&serde_json::to_vec(&b).unwrap(), &root, Timestamp::from_unix(VERIFY_AT), None);
    assert_eq!(code(r), Code::TimestampInvalid);
}

#[test]
fn timestamp_imprint_of_another_signature_fails() {
    let pki = SigstorePki::new();
    assert_eq!(code(minted(&pki, &V2 { stamp_other: Some(b"another signature".to_vec()), ..V2::default() })), Code::TimestampInvalid);
}

#[test]
fn tsa_certificate_outside_its_validity_fails() {
    let pki = SigstorePki::new();
    let r = minted(&pki, &V2 { tsa: TsaChoice::Short, ..V2::default() });
    let e = r.expect_err("expired TSA leaf");
    assert_eq!(e.code, Code::TimestampInvalid);
    assert!(e.detail.contains("Expired"), "{e}");
}

#[test]
fn self_made_tsa_is_refused_with_or_without_its_embedded_certificate() {
    let pki = SigstorePki::new();
    for embed_cert in [false, true] {
        assert_eq!(code(minted(&pki, &V2 { tsa: TsaChoice::Rogue, embed_cert, ..V2::default() })), Code::TimestampInvalid);
    }
}

#[test]
fn rekor2_entry_without_a_timestamp_fails() {
    let pki = SigstorePki::new();
    let root = TrustedRoot::from_json(&pki.trusted_root_json()).unwrap();
    let mut b = pki.bundle_v2(&spec(), &V2::default());
    // An unsigned integratedTime does not stand in for the missing timestamp.
    b["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = Value::String((T0 + 60).to_string());
    b["verificationMaterial"]["timestampVerificationData"] = serde_json::json!({});
    let r = verify_bundle(&serde_json::to_vec(&b).unwrap(), &root, Timestamp::from_unix(VERIFY_AT), None);
    assert_eq!(code(r), Code::TimestampInvalid);
}

#[test]
fn checkpoint_signed_by_a_self_made_ed25519_key_fails() {
    let pki = SigstorePki::new();
    assert_eq!(code(minted(&pki, &V2 { rogue_checkpoint: true, ..V2::default() })), Code::CheckpointInvalid);
}

#[test]
fn rekor2_body_that_does_not_match_the_envelope_fails() {
    let pki = SigstorePki::new();
    assert_eq!(code(minted(&pki, &V2 { logged_payload_hash: Some([7; 32]), ..V2::default() })), Code::TlogBodyMismatch);
}

#[test]
fn unknown_rekor_kind_or_version_fails_closed() {
    let pki = SigstorePki::new();
    let root = TrustedRoot::from_json(&pki.trusted_root_json()).unwrap();
    for (kind, version) in [("dsse", "0.0.3"), ("intoto", "0.0.2"), ("hashedrekord", "0.0.1")] {
        let mut b = pki.bundle_v2(&spec(), &V2::default());
        b["verificationMaterial"]["tlogEntries"][0]["kindVersion"] = serde_json::json!({"kind": kind, "version": version});
        let r = verify_bundle(&serde_json::to_vec(&b).unwrap(), &root, Timestamp::from_unix(VERIFY_AT), None);
        assert_eq!(code(r), Code::Unsupported, "{kind} {version}");
    }
}

// --- Mutations of the real sigstore-conformance Rekor v2 bundles (staging trust root). ---

fn conformance(name: &str) -> Option<(Value, TrustedRoot, Vec<u8>)> {
    let base = corpus::root()?;
    let d = base.join("sigstore/sigstore-conformance/bundle-verify").join(name);
    let b = serde_json::from_slice(&std::fs::read(d.join("bundle.sigstore.json")).unwrap()).unwrap();
    let root = TrustedRoot::from_json(&std::fs::read(d.join("trusted_root.json")).unwrap()).unwrap();
    let artifact = std::fs::read(base.join("sigstore/sigstore-conformance/a.txt")).unwrap();
    Some((b, root, artifact))
}

fn verify_real(b: &Value, root: &TrustedRoot, artifact: &[u8]) -> Result<VerifiedBundle, ProvenanceError> {
    verify_bundle(&serde_json::to_vec(b).unwrap(), root, Timestamp::from_unix(1_796_256_000), Some(artifact))
}

#[test]
fn real_rekor2_bundle_with_the_timestamp_of_another_signature_fails() {
    let Some((mut b, root, a)) = conformance("rekor2-happy-path") else { return };
    let Some((other, _, _)) = conformance("rekor2-timestamp-with-embedded-cert") else { return };
    assert!(verify_real(&b, &root, &a).is_ok());
    b["verificationMaterial"]["timestampVerificationData"] = other["verificationMaterial"]["timestampVerificationData"].clone();
    assert_eq!(code(verify_real(&b, &root, &a)), Code::TimestampInvalid);
}

#[test]
fn real_rekor2_bundle_with_a_tampered_timestamp_fails() {
    let Some((mut b, root, a)) = conformance("rekor2-happy-path") else { return };
    let p = "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp";
    let mut tok = B64.decode(b.pointer(p).unwrap().as_str().unwrap()).unwrap();
    // The genTime's seconds digit (inside the signed TSTInfo): `…120220Z`.
    let at = tok.windows(15).position(|w| w == b"20250612120220Z").expect("genTime") + 13;
    tok[at] = b'9';
    *b.pointer_mut(p).unwrap() = Value::String(B64.encode(&tok));
    assert_eq!(code(verify_real(&b, &root, &a)), Code::TimestampInvalid);
}

#[test]
fn real_rekor2_bundle_with_the_inclusion_proof_of_another_leaf_fails() {
    let Some((mut b, root, a)) = conformance("rekor2-happy-path") else { return };
    let Some((other, _, _)) = conformance("rekor2-timestamp-with-embedded-cert") else { return };
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"] = other["verificationMaterial"]["tlogEntries"][0]["inclusionProof"].clone();
    assert_eq!(code(verify_real(&b, &root, &a)), Code::InclusionInvalid);
}

#[test]
fn real_rekor2_bundle_with_another_genuine_log_entry_fails_the_body_check() {
    // The other bundle's entry is genuinely in the same log (proof and checkpoint verify), but it
    // logs another signature and certificate.
    let Some((mut b, root, a)) = conformance("rekor2-timestamp-with-embedded-cert") else { return };
    let Some((other, _, _)) = conformance("rekor2-happy-path") else { return };
    b["verificationMaterial"]["tlogEntries"] = other["verificationMaterial"]["tlogEntries"].clone();
    assert_eq!(code(verify_real(&b, &root, &a)), Code::TlogBodyMismatch);
}

#[test]
fn real_rekor2_bundle_without_its_tsa_in_the_trust_root_fails() {
    let Some((b, mut root, a)) = conformance("rekor2-happy-path") else { return };
    root.tsas.clear();
    assert_eq!(code(verify_real(&b, &root, &a)), Code::TimestampInvalid);
}

#[test]
fn a_timestamp_supplied_beside_a_rekor_v1_entry_must_verify_too() {
    let pki = SigstorePki::new();
    let root = TrustedRoot::from_json(&pki.trusted_root_json()).unwrap();
    let mut b = pki.bundle(&spec());
    let sig = B64.decode(b["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap()).unwrap();
    let with = |b: &mut Value, tok: Vec<u8>| {
        b["verificationMaterial"]["timestampVerificationData"] = serde_json::json!({"rfc3161Timestamps": [{"signedTimestamp": B64.encode(tok)}]});
        verify_bundle(&serde_json::to_vec(b).unwrap(), &root, Timestamp::from_unix(VERIFY_AT), None)
    };
    assert!(with(&mut b, pki.tsa.timestamp(&sig, T0 + 60, false)).is_ok());
    assert_eq!(code(with(&mut b, pki.rogue_tsa.timestamp(&sig, T0 + 60, true))), Code::TimestampInvalid);
    assert_eq!(code(with(&mut b, pki.tsa.timestamp(b"other", T0 + 60, false))), Code::TimestampInvalid);
    // A genuine timestamp outside the certificate's validity.
    assert_eq!(code(with(&mut b, pki.tsa.timestamp(&sig, T0 + 3_600, false))), Code::CertExpired);
}
