//! The Sigstore trust root: Fulcio CAs, Rekor and CT log keys, each with its validity window.
//!
//! The public-good root (`sigstore/root-signing` `targets/trusted_root.json`, SHA-256
//! `6494e21e…bc0b66`) is compiled in ([`TrustedRoot::public_good`]). Another root is only taken
//! from an explicit file the auditor names ([`TrustedRoot::from_json`] marks it
//! [`AnchorKind::DangerTest`] unless the caller vouches for it); never from the evidence.

use super::AnchorKind;
use crate::time::Timestamp;
use base64::Engine as _;

/// The pinned public-good `trusted_root.json`.
pub const PUBLIC_GOOD_TRUSTED_ROOT_JSON: &str = include_str!("anchors/sigstore-public-good-trusted_root.json");

/// SHA-256 of [`PUBLIC_GOOD_TRUSTED_ROOT_JSON`].
pub const PUBLIC_GOOD_TRUSTED_ROOT_SHA256: &str = "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66";

/// A transparency or CT log key: its id (SHA-256 of the SPKI), SPKI DER and validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    /// The log id the trust root names (for Rekor v1 and CT: SHA-256 of `spki_der`).
    pub log_id: Vec<u8>,
    /// SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
    /// Validity window (unix seconds); `None` end = open.
    pub valid: (u64, Option<u64>),
}

/// A Fulcio CA: its chain (issuer-most last) and validity window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertAuthority {
    /// DER certificates, leaf-most first, root last.
    pub chain: Vec<Vec<u8>>,
    /// Validity window (unix seconds).
    pub valid: (u64, Option<u64>),
}

/// A parsed Sigstore trust root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRoot {
    /// Rekor log keys.
    pub tlogs: Vec<LogKey>,
    /// Certificate-transparency log keys.
    pub ctlogs: Vec<LogKey>,
    /// Fulcio certificate authorities.
    pub cas: Vec<CertAuthority>,
    /// Production (compiled in) or caller-supplied.
    pub kind: AnchorKind,
    /// SHA-256 (hex) of the JSON it was read from.
    pub sha256: String,
}

/// The trust root JSON does not parse or lacks what verification needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sigstore trust root: {0}")]
pub struct TrustRootError(pub String);

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawCa>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    valid_for: Option<RawValidity>,
}

#[derive(serde::Deserialize)]
struct RawValidity {
    start: Option<String>,
    end: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCa {
    cert_chain: RawChain,
    valid_for: Option<RawValidity>,
}

#[derive(serde::Deserialize)]
struct RawChain {
    certificates: Vec<RawCert>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: String,
}

fn b64(s: &str, what: &str) -> Result<Vec<u8>, TrustRootError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| TrustRootError(format!("{what}: bad base64: {e}")))
}

fn validity(v: Option<&RawValidity>) -> Result<(u64, Option<u64>), TrustRootError> {
    let parse = |s: &str| {
        // Accept fractional seconds (`…59.999Z`) by truncating them.
        let trimmed = match s.split_once('.') {
            Some((head, _)) => format!("{head}Z"),
            None => s.to_string(),
        };
        Timestamp::parse_rfc3339(&trimmed).map(Timestamp::unix).map_err(|e| TrustRootError(format!("validFor {s}: {e}")))
    };
    let Some(v) = v else { return Err(TrustRootError("an entry has no validFor".into())) };
    let start = match v.start.as_deref() {
        Some(s) => parse(s)?,
        None => return Err(TrustRootError("validFor has no start".into())),
    };
    let end = v.end.as_deref().map(parse).transpose()?;
    Ok((start, end))
}

fn logs(raw: &[RawLog]) -> Result<Vec<LogKey>, TrustRootError> {
    raw.iter()
        .map(|l| {
            Ok(LogKey {
                log_id: b64(&l.log_id.key_id, "logId")?,
                spki_der: b64(&l.public_key.raw_bytes, "publicKey")?,
                valid: validity(l.public_key.valid_for.as_ref())?,
            })
        })
        .collect()
}

impl TrustedRoot {
    /// The compiled-in Sigstore public-good root.
    pub fn public_good() -> Result<TrustedRoot, TrustRootError> {
        Self::parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON.as_bytes(), AnchorKind::Production)
    }

    /// A root read from a file the auditor named. It is marked [`AnchorKind::DangerTest`]:
    /// reports made with it say the Sigstore root is not the pinned one.
    pub fn from_json(json: &[u8]) -> Result<TrustedRoot, TrustRootError> {
        let kind = if crate::crypto::sha256(json) == pinned_digest() { AnchorKind::Production } else { AnchorKind::DangerTest };
        Self::parse(json, kind)
    }

    fn parse(json: &[u8], kind: AnchorKind) -> Result<TrustedRoot, TrustRootError> {
        let raw: RawRoot = serde_json::from_slice(json).map_err(|e| TrustRootError(format!("does not parse: {e}")))?;
        if !raw.media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
            return Err(TrustRootError(format!("unknown mediaType {:?}", raw.media_type)));
        }
        let cas = raw
            .certificate_authorities
            .iter()
            .map(|c| {
                let chain = c.cert_chain.certificates.iter().map(|x| b64(&x.raw_bytes, "certificate")).collect::<Result<Vec<_>, _>>()?;
                if chain.is_empty() {
                    return Err(TrustRootError("a certificate authority has an empty chain".into()));
                }
                Ok(CertAuthority { chain, valid: validity(c.valid_for.as_ref())? })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedRoot {
            tlogs: logs(&raw.tlogs)?,
            ctlogs: logs(&raw.ctlogs)?,
            cas,
            kind,
            sha256: hex::encode(crate::crypto::sha256(json)),
        })
    }
}

fn pinned_digest() -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(v) = hex::decode(PUBLIC_GOOD_TRUSTED_ROOT_SHA256) {
        if let Some(d) = v.get(..32) {
            out.copy_from_slice(d);
        }
    }
    out
}

/// Whether `t` lies in the window `(start, end)`.
pub fn within(valid: (u64, Option<u64>), t: u64) -> bool {
    t >= valid.0 && valid.1.is_none_or(|end| t <= end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_public_good_root_is_pinned_by_digest_and_parses() {
        assert_eq!(hex::encode(crate::crypto::sha256(PUBLIC_GOOD_TRUSTED_ROOT_JSON.as_bytes())), PUBLIC_GOOD_TRUSTED_ROOT_SHA256);
        let r = TrustedRoot::public_good().unwrap();
        assert_eq!(r.kind, AnchorKind::Production);
        assert_eq!((r.tlogs.len(), r.ctlogs.len(), r.cas.len()), (2, 2, 2));
        let edited = PUBLIC_GOOD_TRUSTED_ROOT_JSON.replacen("\"https://rekor.sigstore.dev\"", "\"https://rekor.example\"", 1);
        assert_ne!(edited, PUBLIC_GOOD_TRUSTED_ROOT_JSON);
        assert_eq!(TrustedRoot::from_json(edited.as_bytes()).unwrap().kind, AnchorKind::DangerTest);
    }
}
