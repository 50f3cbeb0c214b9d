//! NVIDIA SPDM attestation report: decoding (binary/hex/base64), the GET_MEASUREMENTS parser,
//! every accessor, and the P-384 signature check with a real device leaf.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use teescan::nvidia::spdm::SpdmReport;

fn exercise(r: &SpdmReport) {
    let _ = r.signed_bytes();
    let _ = r.nonce();
    let o = r.opaque();
    let _ = (o.driver_version(), o.vbios_version(), o.fwid(), o.switch_pdis(), o.msrscnt());
    for b in r.blocks() {
        let _ = r.measurement(b.index);
    }
    let _ = r.measurement(0);
    let _ = r.measurement(255);
    if let Some(leaf) = common::h100_chain().first() {
        let _ = r.verify_signature(leaf);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = SpdmReport::parse(data) {
        exercise(&r);
    }
    if let Ok((raw, _)) = teescan::nvidia::evidence::decode_report(data) {
        if let Ok(r) = SpdmReport::parse(&raw) {
            exercise(&r);
        }
    }
});
