//! Fulcio: the signing certificate's chain to a trust-root CA at the Rekor integrated time, its
//! embedded SCT (RFC 6962, CT key from the trust root), and the identity it certifies.

use super::der;
use super::{Code, ProvenanceError};
use crate::crypto::{self, SigAlg};
use crate::pki::sigstore::{within, TrustedRoot};

/// What the Fulcio certificate certifies (OIDC issuer, SAN, GitHub workflow extensions).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CertIdentity {
    /// The first SAN URI (for GitHub Actions: the workflow `…@refs/…`).
    pub san_uri: Option<String>,
    /// The first SAN e-mail.
    pub san_email: Option<String>,
    /// OIDC issuer: extension 1.3.6.1.4.1.57264.1.8 (v2), else .1.1 (v1).
    pub issuer: Option<String>,
    /// The v1 issuer (.1.1), when present.
    pub issuer_v1: Option<String>,
    /// GitHub workflow repository (.1.5, `owner/name`).
    pub workflow_repository: Option<String>,
    /// GitHub workflow ref (.1.6).
    pub workflow_ref: Option<String>,
    /// Build signer URI (.1.9).
    pub build_signer_uri: Option<String>,
    /// Source repository URI (.1.12).
    pub source_repository_uri: Option<String>,
    /// Source repository ref (.1.14).
    pub source_repository_ref: Option<String>,
    /// Certificate notBefore / notAfter (unix seconds).
    pub not_before: u64,
    /// Certificate notAfter (unix seconds).
    pub not_after: u64,
}

const CODE_SIGNING_EKU: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

fn err(code: Code, detail: impl Into<String>) -> ProvenanceError {
    ProvenanceError::new(code, detail)
}

/// An EC SubjectPublicKeyInfo: the curve's SHA-256 / native-hash algorithms and the SEC1 point.
pub(super) fn ec_key(spki_der: &[u8]) -> Option<(SigAlg, SigAlg, Vec<u8>)> {
    let (spki, _) = der::next(spki_der)?;
    let parts = der::children(spki.content)?;
    let alg = parts.first()?;
    let key = parts.get(1)?;
    let alg_parts = der::children(alg.content)?;
    let curve = alg_parts.get(1)?.whole;
    let point = key.content.get(1..)?.to_vec();
    if curve == P256 {
        Some((SigAlg::EcdsaP256Sha256Der, SigAlg::EcdsaP256Sha256Der, point))
    } else if curve == P384 {
        Some((SigAlg::EcdsaP384Sha256Der, SigAlg::EcdsaP384Sha384Der, point))
    } else {
        None
    }
}

/// Verify a DER ECDSA signature by an SPKI key over `msg` with SHA-256 (logs, SCTs).
pub(super) fn verify_sha256(spki_der: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    ec_key(spki_der).is_some_and(|(alg, _, point)| crypto::verify(alg, &point, msg, sig).is_ok())
}

/// Verify a DER ECDSA signature by the leaf certificate's key (its curve's hash).
pub(super) fn verify_by_leaf(leaf: &Leaf, msg: &[u8], sig: &[u8]) -> bool {
    ec_key(&leaf.spki_der).is_some_and(|(_, alg, point)| crypto::verify(alg, &point, msg, sig).is_ok())
}

/// A parsed signing certificate.
pub(super) struct Leaf {
    pub der: Vec<u8>,
    pub spki_der: Vec<u8>,
    pub identity: CertIdentity,
    issuer_name_der: Vec<u8>,
    sct_list: Option<Vec<u8>>,
}

fn ia5_or_utf8(der_bytes: &[u8]) -> Option<String> {
    let (t, _) = der::next(der_bytes)?;
    String::from_utf8(t.content.to_vec()).ok()
}

/// Parse the leaf: SPKI, validity, SAN and the Fulcio extensions.
pub(super) fn parse_leaf(cert_der: &[u8]) -> Result<Leaf, ProvenanceError> {
    use ::der::{Decode as _, Encode as _};
    let cert = x509_cert::Certificate::from_der(cert_der)
        .map_err(|e| err(Code::BundleMalformed, format!("signing certificate does not parse: {e}")))?;
    let tbs = cert.tbs_certificate();
    let spki_der = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(|e| err(Code::BundleMalformed, format!("certificate key: {e}")))?;
    let issuer_name_der = tbs.issuer().to_der().map_err(|e| err(Code::BundleMalformed, format!("issuer: {e}")))?;
    let mut id = CertIdentity {
        not_before: tbs.validity().not_before.to_unix_duration().as_secs(),
        not_after: tbs.validity().not_after.to_unix_duration().as_secs(),
        ..CertIdentity::default()
    };
    let mut sct_list = None;
    for ext in tbs.extensions().map(|e| e.as_slice()).unwrap_or_default() {
        let oid = ext.extn_id.to_string();
        let raw = ext.extn_value.as_bytes();
        let text = || String::from_utf8(raw.to_vec()).ok();
        match oid.as_str() {
            "2.5.29.17" => {
                use x509_cert::ext::pkix::{name::GeneralName, SubjectAltName};
                let san = SubjectAltName::from_der(raw).map_err(|e| err(Code::BundleMalformed, format!("SAN: {e}")))?;
                for n in san.0 {
                    match n {
                        GeneralName::UniformResourceIdentifier(u) if id.san_uri.is_none() => id.san_uri = Some(u.to_string()),
                        GeneralName::Rfc822Name(m) if id.san_email.is_none() => id.san_email = Some(m.to_string()),
                        _ => {}
                    }
                }
            }
            "1.3.6.1.4.1.57264.1.1" => id.issuer_v1 = text(),
            "1.3.6.1.4.1.57264.1.8" => id.issuer = ia5_or_utf8(raw),
            "1.3.6.1.4.1.57264.1.5" => id.workflow_repository = text(),
            "1.3.6.1.4.1.57264.1.6" => id.workflow_ref = text(),
            "1.3.6.1.4.1.57264.1.9" => id.build_signer_uri = ia5_or_utf8(raw),
            "1.3.6.1.4.1.57264.1.12" => id.source_repository_uri = ia5_or_utf8(raw),
            "1.3.6.1.4.1.57264.1.14" => id.source_repository_ref = ia5_or_utf8(raw),
            "1.3.6.1.4.1.11129.2.4.2" => {
                // OCTET STRING (the extension value) holding an OCTET STRING of the TLS list.
                let (inner, _) = der::next(raw).ok_or_else(|| err(Code::BundleMalformed, "SCT extension is not DER"))?;
                sct_list = Some(inner.content.to_vec());
            }
            _ => {}
        }
    }
    if id.issuer.is_none() {
        id.issuer.clone_from(&id.issuer_v1);
    }
    Ok(Leaf { der: cert_der.to_vec(), spki_der, identity: id, issuer_name_der, sct_list })
}

/// Chain `leaf` to a trust-root CA valid at `t` (Fulcio issues code-signing certificates); returns
/// the issuing certificate's SPKI DER (for the SCT's issuer key hash).
pub(super) fn verify_chain(leaf: &Leaf, root: &TrustedRoot, t: u64) -> Result<Vec<u8>, ProvenanceError> {
    use ::der::{Decode as _, Encode as _};
    use rustls_pki_types::{CertificateDer, UnixTime};
    if t < leaf.identity.not_before || t > leaf.identity.not_after {
        return Err(err(
            Code::CertExpired,
            format!(
                "integrated time {t} is outside the certificate's validity {}..{}",
                leaf.identity.not_before, leaf.identity.not_after
            ),
        ));
    }
    let leaf_der = CertificateDer::from(leaf.der.as_slice());
    let ee = webpki::EndEntityCert::try_from(&leaf_der)
        .map_err(|e| err(Code::BundleMalformed, format!("signing certificate: {e:?}")))?;
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(t));
    let mut last = String::from("no certificate authority in the trust root is valid at the integrated time");
    for ca in root.cas.iter().filter(|ca| within(ca.valid, t)) {
        let Some(root_der) = ca.chain.last() else { continue };
        let root_cd = CertificateDer::from(root_der.as_slice());
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&root_cd) else { continue };
        let inter: Vec<CertificateDer<'_>> =
            ca.chain.iter().take(ca.chain.len().saturating_sub(1)).map(|c| CertificateDer::from(c.as_slice())).collect();
        match ee.verify_for_usage(
            crypto::webpki_algorithms(),
            &[anchor],
            &inter,
            now,
            webpki::KeyUsage::required(CODE_SIGNING_EKU),
            None,
            None,
        ) {
            Ok(_) => {
                // The issuer is the CA certificate whose subject is the leaf's issuer.
                for c in &ca.chain {
                    let Ok(parsed) = x509_cert::Certificate::from_der(c) else { continue };
                    let tbs = parsed.tbs_certificate();
                    if tbs.subject().to_der().ok().as_deref() == Some(leaf.issuer_name_der.as_slice()) {
                        return tbs
                            .subject_public_key_info()
                            .to_der()
                            .map_err(|e| err(Code::FulcioChainInvalid, format!("issuer key: {e}")));
                    }
                }
                last = "chain verified but the issuer is not in the CA chain".into();
            }
            Err(e) => last = format!("{e:?}"),
        }
    }
    Err(err(Code::FulcioChainInvalid, last))
}

/// Verify the embedded SCTs: at least one, each from a distinct CT log of the trust root (valid
/// at the SCT time), each signature valid over the precertificate entry.
pub(super) fn verify_scts(leaf: &Leaf, issuer_spki: &[u8], root: &TrustedRoot) -> Result<usize, ProvenanceError> {
    let list = leaf.sct_list.as_deref().ok_or_else(|| err(Code::SctInsufficient, "the certificate embeds no SCT"))?;
    let tbs = der::precert_tbs(&leaf.der).ok_or_else(|| err(Code::BundleMalformed, "precertificate TBS"))?;
    let issuer_hash = crypto::sha256(issuer_spki);
    let mut r = Tls(list);
    let total = r.u16().ok_or_else(|| err(Code::BundleMalformed, "SCT list length"))?;
    let mut body = Tls(r.take(usize::from(total)).ok_or_else(|| err(Code::BundleMalformed, "SCT list truncated"))?);
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut verified = 0usize;
    while !body.0.is_empty() {
        let n = body.u16().ok_or_else(|| err(Code::BundleMalformed, "SCT length"))?;
        let sct = body.take(usize::from(n)).ok_or_else(|| err(Code::BundleMalformed, "SCT truncated"))?;
        let mut s = Tls(sct);
        let parsed = (|| {
            let version = s.take(1)?.first().copied()?;
            let log_id = s.take(32)?.to_vec();
            let ts = s.take(8)?;
            let ext_len = s.u16()?;
            let ext = s.take(usize::from(ext_len))?;
            let _hash_sig = s.take(2)?;
            let sig_len = s.u16()?;
            let sig = s.take(usize::from(sig_len))?;
            s.0.is_empty().then_some((version, log_id, ts, ext_len, ext, sig))
        })();
        let (version, log_id, ts, ext_len, ext, sig) = parsed.ok_or_else(|| err(Code::BundleMalformed, "SCT does not parse"))?;
        if seen.contains(&log_id) {
            return Err(err(Code::SctDuplicateLog, format!("two SCTs from log {}", hex::encode(&log_id))));
        }
        seen.push(log_id.clone());
        let ts_ms = u64::from_be_bytes(ts.try_into().map_err(|_| err(Code::BundleMalformed, "SCT time"))?);
        let ts_s = ts_ms / 1000;
        let Some(log) = root.ctlogs.iter().find(|l| l.log_id == log_id && within(l.valid, ts_s)) else {
            return Err(err(Code::SctInsufficient, format!("SCT from log {} not in the trust root", hex::encode(&log_id))));
        };
        let tbs_len = u32::try_from(tbs.len()).map_err(|_| err(Code::BundleMalformed, "TBS too long"))?;
        let mut msg = vec![version, 0];
        msg.extend_from_slice(ts);
        msg.extend_from_slice(&[0, 1]);
        msg.extend_from_slice(&issuer_hash);
        msg.extend_from_slice(tbs_len.to_be_bytes().get(1..).unwrap_or_default());
        msg.extend_from_slice(&tbs);
        msg.extend_from_slice(&ext_len.to_be_bytes());
        msg.extend_from_slice(ext);
        if !verify_sha256(&log.spki_der, &msg, sig) {
            return Err(err(Code::SctInsufficient, format!("SCT signature from log {} does not verify", hex::encode(&log_id))));
        }
        verified = verified.saturating_add(1);
    }
    if verified == 0 {
        return Err(err(Code::SctInsufficient, "the certificate's SCT list is empty"));
    }
    Ok(verified)
}

struct Tls<'a>(&'a [u8]);

impl<'a> Tls<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let head = self.0.get(..n)?;
        self.0 = self.0.get(n..)?;
        Some(head)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).and_then(|b| b.try_into().ok()).map(u16::from_be_bytes)
    }
}
