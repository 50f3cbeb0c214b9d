//! TDX benchmarks: quote parsing alone, a full scan from scratch ("cold": every certificate, CRL
//! and collateral signature verified again), the same with a warm [`VerifyCache`] (collateral
//! signatures cached; the quote's own signature always verified), warm over the distinct quotes of
//! one platform (a batch), and dcap-qvl alone on the same input. Runs on the committed test-PKI
//! fixtures, and on real corpus evidence when `../shared/fixtures` (or TEESCAN_CORPUS) is present.
//! `cargo bench --bench tdx`.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use teescan::cache::VerifyCache;
use teescan::pki::TrustAnchor;
use teescan::policy::Policy;
use teescan::tdx::{Collateral, Quote};
use teescan::time::Timestamp;
use teescan::{scan_tdx_quote, ScanOptions};

fn crate_file(rel: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)).expect("fixture")
}

fn bench(c: &mut Criterion) {
    let quote = crate_file("fixtures/testpki/quote.bin");
    let collateral = Collateral::from_dcap_json(&crate_file("fixtures/testpki/collateral.json")).expect("collateral");
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339("2026-01-15T00:00:00Z").expect("time"));
    opts.intel_root = TrustAnchor::danger_test_root(&crate_file("fixtures/testpki/root.der")).expect("root");

    common::bench(c, "tdx/parse_quote", || Quote::parse(std::hint::black_box(&quote)).expect("parse"));
    common::bench(c, "tdx/scan_cold_testpki", || scan_tdx_quote(std::hint::black_box(&quote), &collateral, &opts).expect("scan"));
    let mut with_policy = opts.clone();
    with_policy.policy = Some(Policy::load(&crate_file("fixtures/testpki/policy.toml")).expect("policy"));
    common::bench(c, "tdx/scan_cold_testpki_with_policy", || scan_tdx_quote(std::hint::black_box(&quote), &collateral, &with_policy).expect("scan"));

    if let Some(root) = common::corpus() {
        let set = common::tdx_near(&root);
        let q0 = set.quotes[0].clone();
        let base = ScanOptions::new(set.at);
        // dcap-qvl alone (the crate teescan wraps), same quote, same collateral, same time.
        let dcap = set.collateral.as_dcap().clone();
        let intel = TrustAnchor::intel_sgx_root();
        common::bench(c, "tdx/dcap_qvl_alone_near", || {
            dcap_qvl::verify::QuoteVerifier::new(intel.der().to_vec()).verify(std::hint::black_box(&q0), &dcap, set.at.unix()).expect("dcap-qvl")
        });
        // dcap-qvl's claims API (verification + QuoteClaims: TCB levels, CRL numbers, collateral
        // window), the call teescan makes, with the same options teescan passes.
        common::bench(c, "tdx/dcap_qvl_alone_near_claims", || {
            dcap_qvl::verify::QuoteVerifier::new(intel.der().to_vec())
                .allow_debug(true)
                .allow_service_td(true)
                .verify_with_policy(std::hint::black_box(&q0), dcap.clone(), set.at.unix(), &dcap_qvl::QuotePolicy::claims_only(set.at.unix()))
                .expect("dcap-qvl")
        });
        // Cold: every certificate, CRL and collateral signature verified again.
        common::bench(c, "tdx/verify_cold_near", || scan_tdx_quote(std::hint::black_box(&q0), &set.collateral, &base).expect("scan"));
        // Warm: the collateral's signatures are in the cache; the quote's own signature is not
        // (never cached). Same quote each time.
        let cache = Arc::new(VerifyCache::new());
        let mut warm = base.clone();
        warm.cache = Some(Arc::clone(&cache));
        assert!(scan_tdx_quote(&q0, &set.collateral, &warm).expect("scan").verdict == teescan::report::Verdict::Pass);
        common::bench(c, "tdx/verify_warm_near", || scan_tdx_quote(std::hint::black_box(&q0), &set.collateral, &warm).expect("scan"));
        // Warm over distinct quotes of the same platforms (a batch): one per iteration, in turn.
        let passing: Vec<&Vec<u8>> =
            set.quotes.iter().filter(|q| scan_tdx_quote(q, &set.collateral, &warm).expect("scan").verdict == teescan::report::Verdict::Pass).collect();
        assert!(passing.len() >= 2, "at least two NEAR quotes pass at {}", set.at);
        let mut i = 0usize;
        common::bench(c, "tdx/verify_warm_near_distinct_quotes", || {
            i = (i + 1) % passing.len();
            scan_tdx_quote(std::hint::black_box(passing[i]), &set.collateral, &warm).expect("scan")
        });
        eprintln!("tdx: {} distinct NEAR quotes pass at {}", passing.len(), set.at);
        eprintln!("tdx cache after warm runs: {:?}", cache.stats());

        let dir = root.join("tdx/derived/teep/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637");
        let q = std::fs::read(dir.join("quote_7cddc8d792dc.bin")).expect("quote");
        let coll = Collateral::from_dcap_json(&std::fs::read(dir.join("collateral.json")).expect("coll")).expect("coll");
        let mut o = ScanOptions::new(Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").expect("time"));
        o.policy = Some(Policy::load(&crate_file("policies/nearai.toml")).expect("policy"));
        common::bench(c, "tdx/scan_cold_near_real_with_policy", || scan_tdx_quote(std::hint::black_box(&q), &coll, &o).expect("scan"));
    }
}

criterion_group! { name = benches; config = common::criterion(); targets = bench }
criterion_main!(benches);
