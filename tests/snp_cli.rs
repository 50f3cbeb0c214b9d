//! The CLI on SEV-SNP evidence end to end: the AMD KDS fetch of a router document's VCEK and
//! cert_chain from a loopback KDS (`--kds-url`), never a pass when KDS cannot be reached or the
//! scan is offline without collateral; `--kds-url` refused where nothing is fetched; `policy init`
//! with several `--collateral`; the shipped Tinfoil policy passing both Tinfoil captures.
#![cfg(feature = "cli")]

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/replay_server.rs"]
mod replay_server;

use std::path::{Path, PathBuf};
use std::process::Command;

use replay_server::{Reply, Server};

const ROUTER: &str = "providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249/responses";
const ROUTER_AT: &str = "2026-06-29T02:12:49Z";
const ROUTER_NONCE: &str = "229471a8453a3521eac3d6ada9f1d52e42c97a527c3a50d565e999401dfd3e9b";
const DOC: &str = "0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body";
const CHAIN: &str = "0002_kdsintf.amd.com_vcek_v1_genoa_cert_chain.body";
const VCEK: &str = "0003_kdsintf.amd.com_vcek_v1_genoa_1af1aa6c1f56037a05849a59b8815cf909583f9ba9ef2f0532.body";
const BUNDLE: &str = "0006_github-proxy.tinfoil.sh_repos_tinfoilsh_confidential-model-router_attestations_s.body";
const GEMMA: &str = "providers/teep-captures/tinfoil_v3_direct_gemma4-31b_20260629_021304";
const GEMMA_TEEP: &str = "tdx/derived/teep/tinfoil_v3_direct_gemma4-31b_20260629_021304";

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn teescan(args: &[&std::ffi::OsStr]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_teescan")).args(args).output().unwrap();
    Out { code: o.status.code(), stdout: String::from_utf8_lossy(&o.stdout).into_owned(), stderr: String::from_utf8_lossy(&o.stderr).into_owned() }
}

fn policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml")
}

/// A loopback KDS replaying the capture's answers (cert_chain, and the VCEK for any chip path).
fn kds(dir: &Path) -> Server {
    let (chain, vcek) = (std::fs::read(dir.join(CHAIN)).unwrap(), std::fs::read(dir.join(VCEK)).unwrap());
    Server::start_full(move |req, _| {
        if req.path == "/vcek/v1/Genoa/cert_chain" {
            Reply::ok(chain.clone())
        } else if req.path.starts_with("/vcek/v1/Genoa/") {
            Reply::ok(vcek.clone())
        } else {
            Reply::status(404)
        }
    })
}

fn router_scan(dir: &Path, extra: &[&std::ffi::OsStr]) -> Out {
    let doc = dir.join(DOC);
    let mut args: Vec<&std::ffi::OsStr> = vec!["scan".as_ref(), doc.as_os_str(), "--at".as_ref(), ROUTER_AT.as_ref(), "--nonce".as_ref(), ROUTER_NONCE.as_ref(), "--no-cache".as_ref()];
    args.extend_from_slice(extra);
    teescan(&args)
}

#[test]
fn the_cli_fetches_the_routers_vcek_and_chain_from_kds_and_passes() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join(ROUTER);
    let server = kds(&dir);
    let out = router_scan(&dir, &["--kds-url".as_ref(), server.base.as_ref()]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    // The VCEK URL of the report's chip at its REPORTED_TCB, and the product's chain.
    assert_eq!(server.hits("/vcek/v1/Genoa/cert_chain"), 1);
    assert!(server.targets().iter().any(|t| t.starts_with("/vcek/v1/Genoa/1af1aa6c1f56037a05849a59b8815cf909583f9ba9ef2f0532") && t.ends_with("?blSPL=10&teeSPL=0&snpSPL=23&ucodeSPL=84")), "{:?}", server.targets());
    // With the shipped policy and the router's release bundle as the only --collateral: the
    // certificates still come from KDS, the measurement from the bundle.
    let bundle = dir.join(BUNDLE);
    let server = kds(&dir);
    let out = router_scan(&dir, &["--kds-url".as_ref(), server.base.as_ref(), "--policy".as_ref(), policy().as_os_str(), "--collateral".as_ref(), bundle.as_os_str()]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("provenance.source[2].snp_measurement"), "{}", out.stdout);
    assert_eq!(server.hits("/vcek/v1/Genoa/cert_chain"), 1);
}

#[test]
fn an_unreachable_or_forged_kds_never_passes_the_router() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join(ROUTER);
    // Nothing listens on this port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = format!("http://127.0.0.1:{port}");
    let out = router_scan(&dir, &["--kds-url".as_ref(), dead.as_ref(), "--retries".as_ref(), "0".as_ref(), "--timeout".as_ref(), "2".as_ref()]);
    assert_eq!(out.code, Some(3), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("AMD KDS collateral fetch failed"), "{}", out.stdout);
    // A KDS answering 404 / 500.
    for status in [404, 500] {
        let server = Server::start_full(move |_, _| Reply::status(status));
        let out = router_scan(&dir, &["--kds-url".as_ref(), server.base.as_ref(), "--retries".as_ref(), "0".as_ref()]);
        assert_eq!(out.code, Some(3), "{status}: {}{}", out.stdout, out.stderr);
    }
    // A KDS serving another product's chain (Milan's ASK/ARK for a Genoa VCEK): a failure.
    let milan = std::fs::read(root.join("sev-snp/virtee-sev/cert_chain_milan")).unwrap();
    let vcek = std::fs::read(dir.join(VCEK)).unwrap();
    let server = Server::start_full(move |req, _| if req.path.ends_with("/cert_chain") { Reply::ok(milan.clone()) } else { Reply::ok(vcek.clone()) });
    let out = router_scan(&dir, &["--kds-url".as_ref(), server.base.as_ref()]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    // --offline without collateral: nothing is fetched, never a pass.
    let out = router_scan(&dir, &["--offline".as_ref()]);
    assert_eq!(out.code, Some(3), "{}{}", out.stdout, out.stderr);
}

#[test]
fn kds_url_is_a_usage_error_where_nothing_is_fetched_from_kds() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join(ROUTER);
    let url = "http://127.0.0.1:9";
    // The certificates are supplied.
    let chain = dir.join(CHAIN);
    let vcek = dir.join(VCEK);
    let out = router_scan(&dir, &["--kds-url".as_ref(), url.as_ref(), "--collateral".as_ref(), chain.as_os_str(), "--collateral".as_ref(), vcek.as_os_str()]);
    let refused = |out: &Out| {
        assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("--kds-url cannot apply"), "{}", out.stderr);
    };
    refused(&out);
    // Offline without a cache.
    refused(&router_scan(&dir, &["--kds-url".as_ref(), url.as_ref(), "--offline".as_ref()]));
    // Not SEV-SNP evidence.
    let quote = root.join(GEMMA_TEEP).join("quote_4a2c09445289.bin");
    refused(&teescan(&["scan".as_ref(), quote.as_os_str(), "--kds-url".as_ref(), url.as_ref(), "--offline".as_ref()]));
    // Plain http to a non-loopback host.
    let out = router_scan(&dir, &["--kds-url".as_ref(), "http://kdsintf.amd.com".as_ref()]);
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("error[input.url]"), "{}", out.stderr);
}

#[test]
fn policy_init_takes_several_collateral_sources() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join(ROUTER);
    let (doc, chain, vcek) = (dir.join(DOC), dir.join(CHAIN), dir.join(VCEK));
    let init = |extra: &[&std::ffi::OsStr]| {
        let mut a: Vec<&std::ffi::OsStr> = vec!["policy".as_ref(), "init".as_ref(), "--offline".as_ref()];
        a.extend_from_slice(extra);
        teescan(&a)
    };
    // The router: the VCEK and the cert_chain as two --collateral files.
    let out = init(&["--from".as_ref(), doc.as_os_str(), "--collateral".as_ref(), chain.as_os_str(), "--collateral".as_ref(), vcek.as_os_str(), "--nonce".as_ref(), ROUTER_NONCE.as_ref(), "--at".as_ref(), ROUTER_AT.as_ref()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("[snp]") && out.stdout.contains("min_tcb = { bl = 10, tee = 0, snp = 23, ucode = 84 }"), "{}", out.stdout);
    // One of the two is not enough: the chain is incomplete, nothing is pinned.
    let out = init(&["--from".as_ref(), doc.as_os_str(), "--collateral".as_ref(), vcek.as_os_str(), "--nonce".as_ref(), ROUTER_NONCE.as_ref(), "--at".as_ref(), ROUTER_AT.as_ref()]);
    assert_ne!(out.code, Some(0), "{}", out.stdout);
    assert!(out.stdout.is_empty());
    // The gemma4 quote: a Sigstore bundle first, the DCAP collateral second (every path is used).
    let quote = root.join(GEMMA_TEEP).join("quote_4a2c09445289.bin");
    let coll = root.join(GEMMA_TEEP).join("collateral.json");
    let bundle = root.join(GEMMA).join("responses/0012_github-proxy.tinfoil.sh_repos_tinfoilsh_confidential-gemma4-31b_attestations_sha.body");
    let out = init(&["--from".as_ref(), quote.as_os_str(), "--collateral".as_ref(), bundle.as_os_str(), "--collateral".as_ref(), coll.as_os_str(), "--at".as_ref(), "2026-06-29T02:13:30Z".as_ref()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("[tdx.td]") && out.stdout.contains("fmspc = { any_of = [\"90c06f000000\"] }"), "{}", out.stdout);
}

#[test]
fn the_shipped_tinfoil_policy_passes_the_gemma4_enclave_and_the_router_through_the_cli() {
    let Some(root) = corpus::root() else { return };
    let g = root.join(GEMMA);
    let (body, coll) = (g.join("responses/0002_gemma4-31b-1.inf10.tinfoil.sh_.well-known_tinfoil-attestation.body"), root.join(GEMMA_TEEP).join("collateral.json"));
    let (nras, jwks) = (g.join("responses/0007_nras.attestation.nvidia.com_v3_attest_gpu.body"), g.join("responses/0008_nras.attestation.nvidia.com_.well-known_jwks.json.body"));
    let gemma = |dirs: &[&Path]| {
        let mut a: Vec<&std::ffi::OsStr> = vec![
            "scan".as_ref(), body.as_os_str(), "--policy".as_ref(), policy().into_os_string().leak(),
            "--nonce".as_ref(), "1b63be880a57c6cb2ea2191157e35bdc0de416d3b9e4b5b17423b12f8553d633".as_ref(),
            "--at".as_ref(), "2026-06-29T02:13:30Z".as_ref(), "--offline".as_ref(), "--no-cache".as_ref(),
            "--nras".as_ref(), nras.as_os_str(), "--jwks".as_ref(), jwks.as_os_str(), "--collateral".as_ref(), coll.as_os_str(),
        ];
        for d in dirs {
            a.push("--collateral".as_ref());
            a.push(d.as_os_str());
        }
        teescan(&a)
    };
    let out = gemma(&[&g]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    // Without the capture's bundles: the provenance sources fail.
    let out = gemma(&[]);
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    // The router with its capture directory.
    let dir = root.join(ROUTER);
    let capture = dir.parent().unwrap();
    let out = router_scan(&dir, &["--policy".as_ref(), policy().as_os_str(), "--collateral".as_ref(), capture.as_os_str(), "--offline".as_ref()]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
}

/// A loopback GitHub proxy replaying every `github-proxy` answer of the router and gemma4
/// captures (releases, digest files, attestations) by its recorded path.
fn github(root: &Path) -> Server {
    let mut answers: Vec<(String, Vec<u8>)> = Vec::new();
    for capture in [root.join(ROUTER), root.join(GEMMA).join("responses")] {
        for e in std::fs::read_dir(&capture).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_none_or(|x| x != "json") || !p.to_string_lossy().contains("github-proxy") {
                continue;
            }
            let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            let url = meta["url"].as_str().unwrap();
            let path = url.strip_prefix("https://github-proxy.tinfoil.sh").unwrap().split('?').next().unwrap().to_owned();
            answers.push((path, std::fs::read(p.with_extension("body")).unwrap()));
        }
    }
    assert!(answers.len() >= 9, "{answers:?}");
    Server::start(move |path, _| answers.iter().find(|(p, _)| p == path).map_or_else(|| Reply::status(404), |(_, b)| Reply::ok(b.clone())))
}

#[test]
fn cache_fetch_prefetches_kds_answers_and_provenance_bundles_so_an_offline_router_scan_passes() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join(ROUTER);
    let doc = dir.join(DOC);
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("snp_cli-cache-fetch");
    let _ = std::fs::remove_dir_all(&cache);
    std::fs::create_dir_all(&cache).unwrap();
    let (kds, gh) = (kds(&dir), github(&root));
    // The cache is keyed by URL: the offline scan names the same KDS and GitHub bases (nothing
    // is asked of them: --offline).
    let offline_scan = || {
        teescan(&[
            "scan".as_ref(), doc.as_os_str(), "--at".as_ref(), ROUTER_AT.as_ref(), "--nonce".as_ref(), ROUTER_NONCE.as_ref(),
            "--policy".as_ref(), policy().as_os_str(), "--offline".as_ref(), "--cache-dir".as_ref(), cache.as_os_str(),
            "--kds-url".as_ref(), kds.base.as_ref(), "--github-url".as_ref(), gh.base.as_ref(),
        ])
    };
    // An empty cache: nothing to verify the router with, never a pass.
    let before = offline_scan();
    assert!(matches!(before.code, Some(1 | 3)), "{}{}", before.stdout, before.stderr);
    let fetched = teescan(&[
        "cache".as_ref(), "fetch".as_ref(), doc.as_os_str(), "--policy".as_ref(), policy().as_os_str(), "--kds-url".as_ref(), kds.base.as_ref(),
        "--github-url".as_ref(), gh.base.as_ref(), "--cache-dir".as_ref(), cache.as_os_str(),
    ]);
    assert_eq!(fetched.code, Some(0), "{}{}", fetched.stdout, fetched.stderr);
    assert_eq!(kds.hits("/vcek/v1/Genoa/cert_chain"), 1, "{:?}", kds.targets());
    assert!(gh.targets().iter().any(|t| t.contains("confidential-model-router/attestations/sha256:")), "{:?}", gh.targets());
    // Offline, from the cache alone: the chain from KDS's answers, the measurement from the
    // router's signed release.
    let asked = (kds.targets().len(), gh.targets().len());
    let after = offline_scan();
    assert_eq!((kds.targets().len(), gh.targets().len()), asked, "an offline scan asked the network");
    assert_eq!(after.code, Some(0), "{}{}", after.stdout, after.stderr);
    assert!(after.stdout.contains("pass provenance.source[2].snp_measurement"), "{}", after.stdout);
    assert!(after.stdout.contains("pass snp.report.signature"), "{}", after.stdout);
    // --policy without [provenance], or --github-url without --policy: nothing they could do.
    let nrp = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml");
    let out = teescan(&["cache".as_ref(), "fetch".as_ref(), doc.as_os_str(), "--policy".as_ref(), nrp.as_os_str(), "--cache-dir".as_ref(), cache.as_os_str()]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("--policy cannot apply"), "{}", out.stderr);
    let out = teescan(&["cache".as_ref(), "fetch".as_ref(), doc.as_os_str(), "--github-url".as_ref(), gh.base.as_ref(), "--cache-dir".as_ref(), cache.as_os_str()]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("--github-url"), "{}", out.stderr);
}
