//! Negative Sigstore bundles minted by the test Fulcio/Rekor/CT root (tests/support/sigstore_pki.rs):
//! each mutation fails with its own code, and the unmutated bundle verifies.

#[path = "support/sigstore_pki.rs"]
mod sigstore_pki;

use base64::Engine as _;
use serde_json::Value;
use sigstore_pki::{release_statement, SigstorePki, Spec, Which, PREDICATE, VERIFY_AT};
use teescan::pki::sigstore::TrustedRoot;
use teescan::provenance::identity::{IdentityPolicy, GITHUB_ACTIONS_ISSUER};
use teescan::provenance::statement::{self, StatementPolicy, IN_TOTO_PAYLOAD_TYPE, STATEMENT_V1};
use teescan::provenance::{verify_bundle, Code, ProvenanceError};
use teescan::time::Timestamp;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const REPO: &str = "tinfoilsh/confidential-model-router";
const DIGEST: &str = "c337d719792307909947c779db80d834d1f73515199436ef3a7b880e60898c92";

fn regs() -> (String, String, String) {
    ("aa".repeat(48), "bb".repeat(48), "cc".repeat(48))
}

fn spec() -> Spec {
    let (a, b, c) = regs();
    Spec::release(REPO, "v0.0.1", release_statement(DIGEST, &a, &b, &c))
}

fn policy() -> IdentityPolicy {
    IdentityPolicy { issuer: GITHUB_ACTIONS_ISSUER.into(), repository: REPO.into(), workflow: None, ref_prefix: "refs/tags/".into() }
}

/// Verify bundle + statement + identity as a provenance source would.
fn run(pki: &SigstorePki, bundle: &Value, digest: &str) -> Result<(), ProvenanceError> {
    let root = TrustedRoot::from_json(&pki.trusted_root_json()).unwrap();
    let v = verify_bundle(&serde_json::to_vec(bundle).unwrap(), &root, Timestamp::from_unix(VERIFY_AT), None)?;
    statement::check(
        &v,
        &StatementPolicy {
            payload_type: IN_TOTO_PAYLOAD_TYPE,
            statement_types: &[STATEMENT_V1.into()],
            predicate_types: &[PREDICATE.into()],
            subject_sha256: Some(digest),
        },
    )?;
    policy().check(&v.identity)
}

fn code(r: Result<(), ProvenanceError>) -> Code {
    r.expect_err("must fail").code
}

#[test]
fn a_minted_bundle_verifies_with_its_identity() {
    let pki = SigstorePki::new();
    let b = pki.bundle(&spec());
    run(&pki, &b, DIGEST).unwrap();
    // The same bundle under the pinned public-good root: no chain.
    let pg = TrustedRoot::public_good().unwrap();
    let e = verify_bundle(&serde_json::to_vec(&b).unwrap(), &pg, Timestamp::from_unix(VERIFY_AT), None).unwrap_err();
    assert!(matches!(e.code, Code::FulcioChainInvalid | Code::RekorKeyNotTrusted | Code::SctInsufficient), "{e}");
}

#[test]
fn wrong_identity_fails() {
    let pki = SigstorePki::new();
    let mut s = spec();
    s.repository = "attacker/confidential-model-router".into();
    assert_eq!(code(run(&pki, &pki.bundle(&s), DIGEST)), Code::WorkflowRepositoryMismatch);
    let mut s = spec();
    s.git_ref = "refs/heads/main".into();
    assert_eq!(code(run(&pki, &pki.bundle(&s), DIGEST)), Code::WorkflowRefPrefixMismatch);
    let mut s = spec();
    s.issuer = "https://accounts.google.com".into();
    assert_eq!(code(run(&pki, &pki.bundle(&s), DIGEST)), Code::OidcIssuerMismatch);
}

#[test]
fn wrong_predicate_type_fails() {
    let pki = SigstorePki::new();
    let mut s = spec();
    s.statement["predicateType"] = "https://slsa.dev/provenance/v1".into();
    assert_eq!(code(run(&pki, &pki.bundle(&s), DIGEST)), Code::PredicateTypeNotAllowed);
}

#[test]
fn tampered_dsse_payload_or_signature_fails() {
    let pki = SigstorePki::new();
    let b = pki.bundle(&spec());
    let mut st: Value = serde_json::from_slice(&B64.decode(b["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap()).unwrap();
    st["predicate"]["tdx_measurement"]["rtmr1"] = "dd".repeat(48).into();
    let mut t = b.clone();
    t["dsseEnvelope"]["payload"] = B64.encode(serde_json::to_vec(&st).unwrap()).into();
    assert_eq!(code(run(&pki, &t, DIGEST)), Code::DsseSignatureInvalid);
    let mut t = b.clone();
    let mut sig = B64.decode(b["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap()).unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 1;
    t["dsseEnvelope"]["signatures"][0]["sig"] = B64.encode(sig).into();
    assert_eq!(code(run(&pki, &t, DIGEST)), Code::DsseSignatureInvalid);
}

#[test]
fn bad_inclusion_proof_fails() {
    let pki = SigstorePki::new();
    let b = pki.bundle(&spec());
    let mut t = b.clone();
    t["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"][0] = B64.encode([7u8; 32]).into();
    assert_eq!(code(run(&pki, &t, DIGEST)), Code::InclusionInvalid);
    let mut t = b.clone();
    t["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["logIndex"] = "0".into();
    assert_eq!(code(run(&pki, &t, DIGEST)), Code::InclusionInvalid);
    let mut t = b;
    t["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] = "teescan-test-log - 1\n3\nAAAA\n".into();
    assert_eq!(code(run(&pki, &t, DIGEST)), Code::CheckpointInvalid);
}

#[test]
fn set_from_another_log_fails() {
    let pki = SigstorePki::new();
    // The entry names the trusted log, but the rogue log signed SET and checkpoint.
    let mut s = spec();
    s.log_signing = Which::Rogue;
    assert_eq!(code(run(&pki, &pki.bundle(&s), DIGEST)), Code::SetInvalid);
    // The entry is wholly from a log the trust root does not list.
    s.log_named = Which::Rogue;
    assert_eq!(code(run(&pki, &pki.bundle(&s), DIGEST)), Code::RekorKeyNotTrusted);
}

#[test]
fn certificate_expired_at_integrated_time_fails() {
    let pki = SigstorePki::new();
    let mut s = spec();
    s.integrated_time = s.not_after + 1;
    assert_eq!(code(run(&pki, &pki.bundle(&s), DIGEST)), Code::CertExpired);
    // Integrated after the verification time: the clock is the auditor's.
    let mut s = spec();
    s.integrated_time = VERIFY_AT + 1;
    s.not_after = VERIFY_AT + 100;
    assert_eq!(code(run(&pki, &pki.bundle(&s), DIGEST)), Code::IntegratedTimeInFuture);
}

#[test]
fn bundle_for_another_digest_fails() {
    let pki = SigstorePki::new();
    let b = pki.bundle(&spec());
    assert_eq!(code(run(&pki, &b, &"00".repeat(32))), Code::SubjectDigestMismatch);
}
