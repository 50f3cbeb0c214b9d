//! Every SEV-SNP check fails on its own, with valid signatures everywhere else: evidence minted by
//! the test AMD PKI (`support/amd_pki.rs`), verified with its test ARK given as a scan option.
//! The same evidence never verifies against AMD's pinned roots.

#[path = "support/amd_pki.rs"]
mod amd_pki;

use amd_pki::{crl, vcek_exts, Mint, Minted, AT};
use teescan::pki::TrustAnchor;
use teescan::policy::Policy;
use teescan::report::{Status, Verdict};
use teescan::scan::{Collateral, Evidence, Scanner};
use teescan::snp::{verify_report, SnpCollateral, SnpOptions, SnpVerification};
use teescan::time::Timestamp;

fn at() -> Timestamp {
    Timestamp::parse_rfc3339(AT).unwrap()
}

fn collateral(m: &Minted) -> SnpCollateral {
    SnpCollateral { certs: vec![m.leaf.clone(), m.inter.clone()], crls: vec![] }
}

fn opts(m: &Minted) -> SnpOptions {
    SnpOptions { test_ark: Some(TrustAnchor::danger_test_root(&m.ark).unwrap()), ..SnpOptions::default() }
}

fn run(m: &Minted, c: &SnpCollateral, o: &SnpOptions) -> SnpVerification {
    verify_report(&m.report, c, at(), o).unwrap()
}

fn failed(v: &SnpVerification) -> Vec<String> {
    v.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id.clone()).collect()
}

/// `m` minted, verified: exactly `ids` fail.
fn fails_only(m: &Mint, ids: &[&str]) {
    let x = m.mint();
    let v = run(&x, &collateral(&x), &opts(&x));
    assert_eq!(failed(&v), ids, "{:#?}", v.checks);
}

#[test]
fn a_minted_genoa_vcek_report_verifies_with_the_test_ark_and_never_with_amds_roots() {
    for m in [Mint::genoa(), Mint::genoa_vlek()] {
        let x = m.mint();
        let v = run(&x, &collateral(&x), &opts(&x));
        assert_eq!(Verdict::from_checks(&v.checks), Verdict::Pass, "{:#?}", v.checks);
        assert!(v.authentic);
        let v = run(&x, &collateral(&x), &SnpOptions::default());
        assert_eq!(Verdict::from_checks(&v.checks), Verdict::Fail);
        assert!(failed(&v).contains(&"snp.chain.intermediate".to_owned()), "{:?}", failed(&v));
    }
}

#[test]
fn a_supplied_root_that_is_not_the_pinned_or_test_ark_fails_the_chain_ark() {
    let x = Mint::genoa().mint();
    let mut c = collateral(&x);
    let mut other = Mint::genoa();
    other.ark.subject = "ARK-Genoa".into();
    other.ark.serial = vec![9];
    c.certs.push(other.mint().ark);
    let v = run(&x, &c, &opts(&x));
    assert_eq!(failed(&v), ["snp.chain.ark"]);
}

#[test]
fn broken_signatures_of_the_intermediate_or_the_leaf_fail_their_checks() {
    let x = Mint::genoa().mint();
    for (which, id) in [(1usize, "snp.chain.intermediate"), (0, "snp.chain.leaf")] {
        let mut c = collateral(&x);
        let n = c.certs[which].len();
        c.certs[which][n - 3] ^= 1;
        let v = run(&x, &c, &opts(&x));
        assert!(failed(&v).contains(&id.to_owned()), "{id}: {:?}", failed(&v));
        assert!(!v.authentic);
    }
}

#[test]
fn an_intermediate_that_is_not_a_ca_or_a_leaf_with_an_unknown_critical_extension_fails() {
    let mut m = Mint::genoa();
    m.inter.ca = false;
    fails_only(&m, &["snp.chain.intermediate"]);
    let mut m = Mint::genoa();
    m.leaf.exts.push(("1.2.3.4".into(), true, vec![0x05, 0x00]));
    fails_only(&m, &["snp.chain.leaf"]);
}

#[test]
fn an_expired_or_not_yet_valid_certificate_fails_the_validity_check() {
    let mut m = Mint::genoa();
    m.leaf.not_after = "2026-01-01T00:00:00Z".into();
    fails_only(&m, &["snp.chain.validity"]);
    let mut m = Mint::genoa();
    m.inter.not_before = "2026-02-01T00:00:00Z".into();
    fails_only(&m, &["snp.chain.validity"]);
}

#[test]
fn a_leaf_or_cpuid_of_another_product_fails_the_product_check() {
    let mut m = Mint::genoa();
    m.leaf.exts = vcek_exts("Milan-B0", Some(&m.chip_id), m.reported_tcb);
    fails_only(&m, &["snp.chain.product"]);
    // A Milan CPUID under a Genoa chain (the test ARK stands in for every product's ARK).
    let mut m = Mint::genoa();
    m.cpuid = (0x19, 0x01, 0x01);
    fails_only(&m, &["snp.chain.product"]);
}

#[test]
fn a_report_naming_another_key_or_none_fails_the_signing_key_check() {
    let mut m = Mint::genoa();
    m.signing_key = 1;
    fails_only(&m, &["snp.report.signing_key"]);
    let mut m = Mint::genoa();
    m.signing_key = 7;
    let x = m.mint();
    let v = run(&x, &collateral(&x), &opts(&x));
    assert!(failed(&v).contains(&"snp.report.signing_key".to_owned()));
    assert!(!v.authentic);
}

#[test]
fn a_byte_changed_after_signing_fails_the_report_signature() {
    let mut x = Mint::genoa().mint();
    x.report[0x90] ^= 1;
    let v = run(&x, &collateral(&x), &opts(&x));
    assert_eq!(failed(&v), ["snp.report.signature"]);
}

#[test]
fn a_vcek_for_another_chip_a_masked_chip_id_or_a_vlek_with_a_hwid_fails_the_hwid_check() {
    let mut m = Mint::genoa();
    m.leaf.exts = vcek_exts("Genoa", Some(&[0x11; 64]), m.reported_tcb);
    fails_only(&m, &["snp.vcek.hwid"]);
    let mut m = Mint::genoa();
    m.leaf.exts = vcek_exts("Genoa", None, m.reported_tcb);
    fails_only(&m, &["snp.vcek.hwid"]);
    let mut m = Mint::genoa();
    m.tamper_signed = Some(|r: &mut [u8]| r[0x48] |= 2); // MASK_CHIP_ID
    fails_only(&m, &["snp.vcek.hwid"]);
    let mut m = Mint::genoa_vlek();
    m.leaf.exts = vcek_exts("Genoa", Some(&m.chip_id), m.reported_tcb);
    fails_only(&m, &["snp.vcek.hwid"]);
}

#[test]
fn a_vcek_issued_for_another_tcb_fails_the_tcb_check() {
    let mut m = Mint::genoa();
    let mut other = m.reported_tcb;
    other[7] = 85;
    m.leaf.exts = vcek_exts("Genoa", Some(&m.chip_id), other);
    fails_only(&m, &["snp.vcek.tcb"]);
    let mut m = Mint::genoa();
    m.leaf.exts.retain(|(id, _, _)| !id.ends_with(".3.3"));
    fails_only(&m, &["snp.vcek.tcb"]);
}

#[test]
fn turin_reads_its_own_tcb_layout_and_an_eight_byte_hwid() {
    let mut m = Mint::genoa();
    m.product = "Turin";
    m.cpuid = (0x1A, 0x02, 0x00);
    m.reported_tcb = [1, 2, 3, 4, 0, 0, 0, 81]; // fmc bl tee snp .. ucode
    m.ark.subject = "ARK-Turin".into();
    m.ark.issuer = "ARK-Turin".into();
    m.inter.issuer = "ARK-Turin".into();
    m.inter.subject = "SEV-Turin".into();
    m.leaf.issuer = "SEV-Turin".into();
    let mut chip = [0u8; 64];
    chip[..8].copy_from_slice(&[0xc1; 8]);
    m.chip_id = chip;
    let a = |s: &str| format!("1.3.6.1.4.1.3704.1.{s}");
    let turin_exts = |hw: &[u8], ucode: u8| {
        vec![
            (a("2"), false, amd_pki::ia5("Turin")),
            (a("3.9"), false, amd_pki::amd_int(1)),
            (a("3.1"), false, amd_pki::amd_int(2)),
            (a("3.2"), false, amd_pki::amd_int(3)),
            (a("3.3"), false, amd_pki::amd_int(4)),
            (a("3.8"), false, amd_pki::amd_int(ucode)),
            (a("4"), false, hw.to_vec()),
        ]
    };
    m.leaf.exts = turin_exts(&[0xc1; 8], 81);
    fails_only(&m, &[]);
    // A 64-byte hwID on Turin, or a ucode SPL read in the Milan layout, fails.
    let mut bad = m.clone();
    bad.leaf.exts = turin_exts(&chip, 81);
    fails_only(&bad, &["snp.vcek.hwid"]);
    let mut bad = m.clone();
    bad.leaf.exts = turin_exts(&[0xc1; 8], 80);
    fails_only(&bad, &["snp.vcek.tcb"]);
}

#[test]
fn the_crl_must_be_ark_signed_current_and_not_list_the_intermediate() {
    let m = Mint::genoa();
    let x = m.mint();
    let serial = [2u8, 0, 2];
    let cases: [(Vec<u8>, Status); 4] = [
        (crl("ARK-Genoa", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", &[]), Status::Pass),
        (crl("ARK-Genoa", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", &[&serial]), Status::Fail),
        (crl("ARK-Genoa", "2025-11-01T00:00:00Z", "2026-01-01T00:00:00Z", &[]), Status::Fail),
        (crl("SEV-Genoa", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", &[]), Status::Fail),
    ];
    for (i, (der, want)) in cases.into_iter().enumerate() {
        let mut c = collateral(&x);
        c.crls.push(der);
        let v = run(&x, &c, &opts(&x));
        assert_eq!(v.checks.iter().find(|c| c.id == "snp.crl").unwrap().status, want, "case {i}: {:#?}", v.checks);
    }
    // Required but absent: indeterminate, never a pass.
    let v = run(&x, &collateral(&x), &SnpOptions { require_crl: true, ..opts(&x) });
    assert_eq!(Verdict::from_checks(&v.checks), Verdict::Indeterminate);
}

#[test]
fn debug_migrate_ma_and_reserved_policy_bits_fail_unless_allowed() {
    let mut m = Mint::genoa();
    m.policy = 0x30000 | (1 << 19);
    fails_only(&m, &["snp.guest.debug"]);
    let x = m.mint();
    let v = run(&x, &collateral(&x), &SnpOptions { allow_debug: true, ..opts(&x) });
    assert!(failed(&v).is_empty());
    let mut m = Mint::genoa();
    m.policy = 0x30000 | (1 << 18);
    fails_only(&m, &["snp.guest.migrate_ma"]);
    let mut m = Mint::genoa();
    m.policy = 0x10000;
    fails_only(&m, &["snp.guest.policy_reserved"]);
    let mut m = Mint::genoa();
    m.policy = 0x30000 | (1 << 40);
    fails_only(&m, &["snp.guest.policy_reserved"]);
}

#[test]
fn an_unparseable_certificate_is_a_failure_not_an_absence() {
    let x = Mint::genoa().mint();
    let mut c = collateral(&x);
    c.certs.push(b"garbage".to_vec());
    let v = run(&x, &c, &opts(&x));
    assert_eq!(failed(&v), ["snp.collateral.parse"]);
}

/// Each `[snp]` rule fails alone on a verified minted report, through the scanner.
#[test]
fn every_snp_policy_rule_fails_alone_when_the_report_differs() {
    let m = Mint::genoa();
    let x = m.mint();
    let mut s = Scanner::new(at());
    s.options.amd_test_ark = Some(TrustAnchor::danger_test_root(&x.ark).unwrap());
    let ev = Evidence::detect(&x.report).unwrap();
    let coll = Collateral { snp: collateral(&x), ..Collateral::default() };
    let base = "schema = \"teescan.policy/v1\"\nid = \"t\"\nexpires = 2027-01-01T00:00:00Z\n[snp]\n";
    let meas = hex::encode(m.measurement);
    let passing = format!("measurement = {{ any_of = [\"{meas}\"] }}\n");
    let r = s.clone().with_policy(Policy::load(format!("{base}{passing}").as_bytes()).unwrap()).scan(&ev, &coll).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:#?}", r.checks);
    assert!(r.warnings.iter().any(|w| w.contains("TEST TRUST ANCHOR")));
    let z = |n: usize| "11".repeat(n);
    for (rule, id) in [
        (format!("measurement = {{ any_of = [\"{}\"] }}", z(48)), "policy.snp.measurement"),
        (format!("host_data = {{ any_of = [\"{}\"] }}", z(32)), "policy.snp.host_data"),
        (format!("id_key_digest = {{ any_of = [\"{}\"] }}", z(48)), "policy.snp.id_key_digest"),
        (format!("author_key_digest = {{ any_of = [\"{}\"] }}", z(48)), "policy.snp.author_key_digest"),
        (format!("family_id = {{ any_of = [\"{}\"] }}", z(16)), "policy.snp.family_id"),
        (format!("image_id = {{ any_of = [\"{}\"] }}", z(16)), "policy.snp.image_id"),
        ("product = { any_of = [\"Milan\"] }".to_owned(), "policy.snp.product"),
        ("min_tcb = { ucode = 85 }".to_owned(), "policy.snp.min_tcb"),
        ("min_tcb = { fmc = 1 }".to_owned(), "policy.snp.min_tcb"),
        ("min_committed_tcb = { snp = 24 }".to_owned(), "policy.snp.min_committed_tcb"),
        ("min_current_tcb = { bl = 11 }".to_owned(), "policy.snp.min_current_tcb"),
        ("min_guest_svn = 2".to_owned(), "policy.snp.min_guest_svn"),
        ("vmpl = { any_of = [1] }".to_owned(), "policy.snp.vmpl"),
        ("policy = { value = \"0x10000\", mask = \"0x30000\" }".to_owned(), "policy.snp.policy"),
        ("platform_info = { value = \"0x1\", mask = \"0x1\" }".to_owned(), "policy.snp.platform_info"),
        ("allow_smt = false".to_owned(), "policy.snp.allow_smt"),
        (format!("report_data = {{ exact = \"{}\" }}", z(64)), "policy.snp.report_data"),
        ("report_data = { scheme = \"tinfoil-v3\" }".to_owned(), "policy.snp.report_data"),
    ] {
        let text = format!("{base}{passing}{rule}\n");
        let text = if rule.starts_with("measurement") { format!("{base}{rule}\n") } else { text };
        let r = s.clone().with_policy(Policy::load(text.as_bytes()).unwrap()).scan(&ev, &coll).unwrap();
        let f: Vec<&str> = r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id.as_str()).collect();
        assert_eq!(f, [id], "{rule}");
    }
    // require_crl without a CRL: indeterminate.
    let r = s.clone().with_policy(Policy::load(format!("{base}{passing}require_crl = true\n").as_bytes()).unwrap()).scan(&ev, &coll).unwrap();
    assert_eq!(r.verdict, Verdict::Indeterminate);
    // DEBUG allowed only by the policy.
    let mut dm = Mint::genoa();
    dm.policy |= 1 << 19;
    let dx = dm.mint();
    let mut s2 = Scanner::new(at());
    s2.options.amd_test_ark = Some(TrustAnchor::danger_test_root(&dx.ark).unwrap());
    let dc = Collateral { snp: collateral(&dx), ..Collateral::default() };
    let dev = Evidence::detect(&dx.report).unwrap();
    let r = s2.clone().with_policy(Policy::load(format!("{base}{passing}").as_bytes()).unwrap()).scan(&dev, &dc).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    let r = s2.with_policy(Policy::load(format!("{base}{passing}allow_debug = true\n").as_bytes()).unwrap()).scan(&dev, &dc).unwrap();
    assert_eq!(r.verdict, Verdict::Pass);
}

#[test]
fn snp_policy_sections_that_check_nothing_or_name_unknown_values_are_refused() {
    let base = "schema = \"teescan.policy/v1\"\nid = \"t\"\nexpires = 2027-01-01T00:00:00Z\n[snp]\n";
    for bad in ["allow_debug = false", "min_tcb = {}\nmeasurement = { any_of = [\"00\"] }", "product = { any_of = [\"milan\"] }\nmin_guest_svn = 1", "policy = { value = \"0x1\", mask = \"0x0\" }", "report_data = { scheme = \"compose-actions\" }", "measurement = { any_of = [] }", "mesurement = 1"] {
        assert!(Policy::load(format!("{base}{bad}\n").as_bytes()).is_err(), "{bad}");
    }
}
