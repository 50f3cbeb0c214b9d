//! The opaque data of an NVIDIA SPDM MEASUREMENTS response: a list of TLVs
//! (`type u16 LE, length u16 LE, data`) with the driver and VBIOS versions, project/SKU, FWID,
//! feature flags, NVSwitch topology PDIs and more.
//!
//! The opaque data sits inside the signed part of the report, so every value here is
//! authenticated once [`super::spdm::SpdmReport::verify_signature`] succeeds (and only then).
//!
//! Parsing is strict: the TLVs must tile the opaque area exactly (no overrun, no trailing
//! partial header), a type may appear at most once ([`OpaqueError::DuplicateOpaqueField`]), and
//! the fields whose meaning this module defines must have the length that meaning requires
//! ([`OpaqueError::OpaqueFieldLength`]). Types this module does not know are kept and listed by
//! [`OpaqueData::unknown_types`]; they are not an error.
//!
//! Field numbers: NVIDIA `nv_local_gpu_verifier` `OpaqueData.OPAQUE_DATA_TYPES` and the NVAT
//! GPU/switch opaque-data parsers (see `shared/notes/nvidia.md` §1).


/// Why an opaque area does not parse (the SPDM parser reports it as the same-named
/// `SpdmError` variant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpaqueError {
    /// The opaque area is longer than [`MAX_OPAQUE_LEN`].
    #[error("opaque data is {len} bytes, more than {max}")]
    LengthTooLarge {
        /// Length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// An opaque TLV runs past the opaque area (or a partial TLV header at its end).
    #[error("opaque field {field_type:?} at opaque offset {offset} declares {declared} bytes, {available} left")]
    OpaqueOverrun {
        /// Field type, if its header could be read.
        field_type: Option<u16>,
        /// Offset of the TLV in the opaque area.
        offset: usize,
        /// Bytes needed (the 4-byte header, or the declared data length).
        declared: usize,
        /// Bytes left.
        available: usize,
    },
    /// An opaque field type appears twice.
    #[error("opaque field {field} ({}) appears more than once", name.unwrap_or("unknown type"))]
    DuplicateOpaqueField {
        /// Field type.
        field: u16,
        /// NVIDIA's name for it, if known.
        name: Option<&'static str>,
    },
    /// A known opaque field with a length its meaning does not allow.
    #[error("opaque field {field} ({name}) is {len} bytes, expected {expected}")]
    OpaqueFieldLength {
        /// Field type.
        field: u16,
        /// NVIDIA's name for it.
        name: &'static str,
        /// Length found.
        len: usize,
        /// Lengths allowed.
        expected: &'static str,
    },
}

impl From<crate::bytes::Truncated> for OpaqueError {
    fn from(t: crate::bytes::Truncated) -> Self {
        OpaqueError::OpaqueOverrun { field_type: None, offset: t.offset, declared: t.needed, available: t.available }
    }
}
use crate::bytes::Reader;

/// Largest opaque area accepted (SPDM 1.1 caps `OpaqueLength` at 1024 bytes; the corpus has
/// 288–582).
pub const MAX_OPAQUE_LEN: usize = 1024;

/// Opaque type 1: certificate issuer name.
pub const CERT_ISSUER_NAME: u16 = 1;
/// Opaque type 2: certificate authority key identifier.
pub const CERT_AUTHORITY_KEY_IDENTIFIER: u16 = 2;
/// Opaque type 3: driver version (ASCII, NUL-terminated).
pub const DRIVER_VERSION: u16 = 3;
/// Opaque type 4: GPU info.
pub const GPU_INFO: u16 = 4;
/// Opaque type 5: SKU.
pub const SKU: u16 = 5;
/// Opaque type 6: VBIOS version (GPU: 8-byte binary; NVSwitch: ASCII).
pub const VBIOS_VERSION: u16 = 6;
/// Opaque type 7: manufacturer ID.
pub const MANUFACTURER_ID: u16 = 7;
/// Opaque type 8: tamper detection.
pub const TAMPER_DETECTION: u16 = 8;
/// Opaque type 9: SMC.
pub const SMC: u16 = 9;
/// Opaque type 10: VPR.
pub const VPR: u16 = 10;
/// Opaque type 11: NVDEC0 status (0xAA enabled, 0x55 disabled).
pub const NVDEC0_STATUS: u16 = 11;
/// Opaque type 12: MSRSCNT, one u32 per measurement.
pub const MSRSCNT: u16 = 12;
/// Opaque type 13: CPR info.
pub const CPRINFO: u16 = 13;
/// Opaque type 14: board ID.
pub const BOARD_ID: u16 = 14;
/// Opaque type 15: chip SKU (ASCII).
pub const CHIP_SKU: u16 = 15;
/// Opaque type 16: chip SKU modifier.
pub const CHIP_SKU_MOD: u16 = 16;
/// Opaque type 17: project (ASCII).
pub const PROJECT: u16 = 17;
/// Opaque type 18: project SKU (ASCII).
pub const PROJECT_SKU: u16 = 18;
/// Opaque type 19: project SKU modifier.
pub const PROJECT_SKU_MOD: u16 = 19;
/// Opaque type 20: FWID (48 bytes; must match the attestation leaf certificate).
pub const FWID: u16 = 20;
/// Opaque type 21: protected PCIe status (0xAA enabled, 0x55 disabled).
pub const PROTECTED_PCIE_STATUS: u16 = 21;
/// Opaque type 22: switch PDIs (GPU: the connected switches; switch: its own), 8 bytes each.
pub const SWITCH_PDI: u16 = 22;
/// Opaque type 23: floorswept / disabled ports.
pub const FLOORSWEPT_PORTS: u16 = 23;
/// Opaque type 24: position ID (NVSwitch).
pub const POSITION_ID: u16 = 24;
/// Opaque type 25: lock switch status.
pub const LOCK_SWITCH_STATUS: u16 = 25;
/// Opaque type 26: PDIs of the GPUs a switch connects (NVSwitch only), 8 bytes each.
pub const SWITCH_GPU_PDIS: u16 = 26;
/// Opaque type 27: switch ports.
pub const SWITCH_PORTS: u16 = 27;
/// Opaque type 32: GPU link connection.
pub const GPU_LINK_CONN: u16 = 32;
/// Opaque type 33: system enable status.
pub const SYS_ENABLE_STATUS: u16 = 33;
/// Opaque type 34: opaque data version (≥ 1 ⇒ FEATURE_FLAG present).
pub const OPAQUE_DATA_VERSION: u16 = 34;
/// Opaque type 35: chip info (Blackwell chip name for the driver RIM id).
pub const CHIP_INFO: u16 = 35;
/// Opaque type 36: feature flag (0 SPT, 1 MPT, 2 PPCIe).
pub const FEATURE_FLAG: u16 = 36;
/// Opaque type 255: NVIDIA's "invalid" marker.
pub const INVALID: u16 = 255;

/// Status byte meaning "enabled" (NVDEC0, protected PCIe).
pub const STATUS_ENABLED: u8 = 0xAA;
/// Status byte meaning "disabled" (NVDEC0, protected PCIe).
pub const STATUS_DISABLED: u8 = 0x55;

/// Length of one PDI (platform device identifier) in the switch PDI lists.
pub const PDI_LEN: usize = 8;

/// NVIDIA's name for an opaque field type, or `None` for a type this module does not know.
pub fn field_name(field_type: u16) -> Option<&'static str> {
    Some(match field_type {
        CERT_ISSUER_NAME => "CERT_ISSUER_NAME",
        CERT_AUTHORITY_KEY_IDENTIFIER => "CERT_AUTHORITY_KEY_IDENTIFIER",
        DRIVER_VERSION => "DRIVER_VERSION",
        GPU_INFO => "GPU_INFO",
        SKU => "SKU",
        VBIOS_VERSION => "VBIOS_VERSION",
        MANUFACTURER_ID => "MANUFACTURER_ID",
        TAMPER_DETECTION => "TAMPER_DETECTION",
        SMC => "SMC",
        VPR => "VPR",
        NVDEC0_STATUS => "NVDEC0_STATUS",
        MSRSCNT => "MSRSCNT",
        CPRINFO => "CPRINFO",
        BOARD_ID => "BOARD_ID",
        CHIP_SKU => "CHIP_SKU",
        CHIP_SKU_MOD => "CHIP_SKU_MOD",
        PROJECT => "PROJECT",
        PROJECT_SKU => "PROJECT_SKU",
        PROJECT_SKU_MOD => "PROJECT_SKU_MOD",
        FWID => "FWID",
        PROTECTED_PCIE_STATUS => "PROTECTED_PCIE_STATUS",
        SWITCH_PDI => "SWITCH_PDI",
        FLOORSWEPT_PORTS => "FLOORSWEPT_PORTS",
        POSITION_ID => "POSITION_ID",
        LOCK_SWITCH_STATUS => "LOCK_SWITCH_STATUS",
        SWITCH_GPU_PDIS => "SWITCH_GPU_PDIS",
        SWITCH_PORTS => "SWITCH_PORTS",
        GPU_LINK_CONN => "GPU_LINK_CONN",
        SYS_ENABLE_STATUS => "SYS_ENABLE_STATUS",
        OPAQUE_DATA_VERSION => "OPAQUE_DATA_VERSION",
        CHIP_INFO => "CHIP_INFO",
        FEATURE_FLAG => "FEATURE_FLAG",
        INVALID => "INVALID",
        _ => return None,
    })
}

/// The GPU operating mode from opaque field 36 (FEATURE_FLAG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureFlag {
    /// 0: single-GPU passthrough.
    Spt,
    /// 1: multi-GPU passthrough (encrypted NVLink).
    Mpt,
    /// 2: protected PCIe (GPUs and NVSwitches attested, NVLink in clear).
    Ppcie,
    /// Any other value, kept raw.
    Other(u32),
}

impl FeatureFlag {
    /// The raw value.
    pub fn raw(self) -> u32 {
        match self {
            FeatureFlag::Spt => 0,
            FeatureFlag::Mpt => 1,
            FeatureFlag::Ppcie => 2,
            FeatureFlag::Other(v) => v,
        }
    }
    /// Stable name: `SPT`, `MPT`, `PPCIE`, or `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureFlag::Spt => "SPT",
            FeatureFlag::Mpt => "MPT",
            FeatureFlag::Ppcie => "PPCIE",
            FeatureFlag::Other(_) => "UNKNOWN",
        }
    }
}

/// One opaque TLV, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpaqueField {
    /// Field type.
    pub field_type: u16,
    /// Field data.
    pub value: Vec<u8>,
}

/// The parsed opaque data: every TLV in report order, each type at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpaqueData {
    fields: Vec<OpaqueField>,
}

/// Allowed lengths of the fields this module interprets; `None` = any length.
/// A length rule: its description and its predicate.
type LengthRule = (&'static str, fn(usize) -> bool);

fn length_rule(field_type: u16) -> Option<LengthRule> {
    Some(match field_type {
        FWID => ("48", |n| n == 48),
        NVDEC0_STATUS | PROTECTED_PCIE_STATUS => ("1", |n| n == 1),
        FEATURE_FLAG | OPAQUE_DATA_VERSION | POSITION_ID => ("1 to 4", |n| (1..=4).contains(&n)),
        SWITCH_PDI | SWITCH_GPU_PDIS => ("a multiple of 8", |n| n % PDI_LEN == 0),
        MSRSCNT => ("a multiple of 4", |n| n % 4 == 0),
        _ => return None,
    })
}

impl OpaqueData {
    /// Parse the opaque area (the bytes after `OpaqueLength`).
    pub fn parse(data: &[u8]) -> Result<OpaqueData, OpaqueError> {
        if data.len() > MAX_OPAQUE_LEN {
            return Err(OpaqueError::LengthTooLarge { len: data.len(), max: MAX_OPAQUE_LEN });
        }
        let mut r: Reader<'_, OpaqueError> = Reader::with_error(data);
        let mut fields: Vec<OpaqueField> = Vec::new();
        while r.remaining() > 0 {
            let offset = r.offset();
            let (field_type, len) = match (r.u16("opaque field type"), r.u16("opaque field length"))
            {
                (Ok(t), Ok(l)) => (t, usize::from(l)),
                _ => {
                    return Err(OpaqueError::OpaqueOverrun {
                        field_type: None,
                        offset,
                        declared: 4,
                        available: data.len().saturating_sub(offset),
                    })
                }
            };
            let available = r.remaining();
            let value = r
                .take("opaque field data", len)
                .map_err(|_| OpaqueError::OpaqueOverrun {
                    field_type: Some(field_type),
                    offset,
                    declared: len,
                    available,
                })?;
            if fields.iter().any(|f| f.field_type == field_type) {
                return Err(OpaqueError::DuplicateOpaqueField {
                    field: field_type,
                    name: field_name(field_type),
                });
            }
            if let Some((expected, ok)) = length_rule(field_type) {
                if !ok(len) {
                    return Err(OpaqueError::OpaqueFieldLength {
                        field: field_type,
                        name: field_name(field_type).unwrap_or("?"),
                        len,
                        expected,
                    });
                }
            }
            fields.push(OpaqueField {
                field_type,
                value: value.to_vec(),
            });
        }
        Ok(OpaqueData { fields })
    }

    /// Every field in report order.
    pub fn all(&self) -> &[OpaqueField] {
        &self.fields
    }

    /// `(type, length)` of every field in report order.
    pub fn fields(&self) -> Vec<(u16, usize)> {
        self.fields
            .iter()
            .map(|f| (f.field_type, f.value.len()))
            .collect()
    }

    /// The raw data of field `field_type`, if present.
    pub fn field(&self, field_type: u16) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|f| f.field_type == field_type)
            .map(|f| f.value.as_slice())
    }

    /// Types present that this module has no name for (kept, reported, not an error).
    pub fn unknown_types(&self) -> Vec<u16> {
        self.fields
            .iter()
            .map(|f| f.field_type)
            .filter(|t| field_name(*t).is_none())
            .collect()
    }

    fn text(&self, field_type: u16) -> Option<String> {
        self.field(field_type).map(signed_text)
    }

    fn uint(&self, field_type: u16) -> Option<u32> {
        let v = self.field(field_type)?;
        let mut buf = [0u8; 4];
        buf.get_mut(..v.len())?.copy_from_slice(v);
        Some(u32::from_le_bytes(buf))
    }

    fn pdis(&self, field_type: u16) -> Option<Vec<[u8; PDI_LEN]>> {
        let v = self.field(field_type)?;
        Some(
            v.chunks_exact(PDI_LEN)
                .map(|c| {
                    let mut pdi = [0u8; PDI_LEN];
                    pdi.copy_from_slice(c);
                    pdi
                })
                .collect(),
        )
    }

    /// Type 3, the driver version (ASCII, NUL-terminated, e.g. `550.90.07`): see
    /// [`signed_text`] for how the bytes become a string.
    pub fn driver_version(&self) -> Option<String> {
        self.text(DRIVER_VERSION)
    }

    /// Type 6, the VBIOS version as NVIDIA formats it, e.g. `96.00.9F.00.01`.
    ///
    /// GPUs encode it as 8 bytes read as a little-endian u64: the low u32 gives the first four
    /// components (most significant byte first) and the low byte of the high u32 the fifth
    /// (`00 9F 00 96 01 00 00 00` → `96.00.9F.00.01`). NVSwitches store ASCII
    /// (`96.10.55.00.01`). The binary form is used when the value is exactly 8 bytes and its
    /// top three bytes are zero (no ASCII version has three NULs there); anything else is
    /// read as text with [`signed_text`], so no signed byte is silently dropped.
    pub fn vbios_version(&self) -> Option<String> {
        let v = self.field(VBIOS_VERSION)?;
        if let [b0, b1, b2, b3, b4, 0, 0, 0] = *v {
            return Some(format!("{b3:02X}.{b2:02X}.{b1:02X}.{b0:02X}.{b4:02X}"));
        }
        Some(signed_text(v))
    }

    /// Type 17, the board project (e.g. `1010`, `G520`).
    pub fn project(&self) -> Option<String> {
        self.text(PROJECT)
    }

    /// Type 18, the project SKU (e.g. `0200`).
    pub fn project_sku(&self) -> Option<String> {
        self.text(PROJECT_SKU)
    }

    /// Type 15, the chip SKU (e.g. `882`).
    pub fn chip_sku(&self) -> Option<String> {
        self.text(CHIP_SKU)
    }

    /// Type 35, the chip name (Blackwell, for the driver RIM id).
    pub fn chip_info(&self) -> Option<String> {
        self.text(CHIP_INFO)
    }

    /// Type 20, the 48-byte FWID (checked to be 48 bytes at parse time).
    pub fn fwid(&self) -> Option<[u8; 48]> {
        self.field(FWID)?.try_into().ok()
    }

    /// Type 11, the NVDEC0 status byte ([`STATUS_ENABLED`] / [`STATUS_DISABLED`]; other values
    /// are returned as they are).
    pub fn nvdec0_status(&self) -> Option<u8> {
        self.field(NVDEC0_STATUS)?.first().copied()
    }

    /// Type 21, the protected-PCIe status byte ([`STATUS_ENABLED`] / [`STATUS_DISABLED`]).
    pub fn protected_pcie_status(&self) -> Option<u8> {
        self.field(PROTECTED_PCIE_STATUS)?.first().copied()
    }

    /// Type 34, the opaque data version (little-endian integer, 1–4 bytes).
    pub fn opaque_data_version(&self) -> Option<u32> {
        self.uint(OPAQUE_DATA_VERSION)
    }

    /// Type 36, the feature flag (little-endian integer, 1–4 bytes): the GPU mode.
    pub fn feature_flag(&self) -> Option<FeatureFlag> {
        Some(match self.uint(FEATURE_FLAG)? {
            0 => FeatureFlag::Spt,
            1 => FeatureFlag::Mpt,
            2 => FeatureFlag::Ppcie,
            v => FeatureFlag::Other(v),
        })
    }

    /// Type 24, the NVSwitch position ID (little-endian integer, 1–4 bytes).
    pub fn position_id(&self) -> Option<u32> {
        self.uint(POSITION_ID)
    }

    /// Type 22, the switch PDIs, 8-byte entries as signed (a GPU lists the switch behind each
    /// of its NVLinks, 18 entries with repeats on an HGX H100; a switch lists itself).
    ///
    /// Byte order differs between the two: a GPU's entries are the byte-reverse of the switch's
    /// own PDI (NVIDIA's PPCIe verifier reverses each GPU entry before comparing). Entries are
    /// returned raw; the topology check must reverse one side.
    pub fn switch_pdis(&self) -> Option<Vec<[u8; PDI_LEN]>> {
        self.pdis(SWITCH_PDI)
    }

    /// Type 26, SWITCH_GPU_PDIS (NVSwitch only), split into raw 8-byte entries.
    ///
    /// In the PPCIe corpus the 128-byte field holds 16 entries of which only the first 8 are GPU
    /// PDIs; the rest is 0xFF padding and what looks like a per-port GPU map, so a topology
    /// check must take the first `num_gpus` entries rather than the whole list.
    pub fn switch_gpu_pdis(&self) -> Option<Vec<[u8; PDI_LEN]>> {
        self.pdis(SWITCH_GPU_PDIS)
    }

    /// Type 12, MSRSCNT: one little-endian u32 per entry (GPUs: one per block; the NVSwitch
    /// samples carry 26 or 27 entries for 31 blocks).
    pub fn msrscnt(&self) -> Option<Vec<u32>> {
        let v = self.field(MSRSCNT)?;
        Some(
            v.chunks_exact(4)
                .filter_map(|c| <[u8; 4]>::try_from(c).ok().map(u32::from_le_bytes))
                .collect(),
        )
    }
}

/// How signed string fields become text: trailing NUL bytes (the terminator and any padding)
/// are removed; every remaining byte that is not printable ASCII (0x20..=0x7E) is written as
/// `\xNN`, and a backslash as `\\`. The result is unambiguous and never hides a signed byte
/// (an interior NUL shows as `\x00`).
pub fn signed_text(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .rposition(|b| *b != 0)
        .map_or(0, |i| i.saturating_add(1));
    let mut out = String::with_capacity(end);
    for &b in bytes.get(..end).unwrap_or_default() {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(t: u16, v: &[u8]) -> Vec<u8> {
        let mut out = t.to_le_bytes().to_vec();
        out.extend_from_slice(&u16::try_from(v.len()).unwrap().to_le_bytes());
        out.extend_from_slice(v);
        out
    }

    #[test]
    fn accessors() {
        let mut d = tlv(DRIVER_VERSION, b"550.90.07\0");
        d.extend(tlv(VBIOS_VERSION, &[0x00, 0x9f, 0x00, 0x96, 0x01, 0, 0, 0]));
        d.extend(tlv(FEATURE_FLAG, &[2, 0]));
        d.extend(tlv(SWITCH_PDI, &[1; 16]));
        d.extend(tlv(MSRSCNT, &[1, 0, 0, 0, 2, 0, 0, 0]));
        d.extend(tlv(1000, b"x"));
        let o = OpaqueData::parse(&d).unwrap();
        assert_eq!(o.driver_version().as_deref(), Some("550.90.07"));
        assert_eq!(o.vbios_version().as_deref(), Some("96.00.9F.00.01"));
        assert_eq!(o.feature_flag(), Some(FeatureFlag::Ppcie));
        assert_eq!(o.switch_pdis().unwrap(), vec![[1u8; 8]; 2]);
        assert_eq!(o.msrscnt().unwrap(), vec![1, 2]);
        assert_eq!(o.unknown_types(), vec![1000]);
        assert_eq!(o.fields().len(), 6);
        assert_eq!(o.fwid(), None);
    }

    #[test]
    fn ascii_vbios_and_escaping() {
        let o = OpaqueData::parse(&tlv(VBIOS_VERSION, b"96.10.55.00.01")).unwrap();
        assert_eq!(o.vbios_version().as_deref(), Some("96.10.55.00.01"));
        assert_eq!(signed_text(b"a\0b\\\x07\0\0"), "a\\x00b\\\\\\x07");
        assert_eq!(signed_text(b"\0\0"), "");
    }

    #[test]
    fn strict_tlvs() {
        let mut d = tlv(3, b"1\0");
        d.extend(tlv(3, b"2\0"));
        assert!(matches!(
            OpaqueData::parse(&d),
            Err(OpaqueError::DuplicateOpaqueField { field: 3, .. })
        ));
        let mut d = tlv(3, b"1\0");
        d.push(0);
        assert!(matches!(
            OpaqueData::parse(&d),
            Err(OpaqueError::OpaqueOverrun {
                field_type: None,
                ..
            })
        ));
        let mut d = tlv(3, b"12");
        d.pop();
        assert!(matches!(
            OpaqueData::parse(&d),
            Err(OpaqueError::OpaqueOverrun {
                field_type: Some(3),
                ..
            })
        ));
        assert!(matches!(
            OpaqueData::parse(&tlv(FWID, &[0; 47])),
            Err(OpaqueError::OpaqueFieldLength { field: FWID, .. })
        ));
        assert!(OpaqueData::parse(&[]).unwrap().all().is_empty());
        assert!(OpaqueData::parse(&vec![0; MAX_OPAQUE_LEN + 1]).is_err());
    }
}
