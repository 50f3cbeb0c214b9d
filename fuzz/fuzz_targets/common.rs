//! Shared helpers for the fuzz targets: a fixed verification time and real third-party
//! collateral read in place from the shared corpus (`TEESCAN_CORPUS`, default
//! `../../shared/fixtures` beside this crate). When the corpus is absent the targets that need it
//! still run their parsers, only without the fixed collateral.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use teescan::time::Timestamp;

/// A fixed time inside the validity of most corpus collateral.
pub fn at() -> Timestamp {
    Timestamp::from_unix(1_782_700_000) // 2026-06-29
}

fn corpus_root() -> PathBuf {
    match std::env::var_os("TEESCAN_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"),
    }
}

/// A corpus file, or `None` when the corpus is not there.
pub fn corpus_file(rel: &str) -> Option<Vec<u8>> {
    std::fs::read(corpus_root().join(rel)).ok()
}

/// The H100 sample device chain (DER, leaf first), if the corpus is present.
pub fn h100_chain() -> &'static [Vec<u8>] {
    static CHAIN: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CHAIN.get_or_init(|| {
        corpus_file("nvidia/nvtrust-sample-h100/device_cert_chain.pem")
            .and_then(|p| pem::parse_many(p).ok())
            .map(|v| v.into_iter().map(pem::Pem::into_contents).collect())
            .unwrap_or_default()
    })
}

/// The NRAS JWKS captured with the NEAR direct report, parsed.
pub fn nras_jwks() -> &'static teescan::nvidia::nras::Jwks {
    static JWKS: OnceLock<teescan::nvidia::nras::Jwks> = OnceLock::new();
    JWKS.get_or_init(|| {
        corpus_file("nvidia/providers/neardirect-qwen35-teep/nras_jwks_at_capture.json")
            .and_then(|b| teescan::nvidia::nras::parse_jwks(&b).ok())
            .unwrap_or_default()
    })
}

/// Real DCAP collateral (NEAR direct capture, 2026-06-29), if the corpus is present.
pub fn tdx_collateral() -> Option<&'static teescan::tdx::Collateral> {
    static COLL: OnceLock<Option<teescan::tdx::Collateral>> = OnceLock::new();
    COLL.get_or_init(|| {
        corpus_file("tdx/derived/teep/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637/collateral.json")
            .and_then(|b| teescan::tdx::Collateral::from_dcap_json(&b).ok())
    })
    .as_ref()
}
