//! dcap-qvl 0.7.1's error messages, mapped to the stage of its pipeline that produced them.
//!
//! dcap-qvl stops at the first failure with a string error (`{:#}` of an anyhow chain). This file
//! is the one place that reads those strings; dcap-qvl is pinned exactly (`=0.7.1` in Cargo.toml)
//! and every entry of [`MESSAGES`] has a test quoting a message of 0.7.1's source that it decides.
//! The mapping, in order:
//! 1. a [`MESSAGES`] substring: the one found earliest in the message decides (the outermost
//!    anyhow context wins over its causes);
//! 2. else a certificate-chain error (it does not say which chain): [`Mapping::CertificateChain`],
//!    resolved by the caller re-checking the chains;
//! 3. else a bare webpki error name from the root CA revocation check: [`Stage::RootCrl`];
//! 4. else [`Mapping::Unclassified`]: the scan fails under [`UNCLASSIFIED`].

/// The check id of a dcap-qvl failure no entry maps.
pub(crate) const UNCLASSIFIED: &str = "tdx.dcap.unclassified";

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

/// Every stage with its check id and title, in pipeline order.
pub(crate) const STAGES: &[(Stage, &str, &str)] = &[
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
        .unwrap_or(UNCLASSIFIED)
}


/// Substring of a dcap-qvl 0.7.1 error message → the stage that produced it.
pub(crate) const MESSAGES: &[(&str, Stage)] = &[
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
    ("TCBInfo issue date is in the future", Stage::TcbInfoValidity),
    ("TCBInfo expired", Stage::TcbInfoValidity),
    ("Certificate chain is too short for TCB Info", Stage::TcbInfoChain),
    ("TCB Info signer must be issued directly", Stage::TcbInfoChain),
    ("Signature is invalid for tcb_info", Stage::TcbInfoSignature),
    ("Failed to decode QeIdentity", Stage::QeIdentityFormat),
    ("Failed to parse QE Identity", Stage::QeIdentityFormat),
    ("QE Identity issue date is in the future", Stage::QeIdentityValidity),
    ("QE Identity expired", Stage::QeIdentityValidity),
    ("Certificate chain is too short for QE Identity", Stage::QeIdentityChain),
    ("QE Identity signer must be issued directly", Stage::QeIdentityChain),
    ("Signature is invalid for qe_identity", Stage::QeIdentitySignature),
    ("Unsupported QE Identity id/version", Stage::QeIdentityId),
    ("Failed to extract PCK certificates", Stage::PckChain),
    ("Certificate chain is too short in quote", Stage::PckChain),
    ("Failed to parse PCK certificate", Stage::PckChain),
    ("Unsupported DCAP PCK cert format", Stage::PckChain),
    ("Intel extension", Stage::PckChain),
    ("length mismatch", Stage::PckChain),
    ("Failed to find", Stage::PckChain),
    ("Signature is invalid for qe_report", Stage::QeReportSignature),
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
    ("ISV enclave report signature is invalid", Stage::QuoteSignature),
    ("Failed to get signed quote scope", Stage::QuoteSignature),
    ("Fmspc mismatch", Stage::TcbFmspc),
    ("Failed to decode TCB FMSPC", Stage::TcbFmspc),
    ("non-TDX TCB info", Stage::TcbInfoType),
    ("non-SGX TCB info", Stage::TcbInfoType),
    ("current TDX TCB", Stage::CurrentTcbLevel),
    ("TDX module TCB level check", Stage::ModuleLevel),
    ("TDX module identity check", Stage::ModuleIdentity),
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
    ("platform TCB date", Stage::Claims),
    ("time window", Stage::Claims),
];

/// Substrings of a certificate-chain error (`Failed to verify certificate chain: …`, `Too many
/// intermediate certificates: …`): the message does not say which chain failed.
const CHAIN_MESSAGES: &[&str] = &["certificate chain", "intermediate certificates"];

/// Bare webpki errors from the root CA revocation check (dcap-qvl adds no context there); the
/// message is webpki's `Debug` of the error, so it starts with the variant name.
const BARE_WEBPKI_ERRORS: &[&str] = &[
    "CertRevoked",
    "CrlExpired",
    "UnknownRevocationStatus",
    "BadDer",
    "InvalidCrlSignatureForPublicKey",
    "UnsupportedCrlSignatureAlgorithm",
    "IssuerNotCrlSigner",
    "UnsupportedRevocationReason",
];

/// What a dcap-qvl error message says about where verification stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mapping {
    /// This stage failed.
    Stage(Stage),
    /// A certificate chain failed; the message does not say which one.
    CertificateChain,
    /// No entry matches: reported under [`UNCLASSIFIED`].
    Unclassified,
}

/// The [`MESSAGES`] entry that decides `msg`: of the substrings found, the earliest (messages are
/// `context: cause: cause`, so the outermost context decides, not the first table entry).
fn deciding_entry(msg: &str) -> Option<&'static (&'static str, Stage)> {
    MESSAGES
        .iter()
        .filter_map(|entry| msg.find(entry.0).map(|pos| (pos, entry)))
        .min_by_key(|(pos, _)| *pos)
        .map(|(_, entry)| entry)
}

/// Map a dcap-qvl error message (`{:#}` of the anyhow chain) as the module docs say.
pub(crate) fn map_message(msg: &str) -> Mapping {
    if let Some((_, stage)) = deciding_entry(msg) {
        Mapping::Stage(*stage)
    } else if CHAIN_MESSAGES.iter().any(|n| msg.contains(n)) {
        Mapping::CertificateChain
    } else if BARE_WEBPKI_ERRORS.iter().any(|n| msg.starts_with(n)) {
        Mapping::Stage(Stage::RootCrl)
    } else {
        Mapping::Unclassified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One `#[test]` per message, and the same cases as [`CASES`] for the coverage test. Every
    /// quoted string (before the first `: ` of a cause, or `{…}` filled in) is a message of
    /// dcap-qvl 0.7.1's source: `src/verify.rs`, `src/utils.rs`, `src/intel.rs`,
    /// `src/tcb_info.rs`, `src/policy/simple.rs`, or dcap-qvl-webpki's `Error` names.
    macro_rules! messages {
        ($($name:ident: $msg:literal => $expected:expr;)*) => {
            const CASES: &[(&str, Mapping)] = &[$(($msg, $expected)),*];
            $(
                #[test]
                fn $name() {
                    assert_eq!(map_message($msg), $expected, "{}", $msg);
                }
            )*
        };
    }

    use Mapping::{CertificateChain as Chain, Stage as S};

    messages! {
        // verify.rs verify_impl
        load_root_ca: "Failed to load root ca: BadDer" => S(Stage::RootCrl);
        // utils.rs parse_crls
        parse_root_ca_crl: "Failed to parse root CA CRL: Failed to parse CRL: BadDer" => S(Stage::RootCrl);
        // verify.rs claims(): the outer context decides
        parse_root_ca_crl_for_claims: "Failed to parse root CA CRL for claims: CRL number: CRL number too large for u32" => S(Stage::RootCrl);
        parse_pck_crl: "Failed to parse PCK CRL: Failed to parse CRL: BadDer" => S(Stage::PckCrl);
        parse_pck_crl_for_claims: "Failed to parse PCK CRL for claims: CRL number: CRL number too large for u32" => S(Stage::PckCrl);
        decode_quote: "Failed to decode quote: failed to decode" => S(Stage::QuoteHeader);
        quote_version: "Unsupported DCAP quote version" => S(Stage::QuoteHeader);
        qe_vendor: "Unknown QE vendor ID" => S(Stage::QuoteHeader);
        tee_type: "Unsupported TEE type: 17" => S(Stage::QuoteHeader);
        tdx_quote_version: "TDX TEE quote must have version 4 or 5" => S(Stage::QuoteHeader);
        sgx_quote_version: "SGX TEE quote must have version 3" => S(Stage::QuoteHeader);
        attestation_key_type: "Unsupported DCAP attestation key type" => S(Stage::QuoteHeader);
        // verify.rs verify_tcb_info_signature
        decode_tcb_info: "Failed to decode TcbInfo: expected value at line 1 column 1" => S(Stage::TcbInfoFormat);
        tcb_info_issue_date: "Failed to parse TCB Info issue date: Failed to parse RFC3339 datetime: x" => S(Stage::TcbInfoFormat);
        tcb_info_next_update: "Failed to parse TCB Info next update: Failed to parse RFC3339 datetime: x" => S(Stage::TcbInfoFormat);
        // "TCB Info leaf certificate" is decided by "Failed to parse TCB Info" (earlier in the
        // message); the entry for it was removed as it decided nothing.
        tcb_info_leaf: "Failed to parse TCB Info leaf certificate: BadDer" => S(Stage::TcbInfoFormat);
        tcb_info_future: "TCBInfo issue date is in the future" => S(Stage::TcbInfoValidity);
        tcb_info_expired: "TCBInfo expired" => S(Stage::TcbInfoValidity);
        tcb_info_chain_short: "Certificate chain is too short for TCB Info" => S(Stage::TcbInfoChain);
        tcb_info_signer_direct: "TCB Info signer must be issued directly by the root CA" => S(Stage::TcbInfoChain);
        tcb_info_signature: "Signature is invalid for tcb_info in quote_collateral" => S(Stage::TcbInfoSignature);
        // verify.rs verify_qe_identity_signature
        decode_qe_identity: "Failed to decode QeIdentity: expected value at line 1 column 1" => S(Stage::QeIdentityFormat);
        qe_identity_issue_date: "Failed to parse QE Identity issue date: Failed to parse RFC3339 datetime: x" => S(Stage::QeIdentityFormat);
        qe_identity_next_update: "Failed to parse QE Identity next update: Failed to parse RFC3339 datetime: x" => S(Stage::QeIdentityFormat);
        qe_identity_leaf: "Failed to parse QE Identity leaf certificate: BadDer" => S(Stage::QeIdentityFormat);
        qe_identity_future: "QE Identity issue date is in the future" => S(Stage::QeIdentityValidity);
        qe_identity_expired: "QE Identity expired" => S(Stage::QeIdentityValidity);
        qe_identity_chain_short: "Certificate chain is too short for QE Identity" => S(Stage::QeIdentityChain);
        qe_identity_signer_direct: "QE Identity signer must be issued directly by the root CA" => S(Stage::QeIdentityChain);
        qe_identity_signature: "Signature is invalid for qe_identity in quote_collateral" => S(Stage::QeIdentitySignature);
        qe_identity_id: "Unsupported QE Identity id/version for the quote TEE type: QE version 2 (expected TD_QE version [2, 3])" => S(Stage::QeIdentityId);
        // verify.rs verify_pck_cert_chain, utils.rs and intel.rs (PCK extension)
        pck_extract_collateral: "Failed to extract PCK certificates from collateral: Failed to parse certs" => S(Stage::PckChain);
        pck_extract_quote: "Failed to extract PCK certificates from quote: Failed to parse certs" => S(Stage::PckChain);
        pck_chain_short: "Certificate chain is too short in quote" => S(Stage::PckChain);
        pck_parse: "Failed to parse PCK certificate: BadDer" => S(Stage::PckChain);
        pck_cert_format: "Unsupported DCAP PCK cert format: 3. Use get_collateral() to fetch PCK certificate." => S(Stage::PckChain);
        intel_extension_missing: "Intel extension path [1, 2] is missing" => S(Stage::PckChain);
        intel_extension_not_found: "Intel extension not found" => S(Stage::PckChain);
        intel_extension_entry: "Failed to read entry inside Intel extension: Failed to decode DER object" => S(Stage::PckChain);
        fmspc_length: "Fmspc length mismatch" => S(Stage::PckChain);
        cpusvn_length: "CpuSvn length mismatch" => S(Stage::PckChain);
        pcesvn_length: "PceSvn length mismatch" => S(Stage::PckChain);
        find_fmspc: "Failed to find Fmspc: OID is missing" => S(Stage::PckChain);
        find_pcesvn: "Failed to find PceSvn: OID is missing" => S(Stage::PckChain);
        // verify.rs verify_qe_report_signature / verify_qe_report_data
        qe_report_signature: "Signature is invalid for qe_report in quote" => S(Stage::QeReportSignature);
        qe_report_decode: "Failed to decode QE report: failed to decode" => S(Stage::QeReportSignature);
        qe_report_hash: "QE report hash mismatch" => S(Stage::QeReportData);
        qe_auth_data_length: "Invalid QE auth data length" => S(Stage::QeReportData);
        // verify.rs verify_qe_identity_policy / match_qe_tcb_level
        qe_mrsigner: "QE MRSIGNER mismatch: expected 00, got 01" => S(Stage::QeIdentityMatch);
        qe_report_validation: "QE report validation failed: Debug mode is enabled" => S(Stage::QeIdentityMatch);
        qe_isvprodid: "QE ISVPRODID mismatch: expected 2, got 1" => S(Stage::QeIdentityMatch);
        qe_miscselect: "QE MISCSELECT mismatch: expected 00000000 (masked), got 00000001 (masked)" => S(Stage::QeIdentityMatch);
        qe_attributes: "QE ATTRIBUTES mismatch at byte 0: expected 11 (masked), got 13 (masked)" => S(Stage::QeIdentityMatch);
        // policy/simple.rs (not reached under QuotePolicy::claims_only, which teescan uses)
        qe_tcb_too_old: "QE TCB too old: tcb_date_tag 1 + grace 0 < now 2" => S(Stage::QeIdentityMatch);
        qe_tcb_date: "Failed to parse QE TCB date: x" => S(Stage::QeIdentityMatch);
        qe_isvsvn: "QE ISVSVN 1 is below minimum required 2 from QE Identity" => S(Stage::QeIdentityMatch);
        qe_no_tcb_levels: "No TCB levels found in QE Identity" => S(Stage::QeIdentityMatch);
        // verify.rs verify_isv_report_signature
        isv_signature: "ISV enclave report signature is invalid" => S(Stage::QuoteSignature);
        signed_quote_scope: "Failed to get signed quote scope" => S(Stage::QuoteSignature);
        // verify.rs match_platform_tcb
        fmspc_mismatch: "Fmspc mismatch" => S(Stage::TcbFmspc);
        tcb_fmspc_decode: "Failed to decode TCB FMSPC: Odd number of digits" => S(Stage::TcbFmspc);
        non_tdx_tcb_info: "TDX quote with non-TDX TCB info in the collateral" => S(Stage::TcbInfoType);
        non_sgx_tcb_info: "SGX quote with non-SGX TCB info in the collateral" => S(Stage::TcbInfoType);
        current_tdx_tcb: "Failed to evaluate the current TDX TCB (TEE_TCB_SVN2): No matching TCB level found" => S(Stage::CurrentTcbLevel);
        module_level: "TDX module TCB level check: No TDX module identity with id TDX_03 found in TCB Info" => S(Stage::ModuleLevel);
        module_isvsvn: "TDX module TCB level check: TDX module ISVSVN 1 is below minimum required from TDX module TCB levels" => S(Stage::ModuleLevel);
        module_mrsigner: "TDX module identity check: TDX module MRSIGNER mismatch: expected 00, got 01" => S(Stage::ModuleIdentity);
        // "tdxModule" always sits under "TDX module identity check"; its own entry decided
        // nothing and was removed.
        module_missing: "TDX module identity check: TDX TCB Info is missing tdxModule field" => S(Stage::ModuleIdentity);
        module_hex: "TDX module identity check: Failed to decode tdxModule.mrsigner as hex: Odd number of digits" => S(Stage::ModuleIdentity);
        module_seamattributes: "TDX module identity check: TDX module SEAMATTRIBUTES has bits set outside mask at byte 0" => S(Stage::ModuleIdentity);
        no_tcb_level: "No matching TCB level found" => S(Stage::TcbLevel);
        unrecognized_status: "Unrecognized TCB status Revoked in TCB Info" => S(Stage::TcbLevel);
        sgx_component_count: "SGX component count mismatch: expected 16, got 15" => S(Stage::TcbLevel);
        tdx_component_count: "TDX component count mismatch: expected 16, got 15" => S(Stage::TcbLevel);
        revoked: "TCB status is invalid: Revoked" => S(Stage::TcbStatus);
        root_ca_certificate: "Failed to parse root CA certificate: ASN.1 DER message is incomplete" => S(Stage::Claims);
        // verify.rs validate_attrs
        td_attributes_parse: "Failed to parse TD attributes: failed to decode" => S(Stage::TdAttributes);
        td_reserved_bits: "Reserved bits in TD attributes are set" => S(Stage::TdAttributes);
        debug_mode: "Debug mode is enabled" => S(Stage::TdAttributes);
        td_profiling: "TD profiling is enabled" => S(Stage::TdAttributes);
        td_migration: "TD migration is enabled" => S(Stage::TdAttributes);
        servtd_ext: "SERVTD_EXT is enabled" => S(Stage::TdAttributes);
        sept_ve_disable: "SEPT_VE_DISABLE is not enabled" => S(Stage::TdAttributes);
        mr_service_td: "Invalid MR service TD" => S(Stage::TdAttributes);
        // verify.rs claims() and compute_collateral_time_window
        platform_tcb_date: "Failed to parse platform TCB date: Failed to parse RFC3339 datetime: x" => S(Stage::Claims);
        time_window: "Failed to parse certificate for time window: ASN.1 DER message is incomplete" => S(Stage::Claims);
        // utils.rs verify_certificate_chain: resolved by re-checking the chains
        verify_chain: "Failed to verify certificate chain: CertRevoked" => Chain;
        too_many_intermediates: "Too many intermediate certificates: 6" => Chain;
        // verify_impl: check_single_cert_revocation's bare webpki error
        bare_cert_revoked: "CertRevoked" => S(Stage::RootCrl);
        bare_crl_expired: "CrlExpired { time: UnixTime(1700000000), next_update: UnixTime(1690000000) }" => S(Stage::RootCrl);
        bare_unknown_status: "UnknownRevocationStatus" => S(Stage::RootCrl);
        bare_bad_der: "BadDer" => S(Stage::RootCrl);
        bare_crl_signature: "InvalidCrlSignatureForPublicKey" => S(Stage::RootCrl);
        bare_crl_algorithm: "UnsupportedCrlSignatureAlgorithmContext(UnsupportedSignatureAlgorithmContext { signature_algorithm_id: [], supported_algorithms: [] })" => S(Stage::RootCrl);
        bare_not_crl_signer: "IssuerNotCrlSigner" => S(Stage::RootCrl);
        bare_revocation_reason: "UnsupportedRevocationReason" => S(Stage::RootCrl);
        // anything else
        unknown: "something new in dcap-qvl 0.8" => Mapping::Unclassified;
        empty: "" => Mapping::Unclassified;
    }

    #[test]
    fn every_entry_decides_a_quoted_message() {
        for (needle, stage) in MESSAGES {
            assert!(
                CASES.iter().any(|(msg, expected)| {
                    deciding_entry(msg).map(|e| e.0) == Some(*needle) && *expected == Mapping::Stage(*stage)
                }),
                "no test message is decided by {needle:?}"
            );
        }
        for name in BARE_WEBPKI_ERRORS.iter().chain(CHAIN_MESSAGES) {
            assert!(CASES.iter().any(|(msg, _)| msg.contains(name)), "no test message for {name:?}");
        }
    }

    /// The assertions of the former `tdx::verify::tests::classifies_by_outermost_context`.
    #[test]
    fn classifies_by_outermost_context() {
        assert_eq!(map_message("TCBInfo expired"), S(Stage::TcbInfoValidity));
        assert_eq!(
            map_message("TDX module identity check: TDX module MRSIGNER mismatch: expected 00, got 01"),
            S(Stage::ModuleIdentity)
        );
        assert_eq!(
            map_message("TDX module TCB level check: No TDX module identity with id TDX_03 found in TCB Info"),
            S(Stage::ModuleLevel)
        );
        assert_eq!(
            map_message("Failed to evaluate the current TDX TCB (TEE_TCB_SVN2): No matching TCB level found"),
            S(Stage::CurrentTcbLevel)
        );
        // `classify` returned None for these; the chain is then diagnosed by re-checking.
        assert_eq!(map_message("Failed to verify certificate chain: CertRevoked"), Chain);
        assert_eq!(map_message("something new"), Mapping::Unclassified);
        assert_eq!(map_message("CrlExpired { time: 1, next_update: 2 }"), S(Stage::RootCrl));
    }

    #[test]
    fn unknown_messages_are_unclassified() {
        assert_eq!(map_message("something new"), Mapping::Unclassified);
        assert_eq!(stage_id(Stage::Claims), "tdx.collateral.dates");
        assert_eq!(UNCLASSIFIED, "tdx.dcap.unclassified");
    }

    #[test]
    fn every_stage_has_a_distinct_id() {
        let mut ids: Vec<&str> = STAGES.iter().map(|(_, id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), STAGES.len());
    }
}
