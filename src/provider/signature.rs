//! Per-chat response signatures (NEAR AI / dstack `GET /v1/signature/{chat_id}`).
//!
//! A provider signs, with the key its attestation binds into `report_data` (the layer's
//! `signing_address`), a text naming the SHA-256 of the request body and of the response body:
//! `"<model>:<sha256hex(request)>:<sha256hex(response)>"` (`provider_tee`, written by the model
//! node) or `"<sha256hex(request)>:<sha256hex(response)>"` (`gateway`, over the bytes the client
//! received). The response hash is over the exact bytes received: for a non-streamed response the
//! body as sent, for a streamed one every SSE byte up to and including `data: [DONE]`. Anything
//! that re-serialises a body breaks the signature.
//!
//! Two algorithms:
//! * `ecdsa` — secp256k1, EIP-191 `personal_sign`: the signed digest is
//!   `keccak256("\x19Ethereum Signed Message:\n" ‖ decimal len(text) ‖ text)`, the signature is
//!   65 bytes `r ‖ s ‖ v` (v = 27/28, also 0/1), and the signer is identified by its Ethereum
//!   address (the last 20 bytes of keccak256 of the uncompressed public key without the `04`).
//! * `ed25519` — a raw Ed25519 signature (64 bytes) over the UTF-8 text; the signer's address is
//!   its 32-byte public key. Verified strictly (small-order keys and `R` are rejected).
//!
//! Only the text, the signature and the attested key are trusted; `signing_address` in the payload
//! is a claim that [`signature_checks`] compares with both the recovered signer and the
//! attested, report_data-bound address.

use k256::ecdsa::VerifyingKey;
use serde_json::Value;
use sha3::{Digest as _, Keccak256};

use crate::report::{Check, Status};

/// Largest signature payload accepted (a real one is ~400 bytes).
pub const MAX_SIGNATURE_PAYLOAD_LEN: usize = 64 * 1024;

/// Why a signature payload could not be parsed or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The payload is larger than [`MAX_SIGNATURE_PAYLOAD_LEN`].
    #[error("signature payload: {len} bytes is more than the {MAX_SIGNATURE_PAYLOAD_LEN}-byte limit")]
    TooLarge {
        /// Length given.
        len: usize,
    },
    /// Not JSON, or not a JSON object.
    #[error("signature payload: {0}")]
    Json(String),
    /// The provider answered that no signature is available (`{"error_code", "message"}`), e.g.
    /// because the client disconnected before the response was complete.
    #[error("signature unavailable ({code}): {message}")]
    Unavailable {
        /// The provider's `error_code`.
        code: String,
        /// The provider's `message`.
        message: String,
    },
    /// A field is missing or malformed.
    #[error("signature payload: {field}: {reason}")]
    Field {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A `signing_algo` this version does not verify.
    #[error("signature payload: signing_algo {0:?} is not supported (expected \"ecdsa\" or \"ed25519\")")]
    UnknownAlgo(String),
    /// The signed text is not `[model:]<64 hex>:<64 hex>`.
    #[error("signed text: {0}")]
    Text(String),
    /// The signature bytes are malformed (length, r/s out of range, high s, bad v).
    #[error("signature: {0}")]
    Malformed(String),
    /// The signature does not verify, or was made by another key than `signing_address`.
    #[error("signature does not verify: {0}")]
    Invalid(String),
}

impl SignatureError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::TooLarge { .. } => "signature.too_large",
            SignatureError::Json(_) => "signature.json",
            SignatureError::Unavailable { .. } => "signature.unavailable",
            SignatureError::Field { .. } => "signature.field",
            SignatureError::UnknownAlgo(_) => "signature.algo",
            SignatureError::Text(_) => "signature.text",
            SignatureError::Malformed(_) => "signature.malformed",
            SignatureError::Invalid(_) => "signature.invalid",
        }
    }
}

/// The signature algorithm of a payload (`signing_algo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigningAlgo {
    /// `ecdsa`: secp256k1 ECDSA over an EIP-191 `personal_sign` digest; the address is 20 bytes.
    EcdsaSecp256k1Eip191,
    /// `ed25519`: Ed25519 over the raw text; the address is the 32-byte public key.
    Ed25519,
}

impl SigningAlgo {
    /// The `signing_algo` string the provider uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgo::EcdsaSecp256k1Eip191 => "ecdsa",
            SigningAlgo::Ed25519 => "ed25519",
        }
    }
    /// Length of a signing address (Ethereum address or Ed25519 public key).
    pub fn address_len(self) -> usize {
        match self {
            SigningAlgo::EcdsaSecp256k1Eip191 => 20,
            SigningAlgo::Ed25519 => 32,
        }
    }
    /// Length of a signature.
    pub fn signature_len(self) -> usize {
        match self {
            SigningAlgo::EcdsaSecp256k1Eip191 => 65,
            SigningAlgo::Ed25519 => 64,
        }
    }
    /// `0x`-prefixed hex for ECDSA addresses (as Ethereum writes them), plain hex for Ed25519 keys.
    pub fn format_address(self, address: &[u8]) -> String {
        match self {
            SigningAlgo::EcdsaSecp256k1Eip191 => format!("0x{}", crate::bytes::to_hex(address)),
            SigningAlgo::Ed25519 => crate::bytes::to_hex(address),
        }
    }
}

/// A parsed per-chat signature payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignaturePayload {
    /// The signed text, exactly as given.
    pub text: String,
    /// The signature bytes (65 for ECDSA, 64 for Ed25519).
    pub signature: Vec<u8>,
    /// The claimed signer: a 20-byte Ethereum address (ECDSA) or a 32-byte Ed25519 public key.
    pub signing_address: Vec<u8>,
    /// The algorithm.
    pub algo: SigningAlgo,
    /// `signature_kind` (`provider_tee` or `gateway`), an unsigned hint, if present.
    pub kind: Option<String>,
}

fn field_err(field: &'static str, reason: impl Into<String>) -> SignatureError {
    SignatureError::Field { field, reason: reason.into() }
}

fn str_field<'a>(v: &'a Value, field: &'static str) -> Result<&'a str, SignatureError> {
    v.get(field).and_then(Value::as_str).ok_or_else(|| field_err(field, "missing or not a string"))
}

/// Decode hex with an optional `0x` prefix, requiring exactly `len` bytes.
fn hex_exact(s: &str, field: &'static str, len: usize) -> Result<Vec<u8>, SignatureError> {
    let t = s.trim();
    let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
    let bytes = hex::decode(t).map_err(|e| field_err(field, format!("not hex: {e}")))?;
    if bytes.len() != len {
        return Err(field_err(field, format!("{} bytes, expected {len}", bytes.len())));
    }
    Ok(bytes)
}

fn value_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Parse a signature payload strictly: at most [`MAX_SIGNATURE_PAYLOAD_LEN`] bytes, a JSON
/// object with string `text`, `signature`, `signing_address` and `signing_algo` (`ecdsa` or
/// `ed25519`, ASCII case-insensitive), and optionally `signature_kind`. The signature and address
/// must be hex of the algorithm's exact length (`0x` optional). A `{"error_code", "message"}`
/// answer (or an OpenAI-style `{"error": …}` without a `signature`) is
/// [`SignatureError::Unavailable`]. Other fields are ignored (they are not signed).
pub fn parse_signature_payload(json: &[u8]) -> Result<SignaturePayload, SignatureError> {
    if json.len() > MAX_SIGNATURE_PAYLOAD_LEN {
        return Err(SignatureError::TooLarge { len: json.len() });
    }
    let v: Value = crate::json::strict(json).map_err(SignatureError::Json)?;
    let Some(obj) = v.as_object() else {
        return Err(SignatureError::Json("not a JSON object".to_owned()));
    };
    if obj.contains_key("error_code") || (obj.contains_key("error") && !obj.contains_key("signature")) {
        let code = match obj.get("error_code") {
            Some(c) => value_text(Some(c)),
            None => "error".to_owned(),
        };
        let message = match obj.get("message") {
            Some(m) => value_text(Some(m)),
            None => value_text(obj.get("error")),
        };
        return Err(SignatureError::Unavailable { code, message });
    }
    let algo_text = str_field(&v, "signing_algo")?;
    let algo = if algo_text.eq_ignore_ascii_case("ecdsa") {
        SigningAlgo::EcdsaSecp256k1Eip191
    } else if algo_text.eq_ignore_ascii_case("ed25519") {
        SigningAlgo::Ed25519
    } else {
        return Err(SignatureError::UnknownAlgo(algo_text.to_owned()));
    };
    let text = str_field(&v, "text")?.to_owned();
    let signature = hex_exact(str_field(&v, "signature")?, "signature", algo.signature_len())?;
    let signing_address = hex_exact(str_field(&v, "signing_address")?, "signing_address", algo.address_len())?;
    let kind = match v.get("signature_kind") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(field_err("signature_kind", "not a string")),
    };
    Ok(SignaturePayload { text, signature, signing_address, algo, kind })
}

/// The parts of a signed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextParts {
    /// The model (3-part `provider_tee` text); `None` for a 2-part `gateway` text.
    pub model: Option<String>,
    /// SHA-256 of the request body.
    pub request_sha256: [u8; 32],
    /// SHA-256 of the response body.
    pub response_sha256: [u8; 32],
}

fn hash_field(s: &str, which: &str) -> Result<[u8; 32], SignatureError> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return Err(SignatureError::Text(format!("the {which} hash is {} characters, expected 64 hex", s.len())));
    }
    hex::decode_to_slice(s, &mut out).map_err(|e| SignatureError::Text(format!("the {which} hash is not hex: {e}")))?;
    Ok(out)
}

/// Split a signed text into its parts. The last two `:`-separated fields are the request and
/// response SHA-256 (64 hex each); whatever precedes them is the model (which may itself contain
/// `:`), and must be non-empty when present.
pub fn parse_text(text: &str) -> Result<TextParts, SignatureError> {
    let mut it = text.rsplitn(3, ':');
    let (Some(resp), Some(req)) = (it.next(), it.next()) else {
        return Err(SignatureError::Text("expected \"<request sha256>:<response sha256>\" with an optional \"<model>:\" prefix".to_owned()));
    };
    let model = match it.next() {
        None => None,
        Some("") => return Err(SignatureError::Text("empty model before the hashes".to_owned())),
        Some(m) => Some(m.to_owned()),
    };
    Ok(TextParts { model, request_sha256: hash_field(req, "request")?, response_sha256: hash_field(resp, "response")? })
}

/// Keccak-256 (the original Keccak padding Ethereum uses, not SHA3-256).
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// The EIP-191 `personal_sign` digest of `text`:
/// `keccak256("\x19Ethereum Signed Message:\n" ‖ decimal len(text) ‖ text)`, the length being
/// the text's UTF-8 byte length.
pub fn eip191_hash(text: &str) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(b"\x19Ethereum Signed Message:\n");
    h.update(text.len().to_string().as_bytes());
    h.update(text.as_bytes());
    h.finalize().into()
}

/// The Ethereum address of a secp256k1 public key given as 64 bytes `x ‖ y` or 65 bytes
/// `04 ‖ x ‖ y` (the point must be on the curve): the last 20 bytes of keccak256(`x ‖ y`).
pub fn eth_address_from_public_key(public_key: &[u8]) -> Result<[u8; 20], SignatureError> {
    let xy = match public_key.len() {
        64 => public_key,
        65 => match public_key.split_first() {
            Some((4, rest)) => rest,
            _ => return Err(SignatureError::Malformed("a 65-byte public key must start with 04 (uncompressed)".to_owned())),
        },
        n => return Err(SignatureError::Malformed(format!("public key is {n} bytes, expected 64 or 65"))),
    };
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(4u8);
    sec1.extend_from_slice(xy);
    VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| SignatureError::Malformed("public key is not a point on secp256k1".to_owned()))?;
    Ok(address_of_xy(xy))
}

fn address_of_xy(xy: &[u8]) -> [u8; 20] {
    let h = keccak256(xy);
    let mut out = [0u8; 20];
    if let Some(tail) = h.get(12..) {
        out.copy_from_slice(tail);
    }
    out
}

fn address_of_point(point: &[u8; 65]) -> Result<[u8; 20], SignatureError> {
    match point.split_first() {
        Some((4, xy)) if xy.len() == 64 => Ok(address_of_xy(xy)),
        _ => Err(SignatureError::Invalid("recovered key has no uncompressed encoding".to_owned())),
    }
}

/// Recover the Ethereum address that made an EIP-191 `personal_sign` signature over `text`.
///
/// `sig65` is `r ‖ s ‖ v` with v ∈ {27, 28} (or {0, 1}); v ∈ {29..} and the `x`-reduced recovery
/// ids are rejected. A high-s signature (s > n/2) is rejected: EIP-2 requires low-s for
/// Ethereum transactions and the common `personal_sign` implementations (ethers, eth-account,
/// libsecp256k1) produce only low-s signatures, so a high-s one is a malleated copy, never an
/// original.
pub fn recover_eip191_address(text: &str, sig65: &[u8]) -> Result<[u8; 20], SignatureError> {
    let Some((&v, rs)) = sig65.split_last() else {
        return Err(SignatureError::Malformed("empty signature".to_owned()));
    };
    if rs.len() != 64 {
        return Err(SignatureError::Malformed(format!("ECDSA signature is {} bytes, expected 65 (r ‖ s ‖ v)", sig65.len())));
    }
    let recid_byte = match v {
        27 | 0 => 0u8,
        28 | 1 => 1u8,
        other => return Err(SignatureError::Malformed(format!("v = {other}, expected 27 or 28 (or 0 or 1)"))),
    };
    let sig = k256::ecdsa::Signature::from_slice(rs).map_err(|_| SignatureError::Malformed("r or s is zero or not below the group order".to_owned()))?;
    if sig.normalize_s() != sig {
        return Err(SignatureError::Malformed("high-s signature (s > n/2): not a canonical EIP-2 signature".to_owned()));
    }
    let digest = eip191_hash(text);
    let point = crate::crypto::recover_secp256k1(&digest, rs, recid_byte)
        .map_err(|_| SignatureError::Invalid("no public key recovers from this signature".to_owned()))?;
    address_of_point(&point)
}

/// Verify that `p.signature` is a valid signature over `p.text` by `p.signing_address`: for ECDSA
/// the address recovered from the EIP-191 signature must equal it; for Ed25519 the signature
/// must verify with it as the public key under strict rules (RFC 8032 with canonical `S`, and
/// neither the key nor `R` of small order: a small-order key makes forgeries trivial — under
/// `ring`'s Ed25519 the identity key with `R` = identity and `S` = 0 verifies for every text —
/// hence `ed25519-dalek`'s `verify_strict`).
pub fn verify_payload(p: &SignaturePayload) -> Result<(), SignatureError> {
    signer_of(p).map(|_| ())
}

/// Verify and return the signer (the recovered address or the verifying Ed25519 key).
fn signer_of(p: &SignaturePayload) -> Result<Vec<u8>, SignatureError> {
    if p.signing_address.len() != p.algo.address_len() {
        return Err(SignatureError::Malformed(format!(
            "signing_address is {} bytes, expected {} for {}",
            p.signing_address.len(),
            p.algo.address_len(),
            p.algo.as_str()
        )));
    }
    match p.algo {
        SigningAlgo::EcdsaSecp256k1Eip191 => {
            let recovered = recover_eip191_address(&p.text, &p.signature)?;
            if recovered.as_slice() != p.signing_address.as_slice() {
                return Err(SignatureError::Invalid(format!(
                    "signed by {}, not by signing_address {}",
                    p.algo.format_address(&recovered),
                    p.algo.format_address(&p.signing_address)
                )));
            }
            Ok(recovered.to_vec())
        }
        SigningAlgo::Ed25519 => {
            if p.signature.len() != 64 {
                return Err(SignatureError::Malformed(format!("Ed25519 signature is {} bytes, expected 64", p.signature.len())));
            }
            verify_ed25519_strict(&p.signing_address, p.text.as_bytes(), &p.signature)?;
            Ok(p.signing_address.clone())
        }
    }
}

/// Verify an Ed25519 signature over `message` with the 32-byte public key `key` under strict rules
/// (RFC 8032 with canonical `S`; neither the key nor `R` of small order).
pub fn verify_ed25519_strict(key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| SignatureError::Malformed(format!("Ed25519 key is {} bytes, expected 32", key.len())))?;
    if signature.len() != 64 {
        return Err(SignatureError::Malformed(format!("Ed25519 signature is {} bytes, expected 64", signature.len())));
    }
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&key)
        .map_err(|_| SignatureError::Invalid("signing_address is not an Ed25519 public key (not a curve point)".to_owned()))?;
    if vk.is_weak() {
        return Err(SignatureError::Invalid("signing_address is a small-order Ed25519 key, for which signatures prove nothing".to_owned()));
    }
    crate::crypto::verify(crate::crypto::SigAlg::Ed25519Strict, &key, message, signature)
        .map_err(|_| SignatureError::Invalid("Ed25519 signature does not verify with signing_address as the key".to_owned()))
}

fn sha256(data: &[u8]) -> [u8; 32] {
    crate::crypto::sha256(data)
}

/// The checks for a per-chat signature, ids prefixed with `prefix` (e.g. `node`):
///
/// * `{prefix}.signature.valid` — the signature verifies and its signer is `signing_address`.
/// * `{prefix}.signature.attested_key` — `signing_address` equals `attested_address`, the layer's
///   attested, report_data-bound signing address; skipped (required) when none is given.
/// * `{prefix}.signature.request` / `{prefix}.signature.response` — the SHA-256 of the given body
///   equals the hash in the text; skipped (required) when the body is not given, so the verdict is
///   never a pass without them. Give the exact bytes: for a streamed response, every SSE byte.
/// * `{prefix}.signature.model` — for a 3-part text, the model equals `model`; informational
///   (skipped, not required) when no model is expected or the text is 2-part (a gateway text names
///   no model; the request body, whose hash is checked, does).
///
/// Only a pass of all required checks ties the bodies to the attested machine.
pub fn signature_checks(
    prefix: &str,
    p: &SignaturePayload,
    attested_address: Option<&[u8]>,
    request_body: Option<&[u8]>,
    response_body: Option<&[u8]>,
    model: Option<&str>,
) -> Vec<Check> {
    let id = |s: &str| format!("{prefix}.signature.{s}");
    let claimed = p.algo.format_address(&p.signing_address);
    let mut checks = Vec::with_capacity(5);

    let title = "Per-chat signature verifies and was made by signing_address";
    checks.push(match signer_of(p) {
        Ok(signer) => Check::pass(&id("valid"), title)
            .expected(claimed.clone())
            .actual(p.algo.format_address(&signer))
            .reason(format!("{} signature over {:?}", p.algo.as_str(), p.text)),
        Err(e) => Check::fail(&id("valid"), title, e.to_string()).expected(claimed.clone()),
    });

    let title = "Signing key is the attested (report_data-bound) signing address";
    checks.push(match attested_address {
        None => Check::skipped(&id("attested_key"), title, "no attested signing address was given for this layer")
            .actual(claimed.clone()),
        Some(a) => Check::from_bool(
            &id("attested_key"),
            title,
            a == p.signing_address.as_slice(),
            "the signature's signing_address is not the key the attestation binds",
        )
        .expected(p.algo.format_address(a))
        .actual(claimed.clone()),
    });

    let parts = parse_text(&p.text);
    for (which, body, title) in [
        ("request", request_body, "Signed text carries the SHA-256 of the request body"),
        ("response", response_body, "Signed text carries the SHA-256 of the response body"),
    ] {
        let check = match (&parts, body) {
            (Err(e), _) => Check::fail(&id(which), title, e.to_string()),
            (Ok(_), None) => Check::skipped(&id(which), title, format!("no {which} body was given to hash")),
            (Ok(t), Some(b)) => {
                let signed = if which == "request" { t.request_sha256 } else { t.response_sha256 };
                let actual = sha256(b);
                Check::from_bool(
                    &id(which),
                    title,
                    actual == signed,
                    format!("the {which} body's SHA-256 differs from the signed one (bodies must be the exact bytes sent/received)"),
                )
                .expected(crate::bytes::to_hex(signed))
                .actual(crate::bytes::to_hex(actual))
            }
        };
        checks.push(check);
    }

    let title = "Signed text names the expected model";
    checks.push(match (&parts, model) {
        (Err(e), _) => Check::fail(&id("model"), title, e.to_string()),
        (Ok(TextParts { model: None, .. }), _) => Check::new(&id("model"), title, Status::Skipped)
            .reason("2-part (gateway) text names no model; the model is bound through the request body")
            .optional(),
        (Ok(TextParts { model: Some(m), .. }), None) => Check::new(&id("model"), title, Status::Skipped)
            .reason("no expected model was given")
            .actual(m.clone())
            .optional(),
        (Ok(TextParts { model: Some(m), .. }), Some(want)) => {
            Check::from_bool(&id("model"), title, m == want, "the signed text names another model")
                .expected(want.to_owned())
                .actual(m.clone())
        }
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_empty() {
        assert_eq!(crate::bytes::to_hex(keccak256(b"")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    }

    #[test]
    fn text_parts() {
        let h = "ab".repeat(32);
        let t = parse_text(&format!("m:x:{h}:{h}")).unwrap();
        assert_eq!(t.model.as_deref(), Some("m:x"));
        assert!(parse_text(&format!("{h}:{h}")).unwrap().model.is_none());
        assert!(parse_text(&format!(":{h}:{h}")).is_err());
        assert!(parse_text(&h).is_err());
        assert!(parse_text(&format!("{h}:{}", "é".repeat(32))).is_err());
        assert!(parse_text("").is_err());
    }

    #[test]
    fn bad_signatures_never_panic() {
        for len in [0usize, 1, 64, 65, 66] {
            for v in [0u8, 1, 27, 28, 29, 255] {
                let mut s = vec![0xffu8; len];
                if let Some(last) = s.last_mut() {
                    *last = v;
                }
                let _ = recover_eip191_address("x", &s);
            }
        }
    }

    #[test]
    fn eip191_prefix_length_is_bytes() {
        // "é" is 2 UTF-8 bytes: the prefix must say 2.
        let mut h = Keccak256::new();
        h.update(b"\x19Ethereum Signed Message:\n2\xc3\xa9");
        let want: [u8; 32] = h.finalize().into();
        assert_eq!(eip191_hash("é"), want);
    }
}
