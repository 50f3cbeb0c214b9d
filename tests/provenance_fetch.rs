//! Loopback tests of the GitHub release-provenance fetcher (`fetch::github`): the real Tinfoil
//! gemma4 capture's GitHub answers replayed by `support/replay_server.rs` on 127.0.0.1; the
//! fetched bundles verify like the captured ones, and attestations are cached by digest.
#![cfg(feature = "fetch")]

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/replay_server.rs"]
mod replay_server;

use std::path::{Path, PathBuf};

use replay_server::{Reply, Server};
use teescan::fetch::cache::DiskStore;
use teescan::fetch::github::GithubClient;
use teescan::fetch::{FetchError, FetchOptions};
use teescan::time::Timestamp;

const REPO: &str = "tinfoilsh/confidential-gemma4-31b";
const DIGEST: &str = "c387c254054c0d74662a26ff6ee767649196b07d35694f54edd7601a7729bd85";

fn body(dir: &Path, needle: &str) -> Vec<u8> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("responses"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "body") && p.to_string_lossy().contains(needle))
        .collect();
    files.sort();
    std::fs::read(&files[0]).unwrap()
}

fn capture(root: &Path) -> PathBuf {
    std::fs::read_dir(root.join("providers/teep-captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("tinfoil_v3_direct"))
        .unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn server(dir: &Path) -> Server {
    let latest = body(dir, "confidential-gemma4-31b_releases_latest");
    let hash = body(dir, "confidential-gemma4-31b_releases_download");
    let att = body(dir, "confidential-gemma4-31b_attestations");
    Server::start(move |path, _| match path {
        "/repos/tinfoilsh/confidential-gemma4-31b/releases/latest" => Reply::ok(latest.clone()),
        "/tinfoilsh/confidential-gemma4-31b/releases/download/v0.0.18/tinfoil.hash" => Reply::ok(hash.clone()),
        p if p == format!("/repos/{REPO}/attestations/sha256:{DIGEST}") => Reply::ok(att.clone()),
        _ => Reply::status(404),
    })
}

#[test]
fn the_latest_release_bundles_are_fetched_over_loopback_and_verify() {
    let Some(root) = corpus::root() else { return };
    let srv = server(&capture(&root));
    let client = GithubClient::new(&srv.base, &srv.base, FetchOptions::default()).unwrap();
    let bundles = rt().block_on(client.latest_release_bundles(REPO, "tinfoil.hash")).unwrap();
    assert_eq!(bundles.len(), 1);
    assert_eq!(bundles[0].lookup_sha256.as_deref(), Some(DIGEST));
    let trust = teescan::pki::sigstore::TrustedRoot::public_good().unwrap();
    let at = Timestamp::parse_rfc3339("2026-06-29T02:13:30Z").unwrap();
    let v = teescan::provenance::verify_bundle(&bundles[0].json, &trust, at, None).unwrap();
    assert_eq!(v.log_index, 1_785_514_045);
    // An unknown repository: the server's 404 is an error, not an empty success.
    let e = rt().block_on(client.latest_release_bundles("tinfoilsh/nothing", "tinfoil.hash")).unwrap_err();
    assert!(matches!(e, FetchError::Status { status: 404, .. }), "{e:?}");
}

#[test]
fn attestations_are_cached_by_digest_and_answer_offline() {
    let Some(root) = corpus::root() else { return };
    let srv = server(&capture(&root));
    let cache_dir = std::env::temp_dir().join(format!("teescan-github-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let at = Timestamp::now();
    let client = GithubClient::new(&srv.base, &srv.base, FetchOptions::default()).unwrap().with_cache(DiskStore::new(cache_dir.clone(), at, true));
    let first = rt().block_on(client.attestations(REPO, DIGEST)).unwrap();
    let path = format!("/repos/{REPO}/attestations/sha256:{DIGEST}");
    assert_eq!(srv.hits(&path), 1);
    // Offline, from the cache; the server is not asked again.
    let offline = GithubClient::new(&srv.base, &srv.base, FetchOptions::default()).unwrap().with_cache(DiskStore::new(cache_dir.clone(), at, true).offline());
    let second = rt().block_on(offline.attestations(REPO, DIGEST)).unwrap();
    assert_eq!(first, second);
    assert_eq!(srv.hits(&path), 1);
    // `releases/latest` is never cached: offline it is a miss.
    let e = rt().block_on(offline.latest_tag(REPO)).unwrap_err();
    assert!(matches!(e, FetchError::Offline { .. }), "{e:?}");
    assert_eq!(srv.hits("/repos/tinfoilsh/confidential-gemma4-31b/releases/latest"), 0);
    let _ = std::fs::remove_dir_all(&cache_dir);
}

#[test]
fn a_non_loopback_http_base_is_refused() {
    assert!(matches!(GithubClient::new("http://example.com", GITHUB_DOWNLOADS_HTTPS, FetchOptions::default()), Err(FetchError::InsecureUrl { .. })));
}

const GITHUB_DOWNLOADS_HTTPS: &str = teescan::fetch::github::GITHUB_DOWNLOADS;

/// Measurement (printed): fetch + verify of the gemma4 release over loopback, uncached (three
/// requests) and from the cache (no request), each verified in full.
#[test]
fn fetch_and_verify_from_the_cache_asks_nothing_and_verifies_the_same() {
    let Some(root) = corpus::root() else { return };
    let srv = server(&capture(&root));
    let cache_dir = std::env::temp_dir().join(format!("teescan-github-timing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let at = Timestamp::parse_rfc3339("2026-06-29T02:13:30Z").unwrap();
    let trust = teescan::pki::sigstore::TrustedRoot::public_good().unwrap();
    let client = GithubClient::new(&srv.base, &srv.base, FetchOptions::default()).unwrap().with_cache(DiskStore::new(cache_dir.clone(), at, true));
    let rt = rt();
    let t = std::time::Instant::now();
    let fresh = rt.block_on(client.latest_release_bundles(REPO, "tinfoil.hash")).unwrap();
    let v1 = teescan::provenance::verify_bundle(&fresh[0].json, &trust, at, None).unwrap();
    let uncached = t.elapsed();
    let path = format!("/repos/{REPO}/attestations/sha256:{DIGEST}");
    assert_eq!(srv.hits(&path), 1);
    let offline = GithubClient::new(&srv.base, &srv.base, FetchOptions::default()).unwrap().with_cache(DiskStore::new(cache_dir.clone(), at, true).offline());
    let t = std::time::Instant::now();
    let cached = rt.block_on(offline.attestations(REPO, DIGEST)).unwrap();
    let v2 = teescan::provenance::verify_bundle(&cached[0].json, &trust, at, None).unwrap();
    let warm = t.elapsed();
    assert_eq!(srv.hits(&path), 1, "the cached run asked the server");
    assert_eq!(v1.log_index, v2.log_index);
    eprintln!("fetch+verify gemma4 release over loopback: uncached {:.2} ms (3 requests), cached {:.2} ms (0 requests)", uncached.as_secs_f64() * 1e3, warm.as_secs_f64() * 1e3);
    let _ = std::fs::remove_dir_all(&cache_dir);
}
