//! The physical floor: one ECDSA verification with ring (the backend teescan, webpki, dcap-qvl
//! and the OCSP/NRAS/SPDM code use), P-256/SHA-256 and P-384/SHA-384, in the two signature
//! encodings in use (fixed `r‖s` for SPDM reports, NRAS JWS and TDX quotes; ASN.1 DER for
//! certificates, CRLs and OCSP). Also SHA-256 of 4 KiB and 64 KiB, the cost of a cache key.
//! Needs no corpus. `cargo bench --bench floor`.

#[path = "common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};
use std::hint::black_box;

fn one(c: &mut Criterion, name: &str, sign: &'static signature::EcdsaSigningAlgorithm, verify: &'static signature::EcdsaVerificationAlgorithm) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(sign, &rng).expect("key");
    let kp = EcdsaKeyPair::from_pkcs8(sign, pkcs8.as_ref(), &rng).expect("key");
    let msg = vec![0x5au8; 1024];
    let sig = kp.sign(&rng, &msg).expect("sign");
    let pk = UnparsedPublicKey::new(verify, kp.public_key().as_ref().to_vec());
    pk.verify(&msg, sig.as_ref()).expect("verifies");
    common::bench(c, name, || pk.verify(black_box(&msg), black_box(sig.as_ref())).expect("verify"));
}

fn bench(c: &mut Criterion) {
    one(c, "floor/ring_p256_sha256_verify", &signature::ECDSA_P256_SHA256_FIXED_SIGNING, &signature::ECDSA_P256_SHA256_FIXED);
    one(c, "floor/ring_p384_sha384_verify", &signature::ECDSA_P384_SHA384_FIXED_SIGNING, &signature::ECDSA_P384_SHA384_FIXED);
    one(c, "floor/ring_p256_sha256_asn1_verify", &signature::ECDSA_P256_SHA256_ASN1_SIGNING, &signature::ECDSA_P256_SHA256_ASN1);
    one(c, "floor/ring_p384_sha384_asn1_verify", &signature::ECDSA_P384_SHA384_ASN1_SIGNING, &signature::ECDSA_P384_SHA384_ASN1);
    for n in [4096usize, 65536] {
        let data = vec![7u8; n];
        common::bench(c, &format!("floor/sha256_{}k", n / 1024), || ring::digest::digest(&ring::digest::SHA256, black_box(&data)));
    }
}

criterion_group! { name = benches; config = common::criterion(); targets = bench }
criterion_main!(benches);
