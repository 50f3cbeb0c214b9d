//! Issue #13, provider holes: each test is an attack that turned forged or incomplete evidence
//! into a better verdict on the real captures before the fix (holes 2, 3, 4, 6, 7 and 9 of the
//! issue), and the honest capture beside it as the control.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/captures.rs"]
mod captures;

use captures::{collaterals, policy, Capture};

use std::path::Path;

use serde_json::{json, Value};
use teescan::nvidia::verify::GpuCollateral;
use teescan::provider;
use teescan::report::{Report, Status, Verdict};
use teescan::time::Timestamp;
use teescan::ScanOptions;




fn scan_with(body: &[u8], root: &Path, gpu: &GpuCollateral, at: &str, nonce: [u8; 32], pol: Option<&str>) -> Report {
    let report = provider::parse(body).unwrap_or_else(|e| panic!("parse: {e}"));
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(at).unwrap());
    opts.nonce = Some(nonce);
    opts.policy = pol.map(policy);
    let coll = teescan::scan::Collateral { dcap: collaterals(root), gpu: gpu.clone(), provenance: tinfoil_bundles(root), ..Default::default() };
    provider::scan::scan_provider_with(&report, &coll, &opts)
}

/// The Sigstore bundles the Tinfoil direct capture carries (its GitHub `attestations` answers):
/// `policies/tinfoil.toml` takes MRTD and RTMR0-2 from them.
fn tinfoil_bundles(root: &Path) -> Vec<teescan::provenance::eval::SuppliedBundle> {
    let dir = std::fs::read_dir(root.join("providers/teep-captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("tinfoil_v3_direct"))
        .unwrap();
    let mut coll = teescan::scan::Collateral::default();
    coll.add_attestation_exchanges(&teescan::bundle::read_capture_dir(&dir).unwrap());
    coll.provenance
}

fn failing(r: &Report) -> Vec<String> {
    r.checks.iter().filter(|c| c.status == Status::Fail && c.required).map(|c| c.id.clone()).collect()
}

fn status(r: &Report, id: &str) -> Status {
    r.check(id).unwrap_or_else(|| panic!("no check {id}: {:?}", r.checks.iter().map(|c| &c.id).collect::<Vec<_>>())).status
}

const NEAR_AT: &str = "2026-06-29T02:06:40Z";
const CLOUD_AT: &str = "2026-06-29T02:07:00Z";
const TINFOIL_AT: &str = "2026-06-29T02:13:30Z";

fn near_direct(root: &Path) -> (Capture, Value) {
    let c = Capture::open(root, "neardirect");
    let v = c.json("attestation_report");
    (c, v)
}

fn scan_near(root: &Path, c: &Capture, v: &Value) -> Report {
    scan_with(v.to_string().as_bytes(), root, &c.nras(), NEAR_AT, c.nonce(), Some("policies/nearai.toml"))
}

/// Hole 2: deleting `event_log` took the RTMR3 replay, compose hash and MRCONFIGID checks away
/// and left a PASS; now the format requires it.
#[test]
fn removing_the_event_log_fails_evidence_missing() {
    let Some(root) = corpus::root() else { return };
    let (c, v) = near_direct(&root);
    assert_eq!(scan_near(&root, &c, &v).verdict, Verdict::Pass, "control");
    let mut cut = v.clone();
    cut.as_object_mut().unwrap().remove("event_log");
    let r = scan_near(&root, &c, &cut);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.evidence.missing"), Status::Fail);
    assert!(r.check("node.evidence.missing").unwrap().reason.as_deref().unwrap().contains("event_log"));
}

/// Hole 2, with a fake compose file: with the log gone nothing checked `info`, so a made-up
/// `app_compose` and `compose_hash` passed.
#[test]
fn a_fake_compose_file_without_the_event_log_fails() {
    let Some(root) = corpus::root() else { return };
    let (c, mut v) = near_direct(&root);
    v.as_object_mut().unwrap().remove("event_log");
    let fake = "{\"services\":{\"x\":{\"image\":\"attacker/llm\"}}}";
    let fake_hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, fake.as_bytes()));
    v["info"]["tcb_info"]["app_compose"] = json!(fake);
    v["info"]["tcb_info"]["compose_hash"] = json!(fake_hash);
    v["info"]["compose_hash"] = json!(fake_hash);
    let r = scan_near(&root, &c, &v);
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", failing(&r));
    assert!(failing(&r).contains(&"node.evidence.missing".to_owned()));
}

/// Hole 2: deleting `info.tcb_info` gave INDETERMINATE (a better verdict than the FAIL a wrong
/// compose file gets); now it fails.
#[test]
fn removing_tcb_info_fails_instead_of_indeterminate() {
    let Some(root) = corpus::root() else { return };
    let (c, mut v) = near_direct(&root);
    v["info"].as_object_mut().unwrap().remove("tcb_info");
    let r = scan_near(&root, &c, &v);
    assert_eq!(r.verdict, Verdict::Fail);
    let reason = r.check("node.evidence.missing").unwrap().reason.clone().unwrap();
    assert!(reason.contains("info.tcb_info") && reason.contains("app_compose"), "{reason}");
    // And the compose file alone.
    let (_, mut v) = near_direct(&root);
    v["info"]["tcb_info"].as_object_mut().unwrap().remove("app_compose");
    assert_eq!(status(&scan_near(&root, &c, &v), "node.evidence.missing"), Status::Fail);
}

/// Hole 9: a JSON-in-string `tcb_info` with a duplicated `app_compose` was parsed leniently
/// (the second won); strict parsing refuses it, and the compose file is then missing.
#[test]
fn a_duplicated_key_inside_a_json_string_member_is_refused() {
    let Some(root) = corpus::root() else { return };
    let (c, mut v) = near_direct(&root);
    let tcb = v["info"]["tcb_info"].clone();
    let inner = serde_json::to_string(&tcb).unwrap();
    let dup = format!("{{\"app_compose\":\"{{}}\",{}", &inner[1..]);
    // The lenient reading of the string is the genuine object: only strictness can tell.
    assert_eq!(serde_json::from_str::<Value>(&dup).unwrap(), tcb);
    v["info"]["tcb_info"] = json!(inner);
    assert_eq!(scan_near(&root, &c, &v).verdict, Verdict::Pass, "a JSON string tcb_info is fine");
    v["info"]["tcb_info"] = json!(dup);
    let r = scan_near(&root, &c, &v);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.evidence.missing"), Status::Fail);
}

/// Hole 3: Tinfoil's `gpu_evidence_hash` was taken from JSON; the GPU evidence could change
/// under it. It is now SHA-256 of the `gpu` member as sent.
#[test]
fn tinfoil_gpu_evidence_hash_is_recomputed_from_the_evidence() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "tinfoil_v3_direct");
    let body = c.response("tinfoil-attestation");
    let pass = scan_with(&body, &root, &c.nras(), TINFOIL_AT, c.nonce(), Some("policies/tinfoil.toml"));
    assert_eq!(pass.verdict, Verdict::Pass, "control: {:?}", failing(&pass));
    assert_eq!(status(&pass, "enclave.binding.gpu_evidence_hash"), Status::Pass);
    // The evidence list itself is untouched (every GPU check still passes), but the `gpu`
    // object is no longer what the enclave hashed.
    let text = String::from_utf8(body).unwrap();
    let changed = text.replacen("\"gpu\":{", "\"gpu\":{\"note\":\"changed\",", 1);
    assert_ne!(changed, text);
    let r = scan_with(changed.as_bytes(), &root, &c.nras(), TINFOIL_AT, c.nonce(), Some("policies/tinfoil.toml"));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "enclave.binding.gpu_evidence_hash"), Status::Fail);
    assert_eq!(status(&r, "enclave.binding.report_data"), Status::Fail);
    // The GPU evidence removed: the binding cannot hold and the format's evidence is missing.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("gpu");
    let r = scan_with(v.to_string().as_bytes(), &root, &c.nras(), TINFOIL_AT, c.nonce(), Some("policies/tinfoil.toml"));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "enclave.evidence.missing"), Status::Fail);
}

/// Hole 4: a model attestation listed twice: the second copy got no NRAS check. Every layer
/// with GPUs whose nonce the NRAS result answers is checked against it.
#[test]
fn a_model_attestation_listed_twice_gets_the_nras_check_twice() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "nearcloud");
    let mut v = c.json("attestation_report");
    let model = v["model_attestations"][0].clone();
    v["model_attestations"].as_array_mut().unwrap().push(model);
    let r = scan_with(v.to_string().as_bytes(), &root, &c.nras(), CLOUD_AT, c.nonce(), Some("policies/nearai-cloud.toml"));
    for l in ["model[0]", "model[1]"] {
        assert_eq!(status(&r, &format!("{l}.nras.signature")), Status::Pass, "{l}");
        assert_eq!(status(&r, &format!("{l}.nras.result")), Status::Pass, "{l}");
    }
    assert_eq!(status(&r, "nras.applies"), Status::Pass);
}

/// Hole 4: the same second copy with another node's GPU evidence (NEAR direct's H100s): the
/// NRAS result does not attest them, and the policy requires NRAS on every GPU layer.
#[test]
fn a_second_model_with_other_gpus_fails_its_nras_requirement() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "nearcloud");
    let (_, direct) = near_direct(&root);
    let mut v = c.json("attestation_report");
    let mut model = v["model_attestations"][0].clone();
    model["nvidia_payload"] = direct["nvidia_payload"].clone();
    v["model_attestations"].as_array_mut().unwrap().push(model);
    let r = scan_with(v.to_string().as_bytes(), &root, &c.nras(), CLOUD_AT, c.nonce(), Some("policies/nearai-cloud.toml"));
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(failing(&r).iter().any(|id| id.starts_with("model[1].")), "{:?}", failing(&r));
}

/// Hole 4: moving `nvidia_payload` from the model layer to the gateway passed: the gateway may
/// carry no GPU evidence, and the model must carry its own under `[gpu]`.
#[test]
fn gpu_evidence_moved_to_the_gateway_fails() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "nearcloud");
    let mut v = c.json("attestation_report");
    let pass = scan_with(v.to_string().as_bytes(), &root, &c.nras(), CLOUD_AT, c.nonce(), Some("policies/nearai-cloud.toml"));
    assert_eq!(pass.verdict, Verdict::Pass, "control: {:?}", failing(&pass));
    let payload = v["model_attestations"][0].as_object_mut().unwrap().remove("nvidia_payload").unwrap();
    v["gateway_attestation"]["nvidia_payload"] = payload;
    let r = scan_with(v.to_string().as_bytes(), &root, &c.nras(), CLOUD_AT, c.nonce(), Some("policies/nearai-cloud.toml"));
    assert_eq!(r.verdict, Verdict::Fail);
    let f = failing(&r);
    assert!(f.contains(&"gateway.evidence.unexpected".to_owned()), "{f:?}");
    assert!(f.contains(&"model[0].policy.gpu.present".to_owned()), "{f:?}");
}

/// Hole 4: an NRAS result that answers no layer's GPUs is a failure, not set aside.
#[test]
fn an_nras_result_for_no_layer_fails() {
    let Some(root) = corpus::root() else { return };
    let (c, mut v) = near_direct(&root);
    v.as_object_mut().unwrap().remove("nvidia_payload");
    for a in v["all_attestations"].as_array_mut().unwrap() {
        a.as_object_mut().unwrap().remove("nvidia_payload");
    }
    let r = scan_with(v.to_string().as_bytes(), &root, &c.nras(), NEAR_AT, c.nonce(), None);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "nras.applies"), Status::Fail);
    // And under the policy, the node lacks the GPU evidence its [gpu] section needs.
    let r = scan_with(v.to_string().as_bytes(), &root, &c.nras(), NEAR_AT, c.nonce(), Some("policies/nearai.toml"));
    assert!(failing(&r).contains(&"node.policy.gpu.present".to_owned()));
}

/// Hole 6: an `all_attestations` entry with the real quote but another signing address and TLS
/// fingerprint was skipped as "the same node"; only entries that restate the top level exactly
/// are skipped now, so this one is verified and fails its binding.
#[test]
fn an_all_attestations_entry_with_the_same_quote_but_other_keys_is_verified() {
    let Some(root) = corpus::root() else { return };
    let (c, mut v) = near_direct(&root);
    let mut entry = v["all_attestations"][0].clone();
    entry["signing_address"] = json!("11".repeat(32));
    entry["tls_cert_fingerprint"] = json!("22".repeat(32));
    v["all_attestations"] = json!([entry]);
    let parsed = provider::parse(v.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.layers.len(), 2);
    let r = scan_near(&root, &c, &v);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node[0].binding.report_data"), Status::Fail);
    assert_eq!(status(&r, "node.binding.report_data"), Status::Pass);
}

/// Hole 7: bytes moved between `signing_address` and `tls_cert_fingerprint` hash to the same
/// REPORTDATA; the components' lengths are checked before hashing.
#[test]
fn bytes_moved_between_binding_components_fail() {
    let Some(root) = corpus::root() else { return };
    let (c, mut v) = near_direct(&root);
    let addr = v["signing_address"].as_str().unwrap().to_owned();
    let fp = v["tls_cert_fingerprint"].as_str().unwrap().to_owned();
    let joined = format!("{addr}{fp}");
    v["signing_address"] = json!(joined[..62]);
    v["tls_cert_fingerprint"] = json!(joined[62..]);
    let (sa, tf) = (v["signing_address"].clone(), v["tls_cert_fingerprint"].clone());
    for a in v["all_attestations"].as_array_mut().unwrap() {
        a["signing_address"] = sa.clone();
        a["tls_cert_fingerprint"] = tf.clone();
    }
    let r = scan_near(&root, &c, &v);
    assert_eq!(r.verdict, Verdict::Fail);
    let b = r.check("node.binding.report_data").unwrap();
    assert_eq!(b.status, Status::Fail);
    assert!(b.reason.as_deref().unwrap().contains("bytes"), "{:?}", b.reason);
    assert!(r.claims["layers"]["node"]["binding"]["signing_address"].is_null());
}

/// Hole 7: Venice's 20-byte ECDSA address padded with zeros to 32 bytes fills REPORTDATA[0:32]
/// the same way; under `signing_algo: ecdsa` it must be 20 bytes.
#[test]
fn a_zero_padded_ecdsa_address_fails() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "venice");
    let mut v = c.json("attestation");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap();
    let padded = text.replace("signing-address-tls", "padded-signing-address");
    let dir = std::env::temp_dir().join(format!("teescan-trust-provider-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pol = dir.join("padded.toml");
    std::fs::write(&pol, padded).unwrap();
    let pol = pol.to_string_lossy().into_owned();
    let at = "2026-06-10T01:47:30Z";
    let r = scan_with(v.to_string().as_bytes(), &root, &c.nras(), at, c.nonce(), Some(&pol));
    assert_eq!(r.verdict, Verdict::Pass, "control: {:?}", failing(&r));
    let addr = v["signing_address"].as_str().unwrap().trim_start_matches("0x").to_owned();
    assert_eq!(addr.len(), 40);
    v["signing_address"] = json!(format!("0x{addr}{}", "00".repeat(12)));
    let r = scan_with(v.to_string().as_bytes(), &root, &c.nras(), at, c.nonce(), Some(&pol));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.binding.report_data"), Status::Fail);
}

/// Hole 7: a hex member that does not decode was read as "absent", which changed the binding
/// scheme the report is held to; it is now malformed input.
#[test]
fn an_undecodable_tls_fingerprint_is_malformed_not_absent() {
    let Some(root) = corpus::root() else { return };
    let (_, mut v) = near_direct(&root);
    v["tls_cert_fingerprint"] = json!("not hex");
    assert!(provider::parse(v.to_string().as_bytes()).is_err());
}
