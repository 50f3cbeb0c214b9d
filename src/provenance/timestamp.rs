//! RFC 3161 signed timestamps (`timestampVerificationData.rfc3161Timestamps`), the time source
//! of Rekor v2 bundles. A `TimeStampResp` (status granted) or a bare `TimeStampToken` (CMS
//! SignedData, DER) is accepted when: its TSTInfo's message imprint is the hash of the bundle's
//! signature; the signed attributes name TSTInfo and carry its digest; the TSA signature over
//! them verifies (crypto room) under a certificate (embedded, or the trust root's TSA leaf) that
//! chains to a trust-root timestamp authority valid at the signing time, with the timeStamping
//! EKU. Anything else is `TIMESTAMP_INVALID`.

use super::der;
use super::fulcio::ec_key;
use super::{Code, ProvenanceError};
use crate::crypto::{self, SigAlg};
use crate::pki::sigstore::{within, TrustedRoot};
use crate::time::Timestamp;

const SIGNED_DATA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const TST_INFO: &[u8] = &[0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04];
const ATTR_CONTENT_TYPE: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const ATTR_MESSAGE_DIGEST: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const SHA256: &[u8] = &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const SHA384: &[u8] = &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const SHA512: &[u8] = &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
const ECDSA_SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_SHA384: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const TIME_STAMPING_EKU: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

fn bad(detail: impl Into<String>) -> ProvenanceError {
    ProvenanceError::new(Code::TimestampInvalid, detail)
}

fn seq<'a>(input: &'a [u8], what: &str) -> Result<Vec<der::Tlv<'a>>, ProvenanceError> {
    let (t, rest) = der::next(input).ok_or_else(|| bad(format!("{what}: not DER")))?;
    if t.tag != 0x30 || !rest.is_empty() {
        return Err(bad(format!("{what}: not one SEQUENCE")));
    }
    der::children(t.content).ok_or_else(|| bad(format!("{what}: not DER")))
}

fn digest(alg_oid: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    match alg_oid {
        SHA256 => Some(crypto::sha256(data).to_vec()),
        SHA384 => Some(crypto::sha384(data).to_vec()),
        SHA512 => Some(crypto::sha512(data).to_vec()),
        _ => None,
    }
}

/// The OID TLV of an AlgorithmIdentifier.
fn alg_oid<'a>(alg: &der::Tlv<'a>) -> Option<&'a [u8]> {
    let (oid, _) = der::next(alg.content)?;
    (oid.tag == 0x06).then_some(oid.whole)
}

/// `YYYYMMDDHHMMSS[.f*]Z` to unix seconds.
fn generalized_time(content: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(content).ok()?;
    let s = s.strip_suffix('Z')?;
    let whole = s.split_once('.').map_or(s, |(w, _)| w);
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let f = |a: usize, b: usize| whole.get(a..b);
    let text = format!("{}-{}-{}T{}:{}:{}Z", f(0, 4)?, f(4, 6)?, f(6, 8)?, f(8, 10)?, f(10, 12)?, f(12, 14)?);
    Timestamp::parse_rfc3339(&text).ok().map(Timestamp::unix)
}

/// The parts of a timestamp token this module checks.
struct Token<'a> {
    tst_info: &'a [u8],
    certificates: Vec<&'a [u8]>,
    digest_alg: &'a [u8],
    signed_attrs: &'a [u8],
    signature_alg: &'a [u8],
    signature: &'a [u8],
}

fn parse(bytes: &[u8]) -> Result<Token<'_>, ProvenanceError> {
    let outer = seq(bytes, "timestamp")?;
    // TimeStampResp { PKIStatusInfo, TimeStampToken } or a bare TimeStampToken (ContentInfo).
    let content_info = match outer.first() {
        Some(first) if first.tag == 0x30 => {
            let status = der::children(first.content).and_then(|c| c.into_iter().next()).ok_or_else(|| bad("PKIStatusInfo"))?;
            if status.tag != 0x02 || !matches!(status.content, [0] | [1]) {
                return Err(bad("the timestamp response's status is not granted"));
            }
            let [_, token] = outer.as_slice() else { return Err(bad("the timestamp response holds no single token")) };
            seq(token.whole, "TimeStampToken")?
        }
        _ => outer,
    };
    let [ct, explicit] = content_info.as_slice() else { return Err(bad("ContentInfo")) };
    if ct.whole != SIGNED_DATA || explicit.tag != 0xa0 {
        return Err(bad("the token is not CMS SignedData"));
    }
    let sd = seq(explicit.content, "SignedData")?;
    let mut it = sd.iter();
    let (_version, _digest_algs, encap) = (it.next(), it.next(), it.next().ok_or_else(|| bad("SignedData"))?);
    let mut certificates = Vec::new();
    let mut signer_infos = None;
    for el in it {
        match el.tag {
            0xa0 => certificates = der::children(el.content).ok_or_else(|| bad("certificates"))?.into_iter().map(|c| c.whole).collect(),
            0xa1 => {}
            0x31 => signer_infos = Some(el.content),
            _ => return Err(bad("SignedData has an unknown field")),
        }
    }
    let encap = der::children(encap.content).ok_or_else(|| bad("encapContentInfo"))?;
    let [e_type, e_content] = encap.as_slice() else { return Err(bad("encapContentInfo has no content")) };
    if e_type.whole != TST_INFO || e_content.tag != 0xa0 {
        return Err(bad("the signed content is not a TSTInfo"));
    }
    let (octets, _) = der::next(e_content.content).filter(|(o, r)| o.tag == 0x04 && r.is_empty()).ok_or_else(|| bad("eContent"))?;
    let signers = der::children(signer_infos.ok_or_else(|| bad("no signerInfos"))?).ok_or_else(|| bad("signerInfos"))?;
    let [signer] = signers.as_slice() else { return Err(bad(format!("{} signer infos; exactly one is required", signers.len()))) };
    let si = der::children(signer.content).ok_or_else(|| bad("SignerInfo"))?;
    // version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature, [1]?
    let (Some(d_alg), Some(attrs), Some(s_alg), Some(sig)) = (si.get(2), si.get(3), si.get(4), si.get(5)) else {
        return Err(bad("SignerInfo is short"));
    };
    if attrs.tag != 0xa0 || sig.tag != 0x04 {
        return Err(bad("the signer info has no signed attributes"));
    }
    Ok(Token {
        tst_info: octets.content,
        certificates,
        digest_alg: alg_oid(d_alg).ok_or_else(|| bad("digestAlgorithm"))?,
        signed_attrs: attrs.whole,
        signature_alg: alg_oid(s_alg).ok_or_else(|| bad("signatureAlgorithm"))?,
        signature: sig.content,
    })
}

/// Verify one signed timestamp over `signature` (the bundle's signature bytes) against the trust
/// root's timestamp authorities; returns the signing time (unix seconds).
pub(super) fn verify(bytes: &[u8], signature: &[u8], root: &TrustedRoot) -> Result<u64, ProvenanceError> {
    let t = parse(bytes)?;
    // TSTInfo { version, policy, messageImprint, serialNumber, genTime, … }
    let tst = seq(t.tst_info, "TSTInfo")?;
    let (Some(imprint), Some(gen)) = (tst.get(2), tst.get(4)) else { return Err(bad("TSTInfo is short")) };
    let imprint = der::children(imprint.content).ok_or_else(|| bad("messageImprint"))?;
    let [i_alg, i_hash] = imprint.as_slice() else { return Err(bad("messageImprint")) };
    let want = alg_oid(i_alg).and_then(|oid| digest(oid, signature)).ok_or_else(|| bad("unsupported imprint hash"))?;
    if i_hash.tag != 0x04 || i_hash.content != want.as_slice() {
        return Err(bad("the message imprint is not the hash of the bundle's signature"));
    }
    let gen_time = if gen.tag == 0x18 { generalized_time(gen.content) } else { None }.ok_or_else(|| bad("genTime"))?;

    // Signed attributes: content type TSTInfo and the TSTInfo's digest; the signature covers
    // them re-tagged as a SET.
    let (attrs, _) = der::next(t.signed_attrs).ok_or_else(|| bad("signedAttrs"))?;
    let mut content_type_ok = false;
    let mut digest_ok = false;
    let tst_digest = digest(t.digest_alg, t.tst_info).ok_or_else(|| bad("unsupported digest algorithm"))?;
    for attr in der::children(attrs.content).ok_or_else(|| bad("signedAttrs"))? {
        let parts = der::children(attr.content).ok_or_else(|| bad("attribute"))?;
        let [oid, values] = parts.as_slice() else { return Err(bad("attribute")) };
        let vals = der::children(values.content).ok_or_else(|| bad("attribute values"))?;
        match oid.whole {
            ATTR_CONTENT_TYPE => content_type_ok = matches!(vals.as_slice(), [v] if v.whole == TST_INFO),
            ATTR_MESSAGE_DIGEST => digest_ok = matches!(vals.as_slice(), [v] if v.tag == 0x04 && v.content == tst_digest.as_slice()),
            _ => {}
        }
    }
    if !content_type_ok || !digest_ok {
        return Err(bad("the signed attributes do not bind the TSTInfo (content type / message digest)"));
    }
    let signed = der::encode(0x31, attrs.content);

    // The signer: an embedded certificate or a trust-root TSA leaf, verifying the signature and
    // chaining to a trust-root TSA valid at genTime.
    let mut candidates: Vec<&[u8]> = t.certificates.clone();
    candidates.extend(root.tsas.iter().filter_map(|a| a.chain.first().map(Vec::as_slice)));
    let mut last = String::from("no certificate verifies the timestamp signature");
    for cert in candidates {
        if !signature_verifies(cert, t.signature_alg, &signed, t.signature) {
            continue;
        }
        match chain_to_tsa(cert, root, gen_time) {
            Ok(()) => return Ok(gen_time),
            Err(e) => last = e,
        }
    }
    Err(bad(last))
}

fn signature_verifies(cert_der: &[u8], sig_alg: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    use ::der::{Decode as _, Encode as _};
    let Ok(cert) = x509_cert::Certificate::from_der(cert_der) else { return false };
    let Ok(spki) = cert.tbs_certificate().subject_public_key_info().to_der() else { return false };
    let Some((curve, _, point)) = ec_key(&spki) else { return false };
    let alg = match (curve, sig_alg) {
        (SigAlg::EcdsaP256Sha256Der, ECDSA_SHA256) => SigAlg::EcdsaP256Sha256Der,
        (SigAlg::EcdsaP256Sha256Der, ECDSA_SHA384) => SigAlg::EcdsaP256Sha384Der,
        (SigAlg::EcdsaP384Sha256Der, ECDSA_SHA256) => SigAlg::EcdsaP384Sha256Der,
        (SigAlg::EcdsaP384Sha256Der, ECDSA_SHA384) => SigAlg::EcdsaP384Sha384Der,
        _ => return false,
    };
    crypto::verify(alg, &point, msg, sig).is_ok()
}

fn chain_to_tsa(cert_der: &[u8], root: &TrustedRoot, t: u64) -> Result<(), String> {
    use rustls_pki_types::{CertificateDer, UnixTime};
    let leaf = CertificateDer::from(cert_der);
    let ee = webpki::EndEntityCert::try_from(&leaf).map_err(|e| format!("TSA certificate: {e:?}"))?;
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(t));
    let mut last = String::from("no timestamp authority in the trust root is valid at the signing time");
    for tsa in root.tsas.iter().filter(|a| within(a.valid, t)) {
        let Some(root_der) = tsa.chain.last() else { continue };
        let root_cd = CertificateDer::from(root_der.as_slice());
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&root_cd) else { continue };
        let inter: Vec<CertificateDer<'_>> =
            tsa.chain.iter().take(tsa.chain.len().saturating_sub(1)).map(|c| CertificateDer::from(c.as_slice())).collect();
        match ee.verify_for_usage(
            crypto::webpki_algorithms(),
            &[anchor],
            &inter,
            now,
            webpki::KeyUsage::required(TIME_STAMPING_EKU),
            None,
            None,
        ) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("TSA chain: {e:?}"),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_reads_whole_and_fractional_seconds() {
        assert_eq!(generalized_time(b"20250612120220Z"), Some(1_749_729_740));
        assert_eq!(generalized_time(b"20250612120220.123Z"), Some(1_749_729_740));
        assert_eq!(generalized_time(b"20250612120220"), None);
        assert_eq!(generalized_time(b"2025061212022Z"), None);
    }
}
