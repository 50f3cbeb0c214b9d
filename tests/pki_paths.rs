//! Certificate path validation cases against `teescan::pki::verify_path` (the validator of the
//! NVIDIA device and RIM chains and of NRAS x5c; the TDX PCK, TCB and QE chains are validated
//! inside dcap-qvl and covered by `tests/tdx_negative.rs`):
//!
//! | case | test here | TDX path (tests/tdx_negative.rs) |
//! |---|---|---|
//! | wrong root with the right name | `root_with_the_right_name_but_another_key_fails`, `intel_sample_data_fake_root_fails_with_the_real_root` | `baseline_fails_with_the_production_root`, `tcb_info_chain_from_another_pki_fails_the_tcb_info_chain`, `a_tampered_root_copy_in_the_quote_chain_fails` |
//! | expired intermediate | `expired_intermediate_fails`, `not_yet_valid_intermediate_fails` | (CRL expiry: `expired_crls_fail_the_root_crl`) |
//! | revoked PCK / platform CA / TCB signer | — (no revocation here: CRLs in dcap-qvl, OCSP for NVIDIA, `tests/nvidia_ocsp.rs`) | `revoked_pck_fails_the_pck_chain`, `revoked_platform_ca_fails_the_pck_chain`, `revoked_tcb_signer_fails_the_tcb_info_chain` |
//! | CA flag missing | `intermediate_without_ca_flag_fails`, `intermediate_with_explicit_ca_false_fails` | — |
//! | wrong key usage | `intermediate_without_key_cert_sign_fails`, `leaf_with_a_foreign_eku_fails` | — |
//! | name chaining without signature chaining | `name_chaining_without_signature_chaining_fails` | `collateral_pck_chain_of_another_platform_fails_the_chain_source` |
//!
//! Every negative case has a control: the same construction with the one property fixed
//! validates, so each test fails if `verify_path` stops checking that property.

#[path = "support/corpus.rs"]
mod corpus;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P384_SHA384,
};
use teescan::pki::{verify_path, PkiError, TrustAnchor};
use teescan::time::Timestamp;

fn at() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-15T00:00:00Z").unwrap()
}

fn key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap()
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "teescan TEST PKI");
    dn
}

fn params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.not_before = rcgen::date_time_ymd(2025, 1, 1);
    p.not_after = rcgen::date_time_ymd(2035, 1, 1);
    p
}

fn ca(cn: &str) -> CertificateParams {
    let mut p = params(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

fn leaf(cn: &str) -> CertificateParams {
    let mut p = params(cn);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p
}

/// A root, an intermediate (built from `inter`) and a leaf (built from `leaf_p`), all P-384.
struct Chain {
    root: Vec<u8>,
    inter: Vec<u8>,
    leaf: Vec<u8>,
}

fn chain(inter: CertificateParams, leaf_p: CertificateParams) -> Chain {
    let (rk, ik, lk) = (key(), key(), key());
    let root = ca("Test Root CA").self_signed(&rk).unwrap();
    let inter = inter.signed_by(&ik, &root, &rk).unwrap();
    let leaf = leaf_p.signed_by(&lk, &inter, &ik).unwrap();
    Chain { root: root.der().to_vec(), inter: inter.der().to_vec(), leaf: leaf.der().to_vec() }
}

fn verify(c: &Chain) -> Result<Vec<Vec<u8>>, PkiError> {
    verify_path(&c.leaf, std::slice::from_ref(&c.inter), &TrustAnchor::danger_test_root(&c.root).unwrap(), at())
}

fn assert_path_error(r: Result<Vec<Vec<u8>>, PkiError>, want: &str) {
    match r {
        Err(PkiError::Path(msg)) => assert!(msg.contains(want), "expected {want}, got {msg}"),
        other => panic!("expected a path error {want}, got {other:?}"),
    }
}

#[test]
fn control_a_good_chain_validates() {
    let c = chain(ca("Test Intermediate CA"), leaf("Test Leaf"));
    let path = verify(&c).expect("the control chain validates");
    assert_eq!(path, vec![c.leaf.clone(), c.inter.clone()], "leaf first, anchor excluded");
}

#[test]
fn root_with_the_right_name_but_another_key_fails() {
    let c = chain(ca("Test Intermediate CA"), leaf("Test Leaf"));
    // An impostor root: same subject, same everything, another key.
    let impostor = ca("Test Root CA").self_signed(&key()).unwrap();
    assert_ne!(impostor.der().as_ref(), c.root.as_slice());
    let anchor = TrustAnchor::danger_test_root(impostor.der()).unwrap();
    // webpki finds the issuer by name and then fails on the signature.
    assert_path_error(verify_path(&c.leaf, std::slice::from_ref(&c.inter), &anchor, at()), "InvalidSignatureForPublicKey");
    // Offering the genuine root as an "intermediate" does not help: only the anchor anchors.
    assert!(verify_path(&c.leaf, &[c.inter.clone(), c.root.clone()], &anchor, at()).is_err());
}

#[test]
fn expired_intermediate_fails() {
    let mut p = ca("Test Intermediate CA");
    p.not_after = rcgen::date_time_ymd(2025, 12, 31);
    let c = chain(p, leaf("Test Leaf"));
    assert_path_error(verify(&c), "Expired");
    // Control: the same chain verified inside the intermediate's validity passes.
    let before = Timestamp::parse_rfc3339("2025-06-01T00:00:00Z").unwrap();
    verify_path(&c.leaf, std::slice::from_ref(&c.inter), &TrustAnchor::danger_test_root(&c.root).unwrap(), before).unwrap();
}

#[test]
fn not_yet_valid_intermediate_fails() {
    let mut p = ca("Test Intermediate CA");
    p.not_before = rcgen::date_time_ymd(2026, 6, 1);
    let c = chain(p, leaf("Test Leaf"));
    assert_path_error(verify(&c), "NotValidYet");
}

#[test]
fn intermediate_without_ca_flag_fails() {
    let mut p = ca("Test Intermediate CA");
    p.is_ca = IsCa::NoCa; // no basicConstraints at all
    let c = chain(p, leaf("Test Leaf"));
    assert!(verify(&c).is_err(), "an issuer without basicConstraints cA=TRUE must not issue");
}

#[test]
fn intermediate_with_explicit_ca_false_fails() {
    let mut p = ca("Test Intermediate CA");
    p.is_ca = IsCa::ExplicitNoCa;
    let c = chain(p, leaf("Test Leaf"));
    assert!(verify(&c).is_err(), "an end-entity certificate (cA=FALSE) must not issue");
}

#[test]
fn intermediate_without_key_cert_sign_fails() {
    let mut p = ca("Test Intermediate CA");
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::CrlSign];
    let c = chain(p, leaf("Test Leaf"));
    // rustls-webpki ignores keyUsage; teescan's verify_path checks it (RFC 5280 §4.2.1.3).
    assert_path_error(verify(&c), "keyCertSign");
}

#[test]
fn leaf_with_a_foreign_eku_fails() {
    // verify_path accepts a leaf without EKU or with anyExtendedKeyUsage; a leaf restricted to
    // another purpose (TLS server) is not an attestation key.
    let mut l = leaf("Test Leaf");
    l.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let c = chain(ca("Test Intermediate CA"), l);
    assert_path_error(verify(&c), "RequiredEkuNotFound");
    let mut l = leaf("Test Leaf");
    l.extended_key_usages = vec![ExtendedKeyUsagePurpose::Any];
    verify(&chain(ca("Test Intermediate CA"), l)).expect("anyExtendedKeyUsage is accepted");
}

#[test]
fn name_chaining_without_signature_chaining_fails() {
    // The attacker's intermediate names the genuine root as its issuer (and the leaf names the
    // attacker's intermediate), but it is signed by a key the root never certified.
    let rk = key();
    let root = ca("Test Root CA").self_signed(&rk).unwrap();
    let fake_root = ca("Test Root CA").self_signed(&key()).unwrap(); // the same name
    let ik = key();
    let inter = ca("Test Intermediate CA").signed_by(&ik, &fake_root, &key()).unwrap();
    let lk = key();
    let leaf_cert = leaf("Test Leaf").signed_by(&lk, &inter, &ik).unwrap();
    let anchor = TrustAnchor::danger_test_root(root.der()).unwrap();
    let r = verify_path(leaf_cert.der(), &[inter.der().to_vec()], &anchor, at());
    assert!(r.is_err(), "names chain to the anchor but signatures do not: {r:?}");
    // Control: the same names with the root's real signature validate.
    let inter_ok = ca("Test Intermediate CA").signed_by(&ik, &root, &rk).unwrap();
    verify_path(leaf_cert.der(), &[inter_ok.der().to_vec()], &anchor, at()).expect("genuine signatures validate");
}

#[test]
fn leaf_signed_directly_by_a_name_twin_of_the_intermediate_fails() {
    let c = chain(ca("Test Intermediate CA"), leaf("Test Leaf"));
    // Re-sign the leaf with another key under the same issuer name.
    let twin_key = key();
    let twin = ca("Test Intermediate CA").self_signed(&twin_key).unwrap();
    let forged = leaf("Test Leaf").signed_by(&key(), &twin, &twin_key).unwrap();
    let anchor = TrustAnchor::danger_test_root(&c.root).unwrap();
    assert!(verify_path(forged.der(), std::slice::from_ref(&c.inter), &anchor, at()).is_err());
}

/// Intel's own TDX sample data is signed by a TEST root that copies the real subject
/// `CN=Intel SGX Root CA`: the PCK chain must fail against the pinned Intel root (pinned by key,
/// never by name), and validate against that sample root (so it is the key that decides).
#[test]
fn intel_sample_data_fake_root_fails_with_the_real_root() {
    let Some(root) = corpus::root() else { return };
    let dir = "tdx/intel-qvl-synthetic-tdx";
    let der = |rel: &str| -> Vec<Vec<u8>> {
        pem::parse_many(corpus::read(&root, &format!("{dir}/{rel}")))
            .unwrap()
            .into_iter()
            .map(pem::Pem::into_contents)
            .collect()
    };
    let fake_root = der("trustedRootCaCert.pem").remove(0);
    let pck = der("pckCert.pem").remove(0);
    let chain = der("pckSignChain.pem");
    let real = TrustAnchor::intel_sgx_root();
    // The right name…
    let subject = |d: &[u8]| {
        use der::Decode as _;
        x509_cert::Certificate::from_der(d).unwrap().tbs_certificate().subject().to_string()
    };
    assert_eq!(subject(&fake_root), subject(real.der()), "the sample root copies the real subject");
    assert_ne!(fake_root, real.der(), "…but it is another certificate");
    // …is not enough.
    let at = Timestamp::parse_rfc3339("2023-01-01T00:00:00Z").unwrap();
    assert!(verify_path(&pck, &chain, &real, at).is_err(), "a fake root named like Intel's must not anchor");
    // Control: with the sample root as a (test) anchor the same chain validates.
    verify_path(&pck, &chain, &TrustAnchor::danger_test_root(&fake_root).unwrap(), at)
        .expect("the sample chain validates to its own root");
}
