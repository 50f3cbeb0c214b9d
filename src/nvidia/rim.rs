//! NVIDIA Reference Integrity Manifests (RIMs): ISO/IEC 19770-2 SWID tags carrying the golden
//! measurements of a GPU driver, a GPU VBIOS or an NVSwitch BIOS, signed with an enveloped XML
//! signature (C14N 1.1, ECDSA P-384 / SHA-384) whose `KeyInfo` carries the signer chain up to the
//! NVIDIA CoRIM signing Root CA.
//!
//! [`verify_rim`] accepts exactly NVIDIA's signature profile and nothing else:
//!
//! * one `ds:Signature`, a child of the `SoftwareIdentity` root, with exactly one `Reference`
//!   whose `URI=""` (the whole document), transforms exactly enveloped-signature then C14N 1.1,
//!   digest SHA-384, `SignedInfo` canonicalized with C14N 1.1 and signed with ECDSA-SHA384;
//! * the signer is the first certificate of `KeyInfo/X509Data`; the path from it through the
//!   other `KeyInfo` certificates must validate to the *pinned* anchor at the given time
//!   ([`crate::pki::verify_path`]); any self-signed certificate the document carries is dropped;
//! * the signature is checked by `xml-sec` with that leaf key given as the only, caller-trusted
//!   key, and the result must be `Valid` and must cover the root element; xml-sec does the
//!   canonicalization, references and digests, and hands the `SignedInfo` bytes and `r ‖ s` to
//!   the key (`RoomKey`), whose ECDSA P-384 verification is the crypto room's;
//! * golden values are then read from that same parsed tree, only from the covered root element
//!   and never from inside the `Signature` subtree (the one part of the document the enveloped
//!   signature does not cover), so an XML-signature-wrapping payload cannot contribute values.
//!
//! [`compare`] builds NVIDIA's golden set (driver active ∪ VBIOS active; an index active in both is
//! an error) and holds the runtime SPDM measurement blocks against it (RIM index `i` ↔ SPDM block
//! `i + 1`; a runtime value must equal any alternative; index 35 is skipped when NVDEC0 is
//! disabled; runtime blocks without an active golden value are ignored).

use std::collections::BTreeMap;
use std::sync::Arc;

use der::asn1::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use xml_sec::xmldsig::{
    CallerTrustedSignatureKey, DigestAlgorithm, DsigStatus, FailureReason, KeyTrustEvidence,
    DsigError, SignatureAlgorithm, SignatureRequirement, VerificationRequest, VerifyContext, VerifyingKey,
};
use xml_sec::XmlDocument;

use crate::cache::{certs_window, Key, VerifyCache};
use crate::pki::{verify_path_with, PkiError, TrustAnchor};
use crate::time::Timestamp;

/// Largest RIM accepted (real RIMs are 20–60 KiB).
pub const MAX_RIM_LEN: usize = 1024 * 1024;
/// Size of every golden digest (SHA-384).
pub const DIGEST_LEN: usize = 48;
/// Most alternatives accepted for one measurement (real RIMs have at most 4).
pub const MAX_ALTERNATIVES: u32 = 16;
/// Most `KeyInfo` certificates accepted (real RIMs carry 4).
pub const MAX_KEYINFO_CERTS: usize = 8;
/// The 0-based RIM index NVIDIA skips when NVDEC0 is disabled.
pub const NVDEC0_INDEX: u32 = 35;

/// SWID tag namespace (ISO/IEC 19770-2:2015).
pub const SWID_NS: &str = "http://standards.iso.org/iso/19770/-2/2015/schema.xsd";
/// Namespace of the `HashN` attributes of a `Resource`.
pub const SHA384_NS: &str = "http://www.w3.org/2001/04/xmlenc#sha384";
/// XML signature namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Canonical XML 1.1 (without comments).
pub const C14N11_URI: &str = "http://www.w3.org/2006/12/xml-c14n11";
/// ECDSA with SHA-384.
pub const ECDSA_SHA384_URI: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
/// SHA-384 digest method.
pub const SHA384_DIGEST_URI: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
/// Enveloped-signature transform.
pub const ENVELOPED_URI: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// Why the XML signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureFailure {
    /// The signed content changed: the `Reference` digest does not match.
    DigestMismatch,
    /// `SignatureValue` does not verify over `SignedInfo` with the signer's key.
    SignatureMismatch,
    /// Any other non-`Valid` status reported by `xml-sec` (its debug text).
    Other(String),
}

/// Why a RIM was rejected, or why a comparison could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RimError {
    /// Input larger than [`MAX_RIM_LEN`].
    #[error("RIM is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The XML does not parse (or is refused by the parser policy, e.g. a DTD).
    #[error("RIM XML does not parse: {0}")]
    Xml(String),
    /// The document does not have the shape of a signed NVIDIA RIM.
    #[error("RIM structure: {0}")]
    Structure(String),
    /// A signature algorithm, transform or digest other than NVIDIA's profile.
    #[error("RIM {what} is {found:?}, only {expected:?} is accepted")]
    Algorithm {
        /// Which algorithm slot.
        what: &'static str,
        /// What the document declares.
        found: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The signature `Reference` is not the enveloped whole-document one.
    #[error("RIM signature reference URI is {0:?}, only \"\" (the whole document) is accepted")]
    ReferenceUri(Option<String>),
    /// `KeyInfo` does not hold usable certificates.
    #[error("RIM KeyInfo: {0}")]
    KeyInfo(String),
    /// The signer key is not an EC P-384 key.
    #[error("RIM signer key is not EC P-384: {0}")]
    SignerKey(String),
    /// The signer certificate had expired at the verification time.
    #[error("RIM signer certificate expired at {not_after} (verification time {at})")]
    SignerExpired {
        /// Signer `notAfter`.
        not_after: Timestamp,
        /// Verification time.
        at: Timestamp,
    },
    /// The signer certificate was not yet valid at the verification time.
    #[error("RIM signer certificate is valid only from {not_before} (verification time {at})")]
    SignerNotYetValid {
        /// Signer `notBefore`.
        not_before: Timestamp,
        /// Verification time.
        at: Timestamp,
    },
    /// The `KeyInfo` chain does not validate to the pinned anchor.
    #[error("RIM signer chain: {0}")]
    Chain(#[from] PkiError),
    /// `xml-sec` could not process the signature.
    #[error("RIM signature processing failed: {0}")]
    SignatureProcessing(String),
    /// The signature did not verify.
    #[error("RIM signature is not valid: {0:?}")]
    SignatureInvalid(SignatureFailure),
    /// The signature verified but does not cover the element the values are read from.
    #[error("RIM signature does not cover the {0} element")]
    NotCovered(&'static str),
    /// A required attribute is missing.
    #[error("RIM {element} has no {attribute} attribute")]
    MissingAttribute {
        /// Element name.
        element: &'static str,
        /// Attribute name.
        attribute: &'static str,
    },
    /// A `Resource` attribute has a value that is not accepted.
    #[error("RIM measurement {index:?}: attribute {attribute} = {value:?} is not valid")]
    BadAttribute {
        /// The `index` attribute, when it could be read.
        index: Option<u32>,
        /// Attribute name.
        attribute: String,
        /// Its value.
        value: String,
    },
    /// Two `Resource` entries with the same index in one RIM.
    #[error("RIM measurement index {0} appears more than once")]
    DuplicateIndex(u32),
    /// A golden digest is not 48 bytes (SHA-384).
    #[error("RIM measurement {index}: digest {alternative} is {len} bytes, expected {DIGEST_LEN}")]
    DigestLength {
        /// Measurement index.
        index: u32,
        /// Alternative number.
        alternative: u32,
        /// Decoded length (or the declared `size`).
        len: usize,
    },
    /// `alternatives` does not equal the `HashN` attributes present.
    #[error("RIM measurement {index}: alternatives = {declared} but Hash0..Hash{declared} do not match the {present} Hash attributes present")]
    AlternativesMismatch {
        /// Measurement index.
        index: u32,
        /// The `alternatives` attribute.
        declared: u32,
        /// `HashN` attributes present.
        present: usize,
    },
    /// The same index is active in two RIMs (NVIDIA: driver and VBIOS must not overlap).
    #[error("measurement index {index} is active in both the {first:?} and the {second:?} RIM")]
    IndexConflict {
        /// The index (0-based RIM index).
        index: u32,
        /// First RIM holding it.
        first: RimKind,
        /// Second RIM holding it.
        second: RimKind,
    },
}

/// One golden measurement (`Resource` element) of a RIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenMeasurement {
    /// 0-based RIM index; the SPDM measurement block index is `index + 1`.
    pub index: u32,
    /// `active="True"`: part of the golden set.
    pub active: bool,
    /// `Hash0..HashN-1`, each [`DIGEST_LEN`] bytes; a runtime value must equal one of them.
    pub alternatives: Vec<Vec<u8>>,
    /// The `size` attribute (always [`DIGEST_LEN`] in an accepted RIM).
    pub size: usize,
    /// The `name` attribute (e.g. `HashedMeasurement_32_GSP`), empty when absent.
    pub name: String,
}

/// A RIM whose signature and signer chain verified, with the golden values read from the signed
/// content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRim {
    /// `SoftwareIdentity/@tagId` (NVIDIA uses a SHA-384 hex string; the RIM service id such as
    /// `NV_GPU_DRIVER_GH100_550.90.07` is not in the document, see [`driver_rim_id`]).
    pub id: String,
    /// `SoftwareIdentity/@name` (`GH100`, `LS10`, …).
    pub name: String,
    /// `Meta/@colloquialVersion`: the driver or VBIOS version (`550.90.07`, `96.00.9F.00.01`).
    pub version: String,
    /// `Meta/@edition` (`GPU`, `SWITCH`), empty when absent.
    pub edition: String,
    /// Every `Resource`, in document order (active and inactive).
    pub measurements: Vec<GoldenMeasurement>,
    /// The `KeyInfo` certificates (DER) in document order, signer first.
    pub signer_chain: Vec<Vec<u8>>,
    /// The signer certificate's `notAfter`.
    pub signer_not_after: Timestamp,
    /// Earliest `notAfter` on the validated path (signer and intermediates).
    pub chain_not_after: Timestamp,
    /// SHA-256 of the XML bytes, lower-case hex.
    pub sha256: String,
}

impl VerifiedRim {
    /// The active measurements.
    pub fn active(&self) -> impl Iterator<Item = &GoldenMeasurement> {
        self.measurements.iter().filter(|m| m.active)
    }
}

fn structure(reason: impl Into<String>) -> RimError {
    RimError::Structure(reason.into())
}

type Node<'a> = xml_sec::XmlDomNode<'a, 'a>;

fn is(node: &Node<'_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

fn element_children<'a>(node: Node<'a>) -> impl Iterator<Item = Node<'a>> {
    node.children().filter(|c| c.is_element())
}

fn describe(node: &Node<'_>) -> String {
    format!("{{{}}}{}", node.tag_name().namespace().unwrap_or(""), node.tag_name().name())
}

/// The element children of `node`, which must be exactly the `expected` ds elements in order.
fn ds_children<'a, const N: usize>(node: Node<'a>, expected: [&'static str; N]) -> Result<[Node<'a>; N], RimError> {
    let kids: Vec<Node<'a>> = element_children(node).collect();
    let names: Vec<String> = kids.iter().map(describe).collect();
    let shape_ok = kids.len() == N && kids.iter().zip(expected.iter()).all(|(k, name)| is(k, DSIG_NS, name));
    if !shape_ok {
        return Err(structure(format!(
            "ds:{} must contain exactly {:?}, found {:?}",
            node.tag_name().name(),
            expected,
            names
        )));
    }
    kids.try_into().map_err(|_| structure("element children changed"))
}

fn algorithm_of(node: Node<'_>, what: &'static str, expected: &'static str) -> Result<(), RimError> {
    let found = node.attribute("Algorithm").unwrap_or("");
    if found != expected {
        return Err(RimError::Algorithm { what, found: found.to_owned(), expected });
    }
    if element_children(node).next().is_some() {
        return Err(structure(format!("{what} must not have parameters")));
    }
    Ok(())
}

/// All text of an element that must not contain elements.
fn text_content(node: Node<'_>, what: &str) -> Result<String, RimError> {
    let mut out = String::new();
    for c in node.children() {
        if c.is_element() {
            return Err(structure(format!("{what} must hold text only")));
        }
        if c.is_text() {
            out.push_str(c.text().unwrap_or(""));
        }
    }
    Ok(out)
}

/// Check NVIDIA's signature profile on the `Signature` element and return the `KeyInfo`
/// certificates (DER, document order).
fn check_signature_profile(sig: Node<'_>) -> Result<Vec<Vec<u8>>, RimError> {
    let [signed_info, _value, key_info] = ds_children(sig, ["SignedInfo", "SignatureValue", "KeyInfo"])?;
    let [c14n, method, reference] = ds_children(signed_info, ["CanonicalizationMethod", "SignatureMethod", "Reference"])?;
    algorithm_of(c14n, "canonicalization method", C14N11_URI)?;
    algorithm_of(method, "signature method", ECDSA_SHA384_URI)?;
    match reference.attribute("URI") {
        Some("") => {}
        other => return Err(RimError::ReferenceUri(other.map(str::to_owned))),
    }
    let [transforms, digest_method, _digest_value] = ds_children(reference, ["Transforms", "DigestMethod", "DigestValue"])?;
    let [t1, t2] = ds_children(transforms, ["Transform", "Transform"])?;
    algorithm_of(t1, "first reference transform", ENVELOPED_URI)?;
    algorithm_of(t2, "second reference transform", C14N11_URI)?;
    algorithm_of(digest_method, "digest method", SHA384_DIGEST_URI)?;

    let [x509_data] = ds_children(key_info, ["X509Data"])?;
    let mut certs = Vec::new();
    for c in element_children(x509_data) {
        if !is(&c, DSIG_NS, "X509Certificate") {
            return Err(RimError::KeyInfo(format!("unexpected {} in X509Data", describe(&c))));
        }
        if certs.len() >= MAX_KEYINFO_CERTS {
            return Err(RimError::KeyInfo(format!("more than {MAX_KEYINFO_CERTS} certificates")));
        }
        let b64: String = text_content(c, "X509Certificate")?.chars().filter(|ch| !ch.is_ascii_whitespace()).collect();
        let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.as_bytes())
            .map_err(|e| RimError::KeyInfo(format!("certificate {} is not base64: {e}", certs.len())))?;
        certs.push(der);
    }
    if certs.is_empty() {
        return Err(RimError::KeyInfo("no X509Certificate".to_owned()));
    }
    Ok(certs)
}

fn x509_time(t: x509_cert::time::Time) -> Timestamp {
    Timestamp::from_unix(t.to_unix_duration().as_secs())
}

struct Signer {
    spki_der: Vec<u8>,
    /// The SPKI's `subjectPublicKey`: the uncompressed P-384 point.
    point: Vec<u8>,
    not_before: Timestamp,
    not_after: Timestamp,
}

fn read_signer(leaf: &[u8]) -> Result<Signer, RimError> {
    let cert = x509_cert::Certificate::from_der(leaf)
        .map_err(|e| RimError::KeyInfo(format!("signer certificate does not parse: {e}")))?;
    let tbs = cert.tbs_certificate();
    let spki = tbs.subject_public_key_info();
    if spki.algorithm.oid != OID_EC_PUBLIC_KEY {
        return Err(RimError::SignerKey(format!("algorithm {}", spki.algorithm.oid)));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    if curve != Some(OID_SECP384R1) {
        return Err(RimError::SignerKey(format!("curve {curve:?}")));
    }
    let spki_der = spki.to_der().map_err(|e| RimError::SignerKey(e.to_string()))?;
    Ok(Signer {
        spki_der,
        point: spki.subject_public_key.raw_bytes().to_vec(),
        not_before: x509_time(tbs.validity().not_before),
        not_after: x509_time(tbs.validity().not_after),
    })
}

/// The validated signer's key as xml-sec sees it: ECDSA P-384 / SHA-384 only, verified in the
/// crypto room (`SignatureValue` is XMLDSig's fixed `r ‖ s`, 96 bytes).
struct RoomKey {
    spki_der: Vec<u8>,
    point: Vec<u8>,
}

impl VerifyingKey for RoomKey {
    fn association_spki(&self, algorithm: SignatureAlgorithm) -> Option<&[u8]> {
        (algorithm == SignatureAlgorithm::EcdsaSha384).then_some(self.spki_der.as_slice())
    }
    fn verification_spki(&self, algorithm: SignatureAlgorithm) -> Result<Option<&[u8]>, DsigError> {
        Ok(self.association_spki(algorithm))
    }
    fn verify(&self, algorithm: SignatureAlgorithm, signed_data: &[u8], signature_value: &[u8]) -> Result<bool, DsigError> {
        Ok(algorithm == SignatureAlgorithm::EcdsaSha384
            && crate::crypto::verify(crate::crypto::SigAlg::EcdsaP384Sha384Fixed, &self.point, signed_data, signature_value).is_ok())
    }
}

fn not_after(cert_der: &[u8]) -> Option<Timestamp> {
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    Some(x509_time(cert.tbs_certificate().validity().not_after))
}

fn is_self_issued(cert_der: &[u8]) -> bool {
    x509_cert::Certificate::from_der(cert_der)
        .map(|c| c.tbs_certificate().subject() == c.tbs_certificate().issuer())
        .unwrap_or(false)
}

fn signature_failure(status: DsigStatus) -> SignatureFailure {
    match status {
        DsigStatus::Invalid(FailureReason::ReferenceDigestMismatch { .. }) => SignatureFailure::DigestMismatch,
        DsigStatus::Invalid(FailureReason::SignatureMismatch) => SignatureFailure::SignatureMismatch,
        other => SignatureFailure::Other(format!("{other:?}")),
    }
}

/// Verify an NVIDIA RIM (the XML bytes) against `anchor` (normally
/// [`TrustAnchor::nvidia_corim_root_ca`]) at time `at`, and read its golden measurements from the
/// signed content.
pub fn verify_rim(xml: &[u8], anchor: &TrustAnchor, at: Timestamp) -> Result<VerifiedRim, RimError> {
    verify_rim_inner(xml, anchor, at, None)
}

/// [`verify_rim`] through a [`VerifyCache`]: a RIM (by the SHA-256 of its bytes) that verified
/// before to the same anchor is reused when `at` is inside the window its verification
/// established (the intersection of the validity of every non-self-issued KeyInfo certificate,
/// which covers the signer and the validated path). Results are identical to [`verify_rim`]'s.
pub fn verify_rim_cached(xml: &[u8], anchor: &TrustAnchor, at: Timestamp, cache: &VerifyCache) -> Result<Arc<VerifiedRim>, RimError> {
    let key = Key::anchored("teescan.rim.v1", anchor, &[xml]);
    if let Some(hit) = cache.get(crate::cache::Kind::Rim, &key, at) {
        return Ok(hit);
    }
    let r = Arc::new(verify_rim_inner(xml, anchor, at, Some(cache))?);
    let window = certs_window(r.signer_chain.iter().map(Vec::as_slice).filter(|c| !is_self_issued(c)));
    if let Some(w) = window {
        if w.contains(at) {
            cache.put(crate::cache::Kind::Rim, key, Arc::clone(&r), w);
        }
    }
    Ok(r)
}

fn verify_rim_inner(xml: &[u8], anchor: &TrustAnchor, at: Timestamp, cache: Option<&VerifyCache>) -> Result<VerifiedRim, RimError> {
    if xml.len() > MAX_RIM_LEN {
        return Err(RimError::TooLarge { len: xml.len(), max: MAX_RIM_LEN });
    }
    let sha256 = crate::bytes::to_hex(crate::crypto::sha256(xml));

    let mut policy = xml_sec::policy::VerificationPolicy {
        signature_algorithms: Some([SignatureAlgorithm::EcdsaSha384].into_iter().collect()),
        digest_algorithms: Some([DigestAlgorithm::Sha384].into_iter().collect()),
        manifest_processing: xml_sec::policy::ManifestProcessing::Ignore,
        ..Default::default()
    };
    policy.transforms.allowed_algorithms =
        Some([ENVELOPED_URI.to_owned(), C14N11_URI.to_owned()].into_iter().collect());
    policy.resources.max_xml_document_bytes = MAX_RIM_LEN;
    policy.xml.allow_internal_dtd = false;

    let document = XmlDocument::parse_bytes_with_policy(xml, &policy).map_err(|e| RimError::Xml(e.to_string()))?;

    // Profile checks and KeyInfo, on the same tree xml-sec verifies.
    let certs = document.with_view(|view| -> Result<Vec<Vec<u8>>, RimError> {
        let doc = view.document();
        let root = doc.root_element();
        if !is(&root, SWID_NS, "SoftwareIdentity") {
            return Err(structure(format!("root element is {}, not SoftwareIdentity", describe(&root))));
        }
        let sigs: Vec<Node<'_>> = doc.descendants().filter(|n| is(n, DSIG_NS, "Signature")).collect();
        let [sig] = <[Node<'_>; 1]>::try_from(sigs)
            .map_err(|s| structure(format!("{} ds:Signature elements, expected 1", s.len())))?;
        if sig.parent_element() != Some(root) {
            return Err(structure("ds:Signature is not a child of SoftwareIdentity"));
        }
        check_signature_profile(sig)
    })?;

    // Signer chain: leaf = first KeyInfo certificate, validated to the pinned anchor; any root the
    // document carries is dropped.
    let (leaf, rest) = certs.split_first().ok_or_else(|| RimError::KeyInfo("no certificate".to_owned()))?;
    let signer = read_signer(leaf)?;
    if at > signer.not_after {
        return Err(RimError::SignerExpired { not_after: signer.not_after, at });
    }
    if at < signer.not_before {
        return Err(RimError::SignerNotYetValid { not_before: signer.not_before, at });
    }
    let intermediates: Vec<Vec<u8>> = rest.iter().filter(|c| !is_self_issued(c)).cloned().collect();
    let path = verify_path_with(leaf, &intermediates, anchor, at, cache)?;
    let chain_not_after = path.iter().filter_map(|c| not_after(c)).min().unwrap_or(signer.not_after);

    // The XML signature, with the validated leaf key as the only, caller-trusted key.
    let key = RoomKey { spki_der: signer.spki_der, point: signer.point };
    let ctx = VerifyContext::new().policy(policy);
    let sig_ids = ctx.signature_identities(&document).map_err(|e| RimError::SignatureProcessing(e.to_string()))?;
    let [sig_id] = <[_; 1]>::try_from(sig_ids)
        .map_err(|s| structure(format!("{} signatures found, expected 1", s.len())))?;
    let root_id = document.with_view(|view| view.root_element());
    let keys = [CallerTrustedSignatureKey { signature: sig_id, key: &key }];
    let targets = [root_id];
    let request = VerificationRequest {
        expected_targets: &targets,
        trusted_keys: &keys,
        signatures: SignatureRequirement::Exactly(1),
        ..VerificationRequest::default()
    };
    let evidence = ctx
        .verify_request(&document, &request)
        .map_err(|e| RimError::SignatureProcessing(e.to_string()))?;
    let [sig_evidence] = evidence.signatures() else {
        return Err(structure(format!("{} signature results, expected 1", evidence.signatures().len())));
    };
    let result = sig_evidence.result().as_ref().map_err(|e| RimError::SignatureProcessing(e.to_string()))?;
    if result.status != DsigStatus::Valid {
        return Err(RimError::SignatureInvalid(signature_failure(result.status)));
    }
    if !matches!(result.key_trust, KeyTrustEvidence::CallerTrusted) {
        return Err(RimError::SignatureProcessing(format!("key trust is {:?}, not the caller's key", result.key_trust)));
    }
    let [reference] = result.signed_info_references.as_slice() else {
        return Err(structure("expected exactly one verified Reference"));
    };
    if reference.status != DsigStatus::Valid || !reference.uri.is_empty() {
        return Err(RimError::ReferenceUri(Some(reference.uri.clone())));
    }
    let accepted = evidence.accepted(&document).map_err(|e| RimError::SignatureProcessing(e.to_string()))?;
    let covered = evidence
        .covers_element(&document, root_id)
        .map_err(|e| RimError::SignatureProcessing(e.to_string()))?;
    if !accepted || !covered {
        return Err(RimError::NotCovered("SoftwareIdentity"));
    }

    // Golden values: from the covered root element, never from inside the Signature.
    let (id, name, version, edition, measurements) = document.with_view(|view| read_content(view.document().root_element()))?;
    Ok(VerifiedRim {
        id,
        name,
        version,
        edition,
        measurements,
        signer_chain: certs,
        signer_not_after: signer.not_after,
        chain_not_after,
        sha256,
    })
}

type Content = (String, String, String, String, Vec<GoldenMeasurement>);

fn read_content(root: Node<'_>) -> Result<Content, RimError> {
    let id = root
        .attribute("tagId")
        .ok_or(RimError::MissingAttribute { element: "SoftwareIdentity", attribute: "tagId" })?
        .to_owned();
    let name = root
        .attribute("name")
        .ok_or(RimError::MissingAttribute { element: "SoftwareIdentity", attribute: "name" })?
        .to_owned();
    let mut meta = None;
    let mut payload = None;
    for child in element_children(root) {
        if is(&child, DSIG_NS, "Signature") {
            continue; // not covered by the enveloped signature: never read
        }
        if is(&child, SWID_NS, "Meta") {
            if meta.replace(child).is_some() {
                return Err(structure("more than one Meta element"));
            }
        } else if is(&child, SWID_NS, "Payload") && payload.replace(child).is_some() {
            return Err(structure("more than one Payload element"));
        }
    }
    let meta = meta.ok_or_else(|| structure("no Meta element"))?;
    let payload = payload.ok_or_else(|| structure("no Payload element"))?;
    let version = meta
        .attribute("colloquialVersion")
        .ok_or(RimError::MissingAttribute { element: "Meta", attribute: "colloquialVersion" })?
        .to_owned();
    let edition = meta.attribute("edition").unwrap_or("").to_owned();

    let mut measurements = Vec::new();
    let mut seen = BTreeMap::new();
    for res in element_children(payload) {
        if !is(&res, SWID_NS, "Resource") {
            return Err(structure(format!("unexpected {} in Payload", describe(&res))));
        }
        let m = read_resource(res)?;
        if seen.insert(m.index, ()).is_some() {
            return Err(RimError::DuplicateIndex(m.index));
        }
        measurements.push(m);
    }
    if measurements.is_empty() {
        return Err(structure("Payload has no Resource"));
    }
    Ok((id, name, version, edition, measurements))
}

fn bad(index: Option<u32>, attribute: &str, value: &str) -> RimError {
    RimError::BadAttribute { index, attribute: attribute.to_owned(), value: value.to_owned() }
}

fn parse_decimal(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn read_resource(res: Node<'_>) -> Result<GoldenMeasurement, RimError> {
    let attr = |a: &'static str| res.attribute(a).ok_or(RimError::MissingAttribute { element: "Resource", attribute: a });
    let index_s = attr("index")?;
    let index = parse_decimal(index_s).ok_or_else(|| bad(None, "index", index_s))?;
    let ix = Some(index);
    let ty = attr("type")?;
    if ty != "Measurement" {
        return Err(bad(ix, "type", ty));
    }
    let active_s = attr("active")?;
    let active = match active_s {
        "True" | "true" => true,
        "False" | "false" => false,
        other => return Err(bad(ix, "active", other)),
    };
    let alt_s = attr("alternatives")?;
    let declared = parse_decimal(alt_s)
        .filter(|n| (1..=MAX_ALTERNATIVES).contains(n))
        .ok_or_else(|| bad(ix, "alternatives", alt_s))?;
    let size_s = attr("size")?;
    let size = parse_decimal(size_s).ok_or_else(|| bad(ix, "size", size_s))?;
    if size as usize != DIGEST_LEN {
        return Err(RimError::DigestLength { index, alternative: 0, len: size as usize });
    }
    let name = res.attribute("name").unwrap_or("").to_owned();

    // Every HashN attribute: in the SHA-384 namespace, N < alternatives, each present once.
    let mut hashes: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut present = 0usize;
    for a in res.attributes() {
        let Some(n) = a.name().strip_prefix("Hash") else { continue };
        if a.namespace() != Some(SHA384_NS) {
            return Err(bad(ix, &format!("{{{}}}{}", a.namespace().unwrap_or(""), a.name()), a.value()));
        }
        present = present.saturating_add(1);
        let n = parse_decimal(n).ok_or_else(|| bad(ix, a.name(), a.value()))?;
        let value = hex::decode(a.value()).map_err(|_| bad(ix, a.name(), a.value()))?;
        if value.len() != DIGEST_LEN {
            return Err(RimError::DigestLength { index, alternative: n, len: value.len() });
        }
        hashes.insert(n, value);
    }
    let complete = hashes.len() == present && present == declared as usize && hashes.keys().copied().eq(0..declared);
    if !complete {
        return Err(RimError::AlternativesMismatch { index, declared, present });
    }
    Ok(GoldenMeasurement { index, active, alternatives: hashes.into_values().collect(), size: DIGEST_LEN, name })
}

/// Which RIM a golden value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RimKind {
    /// The GPU driver RIM.
    Driver,
    /// The GPU VBIOS RIM (for an NVSwitch: its BIOS RIM).
    Vbios,
}

/// Why an index was not compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// Index 35 while the report says NVDEC0 is disabled (NVIDIA's `is_msr_35_valid`).
    Nvdec0Disabled,
}

/// Outcome for one golden index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    /// The runtime value equals one of the alternatives.
    Match,
    /// The runtime value equals none of them.
    Mismatch,
    /// The report has no block for this active index (a failure).
    Missing,
    /// Not compared.
    Skipped(SkipReason),
}

/// The comparison of one active golden index with the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexResult {
    /// 0-based RIM index (SPDM block `index + 1`).
    pub index: u32,
    /// The RIM it is active in.
    pub source: RimKind,
    /// The alternatives.
    pub expected: Vec<Vec<u8>>,
    /// The runtime value, if the report has the block.
    pub actual: Option<Vec<u8>>,
    /// Outcome.
    pub status: MatchStatus,
}

impl IndexResult {
    /// Match or skipped.
    pub fn passed(&self) -> bool {
        matches!(self.status, MatchStatus::Match | MatchStatus::Skipped(_))
    }
}

/// True when every result passed (and there is at least one).
pub fn all_passed(results: &[IndexResult]) -> bool {
    !results.is_empty() && results.iter().all(IndexResult::passed)
}

/// Hold the report's measurement blocks against the golden set of `rims` (one RIM for an NVSwitch,
/// driver and VBIOS for a GPU). `report_blocks(n)` returns the value of SPDM block `n` (1-based).
/// Results are sorted by index; only active golden indices produce a result.
pub fn compare(
    rims: &[(RimKind, &VerifiedRim)],
    report_blocks: &dyn Fn(u32) -> Option<Vec<u8>>,
    nvdec0_disabled: bool,
) -> Result<Vec<IndexResult>, RimError> {
    let mut golden: BTreeMap<u32, (RimKind, &GoldenMeasurement)> = BTreeMap::new();
    for (kind, rim) in rims {
        for m in rim.active() {
            if let Some((first, _)) = golden.insert(m.index, (*kind, m)) {
                return Err(RimError::IndexConflict { index: m.index, first, second: *kind });
            }
        }
    }
    let mut out = Vec::with_capacity(golden.len());
    for (index, (source, m)) in golden {
        let block = index.checked_add(1).ok_or_else(|| bad(Some(index), "index", "u32::MAX"))?;
        let actual = report_blocks(block);
        let status = match &actual {
            _ if nvdec0_disabled && index == NVDEC0_INDEX => MatchStatus::Skipped(SkipReason::Nvdec0Disabled),
            None => MatchStatus::Missing,
            Some(v) if m.alternatives.iter().any(|a| a == v) => MatchStatus::Match,
            Some(_) => MatchStatus::Mismatch,
        };
        out.push(IndexResult { index, source, expected: m.alternatives.clone(), actual, status });
    }
    Ok(out)
}

/// [`compare`] for a GPU: driver and VBIOS RIM.
pub fn compare_gpu(
    driver: &VerifiedRim,
    vbios: &VerifiedRim,
    report_blocks: &dyn Fn(u32) -> Option<Vec<u8>>,
    nvdec0_disabled: bool,
) -> Result<Vec<IndexResult>, RimError> {
    compare(&[(RimKind::Driver, driver), (RimKind::Vbios, vbios)], report_blocks, nvdec0_disabled)
}

/// GPU architecture, for the driver RIM id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GpuArch {
    /// Hopper (GH100).
    Hopper,
    /// Blackwell (GB100, GB200, …).
    Blackwell,
}

fn strip_nul(s: &str) -> String {
    s.chars().filter(|&c| c != '\0').collect()
}

/// The RIM service id of a driver RIM, as NVIDIA derives it (NVAT `get_driver_rim_id`):
/// Hopper `NV_GPU_DRIVER_GH100_<ver>`; Blackwell `NV_GPU_CC_DRIVER_<CHIP_INFO>_<ver>`, with
/// `GB100` when the report has no CHIP_INFO opaque field. NUL bytes are removed.
pub fn driver_rim_id(arch: GpuArch, driver_version: &str, chip_info: Option<&str>) -> String {
    let ver = strip_nul(driver_version);
    match arch {
        GpuArch::Hopper => format!("NV_GPU_DRIVER_GH100_{ver}"),
        GpuArch::Blackwell => format!("NV_GPU_CC_DRIVER_{}_{ver}", chip_info.map_or_else(|| "GB100".to_owned(), strip_nul)),
    }
}

/// The RIM service id of a VBIOS (or NVSwitch BIOS) RIM, as NVIDIA derives it:
/// `NV_GPU_VBIOS_<PROJECT>_<PROJECT_SKU>_<CHIP_SKU>_<VBIOS version without dots, upper-case>`, or
/// `NV_SWITCH_BIOS_…` for a switch. NUL bytes are removed from every part.
pub fn vbios_rim_id(project: &str, project_sku: &str, chip_sku: &str, vbios_version: &str, is_switch: bool) -> String {
    let prefix = if is_switch { "NV_SWITCH_BIOS" } else { "NV_GPU_VBIOS" };
    let ver: String = strip_nul(vbios_version).chars().filter(|&c| c != '.').collect::<String>().to_uppercase();
    format!("{prefix}_{}_{}_{}_{ver}", strip_nul(project), strip_nul(project_sku), strip_nul(chip_sku))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(index: u32, active: bool, alts: &[u8]) -> GoldenMeasurement {
        GoldenMeasurement {
            index,
            active,
            alternatives: alts.iter().map(|b| vec![*b; DIGEST_LEN]).collect(),
            size: DIGEST_LEN,
            name: String::new(),
        }
    }

    fn rim(ms: Vec<GoldenMeasurement>) -> VerifiedRim {
        VerifiedRim {
            id: "t".into(),
            name: "T".into(),
            version: "1".into(),
            edition: "GPU".into(),
            measurements: ms,
            signer_chain: vec![],
            signer_not_after: Timestamp::from_unix(0),
            chain_not_after: Timestamp::from_unix(0),
            sha256: String::new(),
        }
    }

    #[test]
    fn ids() {
        assert_eq!(driver_rim_id(GpuArch::Hopper, "550.90.07", None), "NV_GPU_DRIVER_GH100_550.90.07");
        assert_eq!(driver_rim_id(GpuArch::Blackwell, "575.32", None), "NV_GPU_CC_DRIVER_GB100_575.32");
        assert_eq!(driver_rim_id(GpuArch::Blackwell, "575.32", Some("GB200\0")), "NV_GPU_CC_DRIVER_GB200_575.32");
        assert_eq!(vbios_rim_id("1010", "0200", "882", "96.00.9f.00.01", false), "NV_GPU_VBIOS_1010_0200_882_96009F0001");
        assert_eq!(vbios_rim_id("5612", "0002", "890", "96.10.55.00.01", true), "NV_SWITCH_BIOS_5612_0002_890_9610550001");
    }

    #[test]
    fn compare_rules() {
        let d = rim(vec![m(0, true, &[1]), m(1, false, &[2]), m(35, true, &[3, 4])]);
        let v = rim(vec![m(1, true, &[5]), m(2, true, &[6])]);
        let blocks = |n: u32| match n {
            1 => Some(vec![1; DIGEST_LEN]),
            2 => Some(vec![9; DIGEST_LEN]),
            36 => Some(vec![7; DIGEST_LEN]),
            99 => Some(vec![0; DIGEST_LEN]),
            _ => None,
        };
        let r = compare_gpu(&d, &v, &blocks, false).unwrap();
        let st: Vec<(u32, MatchStatus)> = r.iter().map(|x| (x.index, x.status)).collect();
        assert_eq!(
            st,
            vec![(0, MatchStatus::Match), (1, MatchStatus::Mismatch), (2, MatchStatus::Missing), (35, MatchStatus::Mismatch)]
        );
        assert_eq!(r[1].source, RimKind::Vbios);
        assert!(!all_passed(&r));
        let r = compare_gpu(&d, &v, &blocks, true).unwrap();
        assert_eq!(r[3].status, MatchStatus::Skipped(SkipReason::Nvdec0Disabled));
        let v2 = rim(vec![m(0, true, &[1])]);
        assert!(matches!(compare_gpu(&d, &v2, &blocks, false), Err(RimError::IndexConflict { index: 0, .. })));
        assert!(!all_passed(&[]));
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let big = vec![b' '; MAX_RIM_LEN + 1];
        let e = verify_rim(&big, &TrustAnchor::nvidia_corim_root_ca(), Timestamp::from_unix(0)).unwrap_err();
        assert_eq!(e, RimError::TooLarge { len: MAX_RIM_LEN + 1, max: MAX_RIM_LEN });
    }
}
