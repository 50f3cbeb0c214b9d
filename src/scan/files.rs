//! Where a scan's collateral comes from, lowered once from the caller's arguments
//! ([`GatherOptions`]), and the part of gathering it that only reads files: `--collateral`
//! documents and capture directories, `--rims` and `--ocsp` directories, an NRAS result with its
//! JWKS, a response signature with the bodies it covers. What is fetched (the cache, Intel PCS,
//! NVIDIA's services) is `fetch::gather`, behind the `fetch` feature.
//!
//! Every file is read bounded ([`read_bounded`]); a directory holds at most [`MAX_DIR_FILES`]
//! files.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::{input_error, Collateral, Evidence};
use crate::nvidia::verify::NrasInput;
use crate::policy::LoadedPolicy;
use crate::Error;

/// Largest file read for a scan (evidence, collateral, roots, keys); larger files are refused.
pub const MAX_FILE: u64 = 4 * 1024 * 1024;

/// Most files read from one `--rims` or `--ocsp` directory.
pub const MAX_DIR_FILES: usize = 4096;

/// Where the collateral of a scan comes from: files, a cache, the network. Plain data, built once
/// from the command line (or by an embedder); the fetching half is `fetch::gather::gather`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatherOptions {
    /// DCAP collateral: dcap-qvl `QuoteCollateralV3` JSON files or capture directories.
    pub collateral: Vec<PathBuf>,
    /// Directory of NVIDIA RIMs (`<id>.xml`, or the RIM service's JSON).
    pub rims: Option<PathBuf>,
    /// Directory of OCSP responses.
    pub ocsp: Option<PathBuf>,
    /// An NRAS response body (detached EAT).
    pub nras: Option<PathBuf>,
    /// The JWKS that signs `nras`.
    pub jwks: Option<PathBuf>,
    /// A provider response signature (`/v1/signature/{chat_id}` JSON).
    pub signature: Option<PathBuf>,
    /// The request body the signature covers.
    pub request: Option<PathBuf>,
    /// The response body the signature covers.
    pub response: Option<PathBuf>,
    /// Never use the network (the cache still answers, unless `no_cache`).
    pub offline: bool,
    /// The collateral cache directory named by the caller (else the default one).
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the collateral cache.
    pub no_cache: bool,
    /// Fetch DCAP collateral from this PCCS instead of Intel PCS.
    pub pccs: Option<String>,
    /// NVIDIA RIM service base URL.
    pub nvidia_rim_url: Option<String>,
    /// NVIDIA OCSP responder URL.
    pub nvidia_ocsp_url: Option<String>,
    /// NRAS base URL.
    pub nras_url: Option<String>,
    /// AMD KDS base URL (SEV-SNP VCEK and cert_chain; default AMD's).
    pub kds_url: Option<String>,
    /// Seconds allowed for each network request.
    pub timeout: Option<u64>,
    /// Retries of a request that failed transiently.
    pub retries: Option<u32>,
    /// GitHub API base URL for `[provenance]` releases and attestations (also serving release
    /// downloads, as Tinfoil's proxy does); default api.github.com and github.com.
    pub github_url: Option<String>,
}

/// The default cache directory: `$XDG_CACHE_HOME/teescan`, else `$HOME/.cache/teescan`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("teescan"))
}

impl GatherOptions {
    /// The collateral cache directory in use and whether the caller named it; `None` with
    /// `no_cache` or when there is no default directory.
    pub fn cache_location(&self) -> Option<(PathBuf, bool)> {
        if self.no_cache {
            return None;
        }
        match &self.cache_dir {
            Some(d) => Some((d.clone(), true)),
            None => default_cache_dir().map(|d| (d, false)),
        }
    }

    /// `--rims` or `--ocsp`: the GPU collateral comes from files; nothing is fetched from NVIDIA.
    pub fn gpu_files(&self) -> bool {
        self.rims.is_some() || self.ocsp.is_some()
    }
}

/// Whether `policy` requires an NRAS result (`[gpu] nras = "required"`).
pub fn nras_required(policy: Option<&LoadedPolicy>) -> bool {
    policy.and_then(|p| p.policy.gpu.as_ref()).is_some_and(|g| g.nras == crate::policy::Requirement::Required)
}

/// Read at most [`MAX_FILE`] bytes of `path` (or stdin for `-`); a larger file is an input error.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    read_bounded_max(path, usize::try_from(MAX_FILE).unwrap_or(usize::MAX))
}

/// Read at most `max` bytes of `path` (or stdin for `-`); a larger file is an input error.
pub fn read_bounded_max(path: &Path, max: usize) -> Result<Vec<u8>, Error> {
    let max = u64::try_from(max).unwrap_or(u64::MAX);
    let mut buf = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(max.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| input_error("input.read", format!("cannot read stdin: {e}")))?;
    } else {
        let file = std::fs::File::open(path).map_err(|e| input_error("input.read", format!("cannot read {}: {e}", path.display())))?;
        file.take(max.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| input_error("input.read", format!("cannot read {}: {e}", path.display())))?;
    }
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > max {
        return Err(input_error("input.too_large", format!("{} is larger than {max} bytes", path.display())));
    }
    Ok(buf)
}

/// One scan's input, recognised before any flag is judged.
#[derive(Debug)]
pub enum Input {
    /// A live endpoint (`https://…`, or `http://` on loopback).
    Live,
    /// A saved bundle (a directory, or a file that is one).
    Bundle,
    /// Evidence read from a file or stdin.
    Evidence(Evidence),
}

impl Input {
    /// Recognise `path`: a URL is a live endpoint; a directory, or a file that is a bundle, is
    /// a bundle; any other file (at most [`MAX_FILE`] bytes; a bundle may be larger) is
    /// evidence ([`Evidence::detect`]), a raw GPU report with its `cert_chain` (PEM).
    pub fn read(path: &Path, cert_chain: Option<&Path>) -> Result<Input, Error> {
        let text = path.to_string_lossy();
        if text.starts_with("https://") || text.starts_with("http://") {
            return Ok(Input::Live);
        }
        if path.is_dir() {
            return Ok(Input::Bundle);
        }
        let input = read_bounded_max(path, crate::bundle::MAX_BUNDLE_LEN)?;
        if crate::bundle::Bundle::is_bundle(&input) {
            return Ok(Input::Bundle);
        }
        if u64::try_from(input.len()).unwrap_or(u64::MAX) > MAX_FILE {
            return Err(input_error("input.too_large", format!("{} is larger than {MAX_FILE} bytes", path.display())));
        }
        if let (true, Some(chain)) = (Evidence::is_raw_gpu_report(&input), cert_chain) {
            let pem = read_bounded(chain)?;
            return Evidence::raw_gpu_report(&input, &pem)
                .map(Input::Evidence)
                .map_err(|e| input_error(e.code(), format!("{}: {e}", chain.display())));
        }
        Evidence::detect(&input).map(Input::Evidence)
    }
}

impl Input {
    /// Two files that are Chutes' API pair ([`Evidence::detect_pair`]) as one input; `Ok(None)`
    /// for anything else (then they are a batch).
    pub fn read_pair(paths: &[PathBuf], nonce: Option<&[u8; 32]>) -> Result<Option<Input>, Error> {
        let [a, b] = paths else { return Ok(None) };
        if !a.is_file() || !b.is_file() {
            return Ok(None);
        }
        let (a, b) = (read_bounded(a)?, read_bounded(b)?);
        Ok(Evidence::detect_pair(&a, &b, nonce)?.map(Input::Evidence))
    }

    /// Whether `paths` are Chutes' API pair (one scan, not a batch of two).
    pub fn is_pair(paths: &[PathBuf]) -> bool {
        use crate::provider::chutes::sniff;
        let [a, b] = paths else { return false };
        let doc = |p: &PathBuf| if p.is_file() { read_bounded(p).ok().and_then(|x| sniff(&x)) } else { None };
        matches!((doc(a), doc(b)), (Some(x), Some(y)) if x != y)
    }
}

/// The regular files of `dir`, sorted; more than [`MAX_DIR_FILES`] is an input error.
pub fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| input_error("input.read", format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.len() > MAX_DIR_FILES {
        return Err(input_error("input.too_large", format!("{} has more than {MAX_DIR_FILES} files", dir.display())));
    }
    Ok(files)
}

impl Collateral {
    /// Add a `--collateral` path: a capture directory (its DCAP collateral for `evidence`) or a
    /// dcap-qvl `QuoteCollateralV3` JSON file.
    pub fn add_collateral_path(&mut self, path: &Path, evidence: &Evidence) -> Result<(), Error> {
        if path.is_dir() {
            self.add_capture_dir(path, evidence)
        } else {
            self.add_collateral_bytes(&path.display().to_string(), &read_bounded(path)?, evidence)
        }
    }

    /// Add a `--collateral` FILE given by content (`name` labels it): for SEV-SNP evidence a
    /// certificate or CRL, else a Sigstore document or a dcap-qvl `QuoteCollateralV3` JSON. The
    /// CLI's file path and the scanner page both come here.
    pub fn add_collateral_bytes(&mut self, name: &str, bytes: &[u8], evidence: &Evidence) -> Result<(), Error> {
        if self.add_sigstore_document(bytes, name, None) {
            return Ok(());
        }
        if let Evidence::Snp(_) = evidence {
            return self.add_snp_file(bytes).map_err(|e| input_error("input.collateral", format!("{name}: {e}")));
        }
        self.add_dcap_json(bytes)
    }

    /// Add the Sigstore bundles a document holds, if it is one: a bundle, or a GitHub
    /// `attestations` answer (`{"attestations":[{"bundle": …}]}`); `lookup` is the SHA-256 it was
    /// requested under. Returns whether it was one. The bundles are verified by the scan.
    pub fn add_sigstore_document(&mut self, bytes: &[u8], origin: &str, lookup: Option<&str>) -> bool {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else { return false };
        let supplied = |json: &serde_json::Value, i: Option<usize>| crate::provenance::eval::SuppliedBundle {
            origin: i.map_or_else(|| origin.to_owned(), |i| format!("{origin} attestations[{i}]")),
            json: serde_json::to_vec(json).unwrap_or_default(),
            lookup_sha256: lookup.map(str::to_owned),
        };
        if v.get("mediaType").and_then(|m| m.as_str()).is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle")) {
            self.provenance.push(supplied(&v, None));
            return true;
        }
        let Some(list) = v.get("attestations").and_then(|a| a.as_array()) else { return false };
        for (i, a) in list.iter().enumerate() {
            // An entry without a bundle is still supplied (and fails verification).
            self.provenance.push(supplied(a.get("bundle").unwrap_or(&serde_json::Value::Null), Some(i)));
        }
        true
    }

    /// Add the GitHub `…/attestations/sha256:<digest>` answers of a capture directory.
    pub fn add_attestation_exchanges(&mut self, exchanges: &[crate::tdx::collateral::HttpExchange]) {
        for x in exchanges {
            let path = x.url.split(['?', '#']).next().unwrap_or_default();
            let Some((_, digest)) = path.rsplit_once("/attestations/sha256:") else { continue };
            self.add_sigstore_document(&x.body, &x.url, Some(digest));
        }
    }

    /// Add every RIM of `dir`: `<RIM id>.xml`, or the RIM service's JSON (`{"id", "rim": base64}`).
    pub fn add_rims_dir(&mut self, dir: &Path) -> Result<(), Error> {
        for path in dir_files(dir)? {
            self.add_rim_file(&path.display().to_string(), read_bounded(&path)?)?;
        }
        Ok(())
    }

    /// Add one RIM file given by content (`name`: its path or file name; the file stem is the
    /// RIM id of an XML RIM): `--rims` reads each file of its directory through this, the page
    /// each RIM file it is given.
    pub fn add_rim_file(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let stem = Path::new(name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            // The RIM service's JSON: {"id": "...", "rim": base64(XML), ...}
            let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| input_error("input.rim", format!("{name}: {e}")))?;
            let id = v.get("id").and_then(|x| x.as_str()).unwrap_or(&stem).to_owned();
            let xml = v
                .get("rim")
                .and_then(|x| x.as_str())
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .ok_or_else(|| input_error("input.rim", format!("{name}: no base64 `rim`")))?;
            self.gpu.rims.push((id, xml));
        } else {
            self.gpu.rims.push((stem, bytes));
        }
        Ok(())
    }

    /// Add every OCSP response (DER or base64) of `dir`.
    pub fn add_ocsp_dir(&mut self, dir: &Path) -> Result<(), Error> {
        for path in dir_files(dir)? {
            self.add_ocsp_file(read_bounded(&path)?);
        }
        Ok(())
    }

    /// Add one OCSP response (DER or base64) given by content.
    pub fn add_ocsp_file(&mut self, bytes: Vec<u8>) {
        self.gpu.ocsp.push(bytes);
    }

    /// Add an NRAS response body with the JWKS that signs it.
    pub fn add_nras(&mut self, body: &Path, jwks: &Path) -> Result<(), Error> {
        self.gpu.nras = Some(NrasInput { body: read_bounded(body)?, jwks: read_bounded(jwks)? });
        Ok(())
    }

    /// Add the GPU collateral that `opts` names as files: RIMs, OCSP responses, an NRAS result.
    pub fn add_gpu_files(&mut self, opts: &GatherOptions) -> Result<(), Error> {
        if let Some(dir) = &opts.rims {
            self.add_rims_dir(dir)?;
        }
        if let Some(dir) = &opts.ocsp {
            self.add_ocsp_dir(dir)?;
        }
        if let (Some(nras), Some(jwks)) = (&opts.nras, &opts.jwks) {
            self.add_nras(nras, jwks)?;
        }
        Ok(())
    }

    /// Add the response signature `opts` names, with the request and response bodies it covers.
    pub fn add_signature_files(&mut self, opts: &GatherOptions) -> Result<(), Error> {
        let Some(path) = &opts.signature else { return Ok(()) };
        let signature = read_bounded(path)?;
        let request = opts.request.as_deref().map(read_bounded).transpose()?;
        let response = opts.response.as_deref().map(read_bounded).transpose()?;
        self.add_signature_bytes(&path.display().to_string(), &signature, request, response)
    }

    /// Add a provider response signature given by content (`name` labels it), with the request
    /// and response bodies it covers: the CLI's `--signature` files and the page's come here.
    pub fn add_signature_bytes(&mut self, name: &str, signature: &[u8], request: Option<Vec<u8>>, response: Option<Vec<u8>>) -> Result<(), Error> {
        self.signature = Some(crate::provider::scan::SignedResponse {
            payload: crate::provider::signature::parse_signature_payload(signature)
                .map_err(|e| input_error(e.code(), format!("{name}: {e}")))?,
            request,
            response,
        });
        Ok(())
    }
}
