//! Evidence encodings: raw binary, hex text, or base64 text, detected strictly.

use base64::Engine as _;

use crate::Error;

/// Largest evidence file read (bounded before decoding).
pub const MAX_INPUT_LEN: usize = 4 * 1024 * 1024;

/// How the evidence was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Raw bytes.
    Binary,
    /// Hex text.
    Hex,
    /// Base64 text (standard or URL-safe alphabet, padded or not).
    Base64,
}

impl Encoding {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Binary => "binary",
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        }
    }
}

fn input_err(code: &'static str, message: impl Into<String>) -> Error {
    Error::Input {
        code,
        message: message.into(),
    }
}

/// Decode a TDX quote given as raw bytes, hex, or base64. A quote starts with version 4 or 5
/// (`04 00` / `05 00`; `03 00` is accepted here and refused by the parser as SGX); text is accepted only if it decodes to such bytes.
pub fn decode_quote(input: &[u8]) -> Result<(Vec<u8>, Encoding), Error> {
    if input.len() > MAX_INPUT_LEN {
        return Err(input_err(
            "input.too_large",
            format!(
                "input is {} bytes; the limit is {MAX_INPUT_LEN}",
                input.len()
            ),
        ));
    }
    if input.is_empty() {
        return Err(input_err("input.empty", "input is empty"));
    }
    // Binary quotes start with their little-endian u16 version; any small version is treated as
    // binary so the parser can name it (hex and base64 text never start with a byte below 0x20).
    if matches!(input, [0..=0x1f, 0, ..]) {
        return Ok((input.to_vec(), Encoding::Binary));
    }
    let text = std::str::from_utf8(input).map_err(|_| {
        input_err(
            "input.encoding",
            "not a TDX quote: binary data that does not start with quote version 4 or 5",
        )
    })?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let compact = compact.strip_prefix("0x").unwrap_or(&compact);
    if compact.is_empty() {
        return Err(input_err("input.empty", "input is only whitespace"));
    }
    if compact.bytes().all(|b| b.is_ascii_hexdigit()) {
        if !compact.len().is_multiple_of(2) {
            return Err(input_err(
                "input.hex",
                format!("hex text has an odd number of digits ({})", compact.len()),
            ));
        }
        let bytes = hex::decode(compact)
            .map_err(|e| input_err("input.hex", format!("invalid hex: {e}")))?;
        return Ok((bytes, Encoding::Hex));
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    for engine in engines {
        if let Ok(bytes) = engine.decode(compact) {
            return Ok((bytes, Encoding::Base64));
        }
    }
    if compact.starts_with('{') || compact.starts_with('[') {
        return Err(input_err(
            "input.format",
            "this is JSON, not a quote: provider reports are not supported yet; pass the raw quote (binary, hex or base64)",
        ));
    }
    Err(input_err(
        "input.encoding",
        "not a TDX quote: text is neither hex nor base64",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encodings() {
        let q = [4u8, 0, 2, 0, 0x81];
        assert_eq!(decode_quote(&q).unwrap(), (q.to_vec(), Encoding::Binary));
        assert_eq!(
            decode_quote(b"0400020081\n").unwrap(),
            (q.to_vec(), Encoding::Hex)
        );
        assert_eq!(
            decode_quote(b"BAACAIE=").unwrap(),
            (q.to_vec(), Encoding::Base64)
        );
        assert_eq!(decode_quote(b"040").unwrap_err().code(), "input.hex");
        assert_eq!(decode_quote(b"").unwrap_err().code(), "input.empty");
        assert_eq!(
            decode_quote(b"{\"a\":1}").unwrap_err().code(),
            "input.format"
        );
        assert_eq!(
            decode_quote(&[0xff, 0xfe, 0]).unwrap_err().code(),
            "input.encoding"
        );
        assert_eq!(decode_quote(b"#$%").unwrap_err().code(), "input.encoding");
    }
}
