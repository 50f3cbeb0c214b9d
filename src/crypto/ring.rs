//! The portable backend: ring 0.17 (builds for wasm32 and every target ring supports). Selected
//! by the `crypto-ring` feature when `crypto-aws-lc` is off.

use ring::signature as sig;

use super::SigAlg;

/// The backend's name, as benches and reports print it.
pub(super) const NAME: &str = "ring 0.17";

/// Verify with ring; `Err(())` for a bad signature, key or encoding.
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
        SigAlg::RsaPssSha512 => &sig::RSA_PSS_2048_8192_SHA512,
        SigAlg::Ed25519Strict => return super::ed25519_strict(key, message, signature),
        SigAlg::EcdsaSecp256k1Recover => return Err(()),
    };
    sig::UnparsedPublicKey::new(params, key).verify(message, signature).map_err(|_| ())
}

macro_rules! digest_fn {
    ($name:ident, $alg:ident, $n:literal) => {
        pub(super) fn $name(data: &[u8]) -> [u8; $n] {
            let mut out = [0u8; $n];
            out.copy_from_slice(ring::digest::digest(&ring::digest::$alg, data).as_ref());
            out
        }
    };
}
digest_fn!(sha1, SHA1_FOR_LEGACY_USE_ONLY, 20);
digest_fn!(sha256, SHA256, 32);
digest_fn!(sha384, SHA384, 48);
digest_fn!(sha512, SHA512, 64);

/// An incremental SHA-256.
pub(super) struct Sha256(ring::digest::Context);

impl Sha256 {
    pub(super) fn new() -> Self {
        Sha256(ring::digest::Context::new(&ring::digest::SHA256))
    }
    pub(super) fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    pub(super) fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.0.finish().as_ref());
        out
    }
}

/// An ECDSA signing key (fixed `r ‖ s` signatures).
pub(super) struct EcdsaSigner(sig::EcdsaKeyPair);

impl EcdsaSigner {
    pub(super) fn from_pkcs8(curve: super::Curve, der: &[u8]) -> Option<Self> {
        let rng = ring::rand::SystemRandom::new();
        let alg = match curve {
            super::Curve::P256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            super::Curve::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        };
        sig::EcdsaKeyPair::from_pkcs8(alg, der, &rng).ok().map(EcdsaSigner)
    }
    pub(super) fn generate_pkcs8(curve: super::Curve) -> Option<Vec<u8>> {
        let rng = ring::rand::SystemRandom::new();
        let alg = match curve {
            super::Curve::P256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            super::Curve::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        };
        sig::EcdsaKeyPair::generate_pkcs8(alg, &rng).ok().map(|d| d.as_ref().to_vec())
    }
    pub(super) fn public_key(&self) -> Vec<u8> {
        use sig::KeyPair as _;
        self.0.public_key().as_ref().to_vec()
    }
    pub(super) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        let rng = ring::rand::SystemRandom::new();
        self.0.sign(&rng, message).ok().map(|s| s.as_ref().to_vec())
    }
}
