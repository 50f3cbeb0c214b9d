//! Sigstore bundle JSON (v0.1–v0.3, Rekor v1 or v2 entries, RFC 3161 timestamps) and the Rekor
//! entry bodies it commits to.

use super::{Code, ProvenanceError};
use base64::Engine as _;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bundle {
    pub media_type: String,
    pub verification_material: Option<Material>,
    pub dsse_envelope: Option<Envelope>,
    pub message_signature: Option<MessageSignature>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Material {
    pub certificate: Option<RawBytes>,
    pub x509_certificate_chain: Option<Chain>,
    pub public_key: Option<serde_json::Value>,
    #[serde(default)]
    pub tlog_entries: Vec<TlogEntry>,
    pub timestamp_verification_data: Option<TimestampData>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TimestampData {
    #[serde(default)]
    pub rfc3161_timestamps: Vec<SignedTimestamp>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SignedTimestamp {
    pub signed_timestamp: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawBytes {
    pub raw_bytes: String,
}

#[derive(serde::Deserialize)]
pub(super) struct Chain {
    #[serde(default)]
    pub certificates: Vec<RawBytes>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TlogEntry {
    pub log_index: String,
    pub log_id: KeyId,
    pub kind_version: KindVersion,
    pub integrated_time: Option<String>,
    pub inclusion_promise: Option<Promise>,
    pub inclusion_proof: Option<InclusionProof>,
    pub canonicalized_body: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KeyId {
    pub key_id: String,
}

#[derive(serde::Deserialize)]
pub(super) struct KindVersion {
    pub kind: String,
    pub version: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Promise {
    pub signed_entry_timestamp: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InclusionProof {
    pub log_index: String,
    pub root_hash: String,
    pub tree_size: String,
    #[serde(default)]
    pub hashes: Vec<String>,
    pub checkpoint: Option<Checkpoint>,
}

#[derive(serde::Deserialize)]
pub(super) struct Checkpoint {
    pub envelope: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Envelope {
    pub payload: String,
    pub payload_type: String,
    #[serde(default)]
    pub signatures: Vec<EnvSig>,
}

#[derive(serde::Deserialize)]
pub(super) struct EnvSig {
    pub sig: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageSignature {
    pub message_digest: Option<MessageDigest>,
    pub signature: String,
}

#[derive(serde::Deserialize)]
pub(super) struct MessageDigest {
    pub algorithm: String,
    pub digest: String,
}

/// Rekor `dsse` / `hashedrekord` body (0.0.1 or 0.0.2), as far as it is compared with the bundle.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Body {
    pub api_version: String,
    pub kind: String,
    pub spec: serde_json::Value,
}

pub(super) fn b64(s: &str, what: &str) -> Result<Vec<u8>, ProvenanceError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| ProvenanceError::new(Code::BundleMalformed, format!("{what}: bad base64: {e}")))
}

pub(super) fn num(s: &str, what: &str) -> Result<u64, ProvenanceError> {
    s.parse().map_err(|_| ProvenanceError::new(Code::BundleMalformed, format!("{what}: not an integer: {s:?}")))
}

/// The bundle version from the media type: 1, 2 or 3 (minor of v0.x); anything else is refused.
pub(super) fn version(media_type: &str) -> Result<u8, ProvenanceError> {
    match media_type {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => Ok(1),
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => Ok(2),
        "application/vnd.dev.sigstore.bundle+json;version=0.3" | "application/vnd.dev.sigstore.bundle.v0.3+json" => Ok(3),
        other => Err(ProvenanceError::new(Code::BundleMalformed, format!("unsupported bundle media type {other:?}"))),
    }
}
