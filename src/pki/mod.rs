//! Trust anchors, pinned by key. The production anchors are compiled in; any other root is only
//! accepted through [`TrustAnchor::danger_test_root`], and every report made with one says so.
//! NRAS signing keys chain to an intermediate pinned by key: see [`nras`].


pub mod amd;
pub mod nras;
pub mod sigstore;

/// DER of the Intel SGX Root CA (`CN=Intel SGX Root CA, O=Intel Corporation`, ECDSA P-256,
/// 2018-05-21..2049-12-31), published by Intel at
/// `https://certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.cer`.
pub const INTEL_SGX_ROOT_CA_DER: &[u8] = &[
    0x30, 0x82, 0x02, 0x8f, 0x30, 0x82, 0x02, 0x34, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x22,
    0x65, 0x0c, 0xd6, 0x5a, 0x9d, 0x34, 0x89, 0xf3, 0x83, 0xb4, 0x95, 0x52, 0xbf, 0x50, 0x1b, 0x39,
    0x27, 0x06, 0xac, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x68, 0x31, 0x1a, 0x30, 0x18, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x11, 0x49, 0x6e, 0x74, 0x65,
    0x6c, 0x20, 0x53, 0x47, 0x58, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41, 0x31, 0x1a, 0x30,
    0x18, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x11, 0x49, 0x6e, 0x74, 0x65, 0x6c, 0x20, 0x43, 0x6f,
    0x72, 0x70, 0x6f, 0x72, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55,
    0x04, 0x07, 0x0c, 0x0b, 0x53, 0x61, 0x6e, 0x74, 0x61, 0x20, 0x43, 0x6c, 0x61, 0x72, 0x61, 0x31,
    0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x08, 0x0c, 0x02, 0x43, 0x41, 0x31, 0x0b, 0x30, 0x09,
    0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x30, 0x1e, 0x17, 0x0d, 0x31, 0x38, 0x30,
    0x35, 0x32, 0x31, 0x31, 0x30, 0x34, 0x35, 0x31, 0x30, 0x5a, 0x17, 0x0d, 0x34, 0x39, 0x31, 0x32,
    0x33, 0x31, 0x32, 0x33, 0x35, 0x39, 0x35, 0x39, 0x5a, 0x30, 0x68, 0x31, 0x1a, 0x30, 0x18, 0x06,
    0x03, 0x55, 0x04, 0x03, 0x0c, 0x11, 0x49, 0x6e, 0x74, 0x65, 0x6c, 0x20, 0x53, 0x47, 0x58, 0x20,
    0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41, 0x31, 0x1a, 0x30, 0x18, 0x06, 0x03, 0x55, 0x04, 0x0a,
    0x0c, 0x11, 0x49, 0x6e, 0x74, 0x65, 0x6c, 0x20, 0x43, 0x6f, 0x72, 0x70, 0x6f, 0x72, 0x61, 0x74,
    0x69, 0x6f, 0x6e, 0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x04, 0x07, 0x0c, 0x0b, 0x53, 0x61,
    0x6e, 0x74, 0x61, 0x20, 0x43, 0x6c, 0x61, 0x72, 0x61, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55,
    0x04, 0x08, 0x0c, 0x02, 0x43, 0x41, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
    0x02, 0x55, 0x53, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x0b, 0xa9,
    0xc4, 0xc0, 0xc0, 0xc8, 0x61, 0x93, 0xa3, 0xfe, 0x23, 0xd6, 0xb0, 0x2c, 0xda, 0x10, 0xa8, 0xbb,
    0xd4, 0xe8, 0x8e, 0x48, 0xb4, 0x45, 0x85, 0x61, 0xa3, 0x6e, 0x70, 0x55, 0x25, 0xf5, 0x67, 0x91,
    0x8e, 0x2e, 0xdc, 0x88, 0xe4, 0x0d, 0x86, 0x0b, 0xd0, 0xcc, 0x4e, 0xe2, 0x6a, 0xac, 0xc9, 0x88,
    0xe5, 0x05, 0xa9, 0x53, 0x55, 0x8c, 0x45, 0x3f, 0x6b, 0x09, 0x04, 0xae, 0x73, 0x94, 0xa3, 0x81,
    0xbb, 0x30, 0x81, 0xb8, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80,
    0x14, 0x22, 0x65, 0x0c, 0xd6, 0x5a, 0x9d, 0x34, 0x89, 0xf3, 0x83, 0xb4, 0x95, 0x52, 0xbf, 0x50,
    0x1b, 0x39, 0x27, 0x06, 0xac, 0x30, 0x52, 0x06, 0x03, 0x55, 0x1d, 0x1f, 0x04, 0x4b, 0x30, 0x49,
    0x30, 0x47, 0xa0, 0x45, 0xa0, 0x43, 0x86, 0x41, 0x68, 0x74, 0x74, 0x70, 0x73, 0x3a, 0x2f, 0x2f,
    0x63, 0x65, 0x72, 0x74, 0x69, 0x66, 0x69, 0x63, 0x61, 0x74, 0x65, 0x73, 0x2e, 0x74, 0x72, 0x75,
    0x73, 0x74, 0x65, 0x64, 0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x73, 0x2e, 0x69, 0x6e, 0x74,
    0x65, 0x6c, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x49, 0x6e, 0x74, 0x65, 0x6c, 0x53, 0x47, 0x58, 0x52,
    0x6f, 0x6f, 0x74, 0x43, 0x41, 0x2e, 0x64, 0x65, 0x72, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e,
    0x04, 0x16, 0x04, 0x14, 0x22, 0x65, 0x0c, 0xd6, 0x5a, 0x9d, 0x34, 0x89, 0xf3, 0x83, 0xb4, 0x95,
    0x52, 0xbf, 0x50, 0x1b, 0x39, 0x27, 0x06, 0xac, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01,
    0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x01, 0x06, 0x30, 0x12, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01,
    0x01, 0xff, 0x04, 0x08, 0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x01, 0x30, 0x0a, 0x06, 0x08,
    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00,
    0xe5, 0xbf, 0xe5, 0x09, 0x11, 0xf9, 0x2f, 0x42, 0x89, 0x20, 0xdc, 0x36, 0x8a, 0x30, 0x2e, 0xe3,
    0xd1, 0x2e, 0xc5, 0x86, 0x7f, 0xf6, 0x22, 0xec, 0x64, 0x97, 0xf7, 0x80, 0x60, 0xc1, 0x3c, 0x20,
    0x02, 0x21, 0x00, 0xe0, 0x9d, 0x25, 0xac, 0x7a, 0x0c, 0xb3, 0xe5, 0xe8, 0xe6, 0x8f, 0xec, 0x5f,
    0xa3, 0xbd, 0x41, 0x6c, 0x47, 0x44, 0x0b, 0xd9, 0x50, 0x63, 0x9d, 0x45, 0x0e, 0xdc, 0xbe, 0xa4,
    0x57, 0x6a, 0xa2,
];

/// SHA-256 of [`INTEL_SGX_ROOT_CA_DER`]: `44A0196B…74D3`.
pub const INTEL_SGX_ROOT_CA_SHA256: &str =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

/// Where a trust anchor comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorKind {
    /// A vendor production root compiled into teescan.
    Production,
    /// A root supplied by the caller for testing. Evidence it vouches for proves nothing about
    /// real hardware.
    DangerTest,
}

/// A root certificate that verification chains end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    der: Vec<u8>,
    kind: AnchorKind,
    sha256: String,
}

impl TrustAnchor {
    /// The Intel SGX Root CA (production).
    pub fn intel_sgx_root() -> Self {
        TrustAnchor {
            der: INTEL_SGX_ROOT_CA_DER.to_vec(),
            kind: AnchorKind::Production,
            sha256: INTEL_SGX_ROOT_CA_SHA256.to_owned(),
        }
    }

    /// DANGER: trust a caller-supplied root (DER or PEM). Only for test PKIs; every report made
    /// with it carries a warning and the anchor's fingerprint.
    pub fn danger_test_root(cert: &[u8]) -> Result<Self, crate::Error> {
        let der = match pem::parse(cert) {
            Ok(p) if p.tag() == "CERTIFICATE" => p.into_contents(),
            _ => cert.to_vec(),
        };
        // Reject anything webpki cannot use as an anchor up front.
        let cert_der = rustls_pki_types::CertificateDer::from(der.as_slice());
        webpki::anchor_from_trusted_cert(&cert_der).map_err(|e| crate::Error::Input {
            code: "input.trust_anchor",
            message: format!("test root is not a usable certificate: {e:?}"),
        })?;
        let sha256 = crate::bytes::to_hex(crate::crypto::sha256(&der));
        Ok(TrustAnchor {
            der,
            kind: AnchorKind::DangerTest,
            sha256,
        })
    }

    /// DER of the root certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// Production or test.
    pub fn kind(&self) -> AnchorKind {
        self.kind
    }
    /// SHA-256 of the DER, lower-case hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
    /// True for a compiled-in vendor root.
    pub fn is_production(&self) -> bool {
        self.kind == AnchorKind::Production
    }
}

/// The NVIDIA Device Identity CA (`CN=NVIDIA Device Identity CA, O=NVIDIA`, P-384,
/// 2021-11-05..9999-12-31): root of every GPU and NVSwitch attestation certificate chain, as
/// bundled with NVIDIA's verifiers.
pub const NVIDIA_DEVICE_IDENTITY_CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIICCzCCAZCgAwIBAgIQLTZwscoQBBHB/sDoKgZbVDAKBggqhkjOPQQDAzA1MSIw\nIAYDVQQDDBlOVklESUEgRGV2aWNlIElkZW50aXR5IENBMQ8wDQYDVQQKDAZOVklE\nSUEwIBcNMjExMTA1MDAwMDAwWhgPOTk5OTEyMzEyMzU5NTlaMDUxIjAgBgNVBAMM\nGU5WSURJQSBEZXZpY2UgSWRlbnRpdHkgQ0ExDzANBgNVBAoMBk5WSURJQTB2MBAG\nByqGSM49AgEGBSuBBAAiA2IABA5MFKM7+KViZljbQSlgfky/RRnEQScW9NDZF8SX\ngAW96r6u/Ve8ZggtcYpPi2BS4VFu6KfEIrhN6FcHG7WP05W+oM+hxj7nyA1r1jkB\n2Ry70YfThX3Ba1zOryOP+MJ9vaNjMGEwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B\nAf8EBAMCAQYwHQYDVR0OBBYEFFeF/4PyY8xlfWi3Olv0jUrL+0lfMB8GA1UdIwQY\nMBaAFFeF/4PyY8xlfWi3Olv0jUrL+0lfMAoGCCqGSM49BAMDA2kAMGYCMQCPeFM3\nTASsKQVaT+8S0sO9u97PVGCpE9d/I42IT7k3UUOLSR/qvJynVOD1vQKVXf0CMQC+\nEY55WYoDBvs2wPAH1Gw4LbcwUN8QCff8bFmV4ZxjCRr4WXTLFHBKjbfneGSBWwA=\n-----END CERTIFICATE-----";

/// SHA-256 of the DER of [`NVIDIA_DEVICE_IDENTITY_CA_PEM`].
pub const NVIDIA_DEVICE_IDENTITY_CA_SHA256: &str = "102bf659d5419614c9d8e6aecebc80454eb26b1df6a769ac720b9a690b167b48";

/// The NVIDIA CoRIM signing Root CA (`CN=NVIDIA CoRIM signing Root CA, O=NVIDIA, C=US`, P-384,
/// 2023-03-16..2053-03-08): root of the RIM signing chains.
pub const NVIDIA_CORIM_ROOT_CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIICKTCCAbCgAwIBAgIQRdrjoA5QN73fh1N17LXicDAKBggqhkjOPQQDAzBFMQsw\nCQYDVQQGEwJVUzEPMA0GA1UECgwGTlZJRElBMSUwIwYDVQQDDBxOVklESUEgQ29S\nSU0gc2lnbmluZyBSb290IENBMCAXDTIzMDMxNjE1MzczNFoYDzIwNTMwMzA4MTUz\nNzM0WjBFMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGTlZJRElBMSUwIwYDVQQDDBxO\nVklESUEgQ29SSU0gc2lnbmluZyBSb290IENBMHYwEAYHKoZIzj0CAQYFK4EEACID\nYgAEuECyi9vNM+Iw2lfUzyBldHAwaC1HF7TCgp12QcEyUTm3Tagxwr48d55+K2VI\nlWYIDk7NlAIQdcV/Ff7euGLI+Qauj93HsSI4WX298PpW54RTgz9tC+Q684caR/BX\nWEeZo2MwYTAdBgNVHQ4EFgQUpaXrOPK4ZDAk08DBskn594zeZjAwHwYDVR0jBBgw\nFoAUpaXrOPK4ZDAk08DBskn594zeZjAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B\nAf8EBAMCAQYwCgYIKoZIzj0EAwMDZwAwZAIwHGDyscDP6ihHqRvZlI3eqZ4YkvjE\n1duaN84tAHRVgxVMvNrp5Tnom3idHYGW/dskAjATvjIx6VzHm/4e2GiZAyZEIUBD\nOKPzp5ei/A0iUZpdvngenDwV8Qa/wGdiTmJ7Bp4=\n-----END CERTIFICATE-----";

/// SHA-256 of the DER of [`NVIDIA_CORIM_ROOT_CA_PEM`].
pub const NVIDIA_CORIM_ROOT_CA_SHA256: &str = "12977b5115acb0381179279fffeb5a8c4d264971ebb32298023a465fa41df5d1";

fn pem_der(pem_text: &str) -> Vec<u8> {
    pem::parse(pem_text).map(pem::Pem::into_contents).unwrap_or_default()
}

impl TrustAnchor {
    /// The NVIDIA Device Identity CA (production).
    pub fn nvidia_device_identity_ca() -> Self {
        TrustAnchor {
            der: pem_der(NVIDIA_DEVICE_IDENTITY_CA_PEM),
            kind: AnchorKind::Production,
            sha256: NVIDIA_DEVICE_IDENTITY_CA_SHA256.to_owned(),
        }
    }
    /// The NVIDIA CoRIM signing Root CA (production).
    pub fn nvidia_corim_root_ca() -> Self {
        TrustAnchor {
            der: pem_der(NVIDIA_CORIM_ROOT_CA_PEM),
            kind: AnchorKind::Production,
            sha256: NVIDIA_CORIM_ROOT_CA_SHA256.to_owned(),
        }
    }
}

/// A certificate or path that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A certificate does not parse.
    #[error("certificate {index} does not parse: {reason}")]
    BadCertificate {
        /// Position in the input (0 = leaf).
        index: usize,
        /// Parser message.
        reason: String,
    },
    /// The path does not validate to the anchor at the given time (webpki's reason).
    #[error("certificate path does not validate: {0}")]
    Path(String),
    /// The anchor itself is unusable.
    #[error("trust anchor unusable: {0}")]
    Anchor(String),
}

/// anyExtendedKeyUsage (2.5.29.37.0), DER contents of the OID: accepted when an EKU is present.
const ANY_EKU: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// The subject public key (the raw BIT STRING contents: an uncompressed SEC1 point for EC keys)
/// of a DER certificate.
pub fn cert_public_key(cert_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    use der::Decode as _;
    let cert = x509_cert::Certificate::from_der(cert_der)
        .map_err(|e| PkiError::BadCertificate { index: 0, reason: e.to_string() })?;
    Ok(cert.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes().to_vec())
}

/// Validate `leaf` through `intermediates` (any order; extra certificates are ignored) to
/// `anchor` at time `at` with rustls-webpki, accepting ECDSA P-256/P-384 signatures. No
/// revocation is checked here (DCAP uses CRLs inside dcap-qvl; NVIDIA uses OCSP). Returns the
/// validated path, leaf first, anchor excluded.
pub fn verify_path(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    anchor: &TrustAnchor,
    at: crate::time::Timestamp,
) -> Result<Vec<Vec<u8>>, PkiError> {
    verify_path_with(leaf, intermediates, anchor, at, None)
}

/// [`verify_path`], with the certificate signatures checked through a verify-once `cache` when
/// one is given (same algorithms, same usage rules, same errors; see [`crate::cache`]).
pub(crate) fn verify_path_with(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    anchor: &TrustAnchor,
    at: crate::time::Timestamp,
    cache: Option<&crate::cache::VerifyCache>,
) -> Result<Vec<Vec<u8>>, PkiError> {
    use crate::cache::CachedAlg;
    use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
    use crate::crypto::x509;
    let room_algs = [x509::ECDSA_P384_SHA384, x509::ECDSA_P384_SHA256, x509::ECDSA_P256_SHA256, x509::ECDSA_P256_SHA384];
    let anchor_der = CertificateDer::from(anchor.der());
    let ta = webpki::anchor_from_trusted_cert(&anchor_der).map_err(|e| PkiError::Anchor(format!("{e:?}")))?;
    let leaf_der = CertificateDer::from(leaf);
    let ee = webpki::EndEntityCert::try_from(&leaf_der)
        .map_err(|e| PkiError::BadCertificate { index: 0, reason: format!("{e:?}") })?;
    let inter: Vec<CertificateDer<'_>> = intermediates.iter().map(|c| CertificateDer::from(c.as_slice())).collect();
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(at.unix()));
    let anchors = [ta];
    let cached: Vec<CachedAlg<'_>> = match cache {
        Some(cache) => room_algs.iter().map(|&inner| CachedAlg { inner, cache }).collect(),
        None => Vec::new(),
    };
    let algs: Vec<&dyn SignatureVerificationAlgorithm> = if cached.is_empty() {
        room_algs.to_vec()
    } else {
        cached.iter().map(|a| a as &dyn SignatureVerificationAlgorithm).collect()
    };
    let path = ee
        .verify_for_usage(&algs, &anchors, &inter, now, webpki::KeyUsage::required_if_present(ANY_EKU), None, None)
        .map_err(|e| PkiError::Path(format!("{e:?}")))?;
    let validated: Vec<Vec<u8>> = std::iter::once(path.end_entity().der().to_vec())
        .chain(path.intermediate_certificates().map(|c| c.der().to_vec()))
        .collect();
    for (index, issuer) in validated.iter().enumerate().skip(1) {
        check_issuer_key_usage(issuer, index)?;
    }
    Ok(validated)
}

/// RFC 5280 §4.2.1.3: an issuing certificate whose keyUsage extension is present must assert
/// keyCertSign. rustls-webpki does not look at keyUsage, so without this check a key certified
/// only for, say, digitalSignature could issue certificates that validate.
fn check_issuer_key_usage(cert_der: &[u8], index: usize) -> Result<(), PkiError> {
    use der::oid::AssociatedOid as _;
    use der::Decode as _;
    use x509_cert::ext::pkix::KeyUsage;
    let cert = x509_cert::Certificate::from_der(cert_der)
        .map_err(|e| PkiError::BadCertificate { index, reason: e.to_string() })?;
    let Some(exts) = cert.tbs_certificate().extensions() else { return Ok(()) };
    for ext in exts.iter().filter(|e| e.extn_id == KeyUsage::OID) {
        let ku = KeyUsage::from_der(ext.extn_value.as_bytes())
            .map_err(|e| PkiError::BadCertificate { index, reason: format!("keyUsage does not parse: {e}") })?;
        if !ku.key_cert_sign() {
            return Err(PkiError::Path(format!(
                "certificate {index} issued the certificate below it, but its keyUsage does not include keyCertSign"
            )));
        }
    }
    Ok(())
}

/// `thisUpdate` and `nextUpdate` of a DER CRL, as RFC 3339 strings.
pub fn crl_dates(der: &[u8]) -> Option<(Option<String>, Option<String>)> {
    use der::Decode as _;
    let crl =
        x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(der).ok()?;
    let fmt = |t: x509_cert::time::Time| {
        crate::time::Timestamp::from_unix(t.to_unix_duration().as_secs()).to_rfc3339()
    };
    let tbs = &crl.tbs_cert_list;
    Some((Some(fmt(tbs.this_update)), tbs.next_update.map(fmt)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intel_root_is_pinned_by_fingerprint() {
        let got = crate::bytes::to_hex(crate::crypto::sha256(INTEL_SGX_ROOT_CA_DER));
        assert_eq!(got, INTEL_SGX_ROOT_CA_SHA256);
        assert!(TrustAnchor::intel_sgx_root().is_production());
    }

    #[test]
    fn nvidia_roots_are_pinned_by_fingerprint() {
        for a in [TrustAnchor::nvidia_device_identity_ca(), TrustAnchor::nvidia_corim_root_ca()] {
            assert_eq!(crate::bytes::to_hex(crate::crypto::sha256(a.der())), a.sha256());
            assert!(a.der().len() > 400);
        }
    }

    #[test]
    fn nvidia_h100_sample_chain_validates_to_the_device_identity_ca() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/nvidia/nvtrust-sample-h100");
        let Ok(pem_text) = std::fs::read(dir.join("device_cert_chain.pem")) else { return };
        let certs: Vec<Vec<u8>> = pem::parse_many(&pem_text).unwrap().into_iter().map(pem::Pem::into_contents).collect();
        assert_eq!(certs.len(), 5);
        let at = crate::time::Timestamp::parse_rfc3339("2025-08-21T12:00:00Z").unwrap();
        let anchor = TrustAnchor::nvidia_device_identity_ca();
        // The GPU-supplied root is dropped; the pinned one is the anchor.
        let path = verify_path(&certs[0], &certs[1..4], &anchor, at).unwrap();
        assert_eq!(path.len(), 4);
        assert!(verify_path(&certs[0], &certs[1..4], &TrustAnchor::nvidia_corim_root_ca(), at).is_err());
        assert_eq!(cert_public_key(&certs[0]).unwrap().len(), 97, "uncompressed P-384 point");
    }

    #[test]
    fn garbage_is_not_a_test_root() {
        assert!(TrustAnchor::danger_test_root(b"not a certificate").is_err());
    }
}
