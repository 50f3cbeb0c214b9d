//! NVIDIA evidence encodings: a single report (raw, hex or base64) and the provider / NRAS JSON
//! evidence list.
//!
//! JSON shapes accepted (all seen in real captures):
//!
//! * the NRAS request body that providers ship as `nvidia_payload`:
//!   `{"arch", "nonce", "evidence_list": [{"certificate", "evidence", "arch"?, "nonce"?}]}`
//!   (optionally `claims_version`, ignored), either as a JSON object or as a JSON *string*
//!   holding that object (NEAR AI nests it that way);
//! * a bare array of items `[{"arch", "certificate", "evidence", "nonce"?, "driver_version"?,
//!   "vbios_version"?, "version"?}]` (NVIDIA's serialized evidence, PPCIe tools, Chutes).
//!
//! `certificate` is base64 of the PEM chain text (leaf first); `evidence` is base64 (or hex) of
//! the raw report bytes.
//!
//! **Every JSON side field (`arch`, `nonce`, `driver_version`, `vbios_version`, `version`) is an
//! unsigned hint.** They are exposed as `*_hint` and must never be trusted: the nonce, versions
//! and identity of a device come from its signed report.
//!
//! Strictness: the input is bounded ([`MAX_JSON_LEN`], [`MAX_ITEMS`]), items use derived
//! structs that reject unknown and duplicate keys (the extra keys listed above are the only
//! ones tolerated), the evidence list must not be empty, and every item's report and chain
//! must decode.

use base64::Engine as _;
use serde::Deserialize;

use super::spdm::{SpdmError, SpdmReport, MAX_REPORT_LEN};
pub use crate::input::Encoding;

/// Largest JSON evidence document accepted.
pub const MAX_JSON_LEN: usize = 8 * 1024 * 1024;
/// Most evidence items accepted in one list (an HGX system has 8 GPUs and 4 switches).
pub const MAX_ITEMS: usize = 64;
/// Most certificates accepted in one item's chain (real chains have 5).
pub const MAX_CHAIN_CERTS: usize = 16;
/// Largest encoded report accepted by [`decode_report`] (hex doubles the size, base64 adds a
/// third, whitespace a little more).
pub const MAX_REPORT_TEXT_LEN: usize = 4 * MAX_REPORT_LEN;

/// Why evidence could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// Input above its size limit.
    #[error("{what} is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Empty input (or only whitespace).
    #[error("{0} is empty")]
    Empty(&'static str),
    /// Hex text that does not decode.
    #[error("invalid hex: {0}")]
    Hex(String),
    /// Neither a binary report nor hex or base64 text.
    #[error("not an NVIDIA attestation report: {0}")]
    Encoding(&'static str),
    /// Base64 that does not decode.
    #[error("invalid base64 in {0}")]
    Base64(&'static str),
    /// JSON that does not parse into an accepted shape (including duplicate or unknown keys).
    #[error("evidence JSON: {0}")]
    Json(String),
    /// The JSON top level is not an object, an array, or a string holding one of those.
    #[error("evidence JSON must be an object with evidence_list, an array of items, or a string holding one")]
    Shape,
    /// No items.
    #[error("the evidence list is empty")]
    NoItems,
    /// Too many items.
    #[error("the evidence list has {count} items, more than the limit {max}")]
    TooManyItems {
        /// Items found.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// The certificate field is not a usable PEM chain.
    #[error("certificate chain: {0}")]
    Chain(String),
    /// One item is malformed.
    #[error("evidence item {index}, {field}: {source}")]
    Item {
        /// Position in the list (0-based).
        index: usize,
        /// `certificate` or `evidence`.
        field: &'static str,
        /// What is wrong with it.
        #[source]
        source: Box<EvidenceError>,
    },
}

impl EvidenceError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::TooLarge { .. } | EvidenceError::TooManyItems { .. } => {
                "nvidia.evidence.too_large"
            }
            EvidenceError::Empty(_) | EvidenceError::NoItems => "nvidia.evidence.empty",
            EvidenceError::Hex(_) | EvidenceError::Encoding(_) | EvidenceError::Base64(_) => {
                "nvidia.evidence.encoding"
            }
            EvidenceError::Json(_) | EvidenceError::Shape => "nvidia.evidence.json",
            EvidenceError::Chain(_) => "nvidia.evidence.certificate",
            EvidenceError::Item { source, .. } => source.code(),
        }
    }
}

/// Decode one report given as raw bytes, hex text (optionally `0x`-prefixed) or base64 text
/// (standard or URL-safe alphabet, padded or not); whitespace in text is ignored.
///
/// Input whose first byte is a control character other than whitespace (a raw report starts
/// with `11 E0`) is taken as binary, so that the parser can say what is wrong with it. Text
/// made only of hex digits is hex, unless it then does not start with `11 E0` and the same
/// text read as base64 does. The decoded bytes are not parsed here: see [`SpdmReport::parse`].
pub fn decode_report(input: &[u8]) -> Result<(Vec<u8>, Encoding), EvidenceError> {
    if input.len() > MAX_REPORT_TEXT_LEN {
        return Err(EvidenceError::TooLarge {
            what: "report input",
            len: input.len(),
            max: MAX_REPORT_TEXT_LEN,
        });
    }
    let Some(&first) = input.first() else {
        return Err(EvidenceError::Empty("report input"));
    };
    if first < 0x20 && !matches!(first, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        return Ok((input.to_vec(), Encoding::Binary));
    }
    let text = std::str::from_utf8(input).map_err(|_| {
        EvidenceError::Encoding(
            "binary data that does not start with SPDM 1.1 GET_MEASUREMENTS (11 e0)",
        )
    })?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let compact = compact.strip_prefix("0x").unwrap_or(&compact);
    if compact.is_empty() {
        return Err(EvidenceError::Empty("report input"));
    }
    let is_report = |b: &[u8]| b.starts_with(&[0x11, 0xE0]);
    if compact.bytes().all(|b| b.is_ascii_hexdigit()) {
        let hex_result = if compact.len().is_multiple_of(2) {
            hex::decode(compact).map_err(|e| EvidenceError::Hex(e.to_string()))
        } else {
            Err(EvidenceError::Hex(format!(
                "odd number of digits ({})",
                compact.len()
            )))
        };
        match hex_result {
            Ok(bytes) if is_report(&bytes) => return Ok((bytes, Encoding::Hex)),
            other => {
                if let Some(bytes) = decode_base64(compact).filter(|b| is_report(b)) {
                    return Ok((bytes, Encoding::Base64));
                }
                return other.map(|bytes| (bytes, Encoding::Hex));
            }
        }
    }
    decode_base64(compact)
        .map(|bytes| (bytes, Encoding::Base64))
        .ok_or(EvidenceError::Encoding("text is neither hex nor base64"))
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ]
    .into_iter()
    .find_map(|engine| engine.decode(text).ok())
}

/// Decode a `certificate` field: base64 of PEM text holding one or more `CERTIFICATE` blocks.
/// Returns the DER certificates in the order given (leaf first by convention; nothing is
/// validated here).
pub fn decode_cert_chain(field: &str) -> Result<Vec<Vec<u8>>, EvidenceError> {
    let compact: String = field.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let pem_text = decode_base64(&compact).ok_or(EvidenceError::Base64("certificate"))?;
    let blocks = pem::parse_many(&pem_text).map_err(|e| EvidenceError::Chain(e.to_string()))?;
    if blocks.is_empty() {
        return Err(EvidenceError::Chain(
            "no PEM certificate in the chain".to_owned(),
        ));
    }
    if blocks.len() > MAX_CHAIN_CERTS {
        return Err(EvidenceError::Chain(format!(
            "{} certificates, more than the limit {MAX_CHAIN_CERTS}",
            blocks.len()
        )));
    }
    blocks
        .into_iter()
        .map(|p| {
            if p.tag() == "CERTIFICATE" {
                Ok(p.into_contents())
            } else {
                Err(EvidenceError::Chain(format!(
                    "PEM block {:?} is not a CERTIFICATE",
                    p.tag()
                )))
            }
        })
        .collect()
}

/// One device's evidence: its report and certificate chain, plus unsigned JSON side fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuEvidence {
    /// The raw SPDM report bytes (decoded from `evidence`, not yet parsed).
    pub report: Vec<u8>,
    /// The certificate chain, DER, in the order given (leaf first by convention).
    pub cert_chain: Vec<Vec<u8>>,
    /// UNSIGNED hint: the item's `arch` (e.g. `HOPPER`, `BLACKWELL`, `LS10`). Never trusted.
    pub arch_hint: Option<String>,
    /// UNSIGNED hint: the item's `nonce`. Never trusted: the nonce is the report's.
    pub nonce_hint: Option<String>,
    /// UNSIGNED hint: the item's `driver_version`. Never trusted: use the report's opaque data.
    pub driver_version_hint: Option<String>,
    /// UNSIGNED hint: the item's `vbios_version`. Never trusted: use the report's opaque data.
    pub vbios_version_hint: Option<String>,
}

impl GpuEvidence {
    /// Parse the report.
    pub fn parse_report(&self) -> Result<SpdmReport, SpdmError> {
        SpdmReport::parse(&self.report)
    }
}

/// A list of device evidence, as providers and NRAS clients ship it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceList {
    /// UNSIGNED hint: the top-level `arch` (absent for the bare-array form). Never trusted.
    pub arch_hint: Option<String>,
    /// UNSIGNED hint: the top-level `nonce` (absent for the bare-array form). Never trusted:
    /// compare the expected nonce with each report's signed nonce.
    pub nonce_hint: Option<String>,
    /// The items, in order (at least one, at most [`MAX_ITEMS`]).
    pub items: Vec<GpuEvidence>,
}

/// One JSON item. Extra keys tolerated, all unsigned hints: `arch`, `nonce` (NVIDIA serialized
/// evidence, NEAR direct), `driver_version`, `vbios_version`, `version` (PPCIe tools).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    certificate: String,
    evidence: String,
    arch: Option<String>,
    nonce: Option<String>,
    driver_version: Option<String>,
    vbios_version: Option<String>,
    #[allow(dead_code)] // accepted, not used: a serialization format version
    version: Option<String>,
}

/// The NRAS request body. `claims_version` (NRAS API) is tolerated and ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayload {
    arch: Option<String>,
    nonce: Option<String>,
    evidence_list: Vec<RawItem>,
    #[allow(dead_code)]
    claims_version: Option<String>,
}

fn json_err(e: serde_json::Error) -> EvidenceError {
    EvidenceError::Json(e.to_string())
}

/// Parse a JSON evidence list (see the module docs for the accepted shapes).
pub fn parse_evidence_list(json: &[u8]) -> Result<EvidenceList, EvidenceError> {
    parse_json(json, true)
}

fn parse_json(json: &[u8], allow_string: bool) -> Result<EvidenceList, EvidenceError> {
    if json.len() > MAX_JSON_LEN {
        return Err(EvidenceError::TooLarge {
            what: "evidence JSON",
            len: json.len(),
            max: MAX_JSON_LEN,
        });
    }
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    let (arch_hint, nonce_hint, raw_items) = match first {
        None => return Err(EvidenceError::Empty("evidence JSON")),
        Some(b'{') => {
            let p: RawPayload = serde_json::from_slice(json).map_err(json_err)?;
            (p.arch, p.nonce, p.evidence_list)
        }
        Some(b'[') => {
            let items: Vec<RawItem> = serde_json::from_slice(json).map_err(json_err)?;
            (None, None, items)
        }
        Some(b'"') if allow_string => {
            let inner: String = serde_json::from_slice(json).map_err(json_err)?;
            return parse_json(inner.as_bytes(), false);
        }
        Some(_) => return Err(EvidenceError::Shape),
    };
    if raw_items.is_empty() {
        return Err(EvidenceError::NoItems);
    }
    if raw_items.len() > MAX_ITEMS {
        return Err(EvidenceError::TooManyItems {
            count: raw_items.len(),
            max: MAX_ITEMS,
        });
    }
    let items = raw_items
        .into_iter()
        .enumerate()
        .map(|(index, it)| {
            let item_err = |field: &'static str| {
                move |e: EvidenceError| EvidenceError::Item {
                    index,
                    field,
                    source: Box::new(e),
                }
            };
            let (report, _) =
                decode_report(it.evidence.as_bytes()).map_err(item_err("evidence"))?;
            let cert_chain = decode_cert_chain(&it.certificate).map_err(item_err("certificate"))?;
            Ok(GpuEvidence {
                report,
                cert_chain,
                arch_hint: it.arch,
                nonce_hint: it.nonce,
                driver_version_hint: it.driver_version,
                vbios_version_hint: it.vbios_version,
            })
        })
        .collect::<Result<Vec<_>, EvidenceError>>()?;
    Ok(EvidenceList {
        arch_hint,
        nonce_hint,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT_B64: &str =
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFBRUMKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

    #[test]
    fn report_encodings() {
        let raw = [0x11u8, 0xE0, 1, 0xFF];
        assert_eq!(
            decode_report(&raw).unwrap(),
            (raw.to_vec(), Encoding::Binary)
        );
        assert_eq!(
            decode_report(b" 11e0 01ff\n").unwrap(),
            (raw.to_vec(), Encoding::Hex)
        );
        assert_eq!(
            decode_report(b"0x11E001FF").unwrap(),
            (raw.to_vec(), Encoding::Hex)
        );
        assert_eq!(
            decode_report(b"EeAB/w==").unwrap(),
            (raw.to_vec(), Encoding::Base64)
        );
        assert_eq!(
            decode_report(b"EeAB_w").unwrap(),
            (raw.to_vec(), Encoding::Base64)
        );
        assert_eq!(decode_report(&[0x10, 0xE0]).unwrap().1, Encoding::Binary);
        assert!(matches!(decode_report(b""), Err(EvidenceError::Empty(_))));
        assert!(matches!(
            decode_report(b" \n"),
            Err(EvidenceError::Empty(_))
        ));
        assert!(matches!(decode_report(b"11e"), Err(EvidenceError::Hex(_))));
        assert!(matches!(
            decode_report(b"#$%"),
            Err(EvidenceError::Encoding(_))
        ));
        assert!(matches!(
            decode_report(&[0xff, 0xfe]),
            Err(EvidenceError::Encoding(_))
        ));
        assert!(matches!(
            decode_report(&vec![b'a'; MAX_REPORT_TEXT_LEN + 1]),
            Err(EvidenceError::TooLarge { .. })
        ));
    }

    #[test]
    fn json_shapes_and_strictness() {
        let item =
            format!(r#"{{"certificate":"{CERT_B64}","evidence":"EeAB/w==","arch":"HOPPER"}}"#);
        let obj = format!(r#"{{"arch":"HOPPER","nonce":"ab","evidence_list":[{item}]}}"#);
        let l = parse_evidence_list(obj.as_bytes()).unwrap();
        assert_eq!(l.nonce_hint.as_deref(), Some("ab"));
        assert_eq!(l.items[0].cert_chain, vec![vec![0u8, 1, 2]]);
        assert_eq!(l.items[0].report, vec![0x11, 0xE0, 1, 0xFF]);
        // The same object as a JSON string (one level only).
        let s = serde_json::to_string(&obj).unwrap();
        assert_eq!(parse_evidence_list(s.as_bytes()).unwrap(), l);
        let s2 = serde_json::to_string(&s).unwrap();
        assert!(matches!(
            parse_evidence_list(s2.as_bytes()),
            Err(EvidenceError::Shape)
        ));
        // Bare array.
        let arr = format!("[{item}]");
        assert_eq!(parse_evidence_list(arr.as_bytes()).unwrap().items.len(), 1);
        // Duplicate and unknown keys.
        let dup = format!(
            r#"[{{"certificate":"{CERT_B64}","evidence":"EeAB/w==","evidence":"EeAB/w=="}}]"#
        );
        assert!(
            matches!(parse_evidence_list(dup.as_bytes()), Err(EvidenceError::Json(m)) if m.contains("duplicate"))
        );
        let unk = format!(r#"[{{"certificate":"{CERT_B64}","evidence":"EeAB/w==","extra":1}}]"#);
        assert!(
            matches!(parse_evidence_list(unk.as_bytes()), Err(EvidenceError::Json(m)) if m.contains("unknown"))
        );
        let dup_top = format!(r#"{{"nonce":"a","nonce":"b","evidence_list":[{item}]}}"#);
        assert!(parse_evidence_list(dup_top.as_bytes()).is_err());
        // Empty, too many, bad fields.
        assert_eq!(
            parse_evidence_list(b"[]").unwrap_err(),
            EvidenceError::NoItems
        );
        assert_eq!(
            parse_evidence_list(br#"{"evidence_list":[]}"#).unwrap_err(),
            EvidenceError::NoItems
        );
        let many = format!("[{}]", vec![item.as_str(); MAX_ITEMS + 1].join(","));
        assert!(matches!(
            parse_evidence_list(many.as_bytes()),
            Err(EvidenceError::TooManyItems { .. })
        ));
        let bad_cert = r#"[{"certificate":"!!","evidence":"EeAB/w=="}]"#;
        assert!(matches!(
            parse_evidence_list(bad_cert.as_bytes()),
            Err(EvidenceError::Item {
                index: 0,
                field: "certificate",
                ..
            })
        ));
        let bad_ev = format!(r##"[{{"certificate":"{CERT_B64}","evidence":"#$"}}]"##);
        assert!(matches!(
            parse_evidence_list(bad_ev.as_bytes()),
            Err(EvidenceError::Item {
                index: 0,
                field: "evidence",
                ..
            })
        ));
        assert_eq!(
            parse_evidence_list(b"42").unwrap_err(),
            EvidenceError::Shape
        );
        assert!(matches!(
            parse_evidence_list(b"  "),
            Err(EvidenceError::Empty(_))
        ));
        assert!(matches!(
            parse_evidence_list(b"[1] x"),
            Err(EvidenceError::Json(_))
        ));
    }

    #[test]
    fn chain_must_be_certificates() {
        use base64::engine::general_purpose::STANDARD;
        let key = STANDARD.encode("-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n");
        assert!(matches!(
            decode_cert_chain(&key),
            Err(EvidenceError::Chain(_))
        ));
        assert!(matches!(
            decode_cert_chain(&STANDARD.encode("hello")),
            Err(EvidenceError::Chain(_))
        ));
    }
}
