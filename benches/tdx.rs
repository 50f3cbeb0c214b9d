//! TDX benchmarks: quote parsing alone, policy evaluation alone, and a full scan from scratch
//! ("cold": every certificate, CRL and collateral signature verified again). Runs on the committed
//! test-PKI fixtures, and on real corpus evidence when `../shared/fixtures` (or TEESCAN_CORPUS)
//! is present. `cargo bench --bench tdx`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use teescan::pki::TrustAnchor;
use teescan::policy::Policy;
use teescan::tdx::{Collateral, Quote};
use teescan::time::Timestamp;
use teescan::{scan_tdx_quote, ScanOptions};

fn crate_file(rel: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)).expect("fixture")
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TEESCAN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    dir.join("tdx/manifest.json").is_file().then_some(dir)
}

fn bench(c: &mut Criterion) {
    let quote = crate_file("fixtures/testpki/quote.bin");
    let collateral = Collateral::from_dcap_json(&crate_file("fixtures/testpki/collateral.json")).expect("collateral");
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339("2026-01-15T00:00:00Z").expect("time"));
    opts.intel_root = TrustAnchor::danger_test_root(&crate_file("fixtures/testpki/root.der")).expect("root");

    c.bench_function("tdx/parse_quote", |b| b.iter(|| Quote::parse(std::hint::black_box(&quote)).expect("parse")));
    c.bench_function("tdx/scan_cold_testpki", |b| {
        b.iter(|| scan_tdx_quote(std::hint::black_box(&quote), &collateral, &opts).expect("scan"))
    });
    let mut with_policy = opts.clone();
    with_policy.policy = Some(Policy::load(&crate_file("fixtures/testpki/policy.toml")).expect("policy"));
    c.bench_function("tdx/scan_cold_testpki_with_policy", |b| {
        b.iter(|| scan_tdx_quote(std::hint::black_box(&quote), &collateral, &with_policy).expect("scan"))
    });

    if let Some(root) = corpus() {
        let dir = root.join("tdx/derived/teep/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637");
        let q = std::fs::read(dir.join("quote_7cddc8d792dc.bin")).expect("quote");
        let coll = Collateral::from_dcap_json(&std::fs::read(dir.join("collateral.json")).expect("coll")).expect("coll");
        let mut o = ScanOptions::new(Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").expect("time"));
        o.policy = Some(Policy::load(&crate_file("policies/nearai.toml")).expect("policy"));
        c.bench_function("tdx/scan_cold_near_real_with_policy", |b| {
            b.iter(|| scan_tdx_quote(std::hint::black_box(&q), &coll, &o).expect("scan"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
