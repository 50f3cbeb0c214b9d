//! Gathering a scan's collateral: the files named in [`GatherOptions`] first, then the
//! collateral cache and the network for what they lack. One Tokio runtime per scan, created only
//! when something is actually fetched ([`Fetcher`]).
//!
//! Order, per evidence kind (the same as `teescan scan` has always used):
//! - a bare quote or a node: every `--collateral` path (files or capture directories), else the
//!   cache / Intel PCS (or the PCCS) for its FMSPC, else the reason it is unavailable; then, for a
//!   node whose quote has collateral, the GPU collateral as for GPU evidence;
//! - GPU evidence: `--rims`, `--ocsp`, `--nras`/`--jwks`; unless `--rims`/`--ocsp` or offline
//!   without a cache, the RIMs and OCSP responses (and NRAS when the policy requires it) from
//!   the cache or NVIDIA; failures are warnings for the operator, never passes;
//! - a provider report: every `--collateral` path, the GPU files, then everything they lack for
//!   every FMSPC and GPU layer at once ([`super::live::fetch_dependencies`]), then the response
//!   signature; failures become [`Collateral::notes`] (report warnings);
//! - any kind, under a `[[provenance.source]]` policy: for each source the files supplied no
//!   verified bundle of, its release's GitHub attestations answer (cache, then GitHub or
//!   `github_url`; [`fetch_release_bundles`]), recorded in [`Gathered::provenance_used`].

use std::cell::OnceCell;
use std::path::Path;

use super::cache::DiskStore;
use super::live::{fetch_dependencies, LiveOptions, LiveScan, Needs};
use super::nvidia::{NvidiaClient, NvidiaEndpoints};
use super::pcs::{PckCa, PcsClient};
use super::{FetchError, FetchOptions};
use crate::nvidia::evidence::EvidenceList;
use crate::provider::ProviderReport;
use crate::scan::files::nras_required;
use crate::scan::{Collateral, Evidence, GatherOptions};
use crate::tdx::collateral::HttpExchange;
use crate::time::Timestamp;
use crate::{Error, ScanOptions};

fn input_error(code: &'static str, message: impl Into<String>) -> Error {
    Error::Input { code, message: message.into() }
}

/// Transport settings from `timeout` and `retries`.
pub fn fetch_options(g: &GatherOptions) -> FetchOptions {
    let mut o = FetchOptions::default();
    if let Some(t) = g.timeout {
        o.timeout = std::time::Duration::from_secs(t.max(1));
    }
    if let Some(r) = g.retries {
        o.retries = r;
    }
    o
}

/// NVIDIA endpoints from `nvidia_rim_url`, `nvidia_ocsp_url`, `nras_url`.
pub fn nvidia_endpoints(g: &GatherOptions) -> NvidiaEndpoints {
    let mut e = NvidiaEndpoints::default();
    if let Some(u) = &g.nvidia_rim_url {
        e.rim_service.clone_from(u);
    }
    if let Some(u) = &g.nvidia_ocsp_url {
        e.ocsp.clone_from(u);
    }
    if let Some(u) = &g.nras_url {
        e.nras.clone_from(u);
    }
    e
}

/// The collateral cache for a scan as of `at` (none with `no_cache`); offline when `offline`.
pub fn cache_for(g: &GatherOptions, at: Timestamp) -> Option<DiskStore> {
    let (dir, explicit) = g.cache_location()?;
    let cache = DiskStore::new(dir, at, explicit);
    Some(if g.offline { cache.offline() } else { cache })
}

/// PCS and NVIDIA clients from the endpoint settings, with `cache`.
pub fn clients(g: &GatherOptions, cache: Option<DiskStore>) -> Result<(PcsClient, NvidiaClient), Error> {
    let mut pcs = match &g.pccs {
        Some(url) => PcsClient::pccs(url, fetch_options(g)),
        None => PcsClient::intel(fetch_options(g)),
    }
    .map_err(|e| input_error("input.url", e.to_string()))?;
    let mut nvidia = NvidiaClient::new(nvidia_endpoints(g), fetch_options(g)).map_err(|e| input_error("input.url", e.to_string()))?;
    if let Some(c) = cache {
        pcs = pcs.with_cache(c.clone());
        nvidia = nvidia.with_cache(c);
    }
    Ok((pcs, nvidia))
}

/// An unusable `pccs` URL is a usage error whatever else is given (offline, collateral files).
pub fn check_urls(g: &GatherOptions) -> Result<(), Error> {
    if let Some(url) = &g.pccs {
        PcsClient::pccs(url, FetchOptions::default()).map_err(|e| input_error("input.url", e.to_string()))?;
    }
    if let Some(url) = &g.kds_url {
        super::kds::KdsClient::with_base(url, FetchOptions::default()).map_err(|e| input_error("input.url", e.to_string()))?;
    }
    Ok(())
}

/// A current-thread Tokio runtime, started on first use.
#[derive(Debug, Default)]
pub struct LazyRuntime(OnceCell<tokio::runtime::Runtime>);

impl LazyRuntime {
    /// The runtime, started now if it was not yet.
    pub fn get(&self) -> Result<&tokio::runtime::Runtime, String> {
        if let Some(rt) = self.0.get() {
            return Ok(rt);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the network runtime: {e}"))?;
        Ok(self.0.get_or_init(|| rt))
    }

    /// The runtime, or an `input.runtime` error.
    pub fn get_or_input_error(&self) -> Result<&tokio::runtime::Runtime, Error> {
        self.get().map_err(|e| input_error("input.runtime", e))
    }
}

/// What a scan needs to fetch with: the options, the cache (built once), one lazy runtime.
#[derive(Debug)]
pub struct Fetcher<'a> {
    opts: &'a GatherOptions,
    cache: Option<DiskStore>,
    runtime: LazyRuntime,
}

/// A gathered collateral, with the warnings meant for the operator (stderr), not the report.
#[derive(Debug, Default)]
pub struct Gathered {
    /// The collateral.
    pub collateral: Collateral,
    /// Fetch failures of a node's or GPU input's NVIDIA collateral (the checks they leave open
    /// are indeterminate in the report).
    pub operator_warnings: Vec<String>,
    /// The GitHub attestations answers fetched (or taken from the cache) for `[provenance]`:
    /// URL, SHA-256 of the answer, when it was had; for the report's collateral list.
    pub provenance_used: Vec<crate::report::CollateralUsed>,
}

enum FetchFailure {
    Unavailable(String),
    Input(Error),
}

/// Gather the collateral of `evidence` as `g` says, for a scan under `scan`.
pub fn gather(evidence: &Evidence, g: &GatherOptions, scan: &ScanOptions) -> Result<Gathered, Error> {
    let f = Fetcher::new(g, scan.at);
    let mut out = Gathered::default();
    out.collateral = match evidence {
        Evidence::Quote(_) | Evidence::Node { .. } => f.node(evidence, scan, &mut out.operator_warnings)?,
        Evidence::Gpu { list, .. } => {
            let mut c = Collateral::default();
            f.gpu_online(&mut c, list, scan, &mut out.operator_warnings)?;
            c
        }
        Evidence::Provider(report) => f.provider(report, evidence, scan)?,
        Evidence::Snp(snp) => {
            // SEV-SNP collateral from files and capture directories (every --collateral given);
            // when neither they nor the document hold a certificate, the VCEK and cert_chain
            // from AMD KDS (or --kds-url, or the cache).
            let mut c = Collateral::default();
            for path in &g.collateral {
                c.add_collateral_path(path, evidence)?;
            }
            if c.snp.certs.is_empty() && snp.embedded.certs.is_empty() && !(g.offline && f.cache.is_none()) {
                f.kds(snp, &mut c);
            } else if g.kds_url.is_some() {
                return Err(input_error("input.usage", "--kds-url cannot apply: nothing is fetched from AMD KDS (the certificates are supplied, or --offline --no-cache)"));
            }
            c
        }
        _ => Collateral::default(),
    };
    f.provenance(&mut out, scan, matches!(evidence, Evidence::Snp(_)))?;
    Ok(out)
}

/// The release digest asset a `[provenance]` source's release carries (Tinfoil: `tinfoil.hash`).
pub const RELEASE_DIGEST_ASSET: &str = "tinfoil.hash";

/// The GitHub client `g` names (`github_url` for the API and downloads, else GitHub's), with `cache`.
pub fn github_client(g: &GatherOptions, cache: Option<DiskStore>) -> Result<super::github::GithubClient, Error> {
    github_client_with(g.github_url.as_deref(), fetch_options(g), cache).map_err(|e| input_error("input.url", e.to_string()))
}

fn github_client_with(url: Option<&str>, opts: FetchOptions, cache: Option<DiskStore>) -> Result<super::github::GithubClient, FetchError> {
    let (api, downloads) = url.map_or((super::github::GITHUB_API, super::github::GITHUB_DOWNLOADS), |u| (u, u));
    let client = super::github::GithubClient::new(api, downloads, opts)?;
    Ok(match cache {
        Some(c) => client.with_cache(c),
        None => client,
    })
}

/// The `owner/name` repositories of the `[provenance]` sources applying to SEV-SNP (`snp`) or
/// TDX evidence that `supplied` has no verified bundle for (verified against `root` at `at`; a
/// bundle that does not verify covers nothing).
pub fn uncovered_repositories(
    policy: &crate::provenance::eval::ProvenancePolicy,
    supplied: &[crate::provenance::eval::SuppliedBundle],
    root: &crate::pki::sigstore::TrustedRoot,
    at: Timestamp,
    snp: bool,
) -> Vec<String> {
    let covered: Vec<String> = supplied
        .iter()
        .filter_map(|b| crate::provenance::verify_bundle(&b.json, root, at, None).ok())
        .filter_map(|v| v.identity.san_uri)
        .collect();
    let mut out: Vec<String> = Vec::new();
    for s in policy.source.iter().filter(|s| s.applies_to(snp)) {
        let prefix = format!("https://github.com/{}/", s.repository);
        if !covered.iter().any(|san| san.starts_with(&prefix)) && !out.contains(&s.repository) {
            out.push(s.repository.clone());
        }
    }
    out
}

/// One repository's release bundles: `releases/latest` → digest asset → attestations (through
/// the cache). When the unsigned pointers cannot be had (network down, `--offline`), the most
/// recently cached attestations answer of the repository stands in for "latest": it is
/// re-verified like a fresh one, and the policy's `max_age_days` bounds how old it may be.
/// Returns the bundles, the record for the report, and a note when the cache stood in.
pub async fn fetch_release_bundles(client: &super::github::GithubClient, cache: Option<&DiskStore>, repo: &str, at: Timestamp) -> Result<ReleaseBundles, FetchError> {
    let pointer = async {
        let tag = client.latest_tag(repo).await?;
        let digest = client.release_digest(repo, &tag, RELEASE_DIGEST_ASSET).await?;
        Ok::<_, FetchError>((tag, digest))
    };
    let (release, digest, note) = match pointer.await {
        Ok((tag, digest)) => (format!("release {tag}"), digest, None),
        Err(e) => match cache.and_then(|c| cached_attestations_digest(c, &client.attestations_url(repo, ""), at)) {
            Some(digest) => {
                let note = format!("provenance: the latest release of {repo} could not be asked ({e}); using its last cached attestations (sha256:{digest}), re-verified");
                ("last cached release".to_owned(), digest, Some(note))
            }
            None => return Err(e),
        },
    };
    let (answer, bundles) = client.attestations_answer(repo, &digest).await?;
    let cached = cache.is_some_and(|c| c.hits().contains(&answer.url));
    let used = crate::report::CollateralUsed {
        kind: "sigstore_attestations".to_owned(),
        sha256: crate::bytes::to_hex(crate::crypto::sha256(&answer.body)),
        issued: Some(Timestamp::now().to_rfc3339()),
        next_update: None,
        detail: Some(format!("{} ({release}, subject sha256:{digest}{})", answer.url, if cached { ", from the cache" } else { "" })),
    };
    Ok(ReleaseBundles { bundles, used, note, answer })
}

/// What [`fetch_release_bundles`] found for one repository.
#[derive(Debug, Clone)]
pub struct ReleaseBundles {
    /// The bundles of the attestations answer (to be verified by the scan).
    pub bundles: Vec<crate::provenance::eval::SuppliedBundle>,
    /// The record for the report's collateral list.
    pub used: crate::report::CollateralUsed,
    /// Set when the cache stood in for the unreachable release pointer.
    pub note: Option<String>,
    /// The attestations answer itself (a live scan saves it in its bundle).
    pub answer: super::Fetched,
}

/// A live scan's `[provenance]` collateral: the attestations answer of every source repository applying
/// to its evidence (SEV-SNP: `snp`) as a [`crate::bundle::Role::Provenance`] exchange (re-verified
/// whenever the bundle is re-scanned), and the failures `(what, why)`.
pub async fn provenance_exchanges(
    policy: &crate::provenance::eval::ProvenancePolicy,
    live: &LiveOptions,
    at: Timestamp,
    snp: bool,
) -> (Vec<crate::bundle::Exchange>, Vec<(String, String)>) {
    let (mut out, mut failures) = (Vec::new(), Vec::new());
    let client = match github_client_with(live.github_url.as_deref(), live.fetch.clone(), live.cache.clone()) {
        Ok(c) => c,
        Err(e) => return (out, vec![("provenance".to_owned(), e.to_string())]),
    };
    let mut repos: Vec<&str> = policy.source.iter().filter(|s| s.applies_to(snp)).map(|s| s.repository.as_str()).collect();
    repos.sort_unstable();
    repos.dedup();
    for repo in repos {
        match fetch_release_bundles(&client, live.cache.as_ref(), repo, at).await {
            Ok(r) => {
                let hit = live.cache.as_ref().is_some_and(|c| c.hits().contains(&r.answer.url));
                out.push(crate::bundle::Exchange {
                    role: crate::bundle::Role::Provenance,
                    method: "GET".to_owned(),
                    url: r.answer.url,
                    request_body: None,
                    status: r.answer.status,
                    headers: r.answer.headers,
                    body: r.answer.body,
                    origin: if hit { "cache" } else { "network" }.to_owned(),
                });
            }
            Err(e) => failures.push((format!("provenance {repo}"), e.to_string())),
        }
    }
    (out, failures)
}

/// The digest of the newest cached attestations answer under `prefix` (`…/attestations/sha256:`)
/// still offered at `at`.
fn cached_attestations_digest(cache: &DiskStore, prefix: &str, at: Timestamp) -> Option<String> {
    super::cache::entries(cache.dir())
        .into_iter()
        .filter(|(_, e, _)| e.method == "GET" && at <= e.not_after)
        .filter_map(|(_, e, _)| {
            let digest = e.url.strip_prefix(prefix)?.to_owned();
            (digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit())).then_some((e.fetched_at, digest))
        })
        .max_by_key(|(t, _)| t.unix())
        .map(|(_, d)| d)
}

impl<'a> Fetcher<'a> {
    /// `[provenance]`: for every source whose repository the supplied collateral has no verified
    /// bundle of, fetch its release's bundles (the cache, then GitHub or `github_url`); never
    /// with `--offline` and no cache. Failures are notes: the source then fails in the scan.
    fn provenance(&self, out: &mut Gathered, scan: &ScanOptions, snp: bool) -> Result<(), Error> {
        let Some(pp) = scan.policy.as_ref().and_then(|p| p.policy.provenance.as_ref()) else { return Ok(()) };
        let pinned;
        let root = match &scan.sigstore_root {
            Some(r) => r.as_ref(),
            None => match crate::pki::sigstore::TrustedRoot::public_good() {
                Ok(r) => {
                    pinned = r;
                    &pinned
                }
                Err(_) => return Ok(()), // the scan reports it (provenance.trust_root)
            },
        };
        let missing = uncovered_repositories(pp, &out.collateral.provenance, root, scan.at, snp);
        if missing.is_empty() {
            return Ok(());
        }
        if self.opts.offline && self.cache.is_none() {
            out.collateral.notes.push(format!("provenance: no bundle supplied for {} and --offline forbids fetching it", missing.join(", ")));
            return Ok(());
        }
        let client = github_client(self.opts, self.cache.clone())?;
        let rt = self.runtime.get_or_input_error()?;
        for repo in &missing {
            match rt.block_on(fetch_release_bundles(&client, self.cache.as_ref(), repo, scan.at)) {
                Ok(r) => {
                    out.collateral.provenance.extend(r.bundles);
                    out.provenance_used.push(r.used);
                    out.collateral.notes.extend(r.note);
                }
                Err(e) => {
                    let why = format!("provenance: could not fetch the release bundles of {repo}: {e}");
                    out.operator_warnings.push(why.clone());
                    out.collateral.notes.push(why);
                }
            }
        }
        Ok(())
    }

    /// The VCEK and cert_chain of an SNP report from AMD KDS (or the cache); a failure is left
    /// as a note (the chain checks are then indeterminate).
    fn kds(&self, snp: &crate::snp::formats::SnpEvidence, coll: &mut Collateral) {
        let Ok(report) = crate::snp::Report::parse(&snp.report) else { return };
        let Some(product) = report.cpuid_product() else {
            coll.notes.push("AMD KDS: a version 2 report does not name its product; give the VCEK with --collateral".to_owned());
            return;
        };
        let base = self.opts.kds_url.as_deref().unwrap_or(super::kds::AMD_KDS);
        let client = match super::kds::KdsClient::with_base(base, fetch_options(self.opts)) {
            Ok(k) => match &self.cache {
                Some(c) => k.with_cache(c.clone()),
                None => k,
            },
            Err(e) => return coll.notes.push(format!("AMD KDS: {e}")),
        };
        let rt = match self.runtime.get() {
            Ok(rt) => rt,
            Err(e) => return coll.notes.push(e),
        };
        match rt.block_on(client.snp_collateral(&report, product, false)) {
            Ok((c, _)) => coll.snp = c,
            Err(e) => coll.notes.push(format!("AMD KDS collateral fetch failed: {e}")),
        }
    }

    /// A fetcher for a scan as of `at`: the cache opened once, no runtime yet.
    pub fn new(opts: &'a GatherOptions, at: Timestamp) -> Fetcher<'a> {
        Fetcher { opts, cache: cache_for(opts, at), runtime: LazyRuntime::default() }
    }

    /// DCAP collateral for a bare quote or a node, and, for a node whose quote has collateral,
    /// the GPU collateral.
    fn node(&self, evidence: &Evidence, scan: &ScanOptions, warnings: &mut Vec<String>) -> Result<Collateral, Error> {
        let g = self.opts;
        let mut coll = Collateral::default();
        match g.collateral.first() {
            // Every --collateral path (DCAP JSON per FMSPC, capture directories, Sigstore bundles).
            Some(_) => {
                for path in &g.collateral {
                    coll.add_collateral_path(path, evidence)?;
                }
            }
            None if g.offline && self.cache.is_none() => {
                coll.dcap_unavailable = Some("no --collateral given and --offline forbids fetching it".to_owned());
            }
            None => {
                let (Evidence::Quote(q) | Evidence::Node { quote: q, .. }) = evidence else { return Ok(coll) };
                let (_, quote, _) = crate::parse_tdx_quote(q)?;
                match self.dcap(&quote, scan.at) {
                    Ok(c) => coll.dcap.push(c),
                    Err(FetchFailure::Unavailable(reason)) => coll.dcap_unavailable = Some(reason),
                    Err(FetchFailure::Input(e)) => return Err(e),
                }
            }
        }
        if let (Evidence::Node { gpu, .. }, false) = (evidence, coll.dcap.is_empty()) {
            self.gpu_online(&mut coll, gpu, scan, warnings)?;
        }
        Ok(coll)
    }

    /// The quote's DCAP collateral from the cache or the network (only the cache offline).
    fn dcap(&self, quote: &crate::tdx::Quote, at: Timestamp) -> Result<crate::tdx::Collateral, FetchFailure> {
        let hint = quote.pck_hint().map_err(|e| FetchFailure::Input(e.into()))?;
        let ca = if hint.ca == "platform" { PckCa::Platform } else { PckCa::Processor };
        let (client, _) = clients(self.opts, self.cache.clone()).map_err(FetchFailure::Input)?;
        let rt = self.runtime.get().map_err(FetchFailure::Unavailable)?;
        let pcs = rt.block_on(client.tdx_collateral(hint.fmspc, ca)).map_err(|e| match e {
            FetchError::Offline { .. } => FetchFailure::Unavailable(
                "no --collateral given, none valid in the cache, and --offline forbids fetching it".to_owned(),
            ),
            e => FetchFailure::Unavailable(format!("collateral fetch failed: {e}")),
        })?;
        let c = crate::tdx::Collateral::from_pcs(&pcs)
            .map_err(|e| FetchFailure::Unavailable(format!("fetched collateral is malformed: {e}")))?;
        match crate::bundle::outside_window(&c, at) {
            None => Ok(c),
            Some(why) => Err(FetchFailure::Unavailable(format!("fetched collateral is unusable: {why}"))),
        }
    }

    /// GPU collateral from files, completed online (RIMs, OCSP, and NRAS when the policy
    /// requires it) unless `--rims`/`--ocsp` is given or the scan is offline without a cache.
    fn gpu_online(&self, coll: &mut Collateral, list: &EvidenceList, scan: &ScanOptions, warnings: &mut Vec<String>) -> Result<(), Error> {
        let g = self.opts;
        coll.add_gpu_files(g)?;
        if (g.offline && self.cache.is_none()) || g.gpu_files() {
            return Ok(());
        }
        let want_nras = coll.gpu.nras.is_none() && nras_required(scan.policy.as_ref());
        let (_, client) = clients(g, self.cache.clone())?;
        let rt = self.runtime.get_or_input_error()?;
        let (fetched, errors, _log) = rt.block_on(client.gpu_collateral(list, scan.nonce.as_ref(), want_nras));
        for (what, e) in &errors {
            if !matches!(e, FetchError::Offline { .. }) {
                warnings.push(format!("could not fetch {what}: {e}"));
            }
        }
        coll.gpu.rims.extend(fetched.rims);
        coll.gpu.ocsp.extend(fetched.ocsp);
        if coll.gpu.nras.is_none() {
            coll.gpu.nras = fetched.nras;
        }
        Ok(())
    }

    /// The collateral for a provider report: for every FMSPC its quotes need (files, capture
    /// directories, then the cache or the network for what they lack), the GPU collateral, and
    /// the response signature.
    fn provider(&self, report: &ProviderReport, evidence: &Evidence, scan: &ScanOptions) -> Result<Collateral, Error> {
        let g = self.opts;
        let hints = evidence.pck_hints();
        let mut out = Collateral::default();
        for path in &g.collateral {
            out.add_collateral_path(path, evidence)?;
        }
        // A provider layer without collateral says so in its own check.
        out.dcap_unavailable = None;
        out.add_gpu_files(g)?;
        if !g.offline || self.cache.is_some() {
            // Fetch, all at once, what the files did not supply: DCAP collateral for FMSPCs
            // without any (only when no --collateral was given), NVIDIA RIMs and OCSP (unless
            // --rims/--ocsp), and NRAS when the policy requires it (unless --nras).
            let have: Vec<[u8; 6]> = if g.collateral.is_empty() { Vec::new() } else { hints.iter().map(|h| h.fmspc).collect() };
            let needs = Needs {
                skip_fmspcs: have,
                gpu: !g.gpu_files(),
                nras: out.gpu.nras.is_none() && nras_required(scan.policy.as_ref()),
            };
            let (pcs, nvidia) = clients(g, self.cache.clone())?;
            let rt = self.runtime.get_or_input_error()?;
            let (exchanges, mut failures) = rt.block_on(fetch_dependencies(report, &pcs, &nvidia, scan.nonce.as_ref(), &needs));
            if g.offline {
                // Offline, a cache miss is expected, not news.
                failures.retain(|(_, e)| !e.ends_with("(offline)"));
            }
            let pcs_exchanges: Vec<HttpExchange> = exchanges
                .iter()
                .filter(|x| x.role == crate::bundle::Role::Pcs)
                .map(|x| HttpExchange { url: x.url.clone(), headers: x.headers.clone(), body: x.body.clone() })
                .collect();
            let (fetched, missing) = crate::bundle::collaterals_from_pcs(report, &pcs_exchanges, scan.at);
            out.dcap.extend(fetched);
            let (gpu, warnings) = crate::bundle::gpu_collateral_from(&exchanges);
            out.gpu.rims.extend(gpu.rims);
            out.gpu.ocsp.extend(gpu.ocsp);
            if out.gpu.nras.is_none() {
                out.gpu.nras = gpu.nras;
            }
            out.notes.extend(warnings);
            out.notes.extend(failures.into_iter().map(|(what, e)| format!("could not fetch {what}: {e}")));
            if !exchanges.is_empty() || !pcs_exchanges.is_empty() {
                out.notes.extend(
                    missing.into_iter().filter(|(f, _)| !needs.skip_fmspcs.iter().any(|s| hex::encode(s) == *f)).map(|(_, why)| why),
                );
            }
        }
        out.add_signature_files(g)?;
        Ok(out)
    }
}

/// The live-scan options `g` and `scan` say: transport, PCCS, NVIDIA endpoints, nonce, cache.
/// The caller adds TLS roots, the policy text and a progress display.
pub fn live_options(g: &GatherOptions, scan: &ScanOptions) -> LiveOptions {
    LiveOptions {
        fetch: fetch_options(g),
        pccs: g.pccs.clone(),
        nvidia: nvidia_endpoints(g),
        nonce: scan.nonce,
        cache: cache_for(g, scan.at),
        github_url: g.github_url.clone(),
        kds: g.kds_url.clone(),
        ..LiveOptions::default()
    }
}

/// Run a live scan to completion on a runtime of its own.
pub fn scan_live_blocking(endpoint: &super::live::Endpoint, live: &LiveOptions, scan: &ScanOptions) -> Result<LiveScan, Error> {
    let runtime = LazyRuntime::default();
    runtime
        .get_or_input_error()?
        .block_on(super::live::scan_endpoint(endpoint, live, scan))
        .map_err(|e| input_error("input.url", e.to_string()))
}

/// `teescan cache fetch`: fetches the collateral of saved evidence into a cache: DCAP and NVIDIA
/// collateral of TDX quotes and provider reports, the VCEK and `cert_chain` of SEV-SNP reports
/// (AMD KDS or `kds_url`), and the release bundles of a policy's `[provenance]` sources (GitHub
/// or `github_url`), so that a later `scan --offline` finds them in the cache.
#[derive(Debug)]
pub struct Prefetch {
    pcs: PcsClient,
    nvidia: NvidiaClient,
    kds: super::kds::KdsClient,
    github: super::github::GithubClient,
    cache: DiskStore,
    runtime: LazyRuntime,
}

impl Prefetch {
    /// Clients for `g`'s endpoints writing into `cache`.
    pub fn new(g: &GatherOptions, cache: DiskStore) -> Result<Prefetch, Error> {
        let (pcs, nvidia) = clients(g, Some(cache.clone()))?;
        let kds = super::kds::KdsClient::with_base(g.kds_url.as_deref().unwrap_or(super::kds::AMD_KDS), fetch_options(g))
            .map_err(|e| input_error("input.url", e.to_string()))?
            .with_cache(cache.clone());
        let github = github_client(g, Some(cache.clone()))?;
        Ok(Prefetch { pcs, nvidia, kds, github, cache, runtime: LazyRuntime::default() })
    }

    /// Fetch (or find fresh in the cache) the collateral of the saved evidence in `file` (a
    /// provider report, a bare TDX quote, or an SEV-SNP input). Returns how many answers are
    /// cached and the failures `(what, why)`.
    pub fn file(&self, file: &Path) -> Result<(usize, Vec<(String, String)>), Error> {
        let bytes = crate::scan::read_bounded(file)?;
        if let Ok(Evidence::Snp(snp)) = Evidence::detect(&bytes) {
            return self.snp(&snp);
        }
        let report = match crate::provider::parse(&bytes) {
            Ok(r) => r,
            Err(_) => match crate::parse_tdx_quote(&bytes) {
                // A bare quote: one layer, so the same fetcher applies.
                Ok((raw, _, _)) => ProviderReport::single_quote(raw),
                Err(e) => {
                    return Err(input_error(
                        "input.format",
                        format!("{}: neither a provider report, a TDX quote nor an SEV-SNP input: {e}", file.display()),
                    ))
                }
            },
        };
        let needs = Needs { skip_fmspcs: Vec::new(), gpu: true, nras: false };
        let rt = self.runtime.get_or_input_error()?;
        let (exchanges, failures) = rt.block_on(fetch_dependencies(&report, &self.pcs, &self.nvidia, None, &needs));
        Ok((exchanges.len(), failures))
    }

    /// The VCEK and `cert_chain` of an SEV-SNP report (none when its document carries them).
    fn snp(&self, snp: &crate::snp::formats::SnpEvidence) -> Result<(usize, Vec<(String, String)>), Error> {
        if !snp.embedded.certs.is_empty() {
            return Ok((0, Vec::new()));
        }
        let report = crate::snp::Report::parse(&snp.report).map_err(|e| input_error("input.snp_report", e.to_string()))?;
        let Some(product) = report.cpuid_product() else {
            return Ok((0, vec![("AMD KDS".to_owned(), "a version 2 report does not name its product; give the VCEK with --collateral when scanning".to_owned())]));
        };
        let rt = self.runtime.get_or_input_error()?;
        Ok(match rt.block_on(self.kds.snp_collateral(&report, product, false)) {
            Ok((_, fetched)) => (fetched.len(), Vec::new()),
            Err(e) => (0, vec![("AMD KDS".to_owned(), e.to_string())]),
        })
    }

    /// The release bundles of every repository `policy`'s `[provenance]` sources name, as of now.
    pub fn provenance(&self, policy: &crate::provenance::eval::ProvenancePolicy) -> Result<(usize, Vec<(String, String)>), Error> {
        let mut repos: Vec<&str> = policy.source.iter().map(|s| s.repository.as_str()).collect();
        repos.sort_unstable();
        repos.dedup();
        let rt = self.runtime.get_or_input_error()?;
        let (mut answers, mut failures) = (0usize, Vec::new());
        for repo in repos {
            match rt.block_on(fetch_release_bundles(&self.github, Some(&self.cache), repo, Timestamp::now())) {
                Ok(_) => answers = answers.saturating_add(1),
                Err(e) => failures.push((format!("provenance {repo}"), e.to_string())),
            }
        }
        Ok((answers, failures))
    }
}
