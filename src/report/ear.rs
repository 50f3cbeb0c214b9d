//! IETF RATS EAR (EAT Attestation Result, draft-ietf-rats-ear) rendering of a [`Report`], with the
//! AR4SI trustworthiness vector derived from the checks. Unsigned JSON by default, or a compact
//! JWS signed with an ES256 / ES384 PKCS#8 key.
//!
//! Mapping (one submodule `cpu0` for the TDX evidence):
//! - `hardware`: quote, PCK, QE, collateral and TCB checks (`tdx.quote.*`, `tdx.pck.*`, `tdx.qe.*`,
//!   `tdx.collateral.*`, `tdx.tcb.*`, `tdx.trust_anchor`, `policy.tdx.tcb.*`); a passing but
//!   non-UpToDate TCB is a warning;
//! - `configuration`: TD attributes, debug, service TD, XFAM, MRCONFIGID/MROWNER/…;
//! - `executables`: MRSEAM, MRTD, RTMR pins (no claim without a policy pinning them);
//! - `instance-identity`: the REPORTDATA rule (no claim without one).
//!
//! Tiers: none 0, affirming 2, warning 32, contraindicated 96.

use base64::Engine as _;
use serde_json::{json, Value};

use super::{Report, Status, Verdict};

/// EAR profile identifier.
pub const EAR_PROFILE: &str = "tag:github.com,2023:veraison/ear";

const NONE: i64 = 0;
const AFFIRMING: i64 = 2;
const WARNING: i64 = 32;
const CONTRAINDICATED: i64 = 96;

/// A key that signs EARs.
pub struct EarKey {
    alg: &'static str,
    pair: ring::signature::EcdsaKeyPair,
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
        let rng = ring::rand::SystemRandom::new();
        use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING};
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng) {
            return Ok(EarKey { alg: "ES256", pair });
        }
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &der, &rng) {
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
        use ring::signature::KeyPair as _;
        self.pair.public_key().as_ref().to_vec()
    }
}

fn tier_of(checks: &[&super::Check]) -> i64 {
    if checks.iter().any(|c| c.required && c.status == Status::Fail) {
        CONTRAINDICATED
    } else if checks.is_empty() || checks.iter().any(|c| c.required && c.status != Status::Pass) {
        NONE
    } else {
        AFFIRMING
    }
}

fn select(report: &Report, pred: impl Fn(&str) -> bool) -> Vec<&super::Check> {
    report.checks.iter().filter(|c| pred(&c.id)).collect()
}

/// The EAR claims set for a report.
pub fn claims(report: &Report) -> Value {
    let hardware_checks = select(report, |id| {
        ["tdx.quote.", "tdx.pck.", "tdx.qe.", "tdx.collateral.", "tdx.tcb.", "tdx.dcap.", "policy.tdx.tcb."]
            .iter()
            .any(|p| id.starts_with(p))
            || id == "tdx.trust_anchor"
    });
    let mut hardware = tier_of(&hardware_checks);
    let status = report.claims.pointer("/tdx/tcb/status").and_then(Value::as_str).unwrap_or("");
    if hardware == AFFIRMING && status != "UpToDate" {
        hardware = WARNING;
    }
    if hardware == AFFIRMING && !report.warnings.iter().all(|w| !w.starts_with("TEST TRUST ANCHOR")) {
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
    let configuration = tier_of(&select(report, |id| id.starts_with("tdx.td.") || config_ids.contains(&id)));
    let exec_ids = ["policy.tdx.td.mr_seam", "policy.tdx.td.mr_signer_seam", "policy.tdx.td.mr_td"];
    let executables = tier_of(&select(report, |id| exec_ids.contains(&id) || id.starts_with("policy.tdx.td.rtmr")));
    let instance = tier_of(&select(report, |id| id == "policy.tdx.td.report_data"));
    let vector = json!({
        "instance-identity": instance,
        "configuration": configuration,
        "executables": executables,
        "hardware": hardware,
    });
    let ear_status = match report.verdict {
        Verdict::Fail => "contraindicated",
        Verdict::Indeterminate => "none",
        Verdict::Pass if [instance, configuration, executables, hardware].contains(&WARNING) => "warning",
        Verdict::Pass => "affirming",
    };
    let policy_id = match (&report.policy.id, &report.policy.sha256) {
        (Some(id), Some(sha)) => format!("policy:teescan/{id}#sha256:{sha}"),
        _ => "policy:teescan/none (no measurement policy applied)".to_owned(),
    };
    let mut submods = serde_json::Map::new();
    if report.claims.get("tdx").is_some() {
        submods.insert(
            "cpu0".to_owned(),
            json!({
                "ear.status": ear_status,
                "ear.trustworthiness-vector": vector,
                "ear.appraisal-policy-id": policy_id,
                "teescan.evidence-sha256": report.input.sha256,
                "teescan.verdict": report.verdict,
            }),
        );
    }
    // One submodule per GPU / NVSwitch: hardware from its chain, signature, FWID and OCSP;
    // executables from its RIM measurements; instance identity from its nonce.
    let n = report.claims.pointer("/gpu/devices").and_then(Value::as_array).map_or(0, Vec::len);
    for i in 0..n {
        let p = format!("gpu[{i}].");
        let hw = tier_of(&select(report, |id| {
            id.starts_with(&p) && [".report.parse", ".chain", ".report.signature", ".chain.fwid", ".ocsp."].iter().any(|s| id.contains(s))
        }));
        let exe = tier_of(&select(report, |id| id.starts_with(&p) && (id.contains(".rim.") || id.ends_with(".measurements"))));
        let inst = tier_of(&select(report, |id| id == format!("{p}report.nonce")));
        let any_fail = [hw, exe, inst].contains(&CONTRAINDICATED);
        let status = if any_fail { "contraindicated" } else if [hw, exe, inst].contains(&NONE) { "none" } else { "affirming" };
        submods.insert(
            format!("gpu{i}"),
            json!({
                "ear.status": status,
                "ear.trustworthiness-vector": { "hardware": hw, "executables": exe, "instance-identity": inst },
                "ear.appraisal-policy-id": policy_id,
            }),
        );
    }
    json!({
        "eat_profile": EAR_PROFILE,
        "iat": report.verified_at.unix(),
        "ear.verifier-id": { "developer": "teescan", "build": report.tool },
        "teescan.verdict": report.verdict,
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
    let rng = ring::rand::SystemRandom::new();
    let sig = key
        .pair
        .sign(&rng, signing_input.as_bytes())
        .map_err(|_| EarKeyError("signing failed".to_owned()))?;
    Ok(format!("{signing_input}.{}\n", b64(sig.as_ref())))
}
