//! `policy init --from EVIDENCE`: write a starting policy that pins what verified evidence shows,
//! with a comment naming where each value came from. Refuses evidence that did not verify.

use std::fmt::Write as _;

use crate::report::{Report, Verdict};
use crate::time::Timestamp;

/// Why a starting policy cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The evidence did not pass verification; its values prove nothing.
    #[error("refusing to pin values from evidence that did not verify (verdict {verdict}, first failure {first})")]
    NotVerified {
        /// The verdict.
        verdict: &'static str,
        /// First failing check id, if any.
        first: String,
    },
    /// The report lacks TDX claims.
    #[error("the report has no TDX claims to pin")]
    NoClaims,
}

/// Write a TOML policy pinning the TDX values of a passing `report` (made without a policy).
/// `id` names the policy; it expires `valid_days` after `today` (the day the file is written: an
/// expiry is a review date for the file, not for the evidence, which may be verified as of an
/// older `--at`). Evidence verified under a TEST root is said to be so in the file.
pub fn starting_policy(report: &Report, id: &str, valid_days: u64, today: Timestamp) -> Result<String, InitError> {
    if report.verdict != Verdict::Pass {
        return Err(InitError::NotVerified {
            verdict: report.verdict.label(),
            first: report.first_failure().map(|c| c.id.clone()).unwrap_or_else(|| "-".to_owned()),
        });
    }
    if let Some(snp) = report.claims.get("snp") {
        return Ok(snp_policy(report, snp, id, valid_days));
    }
    let tdx = report.claims.get("tdx").ok_or(InitError::NoClaims)?;
    let td = tdx.get("td").ok_or(InitError::NoClaims)?;
    let tcb = tdx.get("tcb").ok_or(InitError::NoClaims)?;
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let at = report.verified_at;
    let expires = Timestamp::from_unix(today.unix().saturating_add(valid_days.saturating_mul(86_400)));
    let source = report.input.source.clone().unwrap_or_else(|| "(stdin)".to_owned());
    let origin = format!("{source} (sha256:{}), verified as of {at}", report.input.sha256);

    let mut out = String::new();
    let _ = writeln!(out, "# Starting policy written by `teescan policy init` from verified evidence:");
    let _ = writeln!(out, "#   {origin}");
    let _ = writeln!(out, "# Every pinned value below was read from that quote's signed body. Review each one:");
    let _ = writeln!(out, "# a value observed once is not yet a value you trust. Remove a rule to accept any value.");
    for a in report.trust_anchors.iter().filter(|a| a.name.contains("TEST")) {
        let _ = writeln!(out, "# WARNING: verified under a TEST root (sha256:{}), NOT the Intel SGX Root CA:", a.sha256);
        let _ = writeln!(out, "# these values are vouched for by that test PKI only; do not use this policy for production.");
    }
    let _ = writeln!(out, "schema = \"{}\"", super::POLICY_SCHEMA);
    let _ = writeln!(out, "id = {}", toml_str(id));
    let _ = writeln!(out, "description = {}", toml_str(&format!("pinned from {source}")));
    let _ = writeln!(out, "expires = {}  # {valid_days} days after this file was written; review by then (an expired policy makes scans indeterminate)", expires.to_rfc3339());
    let _ = writeln!(out);
    let _ = writeln!(out, "[tdx.tcb]");
    let status = s(tcb, "status");
    if status != "UpToDate" {
        let _ = writeln!(out, "# WARNING: the platform's TCB was {status}, not UpToDate: this policy rejects it as written.");
        let _ = writeln!(out, "# Accept it only knowingly: add \"{status}\" below, with a grace_period, after reading its advisories.");
    }
    let _ = writeln!(out, "allowed_status = {{ any_of = [\"UpToDate\"] }}  # observed: {status}");
    let _ = writeln!(out, "max_collateral_age = \"30d\"");
    let eval = tcb.get("tcb_evaluation_data_number").and_then(serde_json::Value::as_u64).unwrap_or(0);
    let _ = writeln!(out, "min_tcb_evaluation_data_number = {eval}  # observed in the collateral used");
    let _ = writeln!(out, "fmspc = {{ any_of = [\"{}\"] }}  # platform family of the PCK certificate", s(tcb, "fmspc"));
    let _ = writeln!(out);
    let _ = writeln!(out, "[tdx.td]");
    let _ = writeln!(out, "allow_debug = false");
    let _ = writeln!(out, "td_attributes = {{ value = \"0x{}\", mask = \"0xffffffffffffffff\" }}  # {}", s(td, "td_attributes"),
        td.get("td_attributes_set").and_then(|a| a.as_array()).map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("|")).unwrap_or_default());
    let _ = writeln!(out, "xfam = {{ value = \"0x{}\", mask = \"0xffffffffffffffff\" }}", s(td, "xfam"));
    for (key, label) in [
        ("mr_seam", "TDX module"),
        ("mr_td", "TD firmware"),
        ("mr_config_id", "configuration id"),
        ("mr_owner", "owner"),
        ("mr_owner_config", "owner configuration"),
    ] {
        let _ = writeln!(out, "{key} = {{ any_of = [\"{}\"] }}  # {label}", s(td, key));
    }
    if let Some(rtmr) = td.get("rtmr").and_then(|r| r.as_array()) {
        for (i, v) in rtmr.iter().enumerate() {
            let note = if i == 3 { "  # runtime events: changes with the deployed app; consider event-log replay instead" } else { "" };
            let _ = writeln!(out, "rtmr{i} = {{ any_of = [\"{}\"] }}{note}", v.as_str().unwrap_or(""));
        }
    }
    Ok(out)
}

/// The `[snp]` starting policy of a verified SEV-SNP report: its measurement, digests, product,
/// guest policy, VMPL and REPORTED_TCB as minimums.
fn snp_policy(report: &Report, snp: &serde_json::Value, id: &str, valid_days: u64) -> String {
    let s = |k: &str| snp.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let at = report.verified_at;
    let expires = Timestamp::from_unix(at.unix().saturating_add(valid_days.saturating_mul(86_400)));
    let source = report.input.source.clone().unwrap_or_else(|| "(stdin)".to_owned());
    let mut out = String::new();
    let _ = writeln!(out, "# Starting policy written by `teescan policy init` from a verified SEV-SNP report:");
    let _ = writeln!(out, "#   {source} (sha256:{}), verified as of {at}", report.input.sha256);
    let _ = writeln!(out, "# Every pinned value below was read from that report's signed bytes. Review each one:");
    let _ = writeln!(out, "# a value observed once is not yet a value you trust. Remove a rule to accept any value.");
    let _ = writeln!(out, "schema = \"{}\"", super::POLICY_SCHEMA);
    let _ = writeln!(out, "id = {}", toml_str(id));
    let _ = writeln!(out, "description = {}", toml_str(&format!("pinned from {source}")));
    let _ = writeln!(out, "expires = {}  # review by then; an expired policy makes scans indeterminate", expires.to_rfc3339());
    let _ = writeln!(out);
    let _ = writeln!(out, "[snp]");
    let _ = writeln!(out, "measurement = {{ any_of = [\"{}\"] }}  # launch digest", s("measurement"));
    for key in ["host_data", "id_key_digest", "author_key_digest"] {
        let _ = writeln!(out, "{key} = {{ any_of = [\"{}\"] }}", s(key));
    }
    if let Some(p) = snp.get("product").and_then(|x| x.as_str()) {
        let _ = writeln!(out, "product = {{ any_of = [\"{p}\"] }}");
    }
    let policy = u64::from_str_radix(s("policy").trim_start_matches("0x"), 16).unwrap_or(0);
    let _ = writeln!(out, "policy = {{ value = \"{policy:#018x}\", mask = \"0x00000000001fffff\" }}  # guest policy bits 0..20 as observed");
    let vmpl = snp.get("vmpl").and_then(serde_json::Value::as_u64).unwrap_or(0);
    let _ = writeln!(out, "vmpl = {{ any_of = [{vmpl}] }}");
    if let Some(t) = snp.get("reported_tcb") {
        let parts: Vec<String> = ["fmc", "bl", "tee", "snp", "ucode"]
            .iter()
            .filter_map(|k| t.get(*k).and_then(serde_json::Value::as_u64).map(|v| format!("{k} = {v}")))
            .collect();
        let _ = writeln!(out, "min_tcb = {{ {} }}  # REPORTED_TCB as observed", parts.join(", "));
    }
    if snp.get("guest_svn").and_then(serde_json::Value::as_u64).is_some_and(|v| v > 0) {
        let _ = writeln!(out, "min_guest_svn = {}", snp.get("guest_svn").and_then(serde_json::Value::as_u64).unwrap_or(0));
    }
    let _ = writeln!(out, "allow_debug = false");
    let _ = writeln!(out, "allow_migrate_ma = false");
    out
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}
