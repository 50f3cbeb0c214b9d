//! The trust properties of issue 13, extended to AMD SEV-SNP (issue 16), on real evidence:
//!
//! 1. Removing any supplied certificate or CRL of a real case never turns it into a pass, and a
//!    passing case without one of its certificates (other than the compiled-in ARK) no longer
//!    passes. (Removing the very certificate or CRL that fails leaves the scan indeterminate —
//!    collateral missing, exit 3 — as for TDX collateral: never a pass. One exception, by the
//!    issue's design: a stale CRL the policy does not require fails when supplied and is not
//!    looked at when removed; a policy that relies on revocation sets `require_crl`.)
//! 2. A report verified with another case's certificates never passes (unless both leaves carry
//!    the same key: the same chip and TCB, re-issued).
//! 3. Removing any member of the Tinfoil router document never improves its verdict, and
//!    putting another real report (or another nonce) into it never passes.
//!
//! Verdicts are ranked PASS > INDETERMINATE > FAIL = input error.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/snp_corpus.rs"]
mod snp_corpus;

use std::path::Path;

use teescan::report::Verdict;
use teescan::scan::{Collateral, Evidence, Scanner};
use teescan::snp::{verify_report, SnpCollateral, SnpOptions};
use teescan::time::Timestamp;

fn rank(v: Option<Verdict>) -> u8 {
    match v {
        Some(Verdict::Pass) => 2,
        Some(Verdict::Indeterminate) => 1,
        _ => 0,
    }
}

fn verdict(report: &[u8], c: &SnpCollateral, at: Timestamp, o: &SnpOptions) -> Option<Verdict> {
    verify_report(report, c, at, o).ok().map(|v| Verdict::from_checks(&v.checks))
}

fn leaf_key(c: &SnpCollateral) -> Vec<u8> {
    c.certs
        .iter()
        .filter_map(|d| teescan::snp::certs::AmdCert::parse(d).ok())
        .find_map(|c| match c.key {
            teescan::snp::certs::Key::P384(k) => Some(k),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn removing_supplied_amd_collateral_never_makes_a_pass_unless_the_crl_is_optional() {
    let Some(root) = corpus::root() else { return };
    for c in snp_corpus::cases(&root) {
        for require_crl in [false, true] {
            let o = SnpOptions { allow_debug: c.allow_debug, require_crl, ..SnpOptions::default() };
            let base = rank(verdict(&c.report, &c.collateral, c.at, &o));
            for i in 0..c.collateral.certs.len() {
                let mut less = c.collateral.clone();
                less.certs.remove(i);
                let r = rank(verdict(&c.report, &less, c.at, &o));
                assert!(r <= base.max(1), "{}: without certificate {i}", c.id);
                if base == 2 && !teescan::pki::amd::Product::ALL.iter().any(|p| p.ark_der() == c.collateral.certs[i].as_slice()) {
                    assert!(rank(verdict(&c.report, &less, c.at, &o)) < 2, "{}: certificate {i} was needed", c.id);
                }
            }
            if !c.collateral.crls.is_empty() {
                let mut less = c.collateral.clone();
                less.crls.clear();
                let r = rank(verdict(&c.report, &less, c.at, &o));
                assert!(r <= base.max(1) || !require_crl && base == 0 && r == 2 && c.id.contains("crl-expired"), "{}: without the CRL", c.id);
                if require_crl {
                    assert!(r < 2, "{}: a required CRL removed cannot pass", c.id);
                }
            }
        }
    }
}

#[test]
fn a_report_with_another_cases_certificates_never_passes() {
    let Some(root) = corpus::root() else { return };
    let cases = snp_corpus::cases(&root);
    let o = SnpOptions { allow_debug: true, ..SnpOptions::default() };
    let mut pairs = 0;
    for a in &cases {
        for b in &cases {
            // The same report, or leaves with one key (the same chip and TCB), legitimately pass.
            if a.id == b.id || a.report == b.report || leaf_key(&a.collateral) == leaf_key(&b.collateral) {
                continue;
            }
            pairs += 1;
            assert_ne!(verdict(&a.report, &b.collateral, a.at, &o), Some(Verdict::Pass), "{} with {}'s certificates", a.id, b.id);
        }
    }
    assert!(pairs > 300, "{pairs}");
}

const ROUTER: &str = "providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249";

fn router_scan(root: &Path, doc: &[u8], nonce: [u8; 32]) -> Option<Verdict> {
    let policy = teescan::policy::Policy::load(&std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml")).unwrap()).unwrap();
    let ev = Evidence::detect(doc).ok()?;
    let mut c = Collateral::default();
    c.add_collateral_path(&root.join(ROUTER), &ev).ok()?;
    Scanner::new(Timestamp::parse_rfc3339("2026-06-29T02:12:49Z").unwrap()).with_policy(policy).with_nonce(nonce).scan(&ev, &c).ok().map(|r| r.verdict)
}

fn paths(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    if let Some(o) = v.as_object() {
        for (k, x) in o {
            let p = format!("{prefix}/{k}");
            out.push(p.clone());
            paths(x, &p, out);
        }
    }
}

#[test]
fn removing_any_member_of_the_router_document_never_improves_it_and_substitutes_never_pass() {
    let Some(root) = corpus::root() else { return };
    let body = std::fs::read(root.join(ROUTER).join("responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body")).unwrap();
    let nonce: [u8; 32] = hex::decode("229471a8453a3521eac3d6ada9f1d52e42c97a527c3a50d565e999401dfd3e9b").unwrap().try_into().unwrap();
    assert_eq!(router_scan(&root, &body, nonce), Some(Verdict::Pass));
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut all = Vec::new();
    paths(&doc, "", &mut all);
    for p in &all {
        let mut d = doc.clone();
        let (parent, key) = p.rsplit_once('/').unwrap();
        d.pointer_mut(if parent.is_empty() { "" } else { parent }).unwrap().as_object_mut().unwrap().remove(key);
        let v = router_scan(&root, d.to_string().as_bytes(), nonce);
        let essential = !matches!(p.as_str(), "/certificate" | "/signature");
        assert!(rank(v) < 2 || !essential, "without {p}: {v:?}");
    }
    // Another real report in the router's document, and another nonce, never pass.
    for c in snp_corpus::cases(&root).iter().filter(|c| c.expect == "accept" && !c.id.starts_with("teep-")) {
        let mut d = doc.clone();
        d["cpu"]["report"] = serde_json::json!(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &c.report));
        assert_ne!(router_scan(&root, d.to_string().as_bytes(), nonce), Some(Verdict::Pass), "{}", c.id);
    }
    assert_ne!(router_scan(&root, &body, [0; 32]), Some(Verdict::Pass));
}
