//! Evidence bundles: everything a live scan's verdict depended on, saved so that it can be
//! re-verified offline, later, by someone else.
//!
//! A bundle records the request (endpoint, the caller's nonce), every HTTP exchange byte for byte
//! (the provider's attestation response — or the two documents of Chutes' API pair —, Intel PCS
//! collateral with its headers, NVIDIA RIMs, OCSP responses, NRAS tokens and JWKS, AMD KDS
//! certificates), the TLS certificate the attestation response arrived over,
//! the policy, the scan time and the verdict reached. [`scan_bundle`] re-verifies it without the
//! network; a live scan ([`crate::fetch::live`]) is itself nothing but "fetch into a bundle, then
//! [`scan_bundle`]", so a re-scan at the recorded time reaches the same verdict by construction.
//!
//! The format (`teescan.bundle/v1`) is documented in `docs/bundle-format.md`. Only signed bytes
//! are evidence: the bundle's own fields (nonce, recorded verdict, hashes) are the client's
//! record, checked for consistency but never trusted over the signatures.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::nvidia::verify::{GpuCollateral, NrasInput};
use crate::provider::binding;
use crate::report::{Check, InputInfo, PolicyInfo, Report, Status, Verdict};
use crate::tdx::collateral::{Collateral, CollateralError, HttpExchange, PcsResponses};
use crate::tdx::Quote;
use crate::time::Timestamp;
use crate::{Error, ScanOptions};

/// The `format` of a bundle this version writes and reads.
pub const BUNDLE_FORMAT: &str = "teescan.bundle/v1";

/// Largest bundle manifest (or single-file bundle) read, in bytes.
pub const MAX_BUNDLE_LEN: usize = 64 * 1024 * 1024;

/// Most exchanges a bundle may hold (a NEAR node with 8 GPUs needs about 40).
pub const MAX_EXCHANGES: usize = 1024;

/// Largest single response body of a bundle or capture directory (a NEAR 8-GPU report is about
/// 200 KB; collateral is a few KB).
pub const MAX_BODY_LEN: usize = 16 * 1024 * 1024;

/// Largest total of the response bodies of one bundle or capture directory; a body file named by
/// several exchanges is read once but counts once per exchange (each holds its own copy).
pub const MAX_BODIES_TOTAL: usize = 64 * 1024 * 1024;

/// Most `NAME.json` / `NAME.body` pairs read from a capture directory.
pub const MAX_CAPTURE_FILES: usize = 4096;

/// Largest `NAME.json` (URL and headers) of a capture directory.
pub const MAX_CAPTURE_META_LEN: usize = 1024 * 1024;

/// Name of the manifest inside a bundle directory.
pub const MANIFEST_NAME: &str = "bundle.json";

/// What an exchange was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The provider's attestation document: exactly one per bundle, or the two of Chutes' API
    /// pair (`/chutes/{id}/evidence`, `/e2e/instances/{id}`).
    Attestation,
    /// An Intel PCS / PCCS response (TCB Info, QE Identity, PCK CRL, root CA CRL).
    Pcs,
    /// An NVIDIA RIM service answer (`{"id", "rim": base64}`).
    NvidiaRim,
    /// An NVIDIA OCSP response (DER).
    NvidiaOcsp,
    /// An NRAS appraisal (detached EAT).
    NvidiaNras,
    /// The NRAS JWKS.
    NvidiaJwks,
    /// A GitHub `attestations/sha256:<digest>` answer (Sigstore bundles) for `[provenance]`.
    Provenance,
    /// An AMD KDS answer (VCEK DER, `cert_chain` PEM, CRL) for an SEV-SNP report.
    AmdKds,
}

impl Role {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Attestation => "attestation",
            Role::Pcs => "pcs",
            Role::NvidiaRim => "nvidia_rim",
            Role::NvidiaOcsp => "nvidia_ocsp",
            Role::NvidiaNras => "nvidia_nras",
            Role::NvidiaJwks => "nvidia_jwks",
            Role::Provenance => "provenance",
            Role::AmdKds => "amd_kds",
        }
    }
}

/// One HTTP exchange, as it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// What it was for.
    pub role: Role,
    /// `GET` or `POST`.
    pub method: String,
    /// The URL requested (the final one if redirects were followed).
    pub url: String,
    /// The request body sent, if any (OCSP request, NRAS evidence).
    pub request_body: Option<Vec<u8>>,
    /// HTTP status.
    pub status: u16,
    /// Response headers, in received order.
    pub headers: Vec<(String, String)>,
    /// The response body, byte for byte.
    pub body: Vec<u8>,
    /// Where the body came from: `network`, or `cache` (fetched earlier, reused in its window).
    pub origin: String,
}

/// Where the nonce came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonceSource {
    /// 32 bytes from the operating system's CSPRNG, made for this scan.
    Random,
    /// Chosen by the caller (reproductions and tests; freshness is only as good as the choice).
    Caller,
}

/// A live scan's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The time of the scan (the default "as of" time for a re-scan).
    pub scanned_at: Timestamp,
    /// `teescan <version>` that wrote it.
    pub tool: String,
    /// The endpoint as given.
    pub url: String,
    /// The provider protocol used (`near`, `phala`, `tinfoil`).
    pub provider: String,
    /// The model asked for, if any.
    pub model: Option<String>,
    /// The caller's nonce.
    pub nonce: [u8; 32],
    /// Where the nonce came from.
    pub nonce_source: NonceSource,
    /// DER of the TLS leaf certificate the attestation response arrived over (`None` for plain
    /// `http://` on loopback).
    pub tls_leaf: Option<Vec<u8>>,
    /// Every exchange, in request order.
    pub exchanges: Vec<Exchange>,
    /// Requests that failed: `(what, why)`.
    pub failures: Vec<(String, String)>,
    /// The policy text the verdict was held against, if any.
    pub policy: Option<Vec<u8>>,
    /// SHA-256 of the Intel root the quotes were checked against, and whether it was a test root.
    pub intel_root_sha256: String,
    /// Whether a test root replaced the Intel SGX Root CA.
    pub test_root: bool,
    /// SHA-256 of the test AMD root (ARK) that replaced the pinned AMD roots, if one did.
    pub amd_test_ark_sha256: Option<String>,
    /// SHA-256 of the Sigstore trusted root `[provenance]` bundles were verified against, when
    /// the policy had provenance.
    pub sigstore_root_sha256: Option<String>,
    /// The verdict the live scan reached (the client's record; re-verification decides).
    pub verdict: Option<Verdict>,
}

// ---------------------------------------------------------------------------------------------
// Serialised form.

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    tool: String,
    scanned_at: String,
    target: TargetJson,
    nonce: String,
    nonce_source: NonceSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls_leaf_certificate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls_spki_sha256: Option<String>,
    exchanges: Vec<ExchangeJson>,
    #[serde(default)]
    failures: Vec<FailureJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy: Option<PolicyJson>,
    trust: TrustJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetJson {
    url: String,
    provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailureJson {
    what: String,
    error: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyJson {
    sha256: String,
    base64: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustJson {
    intel_root_sha256: String,
    test_root: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amd_test_ark_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sigstore_root_sha256: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExchangeJson {
    role: Role,
    method: String,
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_body: Option<BodyJson>,
    status: u16,
    headers: Vec<(String, String)>,
    body: BodyJson,
    sha256: String,
    origin: String,
}

/// A body: inline (base64) in a single-file bundle, or a file beside the manifest.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

fn sha256_hex(b: &[u8]) -> String {
    crate::bytes::to_hex(ring::digest::digest(&ring::digest::SHA256, b))
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn bundle_error(message: impl Into<String>) -> Error {
    Error::Input { code: "input.bundle", message: message.into() }
}

/// SHA-256 of the SubjectPublicKeyInfo of a DER certificate: the TLS fingerprint providers
/// attest to.
pub fn spki_sha256(cert_der: &[u8]) -> Result<[u8; 32], String> {
    use der::{Decode as _, Encode as _};
    let cert = x509_cert::Certificate::from_der(cert_der).map_err(|e| format!("TLS certificate: {e}"))?;
    let spki = cert.tbs_certificate().subject_public_key_info().to_der().map_err(|e| format!("TLS certificate SPKI: {e}"))?;
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &spki).as_ref());
    Ok(out)
}

/// Whether `name` is a safe relative body file name: `exchanges/` + `[A-Za-z0-9._-]`, no `..`.
fn safe_body_name(name: &str) -> bool {
    name.strip_prefix("exchanges/").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 128
            && !rest.starts_with('.')
            && rest.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
    })
}

impl Bundle {
    fn manifest(&self, mut body: impl FnMut(usize, &str, &[u8]) -> BodyJson) -> Manifest {
        Manifest {
            format: BUNDLE_FORMAT.to_owned(),
            tool: self.tool.clone(),
            scanned_at: self.scanned_at.to_rfc3339(),
            target: TargetJson { url: self.url.clone(), provider: self.provider.clone(), model: self.model.clone() },
            nonce: crate::bytes::to_hex(self.nonce),
            nonce_source: self.nonce_source,
            tls_leaf_certificate: self.tls_leaf.as_deref().map(b64),
            tls_spki_sha256: self.tls_leaf.as_deref().and_then(|c| spki_sha256(c).ok()).map(hex::encode),
            exchanges: self
                .exchanges
                .iter()
                .enumerate()
                .map(|(i, x)| ExchangeJson {
                    role: x.role,
                    method: x.method.clone(),
                    url: x.url.clone(),
                    request_body: x.request_body.as_deref().map(|b| BodyJson { base64: Some(b64(b)), file: None }),
                    status: x.status,
                    headers: x.headers.clone(),
                    body: body(i, x.role.as_str(), &x.body),
                    sha256: sha256_hex(&x.body),
                    origin: x.origin.clone(),
                })
                .collect(),
            failures: self.failures.iter().map(|(what, error)| FailureJson { what: what.clone(), error: error.clone() }).collect(),
            policy: self.policy.as_deref().map(|p| PolicyJson { sha256: sha256_hex(p), base64: b64(p) }),
            trust: TrustJson {
                intel_root_sha256: self.intel_root_sha256.clone(),
                test_root: self.test_root,
                amd_test_ark_sha256: self.amd_test_ark_sha256.clone(),
                sigstore_root_sha256: self.sigstore_root_sha256.clone(),
            },
            verdict: self.verdict,
        }
    }

    /// The single-file form: one JSON document with every body inline (base64).
    pub fn to_json(&self) -> Vec<u8> {
        let m = self.manifest(|_, _, b| BodyJson { base64: Some(b64(b)), file: None });
        serde_json::to_vec_pretty(&m).unwrap_or_default()
    }

    /// The directory form: the manifest (`bundle.json`) and each body as its own file
    /// (`exchanges/NNN-role.body`), as `(relative path, bytes)`; the manifest comes first.
    pub fn to_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut names = Vec::new();
        let m = self.manifest(|i, role, _| {
            let name = format!("exchanges/{i:03}-{role}.body");
            names.push(name.clone());
            BodyJson { base64: None, file: Some(name) }
        });
        let mut out = vec![(MANIFEST_NAME.to_owned(), serde_json::to_vec_pretty(&m).unwrap_or_default())];
        out.extend(names.into_iter().zip(self.exchanges.iter().map(|x| x.body.clone())));
        out
    }

    /// Read a bundle from its manifest. Bodies stored as files are read with `read_file`
    /// (called only with names of the form `exchanges/<safe name>`). Returns the bundle and the
    /// exchanges whose body does not match the recorded SHA-256 (by index).
    pub fn from_manifest(
        bytes: &[u8],
        mut read_file: impl FnMut(&str) -> Result<Vec<u8>, Error>,
    ) -> Result<(Bundle, Vec<usize>), Error> {
        if bytes.len() > MAX_BUNDLE_LEN {
            return Err(bundle_error(format!("bundle is {} bytes, more than {MAX_BUNDLE_LEN}", bytes.len())));
        }
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| bundle_error(format!("not a {BUNDLE_FORMAT} document: {e}")))?;
        if m.format != BUNDLE_FORMAT {
            return Err(bundle_error(format!("bundle format {:?} is not {BUNDLE_FORMAT:?}", m.format)));
        }
        if m.exchanges.len() > MAX_EXCHANGES {
            return Err(bundle_error(format!("{} exchanges, more than {MAX_EXCHANGES}", m.exchanges.len())));
        }
        let scanned_at = Timestamp::parse_rfc3339(&m.scanned_at)?;
        let nonce: [u8; 32] = hex::decode(&m.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| bundle_error("nonce: not 64 hex digits"))?;
        let decode = |what: &str, s: &str| {
            base64::engine::general_purpose::STANDARD.decode(s).map_err(|e| bundle_error(format!("{what}: not base64: {e}")))
        };
        let mut exchanges = Vec::with_capacity(m.exchanges.len());
        let mut mismatched = Vec::new();
        let mut total: usize = 0;
        for (i, x) in m.exchanges.into_iter().enumerate() {
            let what = format!("exchanges[{i}]");
            let body = match (&x.body.base64, &x.body.file) {
                (Some(s), None) => decode(&what, s)?,
                (None, Some(name)) if safe_body_name(name) => read_file(name)?,
                (None, Some(name)) => return Err(bundle_error(format!("{what}: unsafe body file name {name:?}"))),
                _ => return Err(bundle_error(format!("{what}: body needs exactly one of base64, file"))),
            };
            if body.len() > MAX_BODY_LEN {
                return Err(bundle_error(format!("{what}: body is larger than {MAX_BODY_LEN} bytes")));
            }
            total = total
                .checked_add(body.len())
                .filter(|t| *t <= MAX_BODIES_TOTAL)
                .ok_or_else(|| bundle_error(format!("{what}: the bodies together are larger than {MAX_BODIES_TOTAL} bytes")))?;
            if sha256_hex(&body) != x.sha256.to_ascii_lowercase() {
                mismatched.push(i);
            }
            let request_body = match x.request_body {
                None => None,
                Some(BodyJson { base64: Some(s), file: None }) => Some(decode(&what, &s)?),
                Some(_) => return Err(bundle_error(format!("{what}: request_body must be inline base64"))),
            };
            exchanges.push(Exchange {
                role: x.role,
                method: x.method,
                url: x.url,
                request_body,
                status: x.status,
                headers: x.headers,
                body,
                origin: x.origin,
            });
        }
        let tls_leaf = m.tls_leaf_certificate.as_deref().map(|s| decode("tls_leaf_certificate", s)).transpose()?;
        let policy = m.policy.as_ref().map(|p| decode("policy", &p.base64)).transpose()?;
        if let (Some(text), Some(p)) = (&policy, &m.policy) {
            if sha256_hex(text) != p.sha256.to_ascii_lowercase() {
                return Err(bundle_error("policy: text does not match its recorded SHA-256"));
            }
        }
        Ok((
            Bundle {
                scanned_at,
                tool: m.tool,
                url: m.target.url,
                provider: m.target.provider,
                model: m.target.model,
                nonce,
                nonce_source: m.nonce_source,
                tls_leaf,
                exchanges,
                failures: m.failures.into_iter().map(|f| (f.what, f.error)).collect(),
                policy,
                intel_root_sha256: m.trust.intel_root_sha256,
                test_root: m.trust.test_root,
                amd_test_ark_sha256: m.trust.amd_test_ark_sha256,
                sigstore_root_sha256: m.trust.sigstore_root_sha256,
                verdict: m.verdict,
            },
            mismatched,
        ))
    }

    /// Whether `bytes` look like a single-file bundle (a JSON object naming [`BUNDLE_FORMAT`]).
    pub fn is_bundle(bytes: &[u8]) -> bool {
        let head = bytes.get(..bytes.len().min(4096)).unwrap_or_default();
        head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
            && head.windows(BUNDLE_FORMAT.len()).any(|w| w == BUNDLE_FORMAT.as_bytes())
    }
}

/// Write `bundle` to `path`: a directory (created; manifest + body files) unless `path` ends in
/// `.json`, in which case a single file.
pub fn save(bundle: &Bundle, path: &std::path::Path) -> std::io::Result<()> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        return std::fs::write(path, bundle.to_json());
    }
    std::fs::create_dir_all(path.join("exchanges"))?;
    for (name, bytes) in bundle.to_files() {
        std::fs::write(path.join(name), bytes)?;
    }
    Ok(())
}

/// Read a bundle from a directory (with `bundle.json`) or a single file. Only regular files are
/// read (a FIFO, device, directory or a symlink leading out of the bundle directory is refused
/// before it is opened); the manifest is bounded by [`MAX_BUNDLE_LEN`], each body by
/// [`MAX_BODY_LEN`] and all bodies together by [`MAX_BODIES_TOTAL`]; a body file named by several
/// exchanges is read once. Returns the bundle and the indexes of exchanges whose body does not
/// match its recorded SHA-256.
pub fn load(path: &Path) -> Result<(Bundle, Vec<usize>), Error> {
    let meta = std::fs::metadata(path).map_err(|e| bundle_error(format!("cannot read {}: {e}", path.display())))?;
    if meta.is_dir() {
        let manifest = read_regular_file(Some(path), &path.join(MANIFEST_NAME), MAX_BUNDLE_LEN).map_err(to_bundle_error)?;
        let mut seen: HashMap<String, Vec<u8>> = HashMap::new();
        Bundle::from_manifest(&manifest, |name| {
            if let Some(body) = seen.get(name) {
                return Ok(body.clone());
            }
            let body = read_regular_file(Some(path), &path.join(name), MAX_BODY_LEN).map_err(to_bundle_error)?;
            seen.insert(name.to_owned(), body.clone());
            Ok(body)
        })
    } else {
        let bytes = read_regular_file(None, path, MAX_BUNDLE_LEN).map_err(to_bundle_error)?;
        Bundle::from_manifest(&bytes, |name| Err(bundle_error(format!("a single-file bundle cannot refer to file {name:?}"))))
    }
}

fn to_bundle_error(e: Error) -> Error {
    match e {
        Error::Input { message, .. } => bundle_error(message),
        e => e,
    }
}

fn read_error(message: impl Into<String>) -> Error {
    Error::Input { code: "input.read", message: message.into() }
}

/// Re-verify the bundle saved at `path` (file or directory) offline: as of its recorded time
/// unless `keep_at` (the caller chose the time), against `opts.policy` or else the policy
/// recorded in it (a note says which). The report's source names the path and the endpoint.
pub fn scan_saved(path: &Path, mut opts: ScanOptions, keep_at: bool) -> Result<Report, Error> {
    let (bundle, mismatched) = load(path)?;
    if !keep_at {
        opts.at = bundle.scanned_at;
    }
    rescan(&bundle, &mismatched, opts, &path.display().to_string())
}

/// Re-verify a loaded bundle saved as `name` (a path, a file name) at `opts.at`, against
/// `opts.policy` or else the policy recorded in it (a note says which): the one routine behind
/// `teescan scan BUNDLE` and the scanner page. `mismatched` lists exchanges whose body no longer
/// matches its recorded hash.
pub fn rescan(bundle: &Bundle, mismatched: &[usize], mut opts: ScanOptions, name: &str) -> Result<Report, Error> {
    let mut notes = Vec::new();
    if opts.policy.is_none() {
        if let Some(text) = &bundle.policy {
            let loaded = crate::policy::Policy::load(text).map_err(|e| Error::Input {
                code: "input.policy",
                message: format!("the policy recorded in the bundle: {e}"),
            })?;
            notes.push(format!(
                "held against the policy recorded in the bundle ({}, sha256:{}); pass --policy to use your own",
                loaded.policy.id, loaded.sha256
            ));
            opts.policy = Some(loaded);
        }
    }
    if bundle.test_root && opts.intel_root.is_production() {
        notes.push("the bundle was made with a TEST root; it is now checked against the Intel SGX Root CA".to_owned());
    }
    notes.extend(trust_notes(bundle, &opts));
    let origin = Origin { source: format!("{name} (bundle of {})", bundle.url), notes };
    scan_bundle_from(bundle, mismatched, &opts, &origin)
}

/// What a re-scan under `opts` trusts differently from the live scan that recorded `bundle`:
/// another AMD root (a recorded test ARK is never carried over: without the same
/// `--danger-trust-test-amd-root` its chain fails), another Sigstore trusted root.
fn trust_notes(bundle: &Bundle, opts: &ScanOptions) -> Vec<String> {
    let mut notes = Vec::new();
    let now_ark = opts.amd_test_ark.as_ref().map(|a| a.sha256().to_owned());
    match (&bundle.amd_test_ark_sha256, &now_ark) {
        (Some(rec), None) => notes.push(format!("the bundle was made with a TEST AMD root (sha256:{rec}); it is now checked against the pinned AMD roots")),
        (Some(rec), Some(now)) if rec != now => notes.push(format!("the bundle was made with another TEST AMD root (sha256:{rec}) than the one given now (sha256:{now})")),
        _ => {}
    }
    let provenance = opts.policy.as_ref().is_some_and(|p| p.policy.provenance.is_some());
    if let (Some(rec), true) = (&bundle.sigstore_root_sha256, provenance) {
        let now = sigstore_root_sha256(opts);
        if *rec != now {
            notes.push(format!("the bundle was recorded under another Sigstore trusted root (sha256:{rec}); its provenance is now verified against sha256:{now}"));
        }
    }
    notes
}

/// SHA-256 of the Sigstore trusted root `opts` verifies provenance against (the pinned
/// public-good root unless `--sigstore-trusted-root`).
pub fn sigstore_root_sha256(opts: &ScanOptions) -> String {
    opts.sigstore_root.as_ref().map_or_else(|| crate::pki::sigstore::PUBLIC_GOOD_TRUSTED_ROOT_SHA256.to_owned(), |r| r.sha256.clone())
}

/// Where a bundle being verified comes from: the report's source, and notes on how it is
/// re-verified (placed after the bundle's own warnings).
struct Origin {
    source: String,
    notes: Vec<String>,
}

/// Read `path`, which must be a regular file of at most `max` bytes. With `within`, the file
/// must also resolve inside that directory (a symlink leading out of it is refused). Anything
/// but a regular file — a FIFO, a socket, a device, a directory — is refused from its metadata,
/// without being opened (opening a FIFO blocks until a writer appears).
pub fn read_regular_file(within: Option<&Path>, path: &Path, max: usize) -> Result<Vec<u8>, Error> {
    use std::io::Read as _;
    let shown = path.display();
    let cannot = |e: std::io::Error| read_error(format!("cannot read {shown}: {e}"));
    let meta = std::fs::symlink_metadata(path).map_err(cannot)?;
    let meta = if meta.file_type().is_symlink() {
        let target = std::fs::canonicalize(path).map_err(cannot)?;
        if let Some(dir) = within {
            let root = std::fs::canonicalize(dir).map_err(|e| read_error(format!("cannot read {}: {e}", dir.display())))?;
            if !target.starts_with(&root) {
                return Err(read_error(format!("{shown} is a symlink leading out of {}: refused", dir.display())));
            }
        }
        std::fs::metadata(&target).map_err(cannot)?
    } else {
        meta
    };
    if !meta.is_file() {
        return Err(read_error(format!("{shown} is not a regular file ({}): refused unopened", kind_of(&meta.file_type()))));
    }
    if meta.len() > u64::try_from(max).unwrap_or(u64::MAX) {
        return Err(Error::Input { code: "input.too_large", message: format!("{shown} is larger than {max} bytes") });
    }
    let f = std::fs::File::open(path).map_err(cannot)?;
    let mut buf = Vec::new();
    f.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1)).read_to_end(&mut buf).map_err(cannot)?;
    if buf.len() > max {
        return Err(Error::Input { code: "input.too_large", message: format!("{shown} is larger than {max} bytes") });
    }
    Ok(buf)
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Read a capture directory: every `NAME.json` (with `url` and `headers`) next to `NAME.body`
/// (a `responses/` subdirectory is used when present: the teep capture layout). The same rules
/// as a bundle directory: regular files only, refused unopened otherwise; each body at most
/// [`MAX_BODY_LEN`], all together at most [`MAX_BODIES_TOTAL`]; at most [`MAX_CAPTURE_FILES`]
/// pairs. A `NAME.json` without `url` is skipped.
pub fn read_capture_dir(dir: &Path) -> Result<Vec<HttpExchange>, Error> {
    let responses = dir.join("responses");
    let dir = if std::fs::metadata(&responses).is_ok_and(|m| m.is_dir()) { responses } else { dir.to_path_buf() };
    let mut names: Vec<std::path::PathBuf> = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| read_error(format!("cannot read {}: {e}", dir.display())))? {
        let p = entry.map_err(|e| read_error(format!("cannot read {}: {e}", dir.display())))?.path();
        if p.extension().is_some_and(|x| x == "json") && std::fs::symlink_metadata(p.with_extension("body")).is_ok() {
            names.push(p);
            if names.len() > MAX_CAPTURE_FILES {
                return Err(Error::Input { code: "input.too_large", message: format!("{} has more than {MAX_CAPTURE_FILES} captured responses", dir.display()) });
            }
        }
    }
    names.sort();
    let mut out = Vec::new();
    let mut total: usize = 0;
    let label = dir.display().to_string();
    for meta_path in names {
        let text = read_regular_file(Some(&dir), &meta_path, MAX_CAPTURE_META_LEN)?;
        let body = || read_regular_file(Some(&dir), &meta_path.with_extension("body"), MAX_BODY_LEN);
        if let Some(x) = capture_exchange(&meta_path.display().to_string(), &text, body, &mut total, &label)? {
            out.push(x);
        }
    }
    Ok(out)
}

/// One saved exchange of a capture: its `NAME.json` text (`name` labels it; `None` without a
/// `url`) and, read only then, its body; `total` counts the bodies against [`MAX_BODIES_TOTAL`].
fn capture_exchange(
    name: &str,
    meta_text: &[u8],
    body: impl FnOnce() -> Result<Vec<u8>, Error>,
    total: &mut usize,
    label: &str,
) -> Result<Option<HttpExchange>, Error> {
    let meta: serde_json::Value =
        serde_json::from_slice(meta_text).map_err(|e| Error::Input { code: "input.capture", message: format!("{name}: {e}") })?;
    let Some(url) = meta.get("url").and_then(|u| u.as_str()) else {
        return Ok(None);
    };
    let body = body()?;
    *total = total.checked_add(body.len()).filter(|t| *t <= MAX_BODIES_TOTAL).ok_or_else(|| Error::Input {
        code: "input.too_large",
        message: format!("{label}: the response bodies together are larger than {MAX_BODIES_TOTAL} bytes"),
    })?;
    let mut headers = Vec::new();
    if let Some(h) = meta.get("headers").and_then(|h| h.as_object()) {
        for (k, v) in h {
            match v {
                serde_json::Value::String(s) => headers.push((k.clone(), s.clone())),
                serde_json::Value::Array(a) => {
                    headers.extend(a.iter().filter_map(|x| x.as_str()).map(|s| (k.clone(), s.to_owned())));
                }
                _ => {}
            }
        }
    }
    Ok(Some(HttpExchange { url: url.to_owned(), headers, body }))
}

/// [`read_capture_dir`] over files given by content (the scanner page's folder): `(relative
/// path, bytes)`, `/`-separated (a browser's `webkitRelativePath`, or bare names). The folder is
/// the shallowest one among the paths; its `responses/` subfolder is used when present; the
/// same pairing, order and bounds as on disk. `label` names the folder in messages.
pub fn capture_from_files(files: &[(String, Vec<u8>)], label: &str) -> Result<Vec<HttpExchange>, Error> {
    let parent = |p: &str| p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_owned());
    let top = files.iter().map(|(p, _)| parent(p)).min_by_key(|d| (d.matches('/').count(), d.clone())).unwrap_or_default();
    let responses = if top.is_empty() { "responses".to_owned() } else { format!("{top}/responses") };
    let dir = if files.iter().any(|(p, _)| parent(p) == responses) { responses } else { top };
    let find = |path: &str| files.iter().find(|(p, _)| p == path).map(|(_, b)| b);
    let mut names: Vec<&(String, Vec<u8>)> = Vec::new();
    for f in files {
        let Some(stem) = f.0.strip_suffix(".json") else { continue };
        if parent(&f.0) == dir && find(&format!("{stem}.body")).is_some() {
            names.push(f);
            if names.len() > MAX_CAPTURE_FILES {
                return Err(Error::Input { code: "input.too_large", message: format!("{label} has more than {MAX_CAPTURE_FILES} captured responses") });
            }
        }
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    let mut total: usize = 0;
    for (name, text) in names {
        let too_large = |n: &str, max: usize| Error::Input { code: "input.too_large", message: format!("{n} is larger than {max} bytes") };
        if text.len() > MAX_CAPTURE_META_LEN {
            return Err(too_large(name, MAX_CAPTURE_META_LEN));
        }
        let body_name = format!("{}.body", name.strip_suffix(".json").unwrap_or(name));
        let body = || match find(&body_name) {
            Some(b) if b.len() > MAX_BODY_LEN => Err(too_large(&body_name, MAX_BODY_LEN)),
            Some(b) => Ok(b.clone()),
            None => Err(read_error(format!("cannot read {body_name}"))),
        };
        if let Some(x) = capture_exchange(name, text, body, &mut total, label)? {
            out.push(x);
        }
    }
    Ok(out)
}

/// A bundle directory given by content (the scanner page's folder): `(relative path, bytes)`,
/// `/`-separated; the manifest is the shallowest `bundle.json`, and the body files it names are
/// looked up beside it. The same [`Bundle::from_manifest`] as [`load`] on a directory.
pub fn from_dir_files(files: &[(String, Vec<u8>)]) -> Result<(Bundle, Vec<usize>), Error> {
    let manifest = files
        .iter()
        .filter(|(p, _)| p == MANIFEST_NAME || p.ends_with(&format!("/{MANIFEST_NAME}")))
        .min_by_key(|(p, _)| p.matches('/').count())
        .ok_or_else(|| bundle_error(format!("the folder has no {MANIFEST_NAME}")))?;
    let base = manifest.0.strip_suffix(MANIFEST_NAME).unwrap_or_default();
    Bundle::from_manifest(&manifest.1, |name| {
        let path = format!("{base}{name}");
        let body = files.iter().find(|(p, _)| *p == path).map(|(_, b)| b).ok_or_else(|| bundle_error(format!("cannot read {path}: not in the folder")))?;
        if body.len() > MAX_BODY_LEN {
            return Err(bundle_error(format!("{path} is larger than {MAX_BODY_LEN} bytes")));
        }
        Ok(body.clone())
    })
}

// ---------------------------------------------------------------------------------------------
// Re-verification.

/// A RIM service answer `{"id", "rim": base64(XML)}` → `(id, XML)`.
pub fn rim_from_service_json(body: &[u8]) -> Result<(String, Vec<u8>), String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("RIM answer is not JSON: {e}"))?;
    let id = v.get("id").and_then(|x| x.as_str()).ok_or("RIM answer has no id")?;
    let xml = v
        .get("rim")
        .and_then(|x| x.as_str())
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .ok_or("RIM answer has no base64 rim")?;
    Ok((id.to_owned(), xml))
}

/// Why `c` cannot be used at `at`: an item (TCB Info, QE Identity, CRL) issued after `at` or
/// past its next update. Such collateral is unavailable for that time, not evidence against the
/// quote: it leaves the appraisal indeterminate.
pub fn outside_window(c: &Collateral, at: Timestamp) -> Option<String> {
    c.provenance().into_iter().find_map(|u| {
        let parse = |s: &Option<String>| s.as_deref().and_then(|t| Timestamp::parse_rfc3339(t).ok());
        let (issued, next) = (parse(&u.issued), parse(&u.next_update));
        let early = issued.is_some_and(|i| at < i);
        let late = next.is_some_and(|n| at > n);
        (early || late).then(|| {
            format!(
                "{} is not valid at {at} (issued {}, next update {})",
                u.kind,
                u.issued.as_deref().unwrap_or("?"),
                u.next_update.as_deref().unwrap_or("?")
            )
        })
    })
}

/// The DCAP collateral in `exchanges` for every FMSPC the report's quotes need and that is valid
/// at `at`, plus, for each FMSPC that has none, why.
pub fn collaterals_from_pcs(
    report: &crate::provider::ProviderReport,
    exchanges: &[HttpExchange],
    at: Timestamp,
) -> (Vec<Collateral>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    let mut seen = Vec::new();
    for layer in &report.layers {
        let Ok(hint) = Quote::parse(&layer.quote).and_then(|q| q.pck_hint()) else {
            continue;
        };
        if seen.contains(&hint.fmspc) {
            continue;
        }
        seen.push(hint.fmspc);
        let fmspc = crate::bytes::to_hex(hint.fmspc);
        match PcsResponses::from_exchanges(exchanges, &hint.fmspc, hint.ca).and_then(|p| Collateral::from_pcs(&p)) {
            Ok(c) => match outside_window(&c, at) {
                None => out.push(c),
                Some(why) => missing.push((fmspc, format!("collateral for FMSPC {}: {why}", crate::bytes::to_hex(hint.fmspc)))),
            },
            Err(CollateralError::Missing { item }) => missing.push((fmspc, format!("no {item} for FMSPC {} ({} CA)", crate::bytes::to_hex(hint.fmspc), hint.ca))),
            Err(e) => missing.push((fmspc, format!("collateral for FMSPC {} is malformed: {e}", crate::bytes::to_hex(hint.fmspc)))),
        }
    }
    (out, missing)
}

/// GPU collateral from RIM, OCSP, NRAS and JWKS exchanges. Unreadable RIM answers are returned
/// as warnings.
pub fn gpu_collateral_from(exchanges: &[Exchange]) -> (GpuCollateral, Vec<String>) {
    let mut coll = GpuCollateral::default();
    let mut warnings = Vec::new();
    let mut nras = None;
    let mut jwks = None;
    for x in exchanges {
        match x.role {
            Role::NvidiaRim => match rim_from_service_json(&x.body) {
                Ok(r) => coll.rims.push(r),
                Err(e) => warnings.push(format!("{}: {e}", x.url)),
            },
            Role::NvidiaOcsp => coll.ocsp.push(x.body.clone()),
            Role::NvidiaNras => nras = Some(x.body.clone()),
            Role::NvidiaJwks => jwks = Some(x.body.clone()),
            Role::Attestation | Role::Pcs | Role::Provenance | Role::AmdKds => {}
        }
    }
    if let (Some(body), Some(jwks)) = (nras, jwks) {
        coll.nras = Some(NrasInput { body, jwks });
    }
    (coll, warnings)
}

/// Re-verify `bundle` offline, as of `opts.at` (callers pass the bundle's `scanned_at` for "the
/// same verdict as then"). The caller's nonce is the bundle's; `mismatched` lists exchanges
/// whose body does not match its recorded hash (from [`Bundle::from_manifest`]), which fails
/// `bundle.integrity`.
///
/// The attestation exchange(s) become a [`crate::scan::Evidence`] through the file path's
/// detection (one document, or Chutes' API pair under the bundle's nonce); collateral comes from
/// the exchanges by role. Beyond the scan it checks the channel, gated on the evidence binding
/// the key verifying in the same scan ([`crate::scan::Gate`]):
/// - `endpoint.tls` (TDX provider reports, the Tinfoil SEV-SNP router): the verified binding
///   attests the SPKI SHA-256 of the TLS certificate the response came over; a bundle without a
///   TLS certificate, or a scheme that binds no TLS key, fails it;
/// - `endpoint.e2e` (Chutes' API pair, whose `chutes-e2e` scheme binds an end-to-end key and no
///   TLS key): the instance the client encrypts to has a verified quote binding its key under
///   this nonce; claims `endpoint.channel: "e2e"`, a warning that TLS is not attested.
pub fn scan_bundle(bundle: &Bundle, mismatched: &[usize], opts: &ScanOptions) -> Result<Report, Error> {
    scan_bundle_from(bundle, mismatched, opts, &Origin { source: bundle.url.clone(), notes: Vec::new() })
}

fn scan_bundle_from(bundle: &Bundle, mismatched: &[usize], opts: &ScanOptions, origin: &Origin) -> Result<Report, Error> {
    let mut opts = opts.clone();
    opts.nonce = Some(bundle.nonce);
    let mut checks = Vec::new();
    let mut warnings = Vec::new();
    checks.push(if bundle.exchanges.is_empty() {
        // Nothing was received: there is nothing whose integrity could pass.
        Check::skipped("bundle.integrity", "Every saved body matches its recorded SHA-256", "nothing was recorded: the endpoint answered no request")
    } else if mismatched.is_empty() {
        Check::pass("bundle.integrity", "Every saved body matches its recorded SHA-256").actual(format!("{} bodies", bundle.exchanges.len()))
    } else {
        Check::fail(
            "bundle.integrity",
            "Every saved body matches its recorded SHA-256",
            format!("exchanges {mismatched:?} were changed after the scan"),
        )
    });
    let attestations: Vec<&Exchange> = bundle.exchanges.iter().filter(|x| x.role == Role::Attestation).collect();
    let Some(first) = attestations.first() else {
        checks.push(
            Check::new("endpoint.attestation", "The endpoint answered with an attestation report", Status::Indeterminate)
                .reason(bundle.failures.iter().find(|(w, _)| w == "attestation").map_or_else(|| "no attestation response was recorded".to_owned(), |(_, e)| e.clone())),
        );
        return Ok(unverified(bundle, origin, &opts, format!("evidence bundle ({})", bundle.provider), String::new(), checks, warnings));
    };
    // The same detection as a file's (`Evidence::detect`, `Evidence::detect_pair`): one
    // document, or Chutes' API pair under the bundle's nonce.
    let detected = match attestations.as_slice() {
        [one] => crate::scan::Evidence::detect(&one.body),
        [a, b] => crate::scan::Evidence::detect_pair(&a.body, &b.body, Some(&bundle.nonce))
            .and_then(|e| e.ok_or_else(|| bundle_error("2 attestation exchanges that are not Chutes' API pair"))),
        more => return Err(bundle_error(format!("{} attestation exchanges (one, or Chutes' API pair, expected)", more.len()))),
    };
    let evidence = match detected {
        Ok(e @ (crate::scan::Evidence::Provider(_) | crate::scan::Evidence::Snp(_))) => e,
        Ok(crate::scan::Evidence::Unsupported { reason, .. }) => {
            checks.push(Check::new("provider.evidence.supported", "The report's evidence is of a kind teescan verifies", Status::Indeterminate).reason(reason));
            warnings.push("the evidence was not verified".to_owned());
            return Ok(unverified(bundle, origin, &opts, "provider report (unsupported evidence)".to_owned(), sha256_hex(&first.body), checks, warnings));
        }
        Ok(_) => {
            checks.push(Check::fail("endpoint.attestation", "The endpoint answered with an attestation report", "the response is a bare quote or GPU evidence, not a provider's attestation document"));
            return Ok(unverified(bundle, origin, &opts, format!("evidence bundle ({})", bundle.provider), sha256_hex(&first.body), checks, warnings));
        }
        Err(e) => {
            const TITLE: &str = "The endpoint answered with an attestation report";
            checks.push(match bundle.failures.iter().find(|(w, _)| w == "attestation") {
                // One document of a pair could not be fetched: unreachable, not refuted.
                Some((_, why)) => Check::new("endpoint.attestation", TITLE, Status::Indeterminate)
                    .reason(format!("a request for the attestation failed ({why}), and what was received is not a report alone: {e}")),
                None => Check::fail("endpoint.attestation", TITLE, format!("the response is not a report teescan can verify: {e}")),
            });
            return Ok(unverified(bundle, origin, &opts, format!("evidence bundle ({})", bundle.provider), sha256_hex(&first.body), checks, warnings));
        }
    };
    let (collateral, gates, claims) = match &evidence {
        crate::scan::Evidence::Snp(snp) => {
            let mut coll = crate::scan::Collateral::default();
            for x in bundle.exchanges.iter().filter(|x| x.role == Role::AmdKds) {
                coll.add_snp_file(&x.body).map_err(|e| bundle_error(format!("{}: {e}", x.url)))?;
            }
            coll.provenance = provenance_from(&bundle.exchanges);
            if snp.tinfoil.is_none() {
                // A format that binds no nonce (a bare report, dstack's): the nonce cannot be
                // asked of it (a usage error for a file); the channel check below fails instead.
                opts.nonce = None;
            }
            let (check, gate) = snp_tls_check(snp, bundle.tls_leaf.as_deref());
            checks.push(check);
            (coll, gate.into_iter().collect(), serde_json::Map::new())
        }
        crate::scan::Evidence::Provider(report) => {
            let collateral = provider_collateral(bundle, report, &opts);
            let (check, gates, claims) = match attestations.as_slice() {
                [a, b] if report.layers.iter().all(|l| l.scheme == crate::provider::binding::Scheme::ChutesE2e) => {
                    let (ev, inst) = if crate::provider::chutes::sniff(&a.body) == Some(crate::provider::chutes::Document::Evidence) { (a, b) } else { (b, a) };
                    let (check, gate, claims, warning) = e2e_check(report, &ev.body, &inst.body, &bundle.url);
                    warnings.extend(warning);
                    (check, gate.into_iter().collect(), claims)
                }
                _ => {
                    // The binding is evidence only if the quote carrying it verifies.
                    let gate = report.layers.first().map(|l| crate::scan::Gate {
                        check: "endpoint.tls".to_owned(),
                        needs: vec![format!("{}.tdx.", l.name), format!("{}.binding.report_data", l.name)],
                    });
                    (tls_check(report, bundle.tls_leaf.as_deref()), gate.into_iter().collect(), serde_json::Map::new())
                }
            };
            checks.push(check);
            (collateral, gates, claims)
        }
        _ => return Err(bundle_error("unreachable evidence kind")),
    };
    let mut context = bundle_context(bundle, origin, checks, warnings, false);
    context.gates = gates;
    if let Some(serde_json::Value::Object(endpoint)) = context.claims.get_mut("endpoint") {
        endpoint.extend(claims);
    }
    crate::scan::Scanner::from_options(opts).scan_in(&evidence, &collateral, &context)
}

/// The collateral of a provider report: Intel PCS and NVIDIA exchanges, by role.
fn provider_collateral(bundle: &Bundle, report: &crate::provider::ProviderReport, opts: &ScanOptions) -> crate::scan::Collateral {
    let pcs: Vec<HttpExchange> = bundle
        .exchanges
        .iter()
        .filter(|x| x.role == Role::Pcs)
        .map(|x| HttpExchange { url: x.url.clone(), headers: x.headers.clone(), body: x.body.clone() })
        .collect();
    let (dcap, missing) = collaterals_from_pcs(report, &pcs, opts.at);
    let (gpu, gpu_warnings) = gpu_collateral_from(&bundle.exchanges);
    // Why collateral is missing, said where a layer's `tdx.collateral.available` is decided.
    let why: Vec<String> = missing
        .iter()
        .map(|(_, why)| why.clone())
        .chain(bundle.failures.iter().filter(|(w, _)| w.starts_with("pcs")).map(|(w, e)| format!("{w}: {e}")))
        .collect();
    crate::scan::Collateral {
        dcap,
        dcap_unavailable: if why.is_empty() { None } else { Some(why.join("; ")) },
        gpu,
        signature: None,
        notes: gpu_warnings,
        snp: crate::snp::SnpCollateral::default(),
        provenance: provenance_from(&bundle.exchanges),
    }
}

/// The Sigstore bundles of a bundle's [`Role::Provenance`] exchanges (GitHub attestations
/// answers), each tagged with the digest its URL looked up; verified by the scan like any other.
pub fn provenance_from(exchanges: &[Exchange]) -> Vec<crate::provenance::eval::SuppliedBundle> {
    let mut coll = crate::scan::Collateral::default();
    let saved: Vec<HttpExchange> = exchanges
        .iter()
        .filter(|x| x.role == Role::Provenance)
        .map(|x| HttpExchange { url: x.url.clone(), headers: x.headers.clone(), body: x.body.clone() })
        .collect();
    coll.add_attestation_exchanges(&saved);
    coll.provenance
}

/// The report of a bundle whose evidence could not be verified at all.
fn unverified(bundle: &Bundle, origin: &Origin, opts: &ScanOptions, format: String, sha256: String, checks: Vec<Check>, warnings: Vec<String>) -> Report {
    let input = InputInfo { format, sha256, source: Some(origin.source.clone()) };
    let said = checks.iter().any(|c| c.id == "endpoint.attestation");
    let context = bundle_context(bundle, origin, Vec::new(), Vec::new(), said);
    context.complete(Report::new(opts.at, input, policy_info(opts), checks, serde_json::Value::Null, Vec::new(), warnings))
}

fn policy_info(opts: &ScanOptions) -> PolicyInfo {
    PolicyInfo::of(opts.policy.as_ref())
}

/// What every bundle report carries beside its evidence: the leading checks, the `endpoint`
/// claims, the warnings of the recording and the verdict recorded with it.
fn bundle_context(bundle: &Bundle, origin: &Origin, checks: Vec<Check>, warnings: Vec<String>, attestation_said: bool) -> crate::scan::Context {
    let mut trailing = Vec::new();
    if bundle.nonce_source == NonceSource::Caller {
        trailing.push("the nonce was chosen by the caller, not drawn at random for this scan: freshness is only as good as that choice".to_owned());
    }
    if bundle.test_root {
        trailing.push("the live scan trusted a TEST root instead of the Intel SGX Root CA".to_owned());
    }
    if let Some(ark) = &bundle.amd_test_ark_sha256 {
        trailing.push(format!("the live scan trusted a TEST AMD root (ARK sha256:{ark}) instead of the pinned AMD roots"));
    }
    // An attestation that could not be fetched is said once, by `endpoint.attestation`.
    for (what, error) in bundle.failures.iter().filter(|(w, _)| !(attestation_said && w == "attestation")) {
        trailing.push(format!("could not fetch {what}: {error}"));
    }
    trailing.extend(origin.notes.iter().cloned());
    let mut claims = serde_json::Map::new();
    claims.insert(
        "endpoint".to_owned(),
        json!({
            "url": bundle.url,
            "provider": bundle.provider,
            "model": bundle.model,
            "nonce": crate::bytes::to_hex(bundle.nonce),
            "nonce_source": bundle.nonce_source,
            "scanned_at": bundle.scanned_at,
            "tls_spki_sha256": bundle.tls_leaf.as_deref().and_then(|c| spki_sha256(c).ok()).map(hex::encode),
        }),
    );
    crate::scan::Context {
        checks,
        warnings,
        source: Some(origin.source.clone()),
        format_prefix: Some("evidence bundle: ".to_owned()),
        claims,
        trailing_warnings: trailing,
        recorded_verdict: bundle.verdict.map(|v| (v, bundle.scanned_at)),
        gates: Vec::new(),
    }
}

/// `endpoint.tls`: the outermost layer attests (through a binding that holds on its verified
/// quote) the SPKI of the TLS certificate the report arrived over.
fn tls_check(report: &crate::provider::ProviderReport, leaf: Option<&[u8]>) -> Check {
    const ID: &str = "endpoint.tls";
    const TITLE: &str = "The attested TLS key is the key of the connection the report came over";
    let Some(layer) = report.layers.first() else {
        return Check::fail(ID, TITLE, "the report has no layer");
    };
    let Some(leaf) = leaf else {
        return Check::fail(ID, TITLE, "no TLS certificate was recorded (plain http?): the report is not bound to the connection");
    };
    let seen = match spki_sha256(leaf) {
        Ok(s) => crate::bytes::to_hex(s),
        Err(e) => return Check::fail(ID, TITLE, e),
    };
    if !layer.scheme.binds_tls() {
        return Check::fail(
            ID,
            TITLE,
            format!("the {} layer's binding scheme ({}) does not bind a TLS key: anyone relaying the report could serve it", layer.name, layer.scheme.name()),
        )
        .expected(seen);
    }
    let attested = layer.inputs.tls_fingerprint.as_ref().map(hex::encode).unwrap_or_default();
    let holds = Quote::parse(&layer.quote).is_ok_and(|q| binding::holds(layer.scheme, &layer.inputs, &q.report.report_data) == Ok(true));
    let check = if !holds {
        Check::fail(ID, TITLE, format!("the {} layer's report_data binding does not hold, so its TLS fingerprint is not attested", layer.name))
    } else if attested != seen {
        Check::fail(ID, TITLE, "the server's TLS key is not the attested one (a different server, or a TLS-terminating proxy)")
    } else {
        Check::pass(ID, TITLE)
    };
    check.expected(seen).actual(attested)
}

/// `endpoint.tls` for an SEV-SNP document: its format binds a TLS key (tinfoil-v3), that binding
/// holds on the report's REPORT_DATA, and the key is the SPKI of the connection's leaf. Gated on
/// the report's chain, signature and verified binding (checked by the scan).
fn snp_tls_check(snp: &crate::snp::formats::SnpEvidence, leaf: Option<&[u8]>) -> (Check, Option<crate::scan::Gate>) {
    const ID: &str = "endpoint.tls";
    const TITLE: &str = "The attested TLS key is the key of the connection the report came over";
    let gate = crate::scan::Gate {
        check: ID.to_owned(),
        needs: vec!["snp.chain.".to_owned(), "snp.report.signature".to_owned(), "snp.binding.report_data".to_owned()],
    };
    let Some(inputs) = &snp.tinfoil else {
        return (Check::fail(ID, TITLE, format!("the {} format binds no TLS key (nor this scan's nonce): anyone relaying the report could serve it", snp.format.as_str())), None);
    };
    let Some(leaf) = leaf else {
        return (Check::fail(ID, TITLE, "no TLS certificate was recorded (plain http?): the report is not bound to the connection"), None);
    };
    let seen = match spki_sha256(leaf) {
        Ok(s) => crate::bytes::to_hex(s),
        Err(e) => return (Check::fail(ID, TITLE, e), None),
    };
    let attested = inputs.tls_fingerprint.as_ref().map(hex::encode).unwrap_or_default();
    let holds = match (crate::snp::Report::parse(&snp.report), crate::snp::formats::tinfoil_report_data(inputs)) {
        (Ok(r), Ok(want)) => r.report_data == want,
        _ => false,
    };
    let check = if !holds {
        Check::fail(ID, TITLE, "the report's tinfoil-v3 REPORT_DATA binding does not hold, so its TLS fingerprint is not attested")
    } else if attested != seen {
        Check::fail(ID, TITLE, "the server's TLS key is not the attested one (a different server, or a TLS-terminating proxy)")
    } else {
        Check::pass(ID, TITLE)
    };
    (check.expected(seen).actual(attested), Some(gate))
}

/// `endpoint.e2e` for Chutes' API pair, whose `chutes-e2e` scheme binds an end-to-end encryption
/// key and no TLS key (Chutes terminates TLS outside the attested VMs): the instance the client
/// encrypts to (the first of `/e2e/instances`) has a quote whose binding of its key holds under
/// this scan's nonce, gated on that quote's verification, its binding and nonce checks. Returns
/// the check, its gate, the `endpoint` claims (`channel: "e2e"`, instance, key SHA-256) and the
/// warning that TLS is not attested.
fn e2e_check(
    report: &crate::provider::ProviderReport,
    evidence: &[u8],
    instances: &[u8],
    url: &str,
) -> (Check, Option<crate::scan::Gate>, serde_json::Map<String, serde_json::Value>, Option<String>) {
    const ID: &str = "endpoint.e2e";
    const TITLE: &str = "The end-to-end encryption key the client will use is bound by a verified quote of this scan";
    let mut claims = serde_json::Map::new();
    claims.insert("channel".to_owned(), json!("e2e"));
    let Some(target) = crate::provider::chutes::encryption_target(evidence, instances) else {
        return (Check::fail(ID, TITLE, "/e2e/instances lists no instance to encrypt to"), None, claims, None);
    };
    let key = base64::engine::general_purpose::STANDARD.decode(target.e2e_pubkey.trim());
    let key_sha256 = key.as_deref().map(|k| crate::bytes::to_hex(crate::crypto::sha256(k))).unwrap_or_default();
    claims.insert("e2e".to_owned(), json!({ "instance_id": target.instance_id, "layer": target.layer, "key_sha256": key_sha256 }));
    let warning = format!(
        "TLS to {url} is not attested (Chutes terminates TLS outside the attested VMs): only payloads end-to-end encrypted to instance {}'s e2e key (sha256:{key_sha256}) are protected",
        target.instance_id
    );
    let actual = format!("{} ({}) key sha256:{key_sha256}", target.layer, target.instance_id);
    if key.is_err() {
        return (Check::fail(ID, TITLE, "the e2e_pubkey of the instance to encrypt to is not base64").actual(actual), None, claims, Some(warning));
    }
    let Some(layer) = report.layers.iter().find(|l| l.name == target.layer) else {
        return (Check::fail(ID, TITLE, format!("no layer {} for the instance to encrypt to", target.layer)).actual(actual), None, claims, Some(warning));
    };
    let holds = Quote::parse(&layer.quote).is_ok_and(|q| binding::holds(layer.scheme, &layer.inputs, &q.report.report_data) == Ok(true));
    let bound_key = layer.inputs.e2e_pubkey.as_deref() == Some(target.e2e_pubkey.as_str());
    let check = if layer.quote.is_empty() {
        Check::fail(ID, TITLE, format!("instance {} has no quote: its key is attested by nothing", target.instance_id))
    } else if !bound_key || !holds {
        Check::fail(ID, TITLE, format!("the quote of {} does not bind this key under this scan's nonce", target.layer))
    } else {
        Check::pass(ID, TITLE).reason(format!("encrypt only to instance {} (key sha256:{key_sha256}); TLS to the endpoint is not attested", target.instance_id))
    };
    let l = &layer.name;
    let gate = crate::scan::Gate { check: ID.to_owned(), needs: vec![format!("{l}.tdx."), format!("{l}.binding.report_data"), format!("{l}.nonce")] };
    (check.actual(actual), Some(gate), claims, Some(warning))
}
