//! Sigstore bundles (v0.1–v0.3, Rekor v1 and v2): the JSON, the base64 and DER inside it
//! (Fulcio certificates, SCTs, Rekor bodies, inclusion proofs and checkpoints, RFC 3161
//! timestamp tokens) through the offline verifier against the pinned public-good root.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = teescan::pki::sigstore::TrustedRoot::public_good() {
        let _ = teescan::provenance::verify_bundle(data, &root, common::at(), None);
        let _ = teescan::provenance::verify_bundle(data, &root, common::at(), Some(b"artifact"));
    }
});
