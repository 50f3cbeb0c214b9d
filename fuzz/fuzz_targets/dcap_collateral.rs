//! DCAP collateral: the dcap-qvl QuoteCollateralV3 JSON and what is read back from it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = teescan::tdx::Collateral::from_dcap_json(data) {
        let _ = c.tcb_info_fmspc();
        let _ = c.provenance();
    }
});
