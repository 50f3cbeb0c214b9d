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

/// The inputs a scheme hashes, as the report states them (unsigned until the binding holds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Signing address bytes (20-byte Ethereum address, or 32-byte Ed25519 key).
    pub signing_address: Option<Vec<u8>>,
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
    /// Tinfoil v3: hash of the GPU evidence.
    pub gpu_evidence_hash: Option<Vec<u8>>,
    /// Compose manager: the stated SHA-256 of its action list (32 bytes).
    pub actions_hash: Option<Vec<u8>>,
}

/// The expected REPORTDATA under `scheme`, and the mask of bytes the scheme defines (Chutes
/// defines only the first 32). `Err` names a missing input.
pub fn expected(scheme: Scheme, i: &Inputs) -> Result<([u8; 64], usize), String> {
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
