//! Per-chat response signature payload (`GET /v1/signature/{id}`): strict parse, the signed
//! text's parts, EIP-191 address recovery / strict Ed25519, and the checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

use teescan::provider::signature;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = signature::parse_signature_payload(data) {
        let _ = signature::verify_payload(&p);
        let _ = signature::parse_text(&p.text);
        let _ = signature::signature_checks("node", &p, Some(&p.signing_address), Some(b"{}"), Some(b"{}"), Some("m"));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = signature::parse_text(text);
    }
    if let Some((sig, text)) = data.split_first_chunk::<65>() {
        let _ = signature::recover_eip191_address(&String::from_utf8_lossy(text), sig);
    }
});
