//! Negative tests against the synthetic test PKI (`tests/support/testpki.rs`): every check the
//! minter can reach is broken on purpose, and the report must (1) not pass, (2) fail under the
//! check id that names the cause, and (3) when dcap-qvl stops at that stage, report every earlier
//! DCAP stage as passed and every later one as skipped.
//!
//! Each case starts from evidence that passes (see `baseline_passes_with_the_test_root`), so a
//! failure here is caused by the one mutation the case makes.

#[path = "support/testpki.rs"]
mod testpki;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::time::Instant;

use teescan::pki::{TrustAnchor, INTEL_SGX_ROOT_CA_SHA256};
use teescan::report::{Check, Report, Status, Verdict};
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::{scan_tdx_quote, ScanOptions};
use testpki::{MintOptions, Minted, TestPki};

/// teescan's DCAP stage checks in dcap-qvl's evaluation order (`STAGES` in `src/tdx/verify.rs`,
/// without the TD attribute stage, which is reported by `tdx.td.attributes`).
const DCAP_STAGES: &[&str] = &[
    "tdx.collateral.root_crl",
    "tdx.collateral.pck_crl",
    "tdx.quote.header",
    "tdx.collateral.tcb_info.format",
    "tdx.collateral.tcb_info.validity",
    "tdx.collateral.tcb_info.chain",
    "tdx.collateral.tcb_info.signature",
    "tdx.collateral.qe_identity.format",
    "tdx.collateral.qe_identity.validity",
    "tdx.collateral.qe_identity.chain",
    "tdx.collateral.qe_identity.signature",
    "tdx.collateral.qe_identity.id",
    "tdx.pck.chain",
    "tdx.qe.report_signature",
    "tdx.qe.report_data",
    "tdx.qe.identity",
    "tdx.quote.signature",
    "tdx.tcb.fmspc",
    "tdx.collateral.tcb_info.type",
    "tdx.tcb.level",
    "tdx.tcb.module_level",
    "tdx.tcb.module_identity",
    "tdx.tcb.current_level",
    "tdx.tcb.status",
    "tdx.collateral.dates",
];

/// Checks teescan makes from the parsed quote before dcap-qvl runs.
const QUOTE_CHECKS: &[&str] = &[
    "tdx.quote.structure",
    "tdx.quote.qe_vendor",
    "tdx.quote.cert_data",
    "tdx.trust_anchor",
];

/// v4 layout: header 48 B, TD 1.0 body 584 B, signature data length 4 B, then signature data.
const V4_SIGNED_LEN: usize = 48 + 584;
const V4_SIG_DATA: usize = V4_SIGNED_LEN + 4;
/// QE report inside the v4 signature data: ISV signature 64, attestation key 64, outer cert
/// type 2, outer cert size 4.
const V4_QE_REPORT: usize = V4_SIG_DATA + 64 + 64 + 2 + 4;
/// Offset of a TD 1.0 body field in a v4 quote.
const fn v4_body(field: usize) -> usize {
    48 + field
}
const MRTD: usize = 136;
const REPORTDATA: usize = 520;

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(TestPki::new)
}

/// A second, independent fake PKI ("another platform").
fn other_pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(TestPki::new)
}

fn at() -> Timestamp {
    Timestamp::parse_rfc3339(testpki::PINNED_TIME).unwrap()
}

fn test_opts(root_der: &[u8]) -> ScanOptions {
    let mut opts = ScanOptions::new(at());
    opts.intel_root = TrustAnchor::danger_test_root(root_der).unwrap();
    opts
}

fn mint(f: impl FnOnce(&mut MintOptions)) -> Minted {
    let mut opts = MintOptions::default();
    f(&mut opts);
    pki().mint(&opts)
}

fn collateral(json: &str) -> Collateral {
    Collateral::from_dcap_json(json.as_bytes()).expect("minted collateral parses")
}

fn scan_with(quote: &[u8], collateral_json: &str, opts: &ScanOptions) -> Report {
    scan_tdx_quote(quote, &collateral(collateral_json), opts)
        .unwrap_or_else(|e| panic!("expected a report, got input error {} ({e})", e.code()))
}

fn scan(m: &Minted) -> Report {
    scan_with(&m.quote, &m.collateral_json, &test_opts(&m.root_der))
}

/// Edit one string field of the collateral JSON.
fn edit_collateral(json: &str, key: &str, f: impl FnOnce(&str) -> String) -> String {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let old = v[key].as_str().map(str::to_owned).unwrap_or_default();
    v[key] = serde_json::Value::String(f(&old));
    serde_json::to_string_pretty(&v).unwrap()
}

/// Flip the lowest bit of the hex digit at `idx`.
fn flip_hex_digit(hex: &str, idx: usize) -> String {
    let mut chars: Vec<char> = hex.chars().collect();
    let d = chars[idx].to_digit(16).expect("hex digit");
    chars[idx] = std::char::from_digit(d ^ 1, 16).unwrap();
    chars.into_iter().collect()
}

fn failing(r: &Report) -> Vec<&str> {
    r.checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id.as_str())
        .collect()
}

/// All checks, one per line, for assertion messages.
fn dump(r: &Report) -> String {
    r.checks
        .iter()
        .map(|c| {
            format!(
                "  {:<40} {:<8} expected={:?} actual={:?} reason={:?}",
                c.id,
                c.status.as_str(),
                c.expected,
                c.actual,
                c.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn check<'a>(r: &'a Report, id: &str) -> &'a Check {
    r.check(id)
        .unwrap_or_else(|| panic!("no check {id} in the report:\n{}", dump(r)))
}

#[track_caller]
fn assert_status(r: &Report, id: &str, status: Status) {
    let c = check(r, id);
    assert_eq!(
        c.status,
        status,
        "{id} should be {}, report:\n{}",
        status.as_str(),
        dump(r)
    );
}

/// Verdict pass and every check pass.
#[track_caller]
fn assert_all_pass(r: &Report) {
    assert_eq!(r.verdict, Verdict::Pass, "report:\n{}", dump(r));
    assert!(r.checks.len() > DCAP_STAGES.len(), "too few checks");
    for c in &r.checks {
        assert_eq!(
            c.status,
            Status::Pass,
            "{} is not a pass:\n{}",
            c.id,
            dump(r)
        );
    }
}

/// Verdict fail and `id` among the failing checks.
#[track_caller]
fn assert_fails_at<'a>(r: &'a Report, id: &str) -> &'a Check {
    let failed = failing(r);
    assert_eq!(
        r.verdict,
        Verdict::Fail,
        "expected FAIL at {id}, report:\n{}",
        dump(r)
    );
    assert!(!failed.is_empty(), "verdict fail but no failing check");
    assert!(
        failed.contains(&id),
        "expected {id} among the failing checks {failed:?}, report:\n{}",
        dump(r)
    );
    check(r, id)
}

/// `id` is the one failing check; no check is skipped or indeterminate (dcap-qvl completed).
#[track_caller]
fn assert_only_failure<'a>(r: &'a Report, id: &str) -> &'a Check {
    let c = assert_fails_at(r, id);
    assert_eq!(failing(r), vec![id], "report:\n{}", dump(r));
    for c in &r.checks {
        assert!(
            matches!(c.status, Status::Pass | Status::Fail),
            "{} is {}:\n{}",
            c.id,
            c.status.as_str(),
            dump(r)
        );
    }
    c
}

/// dcap-qvl stopped at the stage `id`: it is the only failure, every earlier DCAP stage and the
/// quote checks passed, every later DCAP stage (and the PCE ID check, which needs dcap-qvl's
/// claims) is skipped, and the failing check carries dcap-qvl's message.
#[track_caller]
fn assert_dcap_stops_at<'a>(r: &'a Report, id: &str) -> &'a Check {
    let c = assert_fails_at(r, id);
    assert_eq!(failing(r), vec![id], "report:\n{}", dump(r));
    let pos = DCAP_STAGES
        .iter()
        .position(|s| *s == id)
        .unwrap_or_else(|| panic!("{id} is not a DCAP stage"));
    for before in &DCAP_STAGES[..pos] {
        assert_status(r, before, Status::Pass);
    }
    for after in &DCAP_STAGES[pos + 1..] {
        assert_status(r, after, Status::Skipped);
    }
    for q in QUOTE_CHECKS {
        assert_status(r, q, Status::Pass);
    }
    assert_status(r, "tdx.tcb.pce_id", Status::Skipped);
    assert!(
        c.reason.as_deref().is_some_and(|s| !s.is_empty()),
        "{id} has no reason"
    );
    assert!(
        r.claims["tdx"].get("tcb").is_none(),
        "no TCB claims when dcap-qvl failed"
    );
    c
}

#[track_caller]
fn reason(c: &Check) -> &str {
    c.reason.as_deref().unwrap_or("")
}

// ------------------------------------------------------------------------------------------------
// Baseline
// ------------------------------------------------------------------------------------------------

#[test]
fn baseline_passes_with_the_test_root() {
    let m = mint(|_| {});
    let r = scan(&m);
    assert_all_pass(&r);
    for id in DCAP_STAGES.iter().chain(QUOTE_CHECKS).chain(&[
        "tdx.tcb.pce_id",
        "tdx.td.attributes",
        "tdx.td.debug",
        "tdx.td.service_td",
    ]) {
        assert_status(&r, id, Status::Pass);
    }
    assert!(
        r.warnings.iter().any(|w| w.contains("TEST TRUST ANCHOR")),
        "warnings: {:?}",
        r.warnings
    );
    assert_eq!(r.claims["tdx"]["tcb"]["status"], "UpToDate");
    let anchor = check(&r, "tdx.trust_anchor");
    assert_ne!(
        anchor.actual.as_deref(),
        Some(&*format!("sha256:{INTEL_SGX_ROOT_CA_SHA256}"))
    );
}

#[test]
fn baseline_fails_with_the_production_root() {
    let m = mint(|_| {});
    let r = scan_with(&m.quote, &m.collateral_json, &ScanOptions::new(at()));
    assert_eq!(r.verdict, Verdict::Fail, "report:\n{}", dump(&r));
    let first = r.first_failure().expect("a failing check");
    assert_ne!(first.status, Status::Pass);
    // The quote's chain ends in the test root, not the pinned Intel root (Intel QVL's check),
    // and dcap-qvl then fails verifying the root CA CRL's signature with the Intel root.
    assert_eq!(first.id, "tdx.pck.chain_root", "report:\n{}", dump(&r));
    assert_eq!(failing(&r), vec!["tdx.pck.chain_root", "tdx.collateral.root_crl"], "report:\n{}", dump(&r));
    assert_eq!(
        check(&r, "tdx.trust_anchor").actual.as_deref(),
        Some(&*format!("sha256:{INTEL_SGX_ROOT_CA_SHA256}"))
    );
    assert!(
        !r.warnings.iter().any(|w| w.contains("TEST TRUST ANCHOR")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn v5_quotes_pass() {
    for body in [2u16, 3] {
        let m = mint(|o| {
            o.version = 5;
            o.v5_body_type = body;
        });
        assert_all_pass(&scan(&m));
    }
}

// ------------------------------------------------------------------------------------------------
// Certificates and CRLs
// ------------------------------------------------------------------------------------------------

#[test]
fn revoked_pck_fails_the_pck_chain() {
    let r = scan(&mint(|o| o.revoke_pck = true));
    let c = assert_dcap_stops_at(&r, "tdx.pck.chain");
    assert!(reason(c).contains("CertRevoked"), "{c:?}");
}

#[test]
fn revoked_platform_ca_fails_the_pck_chain() {
    let r = scan(&mint(|o| o.revoke_platform_ca = true));
    let c = assert_dcap_stops_at(&r, "tdx.pck.chain");
    assert!(reason(c).contains("CertRevoked"), "{c:?}");
}

#[test]
fn expired_crls_fail_the_root_crl() {
    let r = scan(&mint(|o| {
        o.crl_this_update = "2025-12-01T00:00:00Z".into();
        o.crl_next_update = "2026-01-01T00:00:00Z".into();
    }));
    let c = assert_dcap_stops_at(&r, "tdx.collateral.root_crl");
    assert!(reason(c).contains("CrlExpired"), "{c:?}");
}

#[test]
fn revoked_tcb_signer_fails_the_tcb_info_chain() {
    let r = scan(&mint(|o| o.revoke_tcb_signer = true));
    let c = assert_dcap_stops_at(&r, "tdx.collateral.tcb_info.chain");
    assert!(reason(c).contains("CertRevoked"), "{c:?}");
}

#[test]
fn tcb_info_chain_from_another_pki_fails_the_tcb_info_chain() {
    let m = mint(|_| {});
    let other = other_pki().mint(&MintOptions::default());
    assert_ne!(other.tcb_chain_pem, m.tcb_chain_pem);
    let json = edit_collateral(&m.collateral_json, "tcb_info_issuer_chain", |_| {
        other.tcb_chain_pem.clone()
    });
    let r = scan_with(&m.quote, &json, &test_opts(&m.root_der));
    assert_dcap_stops_at(&r, "tdx.collateral.tcb_info.chain");
}

#[test]
fn qe_identity_chain_from_another_pki_fails_the_qe_identity_chain() {
    let m = mint(|_| {});
    let other = other_pki().mint(&MintOptions::default());
    let json = edit_collateral(&m.collateral_json, "qe_identity_issuer_chain", |_| {
        other.tcb_chain_pem.clone()
    });
    let r = scan_with(&m.quote, &json, &test_opts(&m.root_der));
    assert_dcap_stops_at(&r, "tdx.collateral.qe_identity.chain");
}

#[test]
fn collateral_pck_chain_of_another_platform_fails_the_chain_source() {
    let m = mint(|_| {});
    // Control: the quote's own chain in the collateral is accepted.
    let same = edit_collateral(&m.collateral_json, "pck_certificate_chain", |_| {
        m.pck_chain_pem.clone()
    });
    let r = scan_with(&m.quote, &same, &test_opts(&m.root_der));
    assert_all_pass(&r);
    assert_status(&r, "tdx.collateral.pck_chain_source", Status::Pass);

    let other = other_pki().mint(&MintOptions::default());
    assert_ne!(other.pck_chain_pem, m.pck_chain_pem);
    let json = edit_collateral(&m.collateral_json, "pck_certificate_chain", |_| {
        other.pck_chain_pem.clone()
    });
    let r = scan_with(&m.quote, &json, &test_opts(&m.root_der));
    // teescan verifies with the quote's own chain, so dcap-qvl passes; the mismatch is the cause.
    assert_only_failure(&r, "tdx.collateral.pck_chain_source");
}

// ------------------------------------------------------------------------------------------------
// Collateral validity and signatures
// ------------------------------------------------------------------------------------------------

#[test]
fn expired_tcb_info_fails_its_validity() {
    let r = scan(&mint(|o| {
        o.tcb_info_next_update = "2026-01-14T00:00:00Z".into()
    }));
    let c = assert_dcap_stops_at(&r, "tdx.collateral.tcb_info.validity");
    assert!(reason(c).contains("expired"), "{c:?}");
}

#[test]
fn tcb_info_not_yet_valid_fails_its_validity() {
    let r = scan(&mint(|o| o.tcb_info_issue = "2026-01-16T00:00:00Z".into()));
    let c = assert_dcap_stops_at(&r, "tdx.collateral.tcb_info.validity");
    assert!(reason(c).contains("future"), "{c:?}");
}

#[test]
fn expired_qe_identity_fails_its_validity() {
    let r = scan(&mint(|o| {
        o.qe_identity_next_update = "2026-01-14T00:00:00Z".into()
    }));
    let c = assert_dcap_stops_at(&r, "tdx.collateral.qe_identity.validity");
    assert!(reason(c).contains("expired"), "{c:?}");
}

#[test]
fn qe_identity_not_yet_valid_fails_its_validity() {
    let r = scan(&mint(|o| {
        o.qe_identity_issue = "2026-01-16T00:00:00Z".into()
    }));
    assert_dcap_stops_at(&r, "tdx.collateral.qe_identity.validity");
}

#[test]
fn flipped_tcb_info_signature_fails_it() {
    let m = mint(|_| {});
    let json = edit_collateral(&m.collateral_json, "tcb_info_signature", |h| {
        flip_hex_digit(h, 10)
    });
    assert_ne!(json, m.collateral_json);
    let r = scan_with(&m.quote, &json, &test_opts(&m.root_der));
    assert_dcap_stops_at(&r, "tdx.collateral.tcb_info.signature");
}

#[test]
fn flipped_qe_identity_signature_fails_it() {
    let m = mint(|_| {});
    let json = edit_collateral(&m.collateral_json, "qe_identity_signature", |h| {
        flip_hex_digit(h, 70)
    });
    assert_ne!(json, m.collateral_json);
    let r = scan_with(&m.quote, &json, &test_opts(&m.root_der));
    assert_dcap_stops_at(&r, "tdx.collateral.qe_identity.signature");
}

#[test]
fn edited_tcb_info_body_fails_its_signature() {
    // The signed JSON text itself changed (an attacker raising the TCB status).
    let m = mint(|o| o.tcb_status = "OutOfDate".into());
    let json = edit_collateral(&m.collateral_json, "tcb_info", |t| {
        assert!(t.contains("\"OutOfDate\""));
        t.replace("\"OutOfDate\"", "\"UpToDate\"")
    });
    let r = scan_with(&m.quote, &json, &test_opts(&m.root_der));
    assert_dcap_stops_at(&r, "tdx.collateral.tcb_info.signature");
}

/// The stage order teescan reports matches dcap-qvl's: with two problems, the earlier stage is
/// the one reported, and the later one is skipped (not claimed as passed).
#[test]
fn two_problems_report_the_earlier_stage() {
    type Case = (&'static str, fn(&mut MintOptions), &'static str);
    let cases: &[Case] = &[
        (
            "expired CRLs + expired TCB Info",
            |o| {
                o.crl_this_update = "2025-12-01T00:00:00Z".into();
                o.crl_next_update = "2026-01-01T00:00:00Z".into();
                o.tcb_info_next_update = "2026-01-14T00:00:00Z".into();
            },
            "tdx.collateral.root_crl",
        ),
        (
            "expired TCB Info + expired QE Identity",
            |o| {
                o.tcb_info_next_update = "2026-01-14T00:00:00Z".into();
                o.qe_identity_next_update = "2026-01-14T00:00:00Z".into();
            },
            "tdx.collateral.tcb_info.validity",
        ),
        (
            "expired QE Identity + revoked PCK",
            |o| {
                o.qe_identity_next_update = "2026-01-14T00:00:00Z".into();
                o.revoke_pck = true;
            },
            "tdx.collateral.qe_identity.validity",
        ),
        (
            "revoked PCK + bad QE report data",
            |o| {
                o.revoke_pck = true;
                o.corrupt_qe_report_data = true;
            },
            "tdx.pck.chain",
        ),
        (
            "bad QE report data + FMSPC mismatch",
            |o| {
                o.corrupt_qe_report_data = true;
                o.tcb_info_fmspc = Some("00906ED50000".into());
            },
            "tdx.qe.report_data",
        ),
        (
            "FMSPC mismatch + low CPUSVN",
            |o| {
                o.tcb_info_fmspc = Some("00906ED50000".into());
                o.cpu_svn[0] = 1;
            },
            "tdx.tcb.fmspc",
        ),
        (
            "low CPUSVN + low module ISVSVN",
            |o| {
                o.cpu_svn[0] = 1;
                o.tee_tcb_svn[0] = 2;
            },
            "tdx.tcb.level",
        ),
        (
            "low module ISVSVN + MRSIGNERSEAM",
            |o| {
                o.tee_tcb_svn[0] = 2;
                o.mr_signer_seam = [0xab; 48];
            },
            "tdx.tcb.module_level",
        ),
        (
            "MRSIGNERSEAM + Revoked",
            |o| {
                o.mr_signer_seam = [0xab; 48];
                o.tcb_status = "Revoked".into();
            },
            "tdx.tcb.module_identity",
        ),
    ];
    for (name, f, id) in cases {
        let r = scan(&mint(f));
        eprintln!("{name}: failing {:?}", failing(&r));
        assert_dcap_stops_at(&r, id);
    }
}

#[test]
fn unparsable_tcb_info_fails_its_format() {
    let m = mint(|_| {});
    let json = edit_collateral(&m.collateral_json, "tcb_info", |t| {
        t.replace("\"fmspc\"", "\"fmspx\"")
    });
    let r = scan_with(&m.quote, &json, &test_opts(&m.root_der));
    assert_dcap_stops_at(&r, "tdx.collateral.tcb_info.format");
}

#[test]
fn unparsable_qe_identity_fails_its_format() {
    let m = mint(|_| {});
    let json = edit_collateral(&m.collateral_json, "qe_identity", |t| {
        t.replace("\"mrsigner\"", "\"mrsignex\"")
    });
    let r = scan_with(&m.quote, &json, &test_opts(&m.root_der));
    assert_dcap_stops_at(&r, "tdx.collateral.qe_identity.format");
}

#[test]
fn sgx_tcb_info_fails_its_type() {
    let r = scan(&mint(|o| o.tcb_info_id = "SGX".into()));
    assert_dcap_stops_at(&r, "tdx.collateral.tcb_info.type");
}

#[test]
fn sgx_qe_identity_fails_its_id() {
    let r = scan(&mint(|o| o.qe_identity_id = "QE".into()));
    assert_dcap_stops_at(&r, "tdx.collateral.qe_identity.id");
}

#[test]
fn corrupt_crls_fail_their_checks() {
    let m = mint(|_| {});
    let opts = test_opts(&m.root_der);
    let flip_last = |h: &str| flip_hex_digit(h, h.len() - 1);
    let truncate = |h: &str| h[..h.len() - 4].to_owned();

    // Root CA CRL: dcap-qvl verifies its signature with the root while parsing it.
    for f in [flip_last, truncate] {
        let json = edit_collateral(&m.collateral_json, "root_ca_crl", f);
        let r = scan_with(&m.quote, &json, &opts);
        assert_dcap_stops_at(&r, "tdx.collateral.root_crl");
    }
    // PCK CRL that does not parse.
    let json = edit_collateral(&m.collateral_json, "pck_crl", truncate);
    let r = scan_with(&m.quote, &json, &opts);
    assert_dcap_stops_at(&r, "tdx.collateral.pck_crl");
    // PCK CRL that parses but is not signed by the platform CA: its signature is checked when
    // the PCK chain is verified.
    let json = edit_collateral(&m.collateral_json, "pck_crl", flip_last);
    let r = scan_with(&m.quote, &json, &opts);
    let c = assert_dcap_stops_at(&r, "tdx.pck.chain");
    assert!(reason(c).contains("CrlSignature"), "{c:?}");
}

// ------------------------------------------------------------------------------------------------
// Quote signatures and the QE
// ------------------------------------------------------------------------------------------------

#[test]
fn tampered_body_byte_fails_the_quote_signature() {
    let mut m = mint(|_| {});
    m.quote[v4_body(MRTD)] ^= 0x01;
    let r = scan(&m);
    let c = assert_dcap_stops_at(&r, "tdx.quote.signature");
    assert!(reason(c).contains("signature"), "{c:?}");
}

#[test]
fn tampered_header_byte_fails_the_quote_signature() {
    let mut m = mint(|_| {});
    m.quote[30] ^= 0x80; // user data (QE ID)
    let r = scan(&m);
    assert_dcap_stops_at(&r, "tdx.quote.signature");
}

#[test]
fn tampered_report_data_fails_the_quote_signature() {
    let mut m = mint(|_| {});
    m.quote[v4_body(REPORTDATA) + 63] ^= 0x01;
    assert_dcap_stops_at(&scan(&m), "tdx.quote.signature");
}

#[test]
fn tampered_quote_signature_fails_it() {
    let mut m = mint(|_| {});
    m.quote[V4_SIG_DATA + 5] ^= 0x01; // r of the ISV signature
    assert_dcap_stops_at(&scan(&m), "tdx.quote.signature");
}

#[test]
fn wrong_qe_report_data_fails_the_report_data_binding() {
    let r = scan(&mint(|o| o.corrupt_qe_report_data = true));
    let c = assert_dcap_stops_at(&r, "tdx.qe.report_data");
    assert!(reason(c).contains("hash mismatch"), "{c:?}");
}

#[test]
fn attestation_key_swapped_fails_the_report_data_binding() {
    // Another key in the quote: the QE report no longer binds it.
    let mut m = mint(|_| {});
    let other = other_pki().attestation_pubkey();
    m.quote[V4_SIG_DATA + 64..V4_SIG_DATA + 128].copy_from_slice(&other);
    assert_dcap_stops_at(&scan(&m), "tdx.qe.report_data");
}

#[test]
fn tampered_qe_report_fails_its_signature() {
    let mut m = mint(|_| {});
    // Sanity: the QE report starts where we think (MRSIGNER at +128).
    assert_eq!(
        &m.quote[V4_QE_REPORT + 128..V4_QE_REPORT + 160],
        &testpki::QE_MRSIGNER
    );
    m.quote[V4_QE_REPORT + 64] ^= 0x01; // MRENCLAVE
    let r = scan(&m);
    let c = assert_dcap_stops_at(&r, "tdx.qe.report_signature");
    assert!(reason(c).contains("qe_report"), "{c:?}");
}

#[test]
fn tampered_qe_report_signature_fails_it() {
    let mut m = mint(|_| {});
    m.quote[V4_QE_REPORT + 384 + 40] ^= 0x01;
    assert_dcap_stops_at(&scan(&m), "tdx.qe.report_signature");
}

#[test]
fn qe_isvsvn_below_the_qe_identity_fails_the_qe_identity() {
    let r = scan(&mint(|o| o.qe_isv_svn = testpki::QE_ISVSVN - 1));
    let c = assert_dcap_stops_at(&r, "tdx.qe.identity");
    assert!(reason(c).contains("ISVSVN"), "{c:?}");
}

#[test]
fn unknown_qe_vendor_fails_qe_vendor_and_header() {
    let mut m = mint(|_| {});
    m.quote[12] ^= 0x01;
    let r = scan(&m);
    assert_eq!(
        r.first_failure().map(|c| c.id.as_str()),
        Some("tdx.quote.qe_vendor")
    );
    let c = assert_fails_at(&r, "tdx.quote.header");
    assert!(reason(c).contains("QE vendor"), "{c:?}");
    assert_eq!(failing(&r), vec!["tdx.quote.qe_vendor", "tdx.quote.header"]);
    for id in &DCAP_STAGES[..2] {
        assert_status(&r, id, Status::Pass);
    }
    for id in &DCAP_STAGES[3..] {
        assert_status(&r, id, Status::Skipped);
    }
}

#[test]
fn outer_cert_data_type_5_fails_cert_data() {
    // dcap-qvl does not look at the outer type; teescan must.
    let r = scan(&mint(|o| o.outer_cert_data_type = 5));
    let c = assert_only_failure(&r, "tdx.quote.cert_data");
    assert_eq!(c.actual.as_deref(), Some("outer 5, inner 5"));
}

// ------------------------------------------------------------------------------------------------
// TCB appraisal
// ------------------------------------------------------------------------------------------------

#[test]
fn revoked_tcb_fails_the_tcb_status() {
    let r = scan(&mint(|o| o.tcb_status = "Revoked".into()));
    let c = assert_dcap_stops_at(&r, "tdx.tcb.status");
    assert!(reason(c).contains("Revoked"), "{c:?}");
}

#[test]
fn out_of_date_tcb_fails_without_a_policy_and_is_left_to_one_with() {
    let m = mint(|o| {
        o.tcb_status = "OutOfDate".into();
        o.advisory_ids = vec!["INTEL-SA-00837".into()];
    });
    // No policy: a platform behind Intel's latest TCB must not pass silently (dcap-qvl's
    // `is_valid()` accepts it; known bug #5).
    let r = scan(&m);
    let c = assert_only_failure(&r, "tdx.tcb.status");
    assert!(reason(c).contains("OutOfDate") && reason(c).contains("policy"), "{c:?}");
    assert_eq!(r.claims["tdx"]["tcb"]["status"], "OutOfDate");
    assert_eq!(r.claims["tdx"]["tcb"]["advisory_ids"], serde_json::json!(["INTEL-SA-00837"]));
    // Left to a policy (what `policy::eval::tdx_options` sets): `tdx.tcb.status` only rejects
    // Revoked, the policy's allowed_status decides (policy_corpus::out_of_date_tcb_fails_unless_allowed).
    let mut opts = test_opts(&m.root_der);
    opts.tdx.tcb_status_by_policy = true;
    let r = scan_with(&m.quote, &m.collateral_json, &opts);
    assert_all_pass(&r);
    let status = check(&r, "tdx.tcb.status");
    assert!(status.actual.as_deref().is_some_and(|a| a.contains("OutOfDate")), "{status:?}");
}

#[test]
fn fmspc_mismatch_fails_the_fmspc() {
    let r = scan(&mint(|o| o.tcb_info_fmspc = Some("00906ED50000".into())));
    assert_dcap_stops_at(&r, "tdx.tcb.fmspc");
}

#[test]
fn cpusvn_below_every_level_fails_the_level() {
    let r = scan(&mint(|o| o.cpu_svn[0] = 1));
    let c = assert_dcap_stops_at(&r, "tdx.tcb.level");
    assert!(reason(c).contains("No matching TCB level"), "{c:?}");
}

#[test]
fn pcesvn_below_every_level_fails_the_level() {
    let r = scan(&mint(|o| o.pce_svn = testpki::TCB_LEVEL_PCE_SVN - 1));
    assert_dcap_stops_at(&r, "tdx.tcb.level");
}

#[test]
fn late_microcode_svn_below_the_level_fails_the_level() {
    // TEE_TCB_SVN[2] is compared with tdxtcbcomponents[2].
    let r = scan(&mint(|o| o.tee_tcb_svn[2] = 1));
    assert_dcap_stops_at(&r, "tdx.tcb.level");
}

#[test]
fn pce_id_mismatch_fails_the_pce_id() {
    // dcap-qvl accepts this; teescan must not.
    let r = scan(&mint(|o| o.tcb_info_pce_id = "0100".into()));
    let c = assert_only_failure(&r, "tdx.tcb.pce_id");
    assert_eq!(c.expected.as_deref(), Some("0100"));
    assert_eq!(c.actual.as_deref(), Some("0000"));
}

#[test]
fn module_isvsvn_below_minimum_fails_the_module_level() {
    let r = scan(&mint(|o| {
        o.tee_tcb_svn[0] = testpki::TDX_MODULE_MIN_ISVSVN - 1
    }));
    let c = assert_dcap_stops_at(&r, "tdx.tcb.module_level");
    assert!(reason(c).contains("ISVSVN"), "{c:?}");
}

#[test]
fn unknown_module_major_version_fails_a_module_check() {
    let r = scan(&mint(|o| o.tee_tcb_svn[1] = 2));
    let failed = failing(&r);
    let id = ["tdx.tcb.module_level", "tdx.tcb.module_identity"]
        .into_iter()
        .find(|id| failed.contains(id))
        .unwrap_or_else(|| panic!("no module check failed: {failed:?}\n{}", dump(&r)));
    // dcap-qvl looks the module identity (TDX_02) up while matching the module TCB level.
    assert_eq!(id, "tdx.tcb.module_level");
    let c = assert_dcap_stops_at(&r, id);
    assert!(reason(c).contains("TDX_02"), "{c:?}");
}

#[test]
fn mrsignerseam_not_intel_fails_the_module_identity() {
    let r = scan(&mint(|o| o.mr_signer_seam = [0xab; 48]));
    let c = assert_dcap_stops_at(&r, "tdx.tcb.module_identity");
    assert!(reason(c).contains("MRSIGNER"), "{c:?}");
}

#[test]
fn current_tcb_below_every_level_fails_the_current_level() {
    // TD 1.5: launch TCB fine, current TCB (TEE_TCB_SVN2) has a module ISVSVN below the minimum.
    let r = scan(&mint(|o| {
        o.version = 5;
        o.v5_body_type = 3;
        let mut svn2 = o.tee_tcb_svn;
        svn2[0] = testpki::TDX_MODULE_MIN_ISVSVN - 1;
        o.tee_tcb_svn2 = Some(svn2);
    }));
    assert_dcap_stops_at(&r, "tdx.tcb.current_level");
}

// ------------------------------------------------------------------------------------------------
// TD attributes, debug, service TD
// ------------------------------------------------------------------------------------------------

/// TD attributes as a u64 (little-endian), for readable mutations.
fn with_attributes(f: impl FnOnce(u64) -> u64) -> Minted {
    mint(|o| {
        let a = f(u64::from_le_bytes(o.td_attributes));
        o.td_attributes = a.to_le_bytes();
    })
}

#[test]
fn debug_td_fails_debug_unless_allowed() {
    let m = with_attributes(|a| a | 1);
    let r = scan(&m);
    let c = assert_only_failure(&r, "tdx.td.debug");
    assert_eq!(c.actual.as_deref(), Some("debug"));
    // Everything dcap-qvl checks passes: debug is teescan's decision.
    for id in DCAP_STAGES {
        assert_status(&r, id, Status::Pass);
    }

    let mut opts = test_opts(&m.root_der);
    opts.tdx.allow_debug = true;
    let r = scan_with(&m.quote, &m.collateral_json, &opts);
    assert_all_pass(&r);
    let c = check(&r, "tdx.td.debug");
    assert!(reason(c).contains("allowed"), "{c:?}");
}

#[test]
fn tud_profiling_fails_debug() {
    let r = scan(&with_attributes(|a| a | (1 << 4)));
    assert_only_failure(&r, "tdx.td.debug");
}

/// The attribute checks that dcap-qvl also makes (its own TD attribute stage fails too, as
/// `tdx.dcap.td_attributes`).
#[track_caller]
fn assert_attributes_fail(r: &Report, why: &str) {
    let c = assert_fails_at(r, "tdx.td.attributes");
    assert!(reason(c).contains(why), "{c:?}");
    let mut failed = failing(r);
    failed.sort_unstable();
    assert_eq!(
        failed,
        vec!["tdx.dcap.td_attributes", "tdx.td.attributes"],
        "report:\n{}",
        dump(r)
    );
    // dcap-qvl runs its attribute rules after the TCB appraisal: those all passed.
    for id in &DCAP_STAGES[..DCAP_STAGES.len() - 1] {
        assert_status(r, id, Status::Pass);
    }
}

#[test]
fn sept_ve_disable_cleared_fails_attributes() {
    let r = scan(&with_attributes(|a| a & !(1 << 28)));
    assert_attributes_fail(&r, "SEPT_VE_DISABLE");
}

#[test]
fn migratable_fails_attributes() {
    let r = scan(&with_attributes(|a| a | (1 << 29)));
    assert_attributes_fail(&r, "MIGRATABLE");
}

#[test]
fn reserved_attribute_bit_fails_attributes() {
    for bit in [1u32, 7, 15, 23, 26, 32, 40, 61] {
        let r = scan(&with_attributes(|a| a | (1 << bit)));
        assert_attributes_fail(&r, "reserved");
    }
}

#[test]
fn servtd_ext_fails_service_td_unless_allowed() {
    // SERVTD_EXT in a TD 1.5 body (v5 quote, as Intel's TDQE emits for service-TD-bound TDs).
    let m = mint(|o| {
        o.version = 5;
        o.v5_body_type = 3;
        o.td_attributes = (u64::from_le_bytes(o.td_attributes) | (1 << 17)).to_le_bytes();
    });
    let r = scan(&m);
    let c = assert_only_failure(&r, "tdx.td.service_td");
    assert!(
        c.actual
            .as_deref()
            .is_some_and(|a| a.contains("SERVTD_EXT 1")),
        "{c:?}"
    );
    let mut opts = test_opts(&m.root_der);
    opts.tdx.allow_service_td = true;
    let r = scan_with(&m.quote, &m.collateral_json, &opts);
    assert_all_pass(&r);
    assert!(reason(check(&r, "tdx.td.service_td")).contains("allowed"));
}

/// SERVTD_EXT in a TD 1.0 body (v4 quote): dcap-qvl rejects it whatever the options ("a TD with
/// service TDs never gets a TD 1.0 body"), so `allow_service_td` cannot accept it. teescan
/// reports it under `tdx.td.service_td` and, via dcap-qvl, under `tdx.td.attributes` — whose own
/// rules (reserved bits, MIGRATABLE, SEPT_VE_DISABLE) all hold here, so that check's reason is
/// only "dcap-qvl rejected the TD attributes"; the cause is in `tdx.dcap.td_attributes`.
#[test]
fn servtd_ext_in_a_td10_body_always_fails() {
    let m = with_attributes(|a| a | (1 << 17));
    let r = scan(&m);
    assert_fails_at(&r, "tdx.td.service_td");
    let dcap = assert_fails_at(&r, "tdx.dcap.td_attributes");
    assert!(reason(dcap).contains("SERVTD_EXT"), "{dcap:?}");
    assert_fails_at(&r, "tdx.td.attributes");

    let mut opts = test_opts(&m.root_der);
    opts.tdx.allow_service_td = true;
    let r = scan_with(&m.quote, &m.collateral_json, &opts);
    assert_status(&r, "tdx.td.service_td", Status::Pass);
    let dcap = assert_fails_at(&r, "tdx.dcap.td_attributes");
    assert!(reason(dcap).contains("SERVTD_EXT"), "{dcap:?}");
    assert_fails_at(&r, "tdx.td.attributes");
}

#[test]
fn mrservicetd_fails_service_td_unless_allowed() {
    let m = mint(|o| {
        o.version = 5;
        o.v5_body_type = 3;
        o.mr_service_td = [0x5d; 48];
    });
    let r = scan(&m);
    let c = assert_only_failure(&r, "tdx.td.service_td");
    assert!(
        c.actual
            .as_deref()
            .is_some_and(|a| a.contains(&"5d".repeat(48))),
        "{c:?}"
    );
    assert_eq!(r.claims["tdx"]["td"]["mr_service_td"], "5d".repeat(48));

    let mut opts = test_opts(&m.root_der);
    opts.tdx.allow_service_td = true;
    let r = scan_with(&m.quote, &m.collateral_json, &opts);
    assert_all_pass(&r);
    let c = check(&r, "tdx.td.service_td");
    assert!(reason(c).contains("allowed"), "{c:?}");
}

// ------------------------------------------------------------------------------------------------
// Parser level
// ------------------------------------------------------------------------------------------------

/// Scan `quote`, which must be refused as input: an `Err` with a quote or input code, never a
/// report and never a panic. Returns the code.
#[track_caller]
fn input_error(quote: &[u8], coll: &Collateral, opts: &ScanOptions) -> &'static str {
    let result = catch_unwind(AssertUnwindSafe(|| scan_tdx_quote(quote, coll, opts)))
        .unwrap_or_else(|_| panic!("scan panicked on a {}-byte input", quote.len()));
    match result {
        Err(e) => {
            let code = e.code();
            assert!(
                code.starts_with("tdx.quote.") || code.starts_with("input."),
                "{}-byte input: unexpected error code {code} ({e})",
                quote.len()
            );
            code
        }
        Ok(r) => panic!(
            "{}-byte input gave a {:?} report instead of an input error:\n{}",
            quote.len(),
            r.verdict,
            dump(&r)
        ),
    }
}

#[test]
fn truncated_quotes_are_input_errors() {
    let m = mint(|_| {});
    let coll = collateral(&m.collateral_json);
    let opts = test_opts(&m.root_der);
    let full = m.quote.len();
    let mut lens: Vec<usize> = (0..full).step_by(7).collect();
    lens.extend([47, 48, 631, 632, 635, 636, full - 1]);
    lens.sort_unstable();
    lens.dedup();
    let mut codes = std::collections::BTreeMap::<&str, usize>::new();
    for len in &lens {
        *codes
            .entry(input_error(&m.quote[..*len], &coll, &opts))
            .or_default() += 1;
    }
    eprintln!("truncation: {} lengths, codes {codes:?}", lens.len());
    assert_eq!(input_error(&[], &coll, &opts), "input.empty");
    for len in [48, 631, 632, 635, 636, full - 1] {
        assert_eq!(
            input_error(&m.quote[..len], &coll, &opts),
            "tdx.quote.truncated",
            "length {len}"
        );
    }
    // Control: the full quote is fine.
    assert_all_pass(&scan(&m));
}

#[test]
fn unsupported_versions_are_input_errors() {
    let m = mint(|_| {});
    let coll = collateral(&m.collateral_json);
    let opts = test_opts(&m.root_der);
    let mut q = m.quote.clone();
    q[0] = 3;
    assert_eq!(input_error(&q, &coll, &opts), "tdx.quote.version");
    for v in [0u16, 1, 2, 6, 0x104] {
        let mut q = m.quote.clone();
        q[..2].copy_from_slice(&v.to_le_bytes());
        let code = input_error(&q, &coll, &opts);
        eprintln!("version {v}: {code}");
        assert!(
            code == "tdx.quote.version" || code.starts_with("input."),
            "version {v}: {code}"
        );
    }
}

#[test]
fn other_tee_types_are_input_errors() {
    let m = mint(|_| {});
    let coll = collateral(&m.collateral_json);
    let opts = test_opts(&m.root_der);
    for tee in [0u32, 0x80, 0x181] {
        let mut q = m.quote.clone();
        q[4..8].copy_from_slice(&tee.to_le_bytes());
        assert_eq!(
            input_error(&q, &coll, &opts),
            "tdx.quote.tee_type",
            "{tee:#x}"
        );
    }
}

#[test]
fn other_attestation_key_types_are_input_errors() {
    let m = mint(|_| {});
    let coll = collateral(&m.collateral_json);
    let opts = test_opts(&m.root_der);
    for kt in [0u16, 1, 3] {
        let mut q = m.quote.clone();
        q[2..4].copy_from_slice(&kt.to_le_bytes());
        assert_eq!(
            input_error(&q, &coll, &opts),
            "tdx.quote.att_key_type",
            "{kt}"
        );
    }
}

#[test]
fn bad_signature_data_lengths_are_input_errors() {
    let m = mint(|_| {});
    let coll = collateral(&m.collateral_json);
    let opts = test_opts(&m.root_der);
    let sig_len = u32::from_le_bytes(m.quote[V4_SIGNED_LEN..V4_SIG_DATA].try_into().unwrap());
    assert_eq!(V4_SIG_DATA + sig_len as usize, m.quote.len());
    for declared in [sig_len + 1, sig_len + 4096, u32::MAX] {
        let mut q = m.quote.clone();
        q[V4_SIGNED_LEN..V4_SIG_DATA].copy_from_slice(&declared.to_le_bytes());
        let code = input_error(&q, &coll, &opts);
        assert_eq!(code, "tdx.quote.truncated", "declared {declared}");
    }
    // Shorter than the content: the certification data no longer fits.
    let mut q = m.quote.clone();
    q[V4_SIGNED_LEN..V4_SIG_DATA].copy_from_slice(&(sig_len - 1).to_le_bytes());
    input_error(&q, &coll, &opts);
    // Outer certification data size past the end of the signature data.
    let mut q = m.quote.clone();
    let at = V4_SIG_DATA + 64 + 64 + 2;
    let outer = u32::from_le_bytes(q[at..at + 4].try_into().unwrap());
    q[at..at + 4].copy_from_slice(&(outer + 1).to_le_bytes());
    input_error(&q, &coll, &opts);
}

#[test]
fn trailing_zero_padding_still_passes() {
    let m = mint(|o| o.trailing_zeros = 3000);
    let r = scan(&m);
    assert_all_pass(&r);
    let s = check(&r, "tdx.quote.structure");
    assert!(
        s.actual
            .as_deref()
            .is_some_and(|a| a.contains("3000 trailing")),
        "{s:?}"
    );
}

// ------------------------------------------------------------------------------------------------
// Mutation sweep
// ------------------------------------------------------------------------------------------------

/// Flip one bit of every byte of the signed region (header ‖ TD report body): the verdict is
/// never pass, and no report claims the quote signature passed.
#[test]
fn every_signed_byte_is_covered_by_the_quote_signature() {
    let m = mint(|_| {});
    let coll = collateral(&m.collateral_json);
    let opts = test_opts(&m.root_der);
    assert_all_pass(&scan_tdx_quote(&m.quote, &coll, &opts).unwrap());

    let start = Instant::now();
    let (mut errors, mut sig_failed, mut other) = (0usize, 0usize, Vec::new());
    for offset in 0..V4_SIGNED_LEN {
        let mut q = m.quote.clone();
        q[offset] ^= 1 << (offset % 8);
        match scan_tdx_quote(&q, &coll, &opts) {
            Err(e) => {
                let code = e.code();
                assert!(
                    code.starts_with("tdx.quote.") || code.starts_with("input."),
                    "offset {offset}: {code}"
                );
                errors += 1;
            }
            Ok(r) => {
                assert_ne!(
                    r.verdict,
                    Verdict::Pass,
                    "offset {offset} passes:\n{}",
                    dump(&r)
                );
                assert!(!failing(&r).is_empty(), "offset {offset}");
                let sig = check(&r, "tdx.quote.signature").status;
                assert_ne!(
                    sig,
                    Status::Pass,
                    "offset {offset}: signature pass:\n{}",
                    dump(&r)
                );
                if sig == Status::Fail {
                    sig_failed += 1;
                } else {
                    other.push((offset, r.first_failure().map(|c| c.id.clone())));
                }
            }
        }
    }
    let elapsed = start.elapsed();
    eprintln!(
        "sweep: {V4_SIGNED_LEN} bit flips in {elapsed:?}: {errors} input errors, {sig_failed} \
         quote signature failures, {} stopped earlier: {other:?}",
        other.len()
    );
    assert_eq!(errors + sig_failed + other.len(), V4_SIGNED_LEN);
    // Most of the signed region is the body, which only the signature protects.
    assert!(sig_failed >= 584, "{sig_failed}");
}

/// The same for a v5 quote with a TD 1.5 body: header ‖ body descriptor ‖ 648-byte body.
#[test]
fn every_signed_byte_of_a_v5_td15_quote_is_covered() {
    let m = mint(|o| {
        o.version = 5;
        o.v5_body_type = 3;
    });
    let coll = collateral(&m.collateral_json);
    let opts = test_opts(&m.root_der);
    assert_all_pass(&scan_tdx_quote(&m.quote, &coll, &opts).unwrap());
    let signed = 48 + 6 + 648;
    let (mut errors, mut sig_failed) = (0usize, 0usize);
    for offset in 0..signed {
        let mut q = m.quote.clone();
        q[offset] ^= 1 << ((offset + 3) % 8);
        match scan_tdx_quote(&q, &coll, &opts) {
            Err(_) => errors += 1,
            Ok(r) => {
                assert_ne!(
                    r.verdict,
                    Verdict::Pass,
                    "offset {offset} passes:\n{}",
                    dump(&r)
                );
                let sig = check(&r, "tdx.quote.signature").status;
                assert_ne!(
                    sig,
                    Status::Pass,
                    "offset {offset}: signature pass:\n{}",
                    dump(&r)
                );
                if sig == Status::Fail {
                    sig_failed += 1;
                }
            }
        }
    }
    eprintln!("v5 sweep: {signed} flips: {errors} input errors, {sig_failed} signature failures");
    assert!(sig_failed >= 648, "{sig_failed}");
}

/// Flip one bit in every 5th byte of the QE report and its signature: the QE report signature
/// (or an earlier parse) catches it.
#[test]
fn qe_report_bytes_are_covered_by_the_qe_report_signature() {
    let m = mint(|_| {});
    let coll = collateral(&m.collateral_json);
    let opts = test_opts(&m.root_der);
    for offset in (V4_QE_REPORT..V4_QE_REPORT + 384 + 64).step_by(5) {
        let mut q = m.quote.clone();
        q[offset] ^= 1 << (offset % 8);
        let r = scan_tdx_quote(&q, &coll, &opts)
            .unwrap_or_else(|e| panic!("offset {offset}: input error {e}"));
        assert_ne!(r.verdict, Verdict::Pass, "offset {offset}");
        assert_status(&r, "tdx.qe.report_signature", Status::Fail);
    }
}

// ------------------------------------------------------------------------------------------------
// Committed fixtures
// ------------------------------------------------------------------------------------------------

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/testpki")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn committed_fixtures() {
    let root = fixture("root.der");
    let coll = Collateral::from_dcap_json(&fixture("collateral.json")).unwrap();
    let opts = test_opts(&root);
    let r = scan_tdx_quote(&fixture("quote.bin"), &coll, &opts).unwrap();
    assert_all_pass(&r);
    assert!(r.warnings.iter().any(|w| w.contains("TEST TRUST ANCHOR")));

    let r = scan_tdx_quote(&fixture("debug_quote.bin"), &coll, &opts).unwrap();
    assert_only_failure(&r, "tdx.td.debug");

    // Not vouched for by Intel.
    let r = scan_tdx_quote(&fixture("quote.bin"), &coll, &ScanOptions::new(at())).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(failing(&r), vec!["tdx.pck.chain_root", "tdx.collateral.root_crl"]);
}

/// The root certificate carried in the quote's PCK chain is outside every signature; Intel's QVL
/// requires it to equal the trusted root, and so does teescan (`tdx.pck.chain_root`).
#[test]
fn a_tampered_root_copy_in_the_quote_chain_fails() {
    let m = mint(|_| {});
    let root = m.root_der.clone();
    let marker = b"-----BEGIN CERTIFICATE-----";
    let last = m
        .quote
        .windows(marker.len())
        .rposition(|w| w == marker)
        .expect("PEM chain in the quote");
    let mut q = m.quote.clone();
    // Swap one base64 character inside the root's body (same length, different DER).
    let i = last + marker.len() + 120;
    q[i] = if q[i] == b'A' { b'B' } else { b'A' };
    let r = scan_with(&q, &m.collateral_json, &test_opts(&root));
    assert_eq!(r.verdict, Verdict::Fail, "report:\n{}", dump(&r));
    let f = failing(&r);
    assert!(
        f.contains(&"tdx.pck.chain_root") || f.contains(&"tdx.pck.chain_format"),
        "failures: {f:?}"
    );
    // The untouched quote passes, so the failure is the mutation's.
    assert_eq!(scan_with(&m.quote, &m.collateral_json, &test_opts(&root)).verdict, Verdict::Pass);
}
