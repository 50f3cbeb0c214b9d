//! NRAS (NVIDIA Remote Attestation Service) results: the JWKS, compact ES384 JWS tokens and the
//! detached EAT `[["JWT", overall], {"GPU-0": jwt, …}]` that `/v3|v4/attest/{gpu,switch}` returns.
//!
//! What is verified, fail-closed, for every token (overall and per device):
//! - the compact form: exactly three non-empty segments, base64url without padding (canonical),
//!   at most [`MAX_TOKEN_LEN`] bytes; header and claims are JSON objects without duplicate keys;
//! - the JWS header: `alg` exactly `ES384` (`none`, `HS*`, `RS*`, `ES256`, `es384` are refused
//!   before any signature work), `kid` present and in the JWKS, `typ` (if present) `JWT`, no
//!   `crit`;
//! - the key: EC P-384, and its `x5c` chains to a pinned NRAS anchor at `at` (see below);
//! - the signature: 96 bytes raw r‖s, ECDSA P-384 / SHA-384 with the JWKS key (`ring`);
//! - `iss` equal to the expected issuer ([`NRAS_PROD_ISSUER`] in production), `exp` present
//!   and `at < exp`, `nbf ≤ at` and `iat ≤ at` when present (integers; optional leeway).
//!
//! For the detached EAT ([`verify_detached_eat`]): the outer shape is exact; every device token
//! verifies with the same rules; the overall token's `submods` has exactly the device names as
//! keys and each entry is `["DIGEST", ["SHA-256", hex]]` equal to SHA-256 of the device token's
//! compact ASCII form; `eat_nonce` of the overall token (required) and of each device token (when
//! present) equals hex(expected nonce), case-insensitively, when a nonce is expected — and the
//! tokens agree with each other when none is. `x-nvidia-overall-att-result` must be a boolean.
//!
//! NRAS's *verdict* is not an error: authentic tokens saying a GPU failed (e.g.
//! `x-nvidia-error-details {code: 4010, message: NONCE_NOT_MATCHING}`, or `measres` other than
//! `success`) verify, and [`NrasVerification`] exposes them ([`NrasDevice::failure`],
//! [`NrasVerification::failures`], [`NrasVerification::is_success`]) for the caller to report.
//!
//! Trust in the JWKS: the JWKS is evidence, never an anchor. A key signs nothing until its `x5c`
//! validates, at the verification time, to an NRAS intermediate pinned by key
//! ([`crate::pki::nras`]: the compiled pin plus any the caller's policy adds), and the x5c leaf
//! holds exactly the JWK's key ([`Jwk::check_x5c_with`]). A key without `x5c`, or whose chain
//! fails, makes every token it signs fail with [`NrasError::X5c`] (code `nvidia.nras.chain`),
//! before its signature is even looked at.

use std::collections::BTreeSet;
use std::fmt;

use base64::Engine as _;
use serde_json::{Map, Value};

pub use crate::pki::nras::NrasAnchors;
use crate::time::Timestamp;

/// Issuer of production NRAS tokens.
pub const NRAS_PROD_ISSUER: &str = "https://nras.attestation.nvidia.com";
/// Issuer of staging NRAS tokens (never accepted unless asked for explicitly).
pub const NRAS_STAGING_ISSUER: &str = "https://nras.attestation-stg.nvidia.com";
/// The only JWS algorithm accepted.
pub const ALG_ES384: &str = "ES384";
/// Largest JWKS document accepted.
pub const MAX_JWKS_LEN: usize = 1024 * 1024;
/// Most keys a JWKS may hold.
pub const MAX_JWKS_KEYS: usize = 1024;
/// Largest compact token accepted (real NRAS tokens are ≤ 4 KiB).
pub const MAX_TOKEN_LEN: usize = 64 * 1024;
/// Largest detached-EAT body accepted.
pub const MAX_BODY_LEN: usize = 8 * 1024 * 1024;
/// Most device tokens a detached EAT may hold.
pub const MAX_DEVICES: usize = 1024;
/// Length of a raw ES384 signature (r‖s).
pub const ES384_SIG_LEN: usize = 96;
/// Length of an uncompressed P-384 point (0x04‖x‖y).
pub const P384_POINT_LEN: usize = 97;
/// The overall-result claim.
pub const CLAIM_OVERALL_RESULT: &str = "x-nvidia-overall-att-result";
/// The per-device error claim.
pub const CLAIM_ERROR_DETAILS: &str = "x-nvidia-error-details";

/// Why a JWKS, token or detached EAT does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NrasError {
    /// The JWKS document is larger than [`MAX_JWKS_LEN`].
    #[error("JWKS is {len} bytes, more than the {max}-byte limit")]
    JwksTooLarge {
        /// Input length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The JWKS is not JSON of the expected shape.
    #[error("malformed JWKS: {0}")]
    JwksMalformed(String),
    /// The JWKS holds more than [`MAX_JWKS_KEYS`] keys.
    #[error("JWKS holds {count} keys, more than the limit {max}")]
    TooManyKeys {
        /// Keys in the document.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// Two JWKS keys share a `kid` (which one signs would be ambiguous).
    #[error("JWKS key id {0:?} appears more than once")]
    DuplicateKid(String),
    /// A JWKS key that claims to be EC P-384 is malformed.
    #[error("JWKS key {kid:?} is malformed: {reason}")]
    BadKey {
        /// Key id.
        kid: String,
        /// What is wrong.
        reason: String,
    },
    /// The token names a key that is not an ES384 (EC P-384) key.
    #[error("JWKS key {kid:?} (kty {kty:?}, crv {crv:?}, alg {alg:?}) cannot verify ES384")]
    KeyNotEs384 {
        /// Key id.
        kid: String,
        /// Key type.
        kty: String,
        /// Curve, if any.
        crv: Option<String>,
        /// Key's `alg`, if any.
        alg: Option<String>,
    },
    /// A token is larger than [`MAX_TOKEN_LEN`].
    #[error("token is {len} bytes, more than the {max}-byte limit")]
    TokenTooLarge {
        /// Token length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A token does not have exactly three dot-separated segments.
    #[error("compact JWS must have 3 segments, found {0}")]
    SegmentCount(usize),
    /// A segment is empty or not canonical unpadded base64url.
    #[error("JWS {segment} is not unpadded base64url: {reason}")]
    BadBase64 {
        /// `header`, `payload` or `signature`.
        segment: &'static str,
        /// Decoder message.
        reason: String,
    },
    /// Header or claims are not a JSON object (or have duplicate keys).
    #[error("JWS {segment} is not a JSON object: {reason}")]
    BadJson {
        /// `header` or `payload`.
        segment: &'static str,
        /// Parser message.
        reason: String,
    },
    /// The header has no `alg`, or it is not a string.
    #[error("JWS header has no string \"alg\"")]
    MissingAlg,
    /// The header's `alg` is not exactly `ES384`.
    #[error("JWS alg {0:?} is not allowed (only \"ES384\")")]
    AlgNotAllowed(String),
    /// The header has no `kid`, or it is not a string.
    #[error("JWS header has no string \"kid\"")]
    MissingKid,
    /// The header's `typ` is present and not `JWT`.
    #[error("JWS typ {0:?} is not \"JWT\"")]
    BadTyp(String),
    /// The header has `crit` (no extension is understood).
    #[error("JWS header has \"crit\" {0}: no critical extension is supported")]
    CritNotSupported(String),
    /// The header's `kid` is not in the JWKS.
    #[error("key id {0:?} is not in the JWKS")]
    UnknownKid(String),
    /// The signature is not 96 bytes.
    #[error("ES384 signature is {len} bytes, expected {expected}")]
    SignatureLength {
        /// Decoded length.
        len: usize,
        /// 96.
        expected: usize,
    },
    /// The signature does not verify with the key.
    #[error("ES384 signature does not verify with key {kid:?}")]
    BadSignature {
        /// Key id used.
        kid: String,
    },
    /// A required claim is missing.
    #[error("claim {0:?} is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or value form.
    #[error("claim {claim:?} is malformed: {reason}")]
    BadClaim {
        /// Claim name.
        claim: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `iss` is not the expected issuer.
    #[error("issuer {actual:?} is not the expected {expected:?}")]
    IssuerMismatch {
        /// Expected issuer.
        expected: String,
        /// Issuer in the token (`None` when absent or not a string).
        actual: Option<String>,
    },
    /// `at` is at or after `exp`.
    #[error("token expired: exp {exp} ≤ verification time {at} (leeway {leeway}s)")]
    Expired {
        /// `exp`.
        exp: u64,
        /// Verification time.
        at: u64,
        /// Leeway allowed.
        leeway: u64,
    },
    /// `nbf` or `iat` is after `at`.
    #[error("token not yet valid: {claim} {value} > verification time {at} (leeway {leeway}s)")]
    NotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// Its value.
        value: u64,
        /// Verification time.
        at: u64,
        /// Leeway allowed.
        leeway: u64,
    },
    /// The detached-EAT body is larger than [`MAX_BODY_LEN`].
    #[error("detached EAT is {len} bytes, more than the {max}-byte limit")]
    BodyTooLarge {
        /// Input length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The detached EAT is not `[["JWT", overall], {name: jwt, …}]`.
    #[error("detached EAT shape: {0}")]
    EatShape(String),
    /// A device token does not verify.
    #[error("device token {device}: {source}")]
    Device {
        /// Device name (`GPU-0`, `SWITCH-0`, …).
        device: String,
        /// Why.
        #[source]
        source: Box<NrasError>,
    },
    /// The overall token does not verify.
    #[error("overall token: {0}")]
    Overall(#[source] Box<NrasError>),
    /// `submods` and the device map do not name the same devices.
    #[error("overall submods and device tokens differ: only in submods {only_in_submods:?}, only in device map {only_in_devices:?}")]
    SubmodsMismatch {
        /// Names in `submods` without a device token.
        only_in_submods: Vec<String>,
        /// Device tokens not in `submods`.
        only_in_devices: Vec<String>,
    },
    /// A `submods` entry is not `["DIGEST", [alg, hex]]`.
    #[error("submods entry {device:?} is malformed: {reason}")]
    SubmodShape {
        /// Device name.
        device: String,
        /// What is wrong.
        reason: String,
    },
    /// A `submods` digest uses an algorithm other than `SHA-256`.
    #[error("submods entry {device:?} uses digest algorithm {alg:?} (only \"SHA-256\")")]
    DigestAlgorithm {
        /// Device name.
        device: String,
        /// Algorithm named.
        alg: String,
    },
    /// A device token's SHA-256 is not the one in `submods`.
    #[error("device token {device:?} has SHA-256 {actual}, overall submods says {expected}")]
    DigestMismatch {
        /// Device name.
        device: String,
        /// Digest in `submods`.
        expected: String,
        /// SHA-256 of the device token.
        actual: String,
    },
    /// A token's `eat_nonce` is not the expected nonce.
    #[error("{token} eat_nonce {actual:?} is not the expected nonce {expected}")]
    NonceMismatch {
        /// `overall` or the device name.
        token: String,
        /// hex(expected nonce).
        expected: String,
        /// `eat_nonce` (`None` when absent or not a string).
        actual: Option<String>,
    },
    /// A device token's `eat_nonce` differs from the overall token's.
    #[error("device {device} eat_nonce {device_nonce:?} differs from the overall eat_nonce {overall_nonce:?}")]
    NonceInconsistent {
        /// Device name.
        device: String,
        /// Device token's nonce.
        device_nonce: String,
        /// Overall token's nonce (`None` when absent).
        overall_nonce: Option<String>,
    },
    /// The `x5c` of a JWKS key is absent or does not chain to a pinned NRAS anchor: the key
    /// cannot be used.
    #[error("JWKS key {kid:?} is not authenticated by a pinned NRAS anchor (x5c): {reason}")]
    X5c {
        /// Key id.
        kid: String,
        /// What failed.
        reason: String,
    },
}

impl NrasError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            NrasError::JwksTooLarge { .. }
            | NrasError::JwksMalformed(_)
            | NrasError::TooManyKeys { .. }
            | NrasError::DuplicateKid(_)
            | NrasError::BadKey { .. } => "nvidia.nras.jwks",
            NrasError::KeyNotEs384 { .. } => "nvidia.nras.key_type",
            NrasError::TokenTooLarge { .. }
            | NrasError::SegmentCount(_)
            | NrasError::BadBase64 { .. }
            | NrasError::BadJson { .. } => "nvidia.nras.token_format",
            NrasError::MissingAlg | NrasError::AlgNotAllowed(_) => "nvidia.nras.alg",
            NrasError::MissingKid | NrasError::UnknownKid(_) => "nvidia.nras.kid",
            NrasError::BadTyp(_) | NrasError::CritNotSupported(_) => "nvidia.nras.header",
            NrasError::SignatureLength { .. } | NrasError::BadSignature { .. } => {
                "nvidia.nras.signature"
            }
            NrasError::MissingClaim(_) | NrasError::BadClaim { .. } => "nvidia.nras.claims",
            NrasError::IssuerMismatch { .. } => "nvidia.nras.issuer",
            NrasError::Expired { .. } | NrasError::NotYetValid { .. } => "nvidia.nras.validity",
            NrasError::BodyTooLarge { .. } | NrasError::EatShape(_) => "nvidia.nras.eat_shape",
            NrasError::Device { source, .. } | NrasError::Overall(source) => source.code(),
            NrasError::SubmodsMismatch { .. }
            | NrasError::SubmodShape { .. }
            | NrasError::DigestAlgorithm { .. }
            | NrasError::DigestMismatch { .. } => "nvidia.nras.submods",
            NrasError::NonceMismatch { .. } | NrasError::NonceInconsistent { .. } => {
                "nvidia.nras.nonce"
            }
            NrasError::X5c { .. } => "nvidia.nras.chain",
        }
    }

    /// The innermost error (through [`NrasError::Device`] and [`NrasError::Overall`]).
    pub fn root_cause(&self) -> &NrasError {
        match self {
            NrasError::Device { source, .. } | NrasError::Overall(source) => source.root_cause(),
            other => other,
        }
    }
}

fn b64url(segment: &'static str, s: &str) -> Result<Vec<u8>, NrasError> {
    if s.is_empty() {
        return Err(NrasError::BadBase64 { segment, reason: "empty".to_owned() });
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| NrasError::BadBase64 { segment, reason: e.to_string() })
}

// ---------------------------------------------------------------------------------------------
// JWKS

/// One key of a JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// Key id.
    pub kid: String,
    /// Key type (`EC` for NRAS).
    pub kty: String,
    /// Curve (`P-384` for NRAS).
    pub crv: Option<String>,
    /// The key's `alg`, if given (NRAS gives none).
    pub alg: Option<String>,
    /// The key's `use`, if given.
    pub key_use: Option<String>,
    /// Uncompressed SEC1 point `0x04‖x‖y` (97 bytes) when the key is an ES384 signing key,
    /// `None` for keys of other types (kept so a token naming one gets a precise error).
    pub p384_point: Option<Vec<u8>>,
    /// The `x5c` certificates, DER, leaf first (for reporting; see [`Jwk::check_x5c`]).
    pub x5c: Vec<Vec<u8>>,
}

/// A JSON Web Key Set, keys by `kid`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

impl Jwks {
    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }
    /// All keys, in document order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    /// True when the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn opt_str(obj: &Map<String, Value>, name: &str, kid: &str) -> Result<Option<String>, NrasError> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(NrasError::BadKey {
            kid: kid.to_owned(),
            reason: format!("{name:?} is not a string: {other}"),
        }),
    }
}

/// Parse a JWKS (`{"keys": [...]}`). EC P-384 keys become ES384 verification keys (`x`, `y`
/// base64url, 48 bytes each); keys of other types are kept but can never verify a token. Every
/// key needs a unique string `kid`. `x5c` entries (standard base64 DER) are kept for reporting.
pub fn parse_jwks(json: &[u8]) -> Result<Jwks, NrasError> {
    if json.len() > MAX_JWKS_LEN {
        return Err(NrasError::JwksTooLarge { len: json.len(), max: MAX_JWKS_LEN });
    }
    let doc = crate::json::strict(json).map_err(NrasError::JwksMalformed)?;
    let Some(Value::Array(raw_keys)) = doc.get("keys") else {
        return Err(NrasError::JwksMalformed("no \"keys\" array".to_owned()));
    };
    if raw_keys.len() > MAX_JWKS_KEYS {
        return Err(NrasError::TooManyKeys { count: raw_keys.len(), max: MAX_JWKS_KEYS });
    }
    let mut seen = BTreeSet::new();
    let mut keys = Vec::with_capacity(raw_keys.len());
    for (i, raw) in raw_keys.iter().enumerate() {
        let Value::Object(obj) = raw else {
            return Err(NrasError::JwksMalformed(format!("key {i} is not an object")));
        };
        let Some(Value::String(kid)) = obj.get("kid") else {
            return Err(NrasError::JwksMalformed(format!("key {i} has no string \"kid\"")));
        };
        if !seen.insert(kid.clone()) {
            return Err(NrasError::DuplicateKid(kid.clone()));
        }
        let Some(Value::String(kty)) = obj.get("kty") else {
            return Err(NrasError::BadKey { kid: kid.clone(), reason: "no string \"kty\"".to_owned() });
        };
        let crv = opt_str(obj, "crv", kid)?;
        let alg = opt_str(obj, "alg", kid)?;
        let key_use = opt_str(obj, "use", kid)?;
        let is_es384 = kty == "EC"
            && crv.as_deref() == Some("P-384")
            && alg.as_deref().is_none_or(|a| a == ALG_ES384)
            && key_use.as_deref().is_none_or(|u| u == "sig");
        let p384_point = if is_es384 {
            let coord = |name: &str| -> Result<Vec<u8>, NrasError> {
                let Some(Value::String(s)) = obj.get(name) else {
                    return Err(NrasError::BadKey { kid: kid.clone(), reason: format!("no string {name:?}") });
                };
                let b = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).map_err(|e| {
                    NrasError::BadKey { kid: kid.clone(), reason: format!("{name:?} is not base64url: {e}") }
                })?;
                if b.len() != 48 {
                    return Err(NrasError::BadKey {
                        kid: kid.clone(),
                        reason: format!("{name:?} is {} bytes, expected 48", b.len()),
                    });
                }
                Ok(b)
            };
            let mut point = Vec::with_capacity(P384_POINT_LEN);
            point.push(0x04);
            point.extend_from_slice(&coord("x")?);
            point.extend_from_slice(&coord("y")?);
            if obj.contains_key("d") {
                return Err(NrasError::BadKey { kid: kid.clone(), reason: "private key material (\"d\") in a public JWKS".to_owned() });
            }
            Some(point)
        } else {
            None
        };
        let x5c = match obj.get("x5c") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|c| match c {
                    Value::String(s) => base64::engine::general_purpose::STANDARD.decode(s).map_err(|e| {
                        NrasError::BadKey { kid: kid.clone(), reason: format!("x5c entry is not base64: {e}") }
                    }),
                    _ => Err(NrasError::BadKey { kid: kid.clone(), reason: "x5c entry is not a string".to_owned() }),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(NrasError::BadKey { kid: kid.clone(), reason: "x5c is not an array".to_owned() })
            }
        };
        keys.push(Jwk { kid: kid.clone(), kty: kty.clone(), crv, alg, key_use, p384_point, x5c });
    }
    Ok(Jwks { keys })
}

// ---------------------------------------------------------------------------------------------
// x5c: the key's chain to a pinned NRAS anchor

/// What [`Jwk::check_x5c_with`] established about a key's `x5c`.
pub type X5cCheck = crate::pki::nras::NrasKeyPath;

impl Jwk {
    /// [`Jwk::check_x5c_with`] against the compiled NRAS anchor only.
    pub fn check_x5c(&self, at: Timestamp) -> Result<X5cCheck, NrasError> {
        self.check_x5c_with(at, &crate::pki::nras::NrasAnchors::compiled())
    }

    /// Authenticate the key at time `at`: it is an EC P-384 key and its `x5c` validates to one of
    /// `anchors` with the leaf holding exactly this key ([`crate::pki::nras::verify_x5c`]).
    pub fn check_x5c_with(&self, at: Timestamp, anchors: &crate::pki::nras::NrasAnchors) -> Result<X5cCheck, NrasError> {
        let err = |reason: String| NrasError::X5c { kid: self.kid.clone(), reason };
        let point = self.p384_point.as_ref().ok_or_else(|| err("not an EC P-384 key".to_owned()))?;
        crate::pki::nras::verify_x5c(&self.x5c, point, at, anchors).map_err(|e| err(e.to_string()))
    }
}

// ---------------------------------------------------------------------------------------------
// Compact JWS ES384

/// A token whose signature, issuer and validity period verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The JWKS key that verified it.
    pub kid: String,
    /// The JWS header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// The compact form, as given.
    pub compact: String,
}

impl VerifiedToken {
    /// A string claim.
    pub fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
    /// `iat`, if present and an integer.
    pub fn iat(&self) -> Option<u64> {
        self.claims.get("iat").and_then(Value::as_u64)
    }
    /// `exp` (always present in a verified token).
    pub fn exp(&self) -> Option<u64> {
        self.claims.get("exp").and_then(Value::as_u64)
    }
    /// `eat_nonce`, if present and a string.
    pub fn eat_nonce(&self) -> Option<&str> {
        self.str_claim("eat_nonce")
    }
    /// SHA-256 of the compact form (what an overall token's `submods` commits to), lower hex.
    pub fn sha256_hex(&self) -> String {
        crate::bytes::to_hex(crate::crypto::sha256(self.compact.as_bytes()))
    }
}

/// A token split and decoded, before any check of its signature or claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedToken {
    /// The JWS header.
    pub header: Map<String, Value>,
    /// The claims (NOT authenticated).
    pub claims: Map<String, Value>,
}

struct Parts<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    payload_b64: &'a str,
    sig_b64: &'a str,
}

fn split_token(compact: &str) -> Result<Parts<'_>, NrasError> {
    if compact.len() > MAX_TOKEN_LEN {
        return Err(NrasError::TokenTooLarge { len: compact.len(), max: MAX_TOKEN_LEN });
    }
    let segments: Vec<&str> = compact.split('.').collect();
    let [h, p, s] = segments.as_slice() else {
        return Err(NrasError::SegmentCount(segments.len()));
    };
    let header_bytes = b64url("header", h)?;
    let header = match crate::json::strict(&header_bytes) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            return Err(NrasError::BadJson { segment: "header", reason: format!("found {other}") })
        }
        Err(reason) => return Err(NrasError::BadJson { segment: "header", reason }),
    };
    // The signing input is everything before the last dot: header '.' payload.
    let signing_input = compact
        .rsplit_once('.')
        .map(|(si, _)| si)
        .ok_or(NrasError::SegmentCount(1))?;
    Ok(Parts { signing_input, header, payload_b64: p, sig_b64: s })
}

fn decode_claims(payload_b64: &str) -> Result<Map<String, Value>, NrasError> {
    let payload = b64url("payload", payload_b64)?;
    match crate::json::strict(&payload) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(NrasError::BadJson { segment: "payload", reason: format!("found {other}") }),
        Err(reason) => Err(NrasError::BadJson { segment: "payload", reason }),
    }
}

/// Split and decode a compact token **without verifying anything** (for display and for
/// samples whose key is gone). Size, segment and JSON rules are the same as for verification.
pub fn decode_unverified(compact: &str) -> Result<UnverifiedToken, NrasError> {
    let parts = split_token(compact)?;
    let claims = decode_claims(parts.payload_b64)?;
    b64url("signature", parts.sig_b64)?;
    Ok(UnverifiedToken { header: parts.header, claims })
}

fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, NrasError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| NrasError::BadClaim {
            claim: name,
            reason: format!("not a non-negative integer NumericDate: {v}"),
        }),
    }
}

/// Verify a compact ES384 JWS at time `at` with no clock leeway (see the module docs for the
/// rules). Errors come in order: format, header (`alg` before anything cryptographic), `kid`,
/// key type, key chain (`x5c` to the compiled anchor), signature, claims (`iss`, then `exp`,
/// `nbf`, `iat`).
pub fn verify_jwt(
    compact: &str,
    jwks: &Jwks,
    at: Timestamp,
    expected_iss: &str,
) -> Result<VerifiedToken, NrasError> {
    verify_jwt_with_leeway(compact, jwks, at, expected_iss, 0)
}

/// [`verify_jwt`] allowing `leeway_secs` of clock skew on `exp`, `nbf` and `iat`.
pub fn verify_jwt_with_leeway(
    compact: &str,
    jwks: &Jwks,
    at: Timestamp,
    expected_iss: &str,
    leeway_secs: u64,
) -> Result<VerifiedToken, NrasError> {
    verify_jwt_anchored(compact, jwks, at, expected_iss, leeway_secs, &NrasAnchors::compiled())
}

/// [`verify_jwt_with_leeway`] with the signing key authenticated against `anchors` (the
/// compiled pin plus the policy's additions) at `at`, with no leeway on the certificates.
pub fn verify_jwt_anchored(
    compact: &str,
    jwks: &Jwks,
    at: Timestamp,
    expected_iss: &str,
    leeway_secs: u64,
    anchors: &NrasAnchors,
) -> Result<VerifiedToken, NrasError> {
    let parts = split_token(compact)?;
    let header = &parts.header;
    match header.get("alg") {
        Some(Value::String(a)) if a == ALG_ES384 => {}
        Some(Value::String(a)) => return Err(NrasError::AlgNotAllowed(a.clone())),
        _ => return Err(NrasError::MissingAlg),
    }
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t == "JWT" => {}
        Some(other) => {
            return Err(NrasError::BadTyp(other.as_str().map_or_else(|| other.to_string(), str::to_owned)))
        }
    }
    if let Some(crit) = header.get("crit") {
        return Err(NrasError::CritNotSupported(crit.to_string()));
    }
    let Some(Value::String(kid)) = header.get("kid") else {
        return Err(NrasError::MissingKid);
    };
    let key = jwks.get(kid).ok_or_else(|| NrasError::UnknownKid(kid.clone()))?;
    let Some(point) = key.p384_point.as_ref() else {
        return Err(NrasError::KeyNotEs384 {
            kid: key.kid.clone(),
            kty: key.kty.clone(),
            crv: key.crv.clone(),
            alg: key.alg.clone(),
        });
    };
    // The key is evidence: it is used only once its x5c chains to a pinned anchor.
    key.check_x5c_with(at, anchors)?;
    let sig = b64url("signature", parts.sig_b64)?;
    if sig.len() != ES384_SIG_LEN {
        return Err(NrasError::SignatureLength { len: sig.len(), expected: ES384_SIG_LEN });
    }
    // The payload must decode before it is trusted, but the signature is checked first so that
    // no claim of an unauthenticated token is ever interpreted.
    crate::crypto::verify(crate::crypto::SigAlg::EcdsaP384Sha384Fixed, point, parts.signing_input.as_bytes(), &sig)
        .map_err(|_| NrasError::BadSignature { kid: kid.clone() })?;
    let claims = decode_claims(parts.payload_b64)?;

    let iss = claims.get("iss").and_then(Value::as_str);
    if iss != Some(expected_iss) {
        return Err(NrasError::IssuerMismatch {
            expected: expected_iss.to_owned(),
            actual: iss.map(str::to_owned),
        });
    }
    let now = at.unix();
    let exp = numeric_date(&claims, "exp")?.ok_or(NrasError::MissingClaim("exp"))?;
    if now >= exp.saturating_add(leeway_secs) {
        return Err(NrasError::Expired { exp, at: now, leeway: leeway_secs });
    }
    for name in ["nbf", "iat"] {
        if let Some(value) = numeric_date(&claims, name)? {
            if value > now.saturating_add(leeway_secs) {
                return Err(NrasError::NotYetValid { claim: name, value, at: now, leeway: leeway_secs });
            }
        }
    }
    Ok(VerifiedToken { kid: kid.clone(), header: parts.header.clone(), claims, compact: compact.to_owned() })
}

// ---------------------------------------------------------------------------------------------
// Detached EAT

/// A detached EAT split into its tokens, nothing verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachedEat {
    /// The overall (platform) token.
    pub overall: String,
    /// Device tokens by name (`GPU-0`, `SWITCH-0`, …), in natural name order.
    pub devices: Vec<(String, String)>,
}

/// Order `GPU-2` before `GPU-10`: by prefix, then by numeric suffix, then by the whole name.
fn natural_key(name: &str) -> (&str, Option<u64>, &str) {
    match name.rsplit_once('-') {
        Some((prefix, n)) => (prefix, n.parse().ok(), name),
        None => (name, None, name),
    }
}

/// Split a detached EAT `[["JWT", overall], {name: jwt, …}]` (the NRAS response body) into its
/// tokens, checking the shape exactly and the sizes, but **verifying nothing**.
pub fn parse_detached_eat(body: &[u8]) -> Result<DetachedEat, NrasError> {
    if body.len() > MAX_BODY_LEN {
        return Err(NrasError::BodyTooLarge { len: body.len(), max: MAX_BODY_LEN });
    }
    let shape = |s: &str| NrasError::EatShape(s.to_owned());
    let doc = crate::json::strict(body).map_err(|e| NrasError::EatShape(format!("not JSON: {e}")))?;
    let Value::Array(outer) = doc else {
        return Err(shape("not a JSON array"));
    };
    let [first, second] = outer.as_slice() else {
        return Err(NrasError::EatShape(format!("outer array has {} elements, expected 2", outer.len())));
    };
    let Value::Array(pair) = first else {
        return Err(shape("first element is not [\"JWT\", token]"));
    };
    let overall = match pair.as_slice() {
        [Value::String(tag), Value::String(tok)] if tag == "JWT" => tok.clone(),
        _ => return Err(shape("first element is not [\"JWT\", token]")),
    };
    let Value::Object(map) = second else {
        return Err(shape("second element is not an object of device tokens"));
    };
    if map.is_empty() {
        return Err(shape("no device tokens"));
    }
    if map.len() > MAX_DEVICES {
        return Err(NrasError::EatShape(format!("{} device tokens, more than the limit {MAX_DEVICES}", map.len())));
    }
    let mut devices = Vec::with_capacity(map.len());
    for (name, tok) in map {
        if name.is_empty() || name.len() > 64 {
            return Err(NrasError::EatShape(format!("device name {name:?} is empty or too long")));
        }
        let Value::String(tok) = tok else {
            return Err(NrasError::EatShape(format!("device {name:?} token is not a string")));
        };
        devices.push((name.clone(), tok.clone()));
    }
    devices.sort_by(|a, b| natural_key(&a.0).cmp(&natural_key(&b.0)));
    Ok(DetachedEat { overall, devices })
}

/// NRAS's per-device error (`x-nvidia-error-details`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrasDeviceError {
    /// Numeric code (4010 = NONCE_NOT_MATCHING, 4003 invalid nonce, …), if an integer.
    pub code: Option<i64>,
    /// `message` (e.g. `NONCE_NOT_MATCHING`).
    pub message: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `httpStatus`.
    pub http_status: Option<String>,
    /// `fieldName`.
    pub field_name: Option<String>,
    /// The claim as given.
    pub raw: Value,
}

impl NrasDeviceError {
    fn from_claim(raw: &Value) -> Self {
        let s = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
        NrasDeviceError {
            code: raw.get("code").and_then(Value::as_i64),
            message: s("message"),
            description: s("description"),
            http_status: s("httpStatus"),
            field_name: s("fieldName"),
            raw: raw.clone(),
        }
    }
}

impl fmt::Display for NrasDeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, &self.message) {
            (Some(c), Some(m)) => write!(f, "{c} {m}"),
            (Some(c), None) => write!(f, "{c}"),
            (None, Some(m)) => f.write_str(m),
            (None, None) => write!(f, "{}", self.raw),
        }
    }
}

/// One device's authentic NRAS token and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrasDevice {
    /// Device name (`GPU-0`, `SWITCH-0`, …).
    pub name: String,
    /// The verified token.
    pub token: VerifiedToken,
    /// `measres` (`success` when NRAS matched all measurements), if present.
    pub measres: Option<String>,
    /// `x-nvidia-error-details`, if NRAS could not appraise the device.
    pub error: Option<NrasDeviceError>,
}

impl NrasDevice {
    /// NRAS appraised the device as good: `measres == "success"` and no error claim.
    pub fn is_success(&self) -> bool {
        self.error.is_none() && self.measres.as_deref() == Some("success")
    }
    /// Why NRAS says the device failed, or `None` if it did not.
    pub fn failure(&self) -> Option<String> {
        if self.is_success() {
            return None;
        }
        Some(match (&self.error, &self.measres) {
            (Some(e), _) => format!("NRAS says {} failed: {e}", self.name),
            (None, Some(m)) => format!("NRAS says {} failed: measres {m:?}", self.name),
            (None, None) => format!("NRAS says {} failed: no measres and no error details", self.name),
        })
    }
}

/// A verified detached EAT: every token authentic, bound together and to the nonce. The
/// verdict it carries may still be negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrasVerification {
    /// The overall token.
    pub overall: VerifiedToken,
    /// Device tokens, in natural name order.
    pub devices: Vec<NrasDevice>,
    /// `x-nvidia-overall-att-result`.
    pub overall_result: bool,
    /// The overall token's `eat_nonce`.
    pub eat_nonce: Option<String>,
    /// `x-nvidia-ver` of the overall token (`2.0`, `3.0`).
    pub claims_version: Option<String>,
}

impl NrasVerification {
    /// NRAS says everything passed: overall result true and every device a success.
    pub fn is_success(&self) -> bool {
        self.overall_result && self.devices.iter().all(NrasDevice::is_success)
    }
    /// One line per failed device, e.g. `NRAS says GPU-3 failed: 4010 NONCE_NOT_MATCHING`.
    pub fn failures(&self) -> Vec<String> {
        self.devices.iter().filter_map(NrasDevice::failure).collect()
    }
    /// The device named `name`.
    pub fn device(&self, name: &str) -> Option<&NrasDevice> {
        self.devices.iter().find(|d| d.name == name)
    }
}

fn nonce_matches(actual: &str, expected: &[u8]) -> bool {
    hex::decode(actual).is_ok_and(|a| a == expected)
}

fn check_submod(name: &str, entry: &Value, token: &VerifiedToken) -> Result<(), NrasError> {
    let bad = |reason: &str| NrasError::SubmodShape { device: name.to_owned(), reason: reason.to_owned() };
    let [Value::String(tag), Value::Array(inner)] = entry.as_array().map(Vec::as_slice).unwrap_or_default()
    else {
        return Err(bad("not [\"DIGEST\", [alg, hex]]"));
    };
    if tag != "DIGEST" {
        return Err(NrasError::SubmodShape { device: name.to_owned(), reason: format!("tag {tag:?} is not \"DIGEST\"") });
    }
    let [Value::String(alg), Value::String(hex_digest)] = inner.as_slice() else {
        return Err(bad("digest is not [alg, hex]"));
    };
    if alg != "SHA-256" {
        return Err(NrasError::DigestAlgorithm { device: name.to_owned(), alg: alg.clone() });
    }
    let expected = hex::decode(hex_digest)
        .ok()
        .filter(|d| d.len() == 32)
        .ok_or_else(|| bad("digest is not 64 hex digits"))?;
    let actual = crate::crypto::sha256(token.compact.as_bytes());
    if actual.as_ref() != expected.as_slice() {
        return Err(NrasError::DigestMismatch {
            device: name.to_owned(),
            expected: hex_digest.clone(),
            actual: crate::bytes::to_hex(actual),
        });
    }
    Ok(())
}

/// Verify an NRAS detached EAT (the response body) at time `at` with no leeway: every token by
/// [`verify_jwt`] rules, the `submods` digests and key set, and `eat_nonce` against
/// `expected_nonce` (raw bytes; compared with the hex claim case-insensitively). A negative NRAS
/// verdict is returned in [`NrasVerification`], not as an error.
pub fn verify_detached_eat(
    body: &[u8],
    jwks: &Jwks,
    at: Timestamp,
    expected_nonce: Option<&[u8]>,
    expected_iss: &str,
) -> Result<NrasVerification, NrasError> {
    verify_detached_eat_with_leeway(body, jwks, at, expected_nonce, expected_iss, 0)
}

/// [`verify_detached_eat`] allowing `leeway_secs` of clock skew.
pub fn verify_detached_eat_with_leeway(
    body: &[u8],
    jwks: &Jwks,
    at: Timestamp,
    expected_nonce: Option<&[u8]>,
    expected_iss: &str,
    leeway_secs: u64,
) -> Result<NrasVerification, NrasError> {
    verify_detached_eat_anchored(body, jwks, at, expected_nonce, expected_iss, leeway_secs, &NrasAnchors::compiled())
}

/// [`verify_detached_eat_with_leeway`] with every signing key authenticated against `anchors`
/// (see [`verify_jwt_anchored`]).
pub fn verify_detached_eat_anchored(
    body: &[u8],
    jwks: &Jwks,
    at: Timestamp,
    expected_nonce: Option<&[u8]>,
    expected_iss: &str,
    leeway_secs: u64,
    anchors: &NrasAnchors,
) -> Result<NrasVerification, NrasError> {
    verify_detached_eat_in(body, jwks, at, expected_nonce, expected_iss, leeway_secs, anchors, true)
}

/// [`verify_detached_eat_anchored`], the token signatures spread over the CPUs only when
/// `parallel` (see [`crate::nvidia::verify::GpuOptions::parallel`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_detached_eat_in(
    body: &[u8],
    jwks: &Jwks,
    at: Timestamp,
    expected_nonce: Option<&[u8]>,
    expected_iss: &str,
    leeway_secs: u64,
    anchors: &NrasAnchors,
    parallel: bool,
) -> Result<NrasVerification, NrasError> {
    let eat = parse_detached_eat(body)?;
    // One ES384 signature per token: verified over the CPUs, then read in order (the first error
    // in document order is the one reported, as in a sequential loop).
    let compacts: Vec<&str> = std::iter::once(eat.overall.as_str()).chain(eat.devices.iter().map(|(_, c)| c.as_str())).collect();
    let mut verified = crate::par::map_ordered(&compacts, parallel, |c| verify_jwt_anchored(c, jwks, at, expected_iss, leeway_secs, anchors)).into_iter();
    let overall = verified
        .next()
        .ok_or_else(|| NrasError::Overall(Box::new(NrasError::MissingClaim("overall token"))))?
        .map_err(|e| NrasError::Overall(Box::new(e)))?;
    let mut tokens = Vec::with_capacity(eat.devices.len());
    for ((name, _), tok) in eat.devices.iter().zip(verified) {
        let tok = tok.map_err(|e| NrasError::Device { device: name.clone(), source: Box::new(e) })?;
        tokens.push((name.clone(), tok));
    }

    // submods: same key set, each the SHA-256 of the device token.
    let submods = match overall.claims.get("submods") {
        None => return Err(NrasError::Overall(Box::new(NrasError::MissingClaim("submods")))),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(NrasError::Overall(Box::new(NrasError::BadClaim {
                claim: "submods",
                reason: format!("not an object: {other}"),
            })))
        }
    };
    let in_submods: BTreeSet<&str> = submods.keys().map(String::as_str).collect();
    let in_devices: BTreeSet<&str> = tokens.iter().map(|(n, _)| n.as_str()).collect();
    if in_submods != in_devices {
        return Err(NrasError::SubmodsMismatch {
            only_in_submods: in_submods.difference(&in_devices).map(|s| (*s).to_owned()).collect(),
            only_in_devices: in_devices.difference(&in_submods).map(|s| (*s).to_owned()).collect(),
        });
    }
    for (name, tok) in &tokens {
        let entry = submods.get(name).ok_or_else(|| NrasError::SubmodsMismatch {
            only_in_submods: Vec::new(),
            only_in_devices: vec![name.clone()],
        })?;
        check_submod(name, entry, tok)?;
    }

    // Nonce: the overall token must carry the expected one; device tokens, when they carry one.
    let eat_nonce = match overall.claims.get("eat_nonce") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(NrasError::Overall(Box::new(NrasError::BadClaim {
                claim: "eat_nonce",
                reason: format!("not a string: {other}"),
            })))
        }
    };
    if let Some(expected) = expected_nonce {
        if !eat_nonce.as_deref().is_some_and(|n| nonce_matches(n, expected)) {
            return Err(NrasError::NonceMismatch {
                token: "overall".to_owned(),
                expected: crate::bytes::to_hex(expected),
                actual: eat_nonce,
            });
        }
    }
    for (name, tok) in &tokens {
        let dn = match tok.claims.get("eat_nonce") {
            None => continue,
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(NrasError::Device {
                    device: name.clone(),
                    source: Box::new(NrasError::BadClaim { claim: "eat_nonce", reason: format!("not a string: {other}") }),
                })
            }
        };
        match expected_nonce {
            Some(expected) if !nonce_matches(dn, expected) => {
                return Err(NrasError::NonceMismatch {
                    token: name.clone(),
                    expected: crate::bytes::to_hex(expected),
                    actual: Some(dn.clone()),
                })
            }
            Some(_) => {}
            None => {
                let same = eat_nonce
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(dn));
                if !same {
                    return Err(NrasError::NonceInconsistent {
                        device: name.clone(),
                        device_nonce: dn.clone(),
                        overall_nonce: eat_nonce,
                    });
                }
            }
        }
    }

    let overall_result = match overall.claims.get(CLAIM_OVERALL_RESULT) {
        Some(Value::Bool(b)) => *b,
        None => return Err(NrasError::Overall(Box::new(NrasError::MissingClaim(CLAIM_OVERALL_RESULT)))),
        Some(other) => {
            return Err(NrasError::Overall(Box::new(NrasError::BadClaim {
                claim: CLAIM_OVERALL_RESULT,
                reason: format!("not a boolean: {other}"),
            })))
        }
    };
    let claims_version = overall.str_claim("x-nvidia-ver").map(str::to_owned);
    let devices = tokens
        .into_iter()
        .map(|(name, token)| NrasDevice {
            measres: token.str_claim("measres").map(str::to_owned),
            error: token.claims.get(CLAIM_ERROR_DETAILS).map(NrasDeviceError::from_claim),
            name,
            token,
        })
        .collect();
    Ok(NrasVerification { overall, devices, overall_result, eat_nonce, claims_version })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(b: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    #[test]
    fn segment_and_base64_rules() {
        let h = b64(br#"{"alg":"ES384","kid":"k"}"#);
        let p = b64(br#"{"iss":"x"}"#);
        let jwks = Jwks::default();
        let at = Timestamp::from_unix(0);
        let e = |t: &str| verify_jwt(t, &jwks, at, NRAS_PROD_ISSUER).unwrap_err();
        assert_eq!(e(&format!("{h}.{p}")), NrasError::SegmentCount(2));
        assert_eq!(e(&format!("{h}.{p}.AA.AA")), NrasError::SegmentCount(4));
        assert!(matches!(e(&format!("{h}=.{p}.AA")), NrasError::BadBase64 { segment: "header", .. }));
        assert!(matches!(e(&format!(".{p}.AA")), NrasError::BadBase64 { segment: "header", .. }));
        assert_eq!(e(&format!("{h}.{p}.AA")), NrasError::UnknownKid("k".to_owned()));
        assert!(matches!(e(&"a".repeat(MAX_TOKEN_LEN + 1)), NrasError::TokenTooLarge { .. }));
        // Non-canonical trailing bits are refused.
        assert!(matches!(b64url("payload", "AB"), Err(NrasError::BadBase64 { .. })));
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["GPU-10", "GPU-2", "GPU-0", "SWITCH-1"];
        v.sort_by_key(|n| natural_key(n));
        assert_eq!(v, ["GPU-0", "GPU-2", "GPU-10", "SWITCH-1"]);
    }

    #[test]
    fn jwks_rules() {
        let x = b64(&[1u8; 48]);
        let k = |kid: &str| format!(r#"{{"kty":"EC","crv":"P-384","kid":"{kid}","x":"{x}","y":"{x}"}}"#);
        let ok = parse_jwks(format!(r#"{{"keys":[{},{}]}}"#, k("a"), k("b")).as_bytes()).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok.get("a").unwrap().p384_point.as_ref().unwrap().len(), P384_POINT_LEN);
        assert_eq!(
            parse_jwks(format!(r#"{{"keys":[{},{}]}}"#, k("a"), k("a")).as_bytes()),
            Err(NrasError::DuplicateKid("a".to_owned()))
        );
        let rsa = parse_jwks(br#"{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}]}"#).unwrap();
        assert!(rsa.get("r").unwrap().p384_point.is_none());
        let short = format!(r#"{{"keys":[{{"kty":"EC","crv":"P-384","kid":"s","x":"AAAA","y":"{x}"}}]}}"#);
        assert!(matches!(parse_jwks(short.as_bytes()), Err(NrasError::BadKey { .. })));
        assert!(matches!(parse_jwks(&vec![b' '; MAX_JWKS_LEN + 1]), Err(NrasError::JwksTooLarge { .. })));
        assert!(matches!(parse_jwks(b"[]"), Err(NrasError::JwksMalformed(_))));
    }
}
