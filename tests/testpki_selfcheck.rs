//! Self-check of the test PKI / quote minter (`tests/support/testpki.rs`): the minted
//! evidence must be accepted by dcap-qvl, and each mutation must be rejected by
//! dcap-qvl for the intended reason.

#[path = "support/testpki.rs"]
mod testpki;

use std::sync::OnceLock;

use dcap_qvl::verify::{QuoteVerifier, VerifiedReport};
use dcap_qvl::QuoteCollateralV3;
use testpki::{MintOptions, Minted, TestPki, PINNED_TIME_UNIX};

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(TestPki::new)
}

fn collateral(m: &Minted) -> QuoteCollateralV3 {
    serde_json::from_str(&m.collateral_json).expect("collateral JSON parses as QuoteCollateralV3")
}

fn verify_with(verifier: QuoteVerifier, m: &Minted) -> Result<VerifiedReport, String> {
    verifier
        .verify(&m.quote, &collateral(m), PINNED_TIME_UNIX)
        .map_err(|e| format!("{e:#}"))
}

fn verify(m: &Minted) -> Result<VerifiedReport, String> {
    verify_with(QuoteVerifier::new(m.root_der.clone()), m)
}

fn mint(f: impl FnOnce(&mut MintOptions)) -> Minted {
    let mut opts = MintOptions::default();
    f(&mut opts);
    pki().mint(&opts)
}

#[track_caller]
fn assert_rejected(m: &Minted, needle: &str) {
    match verify(m) {
        Ok(r) => panic!(
            "expected rejection containing {needle:?}, got Ok(status {})",
            r.status
        ),
        Err(e) => assert!(e.contains(needle), "expected {needle:?} in error, got: {e}"),
    }
}

#[test]
fn default_quote_verifies_up_to_date() {
    let m = mint(|_| {});
    let r = verify(&m).expect("default minted quote must verify");
    assert_eq!(r.status, "UpToDate");
    assert!(r.advisory_ids.is_empty());
    assert_eq!(r.ppid, vec![0x99; 16]);
    let td = r.report.as_td10().expect("TD report");
    let d = MintOptions::default();
    assert_eq!(td.report_data, d.report_data);
    assert_eq!(td.mr_td, d.mr_td);
    assert_eq!(td.rt_mr3, d.rtmr[3]);
    assert_eq!(td.td_attributes, d.td_attributes);
    assert_eq!(td.xfam, d.xfam);
    assert_eq!(td.tee_tcb_svn, d.tee_tcb_svn);
    // Quote layout sanity: v4 header + 584-byte body, sig_data_len covers the rest.
    assert_eq!(u16::from_le_bytes([m.quote[0], m.quote[1]]), 4);
    let sig_len = u32::from_le_bytes(m.quote[632..636].try_into().unwrap()) as usize;
    assert_eq!(636 + sig_len, m.quote.len());
    assert_eq!(
        u16::from_le_bytes([m.quote[636 + 128], m.quote[636 + 129]]),
        6
    );
}

#[test]
fn trailing_zeros_still_verify() {
    let m = mint(|o| o.trailing_zeros = 307);
    let sig_len = u32::from_le_bytes(m.quote[632..636].try_into().unwrap()) as usize;
    assert_eq!(636 + sig_len + 307, m.quote.len());
    assert_eq!(verify(&m).unwrap().status, "UpToDate");
}

#[test]
fn v5_td10_body_verifies() {
    let m = mint(|o| {
        o.version = 5;
        o.v5_body_type = 2;
    });
    assert_eq!(u16::from_le_bytes([m.quote[48], m.quote[49]]), 2);
    assert_eq!(u32::from_le_bytes(m.quote[50..54].try_into().unwrap()), 584);
    let r = verify(&m).expect("v5 TD1.0 quote must verify");
    assert_eq!(r.status, "UpToDate");
    assert!(r.report.as_td15().is_none());
}

#[test]
fn v5_td15_body_verifies() {
    let m = mint(|o| {
        o.version = 5;
        o.v5_body_type = 3;
    });
    assert_eq!(u16::from_le_bytes([m.quote[48], m.quote[49]]), 3);
    assert_eq!(u32::from_le_bytes(m.quote[50..54].try_into().unwrap()), 648);
    let r = verify(&m).expect("v5 TD1.5 quote must verify");
    assert_eq!(r.status, "UpToDate");
    assert!(r.report.as_td15().is_some());
}

#[test]
fn revoked_pck_is_rejected() {
    assert_rejected(&mint(|o| o.revoke_pck = true), "CertRevoked");
}

#[test]
fn revoked_platform_ca_is_rejected() {
    assert_rejected(&mint(|o| o.revoke_platform_ca = true), "CertRevoked");
}

#[test]
fn expired_crl_is_rejected() {
    assert_rejected(
        &mint(|o| {
            o.crl_this_update = "2025-12-01T00:00:00Z".into();
            o.crl_next_update = "2026-01-01T00:00:00Z".into();
        }),
        "CrlExpired",
    );
}

#[test]
fn expired_tcb_info_is_rejected() {
    assert_rejected(
        &mint(|o| o.tcb_info_next_update = "2026-01-14T00:00:00Z".into()),
        "TCBInfo expired",
    );
}

#[test]
fn expired_qe_identity_is_rejected() {
    assert_rejected(
        &mint(|o| o.qe_identity_next_update = "2026-01-14T00:00:00Z".into()),
        "QE Identity expired",
    );
}

#[test]
fn corrupt_qe_report_data_is_rejected() {
    assert_rejected(
        &mint(|o| o.corrupt_qe_report_data = true),
        "QE report hash mismatch",
    );
}

#[test]
fn out_of_date_tcb_is_reported() {
    let m = mint(|o| {
        o.tcb_status = "OutOfDate".into();
        o.advisory_ids = vec!["INTEL-SA-00837".into()];
    });
    let r = verify(&m).expect("OutOfDate is not a verification failure in dcap-qvl");
    assert_eq!(r.status, "OutOfDate");
    assert_eq!(r.advisory_ids, vec!["INTEL-SA-00837".to_string()]);
}

#[test]
fn revoked_tcb_is_rejected() {
    assert_rejected(&mint(|o| o.tcb_status = "Revoked".into()), "Revoked");
}

#[test]
fn fmspc_mismatch_is_rejected() {
    assert_rejected(
        &mint(|o| o.tcb_info_fmspc = Some("00906ED50000".into())),
        "Fmspc mismatch",
    );
}

#[test]
fn low_cpu_svn_has_no_matching_tcb_level() {
    assert_rejected(&mint(|o| o.cpu_svn[0] = 1), "No matching TCB level found");
}

#[test]
fn debug_td_is_rejected() {
    let m = mint(|o| o.td_attributes[0] |= 0x01);
    let err = verify_with(
        QuoteVerifier::new(m.root_der.clone()).allow_debug(false),
        &m,
    )
    .expect_err("debug TD must be rejected");
    assert!(err.contains("Debug mode is enabled"), "{err}");
    // Everything else about the debug quote is valid.
    let r = verify_with(QuoteVerifier::new(m.root_der.clone()).allow_debug(true), &m)
        .expect("debug quote verifies when debug is allowed");
    assert_eq!(r.status, "UpToDate");
}

#[test]
fn intel_production_root_rejects_test_evidence() {
    let m = mint(|_| {});
    let err = verify_with(QuoteVerifier::new_prod(), &m)
        .expect_err("TEST-root evidence must not verify against Intel's root");
    assert!(err.contains("root CA CRL"), "{err}");
}

#[test]
fn flipped_body_byte_is_rejected() {
    let mut m = mint(|_| {});
    m.quote[48 + 136] ^= 0x01; // one byte of MRTD
    assert_rejected(&m, "ISV enclave report signature is invalid");
}

#[test]
fn outer_cert_data_type_is_written() {
    let m = mint(|o| o.outer_cert_data_type = 5);
    assert_eq!(
        u16::from_le_bytes([m.quote[636 + 128], m.quote[636 + 129]]),
        5
    );
}

#[test]
fn fixture_dir_round_trips() {
    let dir = std::env::temp_dir().join(format!(
        "teescan-testpki-fixtures-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    testpki::write_fixture_dir(&dir).expect("write fixtures");
    let read = |name: &str| std::fs::read(dir.join(name)).expect(name);
    let root = read("root.der");
    let quote = read("quote.bin");
    let debug_quote = read("debug_quote.bin");
    let collateral: QuoteCollateralV3 =
        serde_json::from_slice(&read("collateral.json")).expect("collateral JSON");
    let readme = String::from_utf8(read("README.md")).unwrap();
    assert!(readme.contains("TEST root"));
    assert!(readme.contains(testpki::PINNED_TIME));

    let r = QuoteVerifier::new(root.clone())
        .verify(&quote, &collateral, PINNED_TIME_UNIX)
        .expect("fixture quote verifies");
    assert_eq!(r.status, "UpToDate");
    let err = QuoteVerifier::new(root.clone())
        .verify(&debug_quote, &collateral, PINNED_TIME_UNIX)
        .expect_err("debug fixture rejected");
    assert!(format!("{err:#}").contains("Debug mode is enabled"));
    assert!(QuoteVerifier::new_prod()
        .verify(&quote, &collateral, PINNED_TIME_UNIX)
        .is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn pinned_time_constants_agree() {
    let t = chrono::DateTime::parse_from_rfc3339(testpki::PINNED_TIME).unwrap();
    assert_eq!(t.timestamp() as u64, PINNED_TIME_UNIX);
}
