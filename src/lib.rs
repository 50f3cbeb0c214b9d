//! teescan: verify confidential-computing attestation evidence with cryptographic checks, offline.
//!
//! The core is sans-IO: it takes evidence bytes, collateral and a time, and returns a
//! [`report::Report`] — named checks with stable ids, the claims read from the signed evidence,
//! the collateral used, and a verdict. Fetching lives in [`fetch`] (cargo feature `fetch`).
//!
//! ```no_run
//! use teescan::{scan_tdx_quote, ScanOptions, tdx::Collateral, time::Timestamp};
//! # fn main() -> Result<(), teescan::Error> {
//! let quote = std::fs::read("quote.bin").unwrap();
//! let collateral = Collateral::from_dcap_json(&std::fs::read("collateral.json").unwrap())?;
//! let opts = ScanOptions::new(Timestamp::parse_rfc3339("2026-07-01T00:00:00Z")?);
//! let report = scan_tdx_quote(&quote, &collateral, &opts)?;
//! println!("{}", report.verdict.label());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

mod bytes;
pub mod error;
#[cfg(feature = "fetch")]
pub mod fetch;
pub mod input;
pub mod nvidia;
pub mod pki;
pub mod policy;
pub mod report;
pub mod tdx;
pub mod time;

pub use error::Error;

use ring::digest;

use pki::TrustAnchor;
use report::{InputInfo, PolicyInfo, Report};
use tdx::{Collateral, Quote, TdxOptions};
use time::Timestamp;

/// What a scan is verified against: the time, the trust anchor and the TDX options.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The time the evidence is verified as of.
    pub at: Timestamp,
    /// Root of the TDX certificate chains (Intel SGX Root CA unless a test root is given).
    pub intel_root: TrustAnchor,
    /// TDX acceptance options (with a policy, they come from the policy's `[tdx.td]`).
    pub tdx: TdxOptions,
    /// The measurement policy to hold the evidence against. Without one, only the evidence's
    /// authenticity and TCB appraisal are checked, and the report says so.
    pub policy: Option<policy::LoadedPolicy>,
}

impl ScanOptions {
    /// Strict defaults at time `at`, with the production Intel root.
    pub fn new(at: Timestamp) -> Self {
        ScanOptions {
            at,
            intel_root: TrustAnchor::intel_sgx_root(),
            tdx: TdxOptions::default(),
            policy: None,
        }
    }
}

/// Decode and parse a TDX quote given as raw bytes, hex or base64.
pub fn parse_tdx_quote(input: &[u8]) -> Result<(Vec<u8>, Quote, input::Encoding), Error> {
    let (raw, encoding) = input::decode_quote(input)?;
    let quote = Quote::parse(&raw)?;
    Ok((raw, quote, encoding))
}

/// The report for a well-formed quote whose collateral could not be obtained: every DCAP check
/// is indeterminate and the verdict is indeterminate (exit code 3), never a pass.
pub fn collateral_unavailable_report(
    input: &[u8],
    reason: &str,
    opts: &ScanOptions,
) -> Result<Report, Error> {
    let (raw, _quote, encoding) = parse_tdx_quote(input)?;
    let checks = vec![report::Check::new(
        "tdx.collateral.available",
        "DCAP collateral (TCB Info, QE Identity, CRLs) available",
        report::Status::Indeterminate,
    )
    .reason(reason.to_owned())];
    Ok(Report::new(
        opts.at,
        InputInfo {
            format: format!("tdx-quote ({})", encoding.as_str()),
            sha256: hex::encode(digest::digest(&digest::SHA256, &raw)),
            source: None,
        },
        PolicyInfo {
            applied: false,
            id: None,
            sha256: None,
        },
        checks,
        serde_json::Value::Null,
        Vec::new(),
        vec!["the quote was not verified: collateral unavailable".to_owned()],
    ))
}

/// Scan a TDX quote (raw, hex or base64) with its DCAP collateral. Malformed input is an
/// [`Error`]; anything that parses yields a report whose verdict says whether it verified.
pub fn scan_tdx_quote(
    input: &[u8],
    collateral: &Collateral,
    opts: &ScanOptions,
) -> Result<Report, Error> {
    let (raw, quote, encoding) = parse_tdx_quote(input)?;
    let tdx_opts = match &opts.policy {
        Some(p) => policy::eval::tdx_options(&p.policy),
        None => opts.tdx.clone(),
    };
    let v = tdx::verify_quote(&raw, quote, collateral, &opts.intel_root, opts.at, &tdx_opts);
    let provenance = collateral.provenance();
    let mut warnings = Vec::new();
    if !opts.intel_root.is_production() {
        warnings.push(format!(
            "TEST TRUST ANCHOR (sha256:{}): this evidence is NOT vouched for by Intel",
            opts.intel_root.sha256()
        ));
    }
    let mut checks = v.checks.clone();
    let policy_info = match &opts.policy {
        Some(p) => {
            checks.extend(policy::eval::evaluate_tdx(&p.policy, &v, &provenance, opts.at));
            PolicyInfo { applied: true, id: Some(p.policy.id.clone()), sha256: Some(p.sha256.clone()) }
        }
        None => {
            warnings.push(
                "no measurement policy was applied: the verdict covers the evidence's authenticity and the TCB appraisal, not which software it measures".to_owned(),
            );
            PolicyInfo { applied: false, id: None, sha256: None }
        }
    };
    let claims = serde_json::json!({ "tdx": v.claims });
    Ok(Report::new(
        opts.at,
        InputInfo {
            format: format!("tdx-quote ({})", encoding.as_str()),
            sha256: hex::encode(digest::digest(&digest::SHA256, &raw)),
            source: None,
        },
        policy_info,
        checks,
        claims,
        provenance,
        warnings,
    ))
}
