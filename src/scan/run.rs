//! One scan as the command line asks for it, lowered to plain data ([`Request`]) and run here,
//! so that the CLI only parses flags, lowers them, calls [`run`], renders and exits: reading the
//! input (a file, Chutes' API pair, a bundle, a live endpoint), the flag rules ([`Plan`]),
//! gathering collateral, the scan, and the live scan's bundle and progress. Also the `policy`
//! and `cache` subcommands' logic. Behind the `fetch` feature (it may touch the network).

use std::path::PathBuf;
use std::sync::Arc;

use super::files::{read_bounded, GatherOptions, Input};
use super::plan::{Flag, InputKind, Plan};
use super::Scanner;
use crate::cache::VerifyCache;
use crate::fetch::live::Provider;
use crate::pki::TrustAnchor;
use crate::provider::binding::Scheme;
use crate::report::Report;
use crate::time::Timestamp;
use crate::{Error, ScanOptions};

fn input_error(code: &'static str, message: impl Into<String>) -> Error {
    Error::Input { code, message: message.into() }
}

/// One scan request: the flags of `teescan scan`, lowered (paths unread, texts unparsed).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Every input given (two may be Chutes' API pair).
    pub inputs: Vec<PathBuf>,
    /// The input scanned (the first).
    pub input: PathBuf,
    /// `--cert-chain` of a raw GPU report.
    pub cert_chain: Option<PathBuf>,
    /// `--gpu-evidence` files.
    pub gpu_evidence: Vec<PathBuf>,
    /// Where collateral comes from.
    pub gather: GatherOptions,
    /// `--at` (RFC 3339); `None` is now.
    pub at: Option<String>,
    /// `--policy`.
    pub policy: Option<PathBuf>,
    /// `--danger-trust-test-root`.
    pub test_root: Option<PathBuf>,
    /// `--danger-trust-test-amd-root`: a test AMD ARK trusted instead of the pinned ones.
    pub test_amd_root: Option<PathBuf>,
    /// `--sigstore-trusted-root`: the Sigstore root `[provenance]` bundles are verified against.
    pub sigstore_root: Option<PathBuf>,
    /// `--nonce` (hex).
    pub nonce: Option<String>,
    /// `--binding`.
    pub binding: Option<Scheme>,
    /// `--allow-debug`.
    pub allow_debug: bool,
    /// `--allow-service-td`.
    pub allow_service_td: bool,
    /// `policy init`: the TCB status is left to the policy being written.
    pub tcb_status_by_policy: bool,
    /// The flags given, for the flag rules.
    pub flags: Vec<Flag>,
    /// Whether the output is an EAR.
    pub ear: bool,
    /// Live scans: the protocol, model, extra TLS roots and where to save the bundle.
    pub provider: Provider,
    /// Live scans: the model.
    pub model: Option<String>,
    /// Live scans: extra TLS roots.
    pub tls_ca: Vec<PathBuf>,
    /// Live scans: save the bundle here.
    pub save_bundle: Option<PathBuf>,
    /// A batch's shared verify-once cache (then the scan stays on its thread).
    pub batch_cache: Option<Arc<VerifyCache>>,
    /// Live scans: called as each stage starts (the CLI asks on a terminal); then the timing
    /// line goes to `warn` too.
    pub progress: Option<crate::fetch::live::Progress>,
}

/// The verification options (time, anchors, nonce, binding, policy) of `req`.
pub fn scan_options(req: &Request) -> Result<ScanOptions, Error> {
    let at = match &req.at {
        Some(s) => Timestamp::parse_rfc3339(s)?,
        None => Timestamp::now(),
    };
    // An unusable --pccs URL is a usage error whatever else is given (--offline, --collateral).
    crate::fetch::gather::check_urls(&req.gather)?;
    let mut opts = ScanOptions::new(at);
    opts.cache.clone_from(&req.batch_cache);
    opts.parallel = req.batch_cache.is_none();
    opts.tdx.allow_debug = req.allow_debug;
    opts.tdx.allow_service_td = req.allow_service_td;
    opts.tdx.tcb_status_by_policy = req.tcb_status_by_policy;
    opts.binding = req.binding;
    if let Some(path) = &req.policy {
        let loaded = crate::policy::Policy::load(&read_bounded(path)?)
            .map_err(|e| input_error("input.policy", format!("{}: {e}", path.display())))?;
        opts.policy = Some(loaded.from_file(path.display().to_string()));
    }
    if let Some(root) = &req.test_root {
        opts.intel_root = TrustAnchor::danger_test_root(&read_bounded(root)?)?;
    }
    if let Some(root) = &req.test_amd_root {
        opts.amd_test_ark = Some(TrustAnchor::danger_test_root(&read_bounded(root)?)?);
    }
    // --github-url and --sigstore-trusted-root without a [provenance] policy (or --github-url
    // with --offline) are refused by the flag plan ([`Plan`]), naming the flag.
    if let Some(url) = &req.gather.github_url {
        crate::fetch::github::GithubClient::new(url, url, crate::fetch::FetchOptions::default()).map_err(|e| input_error("input.url", e.to_string()))?;
    }
    if let Some(path) = req.sigstore_root.as_ref().filter(|_| opts.policy.as_ref().is_some_and(|p| p.policy.provenance.is_some())) {
        // An auditor's file, never the evidence's.
        let root = crate::pki::sigstore::TrustedRoot::from_json(&read_bounded(path)?)
            .map_err(|e| input_error("input.sigstore_root", format!("{}: {e}", path.display())))?;
        opts.sigstore_root = Some(Arc::new(root));
    }
    if let Some(n) = &req.nonce {
        let bytes = hex::decode(n.trim()).map_err(|e| input_error("input.nonce", format!("--nonce is not hex: {e}")))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| input_error("input.nonce", format!("--nonce must be 32 bytes (64 hex digits), got {}", b.len())))?;
        opts.nonce = Some(arr);
    }
    Ok(opts)
}

/// Run one scan. `warn` receives the lines an operator must see on stderr (warnings, live
/// progress); the report carries everything else.
pub fn run(req: &Request, warn: &dyn Fn(&str)) -> Result<Report, Error> {
    let opts = scan_options(req)?;
    let input = match Input::read_pair(&req.inputs, opts.nonce.as_ref())? {
        Some(pair) => pair,
        None => Input::read(&req.input, req.cert_chain.as_deref())?,
    };
    let kind = match &input {
        Input::Live => InputKind::Live,
        Input::Bundle => InputKind::Bundle,
        Input::Evidence(e) => InputKind::of_evidence(e, !req.gpu_evidence.is_empty()),
    };
    // --kds-url with --collateral holding the certificates is refused when gathering.
    Plan::new(kind, &req.gather, &opts, req.ear).validate(&req.flags)?;
    if let Some(root) = &req.test_root {
        warn(&format!("warning: trusting a TEST root instead of the Intel SGX Root CA ({})", root.display()));
    }
    if let (Some(path), Some(ark)) = (&req.test_amd_root, &opts.amd_test_ark) {
        warn(&format!("warning: trusting a TEST AMD root (ARK) instead of the pinned AMD roots ({}, sha256:{})", path.display(), ark.sha256()));
    }
    if let (Some(path), Some(root)) = (&req.sigstore_root, &opts.sigstore_root) {
        if root.kind != crate::pki::AnchorKind::Production {
            warn(&format!("warning: verifying provenance against the Sigstore root {} (sha256:{}), NOT the pinned public-good root", path.display(), root.sha256));
        }
    }
    let mut evidence = match input {
        Input::Live => return live(req, opts, warn),
        Input::Bundle => return crate::bundle::scan_saved(&req.input, opts, req.at.is_some()),
        Input::Evidence(e) => e,
    };
    for path in &req.gpu_evidence {
        let extra = crate::nvidia::evidence::parse_evidence_list(&read_bounded(path)?)
            .map_err(|e| input_error(e.code(), format!("{}: {e}", path.display())))?;
        evidence = evidence.with_gpu(extra)?;
    }
    let gathered = crate::fetch::gather::gather(&evidence, &req.gather, &opts)?;
    for w in &gathered.operator_warnings {
        warn(&format!("warning: {w}"));
    }
    let mut report = Scanner::from_options(opts).scan(&evidence, &gathered.collateral)?;
    report.collateral.extend(gathered.provenance_used);
    report.input.source = Some(req.input.display().to_string());
    Ok(report)
}

/// `teescan scan https://…`: fresh nonce, TLS binding, concurrent collateral, optional bundle.
fn live(req: &Request, opts: ScanOptions, warn: &dyn Fn(&str)) -> Result<Report, Error> {
    use crate::fetch::live::Endpoint;
    let endpoint = Endpoint { url: req.input.to_string_lossy().into_owned(), provider: req.provider, model: req.model.clone() };
    let mut live = crate::fetch::gather::live_options(&req.gather, &opts);
    for path in &req.tls_ca {
        live.add_tls_root(read_bounded(path)?);
    }
    if let Some(path) = &req.policy {
        live.policy_text = Some(read_bounded(path)?);
    }
    live.progress.clone_from(&req.progress);
    let started = std::time::Instant::now();
    let scan = crate::fetch::gather::scan_live_blocking(&endpoint, &live, &opts)?;
    if req.progress.is_some() {
        let s = &scan.stats;
        warn(&format!(
            "{} requests ({} failed) in {} ms (attestation {} ms, collateral {} ms, verification {} ms)",
            s.requests,
            s.failures,
            started.elapsed().as_millis(),
            s.attestation.as_millis(),
            s.collateral.as_millis(),
            s.verification.as_millis()
        ));
    }
    let mut report = scan.report;
    if let Some(path) = &req.save_bundle {
        crate::bundle::save(&scan.bundle, path)
            .map_err(|e| input_error("input.write", format!("cannot write the bundle to {}: {e}", path.display())))?;
        report.warnings.push(format!("evidence bundle saved to {}", path.display()));
    }
    Ok(report)
}

/// `teescan policy init`: scan `req` (the TCB status left to the policy) and write a starting
/// policy expiring `valid_days` after `today`. `Err((exit code, message))` when the evidence
/// is unusable (2) or did not verify (its verdict's code, at least 1).
pub fn policy_init(req: &Request, id: &str, valid_days: u64, today: Timestamp) -> Result<String, (u8, String)> {
    let mut req = req.clone();
    req.tcb_status_by_policy = true;
    let report = run(&req, &|_| {}).map_err(|e| (2, format!("error[{}]: {e}", e.code())))?;
    crate::policy::init::starting_policy(&report, id, valid_days, today).map_err(|e| {
        let code = u8::try_from(report.verdict.exit_code()).unwrap_or(1).max(1);
        (code, format!("error[policy.init]: {e}"))
    })
}

/// `teescan policy lint FILE [--at T]`: the lines to print and the exit code (0 clean, 1
/// problems, 2 unreadable).
pub fn policy_lint(file: &std::path::Path, at: Option<&str>) -> (Vec<String>, u8) {
    let at = match at.map(Timestamp::parse_rfc3339).transpose() {
        Ok(t) => t.unwrap_or_else(Timestamp::now),
        Err(e) => return (vec![format!("teescan: error[input.time]: {e}")], 2),
    };
    let bytes = match read_bounded(file) {
        Ok(b) => b,
        Err(e) => return (vec![format!("teescan: error[{}]: {e}", e.code())], 2),
    };
    let lint = crate::policy::lint::lint(&bytes, at);
    let lines = lint.findings.iter().map(|f| format!("{}: {}: {}", file.display(), f.severity.as_str(), f.message)).collect();
    (lines, if lint.is_clean() { 0 } else { 1 })
}

/// `teescan cache fetch FILE… [--policy P]`: fetch and cache the collateral of saved evidence
/// (and the release bundles of `policy`'s `[provenance]` sources). Prints a line per file
/// through `out`, problems through `warn`; returns the exit code (0, 2 input or usage, 3 some
/// answer could not be fetched).
pub fn cache_fetch(files: &[PathBuf], policy: Option<&std::path::Path>, g: &GatherOptions, dir: PathBuf, explicit: bool, out: &dyn Fn(&str), warn: &dyn Fn(&str)) -> u8 {
    let provenance = match policy.map(|p| read_bounded(p).and_then(|b| crate::policy::Policy::load(&b).map_err(|e| input_error("input.policy", format!("{}: {e}", p.display()))))) {
        None => None,
        Some(Err(e)) => {
            warn(&format!("error[{}]: {e}", e.code()));
            return 2;
        }
        // A flag whose use cannot happen is a usage error.
        Some(Ok(p)) => match p.policy.provenance {
            Some(pp) => Some(pp),
            None => {
                warn("error[input.usage]: --policy cannot apply: cache fetch reads a policy for its [[provenance.source]] bundles, and it has none");
                return 2;
            }
        },
    };
    if g.github_url.is_some() && provenance.is_none() {
        warn("error[input.usage]: --github-url applies to a policy with [[provenance.source]]: give --policy with one");
        return 2;
    }
    let cache = crate::fetch::cache::DiskStore::new(dir, Timestamp::now(), explicit);
    let prefetch = match crate::fetch::gather::Prefetch::new(g, cache) {
        Ok(p) => p,
        Err(e) => {
            warn(&format!("error[{}]: {e}", e.code()));
            return 2;
        }
    };
    let mut worst = 0u8;
    let mut report = |what: &str, result: Result<(usize, Vec<(String, String)>), Error>| match result {
        Ok((answers, failures)) => {
            out(&format!("{what}: {answers} answers cached or already fresh, {} failed", failures.len()));
            for (what, e) in &failures {
                warn(&format!("warning: could not fetch {what}: {e}"));
                worst = worst.max(3);
            }
        }
        Err(e) => {
            warn(&format!("error[{}]: {e}", e.code()));
            worst = 2;
        }
    };
    for file in files {
        report(&file.display().to_string(), prefetch.file(file));
    }
    if let (Some(pp), Some(path)) = (&provenance, policy) {
        report(&format!("{} [provenance]", path.display()), prefetch.provenance(pp));
    }
    worst
}
