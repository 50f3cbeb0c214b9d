//! GPU benchmarks on real corpus evidence (skipped without the corpus):
//! - one H100 with its chain, both RIMs and seven OCSP responses, cold (everything verified from
//!   scratch) and warm (chain, RIMs and OCSP results in a [`VerifyCache`]; the report's own
//!   P-384 signature is always verified);
//! - the NEAR 8×H100 payload with its NRAS tokens, cold (the 8 GPUs still share, within the call,
//!   the CA certificates of their chains) and warm (chains cached; the 8 report signatures and the
//!   9 NRAS tokens verified every time).
//!
//! `cargo bench --bench gpu`.

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use teescan::cache::VerifyCache;
use teescan::nvidia::verify::{verify_gpus, GpuOptions};
use teescan::report::{Status, Verdict};

fn passes(v: &teescan::nvidia::verify::GpuVerification) -> bool {
    Verdict::from_checks(&v.checks) == Verdict::Pass
}

fn no_failure(v: &teescan::nvidia::verify::GpuVerification) -> bool {
    !v.checks.iter().any(|c| c.status == Status::Fail)
}

fn bench(c: &mut Criterion) {
    let Some(root) = common::corpus() else { return };

    // At 2025-10-24 both RIMs and the six RIM-chain OCSP responses are current; the three
    // device-chain OCSP responses (produced 2025-08-21) are verified but outside their window
    // (indeterminate). Failures are never cached, so "warm" re-verifies those three every time.
    let h = common::h100(&root);
    assert!(no_failure(&verify_gpus(&h.list, &h.coll, h.at, &h.opts)), "the H100 sample has no failure at its pinned time");
    common::bench(c, "gpu/h100_full_appraisal_cold", || verify_gpus(std::hint::black_box(&h.list), &h.coll, h.at, &h.opts));
    let cache = Arc::new(VerifyCache::new());
    let warm = GpuOptions { cache: Some(Arc::clone(&cache)), ..h.opts.clone() };
    verify_gpus(&h.list, &h.coll, h.at, &warm);
    common::bench(c, "gpu/h100_full_appraisal_warm", || verify_gpus(std::hint::black_box(&h.list), &h.coll, h.at, &warm));
    eprintln!("h100 cache: {:?}", cache.stats());
    // The same with only the collateral current at that time (the four RIM-chain OCSP responses;
    // the device-chain OCSP checks then say "not supplied"): every verified result is cacheable,
    // so warm is the report's own P-384 signature plus parsing and comparison.
    let mut current = h.coll.clone();
    current.ocsp.retain(|r| {
        let chain = &h.list.items[0].cert_chain;
        !(1..4).any(|k| teescan::nvidia::ocsp::verify_ocsp(r, &chain[k], &chain[k + 1], common::at("2025-08-21T12:00:00Z")).is_ok())
    });
    assert_eq!(current.ocsp.len(), 4);
    let cache_c = Arc::new(VerifyCache::new());
    let warm_c = GpuOptions { cache: Some(Arc::clone(&cache_c)), ..h.opts.clone() };
    assert!(no_failure(&verify_gpus(&h.list, &current, h.at, &warm_c)));
    common::bench(c, "gpu/h100_current_collateral_cold", || verify_gpus(std::hint::black_box(&h.list), &current, h.at, &h.opts));
    common::bench(c, "gpu/h100_current_collateral_warm", || verify_gpus(std::hint::black_box(&h.list), &current, h.at, &warm_c));
    eprintln!("h100 (current collateral) cache: {:?}", cache_c.stats());

    let n = common::near8(&root);
    assert!(passes(&verify_gpus(&n.list, &n.coll, n.at, &n.opts)), "the NEAR 8xH100 payload passes with NRAS");
    common::bench(c, "gpu/near_8xh100_with_nras_cold", || verify_gpus(std::hint::black_box(&n.list), &n.coll, n.at, &n.opts));
    let no_nras = teescan::nvidia::verify::GpuCollateral::default();
    let opts_no_nras = GpuOptions { require_nras: false, ..n.opts.clone() };
    common::bench(c, "gpu/near_8xh100_no_nras_cold", || verify_gpus(std::hint::black_box(&n.list), &no_nras, n.at, &opts_no_nras));
    let cache8 = Arc::new(VerifyCache::new());
    let warm8 = GpuOptions { cache: Some(Arc::clone(&cache8)), ..n.opts.clone() };
    verify_gpus(&n.list, &n.coll, n.at, &warm8);
    common::bench(c, "gpu/near_8xh100_with_nras_warm", || verify_gpus(std::hint::black_box(&n.list), &n.coll, n.at, &warm8));
    eprintln!("near8 cache: {:?}", cache8.stats());
}

criterion_group! { name = benches; config = common::criterion(); targets = bench }
criterion_main!(benches);
