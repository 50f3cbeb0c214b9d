//! Provider reports end to end on the real captures, at their pinned times: NEAR direct node,
//! NEAR cloud gateway + model, Venice wrapper, RedPill → Chutes, Tinfoil v3 (TDX and SEV-SNP),
//! and a regression test for each pitfall of `llm-verifiers.md` §5 that applies.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/captures.rs"]
mod captures;

use captures::{collaterals, policy, Capture};

use std::path::Path;

use teescan::nvidia::verify::GpuCollateral;
use teescan::policy::Policy;
use teescan::provider::{self, Format, ProviderError};
use teescan::report::{Report, Status, Verdict};
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::ScanOptions;




fn scan(body: &[u8], colls: &[Collateral], gpu: &GpuCollateral, at: &str, nonce: Option<[u8; 32]>, pol: Option<&str>) -> Report {
    let report = provider::parse(body).unwrap();
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(at).unwrap());
    opts.nonce = nonce;
    opts.policy = pol.map(policy);
    let root = corpus::root().unwrap();
    let coll = teescan::scan::Collateral { dcap: colls.to_vec(), gpu: gpu.clone(), provenance: tinfoil_bundles(&root), ..Default::default() };
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

fn with_status(r: &Report, s: Status) -> Vec<String> {
    r.checks.iter().filter(|c| c.status == s && c.required).map(|c| c.id.clone()).collect()
}

fn status(r: &Report, id: &str) -> Status {
    r.check(id).unwrap_or_else(|| panic!("no check {id}")).status
}

const NEAR_AT: &str = "2026-06-29T02:06:40Z";

#[test]
fn near_direct_node_passes_every_check() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "neardirect");
    let body = c.response("attestation_report");
    assert_eq!(provider::parse(&body).unwrap().format, Format::NearNode);
    let r = scan(&body, &collaterals(&root), &c.nras(), NEAR_AT, Some(c.nonce()), Some("policies/nearai.toml"));
    assert_eq!(r.verdict, Verdict::Pass, "fail {:?} indeterminate {:?}", with_status(&r, Status::Fail), with_status(&r, Status::Indeterminate));
    for id in ["node.tdx.quote.signature", "node.tdx.tcb.status", "node.binding.report_data", "node.nonce", "node.nras.signature", "node.nras.result", "policy.expires"] {
        assert_eq!(status(&r, id), Status::Pass, "{id}");
    }
    for i in 0..8 {
        assert_eq!(status(&r, &format!("node.gpu[{i}].report.nonce")), Status::Pass);
        assert_eq!(status(&r, &format!("node.gpu[{i}].report.signature")), Status::Pass);
    }
    assert!(r.checks.iter().any(|c| c.id.starts_with("node.eventlog.") && c.status == Status::Pass), "event log replayed");
    assert_eq!(r.claims["layers"]["node"]["binding"]["scheme"], "signing-address-tls");
    // No caller nonce: not fresh, never a pass.
    let r = scan(&body, &collaterals(&root), &c.nras(), NEAR_AT, None, Some("policies/nearai.toml"));
    assert_eq!(r.verdict, Verdict::Indeterminate);
    assert_eq!(status(&r, "node.nonce"), Status::Indeterminate);
}

#[test]
fn near_cloud_gateway_and_model_both_verified() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "nearcloud");
    let body = c.response("attestation_report");
    let parsed = provider::parse(&body).unwrap();
    assert_eq!(parsed.format, Format::NearGateway);
    assert_eq!(parsed.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), vec!["gateway", "model[0]"]);
    let r = scan(&body, &collaterals(&root), &c.nras(), "2026-06-29T02:07:00Z", Some(c.nonce()), Some("policies/nearai-cloud.toml"));
    assert_eq!(r.verdict, Verdict::Pass, "fail {:?} indeterminate {:?}", with_status(&r, Status::Fail), with_status(&r, Status::Indeterminate));
    assert_eq!(status(&r, "gateway.binding.report_data"), Status::Pass);
    assert_eq!(status(&r, "model[0].binding.report_data"), Status::Pass);
    assert_eq!(r.claims["layers"]["gateway"]["gpu"], "none: this layer carries no GPU evidence");
    // The model-node policy alone pins the model MRTD for every layer: the gateway fails it.
    let r = scan(&body, &collaterals(&root), &c.nras(), "2026-06-29T02:07:00Z", Some(c.nonce()), Some("policies/nearai.toml"));
    assert!(with_status(&r, Status::Fail).contains(&"gateway.policy.tdx.td.mr_td".to_owned()), "{:?}", with_status(&r, Status::Fail));
}

#[test]
fn venice_wrapper_verdict_comes_from_the_evidence_alone() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "venice");
    let body = c.response("attestation");
    let parsed = provider::parse(&body).unwrap();
    assert_eq!(parsed.format, Format::ResellerWrapper);
    assert!(parsed.ignored.contains(&"verified".to_owned()) && parsed.ignored.contains(&"server_verification".to_owned()));
    let at = "2026-06-10T01:47:30Z";
    // Venice's wrapped NEAR node report carries no TLS fingerprint: it binds only the signing
    // address and nonce, so the NEAR policy (TLS binding required) refuses it …
    let r = scan(&body, &collaterals(&root), &c.nras(), at, Some(c.nonce()), Some("policies/nearai.toml"));
    assert_eq!(with_status(&r, Status::Fail), vec!["node.policy.tdx.td.report_data"]);
    // … and a policy that explicitly accepts the padded scheme passes it on the evidence alone.
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap();
    let padded = format!("inline:{}", text.replace("signing-address-tls", "padded-signing-address"));
    let r = scan(&body, &collaterals(&root), &c.nras(), at, Some(c.nonce()), Some(&padded));
    assert_eq!(r.verdict, Verdict::Pass, "fail {:?} indeterminate {:?}", with_status(&r, Status::Fail), with_status(&r, Status::Indeterminate));
    assert!(r.warnings.iter().any(|w| w.contains("verified")));
    // A tampered wrapped quote (one REPORTDATA byte) with `verified: true` still fails.
    let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["verified"], true);
    let mut q = hex::decode(v["intel_quote"].as_str().unwrap()).unwrap();
    q[600] ^= 1;
    v["intel_quote"] = serde_json::Value::String(hex::encode(q));
    let r = scan(v.to_string().as_bytes(), &collaterals(&root), &c.nras(), at, Some(c.nonce()), Some(&padded));
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(with_status(&r, Status::Fail).contains(&"node.tdx.quote.signature".to_owned()));
}

#[test]
fn redpill_chutes_capture_fails_freshness_with_bindings_reported() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "phalacloud");
    let body = c.response("attestation_report");
    let parsed = provider::parse(&body).unwrap();
    assert_eq!(parsed.format, Format::Chutes);
    assert_eq!(parsed.layers.len(), 5);
    let r = scan(&body, &collaterals(&root), &GpuCollateral::default(), "2026-06-10T02:00:00Z", Some(c.nonce()), Some("policies/phala-redpill.toml"));
    assert_eq!(r.verdict, Verdict::Fail);
    for i in 0..5 {
        // The server ignored the client nonce: freshness fails for every instance …
        assert_eq!(status(&r, &format!("instance[{i}].nonce")), Status::Fail);
        // … while each instance's binding to its own (server-chosen) nonce and e2e key holds,
        // and its GPUs carry the derived nonce.
        assert_eq!(status(&r, &format!("instance[{i}].binding.report_data")), Status::Pass);
        assert_eq!(status(&r, &format!("instance[{i}].gpu[0].report.nonce")), Status::Pass);
        assert_eq!(status(&r, &format!("instance[{i}].tdx.quote.signature")), Status::Pass);
    }
}

#[test]
fn tinfoil_v3_tdx_passes_with_its_scheme_and_sev_snp_goes_to_the_snp_scan() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "tinfoil_v3_direct");
    let body = c.response("tinfoil-attestation");
    assert_eq!(provider::parse(&body).unwrap().format, Format::TinfoilV3);
    let r = scan(&body, &collaterals(&root), &c.nras(), "2026-06-29T02:13:30Z", Some(c.nonce()), Some("policies/tinfoil.toml"));
    assert_eq!(r.verdict, Verdict::Pass, "fail {:?} indeterminate {:?}", with_status(&r, Status::Fail), with_status(&r, Status::Indeterminate));
    assert_eq!(r.claims["layers"]["enclave"]["binding"]["scheme"], "tinfoil-v3");
    let snp = Capture::open(&root, "tinfoil_v3_cloud");
    // The provider parser leaves the SEV-SNP router to the SNP scan (tests/snp_scan.rs), which
    // the detection of every input chooses.
    assert!(matches!(provider::parse(&snp.response("tinfoil-attestation")), Err(ProviderError::Unsupported(_))));
    assert!(matches!(teescan::scan::Evidence::detect(&snp.response("tinfoil-attestation")), Ok(teescan::scan::Evidence::Snp(_))));
}

// ---- Pitfalls (llm-verifiers.md §5), one test each -------------------------------------------

#[test]
fn pitfall_report_data_is_read_from_the_quote_not_json() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "nearcloud");
    // The gateway layer carries a JSON `report_data` field; make it agree with forged inputs:
    // only the quote's REPORTDATA counts, so the forged signing address breaks the binding.
    let mut v: serde_json::Value = serde_json::from_slice(&c.response("attestation_report")).unwrap();
    let gw = &mut v["gateway_attestation"];
    gw["signing_address"] = serde_json::Value::String("11".repeat(32));
    let r = scan(v.to_string().as_bytes(), &collaterals(&root), &c.nras(), "2026-06-29T02:07:00Z", Some(c.nonce()), None);
    assert_eq!(status(&r, "gateway.binding.report_data"), Status::Fail);
}

#[test]
fn pitfall_padded_address_is_refused_when_tls_binding_is_required() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "neardirect");
    // Drop the TLS fingerprint: the report now claims the weaker padded scheme (and its quote
    // does not satisfy it either); the policy demands signing-address-tls.
    let mut v: serde_json::Value = serde_json::from_slice(&c.response("attestation_report")).unwrap();
    v.as_object_mut().unwrap().remove("tls_cert_fingerprint");
    let r = scan(v.to_string().as_bytes(), &collaterals(&root), &c.nras(), NEAR_AT, Some(c.nonce()), Some("policies/nearai.toml"));
    let fails = with_status(&r, Status::Fail);
    assert!(fails.contains(&"node.policy.tdx.td.report_data".to_owned()), "{fails:?}");
    assert!(r.check("node.policy.tdx.td.report_data").unwrap().reason.as_deref().unwrap().contains("weaker"));
}

#[test]
fn pitfall_empty_allowlist_is_refused_at_load() {
    let e = Policy::parse("schema = \"teescan.policy/v1\"\nid = \"x\"\nexpires = 2027-01-01T00:00:00Z\n[gpu]\narch = { any_of = [] }\n").unwrap_err();
    assert!(e.to_string().contains("must not be empty"));
}

#[test]
fn pitfall_nras_token_must_verify_and_match_the_nonce() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "neardirect");
    let body = c.response("attestation_report");
    // A JWKS that does not hold the signing key: NRAS no longer vouches, and the policy that
    // requires it cannot pass.
    let mut gpu = c.nras();
    gpu.nras.as_mut().unwrap().jwks = br#"{"keys":[]}"#.to_vec();
    let r = scan(&body, &collaterals(&root), &gpu, NEAR_AT, Some(c.nonce()), Some("policies/nearai.toml"));
    assert_eq!(status(&r, "node.nras.signature"), Status::Fail);
    assert_ne!(r.verdict, Verdict::Pass);
}

#[test]
fn pitfall_gpu_nonce_is_compared_in_full_not_by_prefix() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "neardirect");
    let mut nonce = c.nonce();
    nonce[31] ^= 1; // same prefix, different nonce
    let r = scan(&c.response("attestation_report"), &collaterals(&root), &c.nras(), NEAR_AT, Some(nonce), Some("policies/nearai.toml"));
    assert_eq!(status(&r, "node.nonce"), Status::Fail);
    assert_eq!(r.verdict, Verdict::Fail);
}

#[test]
fn pitfall_out_of_date_tcb_is_not_accepted_silently() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "neardirect");
    // After the collateral's nextUpdate the TCB appraisal cannot complete: fail, never pass.
    let r = scan(&c.response("attestation_report"), &collaterals(&root), &c.nras(), "2026-08-15T00:00:00Z", Some(c.nonce()), Some("policies/nearai.toml"));
    assert_ne!(r.verdict, Verdict::Pass);
    assert_eq!(status(&r, "node.policy.tdx.tcb.allowed_status"), Status::Fail);
}

#[test]
fn unknown_shapes_and_api_versions_are_refused() {
    for doc in [
        r#"{"api_version": "aci/1", "intel_quote": "00", "signing_address": "00"}"#,
        r#"{"format": "https://tinfoil.sh/predicate/attestation/v9"}"#,
        r#"{"hello": 1}"#,
        r#"[1, 2]"#,
        r#"{"gateway_attestation": {}, "model_attestations": []}"#,
    ] {
        assert!(provider::parse(doc.as_bytes()).is_err(), "{doc}");
    }
}

#[test]
fn every_distinct_node_in_all_attestations_is_verified() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "neardirect");
    let mut v: serde_json::Value = serde_json::from_slice(&c.response("attestation_report")).unwrap();
    // The capture's single entry is the top-level node itself: one layer.
    assert_eq!(provider::parse(v.to_string().as_bytes()).unwrap().layers.len(), 1);
    // A second, different node (here a tampered copy) is verified too and fails the scan.
    let mut other = v["all_attestations"][0].clone();
    let mut q = hex::decode(other["intel_quote"].as_str().unwrap()).unwrap();
    q[200] ^= 1;
    other["intel_quote"] = serde_json::Value::String(hex::encode(q));
    v["all_attestations"].as_array_mut().unwrap().push(other);
    let parsed = provider::parse(v.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), vec!["node", "node[1]"]);
    let r = scan(v.to_string().as_bytes(), &collaterals(&root), &c.nras(), NEAR_AT, Some(c.nonce()), Some("policies/nearai.toml"));
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(with_status(&r, Status::Fail).contains(&"node[1].tdx.quote.signature".to_owned()));
    assert_eq!(status(&r, "node.tdx.quote.signature"), Status::Pass);
}

#[test]
fn a_response_signature_must_come_from_the_attested_key() {
    use ed25519_dalek::Signer as _;
    use teescan::provider::scan::{scan_provider_signed, SignedResponse};
    use teescan::provider::signature::parse_signature_payload;
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "neardirect");
    let body = c.response("attestation_report");
    let report = provider::parse(&body).unwrap();
    let attested = hex::encode(report.layers[0].inputs.signing_address.as_ref().unwrap());
    let (req, resp) = (br#"{"messages":[]}"#.to_vec(), br#"{"choices":[]}"#.to_vec());
    let sha = |b: &[u8]| hex::encode(ring::digest::digest(&ring::digest::SHA256, b));
    let text = format!("Qwen/Qwen3.5-122B-A10B:{}:{}", sha(&req), sha(&resp));
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let sig = hex::encode(key.sign(text.as_bytes()).to_bytes());
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(NEAR_AT).unwrap());
    opts.nonce = Some(c.nonce());
    opts.policy = Some(policy("policies/nearai.toml"));
    let run = |address: &str| {
        let payload = parse_signature_payload(
            format!(r#"{{"text":"{text}","signature":"{sig}","signing_address":"{address}","signing_algo":"ed25519"}}"#).as_bytes(),
        )
        .unwrap();
        let signed = SignedResponse { payload, request: Some(req.clone()), response: Some(resp.clone()) };
        scan_provider_signed(&report, &collaterals(&root), &c.nras(), Some(&signed), &opts)
    };
    // Claiming the attested address with another key's signature: the signature does not verify.
    let r = run(&attested);
    assert_eq!(status(&r, "node.response.signature.valid"), Status::Fail);
    assert_eq!(r.verdict, Verdict::Fail);
    // A valid signature by a key the quote does not attest: not bound to the TEE.
    let own = hex::encode(key.verifying_key().to_bytes());
    let r = run(&own);
    assert_eq!(status(&r, "response.signature.valid"), Status::Pass);
    assert_eq!(status(&r, "response.signature.attested_key"), Status::Fail);
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(r.claims["response_signature"]["signed_by_layer"].is_null());
}
