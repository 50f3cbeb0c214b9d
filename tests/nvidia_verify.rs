//! End-to-end GPU verification on real evidence: the nvtrust H100 sample with its chain, both
//! RIMs and seven OCSP responses; multi-GPU provider payloads; NVSwitch; negatives.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;

use teescan::nvidia::evidence::{parse_evidence_list, EvidenceList, GpuEvidence};
use teescan::nvidia::verify::{verify_gpus, GpuCollateral, GpuOptions, GpuVerification, NrasInput};
use teescan::report::{Check, Status};
use teescan::time::Timestamp;

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn pem_chain(text: &[u8]) -> Vec<Vec<u8>> {
    pem::parse_many(text).unwrap().into_iter().map(pem::Pem::into_contents).collect()
}

fn h100_sample(root: &Path) -> (EvidenceList, GpuCollateral, [u8; 32]) {
    let dir = "nvidia/nvtrust-sample-h100";
    let report = hex::decode(String::from_utf8(corpus::read(root, &format!("{dir}/attestation_report.hex"))).unwrap().trim()).unwrap();
    let mut nonce = [0u8; 32];
    nonce.copy_from_slice(&report[4..36]);
    assert!(hex::encode(nonce).starts_with("931d8dd0"), "README nonce");
    let item = GpuEvidence {
        report,
        cert_chain: pem_chain(&corpus::read(root, &format!("{dir}/device_cert_chain.pem"))),
        arch_hint: None,
        nonce_hint: None,
        driver_version_hint: None,
        vbios_version_hint: None,
    };
    let list = EvidenceList { arch_hint: None, nonce_hint: None, items: vec![item] };
    let mut coll = GpuCollateral::default();
    for name in ["NV_GPU_DRIVER_GH100_550.90.07", "NV_GPU_VBIOS_1010_0200_882_96009F0001"] {
        coll.rims.push((name.to_owned(), corpus::read(root, &format!("{dir}/{name}.xml"))));
    }
    let mut files: Vec<_> = std::fs::read_dir(root.join(dir).join("ocsp")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        coll.ocsp.push(std::fs::read(f).unwrap());
    }
    (list, coll, nonce)
}

fn by_status(v: &GpuVerification, s: Status) -> Vec<String> {
    v.checks.iter().filter(|c| c.status == s).map(|c| c.id.clone()).collect()
}

fn check<'a>(v: &'a GpuVerification, id: &str) -> &'a Check {
    v.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn h100_sample_passes_every_check_at_its_pinned_times() {
    let Some(root) = corpus::root() else { return };
    let (list, coll, nonce) = h100_sample(&root);
    let opts = GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() };
    // Device-chain OCSP responses are valid on 2025-08-21; the RIM-chain ones were produced on
    // 2025-10-24. At each time, everything passes except the OCSP responses of the other date,
    // which are indeterminate (outside their window), never a pass.
    let v = verify_gpus(&list, &coll, at("2025-08-21T12:00:00Z"), &opts);
    for c in &v.checks {
        eprintln!("{} {} {:?} {:?}", c.status.as_str(), c.id, c.actual, c.reason);
    }
    assert!(by_status(&v, Status::Fail).is_empty(), "{:?}", by_status(&v, Status::Fail));
    let indeterminate = by_status(&v, Status::Indeterminate);
    assert!(!indeterminate.is_empty() && indeterminate.iter().all(|id| id.contains(".rim.") && id.contains(".ocsp[")), "{indeterminate:?}");
    for id in ["gpu[0].ocsp.brom", "gpu[0].ocsp.provisioner_ica", "gpu[0].ocsp.identity"] {
        assert_eq!(check(&v, id).status, Status::Pass, "{id}");
    }
    assert_eq!(check(&v, "gpu[0].measurements").actual.as_deref(), Some("33/33 active indices match"));

    let v = verify_gpus(&list, &coll, at("2025-10-24T12:00:00Z"), &opts);
    assert!(by_status(&v, Status::Fail).is_empty(), "{:?}", by_status(&v, Status::Fail));
    let indeterminate = by_status(&v, Status::Indeterminate);
    assert_eq!(indeterminate, vec!["gpu[0].ocsp.brom", "gpu[0].ocsp.provisioner_ica", "gpu[0].ocsp.identity"]);
    let rim_ocsp: Vec<&Check> = v.checks.iter().filter(|c| c.id.contains(".ocsp[")).collect();
    assert_eq!(rim_ocsp.len(), 6, "3 RIM-chain certificates per RIM");
    assert!(rim_ocsp.iter().all(|c| c.status == Status::Pass));
}

fn list_from(root: &Path, rel: &str) -> EvidenceList {
    parse_evidence_list(&corpus::read(root, rel)).unwrap()
}

fn nonce_hex(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn meta(root: &Path, dir: &str) -> serde_json::Value {
    serde_json::from_slice(&corpus::read(root, &format!("nvidia/providers/{dir}/meta.json"))).unwrap()
}

fn nras(root: &Path, dir: &str) -> NrasInput {
    NrasInput {
        body: corpus::read(root, &format!("nvidia/providers/{dir}/nras_response.json")),
        jwks: corpus::read(root, &format!("nvidia/providers/{dir}/nras_jwks_at_capture.json")),
    }
}

/// RIMs and OCSP for provider GPUs are not in the corpus: the node is appraised by its signed
/// reports plus NRAS's signed verdict, with RIM/OCSP explicitly waived (as a policy would).
fn nras_only(nonce: [u8; 32]) -> GpuOptions {
    GpuOptions { expected_nonce: Some(nonce), require_rims: false, require_ocsp: false, require_nras: true, ..GpuOptions::default() }
}

#[test]
fn near_direct_8xh100_with_nras_verifies_at_the_token_time() {
    let Some(root) = corpus::root() else { return };
    let dir = "neardirect-qwen35-teep";
    let list = list_from(&root, &format!("nvidia/providers/{dir}/nvidia_payload.json"));
    assert_eq!(list.items.len(), 8);
    let nonce = nonce_hex(meta(&root, dir)["request_nonce"].as_str().unwrap());
    let coll = GpuCollateral { nras: Some(nras(&root, dir)), ..GpuCollateral::default() };
    let at = at("2026-06-29T02:06:40Z");
    let v = verify_gpus(&list, &coll, at, &nras_only(nonce));
    assert!(by_status(&v, Status::Fail).is_empty(), "{:?}", by_status(&v, Status::Fail));
    assert!(by_status(&v, Status::Indeterminate).is_empty(), "{:?}", by_status(&v, Status::Indeterminate));
    for i in 0..8 {
        for c in ["report.parse", "chain", "report.signature", "chain.fwid", "report.nonce"] {
            assert_eq!(check(&v, &format!("gpu[{i}].{c}")).status, Status::Pass, "gpu[{i}].{c}");
        }
    }
    for id in ["nras.signature", "nras.count", "nras.result", "gpu.consistent", "gpu.unique"] {
        assert_eq!(check(&v, id).status, Status::Pass, "{id}");
    }
    // Someone else's nonce: every report and the NRAS tokens fail.
    let mut other = nonce;
    other[0] ^= 1;
    let v = verify_gpus(&list, &coll, at, &nras_only(other));
    let failed = by_status(&v, Status::Fail);
    assert_eq!(failed.iter().filter(|id| id.ends_with(".report.nonce")).count(), 8);
    assert!(failed.contains(&"nras.signature".to_owned()), "{failed:?}");
    // After the tokens expired (iat + 1 h), NRAS no longer vouches.
    let v = verify_gpus(&list, &coll, Timestamp::from_unix(at.unix() + 3700), &nras_only(nonce));
    assert_eq!(check(&v, "nras.signature").status, Status::Fail);
    // Without RIMs and OCSP under the default (strict) options the node is not a pass.
    let v = verify_gpus(&list, &GpuCollateral::default(), at, &GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() });
    assert!(by_status(&v, Status::Fail).is_empty());
    assert!(by_status(&v, Status::Indeterminate).len() >= 8 * 3, "OCSP and RIMs indeterminate per GPU");
}

#[test]
fn chutes_gpu_nonce_is_derived_and_nras_saw_the_raw_nonce() {
    let Some(root) = corpus::root() else { return };
    let dir = "chutes-via-redpill-teep";
    let m = meta(&root, dir);
    let raw = m["client_nonce"].as_str().unwrap();
    let derived: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, format!("{raw}{}", m["e2e_pubkey"].as_str().unwrap()).as_bytes())
        .as_ref()
        .try_into()
        .unwrap();
    let list = list_from(&root, &format!("nvidia/providers/{dir}/gpu_evidence_instance0.json"));
    let coll = GpuCollateral { nras: Some(nras(&root, dir)), ..GpuCollateral::default() };
    let tokens = nras(&root, dir);
    let body: serde_json::Value = serde_json::from_slice(&tokens.body).unwrap();
    let overall = teescan::nvidia::nras::decode_unverified(body[0][1].as_str().unwrap()).unwrap();
    let at = Timestamp::from_unix(overall.claims["iat"].as_u64().unwrap() + 1);
    // With the raw client nonce: every GPU report fails its nonce (it carries the derived one);
    // NRAS's tokens verify but report 4010 NONCE_NOT_MATCHING for every GPU.
    let v = verify_gpus(&list, &coll, at, &nras_only(nonce_hex(raw)));
    assert_eq!(by_status(&v, Status::Fail).iter().filter(|id| id.ends_with(".report.nonce")).count(), 8);
    let result = check(&v, "nras.result");
    assert_eq!(result.status, Status::Fail);
    assert!(result.reason.as_deref().unwrap().contains("4010"), "{result:?}");
    // With the derived nonce the reports are fresh, and NRAS's tokens (made for the raw nonce)
    // fail the nonce binding.
    let v = verify_gpus(&list, &coll, at, &nras_only(derived));
    assert!(by_status(&v, Status::Fail).iter().all(|id| id.starts_with("nras.")), "{:?}", by_status(&v, Status::Fail));
    assert_eq!(check(&v, "gpu[0].report.nonce").status, Status::Pass);
    assert_eq!(check(&v, "nras.signature").status, Status::Fail);
}

#[test]
fn tampered_report_fails_signature_and_fwid() {
    let Some(root) = corpus::root() else { return };
    let (mut list, coll, nonce) = h100_sample(&root);
    let bad = hex::decode(String::from_utf8(corpus::read(&root, "nvidia/negative/hopper_report_invalid_signature.hex")).unwrap().trim()).unwrap();
    list.items[0].report = bad;
    let v = verify_gpus(&list, &coll, at("2025-08-21T12:00:00Z"), &GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() });
    let failed = by_status(&v, Status::Fail);
    assert!(failed.contains(&"gpu[0].report.signature".to_owned()), "{failed:?}");
    assert!(failed.contains(&"gpu[0].chain.fwid".to_owned()), "{failed:?}");
}

#[test]
fn one_changed_measurement_fails_exactly_that_index() {
    let Some(root) = corpus::root() else { return };
    let (mut list, coll, nonce) = h100_sample(&root);
    let report = teescan::nvidia::spdm::SpdmReport::parse(&list.items[0].report).unwrap();
    // RIM index 12 (SPDM block 13, in the VBIOS RIM) has several alternatives; flip one bit of
    // its runtime value.
    // Request (37) + response header (8), then 55-byte blocks (7 header bytes + 48-byte value).
    let pos = 37 + 8 + 12 * 55 + 7;
    assert_eq!(&list.items[0].report[pos..pos + 48], report.measurement(13).unwrap());
    list.items[0].report[pos + 47] ^= 1;
    let v = verify_gpus(&list, &coll, at("2025-10-24T12:00:00Z"), &GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() });
    let failed = by_status(&v, Status::Fail);
    let measurement_failures: Vec<&String> = failed.iter().filter(|id| id.contains(".measurement[")).collect();
    assert_eq!(measurement_failures, vec!["gpu[0].rim.vbios.measurement[12]"], "{failed:?}");
    assert!(failed.contains(&"gpu[0].report.signature".to_owned()));
    assert!(failed.contains(&"gpu[0].measurements".to_owned()));
    let c = check(&v, "gpu[0].rim.vbios.measurement[12]");
    assert!(c.expected.as_deref().unwrap().contains(" | "), "alternatives listed");
    assert!(c.actual.is_some());
    // A policy waiver with a reason turns that index into a pass (the signature still fails).
    let opts = GpuOptions { expected_nonce: Some(nonce), waived_indices: vec![(12, "known-bad index".to_owned())], ..GpuOptions::default() };
    let v = verify_gpus(&list, &coll, at("2025-10-24T12:00:00Z"), &opts);
    assert_eq!(check(&v, "gpu[0].rim.vbios.measurement[12]").status, Status::Pass);
    assert_eq!(check(&v, "gpu[0].measurements").status, Status::Pass);
}

#[test]
fn a_rim_must_be_the_one_derived_from_the_report() {
    let Some(root) = corpus::root() else { return };
    let (list, mut coll, nonce) = h100_sample(&root);
    // The VBIOS RIM supplied under the driver RIM's id: its signed content disagrees.
    let vbios = coll.rims[1].1.clone();
    coll.rims[0].1 = vbios;
    let v = verify_gpus(&list, &coll, at("2025-10-24T12:00:00Z"), &GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() });
    let c = check(&v, "gpu[0].rim.driver");
    assert_eq!(c.status, Status::Fail);
    assert!(c.reason.as_deref().unwrap().contains("RIM version"), "{c:?}");
    // RIMs verify only while their signers are valid: today the driver RIM signer has expired.
    let (list, coll, nonce) = h100_sample(&root);
    let v = verify_gpus(&list, &coll, at("2026-11-24T00:00:00Z"), &GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() });
    assert_eq!(check(&v, "gpu[0].rim.driver").status, Status::Fail);
}

#[test]
fn nvswitch_with_its_rim_and_other_real_sets() {
    let Some(root) = corpus::root() else { return };
    // LS10: one BIOS RIM, 31 measurements, all match (RIM signer valid from 2026-05-20).
    let dir = "nvidia/nvswitch-ls10";
    let report = hex::decode(String::from_utf8(corpus::read(&root, &format!("{dir}/attestation_report.hex"))).unwrap().trim()).unwrap();
    let nonce: [u8; 32] = report[4..36].try_into().unwrap();
    let item = GpuEvidence { report, cert_chain: pem_chain(&corpus::read(&root, &format!("{dir}/device_cert_chain.pem"))), arch_hint: None, nonce_hint: None, driver_version_hint: None, vbios_version_hint: None };
    let list = EvidenceList { arch_hint: None, nonce_hint: None, items: vec![item] };
    let rim_id = "NV_SWITCH_BIOS_5612_0002_890_9610550001";
    let coll = GpuCollateral { rims: vec![(rim_id.to_owned(), corpus::read(&root, &format!("{dir}/{rim_id}.xml")))], ..GpuCollateral::default() };
    let v = verify_gpus(&list, &coll, at("2026-11-20T00:00:00Z"), &GpuOptions { expected_nonce: Some(nonce), require_ocsp: false, ..GpuOptions::default() });
    assert!(by_status(&v, Status::Fail).is_empty(), "{:?}", by_status(&v, Status::Fail));
    assert_eq!(check(&v, "gpu[0].measurements").actual.as_deref(), Some("31/31 active indices match"));
    assert!(v.checks.iter().all(|c| c.id != "gpu[0].rim.driver"), "a switch has no driver RIM");

    // Blackwell, the 4×H100 and cert-hold sets, and the PPCIe 8+4 set: parsing, chains,
    // signatures and FWIDs pass; PPCIe topology passes, and fails when a switch is missing.
    let chain_ok = |v: &GpuVerification, n: usize| {
        for i in 0..n {
            for c in ["report.parse", "chain", "report.signature"] {
                assert_eq!(check(v, &format!("gpu[{i}].{c}")).status, Status::Pass, "gpu[{i}].{c}");
            }
            // NVSwitch reports carry no FWID: the binding check is skipped, not passed.
            let fwid = check(v, &format!("gpu[{i}].chain.fwid"));
            let is_switch = v.claims.to_value()["devices"][i]["arch"] == "LS10";
            assert_eq!(fwid.status, if is_switch { Status::Skipped } else { Status::Pass }, "gpu[{i}].chain.fwid");
        }
    };
    let lax = GpuOptions { require_rims: false, require_ocsp: false, ..GpuOptions::default() };
    let t = at("2026-07-01T00:00:00Z");
    let dir = "nvidia/blackwell-gb100";
    let bw = GpuEvidence {
        report: hex::decode(String::from_utf8(corpus::read(&root, &format!("{dir}/attestation_report.hex"))).unwrap().trim()).unwrap(),
        cert_chain: pem_chain(&corpus::read(&root, &format!("{dir}/device_cert_chain.pem"))),
        arch_hint: None, nonce_hint: None, driver_version_hint: None, vbios_version_hint: None,
    };
    let v = verify_gpus(&EvidenceList { arch_hint: None, nonce_hint: None, items: vec![bw] }, &GpuCollateral::default(), t, &lax);
    chain_ok(&v, 1);
    assert_eq!(v.claims.to_value()["devices"][0]["arch"], "BLACKWELL");
    for (file, n) in [("nvidia/nvat-hopper-590/multi_gpu_hopper.json", 4), ("nvidia/nvat-hopper-590/hopper_evidence_570_cert_hold.json", 1)] {
        let v = verify_gpus(&list_from(&root, file), &GpuCollateral::default(), t, &lax);
        chain_ok(&v, n);
        assert_eq!(check(&v, "gpu.consistent").status, Status::Pass);
    }
    let mut node = list_from(&root, "nvidia/ppcie-hgx-8gpu-4switch/gpu_evidence.json");
    let switches = list_from(&root, "nvidia/ppcie-hgx-8gpu-4switch/switch_evidence.json");
    node.items.extend(switches.items.clone());
    let v = verify_gpus(&node, &GpuCollateral::default(), t, &lax);
    chain_ok(&v, 12);
    assert_eq!(check(&v, "gpu.topology").status, Status::Pass, "{:?}", check(&v, "gpu.topology"));
    assert_eq!(check(&v, "gpu.unique").status, Status::Pass);
    node.items.pop();
    let v = verify_gpus(&node, &GpuCollateral::default(), t, &lax);
    assert_eq!(check(&v, "gpu.topology").status, Status::Fail);
    // The same device twice.
    let mut dup = list_from(&root, "nvidia/nvat-hopper-590/multi_gpu_hopper.json");
    let first = dup.items[0].clone();
    dup.items.push(first);
    let v = verify_gpus(&dup, &GpuCollateral::default(), t, &lax);
    assert_eq!(check(&v, "gpu.unique").status, Status::Fail);
    // PPCIe GPUs without their switches: topology cannot be established.
    let gpus_only = list_from(&root, "nvidia/ppcie-hgx-8gpu-4switch/gpu_evidence.json");
    let v = verify_gpus(&gpus_only, &GpuCollateral::default(), t, &lax);
    assert_eq!(check(&v, "gpu.topology").status, Status::Indeterminate);
}

#[test]
fn near_gpus_pass_the_shipped_gpu_policy_and_each_pin_fails_alone() {
    use teescan::policy::{AnyOf, CountRule, LoadedPolicy, Policy};
    use teescan::report::Verdict;
    let Some(root) = corpus::root() else { return };
    let dir = "neardirect-qwen35-teep";
    let list = list_from(&root, &format!("nvidia/providers/{dir}/nvidia_payload.json"));
    let coll = GpuCollateral { nras: Some(nras(&root, dir)), ..GpuCollateral::default() };
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai-gpu.toml")).unwrap();
    let base = Policy::parse(&text).unwrap();
    let scan = |p: Policy, nonce: Option<[u8; 32]>| {
        let mut opts = teescan::ScanOptions::new(at("2026-06-29T02:06:40Z"));
        opts.nonce = nonce;
        opts.policy = Some(LoadedPolicy { policy: p, sha256: "test".to_owned(), file: None });
        teescan::scan_gpu_evidence(&list, &coll, &opts).unwrap()
    };
    let nonce = Some(nonce_hex(meta(&root, dir)["request_nonce"].as_str().unwrap()));
    let r = scan(base.clone(), nonce);
    let fails = |r: &teescan::report::Report| r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(r.verdict, Verdict::Pass, "{:?} {:?}", fails(&r), r.checks.iter().filter(|c| c.status == Status::Indeterminate).map(|c| &c.id).collect::<Vec<_>>());
    // Without the caller's nonce the scan cannot be a pass.
    assert_eq!(scan(base.clone(), None).verdict, Verdict::Indeterminate);
    // One pin at a time.
    let mut p = base.clone();
    p.gpu.as_mut().unwrap().count = Some(CountRule::Exactly(4));
    assert_eq!(fails(&scan(p, nonce)), vec!["policy.gpu.count"]);
    for key in ["arch", "driver_version", "vbios_version"] {
        let mut p = base.clone();
        let g = p.gpu.as_mut().unwrap();
        let other = Some(AnyOf { any_of: vec!["OTHER".to_owned()] });
        match key {
            "arch" => g.arch = other,
            "driver_version" => g.driver_version = other,
            _ => g.vbios_version = other,
        }
        assert_eq!(fails(&scan(p, nonce)), vec![format!("policy.gpu.{key}")]);
    }
    // The policy requires NRAS: without it the node is indeterminate, never a pass.
    let mut opts = teescan::ScanOptions::new(at("2026-06-29T02:06:40Z"));
    opts.nonce = nonce;
    opts.policy = Some(LoadedPolicy { policy: base, sha256: "test".to_owned(), file: None });
    let r = teescan::scan_gpu_evidence(&list, &GpuCollateral::default(), &opts).unwrap();
    assert_eq!(r.verdict, Verdict::Indeterminate);
}
