//! One Sigstore bundle verification (`provenance::verify_bundle`): the Tinfoil router v0.0.75
//! release bundle (`sigstore/tinfoil-rs/rekor_test_bundle.json`) against the compiled public-good
//! trust root. `cold` parses the trust root each time (a one-shot CLI scan); `warm` reuses it.
//! Every signature (Fulcio chain, SCT, SET, checkpoint, DSSE) is verified each iteration: there
//! is no cache. `rekor2` is the sigstore-conformance `rekor2-dsse-happy-path` bundle (Rekor v2
//! `hashedrekord` 0.0.2, Ed25519 checkpoint, RFC 3161 timestamp) against its staging trust root
//! (parsed once). `cargo bench --bench provenance`.

#[path = "common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use teescan::pki::sigstore::TrustedRoot;
use teescan::provenance::verify_bundle;
use teescan::time::Timestamp;

fn bench(c: &mut Criterion) {
    let Some(root) = common::corpus() else { return };
    let bundle = common::read(root.join("sigstore/tinfoil-rs/rekor_test_bundle.json"));
    let at = Timestamp::parse_rfc3339("2026-12-03T00:00:00Z").expect("time");
    let trust = TrustedRoot::public_good().expect("root");
    verify_bundle(&bundle, &trust, at, None).expect("verifies");
    common::bench(c, "provenance/verify_bundle_cold", || {
        let trust = TrustedRoot::public_good().expect("root");
        verify_bundle(black_box(&bundle), &trust, at, None).expect("verifies")
    });
    common::bench(c, "provenance/verify_bundle_warm", || verify_bundle(black_box(&bundle), &trust, at, None).expect("verifies"));
    let dir = root.join("sigstore/sigstore-conformance/bundle-verify/rekor2-dsse-happy-path");
    let v2 = common::read(dir.join("bundle.sigstore.json"));
    let staging = TrustedRoot::from_json(&common::read(dir.join("trusted_root.json"))).expect("root");
    verify_bundle(&v2, &staging, at, None).expect("verifies");
    common::bench(c, "provenance/verify_bundle_rekor2_warm", || verify_bundle(black_box(&v2), &staging, at, None).expect("verifies"));
}

criterion_group! { name = benches; config = common::criterion(); targets = bench }
criterion_main!(benches);
