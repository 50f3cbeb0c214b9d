//! GPU benchmarks on real corpus evidence (skipped without the corpus): one H100 with its chain,
//! both RIMs and seven OCSP responses, cold (everything verified from scratch); the NEAR 8×H100
//! payload with its NRAS tokens; and the report parser alone. `cargo bench --bench gpu`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use teescan::nvidia::evidence::{parse_evidence_list, EvidenceList, GpuEvidence};
use teescan::nvidia::spdm::SpdmReport;
use teescan::nvidia::verify::{verify_gpus, GpuCollateral, GpuOptions, NrasInput};
use teescan::time::Timestamp;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TEESCAN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    dir.join("nvidia/README.md").is_file().then_some(dir)
}

fn bench(c: &mut Criterion) {
    let Some(root) = corpus() else {
        eprintln!("corpus not found: GPU benchmarks skipped");
        return;
    };
    let dir = root.join("nvidia/nvtrust-sample-h100");
    let read = |p: PathBuf| std::fs::read(p).expect("corpus file");
    let report = hex::decode(String::from_utf8(read(dir.join("attestation_report.hex"))).expect("utf8").trim()).expect("hex");
    let nonce: [u8; 32] = report[4..36].try_into().expect("nonce");
    let chain: Vec<Vec<u8>> = pem::parse_many(read(dir.join("device_cert_chain.pem"))).expect("pem").into_iter().map(pem::Pem::into_contents).collect();
    c.bench_function("gpu/parse_report", |b| b.iter(|| SpdmReport::parse(std::hint::black_box(&report)).expect("parse")));
    let item = GpuEvidence { report, cert_chain: chain, arch_hint: None, nonce_hint: None, driver_version_hint: None, vbios_version_hint: None };
    let list = EvidenceList { arch_hint: None, nonce_hint: None, items: vec![item] };
    let mut coll = GpuCollateral::default();
    for name in ["NV_GPU_DRIVER_GH100_550.90.07", "NV_GPU_VBIOS_1010_0200_882_96009F0001"] {
        coll.rims.push((name.to_owned(), read(dir.join(format!("{name}.xml")))));
    }
    for e in std::fs::read_dir(dir.join("ocsp")).expect("ocsp dir") {
        coll.ocsp.push(read(e.expect("entry").path()));
    }
    let opts = GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() };
    let at = Timestamp::parse_rfc3339("2025-10-24T12:00:00Z").expect("time");
    c.bench_function("gpu/h100_full_appraisal_cold", |b| b.iter(|| verify_gpus(std::hint::black_box(&list), &coll, at, &opts)));

    let near = root.join("nvidia/providers/neardirect-qwen35-teep");
    let list8 = parse_evidence_list(&read(near.join("nvidia_payload.json"))).expect("payload");
    let coll8 = GpuCollateral {
        nras: Some(NrasInput { body: read(near.join("nras_response.json")), jwks: read(near.join("nras_jwks_at_capture.json")) }),
        ..GpuCollateral::default()
    };
    let nonce8: [u8; 32] = hex::decode("541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b").expect("hex").try_into().expect("32");
    let opts8 = GpuOptions { expected_nonce: Some(nonce8), require_rims: false, require_ocsp: false, require_nras: true, ..GpuOptions::default() };
    let at8 = Timestamp::parse_rfc3339("2026-06-29T02:06:40Z").expect("time");
    c.bench_function("gpu/near_8xh100_with_nras_cold", |b| b.iter(|| verify_gpus(std::hint::black_box(&list8), &coll8, at8, &opts8)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
