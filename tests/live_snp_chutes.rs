//! Live scans and saved bundles of the evidence kinds beyond one TDX provider report (issues #16,
//! #19): the Tinfoil SEV-SNP router (`/.well-known/tinfoil-attestation` → SNP report, VCEK and
//! `cert_chain` from a loopback AMD KDS, `endpoint.tls` through the tinfoil-v3 binding) and
//! Chutes' API pair (`/chutes/{id}/evidence` + `/e2e/instances/{id}`, `endpoint.e2e`).
//!
//! Every server is on loopback and started here: HTTPS providers with a certificate made here,
//! plain-HTTP KDS / PCS / NVIDIA replaying real captures (needs `TEESCAN_CORPUS`) or serving the
//! test AMD PKI (`support/amd_pki.rs`).
#![cfg(feature = "cli")]

#[path = "support/amd_pki.rs"]
mod amd_pki;
#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/replay_server.rs"]
mod replay_server;
#[path = "support/tls_server.rs"]
mod tls_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{json, Value};

use replay_server::{Capture, Reply, Request, Server};
use teescan::fetch::live::{Endpoint, LiveOptions, Provider};
use teescan::pki::TrustAnchor;
use teescan::report::{Report, Status, Verdict};
use teescan::time::Timestamp;
use teescan::ScanOptions;
use tls_server::{start_tls, TlsIdentity};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("live_snp_chutes").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn sha256(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, b).as_ref());
    out
}

fn query_param(target: &str, key: &str) -> Option<String> {
    let q = target.split_once('?')?.1;
    q.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v.to_owned()))
}

fn status(r: &Report, id: &str) -> Status {
    r.check(id).unwrap_or_else(|| panic!("no check {id}: {:#?}", ids(r))).status
}

fn ids(r: &Report) -> Vec<(String, Status)> {
    r.checks.iter().map(|c| (c.id.clone(), c.status)).collect()
}

fn failing(r: &Report) -> Vec<String> {
    r.checks.iter().filter(|c| c.required && c.status != Status::Pass).map(|c| format!("{} {:?} {:?}", c.id, c.status, c.reason)).collect()
}

fn live_scan(url: &str, provider: Provider, live: &LiveOptions, opts: &ScanOptions) -> teescan::fetch::live::LiveScan {
    let endpoint = Endpoint { url: url.to_owned(), provider, model: None };
    teescan::fetch::gather::scan_live_blocking(&endpoint, live, opts).expect("live scan")
}

fn live_options(tls: &TlsIdentity, kds: &Server, nonce: Option<[u8; 32]>) -> LiveOptions {
    let mut live = LiveOptions { nonce, kds: Some(kds.base.clone()), ..LiveOptions::default() };
    live.add_tls_root(tls.ca_der.clone());
    live
}

// ---------------------------------------------------------------------------------------------
// The Tinfoil SEV-SNP router.

const ROUTER: &str = "providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249";
const ROUTER_NONCE: &str = "229471a8453a3521eac3d6ada9f1d52e42c97a527c3a50d565e999401dfd3e9b";
const ROUTER_AT: &str = "2026-06-29T02:13:00Z";

/// The router's `[snp]` rules of `policies/tinfoil.toml`, alone (its `[provenance]` needs the
/// release's Sigstore bundles, which a live scan does not fetch here).
const ROUTER_POLICY: &str = r#"schema = "teescan.policy/v1"
id = "tinfoil-router-snp"
expires = 2027-03-31T00:00:00Z
[snp]
measurement = { any_of = ["7adcb574b1e22ab579f3c883da3e5b6e632ef06775dd13fdb16850640135a5f63c7eb8741fe340c672edaf241bd1ed7c"] }
product = { any_of = ["Genoa"] }
policy = { value = "0x0000000000030000", mask = "0x00000000001fffff" }
min_tcb = { bl = 10, tee = 0, snp = 23, ucode = 84 }
vmpl = { any_of = [0] }
report_data = { scheme = "tinfoil-v3" }
"#;

/// A loopback KDS replaying the router capture's `cert_chain` and VCEK answers.
fn router_kds(root: &Path) -> Server {
    let dir = root.join(ROUTER).join("responses");
    let chain = Capture::load(&dir, "0002_kdsintf.amd.com_vcek_v1_genoa_cert_chain").reply();
    let vcek = Capture::load(&dir, "0003_kdsintf.amd.com_vcek_v1_genoa_1af1aa6c1f56037a05849a59b8815cf909583f9ba9ef2f0532").reply();
    Server::start_full(move |req: &Request, _| match req.path.as_str() {
        "/vcek/v1/Genoa/cert_chain" => chain.clone(),
        p if p.starts_with("/vcek/v1/Genoa/1af1aa6c") && req.target.contains("blSPL=10&teeSPL=0&snpSPL=23&ucodeSPL=84") => vcek.clone(),
        _ => Reply::status(404),
    })
}

#[test]
fn replayed_tinfoil_router_verifies_and_fails_endpoint_tls_only_for_the_loopback_key() {
    let Some(root) = corpus::root() else { return };
    let body = corpus::read(&root, &format!("{ROUTER}/responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body"));
    let tls = TlsIdentity::new();
    let provider = start_tls(&tls, move |req: &Request, _| {
        if req.path != "/.well-known/tinfoil-attestation" || query_param(&req.target, "nonce").as_deref() != Some(ROUTER_NONCE) {
            return Reply::status(404);
        }
        Reply::ok(body.clone()).header("Content-Type", "application/json")
    });
    let kds = router_kds(&root);
    let nonce: [u8; 32] = hex::decode(ROUTER_NONCE).unwrap().try_into().unwrap();
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(ROUTER_AT).unwrap());
    opts.policy = Some(teescan::policy::Policy::load(ROUTER_POLICY.as_bytes()).unwrap());
    let scan = live_scan(&provider.base, Provider::Tinfoil, &live_options(&tls, &kds, Some(nonce)), &opts);
    let r = &scan.report;
    for id in ["snp.chain.ark", "snp.chain.intermediate", "snp.chain.leaf", "snp.report.signature", "snp.vcek.tcb", "snp.binding.report_data", "snp.nonce"] {
        assert_eq!(status(r, id), Status::Pass, "{id}: {:#?}", ids(r));
    }
    assert!(r.checks.iter().any(|c| c.id.starts_with("policy.snp.") && c.status == Status::Pass), "{:#?}", ids(r));
    // The one failure: the loopback server's TLS key is not the router's attested key.
    assert_eq!(failing(r).len(), 1, "{:#?}", failing(r));
    let tls_check = r.check("endpoint.tls").unwrap();
    assert_eq!(tls_check.status, Status::Fail);
    assert!(tls_check.reason.as_deref().unwrap_or_default().contains("not the attested one"), "{tls_check:?}");
    assert_eq!(tls_check.expected.as_deref(), Some(hex::encode(sha256(&tls.spki_der)).as_str()));
    assert_eq!(tls_check.actual.as_deref(), Some("0b49e7c770bbecedf9b65da503c7781d7c7637ee5f19d7f9d1ecc4067449021a"));
    assert_eq!(r.verdict, Verdict::Fail);
    // The KDS answers are recorded (rescan offline) under their own role.
    let kds_bodies = scan.bundle.exchanges.iter().filter(|x| x.role == teescan::bundle::Role::AmdKds).count();
    assert_eq!(kds_bodies, 2);
    let again = teescan::bundle::rescan(&scan.bundle, &[], opts, "saved").unwrap();
    assert_eq!(ids(&again), ids(r));
}

/// A mock SNP router minted by the test AMD PKI: for each request a Genoa report whose
/// tinfoil-v3 REPORT_DATA binds the server's own TLS key, an HPKE key and the nonce asked; the
/// loopback KDS serves the VCEK of the latest report and the test `cert_chain`. `corrupt`
/// flips a signed byte of the served report (outside REPORT_DATA).
struct SnpMock {
    provider: Server,
    kds: Server,
    tls: TlsIdentity,
    ark: Vec<u8>,
}

fn snp_mock(corrupt: bool) -> SnpMock {
    let tls = TlsIdentity::new();
    let fp = sha256(&tls.spki_der);
    let hpke = [0x11u8; 32];
    let base = amd_pki::Mint::genoa();
    let first = base.mint();
    let chain_pem = format!(
        "{}{}",
        pem::encode(&pem::Pem::new("CERTIFICATE", first.inter.clone())),
        pem::encode(&pem::Pem::new("CERTIFICATE", first.ark.clone()))
    );
    let leaf: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(first.leaf.clone()));
    let leaf_for_provider = Arc::clone(&leaf);
    let provider = start_tls(&tls, move |req: &Request, _| {
        let Some(nonce) = query_param(&req.target, "nonce").and_then(|n| hex::decode(n).ok()).filter(|n| n.len() == 32) else {
            return Reply::status(400);
        };
        let mut m = base.clone();
        let mut bound = fp.to_vec();
        bound.extend_from_slice(&hpke);
        bound.extend_from_slice(&nonce);
        m.report_data = [0u8; 64];
        m.report_data[..32].copy_from_slice(&sha256(&bound));
        let minted = m.mint();
        *leaf_for_provider.lock().unwrap() = minted.leaf.clone();
        let mut report = minted.report;
        if corrupt {
            report[0x90] ^= 1; // MEASUREMENT: signed, not REPORT_DATA
        }
        let doc = json!({
            "format": "https://tinfoil.sh/predicate/attestation/v3",
            "report_data": { "tls_key_fp": hex::encode(fp), "hpke_key": hex::encode(hpke), "nonce": hex::encode(&nonce) },
            "cpu": { "platform": "sev-snp", "report": base64::engine::general_purpose::STANDARD.encode(&report) },
        });
        Reply::ok(serde_json::to_vec(&doc).unwrap()).header("Content-Type", "application/json")
    });
    let kds = Server::start_full(move |req: &Request, _| match req.path.as_str() {
        "/vcek/v1/Genoa/cert_chain" => Reply::ok(chain_pem.clone()),
        p if p.starts_with("/vcek/v1/Genoa/5c5c") => Reply::ok(leaf.lock().unwrap().clone()),
        _ => Reply::status(404),
    });
    SnpMock { provider, kds, tls, ark: first.ark }
}

fn snp_options(ark: &[u8]) -> ScanOptions {
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(amd_pki::AT).unwrap());
    opts.amd_test_ark = Some(TrustAnchor::danger_test_root(ark).unwrap());
    opts
}

#[test]
fn snp_router_bound_to_the_connections_tls_key_passes_live_and_its_bundle_rescans_the_same() {
    let m = snp_mock(false);
    let opts = snp_options(&m.ark);
    // A random nonce of this scan (none given).
    let scan = live_scan(&m.provider.base, Provider::Tinfoil, &live_options(&m.tls, &m.kds, None), &opts);
    let r = &scan.report;
    eprintln!("live SNP scan on loopback: {:?}", scan.stats);
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", failing(r));
    for id in ["endpoint.tls", "snp.report.signature", "snp.binding.report_data", "snp.nonce", "bundle.integrity"] {
        assert_eq!(status(r, id), Status::Pass, "{id}");
    }
    let sent = query_param(&m.provider.received()[0].target, "nonce").unwrap();
    assert_eq!(sent, hex::encode(scan.bundle.nonce));
    assert_eq!(scan.bundle.nonce_source, teescan::bundle::NonceSource::Random);

    // Saved and re-verified offline: the same checks, the same verdict.
    let dir = scratch("snp-bundle");
    teescan::bundle::save(&scan.bundle, &dir).unwrap();
    let again = teescan::bundle::scan_saved(&dir, opts.clone(), false).unwrap();
    assert_eq!(again.verdict, Verdict::Pass, "{:#?}", failing(&again));
    assert_eq!(ids(&again), ids(r));

    // A body changed after the scan: bundle.integrity fails.
    let att = std::fs::read_dir(dir.join("exchanges"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-attestation.body"))
        .unwrap();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&att).unwrap()).unwrap();
    doc["report_data"]["hpke_key"] = json!(hex::encode([0x22u8; 32]));
    std::fs::write(&att, serde_json::to_vec(&doc).unwrap()).unwrap();
    let tampered = teescan::bundle::scan_saved(&dir, opts, false).unwrap();
    assert_eq!(status(&tampered, "bundle.integrity"), Status::Fail);
    assert_eq!(tampered.verdict, Verdict::Fail);
}

#[test]
fn snp_endpoint_tls_fails_when_the_report_binding_the_key_does_not_verify() {
    // REPORT_DATA binds the connection's key, but the report's signature does not verify: the
    // binding is not evidence, so endpoint.tls must not pass.
    let m = snp_mock(true);
    let opts = snp_options(&m.ark);
    let scan = live_scan(&m.provider.base, Provider::Tinfoil, &live_options(&m.tls, &m.kds, None), &opts);
    let r = &scan.report;
    assert_eq!(status(r, "snp.report.signature"), Status::Fail);
    let c = r.check("endpoint.tls").unwrap();
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.reason.as_deref().unwrap_or_default().contains("snp.report.signature"), "{c:?}");
}

#[test]
fn snp_bundle_without_the_kds_answers_is_not_a_pass() {
    let m = snp_mock(false);
    let opts = snp_options(&m.ark);
    let mut scan = live_scan(&m.provider.base, Provider::Tinfoil, &live_options(&m.tls, &m.kds, None), &opts);
    scan.bundle.exchanges.retain(|x| x.role != teescan::bundle::Role::AmdKds);
    let r = teescan::bundle::rescan(&scan.bundle, &[], opts, "stripped").unwrap();
    assert_ne!(r.verdict, Verdict::Pass, "{:#?}", ids(&r));
    assert_ne!(status(&r, "endpoint.tls"), Status::Pass);
}

#[test]
fn bundle_of_a_bare_snp_report_fails_endpoint_tls_instead_of_erroring() {
    // An endpoint answering a bare SEV-SNP report (no format binding a TLS key or the nonce):
    // the provider's evidence fails the scan (exit 1), it is not a usage error.
    let minted = amd_pki::Mint::genoa().mint();
    let tls = TlsIdentity::new();
    let x = |role, url: &str, body: Vec<u8>| teescan::bundle::Exchange {
        role,
        method: "GET".into(),
        url: url.into(),
        request_body: None,
        status: 200,
        headers: Vec::new(),
        body,
        origin: "network".into(),
    };
    let chain = format!(
        "{}{}",
        pem::encode(&pem::Pem::new("CERTIFICATE", minted.inter.clone())),
        pem::encode(&pem::Pem::new("CERTIFICATE", minted.ark.clone()))
    );
    let bundle = teescan::bundle::Bundle {
        scanned_at: Timestamp::parse_rfc3339(amd_pki::AT).unwrap(),
        tool: "test".into(),
        url: "https://127.0.0.1/".into(),
        provider: "tinfoil".into(),
        model: None,
        nonce: [9; 32],
        nonce_source: teescan::bundle::NonceSource::Random,
        tls_leaf: Some(tls.leaf_der.clone()),
        exchanges: vec![
            x(teescan::bundle::Role::Attestation, "https://127.0.0.1/.well-known/tinfoil-attestation", minted.report.clone()),
            x(teescan::bundle::Role::AmdKds, "https://kds/vcek/v1/Genoa/5c5c", minted.leaf.clone()),
            x(teescan::bundle::Role::AmdKds, "https://kds/vcek/v1/Genoa/cert_chain", chain.into_bytes()),
        ],
        failures: Vec::new(),
        policy: None,
        intel_root_sha256: String::new(),
        test_root: false,
        amd_test_ark_sha256: None,
        sigstore_root_sha256: None,
        verdict: None,
    };
    let r = teescan::bundle::rescan(&bundle, &[], snp_options(&minted.ark), "bare").expect("a report, not an input error");
    assert_eq!(status(&r, "snp.report.signature"), Status::Pass);
    let c = r.check("endpoint.tls").unwrap();
    assert_eq!(c.status, Status::Fail);
    assert!(c.reason.as_deref().unwrap_or_default().contains("binds no TLS key"), "{c:?}");
    assert_eq!(r.verdict, Verdict::Fail);
}

// ---------------------------------------------------------------------------------------------
// Chutes' API pair.

const CHUTES: &str = "providers/teep-captures/chutes_zai-org_glm-5-tee_20260520_021819";
const CHUTES_NONCE: &str = "cda7576dbb7d1ea2852e4a70502723f8d1678fb1ecdb69d6b3224620ac368379";
const CHUTES_AT: &str = "2026-05-20T02:20:00Z";
const CHUTE: &str = "e51e818e-fa63-570d-9f68-49d7d1b4d12f";
const TARGET: &str = "9034c7a4-1d18-4628-8ccf-2ce3fd289768";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
    fn status(&self, id: &str) -> String {
        self.json()["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).map_or("absent".to_owned(), |c| c["status"].as_str().unwrap().to_owned())
    }
}

fn teescan(args: &[String]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_teescan"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-empty"))
        .output()
        .expect("run teescan");
    let run = Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn statuses(v: &Value) -> Vec<(String, String)> {
    v["checks"].as_array().unwrap().iter().map(|c| (c["id"].as_str().unwrap().to_owned(), c["status"].as_str().unwrap().to_owned())).collect()
}

/// Loopback Chutes API (HTTPS), Intel PCS and NVIDIA (HTTP) replaying the capture.
struct ChutesWorld {
    api: Server,
    pcs: Server,
    nvidia: Server,
    tls_ca: PathBuf,
    dir: PathBuf,
    capture: PathBuf,
}

fn chutes_world(root: &Path, name: &str) -> ChutesWorld {
    let capture = root.join(CHUTES);
    let responses = capture.join("responses");
    let cap = |stem: &str| Capture::load(&responses, stem).reply();
    let evidence = cap(&format!("0002_api.chutes.ai_chutes_{CHUTE}_evidence"));
    let instances = cap(&format!("0001_api.chutes.ai_e2e_instances_{CHUTE}"));
    let tls = TlsIdentity::new();
    let api = start_tls(&tls, move |req: &Request, _| {
        if req.path == format!("/chutes/{CHUTE}/evidence") && query_param(&req.target, "nonce").as_deref() == Some(CHUTES_NONCE) {
            evidence.clone()
        } else if req.path == format!("/e2e/instances/{CHUTE}") {
            instances.clone()
        } else {
            Reply::status(404)
        }
    });
    let (tcb, qe, pck, root_crl) = (
        cap("0003_api.trustedservices.intel.com_tdx_certification_v4_tcb"),
        cap("0004_api.trustedservices.intel.com_tdx_certification_v4_qe_identity"),
        cap("0005_api.trustedservices.intel.com_sgx_certification_v4_pckcrl"),
        cap("0006_certificates.trustedservices.intel.com_intelsgxrootca.der"),
    );
    let pcs = Server::start(move |path, _| match path {
        "/tdx/certification/v4/tcb" => tcb.clone(),
        "/tdx/certification/v4/qe/identity" => qe.clone(),
        "/sgx/certification/v4/pckcrl" => pck.clone(),
        "/sgx/certification/v4/rootcacrl" => root_crl.clone(),
        _ => Reply::status(404),
    });
    let nvidia = Server::start(|_, _| Reply::status(404));
    let dir = scratch(name);
    let tls_ca = dir.join("tls-ca.der");
    std::fs::write(&tls_ca, &tls.ca_der).unwrap();
    ChutesWorld { api, pcs, nvidia, tls_ca, dir, capture }
}

impl ChutesWorld {
    fn scan(&self, extra: &[&str]) -> Run {
        let mut a: Vec<String> = vec!["scan".into(), format!("{}/chutes/{CHUTE}", self.api.base), "--pccs".into(), self.pcs.base.clone()];
        for f in ["--nvidia-rim-url", "--nvidia-ocsp-url", "--nras-url"] {
            a.extend([f.to_owned(), self.nvidia.base.clone()]);
        }
        a.extend(["--tls-ca".into(), self.tls_ca.to_string_lossy().into_owned(), "--nonce".into(), CHUTES_NONCE.into(), "--at".into(), CHUTES_AT.into(), "--format".into(), "json".into()]);
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        teescan(&a)
    }

    /// The offline scan of the capture's pair (the file path).
    fn file_scan(&self) -> Run {
        let r = self.capture.join("responses");
        teescan(&[
            "scan".into(),
            r.join(format!("0002_api.chutes.ai_chutes_{CHUTE}_evidence.body")).to_string_lossy().into_owned(),
            r.join(format!("0001_api.chutes.ai_e2e_instances_{CHUTE}.body")).to_string_lossy().into_owned(),
            "--collateral".into(),
            self.capture.to_string_lossy().into_owned(),
            "--nonce".into(),
            CHUTES_NONCE.into(),
            "--at".into(),
            CHUTES_AT.into(),
            "--offline".into(),
            "--format".into(),
            "json".into(),
        ])
    }
}

fn rescan(bundle: &Path) -> Run {
    teescan(&["scan".into(), bundle.to_string_lossy().into_owned(), "--format".into(), "json".into()])
}

#[test]
fn live_chutes_pair_verifies_with_endpoint_e2e_and_its_bundle_rescans_the_same() {
    let Some(root) = corpus::root() else { return };
    let w = chutes_world(&root, "chutes-live");
    let bundle = w.dir.join("bundle.json");
    let started = std::time::Instant::now();
    let live = w.scan(&["--save-bundle", &bundle.to_string_lossy()]);
    eprintln!("live Chutes pair scan on loopback (4 instances with their GPUs): {} ms wall (whole process)", started.elapsed().as_millis());
    let j = live.json();
    // Both documents were asked for; the nonce went out with the evidence request.
    let paths: Vec<String> = w.api.received().iter().map(|r| r.path.clone()).collect();
    assert!(paths.contains(&format!("/chutes/{CHUTE}/evidence")) && paths.contains(&format!("/e2e/instances/{CHUTE}")), "{paths:?}");
    assert_eq!(live.status("endpoint.e2e"), "pass", "{}", live.stdout);
    assert_eq!(live.status("endpoint.tls"), "absent");
    assert_eq!(j["claims"]["endpoint"]["channel"], "e2e");
    assert_eq!(j["claims"]["endpoint"]["e2e"]["instance_id"], TARGET);
    assert_eq!(j["claims"]["endpoint"]["e2e"]["layer"], "instance[0]");
    assert_eq!(j["claims"]["endpoint"]["e2e"]["key_sha256"].as_str().unwrap().len(), 64);
    assert!(j["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("TLS to") && w.as_str().unwrap().contains("is not attested")), "{}", live.stdout);
    // Every check the file scan of the same capture makes, with the same outcome (the capture
    // has no RIMs or OCSP responses: indeterminate, as offline), and nothing fails.
    let offline = w.file_scan();
    let mut live_checks = statuses(&j);
    live_checks.retain(|(id, _)| !id.starts_with("bundle.") && !id.starts_with("endpoint."));
    assert_eq!(live_checks, statuses(&offline.json()));
    assert!(statuses(&j).iter().all(|(_, s)| s != "fail"), "{}", live.stdout);
    assert_eq!(live.code, offline.code);
    // Intel PCS asked for the collateral of each FMSPC (4 requests each).
    assert!(!w.pcs.targets().is_empty() && w.pcs.targets().len().is_multiple_of(4), "{:?}", w.pcs.targets());

    // The saved bundle re-verifies offline to the same checks.
    let again = rescan(&bundle);
    assert_eq!(statuses(&again.json()), statuses(&j));
    assert_eq!(again.code, live.code);
}

/// The single-file bundle with one attestation exchange rewritten (its recorded hash updated, as
/// whoever rewrote it would).
fn rewrite(bundle: &Path, out: &Path, edit: impl Fn(&mut Vec<Value>)) {
    let mut v: Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    let mut exchanges = v["exchanges"].as_array().unwrap().clone();
    edit(&mut exchanges);
    v["exchanges"] = json!(exchanges);
    std::fs::write(out, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn body_of(x: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(x["body"]["base64"].as_str().unwrap()).unwrap()
}

fn set_body(x: &mut Value, body: &[u8]) {
    x["body"]["base64"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
    x["sha256"] = json!(hex::encode(sha256(body)));
}

#[test]
fn chutes_bundle_with_the_instances_key_swapped_or_a_document_missing_is_not_a_pass() {
    let Some(root) = corpus::root() else { return };
    let w = chutes_world(&root, "chutes-swap");
    let bundle = w.dir.join("bundle.json");
    let live = w.scan(&["--save-bundle", &bundle.to_string_lossy()]);
    assert_eq!(live.status("endpoint.e2e"), "pass");
    let is_instances = |x: &Value| x["url"].as_str().unwrap().contains("/e2e/instances/");

    // The first instance's key replaced by another (an attacker's) key.
    let swapped = w.dir.join("swapped.json");
    rewrite(&bundle, &swapped, |xs| {
        let x = xs.iter_mut().find(|x| is_instances(x)).unwrap();
        let mut doc: Value = serde_json::from_slice(&body_of(x)).unwrap();
        doc["instances"][0]["e2e_pubkey"] = json!(base64::engine::general_purpose::STANDARD.encode([0x42u8; 1184]));
        set_body(x, &serde_json::to_vec(&doc).unwrap());
    });
    let r = rescan(&swapped);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.status("bundle.integrity"), "pass");
    assert_eq!(r.status("endpoint.e2e"), "fail");
    assert_eq!(r.status("instance[0].binding.report_data"), "fail");

    // The first two instances listed in the other order: the client would encrypt to another
    let reordered = w.dir.join("reordered.json");
    rewrite(&bundle, &reordered, |xs| {
        let x = xs.iter_mut().find(|x| is_instances(x)).unwrap();
        let mut doc: Value = serde_json::from_slice(&body_of(x)).unwrap();
        doc["instances"].as_array_mut().unwrap().swap(0, 1);
        set_body(x, &serde_json::to_vec(&doc).unwrap());
    });
    // instances, whose quote binds its own key: not a failure; the claims name it, and the check
    // waits on that instance's quote (its FMSPC's collateral is not in the capture).
    let r = rescan(&reordered);
    let j = r.json();
    assert_ne!(j["claims"]["endpoint"]["e2e"]["instance_id"], TARGET);
    let layer = j["claims"]["endpoint"]["e2e"]["layer"].as_str().unwrap().to_owned();
    assert_ne!(layer, "instance[0]");
    let e2e = j["checks"].as_array().unwrap().iter().find(|c| c["id"] == "endpoint.e2e").unwrap().clone();
    match (e2e["status"].as_str().unwrap(), r.status(&format!("{layer}.tdx.collateral.available")).as_str()) {
        ("pass", "pass") => {}
        ("indeterminate", "indeterminate") => assert!(e2e["reason"].as_str().unwrap().contains(&format!("{layer}.tdx.collateral.available")), "{e2e}"),
        other => panic!("{other:?}: {e2e}"),
    }

    // The target instance's evidence removed: its key is attested by nothing.
    let unattested = w.dir.join("unattested.json");
    rewrite(&bundle, &unattested, |xs| {
        let x = xs.iter_mut().find(|x| x["role"] == "attestation" && !is_instances(x)).unwrap();
        let mut doc: Value = serde_json::from_slice(&body_of(x)).unwrap();
        doc["evidence"].as_array_mut().unwrap().retain(|e| e["instance_id"] != TARGET);
        set_body(x, &serde_json::to_vec(&doc).unwrap());
    });
    let r = rescan(&unattested);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.status("endpoint.e2e"), "fail");

    // The target's quote altered in a signed byte outside REPORTDATA: the key is still bound by
    // the bytes, but by a quote that does not verify, so endpoint.e2e fails with the reason.
    let forged = w.dir.join("forged.json");
    rewrite(&bundle, &forged, |xs| {
        let x = xs.iter_mut().find(|x| x["role"] == "attestation" && !is_instances(x)).unwrap();
        let mut doc: Value = serde_json::from_slice(&body_of(x)).unwrap();
        let e = doc["evidence"].as_array_mut().unwrap().iter_mut().find(|e| e["instance_id"] == TARGET).unwrap();
        let mut quote = base64::engine::general_purpose::STANDARD.decode(e["quote"].as_str().unwrap()).unwrap();
        quote[200] ^= 1; // MRTD, inside the signed TD report
        e["quote"] = json!(base64::engine::general_purpose::STANDARD.encode(&quote));
        set_body(x, &serde_json::to_vec(&doc).unwrap());
    });
    let r = rescan(&forged);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.status("instance[0].binding.report_data"), "pass");
    assert_eq!(r.status("instance[0].tdx.quote.signature"), "fail");
    let e2e = r.json()["checks"].as_array().unwrap().iter().find(|c| c["id"] == "endpoint.e2e").unwrap().clone();
    assert_eq!(e2e["status"], "fail", "{e2e}");
    assert!(e2e["reason"].as_str().unwrap().contains("instance[0].tdx.quote.signature"), "{e2e}");

    // Either document missing.
    for (name, drop_instances) in [("no-instances.json", true), ("no-evidence.json", false)] {
        let path = w.dir.join(name);
        rewrite(&bundle, &path, |xs| xs.retain(|x| x["role"] != "attestation" || is_instances(x) != drop_instances));
        let r = rescan(&path);
        assert_ne!(r.code, 0, "{name}: {}", r.stdout);
        assert_eq!(r.status("endpoint.attestation"), "fail", "{name}");
    }
}

#[test]
fn live_chutes_scan_whose_instances_request_fails_is_indeterminate_not_a_pass() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join(CHUTES).join("responses");
    let evidence = Capture::load(&dir, &format!("0002_api.chutes.ai_chutes_{CHUTE}_evidence")).reply();
    let tls = TlsIdentity::new();
    let api = start_tls(&tls, move |req: &Request, _| if req.path.ends_with("/evidence") { evidence.clone() } else { Reply::status(503) });
    let unused = Server::start(|_, _| Reply::status(404));
    let mut live = live_options(&tls, &unused, Some(hex::decode(CHUTES_NONCE).unwrap().try_into().unwrap()));
    live.fetch.retries = 0;
    live.skip_gpu_collateral = true;
    live.pccs = Some(unused.base.clone());
    let opts = ScanOptions::new(Timestamp::parse_rfc3339(CHUTES_AT).unwrap());
    let scan = live_scan(&format!("{}/chutes/{CHUTE}", api.base), Provider::Auto, &live, &opts);
    assert_eq!(scan.bundle.provider, "chutes");
    assert_eq!(status(&scan.report, "endpoint.attestation"), Status::Indeterminate, "{:#?}", ids(&scan.report));
    assert_eq!(scan.report.verdict, Verdict::Indeterminate);
}

#[test]
fn chutes_url_forms_are_checked_before_any_request() {
    let nonce = [7u8; 32];
    let ok = |u: &str| teescan::fetch::live::chutes_urls(&reqwest::Url::parse(u).unwrap(), &nonce);
    let (e, i) = ok("https://api.chutes.ai/chutes/abc-1").unwrap();
    assert_eq!(e.as_str(), format!("https://api.chutes.ai/chutes/abc-1/evidence?nonce={}", hex::encode(nonce)));
    assert_eq!(i.as_str(), "https://api.chutes.ai/e2e/instances/abc-1");
    assert!(ok("https://api.chutes.ai/chutes/abc-1/evidence").is_ok());
    for bad in ["https://api.chutes.ai/chutes/", "https://api.chutes.ai/chutes/a/b", "https://api.chutes.ai/other/x", "https://api.chutes.ai/chutes/x?y=1"] {
        assert!(ok(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI on the test AMD PKI: `--danger-trust-test-amd-root`, `--kds-url` on a live scan.

/// `teescan scan` of the mock SNP router (`--provider tinfoil`, KDS on loopback, its TLS CA
/// trusted), with `extra` flags; JSON output.
fn cli_snp_scan(m: &SnpMock, dir: &Path, extra: &[String]) -> Run {
    let ca = dir.join("tls-ca.der");
    std::fs::write(&ca, &m.tls.ca_der).unwrap();
    let mut args: Vec<String> = vec![
        "scan".into(),
        m.provider.base.clone(),
        "--provider".into(),
        "tinfoil".into(),
        "--kds-url".into(),
        m.kds.base.clone(),
        "--tls-ca".into(),
        ca.to_string_lossy().into_owned(),
        "--at".into(),
        amd_pki::AT.into(),
        "--format".into(),
        "json".into(),
    ];
    args.extend_from_slice(extra);
    teescan(&args)
}

#[test]
fn cli_live_snp_scan_under_a_test_amd_root_passes_and_its_bundle_rescans_only_under_the_same_root() {
    let m = snp_mock(false);
    let dir = scratch("cli-amd-root");
    let ark = dir.join("ark.pem");
    std::fs::write(&ark, pem::encode(&pem::Pem::new("CERTIFICATE", m.ark.clone()))).unwrap();
    let ark_flag = ["--danger-trust-test-amd-root".to_owned(), ark.to_string_lossy().into_owned()];
    let bundle = dir.join("bundle");
    let mut extra = ark_flag.to_vec();
    extra.extend(["--save-bundle".to_owned(), bundle.to_string_lossy().into_owned()]);
    let live = cli_snp_scan(&m, &dir, &extra);
    assert_eq!(live.code, 0, "{}{}", live.stdout, live.stderr);
    for id in ["endpoint.tls", "snp.chain.ark", "snp.report.signature", "snp.binding.report_data", "snp.nonce"] {
        assert_eq!(live.status(id), "pass", "{id}: {}", live.stdout);
    }
    // Loud: a warning on stderr, the test ARK named in the report.
    assert!(live.stderr.contains("TEST AMD root"), "{}", live.stderr);
    let ark_sha = hex::encode(sha256(&m.ark));
    assert!(live.stdout.contains(&ark_sha), "the report names the test ARK: {}", live.stdout);
    // --kds-url reached the live scan: the VCEK and cert_chain came from the loopback KDS.
    assert_eq!(m.kds.hits("/vcek/v1/Genoa/cert_chain"), 1, "{:?}", m.kds.targets());
    assert!(m.kds.targets().iter().any(|t| t.starts_with("/vcek/v1/Genoa/5c5c")), "{:?}", m.kds.targets());
    // The manifest records the test ARK.
    let manifest: Value = serde_json::from_slice(&std::fs::read(bundle.join("bundle.json")).unwrap()).unwrap();
    assert_eq!(manifest["trust"]["amd_test_ark_sha256"], json!(ark_sha), "{manifest:#}");

    // Rescanned with the same root: the same checks, exit 0.
    let mut again_args = vec!["scan".to_owned(), bundle.to_string_lossy().into_owned(), "--format".into(), "json".into()];
    again_args.extend(ark_flag.iter().cloned());
    let again = teescan(&again_args);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert_eq!(statuses(&again.json()), statuses(&live.json()));
    // Without it: checked against the pinned AMD roots, never a pass, and it says why.
    let pinned = rescan(&bundle);
    assert_ne!(pinned.code, 0, "{}", pinned.stdout);
    assert!(pinned.stdout.contains("made with a TEST AMD root"), "{}", pinned.stdout);
    // Under another test root: not a pass either.
    let other = amd_pki::Mint::genoa().mint();
    let other_ark = dir.join("other-ark.der");
    std::fs::write(&other_ark, &other.ark).unwrap();
    let swapped = teescan(&["scan".into(), bundle.to_string_lossy().into_owned(), "--format".into(), "json".into(), "--danger-trust-test-amd-root".into(), other_ark.to_string_lossy().into_owned()]);
    assert_ne!(swapped.code, 0, "{}", swapped.stdout);
    assert!(swapped.stdout.contains("another TEST AMD root"), "{}", swapped.stdout);

    // The live scan without the flag: the test chain does not reach a pinned ARK.
    let m2 = snp_mock(false);
    let plain = cli_snp_scan(&m2, &dir, &[]);
    assert_ne!(plain.code, 0, "{}", plain.stdout);
    assert_ne!(plain.code, 2, "{}", plain.stderr);
}

// ---------------------------------------------------------------------------------------------
// The real router capture, live on loopback, under the shipped Tinfoil policy.

/// A loopback GitHub proxy replaying the router capture's release answers (latest release, its
/// digest file, the attestations answer holding the Sigstore bundle).
fn router_github(root: &Path) -> Server {
    let dir = root.join(ROUTER).join("responses");
    let latest = Capture::load(&dir, "0004_github-proxy.tinfoil.sh_repos_tinfoilsh_confidential-model-router_releases_lates").reply();
    let hash = Capture::load(&dir, "0005_github-proxy.tinfoil.sh_tinfoilsh_confidential-model-router_releases_download_v0").reply();
    let att = Capture::load(&dir, "0006_github-proxy.tinfoil.sh_repos_tinfoilsh_confidential-model-router_attestations_s").reply();
    Server::start_full(move |req: &Request, _| match req.path.as_str() {
        "/repos/tinfoilsh/confidential-model-router/releases/latest" => latest.clone(),
        "/tinfoilsh/confidential-model-router/releases/download/v0.0.110/tinfoil.hash" => hash.clone(),
        "/repos/tinfoilsh/confidential-model-router/attestations/sha256:59239f442bcc5814c5981c1d424e25ab190784c6d3162b76fa90bbce88a4e4c9" => att.clone(),
        _ => Reply::status(404),
    })
}

/// The checks of a JSON report that are neither passed nor skipped.
fn not_passed(v: &Value) -> Vec<(String, String)> {
    statuses(v).into_iter().filter(|(_, s)| s != "pass" && s != "skipped").collect()
}

#[test]
fn live_replay_of_the_real_router_passes_the_shipped_tinfoil_policy_except_endpoint_tls() {
    let Some(root) = corpus::root() else { return };
    let body = corpus::read(&root, &format!("{ROUTER}/responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body"));
    let tls = TlsIdentity::new();
    let provider = start_tls(&tls, move |req: &Request, _| {
        if req.path != "/.well-known/tinfoil-attestation" || query_param(&req.target, "nonce").as_deref() != Some(ROUTER_NONCE) {
            return Reply::status(404);
        }
        Reply::ok(body.clone()).header("Content-Type", "application/json")
    });
    let (kds, github) = (router_kds(&root), router_github(&root));
    let dir = scratch("router-live-policy");
    let ca = dir.join("tls-ca.der");
    std::fs::write(&ca, &tls.ca_der).unwrap();
    let bundle = dir.join("bundle");
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml");
    let p = |x: &Path| x.to_string_lossy().into_owned();
    let live = teescan(&[
        "scan".into(), provider.base.clone(), "--provider".into(), "tinfoil".into(), "--nonce".into(), ROUTER_NONCE.into(),
        "--at".into(), ROUTER_AT.into(), "--kds-url".into(), kds.base.clone(), "--github-url".into(), github.base.clone(),
        "--tls-ca".into(), p(&ca), "--policy".into(), p(&policy), "--save-bundle".into(), p(&bundle), "--no-cache".into(),
        "--format".into(), "json".into(),
    ]);
    let j = live.json();
    // Everything the router's evidence, the KDS chain and the release's Sigstore bundle can show
    // passes; the one failure is the loopback server's TLS key, which is not the router's.
    assert_eq!(not_passed(&j), vec![("endpoint.tls".to_owned(), "fail".to_owned())], "{}", live.stdout);
    assert_eq!(live.code, 1);
    for id in ["snp.report.signature", "snp.binding.report_data", "snp.nonce", "provenance.source[2].snp_measurement"] {
        assert_eq!(live.status(id), "pass", "{id}: {}", live.stdout);
    }
    // Nothing went to AMD or GitHub: KDS and the proxy answered on loopback.
    assert_eq!(kds.hits("/vcek/v1/Genoa/cert_chain"), 1, "{:?}", kds.targets());
    assert!(!github.targets().is_empty());
    // The saved bundle rescans to the same checks (under the policy it recorded).
    let again = rescan(&bundle);
    assert_eq!(statuses(&again.json()), statuses(&j), "{}", again.stdout);
    assert_eq!(again.code, live.code);

    // The manifest records the Sigstore root the provenance was verified against; a rescan
    // under another root says the bundle was recorded under another one.
    let manifest: Value = serde_json::from_slice(&std::fs::read(bundle.join("bundle.json")).unwrap()).unwrap();
    assert_eq!(manifest["trust"]["sigstore_root_sha256"], json!(teescan::pki::sigstore::PUBLIC_GOOD_TRUSTED_ROOT_SHA256));
    let other = dir.join("other_trusted_root.json");
    std::fs::write(&other, format!("{}\n", teescan::pki::sigstore::PUBLIC_GOOD_TRUSTED_ROOT_JSON)).unwrap();
    let swapped = teescan(&["scan".into(), p(&bundle), "--policy".into(), p(&policy), "--sigstore-trusted-root".into(), p(&other), "--format".into(), "json".into()]);
    assert!(swapped.stdout.contains("recorded under another Sigstore trusted root"), "{}{}", swapped.stdout, swapped.stderr);
    let same = teescan(&["scan".into(), p(&bundle), "--policy".into(), p(&policy), "--format".into(), "json".into()]);
    assert!(!same.stdout.contains("another Sigstore trusted root"), "{}", same.stdout);
}
