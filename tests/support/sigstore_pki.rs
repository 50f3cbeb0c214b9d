//! A test Sigstore minted in code: a Fulcio CA, a CT log and two Rekor logs (one trusted, one
//! not), and v0.3 bundles of in-toto statements signed by GitHub-Actions-shaped certificates with
//! real SCTs, SETs, inclusion proofs and checkpoints. Only the trust root it emits knows its keys.
#![allow(dead_code)]

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use std::time::Duration;

macro_rules! at {
    ($unix:expr) => {
        rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs($unix)
    };
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const P256_SPKI_PREFIX: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
    0x01, 0x07, 0x03, 0x42, 0x00,
];

/// 2026-01-01T00:00:00Z: certificates are issued then; entries integrated a minute later.
pub const T0: u64 = 1_767_225_600;
/// A verification time after every minted entry.
pub const VERIFY_AT: u64 = T0 + 86_400;

pub fn sha256(d: &[u8]) -> [u8; 32] {
    teescan::crypto::sha256(d)
}

/// A P-256 signing key with its SPKI and log id.
pub struct LogKey {
    pair: EcdsaKeyPair,
    pub spki: Vec<u8>,
}

impl LogKey {
    fn generate() -> LogKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let spki = [P256_SPKI_PREFIX, pair.public_key().as_ref()].concat();
        LogKey { pair, spki }
    }
    pub fn log_id(&self) -> [u8; 32] {
        sha256(&self.spki)
    }
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.pair.sign(&SystemRandom::new(), msg).unwrap().as_ref().to_vec()
    }
}

pub struct SigstorePki {
    ca_key: rcgen::KeyPair,
    ca: rcgen::Certificate,
    pub ct: LogKey,
    pub rekor: LogKey,
    /// A log the trust root does not list.
    pub rogue_rekor: LogKey,
    /// A Rekor v2 log with an Ed25519 key (listed) and a self-made one (not listed).
    pub ed_log: EdLog,
    pub rogue_ed_log: EdLog,
    /// RFC 3161 TSAs: listed (leaf valid around `T0`), listed but with a leaf expired before
    /// `T0`, and a self-made one the trust root does not list.
    pub tsa: Tsa,
    pub short_tsa: Tsa,
    pub rogue_tsa: Tsa,
}

/// The Ed25519 key of a Rekor v2 log; its id is the signed-note key hash.
pub struct EdLog {
    key: ed25519_dalek::SigningKey,
}

impl EdLog {
    fn new(seed: u8) -> EdLog {
        EdLog { key: ed25519_dalek::SigningKey::from_bytes(&[seed; 32]) }
    }
    pub fn spki(&self) -> Vec<u8> {
        [&[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00][..], self.key.verifying_key().as_bytes()].concat()
    }
    pub fn log_id(&self) -> [u8; 32] {
        sha256(&[&b"teescan-test-log-v2\n\x01"[..], self.key.verifying_key().as_bytes()].concat())
    }
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        use ed25519_dalek::Signer as _;
        self.key.sign(msg).to_bytes().to_vec()
    }
}

/// A timestamp authority: a self-signed root and a P-256 leaf with the timeStamping EKU.
pub struct Tsa {
    pub root_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
    leaf: EcdsaKeyPair,
}

impl Tsa {
    fn new(name: &str, leaf_from: u64, leaf_to: u64) -> Tsa {
        let root_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = rcgen::CertificateParams::default();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, format!("{name} root"));
        p.distinguished_name = dn;
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
        p.not_before = at!(T0 - 86_400 * 365);
        p.not_after = at!(T0 + 86_400 * 3650);
        let root = p.self_signed(&root_key).unwrap();
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = rcgen::KeyPair::try_from(pkcs8.as_ref()).unwrap();
        let mut l = rcgen::CertificateParams::default();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, name);
        l.distinguished_name = dn;
        l.is_ca = rcgen::IsCa::ExplicitNoCa;
        l.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        l.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::TimeStamping];
        l.not_before = at!(leaf_from);
        l.not_after = at!(leaf_to);
        let leaf = l.signed_by(&key, &root, &root_key).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        Tsa { root_der: root.der().to_vec(), leaf_der: leaf.der().to_vec(), leaf: pair }
    }

    fn authority(&self) -> Value {
        json!({
            "subject": {"commonName": "teescan test tsa"},
            "certChain": {"certificates": [{"rawBytes": B64.encode(&self.leaf_der)}, {"rawBytes": B64.encode(&self.root_der)}]},
            "validFor": {"start": "2025-01-01T00:00:00Z"}
        })
    }

    /// An RFC 3161 `TimeStampResp` whose imprint is SHA-256 of `stamped`, signed at `gen_time`.
    pub fn timestamp(&self, stamped: &[u8], gen_time: u64, embed_cert: bool) -> Vec<u8> {
        const SHA256_OID: &[u8] = &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
        const TST_INFO: &[u8] = &[0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04];
        let t = chrono_like(gen_time);
        let alg = tlv(0x30, &[SHA256_OID, &[0x05, 0x00]].concat());
        let tst = tlv(
            0x30,
            &[
                tlv(0x02, &[1]),
                vec![0x06, 0x03, 0x2a, 0x03, 0x04],
                tlv(0x30, &[alg.clone(), tlv(0x04, &sha256(stamped))].concat()),
                tlv(0x02, &[0x2a]),
                tlv(0x18, t.as_bytes()),
            ]
            .concat(),
        );
        let attrs = [
            tlv(0x30, &[&[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03][..], &tlv(0x31, TST_INFO)].concat()),
            tlv(0x30, &[&[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04][..], &tlv(0x31, &tlv(0x04, &sha256(&tst)))].concat()),
        ]
        .concat();
        let sig = self.leaf.sign(&SystemRandom::new(), &tlv(0x31, &attrs)).unwrap().as_ref().to_vec();
        let signer = tlv(
            0x30,
            &[
                tlv(0x02, &[1]),
                tlv(0x30, &[tlv(0x30, &[]), tlv(0x02, &[1])].concat()),
                alg.clone(),
                tlv(0xa0, &attrs),
                tlv(0x30, &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
                tlv(0x04, &sig),
            ]
            .concat(),
        );
        let encap = tlv(0x30, &[TST_INFO, &tlv(0xa0, &tlv(0x04, &tst))].concat());
        let certs = if embed_cert { tlv(0xa0, &self.leaf_der) } else { Vec::new() };
        let signed_data = tlv(0x30, &[tlv(0x02, &[3]), tlv(0x31, &alg), encap, certs, tlv(0x31, &signer)].concat());
        let content_info =
            tlv(0x30, &[&[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02][..], &tlv(0xa0, &signed_data)].concat());
        tlv(0x30, &[tlv(0x30, &tlv(0x02, &[0])), content_info].concat())
    }
}

/// DER TLV with a definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// `YYYYMMDDHHMMSSZ` of a unix time.
fn chrono_like(unix: u64) -> String {
    let rfc = teescan::time::Timestamp::from_unix(unix).to_rfc3339();
    rfc.chars().filter(|c| c.is_ascii_digit()).take(14).collect::<String>() + "Z"
}

/// How to mint a Rekor v2 bundle (`SigstorePki::bundle_v2`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TsaChoice {
    Trusted,
    Short,
    Rogue,
}

#[derive(Clone)]
pub struct V2 {
    pub tsa: TsaChoice,
    pub embed_cert: bool,
    /// Stamp these bytes instead of the bundle's signature.
    pub stamp_other: Option<Vec<u8>>,
    /// Sign the checkpoint with the self-made Ed25519 key.
    pub rogue_checkpoint: bool,
    /// Log this payload hash instead of the envelope payload's.
    pub logged_payload_hash: Option<[u8; 32]>,
}

impl Default for V2 {
    fn default() -> Self {
        V2 { tsa: TsaChoice::Trusted, embed_cert: false, stamp_other: None, rogue_checkpoint: false, logged_payload_hash: None }
    }
}

/// What to mint.
#[derive(Clone)]
pub struct Spec {
    pub repository: String,
    pub workflow: String,
    pub git_ref: String,
    pub issuer: String,
    pub statement: Value,
    /// Certificate validity (unix seconds).
    pub not_before: u64,
    pub not_after: u64,
    pub integrated_time: u64,
    /// Which log's id the entry names and which key signs SET and checkpoint.
    pub log_named: Which,
    pub log_signing: Which,
    pub log_index: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Trusted,
    Rogue,
}

pub const PREDICATE: &str = "https://tinfoil.sh/predicate/snp-tdx-multiplatform/v1";

/// A release statement for `digest` with the given registers.
pub fn release_statement(digest: &str, snp: &str, rtmr1: &str, rtmr2: &str) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "tinfoil-deployment.json", "digest": {"sha256": digest}}],
        "predicateType": PREDICATE,
        "predicate": {"snp_measurement": snp, "tdx_measurement": {"rtmr1": rtmr1, "rtmr2": rtmr2}}
    })
}

impl Spec {
    pub fn release(repository: &str, tag: &str, statement: Value) -> Spec {
        Spec {
            repository: repository.into(),
            workflow: ".github/workflows/release.yml".into(),
            git_ref: format!("refs/tags/{tag}"),
            issuer: "https://token.actions.githubusercontent.com".into(),
            statement,
            not_before: T0,
            not_after: T0 + 600,
            integrated_time: T0 + 60,
            log_named: Which::Trusted,
            log_signing: Which::Trusted,
            log_index: 1,
        }
    }
    pub fn san(&self) -> String {
        format!("https://github.com/{}/{}@{}", self.repository, self.workflow, self.git_ref)
    }
}

fn utf8_der(s: &str) -> Vec<u8> {
    let mut out = vec![0x0c, u8::try_from(s.len()).unwrap()];
    out.extend_from_slice(s.as_bytes());
    out
}

fn tlv_content(der: &[u8]) -> (&[u8], &[u8]) {
    let (hdr, len) = match der[1] {
        n if n < 0x80 => (2, n as usize),
        0x81 => (3, der[2] as usize),
        0x82 => (4, (der[2] as usize) << 8 | der[3] as usize),
        _ => panic!("long DER"),
    };
    (&der[hdr..hdr + len], &der[hdr + len..])
}

/// The TBS of a certificate (its first element).
fn tbs_of(cert: &[u8]) -> Vec<u8> {
    let (content, _) = tlv_content(cert);
    let (tbs_content, _) = tlv_content(content);
    let hdr = content.len() - tlv_content(content).1.len() - tbs_content.len();
    content[..hdr + tbs_content.len()].to_vec()
}

fn node(l: &[u8], r: &[u8]) -> [u8; 32] {
    sha256(&[&[1u8][..], l, r].concat())
}

impl Default for SigstorePki {
    fn default() -> Self {
        Self::new()
    }
}

impl SigstorePki {
    pub fn new() -> SigstorePki {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = rcgen::CertificateParams::default();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "teescan test fulcio");
        dn.push(rcgen::DnType::OrganizationName, "teescan-test");
        p.distinguished_name = dn;
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        p.not_before = at!(T0 - 86_400 * 365);
        p.not_after = at!(T0 + 86_400 * 3650);
        p.serial_number = Some(rcgen::SerialNumber::from(1u64));
        let ca = p.self_signed(&ca_key).unwrap();
        SigstorePki {
            ca_key,
            ca,
            ct: LogKey::generate(),
            rekor: LogKey::generate(),
            rogue_rekor: LogKey::generate(),
            ed_log: EdLog::new(7),
            rogue_ed_log: EdLog::new(9),
            tsa: Tsa::new("teescan test tsa", T0 - 86_400, T0 + 86_400 * 365),
            short_tsa: Tsa::new("teescan short tsa", T0 - 86_400, T0 - 3_600),
            rogue_tsa: Tsa::new("teescan test tsa", T0 - 86_400, T0 + 86_400 * 365),
        }
    }

    /// The trust root naming this PKI's CA, CT log and trusted Rekor log.
    pub fn trusted_root_json(&self) -> Vec<u8> {
        let log = |k: &LogKey, url: &str| {
            json!({
                "baseUrl": url, "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": B64.encode(&k.spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": "2025-01-01T00:00:00Z"}},
                "logId": {"keyId": B64.encode(k.log_id())}
            })
        };
        serde_json::to_vec(&json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.rekor, "https://rekor.test"), {
                "baseUrl": "https://rekor-v2.test", "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": B64.encode(self.ed_log.spki()), "keyDetails": "PKIX_ED25519", "validFor": {"start": "2025-01-01T00:00:00Z"}},
                "logId": {"keyId": B64.encode(self.ed_log.log_id())}
            }],
            "certificateAuthorities": [{"uri": "https://fulcio.test", "certChain": {"certificates": [{"rawBytes": B64.encode(self.ca.der())}]}, "validFor": {"start": "2025-01-01T00:00:00Z"}}],
            "ctlogs": [log(&self.ct, "https://ct.test")],
            "timestampAuthorities": [self.tsa.authority(), self.short_tsa.authority()]
        }))
        .unwrap()
    }

    fn leaf_params(&self, spec: &Spec) -> rcgen::CertificateParams {
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.serial_number = Some(rcgen::SerialNumber::from(0x5157u64));
        p.not_before = at!(spec.not_before);
        p.not_after = at!(spec.not_after);
        p.is_ca = rcgen::IsCa::ExplicitNoCa;
        p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::CodeSigning];
        p.subject_alt_names = vec![rcgen::SanType::URI(rcgen::Ia5String::try_from(spec.san()).unwrap())];
        let f = |n: u64, v: Vec<u8>| rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 57264, 1, n], v);
        p.custom_extensions = vec![
            f(1, spec.issuer.as_bytes().to_vec()),
            f(5, spec.repository.as_bytes().to_vec()),
            f(6, spec.git_ref.as_bytes().to_vec()),
            f(8, utf8_der(&spec.issuer)),
            f(9, utf8_der(&spec.san())),
            f(12, utf8_der(&format!("https://github.com/{}", spec.repository))),
            f(14, utf8_der(&spec.git_ref)),
        ];
        p
    }

    /// A signing certificate for `spec` with an SCT from this PKI's CT log, and its key.
    pub fn leaf(&self, spec: &Spec) -> (Vec<u8>, EcdsaKeyPair) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = rcgen::KeyPair::try_from(pkcs8.as_ref()).unwrap();
        let pre = self.leaf_params(spec).signed_by(&key, &self.ca, &self.ca_key).unwrap();
        let tbs = tbs_of(pre.der());
        let ts = (spec.not_before + 1) * 1000;
        let issuer_hash = sha256(&self.ca_key.public_key_der());
        let tbs_len = u32::try_from(tbs.len()).unwrap().to_be_bytes();
        let signed = [&[0u8, 0][..], &ts.to_be_bytes(), &[0, 1], &issuer_hash, &tbs_len[1..], &tbs, &[0, 0]].concat();
        let sig = self.ct.sign(&signed);
        let sct = [&[0u8][..], &self.ct.log_id(), &ts.to_be_bytes(), &[0, 0], &[4, 3], &u16::try_from(sig.len()).unwrap().to_be_bytes(), &sig].concat();
        let list = [&u16::try_from(sct.len() + 2).unwrap().to_be_bytes()[..], &u16::try_from(sct.len()).unwrap().to_be_bytes(), &sct].concat();
        let mut octet = vec![0x04, 0x81, u8::try_from(list.len()).unwrap()];
        if list.len() < 0x80 {
            octet = vec![0x04, u8::try_from(list.len()).unwrap()];
        }
        octet.extend_from_slice(&list);
        let mut params = self.leaf_params(spec);
        params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2], octet));
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        (cert.der().to_vec(), pair)
    }

    /// A v0.3 bundle (JSON value) for `spec`.
    pub fn bundle(&self, spec: &Spec) -> Value {
        let (cert, key) = self.leaf(spec);
        let payload = serde_json::to_vec(&spec.statement).unwrap();
        let payload_type = "application/vnd.in-toto+json";
        let pae = teescan::provenance::pae(payload_type, &payload);
        let sig = key.sign(&SystemRandom::new(), &pae).unwrap().as_ref().to_vec();
        let pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", B64.encode(&cert));
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": "00"},
                "payloadHash": {"algorithm": "sha256", "value": hex::encode(sha256(&payload))},
                "signatures": [{"signature": B64.encode(&sig), "verifier": B64.encode(pem.as_bytes())}]
            }
        }))
        .unwrap();
        let named = match spec.log_named { Which::Trusted => &self.rekor, Which::Rogue => &self.rogue_rekor };
        let signing = match spec.log_signing { Which::Trusted => &self.rekor, Which::Rogue => &self.rogue_rekor };
        let set_msg = format!(
            "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
            B64.encode(&body),
            spec.integrated_time,
            hex::encode(named.log_id()),
            spec.log_index
        );
        let set = signing.sign(set_msg.as_bytes());
        // A three-leaf tree with the entry at index 1.
        let l0 = sha256(b"\x00other entry 0");
        let l1 = sha256(&[&[0u8][..], &body].concat());
        let l2 = sha256(b"\x00other entry 2");
        let root = node(&node(&l0, &l1), &l2);
        let note = format!("teescan-test-log - 1\n3\n{}\n", B64.encode(root));
        let cp_sig = [&named.log_id()[..4], &signing.sign(note.as_bytes())].concat();
        let checkpoint = format!("{note}\n\u{2014} teescan-test-log {}\n", B64.encode(cp_sig));
        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": B64.encode(&cert)},
                "tlogEntries": [{
                    "logIndex": spec.log_index.to_string(),
                    "logId": {"keyId": B64.encode(named.log_id())},
                    "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                    "integratedTime": spec.integrated_time.to_string(),
                    "inclusionPromise": {"signedEntryTimestamp": B64.encode(&set)},
                    "inclusionProof": {
                        "logIndex": "1", "rootHash": B64.encode(root), "treeSize": "3",
                        "hashes": [B64.encode(l0), B64.encode(l2)],
                        "checkpoint": {"envelope": checkpoint}
                    },
                    "canonicalizedBody": B64.encode(&body)
                }],
                "timestampVerificationData": {}
            },
            "dsseEnvelope": {"payload": B64.encode(&payload), "payloadType": payload_type, "signatures": [{"sig": B64.encode(&sig)}]}
        })
    }

    /// A v0.3 bundle with a Rekor v2 `dsse` 0.0.2 entry (Ed25519 checkpoint, no SET) and an
    /// RFC 3161 timestamp at `spec.integrated_time`, varied by `v2`.
    pub fn bundle_v2(&self, spec: &Spec, v2: &V2) -> Value {
        let (cert, key) = self.leaf(spec);
        let payload = serde_json::to_vec(&spec.statement).unwrap();
        let payload_type = "application/vnd.in-toto+json";
        let pae = teescan::provenance::pae(payload_type, &payload);
        let sig = key.sign(&SystemRandom::new(), &pae).unwrap().as_ref().to_vec();
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.2", "kind": "dsse",
            "spec": {"dsseV002": {
                "payloadHash": {"algorithm": "SHA2_256", "digest": B64.encode(v2.logged_payload_hash.unwrap_or_else(|| sha256(&payload)))},
                "signatures": [{"content": B64.encode(&sig), "verifier": {"keyDetails": "PKIX_ECDSA_P256_SHA_256", "x509Certificate": {"rawBytes": B64.encode(&cert)}}}]
            }}
        }))
        .unwrap();
        let l0 = sha256(b"\x00other entry 0");
        let l1 = sha256(&[&[0u8][..], &body].concat());
        let l2 = sha256(b"\x00other entry 2");
        let root = node(&node(&l0, &l1), &l2);
        let note = format!("teescan-test-log-v2\n3\n{}\n", B64.encode(root));
        let signer = if v2.rogue_checkpoint { &self.rogue_ed_log } else { &self.ed_log };
        let cp_sig = [&self.ed_log.log_id()[..4], &signer.sign(note.as_bytes())].concat();
        let checkpoint = format!("{note}\n\u{2014} teescan-test-log-v2 {}\n", B64.encode(cp_sig));
        let tsa = match v2.tsa { TsaChoice::Trusted => &self.tsa, TsaChoice::Short => &self.short_tsa, TsaChoice::Rogue => &self.rogue_tsa };
        let stamp = tsa.timestamp(v2.stamp_other.as_deref().unwrap_or(&sig), spec.integrated_time, v2.embed_cert);
        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": B64.encode(&cert)},
                "tlogEntries": [{
                    "logIndex": "1",
                    "logId": {"keyId": B64.encode(self.ed_log.log_id())},
                    "kindVersion": {"kind": "dsse", "version": "0.0.2"},
                    "inclusionProof": {
                        "logIndex": "1", "rootHash": B64.encode(root), "treeSize": "3",
                        "hashes": [B64.encode(l0), B64.encode(l2)],
                        "checkpoint": {"envelope": checkpoint}
                    },
                    "canonicalizedBody": B64.encode(&body)
                }],
                "timestampVerificationData": {"rfc3161Timestamps": [{"signedTimestamp": B64.encode(&stamp)}]}
            },
            "dsseEnvelope": {"payload": B64.encode(&payload), "payloadType": payload_type, "signatures": [{"sig": B64.encode(&sig)}]}
        })
    }
}
