//! Intel TDX quote parser (versions 4 and 5; TD 1.0, TD 1.5 and TD 1.5ex bodies).
//!
//! Layout: Intel `sgx_quote_4.h` / `sgx_quote_5.h`. Integers are little-endian. Every length is
//! checked against the input before it is used; the parser never panics and never allocates more
//! than the input size. Bytes after the signature data are outside everything that is signed or
//! verified; like Intel's QVL the parser tolerates them (real quotes are zero-padded, and one
//! real test quote carries a text trailer) and records how many there are and how many are
//! non-zero, so the report can show them.

use super::attributes::TdAttributes;
use crate::bytes::{Reader, Truncated};

/// The bounds-checked reader of TDX quotes: its failed reads are [`QuoteError::Truncated`].
type QuoteReader<'a> = Reader<'a, QuoteError>;

impl From<Truncated> for QuoteError {
    fn from(t: Truncated) -> Self {
        QuoteError::Truncated { field: t.field, offset: t.offset, needed: t.needed, available: t.available }
    }
}

/// Largest quote accepted (real quotes are ~5 KiB, some are padded to 8 KiB).
pub const MAX_QUOTE_LEN: usize = 64 * 1024;
/// Quote version 4.
pub const VERSION_4: u16 = 4;
/// Quote version 5.
pub const VERSION_5: u16 = 5;
/// TEE type of a TDX quote.
pub const TEE_TYPE_TDX: u32 = 0x0000_0081;
/// TEE type of an SGX quote.
pub const TEE_TYPE_SGX: u32 = 0x0000_0000;
/// Attestation key type ECDSA-256 with P-256.
pub const ATT_KEY_TYPE_ECDSA_P256: u16 = 2;
/// Intel's QE vendor ID.
pub const INTEL_QE_VENDOR_ID: [u8; 16] = [
    0x93, 0x9A, 0x72, 0x33, 0xF7, 0x9C, 0x4C, 0xA9, 0x94, 0x0A, 0x0D, 0xB3, 0x95, 0x7F, 0x06, 0x07,
];
/// Certification data type 5: PCK certificate chain (PEM, leaf ‖ intermediate ‖ root).
pub const CERT_DATA_PCK_CHAIN: u16 = 5;
/// Certification data type 6: QE report certification data.
pub const CERT_DATA_QE_REPORT: u16 = 6;

const HEADER_LEN: usize = 48;
const TD10_LEN: usize = 584;
const TD15_LEN: usize = 648;
const TD15EX_LEN: usize = 885;
const QE_REPORT_LEN: usize = 384;
/// Upper bound for certification data (a PEM chain of three certificates is ~3.7 KiB).
const MAX_CERT_DATA_LEN: usize = 32 * 1024;

/// Why a byte string is not a TDX quote this parser accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuoteError {
    /// Input ended before a field could be read.
    #[error(
        "quote truncated: {field} needs {needed} bytes at offset {offset}, {available} available"
    )]
    Truncated {
        /// Field being read.
        field: &'static str,
        /// Offset of the field.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// Quote larger than [`MAX_QUOTE_LEN`].
    #[error("quote is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Quote version other than 4 or 5.
    #[error("unsupported quote version {0} (supported: 4, 5)")]
    UnsupportedVersion(u16),
    /// TEE type other than TDX.
    #[error("TEE type 0x{0:08x} is not TDX (0x00000081)")]
    NotTdx(u32),
    /// Attestation key type other than ECDSA P-256.
    #[error("unsupported attestation key type {0} (supported: 2 = ECDSA P-256)")]
    UnsupportedKeyType(u16),
    /// v5 body type not a TD report.
    #[error("unsupported v5 body type {0} (supported: 2 TD1.0, 3 TD1.5, 4 TD1.5ex)")]
    UnsupportedBodyType(u16),
    /// v5 body size inconsistent with its type.
    #[error("v5 body type {body_type} must be {expected} bytes, header says {actual}")]
    BodySizeMismatch {
        /// Body type.
        body_type: u16,
        /// Size the type implies.
        expected: usize,
        /// Size in the header.
        actual: u32,
    },
    /// Length field out of bounds.
    #[error("{field} length {len} exceeds the limit {max}")]
    LengthTooLarge {
        /// Field.
        field: &'static str,
        /// Declared length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The signature data's declared size does not match its content.
    #[error("signature data length {declared} does not match its content ({actual} bytes)")]
    SignatureDataLength {
        /// Declared.
        declared: usize,
        /// Parsed.
        actual: usize,
    },
    /// Inner certification data is not a PEM chain.
    #[error("PCK certification data is not a PEM certificate chain")]
    BadPemChain,
}

/// The 48-byte quote header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Quote version (4 or 5).
    pub version: u16,
    /// Attestation key type (2 = ECDSA P-256).
    pub att_key_type: u16,
    /// TEE type (0x81 = TDX).
    pub tee_type: u32,
    /// Reserved bytes 8..12 (QE/PCE SVN in v3).
    pub reserved: [u8; 4],
    /// QE vendor ID.
    pub qe_vendor_id: [u8; 16],
    /// User data (first 16 bytes: QE ID).
    pub user_data: [u8; 20],
}

/// Which TD report body the quote carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum BodyType {
    /// TD 1.0 (584 bytes).
    #[serde(rename = "TD1.0")]
    Td10,
    /// TD 1.5 (648 bytes: adds TEE_TCB_SVN2, MRSERVICETD).
    #[serde(rename = "TD1.5")]
    Td15,
    /// TD 1.5ex (885 bytes: adds service-TD and initial-TCB fields).
    #[serde(rename = "TD1.5ex")]
    Td15Ex,
}

impl BodyType {
    /// Body size in bytes.
    pub fn size(self) -> usize {
        match self {
            BodyType::Td10 => TD10_LEN,
            BodyType::Td15 => TD15_LEN,
            BodyType::Td15Ex => TD15EX_LEN,
        }
    }
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            BodyType::Td10 => "TD1.0",
            BodyType::Td15 => "TD1.5",
            BodyType::Td15Ex => "TD1.5ex",
        }
    }
}

/// A 48-byte measurement register.
pub type Measurement = [u8; 48];

/// The TD report body: the measurements the TDX module signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TdReport {
    /// Body layout.
    pub body_type: BodyType,
    /// TEE_TCB_SVN: byte 0 module ISVSVN, byte 1 module major version, byte 2 late microcode.
    pub tee_tcb_svn: [u8; 16],
    /// Measurement of the TDX module.
    pub mr_seam: Measurement,
    /// Signer of the TDX module (zero for Intel).
    pub mr_signer_seam: Measurement,
    /// SEAM attributes (must be zero).
    pub seam_attributes: [u8; 8],
    /// TD attributes.
    pub td_attributes: TdAttributes,
    /// XFAM (extended features allowed mask), little-endian.
    pub xfam: [u8; 8],
    /// Initial TD measurement.
    pub mr_td: Measurement,
    /// Software-defined configuration ID.
    pub mr_config_id: Measurement,
    /// Owner ID.
    pub mr_owner: Measurement,
    /// Owner configuration.
    pub mr_owner_config: Measurement,
    /// Runtime measurement registers 0..3.
    pub rtmr: [Measurement; 4],
    /// Report data chosen by the TD.
    pub report_data: [u8; 64],
    /// TEE_TCB_SVN2 (TD 1.5 and later).
    pub tee_tcb_svn2: Option<[u8; 16]>,
    /// MRSERVICETD (TD 1.5 and later).
    pub mr_service_td: Option<Measurement>,
    /// The 237 bytes of TD 1.5ex extension fields, kept raw.
    pub td15ex_extension: Option<Vec<u8>>,
}

/// The QE's SGX enclave report, signed by the PCK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QeReport {
    /// CPU SVN.
    pub cpu_svn: [u8; 16],
    /// MISCSELECT.
    pub misc_select: u32,
    /// Attributes.
    pub attributes: [u8; 16],
    /// MRENCLAVE.
    pub mr_enclave: [u8; 32],
    /// MRSIGNER.
    pub mr_signer: [u8; 32],
    /// ISV product ID.
    pub isv_prod_id: u16,
    /// ISV SVN.
    pub isv_svn: u16,
    /// Report data: SHA-256(attestation key ‖ QE auth data) ‖ zeros.
    pub report_data: [u8; 64],
    /// The raw 384 bytes the PCK signed.
    pub raw: Vec<u8>,
}

/// The quote's signature data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureData {
    /// ECDSA P-256 signature (r ‖ s) over the header and body, by the attestation key.
    pub quote_signature: [u8; 64],
    /// Attestation public key (x ‖ y).
    pub attestation_key: [u8; 64],
    /// Outer certification data type (6 in every Intel quote).
    pub outer_cert_type: u16,
    /// The QE report.
    pub qe_report: QeReport,
    /// ECDSA P-256 signature over the QE report, by the PCK leaf key.
    pub qe_report_signature: [u8; 64],
    /// QE authentication data.
    pub qe_auth_data: Vec<u8>,
    /// Inner certification data type (5 = PCK chain).
    pub inner_cert_type: u16,
    /// Inner certification data (for type 5, the PEM chain).
    pub inner_cert_data: Vec<u8>,
}

/// A parsed TDX quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// Header.
    pub header: Header,
    /// TD report body.
    pub report: TdReport,
    /// Signature data.
    pub signature: SignatureData,
    /// Length of the signed region: header (‖ v5 body descriptor) ‖ body.
    pub signed_len: usize,
    /// Bytes after the signature data (ignored; outside the signed and verified data).
    pub padding_len: usize,
    /// How many of those trailing bytes are non-zero.
    pub trailing_nonzero: usize,
}

impl Quote {
    /// Parse a TDX quote. Truncated, oversized or malformed input is an error, never a panic.
    pub fn parse(bytes: &[u8]) -> Result<Quote, QuoteError> {
        if bytes.len() > MAX_QUOTE_LEN {
            return Err(QuoteError::TooLarge {
                len: bytes.len(),
                max: MAX_QUOTE_LEN,
            });
        }
        let mut r = QuoteReader::with_error(bytes);
        let header = parse_header(&mut r)?;
        let body_type = match header.version {
            VERSION_4 => BodyType::Td10,
            VERSION_5 => {
                let ty = r.u16("v5 body type")?;
                let size = r.u32("v5 body size")?;
                let body_type = match ty {
                    2 => BodyType::Td10,
                    3 => BodyType::Td15,
                    4 => BodyType::Td15Ex,
                    other => return Err(QuoteError::UnsupportedBodyType(other)),
                };
                if usize::try_from(size).ok() != Some(body_type.size()) {
                    return Err(QuoteError::BodySizeMismatch {
                        body_type: ty,
                        expected: body_type.size(),
                        actual: size,
                    });
                }
                body_type
            }
            other => return Err(QuoteError::UnsupportedVersion(other)),
        };
        let report = parse_td_report(&mut r, body_type)?;
        let signed_len = r.offset();
        let sig_len = r.u32("signature data length")?;
        let sig_len = usize::try_from(sig_len).unwrap_or(usize::MAX);
        let sig_bytes = r.take("signature data", sig_len)?;
        let mut s = QuoteReader::with_error(sig_bytes);
        let signature = parse_signature_data(&mut s)?;
        if s.remaining() != 0 {
            return Err(QuoteError::SignatureDataLength {
                declared: sig_len,
                actual: s.offset(),
            });
        }
        let rest = r.rest();
        let trailing_nonzero = rest.iter().filter(|b| **b != 0).count();
        Ok(Quote {
            header,
            report,
            signature,
            signed_len,
            padding_len: rest.len(),
            trailing_nonzero,
        })
    }

    /// The PCK certificate chain (DER, leaf first) carried in the quote, when its certification
    /// data is type 5.
    pub fn pck_chain_der(&self) -> Result<Vec<Vec<u8>>, QuoteError> {
        if self.signature.inner_cert_type != CERT_DATA_PCK_CHAIN {
            return Ok(Vec::new());
        }
        // Certification data is PEM, NUL-terminated in real quotes. Parse all of it, as
        // dcap-qvl does, so both read the same certificates.
        let pems = pem::parse_many(&self.signature.inner_cert_data).map_err(|_| QuoteError::BadPemChain)?;
        if pems.is_empty() || pems.iter().any(|p| p.tag() != "CERTIFICATE") {
            return Err(QuoteError::BadPemChain);
        }
        // `parse_many` silently skips a block it cannot read (e.g. a damaged END line), which
        // would drop a certificate from the chain unnoticed: every BEGIN must yield a block.
        let begins = self
            .signature
            .inner_cert_data
            .windows(b"-----BEGIN".len())
            .filter(|w| *w == b"-----BEGIN")
            .count();
        if begins != pems.len() {
            return Err(QuoteError::BadPemChain);
        }
        Ok(pems.into_iter().map(pem::Pem::into_contents).collect())
    }
}

/// FMSPC and PCK CA (`platform` / `processor`) named by the quote's PCK leaf certificate.
///
/// These values are *unverified*: use them only to choose which collateral to load or fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PckHint {
    /// FMSPC from the PCK certificate's SGX extension.
    pub fmspc: [u8; 6],
    /// `platform` or `processor`.
    pub ca: &'static str,
}

impl Quote {
    /// Read the FMSPC and CA type from the quote's PCK leaf certificate, to select collateral.
    pub fn pck_hint(&self) -> Result<PckHint, QuoteError> {
        let chain = self.pck_chain_der()?;
        let leaf = chain.first().ok_or(QuoteError::BadPemChain)?;
        let ext =
            dcap_qvl::intel::parse_pck_extension(leaf).map_err(|_| QuoteError::BadPemChain)?;
        let ca = dcap_qvl::intel::pck_ca(leaf).map_err(|_| QuoteError::BadPemChain)?;
        Ok(PckHint {
            fmspc: ext.fmspc,
            ca: ca.as_id_str(),
        })
    }
}

fn parse_header(r: &mut QuoteReader<'_>) -> Result<Header, QuoteError> {
    if r.remaining() < HEADER_LEN {
        return Err(r.truncated("header", HEADER_LEN));
    }
    let version = r.u16("version")?;
    let att_key_type = r.u16("attestation key type")?;
    let tee_type = r.u32("TEE type")?;
    let reserved = r.array::<4>("reserved")?;
    let qe_vendor_id = r.array::<16>("QE vendor ID")?;
    let user_data = r.array::<20>("user data")?;
    if tee_type != TEE_TYPE_TDX {
        return Err(QuoteError::NotTdx(tee_type));
    }
    if version != VERSION_4 && version != VERSION_5 {
        return Err(QuoteError::UnsupportedVersion(version));
    }
    if att_key_type != ATT_KEY_TYPE_ECDSA_P256 {
        return Err(QuoteError::UnsupportedKeyType(att_key_type));
    }
    Ok(Header {
        version,
        att_key_type,
        tee_type,
        reserved,
        qe_vendor_id,
        user_data,
    })
}

fn parse_td_report(r: &mut QuoteReader<'_>, body_type: BodyType) -> Result<TdReport, QuoteError> {
    if r.remaining() < body_type.size() {
        return Err(r.truncated("TD report body", body_type.size()));
    }
    let tee_tcb_svn = r.array::<16>("TEE_TCB_SVN")?;
    let mr_seam = r.array::<48>("MRSEAM")?;
    let mr_signer_seam = r.array::<48>("MRSIGNERSEAM")?;
    let seam_attributes = r.array::<8>("SEAMATTRIBUTES")?;
    let td_attributes = TdAttributes::from_bytes(r.array::<8>("TDATTRIBUTES")?);
    let xfam = r.array::<8>("XFAM")?;
    let mr_td = r.array::<48>("MRTD")?;
    let mr_config_id = r.array::<48>("MRCONFIGID")?;
    let mr_owner = r.array::<48>("MROWNER")?;
    let mr_owner_config = r.array::<48>("MROWNERCONFIG")?;
    let rtmr = [
        r.array::<48>("RTMR0")?,
        r.array::<48>("RTMR1")?,
        r.array::<48>("RTMR2")?,
        r.array::<48>("RTMR3")?,
    ];
    let report_data = r.array::<64>("REPORTDATA")?;
    let (tee_tcb_svn2, mr_service_td) = match body_type {
        BodyType::Td10 => (None, None),
        BodyType::Td15 | BodyType::Td15Ex => (
            Some(r.array::<16>("TEE_TCB_SVN2")?),
            Some(r.array::<48>("MRSERVICETD")?),
        ),
    };
    let td15ex_extension = match body_type {
        BodyType::Td15Ex => {
            let ext_len = TD15EX_LEN.saturating_sub(TD15_LEN);
            Some(r.take("TD1.5ex extension", ext_len)?.to_vec())
        }
        _ => None,
    };
    Ok(TdReport {
        body_type,
        tee_tcb_svn,
        mr_seam,
        mr_signer_seam,
        seam_attributes,
        td_attributes,
        xfam,
        mr_td,
        mr_config_id,
        mr_owner,
        mr_owner_config,
        rtmr,
        report_data,
        tee_tcb_svn2,
        mr_service_td,
        td15ex_extension,
    })
}

fn parse_signature_data(r: &mut QuoteReader<'_>) -> Result<SignatureData, QuoteError> {
    let quote_signature = r.array::<64>("quote signature")?;
    let attestation_key = r.array::<64>("attestation key")?;
    let outer_cert_type = r.u16("certification data type")?;
    let outer_len = bounded(
        r.u32("certification data size")?,
        "certification data",
        MAX_CERT_DATA_LEN,
    )?;
    let outer = r.take("certification data", outer_len)?;
    let mut c = QuoteReader::with_error(outer);
    let qe_raw = c.take("QE report", QE_REPORT_LEN)?;
    let qe_report = parse_qe_report(qe_raw)?;
    let qe_report_signature = c.array::<64>("QE report signature")?;
    let auth_len = usize::from(c.u16("QE auth data length")?);
    let qe_auth_data = c.take("QE auth data", auth_len)?.to_vec();
    let inner_cert_type = c.u16("PCK certification data type")?;
    let inner_len = bounded(
        c.u32("PCK certification data size")?,
        "PCK certification data",
        MAX_CERT_DATA_LEN,
    )?;
    let inner_cert_data = c.take("PCK certification data", inner_len)?.to_vec();
    if c.remaining() != 0 {
        return Err(QuoteError::SignatureDataLength {
            declared: outer_len,
            actual: c.offset(),
        });
    }
    Ok(SignatureData {
        quote_signature,
        attestation_key,
        outer_cert_type,
        qe_report,
        qe_report_signature,
        qe_auth_data,
        inner_cert_type,
        inner_cert_data,
    })
}

fn parse_qe_report(raw: &[u8]) -> Result<QeReport, QuoteError> {
    let mut r = QuoteReader::with_error(raw);
    let cpu_svn = r.array::<16>("QE CPUSVN")?;
    let misc_select = r.u32("QE MISCSELECT")?;
    r.take("QE reserved", 28)?;
    let attributes = r.array::<16>("QE attributes")?;
    let mr_enclave = r.array::<32>("QE MRENCLAVE")?;
    r.take("QE reserved", 32)?;
    let mr_signer = r.array::<32>("QE MRSIGNER")?;
    r.take("QE reserved", 96)?;
    let isv_prod_id = r.u16("QE ISVPRODID")?;
    let isv_svn = r.u16("QE ISVSVN")?;
    r.take("QE reserved", 60)?;
    let report_data = r.array::<64>("QE report data")?;
    Ok(QeReport {
        cpu_svn,
        misc_select,
        attributes,
        mr_enclave,
        mr_signer,
        isv_prod_id,
        isv_svn,
        report_data,
        raw: raw.to_vec(),
    })
}

fn bounded(len: u32, field: &'static str, max: usize) -> Result<usize, QuoteError> {
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > max {
        return Err(QuoteError::LengthTooLarge { field, len, max });
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_short_inputs_are_truncated_errors() {
        for n in [0usize, 1, 2, 47] {
            let err = Quote::parse(&vec![0u8; n]).unwrap_err();
            assert!(matches!(err, QuoteError::Truncated { .. }), "{n}: {err:?}");
        }
    }

    #[test]
    fn wrong_version_and_tee_type_are_named() {
        let mut q = vec![0u8; 48];
        q[0] = 3;
        assert_eq!(Quote::parse(&q).unwrap_err(), QuoteError::NotTdx(0));
        q[4] = 0x81;
        assert_eq!(Quote::parse(&q).unwrap_err(), QuoteError::UnsupportedVersion(3));
        q[0] = 4;
        q[2] = 3;
        assert_eq!(Quote::parse(&q).unwrap_err(), QuoteError::UnsupportedKeyType(3));
    }

    #[test]
    fn oversized_input_is_rejected_before_parsing() {
        let err = Quote::parse(&vec![0u8; MAX_QUOTE_LEN + 1]).unwrap_err();
        assert!(matches!(err, QuoteError::TooLarge { .. }));
    }
}
