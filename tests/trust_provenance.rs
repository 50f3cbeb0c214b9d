//! Provenance material is adversary-written like the rest of the evidence: on the real Tinfoil
//! gemma4 capture, the shipped policy (no MRTD/RTMR hex) passes with the capture's own Sigstore
//! bundles, and removing, tampering with, swapping or re-pointing a bundle never improves the
//! verdict.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use teescan::nvidia::verify::NrasInput;
use teescan::policy::{LoadedPolicy, Policy};
use teescan::provenance::eval::SuppliedBundle;
use teescan::report::{Report, Status, Verdict};
use teescan::scan::{Collateral, Evidence, Scanner};
use teescan::time::Timestamp;

const AT: &str = "2026-06-29T02:13:30Z";

fn capture(root: &Path, prefix: &str) -> PathBuf {
    std::fs::read_dir(root.join("providers/teep-captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap()
}

fn response(dir: &Path, needle: &str) -> Vec<u8> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("responses"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "body") && p.to_string_lossy().contains(needle))
        .collect();
    files.sort();
    std::fs::read(&files[0]).unwrap()
}

fn policy_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml")).unwrap()
}

fn load(text: &str) -> LoadedPolicy {
    Policy::load(text.as_bytes()).unwrap()
}

struct Setup {
    evidence: Evidence,
    coll: Collateral,
    nonce: [u8; 32],
}

fn setup(root: &Path) -> Setup {
    let dir = capture(root, "tinfoil_v3_direct_");
    let evidence = Evidence::detect(&response(&dir, "tinfoil-attestation")).unwrap();
    let mut coll = Collateral::default();
    let teep = root.join("tdx/derived/teep/tinfoil_v3_direct_gemma4-31b_20260629_021304/collateral.json");
    coll.add_dcap_json(&std::fs::read(teep).unwrap()).unwrap();
    coll.add_attestation_exchanges(&teescan::bundle::read_capture_dir(&dir).unwrap());
    coll.gpu.nras = Some(NrasInput { body: response(&dir, "v3_attest_gpu"), jwks: response(&dir, "jwks") });
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let nonce = hex::decode(m["nonce_hex"].as_str().unwrap()).unwrap().try_into().unwrap();
    Setup { evidence, coll, nonce }
}

fn scan(s: &Setup, coll: &Collateral, policy: &str) -> Report {
    Scanner::new(Timestamp::parse_rfc3339(AT).unwrap()).with_nonce(s.nonce).with_policy(load(policy)).scan(&s.evidence, coll).unwrap()
}

fn failing(r: &Report) -> Vec<String> {
    r.checks.iter().filter(|c| c.required && c.status != Status::Pass).map(|c| format!("{} {:?}", c.id, c.status)).collect()
}

fn status(r: &Report, id: &str) -> Status {
    r.check(id).unwrap_or_else(|| panic!("no check {id}: {:?}", r.checks.iter().map(|c| &c.id).collect::<Vec<_>>())).status
}

#[test]
fn the_shipped_tinfoil_policy_pins_no_measurement_and_passes_with_the_capture_bundles() {
    let Some(root) = corpus::root() else { return };
    let text = policy_text();
    for reg in ["mr_td", "rtmr0 ", "rtmr1", "rtmr2"] {
        assert!(!text.lines().any(|l| l.trim_start().starts_with(reg)), "{reg} is pinned in tinfoil.toml");
    }
    // Nor the router's SEV-SNP measurement (it comes from the router's release).
    assert!(!text.lines().any(|l| l.trim_start().starts_with("measurement ")), "[snp] measurement is pinned in tinfoil.toml");
    assert!(!text.contains("7adcb574b1e22ab579f3c883da3e5b6e632ef06775dd13fdb16850640135a5f63c7eb8741fe340c672edaf241bd1ed7c"));
    let s = setup(&root);
    assert_eq!(s.coll.provenance.len(), 2, "gemma4 release + hardware-measurements");
    let r = scan(&s, &s.coll, &text);
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", failing(&r));
    for id in [
        "enclave.provenance.source[0].bundle",
        "enclave.provenance.source[0].identity",
        "enclave.provenance.source[0].profile",
        "enclave.provenance.source[0].mrtd",
        "enclave.provenance.source[0].rtmr0",
        "enclave.provenance.source[1].identity",
        "enclave.provenance.source[1].statement",
        "enclave.provenance.source[1].release",
        "enclave.provenance.source[1].rtmr1",
        "enclave.provenance.source[1].rtmr2",
    ] {
        assert_eq!(status(&r, id), Status::Pass, "{id}");
    }
    assert_eq!(r.check("enclave.provenance.source[0].profile").unwrap().actual.as_deref(), Some("medium_2d_new"));
    let claim = &r.claims["layers"]["enclave"]["provenance"];
    assert_eq!(claim["release"]["rekor_log_index"], 1_785_514_045u64);
    assert_eq!(claim["release"]["ref"], "refs/tags/v0.0.18");
    assert_eq!(claim["hardware"]["rekor_log_index"], 1_772_053_963u64);
}

#[test]
fn removing_any_provenance_bundle_fails_the_scan() {
    let Some(root) = corpus::root() else { return };
    let s = setup(&root);
    let text = policy_text();
    for drop in 0..s.coll.provenance.len() {
        let mut coll = s.coll.clone();
        coll.provenance.remove(drop);
        let r = scan(&s, &coll, &text);
        assert_eq!(r.verdict, Verdict::Fail, "without bundle {drop}: {:?}", failing(&r));
    }
    let mut coll = s.coll.clone();
    coll.provenance.clear();
    let r = scan(&s, &coll, &text);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "enclave.provenance.source[1].bundle"), Status::Fail);
    assert_eq!(status(&r, "enclave.provenance.source[0].bundle"), Status::Fail);
}

#[test]
fn a_tampered_provenance_bundle_fails_even_beside_the_good_one() {
    let Some(root) = corpus::root() else { return };
    let s = setup(&root);
    let good = s.coll.provenance[0].clone();
    let mut v: serde_json::Value = serde_json::from_slice(&good.json).unwrap();
    let sig = v["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('M') { sig.replacen('M', "N", 1) } else { sig.replacen(&sig[..1], "M", 1) };
    v["dsseEnvelope"]["signatures"][0]["sig"] = flipped.into();
    let mut coll = s.coll.clone();
    coll.provenance.push(SuppliedBundle { origin: "tampered".into(), json: serde_json::to_vec(&v).unwrap(), lookup_sha256: good.lookup_sha256.clone() });
    let r = scan(&s, &coll, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "enclave.provenance.bundle[2]"), Status::Fail);
    // In place of the good one.
    coll.provenance.remove(0);
    assert_eq!(scan(&s, &coll, &policy_text()).verdict, Verdict::Fail);
}

#[test]
fn another_repositorys_signed_release_swapped_in_fails() {
    let Some(root) = corpus::root() else { return };
    let s = setup(&root);
    let cloud = capture(&root, "tinfoil_v3_cloud_");
    let mut router = Collateral::default();
    router.add_attestation_exchanges(&teescan::bundle::read_capture_dir(&cloud).unwrap());
    let router_release = router
        .provenance
        .iter()
        .find(|b| b.origin.contains("confidential-model-router"))
        .expect("the router's release bundle")
        .clone();
    // The router's (validly signed) release instead of the enclave's: no release of the named
    // repository is supplied.
    let mut coll = s.coll.clone();
    let idx = coll.provenance.iter().position(|b| b.origin.contains("confidential-gemma4-31b")).unwrap();
    coll.provenance[idx] = router_release.clone();
    let r = scan(&s, &coll, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "enclave.provenance.source[1].bundle"), Status::Fail);
    // A policy that names the router as the publisher: its RTMR2 (cmdline: dm-verity root,
    // config hash) is not the enclave's. RTMR1 (the shared cvmimage kernel) is the same.
    let text = policy_text().replace("tinfoilsh/confidential-gemma4-31b", "tinfoilsh/confidential-model-router");
    let r = scan(&s, &coll, &text);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "enclave.provenance.source[1].rtmr1"), Status::Pass);
    assert_eq!(status(&r, "enclave.provenance.source[1].rtmr2"), Status::Fail);
    let c = r.check("enclave.provenance.source[1].rtmr2").unwrap();
    assert!(c.expected.is_some() && c.actual.is_some() && c.expected != c.actual);
}

#[test]
fn a_bundle_re_pointed_at_another_digest_fails() {
    let Some(root) = corpus::root() else { return };
    let s = setup(&root);
    let mut coll = s.coll.clone();
    for b in &mut coll.provenance {
        b.lookup_sha256 = Some("00".repeat(32));
    }
    let r = scan(&s, &coll, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "enclave.provenance.source[1].statement"), Status::Fail);
}

#[test]
fn a_stale_release_and_a_workflow_the_policy_does_not_name_fail() {
    let Some(root) = corpus::root() else { return };
    let s = setup(&root);
    let text = policy_text().replace("max_age_days = 180", "max_age_days = 10");
    let r = scan(&s, &s.coll, &text);
    assert_eq!(status(&r, "enclave.provenance.source[1].release"), Status::Fail);
    assert_eq!(r.verdict, Verdict::Fail);
    let text = policy_text().replace(".github/workflows/build.yml", ".github/workflows/other.yml");
    let r = scan(&s, &s.coll, &text);
    assert_eq!(status(&r, "enclave.provenance.source[0].identity"), Status::Fail);
    let text = policy_text().replacen("ref_prefix = \"refs/tags/\"", "ref_prefix = \"refs/heads/\"", 1);
    assert_eq!(scan(&s, &s.coll, &text).verdict, Verdict::Fail);
}

#[test]
fn a_quote_scanned_alone_under_a_provenance_policy_without_bundles_fails() {
    let Some(root) = corpus::root() else { return };
    let teep = root.join("tdx/derived/teep/tinfoil_v3_direct_gemma4-31b_20260629_021304");
    let quote = std::fs::read(teep.join("quote_4a2c09445289.bin")).unwrap();
    let evidence = Evidence::detect(&quote).unwrap();
    let mut coll = Collateral::default();
    coll.add_dcap_json(&std::fs::read(teep.join("collateral.json")).unwrap()).unwrap();
    let text = policy_text().replace("report_data = { scheme = \"tinfoil-v3\" }\n", "");
    let text = text.split("\n[gpu]").next().unwrap().to_owned() + &text[text.find("\n# Who may publish").unwrap()..];
    let scanner = Scanner::new(Timestamp::parse_rfc3339(AT).unwrap()).with_policy(load(&text));
    let r = scanner.scan(&evidence, &coll).unwrap();
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", failing(&r));
    assert_eq!(status(&r, "provenance.source[1].bundle"), Status::Fail);
    // With the capture's bundles the registers compare.
    coll.add_attestation_exchanges(&teescan::bundle::read_capture_dir(&capture(&root, "tinfoil_v3_direct_")).unwrap());
    let r = scanner.scan(&evidence, &coll).unwrap();
    assert_eq!(status(&r, "provenance.source[1].rtmr1"), Status::Pass);
    assert_eq!(status(&r, "provenance.source[0].profile"), Status::Pass);
}

// --- The SEV-SNP router: its MEASUREMENT from the router's signed release. ---

const ROUTER_AT: &str = "2026-06-29T02:12:49Z";
const ROUTER_NONCE: &str = "229471a8453a3521eac3d6ada9f1d52e42c97a527c3a50d565e999401dfd3e9b";
const ROUTER_SOURCE: &str = "provenance.source[2]";

fn router(root: &Path) -> (Evidence, Collateral) {
    let dir = capture(root, "tinfoil_v3_cloud_");
    let ev = Evidence::detect(&response(&dir, "tinfoil-attestation")).unwrap();
    let mut coll = Collateral::default();
    coll.add_collateral_path(&dir, &ev).unwrap();
    (ev, coll)
}

fn router_scan(ev: &Evidence, coll: &Collateral, policy: &str) -> Report {
    let nonce: [u8; 32] = hex::decode(ROUTER_NONCE).unwrap().try_into().unwrap();
    Scanner::new(Timestamp::parse_rfc3339(ROUTER_AT).unwrap()).with_nonce(nonce).with_policy(load(policy)).scan(ev, coll).unwrap()
}

#[test]
fn removing_or_tampering_with_the_routers_release_bundle_fails_the_snp_scan() {
    let Some(root) = corpus::root() else { return };
    let (ev, coll) = router(&root);
    assert_eq!(router_scan(&ev, &coll, &policy_text()).verdict, Verdict::Pass);
    // Removed.
    let mut none = coll.clone();
    none.provenance.clear();
    let r = router_scan(&ev, &none, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", failing(&r));
    assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.bundle")), Status::Fail);
    // Tampered (DSSE signature), beside the good one and instead of it.
    let good = coll.provenance[0].clone();
    let mut v: serde_json::Value = serde_json::from_slice(&good.json).unwrap();
    let sig = v["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('M') { sig.replacen('M', "N", 1) } else { sig.replacen(&sig[..1], "M", 1) };
    v["dsseEnvelope"]["signatures"][0]["sig"] = flipped.into();
    let mut beside = coll.clone();
    beside.provenance.push(SuppliedBundle { origin: "tampered".into(), json: serde_json::to_vec(&v).unwrap(), lookup_sha256: good.lookup_sha256.clone() });
    let r = router_scan(&ev, &beside, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "provenance.bundle[1]"), Status::Fail);
    beside.provenance.remove(0);
    assert_eq!(router_scan(&ev, &beside, &policy_text()).verdict, Verdict::Fail);
    // Re-pointed at another digest than the release's.
    let mut repointed = coll.clone();
    repointed.provenance[0].lookup_sha256 = Some("00".repeat(32));
    let r = router_scan(&ev, &repointed, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.statement")), Status::Fail);
}

#[test]
fn another_repositorys_or_another_releases_bundle_never_passes_the_router() {
    let Some(root) = corpus::root() else { return };
    let (ev, coll) = router(&root);
    // The gemma4 enclave's and hardware-measurements' (validly signed) bundles instead of the
    // router's: no release of the router's repository is supplied.
    let mut gemma = Collateral::default();
    gemma.add_attestation_exchanges(&teescan::bundle::read_capture_dir(&capture(&root, "tinfoil_v3_direct_")).unwrap());
    assert_eq!(gemma.provenance.len(), 2);
    let mut swapped = coll.clone();
    swapped.provenance.clone_from(&gemma.provenance);
    let r = router_scan(&ev, &swapped, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", failing(&r));
    assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.bundle")), Status::Fail);
    // A policy naming the gemma4 repository for the router's measurement: its signed SEV-SNP
    // measurement is not the router's.
    let text = policy_text().replace("repository = \"tinfoilsh/confidential-model-router\"", "repository = \"tinfoilsh/confidential-gemma4-31b\"");
    let r = router_scan(&ev, &swapped, &text);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.snp_measurement")), Status::Fail);
    // Two router releases at once (the capture's and an older one): ambiguous, a failure.
    let mut two = coll.clone();
    assert!(two.add_sigstore_document(&std::fs::read(root.join("sigstore/tinfoil-rs/rekor_test_bundle.json")).unwrap(), "v0.0.75", None));
    let r = router_scan(&ev, &two, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.bundle")), Status::Fail);
    // A stale release, or a ref outside the policy's prefix.
    let r = router_scan(&ev, &coll, &policy_text().replace("max_age_days = 180", "max_age_days = 1"));
    assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.release")), Status::Fail);
    assert_eq!(r.verdict, Verdict::Fail);
    let r = router_scan(&ev, &coll, &policy_text().replace("ref_prefix = \"refs/tags/\"", "ref_prefix = \"refs/heads/\""));
    assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.identity")), Status::Fail);
}

#[test]
fn no_bundle_removal_or_substitution_improves_the_router_verdict() {
    let Some(root) = corpus::root() else { return };
    let (ev, coll) = router(&root);
    let mut gemma = Collateral::default();
    gemma.add_attestation_exchanges(&teescan::bundle::read_capture_dir(&capture(&root, "tinfoil_v3_direct_")).unwrap());
    let mut pool = coll.provenance.clone();
    pool.extend(gemma.provenance.iter().cloned());
    for file in ["sigstore/tinfoil-rs/rekor_test_bundle.json", "sigstore/tinfoil-conformance/vectors/sigstore/001-happy-path-snp-tdx-multiplatform/files/bundle.json"] {
        let mut c = Collateral::default();
        assert!(c.add_sigstore_document(&std::fs::read(root.join(file)).unwrap(), file, None));
        pool.extend(c.provenance);
    }
    // Every subset of the pool other than {the capture's own bundle} (+ bundles of repositories
    // no router source names) fails; none is indeterminate.
    let own = &coll.provenance[0];
    for mask in 0u32..(1 << pool.len()) {
        let chosen: Vec<SuppliedBundle> = pool.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, b)| b.clone()).collect();
        let mut c = coll.clone();
        c.provenance.clone_from(&chosen);
        let routers = chosen.iter().filter(|b| b.origin.contains("confidential-model-router") || b.origin.starts_with("sigstore/")).count();
        let r = router_scan(&ev, &c, &policy_text());
        let expect = if chosen.contains(own) && routers == 1 { Verdict::Pass } else { Verdict::Fail };
        assert_eq!(r.verdict, expect, "bundles {:?}: {:?}", chosen.iter().map(|b| &b.origin).collect::<Vec<_>>(), failing(&r));
    }
}

#[test]
fn without_amd_collateral_the_routers_measurement_is_not_evidence_and_never_passes() {
    let Some(root) = corpus::root() else { return };
    let (ev, coll) = router(&root);
    let mut c = coll.clone();
    c.snp = teescan::snp::SnpCollateral::default();
    let r = router_scan(&ev, &c, &policy_text());
    assert_eq!(r.verdict, Verdict::Indeterminate, "{:?}", failing(&r));
    assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.snp_measurement")), Status::Indeterminate);
    assert_eq!(status(&r, "snp.binding.report_data"), Status::Indeterminate);
    // Missing bundle on top: a failure, not indeterminate.
    c.provenance.clear();
    assert_eq!(router_scan(&ev, &c, &policy_text()).verdict, Verdict::Fail);
    // A broken chain (the VCEK's signature flipped): the binding fails, as before.
    let mut bad = coll.clone();
    let i = bad.snp.certs.iter().position(|d| teescan::snp::certs::AmdCert::parse(d).is_ok_and(|x| x.subject_cn == "SEV-VCEK")).unwrap();
    let n = bad.snp.certs[i].len();
    bad.snp.certs[i][n - 2] ^= 1;
    let r = router_scan(&ev, &bad, &policy_text());
    assert_eq!(r.verdict, Verdict::Fail);
}
