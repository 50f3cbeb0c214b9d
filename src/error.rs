//! Errors for input that cannot be scanned at all (exit code 2). A scan that runs but finds a
//! problem is not an error: it is a [`crate::report::Report`] with a failing check.

use crate::tdx::collateral::CollateralError;
use crate::tdx::quote::QuoteError;
use crate::time::TimeError;

/// Input that cannot be scanned: unreadable, malformed, unsupported or ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The evidence is not a TDX quote this parser accepts.
    #[error("malformed TDX quote: {0}")]
    Quote(#[from] QuoteError),
    /// The collateral is malformed.
    #[error("malformed collateral: {0}")]
    Collateral(#[from] CollateralError),
    /// A time could not be parsed.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// Any other unusable input, with a stable code.
    #[error("{message}")]
    Input {
        /// Stable code, e.g. `input.encoding`.
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
}

impl Error {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Quote(e) => e.code(),
            Error::Collateral(_) => "input.collateral",
            Error::Time(_) => "input.time",
            Error::Input { code, .. } => code,
        }
    }
}

impl QuoteError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            QuoteError::Truncated { .. } => "tdx.quote.truncated",
            QuoteError::TooLarge { .. } | QuoteError::LengthTooLarge { .. } => {
                "tdx.quote.too_large"
            }
            QuoteError::UnsupportedVersion(_) => "tdx.quote.version",
            QuoteError::NotTdx(_) => "tdx.quote.tee_type",
            QuoteError::UnsupportedKeyType(_) => "tdx.quote.att_key_type",
            QuoteError::UnsupportedBodyType(_) | QuoteError::BodySizeMismatch { .. } => {
                "tdx.quote.body_type"
            }
            QuoteError::SignatureDataLength { .. } => {
                "tdx.quote.length"
            }
            QuoteError::BadPemChain => "tdx.quote.pck_chain_pem",
        }
    }
}
