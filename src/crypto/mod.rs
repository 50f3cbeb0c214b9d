//! The crypto room: every signature verification and digest teescan performs goes through here.
//!
//! Verifiers (TDX, SEV-SNP, NVIDIA, provenance, providers) call [`verify`] with a named
//! [`SigAlg`], and pass [`webpki_algorithms`] (or one of its members, [`webpki_alg`]) to
//! rustls-webpki and dcap-qvl for X.509 paths: those algorithm objects call [`verify`] too, so
//! every signature teescan checks, inside webpki and dcap-qvl included, is verified and counted
//! here ([`verification_count`]). The key and signature encodings accepted are fixed per
//! algorithm and documented on [`SigAlg`].
//!
//! Backends, by cargo feature (exactly one is used):
//! * `crypto-aws-lc` (default, native): aws-lc-rs (`aws_lc.rs`). Wins when both are enabled.
//! * `crypto-ring` (portable, the browser build): ring 0.17 (`ring.rs`).
//!
//! Ed25519 is verified with ed25519-dalek's `verify_strict` under both backends (it rejects the
//! small-order keys and `R` that ring and AWS-LC accept); secp256k1 recovery
//! ([`recover_secp256k1`]) uses k256 under both (neither backend has secp256k1).

#[cfg(not(any(feature = "crypto-aws-lc", feature = "crypto-ring")))]
compile_error!("teescan needs one crypto backend: enable the feature `crypto-aws-lc` (default) or `crypto-ring`");

#[cfg(feature = "crypto-aws-lc")]
mod aws_lc;
#[cfg(feature = "crypto-aws-lc")]
use aws_lc as backend;

#[cfg(all(feature = "crypto-ring", not(feature = "crypto-aws-lc")))]
mod ring;
#[cfg(all(feature = "crypto-ring", not(feature = "crypto-aws-lc")))]
use self::ring as backend;

use core::sync::atomic::{AtomicU64, Ordering};

use rustls_pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};

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
    /// RSASSA-PSS / SHA-512, MGF1-SHA-512, salt 64, 2048–8192-bit; key: PKCS#1 `RSAPublicKey` DER.
    RsaPssSha512,
    /// Ed25519 (RFC 8032) with strict checks (canonical `S`, no small-order key or `R`); key: 32
    /// bytes; signature: 64 bytes. ed25519-dalek under every backend.
    Ed25519Strict,
    /// secp256k1 ECDSA public-key recovery ([`recover_secp256k1`] only; [`verify`] rejects it).
    EcdsaSecp256k1Recover,
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

/// The backend in use (`"aws-lc-rs 1.x"` or `"ring 0.17"`), for benches and reports.
pub fn backend_name() -> &'static str {
    backend::NAME
}

/// The signature algorithms rustls-webpki may use for X.509 paths, each verifying through
/// [`verify`]: ECDSA P-256/P-384 with SHA-256/384, RSA PKCS#1 v1.5 2048–8192 (SHA-256/384/512)
/// and RSA-PSS 2048–8192 (SHA-256/384/512, `rsaEncryption` keys).
pub fn webpki_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    x509::ALL
}

/// The member of [`webpki_algorithms`] for `alg` (`None` for an algorithm X.509 paths do not
/// use here: the fixed-width ECDSA forms and Ed25519).
pub fn webpki_alg(alg: SigAlg) -> Option<&'static dyn SignatureVerificationAlgorithm> {
    x509::of(alg)
}

/// A rustls-webpki algorithm object whose verification is [`verify`] with `alg`.
#[derive(Debug)]
struct WebpkiAlg {
    alg: SigAlg,
    public_key: AlgorithmIdentifier,
    signature: AlgorithmIdentifier,
}

impl SignatureVerificationAlgorithm for WebpkiAlg {
    fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
        verify(self.alg, public_key, message, signature).map_err(|_| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.public_key
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature
    }
    fn fips(&self) -> bool {
        false
    }
}

/// The room's rustls-webpki algorithm objects, one per X.509 signature algorithm (each verifies
/// through [`verify`]); [`webpki_algorithms`] lists them all.
pub mod x509 {
    use super::{alg_id, SigAlg, SignatureVerificationAlgorithm as Alg, WebpkiAlg};

    macro_rules! algs {
        ($($name:ident: $alg:ident, $pk:ident, $sig:ident;)*) => {
            $(
                #[doc = concat!("[`SigAlg::", stringify!($alg), "`] for rustls-webpki.")]
                pub static $name: &dyn Alg = &WebpkiAlg { alg: SigAlg::$alg, public_key: alg_id::$pk, signature: alg_id::$sig };
            )*
            pub(super) static ALL: &[&dyn Alg] = &[$($name),*];
            pub(super) fn of(alg: SigAlg) -> Option<&'static dyn Alg> {
                match alg {
                    $(SigAlg::$alg => Some($name),)*
                    _ => None,
                }
            }
        };
    }

    algs! {
        ECDSA_P256_SHA256: EcdsaP256Sha256Der, ECDSA_P256, ECDSA_SHA256;
        ECDSA_P256_SHA384: EcdsaP256Sha384Der, ECDSA_P256, ECDSA_SHA384;
        ECDSA_P384_SHA384: EcdsaP384Sha384Der, ECDSA_P384, ECDSA_SHA384;
        ECDSA_P384_SHA256: EcdsaP384Sha256Der, ECDSA_P384, ECDSA_SHA256;
        RSA_PKCS1_SHA256: RsaPkcs1Sha256, RSA_ENCRYPTION, RSA_PKCS1_SHA256;
        RSA_PKCS1_SHA384: RsaPkcs1Sha384, RSA_ENCRYPTION, RSA_PKCS1_SHA384;
        RSA_PKCS1_SHA512: RsaPkcs1Sha512, RSA_ENCRYPTION, RSA_PKCS1_SHA512;
        RSA_PSS_SHA256: RsaPssSha256, RSA_ENCRYPTION, RSA_PSS_SHA256;
        RSA_PSS_SHA384: RsaPssSha384, RSA_ENCRYPTION, RSA_PSS_SHA384;
        RSA_PSS_SHA512: RsaPssSha512, RSA_ENCRYPTION, RSA_PSS_SHA512;
    }
}

/// Ed25519 with ed25519-dalek's `verify_strict` (shared by the backends).
fn ed25519_strict(key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), ()> {
    let key: [u8; 32] = key.try_into().map_err(|_| ())?;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| ())?;
    if vk.is_weak() {
        return Err(());
    }
    let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| ())?;
    vk.verify_strict(message, &sig).map_err(|_| ())
}

/// The secp256k1 public key (uncompressed SEC1, 65 bytes) that produced the signature `r ‖ s`
/// (64 bytes) with recovery id `recid` (0 or 1) over the 32-byte `prehash`; counted as a
/// verification. Rejects a high-`s` (non-canonical) signature. k256 under every backend.
pub fn recover_secp256k1(prehash: &[u8; 32], rs: &[u8], recid: u8) -> Result<[u8; 65], BadSignature> {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
    let bad = || BadSignature(SigAlg::EcdsaSecp256k1Recover);
    let sig = Signature::from_slice(rs).map_err(|_| bad())?;
    if sig.normalize_s() != sig || recid > 1 {
        return Err(bad());
    }
    let id = RecoveryId::from_byte(recid).ok_or_else(bad)?;
    let vk = VerifyingKey::recover_from_prehash(prehash, &sig, id).map_err(|_| bad())?;
    <[u8; 65]>::try_from(vk.to_sec1_point(false).as_bytes()).map_err(|_| bad())
}

/// SHA-1 of `data`, for the identifiers that still name it (OCSP `CertID` and `ResponderID`
/// byKey hashes). Never used to verify a signature.
pub fn sha1_legacy(data: &[u8]) -> [u8; 20] {
    backend::sha1(data)
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    backend::sha256(data)
}

/// SHA-384 of `data`.
pub fn sha384(data: &[u8]) -> [u8; 48] {
    backend::sha384(data)
}

/// SHA-512 of `data`.
pub fn sha512(data: &[u8]) -> [u8; 64] {
    backend::sha512(data)
}

/// An incremental SHA-256 (cache keys, streamed inputs).
pub struct Sha256(backend::Sha256);

impl Default for Sha256 {
    fn default() -> Self {
        Sha256::new()
    }
}

impl Sha256 {
    /// An empty hash.
    pub fn new() -> Self {
        Sha256(backend::Sha256::new())
    }
    /// Hash `data` next.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        self.0.finish()
    }
}

/// An ECDSA curve of a signing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// P-256 (signs with SHA-256).
    P256,
    /// P-384 (signs with SHA-384).
    P384,
}

/// An ECDSA signing key on the room's backend (EAR signing); signatures are fixed `r ‖ s`.
pub struct EcdsaSigner {
    curve: Curve,
    key: backend::EcdsaSigner,
}

impl EcdsaSigner {
    /// A PKCS#8 (DER) private key on `curve`; `None` if it is not one.
    pub fn from_pkcs8(curve: Curve, der: &[u8]) -> Option<Self> {
        backend::EcdsaSigner::from_pkcs8(curve, der).map(|key| EcdsaSigner { curve, key })
    }
    /// A fresh PKCS#8 (DER) private key on `curve`.
    pub fn generate_pkcs8(curve: Curve) -> Option<Vec<u8>> {
        backend::EcdsaSigner::generate_pkcs8(curve)
    }
    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }
    /// The public key (uncompressed SEC1 point).
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key()
    }
    /// Sign `message` (fixed `r ‖ s`); `None` if the backend failed.
    pub fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        self.key.sign(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(curve: Curve) -> EcdsaSigner {
        EcdsaSigner::from_pkcs8(curve, &EcdsaSigner::generate_pkcs8(curve).unwrap()).unwrap()
    }

    #[test]
    fn a_p384_fixed_signature_verifies_and_a_flipped_bit_does_not() {
        let pair = signer(Curve::P384);
        let msg = b"teescan crypto room";
        let mut s = pair.sign(msg).unwrap();
        let before = verification_count();
        assert_eq!(verify(SigAlg::EcdsaP384Sha384Fixed, &pair.public_key(), msg, &s), Ok(()));
        assert!(verification_count() > before);
        s[5] ^= 1;
        assert_eq!(verify(SigAlg::EcdsaP384Sha384Fixed, &pair.public_key(), msg, &s), Err(BadSignature(SigAlg::EcdsaP384Sha384Fixed)));
        assert!(verify(SigAlg::EcdsaP384Sha384Der, &pair.public_key(), msg, &s).is_err());
    }

    #[test]
    fn a_p256_signature_verifies_only_under_its_own_algorithm() {
        let pair = signer(Curve::P256);
        let msg = b"teescan crypto room";
        let s = pair.sign(msg).unwrap();
        assert_eq!(verify(SigAlg::EcdsaP256Sha256Fixed, &pair.public_key(), msg, &s), Ok(()));
        assert!(verify(SigAlg::EcdsaP384Sha384Fixed, &pair.public_key(), msg, &s).is_err());
        assert!(verify(SigAlg::EcdsaP256Sha256Fixed, &pair.public_key(), b"another message", &s).is_err());
        assert!(verify(SigAlg::EcdsaSecp256k1Recover, &pair.public_key(), msg, &s).is_err());
    }

    #[test]
    fn webpki_algorithms_verify_through_the_room_and_count() {
        let pair = signer(Curve::P384);
        let msg = b"tbs";
        let fixed = pair.sign(msg).unwrap();
        // DER-encode r ‖ s (both < 2^383 here is not guaranteed: use the encoder of dcap-qvl).
        let (r, s) = fixed.split_at(48);
        let der = <dcap_qvl::signature::DerSigEncoder as dcap_qvl::config::EcdsaSigEncoder>::encode_ecdsa_sig(r, s).unwrap();
        let alg = webpki_alg(SigAlg::EcdsaP384Sha384Der).unwrap();
        assert_eq!(alg.public_key_alg_id(), alg_id::ECDSA_P384);
        assert_eq!(alg.signature_alg_id(), alg_id::ECDSA_SHA384);
        let before = verification_count();
        assert!(alg.verify_signature(&pair.public_key(), msg, &der).is_ok());
        assert!(alg.verify_signature(&pair.public_key(), b"other", &der).is_err());
        assert!(verification_count() >= before + 2);
        assert_eq!(webpki_algorithms().len(), 10);
        assert!(webpki_alg(SigAlg::EcdsaP384Sha384Fixed).is_none());
    }

    #[test]
    fn ed25519_small_order_key_is_rejected_for_every_text() {
        // The identity point as key, R = identity, S = 0: verifies under non-strict Ed25519.
        let mut key = [0u8; 32];
        key[0] = 1;
        let mut sig = [0u8; 64];
        sig[0] = 1;
        assert!(verify(SigAlg::Ed25519Strict, &key, b"anything", &sig).is_err());
    }

    #[test]
    fn the_backend_is_the_one_the_features_select() {
        #[cfg(feature = "crypto-aws-lc")]
        assert_eq!(backend_name(), "aws-lc-rs 1.x");
        #[cfg(not(feature = "crypto-aws-lc"))]
        assert_eq!(backend_name(), "ring 0.17");
    }

    #[test]
    fn incremental_sha256_equals_one_shot() {
        let mut h = Sha256::new();
        h.update(b"ab");
        h.update(b"c");
        assert_eq!(h.finish(), sha256(b"abc"));
    }

    #[test]
    fn digests_match_known_answers() {
        assert_eq!(crate::bytes::to_hex(sha1_legacy(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(crate::bytes::to_hex(sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(crate::bytes::to_hex(sha384(b"abc")).starts_with("cb00753f45a35e8b"));
        assert!(crate::bytes::to_hex(sha512(b"abc")).starts_with("ddaf35a193617aba"));
    }
}
