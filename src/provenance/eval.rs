//! `[provenance]`: expected measurements from signed releases. The policy names who may publish
//! (repository, workflow identity, predicate type) and which registers each source provides;
//! the bundles come from the collateral (GitHub `attestations` answers in a capture directory,
//! or bundle files), and are authenticated here, never trusted for being there.
//!
//! Checks, per source `source[<i>]` (its index in the policy; a provider scan prefixes them
//! with the layer; claims are keyed by the source's `name`):
//! - `provenance.bundle[<i>]` — a supplied bundle that fails verification (always a failure);
//! - `provenance.source[<i>].bundle` — one verified bundle of the source's repository is supplied;
//! - `provenance.source[<i>].identity` — its certificate identity matches the source (issuer,
//!   repository, workflow, ref prefix);
//! - `provenance.source[<i>].statement` — in-toto statement, predicate type, subject digest (and the
//!   digest the bundle was looked up under, when known);
//! - `provenance.source[<i>].release` — the release is not older than `max_age_days` (when set);
//! - `provenance.source[<i>].profile` — (hardware sources) a profile whose MRTD and RTMR0 are the quote's;
//! - `provenance.source[<i>].<register>` — each register the source provides equals the
//!   evidence's (the quote's MRTD/RTMRs, the SEV-SNP report's MEASUREMENT).
//!
//! A source applies to a piece of evidence when it provides a register of that kind (`mrtd`,
//! `rtmr0`–`rtmr2` → TDX quotes; `snp_measurement` → SEV-SNP reports); a source providing
//! nothing for that kind is not evaluated for it (no checks, no claims). A register of the other
//! kind in an applicable source is reported skipped (optional).

use super::identity::IdentityPolicy;
use super::statement::{self, StatementPolicy, IN_TOTO_PAYLOAD_TYPE, STATEMENT_V1};
use super::{predicate, verify_bundle, VerifiedBundle};
use crate::pki::sigstore::TrustedRoot;
use crate::report::Check;
use crate::time::Timestamp;
use serde_json::{json, Value};

/// `[provenance]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvenancePolicy {
    /// The sources of expected values (`[[provenance.source]]`), at least one.
    pub source: Vec<SourcePolicy>,
}

/// A register a source provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    /// TDX MRTD (hardware-measurements predicate).
    Mrtd,
    /// TDX RTMR0 (hardware-measurements predicate).
    Rtmr0,
    /// TDX RTMR1 (release predicate).
    Rtmr1,
    /// TDX RTMR2 (release predicate).
    Rtmr2,
    /// SEV-SNP launch MEASUREMENT (release predicate), compared with an SEV-SNP report's.
    SnpMeasurement,
}

impl Register {
    fn as_str(self) -> &'static str {
        match self {
            Register::Mrtd => "mrtd",
            Register::Rtmr0 => "rtmr0",
            Register::Rtmr1 => "rtmr1",
            Register::Rtmr2 => "rtmr2",
            Register::SnpMeasurement => "snp_measurement",
        }
    }
}

/// `[[provenance.source]]`: one publisher and the registers it provides.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcePolicy {
    /// Check-id segment (`provenance.source[<i>].*`): lowercase letters, digits, `_`, `-`.
    pub name: String,
    /// OIDC issuer of the signing certificate.
    pub issuer: String,
    /// `owner/name` of the repository whose workflow signs.
    pub repository: String,
    /// Workflow file (`.github/workflows/build.yml`); unset accepts any workflow of the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// Prefix of the signing ref (`refs/tags/`).
    pub ref_prefix: String,
    /// The in-toto predicate type.
    pub predicate_type: String,
    /// Registers taken from this source.
    pub measurements: Vec<Register>,
    /// The release must have been logged at most this many days before the scan time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u64>,
}

impl SourcePolicy {
    /// Whether this source provides a register of SEV-SNP evidence (`snp`) or of a TDX quote:
    /// only then is it evaluated for (and its bundles fetched for) that kind of evidence.
    pub fn applies_to(&self, snp: bool) -> bool {
        self.measurements.iter().any(|r| (*r == Register::SnpMeasurement) == snp)
    }
}

impl ProvenancePolicy {
    /// Rules the schema cannot express: `(path, reason)` of the first violation.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.source.is_empty() {
            return Err(("provenance.source".into(), "list at least one source, or omit [provenance]".into()));
        }
        for (i, s) in self.source.iter().enumerate() {
            let path = format!("provenance.source[{i}]");
            if s.name.is_empty() || !s.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
                return Err((format!("{path}.name"), "use lowercase letters, digits, '_' or '-'".into()));
            }
            if self.source.iter().filter(|o| o.name == s.name).count() > 1 {
                return Err((format!("{path}.name"), format!("{:?} is used twice", s.name)));
            }
            if s.measurements.is_empty() {
                return Err((format!("{path}.measurements"), "list the registers this source provides".into()));
            }
            if s.repository.split('/').count() != 2 || s.issuer.is_empty() {
                return Err((format!("{path}.repository"), "give owner/name and an issuer".into()));
            }
            let fits = |r: &Register| match s.predicate_type.as_str() {
                predicate::HARDWARE_MEASUREMENTS_V1 => matches!(r, Register::Mrtd | Register::Rtmr0),
                predicate::SNP_TDX_MULTIPLATFORM_V1 => matches!(r, Register::Rtmr1 | Register::Rtmr2 | Register::SnpMeasurement),
                _ => false,
            };
            if let Some(bad) = s.measurements.iter().find(|r| !fits(r)) {
                return Err((
                    format!("{path}.measurements"),
                    format!("{} is not provided by predicate type {:?}", bad.as_str(), s.predicate_type),
                ));
            }
        }
        Ok(())
    }
}

/// A bundle supplied as collateral, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppliedBundle {
    /// Where it was read (file, or the capture's request URL).
    pub origin: String,
    /// The bundle JSON.
    pub json: Vec<u8>,
    /// The SHA-256 (hex) it was looked up under (`…/attestations/sha256:<hex>`), if known.
    pub lookup_sha256: Option<String>,
}

/// The quote's registers the sources are compared with (from the signed quote).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TdxRegisters {
    /// MRTD.
    pub mrtd: [u8; 48],
    /// RTMR0–3.
    pub rtmr: [[u8; 48]; 4],
}

/// The registers of one piece of evidence (from its signed bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registers {
    /// A TDX quote's.
    Tdx(TdxRegisters),
    /// An SEV-SNP report's launch MEASUREMENT.
    Snp {
        /// MEASUREMENT (report offset 0x90).
        measurement: [u8; 48],
    },
}

impl Registers {
    /// Whether `r` is a register of this kind of evidence.
    fn has(&self, r: Register) -> bool {
        matches!((self, r), (Registers::Snp { .. }, Register::SnpMeasurement) | (Registers::Tdx(_), Register::Mrtd | Register::Rtmr0 | Register::Rtmr1 | Register::Rtmr2))
    }

    /// Whether `s` provides a register of this kind of evidence (else it is not evaluated).
    pub fn applies(&self, s: &SourcePolicy) -> bool {
        s.measurements.iter().any(|r| self.has(*r))
    }

    fn kind(&self) -> &'static str {
        match self {
            Registers::Tdx(_) => "a TDX quote",
            Registers::Snp { .. } => "an SEV-SNP report",
        }
    }
}

fn id(index: usize, what: &str) -> String {
    format!("provenance.source[{index}].{what}")
}

/// Evaluate `[provenance]` for one piece of evidence (the sources that apply to its kind):
/// checks and a claims value.
pub fn evaluate(policy: &ProvenancePolicy, supplied: &[SuppliedBundle], regs: &Registers, at: Timestamp) -> (Vec<Check>, Value) {
    evaluate_in(policy, supplied, regs, at, None)
}

/// [`evaluate`] against `root` (the auditor's `--sigstore-trusted-root`; `None`: the pinned one).
pub fn evaluate_in(policy: &ProvenancePolicy, supplied: &[SuppliedBundle], regs: &Registers, at: Timestamp, root: Option<&TrustedRoot>) -> (Vec<Check>, Value) {
    let mut checks = Vec::new();
    let mut claims = serde_json::Map::new();
    let pinned;
    let root = match root {
        Some(r) => r,
        None => match TrustedRoot::public_good() {
            Ok(r) => {
                pinned = r;
                &pinned
            }
            Err(e) => {
                checks.push(Check::fail("provenance.trust_root", "The pinned Sigstore trust root loads", e.to_string()));
                return (checks, Value::Null);
            }
        },
    };
    // Every supplied bundle is verified; one that does not verify fails the scan.
    let mut verified: Vec<(&SuppliedBundle, VerifiedBundle)> = Vec::new();
    for (i, b) in supplied.iter().enumerate() {
        match verify_bundle(&b.json, root, at, None) {
            Ok(v) => verified.push((b, v)),
            Err(e) => checks.push(
                Check::fail(&format!("provenance.bundle[{i}]"), "A supplied Sigstore bundle verifies", e.to_string()).actual(b.origin.clone()),
            ),
        }
    }
    for (i, s) in policy.source.iter().enumerate().filter(|(_, s)| regs.applies(s)) {
        let (c, claim) = evaluate_source(i, s, &verified, regs, at);
        checks.extend(c);
        claims.insert(s.name.clone(), claim);
    }
    (checks, Value::Object(claims))
}

fn repo_of(v: &VerifiedBundle) -> Option<&str> {
    let san = v.identity.san_uri.as_deref()?.strip_prefix("https://github.com/")?;
    let mut parts = san.splitn(3, '/');
    let owner = parts.next()?;
    let name = parts.next()?;
    san.get(..owner.len().checked_add(1)?.checked_add(name.len())?)
}

fn evaluate_source(n: usize, s: &SourcePolicy, verified: &[(&SuppliedBundle, VerifiedBundle)], regs: &Registers, at: Timestamp) -> (Vec<Check>, Value) {
    let mut checks = Vec::new();
    let mut candidates: Vec<&(&SuppliedBundle, VerifiedBundle)> = verified.iter().filter(|(_, v)| repo_of(v) == Some(s.repository.as_str())).collect();
    candidates.dedup_by(|a, b| a.1.log_index == b.1.log_index && a.1.log_id == b.1.log_id);
    let title = format!("A Sigstore bundle signed for {} is supplied and verifies", s.repository);
    let (supplied, v) = match candidates.as_slice() {
        [one] => (one.0, &one.1),
        [] => {
            checks.push(
                Check::fail(&id(n, "bundle"), &title, format!("no verified bundle of {} was supplied: the expected values cannot be established", s.repository))
                    .expected(s.repository.clone()),
            );
            return (checks, Value::Null);
        }
        many => {
            checks.push(
                Check::fail(&id(n, "bundle"), &title, format!("{} different signed releases of {} were supplied: which one the enclave runs is ambiguous", many.len(), s.repository))
                    .expected("one release".to_owned()),
            );
            return (checks, Value::Null);
        }
    };
    let san = v.identity.san_uri.clone().unwrap_or_default();
    checks.push(
        Check::pass(&id(n, "bundle"), &title)
            .expected(s.repository.clone())
            .actual(format!("{san}; Rekor log index {}, integrated {}", v.log_index, Timestamp::from_unix(v.integrated_time).to_rfc3339())),
    );
    let mut claim = json!({
        "repository": s.repository, "san": san, "issuer": v.identity.issuer,
        "rekor_log_index": v.log_index, "rekor_log_id": v.log_id,
        "integrated_time": Timestamp::from_unix(v.integrated_time).to_rfc3339(),
        "ref": v.identity.source_repository_ref.clone().or_else(|| v.identity.workflow_ref.clone()),
        "origin": supplied.origin,
    });
    let ip = IdentityPolicy { issuer: s.issuer.clone(), repository: s.repository.clone(), workflow: s.workflow.clone(), ref_prefix: s.ref_prefix.clone() };
    let want_identity = format!("{} @ {}{} ({})", s.repository, s.workflow.as_deref().unwrap_or("any workflow"), if s.ref_prefix.is_empty() { String::new() } else { format!(" {}*", s.ref_prefix) }, s.issuer);
    let title = "The bundle's certificate identity is the publisher the policy names";
    match ip.check(&v.identity) {
        Ok(()) => checks.push(Check::pass(&id(n, "identity"), title).expected(want_identity).actual(san.clone())),
        Err(e) => {
            checks.push(Check::fail(&id(n, "identity"), title, e.to_string()).expected(want_identity).actual(san.clone()));
            return (checks, claim);
        }
    }
    let title = "The signed in-toto statement has the policy's predicate type and the looked-up subject";
    let st = match statement::check(
        v,
        &StatementPolicy {
            payload_type: IN_TOTO_PAYLOAD_TYPE,
            statement_types: &[STATEMENT_V1.to_owned()],
            predicate_types: std::slice::from_ref(&s.predicate_type),
            subject_sha256: supplied.lookup_sha256.as_deref(),
        },
    ) {
        Ok(st) => st,
        Err(e) => {
            checks.push(Check::fail(&id(n, "statement"), title, e.to_string()).expected(s.predicate_type.clone()));
            return (checks, claim);
        }
    };
    let subject = st.subject.first().and_then(|x| x.digest.get("sha256")).cloned().unwrap_or_default();
    checks.push(Check::pass(&id(n, "statement"), title).expected(s.predicate_type.clone()).actual(format!("{} sha256:{subject}", st.predicate_type)));
    if let Some(obj) = claim.as_object_mut() {
        obj.insert("subject_sha256".into(), json!(subject));
        obj.insert("predicate_type".into(), json!(st.predicate_type));
    }
    if let Some(days) = s.max_age_days {
        let age = at.unix().saturating_sub(v.integrated_time);
        let max = days.saturating_mul(86_400);
        checks.push(
            Check::from_bool(&id(n, "release"), "The signed release is recent enough", age <= max, "the release was logged longer ago than max_age_days: an old release may be a rollback")
                .expected(format!("at most {days} days old"))
                .actual(format!("{} days old", age / 86_400)),
        );
    }
    let reg_check = |expected: &str, r: Register, actual: &[u8]| {
        let act = hex::encode(actual);
        Check::from_bool(&id(n, r.as_str()), &format!("{} equals the signed release's", r.as_str().to_uppercase()), expected.eq_ignore_ascii_case(&act), "the quote's register is not the one the publisher signed")
            .expected(expected.to_owned())
            .actual(act)
    };
    let other = |r: Register, expected: &str| {
        Check::skipped(&id(n, r.as_str()), &format!("{} equals the signed release's", r.as_str().to_uppercase()), format!("this evidence is {}: {} is not one of its registers", regs.kind(), r.as_str()))
            .expected(expected.to_owned())
            .optional()
    };
    match (regs, s.predicate_type.as_str()) {
        (_, predicate::SNP_TDX_MULTIPLATFORM_V1) => match predicate::release(&st.predicate) {
            Ok(m) => {
                for r in &s.measurements {
                    let (expected, actual): (&str, Option<&[u8]>) = match (r, regs) {
                        (Register::Rtmr1, Registers::Tdx(t)) => (&m.rtmr1, t.rtmr.get(1).map(|x| x.as_slice())),
                        (Register::Rtmr2, Registers::Tdx(t)) => (&m.rtmr2, t.rtmr.get(2).map(|x| x.as_slice())),
                        (Register::SnpMeasurement, Registers::Snp { measurement }) => (&m.snp_measurement, Some(measurement.as_slice())),
                        (Register::SnpMeasurement, _) => (&m.snp_measurement, None),
                        (_, _) => (if *r == Register::Rtmr1 { &m.rtmr1 } else { &m.rtmr2 }, None),
                    };
                    checks.push(match actual {
                        Some(a) => reg_check(expected, *r, a),
                        None => other(*r, expected),
                    });
                }
            }
            Err(e) => checks.push(Check::fail(&id(n, "predicate"), "The release predicate carries the registers", e.to_string())),
        },
        (Registers::Tdx(t), _) => match predicate::hardware(&st.predicate) {
            Ok(profiles) => {
                let mrtd = hex::encode(t.mrtd);
                let rtmr0 = hex::encode(t.rtmr.first().map(|x| x.as_slice()).unwrap_or_default());
                let hit = profiles.iter().find(|p| p.mrtd == mrtd && p.rtmr0 == rtmr0);
                let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
                checks.push(match hit {
                    Some(p) => Check::pass(&id(n, "profile"), "A signed hardware profile has the quote's MRTD and RTMR0").expected(names.join(", ")).actual(p.name.clone()),
                    None => Check::fail(&id(n, "profile"), "A signed hardware profile has the quote's MRTD and RTMR0", "no signed profile has this MRTD and RTMR0").expected(names.join(", ")).actual(format!("mrtd {mrtd}, rtmr0 {rtmr0}")),
                });
                if let Some(obj) = claim.as_object_mut() {
                    obj.insert("profile".into(), json!(hit.map(|p| p.name.clone())));
                }
                if let Some(p) = hit {
                    for r in &s.measurements {
                        match r {
                            Register::Mrtd => checks.push(reg_check(&p.mrtd, *r, &t.mrtd)),
                            _ => checks.push(reg_check(&p.rtmr0, *r, t.rtmr.first().map(|x| x.as_slice()).unwrap_or_default())),
                        }
                    }
                }
            }
            Err(e) => checks.push(Check::fail(&id(n, "predicate"), "The hardware predicate lists profiles", e.to_string())),
        },
        // Not reached: a hardware source provides only TDX registers, so it never applies to an
        // SEV-SNP report (validate() ties registers to predicate types).
        (Registers::Snp { .. }, _) => checks.push(Check::fail(&id(n, "predicate"), "The source's predicate provides this evidence's registers", "a hardware-measurements predicate has no SEV-SNP measurement")),
    }
    (checks, claim)
}

/// Add the `[provenance]` checks for the TDX quote `quote` to `report` (check ids prefixed with
/// `prefix.` when given), its claims under `claims.provenance`, and re-derive the verdict. A
/// quote that does not parse adds nothing: its own checks already fail.
pub fn apply(report: &mut crate::report::Report, policy: &ProvenancePolicy, supplied: &[SuppliedBundle], quote: &[u8], prefix: Option<&str>, at: Timestamp) {
    apply_in(report, policy, supplied, quote, prefix, at, None);
}

/// [`apply`] against `root` (`None`: the pinned public-good root). The report names the root
/// used by SHA-256 in its trust anchors, and warns when it is not the pinned one.
pub fn apply_in(report: &mut crate::report::Report, policy: &ProvenancePolicy, supplied: &[SuppliedBundle], quote: &[u8], prefix: Option<&str>, at: Timestamp, root: Option<&TrustedRoot>) {
    let Ok((_, q, _)) = crate::parse_tdx_quote(quote) else { return };
    let regs = Registers::Tdx(TdxRegisters { mrtd: q.report.mr_td, rtmr: q.report.rtmr });
    apply_registers(report, policy, supplied, &regs, prefix, at, root);
}

/// [`apply_in`] for any evidence's registers (an SEV-SNP report's MEASUREMENT), against `root`
/// (`None`: the pinned public-good root). When no source applies to this kind of evidence the
/// report is left as it is.
pub fn apply_registers(report: &mut crate::report::Report, policy: &ProvenancePolicy, supplied: &[SuppliedBundle], regs: &Registers, prefix: Option<&str>, at: Timestamp, root: Option<&TrustedRoot>) {
    let (checks, claims) = evaluate_in(policy, supplied, regs, at, root);
    if checks.is_empty() && !policy.source.iter().any(|s| regs.applies(s)) {
        return;
    }
    note_trust_root(report, root);
    report.checks.extend(checks.into_iter().map(|mut c| {
        if let Some(p) = prefix {
            c.id = format!("{p}.{}", c.id);
        }
        c
    }));
    if let Some(obj) = report.claims.as_object_mut() {
        match prefix {
            Some(p) => {
                if let Some(layer) = obj.get_mut("layers").and_then(|l| l.get_mut(p)).and_then(Value::as_object_mut) {
                    layer.insert("provenance".into(), claims);
                }
            }
            None => {
                obj.insert("provenance".into(), claims);
            }
        }
    }
    report.verdict = crate::report::Verdict::from_checks(&report.checks);
}

/// Name the Sigstore root a scan used in `report.trust_anchors` (once), and warn loudly when it
/// is not the pinned public-good root.
pub fn note_trust_root(report: &mut crate::report::Report, root: Option<&TrustedRoot>) {
    let (name, sha) = match root {
        Some(r) if r.kind != crate::pki::AnchorKind::Production => {
            let warning = format!("TEST SIGSTORE TRUST ROOT (sha256:{}) given with --sigstore-trusted-root: provenance is NOT vouched for by the Sigstore public-good instance", r.sha256);
            if !report.warnings.contains(&warning) {
                report.warnings.push(warning);
            }
            ("Sigstore trusted root given with --sigstore-trusted-root (NOT public-good)", r.sha256.as_str())
        }
        _ => ("Sigstore public-good trusted root (pinned)", crate::pki::sigstore::PUBLIC_GOOD_TRUSTED_ROOT_SHA256),
    };
    if !report.trust_anchors.iter().any(|a| a.sha256 == sha) {
        report.trust_anchors.push(crate::report::AnchorUsed { name: name.to_owned(), sha256: sha.to_owned() });
    }
}
