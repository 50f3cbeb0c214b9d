//! The scanner page's core: teescan's verification, compiled to wasm32, over the files a person
//! drops into the page. Nothing here does I/O: the page hands over the bytes, the time (the
//! browser's clock, passed in explicitly) and the nonce, and gets back the JSON report, the HTML
//! report (the `--format html` renderer) and the exit code the CLI would give.
//!
//! The scan is the CLI's offline scan (`teescan scan FILE --collateral … --nras … --jwks …
//! --nonce … --at … --policy … --offline --no-cache`) over the same bytes, so the page's JSON
//! equals the CLI's for the same input and time (the browser test proves it):
//! - evidence: a provider response, a bare TDX quote, GPU evidence, or a single-file bundle;
//! - collateral: saved HTTP exchanges (`NAME.json` + `NAME.body`, a teep capture's `responses/`)
//!   and/or dcap-qvl `QuoteCollateralV3` JSON files;
//! - an NRAS response with the JWKS that signs it;
//! - a policy: a file, or one of the policies bundled with teescan.
//!
//! The trust anchors are teescan's compiled-in ones ([`anchors_json`]); nothing a file says can
//! replace them. The page makes no network request: live scans need the CLI (a browser cannot
//! see the TLS key the attestation must bind).
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

use teescan::report::Report;
use teescan::scan::{Collateral, Context, Evidence, Scanner};
use teescan::tdx::collateral::HttpExchange;
use teescan::time::Timestamp;
use teescan::{Error, ScanOptions};
use wasm_bindgen::prelude::*;

/// The policies shipped with teescan, selectable in the page: (file name, text).
pub const BUNDLED_POLICIES: &[(&str, &str)] = &[
    ("nearai.toml", include_str!("../../policies/nearai.toml")),
    ("nearai-cloud.toml", include_str!("../../policies/nearai-cloud.toml")),
    ("nearai-gateway.toml", include_str!("../../policies/nearai-gateway.toml")),
    ("nearai-gpu.toml", include_str!("../../policies/nearai-gpu.toml")),
    ("phala-redpill.toml", include_str!("../../policies/phala-redpill.toml")),
    ("tdx-baseline.toml", include_str!("../../policies/tdx-baseline.toml")),
    ("tinfoil.toml", include_str!("../../policies/tinfoil.toml")),
];

/// Largest file the page accepts (the CLI's bound for one response body).
const MAX_FILE: usize = teescan::bundle::MAX_BODY_LEN;

fn usage(message: impl Into<String>) -> Error {
    Error::Input { code: "input.usage", message: message.into() }
}

/// A file the page was given: (name, bytes).
pub type NamedFile = (String, Vec<u8>);

/// What the person gave the page.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    /// The evidence file: (name, bytes).
    pub evidence: Option<NamedFile>,
    /// Collateral files: (name, bytes).
    pub collateral: Vec<NamedFile>,
    /// An NRAS response body.
    pub nras: Option<Vec<u8>>,
    /// The JWKS that signs it.
    pub jwks: Option<Vec<u8>>,
    /// The policy text.
    pub policy: Option<Vec<u8>>,
    /// The bundled policy's file name, when the policy is one of [`BUNDLED_POLICIES`].
    pub policy_name: Option<String>,
}

/// The base name of a path given by the browser (`webkitRelativePath` or a file name).
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// The saved HTTP exchanges among `files` (`NAME.json` with a `url`, beside `NAME.body`), in
/// file-name order, as `teescan::bundle::read_capture_dir` reads a capture directory; and the
/// other JSON files (dcap-qvl collateral candidates).
fn exchanges(files: &[NamedFile]) -> Result<(Vec<HttpExchange>, Vec<&NamedFile>), Error> {
    let mut metas: Vec<&NamedFile> = Vec::new();
    let mut others = Vec::new();
    for f in files {
        let name = base_name(&f.0);
        if name.ends_with(".body") {
            continue;
        }
        let stem = name.strip_suffix(".json");
        let paired = stem.is_some_and(|s| files.iter().any(|g| base_name(&g.0) == format!("{s}.body")));
        if paired {
            metas.push(f);
        } else {
            others.push(f);
        }
    }
    metas.sort_by(|a, b| base_name(&a.0).cmp(base_name(&b.0)));
    let mut out = Vec::new();
    let mut total: usize = 0;
    for (name, text) in metas {
        let meta: serde_json::Value =
            serde_json::from_slice(text).map_err(|e| Error::Input { code: "input.capture", message: format!("{name}: {e}") })?;
        let Some(url) = meta.get("url").and_then(|u| u.as_str()) else { continue };
        let stem = base_name(name).strip_suffix(".json").unwrap_or_default();
        let body = files.iter().find(|g| base_name(&g.0) == format!("{stem}.body")).map(|g| g.1.clone()).unwrap_or_default();
        total = total.checked_add(body.len()).filter(|t| *t <= teescan::bundle::MAX_BODIES_TOTAL).ok_or_else(|| Error::Input {
            code: "input.too_large",
            message: "the response bodies together are too large".to_owned(),
        })?;
        let mut headers = Vec::new();
        if let Some(h) = meta.get("headers").and_then(|h| h.as_object()) {
            for (k, v) in h {
                match v {
                    serde_json::Value::String(s) => headers.push((k.clone(), s.clone())),
                    serde_json::Value::Array(a) => headers.extend(a.iter().filter_map(|x| x.as_str()).map(|s| (k.clone(), s.to_owned()))),
                    _ => {}
                }
            }
        }
        out.push(HttpExchange { url: url.to_owned(), headers, body });
    }
    Ok((out, others))
}

/// The collateral the files give for `evidence`, as the CLI's offline gathering builds it.
fn collateral(inputs: &Inputs, evidence: &Evidence) -> Result<Collateral, Error> {
    let mut c = Collateral::default();
    let (exchanges, others) = exchanges(&inputs.collateral)?;
    for (name, bytes) in others {
        let is_dcap = serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.get("tcb_info").is_some());
        if is_dcap {
            c.add_dcap_json(bytes).map_err(|e| Error::Input { code: e.code(), message: format!("{name}: {e}") })?;
        }
    }
    if !exchanges.is_empty() {
        c.add_pcs_exchanges(&exchanges, evidence)?;
        if let Some(why) = c.dcap_unavailable.take() {
            c.dcap_unavailable = Some(format!("the collateral files have {why}"));
        }
    }
    match evidence {
        Evidence::Provider(_) => c.dcap_unavailable = None,
        Evidence::Quote(_) | Evidence::Node { .. } if c.dcap.is_empty() && c.dcap_unavailable.is_none() => {
            c.dcap_unavailable = Some("no collateral given (the page fetches nothing: add the Intel PCS responses or a collateral JSON)".to_owned());
        }
        _ => {}
    }
    // As the CLI: a node's GPU collateral is gathered only once its quote has collateral.
    let gpu_wanted = !matches!(evidence, Evidence::Quote(_) | Evidence::Node { .. }) || !c.dcap.is_empty();
    match (&inputs.nras, &inputs.jwks) {
        (Some(body), Some(jwks)) if gpu_wanted => c.gpu.nras = Some(teescan::nvidia::verify::NrasInput { body: body.clone(), jwks: jwks.clone() }),
        (Some(_), Some(_)) | (None, None) => {}
        _ => return Err(usage("an NRAS response and the JWKS that signs it go together: give both")),
    }
    Ok(c)
}

/// Scan `inputs` as of `at` (RFC 3339) with the caller's nonce (64 hex digits, or empty).
pub fn scan(inputs: &Inputs, at: &str, nonce_hex: &str) -> Result<Report, Error> {
    let at = Timestamp::parse_rfc3339(at.trim())?;
    let mut opts = ScanOptions::new(at);
    opts.parallel = false;
    if let Some(text) = &inputs.policy {
        let loaded = teescan::policy::Policy::load(text).map_err(|e| Error::Input { code: "input.policy", message: format!("policy: {e}") })?;
        opts.policy = Some(match &inputs.policy_name {
            Some(name) => loaded.from_file(name.clone()),
            None => loaded,
        });
    }
    let nonce = nonce_hex.trim();
    if !nonce.is_empty() {
        let bytes = hex::decode(nonce).map_err(|e| Error::Input { code: "input.nonce", message: format!("the nonce is not hex: {e}") })?;
        let arr: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| Error::Input {
            code: "input.nonce",
            message: format!("the nonce must be 32 bytes (64 hex digits), got {}", b.len()),
        })?;
        opts.nonce = Some(arr);
    }
    let Some((name, bytes)) = &inputs.evidence else { return Err(usage("no evidence: give a provider response, a quote, GPU evidence or a bundle")) };
    if bytes.len() > MAX_FILE {
        return Err(Error::Input { code: "input.too_large", message: format!("{name} is larger than {MAX_FILE} bytes") });
    }
    if teescan::bundle::Bundle::is_bundle(bytes) {
        return scan_bundle(name, bytes, opts);
    }
    let evidence = Evidence::detect(bytes).map_err(|e| match e {
        Error::Input { code, message } => Error::Input { code, message: format!("{}: {message}", base_name(name)) },
        e => e,
    })?;
    let coll = collateral(inputs, &evidence)?;
    // The file's name is where the evidence came from, as the CLI's path is.
    let context = Context { source: Some(base_name(name).to_owned()), ..Context::default() };
    Scanner::from_options(opts).scan_in(&evidence, &coll, &context)
}

/// A single-file bundle, re-verified as `teescan scan BUNDLE --at …` does (the caller's time;
/// the policy recorded in it when none is given, with a note).
fn scan_bundle(name: &str, bytes: &[u8], opts: ScanOptions) -> Result<Report, Error> {
    let (bundle, mismatched) = teescan::bundle::Bundle::from_manifest(bytes, |file| {
        Err(Error::Input { code: "input.bundle", message: format!("a single-file bundle cannot refer to file {file:?}") })
    })?;
    teescan::bundle::rescan(&bundle, &mismatched, opts, base_name(name))
}

/// The compiled-in trust anchors, as JSON: `[{"name", "sha256"}]`.
pub fn anchors_json() -> String {
    serde_json::json!([
        { "name": "Intel SGX Root CA", "sha256": teescan::pki::INTEL_SGX_ROOT_CA_SHA256 },
        { "name": "NVIDIA Device Identity CA", "sha256": teescan::pki::NVIDIA_DEVICE_IDENTITY_CA_SHA256 },
        { "name": "NVIDIA CoRIM signing Root CA", "sha256": teescan::pki::NVIDIA_CORIM_ROOT_CA_SHA256 },
        { "name": "NVIDIA NRAS signing intermediate (SPKI)", "sha256": teescan::pki::nras::NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256 },
    ])
    .to_string()
}

// ---- The JavaScript interface --------------------------------------------------------------

/// The page's inputs, filled file by file from JavaScript.
#[wasm_bindgen]
#[derive(Default)]
pub struct Page {
    inputs: Inputs,
}

/// One scan's outcome: the exit code the CLI would give, the JSON and HTML reports.
#[wasm_bindgen]
pub struct Outcome {
    exit_code: i32,
    json: String,
    html: String,
}

#[wasm_bindgen]
impl Outcome {
    /// 0 pass, 1 fail, 3 indeterminate.
    #[wasm_bindgen(getter)]
    pub fn exit_code(&self) -> i32 {
        self.exit_code
    }
    /// The JSON report (as `--format json`).
    #[wasm_bindgen(getter)]
    pub fn json(&self) -> String {
        self.json.clone()
    }
    /// The HTML report (as `--format html`).
    #[wasm_bindgen(getter)]
    pub fn html(&self) -> String {
        self.html.clone()
    }
}

#[wasm_bindgen]
impl Page {
    /// An empty page.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Page {
        Page::default()
    }
    /// Forget every file.
    pub fn clear(&mut self) {
        self.inputs = Inputs::default();
    }
    /// The evidence file.
    pub fn set_evidence(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.evidence = Some((name, bytes));
    }
    /// One collateral file (a saved exchange's `.json` or `.body`, or a collateral JSON).
    pub fn add_collateral(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.collateral.push((name, bytes));
    }
    /// The NRAS response body.
    pub fn set_nras(&mut self, bytes: Vec<u8>) {
        self.inputs.nras = Some(bytes);
    }
    /// The JWKS signing the NRAS response.
    pub fn set_jwks(&mut self, bytes: Vec<u8>) {
        self.inputs.jwks = Some(bytes);
    }
    /// A policy file's bytes.
    pub fn set_policy(&mut self, bytes: Vec<u8>) {
        self.inputs.policy = Some(bytes);
        self.inputs.policy_name = None;
    }
    /// One of [`BUNDLED_POLICIES`] by file name; false if there is none of that name.
    pub fn use_bundled_policy(&mut self, name: &str) -> bool {
        match BUNDLED_POLICIES.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => {
                self.inputs.policy = Some(text.as_bytes().to_vec());
                self.inputs.policy_name = Some(name.to_owned());
                true
            }
            None => false,
        }
    }
    /// No policy.
    pub fn clear_policy(&mut self) {
        self.inputs.policy = None;
        self.inputs.policy_name = None;
    }
    /// Scan as of `at` (RFC 3339) with `nonce_hex`. A bad input is an error (`error[code]: …`),
    /// as the CLI's exit code 2.
    pub fn scan(&self, at: &str, nonce_hex: &str) -> Result<Outcome, JsError> {
        let report = scan(&self.inputs, at, nonce_hex).map_err(|e| JsError::new(&format!("error[{}]: {e}", e.code())))?;
        Ok(Outcome {
            exit_code: report.verdict.exit_code(),
            json: teescan::report::json::render(&report),
            html: teescan::report::html::render(&report),
        })
    }
}

/// The bundled policies as JSON: `[{"name", "id", "sha256"}]`.
#[wasm_bindgen]
pub fn bundled_policies() -> String {
    let list: Vec<serde_json::Value> = BUNDLED_POLICIES
        .iter()
        .filter_map(|(name, text)| {
            let p = teescan::policy::Policy::load(text.as_bytes()).ok()?;
            Some(serde_json::json!({ "name": name, "id": p.policy.id, "sha256": p.sha256 }))
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// The compiled-in trust anchors as JSON (see [`anchors_json`]).
#[wasm_bindgen]
pub fn trust_anchors() -> String {
    anchors_json()
}
