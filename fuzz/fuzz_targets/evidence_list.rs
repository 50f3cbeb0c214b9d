//! NVIDIA evidence list JSON (object or bare array), then each item's report and chain.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = teescan::nvidia::evidence::parse_evidence_list(data) {
        for item in &list.items {
            if let Ok(r) = item.parse_report() {
                let _ = r.opaque().fwid();
            }
            let _ = teescan::nvidia::chain::leaf_fwid(item.cert_chain.first().map_or(&[][..], |c| c.as_slice()));
        }
        // The whole GPU pipeline, offline, with no collateral: never a panic.
        let coll = teescan::nvidia::verify::GpuCollateral::default();
        let opts = teescan::nvidia::verify::GpuOptions::default();
        let _ = teescan::nvidia::verify::verify_gpus(&list, &coll, common::at(), &opts);
    }
});
