//! SEV-SNP through the one scan pipeline: detection of every input form (raw report, hex,
//! dstack `VersionedAttestation`, dstack-verifier JSON, Tinfoil v3 router), collateral from
//! `--collateral` files and capture directories (AMD KDS answers), the Tinfoil binding and nonce,
//! and the shipped Tinfoil policy on the real router capture.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use teescan::policy::Policy;
use teescan::report::{Report, Status, Verdict};
use teescan::scan::{Collateral, Evidence, Scanner};
use teescan::time::Timestamp;

const ROUTER: &str = "providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249";
const ROUTER_AT: &str = "2026-06-29T02:12:49Z";
const ROUTER_NONCE: &str = "229471a8453a3521eac3d6ada9f1d52e42c97a527c3a50d565e999401dfd3e9b";

fn router_doc(root: &Path) -> Vec<u8> {
    std::fs::read(root.join(ROUTER).join("responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body")).unwrap()
}

fn nonce(h: &str) -> [u8; 32] {
    hex::decode(h).unwrap().try_into().unwrap()
}

fn scanner(at: &str) -> Scanner {
    Scanner::new(Timestamp::parse_rfc3339(at).unwrap())
}

fn status(r: &Report, id: &str) -> Status {
    r.check(id).unwrap_or_else(|| panic!("no check {id}: {:#?}", r.checks)).status
}

fn failing(r: &Report) -> Vec<&str> {
    r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id.as_str()).collect()
}

fn router_collateral(root: &Path, ev: &Evidence) -> Collateral {
    let mut c = Collateral::default();
    c.add_collateral_path(&root.join(ROUTER), ev).unwrap();
    c
}

fn tinfoil_policy() -> teescan::policy::LoadedPolicy {
    Policy::load(&std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml")).unwrap()).unwrap()
}

#[test]
fn the_tinfoil_router_capture_passes_with_its_kds_answers_and_nonce() {
    let Some(root) = corpus::root() else { return };
    let ev = Evidence::detect(&router_doc(&root)).unwrap();
    assert!(matches!(ev, Evidence::Snp(_)));
    let coll = router_collateral(&root, &ev);
    assert_eq!(coll.snp.certs.len(), 3, "VCEK + ASK + ARK from the capture's KDS answers");
    let r = scanner(ROUTER_AT).with_nonce(nonce(ROUTER_NONCE)).scan(&ev, &coll).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.checks);
    assert_eq!(status(&r, "snp.binding.report_data"), Status::Pass);
    assert_eq!(status(&r, "snp.nonce"), Status::Pass);
    assert_eq!(r.claims["snp"]["product"], "Genoa");
    assert_eq!(r.claims["keys"]["hpke"]["bound"], true);
    // Without the caller's nonce the report is not shown fresh: indeterminate, never a pass.
    let r = scanner(ROUTER_AT).scan(&ev, &coll).unwrap();
    assert_eq!(r.verdict, Verdict::Indeterminate);
    // Another nonce fails.
    let r = scanner(ROUTER_AT).with_nonce([7; 32]).scan(&ev, &coll).unwrap();
    assert_eq!(failing(&r), ["snp.nonce"]);
}

/// The router's release bundles of the Sigstore fixtures (another release than the capture's).
const OTHER_ROUTER_RELEASES: [(&str, &str); 2] = [
    ("v0.0.75", "sigstore/tinfoil-rs/rekor_test_bundle.json"),
    ("v0.0.38", "sigstore/tinfoil-conformance/vectors/sigstore/001-happy-path-snp-tdx-multiplatform/files/bundle.json"),
];

/// The router's index among the shipped policy's `[[provenance.source]]` (hardware, release, router).
const ROUTER_SOURCE: &str = "provenance.source[2]";

#[test]
fn the_tinfoil_router_capture_passes_the_shipped_tinfoil_policy_and_another_release_fails() {
    let Some(root) = corpus::root() else { return };
    let ev = Evidence::detect(&router_doc(&root)).unwrap();
    let coll = router_collateral(&root, &ev);
    assert_eq!(coll.provenance.len(), 1, "the capture's router release (v0.0.110) bundle");
    let policy = tinfoil_policy();
    let r = scanner(ROUTER_AT).with_policy(policy.clone()).with_nonce(nonce(ROUTER_NONCE)).scan(&ev, &coll).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.checks);
    for id in ["policy.snp.min_tcb", "policy.snp.report_data", "policy.snp.policy"] {
        assert_eq!(status(&r, id), Status::Pass, "{id}");
    }
    // The MEASUREMENT comes from the router's signed release, not from the policy.
    assert!(r.check("policy.snp.measurement").is_none());
    for what in ["bundle", "identity", "statement", "release", "snp_measurement"] {
        assert_eq!(status(&r, &format!("{ROUTER_SOURCE}.{what}")), Status::Pass, "{what}");
    }
    let m = r.check(&format!("{ROUTER_SOURCE}.snp_measurement")).unwrap();
    assert_eq!(m.expected.as_deref(), Some("7adcb574b1e22ab579f3c883da3e5b6e632ef06775dd13fdb16850640135a5f63c7eb8741fe340c672edaf241bd1ed7c"));
    assert_eq!(m.expected, m.actual);
    // The TDX sources provide nothing for an SEV-SNP report: not evaluated.
    assert!(!r.checks.iter().any(|c| c.id.starts_with("provenance.source[0]") || c.id.starts_with("provenance.source[1]")), "{:#?}", r.checks);
    let claim = &r.claims["provenance"]["router"];
    assert_eq!(claim["rekor_log_index"], 1_932_011_338u64);
    assert_eq!(claim["ref"], "refs/tags/v0.0.110");
    assert!(claim["san"].as_str().unwrap().contains("confidential-model-router/.github/workflows/"));
    // The same router document with the bundle of another (validly signed) router release
    // instead of its own: the MEASUREMENT check fails, and only it.
    for (tag, file) in OTHER_ROUTER_RELEASES {
        let mut other = coll.clone();
        other.provenance.clear();
        assert!(other.add_sigstore_document(&std::fs::read(root.join(file)).unwrap(), file, None));
        let r = scanner(ROUTER_AT).with_policy(policy.clone()).with_nonce(nonce(ROUTER_NONCE)).scan(&ev, &other).unwrap();
        assert_eq!(r.verdict, Verdict::Fail, "{tag}");
        assert_eq!(failing(&r), [format!("{ROUTER_SOURCE}.snp_measurement").as_str()], "{tag}");
        assert_eq!(r.claims["provenance"]["router"]["ref"], format!("refs/tags/{tag}"));
    }
    // A TDX-only policy says nothing about SNP evidence: it fails, it does not pass vacuously.
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml")).unwrap();
    let tdx_only = text.split("\n[snp]").next().unwrap();
    let r = scanner(ROUTER_AT).with_policy(Policy::load(tdx_only.as_bytes()).unwrap()).with_nonce(nonce(ROUTER_NONCE)).scan(&ev, &coll).unwrap();
    assert_eq!(failing(&r), ["policy.snp.present"]);
}

#[cfg(feature = "cli")]
#[test]
fn the_cli_passes_the_router_with_its_own_release_and_fails_it_with_another_release() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join(ROUTER);
    let bin = env!("CARGO_BIN_EXE_teescan");
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml");
    let doc = dir.join("responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body");
    let scan = |collateral: &[PathBuf]| {
        let mut cmd = std::process::Command::new(bin);
        cmd.arg("scan").arg(&doc).args(["--nonce", ROUTER_NONCE, "--at", ROUTER_AT, "--offline", "--no-cache", "--format", "json"]).arg("--policy").arg(&policy);
        for c in collateral {
            cmd.arg("--collateral").arg(c);
        }
        let out = cmd.output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        (out.status.code(), report)
    };
    let (code, report) = scan(std::slice::from_ref(&dir));
    assert_eq!(code, Some(0), "{report:#}");
    // The KDS answers as files, and another release's bundle: exit 1, on the measurement.
    let kds: Vec<PathBuf> = ["0002_kdsintf.amd.com_vcek_v1_genoa_cert_chain.body", "0003_kdsintf.amd.com_vcek_v1_genoa_1af1aa6c1f56037a05849a59b8815cf909583f9ba9ef2f0532.body"]
        .iter()
        .map(|f| dir.join("responses").join(f))
        .collect();
    for (tag, file) in OTHER_ROUTER_RELEASES {
        let mut c = kds.clone();
        c.push(root.join(file));
        let (code, report) = scan(&c);
        assert_eq!(code, Some(1), "{tag}: {report:#}");
        let failed: Vec<&str> = report["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "fail").map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(failed, [format!("{ROUTER_SOURCE}.snp_measurement").as_str()], "{tag}");
    }
    // The KDS answers without any bundle: the source has no release, a failure (not a pass).
    let (code, report) = scan(&kds);
    assert_eq!(code, Some(1), "{report:#}");
}

#[test]
fn a_tampered_tinfoil_binding_input_fails_the_binding() {
    let Some(root) = corpus::root() else { return };
    let doc: serde_json::Value = serde_json::from_slice(&router_doc(&root)).unwrap();
    for field in ["tls_key_fp", "hpke_key"] {
        let mut d = doc.clone();
        d["report_data"][field] = serde_json::json!("11".repeat(32));
        let ev = Evidence::detect(d.to_string().as_bytes()).unwrap();
        let r = scanner(ROUTER_AT).with_nonce(nonce(ROUTER_NONCE)).scan(&ev, &router_collateral(&root, &ev)).unwrap();
        assert_eq!(r.verdict, Verdict::Fail, "{field}");
        assert_eq!(status(&r, "snp.binding.report_data"), Status::Fail, "{field}");
        assert_eq!(r.claims["keys"]["hpke"]["bound"], false);
    }
    // A stated gpu_evidence_hash without GPU evidence cannot be checked: it fails.
    let mut d = doc.clone();
    d["report_data"]["gpu_evidence_hash"] = serde_json::json!("00".repeat(32));
    let ev = Evidence::detect(d.to_string().as_bytes()).unwrap();
    let r = scanner(ROUTER_AT).with_nonce(nonce(ROUTER_NONCE)).scan(&ev, &router_collateral(&root, &ev)).unwrap();
    assert_eq!(status(&r, "snp.binding.report_data"), Status::Fail);
    // Duplicate keys are refused, as for every provider document.
    let text = String::from_utf8(router_doc(&root)).unwrap().replacen("{", "{\"format\":\"x\",", 1);
    assert!(!matches!(Evidence::detect(text.as_bytes()), Ok(Evidence::Snp(_))));
}

#[test]
fn raw_hex_and_dstack_forms_are_detected_and_verified_with_collateral_files() {
    let Some(root) = corpus::root() else { return };
    let sev = root.join("sev-snp");
    let at = "2026-07-01T00:00:00Z";
    // Raw Genoa report with --collateral vcek.pem --collateral ask.pem.
    let ev = Evidence::detect(&std::fs::read(sev.join("microsoft-tee-attestation-verification/genoa_attestation_report.bin")).unwrap()).unwrap();
    let mut c = Collateral::default();
    for f in ["genoa_vcek.pem", "genoa_ask.pem"] {
        c.add_collateral_path(&sev.join("microsoft-tee-attestation-verification").join(f), &ev).unwrap();
    }
    let r = scanner(at).scan(&ev, &c).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.checks);
    assert_eq!(r.input.format, "snp-report");
    // Hex text of a v2 report (virtee), KDS cert_chain PEM + DER VCEK.
    let ev = Evidence::detect(&std::fs::read(sev.join("virtee-sev/report_milan.hex")).unwrap()).unwrap();
    let mut c = Collateral::default();
    c.add_collateral_path(&sev.join("virtee-sev/vcek_milan.der"), &ev).unwrap();
    c.add_collateral_path(&sev.join("virtee-sev/cert_chain_milan"), &ev).unwrap();
    assert_eq!(scanner(at).scan(&ev, &c).unwrap().verdict, Verdict::Pass);
    // dstack VersionedAttestation and the verifier JSON: the report at byte 4, ASK + VCEK
    // PEMs carried in the document, the pinned Milan ARK compiled in.
    let ev = Evidence::detect(&std::fs::read(sev.join("dstack/sev-snp-attestation.json")).unwrap()).unwrap();
    let Evidence::Snp(s) = &ev else { panic!("dstack-verifier JSON") };
    assert_eq!(s.embedded.certs.len(), 2, "the verifier JSON carries ASK + VCEK");
    let r = scanner(at).scan(&ev, &Collateral::default()).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.checks);
    // The CVM's own VersionedAttestation carries no certificates: they come as files.
    let ev = Evidence::detect(&std::fs::read(sev.join("dstack/sev_snp_attestation.bin")).unwrap()).unwrap();
    assert_eq!(scanner(at).scan(&ev, &Collateral::default()).unwrap().verdict, Verdict::Indeterminate);
    let mut c = Collateral::default();
    for f in ["dstack/sev_snp_vcek.pem", "dstack/sev_snp_ask.pem"] {
        c.add_collateral_path(&sev.join(f), &ev).unwrap();
    }
    let r = scanner(at).scan(&ev, &c).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.checks);
    assert_eq!(r.input.format, "dstack-snp-attestation");
    // The GCP v5 report with its CRL as a --collateral file (DER).
    let atakit = sev.join("atakit-gcp-n2d-milan/decoded");
    let ev = Evidence::detect(&std::fs::read(atakit.join("report.bin")).unwrap()).unwrap();
    let mut c = Collateral::default();
    for f in ["vcek.der", "ask.der", "ark.der", "milan.crl.der"] {
        c.add_collateral_path(&atakit.join(f), &ev).unwrap();
    }
    assert_eq!(c.snp.crls.len(), 1);
    let r = scanner(at).scan(&ev, &c).unwrap();
    assert_eq!(status(&r, "snp.crl"), Status::Pass);
    assert_eq!(r.verdict, Verdict::Pass);
    let r = scanner("2026-08-09T00:00:00Z").scan(&ev, &c).unwrap();
    assert!(failing(&r).contains(&"snp.crl"));
}

#[test]
fn a_raw_report_with_a_nonce_or_binding_flag_is_a_usage_error() {
    let Some(root) = corpus::root() else { return };
    let ev = Evidence::detect(&std::fs::read(root.join("sev-snp/microsoft-tee-attestation-verification/genoa_attestation_report.bin")).unwrap()).unwrap();
    let e = scanner("2026-07-01T00:00:00Z").with_nonce([1; 32]).scan(&ev, &Collateral::default()).unwrap_err();
    assert_eq!(e.code(), "input.usage");
    // Malformed SNP input is an input error (exit 2), never a verdict.
    let mut bad = std::fs::read(root.join("sev-snp/microsoft-tee-attestation-verification/genoa_attestation_report.bin")).unwrap();
    bad[0x4C] = 1;
    assert_eq!(Evidence::detect(&bad).unwrap_err().code(), "input.snp");
}

#[test]
fn policy_init_from_a_verified_snp_report_pins_it_and_the_written_policy_passes_it() {
    let Some(root) = corpus::root() else { return };
    let sev = root.join("sev-snp/microsoft-tee-attestation-verification");
    let ev = Evidence::detect(&std::fs::read(sev.join("milan_attestation_report.bin")).unwrap()).unwrap();
    let mut c = Collateral::default();
    for f in ["milan_vcek.pem", "milan_ask.pem"] {
        c.add_collateral_path(&sev.join(f), &ev).unwrap();
    }
    let s = scanner("2026-07-01T00:00:00Z");
    let report = s.scan(&ev, &c).unwrap();
    let text = teescan::policy::init::starting_policy(&report, "ms-milan", 90, teescan::time::Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").unwrap()).unwrap();
    assert!(text.contains("[snp]") && text.contains("min_tcb = { bl = 4, tee = 0, snp = 24, ucode = 219 }"), "{text}");
    let r = s.clone().with_policy(Policy::load(text.as_bytes()).unwrap()).scan(&ev, &c).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.checks);
    assert!(r.checks.iter().filter(|c| c.id.starts_with("policy.snp.")).count() >= 8);
    // The Genoa report measures the same workload but another chip family: the Milan policy
    // (product pinned) refuses it.
    let genoa = Evidence::detect(&std::fs::read(sev.join("genoa_attestation_report.bin")).unwrap()).unwrap();
    let mut gc = Collateral::default();
    for f in ["genoa_vcek.pem", "genoa_ask.pem"] {
        gc.add_collateral_path(&sev.join(f), &genoa).unwrap();
    }
    let r = s.with_policy(Policy::load(text.as_bytes()).unwrap()).scan(&genoa, &gc).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    // A report that does not verify is never pinned.
    let r = scanner("2026-07-01T00:00:00Z").scan(&ev, &Collateral::default()).unwrap();
    assert!(teescan::policy::init::starting_policy(&r, "x", 90, teescan::time::Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").unwrap()).is_err());
}

#[cfg(feature = "cli")]
#[test]
fn the_cli_scans_an_snp_report_with_collateral_files_and_a_capture_directory() {
    let Some(root) = corpus::root() else { return };
    let bin = env!("CARGO_BIN_EXE_teescan");
    let v = root.join("sev-snp/virtee-sev");
    let run = |args: &[&std::ffi::OsStr]| std::process::Command::new(bin).args(args).output().unwrap().status.code();
    let os = |s: &str| std::ffi::OsString::from(s);
    // report.hex --collateral vcek.der --collateral cert_chain (PEM).
    let ok = [os("scan"), v.join("report_milan.hex").into(), os("--collateral"), v.join("vcek_milan.der").into(), os("--collateral"), v.join("cert_chain_milan").into(), os("--at"), os("2026-07-01T00:00:00Z"), os("--offline")];
    assert_eq!(run(&ok.iter().map(|s| s.as_os_str()).collect::<Vec<_>>()), Some(0));
    // Without the chain: indeterminate (3); with the Turin chain instead: fail (1).
    let no_chain = [os("scan"), v.join("report_milan.hex").into(), os("--collateral"), v.join("vcek_milan.der").into(), os("--at"), os("2026-07-01T00:00:00Z"), os("--offline")];
    assert_eq!(run(&no_chain.iter().map(|s| s.as_os_str()).collect::<Vec<_>>()), Some(3));
    let wrong = [os("scan"), v.join("report_milan.hex").into(), os("--collateral"), v.join("vcek_milan.der").into(), os("--collateral"), v.join("cert_chain_turin").into(), os("--at"), os("2026-07-01T00:00:00Z"), os("--offline")];
    assert_eq!(run(&wrong.iter().map(|s| s.as_os_str()).collect::<Vec<_>>()), Some(1));
    // The Tinfoil router with its capture directory, nonce and the shipped policy.
    let dir = root.join(ROUTER);
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/tinfoil.toml");
    let router = [os("scan"), dir.join("responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body").into(), os("--collateral"), dir.clone().into(), os("--nonce"), os(ROUTER_NONCE), os("--policy"), policy.into(), os("--at"), os(ROUTER_AT)];
    assert_eq!(run(&router.iter().map(|s| s.as_os_str()).collect::<Vec<_>>()), Some(0));
}

#[test]
fn a_warm_verify_once_cache_gives_the_same_report_and_skips_the_chains_rsa_signatures() {
    let Some(root) = corpus::root() else { return };
    let ev = Evidence::detect(&router_doc(&root)).unwrap();
    let coll = router_collateral(&root, &ev);
    let mut cold = scanner(ROUTER_AT).with_nonce(nonce(ROUTER_NONCE));
    cold.options.cache = None;
    let warm = scanner(ROUTER_AT).with_nonce(nonce(ROUTER_NONCE));
    let a = cold.scan(&ev, &coll).unwrap();
    let b1 = warm.scan(&ev, &coll).unwrap();
    let before = teescan::crypto::verification_count();
    let b2 = warm.scan(&ev, &coll).unwrap();
    let used = teescan::crypto::verification_count() - before;
    assert_eq!(a.checks, b1.checks);
    assert_eq!(a.checks, b2.checks);
    assert!(warm.options.cache.as_ref().unwrap().stats().device_chain.hits >= 2);
    // Other tests of this binary run in parallel: the count is an upper bound check only
    // when it is small; a warm scan needs one P-384 verification of its own.
    assert!(used >= 1);
    // A broken intermediate is never served from the cache of the good one.
    let mut bad = coll.clone();
    let i = bad.snp.certs.iter().position(|d| teescan::snp::certs::AmdCert::parse(d).is_ok_and(|c| c.subject_cn == "SEV-Genoa")).unwrap();
    let n = bad.snp.certs[i].len();
    bad.snp.certs[i][n - 2] ^= 1;
    assert_eq!(warm.scan(&ev, &bad).unwrap().verdict, Verdict::Fail);
}

#[test]
fn a_router_document_carrying_gpu_evidence_never_passes() {
    let Some(root) = corpus::root() else { return };
    let mut doc: serde_json::Value = serde_json::from_slice(&router_doc(&root)).unwrap();
    doc["gpu"] = serde_json::json!({ "evidence_list": [] });
    let ev = Evidence::detect(doc.to_string().as_bytes()).unwrap();
    let r = scanner(ROUTER_AT).with_policy(tinfoil_policy()).with_nonce(nonce(ROUTER_NONCE)).scan(&ev, &router_collateral(&root, &ev)).unwrap();
    assert_ne!(r.verdict, Verdict::Pass);
    // Said in its own check, whatever the binding says.
    assert_eq!(status(&r, "snp.gpu"), Status::Indeterminate);
}
