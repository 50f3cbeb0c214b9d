//! Issue 13, hole 1: NRAS signing keys are authenticated. A JWKS is evidence: a key signs nothing
//! unless its `x5c` chains, at the scan time, to the NRAS intermediate pinned in teescan (or one
//! the auditor's policy adds), with the leaf holding the JWK's key. Forged NRAS results (self-made
//! key, self-made chain named like NVIDIA's, real JWKS stripped of x5c, a bundle's JWKS replaced)
//! FAIL, whatever the policy says about NRAS; the real JWKS still passes.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/nras_forge.rs"]
mod nras_forge;

use std::path::{Path, PathBuf};

use cli::{s, scratch, teescan, Run};

use base64::Engine as _;
use nras_forge::{success_device, success_overall, Forger, Validity, FORGED_KID};
use serde_json::{json, Value};
use teescan::nvidia::verify::{GpuCollateral, NrasInput};
use teescan::policy::Policy;
use teescan::report::{Report, Status};
use teescan::time::Timestamp;

const NEARDIRECT: &str = "providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";
const PHALA: &str = "providers/teep-captures/phalacloud_phala_deepseek-v3.2_20260610_014917";
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
const NEAR_AT: &str = "2026-06-29T02:06:40Z";
const REPORT: &str = "0001_qwen35-122b.completions.near.ai_v1_attestation_report.body";
const NRAS: &str = "0006_nras.attestation.nvidia.com_v3_attest_gpu.body";
const JWKS: &str = "0007_nras.attestation.nvidia.com_.well-known_jwks.json.body";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    s(&p)
}

/// The README's "Scanning a saved provider report" command, with the given NRAS body and JWKS
/// files, policy and time, JSON output.
fn near_scan(root: &Path, nras: &str, jwks: &str, policy: &str, at: &str) -> Run {
    let t = root.join(NEARDIRECT);
    let r = t.join("responses");
    teescan(&[
        "scan".into(),
        s(&r.join(REPORT)),
        "--collateral".into(),
        s(&t),
        "--nras".into(),
        nras.into(),
        "--jwks".into(),
        jwks.into(),
        "--nonce".into(),
        NEAR_NONCE.into(),
        "--at".into(),
        at.into(),
        "--policy".into(),
        policy.into(),
        "--offline".into(),
        "--format".into(),
        "json".into(),
    ])
}

fn near_real(root: &Path) -> (Vec<u8>, Vec<u8>) {
    let r = root.join(NEARDIRECT).join("responses");
    (std::fs::read(r.join(NRAS)).unwrap(), std::fs::read(r.join(JWKS)).unwrap())
}

/// The real NEAR NRAS result, re-signed by `f` under `FORGED_KID`, claims unchanged.
fn near_forged(root: &Path, f: &Forger) -> (Vec<u8>, Vec<u8>) {
    let (body, _) = near_real(root);
    let forged = f.resign(&body, FORGED_KID, |_| {}, |_| {});
    let jwks = serde_json::to_vec(&json!({"keys": [f.jwk(FORGED_KID)]})).unwrap();
    (forged, jwks)
}

fn spki_sha256_hex(cert: &[u8]) -> String {
    hex::encode(teescan::pki::nras::spki_sha256(cert).unwrap())
}

/// `policies/nearai.toml` with `extra` lines appended to its `[gpu]` section (the last one).
fn nearai_with(dir: &Path, extra: &str) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap();
    write(dir, "policy.toml", format!("{text}{extra}\n").as_bytes())
}

// ---- (a) a self-made key without x5c -------------------------------------------------------

#[test]
fn self_made_jwks_key_without_x5c_fails_under_the_nearai_policy() {
    let Some(root) = corpus::root() else { return };
    let d = scratch("bare");
    let (body, jwks) = near_forged(&root, &Forger::bare());
    let r = near_scan(&root, &write(&d, "nras.json", &body), &write(&d, "jwks.json", &jwks), "policies/nearai.toml", NEAR_AT);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.status("node.nras.chain"), "fail");
    assert_eq!(r.status("node.nras.signature"), "fail");
    let c = r.check("node.nras.signature");
    assert!(c["reason"].as_str().unwrap().contains("has no x5c"), "{c}");
    assert_eq!(c["actual"], "nvidia.nras.chain");
    assert_eq!(c["required"], true);

    // The forger's key added to NVIDIA's real JWKS: still not usable.
    let (_, real_jwks) = near_real(&root);
    let mut j: Value = serde_json::from_slice(&real_jwks).unwrap();
    j["keys"].as_array_mut().unwrap().push(Forger::bare().jwk(FORGED_KID));
    let r = near_scan(&root, &write(&d, "nras.json", &body), &write(&d, "jwks2.json", &serde_json::to_vec(&j).unwrap()), "policies/nearai.toml", NEAR_AT);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.status("node.nras.signature"), "fail");
}

// ---- (b) a self-made chain named like NVIDIA's ----------------------------------------------

#[test]
fn self_made_x5c_chain_named_like_nvidia_fails_unless_the_policy_pins_it() {
    let Some(root) = corpus::root() else { return };
    let d = scratch("chained");
    let f = Forger::chained(&Validity::default(), false);
    let (body, jwks) = near_forged(&root, &f);
    let (nras, jwks) = (write(&d, "nras.json", &body), write(&d, "jwks.json", &jwks));
    let r = near_scan(&root, &nras, &jwks, "policies/nearai.toml", NEAR_AT);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.status("node.nras.chain"), "fail");
    assert_eq!(r.status("node.nras.signature"), "fail");
    let reason = r.check("node.nras.chain")["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("no x5c certificate has a pinned NRAS anchor key"), "{reason}");
    assert!(reason.contains(&spki_sha256_hex(&f.x5c[1])), "the failing value is named: {reason}");

    // Control: the same forgery passes once the auditor's policy pins the forger's intermediate
    // (pins are added by policy only), so the failure above is the chain and nothing else.
    let pinned = nearai_with(&d, &format!("nras_anchor_spki_sha256 = [\"{}\"]", spki_sha256_hex(&f.x5c[1])));
    let r = near_scan(&root, &nras, &jwks, &pinned, NEAR_AT);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.status("node.nras.chain"), "pass");
    // The policy pin is added to the compiled one: NVIDIA's real JWKS still verifies.
    let (real_body, real_jwks) = near_real(&root);
    let r = near_scan(&root, &write(&d, "real.json", &real_body), &write(&d, "realjwks.json", &real_jwks), &pinned, NEAR_AT);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // A malformed pin is a policy error, not a silently empty pin.
    let bad_pin = nearai_with(&d, "nras_anchor_spki_sha256 = [\"zz\"]");
    let r = near_scan(&root, &nras, &jwks, &bad_pin, NEAR_AT);
    assert_eq!(r.code, 2, "a malformed pin is a policy error: {}", r.stderr);
}

#[test]
fn self_made_leaf_that_is_a_ca_fails_even_when_pinned() {
    let Some(root) = corpus::root() else { return };
    let d = scratch("leaf_ca");
    let f = Forger::chained(&Validity::default(), true);
    let (body, jwks) = near_forged(&root, &f);
    let pinned = nearai_with(&d, &format!("nras_anchor_spki_sha256 = [\"{}\"]", spki_sha256_hex(&f.x5c[1])));
    let r = near_scan(&root, &write(&d, "nras.json", &body), &write(&d, "jwks.json", &jwks), &pinned, NEAR_AT);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let reason = r.check("node.nras.chain")["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("CaUsedAsEndEntity"), "{reason}");
}

#[test]
fn pinned_intermediate_outside_its_validity_fails() {
    let Some(root) = corpus::root() else { return };
    let d = scratch("inter_expired");
    let v = Validity { leaf: ((2026, 6, 1), (2026, 8, 1)), inter: ((2025, 1, 1), (2026, 6, 15)) };
    let f = Forger::chained(&v, false);
    let (body, jwks) = near_forged(&root, &f);
    let pinned = nearai_with(&d, &format!("nras_anchor_spki_sha256 = [\"{}\"]", spki_sha256_hex(&f.x5c[1])));
    let r = near_scan(&root, &write(&d, "nras.json", &body), &write(&d, "jwks.json", &jwks), &pinned, NEAR_AT);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let reason = r.check("node.nras.chain")["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("the pinned anchor") && reason.contains("not at 2026-06-29T02:06:40Z"), "{reason}");
}

// ---- (c) the real JWKS with x5c removed --------------------------------------------------

#[test]
fn real_jwks_with_x5c_removed_fails() {
    let Some(root) = corpus::root() else { return };
    let d = scratch("no_x5c");
    let (body, jwks) = near_real(&root);
    let mut j: Value = serde_json::from_slice(&jwks).unwrap();
    for k in j["keys"].as_array_mut().unwrap() {
        k.as_object_mut().unwrap().remove("x5c");
    }
    let r = near_scan(&root, &write(&d, "nras.json", &body), &write(&d, "jwks.json", &serde_json::to_vec(&j).unwrap()), "policies/nearai.toml", NEAR_AT);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.status("node.nras.chain"), "fail");
    assert_eq!(r.status("node.nras.signature"), "fail");
    // Only the leaf kept: no path either.
    let mut j: Value = serde_json::from_slice(&jwks).unwrap();
    for k in j["keys"].as_array_mut().unwrap() {
        let leaf = k["x5c"][0].clone();
        k["x5c"] = json!([leaf]);
    }
    let r = near_scan(&root, &write(&d, "nras.json", &body), &write(&d, "jwks2.json", &serde_json::to_vec(&j).unwrap()), "policies/nearai.toml", NEAR_AT);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.check("node.nras.chain")["reason"].as_str().unwrap().contains("only a leaf"));
}

// ---- (d) the real JWKS passes, (e) not after the leaf's expiry -------------------------------

#[test]
fn real_jwks_passes_with_the_chain_shown() {
    let Some(root) = corpus::root() else { return };
    let r0 = root.join(NEARDIRECT).join("responses");
    let r = near_scan(&root, &s(&r0.join(NRAS)), &s(&r0.join(JWKS)), "policies/nearai.toml", NEAR_AT);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.status("node.nras.signature"), "pass");
    let c = r.check("node.nras.chain");
    assert_eq!(c["status"], "pass");
    let actual = c["actual"].as_str().unwrap();
    assert!(actual.contains("NVIDIA Attestation Service GPU Intermediate 004"), "{actual}");
    assert!(actual.contains(teescan::pki::nras::NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256), "{actual}");
}

#[test]
fn real_jwks_after_the_signing_leaf_expired_fails_the_chain() {
    let Some(root) = corpus::root() else { return };
    let r0 = root.join(NEARDIRECT).join("responses");
    let (body, jwks_bytes) = near_real(&root);
    let eat = teescan::nvidia::nras::parse_detached_eat(&body).unwrap();
    let kid = teescan::nvidia::nras::decode_unverified(&eat.overall).unwrap().header["kid"].as_str().unwrap().to_owned();
    let jwks = teescan::nvidia::nras::parse_jwks(&jwks_bytes).unwrap();
    let leaf = jwks.get(&kid).unwrap().check_x5c(Timestamp::parse_rfc3339(NEAR_AT).unwrap()).unwrap();
    let late = Timestamp::from_unix(leaf.leaf_not_after.unix() + 1);
    let r = near_scan(&root, &s(&r0.join(NRAS)), &s(&r0.join(JWKS)), "policies/nearai.toml", &late.to_rfc3339());
    assert_eq!(r.code, 1, "{}", r.stdout);
    let c = r.check("node.nras.chain");
    assert_eq!(c["status"], "fail");
    assert!(c["reason"].as_str().unwrap().contains("Expired"), "{c}");
    // After the intermediate's expiry (2029-12-08) as well.
    let r = near_scan(&root, &s(&r0.join(NRAS)), &s(&r0.join(JWKS)), "policies/nearai.toml", "2029-12-09T00:00:00Z");
    assert_ne!(r.code, 0);
    assert!(r.check("node.nras.chain")["reason"].as_str().unwrap().contains("not at 2029-12-09"), "{}", r.stdout);
}

// ---- a forged result is never informational ----------------------------------------------

#[test]
fn forged_nras_fails_even_when_the_policy_does_not_require_nras() {
    let Some(root) = corpus::root() else { return };
    let d = scratch("not_required");
    let (body, jwks) = near_forged(&root, &Forger::bare());
    let (nras, jwks) = (write(&d, "nras.json", &body), write(&d, "jwks.json", &jwks));
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap();
    let waived: String = text.lines().filter(|l| !l.starts_with("nras =")).map(|l| format!("{l}\n")).collect();
    assert_ne!(waived, text);
    let policy = write(&d, "waived.toml", waived.as_bytes());
    let r = near_scan(&root, &nras, &jwks, &policy, NEAR_AT);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.check("node.nras.signature")["required"], true);
    // A bare GPU scan without any policy: the forged NRAS is a required failure too.
    let gpu = root.join("nvidia/providers/neardirect-qwen35-teep/nvidia_payload.json");
    let r = teescan(&[
        "scan".into(), s(&gpu), "--nras".into(), nras, "--jwks".into(), jwks, "--nonce".into(), NEAR_NONCE.into(),
        "--at".into(), NEAR_AT.into(), "--offline".into(), "--format".into(), "json".into(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.check("nras.signature")["required"], true);
    assert_eq!(r.check("nras.chain")["required"], true);
}

// ---- (f) Chutes: NVIDIA said 4010; a forged "success" fails -----------------------------------

fn phala(root: &Path) -> (teescan::provider::ProviderReport, Vec<teescan::tdx::Collateral>, String) {
    let r = root.join(PHALA).join("responses");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&r).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let att = files.iter().find(|p| p.to_string_lossy().contains("attestation_report") && p.extension().is_some_and(|x| x == "body")).unwrap();
    let report = teescan::provider::parse(&std::fs::read(att).unwrap()).unwrap();
    let mut colls = Vec::new();
    for dd in std::fs::read_dir(root.join("tdx/derived/teep")).unwrap() {
        colls.push(teescan::tdx::Collateral::from_dcap_json(&std::fs::read(dd.unwrap().path().join("collateral.json")).unwrap()).unwrap());
    }
    // The GPU nonce of instance[0]: SHA-256(nonce text ‖ e2e key), as its GPUs signed it.
    let l0 = &report.layers[0];
    let teescan::provider::GpuNonce::ChutesDerived(key) = &l0.gpu_nonce else { panic!("chutes nonce") };
    let derived = ring::digest::digest(&ring::digest::SHA256, format!("{}{key}", l0.inputs.nonce_text.as_ref().unwrap()).as_bytes());
    (report, colls, hex::encode(derived))
}

fn phala_scan(root: &Path, report: &teescan::provider::ProviderReport, colls: &[teescan::tdx::Collateral], body: Vec<u8>, jwks: Vec<u8>, policy: &str) -> Report {
    let m: Value = serde_json::from_slice(&std::fs::read(root.join(PHALA).join("manifest.json")).unwrap()).unwrap();
    let nonce: [u8; 32] = hex::decode(m["nonce_hex"].as_str().unwrap()).unwrap().try_into().unwrap();
    let mut opts = teescan::ScanOptions::new(Timestamp::parse_rfc3339("2026-06-10T02:00:00Z").unwrap());
    opts.nonce = Some(nonce);
    opts.policy = Some(Policy::load(policy.as_bytes()).unwrap());
    let gpu = GpuCollateral { nras: Some(NrasInput { body, jwks }), ..GpuCollateral::default() };
    teescan::provider::scan::scan_provider(report, colls, &gpu, &opts)
}

fn required_status(r: &Report, id: &str) -> (Status, bool) {
    let c = r.check(id).unwrap_or_else(|| panic!("no check {id}"));
    (c.status, c.required)
}

#[test]
fn chutes_capture_with_a_forged_success_fails() {
    let Some(root) = corpus::root() else { return };
    let (report, colls, gpu_nonce) = phala(&root);
    let r = root.join(PHALA).join("responses");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&r).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let find = |needle: &str| std::fs::read(files.iter().find(|p| p.to_string_lossy().contains(needle) && p.extension().is_some_and(|x| x == "body")).unwrap()).unwrap();
    let (real_body, real_jwks) = (find("v3_attest_gpu"), find("jwks"));
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/phala-redpill.toml")).unwrap();

    // What NVIDIA really said: for the raw nonce rather than the GPUs' derived one (4010
    // NONCE_NOT_MATCHING). It answers no instance's GPUs: a required failure of the scan.
    let rep = phala_scan(&root, &report, &colls, real_body.clone(), real_jwks, &shipped);
    assert_eq!(required_status(&rep, "nras.applies"), (Status::Fail, true));
    assert_eq!(rep.verdict, teescan::report::Verdict::Fail);
    assert!(rep.check("instance[0].nras.chain").is_none(), "a result for another nonce is no instance's");

    // A forger turns it into success for the GPUs' nonce, with a bare key and with a chain.
    let (dev, all) = (success_device(&gpu_nonce), success_overall(&gpu_nonce));
    for f in [Forger::bare(), Forger::chained(&Validity { leaf: ((2026, 6, 1), (2026, 8, 1)), ..Validity::default() }, false)] {
        let body = f.resign(&real_body, FORGED_KID, &dev, &all);
        let jwks = serde_json::to_vec(&json!({"keys": [f.jwk(FORGED_KID)]})).unwrap();
        let rep = phala_scan(&root, &report, &colls, body.clone(), jwks.clone(), &shipped);
        assert_eq!(required_status(&rep, "instance[0].nras.chain"), (Status::Fail, true));
        assert_eq!(required_status(&rep, "instance[0].nras.signature"), (Status::Fail, true));
        assert!(rep.check("instance[0].nras.result").is_none(), "an unauthenticated verdict is never read");
        // Control: pinned by the auditor, the forgery would be read as a success (so the
        // failure above is the chain, not a defect of the forgery).
        if !f.x5c.is_empty() {
            let pinned = shipped.replace("nras = \"required\"", &format!("nras = \"required\"\nnras_anchor_spki_sha256 = [\"{}\"]", spki_sha256_hex(&f.x5c[1])));
            let rep = phala_scan(&root, &report, &colls, body, jwks, &pinned);
            assert_eq!(required_status(&rep, "instance[0].nras.signature"), (Status::Pass, true));
            assert_eq!(required_status(&rep, "instance[0].nras.result"), (Status::Pass, true));
        }
    }
    // The real result covers no instance: under the shipped policy (NRAS required, RIM/OCSP
    // waived) every instance's GPUs are unappraised, hence indeterminate, never passed.
    let rep = phala_scan(&root, &report, &colls, real_body, find("jwks"), &shipped);
    for i in 0..report.layers.len() {
        assert_eq!(required_status(&rep, &format!("instance[{i}].nras.signature")), (Status::Indeterminate, true));
    }
}

// ---- (g) a bundle whose JWKS (and NRAS) entries are replaced ---------------------------------

fn near_bundle(root: &Path) -> teescan::bundle::Bundle {
    use teescan::bundle::{Bundle, Exchange, NonceSource, Role};
    let r = root.join(NEARDIRECT).join("responses");
    let ex = |file: &str, role: Role| -> Exchange {
        let meta: Value = serde_json::from_slice(&std::fs::read(r.join(file.replace(".body", ".json"))).unwrap()).unwrap();
        let mut headers = Vec::new();
        for (k, vs) in meta["headers"].as_object().unwrap() {
            for v in vs.as_array().unwrap() {
                headers.push((k.clone(), v.as_str().unwrap().to_owned()));
            }
        }
        Exchange {
            role,
            method: meta["method"].as_str().unwrap().to_owned(),
            url: meta["url"].as_str().unwrap().to_owned(),
            request_body: None,
            status: 200,
            headers,
            body: std::fs::read(r.join(file)).unwrap(),
            origin: "network".to_owned(),
        }
    };
    let mut exchanges = vec![ex(REPORT, Role::Attestation)];
    for f in [
        "0002_api.trustedservices.intel.com_tdx_certification_v4_tcb.body",
        "0003_api.trustedservices.intel.com_tdx_certification_v4_qe_identity.body",
        "0004_api.trustedservices.intel.com_sgx_certification_v4_pckcrl.body",
        "0005_certificates.trustedservices.intel.com_intelsgxrootca.der.body",
    ] {
        exchanges.push(ex(f, Role::Pcs));
    }
    exchanges.push(ex(NRAS, Role::NvidiaNras));
    exchanges.push(ex(JWKS, Role::NvidiaJwks));
    Bundle {
        scanned_at: Timestamp::parse_rfc3339(NEAR_AT).unwrap(),
        tool: "teescan test".to_owned(),
        url: "https://qwen35-122b.completions.near.ai".to_owned(),
        provider: "near".to_owned(),
        model: None,
        nonce: hex::decode(NEAR_NONCE).unwrap().try_into().unwrap(),
        nonce_source: NonceSource::Caller,
        tls_leaf: None,
        exchanges,
        failures: Vec::new(),
        policy: Some(std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap()),
        intel_root_sha256: teescan::pki::INTEL_SGX_ROOT_CA_SHA256.to_owned(),
        test_root: false,
        amd_test_ark_sha256: None,
        sigstore_root_sha256: None,
        verdict: None,
    }
}

#[test]
fn bundle_with_its_jwks_entry_replaced_and_hashes_recomputed_fails() {
    let Some(root) = corpus::root() else { return };
    let d = scratch("bundle");
    let file = d.join("bundle.json");
    teescan::bundle::save(&near_bundle(&root), &file).unwrap();
    let scan = |p: &Path| teescan(&["scan".into(), s(p), "--format".into(), "json".into()]);
    // Control: as captured, the NRAS result verifies (the bundle has no TLS certificate, so
    // endpoint.tls fails the verdict; the NRAS checks are what this test is about).
    let r = scan(&file);
    assert_eq!(r.status("bundle.integrity"), "pass");
    assert_eq!(r.status("node.nras.chain"), "pass");
    assert_eq!(r.status("node.nras.signature"), "pass");

    // The adversary edits the bundle: a self-made key (named like NVIDIA's chain) in the JWKS
    // entry, the NRAS entry re-signed with it, and both recorded hashes recomputed.
    let f = Forger::chained(&Validity::default(), false);
    let (body, jwks) = near_forged(&root, &f);
    let mut m: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for x in m["exchanges"].as_array_mut().unwrap() {
        let new = match x["role"].as_str().unwrap() {
            "nvidia_jwks" => &jwks,
            "nvidia_nras" => &body,
            _ => continue,
        };
        x["body"] = json!({"base64": base64::engine::general_purpose::STANDARD.encode(new)});
        x["sha256"] = json!(hex::encode(ring::digest::digest(&ring::digest::SHA256, new)));
    }
    let tampered = d.join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&m).unwrap()).unwrap();
    let r = scan(&tampered);
    assert_eq!(r.status("bundle.integrity"), "pass", "hashes recomputed: integrity cannot catch it");
    assert_eq!(r.status("node.nras.chain"), "fail");
    assert_eq!(r.status("node.nras.signature"), "fail");
    assert_eq!(r.code, 1);
}

// ---- policy: the pin key ---------------------------------------------------------------------

#[test]
fn nras_anchor_pins_in_a_policy_are_typed_and_unknown_keys_stay_errors() {
    let base = "schema = \"teescan.policy/v1\"\nid = \"x\"\nexpires = 2030-01-01T00:00:00Z\n[gpu]\nnras = \"required\"\n";
    let ok = Policy::parse(&format!("{base}nras_anchor_spki_sha256 = [\"{}\"]\n", "ab".repeat(32))).unwrap();
    assert_eq!(ok.gpu.unwrap().nras_anchor_spki_sha256.len(), 1);
    assert!(Policy::parse(&format!("{base}nras_anchor_spki_sha256 = [\"{}\"]\n", "ab".repeat(31))).is_err());
    assert!(Policy::parse(&format!("{base}nras_anchors = [\"{}\"]\n", "ab".repeat(32))).is_err());
}
