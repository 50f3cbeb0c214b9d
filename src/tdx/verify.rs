//! TDX quote verification: dcap-qvl's DCAP checks, wrapped into named checks, plus the checks
//! dcap-qvl does not make (outer certification data type, PCE ID, collateral PCK chain override,
//! DEBUG and service-TD as explicit, configurable checks).
//!
//! dcap-qvl stops at the first failure with a string error. `classify` maps that string to the
//! stage of its pipeline that failed, so every earlier stage is reported as passed, the failing
//! one as failed (with dcap-qvl's message), and every later one as skipped. An error we cannot
//! classify fails the scan under the id `tdx.dcap.unclassified`.

use std::time::Duration;

use dcap_qvl::QuoteClaims;
use rustls_pki_types::{CertificateDer, UnixTime};

use super::attributes;
use super::claims::TdxClaims;
use super::collateral::Collateral;
use super::quote::{Quote, CERT_DATA_PCK_CHAIN, CERT_DATA_QE_REPORT, INTEL_QE_VENDOR_ID};
use crate::cache::VerifyCache;
use crate::pki::TrustAnchor;
use crate::report::{Check, Status};
use crate::time::Timestamp;

/// Options that change what the TDX verification accepts. The defaults are the strict ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TdxOptions {
    /// Accept a TD in debug mode (DEBUG or TUD profiling bits). Default: rejected.
    pub allow_debug: bool,
    /// Accept a TD bound to service TDs (non-zero MRSERVICETD or SERVTD_EXT). Default: rejected.
    pub allow_service_td: bool,
    /// Leave TCB statuses other than `UpToDate` (OutOfDate, ConfigurationNeeded, …) to a policy's
    /// `tdx.tcb.allowed_status` check, so `tdx.tcb.status` only rejects Revoked. Default (no
    /// policy): `tdx.tcb.status` requires `UpToDate`; a platform behind Intel's latest TCB never
    /// passes silently.
    pub tcb_status_by_policy: bool,
}

/// The result of verifying one quote: its checks and the claims read from it.
#[derive(Debug, Clone)]
pub struct TdxVerification {
    /// Every check, in evaluation order.
    pub checks: Vec<Check>,
    /// Values from the quote and, when the DCAP checks completed, the TCB appraisal.
    pub claims: TdxClaims,
    /// The parsed quote.
    pub quote: Quote,
}

impl TdxVerification {
    /// True when every required check passed.
    pub fn passed(&self) -> bool {
        crate::report::Verdict::from_checks(&self.checks) == crate::report::Verdict::Pass
    }
}

/// Stages of dcap-qvl's verification pipeline, in the order it runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    RootCrl,
    PckCrl,
    QuoteHeader,
    TcbInfoFormat,
    TcbInfoValidity,
    TcbInfoChain,
    TcbInfoSignature,
    QeIdentityFormat,
    QeIdentityValidity,
    QeIdentityChain,
    QeIdentitySignature,
    QeIdentityId,
    PckChain,
    QeReportSignature,
    QeReportData,
    QeIdentityMatch,
    QuoteSignature,
    TcbFmspc,
    TcbInfoType,
    TcbLevel,
    ModuleLevel,
    ModuleIdentity,
    CurrentTcbLevel,
    TcbStatus,
    TdAttributes,
    Claims,
}

const STAGES: &[(Stage, &str, &str)] = &[
    (
        Stage::RootCrl,
        "tdx.collateral.root_crl",
        "Root CA CRL signed by the root, current, root not revoked",
    ),
    (Stage::PckCrl, "tdx.collateral.pck_crl", "PCK CRL parses"),
    (
        Stage::QuoteHeader,
        "tdx.quote.header",
        "Quote header: version, TEE type, key type, QE vendor",
    ),
    (
        Stage::TcbInfoFormat,
        "tdx.collateral.tcb_info.format",
        "TCB Info parses",
    ),
    (
        Stage::TcbInfoValidity,
        "tdx.collateral.tcb_info.validity",
        "TCB Info issueDate ≤ time ≤ nextUpdate",
    ),
    (
        Stage::TcbInfoChain,
        "tdx.collateral.tcb_info.chain",
        "TCB Info signer chains to the root, not revoked",
    ),
    (
        Stage::TcbInfoSignature,
        "tdx.collateral.tcb_info.signature",
        "TCB Info signature",
    ),
    (
        Stage::QeIdentityFormat,
        "tdx.collateral.qe_identity.format",
        "QE Identity parses",
    ),
    (
        Stage::QeIdentityValidity,
        "tdx.collateral.qe_identity.validity",
        "QE Identity issueDate ≤ time ≤ nextUpdate",
    ),
    (
        Stage::QeIdentityChain,
        "tdx.collateral.qe_identity.chain",
        "QE Identity signer chains to the root, not revoked",
    ),
    (
        Stage::QeIdentitySignature,
        "tdx.collateral.qe_identity.signature",
        "QE Identity signature",
    ),
    (
        Stage::QeIdentityId,
        "tdx.collateral.qe_identity.id",
        "QE Identity is TD_QE (version 2 or 3)",
    ),
    (
        Stage::PckChain,
        "tdx.pck.chain",
        "PCK certificate chains to the root, CRLs current, not revoked",
    ),
    (
        Stage::QeReportSignature,
        "tdx.qe.report_signature",
        "QE report signed by the PCK key",
    ),
    (
        Stage::QeReportData,
        "tdx.qe.report_data",
        "QE report binds the attestation key (SHA-256 of key ‖ auth data)",
    ),
    (
        Stage::QeIdentityMatch,
        "tdx.qe.identity",
        "QE report matches QE Identity (MRSIGNER, ISVPRODID, masks, ISVSVN)",
    ),
    (
        Stage::QuoteSignature,
        "tdx.quote.signature",
        "Quote header and TD report signed by the attestation key",
    ),
    (
        Stage::TcbFmspc,
        "tdx.tcb.fmspc",
        "PCK FMSPC matches the TCB Info",
    ),
    (
        Stage::TcbInfoType,
        "tdx.collateral.tcb_info.type",
        "TCB Info is for TDX (id TDX, version ≥ 3)",
    ),
    (
        Stage::TcbLevel,
        "tdx.tcb.level",
        "A TCB level matches the platform (CPUSVN, PCESVN, TEE_TCB_SVN)",
    ),
    (
        Stage::ModuleLevel,
        "tdx.tcb.module_level",
        "TDX module ISVSVN meets a module TCB level",
    ),
    (
        Stage::ModuleIdentity,
        "tdx.tcb.module_identity",
        "TDX module signer and SEAM attributes match the TCB Info",
    ),
    (
        Stage::CurrentTcbLevel,
        "tdx.tcb.current_level",
        "Current TCB (TEE_TCB_SVN2) matches a TCB level",
    ),
    (
        Stage::TcbStatus,
        "tdx.tcb.status",
        "TCB status is not Revoked",
    ),
    (
        Stage::TdAttributes,
        "tdx.td.attributes",
        "TD attributes: no reserved bits, not migratable, SEPT_VE_DISABLE set",
    ),
    (
        Stage::Claims,
        "tdx.collateral.dates",
        "Collateral dates and CRL numbers readable",
    ),
];

/// The check id of a stage.
pub(crate) fn stage_id(stage: Stage) -> &'static str {
    STAGES
        .iter()
        .find(|(s, _, _)| *s == stage)
        .map(|(_, id, _)| *id)
        .unwrap_or("tdx.dcap.unclassified")
}

/// Map a dcap-qvl error message (`{:#}` of the anyhow chain) to the stage that produced it.
/// Certificate-chain errors carry no stage in their message; those return `None` and are
/// resolved by [`diagnose_chain`].
pub(crate) fn classify(msg: &str) -> Option<Stage> {
    const TABLE: &[(&str, Stage)] = &[
        ("Failed to load root ca", Stage::RootCrl),
        ("Failed to parse root CA CRL", Stage::RootCrl),
        ("Failed to parse PCK CRL", Stage::PckCrl),
        ("Failed to decode quote", Stage::QuoteHeader),
        ("Unsupported DCAP quote version", Stage::QuoteHeader),
        ("Unknown QE vendor ID", Stage::QuoteHeader),
        ("Unsupported TEE type", Stage::QuoteHeader),
        ("TEE quote must have version", Stage::QuoteHeader),
        ("Unsupported DCAP attestation key type", Stage::QuoteHeader),
        ("Failed to decode TcbInfo", Stage::TcbInfoFormat),
        ("Failed to parse TCB Info", Stage::TcbInfoFormat),
        (
            "TCBInfo issue date is in the future",
            Stage::TcbInfoValidity,
        ),
        ("TCBInfo expired", Stage::TcbInfoValidity),
        (
            "Certificate chain is too short for TCB Info",
            Stage::TcbInfoChain,
        ),
        ("TCB Info leaf certificate", Stage::TcbInfoChain),
        (
            "TCB Info signer must be issued directly",
            Stage::TcbInfoChain,
        ),
        ("Signature is invalid for tcb_info", Stage::TcbInfoSignature),
        ("Failed to decode QeIdentity", Stage::QeIdentityFormat),
        ("Failed to parse QE Identity", Stage::QeIdentityFormat),
        (
            "QE Identity issue date is in the future",
            Stage::QeIdentityValidity,
        ),
        ("QE Identity expired", Stage::QeIdentityValidity),
        (
            "Certificate chain is too short for QE Identity",
            Stage::QeIdentityChain,
        ),
        ("QE Identity leaf certificate", Stage::QeIdentityChain),
        (
            "QE Identity signer must be issued directly",
            Stage::QeIdentityChain,
        ),
        (
            "Signature is invalid for qe_identity",
            Stage::QeIdentitySignature,
        ),
        ("Unsupported QE Identity id/version", Stage::QeIdentityId),
        ("Failed to extract PCK certificates", Stage::PckChain),
        ("Certificate chain is too short in quote", Stage::PckChain),
        ("Failed to parse PCK certificate", Stage::PckChain),
        ("Unsupported DCAP PCK cert format", Stage::PckChain),
        ("Intel extension", Stage::PckChain),
        ("length mismatch", Stage::PckChain),
        ("Failed to find", Stage::PckChain),
        (
            "Signature is invalid for qe_report",
            Stage::QeReportSignature,
        ),
        ("Failed to decode QE report", Stage::QeReportSignature),
        ("QE report hash mismatch", Stage::QeReportData),
        ("Invalid QE auth data length", Stage::QeReportData),
        ("QE MRSIGNER mismatch", Stage::QeIdentityMatch),
        ("QE report validation failed", Stage::QeIdentityMatch),
        ("QE ISVPRODID mismatch", Stage::QeIdentityMatch),
        ("QE MISCSELECT mismatch", Stage::QeIdentityMatch),
        ("QE ATTRIBUTES mismatch", Stage::QeIdentityMatch),
        ("QE TCB", Stage::QeIdentityMatch),
        ("QE ISVSVN", Stage::QeIdentityMatch),
        ("No TCB levels found in QE Identity", Stage::QeIdentityMatch),
        (
            "ISV enclave report signature is invalid",
            Stage::QuoteSignature,
        ),
        ("Failed to get signed quote scope", Stage::QuoteSignature),
        ("Fmspc mismatch", Stage::TcbFmspc),
        ("Failed to decode TCB FMSPC", Stage::TcbFmspc),
        ("non-TDX TCB info", Stage::TcbInfoType),
        ("non-SGX TCB info", Stage::TcbInfoType),
        ("current TDX TCB", Stage::CurrentTcbLevel),
        ("TDX module TCB level check", Stage::ModuleLevel),
        ("TDX module identity check", Stage::ModuleIdentity),
        ("tdxModule", Stage::ModuleIdentity),
        ("No matching TCB level found", Stage::TcbLevel),
        ("Unrecognized TCB status", Stage::TcbLevel),
        ("component count mismatch", Stage::TcbLevel),
        ("TCB status is invalid: Revoked", Stage::TcbStatus),
        ("Failed to parse root CA certificate", Stage::Claims),
        ("TD attributes", Stage::TdAttributes),
        ("Debug mode is enabled", Stage::TdAttributes),
        ("TD profiling is enabled", Stage::TdAttributes),
        ("TD migration is enabled", Stage::TdAttributes),
        ("SERVTD_EXT is enabled", Stage::TdAttributes),
        ("SEPT_VE_DISABLE is not enabled", Stage::TdAttributes),
        ("Invalid MR service TD", Stage::TdAttributes),
        ("for claims", Stage::Claims),
        ("platform TCB date", Stage::Claims),
        ("time window", Stage::Claims),
    ];
    // Messages are `context: cause: cause`; the outermost context decides, so match the
    // earliest position in the message, not the first table entry.
    TABLE
        .iter()
        .filter_map(|(needle, stage)| msg.find(needle).map(|pos| (pos, *stage)))
        .min_by_key(|(pos, _)| *pos)
        .map(|(_, stage)| stage)
}

/// Bare webpki errors from the root CA revocation check (dcap-qvl adds no context there).
fn is_bare_webpki_error(msg: &str) -> bool {
    const NAMES: &[&str] = &[
        "CertRevoked",
        "CrlExpired",
        "UnknownRevocationStatus",
        "BadDer",
        "InvalidCrlSignatureForPublicKey",
        "UnsupportedCrlSignatureAlgorithm",
        "IssuerNotCrlSigner",
        "UnsupportedRevocationReason",
    ];
    NAMES.iter().any(|n| msg.starts_with(n))
}

/// A certificate-chain error does not say which chain failed. Re-check the collateral signer
/// chains with webpki under the same rules (failure path only) to attribute it.
fn diagnose_chain(collateral: &Collateral, anchor: &TrustAnchor, at: Timestamp) -> Stage {
    let d = collateral.as_dcap();
    let tcb_ok = chain_ok(
        &d.tcb_info_issuer_chain,
        &d.root_ca_crl,
        &d.pck_crl,
        anchor,
        at,
    );
    if !tcb_ok {
        return Stage::TcbInfoChain;
    }
    if d.qe_identity_issuer_chain != d.tcb_info_issuer_chain
        && !chain_ok(
            &d.qe_identity_issuer_chain,
            &d.root_ca_crl,
            &d.pck_crl,
            anchor,
            at,
        )
    {
        return Stage::QeIdentityChain;
    }
    Stage::PckChain
}

fn chain_ok(
    pem_chain: &str,
    root_crl: &[u8],
    pck_crl: &[u8],
    anchor: &TrustAnchor,
    at: Timestamp,
) -> bool {
    let Ok(pems) = pem::parse_many(pem_chain.as_bytes()) else {
        return false;
    };
    let certs: Vec<CertificateDer<'static>> = pems
        .into_iter()
        .map(|p| CertificateDer::from(p.into_contents()))
        .collect();
    let Some((leaf, rest)) = certs.split_first() else {
        return false;
    };
    let root = CertificateDer::from(anchor.der());
    let Ok(ta) = webpki::anchor_from_trusted_cert(&root) else {
        return false;
    };
    let Ok(leaf) = webpki::EndEntityCert::try_from(leaf) else {
        return false;
    };
    let crls: Vec<webpki::CertRevocationList<'_>> = [root_crl, pck_crl]
        .iter()
        .filter_map(|der| webpki::OwnedCertRevocationList::from_der(der).ok())
        .map(webpki::CertRevocationList::from)
        .collect();
    let crl_refs: Vec<&webpki::CertRevocationList<'_>> = crls.iter().collect();
    let Ok(builder) = webpki::RevocationOptionsBuilder::new(&crl_refs) else {
        return false;
    };
    let revocation = builder
        .with_depth(webpki::RevocationCheckDepth::Chain)
        .with_status_policy(webpki::UnknownStatusPolicy::Deny)
        .with_expiration_policy(webpki::ExpirationPolicy::Enforce)
        .build();
    let now = UnixTime::since_unix_epoch(Duration::from_secs(at.unix()));
    leaf.verify_for_usage(
        &[webpki::ring::ECDSA_P256_SHA256],
        &[ta],
        rest,
        now,
        webpki::KeyUsage::server_auth(),
        Some(revocation),
        None,
    )
    .is_ok()
}

/// Collateral signatures through a [`VerifyCache`] inside dcap-qvl, without forking it: dcap-qvl
/// takes its one signature algorithm (ECDSA P-256) from a [`dcap_qvl::config::Config`]; this one
/// is dcap-qvl's own ring algorithm behind the cache. Every other step (CRL revocation, every
/// validity date, TCB level matching, QE identity matching) still runs on every call. The
/// quote's own signature (its message is a prefix of the quote) is never cached.
mod cached_dcap {
    use std::cell::RefCell;
    use std::sync::Arc;

    use dcap_qvl::config::CryptoProvider;
    use dcap_qvl::crypto::RingCrypto;
    use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};

    use crate::cache::VerifyCache;

    thread_local! {
        /// The cache and the raw quote of the verification running on this thread.
        static CTX: RefCell<Option<(Arc<VerifyCache>, Vec<u8>)>> = const { RefCell::new(None) };
    }

    /// Sets the context for one dcap-qvl call; cleared on drop (also on panic).
    pub(super) struct Scope;

    impl Scope {
        pub(super) fn enter(cache: Arc<VerifyCache>, raw_quote: &[u8]) -> Scope {
            CTX.with(|c| *c.borrow_mut() = Some((cache, raw_quote.to_vec())));
            Scope
        }
    }

    impl Drop for Scope {
        fn drop(&mut self) {
            CTX.with(|c| *c.borrow_mut() = None);
        }
    }

    #[derive(Debug)]
    pub(super) struct CachedP256;

    static CACHED_P256: CachedP256 = CachedP256;

    fn inner() -> &'static dyn SignatureVerificationAlgorithm {
        <RingCrypto as CryptoProvider>::sig_algo()
    }

    impl SignatureVerificationAlgorithm for CachedP256 {
        fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
            let ctx = CTX.with(|c| c.borrow().as_ref().map(|(cache, raw)| (Arc::clone(cache), raw.starts_with(message))));
            match ctx {
                Some((cache, false)) => cache.verify_signature(inner(), public_key, message, signature),
                _ => inner().verify_signature(public_key, message, signature),
            }
        }
        fn public_key_alg_id(&self) -> AlgorithmIdentifier {
            inner().public_key_alg_id()
        }
        fn signature_alg_id(&self) -> AlgorithmIdentifier {
            inner().signature_alg_id()
        }
        fn fips(&self) -> bool {
            inner().fips()
        }
    }

    pub(super) struct CachedCrypto;

    impl CryptoProvider for CachedCrypto {
        fn sig_algo() -> &'static dyn SignatureVerificationAlgorithm {
            &CACHED_P256
        }
        fn sha256(data: &[u8]) -> [u8; 32] {
            <RingCrypto as CryptoProvider>::sha256(data)
        }
        fn sha384(data: &[u8]) -> [u8; 48] {
            <RingCrypto as CryptoProvider>::sha384(data)
        }
    }

    /// dcap-qvl's ring configuration with [`CachedCrypto`].
    pub(super) struct CachedConfig;

    impl dcap_qvl::config::Config for CachedConfig {
        type X509 = dcap_qvl::x509::X509CertBackend;
        type SigEncoder = dcap_qvl::signature::DerSigEncoder;
        type Crypto = CachedCrypto;
    }
}

/// Verify a parsed TDX quote against DCAP collateral at time `at`, with `anchor` as the root.
///
/// Never fails: every problem is a failing check in the result. Parse the quote first with
/// [`Quote::parse`]; `raw` must be the bytes it was parsed from. Uses no [`VerifyCache`] (see
/// [`verify_quote_with_cache`]).
pub fn verify_quote(
    raw: &[u8],
    quote: Quote,
    collateral: &Collateral,
    anchor: &TrustAnchor,
    at: Timestamp,
    opts: &TdxOptions,
) -> TdxVerification {
    verify_quote_with_cache(raw, quote, collateral, anchor, at, opts, None)
}

/// [`verify_quote`] with a verify-once cache for the collateral's signatures (root CA CRL, PCK
/// CRL, TCB Info and QE Identity signing chains and signatures, the PCK chain and the QE report):
/// each is verified once per cache, keyed by the SHA-256 of (algorithm, public key, message,
/// signature) — a pure function, valid at every time. Every date, revocation and TCB rule is
/// still evaluated at `at` on every call, and the quote's own signature is always verified.
/// `None`: no cache. Results are identical to [`verify_quote`]'s.
pub fn verify_quote_with_cache(
    raw: &[u8],
    quote: Quote,
    collateral: &Collateral,
    anchor: &TrustAnchor,
    at: Timestamp,
    opts: &TdxOptions,
    cache: Option<&std::sync::Arc<VerifyCache>>,
) -> TdxVerification {
    let cache = crate::cache::effective(cache);
    let mut checks = Vec::new();
    let mut structure = Check::pass("tdx.quote.structure", "Quote parses: every length consistent").actual(format!(
        "v{} {} quote, {} bytes + {} trailing",
        quote.header.version,
        quote.report.body_type.as_str(),
        raw.len().saturating_sub(quote.padding_len),
        quote.padding_len
    ));
    if quote.trailing_nonzero > 0 {
        structure = structure.reason(format!(
            "{} non-zero bytes after the signature data were ignored (outside the signed data)",
            quote.trailing_nonzero
        ));
    }
    checks.push(structure);
    checks.push(
        Check::from_bool(
            "tdx.quote.qe_vendor",
            "QE vendor is Intel",
            quote.header.qe_vendor_id == INTEL_QE_VENDOR_ID,
            "unknown QE vendor ID",
        )
        .expected(crate::bytes::to_hex(INTEL_QE_VENDOR_ID))
        .actual(crate::bytes::to_hex(quote.header.qe_vendor_id)),
    );
    let sig = &quote.signature;
    checks.push(
        Check::from_bool(
            "tdx.quote.cert_data",
            "Certification data: QE report (type 6) wrapping a PCK chain (type 5)",
            sig.outer_cert_type == CERT_DATA_QE_REPORT
                && sig.inner_cert_type == CERT_DATA_PCK_CHAIN,
            "unexpected certification data type",
        )
        .expected("outer 6, inner 5")
        .actual(format!(
            "outer {}, inner {}",
            sig.outer_cert_type, sig.inner_cert_type
        )),
    );
    checks.push(if anchor.is_production() {
        Check::pass(
            "tdx.trust_anchor",
            "Chains end in the Intel SGX Root CA (pinned)",
        )
        .actual(format!("sha256:{}", anchor.sha256()))
    } else {
        Check::pass(
            "tdx.trust_anchor",
            "Chains end in a TEST root supplied with --danger-trust-test-root",
        )
        .actual(format!("sha256:{}", anchor.sha256()))
        .reason("TEST ROOT: this evidence proves nothing about real Intel hardware")
    });

    // The quote's own PCK chain is authoritative; a different chain in the collateral would make
    // dcap-qvl verify the QE report against another platform's key.
    let mut dcap = collateral.as_dcap().clone();
    let quote_chain = match pck_chain_der(&quote, cache.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            checks.push(Check::fail("tdx.pck.chain_format", "PCK chain in the quote is PEM certificates", e.to_string()));
            Vec::new()
        }
    };
    // Like Intel's QVL: a root carried in the quote's chain must be the pinned root itself.
    if quote_chain.len() >= 2 {
        if let Some(root) = quote_chain.last() {
            let fp = |d: &[u8]| crate::bytes::to_hex(ring::digest::digest(&ring::digest::SHA256, d));
            let self_signed_root = quote_chain.len() >= 3;
            if self_signed_root {
                checks.push(
                    Check::from_bool(
                        "tdx.pck.chain_root",
                        "Root certificate in the quote's PCK chain is the pinned root",
                        root.as_slice() == anchor.der(),
                        "the quote's chain ends in a different root certificate than the trusted one",
                    )
                    .expected(format!("sha256:{}", anchor.sha256()))
                    .actual(format!("sha256:{}", fp(root))),
                );
            }
        }
    }
    if let Some(coll_chain) = dcap.pck_certificate_chain.clone() {
        if quote_chain.is_empty() {
            checks.push(
                Check::pass("tdx.collateral.pck_chain_source", "PCK chain source")
                    .actual("collateral (the quote carries no PCK chain)"),
            );
        } else {
            let coll_der: Vec<Vec<u8>> = pem::parse_many(coll_chain.as_bytes())
                .map(|v| v.into_iter().map(pem::Pem::into_contents).collect())
                .unwrap_or_default();
            let leaf_fp = |c: &[Vec<u8>]| {
                c.first()
                    .map(|d| format!("leaf sha256:{}", crate::bytes::to_hex(ring::digest::digest(&ring::digest::SHA256, d))))
                    .unwrap_or_else(|| "no certificate".to_owned())
            };
            checks.push(
                Check::from_bool(
                    "tdx.collateral.pck_chain_source",
                    "PCK chain in the collateral equals the one in the quote",
                    coll_der == quote_chain,
                    "the collateral carries a different PCK chain than the quote (another platform's collateral?)",
                )
                .expected(format!("the quote's chain ({})", leaf_fp(&quote_chain)))
                .actual(format!("collateral chain ({})", leaf_fp(&coll_der))),
            );
            dcap.pck_certificate_chain = None;
        }
    }

    let policy = dcap_qvl::QuotePolicy::claims_only(at.unix());
    let result = match cache {
        None => dcap_qvl::verify::QuoteVerifier::new(anchor.der().to_vec())
            .allow_debug(true)
            .allow_service_td(true)
            .verify_with_policy(raw, dcap, at.unix(), &policy),
        Some(c) => {
            let _scope = cached_dcap::Scope::enter(c, raw);
            dcap_qvl::verify::QuoteVerifier::<cached_dcap::CachedConfig>::new_with_config(anchor.der().to_vec())
                .allow_debug(true)
                .allow_service_td(true)
                .verify_with_policy(raw, dcap, at.unix(), &policy)
        }
    };

    let dcap_claims: Option<QuoteClaims> = match result {
        Ok(c) => {
            push_stages(&mut checks, None, "");
            Some(c)
        }
        Err(e) => {
            let msg = format!("{e:#}");
            let stage = classify(&msg).or_else(|| {
                if msg.contains("certificate chain") || msg.contains("intermediate certificates") {
                    Some(diagnose_chain(collateral, anchor, at))
                } else if is_bare_webpki_error(&msg) {
                    Some(Stage::RootCrl)
                } else {
                    None
                }
            });
            match stage {
                Some(stage) => push_stages(&mut checks, Some(stage), &msg),
                None => {
                    for (_, id, title) in STAGES {
                        checks.push(Check::skipped(
                            id,
                            title,
                            "not evaluated: dcap-qvl failed with an unclassified error",
                        ));
                    }
                    checks.push(Check::fail(
                        "tdx.dcap.unclassified",
                        "DCAP verification (dcap-qvl)",
                        msg,
                    ));
                }
            }
            None
        }
    };

    let claims = TdxClaims::new(&quote, collateral, dcap_claims.as_ref());
    if let Some(c) = &dcap_claims {
        annotate_passes(&mut checks, c, collateral, at);
        checks.push(pce_id_check(c, collateral));
    } else {
        checks.push(Check::skipped(
            "tdx.tcb.pce_id",
            "PCK PCE ID matches the TCB Info pceId",
            "not evaluated: DCAP verification did not complete",
        ));
    }
    if !opts.tcb_status_by_policy {
        require_up_to_date(&mut checks, dcap_claims.as_ref());
    }
    td_checks(&mut checks, &quote, opts);
    TdxVerification {
        checks,
        claims,
        quote,
    }
}

/// The quote's PCK chain as DER, through the cache's parse memo when there is one (the chain is
/// the same in every quote of a platform; its PEM decoding is a pure function of these bytes).
fn pck_chain_der(quote: &Quote, cache: Option<&VerifyCache>) -> Result<Vec<Vec<u8>>, super::quote::QuoteError> {
    let Some(cache) = cache else { return quote.pck_chain_der() };
    let sig = &quote.signature;
    let key = crate::cache::Key::new("teescan.pck-chain-pem.v1", &[&sig.inner_cert_type.to_be_bytes(), &sig.inner_cert_data]);
    if let Some(hit) = cache.get_pem_chain(&key) {
        return Ok(hit.as_ref().clone());
    }
    let chain = quote.pck_chain_der()?;
    cache.put_pem_chain(key, std::sync::Arc::new(chain.clone()));
    Ok(chain)
}

/// Push one check per dcap-qvl stage: pass before `failed`, fail at it, skipped after it.
fn push_stages(checks: &mut Vec<Check>, failed: Option<Stage>, msg: &str) {
    for (stage, id, title) in STAGES {
        // TD attributes are reported by `td_checks` from the quote itself.
        if *stage == Stage::TdAttributes {
            continue;
        }
        let check = match failed {
            Some(f) if *stage == f => Check::fail(id, title, msg),
            Some(f) if *stage > f => Check::skipped(
                id,
                title,
                format!("not evaluated: stopped at {}", stage_id(f)),
            ),
            _ => Check::pass(id, title),
        };
        checks.push(check);
    }
    if failed == Some(Stage::TdAttributes) {
        // dcap-qvl's own attribute rules (reserved bits, MIGRATABLE, SEPT_VE_DISABLE) failed;
        // `td_checks` reports the same condition with the values. Record dcap-qvl's word too.
        checks.push(Check::fail(
            "tdx.dcap.td_attributes",
            "dcap-qvl TD attribute rules",
            msg,
        ));
    }
}

fn set(checks: &mut [Check], id: &str, expected: Option<String>, actual: Option<String>) {
    if let Some(c) = checks
        .iter_mut()
        .find(|c| c.id == id && c.status == Status::Pass)
    {
        if expected.is_some() {
            c.expected = expected;
        }
        if actual.is_some() {
            c.actual = actual;
        }
    }
}

/// Without a policy, `tdx.tcb.status` requires `UpToDate` (dcap-qvl passes anything but Revoked).
fn require_up_to_date(checks: &mut [Check], claims: Option<&QuoteClaims>) {
    let Some(c) = claims else { return };
    if c.tcb.status == dcap_qvl::tcb_info::TcbStatus::UpToDate {
        if let Some(check) = checks.iter_mut().find(|k| k.id == "tdx.tcb.status" && k.status == Status::Pass) {
            check.title = "TCB status is UpToDate".to_owned();
            check.expected = Some("UpToDate (no policy given; a policy's tdx.tcb.allowed_status can accept more)".to_owned());
        }
        return;
    }
    if let Some(check) = checks.iter_mut().find(|k| k.id == "tdx.tcb.status" && k.status == Status::Pass) {
        check.status = Status::Fail;
        check.title = "TCB status is UpToDate".to_owned();
        check.expected = Some("UpToDate (no policy given; a policy's tdx.tcb.allowed_status can accept more)".to_owned());
        check.reason = Some(format!(
            "the platform's TCB is {:?}, not UpToDate; accept it only through a policy (tdx.tcb.allowed_status, grace_period)",
            c.tcb.status
        ));
    }
}

/// Add the values behind the passing stages.
fn annotate_passes(checks: &mut [Check], c: &QuoteClaims, collateral: &Collateral, at: Timestamp) {
    let tcb_info = collateral.parsed_tcb_info();
    let qe_id = collateral.parsed_qe_identity();
    if let Some(t) = tcb_info {
        set(
            checks,
            "tdx.collateral.tcb_info.validity",
            Some(format!("{} .. {}", t.issue_date, t.next_update)),
            Some(at.to_rfc3339()),
        );
        set(
            checks,
            "tdx.tcb.fmspc",
            Some(t.fmspc.to_lowercase()),
            Some(crate::bytes::to_hex(c.platform.pck.fmspc)),
        );
        set(
            checks,
            "tdx.collateral.tcb_info.type",
            None,
            Some(format!("{} v{}", t.id, t.version)),
        );
    }
    if let Some(q) = qe_id {
        set(
            checks,
            "tdx.collateral.qe_identity.validity",
            Some(format!("{} .. {}", q.issue_date, q.next_update)),
            Some(at.to_rfc3339()),
        );
        set(
            checks,
            "tdx.collateral.qe_identity.id",
            None,
            Some(format!("{} v{}", q.id, q.version)),
        );
    }
    let level = &c.platform.tcb_level;
    set(
        checks,
        "tdx.tcb.level",
        None,
        Some(format!(
            "{:?} (tcbDate {})",
            level.tcb_status, level.tcb_date
        )),
    );
    let status = format!("{:?}", c.tcb.status);
    let adv = if c.tcb.advisory_ids.is_empty() {
        String::new()
    } else {
        format!(" [{}]", c.tcb.advisory_ids.join(", "))
    };
    set(
        checks,
        "tdx.tcb.status",
        Some("not Revoked".to_owned()),
        Some(format!("{status}{adv}")),
    );
    set(
        checks,
        "tdx.qe.identity",
        None,
        Some(format!(
            "ISVSVN {} → {:?}",
            c.qe.report.isv_svn, c.qe.tcb_level.tcb_status
        )),
    );
}

fn pce_id_check(c: &QuoteClaims, collateral: &Collateral) -> Check {
    let title = "PCK PCE ID matches the TCB Info pceId";
    let tcb_pce = collateral
        .parsed_tcb_info()
        .map(|t| t.pce_id.to_lowercase())
        .unwrap_or_default();
    let pck_pce = crate::bytes::to_hex(&c.platform.pck.pce_id);
    Check::from_bool(
        "tdx.tcb.pce_id",
        title,
        !tcb_pce.is_empty() && tcb_pce == pck_pce,
        "PCE ID mismatch",
    )
    .expected(tcb_pce)
    .actual(pck_pce)
}

/// TD attribute and service-TD checks, from the quote's signed body.
fn td_checks(checks: &mut Vec<Check>, quote: &Quote, opts: &TdxOptions) {
    let a = quote.report.td_attributes;
    let names = a.names().join("|");
    let reserved = a.reserved_set();
    let mut problems = Vec::new();
    if reserved != 0 {
        problems.push(format!("reserved bits set (0x{reserved:016x})"));
    }
    if a.has(attributes::MIGRATABLE) {
        problems.push("MIGRATABLE set".to_owned());
    }
    if !a.has(attributes::SEPT_VE_DISABLE) {
        problems
            .push("SEPT_VE_DISABLE not set (required by dcap-qvl 0.7; e.g. Azure TDs)".to_owned());
    }
    if a.has(attributes::SERVTD_EXT) && quote.report.body_type == super::quote::BodyType::Td10 {
        // Intel's TDQE emits a v5 TD 1.5 body for a TD with service TDs; SERVTD_EXT in a TD 1.0
        // body is inconsistent, whatever `allow_service_td` says.
        problems.push("SERVTD_EXT set in a TD 1.0 body (a service-bound TD reports a TD 1.5 body)".to_owned());
    }
    let mut attr_check = Check::from_bool(
        "tdx.td.attributes",
        "TD attributes: no reserved bits, not migratable, SEPT_VE_DISABLE set",
        problems.is_empty(),
        problems.join("; "),
    )
    .expected("reserved=0, MIGRATABLE=0, SEPT_VE_DISABLE=1")
    .actual(format!("0x{} [{names}]", a.to_hex()));
    if attr_check.status == Status::Pass && checks.iter().any(|c| c.id == "tdx.dcap.td_attributes")
    {
        attr_check = Check::fail(
            "tdx.td.attributes",
            &attr_check.title,
            "dcap-qvl rejected the TD attributes",
        )
        .actual(format!("0x{} [{names}]", a.to_hex()));
    }
    checks.push(attr_check);

    let debug = a.is_debug();
    checks.push(if debug && opts.allow_debug {
        Check::pass("tdx.td.debug", "TD is not in debug mode")
            .actual(format!("debug [{names}]"))
            .reason("DEBUG allowed by option: the host can read this TD's memory")
    } else {
        Check::from_bool(
            "tdx.td.debug",
            "TD is not in debug mode",
            !debug,
            "the TD runs in debug mode: the host can read its memory and registers",
        )
        .expected("DEBUG=0, TUD profiling=0")
        .actual(if debug { "debug" } else { "not debug" })
    });

    let mr_service_td = quote.report.mr_service_td.unwrap_or([0u8; 48]);
    let bound = mr_service_td != [0u8; 48] || a.has(attributes::SERVTD_EXT);
    let actual = format!(
        "MRSERVICETD {}, SERVTD_EXT {}",
        if mr_service_td == [0u8; 48] {
            "zero".to_owned()
        } else {
            crate::bytes::to_hex(mr_service_td)
        },
        u8::from(a.has(attributes::SERVTD_EXT))
    );
    checks.push(if bound && opts.allow_service_td {
        Check::pass("tdx.td.service_td", "TD is not bound to a service TD")
            .actual(actual)
            .reason("service TD binding allowed by option")
    } else {
        Check::from_bool(
            "tdx.td.service_td",
            "TD is not bound to a service TD",
            !bound,
            "a service TD can bind to this TD (non-zero MRSERVICETD or SERVTD_EXT)",
        )
        .expected("MRSERVICETD zero, SERVTD_EXT 0")
        .actual(actual)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_outermost_context() {
        assert_eq!(classify("TCBInfo expired"), Some(Stage::TcbInfoValidity));
        assert_eq!(
            classify(
                "TDX module identity check: TDX module MRSIGNER mismatch: expected 00, got 01"
            ),
            Some(Stage::ModuleIdentity)
        );
        assert_eq!(
            classify("TDX module TCB level check: No TDX module identity with id TDX_03 found in TCB Info"),
            Some(Stage::ModuleLevel)
        );
        assert_eq!(
            classify("Failed to evaluate the current TDX TCB (TEE_TCB_SVN2): No matching TCB level found"),
            Some(Stage::CurrentTcbLevel)
        );
        assert_eq!(
            classify("Failed to verify certificate chain: CertRevoked"),
            None
        );
        assert_eq!(classify("something new"), None);
        assert!(is_bare_webpki_error(
            "CrlExpired { time: 1, next_update: 2 }"
        ));
    }

    #[test]
    fn every_stage_has_a_distinct_id() {
        let mut ids: Vec<&str> = STAGES.iter().map(|(_, id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), STAGES.len());
    }
}
