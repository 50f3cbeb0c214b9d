//! The device certificate chain of a GPU or NVSwitch attestation report: five certificates,
//! leaf first (`… FMC LF` attestation key → `… BROM` device identity → Provisioner ICA →
//! `… Identity` → NVIDIA Device Identity CA). The path is validated with rustls-webpki to the
//! pinned Device Identity CA (the root the device supplies is only compared with it), and the
//! leaf's TCG DICE extension yields the FWID that the report's opaque field 20 must match.

use der::asn1::ObjectIdentifier;
use der::Decode as _;

use super::rim::GpuArch;
use crate::cache::{certs_window, Key, VerifyCache};
use crate::pki::{verify_path_with, PkiError, TrustAnchor};
use crate::time::Timestamp;

/// Certificates in a device chain, as NVIDIA's verifiers require.
pub const DEVICE_CHAIN_LEN: usize = 5;

/// TCG DICE TcbInfo-style extension used by Hopper and NVSwitch leaves (2.23.133.5.4.1).
const OID_DICE_HOPPER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.5.4.1");
/// DICE TcbInfo extension used by Blackwell leaves (2.23.133.5.4.1.1).
const OID_DICE_BLACKWELL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.5.4.1.1");
/// id-commonName.
const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// The kind of device, from the device identity certificate (signed by NVIDIA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// A GPU of this architecture.
    Gpu(GpuArch),
    /// An NVSwitch (LS10).
    Switch,
}

impl DeviceKind {
    /// From the device identity (BROM) certificate's common name, e.g. `GH100 A01 GSP BROM`.
    pub fn from_hwmodel(hwmodel: &str) -> Option<DeviceKind> {
        let m = hwmodel.to_ascii_uppercase();
        if m.starts_with("GH1") {
            Some(DeviceKind::Gpu(GpuArch::Hopper))
        } else if m.starts_with("GB") {
            Some(DeviceKind::Gpu(GpuArch::Blackwell))
        } else if m.starts_with("LS_10") || m.starts_with("LS10") {
            Some(DeviceKind::Switch)
        } else {
            None
        }
    }
    /// The architecture name (`HOPPER`, `BLACKWELL`, `LS10`), as NRAS writes it.
    pub fn arch(self) -> &'static str {
        match self {
            DeviceKind::Gpu(GpuArch::Hopper) => "HOPPER",
            DeviceKind::Gpu(GpuArch::Blackwell) => "BLACKWELL",
            DeviceKind::Switch => "LS10",
        }
    }
    /// The chip name RIMs use (`GH100`, `GB100`, `LS10`).
    pub fn chip(self) -> &'static str {
        match self {
            DeviceKind::Gpu(GpuArch::Hopper) => "GH100",
            DeviceKind::Gpu(GpuArch::Blackwell) => "GB100",
            DeviceKind::Switch => "LS10",
        }
    }
}

/// A device chain that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// Not five certificates.
    #[error("device chain has {found} certificates, expected {DEVICE_CHAIN_LEN}")]
    Length {
        /// Certificates given.
        found: usize,
    },
    /// The chain's own root is not the pinned root.
    #[error("the device chain's root (sha256:{found}) is not the pinned NVIDIA Device Identity CA (sha256:{pinned})")]
    RootMismatch {
        /// Fingerprint of the supplied root.
        found: String,
        /// Fingerprint of the pinned root.
        pinned: String,
    },
    /// Path validation failed.
    #[error(transparent)]
    Path(#[from] PkiError),
    /// A certificate or the DICE extension does not parse.
    #[error("certificate {index}: {reason}")]
    Malformed {
        /// Position (0 = leaf).
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

/// A validated device chain and what it says about the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDeviceChain {
    /// The validated path, leaf first, pinned root excluded.
    pub path: Vec<Vec<u8>>,
    /// FWID from the leaf's DICE extension (48 bytes), if it carries one.
    pub leaf_fwid: Option<Vec<u8>>,
    /// Common name of the device identity (BROM) certificate, e.g. `GH100 A01 GSP BROM`.
    pub hwmodel: String,
    /// Serial number of the device identity certificate (decimal, NVIDIA's `ueid`).
    pub ueid: String,
}

fn sha256_hex(b: &[u8]) -> String {
    crate::bytes::to_hex(ring::digest::digest(&ring::digest::SHA256, b))
}

fn malformed(index: usize, reason: impl std::fmt::Display) -> ChainError {
    ChainError::Malformed { index, reason: reason.to_string() }
}

/// Validate a device chain (DER, leaf first, five certificates) to `anchor` at time `at`, and read
/// the leaf FWID and the device identity.
pub fn verify_device_chain(certs: &[Vec<u8>], anchor: &TrustAnchor, at: Timestamp) -> Result<VerifiedDeviceChain, ChainError> {
    validate_device_chain(certs, anchor, at, None)
}

/// [`verify_device_chain`] through a [`VerifyCache`]: a chain that validated before to the same
/// anchor is reused when `at` is inside its path's validity window (the intersection of every
/// certificate's validity on the validated path); otherwise it is validated again, sharing the
/// signatures the cache has seen (a node's GPUs share their provisioner and identity CAs).
/// Results are identical to [`verify_device_chain`]'s.
pub fn verify_device_chain_cached(
    certs: &[Vec<u8>],
    anchor: &TrustAnchor,
    at: Timestamp,
    cache: &VerifyCache,
) -> Result<VerifiedDeviceChain, ChainError> {
    let parts: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    let key = Key::anchored("teescan.device-chain.v1", anchor, &parts);
    if let Some(hit) = cache.get(crate::cache::Kind::DeviceChain, &key, at) {
        return Ok(hit);
    }
    let verified = validate_device_chain(certs, anchor, at, Some(cache))?;
    if let Some(w) = certs_window(verified.path.iter().map(Vec::as_slice)) {
        if w.contains(at) {
            cache.put(crate::cache::Kind::DeviceChain, key, verified.clone(), w);
        }
    }
    Ok(verified)
}

fn validate_device_chain(
    certs: &[Vec<u8>],
    anchor: &TrustAnchor,
    at: Timestamp,
    cache: Option<&VerifyCache>,
) -> Result<VerifiedDeviceChain, ChainError> {
    if certs.len() != DEVICE_CHAIN_LEN {
        return Err(ChainError::Length { found: certs.len() });
    }
    let (leaf, rest) = certs.split_first().ok_or(ChainError::Length { found: 0 })?;
    let (root, intermediates) = rest.split_last().ok_or(ChainError::Length { found: 1 })?;
    if root.as_slice() != anchor.der() {
        return Err(ChainError::RootMismatch { found: sha256_hex(root), pinned: anchor.sha256().to_owned() });
    }
    let path = verify_path_with(leaf, intermediates, anchor, at, cache)?;
    let leaf_fwid = leaf_fwid(leaf)?;
    let brom = intermediates.first().ok_or(ChainError::Length { found: 2 })?;
    let (hwmodel, ueid) = identity(brom).map_err(|e| malformed(1, e))?;
    Ok(VerifiedDeviceChain { path, leaf_fwid, hwmodel, ueid })
}

fn identity(cert_der: &[u8]) -> Result<(String, String), String> {
    let cert = x509_cert::Certificate::from_der(cert_der).map_err(|e| e.to_string())?;
    let tbs = cert.tbs_certificate();
    let mut cn = String::new();
    for atv in tbs.subject().iter() {
        if atv.oid == OID_CN {
            cn = String::from_utf8_lossy(atv.value.value()).into_owned();
        }
    }
    Ok((cn, decimal(tbs.serial_number().as_bytes())))
}

/// Big-endian unsigned bytes as a decimal string.
fn decimal(be: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0];
    for &byte in be {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d).saturating_mul(256).saturating_add(carry);
            *d = u8::try_from(v % 10).unwrap_or(0);
            carry = v / 10;
        }
        while carry > 0 {
            digits.push(u8::try_from(carry % 10).unwrap_or(0));
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0'.saturating_add(*d))).collect()
}

/// One DER TLV: (tag, contents, rest). Bounded: lengths up to 4 bytes, never past the input.
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        let len = bytes.iter().fold(0usize, |acc, b| acc.checked_shl(8).map_or(usize::MAX, |v| v | usize::from(*b)));
        (len, rest)
    };
    let (content, rest) = rest.split_at_checked(len)?;
    Some((tag, content, rest))
}

fn children(mut data: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (tag, content, rest) = tlv(data)?;
        out.push((tag, content));
        data = rest;
        if out.len() > 64 {
            return None;
        }
    }
    Some(out)
}

/// `FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }` → digest.
fn fwid_digest(seq_content: &[u8]) -> Option<Vec<u8>> {
    match children(seq_content)?.as_slice() {
        [(0x06, _), (0x04, digest)] => Some(digest.to_vec()),
        _ => None,
    }
}

/// The FWID carried by a device leaf certificate: Hopper/NVSwitch `2.23.133.5.4.1`
/// (`SEQUENCE { version, SubjectPublicKeyInfo, FWID }`: the FWID's digest) or Blackwell
/// `2.23.133.5.4.1.1` (a DICE TcbInfo: `fwids[0]` of the `[6]` field). `None` if neither is present.
pub fn leaf_fwid(leaf_der: &[u8]) -> Result<Option<Vec<u8>>, ChainError> {
    let cert = x509_cert::Certificate::from_der(leaf_der).map_err(|e| malformed(0, e))?;
    let Some(exts) = cert.tbs_certificate().extensions() else { return Ok(None) };
    for ext in exts.iter() {
        let value = ext.extn_value.as_bytes();
        let parsed = if ext.extn_id == OID_DICE_HOPPER {
            tlv(value)
                .filter(|(tag, _, rest)| *tag == 0x30 && rest.is_empty())
                .and_then(|(_, content, _)| children(content))
                .and_then(|c| c.last().copied())
                .filter(|(tag, _)| *tag == 0x30)
                .and_then(|(_, fwid)| fwid_digest(fwid))
        } else if ext.extn_id == OID_DICE_BLACKWELL {
            tlv(value)
                .filter(|(tag, _, rest)| *tag == 0x30 && rest.is_empty())
                .and_then(|(_, content, _)| children(content))
                .and_then(|c| c.iter().find(|(tag, _)| *tag == 0xa6).map(|(_, v)| *v))
                .and_then(children)
                .and_then(|list| list.first().copied())
                .filter(|(tag, _)| *tag == 0x30)
                .and_then(|(_, fwid)| fwid_digest(fwid))
        } else {
            continue;
        };
        return match parsed {
            Some(d) if d.len() == 48 => Ok(Some(d)),
            Some(d) => Err(malformed(0, format!("DICE FWID is {} bytes, expected 48", d.len()))),
            None => Err(malformed(0, format!("DICE extension {} does not parse", ext.extn_id))),
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_conversion() {
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0xff, 0xff, 0xff, 0xff]), "4294967295");
    }

    #[test]
    fn tlv_is_bounded() {
        assert!(tlv(&[0x30, 0x85, 1, 2, 3, 4, 5]).is_none());
        assert!(tlv(&[0x30, 0x05, 1]).is_none());
        assert_eq!(tlv(&[0x04, 0x01, 7, 9]), Some((0x04, &[7u8][..], &[9u8][..])));
    }
}
