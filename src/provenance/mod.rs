//! Sigstore provenance: measurements taken from signed releases instead of hex copied into a
//! policy. A narrow, offline verifier on the crypto room (see `docs/provenance.md` for why not
//! `sigstore-verify`): the verification time and the trust root are inputs, nothing is fetched.
//!
//! [`verify_bundle`] checks a bundle (v0.1–v0.3; Rekor v1 or v2 entry) in this order, each failure
//! a [`Code`]: media type and shape; exactly one tlog entry of a known kind/version (`dsse` /
//! `hashedrekord` 0.0.1, `hashedrekord` 0.0.2, `dsse` 0.0.2; anything else `UNSUPPORTED`); every
//! RFC 3161 timestamp supplied (imprint over the bundle's signature, TSA signature, TSA chain to
//! a trust-root timestamp authority: `TIMESTAMP_INVALID`), at least one for Rekor v2, whose time
//! it gives; the signed time (Rekor v1 integrated time, or the timestamp's) not after the
//! verification time and inside the certificate's validity; Fulcio chain to a trust-root CA valid
//! then, with the code-signing EKU (`FULCIO_CHAIN_INVALID`, `CERT_EXPIRED`); embedded SCTs from
//! distinct trust-root CT logs (`SCT_*`); the entry's log key in the trust root, SET (v1 only),
//! RFC 6962 inclusion proof and signed checkpoint, ECDSA or Ed25519 (`REKOR_*`, `SET_INVALID`,
//! `INCLUSION_INVALID`, `CHECKPOINT_*`); the tlog body consistent with the envelope (payload
//! hash or PAE / artifact digest, signature, certificate); the DSSE signature over PAE (or the
//! message signature over the artifact). [`statement::check`] then
//! holds the in-toto statement against the payload type, statement type, predicate type and
//! subject digest; [`identity::IdentityPolicy::check`] holds the certificate identity.
//!
//! The scan-level checks (`provenance.*`: bundle, identity, release, one per measurement) are
//! made by [`eval`].

mod bundle;
mod der;
pub mod eval;
mod fulcio;
pub mod identity;
pub mod predicate;
mod rekor;
pub mod statement;
mod timestamp;

pub use fulcio::CertIdentity;

use crate::pki::sigstore::TrustedRoot;
use crate::time::Timestamp;

/// Why a bundle (or its statement, identity or predicate) was rejected. Strings are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Code {
    /// The bundle JSON or a field in it is malformed, or of an unsupported version or layout.
    BundleMalformed,
    /// The bundle uses a feature this verifier does not implement (another Rekor entry kind or
    /// version, public-key bundles).
    Unsupported,
    /// The certificate does not chain to a trust-root Fulcio CA.
    FulcioChainInvalid,
    /// The signed time (Rekor v1 integrated time or an RFC 3161 time) lies outside the
    /// certificate's validity.
    CertExpired,
    /// No (valid) SCT from a trust-root CT log.
    SctInsufficient,
    /// Two SCTs from one CT log.
    SctDuplicateLog,
    /// Not exactly one tlog entry.
    TlogCountOutOfRange,
    /// The entry's log is not in the trust root (or not valid then).
    RekorKeyNotTrusted,
    /// The signed entry timestamp does not verify.
    SetInvalid,
    /// The inclusion proof is missing or does not reach its root.
    InclusionInvalid,
    /// The checkpoint is missing, malformed or not signed by the log.
    CheckpointInvalid,
    /// The checkpoint commits to another root or size than the inclusion proof.
    CheckpointRootMismatch,
    /// The signed time (integrated or timestamped) is after the verification time.
    IntegratedTimeInFuture,
    /// The tlog body does not describe this envelope / signature / certificate.
    TlogBodyMismatch,
    /// An RFC 3161 timestamp is malformed, not over the bundle's signature, not signed by a
    /// trust-root TSA valid then, or missing where the time must come from one (Rekor v2).
    TimestampInvalid,
    /// The DSSE signature does not verify over PAE.
    DsseSignatureInvalid,
    /// The message signature or digest does not match the artifact.
    MessageSignatureInvalid,
    /// The DSSE payload type is not the expected one.
    PayloadTypeMismatch,
    /// The in-toto statement does not parse or has unknown fields.
    StatementInvalid,
    /// The statement type is not allowed.
    InTotoStatementTypeNotAllowed,
    /// The statement has no subject.
    SubjectMissing,
    /// The first subject's sha256 is not the expected digest.
    SubjectDigestMismatch,
    /// The predicate type is not allowed.
    PredicateTypeNotAllowed,
    /// The predicate lacks a measurement field or it is not hex of the right length.
    PredicateMeasurementInvalid,
    /// The certificate's OIDC issuer is not the policy's.
    OidcIssuerMismatch,
    /// The workflow repository is not the policy's.
    WorkflowRepositoryMismatch,
    /// The workflow ref does not start with the policy's prefix, or the certificate's refs disagree.
    WorkflowRefPrefixMismatch,
    /// The workflow file is not the policy's.
    WorkflowPathMismatch,
}

impl Code {
    /// The stable string form (`FULCIO_CHAIN_INVALID`).
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }
}

/// A rejection: its [`Code`] and a human detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", code.as_str())]
pub struct ProvenanceError {
    /// What failed.
    pub code: Code,
    /// Why, with values.
    pub detail: String,
}

impl ProvenanceError {
    pub(crate) fn new(code: Code, detail: impl Into<String>) -> Self {
        ProvenanceError { code, detail: detail.into() }
    }
}

/// What a bundle signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A DSSE envelope: its payload type and payload (verified over PAE).
    Dsse {
        /// `payloadType`.
        payload_type: String,
        /// The payload bytes.
        payload: Vec<u8>,
    },
    /// A message signature over an artifact with this SHA-256.
    Message {
        /// SHA-256 of the artifact.
        sha256: [u8; 32],
    },
}

/// A bundle whose signatures, certificate and log entry all verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle {
    /// The certificate's identity.
    pub identity: CertIdentity,
    /// Rekor log index of the entry.
    pub log_index: u64,
    /// Rekor log id (hex).
    pub log_id: String,
    /// The signed time (unix seconds): the Rekor v1 integrated time (SET-signed), or for a Rekor
    /// v2 entry the first RFC 3161 timestamp's signing time.
    pub integrated_time: u64,
    /// Number of SCTs verified.
    pub sct_count: usize,
    /// What was signed.
    pub content: Content,
}

fn err(code: Code, detail: impl Into<String>) -> ProvenanceError {
    ProvenanceError::new(code, detail)
}

/// DSSE v1 pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {} ", payload_type.len(), payload_type).into_bytes();
    out.extend_from_slice(format!("{} ", payload.len()).as_bytes());
    out.extend_from_slice(payload);
    out
}

/// Verify a Sigstore bundle offline at time `at` against `root`. `artifact` is required for
/// message-signature bundles (the signed bytes) and ignored for DSSE bundles.
pub fn verify_bundle(json: &[u8], root: &TrustedRoot, at: Timestamp, artifact: Option<&[u8]>) -> Result<VerifiedBundle, ProvenanceError> {
    use bundle::{b64, num};
    let b: bundle::Bundle = serde_json::from_slice(json).map_err(|e| err(Code::BundleMalformed, format!("bundle JSON: {e}")))?;
    let version = bundle::version(&b.media_type)?;
    let vm = b.verification_material.as_ref().ok_or_else(|| err(Code::BundleMalformed, "no verificationMaterial"))?;
    let cert_der = match (&vm.certificate, &vm.x509_certificate_chain, version) {
        (Some(c), None, 3) => b64(&c.raw_bytes, "certificate")?,
        (None, Some(chain), 1 | 2) => {
            let first = chain.certificates.first().ok_or_else(|| err(Code::BundleMalformed, "empty certificate chain"))?;
            b64(&first.raw_bytes, "certificate")?
        }
        (None, Some(_), _) => return Err(err(Code::BundleMalformed, "a v0.3 bundle carries x509CertificateChain, not certificate")),
        _ if vm.public_key.is_some() => return Err(err(Code::Unsupported, "public-key bundles are not accepted: a Fulcio certificate is required")),
        _ => return Err(err(Code::BundleMalformed, "no signing certificate")),
    };
    let content_kind = match (&b.dsse_envelope, &b.message_signature) {
        (Some(_), None) => "dsse",
        (None, Some(_)) => "hashedrekord",
        _ => return Err(err(Code::BundleMalformed, "exactly one of dsseEnvelope and messageSignature is required")),
    };
    let leaf = fulcio::parse_leaf(&cert_der)?;
    // The signature the log entry and any timestamps are over.
    let signature = match (&b.dsse_envelope, &b.message_signature) {
        (Some(env), _) => {
            let [sig] = env.signatures.as_slice() else {
                return Err(err(Code::DsseSignatureInvalid, format!("{} DSSE signatures; exactly one is required", env.signatures.len())));
            };
            b64(&sig.sig, "DSSE signature")?
        }
        (None, Some(ms)) => b64(&ms.signature, "message signature")?,
        (None, None) => return Err(err(Code::BundleMalformed, "no content")),
    };

    // Transparency log: exactly one entry, Rekor v1 (`<kind>` 0.0.1, SET) or v2 (0.0.2).
    let [entry] = vm.tlog_entries.as_slice() else {
        return Err(err(Code::TlogCountOutOfRange, format!("{} tlog entries; exactly one is required", vm.tlog_entries.len())));
    };
    let (kind, kv) = (entry.kind_version.kind.as_str(), entry.kind_version.version.as_str());
    let v2 = match (kind, kv) {
        (k, "0.0.1") if k == content_kind => false,
        ("hashedrekord", "0.0.2") => true,
        ("dsse", "0.0.2") if content_kind == "dsse" => true,
        _ => return Err(err(Code::Unsupported, format!("tlog entry {kind} {kv} is not a supported Rekor entry for a {content_kind} bundle"))),
    };
    // RFC 3161 timestamps: every one supplied must verify; Rekor v2 needs at least one.
    let stamps = vm.timestamp_verification_data.as_ref().map(|d| d.rfc3161_timestamps.as_slice()).unwrap_or_default();
    let times = stamps
        .iter()
        .map(|t| timestamp::verify(&b64(&t.signed_timestamp, "signedTimestamp")?, &signature, root))
        .collect::<Result<Vec<_>, _>>()?;
    let integrated_time = if v2 {
        // A v2 entry's integratedTime (if any) is signed by nothing: the time is the TSA's.
        *times.first().ok_or_else(|| err(Code::TimestampInvalid, "a Rekor v2 entry needs a signed RFC 3161 timestamp"))?
    } else {
        match &entry.integrated_time {
            Some(t) => num(t, "integratedTime")?,
            None => return Err(err(Code::SetInvalid, "the entry has no integrated time")),
        }
    };
    for t in times.iter().chain(std::iter::once(&integrated_time)) {
        if *t > at.unix() {
            return Err(err(Code::IntegratedTimeInFuture, format!("signed time {t} is after the verification time {}", at.unix())));
        }
        if *t < leaf.identity.not_before || *t > leaf.identity.not_after {
            return Err(err(
                Code::CertExpired,
                format!("signed time {t} is outside the certificate's validity {}..{}", leaf.identity.not_before, leaf.identity.not_after),
            ));
        }
    }
    let issuer_spki = fulcio::verify_chain(&leaf, root, integrated_time)?;
    let sct_count = fulcio::verify_scts(&leaf, &issuer_spki, root)?;

    let body = b64(&entry.canonicalized_body, "canonicalizedBody")?;
    let log_id = b64(&entry.log_id.key_id, "logId")?;
    let set = entry.inclusion_promise.as_ref().map(|p| b64(&p.signed_entry_timestamp, "signedEntryTimestamp")).transpose()?;
    let proof = match &entry.inclusion_proof {
        Some(p) => Some(rekor::Proof {
            index: num(&p.log_index, "inclusionProof.logIndex")?,
            tree_size: num(&p.tree_size, "treeSize")?,
            root_hash: b64(&p.root_hash, "rootHash")?,
            hashes: p.hashes.iter().map(|h| b64(h, "hashes")).collect::<Result<_, _>>()?,
            checkpoint: p.checkpoint.as_ref().map(|c| c.envelope.as_str()),
        }),
        None => None,
    };
    let log_index = num(&entry.log_index, "logIndex")?;
    rekor::verify(
        &rekor::Entry { v2, log_index, log_id: &log_id, integrated_time, body: &body, set: set.as_deref(), proof },
        root,
    )?;

    // The body must describe this bundle's signature and certificate, and the signature verify.
    let parsed: bundle::Body = serde_json::from_slice(&body).map_err(|e| err(Code::TlogBodyMismatch, format!("tlog body: {e}")))?;
    if parsed.kind != kind || parsed.api_version != kv {
        return Err(err(Code::TlogBodyMismatch, format!("tlog body is {} {}, the entry says {kind} {kv}", parsed.kind, parsed.api_version)));
    }
    let spec = &parsed.spec;
    let content = if let Some(env) = &b.dsse_envelope {
        let payload = b64(&env.payload, "payload")?;
        let pae_bytes = pae(&env.payload_type, &payload);
        if !fulcio::verify_by_leaf(&leaf, &pae_bytes, &signature) {
            return Err(err(Code::DsseSignatureInvalid, "the DSSE signature does not verify over PAE under the certificate key"));
        }
        match (v2, kind) {
            (true, "hashedrekord") => body_v2_hashedrekord(spec, &crate::crypto::sha256(&pae_bytes), &signature, &leaf.der)?,
            (true, _) => body_v2_dsse(spec, &crate::crypto::sha256(&payload), &signature, &leaf.der)?,
            (false, _) => {
                let hash = spec.pointer("/payloadHash/value").and_then(|v| v.as_str()).unwrap_or_default();
                if spec.pointer("/payloadHash/algorithm").and_then(|v| v.as_str()) != Some("sha256")
                    || !hash.eq_ignore_ascii_case(&hex::encode(crate::crypto::sha256(&payload)))
                {
                    return Err(err(Code::TlogBodyMismatch, "the tlog body's payload hash is not the envelope payload's"));
                }
                let sigs = spec.pointer("/signatures").and_then(|v| v.as_array()).cloned().unwrap_or_default();
                let [logged] = sigs.as_slice() else {
                    return Err(err(Code::TlogBodyMismatch, "the tlog body does not hold exactly one signature"));
                };
                let logged_sig = b64(logged.get("signature").and_then(|v| v.as_str()).unwrap_or_default(), "logged signature")?;
                let logged_cert = pem_cert(logged.get("verifier").and_then(|v| v.as_str()).unwrap_or_default())?;
                if logged_sig != signature || logged_cert != leaf.der {
                    return Err(err(Code::TlogBodyMismatch, "the tlog body's signature or verifier is not the bundle's"));
                }
            }
        }
        Content::Dsse { payload_type: env.payload_type.clone(), payload }
    } else if let Some(ms) = &b.message_signature {
        let artifact = artifact.ok_or_else(|| err(Code::MessageSignatureInvalid, "a message-signature bundle needs the artifact"))?;
        let digest = crate::crypto::sha256(artifact);
        if let Some(md) = &ms.message_digest {
            if md.algorithm != "SHA2_256" || b64(&md.digest, "messageDigest")? != digest {
                return Err(err(Code::MessageSignatureInvalid, "the bundle's message digest is not the artifact's"));
            }
        }
        if !fulcio::verify_by_leaf(&leaf, artifact, &signature) {
            return Err(err(Code::MessageSignatureInvalid, "the message signature does not verify under the certificate key"));
        }
        if v2 {
            body_v2_hashedrekord(spec, &digest, &signature, &leaf.der)?;
        } else {
            let hash = spec.pointer("/data/hash/value").and_then(|v| v.as_str()).unwrap_or_default();
            let logged_sig = b64(spec.pointer("/signature/content").and_then(|v| v.as_str()).unwrap_or_default(), "logged signature")?;
            let logged_cert = pem_cert(spec.pointer("/signature/publicKey/content").and_then(|v| v.as_str()).unwrap_or_default())?;
            if !hash.eq_ignore_ascii_case(&hex::encode(digest)) || logged_sig != signature || logged_cert != leaf.der {
                return Err(err(Code::TlogBodyMismatch, "the tlog body's hash, signature or certificate is not the bundle's"));
            }
        }
        Content::Message { sha256: digest }
    } else {
        return Err(err(Code::BundleMalformed, "no content"));
    };
    Ok(VerifiedBundle {
        identity: leaf.identity,
        log_index,
        log_id: hex::encode(&log_id),
        integrated_time,
        sct_count,
        content,
    })
}

/// A Rekor v2 signature object (`{content, verifier: {x509Certificate: {rawBytes}}}`) is this
/// signature by this certificate.
fn logged_v2(sig: &serde_json::Value, signature: &[u8], cert_der: &[u8]) -> Result<bool, ProvenanceError> {
    let text = |p: &str| sig.pointer(p).and_then(|v| v.as_str()).unwrap_or_default();
    let content = bundle::b64(text("/content"), "logged signature")?;
    let cert = bundle::b64(text("/verifier/x509Certificate/rawBytes"), "logged certificate")?;
    Ok(content == signature && cert == cert_der)
}

/// A `hashedrekord` 0.0.2 body commits to `digest` (SHA-256), `signature` and `cert_der`.
fn body_v2_hashedrekord(spec: &serde_json::Value, digest: &[u8; 32], signature: &[u8], cert_der: &[u8]) -> Result<(), ProvenanceError> {
    let s = spec.get("hashedRekordV002").ok_or_else(|| err(Code::TlogBodyMismatch, "no hashedRekordV002 spec"))?;
    let logged_digest = bundle::b64(s.pointer("/data/digest").and_then(|v| v.as_str()).unwrap_or_default(), "logged digest")?;
    let sig_ok = s.get("signature").map(|v| logged_v2(v, signature, cert_der)).transpose()?.unwrap_or(false);
    if s.pointer("/data/algorithm").and_then(|v| v.as_str()) != Some("SHA2_256") || logged_digest != digest || !sig_ok {
        return Err(err(Code::TlogBodyMismatch, "the hashedrekord v0.0.2 body's digest, signature or certificate is not the bundle's"));
    }
    Ok(())
}

/// A `dsse` 0.0.2 body commits to the payload hash and exactly this one signature/certificate.
fn body_v2_dsse(spec: &serde_json::Value, payload_hash: &[u8; 32], signature: &[u8], cert_der: &[u8]) -> Result<(), ProvenanceError> {
    let s = spec.get("dsseV002").ok_or_else(|| err(Code::TlogBodyMismatch, "no dsseV002 spec"))?;
    let logged_hash = bundle::b64(s.pointer("/payloadHash/digest").and_then(|v| v.as_str()).unwrap_or_default(), "logged payload hash")?;
    let sigs = s.get("signatures").and_then(|v| v.as_array()).map(Vec::as_slice).unwrap_or_default();
    let sig_ok = match sigs {
        [one] => logged_v2(one, signature, cert_der)?,
        _ => false,
    };
    if s.pointer("/payloadHash/algorithm").and_then(|v| v.as_str()) != Some("SHA2_256") || logged_hash != payload_hash || !sig_ok {
        return Err(err(Code::TlogBodyMismatch, "the dsse v0.0.2 body's payload hash, signature or certificate is not the bundle's"));
    }
    Ok(())
}

/// A base64 PEM certificate (as Rekor bodies carry it) to DER.
fn pem_cert(b64_pem: &str) -> Result<Vec<u8>, ProvenanceError> {
    let text = bundle::b64(b64_pem, "logged certificate")?;
    let p = pem::parse(&text).map_err(|e| err(Code::TlogBodyMismatch, format!("logged certificate PEM: {e}")))?;
    Ok(p.into_contents())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        assert_eq!(pae("http://example.com/HelloWorld", b"hello world"), b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec());
    }
}
