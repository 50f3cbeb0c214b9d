//! TDX quote verification: dcap-qvl's DCAP checks, wrapped into named checks, plus the checks
//! dcap-qvl does not make (outer certification data type, PCE ID, collateral PCK chain override,
//! DEBUG and service-TD as explicit, configurable checks).
//!
//! dcap-qvl stops at the first failure with a string error. `tdx/dcap_errors.rs` maps that
//! string to the stage of its pipeline that failed, so every earlier stage is reported as passed,
//! the failing one as failed (with dcap-qvl's message), and every later one as skipped. An error
//! it cannot map fails the scan under the id `tdx.dcap.unclassified`.

use std::time::Duration;

use dcap_qvl::QuoteClaims;
use rustls_pki_types::{CertificateDer, UnixTime};

use super::attributes;
use super::claims::TdxClaims;
use super::dcap_errors::{map_message, stage_id, Mapping, Stage, STAGES, UNCLASSIFIED};
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
        &[crate::crypto::x509::ECDSA_P256_SHA256],
        &[ta],
        rest,
        now,
        webpki::KeyUsage::server_auth(),
        Some(revocation),
        None,
    )
    .is_ok()
}

/// Collateral signatures through the caller's [`VerifyCache`], without forking dcap-qvl and
/// without thread-local state.
///
/// dcap-qvl 0.7.1 takes its one signature algorithm (ECDSA P-256) from a type-level
/// [`dcap_qvl::config::Config`] (`CryptoProvider::sig_algo() -> &'static dyn
/// SignatureVerificationAlgorithm`): no instance, closure or pre-verified-collateral entry point,
/// so no per-call state can reach it. Instead:
/// 1. [`preverify`](dcap_memo::preverify) verifies the collateral's signatures itself, through the
///    explicit cache: the certificates of the TCB Info, QE Identity and PCK chains (a trust anchor
///    or a self-issued root is not verified, as in webpki), the root CA and PCK CRLs, the TCB Info
///    and QE Identity signatures and the QE report signature. Each success is recorded in `MEMO`.
/// 2. dcap-qvl runs with [`MemoConfig`](dcap_memo::MemoConfig): its verifier answers "valid" for a
///    (public key, message, signature) found in `MEMO`, and verifies through the crypto room
///    otherwise. Without a cache dcap-qvl runs with `RoomConfig`: the room's P-256, no memo.
///
/// `MEMO` is **process-global**, **content-keyed** (SHA-256 of the algorithm ids, public key and
/// signature; the message is kept and compared byte for byte), **bounded** (`MEMO_CAPACITY`
/// entries, the least recently used evicted) and holds **successes only**: every entry is a
/// signature the room verified. It is a pure fact about bytes, true for every caller, time and trust
/// anchor, so it changes no result, only skips arithmetic. dcap-qvl consults it only when the
/// caller passed a cache. Every CRL revocation, validity date, TCB and QE identity rule still runs
/// in dcap-qvl on every call, and the quote's own signature is never recorded: it is verified
/// every time.
mod dcap_memo {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};

    use dcap_qvl::config::{CryptoProvider, EcdsaSigEncoder};
    use dcap_qvl::QuoteCollateralV3;
    use der::{Decode as _, Encode as _};
    use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
    use x509_cert::name::Name;

    use crate::cache::{Key, VerifyCache};
    use crate::pki::TrustAnchor;
    use crate::tdx::quote::Quote;

    /// Entries `MEMO` holds at most (a platform's collateral has about ten signatures).
    const MEMO_CAPACITY: usize = 1024;

    /// Verified signatures: key → (message, last use).
    struct Memo {
        entries: HashMap<Key, (Arc<[u8]>, u64)>,
        tick: u64,
    }

    /// Process-global, content-keyed, bounded, successes only (see the module docs).
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();

    fn memo() -> &'static Mutex<Memo> {
        MEMO.get_or_init(|| Mutex::new(Memo { entries: HashMap::new(), tick: 0 }))
    }

    /// The crypto room's ECDSA P-256/SHA-256 (DER), the one algorithm dcap-qvl verifies with.
    fn p256() -> &'static dyn SignatureVerificationAlgorithm {
        crate::crypto::x509::ECDSA_P256_SHA256
    }

    fn key(public_key: &[u8], signature: &[u8]) -> Key {
        let alg = p256();
        let (pk_alg, sig_alg) = (alg.public_key_alg_id(), alg.signature_alg_id());
        Key::new("teescan.dcap-memo.v1", &[pk_alg.as_ref(), sig_alg.as_ref(), public_key, signature])
    }

    /// True when the room verified exactly this (public key, message, signature) before.
    fn known(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let Ok(mut m) = memo().lock() else { return false };
        m.tick = m.tick.wrapping_add(1);
        let tick = m.tick;
        match m.entries.get_mut(&key(public_key, signature)) {
            Some((stored, used)) if **stored == *message => {
                *used = tick;
                true
            }
            _ => false,
        }
    }

    /// Record a signature the room verified (only called after a success).
    fn remember(public_key: &[u8], message: &[u8], signature: &[u8]) {
        let Ok(mut m) = memo().lock() else { return };
        m.tick = m.tick.wrapping_add(1);
        let tick = m.tick;
        let k = key(public_key, signature);
        if !m.entries.contains_key(&k) && m.entries.len() >= MEMO_CAPACITY {
            let oldest = m.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| *k);
            if let Some(old) = oldest {
                m.entries.remove(&old);
            }
        }
        m.entries.insert(k, (Arc::from(message), tick));
    }

    /// Verify one collateral signature through the cache; remember a success.
    fn check(cache: &VerifyCache, public_key: &[u8], message: &[u8], signature: &[u8]) {
        if cache.verify_signature(p256(), public_key, message, signature).is_ok() {
            remember(public_key, message, signature);
        }
    }

    /// dcap-qvl's encoding of a raw `r ‖ s` signature (`encode_as_der_with`).
    fn der_sig(raw: &[u8]) -> Option<Vec<u8>> {
        let (r, s) = raw.split_at_checked(32)?;
        <dcap_qvl::signature::DerSigEncoder as EcdsaSigEncoder>::encode_ecdsa_sig(r, s).ok()
    }

    /// A certificate's subject and public key (the SPKI's `subjectPublicKey`, as webpki passes it).
    struct Signer {
        subject: Name,
        key: Vec<u8>,
    }

    fn parse(der: &[u8]) -> Option<x509_cert::Certificate> {
        x509_cert::Certificate::from_der(der).ok()
    }

    fn signer(cert: &x509_cert::Certificate) -> Signer {
        let tbs = cert.tbs_certificate();
        Signer { subject: tbs.subject().clone(), key: tbs.subject_public_key_info().subject_public_key.raw_bytes().to_vec() }
    }

    fn pem_certs(pem_chain: &str) -> Vec<Vec<u8>> {
        pem::parse_many(pem_chain.as_bytes()).map(|v| v.into_iter().map(pem::Pem::into_contents).collect()).unwrap_or_default()
    }

    /// Verify, through `cache`, every collateral signature dcap-qvl will check for this quote
    /// (see the module docs), and record the successes for [`MemoConfig`]. A signature that does
    /// not verify is only left out: dcap-qvl then checks it itself and reports the failure.
    pub(super) fn preverify(cache: &VerifyCache, anchor: &TrustAnchor, dcap: &QuoteCollateralV3, quote: &Quote, quote_chain: &[Vec<u8>]) {
        let tcb_chain = pem_certs(&dcap.tcb_info_issuer_chain);
        let qe_chain = pem_certs(&dcap.qe_identity_issuer_chain);
        let pck_chain = dcap.pck_certificate_chain.as_deref().map(pem_certs).unwrap_or_else(|| quote_chain.to_vec());
        let mut ders: Vec<&[u8]> = Vec::new();
        for d in tcb_chain.iter().chain(&qe_chain).chain(&pck_chain) {
            if d.as_slice() != anchor.der() && !ders.contains(&d.as_slice()) {
                ders.push(d);
            }
        }
        let certs: Vec<x509_cert::Certificate> = ders.iter().filter_map(|d| parse(d)).collect();
        let signers: Vec<Signer> = parse(anchor.der()).iter().chain(&certs).map(signer).collect();
        let by_name = |issuer: &Name| signers.iter().find(|s| s.subject == *issuer);
        for cert in &certs {
            let tbs = cert.tbs_certificate();
            if tbs.issuer() == tbs.subject() {
                continue;
            }
            if let (Some(s), Ok(msg)) = (by_name(tbs.issuer()), tbs.to_der()) {
                check(cache, &s.key, &msg, cert.signature().raw_bytes());
            }
        }
        for crl in [&dcap.root_ca_crl, &dcap.pck_crl] {
            let Ok(crl) = x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(crl) else { continue };
            if let (Some(s), Ok(msg)) = (by_name(&crl.tbs_cert_list.issuer), crl.tbs_cert_list.to_der()) {
                check(cache, &s.key, &msg, crl.signature.raw_bytes());
            }
        }
        let leaf_key = |chain: &[Vec<u8>]| chain.first().and_then(|d| parse(d)).map(|c| signer(&c).key);
        // (signer's public key, message, raw `r ‖ s` signature)
        type Signed<'a> = (Option<Vec<u8>>, &'a [u8], &'a [u8]);
        let signed: [Signed<'_>; 3] = [
            (leaf_key(&tcb_chain), dcap.tcb_info.as_bytes(), &dcap.tcb_info_signature),
            (leaf_key(&qe_chain), dcap.qe_identity.as_bytes(), &dcap.qe_identity_signature),
            (leaf_key(&pck_chain), &quote.signature.qe_report.raw, &quote.signature.qe_report_signature),
        ];
        for (key, msg, raw_sig) in signed {
            if let (Some(key), Some(sig)) = (key, der_sig(raw_sig)) {
                check(cache, &key, msg, &sig);
            }
        }
    }

    /// The room's P-256 behind `MEMO`.
    #[derive(Debug)]
    pub(super) struct MemoP256;

    static MEMO_P256: MemoP256 = MemoP256;

    impl SignatureVerificationAlgorithm for MemoP256 {
        fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
            if known(public_key, message, signature) {
                return Ok(());
            }
            p256().verify_signature(public_key, message, signature)
        }
        fn public_key_alg_id(&self) -> AlgorithmIdentifier {
            p256().public_key_alg_id()
        }
        fn signature_alg_id(&self) -> AlgorithmIdentifier {
            p256().signature_alg_id()
        }
        fn fips(&self) -> bool {
            p256().fips()
        }
    }

    /// dcap-qvl's signature algorithm and digests from the crypto room, behind `MEMO`.
    pub(super) struct MemoCrypto;

    impl CryptoProvider for MemoCrypto {
        fn sig_algo() -> &'static dyn SignatureVerificationAlgorithm {
            &MEMO_P256
        }
        fn sha256(data: &[u8]) -> [u8; 32] {
            crate::crypto::sha256(data)
        }
        fn sha384(data: &[u8]) -> [u8; 48] {
            crate::crypto::sha384(data)
        }
    }

    /// dcap-qvl's signature algorithm and digests from the crypto room (no memo).
    pub(super) struct RoomCrypto;

    impl CryptoProvider for RoomCrypto {
        fn sig_algo() -> &'static dyn SignatureVerificationAlgorithm {
            p256()
        }
        fn sha256(data: &[u8]) -> [u8; 32] {
            crate::crypto::sha256(data)
        }
        fn sha384(data: &[u8]) -> [u8; 48] {
            crate::crypto::sha384(data)
        }
    }

    /// dcap-qvl with [`MemoCrypto`] (when the caller passed a cache).
    pub(super) struct MemoConfig;

    impl dcap_qvl::config::Config for MemoConfig {
        type X509 = dcap_qvl::x509::X509CertBackend;
        type SigEncoder = dcap_qvl::signature::DerSigEncoder;
        type Crypto = MemoCrypto;
    }

    /// dcap-qvl with [`RoomCrypto`] (no cache).
    pub(super) struct RoomConfig;

    impl dcap_qvl::config::Config for RoomConfig {
        type X509 = dcap_qvl::x509::X509CertBackend;
        type SigEncoder = dcap_qvl::signature::DerSigEncoder;
        type Crypto = RoomCrypto;
    }
}

/// Verify a parsed TDX quote against DCAP collateral at time `at`, with `anchor` as the root.
///
/// Never fails: every problem is a failing check in the result. Parse the quote first with
/// [`Quote::parse`]; `raw` must be the bytes it was parsed from. Uses no verify-once cache.
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
/// each is verified once per cache, keyed by the SHA-256 of (algorithm, public key, signature)
/// with the message compared — a pure function, valid at every time. Every date, revocation and
/// TCB rule is still evaluated at `at` on every call, and the quote's own signature is always
/// verified. `None`: no cache. Results are identical to [`verify_quote`]'s.
pub fn verify_quote_with_cache(
    raw: &[u8],
    quote: Quote,
    collateral: &Collateral,
    anchor: &TrustAnchor,
    at: Timestamp,
    opts: &TdxOptions,
    cache: Option<&std::sync::Arc<VerifyCache>>,
) -> TdxVerification {
    let cache = cache.map(std::sync::Arc::as_ref);
    let mut checks = header_checks(raw, &quote);
    checks.push(trust_anchor_check(anchor));
    // The quote's own PCK chain is authoritative; a different chain in the collateral would make
    // dcap-qvl verify the QE report against another platform's key.
    let mut dcap = collateral.as_dcap().clone();
    let quote_chain = match pck_chain_der(&quote, cache) {
        Ok(c) => c,
        Err(e) => {
            checks.push(Check::fail("tdx.pck.chain_format", "PCK chain in the quote is PEM certificates", e.to_string()));
            Vec::new()
        }
    };
    if let Some(c) = chain_root_check(&quote_chain, anchor) {
        checks.push(c);
    }
    if let Some(c) = chain_source_check(&mut dcap, &quote_chain) {
        checks.push(c);
    }
    let result = run_dcap(raw, &quote, &dcap, &quote_chain, anchor, at, cache);
    let dcap_claims = push_dcap_result(&mut checks, result, collateral, anchor, at);
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

/// The checks of the quote's own structure: lengths, QE vendor, certification data types.
fn header_checks(raw: &[u8], quote: &Quote) -> Vec<Check> {
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
    let sig = &quote.signature;
    vec![
        structure,
        Check::from_bool(
            "tdx.quote.qe_vendor",
            "QE vendor is Intel",
            quote.header.qe_vendor_id == INTEL_QE_VENDOR_ID,
            "unknown QE vendor ID",
        )
        .expected(crate::bytes::to_hex(INTEL_QE_VENDOR_ID))
        .actual(crate::bytes::to_hex(quote.header.qe_vendor_id)),
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
    ]
}

/// Which root the chains must end in: the pinned Intel root, or a test root.
fn trust_anchor_check(anchor: &TrustAnchor) -> Check {
    if anchor.is_production() {
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
    }
}

fn sha256_hex(d: &[u8]) -> String {
    crate::bytes::to_hex(crate::crypto::sha256(d))
}

/// Like Intel's QVL: a root carried in the quote's chain (a third certificate) must be the
/// pinned root itself.
fn chain_root_check(quote_chain: &[Vec<u8>], anchor: &TrustAnchor) -> Option<Check> {
    if quote_chain.len() < 3 {
        return None;
    }
    let root = quote_chain.last()?;
    Some(
        Check::from_bool(
            "tdx.pck.chain_root",
            "Root certificate in the quote's PCK chain is the pinned root",
            root.as_slice() == anchor.der(),
            "the quote's chain ends in a different root certificate than the trusted one",
        )
        .expected(format!("sha256:{}", anchor.sha256()))
        .actual(format!("sha256:{}", sha256_hex(root))),
    )
}

/// Where dcap-qvl takes the PCK chain from. A PCK chain in the collateral must equal the
/// quote's; it is then dropped from `dcap` so dcap-qvl uses the quote's own chain.
fn chain_source_check(dcap: &mut dcap_qvl::QuoteCollateralV3, quote_chain: &[Vec<u8>]) -> Option<Check> {
    let coll_chain = dcap.pck_certificate_chain.clone()?;
    if quote_chain.is_empty() {
        return Some(
            Check::pass("tdx.collateral.pck_chain_source", "PCK chain source")
                .actual("collateral (the quote carries no PCK chain)"),
        );
    }
    let coll_der: Vec<Vec<u8>> = pem::parse_many(coll_chain.as_bytes())
        .map(|v| v.into_iter().map(pem::Pem::into_contents).collect())
        .unwrap_or_default();
    let leaf_fp = |c: &[Vec<u8>]| {
        c.first()
            .map(|d| format!("leaf sha256:{}", sha256_hex(d)))
            .unwrap_or_else(|| "no certificate".to_owned())
    };
    dcap.pck_certificate_chain = None;
    Some(
        Check::from_bool(
            "tdx.collateral.pck_chain_source",
            "PCK chain in the collateral equals the one in the quote",
            coll_der == quote_chain,
            "the collateral carries a different PCK chain than the quote (another platform's collateral?)",
        )
        .expected(format!("the quote's chain ({})", leaf_fp(quote_chain)))
        .actual(format!("collateral chain ({})", leaf_fp(&coll_der))),
    )
}

/// dcap-qvl's verification (its claims, or its error as `{:#}`). With a cache, the collateral's
/// signatures are verified first through it and dcap-qvl reuses them (see [`dcap_memo`]).
fn run_dcap(
    raw: &[u8],
    quote: &Quote,
    dcap: &dcap_qvl::QuoteCollateralV3,
    quote_chain: &[Vec<u8>],
    anchor: &TrustAnchor,
    at: Timestamp,
    cache: Option<&VerifyCache>,
) -> Result<QuoteClaims, String> {
    let policy = dcap_qvl::QuotePolicy::claims_only(at.unix());
    let result = match cache {
        None => dcap_qvl::verify::QuoteVerifier::<dcap_memo::RoomConfig>::new_with_config(anchor.der().to_vec())
            .allow_debug(true)
            .allow_service_td(true)
            .verify_with_policy(raw, dcap.clone(), at.unix(), &policy),
        Some(c) => {
            dcap_memo::preverify(c, anchor, dcap, quote, quote_chain);
            dcap_qvl::verify::QuoteVerifier::<dcap_memo::MemoConfig>::new_with_config(anchor.der().to_vec())
                .allow_debug(true)
                .allow_service_td(true)
                .verify_with_policy(raw, dcap.clone(), at.unix(), &policy)
        }
    };
    result.map_err(|e| format!("{e:#}"))
}

/// One check per dcap-qvl stage from its result (see [`dcap_errors`]); the claims on success.
fn push_dcap_result(
    checks: &mut Vec<Check>,
    result: Result<QuoteClaims, String>,
    collateral: &Collateral,
    anchor: &TrustAnchor,
    at: Timestamp,
) -> Option<QuoteClaims> {
    let msg = match result {
        Ok(c) => {
            push_stages(checks, None, "");
            return Some(c);
        }
        Err(msg) => msg,
    };
    let stage = match map_message(&msg) {
        Mapping::Stage(stage) => Some(stage),
        Mapping::CertificateChain => Some(diagnose_chain(collateral, anchor, at)),
        Mapping::Unclassified => None,
    };
    match stage {
        Some(stage) => push_stages(checks, Some(stage), &msg),
        None => {
            for (_, id, title) in STAGES {
                checks.push(Check::skipped(
                    id,
                    title,
                    "not evaluated: dcap-qvl failed with an unclassified error",
                ));
            }
            checks.push(Check::fail(UNCLASSIFIED, "DCAP verification (dcap-qvl)", format!("DCAP verification failed at a step teescan does not classify, so the quote cannot be trusted (dcap-qvl: {msg})")));
        }
    }
    None
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
            // A teescan sentence first (what was checked, what it means), then dcap-qvl's words.
            Some(f) if *stage == f => Check::fail(id, title, format!("{title}: does NOT hold, so the quote cannot be trusted (dcap-qvl: {msg})")),
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
