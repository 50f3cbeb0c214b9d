//! Real Intel-signed TDX evidence from `../shared/fixtures/tdx/`: every case of `manifest.json`
//! gives the expected outcome at its pinned time, and the 13 provider quotes verify UpToDate.

#[path = "support/corpus.rs"]
mod corpus;

use teescan::report::{Status, Verdict};
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::{scan_tdx_quote, ScanOptions};

#[derive(Debug)]
enum Expect {
    /// Verdict pass with this TCB status and advisories.
    Ok { status: String, advisories: Vec<String> },
    /// Verdict fail, and this check id among the failures.
    Fail(&'static str),
    /// Not a TDX quote: an input error with this code.
    InputError(&'static str),
}

/// Parse dcap-qvl's "OK status=X advisories=[..] …" / "OK status=X adv=[..]".
fn parse_ok(s: &str) -> Expect {
    let status = s.split("status=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let list = s.split('[').nth(1).unwrap().split(']').next().unwrap();
    let advisories = list
        .split(',')
        .map(|a| a.trim().trim_matches('"').to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    Expect::Ok { status, advisories }
}

/// Our expected outcome for a dcap-qvl 0.7.1 result. Where teescan differs, the reason is here.
fn expectation(case_id: &str, dcap: &str) -> Expect {
    if case_id == "dcapqvl-sgx-v3-config-swhardening" {
        // dcap-qvl verifies SGX quotes too; teescan is a TDX verifier and refuses the input.
        return Expect::InputError("tdx.quote.tee_type");
    }
    if dcap.starts_with("OK") {
        return parse_ok(dcap);
    }
    let msg = dcap.trim_start_matches("ERR ");
    let id = match msg {
        "TCBInfo expired" | "TCBInfo issue date is in the future" => "tdx.collateral.tcb_info.validity",
        "QE Identity expired" => "tdx.collateral.qe_identity.validity",
        "No matching TCB level found" => "tdx.tcb.level",
        "Invalid MR service TD" => "tdx.td.service_td",
        "Debug mode is enabled" => "tdx.td.debug",
        "SEPT_VE_DISABLE is not enabled" => "tdx.td.attributes",
        // dcap-qvl prefers the collateral's `pck_certificate_chain` (another platform's) over the
        // quote's own chain and then reports a bad QE report signature. teescan verifies with the
        // quote's chain and fails the case on the chain mismatch itself, which names the cause.
        "Signature is invalid for qe_report in quote" => "tdx.collateral.pck_chain_source",
        other => panic!("{case_id}: no expectation for dcap-qvl result {other:?}"),
    };
    Expect::Fail(id)
}

fn run_case(root: &std::path::Path, case: &serde_json::Value, allow: bool) -> Result<(), String> {
    let id = case["id"].as_str().unwrap();
    let quote = corpus::read(root, case["quote"].as_str().unwrap());
    let collateral = Collateral::from_dcap_json(&corpus::read(root, case["collateral"].as_str().unwrap()))
        .map_err(|e| format!("{id}: collateral: {e}"))?;
    let at = Timestamp::parse_rfc3339(case["verify_at"].as_str().unwrap()).unwrap();
    let mut opts = ScanOptions::new(at);
    let key = if allow {
        opts.tdx.allow_debug = true;
        opts.tdx.allow_service_td = true;
        "dcap_qvl_0_7_1_allow_debug_and_service_td"
    } else {
        "dcap_qvl_0_7_1_default"
    };
    let expect = expectation(id, case[key].as_str().unwrap());
    let result = scan_tdx_quote(&quote, &collateral, &opts);
    match (&expect, result) {
        (Expect::InputError(code), Err(e)) if e.code() == *code => Ok(()),
        (Expect::InputError(_), other) => Err(format!("{id}: expected {expect:?}, got {other:?}")),
        (_, Err(e)) => Err(format!("{id}: unexpected input error {e}")),
        (Expect::Ok { status, advisories }, Ok(r)) => {
            let tcb = &r.claims["tdx"]["tcb"];
            let got_status = tcb["status"].as_str().unwrap_or("-");
            let got_adv: Vec<String> = tcb["advisory_ids"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            if got_status != status || &got_adv != advisories {
                return Err(format!("{id} (allow={allow}): expected {status} {advisories:?}, got {got_status} {got_adv:?}"));
            }
            // dcap-qvl's "OK" accepts any status but Revoked. teescan without a policy requires
            // UpToDate: anything else fails `tdx.tcb.status` alone, and passes only when the
            // status is left to a policy.
            if status == "UpToDate" {
                if r.verdict != Verdict::Pass {
                    return Err(format!("{id} (allow={allow}): expected pass, got {:?}, first failure {:?}", r.verdict, r.first_failure()));
                }
                return Ok(());
            }
            let failed: Vec<&str> = r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id.as_str()).collect();
            if r.verdict != Verdict::Fail || failed != ["tdx.tcb.status"] {
                return Err(format!("{id} (allow={allow}): {status} without a policy: expected only tdx.tcb.status to fail, got {:?} {failed:?}", r.verdict));
            }
            opts.tdx.tcb_status_by_policy = true;
            let r = scan_tdx_quote(&quote, &collateral, &opts).map_err(|e| format!("{id}: {e}"))?;
            if r.verdict != Verdict::Pass {
                return Err(format!("{id} (allow={allow}): {status} left to a policy: expected pass, got {:?} {:?}", r.verdict, r.first_failure()));
            }
            Ok(())
        }
        (Expect::Fail(check), Ok(r)) => {
            let failed: Vec<&str> =
                r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id.as_str()).collect();
            if r.verdict != Verdict::Fail || !failed.contains(check) {
                return Err(format!("{id} (allow={allow}): expected failure of {check}, got {:?} with failures {failed:?}", r.verdict));
            }
            Ok(())
        }
    }
}

#[test]
fn manifest_cases_give_the_expected_outcome() {
    let Some(root) = corpus::root() else { return };
    let manifest: serde_json::Value = serde_json::from_slice(&corpus::read(&root, "tdx/manifest.json")).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 32, "the manifest lists 32 cases");
    let mut errors = Vec::new();
    let mut passed = 0;
    for case in cases {
        for allow in [false, true] {
            match run_case(&root, case, allow) {
                Ok(()) => passed += 1,
                Err(e) => errors.push(e),
            }
        }
    }
    eprintln!("manifest: {passed}/{} case runs as expected", cases.len() * 2);
    assert!(errors.is_empty(), "{} mismatches:\n{}", errors.len(), errors.join("\n"));
}

/// The 13 quotes the providers returned verify UpToDate at 2026-07-01T00:00:00Z (inside both
/// collateral windows); the NEAR cloud model quotes (FMSPC 90c06f) need the NEAR direct
/// collateral of the same day, the gateway (b0c06f) its own.
#[test]
fn provider_quotes_verify_uptodate_at_2026_07_01() {
    let Some(root) = corpus::root() else { return };
    let teep = root.join("tdx/derived/teep");
    let at = Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").unwrap();
    let mut count = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(&teep).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    let neardirect = dirs.iter().find(|d| d.to_string_lossy().contains("neardirect")).unwrap().clone();
    for dir in &dirs {
        let own = Collateral::from_dcap_json(&std::fs::read(dir.join("collateral.json")).unwrap()).unwrap();
        let near = Collateral::from_dcap_json(&std::fs::read(neardirect.join("collateral.json")).unwrap()).unwrap();
        let mut quotes: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("quote_"))
            .collect();
        quotes.sort();
        for q in quotes {
            let bytes = std::fs::read(&q).unwrap();
            let fmspc = teescan::parse_tdx_quote(&bytes).unwrap().1.pck_hint().unwrap().fmspc;
            let collateral = if own.tcb_info_fmspc().as_deref() == Some(&hex::encode(fmspc)[..]) { &own } else { &near };
            let r = scan_tdx_quote(&bytes, collateral, &ScanOptions::new(at)).unwrap();
            assert_eq!(r.verdict, Verdict::Pass, "{}: {:?}", q.display(), r.first_failure());
            assert_eq!(r.claims["tdx"]["tcb"]["status"], "UpToDate", "{}", q.display());
            count += 1;
        }
    }
    assert_eq!(count, 13, "13 provider quotes");
}
