//! Real AMD-signed SEV-SNP evidence from `../shared/fixtures/sev-snp/`: every case of
//! `manifest.json` gives its expected outcome at its pinned time, Tinfoil's 26 conformance
//! vectors give their expected accept/reject, and single-byte mutations never pass.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/snp_corpus.rs"]
mod snp_corpus;

use teescan::pki::TrustAnchor;
use teescan::report::{Status, Verdict};
use teescan::snp::{verify_report, SnpCollateral, SnpOptions};
use teescan::time::Timestamp;

/// The teescan check that must fail for each of the manifest checker's reject codes.
fn failing_checks(code: &str) -> &'static [&'static str] {
    match code {
        "GUEST_POLICY_DEBUG" => &["snp.guest.debug"],
        "CRL_EXPIRED" => &["snp.crl"],
        "CERT_EXPIRED" => &["snp.chain.validity"],
        "CHAIN_INVALID" => &["snp.chain.intermediate", "snp.chain.leaf"],
        "REPORT_SIGNATURE_INVALID" => &["snp.report.signature"],
        other => panic!("unmapped code {other}"),
    }
}

fn failed(checks: &[teescan::report::Check]) -> Vec<&str> {
    checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id.as_str()).collect()
}

#[test]
fn every_manifest_case_gives_its_expected_outcome_at_its_pinned_time() {
    let Some(root) = corpus::root() else { return };
    let cases = snp_corpus::cases(&root);
    assert_eq!(cases.len(), 22);
    for c in cases {
        let opts = SnpOptions { allow_debug: c.allow_debug, ..SnpOptions::default() };
        let v = verify_report(&c.report, &c.collateral, c.at, &opts).unwrap_or_else(|e| panic!("{}: {e}", c.id));
        let verdict = Verdict::from_checks(&v.checks);
        let fails = failed(&v.checks);
        match c.expect.strip_prefix("reject:") {
            None => {
                assert_eq!(verdict, Verdict::Pass, "{}: {:#?}", c.id, v.checks);
                assert!(v.authentic, "{}", c.id);
            }
            Some(code) => {
                assert_eq!(verdict, Verdict::Fail, "{}: {:#?}", c.id, v.checks);
                let want = failing_checks(code);
                assert!(fails.iter().any(|f| want.contains(f)), "{}: expected one of {want:?} to fail, failed: {fails:?}", c.id);
            }
        }
        eprintln!("{:<40} {:?} {:?}", c.id, verdict, fails);
    }
}

#[test]
fn the_crl_case_checks_the_crl_and_a_policy_requiring_one_without_it_is_indeterminate() {
    let Some(root) = corpus::root() else { return };
    let c = snp_corpus::cases(&root).into_iter().find(|c| c.id == "atakit-gcp-milan-v5-crl").unwrap();
    let v = verify_report(&c.report, &c.collateral, c.at, &SnpOptions::default()).unwrap();
    assert_eq!(v.checks.iter().find(|x| x.id == "snp.crl").unwrap().status, Status::Pass);
    let mut no_crl = c.collateral.clone();
    no_crl.crls.clear();
    let v = verify_report(&c.report, &no_crl, c.at, &SnpOptions { require_crl: true, ..SnpOptions::default() }).unwrap();
    assert_eq!(Verdict::from_checks(&v.checks), Verdict::Indeterminate);
    let v = verify_report(&c.report, &no_crl, c.at, &SnpOptions::default()).unwrap();
    assert_eq!(Verdict::from_checks(&v.checks), Verdict::Pass);
    // A CRL whose signature is broken is a failure, not an absence.
    let mut bad = c.collateral.clone();
    let n = bad.crls[0].len();
    bad.crls[0][n - 5] ^= 1;
    let v = verify_report(&c.report, &bad, c.at, &SnpOptions::default()).unwrap();
    assert_eq!(Verdict::from_checks(&v.checks), Verdict::Fail);
}

/// Signed fields of the report (offset, length) — every byte of `0x000..0x2A0` is signed.
#[test]
fn single_byte_mutations_of_every_signed_byte_of_real_reports_never_pass() {
    let Some(root) = corpus::root() else { return };
    for c in snp_corpus::cases(&root).into_iter().filter(|c| c.expect == "accept").take(14) {
        // Every 7th byte of the signed region and every signature byte that is not forced zero:
        // each mutation either fails to parse (reserved, version) or fails verification.
        let offsets: Vec<usize> = (0..0x2A0).step_by(if c.id.starts_with("ms-") { 1 } else { 37 }).chain([0x2A0, 0x2A0 + 47, 0x2E8, 0x2E8 + 47]).collect();
        for at in offsets {
            let mut r = c.report.clone();
            r[at] ^= 0x01;
            let opts = SnpOptions { allow_debug: true, allow_migrate_ma: true, ..SnpOptions::default() };
            if let Ok(v) = verify_report(&r, &c.collateral, c.at, &opts) {
                assert_eq!(Verdict::from_checks(&v.checks), Verdict::Fail, "{} byte {at:#x}", c.id);
                assert!(!v.authentic, "{} byte {at:#x}", c.id);
            }
        }
    }
}

#[test]
fn removing_the_vcek_or_the_ask_is_indeterminate_and_an_unpinned_ark_fails() {
    let Some(root) = corpus::root() else { return };
    let c = snp_corpus::cases(&root).into_iter().find(|c| c.id == "ms-genoa-v3").unwrap();
    let opts = SnpOptions::default();
    for drop_p384 in [true, false] {
        let mut col = SnpCollateral::default();
        for der in &c.collateral.certs {
            let p384 = der.windows(7).any(|w| w == [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]);
            let ark = teescan::pki::amd::Product::ALL.iter().any(|p| p.ark_der() == der.as_slice());
            if (drop_p384 && !p384) || (!drop_p384 && (p384 || ark)) {
                col.certs.push(der.clone());
            }
        }
        if !drop_p384 {
            // the leaf without its ASK
            col.certs.push(c.collateral.certs.iter().find(|d| d.windows(7).any(|w| w == [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22])).unwrap().clone());
            col.certs.retain(|d| d.windows(7).any(|w| w == [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]));
        }
        let v = verify_report(&c.report, &col, c.at, &opts).unwrap();
        assert_eq!(Verdict::from_checks(&v.checks), Verdict::Indeterminate, "drop_p384={drop_p384}: {:#?}", v.checks);
    }
    // The pinned ARK of another product is no root for this report; a foreign root fails.
    let mut col = c.collateral.clone();
    col.certs.push(std::fs::read(root.join("sev-snp/tinfoil-conformance/vectors/attestation-sev/_assets/synth_chain/ark.pem")).map(|p| pem::parse(p).unwrap().into_contents()).unwrap());
    let v = verify_report(&c.report, &col, c.at, &opts).unwrap();
    assert!(failed(&v.checks).contains(&"snp.chain.ark"));
}

// ---------------------------------------------------------------- Tinfoil vectors

struct Vector {
    name: String,
    accepted: bool,
    codes: Vec<String>,
    outcome: Result<Vec<teescan::report::Check>, String>,
}

/// Tinfoil's per-vector policy pins, as a caller would state them (the `[snp]` policy section
/// does the same in a scan; these vectors exercise the verifier directly).
fn pins(pol: &serde_json::Value, r: &teescan::snp::Report, checks: &mut Vec<teescan::report::Check>) {
    use teescan::report::Check;
    let hexeq = |k: &str, got: &[u8], id: &str, checks: &mut Vec<Check>| {
        if let Some(w) = pol[k].as_str() {
            checks.push(Check::from_bool(id, id, hex::encode(got) == w.to_lowercase(), "mismatch"));
        }
    };
    hexeq("expected_measurement_hex", &r.measurement, "snp.policy.measurement", checks);
    hexeq("expected_host_data_hex", &r.host_data, "snp.policy.host_data", checks);
    hexeq("expected_report_data_hex", &r.report_data, "snp.policy.report_data", checks);
    hexeq("expected_id_key_digest_hex", &r.id_key_digest, "snp.policy.id_key_digest", checks);
    hexeq("expected_author_key_digest_hex", &r.author_key_digest, "snp.policy.author_key_digest", checks);
    let t = r.tcb(teescan::snp::report::TcbField::Reported, teescan::pki::amd::Product::Genoa);
    for (k, v) in [("bl", t.bl), ("ucode", t.ucode), ("tee", t.tee), ("snp", t.snp)] {
        if let Some(min) = pol[format!("min_tcb_{k}_spl")].as_u64() {
            checks.push(Check::from_bool("snp.policy.min_tcb", "min", u64::from(v) >= min, "below"));
        }
    }
}

fn run_vector(root: &std::path::Path, dir: &std::path::Path) -> Vector {
    let inp: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("input.json")).unwrap()).unwrap();
    let exp: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let codes = match &exp["rejection"]["code"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        _ => Vec::new(),
    };
    let report = snp_corpus::gunzip(&snp_corpus::b64(inp["attestation_doc_b64"].as_str().unwrap()));
    let at = Timestamp::from_unix(inp["expiration_check_date_unix"].as_u64().unwrap());
    let mut col = SnpCollateral::default();
    let mut opts = SnpOptions::default();
    let outcome = (|| {
        col.add_certs(&snp_corpus::b64(inp["vcek_der_b64"].as_str().unwrap()))?;
        match inp["amd_root_ca_pem"].as_str() {
            // Tinfoil's synthetic chain: its ARK is a test anchor given as a scan option.
            Some(ark) => {
                opts.test_ark = Some(TrustAnchor::danger_test_root(ark.as_bytes()).map_err(|e| e.to_string())?);
                col.add_certs(inp["ask_pem"].as_str().unwrap().as_bytes())?;
            }
            None => col.add_certs(&std::fs::read(root.join("sev-snp/go-sev-guest/trust/ask_ark_genoa.pem")).unwrap())?,
        }
        let v = verify_report(&report, &col, at, &opts).map_err(|e| e.to_string())?;
        let mut checks = v.checks;
        pins(&inp["policy"], &v.report, &mut checks);
        Ok(checks)
    })();
    Vector { name: dir.file_name().unwrap().to_string_lossy().into_owned(), accepted: exp["accepted"].as_bool().unwrap(), codes, outcome }
}

/// Tinfoil's reject codes and the teescan checks (or input errors) that answer them.
fn answers(code: &str, fails: &[&str]) -> bool {
    let any = |ids: &[&str]| fails.iter().any(|f| ids.contains(f));
    match code {
        "REPORT_SIGNATURE_INVALID" => any(&["snp.report.signature"]),
        "VCEK_CHAIN_INVALID" => any(&["snp.chain.leaf", "snp.chain.intermediate", "snp.collateral.parse"]),
        "VCEK_EXPIRED" => any(&["snp.chain.validity"]),
        "VCEK_HWID_MISMATCH" => any(&["snp.vcek.hwid"]),
        "VCEK_TCB_MISMATCH" => any(&["snp.vcek.tcb"]),
        "GUEST_POLICY_DEBUG_SET" => any(&["snp.guest.debug"]),
        "GUEST_POLICY_MIGRATE_MA_SET" => any(&["snp.guest.migrate_ma"]),
        "GUEST_POLICY_RESERVED_BIT_SET" => any(&["snp.guest.policy_reserved"]),
        "MEASUREMENT_MISMATCH" => any(&["snp.policy.measurement"]),
        "HOST_DATA_MISMATCH" => any(&["snp.policy.host_data"]),
        "REPORT_DATA_MISMATCH" => any(&["snp.policy.report_data"]),
        "ID_KEY_DIGEST_MISMATCH" => any(&["snp.policy.id_key_digest"]),
        "AUTHOR_KEY_DIGEST_MISMATCH" => any(&["snp.policy.author_key_digest"]),
        "TCB_OUT_OF_DATE" => any(&["snp.policy.min_tcb"]),
        _ => false,
    }
}

#[test]
fn tinfoils_26_sev_snp_vectors_give_their_expected_codes() {
    let Some(root) = corpus::root() else { return };
    let vroot = root.join("sev-snp/tinfoil-conformance/vectors/attestation-sev");
    let mut dirs: Vec<_> = std::fs::read_dir(&vroot).unwrap().map(|e| e.unwrap().path()).filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_')).collect();
    dirs.sort();
    assert_eq!(dirs.len(), 26);
    for d in dirs {
        let v = run_vector(&root, &d);
        match &v.outcome {
            Err(e) => {
                // Malformed input (version, truncation, a VCEK that does not parse): exit 2.
                assert!(!v.accepted, "{}: input error {e}", v.name);
                assert!(v.codes.iter().any(|c| matches!(c.as_str(), "WRONG_REPORT_VERSION" | "REPORT_TRUNCATED" | "REPORT_FORMAT_UNSUPPORTED")), "{}: {e} for {:?}", v.name, v.codes);
                eprintln!("{:<40} input error: {e}", v.name);
            }
            Ok(checks) => {
                let verdict = Verdict::from_checks(checks);
                let fails = failed(checks);
                if v.accepted {
                    assert_eq!(verdict, Verdict::Pass, "{}: {fails:?}", v.name);
                } else {
                    assert_eq!(verdict, Verdict::Fail, "{}: {checks:#?}", v.name);
                    assert!(v.codes.iter().any(|c| answers(c, &fails)), "{}: codes {:?}, failed {fails:?}", v.name, v.codes);
                }
                eprintln!("{:<40} {verdict:?} {fails:?}", v.name);
            }
        }
    }
}
