//! The scanner page's core: teescan's verification, compiled to wasm32, over the files a person
//! drops into the page. Nothing here does I/O: the page hands over the bytes, the time (the
//! browser's clock, passed in explicitly) and the nonce, and gets back the JSON report, the HTML
//! report (the `--format html` renderer) and the exit code the CLI would give.
//!
//! The scan is the CLI's offline scan (`teescan scan EVIDENCE [flags] --at … --offline
//! --no-cache`) over the same bytes, through the same library code, so the page's JSON equals the
//! CLI's for the same input and time (the browser test proves it). Each input is a CLI flag:
//! - evidence: a provider response, a TDX quote, GPU evidence, a single-file bundle, or a bundle
//!   folder (`bundle::from_dir_files` → `bundle::rescan`, as `teescan scan DIR`); `--cert-chain`
//!   for a raw GPU report, `--gpu-evidence` for a quote's GPUs;
//! - `--collateral`: files (`Collateral::add_collateral_bytes`) and capture folders
//!   (`bundle::capture_from_files` → `Collateral::add_capture_exchanges`), in the order given;
//!   loose `NAME.json` + `NAME.body` files count as one capture folder;
//! - `--rims`, `--ocsp` files; `--nras` with `--jwks`; `--signature` with `--request`/`--response`;
//! - a policy: a file, or one of the policies bundled with teescan.
//!
//! Which input applies to which evidence is the CLI's [`Plan`]: an input the CLI would refuse is
//! the same usage error here. The trust anchors are teescan's compiled-in ones ([`anchors_json`]);
//! nothing a file says can replace them. The page makes no network request: live scans need the
//! CLI (a browser cannot see the TLS key the attestation must bind).
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

use teescan::report::Report;
use std::path::PathBuf;

use teescan::scan::{Collateral, Context, Evidence, Flag, GatherOptions, InputKind, Plan, Scanner};
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

/// Largest evidence file the page accepts (the CLI's bound; a bundle may be larger).
const MAX_FILE: u64 = teescan::scan::files::MAX_FILE;

fn usage(message: impl Into<String>) -> Error {
    Error::Input { code: "input.usage", message: message.into() }
}

/// A file the page was given: (name, bytes). The name is a browser's `webkitRelativePath`
/// (`folder/sub/file`) for a file of a picked or dropped folder, else the file name.
pub type NamedFile = (String, Vec<u8>);

/// One input that may be a file or a folder (its files, by relative path).
#[derive(Debug, Clone)]
pub enum Item {
    /// A single file.
    File(NamedFile),
    /// A folder: its name and its files.
    Folder(String, Vec<NamedFile>),
}

/// What the person gave the page; each field is the CLI flag of the same name.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    /// The evidence: a file (response, quote, GPU evidence, single-file bundle) or a bundle folder.
    pub evidence: Option<Item>,
    /// `--cert-chain`: the PEM chain of a raw GPU report.
    pub cert_chain: Option<NamedFile>,
    /// `--gpu-evidence`: GPU evidence lists verified with a TDX quote as one node.
    pub gpu_evidence: Vec<NamedFile>,
    /// `--collateral`, in the order given: files and capture folders.
    pub collateral: Vec<Item>,
    /// `--rims`: RIM files.
    pub rims: Vec<NamedFile>,
    /// `--ocsp`: OCSP responses.
    pub ocsp: Vec<NamedFile>,
    /// `--nras`: an NRAS response body.
    pub nras: Option<NamedFile>,
    /// `--jwks`: the JWKS that signs it.
    pub jwks: Option<NamedFile>,
    /// `--signature`, `--request`, `--response`: a provider response signature and its bodies.
    pub signature: Option<NamedFile>,
    /// The request body the signature covers.
    pub request: Option<NamedFile>,
    /// The response body the signature covers.
    pub response: Option<NamedFile>,
    /// `--policy`: (file name, text).
    pub policy: Option<NamedFile>,
}

/// The base name of a path given by the browser (`webkitRelativePath` or a file name).
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

fn named(e: Error, name: &str) -> Error {
    match e {
        Error::Input { code, message } => Error::Input { code, message: format!("{name}: {message}") },
        e => e,
    }
}

/// The loose collateral files that pair up as saved exchanges (`NAME.json` beside `NAME.body`,
/// e.g. a capture's `responses/` files picked one by one) become one capture folder, placed
/// where its first file was; every other item stays as given.
fn group_loose(items: &[Item]) -> Vec<Item> {
    let loose: Vec<&NamedFile> = items.iter().filter_map(|i| if let Item::File(f) = i { Some(f) } else { None }).collect();
    let has = |n: String| loose.iter().any(|f| base_name(&f.0) == n);
    let pairs = |f: &NamedFile| {
        let b = base_name(&f.0);
        b.strip_suffix(".json").is_some_and(|s| has(format!("{s}.body"))) || b.strip_suffix(".body").is_some_and(|s| has(format!("{s}.json")))
    };
    let mut out = Vec::new();
    let mut capture: Option<usize> = None;
    for item in items {
        match item {
            Item::File(f) if pairs(f) => {
                let file = (base_name(&f.0).to_owned(), f.1.clone());
                match capture.and_then(|i| out.get_mut(i)) {
                    Some(Item::Folder(_, files)) => files.push(file),
                    _ => {
                        capture = Some(out.len());
                        out.push(Item::Folder("the collateral files".to_owned(), vec![file]));
                    }
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// Add one `--collateral` item, as the CLI's `add_collateral_path` does for a path.
fn add_item(c: &mut Collateral, item: &Item, evidence: &Evidence) -> Result<(), Error> {
    match item {
        Item::File((name, bytes)) => c.add_collateral_bytes(base_name(name), bytes, evidence),
        Item::Folder(label, files) => {
            let exchanges = teescan::bundle::capture_from_files(files, label)?;
            c.add_capture_exchanges(&exchanges, label, evidence)
        }
    }
}

/// The GPU collateral files (`--rims`, `--ocsp`, `--nras` + `--jwks`), as the CLI's `add_gpu_files`.
fn add_gpu_files(c: &mut Collateral, inputs: &Inputs) -> Result<(), Error> {
    for (name, bytes) in &inputs.rims {
        c.add_rim_file(base_name(name), bytes.clone())?;
    }
    for (_, bytes) in &inputs.ocsp {
        c.add_ocsp_file(bytes.clone());
    }
    if let (Some(n), Some(j)) = (&inputs.nras, &inputs.jwks) {
        c.gpu.nras = Some(teescan::nvidia::verify::NrasInput { body: n.1.clone(), jwks: j.1.clone() });
    }
    Ok(())
}

/// The collateral the files give for `evidence`: what the CLI's gathering does for the same
/// flags with `--offline --no-cache` (nothing fetched), through the same library calls.
fn collateral(inputs: &Inputs, evidence: &Evidence) -> Result<Collateral, Error> {
    let items = group_loose(&inputs.collateral);
    let mut c = Collateral::default();
    match evidence {
        Evidence::Quote(_) | Evidence::Node { .. } => {
            // As the CLI: a quote takes every --collateral (DCAP JSON per FMSPC, capture
            // folders, Sigstore bundles); a node's GPU collateral is gathered only once its quote
            // has collateral.
            if items.is_empty() {
                c.dcap_unavailable = Some("no --collateral given and --offline forbids fetching it".to_owned());
            }
            for item in &items {
                add_item(&mut c, item, evidence)?;
            }
            if let (Evidence::Node { .. }, false) = (evidence, c.dcap.is_empty()) {
                add_gpu_files(&mut c, inputs)?;
            }
        }
        Evidence::Gpu { .. } => add_gpu_files(&mut c, inputs)?,
        Evidence::Provider(_) => {
            for item in &items {
                add_item(&mut c, item, evidence)?;
            }
            c.dcap_unavailable = None;
            add_gpu_files(&mut c, inputs)?;
            if let Some((name, bytes)) = &inputs.signature {
                c.add_signature_bytes(base_name(name), bytes, inputs.request.as_ref().map(|r| r.1.clone()), inputs.response.as_ref().map(|r| r.1.clone()))?;
            }
        }
        Evidence::Snp(_) => {
            for item in &items {
                add_item(&mut c, item, evidence)?;
            }
        }
        _ => {}
    }
    Ok(c)
}

/// The CLI flags the inputs stand for, and the gathering options they make (`--offline
/// --no-cache`; paths are the names given): what [`Plan::validate`] judges.
fn flags(inputs: &Inputs, nonce: bool) -> (Vec<Flag>, GatherOptions) {
    let p = |f: &Option<NamedFile>| f.as_ref().map(|f| PathBuf::from(&f.0));
    let g = GatherOptions {
        collateral: inputs.collateral.iter().map(|i| PathBuf::from(match i { Item::File(f) => &f.0, Item::Folder(n, _) => n })).collect(),
        rims: (!inputs.rims.is_empty()).then(|| PathBuf::from("rims")),
        ocsp: (!inputs.ocsp.is_empty()).then(|| PathBuf::from("ocsp")),
        nras: p(&inputs.nras),
        jwks: p(&inputs.jwks),
        signature: p(&inputs.signature),
        request: p(&inputs.request),
        response: p(&inputs.response),
        offline: true,
        no_cache: true,
        ..GatherOptions::default()
    };
    let given = [
        (!inputs.collateral.is_empty(), Flag::Collateral),
        (nonce, Flag::Nonce),
        (!inputs.gpu_evidence.is_empty(), Flag::GpuEvidence),
        (inputs.cert_chain.is_some(), Flag::CertChain),
        (!inputs.rims.is_empty(), Flag::Rims),
        (!inputs.ocsp.is_empty(), Flag::Ocsp),
        (inputs.nras.is_some(), Flag::Nras),
        (inputs.jwks.is_some(), Flag::Jwks),
        (inputs.signature.is_some(), Flag::Signature),
        (inputs.request.is_some(), Flag::Request),
        (inputs.response.is_some(), Flag::Response),
    ];
    (given.iter().filter(|(on, _)| *on).map(|(_, f)| *f).collect(), g)
}

/// Scan `inputs` as of `at` (RFC 3339) with the caller's nonce (64 hex digits, or empty): the
/// CLI's `teescan scan EVIDENCE [flags] --at AT --offline --no-cache`.
pub fn scan(inputs: &Inputs, at: &str, nonce_hex: &str) -> Result<Report, Error> {
    let at = Timestamp::parse_rfc3339(at.trim())?;
    let mut opts = ScanOptions::new(at);
    opts.parallel = false;
    if let Some((name, text)) = &inputs.policy {
        let loaded = teescan::policy::Policy::load(text).map_err(|e| Error::Input { code: "input.policy", message: format!("{name}: {e}") })?;
        opts.policy = Some(loaded.from_file(name.clone()));
    }
    let nonce = nonce_hex.trim();
    if !nonce.is_empty() {
        let bytes = hex::decode(nonce).map_err(|e| Error::Input { code: "input.nonce", message: format!("--nonce is not hex: {e}") })?;
        let arr: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| Error::Input {
            code: "input.nonce",
            message: format!("--nonce must be 32 bytes (64 hex digits), got {}", b.len()),
        })?;
        opts.nonce = Some(arr);
    }
    if (inputs.nras.is_some()) != (inputs.jwks.is_some()) {
        return Err(usage("an NRAS response and the JWKS that signs it go together: give both"));
    }
    if (inputs.request.is_some() || inputs.response.is_some()) && inputs.signature.is_none() {
        return Err(usage("the request and response bodies go with a response signature: give it too"));
    }
    let (given, gather) = flags(inputs, opts.nonce.is_some());
    let (name, bytes) = match &inputs.evidence {
        None => return Err(usage("no evidence: give a provider response, a quote, GPU evidence or a bundle")),
        Some(Item::Folder(name, files)) => {
            Plan::new(InputKind::Bundle, &gather, &opts, false).validate(&given)?;
            let (bundle, mismatched) = teescan::bundle::from_dir_files(files)?;
            return teescan::bundle::rescan(&bundle, &mismatched, opts, name);
        }
        Some(Item::File(f)) => f,
    };
    if bytes.len() > teescan::bundle::MAX_BUNDLE_LEN {
        return Err(Error::Input { code: "input.too_large", message: format!("{name} is larger than {} bytes", teescan::bundle::MAX_BUNDLE_LEN) });
    }
    if teescan::bundle::Bundle::is_bundle(bytes) {
        Plan::new(InputKind::Bundle, &gather, &opts, false).validate(&given)?;
        let (bundle, mismatched) = teescan::bundle::Bundle::from_manifest(bytes, |file| {
            Err(Error::Input { code: "input.bundle", message: format!("a single-file bundle cannot refer to file {file:?}") })
        })?;
        return teescan::bundle::rescan(&bundle, &mismatched, opts, base_name(name));
    }
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE {
        return Err(Error::Input { code: "input.too_large", message: format!("{name} is larger than {MAX_FILE} bytes") });
    }
    // As `Input::read`: a raw GPU report with its --cert-chain, else whatever the bytes are.
    let mut evidence = match (&inputs.cert_chain, Evidence::is_raw_gpu_report(bytes)) {
        (Some((chain_name, pem)), true) => Evidence::raw_gpu_report(bytes, pem).map_err(|e| named(e, base_name(chain_name)))?,
        _ => Evidence::detect(bytes).map_err(|e| named(e, base_name(name)))?,
    };
    Plan::new(InputKind::of_evidence(&evidence, !inputs.gpu_evidence.is_empty()), &gather, &opts, false).validate(&given)?;
    for (gname, gbytes) in &inputs.gpu_evidence {
        let extra = teescan::nvidia::evidence::parse_evidence_list(gbytes).map_err(|e| Error::Input { code: e.code(), message: format!("{}: {e}", base_name(gname)) })?;
        evidence = evidence.with_gpu(extra)?;
    }
    let coll = collateral(inputs, &evidence)?;
    // The file's name is where the evidence came from, as the CLI's path is.
    let context = Context { source: Some(base_name(name).to_owned()), ..Context::default() };
    Scanner::from_options(opts).scan_in(&evidence, &coll, &context)
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
        self.inputs.evidence = Some(Item::File((name, bytes)));
    }
    /// The evidence is a bundle folder named `name`; its files follow ([`Page::add_evidence_file`]).
    pub fn set_evidence_folder(&mut self, name: String) {
        self.inputs.evidence = Some(Item::Folder(name, Vec::new()));
    }
    /// One file of the evidence folder, by relative path.
    pub fn add_evidence_file(&mut self, path: String, bytes: Vec<u8>) {
        if let Some(Item::Folder(_, files)) = &mut self.inputs.evidence {
            files.push((path, bytes));
        }
    }
    /// `--cert-chain`: the PEM chain of a raw GPU report.
    pub fn set_cert_chain(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.cert_chain = Some((name, bytes));
    }
    /// `--gpu-evidence`: one more GPU evidence list.
    pub fn add_gpu_evidence(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.gpu_evidence.push((name, bytes));
    }
    /// One collateral file (a collateral JSON, a Sigstore bundle or GitHub attestations answer,
    /// an AMD VCEK / cert_chain / CRL, or a saved exchange's `.json` or `.body`).
    pub fn add_collateral(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.collateral.push(Item::File((name, bytes)));
    }
    /// A capture folder named `name` as collateral; its files follow ([`Page::add_collateral_folder_file`]).
    pub fn add_collateral_folder(&mut self, name: String) {
        self.inputs.collateral.push(Item::Folder(name, Vec::new()));
    }
    /// One file of the last collateral folder, by relative path.
    pub fn add_collateral_folder_file(&mut self, path: String, bytes: Vec<u8>) {
        if let Some(Item::Folder(_, files)) = self.inputs.collateral.last_mut() {
            files.push((path, bytes));
        }
    }
    /// `--rims`: one RIM file (`<RIM id>.xml` or the RIM service's JSON).
    pub fn add_rim(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.rims.push((name, bytes));
    }
    /// `--ocsp`: one OCSP response (DER or base64).
    pub fn add_ocsp(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.ocsp.push((name, bytes));
    }
    /// The NRAS response body.
    pub fn set_nras(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.nras = Some((name, bytes));
    }
    /// The JWKS signing the NRAS response.
    pub fn set_jwks(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.jwks = Some((name, bytes));
    }
    /// `--signature`: a provider's response signature.
    pub fn set_signature(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.signature = Some((name, bytes));
    }
    /// `--request`: the request body the signature covers.
    pub fn set_request(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.request = Some((name, bytes));
    }
    /// `--response`: the response body the signature covers.
    pub fn set_response(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.response = Some((name, bytes));
    }
    /// A policy file: its name and bytes.
    pub fn set_policy(&mut self, name: String, bytes: Vec<u8>) {
        self.inputs.policy = Some((base_name(&name).to_owned(), bytes));
    }
    /// One of [`BUNDLED_POLICIES`] by file name; false if there is none of that name.
    pub fn use_bundled_policy(&mut self, name: &str) -> bool {
        match BUNDLED_POLICIES.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => {
                self.inputs.policy = Some(((*n).to_owned(), text.as_bytes().to_vec()));
                true
            }
            None => false,
        }
    }
    /// No policy.
    pub fn clear_policy(&mut self) {
        self.inputs.policy = None;
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

/// Whether a folder's files (relative paths, one a line) make a bundle: its top holds the
/// manifest (`bundle.json`), as `teescan scan DIR` tells a bundle directory.
#[wasm_bindgen]
pub fn is_bundle_folder(paths: &str) -> bool {
    paths.lines().any(|p| p == teescan::bundle::MANIFEST_NAME || p.split_once('/').is_some_and(|(_, rest)| rest == teescan::bundle::MANIFEST_NAME))
}
