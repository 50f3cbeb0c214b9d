//! NVIDIA GPU and NVSwitch attestation: SPDM measurement reports ([`spdm`], [`opaque`]), evidence
//! encodings ([`evidence`]), the device certificate chain and FWID ([`chain`]), reference
//! integrity manifests ([`rim`]), OCSP revocation ([`ocsp`]), NRAS tokens ([`nras`]), and the
//! verification of a node ([`verify`]) with its typed claims ([`claims`]).
//! Everything here takes bytes, collateral and a time; nothing fetches.

pub mod chain;
pub mod claims;
pub mod evidence;
pub mod nras;
pub mod ocsp;
pub mod opaque;
pub mod rim;
pub mod spdm;
pub mod verify;
