//! Provider attestation reports: what confidential-LLM providers return from their attestation
//! endpoints, detected strictly and normalised into *layers* (a gateway, a model node, a Chutes
//! instance, a Tinfoil enclave), each with a TDX quote, optional GPU evidence, an optional event
//! log, and the inputs of its report_data binding. Only the signed quote, GPU reports and
//! replayed event log are evidence; every other JSON field is an input to be bound or ignored.
//!
//! Supported: NEAR AI / dstack model node (flat), NEAR AI cloud gateway (two layers), reseller
//! wrappers of a NEAR report (Venice: its `verified` / `server_verification` are ignored),
//! Chutes (via RedPill), Tinfoil v3 (TDX). Anything else is an error that lists these.

pub mod binding;
pub mod chutes;
pub mod compose_manager;
pub mod eventlog;
pub mod keys;
pub mod ohttp;
pub mod scan;
pub mod signature;

use base64::Engine as _;
use serde_json::Value;

use binding::{Inputs, Scheme, SigningAlgo};
use crate::nvidia::evidence::{parse_evidence_list, EvidenceList};

/// Largest provider report accepted (a NEAR node report with 8 GPUs is ~200 KB).
pub const MAX_REPORT_LEN: usize = 16 * 1024 * 1024;

/// A provider document that cannot be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// Not JSON (or duplicate keys, or too large): refused before its shape is looked at.
    #[error("JSON document: {0}")]
    Json(String),
    /// A recognised format with a missing or malformed field.
    #[error("{format}: {field}: {reason}")]
    Field {
        /// Detected format.
        format: &'static str,
        /// Field path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Not a format this version knows.
    #[error("unrecognised provider report ({0}); supported: NEAR AI / dstack model node, NEAR AI cloud gateway (gateway_attestation + model_attestations), Venice-style reseller wrappers of a NEAR report, Chutes (attestation_type \"chutes\"), Tinfoil v3 (format …/attestation/v3, TDX)")]
    Unknown(String),
    /// A recognised format whose evidence teescan does not verify (e.g. AMD SEV-SNP).
    #[error("{0}")]
    Unsupported(String),
}

/// The detected format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// NEAR AI / dstack model node report.
    NearNode,
    /// NEAR AI cloud gateway: gateway + model attestations.
    NearGateway,
    /// A reseller wrapping a NEAR node report (Venice).
    ResellerWrapper,
    /// Chutes instances (as RedPill returns them).
    Chutes,
    /// Chutes' own API: the `/chutes/{id}/evidence` + `/e2e/instances/{id}` pair ([`chutes`]).
    ChutesApi,
    /// Tinfoil attestation v3.
    TinfoilV3,
}

impl Format {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::NearNode => "near-node",
            Format::NearGateway => "near-gateway",
            Format::ResellerWrapper => "reseller-wrapper",
            Format::Chutes => "chutes",
            Format::ChutesApi => "chutes-api",
            Format::TinfoilV3 => "tinfoil-v3",
        }
    }
}

/// What a layer is, which decides the policy sections that apply to it: a gateway is held
/// against `[gateway.*]` (or `[tdx]` when the policy has no gateway section) and must carry no
/// GPU evidence; every other layer is a workload, held against `[tdx]` and `[gpu]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A front door that forwards to workloads (NEAR AI cloud gateway): no GPUs.
    Gateway,
    /// A machine that runs the model (NEAR node, Chutes instance, Tinfoil enclave).
    Workload,
}

/// A member of the report that the format requires on a layer, and whether it is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredMember {
    /// The member's path in the layer's object (`event_log`, `info.tcb_info.app_compose`).
    pub member: &'static str,
    /// Whether the layer carries it.
    pub present: bool,
}

/// One attested machine in a provider report.
#[derive(Debug, Clone)]
pub struct Layer {
    /// `node`, `gateway`, `model[0]`, `instance[2]`, `enclave`.
    pub name: String,
    /// Gateway or workload: which policy sections apply.
    pub role: Role,
    /// The evidence the format requires on this layer (missing members fail
    /// `<layer>.evidence.missing`); GPU evidence required by a policy is decided at scan time.
    pub required: Vec<RequiredMember>,
    /// Members present that the format forbids on this layer (GPU evidence on a gateway): each
    /// fails `<layer>.evidence.unexpected`.
    pub unexpected: Vec<&'static str>,
    /// The TDX quote bytes.
    pub quote: Vec<u8>,
    /// The binding scheme this layer's format declares.
    pub scheme: Scheme,
    /// The binding inputs the report states.
    pub inputs: Inputs,
    /// GPU evidence, if the layer has GPUs.
    pub gpu: Option<EvidenceList>,
    /// How the GPU reports' nonce relates to the caller's nonce.
    pub gpu_nonce: GpuNonce,
    /// The dstack event log (array or JSON string), if any.
    pub event_log: Option<Value>,
    /// dstack `info` (unsigned hints: compose file, app id …), if any.
    pub info: Option<Value>,
    /// Client-facing keys and attestations stated beside the quote (public keys, OHTTP key
    /// configs, the compose-manager attestation), verified by [`keys`] and [`compose_manager`].
    pub attached: keys::Attached,
}

/// How a layer's GPU reports carry the caller's nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuNonce {
    /// The caller's nonce itself.
    Raw,
    /// Chutes: SHA-256(ASCII(nonce hex ‖ this e2e public key)).
    ChutesDerived(String),
}

/// A parsed provider report.
#[derive(Debug, Clone)]
pub struct ProviderReport {
    /// Detected format.
    pub format: Format,
    /// Why it was detected as that format.
    pub reason: String,
    /// The layers, outermost first.
    pub layers: Vec<Layer>,
    /// Fields present but deliberately ignored (e.g. a reseller's `verified: true`).
    pub ignored: Vec<String>,
    /// The nonce the report says the server used (an unsigned hint, compared with the caller's).
    pub nonce_hint: Option<String>,
}

impl ProviderReport {
    /// A bare TDX quote as a one-layer report (no binding inputs), e.g. to fetch its collateral.
    pub fn single_quote(quote: Vec<u8>) -> ProviderReport {
        ProviderReport {
            format: Format::NearNode,
            reason: "a bare TDX quote".to_owned(),
            layers: vec![Layer {
                name: "quote".to_owned(),
                role: Role::Workload,
                required: Vec::new(),
                unexpected: Vec::new(),
                quote,
                scheme: Scheme::PaddedSigningAddress,
                inputs: Inputs::default(),
                gpu: None,
                gpu_nonce: GpuNonce::Raw,
                event_log: None,
                info: None,
                attached: keys::Attached::default(),
            }],
            ignored: Vec::new(),
            nonce_hint: None,
        }
    }
}

const TINFOIL_V3: &str = "https://tinfoil.sh/predicate/attestation/v3";

fn field_err(format: Format, field: &str, reason: impl Into<String>) -> ProviderError {
    ProviderError::Field { format: format.as_str(), field: field.to_owned(), reason: reason.into() }
}

fn str_field<'a>(v: &'a Value, format: Format, key: &str) -> Result<&'a str, ProviderError> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| field_err(format, key, "missing or not a string"))
}

fn hex_field(v: &Value, format: Format, key: &str) -> Result<Vec<u8>, ProviderError> {
    let s = str_field(v, format, key)?;
    hex::decode(s.trim().trim_start_matches("0x")).map_err(|e| field_err(format, key, format!("not hex: {e}")))
}

/// An optional hex member: absent (or null) is `None`; present but not a hex string is an error,
/// never silently "absent" (which would change the binding scheme the report is held to).
fn opt_hex(v: &Value, format: Format, key: &str) -> Result<Option<Vec<u8>>, ProviderError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => hex::decode(s.trim().trim_start_matches("0x"))
            .map(Some)
            .map_err(|e| field_err(format, key, format!("not hex: {e}"))),
        Some(_) => Err(field_err(format, key, "not a string")),
    }
}

/// Whether `v` has a non-null member at `path` (members separated by `.`); a member that is a
/// JSON string holding an object (dstack's `info`, `tcb_info`) is looked into.
fn has_path(v: &Value, path: &str) -> bool {
    let mut cur = std::borrow::Cow::Borrowed(v);
    for key in path.split('.') {
        let next = match cur.as_ref() {
            Value::String(s) => match crate::json::strict(s.as_bytes()) {
                Ok(inner) => inner.get(key).cloned(),
                Err(_) => None,
            },
            other => other.get(key).cloned(),
        };
        match next {
            None | Some(Value::Null) => return false,
            Some(n) => cur = std::borrow::Cow::Owned(n),
        }
    }
    true
}

fn required(v: &Value, members: &[&'static str]) -> Vec<RequiredMember> {
    members.iter().map(|m| RequiredMember { member: m, present: has_path(v, m) }).collect()
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s.trim()).ok()
}

/// Parse and detect a provider report. Unknown or ambiguous shapes are errors.
pub fn parse(bytes: &[u8]) -> Result<ProviderReport, ProviderError> {
    let mut report = parse_document(bytes)?;
    compose_manager::attach_raw_actions(&mut report, bytes);
    Ok(report)
}

fn parse_document(bytes: &[u8]) -> Result<ProviderReport, ProviderError> {
    if bytes.len() > MAX_REPORT_LEN {
        return Err(ProviderError::Json(format!("{} bytes is more than the {MAX_REPORT_LEN}-byte limit", bytes.len())));
    }
    // Duplicate keys are refused at any depth: serde_json would silently keep the last one, so a
    // second `intel_quote`, `request_nonce` or `report_data` could otherwise change what is bound
    // depending on which parser reads the document.
    let v: Value = crate::json::strict(bytes).map_err(ProviderError::Json)?;
    let Some(obj) = v.as_object() else {
        return Err(ProviderError::Unknown("not a JSON object".to_owned()));
    };
    let has = |k: &str| obj.contains_key(k);
    if has("gateway_attestation") || has("model_attestations") {
        return near_gateway(&v);
    }
    if v.get("attestation_type").and_then(Value::as_str) == Some("chutes") {
        return chutes(&v);
    }
    if let Some(f) = v.get("format").and_then(Value::as_str) {
        if f == TINFOIL_V3 {
            return tinfoil(&v, bytes);
        }
        return Err(ProviderError::Unknown(format!("format {f:?} is not one this version verifies")));
    }
    if let Some(api) = v.get("api_version").and_then(Value::as_str) {
        return Err(ProviderError::Unknown(format!("api_version {api:?} is not one this version verifies")));
    }
    if has("intel_quote") && has("signing_address") {
        let reseller: Vec<String> = ["verified", "server_verification", "tee_provider", "nonce_source", "upstream_model"]
            .iter()
            .filter(|k| has(k))
            .map(|k| (*k).to_owned())
            .collect();
        let mut r = near_node(&v, "node", if reseller.is_empty() { Format::NearNode } else { Format::ResellerWrapper })?;
        if !reseller.is_empty() {
            r.reason = format!("a NEAR node report (intel_quote, signing_address) wrapped by a reseller (fields {reseller:?}, ignored)");
            r.ignored = reseller;
        }
        return Ok(r);
    }
    Err(ProviderError::Unknown("no intel_quote, gateway_attestation, attestation_type or format".to_owned()))
}

fn gpu_from_payload(v: &Value, format: Format, key: &str) -> Result<Option<EvidenceList>, ProviderError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_evidence_list(s.as_bytes()).map(Some).map_err(|e| field_err(format, key, e.to_string())),
        Some(other) => parse_evidence_list(other.to_string().as_bytes()).map(Some).map_err(|e| field_err(format, key, e.to_string())),
    }
}

/// The members a NEAR/dstack layer must carry besides its quote and signing address: the event
/// log (RTMR replay, compose hash, MRCONFIGID) and the compose file it hashes.
const NEAR_REQUIRED: &[&str] = &["event_log", "info", "info.tcb_info", "info.tcb_info.app_compose"];

/// What a NEAR/dstack *workload* layer (node, node[i], model[i]) must carry besides
/// [`NEAR_REQUIRED`]: its GPU evidence. Without it, removing `nvidia_payload` would drop the
/// GPU checks (indeterminate offline: RIM/OCSP) and turn the verdict into PASS when no policy
/// asks for GPUs. A gateway has no GPUs and must carry none (`<layer>.evidence.unexpected`).
const NEAR_WORKLOAD_REQUIRED: &[&str] = &["event_log", "info", "info.tcb_info", "info.tcb_info.app_compose", "nvidia_payload"];

/// One NEAR/dstack node object: a model node (workload) or a gateway attestation (no GPUs).
fn near_layer(v: &Value, name: &str, format: Format, role: Role) -> Result<Layer, ProviderError> {
    let quote = hex_field(v, format, "intel_quote")?;
    let addr_text = str_field(v, format, "signing_address")?;
    let signing_address = hex::decode(addr_text.trim_start_matches("0x")).map_err(|e| field_err(format, "signing_address", e.to_string()))?;
    let signing_algo = match v.get("signing_algo") {
        None | Some(Value::Null) => None,
        Some(Value::String(a)) => Some(SigningAlgo::from_name(a).ok_or_else(|| field_err(format, "signing_algo", format!("{a:?} is not ecdsa or ed25519")))?),
        Some(_) => return Err(field_err(format, "signing_algo", "not a string")),
    };
    let tls = opt_hex(v, format, "tls_cert_fingerprint")?;
    let nonce = opt_hex(v, format, "request_nonce")?;
    let scheme = if tls.is_some() { Scheme::SigningAddressTls } else { Scheme::PaddedSigningAddress };
    let gpu = gpu_from_payload(v, format, "nvidia_payload")?;
    let unexpected = if role == Role::Gateway && gpu.is_some() { vec!["nvidia_payload"] } else { Vec::new() };
    Ok(Layer {
        name: name.to_owned(),
        role,
        required: required(v, if role == Role::Workload { NEAR_WORKLOAD_REQUIRED } else { NEAR_REQUIRED }),
        unexpected,
        quote,
        scheme,
        inputs: Inputs { signing_address: Some(signing_address), signing_algo, tls_fingerprint: tls, nonce, ..Inputs::default() },
        gpu,
        gpu_nonce: GpuNonce::Raw,
        event_log: v.get("event_log").cloned(),
        info: v.get("info").cloned(),
        attached: keys::Attached::from_json(v, ""),
    })
}

fn near_node(v: &Value, name: &str, format: Format) -> Result<ProviderReport, ProviderError> {
    let layer = near_layer(v, name, format, Role::Workload)?;
    let mut layers = vec![layer];
    // A load balancer merges the attestations of every node behind it into `all_attestations`.
    // Each entry is verified as its own layer (any failing node fails the scan), unless every
    // member it has is identical to the same member of the top-level report: then it states
    // nothing the top-level layer does not, and is that node. An entry with the top-level quote
    // but another signing address or TLS fingerprint is verified (and fails its binding), so a
    // client reading keys from `all_attestations` never reads an unverified one.
    if let Some(all) = v.get("all_attestations") {
        let all = all.as_array().ok_or_else(|| field_err(format, "all_attestations", "not an array"))?;
        for (i, a) in all.iter().enumerate() {
            let restates_top_level = a
                .as_object()
                .is_some_and(|o| !o.is_empty() && o.iter().all(|(k, x)| k != "all_attestations" && v.get(k) == Some(x)));
            if restates_top_level {
                continue;
            }
            layers.push(near_layer(a, &format!("node[{i}]"), format, Role::Workload)?);
        }
    }
    Ok(ProviderReport {
        format,
        reason: "NEAR/dstack model node report: intel_quote, signing_address, event_log, info".to_owned(),
        layers,
        ignored: Vec::new(),
        nonce_hint: v.get("request_nonce").and_then(Value::as_str).map(str::to_owned),
    })
}

fn near_gateway(v: &Value) -> Result<ProviderReport, ProviderError> {
    let f = Format::NearGateway;
    let gw = v.get("gateway_attestation").ok_or_else(|| field_err(f, "gateway_attestation", "missing"))?;
    let models = v.get("model_attestations").and_then(Value::as_array).ok_or_else(|| field_err(f, "model_attestations", "missing or not an array"))?;
    if models.is_empty() {
        return Err(field_err(f, "model_attestations", "empty: a gateway report without a model attestation proves nothing about inference"));
    }
    let mut gateway = near_layer(gw, "gateway", f, Role::Gateway)?;
    // The OHTTP key config of a gateway report sits beside `gateway_attestation`.
    gateway.attached.adopt(keys::Attached::from_json(v, "(top level) "));
    let mut layers = vec![gateway];
    for (i, m) in models.iter().enumerate() {
        layers.push(near_layer(m, &format!("model[{i}]"), f, Role::Workload)?);
    }
    Ok(ProviderReport {
        format: f,
        reason: format!("gateway_attestation + {} model_attestations", models.len()),
        layers,
        ignored: Vec::new(),
        nonce_hint: gw.get("request_nonce").and_then(Value::as_str).map(str::to_owned),
    })
}

fn chutes(v: &Value) -> Result<ProviderReport, ProviderError> {
    let f = Format::Chutes;
    let all = v.get("all_attestations").and_then(Value::as_array).ok_or_else(|| field_err(f, "all_attestations", "missing or not an array"))?;
    if all.is_empty() {
        return Err(field_err(f, "all_attestations", "empty"));
    }
    let mut layers = Vec::new();
    for (i, a) in all.iter().enumerate() {
        let q = str_field(a, f, "intel_quote")?;
        let quote = b64(q).ok_or_else(|| field_err(f, &format!("all_attestations[{i}].intel_quote"), "not base64"))?;
        let nonce_text = str_field(a, f, "nonce")?.to_owned();
        let e2e = str_field(a, f, "e2e_pubkey")?.to_owned();
        let gpu = match a.get("gpu_evidence") {
            None | Some(Value::Null) => None,
            Some(g) => Some(parse_evidence_list(g.to_string().as_bytes()).map_err(|e| field_err(f, &format!("all_attestations[{i}].gpu_evidence"), e.to_string()))?),
        };
        layers.push(Layer {
            name: format!("instance[{i}]"),
            role: Role::Workload,
            required: required(a, &["gpu_evidence"]),
            unexpected: Vec::new(),
            quote,
            scheme: Scheme::ChutesE2e,
            inputs: Inputs {
                nonce: hex::decode(&nonce_text).ok(),
                nonce_text: Some(nonce_text),
                e2e_pubkey: Some(e2e.clone()),
                ..Inputs::default()
            },
            gpu,
            gpu_nonce: GpuNonce::ChutesDerived(e2e),
            event_log: None,
            info: None,
            attached: keys::Attached::default(),
        });
    }
    Ok(ProviderReport {
        format: f,
        reason: format!("attestation_type \"chutes\" with {} instances", all.len()),
        layers,
        ignored: Vec::new(),
        nonce_hint: v.get("nonce").and_then(Value::as_str).map(str::to_owned),
    })
}

/// The raw bytes of the top-level `gpu` member, as sent (Tinfoil hashes them into REPORTDATA).
fn raw_member<'a>(bytes: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let top: std::collections::BTreeMap<std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue> = serde_json::from_slice(bytes).ok()?;
    top.get(key).map(|r| r.get().as_bytes())
}

fn tinfoil(v: &Value, bytes: &[u8]) -> Result<ProviderReport, ProviderError> {
    let f = Format::TinfoilV3;
    let cpu = v.get("cpu").ok_or_else(|| field_err(f, "cpu", "missing"))?;
    let platform = str_field(cpu, f, "platform")?;
    if platform != "tdx" {
        return Err(ProviderError::Unsupported(format!(
            "Tinfoil v3 report with cpu.platform {platform:?}: only Intel TDX evidence is verified by this version (AMD SEV-SNP is not supported)"
        )));
    }
    let quote = b64(str_field(cpu, f, "report")?).ok_or_else(|| field_err(f, "cpu.report", "not base64"))?;
    let rd = v.get("report_data").ok_or_else(|| field_err(f, "report_data", "missing"))?;
    let gpu = match v.pointer("/gpu/evidences") {
        None | Some(Value::Null) => None,
        Some(g) => Some(parse_evidence_list(g.to_string().as_bytes()).map_err(|e| field_err(f, "gpu.evidences", e.to_string()))?),
    };
    // `gpu_evidence_hash` restates SHA-256 of the `gpu` member as sent: the binding is computed
    // from the evidence bytes themselves, and the stated value is only cross-checked.
    let stated_gpu_hash = opt_hex(rd, f, "gpu_evidence_hash")?;
    let computed_gpu_hash = match v.get("gpu") {
        None | Some(Value::Null) => None,
        Some(_) => Some(
            raw_member(bytes, "gpu")
                .map(|raw| ring::digest::digest(&ring::digest::SHA256, raw).as_ref().to_vec())
                .ok_or_else(|| field_err(f, "gpu", "raw bytes not found"))?,
        ),
    };
    Ok(ProviderReport {
        format: f,
        reason: format!("format {TINFOIL_V3}, cpu.platform tdx"),
        layers: vec![Layer {
            name: "enclave".to_owned(),
            role: Role::Workload,
            required: required(v, &["gpu", "report_data.gpu_evidence_hash"]),
            unexpected: Vec::new(),
            quote,
            scheme: Scheme::TinfoilV3,
            inputs: Inputs {
                tls_fingerprint: opt_hex(rd, f, "tls_key_fp")?,
                hpke_key: opt_hex(rd, f, "hpke_key")?,
                nonce: opt_hex(rd, f, "nonce")?,
                gpu_evidence_hash: computed_gpu_hash.clone().or_else(|| stated_gpu_hash.clone()),
                stated_gpu_evidence_hash: stated_gpu_hash,
                ..Inputs::default()
            },
            gpu,
            gpu_nonce: GpuNonce::Raw,
            event_log: None,
            info: None,
            attached: keys::Attached::default(),
        }],
        ignored: Vec::new(),
        nonce_hint: rd.get("nonce").and_then(Value::as_str).map(str::to_owned),
    })
}
