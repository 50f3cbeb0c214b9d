//! Client for NVIDIA's attestation services: the RIM service, the OCSP responder and NRAS.
//!
//! [`NvidiaClient::gpu_collateral`] downloads, concurrently, everything
//! [`crate::nvidia::verify::verify_gpus`] checks a node's GPU evidence against, and returns it as a
//! [`GpuCollateral`] exactly as received:
//!
//! | what | request |
//! | --- | --- |
//! | RIM | `GET {rim_service}/v1/rim/<id>` → JSON `{id, rim: base64(XML), sha256, …}` |
//! | OCSP | `POST {ocsp}/` with a DER `OCSPRequest` (`application/ocsp-request`), one SHA-384 CertID, no nonce |
//! | NRAS | `POST {nras}/v3/attest/gpu` (`…/switch` for `LS10`) with `{nonce, arch, claims_version, evidence_list}` |
//! | JWKS | `GET {nras}/.well-known/jwks.json` |
//!
//! Nothing fetched here is trusted: RIMs, OCSP responses and the NRAS answer are verified by the
//! core (signatures, chains to the pinned roots, validity windows). The only checks made here
//! are on the RIM service's JSON wrapper (the `id` it names and its `sha256` of the XML), so that
//! a wrong document is reported as a fetch error rather than as a mismatching RIM. The RIM ids
//! and the certificates asked about come from the evidence (signed opaque data and certificate
//! chains), read **without** verifying it; a forged report can only make this client ask for
//! other public documents.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use base64::Engine as _;
use reqwest::{Client, Method};
use serde::Deserialize;

use super::Fetched;
use super::{checked_base, classify, read_response, with_retries, FetchError, FetchOptions};
use crate::nvidia::chain::DeviceKind;
use crate::nvidia::evidence::EvidenceList;
use crate::nvidia::ocsp;
use crate::nvidia::rim;
use crate::nvidia::spdm::SpdmReport;
use crate::nvidia::verify::{GpuCollateral, NrasInput};

/// Base URL of NVIDIA's RIM service (reference integrity manifests by id).
pub const NVIDIA_RIM_SERVICE_URL: &str = "https://rim.attestation.nvidia.com";

/// NVIDIA's OCSP responder for the device and RIM certificate chains.
pub const NVIDIA_OCSP_URL: &str = "https://ocsp.ndis.nvidia.com";

/// Base URL of the NVIDIA Remote Attestation Service (NRAS) and its JWKS.
pub const NRAS_URL: &str = "https://nras.attestation.nvidia.com";

/// `claims_version` sent to NRAS: `2.0`, the default of the `/v3` API and the version of the
/// captured responses the core verifies.
pub const NRAS_CLAIMS_VERSION: &str = "2.0";

/// Requests [`NvidiaClient::gpu_collateral`] keeps in flight at once, at most.
pub const MAX_CONCURRENT_REQUESTS: usize = 16;

/// Longest RIM id accepted (real ones are ~40 characters).
const MAX_RIM_ID_LEN: usize = 128;

/// Most `X509Certificate` elements read from a RIM (real RIMs carry 4).
const MAX_KEYINFO_CERTS: usize = 8;

/// Where the NVIDIA services are reached. Every URL must be `https://`, or `http://` to a
/// loopback host (the rules of [`super`]); each may carry a path prefix but no query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NvidiaEndpoints {
    /// Base URL of the RIM service; RIMs are fetched from `{rim_service}/v1/rim/<id>`.
    pub rim_service: String,
    /// URL of the OCSP responder; requests are POSTed to `{ocsp}/`.
    pub ocsp: String,
    /// Base URL of NRAS; attestation at `{nras}/v3/attest/gpu`, keys at
    /// `{nras}/.well-known/jwks.json`.
    pub nras: String,
}

impl Default for NvidiaEndpoints {
    /// NVIDIA's own services: [`NVIDIA_RIM_SERVICE_URL`], [`NVIDIA_OCSP_URL`], [`NRAS_URL`].
    fn default() -> Self {
        NvidiaEndpoints {
            rim_service: NVIDIA_RIM_SERVICE_URL.to_owned(),
            ocsp: NVIDIA_OCSP_URL.to_owned(),
            nras: NRAS_URL.to_owned(),
        }
    }
}

/// A client for NVIDIA's RIM service, OCSP responder and NRAS. Cloning is cheap and shares the
/// connection pool.
///
/// The futures it returns need a Tokio runtime with the time driver enabled (see [`super`]).
#[derive(Debug, Clone)]
pub struct NvidiaClient {
    http: Client,
    /// The endpoints, checked, without trailing slash.
    endpoints: NvidiaEndpoints,
    opts: FetchOptions,
    cache: Option<super::cache::DiskStore>,
}

/// The RIM service's answer; other fields (`request_id`, `rim_format`, …) are ignored.
#[derive(Deserialize)]
struct RimAnswer {
    id: String,
    rim: String,
    sha256: Option<String>,
}

/// One request of [`NvidiaClient::gpu_collateral`].
enum Job {
    Rim(String),
    Ocsp(Vec<u8>),
    Nras(Vec<u8>, String),
    Jwks,
}

/// What a job produced.
enum Output {
    Rim(String, Vec<u8>),
    Ocsp(Vec<u8>),
    Nras(Vec<u8>),
    Jwks(Vec<u8>),
}

type JobFuture<'a> = Pin<Box<dyn Future<Output = JobResult> + Send + 'a>>;
type JobResult = (usize, Result<(Output, Fetched), FetchError>);

impl NvidiaClient {
    /// A client for `endpoints` (use [`NvidiaEndpoints::default`] for NVIDIA's services) with the
    /// transport options `opts`. Fails with [`FetchError::InsecureUrl`] for a non-loopback
    /// `http://` endpoint and [`FetchError::InvalidUrl`] for an unusable one.
    pub fn new(endpoints: NvidiaEndpoints, opts: FetchOptions) -> Result<Self, FetchError> {
        let endpoints = NvidiaEndpoints {
            rim_service: checked_base(&endpoints.rim_service)?,
            ocsp: checked_base(&endpoints.ocsp)?,
            nras: checked_base(&endpoints.nras)?,
        };
        let http = super::collateral_client(opts.timeout, &endpoints.rim_service)?;
        Ok(NvidiaClient {
            http,
            endpoints,
            opts,
            cache: None,
        })
    }

    /// The endpoints in force (normalised: no trailing slash).
    pub fn endpoints(&self) -> &NvidiaEndpoints {
        &self.endpoints
    }

    /// The transport options in force.
    pub fn options(&self) -> &FetchOptions {
        &self.opts
    }

    /// `GET {rim_service}/v1/rim/{id}`; returns `(id, XML)` with the XML decoded from the
    /// answer's `rim` field (base64), byte for byte.
    ///
    /// The answer's `id` must equal the requested one (ASCII case-insensitively, as the core
    /// matches ids) and its `sha256`, when present, must be the SHA-256 of the decoded XML; a
    /// violation, invalid JSON or base64 fail with [`FetchError::Http`]. `id` must be made of
    /// ASCII letters, digits, `.`, `_` and `-` ([`FetchError::InvalidUrl`] otherwise). The XML
    /// itself is not verified here (see [`crate::nvidia::rim::verify_rim`]).
    pub async fn rim(&self, id: &str) -> Result<(String, Vec<u8>), FetchError> {
        self.rim_logged(id).await.map(|(id, xml, _)| (id, xml))
    }

    /// POST an OCSP request for `cert_der` issued by `issuer_der` (built by
    /// [`crate::nvidia::ocsp::build_request`]: one SHA-384 CertID, no nonce) to `{ocsp}/` with
    /// `Content-Type: application/ocsp-request`, and return the response body (DER) as received.
    /// The response is not verified here ([`crate::nvidia::ocsp::verify_ocsp`] does that). A
    /// certificate pair the request cannot be built from fails with [`FetchError::Http`].
    pub async fn ocsp(&self, cert_der: &[u8], issuer_der: &[u8]) -> Result<Vec<u8>, FetchError> {
        let request = ocsp::build_request(cert_der, issuer_der).map_err(|e| FetchError::Http {
            url: self.ocsp_url(),
            reason: format!("cannot build the OCSP request: {e}"),
        })?;
        self.post_ocsp(request).await.map(|f| f.body)
    }

    /// `GET {nras}/.well-known/jwks.json`: the key set NRAS signs its tokens with, as received.
    pub async fn jwks(&self) -> Result<Vec<u8>, FetchError> {
        let url = self.jwks_url();
        self.send(Method::GET, &url, None, "application/json")
            .await
            .map(|f| f.body)
    }

    /// POST `list` to NRAS for appraisal: `{nras}/v3/attest/gpu` (or `/v3/attest/switch` when
    /// `arch` is `LS10`), body [`nras_request_body`]`(list, nonce, arch)`; returns the response
    /// body (the detached EAT, `[["JWT", …], {"GPU-0": …}]`) as received. NRAS answers HTTP 200
    /// even when the appraisal fails; the verdict is in the (signed) body, which the core checks
    /// with [`crate::nvidia::nras::verify_detached_eat`].
    pub async fn nras(
        &self,
        list: &EvidenceList,
        nonce: &[u8; 32],
        arch: &str,
    ) -> Result<Vec<u8>, FetchError> {
        let body = nras_request_body(list, nonce, arch);
        self.post_nras(body, arch).await.map(|f| f.body)
    }

    /// Everything `verify_gpus` needs for the node whose evidence is `list`, fetched concurrently
    /// (at most [`MAX_CONCURRENT_REQUESTS`] requests in flight):
    ///
    /// * for every device whose report parses: OCSP for each distinct (certificate, issuer) of
    ///   its chain indices 1..=3 (BROM, Provisioner ICA, Identity; never the per-boot leaf nor the
    ///   root);
    /// * for every GPU (the architecture is read from the CN of its BROM certificate: `GH1xx`
    ///   Hopper, `GBxxx` Blackwell) the driver and VBIOS RIM ids derived from the report's signed
    ///   opaque data ([`rim::driver_rim_id`], [`rim::vbios_rim_id`]), each distinct id fetched
    ///   once; then, as each RIM arrives, OCSP for each distinct (certificate, issuer) of its
    ///   `KeyInfo` chain indices 0..=2 (read from the `X509Certificate` elements by a plain text
    ///   scan: they are only used to ask OCSP). **NVSwitch (LS_10) RIMs are not fetched**: their
    ///   id needs a project/SKU the switch report does not carry (supply them by file); the
    ///   switch's device-chain OCSP is fetched;
    /// * with `with_nras`, the NRAS appraisal of the whole list ([`NvidiaClient::nras`]) and the
    ///   JWKS. The nonce sent is `nonce`, or, without one, the (signed) nonce of the first report
    ///   that parses, which makes NRAS's nonce check say nothing about freshness; the `arch` is
    ///   that of the first device whose BROM CN is recognised, else the list's unsigned hint.
    ///
    /// Devices whose report does not parse are skipped, as are RIMs whose id cannot be derived
    /// (a field missing from the opaque data): the core reports those. Each failed fetch is
    /// collected as `(what, error)` rather than aborting the others; `nras` is set only when both
    /// NRAS and the JWKS were fetched. Returns the (possibly partial) collateral, the failures,
    /// and the successful exchanges (those whose content was accepted), all in request order.
    pub async fn gpu_collateral(
        &self,
        list: &EvidenceList,
        nonce: Option<&[u8; 32]>,
        with_nras: bool,
    ) -> (GpuCollateral, Vec<(String, FetchError)>, Vec<Fetched>) {
        let mut jobs: Vec<String> = Vec::new();
        let mut queue: VecDeque<(usize, Job)> = VecDeque::new();
        let mut seen_pairs: HashSet<(Vec<u8>, Vec<u8>)> = HashSet::new();
        let mut seen_rims: HashSet<String> = HashSet::new();
        let mut enqueue = |jobs: &mut Vec<String>, what: String, job: Job| {
            queue.push_back((jobs.len(), job));
            jobs.push(what);
        };

        let mut first_nonce: Option<[u8; 32]> = None;
        let mut first_arch: Option<&'static str> = None;
        for (i, item) in list.items.iter().enumerate() {
            let Ok(report) = SpdmReport::parse(&item.report) else {
                continue;
            };
            first_nonce.get_or_insert(*report.nonce());
            let kind = item
                .cert_chain
                .get(1)
                .and_then(|brom| common_name(brom))
                .and_then(|cn| DeviceKind::from_hwmodel(&cn));
            if let Some(k) = kind {
                first_arch.get_or_insert(k.arch());
            }
            // Device chain: BROM, Provisioner ICA, Identity, each with its issuer.
            for (k, pair) in item.cert_chain.windows(2).enumerate().skip(1).take(3) {
                if let [cert, issuer] = pair {
                    if let Some(request) = new_pair(&mut seen_pairs, cert, issuer) {
                        let what = format!("ocsp gpu[{i}] chain[{k}] {}", label(cert));
                        enqueue(&mut jobs, what, Job::Ocsp(request));
                    }
                }
            }
            let Some(DeviceKind::Gpu(arch)) = kind else {
                continue;
            };
            let op = report.opaque();
            let mut ids = Vec::new();
            if let Some(driver) = op.driver_version() {
                ids.push(rim::driver_rim_id(arch, &driver, op.chip_info().as_deref()));
            }
            if let (Some(project), Some(sku), Some(chip), Some(vbios)) = (
                op.project(),
                op.project_sku(),
                op.chip_sku(),
                op.vbios_version(),
            ) {
                ids.push(rim::vbios_rim_id(&project, &sku, &chip, &vbios, false));
            }
            for id in ids {
                if seen_rims.insert(id.to_ascii_uppercase()) {
                    enqueue(&mut jobs, format!("rim {id}"), Job::Rim(id));
                }
            }
        }

        let mut not_asked = Vec::new();
        if with_nras {
            let arch = first_arch
                .map(str::to_owned)
                .or_else(|| list.arch_hint.clone());
            match (nonce.copied().or(first_nonce), arch) {
                (Some(n), Some(arch)) => {
                    let body = nras_request_body(list, &n, &arch);
                    enqueue(&mut jobs, "nras".to_owned(), Job::Nras(body, arch));
                    enqueue(&mut jobs, "jwks".to_owned(), Job::Jwks);
                }
                (n, _) => {
                    let why = if n.is_none() {
                        "no report parses, so there is no nonce to send"
                    } else {
                        "the architecture is unknown (no recognised BROM certificate, no arch hint)"
                    };
                    not_asked.push((
                        "nras".to_owned(),
                        FetchError::Http {
                            url: self.nras_url("GPU"),
                            reason: format!("NRAS not asked: {why}"),
                        },
                    ));
                }
            }
        }

        let (coll, errors, log) = self.run_jobs(jobs, queue, seen_pairs).await;
        not_asked.extend(errors);
        (coll, not_asked, log)
    }

    /// Run the queued jobs (adding RIM-chain OCSP jobs as RIMs arrive) and assemble the result.
    async fn run_jobs(
        &self,
        mut jobs: Vec<String>,
        mut queue: VecDeque<(usize, Job)>,
        mut seen_pairs: HashSet<(Vec<u8>, Vec<u8>)>,
    ) -> (GpuCollateral, Vec<(String, FetchError)>, Vec<Fetched>) {
        let mut results: Vec<Option<Result<(Output, Fetched), FetchError>>> = Vec::new();
        let mut running: Vec<JobFuture<'_>> = Vec::new();
        loop {
            while running.len() < MAX_CONCURRENT_REQUESTS {
                let Some((index, job)) = queue.pop_front() else {
                    break;
                };
                running.push(self.start(index, job));
            }
            if running.is_empty() {
                break;
            }
            let (index, result) = next_done(&mut running).await;
            if let Ok((Output::Rim(id, xml), _)) = &result {
                let certs = keyinfo_certs(xml);
                for (k, pair) in certs.windows(2).enumerate().take(3) {
                    if let [cert, issuer] = pair {
                        if let Some(request) = new_pair(&mut seen_pairs, cert, issuer) {
                            queue.push_back((jobs.len(), Job::Ocsp(request)));
                            jobs.push(format!("ocsp rim {id} KeyInfo[{k}] {}", label(cert)));
                        }
                    }
                }
            }
            if results.len() < jobs.len() {
                results.resize_with(jobs.len(), || None);
            }
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
        }

        let mut coll = GpuCollateral::default();
        let mut errors = Vec::new();
        let mut log = Vec::new();
        let mut nras_body = None;
        let mut jwks = None;
        for (what, result) in jobs.into_iter().zip(results) {
            match result {
                None => {}
                Some(Err(e)) => errors.push((what, e)),
                Some(Ok((output, fetched))) => {
                    match output {
                        Output::Rim(id, xml) => coll.rims.push((id, xml)),
                        Output::Ocsp(body) => coll.ocsp.push(body),
                        Output::Nras(body) => nras_body = Some(body),
                        Output::Jwks(body) => jwks = Some(body),
                    }
                    log.push(fetched);
                }
            }
        }
        if let (Some(body), Some(jwks)) = (nras_body, jwks) {
            coll.nras = Some(NrasInput { body, jwks });
        }
        (coll, errors, log)
    }

    /// The future of one job, tagged with its index.
    fn start(&self, index: usize, job: Job) -> JobFuture<'_> {
        Box::pin(async move {
            let result = match job {
                Job::Rim(id) => self
                    .rim_logged(&id)
                    .await
                    .map(|(id, xml, f)| (Output::Rim(id, xml), f)),
                Job::Ocsp(request) => self
                    .post_ocsp(request)
                    .await
                    .map(|f| (Output::Ocsp(f.body.clone()), f)),
                Job::Nras(body, arch) => self
                    .post_nras(body, &arch)
                    .await
                    .map(|f| (Output::Nras(f.body.clone()), f)),
                Job::Jwks => {
                    let url = self.jwks_url();
                    self.send(Method::GET, &url, None, "application/json")
                        .await
                        .map(|f| (Output::Jwks(f.body.clone()), f))
                }
            };
            (index, result)
        })
    }

    fn ocsp_url(&self) -> String {
        format!("{}/", self.endpoints.ocsp)
    }

    fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.endpoints.nras)
    }

    fn nras_url(&self, arch: &str) -> String {
        let what = if arch.eq_ignore_ascii_case("LS10") {
            "switch"
        } else {
            "gpu"
        };
        format!("{}/v3/attest/{what}", self.endpoints.nras)
    }

    async fn post_ocsp(&self, request: Vec<u8>) -> Result<Fetched, FetchError> {
        let url = self.ocsp_url();
        self.send(
            Method::POST,
            &url,
            Some(("application/ocsp-request", request)),
            "application/ocsp-response",
        )
        .await
    }

    async fn post_nras(&self, body: Vec<u8>, arch: &str) -> Result<Fetched, FetchError> {
        let url = self.nras_url(arch);
        self.send(
            Method::POST,
            &url,
            Some(("application/json", body)),
            "application/json",
        )
        .await
    }

    /// [`NvidiaClient::rim`], with the exchange.
    async fn rim_logged(&self, id: &str) -> Result<(String, Vec<u8>, Fetched), FetchError> {
        let base = &self.endpoints.rim_service;
        if !valid_rim_id(id) {
            return Err(FetchError::InvalidUrl {
                url: format!("{base}/v1/rim/{id}"),
                reason: "a RIM id is made of ASCII letters, digits, '.', '_' and '-'".to_owned(),
            });
        }
        let url = format!("{base}/v1/rim/{id}");
        let fetched = self
            .send(Method::GET, &url, None, "application/json")
            .await?;
        let bad = |reason: String| FetchError::Http {
            url: url.clone(),
            reason,
        };
        let answer: RimAnswer = serde_json::from_slice(&fetched.body)
            .map_err(|e| bad(format!("RIM service answer is not the expected JSON: {e}")))?;
        if !answer.id.eq_ignore_ascii_case(id) {
            return Err(bad(format!(
                "RIM service answered with id {:?}, not the requested {id:?}",
                answer.id
            )));
        }
        let compact: Vec<u8> = answer
            .rim
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let engine = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        let xml = engine
            .decode(&compact)
            .map_err(|e| bad(format!("RIM service answer: rim is not base64: {e}")))?;
        if let Some(declared) = &answer.sha256 {
            let actual = crate::bytes::to_hex(ring::digest::digest(&ring::digest::SHA256, &xml));
            if !declared.trim().eq_ignore_ascii_case(&actual) {
                return Err(bad(format!(
                    "RIM service answer: sha256 {declared} is not the SHA-256 of the RIM ({actual})"
                )));
            }
        }
        Ok((id.to_owned(), xml, fetched))
    }

    /// One request with timeout, retries and the body limit; `Ok` only for a 2xx answer.
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<(&'static str, Vec<u8>)>,
        accept: &'static str,
    ) -> Result<Fetched, FetchError> {
        let request_body = body.as_ref().map(|(_, b)| b.clone());
        super::cache::DiskStore::through(self.cache.as_ref(), method.as_str(), url, request_body.as_deref(), || {
            with_retries(&self.opts, url, || self.send_once(method.clone(), url, body.clone(), accept))
        })
        .await
    }

    /// Consult and fill `cache` (and, if it is offline, never use the network).
    pub fn with_cache(mut self, cache: super::cache::DiskStore) -> Self {
        self.cache = Some(cache);
        self
    }

    /// One attempt, without retry or overall timeout.
    async fn send_once(
        &self,
        method: Method,
        url: &str,
        body: Option<(&'static str, Vec<u8>)>,
        accept: &'static str,
    ) -> Result<Fetched, FetchError> {
        let mut request = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT, accept);
        if let Some((content_type, bytes)) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        let response = request.send().await.map_err(|e| classify(url, &e))?;
        read_response(url, response, self.opts.max_body_bytes).await
    }
}

/// The JSON body NRAS is asked with: `{"nonce": <64 hex digits>, "arch": arch, "claims_version":
/// `[`NRAS_CLAIMS_VERSION`]`, "evidence_list": [{"evidence": base64(report bytes), "certificate":
/// base64(PEM chain text, LF line ends)}]}`, one entry per item of `list` in order. The unsigned
/// hints of `list` are not sent.
pub fn nras_request_body(list: &EvidenceList, nonce: &[u8; 32], arch: &str) -> Vec<u8> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    let pem_config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    let evidence_list: Vec<serde_json::Value> = list
        .items
        .iter()
        .map(|item| {
            let pems: Vec<pem::Pem> = item
                .cert_chain
                .iter()
                .map(|der| pem::Pem::new("CERTIFICATE", der.clone()))
                .collect();
            let chain_text = pem::encode_many_config(&pems, pem_config);
            serde_json::json!({
                "evidence": b64.encode(&item.report),
                "certificate": b64.encode(chain_text.as_bytes()),
            })
        })
        .collect();
    let body = serde_json::json!({
        "nonce": crate::bytes::to_hex(nonce),
        "arch": arch,
        "claims_version": NRAS_CLAIMS_VERSION,
        "evidence_list": evidence_list,
    });
    // Serialising a `Value` cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Wait for the first of `running` to finish; remove it and return its output. `running` must
/// not be empty (it would never finish).
async fn next_done<T>(running: &mut Vec<Pin<Box<dyn Future<Output = T> + Send + '_>>>) -> T {
    std::future::poll_fn(|cx| {
        let ready = running
            .iter_mut()
            .enumerate()
            .find_map(|(i, f)| match f.as_mut().poll(cx) {
                Poll::Ready(v) => Some((i, v)),
                Poll::Pending => None,
            });
        match ready {
            Some((i, v)) => {
                drop(running.swap_remove(i));
                Poll::Ready(v)
            }
            None => Poll::Pending,
        }
    })
    .await
}

/// The OCSP request for (`cert`, `issuer`) if that pair is new and the request can be built.
fn new_pair(seen: &mut HashSet<(Vec<u8>, Vec<u8>)>, cert: &[u8], issuer: &[u8]) -> Option<Vec<u8>> {
    if !seen.insert((cert.to_vec(), issuer.to_vec())) {
        return None;
    }
    ocsp::build_request(cert, issuer).ok()
}

/// `CN` of a certificate, for labels (`?` when absent).
fn label(cert_der: &[u8]) -> String {
    common_name(cert_der).unwrap_or_else(|| "?".to_owned())
}

/// The subject CN of a DER certificate.
fn common_name(cert_der: &[u8]) -> Option<String> {
    use der::Decode as _;
    let cn = der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3");
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    let found = cert
        .tbs_certificate()
        .subject()
        .iter()
        .find(|a| a.oid == cn)
        .map(|a| String::from_utf8_lossy(a.value.value()).into_owned());
    found
}

/// The base64 contents of the `X509Certificate` elements of a RIM, decoded, in document order
/// (signer first). A plain text scan, no XML parsing: the certificates are only used to ask OCSP
/// about them; the core verifies the RIM and its chain.
fn keyinfo_certs(xml: &[u8]) -> Vec<Vec<u8>> {
    let Ok(text) = std::str::from_utf8(xml) else {
        return Vec::new();
    };
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    text.split('<')
        .skip(1)
        .filter_map(|segment| {
            let (tag, content) = segment.split_once('>')?;
            let name = tag.split_whitespace().next()?;
            let local = name.rsplit(':').next()?;
            if local != "X509Certificate" || name.starts_with('/') || tag.ends_with('/') {
                return None;
            }
            let compact: String = content
                .replace("&#13;", "")
                .replace("&#xD;", "")
                .replace("&#xd;", "")
                .replace("&#10;", "")
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            engine.decode(compact).ok()
        })
        .take(MAX_KEYINFO_CERTS)
        .collect()
}

/// A RIM id usable as one URL path segment: `[A-Za-z0-9._-]{1,128}`, not only dots.
fn valid_rim_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_RIM_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !id.bytes().all(|b| b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rim_ids() {
        for ok in [
            "NV_GPU_DRIVER_GH100_550.90.07",
            "NV_GPU_VBIOS_1010_0200_882_96009F0001",
            "a-b",
        ] {
            assert!(valid_rim_id(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a?b",
            "a b",
            "a%2f",
            "é",
            &"x".repeat(129),
        ] {
            assert!(!valid_rim_id(bad), "{bad}");
        }
    }

    #[test]
    fn keyinfo_scan() {
        let xml = b"<a><ds:X509Certificate>AQID\n BA==</ds:X509Certificate><X509Certificate>\
            BQY&#13;H</X509Certificate><ds:X509Certificate/><x:X509CertificateX>AA==</x:X509CertificateX>\
            <X509Certificate>!!</X509Certificate></a>";
        assert_eq!(keyinfo_certs(xml), vec![vec![1, 2, 3, 4], vec![5, 6, 7]]);
        assert!(keyinfo_certs(&[0xff, 0xfe]).is_empty());
    }

    #[test]
    fn endpoints_are_checked_and_normalised() {
        let c = NvidiaClient::new(
            NvidiaEndpoints {
                rim_service: "http://127.0.0.1:1/".to_owned(),
                ocsp: "http://[::1]:2".to_owned(),
                nras: "https://nras.example/prefix/".to_owned(),
            },
            FetchOptions::default(),
        )
        .unwrap();
        assert_eq!(c.endpoints().rim_service, "http://127.0.0.1:1");
        assert_eq!(c.ocsp_url(), "http://[::1]:2/");
        assert_eq!(
            c.nras_url("HOPPER"),
            "https://nras.example/prefix/v3/attest/gpu"
        );
        assert_eq!(
            c.nras_url("LS10"),
            "https://nras.example/prefix/v3/attest/switch"
        );
        assert_eq!(
            c.jwks_url(),
            "https://nras.example/prefix/.well-known/jwks.json"
        );
        let d = NvidiaClient::new(NvidiaEndpoints::default(), FetchOptions::default()).unwrap();
        assert_eq!(d.endpoints(), &NvidiaEndpoints::default());
        for (field, url) in [
            (0, "http://10.0.0.1"),
            (1, "http://example.com"),
            (2, "http://localhost.example"),
        ] {
            let mut e = NvidiaEndpoints::default();
            match field {
                0 => e.rim_service = url.to_owned(),
                1 => e.ocsp = url.to_owned(),
                _ => e.nras = url.to_owned(),
            }
            assert!(
                matches!(
                    NvidiaClient::new(e, FetchOptions::default()),
                    Err(FetchError::InsecureUrl { .. })
                ),
                "{url}"
            );
        }
        let e = NvidiaEndpoints {
            nras: "https://x.example/?q=1".to_owned(),
            ..NvidiaEndpoints::default()
        };
        assert!(matches!(
            NvidiaClient::new(e, FetchOptions::default()),
            Err(FetchError::InvalidUrl { .. })
        ));
    }
}
