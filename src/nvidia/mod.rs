//! NVIDIA GPU and NVSwitch attestation: SPDM measurement reports ([`spdm`], [`opaque`]), evidence
//! encodings ([`evidence`]), the device certificate chain and FWID ([`chain`]), reference
//! integrity manifests ([`rim`]), OCSP revocation ([`ocsp`]) and NRAS tokens ([`nras`]).
//! Everything here takes bytes, collateral and a time; nothing fetches.

pub mod chain;
pub mod evidence;
pub mod nras;
pub mod ocsp;
pub mod opaque;
pub mod rim;
pub mod spdm;
pub mod verify;
