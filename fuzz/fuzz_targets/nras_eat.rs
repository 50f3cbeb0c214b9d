//! NRAS detached EAT (the response body): parse, every JWT verified against the real NRAS JWKS
//! at a fixed time, submods digests, nonce.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use teescan::nvidia::nras;

fuzz_target!(|data: &[u8]| {
    if let Ok(eat) = nras::parse_detached_eat(data) {
        let _ = nras::decode_unverified(&eat.overall);
        for (_, tok) in &eat.devices {
            let _ = nras::decode_unverified(tok);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = nras::decode_unverified(text);
        let _ = nras::verify_jwt(text, common::nras_jwks(), common::at(), nras::NRAS_PROD_ISSUER);
    }
    let _ = nras::verify_detached_eat_with_leeway(data, common::nras_jwks(), common::at(), Some(&[0u8; 32]), nras::NRAS_PROD_ISSUER, 1 << 40);
});
