//! NVIDIA RIM (SWID XML with an enveloped XML-DSig): parse, signature profile, signer chain to
//! the pinned RIM root, golden measurements from the signed node.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use teescan::pki::TrustAnchor;

fuzz_target!(|data: &[u8]| {
    let anchor = TrustAnchor::nvidia_corim_root_ca();
    if let Ok(rim) = teescan::nvidia::rim::verify_rim(data, &anchor, common::at()) {
        let _ = rim.active().count();
    }
});
