//! Certificate chains from PEM (the `--cert-chain` file and the evidence list's base64 PEM):
//! device-chain validation to the pinned NVIDIA root, the DICE FWID extension, the identity.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use teescan::pki::TrustAnchor;

fuzz_target!(|data: &[u8]| {
    if let Ok(blocks) = pem::parse_many(data) {
        let certs: Vec<Vec<u8>> = blocks.into_iter().take(64).map(pem::Pem::into_contents).collect();
        for c in &certs {
            let _ = teescan::nvidia::chain::leaf_fwid(c);
            let _ = teescan::pki::cert_public_key(c);
        }
        let anchor = TrustAnchor::nvidia_device_identity_ca();
        let _ = teescan::nvidia::chain::verify_device_chain(&certs, &anchor, common::at());
        if let Some((leaf, rest)) = certs.split_first() {
            let _ = teescan::pki::verify_path(leaf, rest, &anchor, common::at());
        }
    }
    // The same bytes as a DER certificate.
    let _ = teescan::nvidia::chain::leaf_fwid(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = teescan::nvidia::evidence::decode_cert_chain(text);
    }
});
