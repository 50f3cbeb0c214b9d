//! TDX quote verification end to end (dcap-qvl, PCK path, TCB appraisal, claims) against fixed
//! real collateral at a fixed time: a malformed or tampered quote must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some(coll) = common::tdx_collateral() else { return };
    let opts = teescan::ScanOptions::new(common::at());
    if let Ok(report) = teescan::scan_tdx_quote(data, coll, &opts) {
        let _ = teescan::report::json::render(&report);
    }
});
