//! Inputs shared by the benchmarks: the real corpus (`TEESCAN_CORPUS`, default
//! `../shared/fixtures`), read in place, at the pinned times the tests use.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use teescan::nvidia::evidence::{parse_evidence_list, EvidenceList, GpuEvidence};
use teescan::nvidia::verify::{GpuCollateral, GpuOptions, NrasInput};
use teescan::policy::{LoadedPolicy, Policy};
use teescan::tdx::Collateral;
use teescan::time::Timestamp;

/// Short runs: the machine has 2 cores shared with others. Override on the command line
/// (`-- --measurement-time 10`).
pub fn criterion() -> Criterion {
    Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1)).sample_size(30)
}

/// The corpus root, or `None` with a note (benchmarks on it are then skipped).
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TEESCAN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    let dir = if dir.is_relative() { PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir) } else { dir };
    if dir.join("tdx/manifest.json").is_file() && dir.join("nvidia/README.md").is_file() {
        Some(dir)
    } else {
        eprintln!("teescan benches: corpus not found at {} (set TEESCAN_CORPUS): corpus benchmarks SKIPPED", dir.display());
        None
    }
}

pub fn read(p: impl AsRef<Path>) -> Vec<u8> {
    let p = p.as_ref();
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn crate_file(rel: &str) -> Vec<u8> {
    read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel))
}

pub fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("time")
}

pub const NEAR_DIRECT: &str = "neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";
/// The capture time of the NEAR direct report (README, tests/provider_scan.rs).
pub const NEAR_AT: &str = "2026-06-29T02:06:40Z";
pub const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
/// The pinned time of the H100 sample with its RIMs and OCSP responses (tests/nvidia_verify.rs).
pub const H100_AT: &str = "2025-10-24T12:00:00Z";

/// The NVIDIA H100 sample: report + chain, both RIMs, seven OCSP responses.
pub struct H100 {
    pub dir: PathBuf,
    pub report: Vec<u8>,
    pub list: EvidenceList,
    pub coll: GpuCollateral,
    pub opts: GpuOptions,
    pub at: Timestamp,
}

pub fn h100(root: &Path) -> H100 {
    let dir = root.join("nvidia/nvtrust-sample-h100");
    let report = hex::decode(String::from_utf8(read(dir.join("attestation_report.hex"))).expect("utf8").trim()).expect("hex");
    let nonce: [u8; 32] = report[4..36].try_into().expect("nonce");
    let chain: Vec<Vec<u8>> = pem::parse_many(read(dir.join("device_cert_chain.pem"))).expect("pem").into_iter().map(pem::Pem::into_contents).collect();
    let item = GpuEvidence { report: report.clone(), cert_chain: chain, arch_hint: None, nonce_hint: None, driver_version_hint: None, vbios_version_hint: None };
    let list = EvidenceList { arch_hint: None, nonce_hint: None, items: vec![item] };
    let mut coll = GpuCollateral::default();
    for name in ["NV_GPU_DRIVER_GH100_550.90.07", "NV_GPU_VBIOS_1010_0200_882_96009F0001"] {
        coll.rims.push((name.to_owned(), read(dir.join(format!("{name}.xml")))));
    }
    let mut ocsp: Vec<PathBuf> = std::fs::read_dir(dir.join("ocsp")).expect("ocsp dir").map(|e| e.expect("entry").path()).collect();
    ocsp.sort();
    coll.ocsp = ocsp.iter().map(read).collect();
    let opts = GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() };
    H100 { dir, report, list, coll, opts, at: at(H100_AT) }
}

/// The NEAR 8×H100 payload with its NRAS result (no RIMs or OCSP in the capture).
pub struct Near8 {
    pub payload: Vec<u8>,
    pub list: EvidenceList,
    pub coll: GpuCollateral,
    pub opts: GpuOptions,
    pub at: Timestamp,
}

pub fn nonce(hex_str: &str) -> [u8; 32] {
    hex::decode(hex_str).expect("hex").try_into().expect("32 bytes")
}

pub fn near8(root: &Path) -> Near8 {
    let near = root.join("nvidia/providers/neardirect-qwen35-teep");
    let payload = read(near.join("nvidia_payload.json"));
    let list = parse_evidence_list(&payload).expect("payload");
    let coll = GpuCollateral {
        nras: Some(NrasInput { body: read(near.join("nras_response.json")), jwks: read(near.join("nras_jwks_at_capture.json")) }),
        ..GpuCollateral::default()
    };
    let opts = GpuOptions { expected_nonce: Some(nonce(NEAR_NONCE)), require_rims: false, require_ocsp: false, require_nras: true, ..GpuOptions::default() };
    Near8 { payload, list, coll, opts, at: at(NEAR_AT) }
}

/// The NEAR direct capture as the provider tests scan it.
pub struct NearDirect {
    pub dir: PathBuf,
    pub body: Vec<u8>,
    pub collaterals: Vec<Collateral>,
    pub gpu: GpuCollateral,
    pub nonce: [u8; 32],
    pub at: Timestamp,
    pub policy: LoadedPolicy,
}

fn response(dir: &Path, contains: &str) -> Vec<u8> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("responses"))
        .expect("responses")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "body") && p.file_name().is_some_and(|n| n.to_string_lossy().contains(contains)))
        .collect();
    files.sort();
    read(files.first().unwrap_or_else(|| panic!("{contains}")))
}

/// Every DCAP collateral of the corpus's provider captures (chosen by FMSPC during the scan).
pub fn collaterals(root: &Path) -> Vec<Collateral> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("tdx/derived/teep")).expect("teep").map(|e| e.expect("entry").path()).collect();
    dirs.sort();
    dirs.iter().map(|d| Collateral::from_dcap_json(&read(d.join("collateral.json"))).expect("collateral")).collect()
}

pub fn near_direct(root: &Path) -> NearDirect {
    let dir = root.join("providers/teep-captures").join(NEAR_DIRECT);
    let body = response(&dir, "attestation_report");
    let gpu = GpuCollateral {
        nras: Some(NrasInput { body: response(&dir, "nras.attestation.nvidia.com_v3_attest_gpu"), jwks: response(&dir, "jwks") }),
        ..GpuCollateral::default()
    };
    let policy = Policy::load(&crate_file("policies/nearai.toml")).expect("policy");
    NearDirect { body, collaterals: collaterals(root), gpu, nonce: nonce(NEAR_NONCE), at: at(NEAR_AT), policy, dir }
}

/// TDX quotes of one platform (NEAR direct and NEAR cloud share FMSPC and collateral), verified
/// at the manifest's time.
pub struct TdxSet {
    pub quotes: Vec<Vec<u8>>,
    pub collateral: Collateral,
    pub collateral_json: Vec<u8>,
    pub at: Timestamp,
}

pub fn tdx_near(root: &Path) -> TdxSet {
    let base = root.join("tdx/derived/teep");
    let direct = base.join(NEAR_DIRECT);
    let mut quotes = Vec::new();
    for d in [direct.clone(), base.join("nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657")] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d).expect("dir").map(|e| e.expect("entry").path()).filter(|p| p.extension().is_some_and(|x| x == "bin")).collect();
        files.sort();
        quotes.extend(files.iter().map(read));
    }
    let collateral_json = read(direct.join("collateral.json"));
    let collateral = Collateral::from_dcap_json(&collateral_json).expect("collateral");
    TdxSet { quotes, collateral, collateral_json, at: at("2026-06-29T02:06:57Z") }
}

/// A benchmark, or — with `TEESCAN_ONESHOT=<id>` — exactly `TEESCAN_ONESHOT_N` (default 1) calls
/// of the routine with that id and nothing else measured, printing the signature verifications
/// those calls made in the crypto room (`teescan-oneshot <id> calls <n> verifications <v>` on
/// stderr; setup excluded; see scripts/peers/count.sh). Other routines are skipped in that mode.
pub fn bench<R>(c: &mut Criterion, id: &str, mut f: impl FnMut() -> R) {
    if let Some(target) = std::env::var_os("TEESCAN_ONESHOT") {
        if target == id {
            let n: usize = std::env::var("TEESCAN_ONESHOT_N").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
            let before = teescan::crypto::verification_count();
            for _ in 0..n {
                std::hint::black_box(f());
            }
            let v = teescan::crypto::verification_count() - before;
            eprintln!("teescan-oneshot {id} calls {n} verifications {v}");
        }
        return;
    }
    c.bench_function(id, |b| b.iter(&mut f));
}
