//! Live endpoint scans (`teescan scan https://…`) against a mock provider on 127.0.0.1: HTTPS with
//! a certificate made here, answering attestation requests with TDX quotes minted by the test
//! PKI for the nonce it receives and bound to its own TLS key; a loopback PCCS serving the test
//! PKI's collateral in Intel PCS form. Then the bundle round trip, and fault injection.
//!
//! A NEAR node layer must carry its GPU evidence (`nvidia_payload`). Mocks whose verdict is the
//! point ([`World::start_gpu`]) carry the NEAR capture's 8 real H100 reports, so their scans use
//! that capture's nonce (`--nonce`) and time (`--at`), a loopback NVIDIA replaying its NRAS
//! answer, and a policy waiving RIM/OCSP and requiring NRAS (needs `TEESCAN_CORPUS`). Plumbing
//! tests (random nonce, collateral cache) use a GPU-free mock and assert check by check that
//! only `node.evidence.missing` fails ([`Run::assert_fails_only_for_missing_gpus`]).
//!
//! No internet: every server is on loopback and started by the test.
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

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use replay_server::{Capture, Reply, Request, Server};
use testpki::{MintOptions, TestPki};
use tls_server::{start_tls, TlsIdentity};

// ---------------------------------------------------------------------------------------------
// Running the binary.

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    wall: Duration,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
    fn context(&self) -> String {
        format!("exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{}", self.context());
        self
    }
    /// A GPU-free mock NEAR node: `node.evidence.missing` fails naming `nvidia_payload` (the
    /// verdict is FAIL), and every other required check adds up to `rest` (0 pass, 3
    /// indeterminate, as `Verdict::from_checks` would).
    fn assert_fails_only_for_missing_gpus(&self, rest: i32) -> &Self {
        self.assert_code(1);
        let j = self.json();
        let checks = j["checks"].as_array().expect("checks");
        let missing = checks.iter().find(|c| c["id"] == "node.evidence.missing").unwrap_or_else(|| panic!("no node.evidence.missing\n{}", self.context()));
        assert_eq!(missing["status"], "fail", "{}", self.context());
        assert_eq!(missing["reason"], "missing: nvidia_payload", "{}", self.context());
        let others: Vec<&Value> = checks.iter().filter(|c| c["id"] != "node.evidence.missing" && c["required"] != false).collect();
        assert!(!others.is_empty(), "{}", self.context());
        let status = |s: &str| others.iter().filter(|c| c["status"] == s).map(|c| c["id"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>();
        assert!(status("fail").is_empty(), "other failing checks {:?}\n{}", status("fail"), self.context());
        let undecided = [status("skipped"), status("indeterminate")].concat();
        match rest {
            0 => assert!(undecided.is_empty(), "undecided checks {undecided:?}\n{}", self.context()),
            3 => assert!(!undecided.is_empty(), "no undecided check\n{}", self.context()),
            other => panic!("rest verdict {other}"),
        }
        self
    }
    fn status(&self, id: &str) -> String {
        let j = self.json();
        j["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("no check {id}\n{}", self.context()))
    }
}

fn teescan<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_teescan"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        // Never the user's collateral cache: an empty one of the test run's own.
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-empty"))
        .output()
        .expect("run teescan");
    let run = Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        wall: started.elapsed(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.context());
    run
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("live_scan").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// The mock world: provider (HTTPS) + PCCS (HTTP, loopback).

/// How the mock provider behaves.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    /// Mints a quote for the nonce asked, bound to its own TLS key.
    Honest,
    /// Serves one report minted at start for another nonce (a replay).
    Replay,
    /// Binds a TLS key that is not the one it serves with.
    OtherTlsKey,
    /// Mints fresh quotes, but for a nonce of its own choosing.
    IgnoresNonce,
}

const SIGNING_ADDRESS: [u8; 20] = [0x5a; 20];

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Mint options whose collateral is valid at `at`: issued the day before, next update 29 days
/// after.
fn options_at(report_data: [u8; 64], at: chrono::DateTime<chrono::Utc>) -> MintOptions {
    let issued = rfc3339(at - chrono::Duration::days(1));
    let next = rfc3339(at + chrono::Duration::days(29));
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

fn sha256(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, b).as_ref());
    out
}

/// NEAR node report for `nonce`, attesting TLS fingerprint `fp`, its quote's collateral valid
/// at `at`; with `gpu` as its `nvidia_payload` (none: a GPU-free node, which fails
/// `node.evidence.missing`).
fn near_report(pki: &TestPki, nonce: [u8; 32], fp: [u8; 32], at: chrono::DateTime<chrono::Utc>, gpu: Option<&Value>) -> Vec<u8> {
    let mut bound = SIGNING_ADDRESS.to_vec();
    bound.extend_from_slice(&fp);
    let mut rd = [0u8; 64];
    rd[..32].copy_from_slice(&sha256(&bound));
    rd[32..].copy_from_slice(&nonce);
    let minted = pki.mint(&options_at(rd, at));
    let log = dstack::synthetic(dstack::MOCK_COMPOSE);
    let mut report = json!({
        "signing_address": format!("0x{}", hex::encode(SIGNING_ADDRESS)),
        "signing_algo": "ecdsa",
        "intel_quote": hex::encode(&minted.quote),
        "request_nonce": hex::encode(nonce),
        "tls_cert_fingerprint": hex::encode(fp),
        "event_log": log.event_log,
        "info": log.info,
    });
    if let Some(payload) = gpu {
        report["nvidia_payload"] = payload.clone();
    }
    serde_json::to_vec(&report).expect("json")
}

fn query_param(target: &str, key: &str) -> Option<String> {
    let q = target.split_once('?')?.1;
    q.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v.to_owned()))
}

/// The Intel PCS form of a dcap-qvl collateral JSON: `(path, reply)` for the four requests.
fn pcs_replies(collateral_json: &str) -> Vec<(&'static str, Reply)> {
    let c: Value = serde_json::from_str(collateral_json).expect("collateral json");
    let s = |k: &str| c[k].as_str().unwrap_or_else(|| panic!("collateral lacks {k}")).to_owned();
    let enc = |pem: &str| percent_encoding::utf8_percent_encode(pem, percent_encoding::NON_ALPHANUMERIC).to_string();
    let tcb = format!("{{\"tcbInfo\":{},\"signature\":\"{}\"}}", s("tcb_info"), s("tcb_info_signature"));
    let qe = format!("{{\"enclaveIdentity\":{},\"signature\":\"{}\"}}", s("qe_identity"), s("qe_identity_signature"));
    vec![
        ("/tdx/certification/v4/tcb", Reply::ok(tcb).header("TCB-Info-Issuer-Chain", &enc(&s("tcb_info_issuer_chain")))),
        (
            "/tdx/certification/v4/qe/identity",
            Reply::ok(qe).header("SGX-Enclave-Identity-Issuer-Chain", &enc(&s("qe_identity_issuer_chain"))),
        ),
        (
            "/sgx/certification/v4/pckcrl",
            Reply::ok(hex::decode(s("pck_crl")).expect("hex")).header("SGX-PCK-CRL-Issuer-Chain", &enc(&s("pck_crl_issuer_chain"))),
        ),
        ("/sgx/certification/v4/rootcacrl", Reply::ok(s("root_ca_crl"))),
    ]
}

/// A mock node's GPUs: the NEAR capture's payload, the loopback NVIDIA answering for it, and the
/// policy its scans use.
struct Gpus {
    nvidia: Server,
    policy: PathBuf,
}

/// The policy of GPU-carrying mocks: the 8 H100s appraised by NRAS (RIM/OCSP waived: the capture
/// has none).
const GPU_POLICY: &str = "schema = \"teescan.policy/v1\"\nid = \"live-mock-gpus\"\nexpires = \"2030-01-01T00:00:00Z\"\n\n[gpu]\ncount = 8\narch = { any_of = [\"HOPPER\"] }\nrim = \"waived\"\nocsp = \"waived\"\nnras = \"required\"\n";

struct World {
    provider: Server,
    pcs: Server,
    dir: PathBuf,
    root: PathBuf,
    tls_ca: PathBuf,
    /// The time the collateral is valid at (now, or the NEAR capture's time with GPUs).
    at: chrono::DateTime<chrono::Utc>,
    gpus: Option<Gpus>,
}

impl World {
    /// A GPU-free mock, its collateral valid now (plumbing tests).
    fn start(name: &str, behaviour: Behaviour) -> World {
        World::start_full(name, behaviour, None, |_, _| {}, |_, reply, _| reply)
    }

    /// A mock node carrying the NEAR capture's GPUs (None without the corpus).
    fn start_gpu(name: &str, behaviour: Behaviour) -> Option<World> {
        World::start_gpu_with(name, behaviour, |_, reply, _| reply)
    }

    /// [`World::start_gpu`]; `pcs_fault(path, reply, nth)` may replace each PCS reply (fault
    /// injection).
    fn start_gpu_with(
        name: &str,
        behaviour: Behaviour,
        pcs_fault: impl Fn(&str, Reply, usize) -> Reply + Send + Sync + 'static,
    ) -> Option<World> {
        let root = corpus::root()?;
        Some(World::start_full(name, behaviour, Some(&root), |_, _| {}, pcs_fault))
    }

    /// `gpu_corpus`: carry the NEAR capture's GPUs (from this corpus root). `adjust(options,
    /// at)` changes the mint options of the collateral the PCS serves.
    fn start_full(
        name: &str,
        behaviour: Behaviour,
        gpu_corpus: Option<&Path>,
        adjust: impl Fn(&mut MintOptions, chrono::DateTime<chrono::Utc>),
        pcs_fault: impl Fn(&str, Reply, usize) -> Reply + Send + Sync + 'static,
    ) -> World {
        let dir = scratch(name);
        let (at, payload, gpus) = match gpu_corpus {
            None => (chrono::Utc::now(), None, None),
            Some(root) => {
                let capture: Value = serde_json::from_slice(&corpus::read(root, &format!("{NEARDIRECT}/responses/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body"))).expect("report");
                let policy = dir.join("gpu-policy.toml");
                std::fs::write(&policy, GPU_POLICY).expect("policy");
                let at = chrono::DateTime::parse_from_rfc3339(NEAR_AT).expect("time").with_timezone(&chrono::Utc);
                (at, Some(capture["nvidia_payload"].clone()), Some(Gpus { nvidia: nvidia_replay(root), policy }))
            }
        };
        let pki = Arc::new(TestPki::new());
        let tls = TlsIdentity::new();
        let served_fp = sha256(&tls.spki_der);
        let stale = near_report(&pki, [0x0d; 32], served_fp, at, payload.as_ref());
        let mut collateral_opts = options_at([0; 64], at);
        adjust(&mut collateral_opts, at);
        let minted = pki.mint(&collateral_opts);
        let replies = pcs_replies(&minted.collateral_json);
        let pcs = Server::start(move |path, nth| match replies.iter().find(|(p, _)| *p == path) {
            Some((p, r)) => pcs_fault(p, r.clone(), nth),
            None => Reply::status(404),
        });
        let pki2 = Arc::clone(&pki);
        let provider = start_tls(&tls, move |req: &Request, _| {
            if req.path != "/v1/attestation/report" {
                return Reply::status(404);
            }
            let asked: Option<[u8; 32]> = query_param(&req.target, "nonce").and_then(|n| hex::decode(n).ok()).and_then(|n| n.try_into().ok());
            let Some(asked) = asked else { return Reply::status(400) };
            let gpu = payload.as_ref();
            let body = match behaviour {
                Behaviour::Honest => near_report(&pki2, asked, served_fp, at, gpu),
                Behaviour::Replay => stale.clone(),
                Behaviour::OtherTlsKey => near_report(&pki2, asked, sha256(b"some other key"), at, gpu),
                Behaviour::IgnoresNonce => near_report(&pki2, sha256(&asked), served_fp, at, gpu),
            };
            Reply::ok(body).header("Content-Type", "application/json")
        });
        let root = dir.join("test-root.der");
        std::fs::write(&root, pki.root_der()).expect("root");
        let tls_ca = dir.join("tls-ca.der");
        std::fs::write(&tls_ca, &tls.ca_der).expect("tls ca");
        World { provider, pcs, dir, root, tls_ca, at, gpus }
    }

    /// `teescan scan <provider> --pccs <pcs> --tls-ca … --danger-trust-test-root … --format json EXTRA…`;
    /// with GPUs also `--nonce <capture nonce> --at <capture time> --policy <GPU_POLICY>` and the
    /// loopback NVIDIA's URLs.
    fn scan(&self, extra: &[&OsStr]) -> Run {
        let mut args: Vec<&OsStr> = vec![
            "scan".as_ref(),
            OsStr::new(&self.provider.base),
            "--pccs".as_ref(),
            OsStr::new(&self.pcs.base),
            "--tls-ca".as_ref(),
            self.tls_ca.as_os_str(),
            "--danger-trust-test-root".as_ref(),
            self.root.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ];
        let gpu_args = self.gpu_args();
        args.extend(gpu_args.iter().map(OsStr::new));
        args.extend_from_slice(extra);
        teescan(args)
    }

    /// The flags a scan of this mock's GPUs needs (none without GPUs).
    fn gpu_args(&self) -> Vec<String> {
        let Some(g) = &self.gpus else { return Vec::new() };
        let mut a: Vec<String> = ["--nonce", NEAR_NONCE, "--at", NEAR_AT, "--policy"].iter().map(|s| s.to_string()).collect();
        a.push(g.policy.to_string_lossy().into_owned());
        a.extend(nvidia_flags(&g.nvidia));
        a
    }
}

fn rescan(bundle: &Path, root: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec![
        "scan".as_ref(),
        bundle.as_os_str(),
        "--danger-trust-test-root".as_ref(),
        root.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    teescan(args)
}

fn statuses(j: &Value) -> Vec<(String, String)> {
    j["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["id"].as_str().unwrap_or_default().to_owned(), c["status"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The live scan.

#[test]
fn honest_endpoint_passes_with_fresh_nonce_and_tls_binding() {
    let Some(w) = World::start_gpu("honest", Behaviour::Honest) else { return };
    let run = w.scan(&[]);
    run.assert_code(0);
    let j = run.json();
    assert_eq!(j["verdict"], "pass", "{}", run.context());
    for id in ["endpoint.tls", "node.nonce", "node.binding.report_data", "node.tdx.quote.signature", "node.evidence.missing", "node.policy.gpu.present"] {
        assert_eq!(run.status(id), "pass", "{id}");
    }
    // The nonce (the capture's, for its GPUs) went out in the request.
    assert_eq!(j["claims"]["endpoint"]["nonce"], NEAR_NONCE);
    let asked: Vec<String> = w.provider.received().iter().filter_map(|r| query_param(&r.target, "nonce")).collect();
    assert_eq!(asked, [NEAR_NONCE]);
    eprintln!("live scan against the loopback mock with 8 GPUs: {} ms wall (whole process)", run.wall.as_millis());
}

/// Plumbing (GPU-free mock): a random nonce per scan, sent in the request; the four PCS
/// requests concurrent. Every check but the missing GPU evidence passes.
#[test]
fn live_scan_draws_a_random_nonce_and_fetches_collateral_concurrently() {
    // Each PCS answer takes 300 ms: fetched one after another they would take 1.2 s.
    let w = World::start_full("random_nonce", Behaviour::Honest, None, |_, _| {}, |_, r, _| r.delayed(Duration::from_millis(300)));
    let run = w.scan(&[]);
    run.assert_fails_only_for_missing_gpus(0);
    for id in ["endpoint.tls", "node.nonce", "node.binding.report_data", "node.tdx.quote.signature"] {
        assert_eq!(run.status(id), "pass", "{id}");
    }
    // The nonce was ours, random, and went out in the request.
    let j = run.json();
    let nonce = j["claims"]["endpoint"]["nonce"].as_str().expect("nonce").to_owned();
    assert_eq!(j["claims"]["endpoint"]["nonce_source"], "random");
    let asked: Vec<String> = w.provider.received().iter().filter_map(|r| query_param(&r.target, "nonce")).collect();
    assert_eq!(asked, std::slice::from_ref(&nonce));
    let target = &w.provider.received()[0].target;
    assert!(target.contains("signing_algo=ecdsa") && target.contains("include_tls_fingerprint=true"), "{target}");
    // A second scan draws another nonce.
    let again = w.scan(&[]);
    again.assert_fails_only_for_missing_gpus(0);
    assert_eq!(again.status("node.nonce"), "pass");
    assert_ne!(again.json()["claims"]["endpoint"]["nonce"], nonce.as_str());
    // The PCS was asked for the four pieces of collateral, concurrently.
    assert_eq!(w.pcs.targets().len(), 8);
    assert_eq!(w.pcs.state.max_in_flight.load(Ordering::SeqCst), 4, "the four PCS requests were not concurrent");
    assert!(run.wall < Duration::from_millis(1200), "took {:?}: requests were serialised", run.wall);
    // Without the delay: the wall time of a whole live scan (process start to verdict).
    let quick = World::start("random_nonce_quick", Behaviour::Honest);
    let run = quick.scan(&[]);
    run.assert_fails_only_for_missing_gpus(0);
    eprintln!("live scan against the loopback mock (no GPUs): {} ms wall (whole process)", run.wall.as_millis());
}

/// A node that does not present its GPU evidence never passes, even with no policy asking for
/// GPUs: removing evidence must not improve the verdict.
#[test]
fn live_node_without_gpu_evidence_fails_without_a_policy() {
    let w = World::start("no_gpus", Behaviour::Honest);
    let run = w.scan(&[]);
    run.assert_fails_only_for_missing_gpus(0);
    assert_eq!(run.json()["verdict"], "fail");
}

#[test]
fn replayed_report_fails_freshness() {
    let Some(w) = World::start_gpu("replay", Behaviour::Replay) else { return };
    let run = w.scan(&[]);
    run.assert_code(1);
    assert_eq!(run.status("node.nonce"), "fail");
    // Everything else about the replayed report is genuine.
    assert_eq!(run.status("node.tdx.quote.signature"), "pass");
    assert_eq!(run.status("endpoint.tls"), "pass");
}

#[test]
fn server_with_another_tls_key_than_attested_fails() {
    let Some(w) = World::start_gpu("other_tls_key", Behaviour::OtherTlsKey) else { return };
    let run = w.scan(&[]);
    run.assert_code(1);
    assert_eq!(run.status("endpoint.tls"), "fail");
    assert_eq!(run.status("node.nonce"), "pass");
    let j = run.json();
    let tls = j["checks"].as_array().unwrap().iter().find(|c| c["id"] == "endpoint.tls").unwrap().clone();
    assert_eq!(tls["actual"], hex::encode(sha256(b"some other key")));
    assert_ne!(tls["expected"], tls["actual"]);
}

#[test]
fn server_that_ignores_the_nonce_fails() {
    let Some(w) = World::start_gpu("ignores_nonce", Behaviour::IgnoresNonce) else { return };
    let run = w.scan(&[]);
    run.assert_code(1);
    assert_eq!(run.status("node.nonce"), "fail");
    assert_eq!(run.status("node.binding.report_data"), "pass");
}

#[test]
fn untrusted_tls_certificate_is_indeterminate_not_a_pass() {
    let w = World::start("untrusted_tls", Behaviour::Honest);
    // Without --tls-ca the mock's certificate does not verify: no report, no pass.
    let run = teescan([
        "scan",
        &w.provider.base,
        "--pccs",
        &w.pcs.base,
        "--danger-trust-test-root",
        w.root.to_str().unwrap(),
        "--format",
        "json",
        "--retries",
        "0",
    ]);
    run.assert_code(3);
    assert_eq!(run.status("endpoint.attestation"), "indeterminate");
    assert!(run.stdout.contains("certificate") || run.stdout.contains("connect"), "{}", run.context());
}

#[test]
fn usage_errors_exit_2() {
    for (args, needle) in [
        (vec!["scan", "https://127.0.0.1:1/?nonce=00", "--format", "json"], "nonce"),
        (vec!["scan", "http://example.com/", "--format", "json"], "https"),
        (vec!["scan", "https://127.0.0.1:1/", "--offline"], "--offline"),
        (vec!["scan", "fixtures/testpki/quote.bin", "--save-bundle", "x"], "live"),
    ] {
        let run = teescan(&args);
        assert_eq!(run.code, 2, "{args:?}\n{}", run.context());
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Bundles.

#[test]
fn bundle_round_trip_reaches_the_same_verdict_and_tampering_fails() {
    let Some(w) = World::start_gpu("bundle", Behaviour::Honest) else { return };
    let dir = w.dir.join("bundle-dir");
    let file = w.dir.join("bundle.json");
    let live = w.scan(&["--save-bundle".as_ref(), dir.as_os_str()]);
    live.assert_code(0);
    let live_file = w.scan(&["--save-bundle".as_ref(), file.as_os_str()]);
    live_file.assert_code(0);
    assert!(dir.join("bundle.json").is_file());

    // Re-scan offline (no servers needed: point nothing anywhere), as of the recorded time.
    for (bundle, live) in [(&dir, &live), (&file, &live_file)] {
        let again = rescan(bundle, &w.root, &[]);
        again.assert_code(0);
        let (a, b) = (live.json(), again.json());
        assert_eq!(a["verified_at"], b["verified_at"], "default time is the recorded scan time");
        let mut live_checks = statuses(&a);
        live_checks.retain(|(id, _)| id != "bundle.integrity");
        let mut re_checks = statuses(&b);
        re_checks.retain(|(id, _)| id != "bundle.integrity");
        assert_eq!(live_checks, re_checks);
        assert_eq!(again.status("bundle.integrity"), "pass");
    }

    // Without the test root the bundle does not verify (the root is not taken from the bundle).
    let run = teescan(["scan".as_ref(), dir.as_os_str(), "--format".as_ref(), "json".as_ref()]);
    run.assert_code(1);

    // As of a year later the collateral has expired: not a pass.
    let later = rescan(&dir, &w.root, &["--at", &rfc3339(w.at + chrono::Duration::days(365))]);
    assert_ne!(later.code, 0, "{}", later.context());
    // The report says that the recorded verdict differs from this one (and the same-time
    // re-scans above, which agree with it, say nothing of the kind).
    let warned = |r: &Run| r.json()["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with("the bundle records verdict PASS"));
    assert!(warned(&later), "{}", later.context());
    assert!(!warned(&rescan(&dir, &w.root, &[])));
    assert_eq!(later.json()["claims"]["endpoint"]["url"], live.json()["claims"]["endpoint"]["url"]);

    // One byte of the saved attestation changed: fails (integrity, and the quote's signature).
    let att = std::fs::read_dir(dir.join("exchanges"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-attestation.body"))
        .expect("attestation body");
    let mut body: Value = serde_json::from_slice(&std::fs::read(&att).unwrap()).unwrap();
    let mut quote = hex::decode(body["intel_quote"].as_str().unwrap()).unwrap();
    quote[200] ^= 1; // inside the signed TD report (MRTD)
    body["intel_quote"] = json!(hex::encode(&quote));
    std::fs::write(&att, serde_json::to_vec(&body).unwrap()).unwrap();
    let tampered = rescan(&dir, &w.root, &[]);
    tampered.assert_code(1);
    assert_eq!(tampered.status("bundle.integrity"), "fail");
    assert_eq!(tampered.status("node.tdx.quote.signature"), "fail");
    // The TLS key is still in the altered quote's REPORTDATA, but a quote that does not verify
    // attests nothing: endpoint.tls fails with it.
    assert_eq!(tampered.status("endpoint.tls"), "fail");

    // A single byte flipped anywhere in a body of the single-file bundle never passes.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let exchanges = v["exchanges"].as_array().unwrap().len();
    for i in 0..exchanges {
        let b64 = v["exchanges"][i]["body"]["base64"].as_str().unwrap().to_owned();
        let mut raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &b64).unwrap();
        let mid = raw.len() / 2;
        raw[mid] ^= 0x01;
        let mut w2 = v.clone();
        w2["exchanges"][i]["body"]["base64"] = json!(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &raw));
        let path = w.dir.join(format!("flipped-{i}.json"));
        std::fs::write(&path, serde_json::to_vec(&w2).unwrap()).unwrap();
        let run = rescan(&path, &w.root, &[]);
        assert_eq!(run.code, 1, "exchange {i}: {}", run.context());
    }
    v["format"] = json!("teescan.bundle/v0");
    let path = w.dir.join("wrong-format.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    // Not recognised as a bundle any more, nor as anything else: input error.
    assert_eq!(rescan(&path, &w.root, &[]).code, 2);
}

#[test]
fn bundle_with_unsafe_file_name_is_refused() {
    let dir = scratch("unsafe_bundle");
    let manifest = json!({
        "format": "teescan.bundle/v1", "tool": "x", "scanned_at": "2026-01-01T00:00:00Z",
        "target": {"url": "https://example.com", "provider": "near"},
        "nonce": "00".repeat(32), "nonce_source": "random",
        "exchanges": [{"role": "attestation", "method": "GET", "url": "https://example.com", "status": 200,
                       "headers": [], "body": {"file": "../../etc/passwd"}, "sha256": "00", "origin": "network"}],
        "trust": {"intel_root_sha256": "00", "test_root": false}
    });
    std::fs::write(dir.join("bundle.json"), serde_json::to_vec(&manifest).unwrap()).unwrap();
    let run = teescan(["scan".as_ref(), dir.as_os_str()]);
    run.assert_code(2);
    assert!(run.stderr.contains("unsafe body file name"), "{}", run.context());
}

// ---------------------------------------------------------------------------------------------
// Fault injection: every broken dependency gives indeterminate (exit 3), within the timeout.

fn assert_indeterminate(name: &str, fault: impl Fn(&str, Reply, usize) -> Reply + Send + Sync + 'static, extra: &[&str], needle: &str, max: Duration) {
    let Some(w) = World::start_gpu_with(name, Behaviour::Honest, fault) else { return };
    let mut args: Vec<&OsStr> = extra.iter().map(OsStr::new).collect();
    args.extend([OsStr::new("--retries"), OsStr::new("1")]);
    let run = w.scan(&args);
    run.assert_code(3);
    assert_eq!(run.json()["verdict"], "indeterminate");
    assert_eq!(run.status("node.tdx.collateral.available"), "indeterminate");
    assert!(run.stdout.contains(needle), "{name}: no {needle:?} in\n{}", run.context());
    assert!(run.wall < max, "{name}: took {:?}", run.wall);
}

#[test]
fn pcs_http_500_is_indeterminate() {
    assert_indeterminate("pcs_500", |p, r, _| if p.ends_with("/tcb") { Reply::status(500) } else { r }, &[], "HTTP 500", Duration::from_secs(20));
}

#[test]
fn pcs_timeout_is_indeterminate_within_the_timeout() {
    assert_indeterminate(
        "pcs_timeout",
        |p, r, _| if p.ends_with("/identity") { Reply::hang() } else { r },
        &["--timeout", "1"],
        "timed out",
        // 2 attempts of 1 s plus backoff, plus start-up.
        Duration::from_secs(8),
    );
}

#[test]
fn pcs_slow_beyond_the_timeout_is_indeterminate() {
    assert_indeterminate(
        "pcs_slow",
        |p, r, _| if p.ends_with("/pckcrl") { r.delayed(Duration::from_secs(3)) } else { r },
        &["--timeout", "1"],
        "timed out",
        Duration::from_secs(8),
    );
}

#[test]
fn pcs_truncated_body_is_indeterminate() {
    assert_indeterminate("pcs_truncated", |p, r, _| if p.ends_with("/tcb") { r.truncated(10) } else { r }, &[], "pcs collateral", Duration::from_secs(20));
}

#[test]
fn pcs_garbage_is_indeterminate_with_the_reason() {
    assert_indeterminate(
        "pcs_garbage",
        |p, r, _| if p.ends_with("/tcb") { Reply { body: b"not json".to_vec(), ..r } } else { r },
        &[],
        "malformed",
        Duration::from_secs(20),
    );
}

#[test]
fn pcs_unreachable_is_indeterminate() {
    let Some(w) = World::start_gpu("pcs_unreachable", Behaviour::Honest) else { return };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let dead = format!("http://127.0.0.1:{port}");
    let mut args: Vec<String> = [
        "scan",
        &w.provider.base,
        "--pccs",
        &dead,
        "--tls-ca",
        w.tls_ca.to_str().unwrap(),
        "--danger-trust-test-root",
        w.root.to_str().unwrap(),
        "--format",
        "json",
        "--retries",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(w.gpu_args());
    let run = teescan(&args);
    run.assert_code(3);
    assert!(run.stdout.contains("cannot connect"), "{}", run.context());
}

#[test]
fn pcs_serving_expired_collateral_is_indeterminate() {
    // The PCS answers with a TCB Info whose nextUpdate has passed: unusable now, so the quote
    // cannot be appraised (indeterminate), and the reason names the window.
    let Some(root) = corpus::root() else { return };
    let w = World::start_full(
        "pcs_expired",
        Behaviour::Honest,
        Some(&root),
        |o, at| {
            o.tcb_info_issue = rfc3339(at - chrono::Duration::days(32));
            o.tcb_info_next_update = rfc3339(at - chrono::Duration::days(2));
        },
        |_, r, _| r,
    );
    let run = w.scan(&[]);
    run.assert_code(3);
    assert_eq!(run.status("node.tdx.collateral.available"), "indeterminate");
    assert!(run.stdout.contains("not valid at"), "{}", run.context());
}

// ---------------------------------------------------------------------------------------------
// Every dependency at once, and the fetch path against the offline path on a real capture.

const NEARDIRECT: &str = "providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
const NEAR_AT: &str = "2026-06-29T02:06:40Z";

fn near_capture(root: &Path, stem: &str) -> Capture {
    Capture::load(&root.join(NEARDIRECT).join("responses"), stem)
}

/// A loopback NVIDIA: NRAS and its JWKS replayed from the NEAR capture; the RIM service and OCSP
/// know nothing (404), as the capture has no RIMs or OCSP responses (the policy waives them).
fn nvidia_replay(root: &Path) -> Server {
    let nras = near_capture(root, "0006_nras.attestation.nvidia.com_v3_attest_gpu").reply();
    let jwks = near_capture(root, "0007_nras.attestation.nvidia.com_.well-known_jwks.json").reply();
    Server::start_full(move |req: &Request, _| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v3/attest/gpu") => nras.clone().delayed(Duration::from_millis(50)),
        ("GET", "/.well-known/jwks.json") => jwks.clone().delayed(Duration::from_millis(50)),
        _ => Reply::status(404).delayed(Duration::from_millis(50)),
    })
}

fn nvidia_flags(s: &Server) -> Vec<String> {
    ["--nvidia-rim-url", "--nvidia-ocsp-url", "--nras-url"].iter().flat_map(|f| [f.to_string(), s.base.clone()]).collect()
}

#[test]
fn saved_report_fetch_path_matches_offline_path() {
    let Some(root) = corpus::root() else { return };
    let capture = root.join(NEARDIRECT);
    let responses = capture.join("responses");
    let report = responses.join("0001_qwen35-122b.completions.near.ai_v1_attestation_report.body");
    let common = ["--nonce", NEAR_NONCE, "--at", NEAR_AT, "--policy", "policies/nearai.toml", "--format", "json"];

    let mut offline: Vec<String> = vec!["scan".into(), report.to_string_lossy().into(), "--offline".into()];
    offline.extend(["--collateral".into(), capture.to_string_lossy().into()]);
    offline.extend(["--nras".into(), responses.join("0006_nras.attestation.nvidia.com_v3_attest_gpu.body").to_string_lossy().into()]);
    offline.extend(["--jwks".into(), responses.join("0007_nras.attestation.nvidia.com_.well-known_jwks.json.body").to_string_lossy().into()]);
    offline.extend(common.iter().map(|s| s.to_string()));
    let offline = teescan(&offline);
    offline.assert_code(0);

    let tcb = near_capture(&root, "0002_api.trustedservices.intel.com_tdx_certification_v4_tcb").reply();
    let qe = near_capture(&root, "0003_api.trustedservices.intel.com_tdx_certification_v4_qe_identity").reply();
    let pck = near_capture(&root, "0004_api.trustedservices.intel.com_sgx_certification_v4_pckcrl").reply();
    let root_crl = near_capture(&root, "0005_certificates.trustedservices.intel.com_intelsgxrootca.der").reply();
    let pcs = Server::start(move |path, _| match path {
        "/tdx/certification/v4/tcb" => tcb.clone(),
        "/tdx/certification/v4/qe/identity" => qe.clone(),
        "/sgx/certification/v4/pckcrl" => pck.clone(),
        "/sgx/certification/v4/rootcacrl" => root_crl.clone(),
        _ => Reply::status(404),
    });
    let nvidia = nvidia_replay(&root);
    let mut fetched: Vec<String> = vec!["scan".into(), report.to_string_lossy().into(), "--pccs".into(), pcs.base.clone()];
    fetched.extend(nvidia_flags(&nvidia));
    fetched.extend(common.iter().map(|s| s.to_string()));
    let fetched = teescan(&fetched);
    fetched.assert_code(0);
    assert_eq!(statuses(&offline.json()), statuses(&fetched.json()), "same checks, same outcomes");
    assert_eq!(offline.json()["verdict"], fetched.json()["verdict"]);
    // NRAS was asked with the caller's nonce.
    let nras_request = nvidia.received().into_iter().find(|r| r.path == "/v3/attest/gpu").expect("NRAS request");
    let body: Value = serde_json::from_slice(&nras_request.body).expect("NRAS request JSON");
    assert_eq!(body["nonce"], NEAR_NONCE);
    assert_eq!(pcs.targets().len(), 4);
}

/// A live scan that needs everything: the provider (HTTPS) answers a NEAR node report whose TDX
/// quote is minted for our nonce and TLS key, carrying the 8 real H100 reports of the NEAR
/// capture (so the scan uses that capture's nonce, `--nonce`, and time); Intel PCS, NRAS and the
/// JWKS (and 404ing RIM/OCSP services) on loopback. Prints the wall time and the concurrency.
#[test]
fn live_scan_with_every_dependency() {
    let Some(root) = corpus::root() else { return };
    let capture: Value = serde_json::from_slice(&corpus::read(&root, &format!("{NEARDIRECT}/responses/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body"))).expect("report");
    let payload = capture["nvidia_payload"].clone();
    let at = chrono::DateTime::parse_from_rfc3339(NEAR_AT).unwrap().with_timezone(&chrono::Utc);
    let dir = scratch("every_dependency");
    let pki = Arc::new(TestPki::new());
    let tls = TlsIdentity::new();
    let fp = sha256(&tls.spki_der);
    let log = dstack::synthetic(dstack::MOCK_COMPOSE);
    let (log_rtmr, log_mr_config_id) = (log.rtmr, log.mr_config_id);
    let dated = move |rd: [u8; 64]| MintOptions {
        report_data: rd,
        rtmr: log_rtmr,
        mr_config_id: log_mr_config_id,
        tcb_info_issue: rfc3339(at - chrono::Duration::days(1)),
        tcb_info_next_update: rfc3339(at + chrono::Duration::days(29)),
        qe_identity_issue: rfc3339(at - chrono::Duration::days(1)),
        qe_identity_next_update: rfc3339(at + chrono::Duration::days(29)),
        crl_this_update: rfc3339(at - chrono::Duration::days(1)),
        crl_next_update: rfc3339(at + chrono::Duration::days(29)),
        ..MintOptions::default()
    };
    let replies = pcs_replies(&pki.mint(&dated([0; 64])).collateral_json);
    let pcs = Server::start(move |path, _| match replies.iter().find(|(p, _)| *p == path) {
        Some((_, r)) => r.clone().delayed(Duration::from_millis(50)),
        None => Reply::status(404),
    });
    let nvidia = nvidia_replay(&root);
    let pki2 = Arc::clone(&pki);
    let provider = start_tls(&tls, move |req: &Request, _| {
        let nonce: [u8; 32] = query_param(&req.target, "nonce").and_then(|n| hex::decode(n).ok()).and_then(|n| n.try_into().ok()).unwrap_or([0; 32]);
        let mut bound = SIGNING_ADDRESS.to_vec();
        bound.extend_from_slice(&fp);
        let mut rd = [0u8; 64];
        rd[..32].copy_from_slice(&sha256(&bound));
        rd[32..].copy_from_slice(&nonce);
        let body = json!({
            "signing_address": format!("0x{}", hex::encode(SIGNING_ADDRESS)),
            "signing_algo": "ecdsa",
            "intel_quote": hex::encode(pki2.mint(&dated(rd)).quote),
            "request_nonce": hex::encode(nonce),
            "tls_cert_fingerprint": hex::encode(fp),
            "nvidia_payload": payload,
            "event_log": log.event_log,
            "info": log.info,
        });
        Reply::ok(serde_json::to_vec(&body).unwrap())
    });
    let root_der = dir.join("root.der");
    std::fs::write(&root_der, pki.root_der()).unwrap();
    let ca = dir.join("ca.der");
    std::fs::write(&ca, &tls.ca_der).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "schema = \"teescan.policy/v1\"\nid = \"live-every-dependency\"\nexpires = \"2030-01-01T00:00:00Z\"\n\n[gpu]\ncount = 8\narch = { any_of = [\"HOPPER\"] }\nrim = \"waived\"\nocsp = \"waived\"\nnras = \"required\"\n",
    )
    .unwrap();
    let bundle = dir.join("bundle");
    let mut args: Vec<String> = vec!["scan".into(), provider.base.clone(), "--pccs".into(), pcs.base.clone()];
    args.extend(nvidia_flags(&nvidia));
    for (k, v) in [
        ("--tls-ca", ca.to_string_lossy().into_owned()),
        ("--danger-trust-test-root", root_der.to_string_lossy().into_owned()),
        ("--nonce", NEAR_NONCE.to_owned()),
        ("--at", NEAR_AT.to_owned()),
        ("--policy", policy.to_string_lossy().into_owned()),
        ("--save-bundle", bundle.to_string_lossy().into_owned()),
        ("--format", "json".to_owned()),
    ] {
        args.extend([k.to_owned(), v]);
    }
    let run = teescan(&args);
    run.assert_code(0);
    assert_eq!(run.status("endpoint.tls"), "pass");
    assert_eq!(run.status("node.nonce"), "pass");
    let j = run.json();
    assert!(j["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("chosen by the caller")), "{}", run.context());
    let nvidia_requests = nvidia.received().len();
    let max_nvidia = nvidia.state.max_in_flight.load(Ordering::SeqCst);
    let max_pcs = pcs.state.max_in_flight.load(Ordering::SeqCst);
    assert!(nvidia.received().iter().any(|r| r.path == "/v3/attest/gpu"));
    assert!(nvidia.received().iter().any(|r| r.path == "/.well-known/jwks.json"));
    assert_eq!(max_pcs, 4);
    assert!(max_nvidia >= 8, "NVIDIA requests in flight at once: {max_nvidia}");
    eprintln!(
        "live scan with every dependency: {} ms wall (whole process); 1 attestation + {} PCS + {} NVIDIA requests, at most {} PCS and {} NVIDIA in flight at once (each dependency answer delayed 50 ms)",
        run.wall.as_millis(),
        pcs.targets().len(),
        nvidia_requests,
        max_pcs,
        max_nvidia
    );
    // And the bundle re-verifies to the same verdict offline.
    let again = rescan(&bundle, &root_der, &[]);
    again.assert_code(0);
}

// ---------------------------------------------------------------------------------------------
// The collateral cache.

#[test]
fn cache_serves_collateral_inside_its_window_and_offline() {
    let w = World::start("cache", Behaviour::Honest);
    let cache = w.dir.join("cache");
    let c = ["--cache-dir".as_ref(), cache.as_os_str()];
    // GPU-free mock (the cache is about collateral): every check but the missing GPU evidence.
    w.scan(&c).assert_fails_only_for_missing_gpus(0);
    assert_eq!(w.pcs.targets().len(), 4);
    // The second scan takes its collateral from the cache: no PCS request, and the bundle says so.
    let bundle = w.dir.join("cached-bundle.json");
    let mut args = c.to_vec();
    args.extend(["--save-bundle".as_ref(), bundle.as_os_str()]);
    w.scan(&args).assert_fails_only_for_missing_gpus(0);
    assert_eq!(w.pcs.targets().len(), 4, "collateral was fetched again");
    let b: Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let origins: Vec<&str> = b["exchanges"].as_array().unwrap().iter().filter(|x| x["role"] == "pcs").map(|x| x["origin"].as_str().unwrap()).collect();
    assert_eq!(origins, ["cache"; 4]);

    let status = teescan(["cache".as_ref(), "status".as_ref(), "--cache-dir".as_ref(), cache.as_os_str()]);
    status.assert_code(0);
    assert!(status.stdout.contains("4 entries (4 fresh)"), "{}", status.context());
    for kind in ["tcb_info", "qe_identity", "crl"] {
        assert!(status.stdout.contains(kind), "{}", status.context());
    }

    // A saved report scanned --offline uses only the cache (and the nonce it was asked with).
    let att = b["exchanges"].as_array().unwrap().iter().find(|x| x["role"] == "attestation").unwrap();
    let body = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, att["body"]["base64"].as_str().unwrap()).unwrap();
    let saved = w.dir.join("report.json");
    std::fs::write(&saved, body).unwrap();
    let nonce = b["nonce"].as_str().unwrap().to_owned();
    let offline = |extra: &[&str]| {
        let mut a: Vec<&OsStr> = vec![
            "scan".as_ref(),
            saved.as_os_str(),
            "--offline".as_ref(),
            "--cache-dir".as_ref(),
            cache.as_os_str(),
            // Entries are keyed by URL: the same PCCS as when they were fetched.
            "--pccs".as_ref(),
            OsStr::new(&w.pcs.base),
            "--danger-trust-test-root".as_ref(),
            w.root.as_os_str(),
            "--nonce".as_ref(),
            OsStr::new(&nonce),
            "--format".as_ref(),
            "json".as_ref(),
        ];
        a.extend(extra.iter().map(OsStr::new));
        teescan(a)
    };
    offline(&[]).assert_fails_only_for_missing_gpus(0);
    // Outside the entries' window the cache offers nothing: indeterminate, not a stale pass.
    let later = rfc3339(chrono::Utc::now() + chrono::Duration::days(60));
    let stale = offline(&["--at", &later]);
    stale.assert_fails_only_for_missing_gpus(3);
    assert_eq!(stale.status("node.tdx.collateral.available"), "indeterminate");
    // Cleared, offline has nothing either.
    let clear = teescan(["cache".as_ref(), "clear".as_ref(), "--cache-dir".as_ref(), cache.as_os_str()]);
    clear.assert_code(0);
    assert!(clear.stdout.contains("removed 4 entries"), "{}", clear.context());
    let cleared = offline(&[]);
    cleared.assert_fails_only_for_missing_gpus(3);
    assert_eq!(cleared.status("node.tdx.collateral.available"), "indeterminate");
    assert_eq!(w.pcs.targets().len(), 4, "offline scans used the network");
}

#[test]
fn cache_fetch_prefills_for_offline_use() {
    let w = World::start("cache_fetch", Behaviour::Honest);
    let cache = w.dir.join("cache");
    // Save a report through a live scan without the cache, then prefill the cache for it.
    let bundle = w.dir.join("b.json");
    w.scan(&["--no-cache".as_ref(), "--save-bundle".as_ref(), bundle.as_os_str()]).assert_fails_only_for_missing_gpus(0);
    let b: Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let att = b["exchanges"].as_array().unwrap().iter().find(|x| x["role"] == "attestation").unwrap();
    let saved = w.dir.join("report.json");
    std::fs::write(&saved, base64::Engine::decode(&base64::engine::general_purpose::STANDARD, att["body"]["base64"].as_str().unwrap()).unwrap()).unwrap();
    let run = teescan([
        "cache".as_ref(),
        "fetch".as_ref(),
        saved.as_os_str(),
        "--pccs".as_ref(),
        OsStr::new(&w.pcs.base),
        "--cache-dir".as_ref(),
        cache.as_os_str(),
    ]);
    run.assert_code(0);
    assert!(run.stdout.contains("4 answers"), "{}", run.context());
    let status = teescan(["cache".as_ref(), "status".as_ref(), "--cache-dir".as_ref(), cache.as_os_str()]);
    assert!(status.stdout.contains("4 entries (4 fresh)"), "{}", status.context());
}
