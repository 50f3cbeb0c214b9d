//! Live endpoint scans: ask a provider for fresh evidence with our own nonce, over a TLS
//! connection whose certificate we keep, fetch every piece of collateral concurrently, and verify
//! it all — the check an engineer runs right before sending an endpoint secrets.
//!
//! [`scan_endpoint`] does three things and nothing else:
//! 1. draws a 32-byte nonce from the OS CSPRNG (unless the caller supplies one), and GETs the
//!    provider's attestation report with it on a fresh connection that keeps the server's TLS leaf
//!    certificate (no redirects: the report must come over the connection that was asked); for
//!    Chutes (`https://HOST/chutes/{id}`) `/chutes/{id}/evidence?nonce=…` then
//!    `/e2e/instances/{id}`, both recorded;
//! 2. recognises the evidence as a file would be (`scan::Evidence::detect` / `detect_pair`) and
//!    fetches, all at once, the Intel PCS collateral for every FMSPC the report's quotes name and,
//!    per GPU layer, the NVIDIA RIMs and OCSP responses (and NRAS with its JWKS when asked); for an
//!    SEV-SNP report (the Tinfoil router) the VCEK and `cert_chain` from AMD KDS
//!    ([`LiveOptions::kds`]);
//! 3. records all of it in a [`Bundle`] and verifies that bundle with [`bundle::scan_bundle`] —
//!    the same function an auditor runs on the saved bundle later, so a re-scan at the recorded
//!    time reaches the same verdict by construction.
//!
//! A dependency that cannot be fetched leaves the checks that need it indeterminate (never
//! passed), and the reason is in the report's warnings and the bundle's `failures`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, Url};

use super::nvidia::{NvidiaClient, NvidiaEndpoints};
use super::pcs::{Fetched, PckCa, PcsClient};
use super::{checked_url, classify, error_chain, read_response, with_retries, FetchError, FetchOptions};
use crate::bundle::{self, Bundle, Exchange, NonceSource, Role};
use crate::provider::{GpuNonce, ProviderReport};
use crate::report::Report;
use crate::tdx::Quote;
use crate::ScanOptions;

/// The attestation protocol an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Provider {
    /// Decide from the URL: Tinfoil for `*.tinfoil.sh` or a `tinfoil-attestation` path, NEAR
    /// otherwise.
    #[default]
    Auto,
    /// NEAR AI (model nodes and the cloud gateway) and other dstack/inference-proxy servers:
    /// `GET /v1/attestation/report?model=…&nonce=…&signing_algo=ecdsa&include_tls_fingerprint=true`.
    Near,
    /// Phala / RedPill: `GET /v1/attestation/report?model=…&nonce=…&signing_algo=ecdsa`.
    Phala,
    /// Tinfoil: `GET /.well-known/tinfoil-attestation?nonce=…` (the TDX model enclaves and the
    /// SEV-SNP router; for the router, the VCEK and `cert_chain` come from AMD KDS).
    Tinfoil,
    /// Chutes' own API, named `https://api.chutes.ai/chutes/{id}`: `GET /chutes/{id}/evidence?
    /// nonce=…` and `GET /e2e/instances/{id}`, scanned as one pair.
    Chutes,
}

impl Provider {
    /// Stable name (`near`, `phala`, `tinfoil`; `auto` before resolution).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Auto => "auto",
            Provider::Near => "near",
            Provider::Phala => "phala",
            Provider::Tinfoil => "tinfoil",
            Provider::Chutes => "chutes",
        }
    }
    /// Parse a name as [`Provider::as_str`] gives it.
    pub fn from_name(s: &str) -> Option<Provider> {
        [Provider::Auto, Provider::Near, Provider::Phala, Provider::Tinfoil, Provider::Chutes].into_iter().find(|p| p.as_str() == s)
    }
    fn resolve(self, url: &Url) -> Provider {
        match self {
            Provider::Auto => {
                let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
                if host == "tinfoil.sh" || host.ends_with(".tinfoil.sh") || url.path().contains("tinfoil-attestation") {
                    Provider::Tinfoil
                } else if host == "chutes.ai" || host.ends_with(".chutes.ai") || url.path().starts_with("/chutes/") {
                    Provider::Chutes
                } else {
                    Provider::Near
                }
            }
            p => p,
        }
    }
}

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://host[:port][/path]`. Without a path (or `/`), the provider's attestation path is
    /// used; with one, that path is requested with the provider's query parameters appended.
    pub url: String,
    /// The protocol.
    pub provider: Provider,
    /// The model to ask about (NEAR gateway, Phala/RedPill), if any.
    pub model: Option<String>,
}

/// How to scan it.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// Transport settings for every request.
    pub fetch: FetchOptions,
    /// Fetch DCAP collateral from this PCCS instead of Intel PCS.
    pub pccs: Option<String>,
    /// Where the NVIDIA services are (default: NVIDIA's own).
    pub nvidia: NvidiaEndpoints,
    /// Use this nonce instead of a random one (reproductions and tests; the bundle says so).
    pub nonce: Option<[u8; 32]>,
    /// Extra roots (DER) to trust for the endpoint's TLS certificate, besides the Mozilla roots.
    pub extra_tls_roots: Vec<Vec<u8>>,
    /// Do not fetch NVIDIA RIMs and OCSP responses (their checks stay indeterminate).
    pub skip_gpu_collateral: bool,
    /// Ask NRAS for a second opinion on the first GPU layer (default: when the policy requires it).
    pub nras: Option<bool>,
    /// The policy text, recorded in the bundle (the policy itself is `ScanOptions::policy`).
    pub policy_text: Option<Vec<u8>>,
    /// AMD KDS base URL for SEV-SNP reports (default: AMD's, [`super::kds::AMD_KDS`]).
    pub kds: Option<String>,
    /// Called with a short line as each stage starts (progress display); `None` is silent.
    pub progress: Option<Progress>,
    /// Collateral cache to consult and fill (the attestation itself is never cached).
    pub cache: Option<super::cache::DiskStore>,
    /// GitHub API base URL for `[provenance]` releases (default GitHub's; see `fetch::github`).
    pub github_url: Option<String>,
}

impl LiveOptions {
    /// Also trust `root` (PEM or DER) for the endpoint's TLS certificate.
    pub fn add_tls_root(&mut self, root: Vec<u8>) {
        let der = match pem::parse(&root) {
            Ok(p) => p.into_contents(),
            Err(_) => root,
        };
        self.extra_tls_roots.push(der);
    }
}

/// A progress callback: called with a short line as each stage of a live scan starts.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(<callback>)")
    }
}

/// Counters of one live scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LiveStats {
    /// HTTP exchanges that succeeded.
    pub requests: usize,
    /// Requests that failed.
    pub failures: usize,
    /// Wall time of the attestation request.
    pub attestation: Duration,
    /// Wall time of the concurrent collateral phase.
    pub collateral: Duration,
    /// Wall time of the verification.
    pub verification: Duration,
}

/// The result of a live scan.
#[derive(Debug, Clone)]
pub struct LiveScan {
    /// The verdict and every check.
    pub report: Report,
    /// Everything the verdict depended on; save it with [`bundle::save`].
    pub bundle: Bundle,
    /// Timings and counts.
    pub stats: LiveStats,
}

/// The attestation request URL for `endpoint` and `nonce`, with the resolved provider.
pub fn attestation_url(endpoint: &Endpoint, nonce: &[u8; 32]) -> Result<(Url, Provider), FetchError> {
    let mut url = checked_url(&endpoint.url)?;
    let invalid = |reason: &str| FetchError::InvalidUrl { url: endpoint.url.clone(), reason: reason.to_owned() };
    if url.fragment().is_some() {
        return Err(invalid("a fragment is not allowed"));
    }
    if url.query_pairs().any(|(k, _)| k == "nonce") {
        return Err(invalid("the URL must not carry a nonce: teescan sends its own"));
    }
    let provider = endpoint.provider.resolve(&url);
    if provider == Provider::Chutes {
        let (evidence, _) = chutes_urls(&url, nonce).map_err(|r| invalid(&r))?;
        return Ok((evidence, provider));
    }
    if url.path().is_empty() || url.path() == "/" {
        url.set_path(match provider {
            Provider::Tinfoil => "/.well-known/tinfoil-attestation",
            _ => "/v1/attestation/report",
        });
    }
    let nonce_hex = crate::bytes::to_hex(nonce);
    {
        let mut q = url.query_pairs_mut();
        match provider {
            Provider::Tinfoil => {
                q.append_pair("nonce", &nonce_hex);
            }
            Provider::Near | Provider::Auto | Provider::Chutes => {
                if let Some(m) = &endpoint.model {
                    q.append_pair("model", m);
                }
                q.append_pair("nonce", &nonce_hex);
                q.append_pair("signing_algo", "ecdsa");
                q.append_pair("include_tls_fingerprint", "true");
            }
            Provider::Phala => {
                if let Some(m) = &endpoint.model {
                    q.append_pair("model", m);
                }
                q.append_pair("nonce", &nonce_hex);
                q.append_pair("signing_algo", "ecdsa");
            }
        }
    }
    Ok((url, provider))
}

/// Chutes' pair for `https://host/chutes/{id}` (or `…/chutes/{id}/evidence`): the evidence URL
/// with the nonce, and the instances URL. `Err`: why the URL does not name a chute.
pub fn chutes_urls(url: &Url, nonce: &[u8; 32]) -> Result<(Url, Url), String> {
    let path = url.path().trim_end_matches('/');
    let id = path
        .strip_prefix("/chutes/")
        .map(|rest| rest.strip_suffix("/evidence").unwrap_or(rest))
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')) && !id.starts_with('.'))
        .ok_or("a Chutes endpoint is named https://HOST/chutes/<chute id>")?;
    if url.query().is_some() {
        return Err("a Chutes endpoint URL takes no query".to_owned());
    }
    let mut evidence = url.clone();
    evidence.set_path(&format!("/chutes/{id}/evidence"));
    evidence.query_pairs_mut().append_pair("nonce", &crate::bytes::to_hex(nonce));
    let mut instances = url.clone();
    instances.set_path(&format!("/e2e/instances/{id}"));
    Ok((evidence, instances))
}

/// 32 bytes from the operating system's CSPRNG.
pub fn random_nonce() -> Result<[u8; 32], FetchError> {
    use ring::rand::SecureRandom as _;
    let mut n = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut n).map_err(|_| FetchError::Http {
        url: String::new(),
        reason: "the operating system's random number generator failed".to_owned(),
    })?;
    Ok(n)
}

/// GET the attestation report once, keeping the TLS leaf certificate of the connection.
async fn get_attestation(http: &Client, url: &str, limit: usize) -> Result<(Fetched, Option<Vec<u8>>), FetchError> {
    let response = http.get(url).header("Accept", "application/json").send().await.map_err(|e| classify(url, &e))?;
    let leaf = response.extensions().get::<reqwest::tls::TlsInfo>().and_then(|t| t.peer_certificate()).map(<[u8]>::to_vec);
    let fetched = read_response(url, response, limit).await?;
    Ok((fetched, leaf))
}

fn exchange(role: Role, method: &str, f: Fetched, origin: &str) -> Exchange {
    Exchange { role, method: method.to_owned(), url: f.url, request_body: None, status: f.status, headers: f.headers, body: f.body, origin: origin.to_owned() }
}

/// The role of an NVIDIA exchange, from its URL.
fn nvidia_role(endpoints: &NvidiaEndpoints, url: &str) -> (Role, &'static str) {
    if url.starts_with(&endpoints.rim_service) && url.contains("/v1/rim/") {
        (Role::NvidiaRim, "GET")
    } else if url.ends_with("/.well-known/jwks.json") {
        (Role::NvidiaJwks, "GET")
    } else if url.contains("/v3/attest/") {
        (Role::NvidiaNras, "POST")
    } else {
        (Role::NvidiaOcsp, "POST")
    }
}

/// Scan a live endpoint: fresh nonce, TLS binding, concurrent collateral, verification. Errors
/// are usage errors only (an unusable URL or option); an endpoint or dependency that cannot be
/// reached gives an indeterminate report, never an error and never a pass.
///
/// Needs a Tokio runtime with the time driver (see [`super`]).
pub async fn scan_endpoint(endpoint: &Endpoint, live: &LiveOptions, scan: &ScanOptions) -> Result<LiveScan, FetchError> {
    let progress = |s: &str| {
        if let Some(p) = &live.progress {
            (p.0)(s);
        }
    };
    let (nonce, nonce_source) = match live.nonce {
        Some(n) => (n, NonceSource::Caller),
        None => (random_nonce()?, NonceSource::Random),
    };
    let (url, provider) = attestation_url(endpoint, &nonce)?;
    let url_text = url.to_string();
    // Clients are built up front so that a bad dependency URL is a usage error, not a failure.
    let pcs = match &live.pccs {
        Some(base) => PcsClient::pccs(base, live.fetch.clone())?,
        None => PcsClient::intel(live.fetch.clone())?,
    };
    let mut nvidia = NvidiaClient::new(live.nvidia.clone(), live.fetch.clone())?;
    let mut kds = super::kds::KdsClient::with_base(live.kds.as_deref().unwrap_or(super::kds::AMD_KDS), live.fetch.clone())?;
    let mut pcs = pcs;
    if let Some(c) = &live.cache {
        pcs = pcs.with_cache(c.clone());
        nvidia = nvidia.with_cache(c.clone());
        kds = kds.with_cache(c.clone());
    }
    let mut builder = Client::builder()
        .use_rustls_tls()
        .tls_info(true)
        .user_agent(super::USER_AGENT)
        .no_proxy()
        .connect_timeout(live.fetch.timeout)
        .redirect(reqwest::redirect::Policy::none());
    for der in &live.extra_tls_roots {
        let cert = reqwest::Certificate::from_der(der).map_err(|e| FetchError::InvalidUrl { url: url_text.clone(), reason: format!("extra TLS root: {}", error_chain(&e)) })?;
        builder = builder.add_root_certificate(cert);
    }
    let http = builder.build().map_err(|e| FetchError::Http { url: url_text.clone(), reason: error_chain(&e) })?;

    let mut stats = LiveStats::default();
    let mut bundle = Bundle {
        scanned_at: scan.at,
        tool: format!("teescan {}", env!("CARGO_PKG_VERSION")),
        url: endpoint.url.clone(),
        provider: provider.as_str().to_owned(),
        model: endpoint.model.clone(),
        nonce,
        nonce_source,
        tls_leaf: None,
        exchanges: Vec::new(),
        failures: Vec::new(),
        policy: live.policy_text.clone(),
        intel_root_sha256: crate::bytes::to_hex(ring::digest::digest(&ring::digest::SHA256, scan.intel_root.der())),
        test_root: !scan.intel_root.is_production(),
        amd_test_ark_sha256: scan.amd_test_ark.as_ref().map(|a| a.sha256().to_owned()),
        sigstore_root_sha256: scan.policy.as_ref().filter(|p| p.policy.provenance.is_some()).map(|_| bundle::sigstore_root_sha256(scan)),
        verdict: None,
    };

    // 1. The attestation report, over a connection whose certificate we keep.
    progress(&format!("requesting attestation from {}", url.origin().ascii_serialization()));
    let started = Instant::now();
    let limit = live.fetch.max_body_bytes.max(crate::provider::MAX_REPORT_LEN);
    let answer = with_retries(&live.fetch, &url_text, || get_attestation(&http, &url_text, limit)).await;
    stats.attestation = started.elapsed();
    if let Ok((_, leaf)) = &answer {
        bundle.tls_leaf.clone_from(leaf);
    }
    match answer {
        Ok((fetched, _)) => bundle.exchanges.push(exchange(Role::Attestation, "GET", fetched, "network")),
        Err(e) => bundle.failures.push(("attestation".to_owned(), e.to_string())),
    }
    // Chutes: the instances document (the e2e keys the quotes bind), on the same client.
    if provider == Provider::Chutes {
        let named = checked_url(&endpoint.url)?;
        let (_, instances) = chutes_urls(&named, &nonce).map_err(|reason| FetchError::InvalidUrl { url: endpoint.url.clone(), reason })?;
        let instances = instances.to_string();
        match with_retries(&live.fetch, &instances, || get_attestation(&http, &instances, limit)).await {
            Ok((fetched, _)) => bundle.exchanges.push(exchange(Role::Attestation, "GET", fetched, "network")),
            Err(e) => bundle.failures.push(("attestation".to_owned(), e.to_string())),
        }
    }
    // The evidence, recognised as a saved document would be (the same detection).
    let bodies: Vec<&[u8]> = bundle.exchanges.iter().filter(|x| x.role == Role::Attestation).map(|x| x.body.as_slice()).collect();
    let evidence = match bodies.as_slice() {
        [one] => crate::scan::Evidence::detect(one).ok(),
        [a, b] => crate::scan::Evidence::detect_pair(a, b, Some(&nonce)).ok().flatten(),
        _ => None,
    };

    // 2. Collateral for everything the evidence names, all at once.
    let started = Instant::now();
    let mut fetched: Vec<Exchange> = Vec::new();
    match &evidence {
        Some(crate::scan::Evidence::Provider(report)) => {
            progress("fetching collateral (Intel PCS, NVIDIA RIM/OCSP/NRAS) concurrently");
            let want_nras = live.nras.unwrap_or_else(|| {
                scan.policy.as_ref().and_then(|p| p.policy.gpu.as_ref()).is_some_and(|g| g.nras == crate::policy::Requirement::Required)
            });
            let needs = Needs { skip_fmspcs: Vec::new(), gpu: !live.skip_gpu_collateral, nras: want_nras };
            let (exchanges, failures) = fetch_dependencies(report, &pcs, &nvidia, Some(&nonce), &needs).await;
            fetched = exchanges;
            bundle.failures.extend(failures);
        }
        Some(crate::scan::Evidence::Snp(snp)) if snp.embedded.certs.is_empty() => {
            progress("fetching the VCEK and cert_chain from AMD KDS");
            match fetch_kds(&kds, snp).await {
                Ok(exchanges) => fetched = exchanges,
                Err(e) => bundle.failures.push(("amd kds collateral".to_owned(), e)),
            }
        }
        _ => {}
    }
    stats.collateral = started.elapsed();
    let hits = live.cache.as_ref().map(super::cache::DiskStore::hits).unwrap_or_default();
    bundle.exchanges.extend(fetched.into_iter().map(|mut x| {
        if hits.contains(&x.url) {
            // POSTs to one URL (OCSP) are told apart by body, which the record lacks.
            x.origin = if x.method == "GET" { "cache" } else { "network-or-cache" }.to_owned();
        }
        x
    }));
    // 2b. `[provenance]`: each source's release bundles, saved so a re-scan re-verifies them.
    if let Some(pp) = scan.policy.as_ref().and_then(|p| p.policy.provenance.as_ref()) {
        let snp = matches!(evidence, Some(crate::scan::Evidence::Snp(_)));
        let (exchanges, failures) = super::gather::provenance_exchanges(pp, live, scan.at, snp).await;
        bundle.exchanges.extend(exchanges);
        bundle.failures.extend(failures);
    }
    stats.requests = bundle.exchanges.len();
    stats.failures = bundle.failures.len();

    // 3. Verify what was gathered, exactly as a re-scan of the bundle would.
    progress("verifying");
    let started = Instant::now();
    let report = bundle::scan_bundle(&bundle, &[], scan).map_err(|e| FetchError::Http { url: url_text.clone(), reason: e.to_string() })?;
    stats.verification = started.elapsed();
    bundle.verdict = Some(report.verdict);
    Ok(LiveScan { report, bundle, stats })
}

/// The VCEK and `cert_chain` of a VCEK-signed SEV-SNP report from KDS, as exchanges
/// ([`Role::AmdKds`]); evidence to verify like any collateral.
async fn fetch_kds(kds: &super::kds::KdsClient, snp: &crate::snp::formats::SnpEvidence) -> Result<Vec<Exchange>, String> {
    let report = crate::snp::Report::parse(&snp.report).map_err(|e| e.to_string())?;
    let product = report.cpuid_product().ok_or("a version 2 report does not name its product: KDS cannot be asked for its VCEK")?;
    let (_, log) = kds.snp_collateral(&report, product, false).await.map_err(|e| e.to_string())?;
    Ok(log.into_iter().map(|f| exchange(Role::AmdKds, "GET", f, "network")).collect())
}

/// What [`fetch_dependencies`] should fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// FMSPCs whose DCAP collateral the caller already has.
    pub skip_fmspcs: Vec<[u8; 6]>,
    /// NVIDIA RIMs and OCSP responses for every GPU layer.
    pub gpu: bool,
    /// NRAS (and its JWKS) for the first GPU layer.
    pub nras: bool,
}

/// Fetch, concurrently, the PCS collateral of every distinct FMSPC and the NVIDIA collateral of
/// every GPU layer of `report` (as `needs` says). `nonce` is the caller's (sent to NRAS for
/// layers whose GPUs sign it; without one, NRAS gets the reports' own nonce). Returns the
/// exchanges, in a deterministic order, and the failures `(what, why)`. Turn them into collateral
/// with [`bundle::collaterals_from_pcs`] and [`bundle::gpu_collateral_from`].
pub async fn fetch_dependencies(
    report: &ProviderReport,
    pcs: &PcsClient,
    nvidia: &NvidiaClient,
    nonce: Option<&[u8; 32]>,
    needs: &Needs,
) -> (Vec<Exchange>, Vec<(String, String)>) {
    let nonce = nonce.copied();
    let skip_gpu = !needs.gpu;
    type Out = (Vec<Exchange>, Vec<(String, String)>);
    let mut tasks: tokio::task::JoinSet<(usize, Out)> = tokio::task::JoinSet::new();
    let mut seen = Vec::new();
    let mut n = 0usize;
    for layer in &report.layers {
        let Ok(hint) = Quote::parse(&layer.quote).and_then(|q| q.pck_hint()) else {
            continue;
        };
        if seen.contains(&hint.fmspc) || needs.skip_fmspcs.contains(&hint.fmspc) {
            continue;
        }
        seen.push(hint.fmspc);
        let client = pcs.clone();
        let ca = if hint.ca == "platform" { PckCa::Platform } else { PckCa::Processor };
        let fmspc = hint.fmspc;
        tasks.spawn(async move {
            let out = match client.tdx_collateral_with_log(fmspc, ca).await {
                Ok((_, log)) => (log.into_iter().map(|f| exchange(Role::Pcs, "GET", f, "network")).collect(), Vec::new()),
                Err(e) => (Vec::new(), vec![(format!("pcs collateral for FMSPC {}", crate::bytes::to_hex(fmspc)), e.to_string())]),
            };
            (n, out)
        });
        n = n.saturating_add(1);
    }
    let mut nras_left = needs.nras;
    if !skip_gpu || needs.nras {
        for layer in report.layers.iter().filter(|l| l.gpu.is_some()) {
            let Some(list) = layer.gpu.clone() else { continue };
            let client = nvidia.clone();
            let gpu_nonce = match layer.gpu_nonce {
                GpuNonce::Raw => nonce,
                GpuNonce::ChutesDerived(_) => None,
            };
            let with_nras = std::mem::take(&mut nras_left);
            let endpoints = nvidia.endpoints().clone();
            let name = layer.name.clone();
            tasks.spawn(async move {
                let (_, errors, log) = client.gpu_collateral(&list, gpu_nonce.as_ref(), with_nras).await;
                let exchanges = log
                    .into_iter()
                    .map(|f| {
                        let (role, method) = nvidia_role(&endpoints, &f.url);
                        exchange(role, method, f, "network")
                    })
                    // Only NRAS was asked for: the RIMs and OCSP fetched alongside are dropped.
                    .filter(|x: &Exchange| !skip_gpu || matches!(x.role, Role::NvidiaNras | Role::NvidiaJwks))
                    .collect();
                (n, (exchanges, errors.into_iter().map(|(what, e)| (format!("{name}: {what}"), e.to_string())).collect()))
            });
            n = n.saturating_add(1);
        }
    }
    let mut results: Vec<(usize, Out)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(r) => results.push(r),
            Err(e) => results.push((usize::MAX, (Vec::new(), vec![("collateral task".to_owned(), e.to_string())]))),
        }
    }
    // Deterministic order: by task, then as each task logged them.
    results.sort_by_key(|(i, _)| *i);
    let mut exchanges = Vec::new();
    let mut failures = Vec::new();
    for (_, (x, f)) in results {
        exchanges.extend(x);
        failures.extend(f);
    }
    (exchanges, failures)
}
