//! AMD SEV-SNP: the attestation report ([`report`]: versions 2, 3, 5, strict), AMD certificates
//! and CRLs ([`certs`]), verification against the pinned ARKs of `pki::amd` ([`verify`]), the
//! `[snp]` policy ([`policy`]) and the input formats that carry a report ([`formats`]).
//!
//! Checks (stable ids):
//! - `snp.collateral.parse`: every supplied certificate parses (reported only when one does not).
//! - `snp.chain.ark`: the chain ends in the pinned ARK of the report's product; a supplied root
//!   that is not a pinned ARK fails.
//! - `snp.chain.intermediate`: the ASK/ASVK is signed by the ARK (RSASSA-PSS SHA-384), is a CA.
//! - `snp.chain.leaf`: the VCEK/VLEK is signed by the ASK/ASVK.
//! - `snp.chain.validity`: ARK, ASK/ASVK and VCEK/VLEK are valid at the verification time.
//! - `snp.chain.product`: CPUID (v3+), the intermediate's name and the leaf's productName agree.
//! - `snp.report.signing_key`: SIGNING_KEY names the kind of leaf supplied (VCEK or VLEK).
//! - `snp.report.signature`: ECDSA P-384 / SHA-384 over bytes 0x000..0x2A0 by the leaf key.
//! - `snp.vcek.hwid`: the VCEK hwID is the chip ID (64 bytes; Turin 8); a VLEK has none.
//! - `snp.vcek.tcb`: bl/tee/snp/ucode (+ Turin fmc) SPL extensions equal REPORTED_TCB.
//! - `snp.crl`: an ARK-signed CRL, current, not listing the ASK/ASVK (optional unless required:
//!   then absent is indeterminate).
//! - `snp.guest.debug`, `snp.guest.migrate_ma`: those guest-policy bits are clear (unless a
//!   policy allows them); `snp.guest.policy_reserved`: bit 17 set, bits 26..63 clear.
//! - `snp.policy.*` (with a policy, [`policy`]); `snp.binding.report_data`, `snp.nonce` (Tinfoil v3).
//! - `snp.gpu` ([`scan`]): a document carrying GPU evidence is indeterminate (not verified).
//! - `provenance.source[<i>].*` ([`scan`], [`crate::provenance::eval`]): the MEASUREMENT against
//!   the signed release of each `[provenance]` source that provides `snp_measurement`.

pub mod certs;
pub mod formats;
pub mod policy;
pub mod report;
pub mod scan;
pub mod verify;

pub use report::Report;
pub use verify::{verify_report, verify_report_cached, SnpCollateral, SnpOptions, SnpVerification};
