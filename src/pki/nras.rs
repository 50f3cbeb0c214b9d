//! Anchors for NRAS token signing keys, pinned by SubjectPublicKeyInfo SHA-256.
//!
//! NVIDIA publishes each NRAS signing key in its JWKS with an `x5c` chain `[leaf, intermediate]`
//! that stops below the root (`CN=NVIDIA Attestation Service CA 001` is not published). The
//! intermediate is therefore pinned by key: [`NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256`]. A
//! policy may ADD pins (key rotation); nothing in the evidence ever does.
//!
//! [`verify_x5c`] accepts a key only when: some certificate of `x5c[1..]` has a pinned SPKI, is a
//! CA (basicConstraints cA, keyCertSign when keyUsage is present) and is within its validity at
//! the scan time; rustls-webpki validates the leaf to that certificate used as trust anchor (leaf
//! signature by the pinned key, RSA PKCS#1 or ECDSA; leaf validity at the scan time; leaf not a
//! CA; any further `x5c` certificates only as intermediates, fully validated); and the leaf's
//! key is EC P-384 and exactly the JWK's point. Any EKU is accepted (NVIDIA's leaves carry
//! TLS EKUs that mean nothing for JWT signing). Not checked: revocation of the intermediate
//! (its CRL is not available offline) and the intermediate's own signature (its issuer is not
//! published; the pin stands in for it).

use der::{Decode as _, Encode as _};

use super::PkiError;
use crate::time::Timestamp;

/// SPKI SHA-256 of `CN=NVIDIA Attestation Service GPU Intermediate 004, O=NVIDIA Corporation,
/// C=US` (RSA-2048; issuer `CN=NVIDIA Attestation Service CA 001`; valid 2025-12-08..2029-12-08;
/// serial 5fe7637a3eec5c8bdc67c626f0a245f16b08dd43). Computed from `x5c[1]` of every key of the
/// JWKS that `https://nras.attestation.nvidia.com/.well-known/jwks.json` served in June 2026 (the
/// corpus captures `providers/teep-captures/*/responses/*jwks*.body` and
/// `nvidia/providers/*/nras_jwks_at_capture.json`: 300 keys, one intermediate). The unit test
/// `nras_intermediate_pin_matches_the_corpus` recomputes it when `TEESCAN_CORPUS` is set.
pub const NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256: &str =
    "fd32837f954e2c45db073105166dfe6985ae0480bb113fba63b091a75affe896";

/// The set of pinned NRAS anchor keys (SPKI SHA-256): the compiled pin plus any a policy adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrasAnchors {
    pins: Vec<[u8; 32]>,
}

impl Default for NrasAnchors {
    fn default() -> Self {
        Self::compiled()
    }
}

impl NrasAnchors {
    /// The compiled-in pin only.
    pub fn compiled() -> Self {
        let mut pin = [0u8; 32];
        // The constant is 64 hex digits (checked by a unit test); a bad constant pins nothing.
        if hex::decode_to_slice(NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256, &mut pin).is_err() {
            return NrasAnchors { pins: Vec::new() };
        }
        NrasAnchors { pins: vec![pin] }
    }
    /// Add pins (from the auditor's policy; never from evidence).
    #[must_use]
    pub fn with_extra(mut self, extra: impl IntoIterator<Item = [u8; 32]>) -> Self {
        for p in extra {
            if !self.pins.contains(&p) {
                self.pins.push(p);
            }
        }
        self
    }
    /// Whether `spki_sha256` is pinned.
    pub fn is_pinned(&self, spki_sha256: &[u8; 32]) -> bool {
        self.pins.contains(spki_sha256)
    }
    /// The pins, lower-case hex.
    pub fn pins_hex(&self) -> Vec<String> {
        self.pins.iter().map(crate::bytes::to_hex).collect()
    }
}

/// What [`verify_x5c`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrasKeyPath {
    /// Leaf subject (RFC 4514).
    pub leaf_subject: String,
    /// Leaf notBefore.
    pub leaf_not_before: Timestamp,
    /// Leaf notAfter.
    pub leaf_not_after: Timestamp,
    /// The pinned anchor's subject.
    pub anchor_subject: String,
    /// The pinned anchor's issuer (not verified: see the module docs).
    pub anchor_issuer: String,
    /// The pinned anchor's notAfter.
    pub anchor_not_after: Timestamp,
    /// SPKI SHA-256 of the anchor (one of the pins), lower hex.
    pub anchor_spki_sha256: String,
}

/// secp384r1 (1.3.132.0.34).
const SECP384R1: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// id-ecPublicKey (1.2.840.10045.2.1).
const EC_PUBLIC_KEY: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

fn cert_time(t: x509_cert::time::Time) -> Timestamp {
    Timestamp::from_unix(t.to_unix_duration().as_secs())
}

/// SHA-256 of a certificate's DER SubjectPublicKeyInfo.
pub fn spki_sha256(cert_der: &[u8]) -> Result<[u8; 32], PkiError> {
    let cert = x509_cert::Certificate::from_der(cert_der)
        .map_err(|e| PkiError::BadCertificate { index: 0, reason: e.to_string() })?;
    spki_sha256_of(&cert, 0)
}

fn spki_sha256_of(cert: &x509_cert::Certificate, index: usize) -> Result<[u8; 32], PkiError> {
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| PkiError::BadCertificate { index, reason: e.to_string() })?;
    Ok(crate::crypto::sha256(&spki))
}

fn is_ca(cert: &x509_cert::Certificate, index: usize) -> Result<bool, PkiError> {
    use der::oid::AssociatedOid as _;
    use x509_cert::ext::pkix::BasicConstraints;
    let Some(exts) = cert.tbs_certificate().extensions() else { return Ok(false) };
    let Some(ext) = exts.iter().find(|e| e.extn_id == BasicConstraints::OID) else { return Ok(false) };
    let bc = BasicConstraints::from_der(ext.extn_value.as_bytes())
        .map_err(|e| PkiError::BadCertificate { index, reason: format!("basicConstraints does not parse: {e}") })?;
    Ok(bc.ca)
}

/// Accepts any well-formed EKU list (see the module docs).
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for id in iter {
            id?;
        }
        Ok(())
    }
}

/// Validate a JWK's `x5c` (DER, leaf first) at `at` against the pinned `anchors`, and that the
/// leaf holds exactly `jwk_point` (uncompressed P-384). See the module docs for every rule.
pub fn verify_x5c(x5c: &[Vec<u8>], jwk_point: &[u8], at: Timestamp, anchors: &NrasAnchors) -> Result<NrasKeyPath, PkiError> {
    use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
    use crate::crypto::x509;
    let algs: [&dyn SignatureVerificationAlgorithm; 7] = [
        x509::RSA_PKCS1_SHA256,
        x509::RSA_PKCS1_SHA384,
        x509::RSA_PKCS1_SHA512,
        x509::ECDSA_P384_SHA384,
        x509::ECDSA_P384_SHA256,
        x509::ECDSA_P256_SHA256,
        x509::ECDSA_P256_SHA384,
    ];
    let (Some(leaf_der), Some(rest)) = (x5c.first(), x5c.get(1..)) else {
        return Err(PkiError::Path("the key has no x5c certificate chain".to_owned()));
    };
    if rest.is_empty() {
        return Err(PkiError::Path("x5c holds only a leaf: no certificate to chain it to a pinned anchor".to_owned()));
    }
    let leaf = x509_cert::Certificate::from_der(leaf_der)
        .map_err(|e| PkiError::BadCertificate { index: 0, reason: e.to_string() })?;

    // The anchor: the first certificate above the leaf whose key is pinned.
    let mut seen = Vec::new();
    let mut anchor = None;
    for (i, der_bytes) in rest.iter().enumerate() {
        let index = i.saturating_add(1);
        let cert = x509_cert::Certificate::from_der(der_bytes)
            .map_err(|e| PkiError::BadCertificate { index, reason: e.to_string() })?;
        let h = spki_sha256_of(&cert, index)?;
        if anchors.is_pinned(&h) {
            anchor = Some((index, der_bytes, cert, h));
            break;
        }
        seen.push(crate::bytes::to_hex(h));
    }
    let Some((index, anchor_der, anchor_cert, anchor_hash)) = anchor else {
        return Err(PkiError::Anchor(format!(
            "no x5c certificate has a pinned NRAS anchor key: SPKI SHA-256 found [{}], pinned [{}]",
            seen.join(", "),
            anchors.pins_hex().join(", ")
        )));
    };
    let at_tbs = anchor_cert.tbs_certificate();
    let (nb, na) = (cert_time(at_tbs.validity().not_before), cert_time(at_tbs.validity().not_after));
    if at < nb || at > na {
        return Err(PkiError::Path(format!("the pinned anchor {} is valid {nb}..{na}, not at {at}", at_tbs.subject())));
    }
    if !is_ca(&anchor_cert, index)? {
        return Err(PkiError::Path(format!("the pinned anchor {} is not a CA (basicConstraints)", at_tbs.subject())));
    }
    super::check_issuer_key_usage(anchor_der, index)?;

    // The leaf: validated by webpki with the pinned certificate as trust anchor.
    let anchor_cd = CertificateDer::from(anchor_der.as_slice());
    let ta = webpki::anchor_from_trusted_cert(&anchor_cd).map_err(|e| PkiError::Anchor(format!("{e:?}")))?;
    let leaf_cd = CertificateDer::from(leaf_der.as_slice());
    let ee = webpki::EndEntityCert::try_from(&leaf_cd)
        .map_err(|e| PkiError::BadCertificate { index: 0, reason: format!("{e:?}") })?;
    let inter: Vec<CertificateDer<'_>> = rest.iter().map(|c| CertificateDer::from(c.as_slice())).collect();
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(at.unix()));
    let anchors_ta = [ta];
    let path = ee
        .verify_for_usage(&algs, &anchors_ta, &inter, now, AnyEku, None, None)
        .map_err(|e| PkiError::Path(format!("leaf does not validate to the pinned anchor {} at {at}: {e:?}", at_tbs.subject())))?;
    for (i, c) in path.intermediate_certificates().enumerate() {
        super::check_issuer_key_usage(c.der().as_ref(), i.saturating_add(1))?;
    }

    // The leaf's key is the JWK's key, and it is EC P-384.
    let spki = leaf.tbs_certificate().subject_public_key_info();
    let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<der::oid::ObjectIdentifier>().ok());
    if spki.algorithm.oid != EC_PUBLIC_KEY || curve != Some(SECP384R1) {
        return Err(PkiError::Path(format!("leaf key is not EC P-384 (algorithm {}, curve {curve:?})", spki.algorithm.oid)));
    }
    if spki.subject_public_key.raw_bytes() != jwk_point {
        return Err(PkiError::Path(format!(
            "leaf certificate key {} is not the JWK's key {}",
            crate::bytes::to_hex(spki.subject_public_key.raw_bytes()),
            crate::bytes::to_hex(jwk_point)
        )));
    }
    let lt = leaf.tbs_certificate();
    Ok(NrasKeyPath {
        leaf_subject: lt.subject().to_string(),
        leaf_not_before: cert_time(lt.validity().not_before),
        leaf_not_after: cert_time(lt.validity().not_after),
        anchor_subject: at_tbs.subject().to_string(),
        anchor_issuer: at_tbs.issuer().to_string(),
        anchor_not_after: na,
        anchor_spki_sha256: crate::bytes::to_hex(anchor_hash),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_pin_is_64_hex_digits() {
        assert_eq!(NrasAnchors::compiled().pins_hex(), [NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256]);
        let extra = NrasAnchors::compiled().with_extra([[7u8; 32], [7u8; 32]]);
        assert_eq!(extra.pins_hex().len(), 2);
        assert!(extra.is_pinned(&[7u8; 32]));
    }

    /// Recompute the pin from `x5c[1]` of every key of every JWKS captured in the corpus.
    #[test]
    fn nras_intermediate_pin_matches_the_corpus() {
        use base64::Engine as _;
        let Some(root) = std::env::var_os("TEESCAN_CORPUS").map(std::path::PathBuf::from) else { return };
        let root = if root.is_relative() { std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(root) } else { root };
        let mut files = Vec::new();
        for d in std::fs::read_dir(root.join("providers/teep-captures")).unwrap() {
            for f in std::fs::read_dir(d.unwrap().path().join("responses")).unwrap() {
                let p = f.unwrap().path();
                if p.to_string_lossy().ends_with("jwks.json.body") {
                    files.push(p);
                }
            }
        }
        for d in ["neardirect-qwen35-teep", "tinfoil-gemma4-teep", "chutes-via-redpill-teep"] {
            files.push(root.join("nvidia/providers").join(d).join("nras_jwks_at_capture.json"));
        }
        assert!(files.len() >= 4, "{files:?}");
        let mut hashes = std::collections::BTreeSet::new();
        for f in &files {
            let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            for k in doc["keys"].as_array().unwrap() {
                let inter = base64::engine::general_purpose::STANDARD.decode(k["x5c"][1].as_str().unwrap()).unwrap();
                let cert = x509_cert::Certificate::from_der(&inter).unwrap();
                assert!(cert.tbs_certificate().subject().to_string().contains("NVIDIA Attestation Service GPU Intermediate 004"));
                hashes.insert(crate::bytes::to_hex(spki_sha256(&inter).unwrap()));
            }
        }
        assert_eq!(hashes.into_iter().collect::<Vec<_>>(), [NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256]);
    }
}
