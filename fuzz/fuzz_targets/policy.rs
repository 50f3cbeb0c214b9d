//! Policy files (TOML, or the same schema as JSON): strict parse and everything derived from a
//! loaded policy.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(loaded) = teescan::policy::Policy::load(data) {
        let p = &loaded.policy;
        let _ = teescan::policy::eval::tdx_options(p);
        let _ = teescan::policy::eval::gpu_options(p);
        let _ = teescan::policy::eval::expiry_check(p, common::at());
        let _ = serde_json::to_string(p);
    }
});
