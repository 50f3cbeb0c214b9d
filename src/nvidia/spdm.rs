//! NVIDIA GPU / NVSwitch attestation reports: an SPDM 1.1 GET_MEASUREMENTS request followed by
//! the MEASUREMENTS response, signed by the device's attestation key.
//!
//! Layout (little-endian; `shared/notes/nvidia.md` §1; DMTF DSP0274 1.1):
//!
//! | part | bytes |
//! |---|---|
//! | request | version `0x11`, code `0xE0`, param1 (bit 0: signature requested), param2 (`0xFF`: all blocks), nonce\[32\], slot id |
//! | response header | version `0x11`, code `0x60`, param1, param2, NumberOfBlocks u8, MeasurementRecordLength u24 |
//! | measurement record | blocks: index u8, spec u8 (`1` = DMTF), size u16, then DMTF value type u8, value size u16, value |
//! | trailer | responder nonce\[32\], opaque length u16, opaque data ([`super::opaque`]), signature\[96\] (raw r‖s) |
//!
//! The signature is ECDSA P-384 over SHA-384 of everything before it (request ‖ response
//! without the signature).
//!
//! The parser is strict and fail-closed: wrong versions or codes, a request that did not ask
//! for a signature or for all blocks, a block count or record length that does not match the
//! blocks, a duplicate or reserved block index, a non-DMTF block, inconsistent DMTF sizes, an
//! opaque area that does not tile into unique TLVs, a short signature and any non-zero byte after
//! the signature are all errors. Zero bytes after the signature (padding some NVML versions and
//! captures append) lie outside the signed range: they are tolerated and reported
//! ([`SpdmReport::padding`]), as the TDX quote parser tolerates trailing bytes. It never panics,
//! and allocates at most about the input size.

use super::opaque::{OpaqueData, OpaqueError};

impl From<OpaqueError> for SpdmError {
    fn from(e: OpaqueError) -> Self {
        match e {
            OpaqueError::LengthTooLarge { len, max } => SpdmError::LengthTooLarge { field: "opaque data", len, max },
            e => SpdmError::Opaque(e),
        }
    }
}
use crate::bytes::{Reader, Truncated};
use crate::pki::PkiError;

/// Largest report accepted (real reports are 2.1–4.3 KiB).
pub const MAX_REPORT_LEN: usize = 64 * 1024;
/// SPDM version 1.1, the only one NVIDIA devices use for these reports.
pub const SPDM_VERSION_11: u8 = 0x11;
/// GET_MEASUREMENTS request code.
pub const GET_MEASUREMENTS: u8 = 0xE0;
/// MEASUREMENTS response code.
pub const MEASUREMENTS: u8 = 0x60;
/// Request param2 asking for all measurement blocks.
pub const ALL_BLOCKS: u8 = 0xFF;
/// Measurement specification bit for DMTF.
pub const MEASUREMENT_SPEC_DMTF: u8 = 1;
/// Length of the request (fixed: NVIDIA requests always carry a nonce and a slot id).
pub const REQUEST_LEN: usize = 37;
/// Length of the raw ECDSA P-384 signature (r ‖ s).
pub const SIGNATURE_LEN: usize = 96;
/// Length of the requester and responder nonces.
pub const NONCE_LEN: usize = 32;

/// Why a byte string is not an NVIDIA SPDM attestation report this parser accepts, or why its
/// signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpdmError {
    /// Input ended before a field could be read.
    #[error(
        "report truncated: {field} needs {needed} bytes at offset {offset}, {available} available"
    )]
    Truncated {
        /// Field being read.
        field: &'static str,
        /// Offset of the field (within the part being read: report, measurement record).
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// Report larger than [`MAX_REPORT_LEN`].
    #[error("report is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A length field above its limit.
    #[error("{field} length {len} exceeds the limit {max}")]
    LengthTooLarge {
        /// Field.
        field: &'static str,
        /// Declared length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// SPDM version other than 1.1.
    #[error("{part} SPDM version 0x{found:02x}, expected 0x11 (SPDM 1.1)")]
    Version {
        /// `request` or `response`.
        part: &'static str,
        /// Version byte found.
        found: u8,
    },
    /// Request code other than GET_MEASUREMENTS.
    #[error("request code 0x{0:02x} is not GET_MEASUREMENTS (0xe0)")]
    RequestCode(u8),
    /// Response code other than MEASUREMENTS.
    #[error("response code 0x{0:02x} is not MEASUREMENTS (0x60)")]
    ResponseCode(u8),
    /// The request did not ask for a signature (param1 bit 0).
    #[error("request param1 0x{0:02x} does not ask for a signature")]
    SignatureNotRequested(u8),
    /// The request did not ask for all measurement blocks.
    #[error("request param2 0x{0:02x} does not ask for all measurement blocks (0xff)")]
    NotAllBlocks(u8),
    /// NumberOfBlocks disagrees with the blocks in the measurement record.
    #[error("NumberOfBlocks is {declared} but the measurement record holds {found} blocks")]
    BlockCount {
        /// NumberOfBlocks.
        declared: u8,
        /// Blocks parsed from the record.
        found: usize,
    },
    /// MeasurementRecordLength ends inside a block.
    #[error(
        "MeasurementRecordLength {declared} ends inside a measurement block: {field} needs {needed} bytes at record offset {offset}, {available} left"
    )]
    RecordLength {
        /// MeasurementRecordLength.
        declared: usize,
        /// Field being read.
        field: &'static str,
        /// Offset within the record.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the record.
        available: usize,
    },
    /// Two blocks with the same index.
    #[error("measurement block index {0} appears more than once")]
    DuplicateBlockIndex(u8),
    /// Block index 0 or 0xFF (reserved in SPDM).
    #[error("measurement block index {0} is reserved")]
    ReservedBlockIndex(u8),
    /// A block not in DMTF format.
    #[error(
        "measurement block {index} has measurement specification 0x{spec:02x}, expected 1 (DMTF)"
    )]
    MeasurementSpec {
        /// Block index.
        index: u8,
        /// Specification byte.
        spec: u8,
    },
    /// A block whose size is not 3 + its DMTF value size.
    #[error("measurement block {index} is {block_size} bytes but its DMTF value is {value_size} (+3 header)")]
    DmtfSize {
        /// Block index.
        index: u8,
        /// Block size field.
        block_size: u16,
        /// DMTF value size field.
        value_size: u16,
    },
    /// The opaque area (its TLVs) is malformed: a field overruns it, repeats, or has a length
    /// its meaning does not allow.
    #[error(transparent)]
    Opaque(OpaqueError),
    /// Non-zero bytes after the signature (zero padding is tolerated).
    #[error("{0} bytes after the signature, not all zero (zero padding is tolerated, other bytes are not)")]
    TrailingBytes(usize),
    /// The leaf certificate does not parse.
    #[error("attestation certificate: {0}")]
    Certificate(PkiError),
    /// The leaf certificate's key is not an uncompressed P-384 point.
    #[error("attestation key is not an uncompressed P-384 public key ({len} bytes)")]
    KeyType {
        /// Length of the subject public key.
        len: usize,
    },
    /// ECDSA P-384 / SHA-384 verification failed.
    #[error("report signature does not verify with the attestation certificate's key")]
    BadSignature,
}

impl SpdmError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SpdmError::Truncated { .. } => "nvidia.spdm.truncated",
            SpdmError::TooLarge { .. } | SpdmError::LengthTooLarge { .. } => {
                "nvidia.spdm.too_large"
            }
            SpdmError::Version { .. } => "nvidia.spdm.version",
            SpdmError::RequestCode(_) | SpdmError::ResponseCode(_) => "nvidia.spdm.code",
            SpdmError::SignatureNotRequested(_) | SpdmError::NotAllBlocks(_) => {
                "nvidia.spdm.request"
            }
            SpdmError::BlockCount { .. } | SpdmError::RecordLength { .. } => "nvidia.spdm.record",
            SpdmError::DuplicateBlockIndex(_)
            | SpdmError::ReservedBlockIndex(_)
            | SpdmError::MeasurementSpec { .. }
            | SpdmError::DmtfSize { .. } => "nvidia.spdm.block",
            SpdmError::Opaque(_) => "nvidia.spdm.opaque",
            SpdmError::TrailingBytes(_) => "nvidia.spdm.trailing",
            SpdmError::Certificate(_) | SpdmError::KeyType { .. } => "nvidia.spdm.certificate",
            SpdmError::BadSignature => "nvidia.spdm.signature",
        }
    }
}

impl From<Truncated> for SpdmError {
    fn from(t: Truncated) -> Self {
        SpdmError::Truncated {
            field: t.field,
            offset: t.offset,
            needed: t.needed,
            available: t.available,
        }
    }
}

/// The GET_MEASUREMENTS request (37 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasurementsRequest {
    /// SPDM version (0x11).
    pub version: u8,
    /// param1: bit 0 = signature requested (always set here).
    pub param1: u8,
    /// param2: 0xFF = all measurement blocks (always, here).
    pub param2: u8,
    /// The requester's nonce: the freshness value the verifier chose.
    pub nonce: [u8; NONCE_LEN],
    /// Certificate slot the responder signs with.
    pub slot_id: u8,
}

/// One DMTF measurement block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasurementBlock {
    /// Block index (1-based; RIM index = block index − 1).
    pub index: u8,
    /// DMTF measurement value type (bit 7: raw bit stream rather than digest; 0x01 in every
    /// real report).
    pub value_type: u8,
    /// The measurement value (a 48-byte SHA-384 digest in every real report).
    pub value: Vec<u8>,
}

/// The MEASUREMENTS response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasurementsResponse {
    /// SPDM version (0x11).
    pub version: u8,
    /// param1 (reserved when all blocks are requested).
    pub param1: u8,
    /// param2 (slot id in the low nibble).
    pub param2: u8,
    /// NumberOfBlocks (equals `blocks.len()`).
    pub number_of_blocks: u8,
    /// MeasurementRecordLength (equals the encoded size of `blocks`).
    pub record_length: u32,
    /// The measurement blocks in report order, indices unique.
    pub blocks: Vec<MeasurementBlock>,
    /// The responder's nonce (device-chosen; checked by no verifier).
    pub responder_nonce: [u8; NONCE_LEN],
    /// The opaque data.
    pub opaque: OpaqueData,
    /// The ECDSA P-384 signature, raw r ‖ s.
    pub signature: [u8; SIGNATURE_LEN],
}

/// A parsed attestation report. The fields come from the report as given; nothing in it is
/// authenticated until [`SpdmReport::verify_signature`] succeeds with a leaf certificate whose
/// chain has been validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpdmReport {
    /// The request.
    pub request: MeasurementsRequest,
    /// The response.
    pub response: MeasurementsResponse,
    raw: Vec<u8>,
    signed_len: usize,
    padding: usize,
}

impl SpdmReport {
    /// Parse a raw report (request ‖ response). Malformed input is an error, never a panic.
    pub fn parse(bytes: &[u8]) -> Result<SpdmReport, SpdmError> {
        if bytes.len() > MAX_REPORT_LEN {
            return Err(SpdmError::TooLarge {
                len: bytes.len(),
                max: MAX_REPORT_LEN,
            });
        }
        let mut r: Reader<'_, SpdmError> = Reader::with_error(bytes);
        let request = parse_request(&mut r)?;
        let response = parse_response(&mut r)?;
        let signed_len = r.offset();
        let signature = r.array::<SIGNATURE_LEN>("signature")?;
        let padding = r.remaining();
        let end = signed_len.saturating_add(SIGNATURE_LEN);
        if bytes.get(end..).is_some_and(|tail| tail.iter().any(|b| *b != 0)) {
            return Err(SpdmError::TrailingBytes(padding));
        }
        Ok(SpdmReport {
            request,
            response: MeasurementsResponse {
                signature,
                ..response
            },
            raw: bytes.to_vec(),
            signed_len,
            padding,
        })
    }

    /// The whole report as given.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Everything the signature covers: request ‖ response up to the signature.
    pub fn signed_bytes(&self) -> &[u8] {
        self.raw.get(..self.signed_len).unwrap_or_default()
    }

    /// Zero bytes after the signature (outside the signed range), tolerated as padding.
    pub fn padding(&self) -> usize {
        self.padding
    }

    /// The raw r ‖ s signature.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.response.signature
    }

    /// The requester nonce (the one a verifier compares with the nonce it issued).
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.request.nonce
    }

    /// The opaque data.
    pub fn opaque(&self) -> &OpaqueData {
        &self.response.opaque
    }

    /// The measurement blocks.
    pub fn blocks(&self) -> &[MeasurementBlock] {
        &self.response.blocks
    }

    /// The value of block `index` (1-based), if present.
    pub fn measurement(&self, index: u8) -> Option<&[u8]> {
        self.response
            .blocks
            .iter()
            .find(|b| b.index == index)
            .map(|b| b.value.as_slice())
    }

    /// Verify the report signature (ECDSA P-384, SHA-384 over [`Self::signed_bytes`]) with the
    /// public key of `leaf_cert_der`, the attestation leaf certificate. This says nothing about
    /// the certificate itself: its chain, FWID and revocation are checked elsewhere.
    pub fn verify_signature(&self, leaf_cert_der: &[u8]) -> Result<(), SpdmError> {
        let key = crate::pki::cert_public_key(leaf_cert_der).map_err(SpdmError::Certificate)?;
        if key.len() != 97 || key.first() != Some(&0x04) {
            return Err(SpdmError::KeyType { len: key.len() });
        }
        crate::crypto::verify(crate::crypto::SigAlg::EcdsaP384Sha384Fixed, &key, self.signed_bytes(), self.signature())
            .map_err(|_| SpdmError::BadSignature)
    }
}

fn parse_request(r: &mut Reader<'_, SpdmError>) -> Result<MeasurementsRequest, SpdmError> {
    let version = r.u8("request version")?;
    if version != SPDM_VERSION_11 {
        return Err(SpdmError::Version {
            part: "request",
            found: version,
        });
    }
    let code = r.u8("request code")?;
    if code != GET_MEASUREMENTS {
        return Err(SpdmError::RequestCode(code));
    }
    let param1 = r.u8("request param1")?;
    if param1 & 1 == 0 {
        return Err(SpdmError::SignatureNotRequested(param1));
    }
    let param2 = r.u8("request param2")?;
    if param2 != ALL_BLOCKS {
        return Err(SpdmError::NotAllBlocks(param2));
    }
    let nonce = r.array::<NONCE_LEN>("request nonce")?;
    let slot_id = r.u8("request slot id")?;
    Ok(MeasurementsRequest {
        version,
        param1,
        param2,
        nonce,
        slot_id,
    })
}

/// Parses the response up to (not including) the signature; the signature field is zero.
fn parse_response(r: &mut Reader<'_, SpdmError>) -> Result<MeasurementsResponse, SpdmError> {
    let version = r.u8("response version")?;
    if version != SPDM_VERSION_11 {
        return Err(SpdmError::Version {
            part: "response",
            found: version,
        });
    }
    let code = r.u8("response code")?;
    if code != MEASUREMENTS {
        return Err(SpdmError::ResponseCode(code));
    }
    let param1 = r.u8("response param1")?;
    let param2 = r.u8("response param2")?;
    let number_of_blocks = r.u8("NumberOfBlocks")?;
    let record_length = r.u24("MeasurementRecordLength")?;
    let record_len = usize::try_from(record_length).unwrap_or(usize::MAX);
    let record = r.take("measurement record", record_len)?;
    let blocks = parse_record(record)?;
    if blocks.len() != usize::from(number_of_blocks) {
        return Err(SpdmError::BlockCount {
            declared: number_of_blocks,
            found: blocks.len(),
        });
    }
    let responder_nonce = r.array::<NONCE_LEN>("responder nonce")?;
    let opaque_len = usize::from(r.u16("opaque length")?);
    let opaque = OpaqueData::parse(r.take("opaque data", opaque_len)?)?;
    Ok(MeasurementsResponse {
        version,
        param1,
        param2,
        number_of_blocks,
        record_length,
        blocks,
        responder_nonce,
        opaque,
        signature: [0; SIGNATURE_LEN],
    })
}

fn parse_record(record: &[u8]) -> Result<Vec<MeasurementBlock>, SpdmError> {
    let declared = record.len();
    // Inside the record, running out of bytes means the record length is wrong.
    let in_record = |e: SpdmError| match e {
        SpdmError::Truncated {
            field,
            offset,
            needed,
            available,
        } => SpdmError::RecordLength {
            declared,
            field,
            offset,
            needed,
            available,
        },
        other => other,
    };
    let mut r: Reader<'_, SpdmError> = Reader::with_error(record);
    let mut blocks: Vec<MeasurementBlock> = Vec::new();
    let mut seen = [false; 256];
    while r.remaining() > 0 {
        let index = r.u8("block index").map_err(in_record)?;
        let spec = r.u8("block measurement specification").map_err(in_record)?;
        let block_size = r.u16("block size").map_err(in_record)?;
        let body = r
            .take("block body", usize::from(block_size))
            .map_err(in_record)?;
        if index == 0 || index == 0xFF {
            return Err(SpdmError::ReservedBlockIndex(index));
        }
        if let Some(s) = seen.get_mut(usize::from(index)) {
            if *s {
                return Err(SpdmError::DuplicateBlockIndex(index));
            }
            *s = true;
        }
        if spec != MEASUREMENT_SPEC_DMTF {
            return Err(SpdmError::MeasurementSpec { index, spec });
        }
        let mut b: Reader<'_, SpdmError> = Reader::with_error(body);
        let sizes_err = |value_size: u16| SpdmError::DmtfSize {
            index,
            block_size,
            value_size,
        };
        let (value_type, value_size) = match (b.u8("DMTF value type"), b.u16("DMTF value size")) {
            (Ok(t), Ok(s)) => (t, s),
            _ => return Err(sizes_err(0)),
        };
        let value = b.rest();
        if value.len() != usize::from(value_size) {
            return Err(sizes_err(value_size));
        }
        blocks.push(MeasurementBlock {
            index,
            value_type,
            value: value.to_vec(),
        });
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal well-formed report: `n` blocks of 48 bytes, one opaque TLV, zero signature.
    fn report(n: u8) -> Vec<u8> {
        let mut v = vec![0x11, 0xE0, 0x01, 0xFF];
        v.extend([7u8; 32]);
        v.push(0);
        v.extend([0x11, 0x60, 0, 0, n]);
        let rec_len = u32::from(n) * 55;
        v.extend(&rec_len.to_le_bytes()[..3]);
        for i in 1..=n {
            v.extend([i, 1, 51, 0, 1, 48, 0]);
            v.extend([i; 48]);
        }
        v.extend([9u8; 32]);
        v.extend(6u16.to_le_bytes());
        v.extend([3, 0, 2, 0, b'1', 0]);
        v.extend([0u8; 96]);
        v
    }

    #[test]
    fn parses_minimal_report() {
        let raw = report(3);
        let rep = SpdmReport::parse(&raw).unwrap();
        assert_eq!(rep.nonce(), &[7u8; 32]);
        assert_eq!(rep.blocks().len(), 3);
        assert_eq!(rep.measurement(2), Some(&[2u8; 48][..]));
        assert_eq!(rep.measurement(4), None);
        assert_eq!(rep.signed_bytes().len(), raw.len() - 96);
        assert_eq!(rep.opaque().driver_version().as_deref(), Some("1"));
        assert_eq!(rep.response.responder_nonce, [9u8; 32]);
    }

    #[test]
    fn rejects_structural_errors() {
        let mut raw = report(2);
        raw[37 + 8] = 1; // second block index := 1
        raw[37 + 8 + 55] = 1;
        assert_eq!(
            SpdmReport::parse(&raw).unwrap_err(),
            SpdmError::DuplicateBlockIndex(1)
        );
        let mut raw = report(2);
        raw[37 + 8 + 1] = 2;
        assert!(matches!(
            SpdmReport::parse(&raw),
            Err(SpdmError::MeasurementSpec { index: 1, spec: 2 })
        ));
        let mut raw = report(2);
        raw[37 + 8 + 5] = 47;
        assert!(matches!(
            SpdmReport::parse(&raw),
            Err(SpdmError::DmtfSize { index: 1, .. })
        ));
        let mut raw = report(1);
        raw[37 + 8] = 0;
        assert_eq!(
            SpdmReport::parse(&raw).unwrap_err(),
            SpdmError::ReservedBlockIndex(0)
        );
        let mut raw = report(1);
        raw[2] = 0;
        assert_eq!(
            SpdmReport::parse(&raw).unwrap_err(),
            SpdmError::SignatureNotRequested(0)
        );
        let mut raw = report(1);
        raw[3] = 1;
        assert_eq!(
            SpdmReport::parse(&raw).unwrap_err(),
            SpdmError::NotAllBlocks(1)
        );
        assert!(matches!(
            SpdmReport::parse(&vec![0; MAX_REPORT_LEN + 1]),
            Err(SpdmError::TooLarge { .. })
        ));
        let raw = report(0);
        assert!(SpdmReport::parse(&raw).is_ok());
    }

    #[test]
    fn garbage_key_is_an_error() {
        let rep = SpdmReport::parse(&report(1)).unwrap();
        assert!(matches!(
            rep.verify_signature(b"junk"),
            Err(SpdmError::Certificate(_))
        ));
        assert_eq!(
            rep.verify_signature(b"junk").unwrap_err().code(),
            "nvidia.spdm.certificate"
        );
    }
}
