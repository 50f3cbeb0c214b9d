//! `teescan scan` fetches `[provenance]` bundles and takes an auditor's Sigstore trust root:
//! the real Tinfoil gemma4 capture scanned through the CLI binary with `policies/tinfoil.toml`,
//! its Intel/NVIDIA collateral from files, and its GitHub answers replayed on loopback
//! (`--github-url`), or Sigstore bundles minted by the test root (`--sigstore-trusted-root`).
#![cfg(feature = "fetch")]

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/replay_server.rs"]
mod replay_server;
#[path = "support/sigstore_pki.rs"]
mod sigstore_pki;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use replay_server::{Reply, Server};
use serde_json::Value;
use sigstore_pki::{SigstorePki, Spec};

const AT: &str = "2026-06-29T02:13:30Z";
const CAPTURE: &str = "providers/teep-captures/tinfoil_v3_direct_gemma4-31b_20260629_021304";
const GEMMA: &str = "tinfoilsh/confidential-gemma4-31b";
const HARDWARE: &str = "tinfoilsh/hardware-measurements";

struct Out {
    code: i32,
    json: Value,
    stderr: String,
}

fn body(root: &Path, needle: &str) -> PathBuf {
    let dir = root.join(CAPTURE).join("responses");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "body") && p.to_string_lossy().contains(needle))
        .collect();
    files.sort();
    files.into_iter().next().unwrap_or_else(|| panic!("{needle}"))
}

fn nonce(root: &Path) -> String {
    let m: Value = serde_json::from_slice(&std::fs::read(root.join(CAPTURE).join("manifest.json")).unwrap()).unwrap();
    m["nonce_hex"].as_str().unwrap().to_owned()
}

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("provenance-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A loopback base URL nobody answers on.
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

/// `teescan scan` of the gemma4 provider report with tinfoil.toml and the capture's Intel
/// collateral and NRAS answer as files (never its GitHub answers), plus `extra`.
fn scan(root: &Path, extra: &[String]) -> Out {
    let mut args: Vec<String> = vec![
        "scan".into(),
        body(root, "tinfoil-attestation").display().to_string(),
        "--collateral".into(),
        root.join("tdx/derived/teep/tinfoil_v3_direct_gemma4-31b_20260629_021304/collateral.json").display().to_string(),
        "--nras".into(),
        body(root, "v3_attest_gpu").display().to_string(),
        "--jwks".into(),
        body(root, "jwks").display().to_string(),
        "--nonce".into(),
        nonce(root),
        "--at".into(),
        AT.into(),
        "--policy".into(),
        "policies/tinfoil.toml".into(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(extra.iter().cloned());
    let out = Command::new(env!("CARGO_BIN_EXE_teescan"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", tmp("xdg"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    Out { code: out.status.code().unwrap(), json: serde_json::from_str(&stdout).unwrap_or(Value::Null), stderr }
}

fn failing(o: &Out) -> Vec<String> {
    o.json["checks"]
        .as_array()
        .map(|cs| cs.iter().filter(|c| c["required"] == true && c["status"] != "pass").map(|c| format!("{} {}", c["id"], c["status"])).collect())
        .unwrap_or_default()
}

fn status(o: &Out, id: &str) -> String {
    o.json["checks"].as_array().and_then(|cs| cs.iter().find(|c| c["id"] == id)).map(|c| c["status"].as_str().unwrap_or_default().to_owned()).unwrap_or_else(|| "absent".into())
}

/// The capture's github-proxy answers on loopback; `gemma_attestations` overrides the gemma4
/// one; while `down` is set every request fails (503), as a stopped server would.
fn github_down(root: &Path, gemma_attestations: Option<Vec<u8>>, down: Arc<AtomicBool>) -> Server {
    let read = |n: &str| std::fs::read(body(root, n)).unwrap();
    let (gl, gh, ga) = (read("confidential-gemma4-31b_releases_latest"), read("confidential-gemma4-31b_releases_download"), read("confidential-gemma4-31b_attestations"));
    let (hl, hh, ha) = (read("hardware-measurements_releases_latest"), read("hardware-measurements_releases_download"), read("hardware-measurements_attestations"));
    let ga = gemma_attestations.unwrap_or(ga);
    Server::start(move |path, _| match path {
        _ if down.load(Ordering::SeqCst) => Reply::status(503),
        "/repos/tinfoilsh/confidential-gemma4-31b/releases/latest" => Reply::ok(gl.clone()),
        "/tinfoilsh/confidential-gemma4-31b/releases/download/v0.0.18/tinfoil.hash" => Reply::ok(gh.clone()),
        "/repos/tinfoilsh/confidential-gemma4-31b/attestations/sha256:c387c254054c0d74662a26ff6ee767649196b07d35694f54edd7601a7729bd85" => Reply::ok(ga.clone()),
        "/repos/tinfoilsh/hardware-measurements/releases/latest" => Reply::ok(hl.clone()),
        "/tinfoilsh/hardware-measurements/releases/download/v0.0.35/tinfoil.hash" => Reply::ok(hh.clone()),
        "/repos/tinfoilsh/hardware-measurements/attestations/sha256:92c6b94f64e6867989d758b1c3682d1bbd775b3fc4cee5936c50c98dfc8f5e3e" => Reply::ok(ha.clone()),
        _ => Reply::status(404),
    })
}

fn github(root: &Path, gemma_attestations: Option<Vec<u8>>) -> Server {
    github_down(root, gemma_attestations, Arc::default())
}

fn net_flags(github: &str, cache: &Path) -> Vec<String> {
    // NVIDIA RIM/OCSP requests go to the same loopback server (404: tinfoil.toml waives them).
    ["--github-url", github, "--nvidia-rim-url", github, "--nvidia-ocsp-url", github, "--cache-dir", &cache.display().to_string(), "--timeout", "5", "--retries", "0"].iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_file_scan_fetches_the_release_bundles_and_passes_then_answers_from_the_cache() {
    let Some(root) = corpus::root() else { return };
    let down = Arc::new(AtomicBool::new(false));
    let srv = github_down(&root, None, Arc::clone(&down));
    let cache = tmp("cache");
    let first = scan(&root, &net_flags(&srv.base, &cache));
    assert_eq!(first.code, 0, "{:?}\n{}", failing(&first), first.stderr);
    assert_eq!(status(&first, "enclave.provenance.source[1].rtmr1"), "pass", "{:?}", first.json["checks"]);
    assert_eq!(srv.hits("/repos/tinfoilsh/confidential-gemma4-31b/releases/latest"), 1);
    // The router's source provides only the SEV-SNP measurement: a TDX scan neither asks for its
    // release nor warns that it is missing.
    assert_eq!(srv.hits("/repos/tinfoilsh/confidential-model-router/releases/latest"), 0);
    assert!(!first.json["warnings"].to_string().contains("confidential-model-router"), "{}", first.json["warnings"]);
    // The report records what was fetched: URL, SHA-256 of the answer, when.
    let coll = first.json["collateral"].as_array().unwrap();
    let fetched: Vec<&Value> = coll.iter().filter(|c| c["kind"] == "sigstore_attestations").collect();
    assert_eq!(fetched.len(), 2, "{coll:?}");
    assert!(fetched.iter().all(|c| c["detail"].as_str().unwrap().contains("/attestations/sha256:") && c["sha256"].as_str().unwrap().len() == 64 && c["issued"].is_string()));
    assert!(first.json["trust_anchors"].as_array().unwrap().iter().any(|a| a["sha256"] == teescan::pki::sigstore::PUBLIC_GOOD_TRUSTED_ROOT_SHA256));
    // Second run: the server is down; the cached attestations (re-verified) give the same verdict.
    down.store(true, Ordering::SeqCst);
    let second = scan(&root, &net_flags(&srv.base, &cache));
    assert!(second.json["warnings"].to_string().contains("last cached attestations"), "{}", second.json["warnings"]);
    assert_eq!(second.code, 0, "{:?}\n{}", failing(&second), second.stderr);
    assert_eq!(first.json["verdict"], second.json["verdict"]);
    let from_cache = second.json["collateral"].as_array().unwrap().iter().filter(|c| c["kind"] == "sigstore_attestations" && c["detail"].as_str().unwrap().contains("from the cache")).count();
    assert_eq!(from_cache, 2, "{}", second.json["collateral"]);
}

#[test]
fn a_fetched_bundle_of_another_release_fails() {
    let Some(root) = corpus::root() else { return };
    // The gemma4 attestations URL answers the hardware-measurements release's bundle.
    let other = std::fs::read(body(&root, "hardware-measurements_attestations")).unwrap();
    let srv = github(&root, Some(other));
    let o = scan(&root, &net_flags(&srv.base, &tmp("other")));
    assert_eq!(o.code, 1, "{:?}\n{}", failing(&o), o.stderr);
    assert_eq!(status(&o, "enclave.provenance.source[1].bundle"), "fail");
}

#[test]
fn a_github_that_cannot_be_reached_or_offline_is_not_a_pass() {
    let Some(root) = corpus::root() else { return };
    let down = scan(&root, &net_flags(&dead_url(), &tmp("down")));
    assert_ne!(down.code, 0, "{}", down.stderr);
    assert_eq!(status(&down, "enclave.provenance.source[0].bundle"), "fail");
    assert!(down.stderr.contains("could not fetch the release bundles"), "{}", down.stderr);
    let offline = scan(&root, &["--offline".into(), "--no-cache".into()]);
    assert_ne!(offline.code, 0);
    assert_eq!(status(&offline, "enclave.provenance.source[1].bundle"), "fail");
}

/// The capture's two statements re-signed by the test Fulcio/Rekor root, as bundle files.
fn minted(pki: &SigstorePki, root: &Path, dir: &Path) -> Vec<String> {
    let statement = |needle: &str| -> Value {
        let v: Value = serde_json::from_slice(&std::fs::read(body(root, needle)).unwrap()).unwrap();
        let payload = v["attestations"][0]["bundle"]["dsseEnvelope"]["payload"].as_str().unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(payload).unwrap()).unwrap()
    };
    let mut hw = Spec::release(HARDWARE, "v0.0.35", statement("hardware-measurements_attestations"));
    hw.workflow = ".github/workflows/build.yml".into();
    let rel = Spec::release(GEMMA, "v0.0.18", statement("confidential-gemma4-31b_attestations"));
    [("hardware.sigstore.json", hw), ("release.sigstore.json", rel)]
        .into_iter()
        .map(|(name, spec)| {
            let p = dir.join(name);
            std::fs::write(&p, serde_json::to_vec(&pki.bundle(&spec)).unwrap()).unwrap();
            p.display().to_string()
        })
        .collect()
}

fn with_collateral(files: &[String], extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = files.iter().flat_map(|f| ["--collateral".to_owned(), f.clone()]).collect();
    a.extend(["--offline", "--no-cache"].iter().map(|s| s.to_string()));
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[test]
fn the_test_sigstore_root_passes_only_with_the_trusted_root_flag_and_is_named() {
    let Some(root) = corpus::root() else { return };
    let pki = SigstorePki::new();
    let dir = tmp("testroot");
    let trusted = dir.join("trusted_root.json");
    std::fs::write(&trusted, pki.trusted_root_json()).unwrap();
    let mut files = vec![root.join("tdx/derived/teep/tinfoil_v3_direct_gemma4-31b_20260629_021304/collateral.json").display().to_string()];
    files.extend(minted(&pki, &root, &dir));
    // Without the flag: the pinned public-good root does not know the test Fulcio.
    let without = scan(&root, &with_collateral(&files, &[]));
    assert_eq!(without.code, 1, "{:?}", failing(&without));
    assert_eq!(status(&without, "enclave.provenance.bundle[0]"), "fail");
    // With it: passes, and the report names the root by SHA-256 and warns.
    let with = scan(&root, &with_collateral(&files, &["--sigstore-trusted-root", &trusted.display().to_string()]));
    assert_eq!(with.code, 0, "{:?}\n{}", failing(&with), with.stderr);
    let sha = hex::encode(teescan::crypto::sha256(&pki.trusted_root_json()));
    assert!(with.json["trust_anchors"].as_array().unwrap().iter().any(|a| a["sha256"] == sha.as_str() && a["name"].as_str().unwrap().contains("NOT public-good")), "{}", with.json["trust_anchors"]);
    assert!(with.json["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains(&format!("TEST SIGSTORE TRUST ROOT (sha256:{sha})"))));
    assert!(with.stderr.contains("NOT the pinned public-good root"), "{}", with.stderr);
}

#[test]
fn with_the_trusted_root_flag_a_public_good_bundle_fails() {
    let Some(root) = corpus::root() else { return };
    let pki = SigstorePki::new();
    let dir = tmp("pgfail");
    let trusted = dir.join("trusted_root.json");
    std::fs::write(&trusted, pki.trusted_root_json()).unwrap();
    // The capture's own (public-good) attestations answers, as files.
    let files = vec![
        root.join("tdx/derived/teep/tinfoil_v3_direct_gemma4-31b_20260629_021304/collateral.json").display().to_string(),
        body(&root, "hardware-measurements_attestations").display().to_string(),
        body(&root, "confidential-gemma4-31b_attestations").display().to_string(),
    ];
    let pinned = scan(&root, &with_collateral(&files, &[]));
    assert_eq!(pinned.code, 0, "{:?}", failing(&pinned));
    let o = scan(&root, &with_collateral(&files, &["--sigstore-trusted-root", &trusted.display().to_string()]));
    assert_eq!(o.code, 1, "{:?}", failing(&o));
    assert_eq!(status(&o, "enclave.provenance.source[1].bundle"), "fail");
}

#[test]
fn a_malformed_or_useless_sigstore_trusted_root_is_a_usage_error() {
    let Some(root) = corpus::root() else { return };
    let dir = tmp("malformed");
    let bad = dir.join("trusted_root.json");
    std::fs::write(&bad, b"{\"mediaType\": 1}").unwrap();
    let o = scan(&root, &["--offline".into(), "--no-cache".into(), "--sigstore-trusted-root".into(), bad.display().to_string()]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("input.sigstore_root"), "{}", o.stderr);
    // A root with nothing to verify (no [provenance] in the policy) is refused too.
    let good = dir.join("good.json");
    std::fs::write(&good, teescan::pki::sigstore::PUBLIC_GOOD_TRUSTED_ROOT_JSON).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_teescan"))
        .args(["scan", &body(&root, "tinfoil-attestation").display().to_string(), "--offline", "--no-cache", "--sigstore-trusted-root", &good.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_github_url_that_cannot_be_used_is_a_usage_error() {
    let Some(root) = corpus::root() else { return };
    // Plain http off loopback: refused before anything is fetched.
    let o = scan(&root, &["--github-url".into(), "http://github-proxy.example".into(), "--no-cache".into()]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    // With --offline nothing would be asked: the flag's check cannot run.
    let o = scan(&root, &["--github-url".into(), dead_url(), "--offline".into(), "--no-cache".into()]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("--github-url applies"), "{}", o.stderr);
}
