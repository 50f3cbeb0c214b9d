//! EAR of provider scans on the real NEAR captures: one submodule per layer and per GPU, each
//! with its AR4SI status; a tampered quote is `contraindicated` in its own submodule and at the
//! top level; a scan-wide problem (an expired policy) caps every submodule.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use serde_json::Value;
use teescan::nvidia::verify::{GpuCollateral, NrasInput};
use teescan::policy::Policy;
use teescan::provider;
use teescan::report::{ear, Report, Verdict};
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::ScanOptions;

fn capture(root: &Path, prefix: &str) -> PathBuf {
    std::fs::read_dir(root.join("providers/teep-captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("capture {prefix}"))
}

fn response(dir: &Path, contains: &str) -> Vec<u8> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("responses"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "body") && p.file_name().unwrap().to_string_lossy().contains(contains))
        .collect();
    files.sort();
    std::fs::read(files.first().unwrap_or_else(|| panic!("{contains} in {}", dir.display()))).unwrap()
}

fn nonce(dir: &Path) -> [u8; 32] {
    let m: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    hex::decode(m["nonce_hex"].as_str().unwrap()).unwrap().try_into().unwrap()
}

fn collaterals(root: &Path) -> Vec<Collateral> {
    std::fs::read_dir(root.join("tdx/derived/teep"))
        .unwrap()
        .map(|d| Collateral::from_dcap_json(&std::fs::read(d.unwrap().path().join("collateral.json")).unwrap()).unwrap())
        .collect()
}

fn policy_text(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Scan `body` of the capture `dir` at `at` under `policy` (TOML text) and render its EAR.
fn scan_ear(root: &Path, dir: &Path, body: &[u8], at: &str, policy: &str) -> (Report, Value) {
    let report = provider::parse(body).unwrap();
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(at).unwrap());
    opts.nonce = Some(nonce(dir));
    opts.policy = Some(Policy::load(policy.as_bytes()).unwrap());
    let gpu = GpuCollateral {
        nras: Some(NrasInput { body: response(dir, "nras.attestation.nvidia.com_v3_attest_gpu"), jwks: response(dir, "jwks") }),
        ..GpuCollateral::default()
    };
    let r = provider::scan::scan_provider(&report, &collaterals(root), &gpu, &opts);
    let e = ear::claims(&r);
    (r, e)
}

fn statuses(ear: &Value) -> Vec<(String, String)> {
    ear["submods"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v["ear.status"].as_str().unwrap().to_owned())).collect()
}

fn tamper_quote(v: &mut Value) {
    let mut q = hex::decode(v["intel_quote"].as_str().unwrap()).unwrap();
    q[600] ^= 1;
    v["intel_quote"] = Value::String(hex::encode(q));
}

const NEAR_AT: &str = "2026-06-29T02:06:40Z";
const CLOUD_AT: &str = "2026-06-29T02:07:00Z";

#[test]
fn near_direct_ear_has_an_affirming_submodule_for_the_node_and_each_gpu() {
    let Some(root) = corpus::root() else { return };
    let dir = capture(&root, "neardirect");
    let (r, e) = scan_ear(&root, &dir, &response(&dir, "attestation_report"), NEAR_AT, &policy_text("policies/nearai.toml"));
    assert_eq!(r.verdict, Verdict::Pass);
    let mut want: Vec<String> = (0..8).map(|i| format!("node.gpu{i}")).collect();
    want.insert(0, "node".to_owned());
    // The compose manager's own quote (NEAR's `compose_manager_attestation`) is a layer too.
    want.push("node.compose_manager".to_owned());
    want.sort();
    let got = statuses(&e);
    let mut names = got.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    names.sort();
    assert_eq!(names, want);
    assert!(got.iter().all(|(_, s)| s == "affirming"), "{got:?}");
    assert_eq!(e["ear.status"], "affirming");
    let node = &e["submods"]["node"]["ear.trustworthiness-vector"];
    for k in ["hardware", "configuration", "executables", "instance-identity"] {
        assert_eq!(node[k], 2, "node {k}: {node}");
    }
    for k in ["hardware", "executables", "instance-identity"] {
        assert_eq!(e["submods"]["node.gpu3"]["ear.trustworthiness-vector"][k], 2, "gpu3 {k}");
    }
}

#[test]
fn near_direct_tampered_quote_is_contraindicated_in_the_node_submodule_and_at_top_level() {
    let Some(root) = corpus::root() else { return };
    let dir = capture(&root, "neardirect");
    let mut v: Value = serde_json::from_slice(&response(&dir, "attestation_report")).unwrap();
    tamper_quote(&mut v);
    let (r, e) = scan_ear(&root, &dir, v.to_string().as_bytes(), NEAR_AT, &policy_text("policies/nearai.toml"));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(e["ear.status"], "contraindicated");
    assert_eq!(e["submods"]["node"]["ear.status"], "contraindicated");
    assert_eq!(e["submods"]["node"]["ear.trustworthiness-vector"]["hardware"], 96);
}

#[test]
fn near_cloud_ear_has_gateway_model_and_gpu_submodules_and_blames_the_tampered_layer() {
    let Some(root) = corpus::root() else { return };
    let dir = capture(&root, "nearcloud");
    let body = response(&dir, "attestation_report");
    let pol = policy_text("policies/nearai-cloud.toml");
    let (r, e) = scan_ear(&root, &dir, &body, CLOUD_AT, &pol);
    assert_eq!(r.verdict, Verdict::Pass);
    let got = statuses(&e);
    assert!(got.iter().any(|(k, _)| k == "gateway") && got.iter().any(|(k, _)| k == "model[0]"), "{got:?}");
    assert!(got.iter().any(|(k, _)| k == "model[0].gpu0"), "{got:?}");
    assert!(!got.iter().any(|(k, _)| k.starts_with("gateway.gpu")), "the gateway has no GPU: {got:?}");
    assert!(got.iter().all(|(_, s)| s == "affirming"), "{got:?}");
    assert_eq!(e["ear.status"], "affirming");
    // Tamper with the gateway's quote: the gateway is contraindicated, the model node is not.
    let mut v: Value = serde_json::from_slice(&body).unwrap();
    tamper_quote(&mut v["gateway_attestation"]);
    let (r, e) = scan_ear(&root, &dir, v.to_string().as_bytes(), CLOUD_AT, &pol);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(e["ear.status"], "contraindicated");
    assert_eq!(e["submods"]["gateway"]["ear.status"], "contraindicated");
    assert_eq!(e["submods"]["model[0]"]["ear.status"], "affirming");
}

#[test]
fn a_scan_wide_problem_caps_every_submodule() {
    let Some(root) = corpus::root() else { return };
    let dir = capture(&root, "neardirect");
    // The policy expired before the scan time: `policy.expires` belongs to no layer.
    let text = policy_text("policies/nearai.toml");
    let expired = text
        .lines()
        .map(|l| if l.starts_with("expires") { "expires = 2026-01-01T00:00:00Z" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let (r, e) = scan_ear(&root, &dir, &response(&dir, "attestation_report"), NEAR_AT, &expired);
    assert_eq!(r.verdict, Verdict::Indeterminate);
    assert_eq!(e["ear.status"], "none");
    let got = statuses(&e);
    assert_eq!(got.len(), 10, "node, its compose manager and 8 GPUs");
    assert!(got.iter().all(|(_, s)| s == "none"), "{got:?}");
}
