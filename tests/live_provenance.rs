//! Live scans record `[provenance]`: a live scan (`teescan scan https://…`) of a loopback mock
//! NEAR node with a policy naming a Sigstore publisher also fetches the release's GitHub
//! attestations answer (the real Tinfoil gemma4 capture's, replayed on loopback via
//! `--github-url`) and saves it in the bundle as a `provenance` exchange; the saved bundle
//! re-verifies offline with the same provenance results; removing or tampering with that
//! exchange fails. (The mock's registers are not Tinfoil's, so the register comparisons fail
//! in every run alike; what is compared is the bundle, identity and statement checks.)
#![cfg(feature = "cli")]

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/dstack.rs"]
mod dstack;
#[path = "support/replay_server.rs"]
mod replay_server;
#[path = "support/testpki.rs"]
mod testpki;
#[path = "support/tls_server.rs"]
mod tls_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use serde_json::{json, Value};

use replay_server::{Reply, Request, Server};
use testpki::{MintOptions, TestPki};
use tls_server::{start_tls, TlsIdentity};

const ADDRESS: [u8; 20] = [0x5a; 20];
const GEMMA_ATTESTATIONS: &str = "/repos/tinfoilsh/confidential-gemma4-31b/attestations/sha256:c387c254054c0d74662a26ff6ee767649196b07d35694f54edd7601a7729bd85";
const POLICY: &str = r#"schema = "teescan.policy/v1"
id = "live-provenance"
expires = "2030-01-01T00:00:00Z"

[tdx.td]
allow_debug = false

[[provenance.source]]
name = "release"
issuer = "https://token.actions.githubusercontent.com"
repository = "tinfoilsh/confidential-gemma4-31b"
ref_prefix = "refs/tags/"
predicate_type = "https://tinfoil.sh/predicate/snp-tdx-multiplatform/v1"
measurements = ["rtmr1", "rtmr2"]
"#;
const SOURCE: [&str; 3] = ["node.provenance.source[0].bundle", "node.provenance.source[0].identity", "node.provenance.source[0].statement"];

fn sha256(b: &[u8]) -> [u8; 32] {
    teescan::crypto::sha256(b)
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn options_at(report_data: [u8; 64], at: chrono::DateTime<chrono::Utc>) -> MintOptions {
    let (issued, next) = (rfc3339(at - chrono::Duration::days(1)), rfc3339(at + chrono::Duration::days(29)));
    let log = dstack::synthetic(dstack::MOCK_COMPOSE);
    MintOptions {
        report_data,
        rtmr: log.rtmr,
        mr_config_id: log.mr_config_id,
        tcb_info_issue: issued.clone(),
        tcb_info_next_update: next.clone(),
        qe_identity_issue: issued.clone(),
        qe_identity_next_update: next.clone(),
        crl_this_update: issued,
        crl_next_update: next,
        ..MintOptions::default()
    }
}

/// A GPU-free NEAR node report for `nonce`, bound to TLS fingerprint `fp`.
fn near_report(pki: &TestPki, nonce: [u8; 32], fp: [u8; 32], at: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    let mut rd = [0u8; 64];
    rd[..32].copy_from_slice(&sha256(&[&ADDRESS[..], &fp].concat()));
    rd[32..].copy_from_slice(&nonce);
    let log = dstack::synthetic(dstack::MOCK_COMPOSE);
    serde_json::to_vec(&json!({
        "signing_address": format!("0x{}", hex::encode(ADDRESS)),
        "signing_algo": "ecdsa",
        "intel_quote": hex::encode(pki.mint(&options_at(rd, at)).quote),
        "request_nonce": hex::encode(nonce),
        "tls_cert_fingerprint": hex::encode(fp),
        "event_log": log.event_log,
        "info": log.info,
    }))
    .unwrap()
}

fn pcs_replies(collateral_json: &str) -> Vec<(&'static str, Reply)> {
    let c: Value = serde_json::from_str(collateral_json).unwrap();
    let s = |k: &str| c[k].as_str().unwrap().to_owned();
    let enc = |pem: &str| percent_encoding::utf8_percent_encode(pem, percent_encoding::NON_ALPHANUMERIC).to_string();
    vec![
        ("/tdx/certification/v4/tcb", Reply::ok(format!("{{\"tcbInfo\":{},\"signature\":\"{}\"}}", s("tcb_info"), s("tcb_info_signature"))).header("TCB-Info-Issuer-Chain", &enc(&s("tcb_info_issuer_chain")))),
        ("/tdx/certification/v4/qe/identity", Reply::ok(format!("{{\"enclaveIdentity\":{},\"signature\":\"{}\"}}", s("qe_identity"), s("qe_identity_signature"))).header("SGX-Enclave-Identity-Issuer-Chain", &enc(&s("qe_identity_issuer_chain")))),
        ("/sgx/certification/v4/pckcrl", Reply::ok(hex::decode(s("pck_crl")).unwrap()).header("SGX-PCK-CRL-Issuer-Chain", &enc(&s("pck_crl_issuer_chain")))),
        ("/sgx/certification/v4/rootcacrl", Reply::ok(s("root_ca_crl"))),
    ]
}

fn capture_body(root: &Path, needle: &str) -> Vec<u8> {
    let dir = root.join("providers/teep-captures/tinfoil_v3_direct_gemma4-31b_20260629_021304/responses");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "body") && p.to_string_lossy().contains(needle)).collect();
    files.sort();
    std::fs::read(&files[0]).unwrap()
}

struct World {
    provider: Server,
    pcs: Server,
    github: Server,
    dir: PathBuf,
    root: PathBuf,
    tls_ca: PathBuf,
    policy: PathBuf,
}

fn world(root: &Path, name: &str) -> World {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("live_provenance").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let at = chrono::Utc::now();
    let pki = Arc::new(TestPki::new());
    let tls = TlsIdentity::new();
    let fp = sha256(&tls.spki_der);
    let replies = pcs_replies(&pki.mint(&options_at([0; 64], at)).collateral_json);
    let pcs = Server::start(move |path, _| replies.iter().find(|(p, _)| *p == path).map_or_else(|| Reply::status(404), |(_, r)| r.clone()));
    let pki2 = Arc::clone(&pki);
    let provider = start_tls(&tls, move |req: &Request, _| {
        let nonce: Option<[u8; 32]> = req.target.split_once("nonce=").and_then(|(_, n)| hex::decode(n.split('&').next()?).ok()).and_then(|n| n.try_into().ok());
        match (req.path.as_str(), nonce) {
            ("/v1/attestation/report", Some(n)) => Reply::ok(near_report(&pki2, n, fp, at)).header("Content-Type", "application/json"),
            _ => Reply::status(404),
        }
    });
    let (latest, hash, att) = (capture_body(root, "gemma4-31b_releases_latest"), capture_body(root, "gemma4-31b_releases_download"), capture_body(root, "gemma4-31b_attestations"));
    let github = Server::start(move |path, _| match path {
        "/repos/tinfoilsh/confidential-gemma4-31b/releases/latest" => Reply::ok(latest.clone()),
        "/tinfoilsh/confidential-gemma4-31b/releases/download/v0.0.18/tinfoil.hash" => Reply::ok(hash.clone()),
        p if p == GEMMA_ATTESTATIONS => Reply::ok(att.clone()),
        _ => Reply::status(404),
    });
    let (root_der, tls_ca, policy) = (dir.join("test-root.der"), dir.join("tls-ca.der"), dir.join("policy.toml"));
    std::fs::write(&root_der, pki.root_der()).unwrap();
    std::fs::write(&tls_ca, &tls.ca_der).unwrap();
    std::fs::write(&policy, POLICY).unwrap();
    World { provider, pcs, github, dir, root: root_der, tls_ca, policy }
}

fn teescan(args: &[String]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_teescan"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-empty"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), stderr)
}

fn status(j: &Value, id: &str) -> String {
    j["checks"].as_array().and_then(|cs| cs.iter().find(|c| c["id"] == id)).map_or_else(|| "absent".to_owned(), |c| c["status"].as_str().unwrap_or_default().to_owned())
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn rescan(w: &World, bundle: &Path) -> (i32, Value, String) {
    teescan(&["scan".into(), s(bundle), "--danger-trust-test-root".into(), s(&w.root), "--policy".into(), s(&w.policy), "--format".into(), "json".into()])
}

#[test]
fn a_live_scan_saves_the_provenance_answers_and_its_bundle_reverifies_offline_and_fails_without_them() {
    let Some(root) = corpus::root() else { return };
    let w = world(&root, "roundtrip");
    let bundle = w.dir.join("bundle.json");
    let (code, live, stderr) = teescan(&[
        "scan".into(), w.provider.base.clone(), "--pccs".into(), w.pcs.base.clone(), "--tls-ca".into(), s(&w.tls_ca),
        "--danger-trust-test-root".into(), s(&w.root), "--policy".into(), s(&w.policy), "--github-url".into(), w.github.base.clone(),
        "--save-bundle".into(), s(&bundle), "--no-cache".into(), "--format".into(), "json".into(),
    ]);
    assert_ne!(live, Value::Null, "exit {code}: {stderr}");
    assert_eq!(w.github.hits(GEMMA_ATTESTATIONS), 1, "{:?} {} {stderr}", w.github.targets(), live["warnings"]);
    for id in SOURCE {
        assert_eq!(status(&live, id), "pass", "{id}: {}", live["checks"]);
    }
    // The bundle holds the attestations answer as a `provenance` exchange.
    let saved: Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let text = saved.to_string();
    assert!(text.contains("\"provenance\"") && text.contains(GEMMA_ATTESTATIONS), "no provenance exchange saved");
    // Offline re-verification: the same verdict and the same provenance results.
    let (again_code, again, _) = rescan(&w, &bundle);
    assert_eq!(again_code, code);
    assert_eq!(again["verdict"], live["verdict"]);
    for id in SOURCE {
        assert_eq!(status(&again, id), "pass", "{id}");
    }
    assert_eq!(status(&again, "bundle.integrity"), "pass");
    // Removing the provenance exchange: the source has no bundle any more.
    let mut removed = saved.clone();
    let key = "exchanges";
    let list = removed[key].as_array_mut().unwrap();
    let before = list.len();
    list.retain(|x| x["role"] != "provenance");
    assert_eq!(list.len(), before - 1);
    let removed_path = w.dir.join("removed.json");
    std::fs::write(&removed_path, serde_json::to_vec(&removed).unwrap()).unwrap();
    let (rc, r, _) = rescan(&w, &removed_path);
    assert_eq!(rc, 1);
    assert_eq!(status(&r, "node.provenance.source[0].bundle"), "fail");
    // Swapping its body (another repository's signed answer): integrity fails.
    let mut swapped = saved.clone();
    let x = swapped[key].as_array_mut().unwrap().iter_mut().find(|x| x["role"] == "provenance").unwrap();
    let other = capture_body(&root, "hardware-measurements_attestations");
    x["body"]["base64"] = Value::String(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &other));
    let swapped_path = w.dir.join("swapped.json");
    std::fs::write(&swapped_path, serde_json::to_vec(&swapped).unwrap()).unwrap();
    let (sc, sj, serr) = rescan(&w, &swapped_path);
    assert_eq!(sc, 1, "{serr}");
    assert_eq!(status(&sj, "bundle.integrity"), "fail");
    assert_eq!(status(&sj, "node.provenance.source[0].bundle"), "fail");
}
