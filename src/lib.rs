//! teescan: verify confidential-computing attestation evidence with cryptographic checks, offline.
//!
//! The core is sans-IO: it takes evidence bytes, collateral, a time and a policy, and returns a
//! [`report::Report`] — named checks with stable ids, the claims read from the signed evidence,
//! the collateral used, and a verdict. Every entry point (the CLI, a batch, a bundle, a live
//! scan, an embedder) goes through [`scan::Scanner`]. Fetching lives in `fetch` (cargo feature
//! `fetch`); `default-features = false` is the sans-IO core alone.
//!
//! The main job, a saved provider report with the collateral captured beside it, held against a
//! policy as of a pinned time (`examples/scan_provider_report.rs` runs this on a real capture):
//!
//! ```no_run
//! use teescan::scan::{Collateral, Evidence, Scanner};
//! use teescan::{policy::Policy, time::Timestamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let evidence = Evidence::detect(&std::fs::read("capture/report.json")?)?;
//! let mut collateral = Collateral::default();
//! collateral.add_capture_dir(std::path::Path::new("capture"), &evidence)?;
//! let report = Scanner::new(Timestamp::parse_rfc3339("2026-06-29T02:06:40Z")?)
//!     .with_policy(Policy::load(&std::fs::read("policies/nearai.toml")?)?)
//!     .with_nonce([0x54; 32])
//!     .scan(&evidence, &collateral)?;
//! std::process::exit(report.verdict.exit_code()); // 0 pass, 1 fail, 3 indeterminate
//! # }
//! ```
//!
//! What teescan trusts (only its compiled anchors, the auditor's policy, flags and clock) and how
//! every other input is authenticated is mapped in `docs/threat-model.md`.
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

pub mod bundle;
mod bytes;
pub mod cache;
pub mod crypto;
pub mod error;
#[cfg(feature = "fetch")]
pub mod fetch;
mod json;
mod par;
pub mod input;
pub mod nvidia;
pub mod pki;
pub mod policy;
pub mod provenance;
pub mod provider;
pub mod report;
pub mod scan;
pub mod snp;
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
    /// The nonce the evidence must carry: every GPU report's, and a TDX quote's REPORTDATA
    /// under the binding scheme ([`ScanOptions::binding`] or the policy's `report_data`).
    pub nonce: Option<[u8; 32]>,
    /// The report_data binding scheme of a quote scanned without its provider report (a bare
    /// quote or a node); overrides nothing: a policy naming another scheme is an input error.
    pub binding: Option<provider::binding::Scheme>,
    /// The measurement policy to hold the evidence against. Without one, only the evidence's
    /// authenticity and TCB appraisal are checked, and the report says so.
    pub policy: Option<policy::LoadedPolicy>,
    /// A verify-once cache shared by the scans of a batch ([`cache::VerifyCache`]), handed down
    /// to every verification of the scan. `None`: nothing is kept across calls; results never
    /// differ.
    pub cache: Option<std::sync::Arc<cache::VerifyCache>>,
    /// Spread one scan's independent signature checks (a node's devices, NRAS tokens) over the
    /// CPUs (default `true`). A caller that already runs one scan per core (a batch) sets it to
    /// `false`: everything then runs on the calling thread. Results never differ.
    pub parallel: bool,
    /// DANGER: an AMD root (ARK) to trust instead of the pinned ones, for a test PKI (SEV-SNP).
    /// Never taken from the evidence; every report made with one says so.
    pub amd_test_ark: Option<TrustAnchor>,
    /// The Sigstore trust root `[provenance]` bundles are verified against: `None` is the
    /// public-good root compiled in; another (`--sigstore-trusted-root`) is named in every report.
    pub sigstore_root: Option<std::sync::Arc<pki::sigstore::TrustedRoot>>,
}

impl ScanOptions {
    /// Strict defaults at time `at`, with the production Intel root.
    pub fn new(at: Timestamp) -> Self {
        ScanOptions {
            at,
            intel_root: TrustAnchor::intel_sgx_root(),
            tdx: TdxOptions::default(),
            policy: None,
            nonce: None,
            binding: None,
            cache: None,
            parallel: true,
            amd_test_ark: None,
            sigstore_root: None,
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
    collateral_unavailable_report_in(input, reason, opts, &scan::Context::default())
}

pub(crate) fn collateral_unavailable_report_in(
    input: &[u8],
    reason: &str,
    opts: &ScanOptions,
    ctx: &scan::Context,
) -> Result<Report, Error> {
    let (raw, _quote, encoding) = parse_tdx_quote(input)?;
    let mut checks = ctx.checks.clone();
    checks.push(report::Check::new(
        "tdx.collateral.available",
        "DCAP collateral (TCB Info, QE Identity, CRLs) available",
        report::Status::Indeterminate,
    )
    .reason(reason.to_owned()));
    let mut warnings = ctx.warnings.clone();
    warnings.push("the quote was not verified: collateral unavailable".to_owned());
    Ok(Report::new(
        opts.at,
        InputInfo {
            format: ctx.format(format!("tdx-quote ({})", encoding.as_str())),
            sha256: crate::bytes::to_hex(digest::digest(&digest::SHA256, &raw)),
            source: ctx.source.clone(),
        },
        PolicyInfo::of(None),
        checks,
        serde_json::Value::Null,
        Vec::new(),
        vec!["the quote was not verified: collateral unavailable".to_owned()],
    ))
}

/// What one scan verifies: a TDX quote with its DCAP collateral, GPU/NVSwitch evidence with its
/// collateral, or both (a node). At least one must be given.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence<'a> {
    /// A TDX quote (raw, hex or base64) and its collateral.
    pub tdx: Option<(&'a [u8], &'a Collateral)>,
    /// GPU/NVSwitch evidence and its collateral (RIMs, OCSP responses, NRAS result).
    pub gpu: Option<(&'a nvidia::evidence::EvidenceList, &'a nvidia::verify::GpuCollateral)>,
}

/// Scan a TDX quote (raw, hex or base64) with its DCAP collateral. Malformed input is an
/// [`Error`]; anything that parses yields a report whose verdict says whether it verified.
pub fn scan_tdx_quote(input: &[u8], collateral: &Collateral, opts: &ScanOptions) -> Result<Report, Error> {
    scan(Evidence { tdx: Some((input, collateral)), gpu: None }, opts)
}

/// Scan NVIDIA GPU / NVSwitch evidence with its collateral.
pub fn scan_gpu_evidence(
    list: &nvidia::evidence::EvidenceList,
    collateral: &nvidia::verify::GpuCollateral,
    opts: &ScanOptions,
) -> Result<Report, Error> {
    scan(Evidence { tdx: None, gpu: Some((list, collateral)) }, opts)
}

/// Scan everything in `evidence` at `opts.at`, against `opts.policy` if one is given.
///
/// A quote scanned without its provider report is tied to the nonce only through its binding
/// scheme (`opts.binding`, else the policy's `[tdx.td] report_data = { scheme }`):
/// - `node.binding` (quote + GPUs, no scheme): FAIL — nothing shows the quote belongs to the GPUs.
/// - `node.binding.nonce` / `tdx.binding.nonce`: REPORTDATA\[32..64\] equals `opts.nonce` (the
///   nonce every GPU report must carry) under `padded-signing-address` / `signing-address-tls`;
///   FAIL under schemes that hash the nonce with unsigned inputs (a bare quote cannot show them);
///   indeterminate in a node without a nonce.
///
/// A nonce with a bare quote and no scheme, or a scheme without a quote, is an input error.
pub fn scan(evidence: Evidence<'_>, opts: &ScanOptions) -> Result<Report, Error> {
    scan_in(evidence, opts, &scan::Context::default())
}

/// [`scan`] with what the entry point established first (`ctx`): its checks lead the report.
pub(crate) fn scan_in(evidence: Evidence<'_>, opts: &ScanOptions, ctx: &scan::Context) -> Result<Report, Error> {
    scan_in_with(evidence, opts, ctx, &[])
}

/// [`scan_in`] with the Sigstore bundles a `[provenance]` policy is evaluated with (none: its
/// sources fail, never pass unseen).
pub(crate) fn scan_in_with(
    evidence: Evidence<'_>,
    opts: &ScanOptions,
    ctx: &scan::Context,
    bundles: &[provenance::eval::SuppliedBundle],
) -> Result<Report, Error> {
    if evidence.tdx.is_none() && evidence.gpu.is_none() {
        return Err(Error::Input { code: "input.empty", message: "nothing to scan: give a TDX quote, GPU evidence, or both".to_owned() });
    }
    let policy = opts.policy.as_ref().map(|p| &p.policy);
    let mut checks = ctx.checks.clone();
    let mut claims = serde_json::Map::new();
    let mut provenance = Vec::new();
    let mut warnings = ctx.warnings.clone();
    let mut formats = Vec::new();
    let mut hasher = digest::Context::new(&digest::SHA256);
    if let Some(p) = policy {
        checks.push(policy::eval::expiry_check(p, opts.at));
    }

    if let Some((input, collateral)) = evidence.tdx {
        let (raw, quote, encoding) = parse_tdx_quote(input)?;
        hasher.update(&raw);
        formats.push(format!("tdx-quote ({})", encoding.as_str()));
        let tdx_opts = policy.map_or_else(|| opts.tdx.clone(), policy::eval::tdx_options);
        let report_data = quote.report.report_data;
        let v = tdx::verify::verify_quote_with_cache(&raw, quote, collateral, &opts.intel_root, opts.at, &tdx_opts, opts.cache.as_ref());
        let tdx_provenance = collateral.provenance();
        if !opts.intel_root.is_production() {
            warnings.push(format!(
                "TEST TRUST ANCHOR (sha256:{}): this evidence is NOT vouched for by Intel",
                opts.intel_root.sha256()
            ));
        }
        let policy_checks = policy.map(|p| policy::eval::evaluate_tdx(p, &v, &tdx_provenance, opts.at));
        claims.insert("tdx".to_owned(), serde_json::to_value(&v.claims).unwrap_or_default());
        checks.extend(v.checks);
        checks.extend(policy_checks.into_iter().flatten());
        checks.extend(binding_checks(&report_data, evidence.gpu.is_some(), opts)?);
        provenance.extend(tdx_provenance);
    } else if opts.binding.is_some() {
        return Err(usage("a binding scheme applies to a TDX quote's REPORTDATA: no quote was given"));
    } else if policy.is_some_and(|p| p.tdx.is_some()) {
        checks.push(report::Check::fail(
            "policy.tdx.present",
            "TDX evidence the policy has rules for is present",
            "the policy has a [tdx] section but no TDX quote was given",
        ));
    }

    if let Some((list, collateral)) = evidence.gpu {
        for item in &list.items {
            hasher.update(&item.report);
        }
        formats.push(format!("nvidia-evidence ({} devices)", list.items.len()));
        let mut gpu_opts = policy.map_or_else(nvidia::verify::GpuOptions::default, policy::eval::gpu_options);
        gpu_opts.expected_nonce = opts.nonce;
        gpu_opts.cache.clone_from(&opts.cache);
        gpu_opts.parallel = opts.parallel;
        let v = nvidia::verify::verify_gpus(list, collateral, opts.at, &gpu_opts);
        checks.extend(v.checks.clone());
        if let Some(p) = policy {
            checks.extend(policy::eval::evaluate_gpu(p, &v));
        }
        claims.insert("gpu".to_owned(), v.claims.to_value());
        provenance.extend(v.collateral.clone());
    } else if policy.is_some_and(|p| p.gpu.is_some()) {
        checks.push(report::Check::fail(
            "policy.gpu.present",
            "GPU evidence the policy has rules for is present",
            "the policy has a [gpu] section but no GPU evidence was given",
        ));
    }

    let policy_info = match &opts.policy {
        Some(p) => PolicyInfo::of(Some(p)),
        None => {
            warnings.push(
                "no measurement policy was applied: the verdict covers the evidence's authenticity and appraisal, not which software it measures".to_owned(),
            );
            PolicyInfo::of(None)
        }
    };
    let mut report = Report::new(
        opts.at,
        InputInfo { format: ctx.format(formats.join(" + ")), sha256: crate::bytes::to_hex(hasher.finish()), source: ctx.source.clone() },
        policy_info,
        checks,
        serde_json::Value::Object(claims),
        provenance,
        warnings,
    );
    // `[provenance]`: the quote's registers against the signed releases.
    if let Some(pp) = policy.and_then(|p| p.provenance.as_ref()) {
        match evidence.tdx {
            Some((input, _)) => provenance::eval::apply_in(&mut report, pp, bundles, input, None, opts.at, opts.sigstore_root.as_deref()),
            None => {
                report.checks.push(report::Check::fail(
                    "provenance.applies",
                    "The policy's provenance sources apply to this evidence",
                    "[provenance] compares TDX registers and no TDX quote was given",
                ));
                report.verdict = report::Verdict::from_checks(&report.checks);
            }
        }
    }
    Ok(report)
}

fn usage(message: &str) -> Error {
    Error::Input { code: "input.usage", message: message.to_owned() }
}

/// The binding scheme a quote scanned without its provider report is held to.
enum Binding {
    None,
    Known(provider::binding::Scheme),
    Unknown(String),
}

/// `opts.binding`, else the policy's `[tdx.td] report_data = { scheme }`; both naming different
/// schemes is an input error.
fn binding_of(opts: &ScanOptions) -> Result<Binding, Error> {
    let from_policy = opts
        .policy
        .as_ref()
        .and_then(|p| p.policy.tdx.as_ref())
        .and_then(|t| t.td.as_ref())
        .and_then(|td| match &td.report_data {
            Some(policy::ReportDataRule::Scheme(s)) => Some(s.clone()),
            _ => None,
        });
    match (opts.binding, from_policy) {
        (Some(f), Some(p)) if f.name() != p => Err(Error::Input {
            code: "input.usage",
            message: format!("--binding {} differs from the policy's report_data scheme {p:?}", f.name()),
        }),
        (Some(f), _) => Ok(Binding::Known(f)),
        (None, Some(p)) => Ok(provider::binding::Scheme::from_name(&p).map_or(Binding::Unknown(p), Binding::Known)),
        (None, None) => Ok(Binding::None),
    }
}

/// The checks tying a quote scanned without its provider report to the nonce (and, in a node,
/// to the GPUs whose reports must carry the same nonce). Only signed bytes are compared: the
/// verified quote's REPORTDATA and the caller's nonce.
fn binding_checks(report_data: &[u8; 64], node: bool, opts: &ScanOptions) -> Result<Vec<report::Check>, Error> {
    use provider::binding::Scheme;
    use report::{Check, Status};
    let (id, title) = if node {
        ("node.binding.nonce", "The quote's REPORTDATA[32..64] carries the nonce the GPU reports answer")
    } else {
        ("tdx.binding.nonce", "The quote's REPORTDATA[32..64] carries the nonce")
    };
    let scheme = match binding_of(opts)? {
        Binding::None if node => {
            return Ok(vec![Check::fail(
                "node.binding",
                "The quote is shown to belong to these GPUs",
                "the quote is not shown to belong to these GPUs: no binding scheme (--binding SCHEME, or a policy with [tdx.td] report_data = { scheme = \"…\" }) ties its REPORTDATA to the GPUs' nonce",
            )]);
        }
        Binding::None if opts.nonce.is_some() => {
            return Err(usage("--nonce needs a binding scheme to check a bare quote: give --binding SCHEME or a policy with [tdx.td] report_data = { scheme = \"…\" }"));
        }
        Binding::None => return Ok(Vec::new()),
        Binding::Unknown(s) => return Ok(vec![Check::fail(id, title, format!("unknown binding scheme {s:?}"))]),
        Binding::Known(s) => s,
    };
    if !node && opts.nonce.is_none() {
        // A policy's scheme on a bare quote is judged by the policy (`policy.tdx.td.report_data`).
        return match opts.binding {
            Some(_) => Err(usage("--binding checks the nonce in a bare quote's REPORTDATA: give --nonce")),
            None => Ok(Vec::new()),
        };
    }
    let slot = report_data.get(32..).unwrap_or_default();
    let check = match (scheme, opts.nonce) {
        (Scheme::PaddedSigningAddress | Scheme::SigningAddressTls | Scheme::ComposeActions, Some(n)) => Check::from_bool(
            id,
            title,
            slot == n.as_slice(),
            if node {
                "REPORTDATA[32..64] is not the nonce: the quote was not made for this request, nor with these GPUs"
            } else {
                "REPORTDATA[32..64] is not the nonce: the quote was not made for this request"
            },
        )
        .expected(format!("{} (scheme {})", bytes::to_hex(n), scheme.name()))
        .actual(bytes::to_hex(slot)),
        (Scheme::PaddedSigningAddress | Scheme::SigningAddressTls | Scheme::ComposeActions, None) => Check::new(id, title, Status::Indeterminate)
            .reason("no nonce given (--nonce): neither the quote nor the GPU reports are shown to answer the same request")
            .actual(bytes::to_hex(slot)),
        (Scheme::ChutesE2e | Scheme::TinfoilV3, _) => Check::fail(
            id,
            title,
            format!(
                "scheme {} hashes the nonce together with the provider's other (unsigned) inputs into REPORTDATA; a bare quote cannot show the binding: scan the provider report instead",
                scheme.name()
            ),
        )
        .actual(bytes::to_hex(report_data)),
    };
    Ok(vec![check])
}
