//! Intel TDX: quote parsing ([`quote`]), DCAP collateral ([`collateral`]), verification
//! ([`verify`]; dcap-qvl's error messages are mapped in `dcap_errors.rs`) and the claims a
//! verified quote yields ([`claims`]).

pub mod attributes;
pub mod claims;
pub mod collateral;
pub(crate) mod dcap_errors;
pub mod quote;
pub mod verify;

pub use collateral::{Collateral, PcsResponses};
pub use quote::Quote;
pub use verify::{verify_quote, TdxOptions, TdxVerification};
