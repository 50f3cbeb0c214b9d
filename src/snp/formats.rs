//! Inputs that carry a SEV-SNP report, recognised strictly: a raw 1184-byte report (binary, hex
//! or base64), dstack's `VersionedAttestation` (SCALE: `00 03` then the compact length `81 12`
//! = 1184, the report at byte 4, then its `mr_config` and certificates), the dstack-verifier
//! JSON (`{"attestation": hex of the same}`), and Tinfoil v3 documents whose `cpu.platform` is
//! `sev-snp` / `amd-sev-snp` (the router). Certificates found beside the report are collateral
//! like any other: verified, never trusted.

use base64::Engine as _;
use serde_json::Value;

use super::report::{Report, REPORT_LEN};
use super::verify::SnpCollateral;
use crate::provider::binding::Inputs;

/// Tinfoil's attestation v3 format URI.
pub const TINFOIL_V3: &str = "https://tinfoil.sh/predicate/attestation/v3";

/// Prefix of a dstack `VersionedAttestation` carrying an SNP report.
pub const DSTACK_PREFIX: [u8; 4] = [0x00, 0x03, 0x81, 0x12];

/// How the report was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnpFormat {
    /// A bare report (binary, hex or base64).
    Raw,
    /// dstack `VersionedAttestation` (binary).
    DstackVersioned,
    /// dstack-verifier JSON (`attestation` hex).
    DstackVerifierJson,
    /// Tinfoil attestation v3 with `cpu.platform` SEV-SNP (the model router).
    TinfoilV3,
}

impl SnpFormat {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            SnpFormat::Raw => "snp-report",
            SnpFormat::DstackVersioned => "dstack-snp-attestation",
            SnpFormat::DstackVerifierJson => "dstack-verifier-snp-json",
            SnpFormat::TinfoilV3 => "tinfoil-v3-snp",
        }
    }
}

/// A SEV-SNP report with what came beside it.
#[derive(Debug, Clone)]
pub struct SnpEvidence {
    /// The 1184-byte report.
    pub report: Vec<u8>,
    /// The input format.
    pub format: SnpFormat,
    /// Certificates carried in the document (evidence, verified like any collateral).
    pub embedded: SnpCollateral,
    /// Tinfoil v3: the inputs of its REPORTDATA binding (TLS key fingerprint, HPKE key, nonce,
    /// GPU evidence hash when there is GPU evidence).
    pub tinfoil: Option<Inputs>,
}

/// A document of a recognised SNP format that is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format}: {reason}")]
pub struct FormatError {
    /// The format.
    pub format: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn err(format: SnpFormat, reason: impl Into<String>) -> FormatError {
    FormatError { format: format.as_str(), reason: reason.into() }
}

fn pem_certs(bytes: &[u8]) -> SnpCollateral {
    let mut c = SnpCollateral::default();
    let marker = b"-----BEGIN CERTIFICATE-----";
    let mut rest = bytes;
    while let Some(start) = rest.windows(marker.len()).position(|w| w == marker) {
        let tail = rest.get(start..).unwrap_or_default();
        let end_marker = b"-----END CERTIFICATE-----";
        let Some(end) = tail.windows(end_marker.len()).position(|w| w == end_marker) else { break };
        let stop = end.saturating_add(end_marker.len());
        if let Some(block) = tail.get(..stop) {
            // A block that is not a certificate, or one too many, is left out; what remains
            // is verified like any other collateral.
            let _ = c.add_certs(block);
        }
        rest = tail.get(stop..).unwrap_or_default();
    }
    c
}

fn dstack(bytes: &[u8], format: SnpFormat) -> Result<SnpEvidence, FormatError> {
    let end = 4usize.saturating_add(REPORT_LEN);
    let report = bytes.get(4..end).ok_or_else(|| err(format, format!("{} bytes, shorter than the prefix and a report", bytes.len())))?;
    Report::parse(report).map_err(|e| err(format, e.to_string()))?;
    Ok(SnpEvidence { report: report.to_vec(), format, embedded: pem_certs(bytes.get(end..).unwrap_or_default()), tinfoil: None })
}

/// Recognise a binary, hex or base64 input as an SNP report or dstack attestation. `None`: not
/// one of these (the caller tries other kinds).
pub fn detect_binary(bytes: &[u8]) -> Option<Result<SnpEvidence, FormatError>> {
    if bytes.starts_with(&DSTACK_PREFIX) {
        return Some(dstack(bytes, SnpFormat::DstackVersioned));
    }
    let decoded;
    let raw: &[u8] = if bytes.len() == REPORT_LEN {
        bytes
    } else {
        let text = std::str::from_utf8(bytes).ok()?.trim();
        decoded = hex::decode(text).ok().or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())?;
        &decoded
    };
    // Only a report of a supported version with the ECDSA P-384 algorithm field is claimed;
    // anything else is left to the other detectors.
    let version = u32::from_le_bytes(raw.get(..4)?.try_into().ok()?);
    if raw.len() != REPORT_LEN || !matches!(version, 2 | 3 | 5) || raw.get(0x34..0x38) != Some(&[1, 0, 0, 0]) {
        return None;
    }
    Some(Report::parse(raw).map(|_| SnpEvidence { report: raw.to_vec(), format: SnpFormat::Raw, embedded: SnpCollateral::default(), tinfoil: None }).map_err(|e| err(SnpFormat::Raw, e.to_string())))
}

fn hex32(v: &Value, key: &str) -> Result<Option<Vec<u8>>, FormatError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => hex::decode(s).map(Some).map_err(|e| err(SnpFormat::TinfoilV3, format!("report_data.{key}: not hex: {e}"))),
        Some(_) => Err(err(SnpFormat::TinfoilV3, format!("report_data.{key}: not a string"))),
    }
}

/// Recognise a JSON document carrying an SNP report. `None`: not one of these formats.
pub fn detect_json(bytes: &[u8]) -> Option<Result<SnpEvidence, FormatError>> {
    // Duplicate keys, depth and size are refused as for every provider document; such a
    // document is left to the provider parser, which reports why.
    let v: Value = crate::json::strict(bytes).ok()?;
    let obj = v.as_object()?;
    // Tinfoil v3 with an SEV-SNP CPU.
    if obj.get("format").and_then(Value::as_str) == Some(TINFOIL_V3) {
        let platform = v.pointer("/cpu/platform").and_then(Value::as_str)?;
        if !matches!(platform, "sev-snp" | "amd-sev-snp") {
            return None;
        }
        return Some(tinfoil(&v, bytes));
    }
    // dstack-verifier: {"attestation": hex} whose bytes are an SNP VersionedAttestation.
    if let Some(Value::String(h)) = obj.get("attestation") {
        let b = hex::decode(h.trim_start_matches("0x")).ok()?;
        if b.starts_with(&DSTACK_PREFIX) {
            return Some(dstack(&b, SnpFormat::DstackVerifierJson));
        }
    }
    None
}

fn tinfoil(v: &Value, bytes: &[u8]) -> Result<SnpEvidence, FormatError> {
    let f = SnpFormat::TinfoilV3;
    let b64 = v.pointer("/cpu/report").and_then(Value::as_str).ok_or_else(|| err(f, "cpu.report: missing or not a string"))?;
    let blob = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| err(f, format!("cpu.report: not base64: {e}")))?;
    Report::parse(&blob).map_err(|e| err(f, format!("cpu.report: {e}")))?;
    let rd = v.get("report_data").ok_or_else(|| err(f, "report_data: missing"))?;
    let gpu_hash = match v.get("gpu") {
        None | Some(Value::Null) => None,
        Some(_) => {
            // SHA-256 of the `gpu` member as sent, as in the TDX path.
            let top: std::collections::BTreeMap<String, &serde_json::value::RawValue> = serde_json::from_slice(bytes).map_err(|e| err(f, e.to_string()))?;
            top.get("gpu").map(|r| crate::crypto::sha256(r.get().as_bytes()).to_vec())
        }
    };
    let inputs = Inputs {
        tls_fingerprint: hex32(rd, "tls_key_fp")?,
        hpke_key: hex32(rd, "hpke_key")?,
        nonce: hex32(rd, "nonce")?,
        gpu_evidence_hash: gpu_hash,
        stated_gpu_evidence_hash: hex32(rd, "gpu_evidence_hash")?,
        ..Inputs::default()
    };
    Ok(SnpEvidence { report: blob, format: f, embedded: SnpCollateral::default(), tinfoil: Some(inputs) })
}

/// Tinfoil v3's REPORTDATA for an SNP router: SHA-256(tls_key_fp ‖ hpke_key ‖ nonce
/// [‖ SHA-256(gpu)]) in bytes 0..32, zeros after. Without GPU evidence the hash covers the first
/// three inputs only (the router has no GPUs); every input is exactly 32 bytes.
pub fn tinfoil_report_data(i: &Inputs) -> Result<[u8; 64], String> {
    let mut m = Vec::with_capacity(128);
    for (what, v) in [("tls_key_fp", &i.tls_fingerprint), ("hpke_key", &i.hpke_key), ("nonce", &i.nonce)] {
        match v {
            Some(b) if b.len() == 32 => m.extend_from_slice(b),
            Some(b) => return Err(format!("{what} is {} bytes, expected 32", b.len())),
            None => return Err(format!("the report does not carry {what}")),
        }
    }
    if let Some(g) = &i.gpu_evidence_hash {
        m.extend_from_slice(g);
    }
    let mut out = [0u8; 64];
    if let Some(dst) = out.get_mut(..32) {
        dst.copy_from_slice(&crate::crypto::sha256(&m));
    }
    Ok(out)
}

/// Whether `url` is an AMD KDS certificate or CRL endpoint (`kdsintf.amd.com/{vcek,vlek}/v1/…`).
pub fn is_kds_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    rest.starts_with("kdsintf.amd.com/vcek/v1/") || rest.starts_with("kdsintf.amd.com/vlek/v1/")
}

/// Add one collateral file: PEM certificates, a PEM `X509 CRL`, or one DER certificate or CRL
/// (told apart by parsing).
pub fn add_collateral_file(c: &mut SnpCollateral, bytes: &[u8]) -> Result<(), String> {
    if bytes.windows(19).any(|w| w == b"-----BEGIN X509 CRL") {
        for p in pem::parse_many(bytes).map_err(|e| format!("PEM: {e}"))? {
            if p.tag() == "X509 CRL" {
                c.crls.push(p.into_contents());
            } else if p.tag() == "CERTIFICATE" {
                c.add_certs(&pem::encode(&p).into_bytes())?;
            }
        }
        return Ok(());
    }
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return c.add_certs(bytes);
    }
    if super::certs::AmdCert::parse(bytes).is_ok() {
        return c.add_certs(bytes);
    }
    if super::certs::AmdCrl::parse(bytes).is_ok() {
        if c.crls.len() >= super::certs::MAX_CERTS {
            return Err("too many CRLs".to_owned());
        }
        c.crls.push(bytes.to_vec());
        return Ok(());
    }
    Err("neither a certificate (PEM/DER) nor a CRL (DER/PEM)".to_owned())
}
