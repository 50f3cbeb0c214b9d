//! Oblivious HTTP key configurations (RFC 9458 §3) and NEAR's `ohttp_attestation`
//! (`{signing_algo, signing_key, key_config, signature}`), which signs the key configuration
//! clients encrypt their requests to.
//!
//! What the signature covers was established on the real NEAR captures (direct node, cloud
//! gateway and model, Venice's wrapped node; all verify): a plain Ed25519 signature over the
//! **raw key-config bytes** (the hex-decoded `key_config`: no prefix, no length, not the hex
//! text), by `signing_key`. Only `ed25519` is verified; for any other `signing_algo` the signed
//! message is not established and the attestation is reported as not verified.

use serde_json::Value;

/// Largest key configuration accepted (a real one is 45 bytes).
pub const MAX_KEY_CONFIG_LEN: usize = 4096;

/// A parsed RFC 9458 key configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConfig {
    /// `key_id`.
    pub key_id: u8,
    /// HPKE KEM id (0x0020 = X25519).
    pub kem_id: u16,
    /// The KEM public key clients encrypt to.
    pub public_key: Vec<u8>,
    /// `(kdf_id, aead_id)` pairs.
    pub suites: Vec<(u16, u16)>,
}

/// Length of a KEM's public key (RFC 9180 §7.1), for the KEMs RFC 9180 defines.
pub fn kem_public_key_len(kem_id: u16) -> Option<usize> {
    match kem_id {
        0x0010 => Some(65),  // DHKEM(P-256)
        0x0011 => Some(97),  // DHKEM(P-384)
        0x0012 => Some(133), // DHKEM(P-521)
        0x0020 => Some(32),  // DHKEM(X25519)
        0x0021 => Some(56),  // DHKEM(X448)
        _ => None,
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let hi = *b.get(at)?;
    let lo = *b.get(at.checked_add(1)?)?;
    Some(u16::from_be_bytes([hi, lo]))
}

/// Parse one key configuration strictly: known KEM, its exact public-key length, a non-empty
/// suite list whose length is a multiple of 4, and no trailing bytes.
pub fn parse_key_config(b: &[u8]) -> Result<KeyConfig, String> {
    if b.len() > MAX_KEY_CONFIG_LEN {
        return Err(format!("{} bytes is more than the {MAX_KEY_CONFIG_LEN}-byte limit", b.len()));
    }
    let key_id = *b.first().ok_or("empty key config")?;
    let kem_id = u16_at(b, 1).ok_or("truncated before kem_id")?;
    let pk_len = kem_public_key_len(kem_id).ok_or_else(|| format!("unknown HPKE KEM 0x{kem_id:04x}"))?;
    let pk_end = pk_len.checked_add(3).ok_or("length overflow")?;
    let public_key = b.get(3..pk_end).ok_or("truncated public key")?.to_vec();
    let suites_len = usize::from(u16_at(b, pk_end).ok_or("truncated before the suites length")?);
    let start = pk_end.checked_add(2).ok_or("length overflow")?;
    let end = start.checked_add(suites_len).ok_or("length overflow")?;
    if suites_len == 0 || suites_len % 4 != 0 {
        return Err(format!("suites length {suites_len} is not a positive multiple of 4"));
    }
    let suite_bytes = b.get(start..end).ok_or("truncated suites")?;
    if end != b.len() {
        return Err(format!("{} trailing bytes after the key config", b.len().saturating_sub(end)));
    }
    let suites = suite_bytes
        .chunks_exact(4)
        .filter_map(|c| Some((u16_at(c, 0)?, u16_at(c, 2)?)))
        .collect();
    Ok(KeyConfig { key_id, kem_id, public_key, suites })
}

/// A parsed `ohttp_attestation` object (all fields as stated, unverified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OhttpAttestation {
    /// `signing_algo` as stated.
    pub signing_algo: String,
    /// `signing_key` bytes.
    pub signing_key: Vec<u8>,
    /// `key_config` bytes (hex-decoded).
    pub key_config: Vec<u8>,
    /// `signature` bytes.
    pub signature: Vec<u8>,
}

fn hex_str(v: &Value, key: &str) -> Result<Vec<u8>, String> {
    let s = v.get(key).and_then(Value::as_str).ok_or_else(|| format!("{key}: missing or not a string"))?;
    let t = s.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    hex::decode(t).map_err(|e| format!("{key}: not hex: {e}"))
}

/// Decode a hex key-config string (`ohttp_key_config` or `ohttp_attestation.key_config`).
pub fn key_config_bytes(v: &Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or("not a string")?;
    let t = s.trim();
    hex::decode(t.strip_prefix("0x").unwrap_or(t)).map_err(|e| format!("not hex: {e}"))
}

/// Parse an `ohttp_attestation` object: string `signing_algo`, hex `signing_key`, `key_config`
/// and `signature`.
pub fn parse_attestation(v: &Value) -> Result<OhttpAttestation, String> {
    if !v.is_object() {
        return Err("not a JSON object".to_owned());
    }
    let signing_algo = v.get("signing_algo").and_then(Value::as_str).ok_or("signing_algo: missing or not a string")?.to_owned();
    Ok(OhttpAttestation {
        signing_algo,
        signing_key: hex_str(v, "signing_key")?,
        key_config: hex_str(v, "key_config")?,
        signature: hex_str(v, "signature")?,
    })
}

/// Verify an attestation's signature: `Ok(true)` verified (Ed25519, strict, over the raw key
/// config bytes), `Ok(false)` not verifiable (an algorithm whose signed message is not
/// established), `Err` invalid.
pub fn verify_attestation(a: &OhttpAttestation) -> Result<bool, String> {
    if !a.signing_algo.eq_ignore_ascii_case("ed25519") {
        return Ok(false);
    }
    super::signature::verify_ed25519_strict(&a.signing_key, &a.key_config, &a.signature).map(|()| true).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const NEAR: &str = "010020a830c65ae624d32cf9336721fcab31e88d3cbf379e7aa033c208e3b10d4f504b00080001000100010003";

    #[test]
    fn a_real_x25519_key_config_parses_and_a_truncated_or_padded_one_does_not() {
        let b = hex::decode(NEAR).unwrap();
        let k = parse_key_config(&b).unwrap();
        assert_eq!((k.key_id, k.kem_id, k.public_key.len()), (1, 0x20, 32));
        assert_eq!(k.suites, vec![(1, 1), (1, 3)]);
        assert!(parse_key_config(&b[..b.len() - 1]).is_err());
        let mut longer = b.clone();
        longer.push(0);
        assert!(parse_key_config(&longer).is_err());
        let mut unknown = b;
        unknown[2] = 0x99;
        assert!(parse_key_config(&unknown).is_err());
    }
}
