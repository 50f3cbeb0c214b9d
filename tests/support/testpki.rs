//! Test PKI and Intel TDX quote/collateral minter.
//!
//! Produces *synthetic but structurally real* Intel-style TDX evidence (quote v4/v5,
//! PCK certificate chain with the Intel SGX extension, TCB Info, QE Identity, root CA
//! CRL and PCK CRL in dcap-qvl's `QuoteCollateralV3` JSON shape), all signed by a
//! freshly generated **TEST root**. Nothing here is signed by Intel: evidence minted
//! here must only verify against `TestPki::root_der()`, never against Intel's root.
//!
//! Self-contained (no dependency on the teescan library). Used by integration tests via
//! `#[path = "support/testpki.rs"] mod testpki;` and by `examples/mint_fixtures.rs`.
#![allow(dead_code)]

use std::time::Duration;

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};

/// The instant at which every minted item is valid: 2026-01-15T00:00:00Z.
pub const PINNED_TIME: &str = "2026-01-15T00:00:00Z";
/// `PINNED_TIME` as Unix seconds.
pub const PINNED_TIME_UNIX: u64 = 1_768_435_200;

/// Certificate validity (all certificates).
pub const CERT_NOT_BEFORE: &str = "2025-01-01T00:00:00Z";
pub const CERT_NOT_AFTER: &str = "2035-01-01T00:00:00Z";
/// Default collateral issue date / next update (TCB Info, QE Identity, both CRLs).
pub const DEFAULT_ISSUE_DATE: &str = "2026-01-10T00:00:00Z";
pub const DEFAULT_NEXT_UPDATE: &str = "2026-02-09T00:00:00Z";

/// Intel's QE vendor ID (`939A7233F79C4CA9940A0DB3957F0607`).
pub const INTEL_QE_VENDOR_ID: [u8; 16] = [
    0x93, 0x9A, 0x72, 0x33, 0xF7, 0x9C, 0x4C, 0xA9, 0x94, 0x0A, 0x0D, 0xB3, 0x95, 0x7F, 0x06, 0x07,
];

/// CPUSVN / PCESVN required by the single platform TCB level of the minted TCB Info.
/// These are fixed (independent of `MintOptions::cpu_svn`/`pce_svn`, which go into the
/// PCK certificate) so that lowering the certificate's SVNs yields "No matching TCB level".
pub const TCB_LEVEL_SGX_SVNS: [u8; 16] = [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
pub const TCB_LEVEL_PCE_SVN: u16 = 13;
/// TDX TCB components required by the platform TCB level (index 0/1 are skipped by QVL
/// when the module major version is non-zero; index 2 is the late microcode SVN).
pub const TCB_LEVEL_TDX_SVNS: [u8; 16] = [3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// Minimum TDX module ISVSVN of the `TDX_01` module identity.
pub const TDX_MODULE_MIN_ISVSVN: u8 = 3;
/// tcbDate of every TCB level.
pub const TCB_DATE: &str = "2025-08-13T00:00:00Z";

/// QE identity values (the MRSIGNER is Intel's real TD_QE signer value, reused so that
/// the evidence looks real; the QE report itself is synthetic).
pub const QE_MRSIGNER: [u8; 32] = [
    0xDC, 0x9E, 0x2A, 0x7C, 0x6F, 0x94, 0x8F, 0x17, 0x47, 0x4E, 0x34, 0xA7, 0xFC, 0x43, 0xED, 0x03,
    0x0F, 0x7C, 0x15, 0x63, 0xF1, 0xBA, 0xBD, 0xDF, 0x63, 0x40, 0xC8, 0x2E, 0x0E, 0x54, 0xA8, 0xC5,
];
pub const QE_ISVPRODID: u16 = 2;
pub const QE_ISVSVN: u16 = 4;
/// QE report ATTRIBUTES (INIT | MODE64BIT, not DEBUG).
pub const QE_ATTRIBUTES: [u8; 16] = [0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
pub const QE_MRENCLAVE: [u8; 32] = [0x5A; 32];

/// Serial numbers of the test certificates (as written in the certificates and CRLs).
pub const ROOT_SERIAL: u64 = 0x7e57_0001;
pub const PLATFORM_CA_SERIAL: u64 = 0x7e57_0002;
pub const TCB_SIGNER_SERIAL: u64 = 0x7e57_0003;
pub const PCK_LEAF_SERIAL: u64 = 0x7e57_0004;

const SGX_EXT_OID: &[u64] = &[1, 2, 840, 113741, 1, 13, 1];
const ORG: &str = "TEST ONLY teescan fake Intel PKI - NOT Intel Corporation";

/// A P-256 key usable both by ring (raw r||s signatures) and by rcgen (certificates/CRLs).
struct TestKey {
    ring: EcdsaKeyPair,
    rcgen: rcgen::KeyPair,
}

impl TestKey {
    fn generate(rng: &SystemRandom) -> TestKey {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng)
            .expect("generate P-256 key");
        let ring = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), rng)
            .expect("load P-256 key");
        let rcgen = rcgen::KeyPair::try_from(pkcs8.as_ref()).expect("rcgen key from PKCS#8");
        TestKey { ring, rcgen }
    }

    /// Raw ECDSA-P256-SHA256 signature `r || s` (64 bytes).
    fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        let sig = self
            .ring
            .sign(&SystemRandom::new(), msg)
            .expect("ECDSA sign");
        sig.as_ref().try_into().expect("64-byte fixed signature")
    }

    /// Uncompressed public key without the 0x04 prefix: `x || y` (64 bytes).
    fn public_xy(&self) -> [u8; 64] {
        let pk = self.ring.public_key().as_ref();
        assert_eq!(pk.len(), 65);
        pk[1..].try_into().unwrap()
    }
}

/// Fake Intel SGX/TDX PKI: root CA, PCK Platform CA, TCB signing cert, and the keys.
/// PCK leaf certificates are minted per quote (their SGX extension depends on the
/// `MintOptions`) but always with the same PCK key and serial.
pub struct TestPki {
    root_key: TestKey,
    root: rcgen::Certificate,
    platform_ca_key: TestKey,
    platform_ca: rcgen::Certificate,
    tcb_key: TestKey,
    tcb_signer: rcgen::Certificate,
    pck_key: TestKey,
    attestation_key: TestKey,
}

/// Everything that can be varied in a minted quote + collateral.
#[derive(Clone, Debug)]
pub struct MintOptions {
    /// Quote version: 4 (default) or 5.
    pub version: u16,
    /// v5 body type: 2 (TD 1.0, 584 B) or 3 (TD 1.5, 648 B). Used only when `version == 5`.
    pub v5_body_type: u16,
    /// TDATTRIBUTES (little-endian). Default: SEPT_VE_DISABLE (bit 28).
    pub td_attributes: [u8; 8],
    /// XFAM (little-endian). Default 0x000602e7.
    pub xfam: [u8; 8],
    pub mr_td: [u8; 48],
    pub rtmr: [[u8; 48]; 4],
    pub mr_seam: [u8; 48],
    pub mr_config_id: [u8; 48],
    pub mr_owner: [u8; 48],
    pub mr_owner_config: [u8; 48],
    pub report_data: [u8; 64],
    /// TEE_TCB_SVN: [0] module ISVSVN, [1] module major version, [2] late microcode SVN.
    /// Also written as TEE_TCB_SVN2 in a TD 1.5 body.
    pub tee_tcb_svn: [u8; 16],
    /// FMSPC in the PCK certificate.
    pub fmspc: [u8; 6],
    /// FMSPC in the TCB Info (hex). `None` = same as `fmspc` (uppercase hex).
    pub tcb_info_fmspc: Option<String>,
    /// PCE-ID in the PCK certificate.
    pub pce_id: [u8; 2],
    /// pceId in the TCB Info.
    pub tcb_info_pce_id: String,
    /// CPUSVN in the PCK certificate (also the QE report CPUSVN).
    pub cpu_svn: [u8; 16],
    /// PCESVN in the PCK certificate.
    pub pce_svn: u16,
    /// tcbStatus of the single platform TCB level in the TCB Info.
    pub tcb_status: String,
    /// advisoryIDs of the platform TCB level (omitted from JSON when empty).
    pub advisory_ids: Vec<String>,
    /// tcbEvaluationDataNumber of TCB Info and QE Identity.
    pub tcb_evaluation_data_number: u32,
    /// Put the PCK leaf serial into the PCK CRL.
    pub revoke_pck: bool,
    /// Put the PCK Platform CA serial into the root CA CRL.
    pub revoke_platform_ca: bool,
    pub tcb_info_issue: String,
    pub tcb_info_next_update: String,
    pub qe_identity_issue: String,
    pub qe_identity_next_update: String,
    /// thisUpdate / nextUpdate of both CRLs (RFC 3339).
    pub crl_this_update: String,
    pub crl_next_update: String,
    /// Outer certification data type in the quote signature data (6 = QE report
    /// certification data). dcap-qvl does not check it; teescan's parser should.
    pub outer_cert_data_type: u16,
    /// Make QE report_data[..32] != SHA256(attest_key || auth_data) (still PCK-signed).
    pub corrupt_qe_report_data: bool,
    /// Zero bytes appended after the signature data.
    pub trailing_zeros: usize,
    /// MRSIGNERSEAM in the TD report (the TCB Info expects all zeros, Intel's module signer).
    pub mr_signer_seam: [u8; 48],
    /// MRSERVICETD of a TD 1.5 body (ignored for TD 1.0 bodies). Default zero.
    pub mr_service_td: [u8; 48],
    /// TEE_TCB_SVN2 of a TD 1.5 body. `None` = same as `tee_tcb_svn`.
    pub tee_tcb_svn2: Option<[u8; 16]>,
    /// `id` of the TCB Info (`TDX`; `SGX` makes it the wrong kind for a TDX quote).
    pub tcb_info_id: String,
    /// `id` of the QE Identity (`TD_QE`; `QE` is the SGX QE's).
    pub qe_identity_id: String,
    /// ISVSVN in the QE report (the QE Identity's only TCB level requires `QE_ISVSVN`).
    pub qe_isv_svn: u16,
    /// Put the TCB signing certificate's serial into the root CA CRL.
    pub revoke_tcb_signer: bool,
}

impl Default for MintOptions {
    fn default() -> Self {
        MintOptions {
            version: 4,
            v5_body_type: 2,
            td_attributes: [0, 0, 0, 0x10, 0, 0, 0, 0],
            xfam: [0xe7, 0x02, 0x06, 0, 0, 0, 0, 0],
            mr_td: [0x11; 48],
            rtmr: [[0x20; 48], [0x21; 48], [0x22; 48], [0x23; 48]],
            mr_seam: [0x5e; 48],
            mr_config_id: [0; 48],
            mr_owner: [0; 48],
            mr_owner_config: [0; 48],
            report_data: [0x42; 64],
            tee_tcb_svn: [3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            fmspc: [0x90, 0xc0, 0x6f, 0x00, 0x00, 0x00],
            tcb_info_fmspc: None,
            pce_id: [0, 0],
            tcb_info_pce_id: "0000".to_string(),
            cpu_svn: TCB_LEVEL_SGX_SVNS,
            pce_svn: TCB_LEVEL_PCE_SVN,
            tcb_status: "UpToDate".to_string(),
            advisory_ids: Vec::new(),
            tcb_evaluation_data_number: 17,
            revoke_pck: false,
            revoke_platform_ca: false,
            tcb_info_issue: DEFAULT_ISSUE_DATE.to_string(),
            tcb_info_next_update: DEFAULT_NEXT_UPDATE.to_string(),
            qe_identity_issue: DEFAULT_ISSUE_DATE.to_string(),
            qe_identity_next_update: DEFAULT_NEXT_UPDATE.to_string(),
            crl_this_update: DEFAULT_ISSUE_DATE.to_string(),
            crl_next_update: DEFAULT_NEXT_UPDATE.to_string(),
            outer_cert_data_type: 6,
            corrupt_qe_report_data: false,
            trailing_zeros: 0,
            mr_signer_seam: [0; 48],
            mr_service_td: [0; 48],
            tee_tcb_svn2: None,
            tcb_info_id: "TDX".to_string(),
            qe_identity_id: "TD_QE".to_string(),
            qe_isv_svn: QE_ISVSVN,
            revoke_tcb_signer: false,
        }
    }
}

/// A minted quote with matching collateral.
pub struct Minted {
    /// Raw quote bytes.
    pub quote: Vec<u8>,
    /// dcap-qvl `QuoteCollateralV3` JSON.
    pub collateral_json: String,
    /// DER of the TEST root certificate that anchors everything.
    pub root_der: Vec<u8>,
    /// The PEM PCK chain (leaf ‖ platform CA ‖ root) exactly as embedded in the quote.
    pub pck_chain_pem: String,
    /// The PEM TCB signing chain (TCB signer ‖ root) of the TCB Info / QE Identity.
    pub tcb_chain_pem: String,
}

// ---------------------------------------------------------------------------
// Time helpers
// ---------------------------------------------------------------------------

fn rfc3339_to_unix(s: &str) -> u64 {
    let t = chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad RFC 3339 time {s:?}: {e}"));
    u64::try_from(t.timestamp()).expect("time after 1970")
}

/// RFC 3339 string -> the `OffsetDateTime` rcgen uses (without naming the `time` crate).
macro_rules! rcgen_time {
    ($s:expr) => {
        rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs(rfc3339_to_unix($s))
    };
}

// ---------------------------------------------------------------------------
// Minimal DER encoder
// ---------------------------------------------------------------------------

pub mod der {
    //! Tiny DER encoder for the Intel SGX extension.

    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }

    pub fn sequence(items: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &items.concat())
    }

    pub fn oid(arcs: &[u64]) -> Vec<u8> {
        assert!(arcs.len() >= 2);
        let mut body = Vec::new();
        let mut push_arc = |mut v: u64| {
            let mut tmp = vec![(v & 0x7f) as u8];
            v >>= 7;
            while v > 0 {
                tmp.push(0x80 | (v & 0x7f) as u8);
                v >>= 7;
            }
            tmp.reverse();
            body.extend_from_slice(&tmp);
        };
        push_arc(arcs[0] * 40 + arcs[1]);
        for &a in &arcs[2..] {
            push_arc(a);
        }
        tlv(0x06, &body)
    }

    pub fn octet_string(data: &[u8]) -> Vec<u8> {
        tlv(0x04, data)
    }

    fn minimal_unsigned(v: u64) -> Vec<u8> {
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
        let mut out = bytes[skip..].to_vec();
        if out[0] & 0x80 != 0 {
            out.insert(0, 0);
        }
        out
    }

    pub fn integer(v: u64) -> Vec<u8> {
        tlv(0x02, &minimal_unsigned(v))
    }

    pub fn enumerated(v: u64) -> Vec<u8> {
        tlv(0x0a, &minimal_unsigned(v))
    }

    pub fn boolean(v: bool) -> Vec<u8> {
        tlv(0x01, &[if v { 0xff } else { 0x00 }])
    }
}

fn sgx_oid(suffix: &[u64]) -> Vec<u8> {
    let mut arcs = SGX_EXT_OID.to_vec();
    arcs.extend_from_slice(suffix);
    der::oid(&arcs)
}

/// DER of the Intel SGX extension (1.2.840.113741.1.13.1) value, Platform CA flavour.
pub fn sgx_extension_der(
    ppid: &[u8; 16],
    cpu_svn: &[u8; 16],
    pce_svn: u16,
    pce_id: &[u8; 2],
    fmspc: &[u8; 6],
    platform_instance_id: &[u8; 16],
) -> Vec<u8> {
    let mut tcb_items: Vec<Vec<u8>> = (0..16u64)
        .map(|i| {
            der::sequence(&[
                sgx_oid(&[2, i + 1]),
                der::integer(u64::from(cpu_svn[i as usize])),
            ])
        })
        .collect();
    tcb_items.push(der::sequence(&[
        sgx_oid(&[2, 17]),
        der::integer(u64::from(pce_svn)),
    ]));
    tcb_items.push(der::sequence(&[
        sgx_oid(&[2, 18]),
        der::octet_string(cpu_svn),
    ]));

    der::sequence(&[
        der::sequence(&[sgx_oid(&[1]), der::octet_string(ppid)]),
        der::sequence(&[sgx_oid(&[2]), der::sequence(&tcb_items)]),
        der::sequence(&[sgx_oid(&[3]), der::octet_string(pce_id)]),
        der::sequence(&[sgx_oid(&[4]), der::octet_string(fmspc)]),
        // SGX type: 1 = Scalable
        der::sequence(&[sgx_oid(&[5]), der::enumerated(1)]),
        der::sequence(&[sgx_oid(&[6]), der::octet_string(platform_instance_id)]),
        der::sequence(&[
            sgx_oid(&[7]),
            der::sequence(&[
                der::sequence(&[sgx_oid(&[7, 1]), der::boolean(false)]),
                der::sequence(&[sgx_oid(&[7, 2]), der::boolean(true)]),
                der::sequence(&[sgx_oid(&[7, 3]), der::boolean(true)]),
            ]),
        ]),
    ])
}

// ---------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------

fn dn(cn: &str) -> rcgen::DistinguishedName {
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, cn);
    dn.push(rcgen::DnType::OrganizationName, ORG);
    dn.push(rcgen::DnType::LocalityName, "Santa Clara");
    dn.push(rcgen::DnType::StateOrProvinceName, "CA");
    dn.push(rcgen::DnType::CountryName, "US");
    dn
}

fn base_params(cn: &str, serial: u64) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.serial_number = Some(rcgen::SerialNumber::from(serial));
    p.not_before = rcgen_time!(CERT_NOT_BEFORE);
    p.not_after = rcgen_time!(CERT_NOT_AFTER);
    p
}

fn ca_params(cn: &str, serial: u64, pathlen: u8) -> rcgen::CertificateParams {
    let mut p = base_params(cn, serial);
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(pathlen));
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    p
}

fn leaf_params(cn: &str, serial: u64) -> rcgen::CertificateParams {
    let mut p = base_params(cn, serial);
    p.is_ca = rcgen::IsCa::ExplicitNoCa;
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::ContentCommitment,
    ];
    p.use_authority_key_identifier_extension = true;
    p
}

fn pem_of(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

fn sha256(data: &[u8]) -> [u8; 32] {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .try_into()
        .unwrap()
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPki {
    /// Generate a fresh fake PKI (new keys every call).
    pub fn new() -> TestPki {
        let rng = SystemRandom::new();
        let root_key = TestKey::generate(&rng);
        let platform_ca_key = TestKey::generate(&rng);
        let tcb_key = TestKey::generate(&rng);
        let pck_key = TestKey::generate(&rng);
        let attestation_key = TestKey::generate(&rng);

        let root = ca_params("Intel SGX Root CA", ROOT_SERIAL, 1)
            .self_signed(&root_key.rcgen)
            .expect("root cert");

        let mut pca = ca_params("Intel SGX PCK Platform CA", PLATFORM_CA_SERIAL, 0);
        pca.use_authority_key_identifier_extension = true;
        let platform_ca = pca
            .signed_by(&platform_ca_key.rcgen, &root, &root_key.rcgen)
            .expect("platform CA cert");

        let tcb_signer = leaf_params("Intel SGX TCB Signing", TCB_SIGNER_SERIAL)
            .signed_by(&tcb_key.rcgen, &root, &root_key.rcgen)
            .expect("TCB signing cert");

        TestPki {
            root_key,
            root,
            platform_ca_key,
            platform_ca,
            tcb_key,
            tcb_signer,
            pck_key,
            attestation_key,
        }
    }

    /// DER of the TEST root CA certificate.
    pub fn root_der(&self) -> Vec<u8> {
        self.root.der().to_vec()
    }

    /// DER of the PCK Platform CA certificate.
    pub fn platform_ca_der(&self) -> Vec<u8> {
        self.platform_ca.der().to_vec()
    }

    /// DER of the TCB Info / QE Identity signing certificate.
    pub fn tcb_signer_der(&self) -> Vec<u8> {
        self.tcb_signer.der().to_vec()
    }

    /// Attestation public key `x || y` used in minted quotes.
    pub fn attestation_pubkey(&self) -> [u8; 64] {
        self.attestation_key.public_xy()
    }

    /// Mint a PCK leaf certificate (DER) for the given options.
    pub fn pck_leaf_der(&self, opts: &MintOptions) -> Vec<u8> {
        let mut p = leaf_params("Intel SGX PCK Certificate", PCK_LEAF_SERIAL);
        let ext = sgx_extension_der(
            &[0x99; 16],
            &opts.cpu_svn,
            opts.pce_svn,
            &opts.pce_id,
            &opts.fmspc,
            &[0x77; 16],
        );
        p.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(SGX_EXT_OID, ext)];
        p.signed_by(
            &self.pck_key.rcgen,
            &self.platform_ca,
            &self.platform_ca_key.rcgen,
        )
        .expect("PCK leaf cert")
        .der()
        .to_vec()
    }

    fn crl(
        &self,
        issuer: &rcgen::Certificate,
        issuer_key: &rcgen::KeyPair,
        revoked: &[u64],
        opts: &MintOptions,
    ) -> Vec<u8> {
        let params = rcgen::CertificateRevocationListParams {
            this_update: rcgen_time!(&opts.crl_this_update),
            next_update: rcgen_time!(&opts.crl_next_update),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|s| rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from(*s),
                    revocation_time: rcgen_time!(&opts.crl_this_update),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        params
            .signed_by(issuer, issuer_key)
            .expect("CRL")
            .der()
            .to_vec()
    }

    fn tcb_info_json(&self, opts: &MintOptions) -> String {
        let comps = |svns: &[u8; 16]| {
            svns.iter()
                .map(|s| format!("{{\"svn\":{s}}}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let zeros96 = "0".repeat(96);
        let fmspc = opts
            .tcb_info_fmspc
            .clone()
            .unwrap_or_else(|| hex::encode_upper(opts.fmspc));
        let advisories = if opts.advisory_ids.is_empty() {
            String::new()
        } else {
            format!(
                ",\"advisoryIDs\":{}",
                serde_json::to_string(&opts.advisory_ids).unwrap()
            )
        };
        format!(
            concat!(
                "{{\"id\":\"{tcb_id}\",\"version\":3,\"issueDate\":\"{issue}\",\"nextUpdate\":\"{next}\",",
                "\"fmspc\":\"{fmspc}\",\"pceId\":\"{pce_id}\",\"tcbType\":0,\"tcbEvaluationDataNumber\":{eval},",
                "\"tdxModule\":{{\"mrsigner\":\"{z}\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"}},",
                "\"tdxModuleIdentities\":[{{\"id\":\"TDX_01\",\"mrsigner\":\"{z}\",\"attributes\":\"0000000000000000\",",
                "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{{\"tcb\":{{\"isvsvn\":{modsvn}}},",
                "\"tcbDate\":\"{date}\",\"tcbStatus\":\"UpToDate\"}}]}}],",
                "\"tcbLevels\":[{{\"tcb\":{{\"sgxtcbcomponents\":[{sgx}],\"pcesvn\":{pcesvn},\"tdxtcbcomponents\":[{tdx}]}},",
                "\"tcbDate\":\"{date}\",\"tcbStatus\":{status}{adv}}}]}}"
            ),
            tcb_id = opts.tcb_info_id,
            issue = opts.tcb_info_issue,
            next = opts.tcb_info_next_update,
            fmspc = fmspc,
            pce_id = opts.tcb_info_pce_id,
            eval = opts.tcb_evaluation_data_number,
            z = zeros96,
            modsvn = TDX_MODULE_MIN_ISVSVN,
            date = TCB_DATE,
            sgx = comps(&TCB_LEVEL_SGX_SVNS),
            pcesvn = TCB_LEVEL_PCE_SVN,
            tdx = comps(&TCB_LEVEL_TDX_SVNS),
            status = serde_json::to_string(&opts.tcb_status).unwrap(),
            adv = advisories,
        )
    }

    fn qe_identity_json(&self, opts: &MintOptions) -> String {
        format!(
            concat!(
                "{{\"id\":\"{qe_id}\",\"version\":2,\"issueDate\":\"{issue}\",\"nextUpdate\":\"{next}\",",
                "\"tcbEvaluationDataNumber\":{eval},\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\",",
                "\"attributes\":\"{attr}\",\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",",
                "\"mrsigner\":\"{mrsigner}\",\"isvprodid\":{prodid},",
                "\"tcbLevels\":[{{\"tcb\":{{\"isvsvn\":{svn}}},\"tcbDate\":\"{date}\",\"tcbStatus\":\"UpToDate\"}}]}}"
            ),
            qe_id = opts.qe_identity_id,
            issue = opts.qe_identity_issue,
            next = opts.qe_identity_next_update,
            eval = opts.tcb_evaluation_data_number,
            attr = hex::encode_upper(QE_ATTRIBUTES),
            mrsigner = hex::encode_upper(QE_MRSIGNER),
            prodid = QE_ISVPRODID,
            svn = QE_ISVSVN,
            date = TCB_DATE,
        )
    }

    /// The TD report body (584 B for TD 1.0, 648 B for TD 1.5).
    fn td_report(opts: &MintOptions, td15: bool) -> Vec<u8> {
        let mut b = Vec::with_capacity(648);
        b.extend_from_slice(&opts.tee_tcb_svn); // 0
        b.extend_from_slice(&opts.mr_seam); // 16
        b.extend_from_slice(&opts.mr_signer_seam); // 64 MRSIGNERSEAM
        b.extend_from_slice(&[0u8; 8]); // 112 SEAMATTRIBUTES
        b.extend_from_slice(&opts.td_attributes); // 120
        b.extend_from_slice(&opts.xfam); // 128
        b.extend_from_slice(&opts.mr_td); // 136
        b.extend_from_slice(&opts.mr_config_id); // 184
        b.extend_from_slice(&opts.mr_owner); // 232
        b.extend_from_slice(&opts.mr_owner_config); // 280
        for r in &opts.rtmr {
            b.extend_from_slice(r); // 328..520
        }
        b.extend_from_slice(&opts.report_data); // 520
        assert_eq!(b.len(), 584);
        if td15 {
            b.extend_from_slice(&opts.tee_tcb_svn2.unwrap_or(opts.tee_tcb_svn)); // 584 TEE_TCB_SVN2
            b.extend_from_slice(&opts.mr_service_td); // 600 MRSERVICETD
            assert_eq!(b.len(), 648);
        }
        b
    }

    /// The 384-byte SGX report body of the QE.
    fn qe_report(opts: &MintOptions, report_data: &[u8; 64]) -> Vec<u8> {
        let mut r = vec![0u8; 384];
        r[0..16].copy_from_slice(&opts.cpu_svn);
        r[16..20].copy_from_slice(&0u32.to_le_bytes()); // MISCSELECT
        r[48..64].copy_from_slice(&QE_ATTRIBUTES);
        r[64..96].copy_from_slice(&QE_MRENCLAVE);
        r[128..160].copy_from_slice(&QE_MRSIGNER);
        r[256..258].copy_from_slice(&QE_ISVPRODID.to_le_bytes());
        r[258..260].copy_from_slice(&opts.qe_isv_svn.to_le_bytes());
        r[320..384].copy_from_slice(report_data);
        r
    }

    /// Mint a quote and matching collateral.
    pub fn mint(&self, opts: &MintOptions) -> Minted {
        // ---- certificates / CRLs ----
        let root_der = self.root_der();
        let pck_leaf = self.pck_leaf_der(opts);
        let platform_ca_der = self.platform_ca_der();
        let tcb_signer_der = self.tcb_signer_der();

        let mut root_revoked = Vec::new();
        if opts.revoke_platform_ca {
            root_revoked.push(PLATFORM_CA_SERIAL);
        }
        if opts.revoke_tcb_signer {
            root_revoked.push(TCB_SIGNER_SERIAL);
        }
        let root_ca_crl = self.crl(&self.root, &self.root_key.rcgen, &root_revoked, opts);
        let mut pck_revoked = Vec::new();
        if opts.revoke_pck {
            pck_revoked.push(PCK_LEAF_SERIAL);
        }
        let pck_crl = self.crl(
            &self.platform_ca,
            &self.platform_ca_key.rcgen,
            &pck_revoked,
            opts,
        );

        // ---- quote ----
        let mut quote = Vec::new();
        quote.extend_from_slice(&opts.version.to_le_bytes());
        quote.extend_from_slice(&2u16.to_le_bytes()); // ECDSA-256-with-P-256
        quote.extend_from_slice(&0x81u32.to_le_bytes()); // TDX
        quote.extend_from_slice(&[0u8; 4]); // reserved
        quote.extend_from_slice(&INTEL_QE_VENDOR_ID);
        let mut user_data = [0u8; 20];
        user_data[..16].copy_from_slice(&[0xd1; 16]); // QE ID
        quote.extend_from_slice(&user_data);
        assert_eq!(quote.len(), 48);

        let body = match opts.version {
            4 => Self::td_report(opts, false),
            5 => {
                let td15 = match opts.v5_body_type {
                    2 => false,
                    3 => true,
                    t => panic!("unsupported v5 body type {t} (use 2 or 3)"),
                };
                let body = Self::td_report(opts, td15);
                quote.extend_from_slice(&opts.v5_body_type.to_le_bytes());
                quote.extend_from_slice(&(body.len() as u32).to_le_bytes());
                body
            }
            v => panic!("unsupported quote version {v} (use 4 or 5)"),
        };
        quote.extend_from_slice(&body);
        let signed_len = quote.len();

        // QE report certification data
        let attest_pub = self.attestation_key.public_xy();
        let auth_data: Vec<u8> = (0u8..32).collect();
        let mut hash_input = attest_pub.to_vec();
        hash_input.extend_from_slice(&auth_data);
        let mut qe_report_data = [0u8; 64];
        qe_report_data[..32].copy_from_slice(&sha256(&hash_input));
        if opts.corrupt_qe_report_data {
            qe_report_data[0] ^= 0xff;
        }
        let qe_report = Self::qe_report(opts, &qe_report_data);
        let qe_report_sig = self.pck_key.sign_raw(&qe_report);

        let chain_pem = [
            pem_of(&pck_leaf),
            pem_of(&platform_ca_der),
            pem_of(&root_der),
        ]
        .concat();

        let mut qe_cert_data = Vec::new();
        qe_cert_data.extend_from_slice(&qe_report);
        qe_cert_data.extend_from_slice(&qe_report_sig);
        qe_cert_data.extend_from_slice(&(auth_data.len() as u16).to_le_bytes());
        qe_cert_data.extend_from_slice(&auth_data);
        qe_cert_data.extend_from_slice(&5u16.to_le_bytes()); // PCK cert chain
        qe_cert_data.extend_from_slice(&(chain_pem.len() as u32).to_le_bytes());
        qe_cert_data.extend_from_slice(chain_pem.as_bytes());

        let isv_sig = self.attestation_key.sign_raw(&quote[..signed_len]);
        let mut sig_data = Vec::new();
        sig_data.extend_from_slice(&isv_sig);
        sig_data.extend_from_slice(&attest_pub);
        sig_data.extend_from_slice(&opts.outer_cert_data_type.to_le_bytes());
        sig_data.extend_from_slice(&(qe_cert_data.len() as u32).to_le_bytes());
        sig_data.extend_from_slice(&qe_cert_data);

        quote.extend_from_slice(&(sig_data.len() as u32).to_le_bytes());
        quote.extend_from_slice(&sig_data);
        quote.resize(quote.len() + opts.trailing_zeros, 0);

        // ---- collateral ----
        let tcb_info = self.tcb_info_json(opts);
        let tcb_info_sig = self.tcb_key.sign_raw(tcb_info.as_bytes());
        let qe_identity = self.qe_identity_json(opts);
        let qe_identity_sig = self.tcb_key.sign_raw(qe_identity.as_bytes());
        let tcb_chain = [pem_of(&tcb_signer_der), pem_of(&root_der)].concat();

        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), serde_json::Value::String(v));
        };
        put(
            "pck_crl_issuer_chain",
            [pem_of(&platform_ca_der), pem_of(&root_der)].concat(),
        );
        put("root_ca_crl", hex::encode(&root_ca_crl));
        put("pck_crl", hex::encode(&pck_crl));
        put("tcb_info_issuer_chain", tcb_chain.clone());
        put("tcb_info", tcb_info);
        put("tcb_info_signature", hex::encode(tcb_info_sig));
        put("qe_identity_issuer_chain", tcb_chain.clone());
        put("qe_identity", qe_identity);
        put("qe_identity_signature", hex::encode(qe_identity_sig));
        let collateral_json = serde_json::to_string_pretty(&serde_json::Value::Object(m)).unwrap();

        Minted {
            quote,
            collateral_json,
            root_der,
            pck_chain_pem: chain_pem,
            tcb_chain_pem: tcb_chain,
        }
    }
}

/// Write the standard fixture set into `dir` (created if missing):
/// `root.der`, `quote.bin`, `collateral.json`, `debug_quote.bin`, `README.md`.
/// Used by `examples/mint_fixtures.rs` and by the self-check tests.
pub fn write_fixture_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let pki = TestPki::new();
    let normal = pki.mint(&MintOptions::default());
    let mut debug_opts = MintOptions::default();
    debug_opts.td_attributes[0] |= 0x01; // TUD.DEBUG
    let debug = pki.mint(&debug_opts);

    std::fs::write(dir.join("root.der"), &normal.root_der)?;
    std::fs::write(dir.join("quote.bin"), &normal.quote)?;
    std::fs::write(dir.join("collateral.json"), &normal.collateral_json)?;
    std::fs::write(dir.join("debug_quote.bin"), &debug.quote)?;
    std::fs::write(dir.join("README.md"), fixture_readme())?;
    Ok(())
}

/// The README written next to the fixtures.
pub fn fixture_readme() -> String {
    format!(
        r#"# Synthetic TDX evidence — signed by a TEST root, NOT by Intel

> **WARNING: every signature in this directory chains to a throw-away TEST root
> certificate (`root.der`) generated by `tests/support/testpki.rs`. None of it is
> signed by Intel. These files MUST NOT verify against Intel's SGX Root CA; any
> verifier that accepts them with the production root is broken.**
> The certificate names imitate Intel's ("Intel SGX Root CA", "Intel SGX PCK Platform CA",
> "Intel SGX TCB Signing", "Intel SGX PCK Certificate") on purpose — pin the root by key,
> never by name. The organisation field says "{org}".

Regenerate with `cargo run --example mint_fixtures -- OUT_DIR` (fresh keys each run).

| file | content |
|---|---|
| `root.der` | the TEST root CA certificate (DER, self-signed, P-256) |
| `quote.bin` | a TDX quote v4 (TD 1.0 body, 584 B), attestation key signed by a fake QE whose report is signed by the fake PCK leaf |
| `collateral.json` | dcap-qvl `QuoteCollateralV3` JSON: `pck_crl_issuer_chain`, `root_ca_crl` (hex DER), `pck_crl` (hex DER), `tcb_info_issuer_chain`, `tcb_info`, `tcb_info_signature` (hex r‖s), `qe_identity_issuer_chain`, `qe_identity`, `qe_identity_signature` |
| `debug_quote.bin` | same as `quote.bin` but with the TD DEBUG attribute (TDATTRIBUTES bit 0) set; verifies with the same collateral except for the debug check |

## Valid time window

Verify at the pinned time **{pinned}** (Unix {pinned_unix}).

* certificates: {nb} .. {na}
* TCB Info and QE Identity: issueDate {issue}, nextUpdate {next}
* root CA CRL and PCK CRL: thisUpdate {issue}, nextUpdate {next}

So the evidence is valid between {issue} and {next} only.

## Expected result

`dcap_qvl::verify::QuoteVerifier::new(root.der).verify(quote, collateral, {pinned_unix})` →
status `UpToDate`, no advisories; FMSPC 90C06F000000, PCE-ID 0000, TDX module `TDX_01`
ISVSVN 3, TCB evaluation data number 17. `debug_quote.bin` fails with "Debug mode is enabled".
"#,
        org = ORG,
        pinned = PINNED_TIME,
        pinned_unix = PINNED_TIME_UNIX,
        nb = CERT_NOT_BEFORE,
        na = CERT_NOT_AFTER,
        issue = DEFAULT_ISSUE_DATE,
        next = DEFAULT_NEXT_UPDATE,
    )
}
