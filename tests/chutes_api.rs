//! Chutes' own attestation API (issue #19): the `/chutes/{id}/evidence` + `/e2e/instances/{id}`
//! pair of a real capture, scanned as one provider report; each document alone, the pair without
//! the nonce, and mutations of the pair.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CAPTURE: &str = "providers/teep-captures/chutes_zai-org_glm-5-tee_20260520_021819/responses";
const NONCE: &str = "cda7576dbb7d1ea2852e4a70502723f8d1678fb1ecdb69d6b3224620ac368379";
const AT: &str = "2026-05-20T02:20:00Z";
const TARGET: &str = "9034c7a4-1d18-4628-8ccf-2ce3fd289768";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn teescan(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_teescan"))
        .args(args)
        .arg("--offline")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-empty"))
        .output()
        .expect("run teescan");
    let run = Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() };
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

struct Pair {
    dir: PathBuf,
    evidence: PathBuf,
    instances: PathBuf,
}

fn pair(root: &Path) -> Pair {
    let dir = root.join(CAPTURE);
    Pair {
        evidence: dir.join("0002_api.chutes.ai_chutes_e51e818e-fa63-570d-9f68-49d7d1b4d12f_evidence.body"),
        instances: dir.join("0001_api.chutes.ai_e2e_instances_e51e818e-fa63-570d-9f68-49d7d1b4d12f.body"),
        dir,
    }
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("chutes_api").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json_scan(evidence: &Path, instances: &Path, dir: &Path, nonce: &str, extra: &[&str]) -> (Run, Value) {
    let mut a = vec!["scan".to_owned(), s(evidence), s(instances), "--collateral".to_owned(), s(dir), "--at".to_owned(), AT.to_owned(), "--nonce".to_owned(), nonce.to_owned(), "--format".to_owned(), "json".to_owned()];
    a.extend(extra.iter().map(|x| (*x).to_owned()));
    let r = teescan(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr));
    (r, v)
}

fn status<'a>(v: &'a Value, id: &str) -> &'a str {
    v["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).map_or("absent", |c| c["status"].as_str().unwrap())
}

#[test]
fn chutes_api_pair_is_one_provider_scan_of_every_instance_naming_the_e2e_target() {
    let Some(root) = corpus::root() else { return };
    let p = pair(&root);
    for (a, b) in [(&p.evidence, &p.instances), (&p.instances, &p.evidence)] {
        let (r, v) = json_scan(a, b, &p.dir, NONCE, &[]);
        assert_eq!(v["claims"]["provider"]["format"], "chutes-api", "{}", r.stdout);
        let reason = v["claims"]["provider"]["reason"].as_str().unwrap();
        assert!(reason.contains(&format!("the client encrypts to instance[0] ({TARGET})")), "{reason}");
        let layers = v["claims"]["layers"].as_object().unwrap();
        assert_eq!(layers.len(), 4, "every instance of the evidence document is a layer");
        for i in 0..4 {
            assert_eq!(status(&v, &format!("instance[{i}].binding.report_data")), "pass", "instance[{i}]");
            assert_eq!(status(&v, &format!("instance[{i}].nonce")), "pass", "instance[{i}]");
            for g in 0..8 {
                assert_eq!(status(&v, &format!("instance[{i}].gpu[{g}].report.nonce")), "pass", "instance[{i}].gpu[{g}]: the derived nonce");
                assert_eq!(status(&v, &format!("instance[{i}].gpu[{g}].report.signature")), "pass");
            }
        }
        // The target instance verifies to the Intel root; no check fails. Instances 1 and 2 run
        // on FMSPC b0c06f000000, whose collateral the capture lacks: indeterminate, not a pass.
        assert_eq!(status(&v, "instance[0].tdx.quote.signature"), "pass");
        assert_eq!(status(&v, "instance[0].tdx.tcb.status"), "pass");
        assert_eq!(status(&v, "instance[1].tdx.collateral.available"), "indeterminate");
        let failed: Vec<&str> = v["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "fail").filter_map(|c| c["id"].as_str()).collect();
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(r.code, 3);
    }
}

#[test]
fn the_nras_result_of_the_capture_answers_the_raw_nonce_and_fails() {
    // Chutes' GPUs carry the derived nonce; the capture's NRAS call sent the raw one: supplied
    // evidence that answers no layer's GPUs is a failure, never set aside.
    let Some(root) = corpus::root() else { return };
    let p = pair(&root);
    let nras = p.dir.join("0007_nras.attestation.nvidia.com_v3_attest_gpu.body");
    let jwks = p.dir.join("0008_nras.attestation.nvidia.com_.well-known_jwks.json.body");
    let (r, v) = json_scan(&p.evidence, &p.instances, &p.dir, NONCE, &["--nras", &s(&nras), "--jwks", &s(&jwks)]);
    assert_eq!(status(&v, "nras.applies"), "fail");
    assert_eq!(r.code, 1);
}

#[test]
fn each_chutes_api_document_alone_is_recognised_and_refused_with_what_it_needs() {
    let Some(root) = corpus::root() else { return };
    let p = pair(&root);
    let r = teescan(&["scan", &s(&p.evidence), "--nonce", NONCE]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("/chutes/{id}/evidence document") && r.stderr.contains("/e2e/instances"), "{}", r.stderr);
    assert!(!r.stderr.contains("unknown field"), "{}", r.stderr);
    let r = teescan(&["scan", &s(&p.instances), "--nonce", NONCE]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("/e2e/instances/{id} document: it carries no evidence"), "{}", r.stderr);
    // The pair without the nonce it binds: a usage error, not a guess.
    let r = teescan(&["scan", &s(&p.evidence), &s(&p.instances)]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("--nonce"), "{}", r.stderr);
}

#[test]
fn another_nonce_fails_every_instance_binding() {
    let Some(root) = corpus::root() else { return };
    let p = pair(&root);
    let (r, v) = json_scan(&p.evidence, &p.instances, &p.dir, &NONCE.replace("cda7", "cda8"), &[]);
    assert_eq!(r.code, 1);
    for i in 0..4 {
        assert_eq!(status(&v, &format!("instance[{i}].binding.report_data")), "fail");
    }
}

fn mutated(root: &Path, name: &str, edit: impl Fn(&mut Value, &mut Value)) -> (Run, Value) {
    let p = pair(root);
    let mut ev: Value = serde_json::from_slice(&std::fs::read(&p.evidence).unwrap()).unwrap();
    let mut inst: Value = serde_json::from_slice(&std::fs::read(&p.instances).unwrap()).unwrap();
    edit(&mut ev, &mut inst);
    let d = scratch(name);
    let (e, i) = (d.join("evidence.json"), d.join("instances.json"));
    std::fs::write(&e, serde_json::to_vec(&ev).unwrap()).unwrap();
    std::fs::write(&i, serde_json::to_vec(&inst).unwrap()).unwrap();
    json_scan(&e, &i, &p.dir, NONCE, &[])
}

#[test]
fn swapped_e2e_keys_fail_the_bindings_of_the_instances_they_were_moved_to() {
    let Some(root) = corpus::root() else { return };
    let (r, v) = mutated(&root, "swapped", |_, inst| {
        let a = inst["instances"][0]["e2e_pubkey"].clone();
        inst["instances"][0]["e2e_pubkey"] = inst["instances"][1]["e2e_pubkey"].clone();
        inst["instances"][1]["e2e_pubkey"] = a;
    });
    assert_eq!(r.code, 1);
    assert_eq!(status(&v, "instance[0].binding.report_data"), "fail");
}

#[test]
fn an_e2e_instance_without_evidence_fails_and_evidence_without_a_key_fails() {
    let Some(root) = corpus::root() else { return };
    // The instance the client encrypts to has no quote in the evidence document.
    let (r, v) = mutated(&root, "no-evidence", |ev, _| {
        let items = ev["evidence"].as_array_mut().unwrap();
        let i = items.iter().position(|x| x["instance_id"] == TARGET).unwrap();
        items.remove(i);
    });
    assert_eq!(r.code, 1);
    assert_eq!(status(&v, "instance[3].evidence.missing"), "fail", "{}", r.stdout);
    assert!(v["claims"]["provider"]["reason"].as_str().unwrap().contains(&format!("instance[3] ({TARGET})")));
    // An evidence instance whose e2e key is not in /e2e/instances.
    let (r, v) = mutated(&root, "no-key", |_, inst| {
        inst["instances"].as_array_mut().unwrap().remove(1);
    });
    assert_eq!(r.code, 1);
    let failed: Vec<&str> = v["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "fail").filter_map(|c| c["id"].as_str()).collect();
    assert!(failed.iter().any(|id| id.ends_with(".evidence.missing")), "{failed:?}");
}
