//! AMD KDS fetching on loopback (`support/replay_server.rs`): the VCEK URL built from the report
//! (product, chip ID, REPORTED_TCB; Turin's 8-byte hardware ID and FMC), the captured KDS answers
//! served back and verified, back-off on 429 (honouring `Retry-After`), and the cache keeping a
//! VCEK for its own validity.
#![cfg(feature = "fetch")]

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/replay_server.rs"]
mod replay_server;

use std::path::Path;
use std::time::{Duration, Instant};

use replay_server::{Reply, Server};
use teescan::fetch::cache::DiskStore;
use teescan::fetch::kds::KdsClient;
use teescan::fetch::{FetchError, FetchOptions};
use teescan::pki::amd::Product;
use teescan::report::Verdict;
use teescan::snp::{verify_report, Report, SnpOptions};
use teescan::time::Timestamp;

const ROUTER: &str = "providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249/responses";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn opts() -> FetchOptions {
    FetchOptions { timeout: Duration::from_secs(5), retries: 2, backoff: Duration::from_millis(20), ..FetchOptions::default() }
}

struct Router {
    report: Vec<u8>,
    vcek: Vec<u8>,
    chain: Vec<u8>,
    vcek_url: String,
}

fn router(root: &Path) -> Router {
    let dir = root.join(ROUTER);
    let file = |prefix: &str, ext: &str| {
        let p = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix) && p.extension().unwrap() == ext).unwrap();
        std::fs::read(p).unwrap()
    };
    let doc: serde_json::Value = serde_json::from_slice(&file("0001_", "body")).unwrap();
    let report = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, doc["cpu"]["report"].as_str().unwrap()).unwrap();
    let meta: serde_json::Value = serde_json::from_slice(&file("0003_", "json")).unwrap();
    Router { report, vcek: file("0003_", "body"), chain: file("0002_", "body"), vcek_url: meta["url"].as_str().unwrap().to_owned() }
}

fn serve(r: &Router, throttle: usize) -> Server {
    let (vcek, chain) = (r.vcek.clone(), r.chain.clone());
    Server::start_full(move |req, nth| {
        if nth <= throttle {
            return Reply::status(429).header("Retry-After", "1");
        }
        if req.path == "/vcek/v1/Genoa/cert_chain" {
            Reply::ok(chain.clone())
        } else if req.path.starts_with("/vcek/v1/Genoa/") {
            Reply::ok(vcek.clone())
        } else {
            Reply::status(404)
        }
    })
}

#[test]
fn the_vcek_url_is_the_one_tinfoils_client_fetched_and_the_answers_verify() {
    let Some(root) = corpus::root() else { return };
    let r = router(&root);
    let report = Report::parse(&r.report).unwrap();
    let amd = KdsClient::amd(opts()).unwrap();
    assert_eq!(amd.vcek_url(Product::Genoa, &report), r.vcek_url.replace("\\u0026", "&"));
    let server = serve(&r, 0);
    let client = KdsClient::with_base(&server.base, opts()).unwrap();
    let (coll, log) = rt().block_on(client.snp_collateral(&report, Product::Genoa, false)).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(coll.certs.len(), 3);
    let v = verify_report(&r.report, &coll, Timestamp::parse_rfc3339("2026-06-29T02:12:49Z").unwrap(), &SnpOptions::default()).unwrap();
    assert_eq!(Verdict::from_checks(&v.checks), Verdict::Pass);
    assert!(server.received().iter().any(|q| q.target.contains("?blSPL=10&teeSPL=0&snpSPL=23&ucodeSPL=84")));
}

#[test]
fn turin_vcek_urls_use_the_eight_byte_hardware_id_and_the_fmc_spl() {
    let Some(root) = corpus::root() else { return };
    let raw = std::fs::read(root.join("sev-snp/microsoft-tee-attestation-verification/turin_attestation_report.bin")).unwrap();
    let report = Report::parse(&raw).unwrap();
    let url = KdsClient::amd(opts()).unwrap().vcek_url(Product::Turin, &report);
    let hwid = hex::encode(&report.chip_id[..8]);
    assert_eq!(url, format!("https://kdsintf.amd.com/vcek/v1/Turin/{hwid}?fmcSPL=1&blSPL=1&teeSPL=1&snpSPL=4&ucodeSPL=81"));
}

#[test]
fn a_rate_limited_kds_is_retried_after_retry_after_and_gives_up_after_the_retries() {
    let Some(root) = corpus::root() else { return };
    let r = router(&root);
    let report = Report::parse(&r.report).unwrap();
    let server = serve(&r, 1);
    let client = KdsClient::with_base(&server.base, opts()).unwrap();
    let t = Instant::now();
    rt().block_on(client.snp_collateral(&report, Product::Genoa, false)).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(900), "Retry-After: 1 was honoured ({:?})", t.elapsed());
    assert_eq!(server.hits("/vcek/v1/Genoa/cert_chain"), 2);
    let server = serve(&r, 100);
    let client = KdsClient::with_base(&server.base, FetchOptions { retries: 1, ..opts() }).unwrap();
    let e = rt().block_on(client.snp_collateral(&report, Product::Genoa, false)).unwrap_err();
    assert!(matches!(e, FetchError::Status { status: 429, .. }), "{e}");
    // The VCEK and the chain are fetched together and the first to give up cancels the other:
    // each URL is tried at most once plus one retry, and the one that gave up exactly that.
    let chain = server.hits("/vcek/v1/Genoa/cert_chain");
    let vcek = server.received().iter().filter(|q| q.path.starts_with("/vcek/v1/Genoa/") && q.path != "/vcek/v1/Genoa/cert_chain").count();
    assert!(chain <= 2 && vcek <= 2 && chain.max(vcek) == 2, "one try and one retry (chain {chain}, vcek {vcek})");
}

#[test]
fn the_cache_keeps_a_vcek_for_its_own_validity() {
    let Some(root) = corpus::root() else { return };
    let r = router(&root);
    let report = Report::parse(&r.report).unwrap();
    let server = serve(&r, 0);
    let dir = std::env::temp_dir().join(format!("teescan-kds-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let at = |t: &str| Timestamp::parse_rfc3339(t).unwrap();
    let with_cache = |t: &str| KdsClient::with_base(&server.base, opts()).unwrap().with_cache(DiskStore::new(dir.clone(), at(t), true));
    let vcek_path = format!("/vcek/v1/Genoa/{}", hex::encode(report.chip_id));
    rt().block_on(with_cache("2026-06-29T02:12:49Z").snp_collateral(&report, Product::Genoa, false)).unwrap();
    assert_eq!((server.hits(&vcek_path), server.hits("/vcek/v1/Genoa/cert_chain")), (1, 1));
    // Within the VCEK's validity (2026-06-28..2033-06-28): answered from the cache.
    rt().block_on(with_cache("2030-01-01T00:00:00Z").snp_collateral(&report, Product::Genoa, false)).unwrap();
    assert_eq!((server.hits(&vcek_path), server.hits("/vcek/v1/Genoa/cert_chain")), (1, 1));
    // After it, the VCEK is fetched again; the ASK/ARK chain (valid to 2047) is still cached.
    rt().block_on(with_cache("2034-01-01T00:00:00Z").snp_collateral(&report, Product::Genoa, false)).unwrap();
    assert_eq!((server.hits(&vcek_path), server.hits("/vcek/v1/Genoa/cert_chain")), (2, 1));
    // Offline with a cold cache: a miss, never a network request.
    let cold = std::env::temp_dir().join(format!("teescan-kds-cold-{}", std::process::id()));
    let offline = KdsClient::with_base(&server.base, opts()).unwrap().with_cache(DiskStore::new(cold, at("2030-01-01T00:00:00Z"), true).offline());
    assert!(matches!(rt().block_on(offline.snp_collateral(&report, Product::Genoa, false)), Err(FetchError::Offline { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}
