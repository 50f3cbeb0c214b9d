//! The full offline scan of the NEAR direct capture (skipped without the corpus): parse the
//! provider report, TDX quote with its DCAP collateral, report_data binding, nonce, 8 H100 GPUs,
//! the NRAS result, event-log replay and the `policies/nearai.toml` policy — exactly what
//! `teescan scan … --offline` does after reading its files.
//! - cold: nothing cached (the 8 GPUs still share their CA certificates within the call);
//! - warm: a [`VerifyCache`] in `ScanOptions::cache`, on one thread as in a batch
//!   (`parallel: false`; collateral signatures, device chains cached); the quote's
//!   signature, the 8 report signatures and the 9 NRAS tokens are verified on every scan.
//!
//! `cargo bench --bench provider`.

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use teescan::cache::VerifyCache;
use teescan::provider;
use teescan::report::{Report, Verdict};
use teescan::ScanOptions;

fn scan(n: &common::NearDirect, opts: &ScanOptions) -> Report {
    let report = provider::parse(std::hint::black_box(&n.body)).expect("provider report");
    provider::scan::scan_provider(&report, &n.collaterals, &n.gpu, opts)
}

fn bench(c: &mut Criterion) {
    let Some(root) = common::corpus() else { return };
    let n = common::near_direct(&root);
    let mut opts = ScanOptions::new(n.at);
    opts.nonce = Some(n.nonce);
    opts.policy = Some(n.policy.clone());
    let cold = scan(&n, &opts);
    assert_eq!(cold.verdict, Verdict::Pass, "the NEAR direct capture passes");

    common::bench(c, "provider/near_direct_full_scan_cold", || scan(&n, &opts));

    let cache = Arc::new(VerifyCache::new());
    let warm_opts = ScanOptions { cache: Some(Arc::clone(&cache)), parallel: false, ..opts.clone() };
    let warm = scan(&n, &warm_opts);
    assert_eq!(serde_json::to_value(&warm.checks).expect("json"), serde_json::to_value(&cold.checks).expect("json"), "cached scan = uncached scan");
    common::bench(c, "provider/near_direct_full_scan_warm", || scan(&n, &warm_opts));
    eprintln!("provider cache: {:?}", cache.stats());
}

criterion_group! { name = benches; config = common::criterion(); targets = bench }
criterion_main!(benches);
