//! An NRAS forger from the project's TEST PKI: a self-made P-384 signing key, optionally with an
//! `x5c` chain (leaf + intermediate + root) named exactly like NVIDIA's, used to re-sign the
//! claims of a real captured NRAS result (submods digests recomputed). Nothing made here chains
//! to NVIDIA: every result it signs must fail unless a test pins its intermediate.
#![allow(dead_code)]

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P384_SHA384};
use ring::signature::{EcdsaKeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use serde_json::{json, Map, Value};

pub const FORGED_KID: &str = "nv-eat-kid-prod-20260628170349267-forged";

fn b64u(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
fn b64s(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    d.push(DnType::OrganizationName, "NVIDIA Corporation");
    d.push(DnType::CountryName, "US");
    d
}

/// Validity of the forged certificates: (leaf not_before, leaf not_after) as (y, m, d).
pub struct Validity {
    pub leaf: ((i32, u8, u8), (i32, u8, u8)),
    pub inter: ((i32, u8, u8), (i32, u8, u8)),
}

impl Default for Validity {
    fn default() -> Self {
        Validity { leaf: ((2026, 6, 1), (2026, 8, 1)), inter: ((2025, 12, 8), (2029, 12, 8)) }
    }
}

pub struct Forger {
    pub signer: EcdsaKeyPair,
    /// Uncompressed P-384 point of the signing key.
    pub point: Vec<u8>,
    /// `[leaf, intermediate, root]` DER when made with a chain.
    pub x5c: Vec<Vec<u8>>,
}

impl Forger {
    /// A bare self-made P-384 key (no x5c).
    pub fn bare() -> Forger {
        let kp = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        Self::from_key(&kp, Vec::new())
    }

    /// A self-made key with a TEST-PKI chain named like NVIDIA's: root `NVIDIA Attestation Service
    /// CA 001` → intermediate `NVIDIA Attestation Service GPU Intermediate 004` → leaf `NVIDIA
    /// Attestation Service GPU GH100`. `leaf_is_ca` makes the leaf a CA (which must be refused).
    pub fn chained(v: &Validity, leaf_is_ca: bool) -> Forger {
        let (rk, ik, lk) = (
            KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap(),
            KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap(),
            KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap(),
        );
        let ca = |cn: &str, from: (i32, u8, u8), to: (i32, u8, u8)| {
            let mut p = CertificateParams::default();
            p.distinguished_name = dn(cn);
            p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
            p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            p
        };
        let root = ca("NVIDIA Attestation Service CA 001", (2025, 1, 1), (2035, 1, 1)).self_signed(&rk).unwrap();
        let inter = ca("NVIDIA Attestation Service GPU Intermediate 004", v.inter.0, v.inter.1).signed_by(&ik, &root, &rk).unwrap();
        let mut lp = if leaf_is_ca { ca("NVIDIA Attestation Service GPU GH100", v.leaf.0, v.leaf.1) } else { CertificateParams::default() };
        if !leaf_is_ca {
            lp.distinguished_name = dn("NVIDIA Attestation Service GPU GH100");
            lp.not_before = rcgen::date_time_ymd(v.leaf.0 .0, v.leaf.0 .1, v.leaf.0 .2);
            lp.not_after = rcgen::date_time_ymd(v.leaf.1 .0, v.leaf.1 .1, v.leaf.1 .2);
            lp.is_ca = IsCa::ExplicitNoCa;
            lp.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        }
        let leaf = lp.signed_by(&lk, &inter, &ik).unwrap();
        Self::from_key(&lk, vec![leaf.der().to_vec(), inter.der().to_vec(), root.der().to_vec()])
    }

    fn from_key(kp: &KeyPair, x5c: Vec<Vec<u8>>) -> Forger {
        let rng = ring::rand::SystemRandom::new();
        let signer = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &kp.serialize_der(), &rng).unwrap();
        Forger { signer, point: kp.public_key_raw().to_vec(), x5c }
    }

    /// The JWK of the signing key (with `x5c` when the forger has a chain).
    pub fn jwk(&self, kid: &str) -> Value {
        let (x, y) = self.point[1..].split_at(48);
        let mut k = json!({"kty": "EC", "crv": "P-384", "kid": kid, "x": b64u(x), "y": b64u(y)});
        if !self.x5c.is_empty() {
            k["x5c"] = json!(self.x5c.iter().map(|c| b64s(c)).collect::<Vec<_>>());
        }
        k
    }

    /// Sign `claims` as a compact ES384 JWS with header `{kid, alg}`.
    pub fn sign(&self, kid: &str, claims: &Map<String, Value>) -> String {
        let h = b64u(&serde_json::to_vec(&json!({"kid": kid, "alg": "ES384"})).unwrap());
        let p = b64u(&serde_json::to_vec(claims).unwrap());
        let si = format!("{h}.{p}");
        let sig = self.signer.sign(&ring::rand::SystemRandom::new(), si.as_bytes()).unwrap();
        format!("{si}.{}", b64u(sig.as_ref()))
    }

    /// Re-sign a real detached EAT with this key: every token's claims kept (then passed through
    /// `edit_device` / `edit_overall`), submods digests recomputed.
    pub fn resign(
        &self,
        real_body: &[u8],
        kid: &str,
        edit_device: impl Fn(&mut Map<String, Value>),
        edit_overall: impl Fn(&mut Map<String, Value>),
    ) -> Vec<u8> {
        let doc: Value = serde_json::from_slice(real_body).unwrap();
        let claims_of = |t: &str| -> Map<String, Value> {
            let p = t.split('.').nth(1).unwrap();
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
        };
        let mut devices = Map::new();
        let mut submods = Map::new();
        for (name, tok) in doc[1].as_object().unwrap() {
            let mut c = claims_of(tok.as_str().unwrap());
            edit_device(&mut c);
            let t = self.sign(kid, &c);
            let d = ring::digest::digest(&ring::digest::SHA256, t.as_bytes());
            submods.insert(name.clone(), json!(["DIGEST", ["SHA-256", hex::encode(d)]]));
            devices.insert(name.clone(), Value::String(t));
        }
        let mut overall = claims_of(doc[0][1].as_str().unwrap());
        overall.insert("submods".into(), Value::Object(submods));
        edit_overall(&mut overall);
        serde_json::to_vec(&json!([["JWT", self.sign(kid, &overall)], devices])).unwrap()
    }
}

/// Edit a device token of an NRAS error result (e.g. Chutes' 4010 NONCE_NOT_MATCHING) into a
/// success for `nonce_hex`.
pub fn success_device(nonce_hex: &str) -> impl Fn(&mut Map<String, Value>) + '_ {
    move |c: &mut Map<String, Value>| {
        c.remove("x-nvidia-error-details");
        c.insert("measres".into(), json!("success"));
        c.insert("eat_nonce".into(), json!(nonce_hex));
    }
}

/// Edit the overall token into a success for `nonce_hex`.
pub fn success_overall(nonce_hex: &str) -> impl Fn(&mut Map<String, Value>) + '_ {
    move |c: &mut Map<String, Value>| {
        c.insert("x-nvidia-overall-att-result".into(), json!(true));
        c.insert("eat_nonce".into(), json!(nonce_hex));
    }
}
