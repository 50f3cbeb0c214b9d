//! The verify-once cache (`teescan::cache`): cached and uncached verifications give identical
//! results on the real corpus; an entry is never used outside the validity window its original
//! verification established, nor for another trust anchor; the cache stays within its bound; and
//! the number of signature verifications a scan performs, cold and warm (benches/README.md).

#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;
use std::sync::Arc;

use teescan::cache::{CacheStats, VerifyCache};
use teescan::nvidia::chain::{verify_device_chain, verify_device_chain_cached};
use teescan::nvidia::evidence::{parse_evidence_list, EvidenceList, GpuEvidence};
use teescan::nvidia::ocsp::{verify_ocsp, verify_ocsp_cached};
use teescan::nvidia::rim::{verify_rim, verify_rim_cached};
use teescan::nvidia::verify::{verify_gpus, GpuCollateral, GpuOptions, GpuVerification, NrasInput};
use teescan::pki::TrustAnchor;
use teescan::policy::Policy;
use teescan::report::{Report, Status, Verdict};
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::{scan_tdx_quote, ScanOptions};

const H100_AT: &str = "2025-10-24T12:00:00Z";
const NEAR_AT: &str = "2026-06-29T02:06:40Z";
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
const NEAR_DIRECT: &str = "neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn h100(root: &Path) -> (EvidenceList, GpuCollateral, GpuOptions) {
    let dir = root.join("nvidia/nvtrust-sample-h100");
    let report = hex::decode(String::from_utf8(std::fs::read(dir.join("attestation_report.hex")).unwrap()).unwrap().trim()).unwrap();
    let nonce: [u8; 32] = report[4..36].try_into().unwrap();
    let chain = pem::parse_many(std::fs::read(dir.join("device_cert_chain.pem")).unwrap()).unwrap().into_iter().map(pem::Pem::into_contents).collect();
    let item = GpuEvidence { report, cert_chain: chain, arch_hint: None, nonce_hint: None, driver_version_hint: None, vbios_version_hint: None };
    let list = EvidenceList { arch_hint: None, nonce_hint: None, items: vec![item] };
    let mut coll = GpuCollateral::default();
    for name in ["NV_GPU_DRIVER_GH100_550.90.07", "NV_GPU_VBIOS_1010_0200_882_96009F0001"] {
        coll.rims.push((name.to_owned(), std::fs::read(dir.join(format!("{name}.xml"))).unwrap()));
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.join("ocsp")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    coll.ocsp = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    (list, coll, GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() })
}

fn near8(root: &Path) -> (EvidenceList, GpuCollateral, GpuOptions) {
    let d = root.join("nvidia/providers/neardirect-qwen35-teep");
    let list = parse_evidence_list(&std::fs::read(d.join("nvidia_payload.json")).unwrap()).unwrap();
    let coll = GpuCollateral {
        nras: Some(NrasInput { body: std::fs::read(d.join("nras_response.json")).unwrap(), jwks: std::fs::read(d.join("nras_jwks_at_capture.json")).unwrap() }),
        ..GpuCollateral::default()
    };
    let nonce: [u8; 32] = hex::decode(NEAR_NONCE).unwrap().try_into().unwrap();
    (list, coll, GpuOptions { expected_nonce: Some(nonce), require_rims: false, require_ocsp: false, require_nras: true, ..GpuOptions::default() })
}

fn same_gpu(a: &GpuVerification, b: &GpuVerification) {
    assert_eq!(a.checks, b.checks);
    assert_eq!(a.claims, b.claims);
    assert_eq!(a.collateral, b.collateral);
}

fn same_report(a: &Report, b: &Report) {
    assert_eq!(serde_json::to_value(a).unwrap(), serde_json::to_value(b).unwrap());
}

fn with_cache(o: &GpuOptions, c: &Arc<VerifyCache>) -> GpuOptions {
    GpuOptions { cache: Some(Arc::clone(c)), ..o.clone() }
}

#[test]
fn h100_cached_equals_uncached_at_every_time() {
    let Some(root) = corpus::root() else { return };
    let (list, coll, opts) = h100(&root);
    let cache = Arc::new(VerifyCache::new());
    let warm = with_cache(&opts, &cache);
    // The pinned time (everything passes), a time when the RIM-chain OCSP responses are outside
    // their window, and a time when the driver RIM's signer has expired (2026-06-01).
    for t in [H100_AT, "2025-08-21T12:00:00Z", "2026-11-24T00:00:00Z", H100_AT] {
        let plain = verify_gpus(&list, &coll, at(t), &opts);
        let first = verify_gpus(&list, &coll, at(t), &warm);
        let second = verify_gpus(&list, &coll, at(t), &warm);
        same_gpu(&plain, &first);
        same_gpu(&plain, &second);
        if t == H100_AT {
            // Everything verifies; only the device-chain OCSP responses (2025-08-21) are outside
            // their window then: indeterminate, never a pass.
            assert!(plain.checks.iter().all(|c| c.status != Status::Fail), "{t}");
        }
    }
    let s = cache.stats();
    assert!(s.device_chain.hits > 0 && s.rim.hits > 0 && s.ocsp.hits > 0, "{s:?}");
    assert!(s.rim.out_of_window > 0, "the 2026-11-24 scan must not reuse the 2025 RIM results: {s:?}");
}

#[test]
fn near_8xh100_cached_equals_uncached_and_shares_ca_signatures() {
    let Some(root) = corpus::root() else { return };
    let (list, coll, opts) = near8(&root);
    let plain = verify_gpus(&list, &coll, at(NEAR_AT), &opts);
    assert_eq!(Verdict::from_checks(&plain.checks), Verdict::Pass);
    // Counted on one thread: with `parallel: false` a node's GPUs are verified in order (otherwise
    // they are spread over the CPUs, and two threads may both miss a shared CA signature once).
    let cache = Arc::new(VerifyCache::new());
    let warm = GpuOptions { parallel: false, ..with_cache(&opts, &cache) };
    let (cold, s) = {
        same_gpu(&plain, &verify_gpus(&list, &coll, at(NEAR_AT), &warm));
        let cold = cache.stats();
        same_gpu(&plain, &verify_gpus(&list, &coll, at(NEAR_AT), &warm));
        (cold, cache.stats())
    };
    // Cold: 8 chains validated, each 4 signatures (leaf←BROM, BROM←provisioner ICA,
    // ICA←identity CA, identity CA←root); the last two are the same certificates on every GPU.
    assert_eq!(cold.device_chain.misses, 8);
    assert_eq!(cold.signature.misses, 8 * 2 + 2, "{cold:?}");
    assert_eq!(cold.signature.hits, 7 * 2, "{cold:?}");
    // Warm: every chain from the cache, no chain signature verified.
    assert_eq!(s.device_chain.hits, 8);
    assert_eq!(s.signature.misses, cold.signature.misses);

    // Spread over the CPUs (the default): the same checks; at most one duplicated verification of
    // each shared CA signature per extra thread.
    let cache = Arc::new(VerifyCache::new());
    let parallel = with_cache(&opts, &cache);
    same_gpu(&plain, &verify_gpus(&list, &coll, at(NEAR_AT), &parallel));
    let cpus = u64::try_from(std::thread::available_parallelism().map_or(1, usize::from).min(8)).unwrap();
    let p = cache.stats();
    assert_eq!(p.device_chain.misses, 8, "{p:?}");
    assert!(p.signature.misses >= 18 && p.signature.misses <= 18 + 2 * (cpus - 1), "{p:?}");
}

fn tdx_inputs(root: &Path) -> (Vec<Vec<u8>>, Collateral, Timestamp) {
    let base = root.join("tdx/derived/teep");
    let mut quotes = Vec::new();
    for d in [NEAR_DIRECT, "nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657"] {
        let mut files: Vec<_> = std::fs::read_dir(base.join(d)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "bin")).collect();
        files.sort();
        quotes.extend(files.iter().map(|f| std::fs::read(f).unwrap()));
    }
    let coll = Collateral::from_dcap_json(&std::fs::read(base.join(NEAR_DIRECT).join("collateral.json")).unwrap()).unwrap();
    (quotes, coll, at("2026-06-29T02:06:57Z"))
}

#[test]
fn tdx_cached_equals_uncached_and_counts_signatures() {
    let Some(root) = corpus::root() else { return };
    let (quotes, coll, t) = tdx_inputs(&root);
    let cache = Arc::new(VerifyCache::new());
    let plain = ScanOptions::new(t);
    let mut cached = plain.clone();
    cached.cache = Some(Arc::clone(&cache));
    let mut per_quote: Vec<CacheStats> = Vec::new();
    for q in &quotes {
        let a = scan_tdx_quote(q, &coll, &plain).unwrap();
        if per_quote.is_empty() {
            assert_eq!(a.verdict, Verdict::Pass);
        }
        same_report(&a, &scan_tdx_quote(q, &coll, &cached).unwrap());
        per_quote.push(cache.stats());
        same_report(&a, &scan_tdx_quote(q, &coll, &cached).unwrap());
    }
    // The first quote, cold: every collateral signature dcap-qvl checks goes through the cache
    // (the quote's own signature does not).
    let first = per_quote[0].signature;
    eprintln!("TDX cold, collateral signatures verified: {} (+1 quote signature)", first.misses);
    assert_eq!(first.hits, 0, "{first:?}");
    // Re-scanning the same quote verifies no collateral signature again.
    let after_rescan = cache.stats().signature;
    assert!(after_rescan.hits > 0);
    assert!(cache.stats().pck_chain_pem.hits > 0, "the PEM chain of a rescanned quote is decoded once");
    // Later quotes of the same platform (same PCK, QE report and collateral) verify none either:
    // only their own quote signature.
    // Later quotes verify only what is new to them: nothing when they come from the same platform
    // (same PCK certificate and QE report), the PCK leaf certificate and the QE report when they
    // come from another machine with the same FMSPC (same TCB Info, QE Identity, CRLs, PCK CA).
    for (i, w) in per_quote.windows(2).enumerate() {
        let new = w[1].signature.misses - w[0].signature.misses;
        eprintln!("TDX quote {}: collateral signatures verified: {new} (+1 quote signature)", i + 1);
        assert!(new <= 2, "quote {}: {new} new collateral signatures", i + 1);
    }
    // Outside the collateral's validity, dcap-qvl's date checks still fail the scan: a cached
    // signature never makes expired collateral pass.
    let late = ScanOptions { at: at("2027-06-01T00:00:00Z"), ..cached.clone() };
    let late_plain = ScanOptions { at: at("2027-06-01T00:00:00Z"), ..plain.clone() };
    let a = scan_tdx_quote(&quotes[0], &coll, &late_plain).unwrap();
    assert_ne!(a.verdict, Verdict::Pass);
    same_report(&a, &scan_tdx_quote(&quotes[0], &coll, &late).unwrap());
}

#[test]
fn provider_scan_cached_equals_uncached() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join("providers/teep-captures").join(NEAR_DIRECT).join("responses");
    let find = |s: &str| {
        let mut f: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "body") && p.to_string_lossy().contains(s)).collect();
        f.sort();
        std::fs::read(&f[0]).unwrap()
    };
    let body = find("attestation_report");
    let gpu = GpuCollateral { nras: Some(NrasInput { body: find("nras.attestation.nvidia.com_v3_attest_gpu"), jwks: find("jwks") }), ..GpuCollateral::default() };
    let mut colls = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("tdx/derived/teep")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for d in dirs {
        colls.push(Collateral::from_dcap_json(&std::fs::read(d.join("collateral.json")).unwrap()).unwrap());
    }
    let mut opts = ScanOptions::new(at(NEAR_AT));
    opts.nonce = Some(hex::decode(NEAR_NONCE).unwrap().try_into().unwrap());
    opts.policy = Some(Policy::load(&std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap()).unwrap());
    let report = teescan::provider::parse(&body).unwrap();
    let plain = teescan::provider::scan::scan_provider(&report, &colls, &gpu, &opts);
    assert_eq!(plain.verdict, Verdict::Pass);
    // The cache is passed down explicitly (`ScanOptions::cache`), on one thread as in a batch.
    let cache = Arc::new(VerifyCache::new());
    let cached = ScanOptions { cache: Some(Arc::clone(&cache)), parallel: false, ..opts.clone() };
    for _ in 0..2 {
        let r = teescan::provider::scan::scan_provider(&report, &colls, &gpu, &cached);
        same_report(&plain, &r);
    }
    let s = cache.stats();
    assert_eq!(s.device_chain.hits, 8, "{s:?}");
    assert!(s.signature.hits > 0, "{s:?}");
    // No ambient cache: a scan not given it does not touch it.
    let before = cache.stats();
    teescan::provider::scan::scan_provider(&report, &colls, &gpu, &opts);
    assert_eq!(cache.stats(), before);
}

#[test]
fn entries_are_not_used_outside_their_window() {
    let Some(root) = corpus::root() else { return };
    let (list, coll, _) = h100(&root);
    let cache = VerifyCache::new();
    let rim_root = TrustAnchor::nvidia_corim_root_ca();
    let (_, driver) = &coll.rims[0];
    // Verified (and cached) at T.
    assert!(verify_rim_cached(driver, &rim_root, at(H100_AT), &cache).is_ok());
    assert!(verify_rim_cached(driver, &rim_root, at(H100_AT), &cache).is_ok());
    assert_eq!(cache.stats().rim.hits, 1);
    // At T' after the signer's expiry, the entry is not used: verification runs and fails,
    // exactly as without a cache.
    let late = at("2026-11-24T00:00:00Z");
    let plain = verify_rim(driver, &rim_root, late).unwrap_err().to_string();
    assert_eq!(verify_rim_cached(driver, &rim_root, late, &cache).unwrap_err().to_string(), plain);
    let s = cache.stats().rim;
    assert_eq!((s.hits, s.out_of_window), (1, 1), "{s:?}");

    // OCSP: the device-chain responses are current on 2025-08-21; cached then, not used a year
    // later (past nextUpdate) nor before thisUpdate.
    let t_ocsp = at("2025-08-21T12:00:00Z");
    let chain = &list.items[0].cert_chain;
    let (cert, issuer) = (&chain[1], &chain[2]);
    let resp = coll.ocsp.iter().find(|r| verify_ocsp(r, cert, issuer, t_ocsp).is_ok()).expect("a response for the BROM certificate");
    assert!(verify_ocsp_cached(resp, cert, issuer, t_ocsp, &cache).is_ok());
    assert!(verify_ocsp_cached(resp, cert, issuer, t_ocsp, &cache).is_ok());
    let year_later = at("2026-08-21T12:00:00Z");
    let plain = verify_ocsp(resp, cert, issuer, year_later).unwrap_err().to_string();
    assert_eq!(verify_ocsp_cached(resp, cert, issuer, year_later, &cache).unwrap_err().to_string(), plain);
    let s = cache.stats().ocsp;
    assert_eq!((s.hits, s.out_of_window), (1, 1), "{s:?}");
    // Before thisUpdate too.
    let before = at("2020-01-01T00:00:00Z");
    assert!(verify_ocsp_cached(resp, cert, issuer, before, &cache).is_err());
    assert_eq!(cache.stats().ocsp.out_of_window, 2);
}

#[test]
fn a_different_trust_anchor_misses() {
    let Some(root) = corpus::root() else { return };
    let (list, coll, _) = h100(&root);
    let chain = &list.items[0].cert_chain;
    let device_root = TrustAnchor::nvidia_device_identity_ca();
    let t = at(H100_AT);
    let cache = VerifyCache::new();
    let good = verify_device_chain_cached(chain, &device_root, t, &cache).unwrap();
    assert_eq!(good, verify_device_chain(chain, &device_root, t).unwrap());
    assert_eq!(verify_device_chain_cached(chain, &device_root, t, &cache).unwrap(), good);
    assert_eq!(cache.stats().device_chain.hits, 1);
    // Another anchor: a miss, verified against that anchor (and rejected).
    let other = TrustAnchor::nvidia_corim_root_ca();
    assert_eq!(
        verify_device_chain_cached(chain, &other, t, &cache).unwrap_err(),
        verify_device_chain(chain, &other, t).unwrap_err()
    );
    // The same root certificate supplied as a TEST anchor is a different anchor too: a miss.
    let test_anchor = TrustAnchor::danger_test_root(device_root.der()).unwrap();
    assert_eq!(verify_device_chain_cached(chain, &test_anchor, t, &cache).unwrap(), good);
    let s = cache.stats().device_chain;
    assert_eq!((s.hits, s.misses), (1, 3), "{s:?}");
    // A RIM cached under the CoRIM root is not reused under the device root.
    let (_, driver) = &coll.rims[0];
    assert!(verify_rim_cached(driver, &TrustAnchor::nvidia_corim_root_ca(), t, &cache).is_ok());
    assert!(verify_rim_cached(driver, &device_root, t, &cache).is_err());
    assert_eq!(cache.stats().rim.hits, 0);
}

#[test]
fn the_cache_is_bounded_and_thread_safe() {
    let Some(root) = corpus::root() else { return };
    let (list, coll, opts) = h100(&root);
    let tiny = Arc::new(VerifyCache::with_capacity(1));
    let plain = verify_gpus(&list, &coll, at(H100_AT), &opts);
    same_gpu(&plain, &verify_gpus(&list, &coll, at(H100_AT), &with_cache(&opts, &tiny)));
    let s = tiny.stats();
    assert!(s.rim.evictions >= 1 && s.ocsp.evictions >= 1 && s.signature.evictions >= 1, "{s:?}");
    assert!(tiny.len() <= 4, "one entry per kind at most: {}", tiny.len());
    let off = Arc::new(VerifyCache::with_capacity(0));
    same_gpu(&plain, &verify_gpus(&list, &coll, at(H100_AT), &with_cache(&opts, &off)));
    assert!(off.is_empty());
    tiny.clear();
    assert!(tiny.is_empty());

    fn send_sync<T: Send + Sync>() {}
    send_sync::<VerifyCache>();
    let shared = Arc::new(VerifyCache::new());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (list, coll, opts) = (list.clone(), coll.clone(), with_cache(&opts, &shared));
            std::thread::spawn(move || (0..3).map(|_| verify_gpus(&list, &coll, at(H100_AT), &opts)).collect::<Vec<_>>())
        })
        .collect();
    for h in handles {
        for v in h.join().unwrap() {
            same_gpu(&plain, &v);
        }
    }
    assert!(plain.checks.iter().all(|c| c.status != Status::Fail));
}

/// Issue 14: the cache is passed down explicitly, never ambient. No `thread_local!` in `src/`
/// except `src/tdx/verify.rs` (`cached_dcap`, dcap-qvl's adapter, removed by its own change: drop
/// it from this list then).
#[test]
fn no_thread_local_state_in_src() {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    assert!(files.len() > 10);
    let offenders: Vec<_> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(concat!("thread_local", "!")))
        .map(|f| f.strip_prefix(root).unwrap().to_path_buf())
        .collect();
    assert!(offenders.is_empty(), "thread-local state in {offenders:?}");
}

#[test]
fn scans_spread_over_the_cpus_by_default() {
    assert!(ScanOptions::new(at(NEAR_AT)).parallel);
    assert!(GpuOptions::default().parallel);
    assert!(ScanOptions::new(at(NEAR_AT)).cache.is_none());
}
