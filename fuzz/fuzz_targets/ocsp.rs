//! OCSP responses (DER or base64): decoding, the serials they cover, and full verification for
//! each certificate of the real H100 device chain with its issuer.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = teescan::nvidia::ocsp::response_serials(data);
    if teescan::nvidia::ocsp::decode_response(data).is_err() {
        return;
    }
    let chain = common::h100_chain();
    for pair in chain.windows(2) {
        if let [cert, issuer] = pair {
            let _ = teescan::nvidia::ocsp::verify_ocsp(data, cert, issuer, common::at());
        }
    }
    let opts = teescan::nvidia::ocsp::OcspOptions { allow_missing_next_update: true, expected_nonce: Some(vec![1, 2, 3]) };
    if let (Some(cert), Some(issuer)) = (chain.get(1), chain.get(2)) {
        let _ = teescan::nvidia::ocsp::verify_ocsp_with(data, cert, issuer, common::at(), &opts);
    }
});
