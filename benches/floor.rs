//! The physical floor: one ECDSA verification, P-256/SHA-256 and P-384/SHA-384, in the two
//! signature encodings in use (fixed `r‖s` for SPDM reports, NRAS JWS and TDX quotes; ASN.1 DER
//! for certificates, CRLs and OCSP), on each backend compiled in — ring always (a dependency),
//! aws-lc-rs with the `crypto-aws-lc` feature (default) — and through the crypto room
//! (`floor/room_*`: the backend in use plus the room's dispatch and counter). Also SHA-256 of
//! 4 KiB and 64 KiB through the room, the cost of a cache key. Needs no corpus.
//! `cargo bench --bench floor`.

#[path = "common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use teescan::crypto::{self, Curve, EcdsaSigner, SigAlg};

/// A key pair on `curve`, a 1 KiB message and its fixed and DER signatures.
struct Case {
    key: Vec<u8>,
    msg: Vec<u8>,
    fixed: Vec<u8>,
    der: Vec<u8>,
}

fn der_of(fixed: &[u8]) -> Vec<u8> {
    use dcap_qvl::config::EcdsaSigEncoder as _;
    let (r, s) = fixed.split_at(fixed.len() / 2);
    dcap_qvl::signature::DerSigEncoder::encode_ecdsa_sig(r, s).expect("der")
}

fn case(curve: Curve) -> Case {
    let signer = EcdsaSigner::from_pkcs8(curve, &EcdsaSigner::generate_pkcs8(curve).expect("key")).expect("key");
    let msg = vec![0x5au8; 1024];
    let fixed = signer.sign(&msg).expect("sign");
    Case { key: signer.public_key(), der: der_of(&fixed), msg, fixed }
}

fn bench(c: &mut Criterion) {
    eprintln!("crypto room backend: {}", crypto::backend_name());
    let p256 = case(Curve::P256);
    let p384 = case(Curve::P384);

    // ring, called directly.
    {
        use ring::signature::{self as s, UnparsedPublicKey};
        for (name, alg, k, sig) in [
            ("floor/ring_p256_sha256_verify", &s::ECDSA_P256_SHA256_FIXED, &p256, &p256.fixed),
            ("floor/ring_p384_sha384_verify", &s::ECDSA_P384_SHA384_FIXED, &p384, &p384.fixed),
            ("floor/ring_p256_sha256_asn1_verify", &s::ECDSA_P256_SHA256_ASN1, &p256, &p256.der),
            ("floor/ring_p384_sha384_asn1_verify", &s::ECDSA_P384_SHA384_ASN1, &p384, &p384.der),
        ] {
            let pk = UnparsedPublicKey::new(alg, k.key.as_slice());
            pk.verify(&k.msg, sig).expect("verifies");
            common::bench(c, name, || pk.verify(black_box(&k.msg), black_box(sig)).expect("verify"));
        }
    }

    // aws-lc-rs, called directly.
    #[cfg(feature = "crypto-aws-lc")]
    {
        use aws_lc_rs::signature::{self as s, UnparsedPublicKey};
        for (name, alg, k, sig) in [
            ("floor/awslc_p256_sha256_verify", &s::ECDSA_P256_SHA256_FIXED, &p256, &p256.fixed),
            ("floor/awslc_p384_sha384_verify", &s::ECDSA_P384_SHA384_FIXED, &p384, &p384.fixed),
            ("floor/awslc_p256_sha256_asn1_verify", &s::ECDSA_P256_SHA256_ASN1, &p256, &p256.der),
            ("floor/awslc_p384_sha384_asn1_verify", &s::ECDSA_P384_SHA384_ASN1, &p384, &p384.der),
        ] {
            let pk = UnparsedPublicKey::new(alg, k.key.as_slice());
            pk.verify(&k.msg, sig).expect("verifies");
            common::bench(c, name, || pk.verify(black_box(&k.msg), black_box(sig)).expect("verify"));
        }
    }

    // The room (the backend in use).
    for (name, alg, k, sig) in [
        ("floor/room_p256_sha256_verify", SigAlg::EcdsaP256Sha256Fixed, &p256, &p256.fixed),
        ("floor/room_p384_sha384_verify", SigAlg::EcdsaP384Sha384Fixed, &p384, &p384.fixed),
        ("floor/room_p256_sha256_asn1_verify", SigAlg::EcdsaP256Sha256Der, &p256, &p256.der),
        ("floor/room_p384_sha384_asn1_verify", SigAlg::EcdsaP384Sha384Der, &p384, &p384.der),
    ] {
        crypto::verify(alg, &k.key, &k.msg, sig).expect("verifies");
        common::bench(c, name, || crypto::verify(alg, black_box(&k.key), black_box(&k.msg), black_box(sig)).expect("verify"));
    }

    for n in [4096usize, 65536] {
        let data = vec![7u8; n];
        common::bench(c, &format!("floor/sha256_{}k", n / 1024), || crypto::sha256(black_box(&data)));
    }
}

criterion_group! { name = benches; config = common::criterion(); targets = bench }
criterion_main!(benches);
