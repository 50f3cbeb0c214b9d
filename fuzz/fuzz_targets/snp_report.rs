//! SEV-SNP: the input detectors (raw/hex/base64 report, dstack VersionedAttestation, dstack
//! verifier JSON, Tinfoil v3 router), the strict report parser, and the certificate/CRL parsers
//! of the AMD chain (the same bytes read as collateral).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = teescan::snp::Report::parse(data) {
        let _ = r.cpuid_product();
        let _ = r.signed_bytes();
    }
    let _ = teescan::snp::formats::detect_binary(data);
    let _ = teescan::snp::formats::detect_json(data);
    let _ = teescan::snp::certs::AmdCert::parse(data);
    let _ = teescan::snp::certs::AmdCrl::parse(data);
    let mut c = teescan::snp::SnpCollateral::default();
    let _ = teescan::snp::formats::add_collateral_file(&mut c, data);
});
