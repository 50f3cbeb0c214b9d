//! Regression tests for bugs found in other verifiers that no other test file covered yet (the
//! full list, with the test for each, is `docs/known-verifier-bugs.md`).

#[path = "support/corpus.rs"]
mod corpus;

use teescan::nvidia::evidence::parse_evidence_list;
use teescan::nvidia::verify::{verify_gpus, GpuCollateral, GpuOptions};
use teescan::report::{Status, Verdict};
use teescan::time::Timestamp;

const NEAR_PAYLOAD: &str = "nvidia/providers/neardirect-qwen35-teep/nvidia_payload.json";
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";

fn near_at() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-29T02:06:40Z").unwrap()
}

fn near_nonce() -> [u8; 32] {
    hex::decode(NEAR_NONCE).unwrap().try_into().unwrap()
}

/// nv_local_gpu_verifier 2.7.3 `config.py check_status` references
/// `check_if_gpu_attestation_report_cert_chain_fwid_matched` without calling it, so the FWID
/// result is computed but never decides anything (shared/notes/nvidia.md §10). In teescan the
/// FWID comparison is a *required* check: on the 8 real NEAR GPUs it passes and is required, and
/// the same checks with only that one failing give a failing verdict.
#[test]
fn fwid_result_is_enforced_by_the_verdict() {
    let Some(root) = corpus::root() else { return };
    let list = parse_evidence_list(&corpus::read(&root, NEAR_PAYLOAD)).unwrap();
    assert_eq!(list.items.len(), 8);
    let opts = GpuOptions { expected_nonce: Some(near_nonce()), ..GpuOptions::default() };
    let v = verify_gpus(&list, &GpuCollateral::default(), near_at(), &opts);
    for i in 0..8 {
        let id = format!("gpu[{i}].chain.fwid");
        let c = v.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("{id} is computed"));
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert!(c.required, "{id} must be required, not informational");
        // No failure so far (RIMs and OCSP are missing here, so not a pass either).
        assert_ne!(Verdict::from_checks(&v.checks), Verdict::Fail);
        let mut checks = v.checks.clone();
        checks.iter_mut().find(|c| c.id == id).unwrap().status = Status::Fail;
        assert_eq!(Verdict::from_checks(&checks), Verdict::Fail, "a FWID mismatch on gpu[{i}] alone fails the verdict");
    }
}

/// The unsigned JSON side fields of an evidence list (`nonce`, `arch`, per item `nonce`,
/// `driver_version`, `vbios_version`) must be ignored in favour of the signed report
/// (shared/notes/nvidia.md §10 "Binding"): rewriting every one of them changes no check and no
/// claim, and the nonce check still compares the expected nonce with each report's signed nonce.
#[test]
fn unsigned_evidence_list_fields_do_not_change_the_outcome() {
    let Some(root) = corpus::root() else { return };
    let raw = corpus::read(&root, NEAR_PAYLOAD);
    let mut doc: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let forged_nonce = "00".repeat(32);
    doc["nonce"] = serde_json::json!(forged_nonce);
    doc["arch"] = serde_json::json!("BLACKWELL");
    for item in doc["evidence_list"].as_array_mut().unwrap() {
        item["nonce"] = serde_json::json!(forged_nonce);
        item["arch"] = serde_json::json!("BLACKWELL");
        item["driver_version"] = serde_json::json!("999.99.99");
        item["vbios_version"] = serde_json::json!("99.99.99.99.99");
    }
    let genuine = parse_evidence_list(&raw).unwrap();
    let forged = parse_evidence_list(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(forged.nonce_hint.as_deref(), Some(forged_nonce.as_str()), "the hint was rewritten");

    let outcome = |list, nonce: [u8; 32]| {
        let opts = GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() };
        let v = verify_gpus(list, &GpuCollateral::default(), near_at(), &opts);
        let statuses: Vec<(String, Status)> = v.checks.iter().map(|c| (c.id.clone(), c.status)).collect();
        (statuses, v.claims)
    };
    let (g_checks, g_claims) = outcome(&genuine, near_nonce());
    let (f_checks, f_claims) = outcome(&forged, near_nonce());
    assert_eq!(g_checks, f_checks);
    assert_eq!(g_claims, f_claims);
    assert!(g_claims.to_string().contains("HOPPER") && !f_claims.to_string().contains("BLACKWELL"));
    assert!(!f_claims.to_string().contains("999.99.99"));
    // The nonce the JSON claims is not the one checked: asking for it fails every report.
    let (checks, _) = outcome(&forged, [0u8; 32]);
    for i in 0..8 {
        let id = format!("gpu[{i}].report.nonce");
        assert!(checks.contains(&(id.clone(), Status::Fail)), "{id}: {checks:?}");
    }
}
