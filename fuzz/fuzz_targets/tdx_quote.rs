//! TDX quote: encoding detection (binary/hex/base64), the quote parser, the PCK chain and the
//! FMSPC hint read from it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = teescan::tdx::Quote::parse(data) {
        let _ = q.pck_chain_der();
        let _ = q.pck_hint();
    }
    if let Ok((_raw, q, _enc)) = teescan::parse_tdx_quote(data) {
        let _ = q.pck_hint();
    }
});
