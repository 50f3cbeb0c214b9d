//! The verdict model: every scan produces a [`Report`] — a list of [`Check`]s with stable ids,
//! the claims read from the signed evidence, the collateral used, and one [`Verdict`].
//!
//! Renderers ([`table`], [`json`], [`html`]) read only the report, never raw evidence.

pub mod ear;
pub mod html;
pub mod ids;
pub mod json;
pub mod table;

use serde::Serialize;

use crate::time::Timestamp;

/// Version of the JSON report schema (`docs/report-schema.md`). Bumped on any breaking change.
pub const REPORT_SCHEMA: &str = "teescan.report/v1";

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The check was evaluated and holds.
    Pass,
    /// The check was evaluated and does not hold.
    Fail,
    /// The check was not evaluated; `reason` says why.
    Skipped,
    /// The check could not be decided (e.g. collateral unavailable).
    Indeterminate,
}

impl Status {
    /// Lower-case name as in the JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
            Status::Indeterminate => "indeterminate",
        }
    }
}

/// One named check with its outcome and, where they exist, the expected and actual values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier, e.g. `tdx.quote.signature`. Never reused for another meaning.
    pub id: String,
    /// What the check establishes, in a few words.
    pub title: String,
    /// Outcome.
    pub status: Status,
    /// Whether the verdict depends on this check (a skipped required check is not a pass).
    pub required: bool,
    /// Expected value, when the check compares values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Actual value read from the evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Why it failed, was skipped, or is indeterminate (or a note on a pass).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The policy rule that made this check informational (e.g. `gpu.ocsp = "waived"`); absent
    /// when it is required, or informational for another reason (evidence not supplied, not
    /// applicable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived_by: Option<String>,
}

impl Check {
    /// A required check with the given outcome.
    pub fn new(id: &str, title: &str, status: Status) -> Self {
        Check {
            id: id.to_owned(),
            title: title.to_owned(),
            status,
            required: true,
            expected: None,
            actual: None,
            reason: None,
            waived_by: None,
        }
    }
    /// A passing check.
    pub fn pass(id: &str, title: &str) -> Self {
        Check::new(id, title, Status::Pass)
    }
    /// A failing check with its reason.
    pub fn fail(id: &str, title: &str, reason: impl Into<String>) -> Self {
        Check::new(id, title, Status::Fail).reason(reason)
    }
    /// A skipped check with its reason.
    pub fn skipped(id: &str, title: &str, reason: impl Into<String>) -> Self {
        Check::new(id, title, Status::Skipped).reason(reason)
    }
    /// Pass if `ok`, otherwise fail with `reason`.
    pub fn from_bool(id: &str, title: &str, ok: bool, reason: impl Into<String>) -> Self {
        if ok {
            Check::pass(id, title)
        } else {
            Check::fail(id, title, reason)
        }
    }
    /// Set the expected value.
    pub fn expected(mut self, v: impl Into<String>) -> Self {
        self.expected = Some(v.into());
        self
    }
    /// Set the actual value.
    pub fn actual(mut self, v: impl Into<String>) -> Self {
        self.actual = Some(v.into());
        self
    }
    /// Set the reason.
    pub fn reason(mut self, v: impl Into<String>) -> Self {
        self.reason = Some(v.into());
        self
    }
    /// Mark the check informational: it is reported but the verdict does not depend on it.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    /// Mark the check informational because the policy `rule` waives it.
    pub fn waived_by(mut self, rule: impl Into<String>) -> Self {
        self.required = false;
        self.waived_by = Some(rule.into());
        self
    }
}

/// The overall result of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every required check passed.
    Pass,
    /// At least one check failed.
    Fail,
    /// Nothing failed, but a required check could not be decided.
    Indeterminate,
}

impl Verdict {
    /// Derive the verdict: fail if a required check failed; indeterminate if a required check was
    /// skipped or indeterminate; pass otherwise. An empty list is indeterminate, never a pass.
    pub fn from_checks(checks: &[Check]) -> Verdict {
        if checks
            .iter()
            .any(|c| c.required && c.status == Status::Fail)
        {
            Verdict::Fail
        } else if checks.is_empty()
            || checks
                .iter()
                .any(|c| c.required && matches!(c.status, Status::Skipped | Status::Indeterminate))
        {
            Verdict::Indeterminate
        } else {
            Verdict::Pass
        }
    }
    /// The CLI exit code: 0 pass, 1 fail, 3 indeterminate (2 is reserved for bad input).
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Pass => 0,
            Verdict::Fail => 1,
            Verdict::Indeterminate => 3,
        }
    }
    /// Upper-case label.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Indeterminate => "INDETERMINATE",
        }
    }
}

/// A collateral item used by the verification, for reproducibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollateralUsed {
    /// What it is, e.g. `tcb_info`, `pck_crl`.
    pub kind: String,
    /// SHA-256 of the exact bytes verified.
    pub sha256: String,
    /// Issue date (issueDate / thisUpdate), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// Next update / expiry, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update: Option<String>,
    /// Other identifying details (e.g. tcbEvaluationDataNumber, FMSPC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Identifies the input that was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputInfo {
    /// What the input was recognised as (e.g. `tdx-quote`), and how it was encoded.
    pub format: String,
    /// SHA-256 of the decoded evidence bytes.
    pub sha256: String,
    /// Where it came from (file path or URL), as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Which policy the verdict was held against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    /// Whether a measurement policy was applied at all.
    pub applied: bool,
    /// Policy id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// SHA-256 of the policy file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The policy file as the caller named it (set by the caller that read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl PolicyInfo {
    /// What the report says about `policy` (the one place this is built).
    pub fn of(policy: Option<&crate::policy::LoadedPolicy>) -> PolicyInfo {
        match policy {
            Some(p) => PolicyInfo { applied: true, id: Some(p.policy.id.clone()), sha256: Some(p.sha256.clone()), file: p.file.clone() },
            None => PolicyInfo { applied: false, id: None, sha256: None, file: None },
        }
    }
}

/// The result of a scan.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Schema version, [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// `teescan <version>`.
    pub tool: String,
    /// The time the evidence was verified as of.
    pub verified_at: Timestamp,
    /// The overall verdict.
    pub verdict: Verdict,
    /// What was scanned.
    pub input: InputInfo,
    /// The policy applied.
    pub policy: PolicyInfo,
    /// Every check, in evaluation order.
    pub checks: Vec<Check>,
    /// Values read from the signed evidence (only trustworthy when the verdict is pass).
    pub claims: serde_json::Value,
    /// Collateral the verification used.
    pub collateral: Vec<CollateralUsed>,
    /// The trust anchors the accepted signatures chain to, by name (derived from the checks).
    pub trust_anchors: Vec<AnchorUsed>,
    /// Warnings a reader must see (e.g. a test trust anchor was used).
    pub warnings: Vec<String>,
}

/// A trust anchor a scan's signatures were checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorUsed {
    /// Its name, e.g. `Intel SGX Root CA (pinned)`.
    pub name: String,
    /// SHA-256 of the anchor certificate (DER), or of its SubjectPublicKeyInfo for NRAS pins.
    pub sha256: String,
}

/// The anchors the checks show were used: the Intel root of a `tdx.trust_anchor` check (or the
/// TEST root it names), the NVIDIA device and CoRIM roots when device chains or RIMs were
/// checked, and the NRAS pins when an NRAS result's key chain was checked.
fn anchors_of(checks: &[Check]) -> Vec<AnchorUsed> {
    use crate::pki;
    let mut out: Vec<AnchorUsed> = Vec::new();
    let mut add = |name: &str, sha256: &str| {
        if !out.iter().any(|a| a.sha256 == sha256 && a.name == name) {
            out.push(AnchorUsed { name: name.to_owned(), sha256: sha256.to_owned() });
        }
    };
    // Only checks that reached a verdict used an anchor (a RIM not supplied used none).
    let evaluated = |c: &&Check| matches!(c.status, Status::Pass | Status::Fail);
    for c in checks.iter().filter(evaluated) {
        let id = c.id.as_str();
        if id.ends_with("tdx.trust_anchor") {
            let sha = c.actual.as_deref().unwrap_or_default().trim_start_matches("sha256:");
            if sha == pki::INTEL_SGX_ROOT_CA_SHA256 {
                add("Intel SGX Root CA (pinned)", sha);
            } else if !sha.is_empty() {
                add("TEST root given with --danger-trust-test-root (NOT Intel)", sha);
            }
        } else if id.contains("gpu[") && id.ends_with("].chain") {
            add("NVIDIA Device Identity CA (pinned)", pki::NVIDIA_DEVICE_IDENTITY_CA_SHA256);
        } else if id.contains(".rim.") && !id.contains(".ocsp") {
            add("NVIDIA CoRIM signing Root CA (pinned)", pki::NVIDIA_CORIM_ROOT_CA_SHA256);
        } else if id.ends_with("nras.chain") {
            add("NVIDIA NRAS GPU intermediate CA (pinned SPKI)", pki::nras::NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256);
        }
    }
    out
}

impl Report {
    /// Build a report and derive its verdict from the checks.
    pub fn new(
        verified_at: Timestamp,
        input: InputInfo,
        policy: PolicyInfo,
        checks: Vec<Check>,
        claims: serde_json::Value,
        collateral: Vec<CollateralUsed>,
        warnings: Vec<String>,
    ) -> Self {
        let verdict = Verdict::from_checks(&checks);
        let trust_anchors = anchors_of(&checks);
        Report {
            schema: REPORT_SCHEMA,
            tool: format!("teescan {}", env!("CARGO_PKG_VERSION")),
            verified_at,
            verdict,
            input,
            policy,
            checks,
            claims,
            collateral,
            trust_anchors,
            warnings,
        }
    }
    /// The first failing check, if any.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.status == Status::Fail)
    }
    /// The check with this id.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// How to render a report (the CLI's `--format`).
#[derive(Clone, Copy)]
#[allow(missing_debug_implementations)]
pub enum Output<'k> {
    /// The human table.
    Table(table::Options),
    /// The JSON report (pretty; one line in a batch).
    Json,
    /// An EAR: JSON, or a signed JWT with a key.
    Ear(Option<&'k ear::EarKey>),
    /// The self-contained HTML audit report (single input only).
    Html,
}

/// Render `report` as `how` says; `line`: one line per report (a batch's JSON Lines; the
/// table gives its summary line elsewhere). Only signing an EAR can fail.
pub fn render(report: &Report, how: Output<'_>, line: bool) -> Result<String, ear::EarKeyError> {
    Ok(match (how, line) {
        (Output::Table(o), _) => table::render_with(report, o),
        (Output::Json, false) => json::render(report),
        (Output::Json, true) => json::render_line(report),
        (Output::Ear(None), false) => ear::render_json(report),
        (Output::Ear(None), true) => ear::render_line(report),
        (Output::Html, _) => html::render(report),
        (Output::Ear(Some(k)), _) => format!("{}{}", ear::render_jwt(report, k)?, if line { "\n" } else { "" }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_is_fail_closed() {
        assert_eq!(Verdict::from_checks(&[]), Verdict::Indeterminate);
        let pass = Check::pass("a", "a");
        let fail = Check::fail("b", "b", "x");
        let skip = Check::skipped("c", "c", "no data");
        assert_eq!(
            Verdict::from_checks(std::slice::from_ref(&pass)),
            Verdict::Pass
        );
        assert_eq!(
            Verdict::from_checks(&[pass.clone(), skip.clone()]),
            Verdict::Indeterminate
        );
        assert_eq!(
            Verdict::from_checks(&[pass.clone(), skip.clone().optional()]),
            Verdict::Pass
        );
        assert_eq!(
            Verdict::from_checks(&[pass.clone(), skip.clone(), fail.clone()]),
            Verdict::Fail
        );
        assert_eq!(
            Verdict::from_checks(&[pass, fail.optional()]),
            Verdict::Pass
        );
    }
}
