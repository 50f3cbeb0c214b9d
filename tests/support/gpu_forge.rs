//! A GPU-evidence forger from the project's TEST PKI: self-made P-384 keys and certificates named
//! exactly like NVIDIA's (names copied from the real certificates), used to re-sign a real SPDM
//! report or a real OCSP response. Nothing made here chains to an NVIDIA root.
#![allow(dead_code)]

use der::asn1::{Any, BitString, GeneralizedTime, ObjectIdentifier, OctetString};
use der::{Choice, Decode as _, Encode as _, Sequence};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P384_SHA384,
};
use ring::signature::{EcdsaKeyPair, ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING};
use x509_cert::ext::Extensions;
use x509_cert::name::Name;
use x509_cert::spki::AlgorithmIdentifierOwned;

/// Length of the raw r ‖ s signature that ends an SPDM report.
pub const SPDM_SIGNATURE_LEN: usize = 96;

/// A fresh self-made P-384 key.
pub fn p384_key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap()
}

fn signer(kp: &KeyPair, alg: &'static ring::signature::EcdsaSigningAlgorithm) -> EcdsaKeyPair {
    EcdsaKeyPair::from_pkcs8(alg, &kp.serialize_der(), &ring::rand::SystemRandom::new()).unwrap()
}

/// The subject of a real certificate as an rcgen name (CN, O, OU, C, L, ST copied as text).
pub fn subject_of(cert_der: &[u8]) -> DistinguishedName {
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let mut dn = DistinguishedName::new();
    for rdn in cert.tbs_certificate().subject().iter_rdn() {
        for atv in rdn.iter() {
            let v = String::from_utf8_lossy(atv.value.value()).into_owned();
            let t = match atv.oid.to_string().as_str() {
                "2.5.4.3" => DnType::CommonName,
                "2.5.4.10" => DnType::OrganizationName,
                "2.5.4.11" => DnType::OrganizationalUnitName,
                "2.5.4.6" => DnType::CountryName,
                "2.5.4.7" => DnType::LocalityName,
                "2.5.4.8" => DnType::StateOrProvinceName,
                _ => continue,
            };
            dn.push(t, v);
        }
    }
    dn
}

/// Common name of a certificate.
pub fn cn_of(cert_der: &[u8]) -> String {
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let cn = cert.tbs_certificate().subject().iter().find(|a| a.oid.to_string() == "2.5.4.3").map(|a| String::from_utf8_lossy(a.value.value()).into_owned());
    cn.unwrap_or_default()
}

/// Non-critical extensions of a real certificate other than the ones rcgen writes itself
/// (basic constraints, key usage, EKU, key identifiers): e.g. the DICE TcbInfo carrying the FWID.
fn custom_extensions(cert_der: &[u8]) -> Vec<CustomExtension> {
    const OWN: [&str; 5] = ["2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.14", "2.5.29.35"];
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let mut out = Vec::new();
    for e in cert.tbs_certificate().extensions().into_iter().flatten() {
        let oid = e.extn_id.to_string();
        if OWN.contains(&oid.as_str()) {
            continue;
        }
        let arcs: Vec<u64> = oid.split('.').map(|a| a.parse().unwrap()).collect();
        let mut ext = CustomExtension::from_oid_content(&arcs, e.extn_value.as_bytes().to_vec());
        ext.set_criticality(e.critical);
        out.push(ext);
    }
    out
}

fn params_like(real: &[u8], ca: bool) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = subject_of(real);
    p.not_before = rcgen::date_time_ymd(2021, 1, 1);
    p.not_after = rcgen::date_time_ymd(9999, 12, 31);
    p.custom_extensions = custom_extensions(real);
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    } else {
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    p
}

/// A self-made device chain (leaf first, five certificates) with the names and the non-standard
/// extensions (FWID) of `real` (a real NVIDIA device chain). With `real_root`, the last element is
/// the real pinned root (the self-made Identity CA claims to be issued by it); otherwise it is a
/// self-made root named `NVIDIA Device Identity CA`. Returns the chain and the leaf's key.
pub struct ForgedChain {
    pub chain: Vec<Vec<u8>>,
    pub leaf_key: KeyPair,
}

pub fn device_chain_like(real: &[Vec<u8>], real_root: bool) -> ForgedChain {
    assert_eq!(real.len(), 5, "device chains are five certificates");
    let root_key = p384_key();
    let root: Certificate = params_like(&real[4], true).self_signed(&root_key).unwrap();
    let root_der = root.der().to_vec();
    let (mut issuer, mut issuer_key) = (root, root_key);
    let mut out: Vec<Vec<u8>> = Vec::new();
    for i in (0..4).rev() {
        let key = p384_key();
        let cert = params_like(&real[i], i != 0).signed_by(&key, &issuer, &issuer_key).unwrap();
        out.push(cert.der().to_vec());
        (issuer, issuer_key) = (cert, key);
    }
    out.reverse();
    out.push(if real_root { real[4].clone() } else { root_der });
    // After the loop `issuer_key` is the leaf's key.
    ForgedChain { chain: out, leaf_key: issuer_key }
}

/// Re-sign a real SPDM report (request ‖ response ‖ r‖s) with `key`: the signature covers every
/// byte before the last 96 (`SpdmReport::signed_bytes`), ECDSA P-384 / SHA-384, raw r ‖ s.
pub fn resign_report(report: &[u8], key: &KeyPair) -> Vec<u8> {
    let signed = &report[..report.len() - SPDM_SIGNATURE_LEN];
    let sig = signer(key, &ECDSA_P384_SHA384_FIXED_SIGNING).sign(&ring::rand::SystemRandom::new(), signed).unwrap();
    assert_eq!(sig.as_ref().len(), SPDM_SIGNATURE_LEN);
    let mut out = signed.to_vec();
    out.extend_from_slice(sig.as_ref());
    out
}

// ---------------------------------------------------------------------------------------------
// OCSP (RFC 6960), the structures a forger needs (tbsResponseData re-encoded with another
// responder, then re-signed).

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct OcspResponse {
    pub response_status: Any,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub response_bytes: Option<ResponseBytes>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct ResponseBytes {
    pub response_type: ObjectIdentifier,
    pub response: OctetString,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct BasicOcspResponse {
    pub tbs_response_data: Any,
    pub signature_algorithm: AlgorithmIdentifierOwned,
    pub signature: BitString,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub certs: Option<Vec<Any>>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct ResponseData {
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub version: Option<u8>,
    pub responder_id: ResponderId,
    pub produced_at: GeneralizedTime,
    pub responses: Vec<Any>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    pub response_extensions: Option<Extensions>,
}

#[derive(Clone, Debug, Eq, PartialEq, Choice)]
pub enum ResponderId {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    ByName(Name),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(OctetString),
}

/// A real OCSP response taken apart.
pub struct OcspParts {
    pub outer: OcspResponse,
    pub basic: BasicOcspResponse,
    pub data: ResponseData,
}

pub fn ocsp_parts(der: &[u8]) -> OcspParts {
    let outer = OcspResponse::from_der(der).unwrap();
    let rb = outer.response_bytes.clone().unwrap();
    let basic = BasicOcspResponse::from_der(rb.response.as_bytes()).unwrap();
    let data = ResponseData::from_der(&basic.tbs_response_data.to_der().unwrap()).unwrap();
    OcspParts { outer, basic, data }
}

impl OcspParts {
    /// The certificates the response carries (DER).
    pub fn certs(&self) -> Vec<Vec<u8>> {
        self.basic.certs.iter().flatten().map(|c| c.to_der().unwrap()).collect()
    }

    /// Re-assemble with `data` as tbsResponseData, signed by `key` (ECDSA-SHA384, DER
    /// signature), carrying `certs`. Returns the response DER and the signed tbs bytes.
    pub fn resign(&self, data: &ResponseData, key: &KeyPair, certs: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>) {
        let tbs = data.to_der().unwrap();
        let sig = signer(key, &ECDSA_P384_SHA384_ASN1_SIGNING).sign(&ring::rand::SystemRandom::new(), &tbs).unwrap();
        let basic = BasicOcspResponse {
            tbs_response_data: Any::from_der(&tbs).unwrap(),
            signature_algorithm: AlgorithmIdentifierOwned { oid: ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3"), parameters: None },
            signature: BitString::from_bytes(sig.as_ref()).unwrap(),
            certs: Some(certs.iter().map(|c| Any::from_der(c).unwrap()).collect()),
        };
        let mut outer = self.outer.clone();
        let rb = outer.response_bytes.as_mut().unwrap();
        rb.response = OctetString::new(basic.to_der().unwrap()).unwrap();
        (outer.to_der().unwrap(), tbs)
    }
}

/// `byKey` responder id of a key: SHA-1 of its subjectPublicKey bits (the uncompressed point).
pub fn by_key(key: &KeyPair) -> ResponderId {
    let h = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, key.public_key_raw());
    ResponderId::ByKey(OctetString::new(h.as_ref().to_vec()).unwrap())
}

/// A self-made delegated OCSP responder named like `real_responder` (id-kp-OCSPSigning), issued by
/// a self-made CA named like `real_issuer`. Returns ([responder, CA] DER, responder key).
pub fn responder_like(real_responder: &[u8], real_issuer: &[u8]) -> (Vec<Vec<u8>>, KeyPair) {
    let ca_key = p384_key();
    let mut cap = params_like(real_issuer, true);
    cap.custom_extensions.clear();
    let ca = cap.self_signed(&ca_key).unwrap();
    let key = p384_key();
    let mut p = CertificateParams::default();
    p.distinguished_name = subject_of(real_responder);
    p.not_before = rcgen::date_time_ymd(2021, 1, 1);
    p.not_after = rcgen::date_time_ymd(9999, 12, 31);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
    let cert = p.signed_by(&key, &ca, &ca_key).unwrap();
    (vec![cert.der().to_vec(), ca.der().to_vec()], key)
}
