//! AMD certificates and CRLs: parsed with x509-cert, signatures checked through the crypto room.
//!
//! Why not rustls-webpki: AMD signs every ARK, ASK, ASVK and CRL with an RSASSA-PSS
//! AlgorithmIdentifier that encodes the default `trailerField` (`[3] INTEGER 1`), which DER
//! forbids; webpki matches AlgorithmIdentifiers byte for byte against the canonical encoding and
//! refuses them, and VCEK/VLEK certificates carry serial number 0. So the path (three fixed
//! levels, names, validity, CA bits, critical extensions) is checked here, and each signature
//! with `crypto::verify(SigAlg::RsaPssSha384, …)` after the AlgorithmIdentifier has been matched
//! against the two encodings AMD uses (with and without the trailer field).

use der::Decode as _;

use crate::crypto::{self, SigAlg};
use crate::time::Timestamp;

/// Most certificates accepted as SEV-SNP collateral for one scan.
pub const MAX_CERTS: usize = 16;

/// RSASSA-PSS parameters SHA-384 / MGF1-SHA-384 / salt 48 as AMD encodes them (the NULL hash
/// parameters included), without and with the explicit default trailer field.
const PSS_SHA384_PARAMS: [&[u8]; 2] = [
    &[
        0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
        0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09,
        0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30,
    ],
    &[
        0x30, 0x39, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
        0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09,
        0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30, 0xa3, 0x03, 0x02,
        0x01, 0x01,
    ],
];

const RSASSA_PSS: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const RSA_ENCRYPTION: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP384R1: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.132.0.34");
const KEY_USAGE: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("2.5.29.15");
const BASIC_CONSTRAINTS: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("2.5.29.19");
/// Prefix of AMD's SEV certificate extensions (`1.3.6.1.4.1.3704.1.`).
pub const AMD_EXT_PREFIX: &str = "1.3.6.1.4.1.3704.1.";

/// A certificate's subject key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// RSA, PKCS#1 `RSAPublicKey` DER.
    Rsa(Vec<u8>),
    /// ECDSA P-384, SEC1 point.
    P384(Vec<u8>),
    /// Anything else.
    Other(String),
}

/// A parsed AMD certificate.
#[derive(Debug, Clone)]
pub struct AmdCert {
    /// The DER.
    pub der: Vec<u8>,
    tbs: Vec<u8>,
    signature: Vec<u8>,
    pss: bool,
    subject: Vec<u8>,
    issuer: Vec<u8>,
    /// Subject common name.
    pub subject_cn: String,
    /// Issuer common name.
    pub issuer_cn: String,
    /// Serial number (big-endian bytes as encoded).
    pub serial: Vec<u8>,
    /// notBefore.
    pub not_before: Timestamp,
    /// notAfter.
    pub not_after: Timestamp,
    /// Subject key.
    pub key: Key,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Critical extensions other than keyUsage and basicConstraints (must be none).
    pub unknown_critical: Vec<String>,
    /// AMD extensions: the OID after [`AMD_EXT_PREFIX`] with the extension value bytes.
    pub amd_ext: Vec<(String, Vec<u8>)>,
}

/// Split one DER TLV off `input`: `(whole TLV, rest)`.
pub(crate) fn split_tlv(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let first = *input.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2usize)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2usize.checked_add(n)?)?;
        let len = bytes.iter().try_fold(0usize, |acc, &b| acc.checked_mul(256)?.checked_add(usize::from(b)))?;
        (len, n.checked_add(2)?)
    };
    let end = hdr.checked_add(len)?;
    Some((input.get(..end)?, input.get(end..)?))
}

/// The first element inside the outer SEQUENCE of a signed structure (TBSCertificate,
/// TBSCertList), as its exact bytes.
fn signed_part(der_bytes: &[u8]) -> Option<Vec<u8>> {
    let (outer, rest) = split_tlv(der_bytes)?;
    if !rest.is_empty() || outer.first() != Some(&0x30) {
        return None;
    }
    let (_, hdr_rest) = header_len(outer)?;
    let (tbs, _) = split_tlv(hdr_rest)?;
    Some(tbs.to_vec())
}

fn header_len(tlv: &[u8]) -> Option<(usize, &[u8])> {
    let first = *tlv.get(1)?;
    let hdr = if first < 0x80 { 2 } else { usize::from(first & 0x7f).checked_add(2)? };
    Some((hdr, tlv.get(hdr..)?))
}

fn is_pss_sha384(alg: &x509_cert::spki::AlgorithmIdentifierOwned) -> bool {
    use der::Encode as _;
    alg.oid == RSASSA_PSS
        && alg.parameters.as_ref().and_then(|p| p.to_der().ok()).is_some_and(|p| PSS_SHA384_PARAMS.contains(&p.as_slice()))
}

fn cn(name: &x509_cert::name::Name) -> String {
    name.common_name().ok().flatten().map(String::from).unwrap_or_default()
}

fn ts(t: x509_cert::time::Time) -> Timestamp {
    Timestamp::from_unix(t.to_unix_duration().as_secs())
}

impl AmdCert {
    /// Parse a DER certificate (serial number 0 accepted, as AMD issues VCEKs and VLEKs).
    pub fn parse(der_bytes: &[u8]) -> Result<AmdCert, String> {
        use der::Encode as _;
        let cert = x509_cert::Certificate::from_der(der_bytes).map_err(|e| format!("certificate does not parse: {e}"))?;
        let tbs_c = cert.tbs_certificate();
        let tbs = signed_part(der_bytes).ok_or("certificate DER has no TBSCertificate")?;
        let spki = tbs_c.subject_public_key_info();
        let raw_key = spki.subject_public_key.as_bytes().ok_or("subject key is not a whole number of bytes")?.to_vec();
        let key = if spki.algorithm.oid == RSA_ENCRYPTION {
            Key::Rsa(raw_key)
        } else if spki.algorithm.oid == EC_PUBLIC_KEY
            && spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<der::oid::ObjectIdentifier>().ok()) == Some(SECP384R1)
        {
            Key::P384(raw_key)
        } else {
            Key::Other(spki.algorithm.oid.to_string())
        };
        let mut is_ca = false;
        let mut unknown_critical = Vec::new();
        let mut amd_ext = Vec::new();
        for e in tbs_c.extensions().map(|v| v.as_slice()).unwrap_or_default() {
            let oid = e.extn_id.to_string();
            if e.extn_id == BASIC_CONSTRAINTS {
                is_ca = x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).map(|b| b.ca).unwrap_or(false);
            } else if e.critical && e.extn_id != KEY_USAGE {
                unknown_critical.push(oid.clone());
            }
            if let Some(rest) = oid.strip_prefix(AMD_EXT_PREFIX) {
                amd_ext.push((rest.to_owned(), e.extn_value.as_bytes().to_vec()));
            }
        }
        let pss = is_pss_sha384(cert.signature_algorithm()) && tbs_c.signature() == cert.signature_algorithm();
        Ok(AmdCert {
            der: der_bytes.to_vec(),
            tbs,
            signature: cert.signature().as_bytes().unwrap_or_default().to_vec(),
            pss,
            subject: tbs_c.subject().to_der().map_err(|e| e.to_string())?,
            issuer: tbs_c.issuer().to_der().map_err(|e| e.to_string())?,
            subject_cn: cn(tbs_c.subject()),
            issuer_cn: cn(tbs_c.issuer()),
            serial: tbs_c.serial_number().as_bytes().to_vec(),
            not_before: ts(tbs_c.validity().not_before),
            not_after: ts(tbs_c.validity().not_after),
            key,
            is_ca,
            unknown_critical,
            amd_ext,
        })
    }

    /// Whether subject and issuer names are equal.
    pub fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// Whether `issuer` is named as this certificate's issuer.
    pub fn issued_by_name(&self, issuer: &AmdCert) -> bool {
        self.issuer == issuer.subject
    }

    /// Verify this certificate's signature (RSASSA-PSS SHA-384, salt 48) with `issuer`'s key.
    pub fn verify_signed_by(&self, issuer: &AmdCert) -> Result<(), String> {
        verify_pss(self.pss, &issuer.key, &self.tbs, &self.signature, &issuer.subject_cn)
    }

    /// [`AmdCert::verify_signed_by`], remembered in `cache` (kept with the device chains): a success for the same issuer key,
    /// signed bytes and signature is reused (validity, names and extensions are checked on
    /// every scan; only the RSA arithmetic is skipped).
    pub fn verify_signed_by_cached(&self, issuer: &AmdCert, cache: Option<&crate::cache::VerifyCache>) -> Result<(), String> {
        let Some(cache) = cache else { return self.verify_signed_by(issuer) };
        let Key::Rsa(k) = &issuer.key else { return self.verify_signed_by(issuer) };
        let key = crate::cache::Key::new("snp.rsa-pss-sha384", &[k, &self.tbs, &self.signature, &[u8::from(self.pss)]]);
        let at = Timestamp::from_unix(0);
        if cache.get::<bool>(crate::cache::Kind::DeviceChain, &key, at) == Some(true) {
            return Ok(());
        }
        self.verify_signed_by(issuer)?;
        cache.put(crate::cache::Kind::DeviceChain, key, true, crate::cache::Window::always());
        Ok(())
    }

    /// Whether `at` lies in `[not_before, not_after]`.
    pub fn valid_at(&self, at: Timestamp) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// The validity window as text.
    pub fn validity(&self) -> String {
        format!("{}..{}", self.not_before, self.not_after)
    }

    /// An AMD extension value by its OID suffix (`3.1`, `4`).
    pub fn amd(&self, suffix: &str) -> Option<&[u8]> {
        self.amd_ext.iter().find(|(k, _)| k == suffix).map(|(_, v)| v.as_slice())
    }

    /// An AMD extension holding a DER INTEGER (the SPL extensions), as a byte.
    pub fn amd_int(&self, suffix: &str) -> Result<Option<u8>, String> {
        let Some(v) = self.amd(suffix) else { return Ok(None) };
        let n = der::asn1::Uint::from_der(v).map_err(|e| format!("extension {AMD_EXT_PREFIX}{suffix} is not an INTEGER: {e}"))?;
        match n.as_bytes() {
            [] => Ok(Some(0)),
            [b] => Ok(Some(*b)),
            _ => Err(format!("extension {AMD_EXT_PREFIX}{suffix} does not fit a byte")),
        }
    }

    /// The `productName` extension (IA5String), e.g. `Milan-B0`.
    pub fn product_name(&self) -> Option<String> {
        let v = self.amd("2")?;
        der::asn1::Ia5StringRef::from_der(v).ok().map(|s| s.as_str().to_owned())
    }

    /// SHA-256 of the DER, lower hex.
    pub fn sha256(&self) -> String {
        crate::bytes::to_hex(crypto::sha256(&self.der))
    }
}

/// The window in which every certificate of `bytes` (PEM, or one DER) is valid: the latest
/// notBefore and the earliest notAfter. `None` if nothing parses or the window is empty.
pub fn validity_window(bytes: &[u8]) -> Option<(Timestamp, Timestamp)> {
    let ders: Vec<Vec<u8>> = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        pem::parse_many(bytes).ok()?.into_iter().map(pem::Pem::into_contents).collect()
    } else {
        vec![bytes.to_vec()]
    };
    let certs: Vec<AmdCert> = ders.iter().filter_map(|d| AmdCert::parse(d).ok()).collect();
    let nb = certs.iter().map(|c| c.not_before).max()?;
    let na = certs.iter().map(|c| c.not_after).min()?;
    (nb <= na).then_some((nb, na))
}

fn verify_pss(pss: bool, key: &Key, message: &[u8], signature: &[u8], signer: &str) -> Result<(), String> {
    if !pss {
        return Err("signature algorithm is not RSASSA-PSS SHA-384/MGF1-SHA-384/salt 48".to_owned());
    }
    let Key::Rsa(k) = key else {
        return Err(format!("issuer {signer} has no RSA key"));
    };
    crypto::verify(SigAlg::RsaPssSha384, k, message, signature).map_err(|_| format!("RSASSA-PSS signature by {signer} does not verify"))
}

/// A parsed CRL.
#[derive(Debug, Clone)]
pub struct AmdCrl {
    /// The DER.
    pub der: Vec<u8>,
    tbs: Vec<u8>,
    signature: Vec<u8>,
    pss: bool,
    issuer: Vec<u8>,
    /// thisUpdate.
    pub this_update: Timestamp,
    /// nextUpdate (required here).
    pub next_update: Option<Timestamp>,
    /// Serial numbers listed.
    pub revoked: Vec<Vec<u8>>,
    /// Critical CRL extensions other than those understood (must be none).
    pub unknown_critical: Vec<String>,
}

impl AmdCrl {
    /// Parse a DER CRL.
    pub fn parse(der_bytes: &[u8]) -> Result<AmdCrl, String> {
        use der::Encode as _;
        let crl = x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(der_bytes).map_err(|e| format!("CRL does not parse: {e}"))?;
        let t = &crl.tbs_cert_list;
        let tbs = signed_part(der_bytes).ok_or("CRL DER has no TBSCertList")?;
        let unknown_critical = t
            .crl_extensions
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter(|e| e.critical)
            .map(|e| e.extn_id.to_string())
            .collect();
        Ok(AmdCrl {
            der: der_bytes.to_vec(),
            tbs,
            signature: crl.signature.as_bytes().unwrap_or_default().to_vec(),
            pss: is_pss_sha384(&crl.signature_algorithm) && t.signature == crl.signature_algorithm,
            issuer: t.issuer.to_der().map_err(|e| e.to_string())?,
            this_update: ts(t.this_update),
            next_update: t.next_update.map(ts),
            revoked: t.revoked_certificates.as_deref().unwrap_or_default().iter().map(|r| r.serial_number.as_bytes().to_vec()).collect(),
            unknown_critical,
        })
    }

    /// Verify the CRL's signature with `ark` (and that the ARK is its named issuer).
    pub fn verify_signed_by(&self, ark: &AmdCert) -> Result<(), String> {
        if self.issuer != ark.subject {
            return Err(format!("CRL issuer is not {}", ark.subject_cn));
        }
        verify_pss(self.pss, &ark.key, &self.tbs, &self.signature, &ark.subject_cn)
    }

    /// Whether a certificate with `serial` is listed.
    pub fn lists(&self, serial: &[u8]) -> bool {
        self.revoked.iter().any(|s| s.as_slice() == serial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_arks_parse_and_are_self_signed_with_pss() {
        for p in crate::pki::amd::Product::ALL {
            let ark = AmdCert::parse(p.ark_der()).unwrap();
            assert!(ark.self_issued() && ark.is_ca, "{p:?}");
            assert_eq!(ark.subject_cn, format!("ARK-{}", p.name()));
            ark.verify_signed_by(&ark).unwrap();
            let mut bad = ark.clone();
            bad.tbs[40] ^= 1;
            assert!(bad.verify_signed_by(&ark).is_err());
        }
    }

    #[test]
    fn tlv_lengths_that_overrun_the_input_are_refused() {
        assert_eq!(split_tlv(&[0x30, 0x03, 0x01]), None);
        assert_eq!(split_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(split_tlv(&[0x30, 0x80]), None);
        assert!(split_tlv(&[0x30, 0x01, 0x00, 0xff]).is_some());
    }
}
