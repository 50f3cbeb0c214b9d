//! The registry of check ids: one entry per check family member a scan can emit, with its id
//! pattern, family, meaning and whether the verdict depends on it. `docs/report-schema.md`
//! ("Check ids") is generated from [`CHECKS`] by [`markdown_table`]; `tests/report_schema.rs`
//! keeps the document equal to it and runs real scans to show every emitted id is listed here.
//!
//! Patterns normalise placeholders:
//! * `<layer>.` — the layer prefix of a provider report (`node.`, `node[1].`, `gateway.`,
//!   `model[0].`, `instance[2].`, `enclave.`, `quote.`, and a compose-manager sub-layer
//!   `<layer>.compose_manager.` / `<layer>.compose_manager[i].`); absent when a quote, GPU
//!   evidence or a node is scanned on its own.
//! * `[i]`, `[j]` — the first and second numeric index after the layer (`gpu[3]` → `gpu[i]`,
//!   `measurement[12]` → `measurement[j]`).
//!
//! The code still writes its ids as literals; this table is the documentation's source, and the
//! test is what keeps the two in sync.

/// What a group of checks is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// The structure of a provider report's layer: required evidence present, none forbidden.
    Evidence,
    /// The TDX quote, its PCK chain, QE, TCB appraisal and TD attributes.
    Tdx,
    /// Intel DCAP collateral: CRLs, TCB Info, QE Identity, availability.
    TdxCollateral,
    /// REPORTDATA bindings and the caller's nonce.
    Binding,
    /// NVIDIA GPU / NVSwitch evidence, per device and across devices.
    Gpu,
    /// NVIDIA Reference Integrity Manifests and the measurements compared with them.
    Rim,
    /// OCSP revocation status of device and RIM certificates.
    Ocsp,
    /// The NVIDIA Remote Attestation Service result.
    Nras,
    /// dstack event-log replay.
    Eventlog,
    /// The dstack compose file and MRCONFIGID.
    Compose,
    /// A NEAR compose-manager attestation (its own checks; as a layer it gets every layer check).
    ComposeManager,
    /// Client-facing signing keys.
    Keys,
    /// OHTTP key configs and their signatures.
    Ohttp,
    /// A per-response signature.
    ResponseSignature,
    /// Policy rules.
    Policy,
    /// A saved evidence bundle.
    Bundle,
    /// The live endpoint a bundle recorded.
    Endpoint,
    /// AMD SEV-SNP: the report, its AMD chain, VCEK extensions, CRL, guest policy, binding.
    Snp,
}

impl Family {
    /// The family's name as in the documentation.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Evidence => "evidence",
            Family::Tdx => "tdx",
            Family::TdxCollateral => "tdx-collateral",
            Family::Binding => "binding",
            Family::Gpu => "gpu",
            Family::Rim => "rim",
            Family::Ocsp => "ocsp",
            Family::Nras => "nras",
            Family::Eventlog => "eventlog",
            Family::Compose => "compose",
            Family::ComposeManager => "compose-manager",
            Family::Keys => "keys",
            Family::Ohttp => "ohttp",
            Family::ResponseSignature => "response-signature",
            Family::Policy => "policy",
            Family::Bundle => "bundle",
            Family::Endpoint => "endpoint",
            Family::Snp => "snp",
        }
    }
}

/// Whether the verdict depends on a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// Always required.
    Yes,
    /// Required unless the policy waives it (`[gpu] rim` / `ocsp = "waived"`): then reported
    /// but optional.
    Waivable,
    /// Required when it can be evaluated; optional when skipped for lack of the input it needs
    /// (no FWID in the report, no OHTTP attestation, no `info` object, no model to compare).
    WhenEvaluated,
}

impl Required {
    /// Short text for the documentation table.
    pub fn as_str(self) -> &'static str {
        match self {
            Required::Yes => "yes",
            Required::Waivable => "unless waived by policy",
            Required::WhenEvaluated => "when evaluated",
        }
    }
}

/// One check id pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSpec {
    /// The id with placeholders (`<layer>.gpu[i].report.nonce`).
    pub pattern: &'static str,
    /// The family it belongs to.
    pub family: Family,
    /// What a pass establishes, in one line.
    pub meaning: &'static str,
    /// Whether the verdict depends on it.
    pub required: Required,
}

const fn spec(pattern: &'static str, family: Family, required: Required, meaning: &'static str) -> CheckSpec {
    CheckSpec { pattern, family, meaning, required }
}

use Family as F;
use Required::{Waivable, WhenEvaluated, Yes};

/// Every check id a scan can emit, grouped by family, in evaluation order within a family.
pub const CHECKS: &[CheckSpec] = &[
    // Provider report layers.
    spec("<layer>.evidence.missing", F::Evidence, Yes, "the evidence the report format requires on this layer is present"),
    spec("<layer>.evidence.unexpected", F::Evidence, Yes, "the layer carries no evidence its role forbids (e.g. GPU evidence on a gateway)"),
    spec("provider.evidence.supported", F::Evidence, Yes, "the report's evidence is of a kind teescan verifies (indeterminate, e.g. SEV-SNP)"),
    // TDX quote.
    spec("<layer>.tdx.quote.structure", F::Tdx, Yes, "the quote parses: every length consistent"),
    spec("<layer>.tdx.quote.qe_vendor", F::Tdx, Yes, "the QE vendor is Intel"),
    spec("<layer>.tdx.quote.cert_data", F::Tdx, Yes, "certification data: a QE report (type 6) wrapping a PCK chain (type 5)"),
    spec("<layer>.tdx.trust_anchor", F::Tdx, Yes, "chains end in the pinned Intel SGX Root CA (or a TEST root, with a warning)"),
    spec("<layer>.tdx.pck.chain_format", F::Tdx, Yes, "the PCK chain in the quote is PEM certificates (emitted only when it is not)"),
    spec("<layer>.tdx.pck.chain_root", F::Tdx, Yes, "a root certificate carried in the quote's PCK chain is the pinned root"),
    spec("<layer>.tdx.quote.header", F::Tdx, Yes, "quote header: version, TEE type, key type, QE vendor (dcap-qvl)"),
    spec("<layer>.tdx.pck.chain", F::Tdx, Yes, "the PCK certificate chains to the root, CRLs current, not revoked"),
    spec("<layer>.tdx.qe.report_signature", F::Tdx, Yes, "the QE report is signed by the PCK key"),
    spec("<layer>.tdx.qe.report_data", F::Tdx, Yes, "the QE report binds the attestation key (SHA-256 of key ‖ auth data)"),
    spec("<layer>.tdx.qe.identity", F::Tdx, Yes, "the QE report matches the QE Identity (MRSIGNER, ISVPRODID, masks, ISVSVN)"),
    spec("<layer>.tdx.quote.signature", F::Tdx, Yes, "the quote header and TD report are signed by the attestation key"),
    spec("<layer>.tdx.tcb.fmspc", F::Tdx, Yes, "the PCK FMSPC matches the TCB Info"),
    spec("<layer>.tdx.tcb.level", F::Tdx, Yes, "a TCB level matches the platform (CPUSVN, PCESVN, TEE_TCB_SVN)"),
    spec("<layer>.tdx.tcb.module_level", F::Tdx, Yes, "the TDX module ISVSVN meets a module TCB level"),
    spec("<layer>.tdx.tcb.module_identity", F::Tdx, Yes, "the TDX module signer and SEAM attributes match the TCB Info"),
    spec("<layer>.tdx.tcb.current_level", F::Tdx, Yes, "the current TCB (TEE_TCB_SVN2) matches a TCB level"),
    spec("<layer>.tdx.tcb.status", F::Tdx, Yes, "TCB status is not Revoked (UpToDate without a policy; the policy decides otherwise)"),
    spec("<layer>.tdx.tcb.pce_id", F::Tdx, Yes, "the PCK's PCE ID matches the TCB Info pceId"),
    spec("<layer>.tdx.td.attributes", F::Tdx, Yes, "TD attributes: no reserved bits, not migratable, SEPT_VE_DISABLE set"),
    spec("<layer>.tdx.td.debug", F::Tdx, Yes, "the TD is not in debug mode (or debug is allowed by the policy)"),
    spec("<layer>.tdx.td.service_td", F::Tdx, Yes, "the TD is not bound to a service TD (or the policy allows it)"),
    spec("<layer>.tdx.dcap.td_attributes", F::Tdx, Yes, "dcap-qvl's own TD attribute rules (emitted only when they fail)"),
    spec("<layer>.tdx.dcap.unclassified", F::Tdx, Yes, "dcap-qvl failed with an error teescan cannot attribute to a stage (always a fail)"),
    // DCAP collateral.
    spec("<layer>.tdx.collateral.available", F::TdxCollateral, Yes, "DCAP collateral for the quote's FMSPC was available (indeterminate when not)"),
    spec("<layer>.tdx.collateral.pck_chain_source", F::TdxCollateral, Yes, "a PCK chain in the collateral equals the quote's, or supplies the one the quote lacks"),
    spec("<layer>.tdx.collateral.root_crl", F::TdxCollateral, Yes, "the root CA CRL is signed by the root, current, and the root is not revoked"),
    spec("<layer>.tdx.collateral.pck_crl", F::TdxCollateral, Yes, "the PCK CRL parses"),
    spec("<layer>.tdx.collateral.tcb_info.format", F::TdxCollateral, Yes, "TCB Info parses"),
    spec("<layer>.tdx.collateral.tcb_info.validity", F::TdxCollateral, Yes, "TCB Info issueDate ≤ time ≤ nextUpdate"),
    spec("<layer>.tdx.collateral.tcb_info.chain", F::TdxCollateral, Yes, "the TCB Info signer chains to the root, not revoked"),
    spec("<layer>.tdx.collateral.tcb_info.signature", F::TdxCollateral, Yes, "the TCB Info signature verifies"),
    spec("<layer>.tdx.collateral.tcb_info.type", F::TdxCollateral, Yes, "the TCB Info is for TDX (id TDX, version ≥ 3)"),
    spec("<layer>.tdx.collateral.qe_identity.format", F::TdxCollateral, Yes, "QE Identity parses"),
    spec("<layer>.tdx.collateral.qe_identity.validity", F::TdxCollateral, Yes, "QE Identity issueDate ≤ time ≤ nextUpdate"),
    spec("<layer>.tdx.collateral.qe_identity.chain", F::TdxCollateral, Yes, "the QE Identity signer chains to the root, not revoked"),
    spec("<layer>.tdx.collateral.qe_identity.signature", F::TdxCollateral, Yes, "the QE Identity signature verifies"),
    spec("<layer>.tdx.collateral.qe_identity.id", F::TdxCollateral, Yes, "the QE Identity is TD_QE (version 2 or 3)"),
    spec("<layer>.tdx.collateral.dates", F::TdxCollateral, Yes, "collateral dates and CRL numbers are readable"),
    // Bindings and freshness.
    spec("<layer>.binding.report_data", F::Binding, Yes, "the quote's REPORTDATA commits to the report's inputs under the format's scheme"),
    spec("<layer>.binding.gpu_evidence_hash", F::Binding, Yes, "a stated gpu_evidence_hash is SHA-256 of the GPU evidence as sent"),
    spec("<layer>.nonce", F::Binding, Yes, "the layer answers the caller's nonce through a binding that holds (fresh)"),
    spec("tdx.binding.nonce", F::Binding, Yes, "a bare quote's REPORTDATA[32..64] carries the caller's nonce under its scheme"),
    spec("node.binding", F::Binding, Yes, "a quote scanned with GPUs names a binding scheme (fails when it does not)"),
    spec("node.binding.nonce", F::Binding, Yes, "the node's quote carries the nonce its GPU reports answer"),
    // GPU evidence.
    spec("<layer>.gpu[i].report.parse", F::Gpu, Yes, "the SPDM measurement report parses (strict)"),
    spec("<layer>.gpu[i].chain", F::Gpu, Yes, "the device certificate chain validates to the NVIDIA Device Identity CA"),
    spec("<layer>.gpu[i].report.signature", F::Gpu, Yes, "the report is signed by the device key of a valid chain"),
    spec("<layer>.gpu[i].chain.fwid", F::Gpu, WhenEvaluated, "the report's FWID equals the leaf certificate's (optional when the report has none)"),
    spec("<layer>.gpu[i].report.nonce", F::Gpu, Yes, "the report carries the expected nonce"),
    spec("<layer>.gpu.consistent", F::Gpu, Yes, "all devices run the same driver, VBIOS and CC feature mode"),
    spec("<layer>.gpu.unique", F::Gpu, Yes, "every device appears once (distinct device identity serials)"),
    spec("<layer>.gpu.topology", F::Gpu, Yes, "protected-PCIe GPUs come with the NVSwitch evidence of their topology"),
    // RIMs and measurements.
    spec("<layer>.gpu[i].rim.driver", F::Rim, Waivable, "the driver RIM derived from the report verifies and matches it"),
    spec("<layer>.gpu[i].rim.vbios", F::Rim, Waivable, "the VBIOS RIM derived from the report verifies and matches it"),
    spec("<layer>.gpu[i].measurements", F::Rim, Waivable, "the report's measurements match the RIMs' golden values"),
    spec("<layer>.gpu[i].rim.driver.measurement[j]", F::Rim, Yes, "one mismatching driver measurement index (or a waived one, passed with the reason)"),
    spec("<layer>.gpu[i].rim.vbios.measurement[j]", F::Rim, Yes, "one mismatching VBIOS measurement index (or a waived one, passed with the reason)"),
    // OCSP.
    spec("<layer>.gpu[i].ocsp.brom", F::Ocsp, Waivable, "OCSP: the device BROM certificate is not revoked"),
    spec("<layer>.gpu[i].ocsp.provisioner_ica", F::Ocsp, Waivable, "OCSP: the provisioner ICA certificate is not revoked"),
    spec("<layer>.gpu[i].ocsp.identity", F::Ocsp, Waivable, "OCSP: the device identity CA certificate is not revoked"),
    spec("<layer>.gpu[i].rim.driver.ocsp[j]", F::Ocsp, Waivable, "OCSP: certificate j of the driver RIM's chain is not revoked"),
    spec("<layer>.gpu[i].rim.vbios.ocsp[j]", F::Ocsp, Waivable, "OCSP: certificate j of the VBIOS RIM's chain is not revoked"),
    // NRAS.
    spec("<layer>.nras.chain", F::Nras, Yes, "every key the NRAS result names chains through its x5c to a pinned NRAS anchor"),
    spec("<layer>.nras.signature", F::Nras, Yes, "the detached EAT verifies: key chain, ES384, issuer, time, nonce, submods"),
    spec("<layer>.nras.count", F::Nras, Yes, "NRAS covered every device in the evidence"),
    spec("<layer>.nras.result", F::Nras, Yes, "the NRAS appraisal is success for the node and every device"),
    spec("nras.applies", F::Nras, Yes, "a supplied NRAS result answers the nonce of some layer's GPUs"),
    // Event log.
    spec("<layer>.eventlog.parse", F::Eventlog, Yes, "the dstack event log parses (known keys, IMR 0-3, 48-byte digests, bounded)"),
    spec("<layer>.eventlog.rtmr0", F::Eventlog, Yes, "the event log replays to the quote's RTMR0"),
    spec("<layer>.eventlog.rtmr1", F::Eventlog, Yes, "the event log replays to the quote's RTMR1"),
    spec("<layer>.eventlog.rtmr2", F::Eventlog, Yes, "the event log replays to the quote's RTMR2"),
    spec("<layer>.eventlog.rtmr3", F::Eventlog, Yes, "the event log replays to the quote's RTMR3"),
    spec("<layer>.eventlog.runtime_digests", F::Eventlog, Yes, "every runtime event's digest recomputes from its name and payload"),
    spec("<layer>.eventlog.named_events", F::Eventlog, Yes, "named runtime events are unique, in IMR 3, and emitted during boot"),
    spec("<layer>.info.consistent", F::Eventlog, WhenEvaluated, "the unsigned info fields agree with the replayed event log"),
    // Compose.
    spec("<layer>.compose.hash", F::Compose, Yes, "SHA-256(app_compose) = the compose-hash event = info.compose_hash"),
    spec("<layer>.compose.mrconfigid", F::Compose, Yes, "MRCONFIGID binds the compose hash"),
    // Compose manager (NEAR).
    spec("<layer>.compose_manager.structure", F::ComposeManager, Yes, "the compose-manager attestation has quote, nonce, actions_hash and actions"),
    spec("<layer>.compose_manager.actions.hash", F::ComposeManager, Yes, "actions_hash is SHA-256 of the compact-JSON action list"),
    spec("<layer>.compose_manager.same_td", F::ComposeManager, Yes, "its TD report equals the parent layer's but for REPORTDATA"),
    // Keys.
    spec("<layer>.keys.signing_public_key", F::Keys, Yes, "every stated public key of the signing key is the signing address's key"),
    spec("<layer>.ohttp.key_config", F::Ohttp, Yes, "the stated OHTTP key configs parse (RFC 9458) and are one config"),
    spec("<layer>.ohttp.signature", F::Ohttp, WhenEvaluated, "the OHTTP key config is signed by the quote-bound signing key"),
    // Response signatures.
    spec("<layer>.response.signature.valid", F::ResponseSignature, Yes, "the per-chat signature verifies and was made by its signing_address"),
    spec("<layer>.response.signature.attested_key", F::ResponseSignature, Yes, "the signer is a layer's attested (REPORTDATA-bound) signing address"),
    spec("<layer>.response.signature.request", F::ResponseSignature, Yes, "the signed text carries the SHA-256 of the request body"),
    spec("<layer>.response.signature.response", F::ResponseSignature, Yes, "the signed text carries the SHA-256 of the response body"),
    spec("<layer>.response.signature.model", F::ResponseSignature, WhenEvaluated, "the signed text names the expected model"),
    // Policy.
    spec("policy.expires", F::Policy, Yes, "the policy is within its review date (indeterminate after it)"),
    spec("policy.tdx.present", F::Policy, Yes, "TDX evidence the policy's [tdx] section applies to is present"),
    spec("<layer>.policy.gpu.present", F::Policy, Yes, "GPU evidence the policy's [gpu] section applies to is present"),
    spec("<layer>.policy.gpu.count", F::Policy, Yes, "[gpu] count: the number of verified GPUs"),
    spec("<layer>.policy.gpu.arch", F::Policy, Yes, "[gpu] arch: every GPU's architecture is allowed"),
    spec("<layer>.policy.gpu.driver_version", F::Policy, Yes, "[gpu] driver_version: every GPU's driver version is allowed"),
    spec("<layer>.policy.gpu.vbios_version", F::Policy, Yes, "[gpu] vbios_version: every GPU's VBIOS version is allowed"),
    spec("<layer>.policy.tdx.tcb.allowed_status", F::Policy, Yes, "[tdx.tcb] allowed_status (with grace periods)"),
    spec("<layer>.policy.tdx.tcb.deny_advisories", F::Policy, Yes, "[tdx.tcb] deny_advisories: none of them applies"),
    spec("<layer>.policy.tdx.tcb.allow_advisories", F::Policy, Yes, "[tdx.tcb] allow_advisories: only these apply"),
    spec("<layer>.policy.tdx.tcb.min_tcb_evaluation_data_number", F::Policy, Yes, "[tdx.tcb] min_tcb_evaluation_data_number"),
    spec("<layer>.policy.tdx.tcb.max_collateral_age", F::Policy, Yes, "[tdx.tcb] max_collateral_age: every collateral item is recent enough"),
    spec("<layer>.policy.tdx.tcb.fmspc", F::Policy, Yes, "[tdx.tcb] fmspc: the platform family is allowed"),
    spec("<layer>.policy.tdx.tcb.qe_vendor_id", F::Policy, Yes, "[tdx.tcb] qe_vendor_id is allowed"),
    spec("<layer>.policy.tdx.td.td_attributes", F::Policy, Yes, "[tdx.td] td_attributes under the mask"),
    spec("<layer>.policy.tdx.td.xfam", F::Policy, Yes, "[tdx.td] xfam under the mask"),
    spec("<layer>.policy.tdx.td.min_tee_tcb_svn", F::Policy, Yes, "[tdx.td] min_tee_tcb_svn, component by component"),
    spec("<layer>.policy.tdx.td.mr_seam", F::Policy, Yes, "[tdx.td] mr_seam (TDX module) is allowed"),
    spec("<layer>.policy.tdx.td.mr_signer_seam", F::Policy, Yes, "[tdx.td] mr_signer_seam is allowed"),
    spec("<layer>.policy.tdx.td.mr_td", F::Policy, Yes, "[tdx.td] mr_td (TD firmware) is allowed"),
    spec("<layer>.policy.tdx.td.rtmr0", F::Policy, Yes, "[tdx.td] rtmr0 is allowed"),
    spec("<layer>.policy.tdx.td.rtmr1", F::Policy, Yes, "[tdx.td] rtmr1 is allowed"),
    spec("<layer>.policy.tdx.td.rtmr2", F::Policy, Yes, "[tdx.td] rtmr2 is allowed"),
    spec("<layer>.policy.tdx.td.rtmr3", F::Policy, Yes, "[tdx.td] rtmr3 is allowed"),
    spec("<layer>.policy.tdx.td.mr_config_id", F::Policy, Yes, "[tdx.td] mr_config_id is allowed"),
    spec("<layer>.policy.tdx.td.mr_owner", F::Policy, Yes, "[tdx.td] mr_owner is allowed"),
    spec("<layer>.policy.tdx.td.mr_owner_config", F::Policy, Yes, "[tdx.td] mr_owner_config is allowed"),
    spec("<layer>.policy.tdx.td.mr_service_td", F::Policy, Yes, "[tdx.td] mr_service_td is allowed"),
    spec("<layer>.policy.tdx.td.seam_attributes", F::Policy, Yes, "[tdx.td] seam_attributes are allowed"),
    spec("<layer>.policy.tdx.td.report_data", F::Policy, Yes, "[tdx.td] report_data: the exact value, or a binding scheme at least as strong"),
    spec("<layer>.policy.keys.signing", F::Policy, Yes, "[keys] require_bound: the layer's signing key is stated and bound"),
    spec("<layer>.policy.keys.tls", F::Policy, Yes, "[keys] require_bound: the layer's TLS key is stated and bound"),
    spec("<layer>.policy.keys.ohttp", F::Policy, Yes, "[keys] require_bound: the layer's OHTTP key is stated and bound"),
    spec("<layer>.policy.keys.e2e", F::Policy, Yes, "[keys] require_bound: the layer's e2e key is stated and bound"),
    spec("<layer>.policy.keys.hpke", F::Policy, Yes, "[keys] require_bound: the layer's HPKE key is stated and bound"),
    // `[provenance]`: expected values from Sigstore-signed releases (src/provenance/eval.rs).
    spec("<layer>.provenance.bundle[i]", F::Policy, Yes, "(failure only) a supplied Sigstore bundle does not verify"),
    spec("<layer>.provenance.source[i].bundle", F::Policy, Yes, "exactly one verified bundle of the source's repository is supplied"),
    spec("<layer>.provenance.source[i].identity", F::Policy, Yes, "the bundle's certificate identity is the publisher the source names"),
    spec("<layer>.provenance.source[i].statement", F::Policy, Yes, "the in-toto statement has the source's predicate type and the looked-up subject"),
    spec("<layer>.provenance.source[i].release", F::Policy, Yes, "the signed release is not older than the source's max_age_days"),
    spec("<layer>.provenance.source[i].predicate", F::Policy, Yes, "(failure only) the predicate lacks the registers"),
    spec("<layer>.provenance.source[i].profile", F::Policy, Yes, "a signed hardware profile has the quote's MRTD and RTMR0"),
    spec("<layer>.provenance.source[i].mrtd", F::Policy, WhenEvaluated, "MRTD equals the signed one (skipped on SEV-SNP)"),
    spec("<layer>.provenance.source[i].rtmr0", F::Policy, WhenEvaluated, "RTMR0 equals the signed one (skipped on SEV-SNP)"),
    spec("<layer>.provenance.source[i].rtmr1", F::Policy, WhenEvaluated, "RTMR1 equals the signed one (skipped on SEV-SNP)"),
    spec("<layer>.provenance.source[i].rtmr2", F::Policy, WhenEvaluated, "RTMR2 equals the signed one (skipped on SEV-SNP)"),
    spec("<layer>.provenance.source[i].snp_measurement", F::Policy, WhenEvaluated, "the SEV-SNP measurement equals the signed one (skipped on TDX)"),
    spec("provenance.trust_root", F::Policy, Yes, "(failure only) the compiled Sigstore trust root does not load"),
    spec("provenance.applies", F::Policy, Yes, "(failure only) the policy has [provenance] and the evidence has no TDX quote"),
    // Bundles.
    spec("bundle.integrity", F::Bundle, Yes, "every saved body matches its recorded SHA-256"),
    spec("endpoint.attestation", F::Endpoint, Yes, "the endpoint answered with an attestation report teescan can read"),
    spec("endpoint.tls", F::Endpoint, Yes, "the outermost layer's verified binding attests the TLS key the report came over"),
    spec("endpoint.e2e", F::Endpoint, Yes, "(live Chutes pair, in place of endpoint.tls) the e2e key the client encrypts to is bound by a verified quote under this scan's nonce"),
    // AMD SEV-SNP (src/snp/).
    spec("snp.collateral.parse", F::Snp, Yes, "every supplied AMD certificate parses (emitted only when one does not)"),
    spec("snp.chain.ark", F::Snp, Yes, "the chain ends in the pinned ARK of the report's product; a supplied root is a pinned ARK"),
    spec("snp.chain.intermediate", F::Snp, Yes, "the ASK (VCEK) or ASVK (VLEK) is a CA signed by the ARK (RSASSA-PSS SHA-384)"),
    spec("snp.chain.leaf", F::Snp, Yes, "the VCEK/VLEK is signed by the ASK/ASVK"),
    spec("snp.chain.validity", F::Snp, Yes, "ARK, ASK/ASVK and VCEK/VLEK are valid at the verification time"),
    spec("snp.chain.product", F::Snp, Yes, "the report's CPUID, the intermediate's name and the leaf's productName name one product"),
    spec("snp.report.signing_key", F::Snp, Yes, "the report's SIGNING_KEY names the kind of certificate supplied (VCEK or VLEK)"),
    spec("snp.report.signature", F::Snp, Yes, "ECDSA P-384 over report bytes 0x000..0x2A0 verifies with the VCEK/VLEK key"),
    spec("snp.vcek.hwid", F::Snp, Yes, "the VCEK hwID is the report's CHIP_ID (8 bytes on Turin); a VLEK has none"),
    spec("snp.vcek.tcb", F::Snp, Yes, "the VCEK/VLEK SPL extensions equal REPORTED_TCB"),
    spec("snp.crl", F::Snp, WhenEvaluated, "an ARK-signed CRL is current and does not list the ASK/ASVK (required by [snp] require_crl)"),
    spec("snp.guest.debug", F::Snp, Yes, "guest policy DEBUG is clear (unless [snp] allow_debug)"),
    spec("snp.guest.migrate_ma", F::Snp, Yes, "guest policy MIGRATE_MA is clear (unless [snp] allow_migrate_ma)"),
    spec("snp.guest.policy_reserved", F::Snp, Yes, "guest policy bit 17 is one and bits 26..63 are zero"),
    spec("snp.binding.report_data", F::Snp, Yes, "REPORT_DATA commits to the format's inputs (Tinfoil v3: TLS key, HPKE key, nonce)"),
    spec("snp.nonce", F::Snp, Yes, "the report answers the caller's nonce"),
    spec("snp.gpu", F::Snp, WhenEvaluated, "(never passes) a document carrying GPU evidence beside its SEV-SNP report: not verified by this version, so indeterminate"),
    spec("policy.snp.present", F::Policy, Yes, "the policy has an [snp] section for the SEV-SNP evidence scanned"),
    spec("policy.snp", F::Policy, Yes, "the [snp] rules are evaluated (skipped when the report is not authentic)"),
    spec("policy.snp.measurement", F::Policy, Yes, "[snp] measurement is allowed"),
    spec("policy.snp.host_data", F::Policy, Yes, "[snp] host_data is allowed"),
    spec("policy.snp.id_key_digest", F::Policy, Yes, "[snp] id_key_digest is allowed"),
    spec("policy.snp.author_key_digest", F::Policy, Yes, "[snp] author_key_digest is allowed"),
    spec("policy.snp.family_id", F::Policy, Yes, "[snp] family_id is allowed"),
    spec("policy.snp.image_id", F::Policy, Yes, "[snp] image_id is allowed"),
    spec("policy.snp.product", F::Policy, Yes, "[snp] product is allowed"),
    spec("policy.snp.min_tcb", F::Policy, Yes, "[snp] min_tcb: REPORTED_TCB meets the minimum per component"),
    spec("policy.snp.min_committed_tcb", F::Policy, Yes, "[snp] min_committed_tcb: COMMITTED_TCB meets the minimum"),
    spec("policy.snp.min_current_tcb", F::Policy, Yes, "[snp] min_current_tcb: CURRENT_TCB meets the minimum"),
    spec("policy.snp.min_guest_svn", F::Policy, Yes, "[snp] min_guest_svn"),
    spec("policy.snp.vmpl", F::Policy, Yes, "[snp] vmpl is allowed"),
    spec("policy.snp.policy", F::Policy, Yes, "[snp] guest policy under the mask"),
    spec("policy.snp.platform_info", F::Policy, Yes, "[snp] platform_info under the mask"),
    spec("policy.snp.allow_smt", F::Policy, Yes, "[snp] allow_smt = false: SMT neither allowed by the guest nor enabled"),
    spec("policy.snp.report_data", F::Policy, Yes, "[snp] report_data: exact bytes, or the format's binding holds"),
];

/// Base names of provider-report layers (an index `[n]` may follow) and the placeholder itself.
const LAYERS: &[&str] = &["<layer>", "node", "gateway", "model", "instance", "enclave", "quote"];

/// `name` or `name[…]` for one of `names`.
fn is_segment_of(segment: &str, names: &[&str]) -> bool {
    let base = segment.split_once('[').map_or(segment, |(b, rest)| if rest.ends_with(']') { b } else { "" });
    names.contains(&base)
}

/// The id with its layer prefix stripped (`node.`, `node[1].`, `gateway.`, `model[0].`,
/// `instance[2].`, `enclave.`, `quote.`, `<layer>.`, each optionally followed by
/// `compose_manager.` / `compose_manager[n].`) and its remaining indices replaced, in order, by
/// `[i]`, `[j]`, `[k]`: `model[0].gpu[3].rim.driver.measurement[12]` →
/// `gpu[i].rim.driver.measurement[j]`. Idempotent; patterns normalise to their lookup key.
pub fn normalise(id: &str) -> String {
    let mut rest = id;
    if let Some((first, tail)) = rest.split_once('.') {
        if is_segment_of(first, LAYERS) {
            rest = tail;
            if let Some((second, tail)) = rest.split_once('.') {
                if is_segment_of(second, &["compose_manager"]) {
                    rest = tail;
                }
            }
        }
    }
    let mut out = String::with_capacity(rest.len());
    let mut letters = ['i', 'j', 'k'].into_iter();
    let mut s = rest;
    while let Some((before, after)) = s.split_once('[') {
        out.push_str(before);
        out.push('[');
        match after.split_once(']') {
            Some((inner, tail)) if !inner.is_empty() && (inner.bytes().all(|b| b.is_ascii_digit()) || matches!(inner, "i" | "j" | "k")) => {
                out.push(letters.next().unwrap_or('n'));
                out.push(']');
                s = tail;
            }
            _ => s = after,
        }
    }
    out.push_str(s);
    out
}

/// The registry entry an emitted id (or a pattern) belongs to.
pub fn lookup(id: &str) -> Option<&'static CheckSpec> {
    let key = normalise(id);
    CHECKS.iter().find(|s| normalise(s.pattern) == key)
}

/// The check-id table of `docs/report-schema.md`, generated from [`CHECKS`].
pub fn markdown_table() -> String {
    let mut out = String::from("| id | family | required | meaning |\n|---|---|---|---|\n");
    for s in CHECKS {
        out.push_str(&format!("| `{}` | {} | {} | {} |\n", s.pattern, s.family.as_str(), s.required.as_str(), s.meaning));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_strips_layers_and_indices() {
        for (id, want) in [
            ("node.tdx.quote.signature", "tdx.quote.signature"),
            ("tdx.quote.signature", "tdx.quote.signature"),
            ("node[1].tdx.quote.signature", "tdx.quote.signature"),
            ("model[0].gpu[3].rim.driver.measurement[12]", "gpu[i].rim.driver.measurement[j]"),
            ("gpu[7].ocsp.brom", "gpu[i].ocsp.brom"),
            ("instance[2].gpu[0].rim.vbios.ocsp[1]", "gpu[i].rim.vbios.ocsp[j]"),
            ("node.compose_manager.tdx.td.debug", "tdx.td.debug"),
            ("node.compose_manager[1].same_td", "same_td"),
            ("gateway.policy.tdx.td.mr_td", "policy.tdx.td.mr_td"),
            ("enclave.nonce", "nonce"),
            ("quote.binding.report_data", "binding.report_data"),
            ("response.signature.valid", "response.signature.valid"),
            ("node.response.signature.valid", "response.signature.valid"),
            ("<layer>.gpu[i].chain", "gpu[i].chain"),
            ("nras.applies", "nras.applies"),
            ("x[ab].y", "x[ab].y"),
            ("x[1", "x[1"),
        ] {
            assert_eq!(normalise(id), want, "{id}");
            assert_eq!(normalise(&normalise(id)), want, "idempotent: {id}");
        }
    }

    #[test]
    fn registry_has_no_duplicates_and_well_formed_patterns() {
        let mut keys = std::collections::BTreeSet::new();
        for s in CHECKS {
            assert!(keys.insert(normalise(s.pattern)), "duplicate key for {}", s.pattern);
            let body = s.pattern.strip_prefix("<layer>.").unwrap_or(s.pattern);
            assert!(!body.contains('<') && !body.contains('>'), "placeholder only as a prefix: {}", s.pattern);
            assert!(body.split('.').all(|seg| !seg.is_empty()), "empty segment: {}", s.pattern);
            let plain: String = body.replace("[i]", "").replace("[j]", "");
            assert!(plain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'), "characters: {}", s.pattern);
            if body.contains("[j]") {
                assert!(body.find("[i]") < body.find("[j]"), "[i] before [j]: {}", s.pattern);
            }
            assert!(!s.meaning.is_empty() && !s.meaning.contains('|') && !s.meaning.contains('\n'), "meaning: {}", s.pattern);
            assert_eq!(lookup(s.pattern), Some(s));
        }
        assert!(lookup("node.tdx.quote.nonexistent").is_none());
    }
}
