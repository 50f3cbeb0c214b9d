//! `teescan policy lint`: the same load and validation a scan uses ([`Policy::load`]), plus the
//! review-time rules a scan does not apply:
//! - the policy has expired at the lint time (error);
//! - the policy expires within [`EXPIRY_WARNING_DAYS`] days (warning).
//!
//! The CLI only prints the findings and maps them to an exit code.

use super::{LoadedPolicy, Policy};
use crate::time::Timestamp;

/// A policy expiring within this many days draws a warning.
pub const EXPIRY_WARNING_DAYS: u64 = 30;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The policy cannot be used as it is.
    Error,
    /// Usable, but needs attention.
    Warning,
    /// The summary of a clean policy.
    Ok,
}

impl Severity {
    /// Lower-case label (`error`, `warning`, `ok`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Ok => "ok",
        }
    }
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// What was found.
    pub message: String,
}

/// The outcome of linting one policy file.
#[derive(Debug, Clone)]
pub struct Lint {
    /// Findings, in order; a clean policy ends with one [`Severity::Ok`] summary.
    pub findings: Vec<Finding>,
    /// The policy, when it loads.
    pub policy: Option<LoadedPolicy>,
}

impl Lint {
    /// Whether no finding is an error.
    pub fn is_clean(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Error)
    }
}

fn finding(severity: Severity, message: String) -> Finding {
    Finding { severity, message }
}

/// Lint the policy file `bytes` as of `at`.
pub fn lint(bytes: &[u8], at: Timestamp) -> Lint {
    let loaded = match Policy::load(bytes) {
        Ok(p) => p,
        Err(e) => return Lint { findings: vec![finding(Severity::Error, e.to_string())], policy: None },
    };
    let p = &loaded.policy;
    let expires = p.expires.0;
    let mut findings = Vec::new();
    if expires < at {
        findings.push(finding(Severity::Error, format!("policy {:?} expired on {expires}", p.id)));
        return Lint { findings, policy: Some(loaded) };
    }
    let days = expires.unix().saturating_sub(at.unix()).checked_div(86_400).unwrap_or(0);
    if days < EXPIRY_WARNING_DAYS {
        findings.push(finding(Severity::Warning, format!("policy {:?} expires in {days} days ({expires})", p.id)));
    }
    findings.push(finding(Severity::Ok, format!("policy {:?} (sha256:{}), expires {expires}", p.id, loaded.sha256)));
    Lint { findings, policy: Some(loaded) }
}
