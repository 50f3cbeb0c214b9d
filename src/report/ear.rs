//! IETF RATS EAR (EAT Attestation Result, draft-fv-rats-ear) rendering of a [`Report`], with the
//! AR4SI trustworthiness vector derived from the checks. Unsigned JSON by default, or a compact
//! JWS signed with an ES256 / ES384 PKCS#8 key.
//!
//! Submodules are derived from the report alone, the same way for every evidence format
//! ([`claims`]): one per attested layer and one per GPU / NVSwitch of a layer.
//! - a provider layer (each key of the claims' `layers` map: `node`, `gateway`, `model[0]`,
//!   `instance[2]`, `enclave`, `node[1]`) is a submodule of that name owning the checks whose id
//!   starts with `<layer>.`; a bare TDX quote is the submodule `cpu0` owning the unprefixed
//!   checks;
//! - each GPU is a submodule `<layer>.gpu<i>` (bare GPU evidence: `gpu<i>`) owning the checks
//!   under `<layer>.gpu[<i>].` (GPUs are found in the claims' `gpu.devices` and in check ids);
//! - checks no submodule owns (`policy.expires`, `bundle.integrity`, `endpoint.tls`,
//!   `response.*`, …) are scan-wide: they count in every submodule's status, so no submodule
//!   reads affirming when the scan failed;
//! - without any submodule (nothing verifiable), one submodule `evidence` holds every check.
//!
//! Status (one mapping, `status_name`, for every submodule and the top level): a required
//! check failed → `contraindicated`; a required check skipped or indeterminate → `none`; all
//! passed → `affirming`, or `warning` when a vector entry is a warning. The top-level
//! `ear.status` maps the report's verdict the same way.
//!
//! Vector of a CPU / layer submodule (check ids without the layer prefix):
//! - `hardware`: quote, PCK, QE, collateral and TCB checks (`tdx.quote.*`, `tdx.pck.*`, `tdx.qe.*`,
//!   `tdx.collateral.*`, `tdx.tcb.*`, `tdx.trust_anchor`, `policy.tdx.tcb.*`); a passing but
//!   non-UpToDate TCB is a warning;
//! - `configuration`: TD attributes, debug, service TD, XFAM, MRCONFIGID/MROWNER/…;
//! - `executables`: MRSEAM, MRTD, RTMR pins, event log replay and compose hash (no claim without
//!   them);
//! - `instance-identity`: the REPORTDATA rule, the report_data binding and the nonce.
//!
//! Vector of a GPU submodule: `hardware` from its chain, signature, FWID and OCSP; `executables`
//! from its RIMs and measurements; `instance-identity` from its nonce.
//!
//! Tiers: none 0, affirming 2, warning 32, contraindicated 96.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::{json, Value};

use super::{Check, Report, Status, Verdict};

/// EAR profile identifier.
pub const EAR_PROFILE: &str = "tag:github.com,2023:veraison/ear";

const NONE: i64 = 0;
const AFFIRMING: i64 = 2;
const WARNING: i64 = 32;
const CONTRAINDICATED: i64 = 96;

/// A key that signs EARs.
pub struct EarKey {
    alg: &'static str,
    pair: crate::crypto::EcdsaSigner,
}

/// Why an EAR signing key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("EAR signing key: {0}")]
pub struct EarKeyError(String);

impl EarKey {
    /// Load a PKCS#8 P-256 (ES256) or P-384 (ES384) private key, PEM or DER.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, EarKeyError> {
        let der = match pem::parse(bytes) {
            Ok(p) if p.tag() == "PRIVATE KEY" => p.into_contents(),
            Ok(p) => return Err(EarKeyError(format!("expected a PKCS#8 \"PRIVATE KEY\", found {:?}", p.tag()))),
            Err(_) => bytes.to_vec(),
        };
        use crate::crypto::{Curve, EcdsaSigner};
        if let Some(pair) = EcdsaSigner::from_pkcs8(Curve::P256, &der) {
            return Ok(EarKey { alg: "ES256", pair });
        }
        if let Some(pair) = EcdsaSigner::from_pkcs8(Curve::P384, &der) {
            return Ok(EarKey { alg: "ES384", pair });
        }
        Err(EarKeyError("not a PKCS#8 ECDSA P-256 or P-384 private key".to_owned()))
    }

    /// The JWS algorithm (`ES256` or `ES384`).
    pub fn alg(&self) -> &'static str {
        self.alg
    }

    /// The public key (uncompressed SEC1 point), for verifiers.
    pub fn public_key(&self) -> Vec<u8> {
        self.pair.public_key()
    }
}

fn tier_of(checks: &[&Check]) -> i64 {
    if checks.iter().any(|c| c.required && c.status == Status::Fail) {
        CONTRAINDICATED
    } else if checks.is_empty() || checks.iter().any(|c| c.required && c.status != Status::Pass) {
        NONE
    } else {
        AFFIRMING
    }
}

/// The AR4SI status of a verdict: the one mapping for every submodule and the top level.
fn status_name(verdict: Verdict, warning: bool) -> &'static str {
    match verdict {
        Verdict::Fail => "contraindicated",
        Verdict::Indeterminate => "none",
        Verdict::Pass if warning => "warning",
        Verdict::Pass => "affirming",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A TDX quote and what is bound to it (a provider layer, or a bare quote).
    Cpu,
    /// One GPU or NVSwitch.
    Gpu,
}

/// One submodule: its name, the prefix of the check ids it owns, and the claims it reads.
struct Scope<'a> {
    name: String,
    prefix: String,
    kind: Kind,
    claims: &'a Value,
}

/// GPU indexes under `prefix`: the claims' `gpu.devices` and every `<prefix>gpu[<i>].` check id.
fn gpu_indexes(report: &Report, claims: &Value, prefix: &str) -> BTreeSet<usize> {
    let n = claims.pointer("/gpu/devices").and_then(Value::as_array).map_or(0, Vec::len);
    let mut out: BTreeSet<usize> = (0..n).collect();
    let head = format!("{prefix}gpu[");
    for c in &report.checks {
        let index = c
            .id
            .strip_prefix(&head)
            .and_then(|rest| rest.split_once("]."))
            .and_then(|(i, _)| i.parse::<usize>().ok());
        if let Some(i) = index {
            out.insert(i);
        }
    }
    out
}

/// Every submodule of the report: its layers (from the claims' `layers` map), a bare quote's
/// `cpu0`, and each of their GPUs.
fn scopes(report: &Report) -> Vec<Scope<'_>> {
    let mut out = Vec::new();
    let mut roots: Vec<(String, String, &Value)> = Vec::new();
    if let Some(layers) = report.claims.get("layers").and_then(Value::as_object) {
        for (name, claims) in layers {
            roots.push((name.clone(), format!("{name}."), claims));
        }
    }
    roots.push((String::new(), String::new(), &report.claims));
    for (name, prefix, claims) in roots {
        if !prefix.is_empty() {
            out.push(Scope { name: name.clone(), prefix: prefix.clone(), kind: Kind::Cpu, claims });
        } else if report.claims.get("tdx").is_some() {
            out.push(Scope { name: "cpu0".to_owned(), prefix: String::new(), kind: Kind::Cpu, claims });
        }
        for i in gpu_indexes(report, claims, &prefix) {
            let gpu_name = if name.is_empty() { format!("gpu{i}") } else { format!("{name}.gpu{i}") };
            out.push(Scope { name: gpu_name, prefix: format!("{prefix}gpu[{i}]."), kind: Kind::Gpu, claims });
        }
    }
    out
}

/// The AR4SI vector of a CPU / layer submodule from its checks (ids without the prefix).
fn cpu_vector(report: &Report, scope: &Scope<'_>, owned: &[(&str, &Check)]) -> Value {
    let select = |pred: &dyn Fn(&str) -> bool| -> Vec<&Check> { owned.iter().filter(|(id, _)| pred(id)).map(|(_, c)| *c).collect() };
    let mut hardware = tier_of(&select(&|id| {
        ["tdx.quote.", "tdx.pck.", "tdx.qe.", "tdx.collateral.", "tdx.tcb.", "tdx.dcap.", "policy.tdx.tcb."]
            .iter()
            .any(|p| id.starts_with(p))
            || id == "tdx.trust_anchor"
    }));
    let status = scope.claims.pointer("/tdx/tcb/status").and_then(Value::as_str).unwrap_or("");
    if hardware == AFFIRMING && status != "UpToDate" {
        hardware = WARNING;
    }
    if hardware == AFFIRMING && report.warnings.iter().any(|w| w.starts_with("TEST TRUST ANCHOR")) {
        hardware = WARNING;
    }
    let config_ids = [
        "policy.tdx.td.td_attributes",
        "policy.tdx.td.xfam",
        "policy.tdx.td.mr_config_id",
        "policy.tdx.td.mr_owner",
        "policy.tdx.td.mr_owner_config",
        "policy.tdx.td.min_tee_tcb_svn",
        "policy.tdx.td.seam_attributes",
        "policy.tdx.td.mr_service_td",
    ];
    let configuration = tier_of(&select(&|id| id.starts_with("tdx.td.") || config_ids.contains(&id)));
    let exec_ids = ["policy.tdx.td.mr_seam", "policy.tdx.td.mr_signer_seam", "policy.tdx.td.mr_td"];
    let executables = tier_of(&select(&|id| {
        exec_ids.contains(&id) || id.starts_with("policy.tdx.td.rtmr") || id.starts_with("eventlog.") || id.starts_with("compose.")
    }));
    let instance = tier_of(&select(&|id| id == "policy.tdx.td.report_data" || id == "binding.report_data" || id == "nonce"));
    json!({
        "instance-identity": instance,
        "configuration": configuration,
        "executables": executables,
        "hardware": hardware,
    })
}

/// The AR4SI vector of a GPU submodule from its checks (ids without the prefix).
fn gpu_vector(owned: &[(&str, &Check)]) -> Value {
    let select = |pred: &dyn Fn(&str) -> bool| -> Vec<&Check> { owned.iter().filter(|(id, _)| pred(id)).map(|(_, c)| *c).collect() };
    let hw = tier_of(&select(&|id| {
        id == "report.parse" || id == "report.signature" || id.starts_with("chain") || id.starts_with("ocsp.") || id.contains(".ocsp")
    }));
    let exe = tier_of(&select(&|id| id.starts_with("rim.") || id == "measurements"));
    let inst = tier_of(&select(&|id| id == "report.nonce"));
    json!({ "hardware": hw, "executables": exe, "instance-identity": inst })
}

/// The EAR claims set for a report.
pub fn claims(report: &Report) -> Value {
    let policy_id = match (&report.policy.id, &report.policy.sha256) {
        (Some(id), Some(sha)) => format!("policy:teescan/{id}#sha256:{sha}"),
        _ => "policy:teescan/none (no measurement policy applied)".to_owned(),
    };
    let scopes = scopes(report);
    // Each check belongs to the submodule with the longest matching prefix, or to the scan.
    let owner = |c: &Check| -> Option<usize> {
        scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| c.id.starts_with(&s.prefix))
            .max_by_key(|(_, s)| s.prefix.len())
            .map(|(i, _)| i)
    };
    let owners: Vec<Option<usize>> = report.checks.iter().map(owner).collect();
    let scan_wide: Vec<Check> =
        report.checks.iter().zip(&owners).filter(|(_, o)| o.is_none()).map(|(c, _)| c.clone()).collect();
    let mut submods = serde_json::Map::new();
    let mut any_warning = false;
    for (i, scope) in scopes.iter().enumerate() {
        let owned: Vec<(&str, &Check)> = report
            .checks
            .iter()
            .zip(&owners)
            .filter(|(_, o)| **o == Some(i))
            .map(|(c, _)| (c.id.strip_prefix(&scope.prefix).unwrap_or(&c.id), c))
            .collect();
        let vector = match scope.kind {
            Kind::Cpu => cpu_vector(report, scope, &owned),
            Kind::Gpu => gpu_vector(&owned),
        };
        let warning = vector.as_object().is_some_and(|v| v.values().any(|t| t.as_i64() == Some(WARNING)));
        let mut counted: Vec<Check> = owned.iter().map(|(_, c)| (*c).clone()).collect();
        counted.extend(scan_wide.iter().cloned());
        let verdict = Verdict::from_checks(&counted);
        let status = status_name(verdict, warning);
        any_warning |= status == "warning";
        submods.insert(
            scope.name.clone(),
            json!({
                "ear.status": status,
                "ear.trustworthiness-vector": vector,
                "ear.appraisal-policy-id": policy_id,
                "teescan.verdict": verdict,
            }),
        );
    }
    if submods.is_empty() {
        submods.insert(
            "evidence".to_owned(),
            json!({
                "ear.status": status_name(report.verdict, false),
                "ear.appraisal-policy-id": policy_id,
                "teescan.verdict": report.verdict,
            }),
        );
    }
    json!({
        "eat_profile": EAR_PROFILE,
        "iat": report.verified_at.unix(),
        "ear.verifier-id": { "developer": "teescan", "build": report.tool },
        "ear.status": status_name(report.verdict, any_warning),
        "teescan.verdict": report.verdict,
        "teescan.evidence-sha256": report.input.sha256,
        "submods": submods,
    })
}

/// The EAR as pretty JSON (unsigned).
pub fn render_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&claims(report)).unwrap_or_default();
    s.push('\n');
    s
}

/// The EAR as one line of compact JSON (unsigned), newline-terminated (JSON Lines).
pub fn render_line(report: &Report) -> String {
    let mut s = serde_json::to_string(&claims(report)).unwrap_or_default();
    s.push('\n');
    s
}

/// The EAR as a compact JWS signed with `key`.
pub fn render_jwt(report: &Report, key: &EarKey) -> Result<String, EarKeyError> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let header = json!({ "alg": key.alg, "typ": "JWT" });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims(report).to_string().as_bytes())
    );
    let sig = key.pair.sign(signing_input.as_bytes()).ok_or_else(|| EarKeyError("signing failed".to_owned()))?;
    Ok(format!("{signing_input}.{}\n", b64(&sig)))
}
