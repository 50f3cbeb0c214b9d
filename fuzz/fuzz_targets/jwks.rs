//! JWKS (`{"keys": [...]}`): strict parse and the optional x5c consistency check.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(jwks) = teescan::nvidia::nras::parse_jwks(data) {
        for k in jwks.keys() {
            let _ = k.check_x5c(common::at());
            let _ = jwks.get(&k.kid);
        }
    }
});
