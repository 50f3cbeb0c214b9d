//! report_data binding schemes: how a provider ties its signing key, TLS key and the caller's
//! nonce into the 64 bytes of REPORTDATA that the TDX module signs. The expected value is
//! computed from the report's (unsigned) inputs and compared with the *verified quote's*
//! REPORTDATA — never with a JSON `report_data` field — which is what authenticates those inputs.

use ring::digest::{digest, SHA256};

/// A binding scheme, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// NEAR compose-manager attestation: `[0:32]` = actions_hash (SHA-256 of the compact JSON
    /// action list), `[32:64]` = nonce. Binds the manager's action log and the nonce, no key.
    ComposeActions,
    /// NEAR/Phala legacy: `[0:32]` = signing address right-padded with zeros, `[32:64]` = nonce.
    /// Binds the key and the nonce, not the TLS connection.
    PaddedSigningAddress,
    /// Chutes: `[0:32]` = SHA-256(ASCII(nonce hex ‖ e2e public key base64)).
    ChutesE2e,
    /// NEAR with TLS: `[0:32]` = SHA-256(signing address ‖ TLS SPKI SHA-256), `[32:64]` = nonce.
    SigningAddressTls,
    /// Tinfoil v3: `[0:32]` = SHA-256(tls_key_fp ‖ hpke_key ‖ nonce ‖ gpu_evidence_hash), `[32:64]` = 0.
    TinfoilV3,
}

impl Scheme {
    /// The name used in policies (`report_data = { scheme = "…" }`).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::ComposeActions => "compose-actions",
            Scheme::PaddedSigningAddress => "padded-signing-address",
            Scheme::ChutesE2e => "chutes-e2e",
            Scheme::SigningAddressTls => "signing-address-tls",
            Scheme::TinfoilV3 => "tinfoil-v3",
        }
    }
    /// Parse a policy name.
    pub fn from_name(s: &str) -> Option<Scheme> {
        [Scheme::ComposeActions, Scheme::PaddedSigningAddress, Scheme::ChutesE2e, Scheme::SigningAddressTls, Scheme::TinfoilV3]
            .into_iter()
            .find(|x| x.name() == s)
    }
    /// Whether the scheme binds the TLS key of the serving endpoint.
    pub fn binds_tls(self) -> bool {
        matches!(self, Scheme::SigningAddressTls | Scheme::TinfoilV3)
    }
}

/// The algorithm of a report's signing key (`signing_algo`), which fixes the length of its
/// signing address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigningAlgo {
    /// secp256k1 ECDSA: the address is the 20-byte Ethereum address of the key.
    Ecdsa,
    /// Ed25519: the address is the 32-byte public key.
    Ed25519,
}

impl SigningAlgo {
    /// Parse `signing_algo` as NEAR and its resellers send it (`ecdsa`, `ed25519`).
    pub fn from_name(s: &str) -> Option<SigningAlgo> {
        match s {
            "ecdsa" => Some(SigningAlgo::Ecdsa),
            "ed25519" => Some(SigningAlgo::Ed25519),
            _ => None,
        }
    }
    /// The length of the signing address under this algorithm.
    pub fn address_len(self) -> usize {
        match self {
            SigningAlgo::Ecdsa => 20,
            SigningAlgo::Ed25519 => 32,
        }
    }
}

/// Length of a Chutes E2E public key (ML-KEM-768 encapsulation key) once base64-decoded.
pub const CHUTES_E2E_KEY_LEN: usize = 1184;

/// The inputs a scheme hashes, as the report states them (unsigned until the binding holds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Signing address bytes (20-byte Ethereum address, or 32-byte Ed25519 key).
    pub signing_address: Option<Vec<u8>>,
    /// The signing key's algorithm, when the report names it (`signing_algo`).
    pub signing_algo: Option<SigningAlgo>,
    /// SHA-256 of the TLS leaf's SPKI (32 bytes).
    pub tls_fingerprint: Option<Vec<u8>>,
    /// The nonce the report says it answers (bytes).
    pub nonce: Option<Vec<u8>>,
    /// Chutes: the nonce as the hex text that was hashed.
    pub nonce_text: Option<String>,
    /// Chutes: the E2E public key as base64 text.
    pub e2e_pubkey: Option<String>,
    /// Tinfoil v3: HPKE key bytes.
    pub hpke_key: Option<Vec<u8>>,
    /// Tinfoil v3: hash of the GPU evidence (computed from the evidence bytes when they are
    /// there; otherwise the stated value).
    pub gpu_evidence_hash: Option<Vec<u8>>,
    /// Tinfoil v3: the `gpu_evidence_hash` the report states (cross-checked, never bound).
    pub stated_gpu_evidence_hash: Option<Vec<u8>>,
    /// Compose manager: the stated SHA-256 of its action list (32 bytes).
    pub actions_hash: Option<Vec<u8>>,
}

/// Check the exact length and encoding of every input `scheme` hashes, before hashing: bytes
/// moved from one component to the next would otherwise hash to the same REPORTDATA while the
/// claims record a 63-byte address (or a 12-byte TLS fingerprint).
pub fn validate(scheme: Scheme, i: &Inputs) -> Result<(), String> {
    let exact = |v: &Option<Vec<u8>>, what: &str, len: usize| match v {
        Some(b) if b.len() != len => Err(format!("{what} is {} bytes, expected {len}", b.len())),
        _ => Ok(()),
    };
    match scheme {
        Scheme::PaddedSigningAddress | Scheme::SigningAddressTls => {
            if let Some(addr) = &i.signing_address {
                match i.signing_algo {
                    Some(a) => exact(&i.signing_address, &format!("the signing address ({})", match a {
                        SigningAlgo::Ecdsa => "ecdsa",
                        SigningAlgo::Ed25519 => "ed25519",
                    }), a.address_len())?,
                    None if addr.len() != 20 && addr.len() != 32 => {
                        return Err(format!("the signing address is {} bytes, expected 20 (ecdsa) or 32 (ed25519)", addr.len()))
                    }
                    None => {}
                }
            }
            exact(&i.tls_fingerprint, "the TLS fingerprint", 32)?;
            exact(&i.nonce, "the nonce", 32)?;
        }
        Scheme::ChutesE2e => {
            if let Some(n) = &i.nonce_text {
                if n.len() != 64 || !n.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                    return Err(format!("the nonce text is not 64 lower-case hex digits ({} characters)", n.len()));
                }
            }
            if let Some(k) = &i.e2e_pubkey {
                use base64::Engine as _;
                let key = base64::engine::general_purpose::STANDARD
                    .decode(k)
                    .map_err(|e| format!("the e2e public key is not base64: {e}"))?;
                if key.len() != CHUTES_E2E_KEY_LEN {
                    return Err(format!("the e2e public key is {} bytes, expected {CHUTES_E2E_KEY_LEN} (ML-KEM-768)", key.len()));
                }
            }
        }
        Scheme::ComposeActions => {
            exact(&i.actions_hash, "the actions hash", 32)?;
            exact(&i.nonce, "the nonce", 32)?;
        }
        Scheme::TinfoilV3 => {
            exact(&i.tls_fingerprint, "the TLS key fingerprint", 32)?;
            exact(&i.hpke_key, "the HPKE key", 32)?;
            exact(&i.nonce, "the nonce", 32)?;
            exact(&i.gpu_evidence_hash, "the GPU evidence hash", 32)?;
        }
    }
    Ok(())
}

/// The expected REPORTDATA under `scheme`, and the mask of bytes the scheme defines (Chutes
/// defines only the first 32). `Err` names a missing input.
pub fn expected(scheme: Scheme, i: &Inputs) -> Result<([u8; 64], usize), String> {
    validate(scheme, i)?;
    let need = |v: &Option<Vec<u8>>, what: &str| v.clone().ok_or_else(|| format!("the report does not carry the {what} the scheme needs"));
    let mut out = [0u8; 64];
    let (first, defined) = match scheme {
        Scheme::ComposeActions => {
            let h = need(&i.actions_hash, "actions hash")?;
            let f: [u8; 32] = h.as_slice().try_into().map_err(|_| format!("actions hash is {} bytes, expected 32", h.len()))?;
            (f, 64)
        }
        Scheme::PaddedSigningAddress => {
            let addr = need(&i.signing_address, "signing address")?;
            if addr.len() > 32 {
                return Err(format!("signing address is {} bytes, more than 32", addr.len()));
            }
            let mut f = [0u8; 32];
            if let Some(dst) = f.get_mut(..addr.len()) {
                dst.copy_from_slice(&addr);
            }
            (f, 64)
        }
        Scheme::SigningAddressTls => {
            let mut m = need(&i.signing_address, "signing address")?;
            m.extend(need(&i.tls_fingerprint, "TLS fingerprint")?);
            (sha(&m), 64)
        }
        Scheme::ChutesE2e => {
            let n = i.nonce_text.clone().ok_or("the report does not carry the nonce text")?;
            let k = i.e2e_pubkey.clone().ok_or("the report does not carry the e2e public key")?;
            (sha(format!("{n}{k}").as_bytes()), 32)
        }
        Scheme::TinfoilV3 => {
            let mut m = need(&i.tls_fingerprint, "TLS key fingerprint")?;
            m.extend(need(&i.hpke_key, "HPKE key")?);
            m.extend(need(&i.nonce, "nonce")?);
            m.extend(need(&i.gpu_evidence_hash, "GPU evidence hash")?);
            (sha(&m), 64)
        }
    };
    if let Some(dst) = out.get_mut(..32) {
        dst.copy_from_slice(&first);
    }
    if matches!(scheme, Scheme::PaddedSigningAddress | Scheme::SigningAddressTls | Scheme::ComposeActions) {
        let nonce = need(&i.nonce, "nonce")?;
        if nonce.len() != 32 {
            return Err(format!("nonce is {} bytes, expected 32", nonce.len()));
        }
        if let Some(dst) = out.get_mut(32..) {
            dst.copy_from_slice(&nonce);
        }
    }
    Ok((out, defined))
}

fn sha(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, b).as_ref());
    out
}

/// Whether `report_data` satisfies `scheme` with `inputs`.
pub fn holds(scheme: Scheme, inputs: &Inputs, report_data: &[u8; 64]) -> Result<bool, String> {
    let (want, defined) = expected(scheme, inputs)?;
    Ok(want.get(..defined) == report_data.get(..defined))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_is_by_strength() {
        for s in [Scheme::ComposeActions, Scheme::PaddedSigningAddress, Scheme::ChutesE2e, Scheme::SigningAddressTls, Scheme::TinfoilV3] {
            assert_eq!(Scheme::from_name(s.name()), Some(s));
        }
        assert!(Scheme::PaddedSigningAddress < Scheme::SigningAddressTls);
        assert!(!Scheme::PaddedSigningAddress.binds_tls());
    }

    #[test]
    fn padded_address_layout() {
        let i = Inputs { signing_address: Some(vec![0xaa; 20]), nonce: Some(vec![7; 32]), ..Inputs::default() };
        let (rd, n) = expected(Scheme::PaddedSigningAddress, &i).unwrap();
        assert_eq!(n, 64);
        assert_eq!(&rd[..20], &[0xaa; 20]);
        assert_eq!(&rd[20..32], &[0; 12]);
        assert_eq!(&rd[32..], &[7; 32]);
        assert!(expected(Scheme::SigningAddressTls, &i).is_err(), "TLS scheme needs the fingerprint");
    }
}
