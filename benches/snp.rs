//! SEV-SNP benchmarks on the real Tinfoil router capture (Genoa): the report parser, one scan
//! cold (chain RSA-PSS signatures, report P-384 signature, extensions) and warm (a shared
//! verify-once cache: the chain's RSA signatures reused, the report's P-384 signature always
//! verified). Needs `../shared/fixtures` (or TEESCAN_CORPUS). `cargo bench --bench snp`.

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use teescan::cache::VerifyCache;
use teescan::scan::{Collateral, Evidence, Scanner};

fn bench(c: &mut Criterion) {
    let Some(root) = common::corpus() else { return };
    let dir = root.join("providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249");
    let body = common::read(dir.join("responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body"));
    let ev = Evidence::detect(&body).expect("detect");
    let mut coll = Collateral::default();
    coll.add_collateral_path(&dir, &ev).expect("collateral");
    let Evidence::Snp(snp) = &ev else { panic!("not SNP") };
    let report = snp.report.clone();
    common::bench(c, "snp/parse_report", || teescan::snp::Report::parse(std::hint::black_box(&report)).expect("parse"));
    let nonce = common::nonce("229471a8453a3521eac3d6ada9f1d52e42c97a527c3a50d565e999401dfd3e9b");
    let mut cold = Scanner::new(common::at("2026-06-29T02:12:49Z")).with_nonce(nonce);
    cold.options.cache = None;
    common::bench(c, "snp/scan_cold_tinfoil_router", || cold.scan(std::hint::black_box(&ev), &coll).expect("scan"));
    let mut warm = cold.clone();
    warm.options.cache = Some(Arc::new(VerifyCache::new()));
    warm.scan(&ev, &coll).expect("prime");
    common::bench(c, "snp/scan_warm_tinfoil_router", || warm.scan(std::hint::black_box(&ev), &coll).expect("scan"));
    // With the shipped Tinfoil policy: the router's release bundle (Sigstore: Fulcio chain, SCT,
    // SET, inclusion proof, checkpoint, DSSE) verified on every scan, MEASUREMENT compared.
    let policy = teescan::policy::Policy::load(&common::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml"))).expect("policy");
    let cold_p = cold.clone().with_policy(policy.clone());
    common::bench(c, "snp/scan_cold_tinfoil_router_with_provenance", || cold_p.scan(std::hint::black_box(&ev), &coll).expect("scan"));
    let warm_p = warm.clone().with_policy(policy);
    warm_p.scan(&ev, &coll).expect("prime");
    common::bench(c, "snp/scan_warm_tinfoil_router_with_provenance", || warm_p.scan(std::hint::black_box(&ev), &coll).expect("scan"));
    // One P-384 verification alone, for scale.
    let r = teescan::snp::Report::parse(&report).expect("parse");
    let leaf = coll.snp.certs.iter().find_map(|d| match teescan::snp::certs::AmdCert::parse(d).ok()?.key {
        teescan::snp::certs::Key::P384(k) => Some(k),
        _ => None,
    }).expect("vcek");
    common::bench(c, "snp/p384_verify_alone", || {
        teescan::crypto::verify(teescan::crypto::SigAlg::EcdsaP384Sha384Fixed, &leaf, r.signed_bytes(), std::hint::black_box(&r.signature)).expect("verify")
    });
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = bench
}
criterion_main!(benches);
