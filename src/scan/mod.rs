//! The one scan entry point: evidence detected from bytes, the collateral gathered for it, and a
//! [`Scanner`] (time, policy, anchors, nonce, cache) that turns both into a [`Report`].
//!
//! Every entry point — the CLI, a batch, a saved bundle, a live scan, an embedder — reads its
//! input into an [`Evidence`], gathers a [`Collateral`] (files, a capture directory, a cache or a
//! fetch), and calls [`Scanner::scan`]. Nothing here does I/O except reading the files the caller
//! names: [`Collateral::add_capture_dir`] (a directory of saved HTTP exchanges, with the bundle
//! reader's limits) and the bounded readers of [`files`] (`--collateral`, `--rims`, `--ocsp`,
//! `--nras`, `--signature`). [`plan`] decides which flags apply to which input.
//!
//! ```no_run
//! use teescan::scan::{Collateral, Evidence, Scanner};
//! use teescan::time::Timestamp;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let body = std::fs::read("report.json")?;
//! let evidence = Evidence::detect(&body)?;
//! let mut collateral = Collateral::default();
//! collateral.add_capture_dir(std::path::Path::new("capture/"), &evidence)?;
//! let policy = teescan::policy::Policy::load(&std::fs::read("policies/nearai.toml")?)?;
//! let scanner = Scanner::new(Timestamp::parse_rfc3339("2026-06-29T02:06:40Z")?)
//!     .with_policy(policy)
//!     .with_nonce([0u8; 32]);
//! let report = scanner.scan(&evidence, &collateral)?;
//! println!("{}", report.verdict.label());
//! # Ok(()) }
//! ```

use std::path::Path;
use std::sync::Arc;

pub mod batch;
pub mod files;
pub mod plan;
#[cfg(feature = "fetch")]
pub mod run;

pub use files::{read_bounded, GatherOptions, Input};
pub use plan::{Flag, InputKind, Plan};

use crate::nvidia::evidence::{decode_report, parse_evidence_list, EvidenceList, GpuEvidence};
use crate::nvidia::verify::GpuCollateral;
use crate::policy::LoadedPolicy;
use crate::provider::scan::SignedResponse;
use crate::provider::{ProviderError, ProviderReport};
use crate::report::{Check, InputInfo, PolicyInfo, Report, Status};
use crate::tdx::collateral::{CollateralError, HttpExchange, PcsResponses};
use crate::tdx::quote::PckHint;
use crate::time::Timestamp;
use crate::{Error, ScanOptions};

/// What a scan verifies, recognised from its bytes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Evidence {
    /// A bare TDX quote (raw, hex or base64).
    Quote(Vec<u8>),
    /// A TDX quote with the evidence of the GPUs it claims (one node).
    Node {
        /// The quote (raw, hex or base64).
        quote: Vec<u8>,
        /// The GPUs' evidence.
        gpu: EvidenceList,
    },
    /// NVIDIA GPU / NVSwitch evidence. `raw`: given as one raw SPDM report with its chain.
    Gpu {
        /// The evidence.
        list: EvidenceList,
        /// Whether it was a raw report (not a JSON evidence list).
        raw: bool,
    },
    /// A provider attestation report (NEAR AI, NEAR cloud, resellers, Chutes, Tinfoil).
    Provider(Box<ProviderReport>),
    /// An AMD SEV-SNP report (raw, dstack, Tinfoil v3 router), with what its document carries.
    Snp(Box<crate::snp::formats::SnpEvidence>),
    /// A provider report of a recognised format whose evidence this version cannot verify:
    /// scanned as indeterminate, never as a pass.
    Unsupported {
        /// Why.
        reason: String,
        /// SHA-256 of the document (lower hex).
        sha256: String,
    },
}

/// The kind of an [`Evidence`], for deciding which flags and collateral apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A bare TDX quote.
    Quote,
    /// A quote with its GPUs.
    Node,
    /// A GPU evidence list (JSON).
    GpuList,
    /// A raw GPU report with its chain.
    GpuRaw,
    /// A provider report; `gpu`: some layer carries GPU evidence.
    Provider {
        /// Whether some layer carries GPU evidence.
        gpu: bool,
    },
}

const SUPPORTED: &str = "supported inputs are a TDX quote (binary, hex, base64), an NVIDIA evidence list ({arch, nonce, evidence_list:[{certificate, evidence}]} or [{certificate, evidence}]), a raw NVIDIA report with --cert-chain, provider reports (NEAR AI / dstack, NEAR cloud, Venice, Chutes, Tinfoil v3) and teescan bundles";

fn input_error(code: &'static str, message: impl Into<String>) -> Error {
    Error::Input { code, message: message.into() }
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::bytes::to_hex(ring::digest::digest(&ring::digest::SHA256, bytes))
}

impl Evidence {
    /// Recognise `bytes`: a provider report, a GPU evidence list, or a TDX quote (in that order;
    /// JSON that is neither a known provider format nor GPU evidence is an error). A raw GPU
    /// report needs its certificate chain: see [`Evidence::raw_gpu_report`].
    pub fn detect(bytes: &[u8]) -> Result<Evidence, Error> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if let Some(doc) = crate::provider::chutes::sniff(bytes) {
            return Err(input_error("input.usage", crate::provider::chutes::alone_message(doc)));
        }
        if first == Some(&b'{') {
            if let Some(snp) = crate::snp::formats::detect_json(bytes) {
                return snp.map(|e| Evidence::Snp(Box::new(e))).map_err(|e| input_error("input.snp", e.to_string()));
            }
            match crate::provider::parse(bytes) {
                Ok(report) => return Ok(Evidence::Provider(Box::new(report))),
                Err(ProviderError::Unknown(_)) => {}
                Err(ProviderError::Unsupported(reason)) => return Ok(Evidence::Unsupported { reason, sha256: sha256_hex(bytes) }),
                Err(e @ ProviderError::Json(_)) => return Err(input_error("input.json", e.to_string())),
                Err(e) => return Err(input_error("input.provider", e.to_string())),
            }
        }
        if matches!(first, Some(b'{' | b'[' | b'"')) {
            return parse_evidence_list(bytes).map(|list| Evidence::Gpu { list, raw: false }).map_err(|e| {
                if bytes.windows(10).any(|w| w == b"\"evidence\"" || w.starts_with(b"\"evidence_")) {
                    input_error(e.code(), format!("GPU evidence JSON: {e}"))
                } else {
                    input_error("input.format", format!("unrecognised JSON document: {SUPPORTED}"))
                }
            });
        }
        if Self::is_raw_gpu_report(bytes) {
            return Err(input_error("input.usage", "a raw GPU report needs its certificate chain: --cert-chain PEM"));
        }
        if let Some(snp) = crate::snp::formats::detect_binary(bytes) {
            return snp.map(|e| Evidence::Snp(Box::new(e))).map_err(|e| input_error("input.snp", e.to_string()));
        }
        crate::parse_tdx_quote(bytes)?;
        Ok(Evidence::Quote(bytes.to_vec()))
    }

    /// Two documents that are Chutes' API pair (`/chutes/{id}/evidence` and
    /// `/e2e/instances/{id}`, in either order) as one provider report under the caller's
    /// `nonce`; `Ok(None)` when they are not that pair. The pair without a nonce is a usage
    /// error: its quotes bind the nonce the caller sent, which neither document carries.
    pub fn detect_pair(a: &[u8], b: &[u8], nonce: Option<&[u8; 32]>) -> Result<Option<Evidence>, Error> {
        use crate::provider::chutes::{parse_pair, sniff, Document};
        let (evidence, instances) = match (sniff(a), sniff(b)) {
            (Some(Document::Evidence), Some(Document::Instances)) => (a, b),
            (Some(Document::Instances), Some(Document::Evidence)) => (b, a),
            _ => return Ok(None),
        };
        let nonce = nonce.ok_or_else(|| input_error("input.usage", "the Chutes API pair binds the nonce sent with the evidence request (its query), which neither document carries: give it with --nonce"))?;
        parse_pair(evidence, instances, nonce)
            .map(|r| Some(Evidence::Provider(Box::new(r))))
            .map_err(|e| input_error("input.provider", e.to_string()))
    }

    /// Whether `bytes` is a raw NVIDIA SPDM report (binary, hex or base64).
    pub fn is_raw_gpu_report(bytes: &[u8]) -> bool {
        decode_report(bytes).ok().is_some_and(|(b, _)| b.starts_with(&[0x11, 0xE0]))
    }

    /// One raw SPDM report with its PEM certificate chain (leaf first).
    pub fn raw_gpu_report(report: &[u8], chain_pem: &[u8]) -> Result<Evidence, Error> {
        let report = decode_report(report)
            .ok()
            .map(|(b, _)| b)
            .filter(|b| b.starts_with(&[0x11, 0xE0]))
            .ok_or_else(|| input_error("input.format", "not a raw NVIDIA SPDM report"))?;
        // The scan input itself is malformed: a usage error (exit 2), whatever its kind.
        crate::nvidia::spdm::SpdmReport::parse(&report)
            .map_err(|e| input_error("input.format", format!("the raw NVIDIA SPDM report given as input is malformed: {e}")))?;
        let cert_chain: Vec<Vec<u8>> = pem::parse_many(chain_pem)
            .map_err(|e| input_error("input.cert_chain", e.to_string()))?
            .into_iter()
            .map(pem::Pem::into_contents)
            .collect();
        if cert_chain.is_empty() {
            return Err(input_error("input.cert_chain", "no PEM certificates"));
        }
        let max = crate::nvidia::evidence::MAX_CHAIN_CERTS;
        if cert_chain.len() > max {
            return Err(input_error("input.cert_chain", format!("{} certificates, more than the limit {max}", cert_chain.len())));
        }
        let item = GpuEvidence { report, cert_chain, arch_hint: None, nonce_hint: None, driver_version_hint: None, vbios_version_hint: None };
        Ok(Evidence::Gpu { list: EvidenceList { arch_hint: None, nonce_hint: None, items: vec![item] }, raw: true })
    }

    /// Add GPU evidence: a quote becomes a node; GPU evidence grows. Provider reports carry
    /// their own GPU evidence: adding more is a usage error.
    pub fn with_gpu(self, extra: EvidenceList) -> Result<Evidence, Error> {
        match self {
            Evidence::Quote(quote) => Ok(Evidence::Node { quote, gpu: extra }),
            Evidence::Node { quote, mut gpu } => {
                gpu.items.extend(extra.items);
                Ok(Evidence::Node { quote, gpu })
            }
            Evidence::Gpu { mut list, raw } => {
                list.items.extend(extra.items);
                Ok(Evidence::Gpu { list, raw })
            }
            Evidence::Provider(_) | Evidence::Unsupported { .. } => {
                Err(input_error("input.usage", "--gpu-evidence: a provider report carries its own GPU evidence"))
            }
            Evidence::Snp(_) => {
                Err(input_error("input.usage", "--gpu-evidence: SEV-SNP evidence with GPUs is not supported by this version"))
            }
        }
    }

    /// The kind of this evidence.
    pub fn kind(&self) -> Kind {
        match self {
            Evidence::Quote(_) => Kind::Quote,
            Evidence::Node { .. } => Kind::Node,
            Evidence::Gpu { raw: true, .. } => Kind::GpuRaw,
            Evidence::Gpu { raw: false, .. } => Kind::GpuList,
            Evidence::Provider(r) => Kind::Provider { gpu: r.layers.iter().any(|l| l.gpu.is_some()) },
            Evidence::Unsupported { .. } | Evidence::Snp(_) => Kind::Provider { gpu: false },
        }
    }

    /// The FMSPC and PCK CA of every TDX quote in the evidence (distinct FMSPCs), to choose
    /// DCAP collateral by.
    pub fn pck_hints(&self) -> Vec<PckHint> {
        let quotes: Vec<Vec<u8>> = match self {
            Evidence::Quote(q) | Evidence::Node { quote: q, .. } => {
                crate::parse_tdx_quote(q).map(|(raw, _, _)| vec![raw]).unwrap_or_default()
            }
            Evidence::Provider(r) => r.layers.iter().map(|l| l.quote.clone()).collect(),
            Evidence::Gpu { .. } | Evidence::Unsupported { .. } | Evidence::Snp(_) => Vec::new(),
        };
        let mut hints: Vec<PckHint> = Vec::new();
        for q in quotes {
            if let Ok(h) = crate::tdx::Quote::parse(&q).and_then(|q| q.pck_hint()) {
                if !hints.iter().any(|x| x.fmspc == h.fmspc) {
                    hints.push(h);
                }
            }
        }
        hints
    }
}

/// Everything a scan verifies the evidence against, from wherever it came (files, a capture
/// directory, a cache, a fetch, a bundle). All of it is evidence to check, never trusted.
#[derive(Debug, Clone, Default)]
pub struct Collateral {
    /// DCAP collateral, one per FMSPC (chosen for each quote by its PCK certificate's FMSPC).
    pub dcap: Vec<crate::tdx::Collateral>,
    /// Why DCAP collateral could not be had, when it could not (the quote's checks are then
    /// indeterminate).
    pub dcap_unavailable: Option<String>,
    /// NVIDIA RIMs, OCSP responses and an NRAS result.
    pub gpu: GpuCollateral,
    /// A provider response signature with the bodies it covers.
    pub signature: Option<SignedResponse>,
    /// What gathering the collateral left to tell the reader (fetch failures): added to the
    /// report's warnings by [`Scanner::scan`].
    pub notes: Vec<String>,
    /// AMD SEV-SNP certificates (VCEK/VLEK, ASK/ASVK, ARK) and CRLs.
    pub snp: crate::snp::SnpCollateral,
    /// Sigstore bundles for `[provenance]` (GitHub `attestations` answers, bundle files).
    pub provenance: Vec<crate::provenance::eval::SuppliedBundle>,
}

impl Collateral {
    /// Add a dcap-qvl `QuoteCollateralV3` JSON document.
    pub fn add_dcap_json(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.dcap.push(crate::tdx::Collateral::from_dcap_json(bytes)?);
        Ok(())
    }

    /// Add the DCAP collateral that saved Intel PCS exchanges hold for each quote of
    /// `evidence`. A quote whose FMSPC has no complete set leaves the reason in
    /// [`Collateral::dcap_unavailable`].
    pub fn add_pcs_exchanges(&mut self, exchanges: &[HttpExchange], evidence: &Evidence) -> Result<(), Error> {
        for hint in evidence.pck_hints() {
            match PcsResponses::from_exchanges(exchanges, &hint.fmspc, hint.ca) {
                Ok(pcs) => self.dcap.push(crate::tdx::Collateral::from_pcs(&pcs)?),
                Err(CollateralError::Missing { item }) => {
                    self.dcap_unavailable = Some(format!("no {item} (FMSPC {}, {} CA)", hex::encode(hint.fmspc), hint.ca));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Add the AMD KDS answers among saved exchanges (`/vcek/v1/…`, `/vlek/v1/…`: the
    /// `cert_chain` PEM, VCEK/VLEK DER, CRL DER). Evidence to verify, like any collateral.
    pub fn add_kds_exchanges(&mut self, exchanges: &[HttpExchange]) -> Result<(), Error> {
        for x in exchanges.iter().filter(|x| crate::snp::formats::is_kds_url(&x.url)) {
            self.add_snp_file(&x.body).map_err(|e| input_error("input.collateral", format!("{}: {e}", x.url)))?;
        }
        Ok(())
    }

    /// Add one SEV-SNP collateral file: certificates (PEM or DER) or a CRL (DER or PEM).
    pub fn add_snp_file(&mut self, bytes: &[u8]) -> Result<(), String> {
        crate::snp::formats::add_collateral_file(&mut self.snp, bytes)
    }

    /// Read a capture directory (teep's `responses/NNNN_*.{json,body}` layout; regular files
    /// only, bounded: [`crate::bundle::read_capture_dir`]) and add its DCAP collateral.
    pub fn add_capture_dir(&mut self, dir: &Path, evidence: &Evidence) -> Result<(), Error> {
        let exchanges = crate::bundle::read_capture_dir(dir)?;
        self.add_capture_exchanges(&exchanges, &dir.display().to_string(), evidence)
    }

    /// Add the collateral of a capture directory already read (`label` names it): the CLI's
    /// `--collateral DIR` and the scanner page's capture folder both come here.
    pub fn add_capture_exchanges(&mut self, exchanges: &[HttpExchange], label: &str, evidence: &Evidence) -> Result<(), Error> {
        if let Evidence::Snp(_) = evidence {
            self.add_attestation_exchanges(exchanges);
            return self.add_kds_exchanges(exchanges);
        }
        self.add_pcs_exchanges(exchanges, evidence)?;
        self.add_attestation_exchanges(exchanges);
        if let Some(why) = self.dcap_unavailable.take() {
            self.dcap_unavailable = Some(format!("{label} has {why}"));
        }
        Ok(())
    }
}

/// What an entry point established before the scan (a bundle's integrity, the endpoint's TLS
/// key, how the nonce was chosen, where the evidence came from): its checks lead the report,
/// which is built once, with its verdict derived from all of its checks.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Checks that come first in the report (`bundle.integrity`, `endpoint.tls`, …).
    pub checks: Vec<Check>,
    /// Warnings the reader must see.
    pub warnings: Vec<String>,
    /// Where the evidence came from (a path or URL).
    pub source: Option<String>,
    /// Prefix of the input's format (`evidence bundle: `).
    pub format_prefix: Option<String>,
    /// Claims placed beside the evidence's own (a bundle's `endpoint`).
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// Warnings placed after the scan's own (what the recording of the evidence noted).
    pub trailing_warnings: Vec<String>,
    /// A verdict recorded earlier for the same evidence, and when: a differing verdict now is
    /// said in a warning.
    pub recorded_verdict: Option<(crate::report::Verdict, crate::time::Timestamp)>,
    /// Checks of [`Context::checks`] that hold only if checks of the scan hold too (a live
    /// scan's channel check needs the quote or report that binds the key verified).
    pub gates: Vec<Gate>,
}

/// A leading check that stays a pass only if every required check of the scan it names passes:
/// a failing one fails it, an undecided (or absent) one leaves it indeterminate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    /// The id of the gated check (one of [`Context::checks`]).
    pub check: String,
    /// Check ids it needs; an entry ending in `.` names every check under that prefix.
    pub needs: Vec<String>,
}

impl Gate {
    fn covers(&self, id: &str) -> bool {
        self.needs.iter().any(|n| if n.ends_with('.') { id.starts_with(n.as_str()) } else { id == n })
    }

    /// Apply the gate to `checks` (the whole report's).
    fn apply(&self, checks: &mut [Check]) {
        let needed: Vec<(String, Status)> =
            checks.iter().filter(|c| c.required && c.id != self.check && self.covers(&c.id)).map(|c| (c.id.clone(), c.status)).collect();
        let Some(gated) = checks.iter_mut().find(|c| c.id == self.check && c.status == Status::Pass) else { return };
        let named = |s: Status| needed.iter().filter(|(_, x)| *x == s).map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", ");
        if needed.is_empty() {
            gated.status = Status::Indeterminate;
            gated.reason = Some(format!("the scan produced none of the checks it needs ({})", self.needs.join(", ")));
        } else if needed.iter().any(|(_, s)| *s == Status::Fail) {
            gated.status = Status::Fail;
            gated.reason = Some(format!("the key is bound, but evidence binding it did not verify: {} failed", named(Status::Fail)));
        } else if needed.iter().any(|(_, s)| *s != Status::Pass) {
            gated.status = Status::Indeterminate;
            let open: Vec<&str> = needed.iter().filter(|(_, s)| *s != Status::Pass).map(|(id, _)| id.as_str()).collect();
            gated.reason = Some(format!("the key is bound, but the evidence binding it is not verified: {} undecided", open.join(", ")));
        }
    }
}

impl Context {
    /// `format` with this context's prefix.
    pub(crate) fn format(&self, format: String) -> String {
        match &self.format_prefix {
            Some(p) => format!("{p}{format}"),
            None => format,
        }
    }

    /// Complete the report the scan built: this context's claims and trailing warnings, and the
    /// comparison with a recorded verdict. The verdict itself is the report's, derived from its
    /// checks when it was built.
    pub(crate) fn complete(&self, mut report: Report) -> Report {
        if !self.gates.is_empty() {
            for g in &self.gates {
                g.apply(&mut report.checks);
            }
            report.verdict = crate::report::Verdict::from_checks(&report.checks);
        }
        // A report without claims (nothing was verified) gets none from the context either.
        if let Some(obj) = report.claims.as_object_mut() {
            obj.extend(self.claims.clone());
        }
        report.warnings.extend(self.trailing_warnings.iter().cloned());
        if let Some((recorded, when)) = self.recorded_verdict {
            if recorded != report.verdict {
                report.warnings.push(format!(
                    "the bundle records verdict {} at {}; this verification gives {} as of {}",
                    recorded.label(),
                    when,
                    report.verdict.label(),
                    report.verified_at
                ));
            }
        }
        report
    }
}

/// Time, policy, trust anchors, nonce and verify-once cache: what every scan is verified
/// against. Build one, scan many.
#[derive(Debug, Clone)]
pub struct Scanner {
    /// The options every verifier receives (time, anchors, nonce, binding, policy, cache).
    pub options: ScanOptions,
}

impl Scanner {
    /// A scanner verifying as of `at`, with the production anchors, no policy and a fresh
    /// verify-once cache of its own.
    pub fn new(at: Timestamp) -> Scanner {
        let mut options = ScanOptions::new(at);
        options.cache = Some(Arc::new(crate::cache::VerifyCache::new()));
        Scanner { options }
    }

    /// From options built elsewhere (the CLI's flags, lowered once).
    pub fn from_options(options: ScanOptions) -> Scanner {
        Scanner { options }
    }

    /// Hold the evidence against `policy`.
    #[must_use]
    pub fn with_policy(mut self, policy: LoadedPolicy) -> Scanner {
        self.options.policy = Some(policy);
        self
    }

    /// The nonce the caller sent: the evidence must answer it (freshness).
    #[must_use]
    pub fn with_nonce(mut self, nonce: [u8; 32]) -> Scanner {
        self.options.nonce = Some(nonce);
        self
    }

    /// Verify `evidence` against `collateral`. Malformed evidence is an [`Error`] (exit 2);
    /// anything that parses yields a report whose verdict says whether it verified.
    pub fn scan(&self, evidence: &Evidence, collateral: &Collateral) -> Result<Report, Error> {
        self.scan_in(evidence, collateral, &Context::default())
    }

    /// [`Scanner::scan`] for an entry point that established checks of its own first (a bundle,
    /// a live scan): they lead the report, and count in its verdict.
    pub fn scan_in(&self, evidence: &Evidence, collateral: &Collateral, context: &Context) -> Result<Report, Error> {
        let opts = &self.options;
        let mut ctx = context.clone();
        ctx.warnings.extend(collateral.notes.iter().cloned());
        let ctx = &ctx;
        let node = |quote: &[u8], gpu: Option<&EvidenceList>| -> Result<Report, Error> {
            match self.dcap_for(quote, collateral)? {
                Some(c) => crate::scan_in_with(crate::Evidence { tdx: Some((quote, c)), gpu: gpu.map(|g| (g, &collateral.gpu)) }, opts, ctx, &collateral.provenance),
                None => crate::collateral_unavailable_report_in(quote, &self.unavailable_reason(collateral), opts, ctx),
            }
        };
        let report = match evidence {
            Evidence::Quote(quote) => node(quote, None),
            Evidence::Node { quote, gpu } => node(quote, Some(gpu)),
            Evidence::Gpu { list, .. } => crate::scan_in(crate::Evidence { tdx: None, gpu: Some((list, &collateral.gpu)) }, opts, ctx),
            Evidence::Provider(report) => Ok(crate::provider::scan::scan_provider_in(report, collateral, opts, ctx)),
            Evidence::Unsupported { reason, sha256 } => Ok(unsupported_report(reason, sha256, opts, ctx)),
            Evidence::Snp(snp) => crate::snp::scan::scan_snp(snp, &collateral.snp, &collateral.provenance, opts, ctx),
        }?;
        Ok(ctx.complete(report))
    }

    /// The DCAP collateral for `quote`: the one whose TCB Info names its FMSPC; a single
    /// collateral is used as given (a mismatch then fails `tdx.tcb.fmspc`, which says so).
    fn dcap_for<'c>(&self, quote: &[u8], collateral: &'c Collateral) -> Result<Option<&'c crate::tdx::Collateral>, Error> {
        if let [only] = collateral.dcap.as_slice() {
            return Ok(Some(only));
        }
        let (_, q, _) = crate::parse_tdx_quote(quote)?;
        let fmspc = q.pck_hint().ok().map(|h| crate::bytes::to_hex(h.fmspc));
        Ok(collateral.dcap.iter().find(|c| c.tcb_info_fmspc().is_some() && c.tcb_info_fmspc() == fmspc))
    }

    fn unavailable_reason(&self, collateral: &Collateral) -> String {
        collateral.dcap_unavailable.clone().unwrap_or_else(|| "no DCAP collateral for this quote's FMSPC was given or could be fetched".to_owned())
    }
}

/// The report of a recognised provider document whose evidence cannot be verified here.
fn unsupported_report(reason: &str, sha256: &str, opts: &ScanOptions, ctx: &Context) -> Report {
    let mut checks = ctx.checks.clone();
    checks.push(
        Check::new("provider.evidence.supported", "The report's evidence is of a kind teescan verifies", Status::Indeterminate)
            .reason(reason.to_owned()),
    );
    let mut warnings = ctx.warnings.clone();
    warnings.push("the evidence was not verified".to_owned());
    Report::new(
        opts.at,
        InputInfo { format: ctx.format("provider report (unsupported evidence)".to_owned()), sha256: sha256.to_owned(), source: ctx.source.clone() },
        PolicyInfo::of(opts.policy.as_ref()),
        checks,
        serde_json::Value::Null,
        Vec::new(),
        warnings,
    )
}
