//! The SEV-SNP `ATTESTATION_REPORT` (AMD SEV-SNP ABI spec, table "ATTESTATION_REPORT
//! Structure"): exactly 1184 bytes, versions 2, 3 and 5, parsed strictly. Reserved fields must be
//! zero; the signature algorithm must be ECDSA P-384 / SHA-384; the signature's r and s are
//! 72-byte little-endian fields whose top 24 bytes must be zero.

use crate::pki::amd::Product;

/// Length of a report.
pub const REPORT_LEN: usize = 0x4A0;
/// The signed part of a report: bytes `0x000..0x2A0`.
pub const SIGNED_LEN: usize = 0x2A0;
/// `SIGNATURE_ALGO` value of ECDSA P-384 with SHA-384.
pub const SIG_ALGO_ECDSA_P384_SHA384: u32 = 1;

/// Guest policy bit: simultaneous multithreading allowed.
pub const POLICY_SMT: u64 = 1 << 16;
/// Guest policy bit 17: reserved, must be one.
pub const POLICY_RESERVED_MBO: u64 = 1 << 17;
/// Guest policy bit: association with a migration agent allowed.
pub const POLICY_MIGRATE_MA: u64 = 1 << 18;
/// Guest policy bit: debugging allowed (the hypervisor can read and write guest memory).
pub const POLICY_DEBUG: u64 = 1 << 19;
/// Guest policy bit: single socket only.
pub const POLICY_SINGLE_SOCKET: u64 = 1 << 20;

/// A malformed report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Not exactly [`REPORT_LEN`] bytes.
    #[error("SEV-SNP report is {0} bytes, expected {REPORT_LEN}")]
    Length(usize),
    /// A version this parser does not read.
    #[error("SEV-SNP report version {0} is not supported (2, 3 and 5 are)")]
    Version(u32),
    /// A signature algorithm other than ECDSA P-384 / SHA-384.
    #[error("SEV-SNP report signature algorithm {0} is not ECDSA P-384/SHA-384 (1)")]
    SignatureAlgorithm(u32),
    /// A reserved field is not zero.
    #[error("SEV-SNP report reserved bytes {start:#05x}..{end:#05x} are not zero")]
    Reserved {
        /// First byte offset.
        start: usize,
        /// End offset (exclusive).
        end: usize,
    },
    /// A signature component does not fit 48 bytes.
    #[error("SEV-SNP report signature {0} has non-zero bytes above 48")]
    SignatureWidth(&'static str),
    /// The key-selection field names no known key.
    #[error("SEV-SNP report SIGNING_KEY {0} is reserved")]
    SigningKey(u32),
}

/// Which key signed the report (`SIGNING_KEY`, bits 2..4 of the flags at 0x48).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SigningKey {
    /// Versioned Chip Endorsement Key: a per-chip key, certified with the chip's hardware ID.
    Vcek,
    /// Versioned Loaded Endorsement Key: a cloud provider's key (no hardware ID).
    Vlek,
    /// The report is unsigned.
    None,
}

/// A TCB version (`TCB_VERSION`, 8 bytes). The layout depends on the product: Milan and Genoa
/// `bl, tee, rsvd×4, snp, ucode`; Turin `fmc, bl, tee, snp, rsvd×3, ucode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Tcb {
    /// Boot loader SPL.
    pub bl: u8,
    /// PSP OS (TEE) SPL.
    pub tee: u8,
    /// SNP firmware SPL.
    pub snp: u8,
    /// Microcode SPL.
    pub ucode: u8,
    /// Firmware-management (FMC) SPL: Turin only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fmc: Option<u8>,
    /// The 8 raw bytes.
    #[serde(skip)]
    pub raw: [u8; 8],
}

impl Tcb {
    /// Decode `raw` in the layout of `turin` (or Milan/Genoa).
    pub fn decode(raw: [u8; 8], turin: bool) -> Tcb {
        let [b0, b1, b2, b3, _, _, b6, b7] = raw;
        if turin {
            Tcb { fmc: Some(b0), bl: b1, tee: b2, snp: b3, ucode: b7, raw }
        } else {
            Tcb { fmc: None, bl: b0, tee: b1, snp: b6, ucode: b7, raw }
        }
    }

    /// The components as `(name, value)`, FMC first when present.
    pub fn components(&self) -> Vec<(&'static str, u8)> {
        let mut v = Vec::with_capacity(5);
        if let Some(f) = self.fmc {
            v.push(("fmc", f));
        }
        v.extend([("bl", self.bl), ("tee", self.tee), ("snp", self.snp), ("ucode", self.ucode)]);
        v
    }
}

impl std::fmt::Display for Tcb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.components().iter().map(|(n, v)| format!("{n}={v}")).collect();
        f.write_str(&parts.join(" "))
    }
}

/// A parsed report. Every field is as signed (the signature itself is checked by the verifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The 1184 bytes.
    pub raw: Vec<u8>,
    /// `VERSION`: 2, 3 or 5.
    pub version: u32,
    /// `GUEST_SVN`.
    pub guest_svn: u32,
    /// `POLICY`: the guest policy.
    pub policy: u64,
    /// `FAMILY_ID`.
    pub family_id: [u8; 16],
    /// `IMAGE_ID`.
    pub image_id: [u8; 16],
    /// `VMPL` of the requesting guest.
    pub vmpl: u32,
    /// `PLATFORM_INFO` flags (bit 0 SMT enabled, 1 TSME enabled, 2 ECC, 3 RAPL disabled,
    /// 4 ciphertext hiding, 5 alias check complete).
    pub platform_info: u64,
    /// `AUTHOR_KEY_EN` (flags bit 0).
    pub author_key_en: bool,
    /// `MASK_CHIP_ID` (flags bit 1).
    pub mask_chip_id: bool,
    /// `SIGNING_KEY` (flags bits 2..4).
    pub signing_key: SigningKey,
    /// `REPORT_DATA`.
    pub report_data: [u8; 64],
    /// `MEASUREMENT`: the launch digest.
    pub measurement: [u8; 48],
    /// `HOST_DATA`.
    pub host_data: [u8; 32],
    /// `ID_KEY_DIGEST`.
    pub id_key_digest: [u8; 48],
    /// `AUTHOR_KEY_DIGEST`.
    pub author_key_digest: [u8; 48],
    /// `REPORT_ID`.
    pub report_id: [u8; 32],
    /// `REPORT_ID_MA`.
    pub report_id_ma: [u8; 32],
    /// `CPUID_FAM_ID`, `CPUID_MOD_ID`, `CPUID_STEP` (version 3 and later).
    pub cpuid: Option<(u8, u8, u8)>,
    /// `CHIP_ID`.
    pub chip_id: [u8; 64],
    /// `CURRENT_TCB`, `REPORTED_TCB`, `COMMITTED_TCB`, `LAUNCH_TCB` (raw; decode with the
    /// product's layout: [`Report::tcb`]).
    pub tcb_raw: TcbFields,
    /// Current firmware version `(major, minor, build)`.
    pub current_fw: (u8, u8, u8),
    /// Committed firmware version `(major, minor, build)`.
    pub committed_fw: (u8, u8, u8),
    /// `LAUNCH_MIT_VECTOR`, `CURRENT_MIT_VECTOR` (version 5).
    pub mit_vectors: Option<(u64, u64)>,
    /// The signature as `r || s`, 48 bytes each, big-endian (the crypto room's
    /// `EcdsaP384Sha384Fixed` encoding).
    pub signature: [u8; 96],
}

/// The four TCB versions of a report, raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcbFields {
    /// `CURRENT_TCB` (0x38).
    pub current: [u8; 8],
    /// `REPORTED_TCB` (0x180): the TCB the VCEK is issued for.
    pub reported: [u8; 8],
    /// `COMMITTED_TCB` (0x1E0).
    pub committed: [u8; 8],
    /// `LAUNCH_TCB` (0x1F0).
    pub launch: [u8; 8],
}

/// Which TCB field of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcbField {
    /// `CURRENT_TCB`.
    Current,
    /// `REPORTED_TCB`.
    Reported,
    /// `COMMITTED_TCB`.
    Committed,
    /// `LAUNCH_TCB`.
    Launch,
}

fn arr<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(s) = at.checked_add(N).and_then(|end| b.get(at..end)) {
        out.copy_from_slice(s);
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(arr(b, at))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(arr(b, at))
}

fn zero(b: &[u8], start: usize, end: usize) -> Result<(), ReportError> {
    match b.get(start..end) {
        Some(s) if s.iter().all(|&x| x == 0) => Ok(()),
        _ => Err(ReportError::Reserved { start, end }),
    }
}

/// A 72-byte little-endian signature component as 48 big-endian bytes.
fn component(b: &[u8], at: usize, name: &'static str) -> Result<[u8; 48], ReportError> {
    let le: [u8; 72] = arr(b, at);
    let (low, high) = le.split_at(48);
    if high.iter().any(|&x| x != 0) {
        return Err(ReportError::SignatureWidth(name));
    }
    let mut be = [0u8; 48];
    for (dst, src) in be.iter_mut().zip(low.iter().rev()) {
        *dst = *src;
    }
    Ok(be)
}

impl Report {
    /// Parse exactly [`REPORT_LEN`] bytes.
    pub fn parse(b: &[u8]) -> Result<Report, ReportError> {
        if b.len() != REPORT_LEN {
            return Err(ReportError::Length(b.len()));
        }
        let version = u32_at(b, 0x00);
        if !matches!(version, 2 | 3 | 5) {
            return Err(ReportError::Version(version));
        }
        let sig_algo = u32_at(b, 0x34);
        if sig_algo != SIG_ALGO_ECDSA_P384_SHA384 {
            return Err(ReportError::SignatureAlgorithm(sig_algo));
        }
        let flags = u32_at(b, 0x48);
        if flags >> 5 != 0 {
            return Err(ReportError::Reserved { start: 0x48, end: 0x4C });
        }
        let signing_key = match (flags >> 2) & 7 {
            0 => SigningKey::Vcek,
            1 => SigningKey::Vlek,
            7 => SigningKey::None,
            other => return Err(ReportError::SigningKey(other)),
        };
        zero(b, 0x4C, 0x50)?;
        let cpuid = if version >= 3 {
            zero(b, 0x18B, 0x1A0)?;
            let [f, m, s]: [u8; 3] = arr(b, 0x188);
            Some((f, m, s))
        } else {
            zero(b, 0x188, 0x1A0)?;
            None
        };
        zero(b, 0x1EB, 0x1EC)?;
        zero(b, 0x1EF, 0x1F0)?;
        let mit_vectors = if version >= 5 {
            zero(b, 0x208, SIGNED_LEN)?;
            Some((u64_at(b, 0x1F8), u64_at(b, 0x200)))
        } else {
            zero(b, 0x1F8, SIGNED_LEN)?;
            None
        };
        zero(b, 0x330, REPORT_LEN)?;
        let r = component(b, 0x2A0, "r")?;
        let s = component(b, 0x2E8, "s")?;
        let mut signature = [0u8; 96];
        let (sr, ss) = signature.split_at_mut(48);
        sr.copy_from_slice(&r);
        ss.copy_from_slice(&s);
        let [cb, cmi, cma, _, kb, kmi, kma, _]: [u8; 8] = arr(b, 0x1E8);
        Ok(Report {
            raw: b.to_vec(),
            version,
            guest_svn: u32_at(b, 0x04),
            policy: u64_at(b, 0x08),
            family_id: arr(b, 0x10),
            image_id: arr(b, 0x20),
            vmpl: u32_at(b, 0x30),
            platform_info: u64_at(b, 0x40),
            author_key_en: flags & 1 != 0,
            mask_chip_id: flags & 2 != 0,
            signing_key,
            report_data: arr(b, 0x50),
            measurement: arr(b, 0x90),
            host_data: arr(b, 0xC0),
            id_key_digest: arr(b, 0xE0),
            author_key_digest: arr(b, 0x110),
            report_id: arr(b, 0x140),
            report_id_ma: arr(b, 0x160),
            cpuid,
            chip_id: arr(b, 0x1A0),
            tcb_raw: TcbFields { current: arr(b, 0x38), reported: arr(b, 0x180), committed: arr(b, 0x1E0), launch: arr(b, 0x1F0) },
            current_fw: (cma, cmi, cb),
            committed_fw: (kma, kmi, kb),
            mit_vectors,
            signature,
        })
    }

    /// The signed bytes `0x000..0x2A0`.
    pub fn signed_bytes(&self) -> &[u8] {
        self.raw.get(..SIGNED_LEN).unwrap_or_default()
    }

    /// The product the report's CPUID names (versions 3 and later).
    pub fn cpuid_product(&self) -> Option<Product> {
        self.cpuid.and_then(|(f, m, _)| Product::from_cpuid(f, m))
    }

    /// A TCB field decoded in `product`'s layout.
    pub fn tcb(&self, field: TcbField, product: Product) -> Tcb {
        let raw = match field {
            TcbField::Current => self.tcb_raw.current,
            TcbField::Reported => self.tcb_raw.reported,
            TcbField::Committed => self.tcb_raw.committed,
            TcbField::Launch => self.tcb_raw.launch,
        };
        Tcb::decode(raw, product == Product::Turin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank(version: u32) -> Vec<u8> {
        let mut b = vec![0u8; REPORT_LEN];
        b[0..4].copy_from_slice(&version.to_le_bytes());
        b[0x34..0x38].copy_from_slice(&1u32.to_le_bytes());
        b
    }

    #[test]
    fn a_blank_report_of_each_supported_version_parses_and_others_do_not() {
        for v in [2, 3, 5] {
            assert!(Report::parse(&blank(v)).is_ok(), "v{v}");
        }
        for v in [0, 1, 4, 6, u32::MAX] {
            assert_eq!(Report::parse(&blank(v)), Err(ReportError::Version(v)));
        }
        assert_eq!(Report::parse(&blank(3)[..100]), Err(ReportError::Length(100)));
    }

    #[test]
    fn reserved_bytes_and_wide_signature_components_are_refused() {
        for (at, v) in [(0x4C, 3), (0x18B, 3), (0x188, 2), (0x1EB, 3), (0x1F8, 3), (0x208, 5), (0x29F, 5), (0x330, 3), (0x49F, 3)] {
            let mut b = blank(v);
            b[at] = 1;
            assert!(matches!(Report::parse(&b), Err(ReportError::Reserved { .. })), "{at:#x} v{v}");
        }
        let mut b = blank(3);
        b[0x2A0 + 48] = 1;
        assert_eq!(Report::parse(&b), Err(ReportError::SignatureWidth("r")));
        let mut b = blank(3);
        b[0x2E8 + 71] = 1;
        assert_eq!(Report::parse(&b), Err(ReportError::SignatureWidth("s")));
        let mut b = blank(3);
        b[0x48] = 2 << 2;
        assert_eq!(Report::parse(&b), Err(ReportError::SigningKey(2)));
    }

    #[test]
    fn signature_components_are_converted_from_little_to_big_endian() {
        let mut b = blank(3);
        b[0x2A0] = 0xAA;
        b[0x2E8 + 47] = 0xBB;
        let r = Report::parse(&b).unwrap();
        assert_eq!(r.signature[47], 0xAA);
        assert_eq!(r.signature[48], 0xBB);
    }

    #[test]
    fn tcb_layouts_differ_between_milan_genoa_and_turin() {
        let raw = [1, 2, 3, 4, 0, 0, 7, 8];
        let m = Tcb::decode(raw, false);
        assert_eq!((m.bl, m.tee, m.snp, m.ucode, m.fmc), (1, 2, 7, 8, None));
        let t = Tcb::decode([1, 2, 3, 4, 0, 0, 0, 8], true);
        assert_eq!((t.fmc, t.bl, t.tee, t.snp, t.ucode), (Some(1), 2, 3, 4, 8));
    }
}
