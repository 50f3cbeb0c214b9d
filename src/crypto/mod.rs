//! The crypto room: every signature verification and digest teescan performs goes through here.
//!
//! Verifiers (TDX, SEV-SNP, NVIDIA, provenance, providers) call [`verify`] with a named
//! [`SigAlg`], and pass [`webpki_algorithms`] to rustls-webpki for X.509 paths, so the backend is
//! chosen in one place. Today's backend is ring; the key and signature encodings accepted are
//! fixed per algorithm and documented on [`SigAlg`].

use core::sync::atomic::{AtomicU64, Ordering};

/// A signature algorithm with its key and signature encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigAlg {
    /// ECDSA P-256 / SHA-256; key: SEC1 uncompressed point (65 bytes); signature: ASN.1 DER.
    EcdsaP256Sha256Der,
    /// ECDSA P-256 / SHA-256; key: SEC1 point; signature: `r || s`, 32 bytes each, big-endian.
    EcdsaP256Sha256Fixed,
    /// ECDSA P-256 / SHA-384; key: SEC1 point; signature: ASN.1 DER.
    EcdsaP256Sha384Der,
    /// ECDSA P-384 / SHA-384; key: SEC1 uncompressed point (97 bytes); signature: ASN.1 DER.
    EcdsaP384Sha384Der,
    /// ECDSA P-384 / SHA-384; key: SEC1 point; signature: `r || s`, 48 bytes each, big-endian.
    EcdsaP384Sha384Fixed,
    /// ECDSA P-384 / SHA-256; key: SEC1 point; signature: ASN.1 DER.
    EcdsaP384Sha256Der,
    /// RSASSA-PKCS1-v1_5 / SHA-256, 2048–8192-bit; key: PKCS#1 `RSAPublicKey` DER.
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 / SHA-384, 2048–8192-bit; key: PKCS#1 `RSAPublicKey` DER.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 / SHA-512, 2048–8192-bit; key: PKCS#1 `RSAPublicKey` DER.
    RsaPkcs1Sha512,
    /// RSASSA-PSS / SHA-256, MGF1-SHA-256, salt 32, 2048–8192-bit; key: PKCS#1 `RSAPublicKey` DER.
    RsaPssSha256,
    /// RSASSA-PSS / SHA-384, MGF1-SHA-384, salt 48, 2048–8192-bit; key: PKCS#1 `RSAPublicKey` DER.
    RsaPssSha384,
}

/// A signature did not verify (or its key or encoding was unusable). Carries the algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} signature does not verify")]
pub struct BadSignature(pub SigAlg);

static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// How many signature verifications this process has performed through the room (for benches).
pub fn verification_count() -> u64 {
    VERIFICATIONS.load(Ordering::Relaxed)
}

/// Verify `signature` over `message` with `public_key` under `alg` (encodings per [`SigAlg`]).
pub fn verify(alg: SigAlg, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
    backend::verify(alg, public_key, message, signature).map_err(|()| BadSignature(alg))
}

/// The signature algorithms rustls-webpki may use for X.509 paths, from the room's backend:
/// ECDSA P-256/P-384 with SHA-256/384, RSA PKCS#1 v1.5 2048–8192 and RSA-PSS 2048–8192.
pub fn webpki_algorithms() -> &'static [&'static dyn rustls_pki_types::SignatureVerificationAlgorithm] {
    backend::WEBPKI_ALGORITHMS
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, data).as_ref());
    out
}

/// SHA-384 of `data`.
pub fn sha384(data: &[u8]) -> [u8; 48] {
    let mut out = [0u8; 48];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA384, data).as_ref());
    out
}

/// SHA-512 of `data`.
pub fn sha512(data: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA512, data).as_ref());
    out
}

mod backend {
    use super::SigAlg;
    use ring::signature as sig;

    pub(super) static WEBPKI_ALGORITHMS: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
        webpki::ring::ECDSA_P256_SHA256,
        webpki::ring::ECDSA_P256_SHA384,
        webpki::ring::ECDSA_P384_SHA384,
        webpki::ring::ECDSA_P384_SHA256,
        webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        webpki::ring::RSA_PKCS1_2048_8192_SHA384,
        webpki::ring::RSA_PKCS1_2048_8192_SHA512,
        webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    ];

    pub(super) fn verify(alg: SigAlg, key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), ()> {
        let params: &dyn sig::VerificationAlgorithm = match alg {
            SigAlg::EcdsaP256Sha256Der => &sig::ECDSA_P256_SHA256_ASN1,
            SigAlg::EcdsaP256Sha256Fixed => &sig::ECDSA_P256_SHA256_FIXED,
            SigAlg::EcdsaP256Sha384Der => &sig::ECDSA_P256_SHA384_ASN1,
            SigAlg::EcdsaP384Sha384Der => &sig::ECDSA_P384_SHA384_ASN1,
            SigAlg::EcdsaP384Sha384Fixed => &sig::ECDSA_P384_SHA384_FIXED,
            SigAlg::EcdsaP384Sha256Der => &sig::ECDSA_P384_SHA256_ASN1,
            SigAlg::RsaPkcs1Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            SigAlg::RsaPkcs1Sha384 => &sig::RSA_PKCS1_2048_8192_SHA384,
            SigAlg::RsaPkcs1Sha512 => &sig::RSA_PKCS1_2048_8192_SHA512,
            SigAlg::RsaPssSha256 => &sig::RSA_PSS_2048_8192_SHA256,
            SigAlg::RsaPssSha384 => &sig::RSA_PSS_2048_8192_SHA384,
        };
        sig::UnparsedPublicKey::new(params, key).verify(message, signature).map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_p384_fixed_signature_verifies_and_a_flipped_bit_does_not() {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let msg = b"teescan crypto room";
        let mut s = pair.sign(&rng, msg).unwrap().as_ref().to_vec();
        let before = verification_count();
        assert_eq!(verify(SigAlg::EcdsaP384Sha384Fixed, pair.public_key().as_ref(), msg, &s), Ok(()));
        assert!(verification_count() > before);
        s[5] ^= 1;
        assert_eq!(verify(SigAlg::EcdsaP384Sha384Fixed, pair.public_key().as_ref(), msg, &s), Err(BadSignature(SigAlg::EcdsaP384Sha384Fixed)));
        assert!(verify(SigAlg::EcdsaP384Sha384Der, pair.public_key().as_ref(), msg, &s).is_err());
    }

    #[test]
    fn digests_match_known_answers() {
        assert_eq!(crate::bytes::to_hex(sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(crate::bytes::to_hex(sha384(b"abc")).starts_with("cb00753f45a35e8b"));
        assert!(crate::bytes::to_hex(sha512(b"abc")).starts_with("ddaf35a193617aba"));
    }
}
