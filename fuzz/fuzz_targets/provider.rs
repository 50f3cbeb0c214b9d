//! Provider reports: format detection and every provider parser (NEAR node / gateway, reseller
//! wrapper, Chutes, Tinfoil v3), then each layer's quote, event log and binding.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use teescan::provider::{binding, eventlog};

fuzz_target!(|data: &[u8]| {
    let Ok(report) = teescan::provider::parse(data) else { return };
    for layer in &report.layers {
        if let Ok(q) = teescan::tdx::Quote::parse(&layer.quote) {
            let _ = q.pck_hint();
        }
        let _ = binding::expected(layer.scheme, &layer.inputs);
        let _ = binding::holds(layer.scheme, &layer.inputs, &[0u8; 64]);
        if let Some(log) = &layer.event_log {
            let _ = eventlog::scan_event_log(&layer.name, log, &[[0u8; 48]; 4], layer.info.as_ref(), &[0u8; 48]);
        }
    }
    // The whole provider scan without collateral (TDX indeterminate; binding, event log and GPU
    // checks still run): never a panic.
    let opts = teescan::ScanOptions::new(common::at());
    let gpu = teescan::nvidia::verify::GpuCollateral::default();
    let _ = teescan::provider::scan::scan_provider(&report, &[], &gpu, &opts);
});
