//! Client-facing keys: every key a client encrypts to or checks signatures with, and whether the
//! layer's verified quote binds it. Checks (ids prefixed with the layer, e.g. `node.`):
//!
//! * `keys.signing_public_key` — each stated public key of the signing key (`signing_public_key`,
//!   a reseller's `signing_key`) is the key of the layer's `signing_address`: for a 20-byte
//!   (secp256k1) address the Ethereum address derived from the key (keccak256 of the
//!   uncompressed point without `04`, last 20 bytes; a compressed key is decompressed); for a
//!   32-byte (Ed25519) address the key itself. A mismatch or malformed key fails.
//! * `ohttp.key_config` — every stated OHTTP key config (`ohttp_key_config`, each
//!   `ohttp_attestation.key_config`) parses (RFC 9458) and they are all the same bytes, so the
//!   config clients use is the one that is signed.
//! * `ohttp.signature` — each `ohttp_attestation` verifies ([`super::ohttp`]: Ed25519, strict, over
//!   the raw key-config bytes): invalid → fail; valid by the layer's signing address while the
//!   binding holds → pass; valid but by a key this quote does not bind, an algorithm whose signed
//!   message is not established, or no attestation at all → skipped (not required) with the
//!   reason, and the OHTTP key is `bound: false`.
//! * `policy.keys.<kind>` — with `[keys] require_bound`, each listed kind is present and bound.
//!
//! Claims (`keys`): one entry per key the layer states — `signing`, `tls`, `ohttp`, `e2e`,
//! `hpke` — each `{value, bound, how}`. The compose-manager layer has no client-facing keys.

use serde_json::{json, Map, Value};

use super::binding::Scheme;
use super::Layer;
use crate::policy::eval::{self, KeyBinding};
use crate::policy::{KeyKind, Policy};
use crate::report::{Check, Status};

/// Keys and key attestations stated beside a layer's quote, kept as stated (unverified): each
/// with where it was found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attached {
    /// Public keys of the signing key (`signing_public_key`, `signing_key`).
    pub signing_public_keys: Vec<(String, Value)>,
    /// Stated OHTTP key configs (`ohttp_key_config`).
    pub ohttp_key_configs: Vec<(String, Value)>,
    /// `ohttp_attestation` objects.
    pub ohttp_attestations: Vec<(String, Value)>,
    /// `compose_manager_attestation` objects.
    pub compose_managers: Vec<(String, Value)>,
    /// The exact JSON text of every compose-manager `actions` list in the document (to check an
    /// `actions_hash` over the bytes as sent; see [`super::compose_manager`]).
    pub raw_actions: Vec<String>,
    /// This layer is a compose-manager attestation (it carries no client-facing keys).
    pub sub_layer: bool,
}

impl Attached {
    /// What a layer object states; `origin` prefixes the recorded field names.
    pub fn from_json(v: &Value, origin: &str) -> Attached {
        let take = |key: &str| -> Vec<(String, Value)> { v.get(key).map(|x| vec![(format!("{origin}{key}"), x.clone())]).unwrap_or_default() };
        let mut signing_public_keys = take("signing_public_key");
        signing_public_keys.extend(take("signing_key"));
        Attached {
            signing_public_keys,
            ohttp_key_configs: take("ohttp_key_config"),
            ohttp_attestations: take("ohttp_attestation"),
            compose_managers: take("compose_manager_attestation"),
            raw_actions: Vec::new(),
            sub_layer: false,
        }
    }
    /// Add what an enclosing object states (e.g. the top level of a gateway report).
    pub fn adopt(&mut self, outer: Attached) {
        self.signing_public_keys.extend(outer.signing_public_keys);
        self.ohttp_key_configs.extend(outer.ohttp_key_configs);
        self.ohttp_attestations.extend(outer.ohttp_attestations);
        self.compose_managers.extend(outer.compose_managers);
    }
}

fn hex_value(v: &Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or("not a string")?;
    let t = s.trim();
    let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
    hex::decode(t).map_err(|e| format!("not hex: {e}"))
}

/// The signing address a stated public key corresponds to, for an address of `address_len` bytes.
fn address_of(key: &[u8], address_len: usize) -> Result<Vec<u8>, String> {
    match address_len {
        32 => Ok(key.to_vec()),
        20 => {
            let uncompressed = if key.len() == 33 {
                let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| "not a point on secp256k1".to_owned())?;
                vk.to_sec1_point(false).as_bytes().to_vec()
            } else {
                key.to_vec()
            };
            super::signature::eth_address_from_public_key(&uncompressed).map(|a| a.to_vec()).map_err(|e| e.to_string())
        }
        n => Err(format!("a {n}-byte signing address is neither an Ethereum address nor an Ed25519 key")),
    }
}

fn binds_address(s: Scheme) -> bool {
    matches!(s, Scheme::PaddedSigningAddress | Scheme::SigningAddressTls)
}

fn claim(kind: KeyKind, value: Value, bound: bool, how: String) -> (KeyBinding, Value) {
    let entry = json!({ "value": value, "bound": bound, "how": how });
    (KeyBinding { kind, bound, how }, entry)
}

/// The checks and `keys` claims of one layer (see the module doc), with `[keys]` evaluated when
/// `policy` has it. `binding_holds`: the layer's REPORTDATA binding holds on its verified quote.
pub fn scan_keys(layer: &Layer, binding_holds: bool, policy: Option<&Policy>) -> (Vec<Check>, Value) {
    let p = layer.name.as_str();
    let mut checks = Vec::new();
    if layer.attached.sub_layer {
        return (checks, json!("none: the compose manager's attestation carries no client-facing key"));
    }
    let scheme = layer.scheme;
    let mut found: Vec<(KeyBinding, Value)> = Vec::new();
    let not_holding = "the layer's REPORTDATA binding does not hold";

    // Signing key.
    let address = layer.inputs.signing_address.as_deref();
    let mut public_keys_ok = true;
    if !layer.attached.signing_public_keys.is_empty() {
        let title = "Stated signing public keys belong to the signing address";
        let mut bad = Vec::new();
        let mut actual = Vec::new();
        for (origin, v) in &layer.attached.signing_public_keys {
            let derived = match address {
                None => Err("the layer has no signing address".to_owned()),
                Some(a) => hex_value(v).and_then(|k| address_of(&k, a.len())),
            };
            match derived {
                Ok(d) if Some(d.as_slice()) == address => actual.push(format!("{origin} → {}", hex::encode(&d))),
                Ok(d) => {
                    actual.push(format!("{origin} → {}", hex::encode(&d)));
                    bad.push(format!("{origin} is the key of {}, not of the signing address", hex::encode(&d)));
                }
                Err(e) => bad.push(format!("{origin}: {e}")),
            }
        }
        public_keys_ok = bad.is_empty();
        checks.push(
            Check::from_bool(&format!("{p}.keys.signing_public_key"), title, public_keys_ok, bad.join("; "))
                .expected(address.map(hex::encode).unwrap_or_default())
                .actual(actual.join(", ")),
        );
    }
    if let Some(a) = address {
        let bound = binding_holds && binds_address(scheme) && public_keys_ok;
        let how = if !binds_address(scheme) {
            format!("scheme {} does not bind a signing address", scheme.name())
        } else if !binding_holds {
            not_holding.to_owned()
        } else if !public_keys_ok {
            "a stated public key is not the key of the bound address".to_owned()
        } else {
            format!("the address is in REPORTDATA ({})", scheme.name())
        };
        let keys: Vec<Value> = layer.attached.signing_public_keys.iter().map(|(_, v)| v.clone()).collect();
        let (b, mut entry) = claim(KeyKind::Signing, json!(hex::encode(a)), bound, how);
        if let Some(o) = entry.as_object_mut() {
            o.insert("public_keys".to_owned(), Value::Array(keys));
        }
        found.push((b, entry));
    }

    // TLS key.
    if let Some(fp) = &layer.inputs.tls_fingerprint {
        let bound = binding_holds && scheme.binds_tls();
        let how = if !scheme.binds_tls() {
            format!("scheme {} does not bind the TLS key", scheme.name())
        } else if !binding_holds {
            not_holding.to_owned()
        } else {
            format!("SHA-256 of the TLS leaf's SPKI, in REPORTDATA ({}); compare it with the connection's certificate", scheme.name())
        };
        found.push(claim(KeyKind::Tls, json!(hex::encode(fp)), bound, how));
    }

    // OHTTP key config.
    if let Some(entry) = ohttp_checks(layer, binding_holds, &mut checks) {
        found.push(entry);
    }

    // Chutes e2e key and Tinfoil HPKE key: in REPORTDATA under their schemes.
    if let Some(k) = &layer.inputs.e2e_pubkey {
        let bound = binding_holds && scheme == Scheme::ChutesE2e;
        let how = if bound { "SHA-256(nonce hex ‖ e2e_pubkey) is REPORTDATA[0:32] (chutes-e2e)".to_owned() } else { not_holding.to_owned() };
        found.push(claim(KeyKind::E2e, json!(k), bound, how));
    }
    if let Some(k) = &layer.inputs.hpke_key {
        let bound = binding_holds && scheme == Scheme::TinfoilV3;
        let how = if bound { "hashed into REPORTDATA[0:32] (tinfoil-v3)".to_owned() } else { not_holding.to_owned() };
        found.push(claim(KeyKind::Hpke, json!(hex::encode(k)), bound, how));
    }

    if let Some(pol) = policy {
        let bindings: Vec<KeyBinding> = found.iter().map(|(b, _)| b.clone()).collect();
        for mut c in eval::evaluate_keys(pol, &bindings) {
            c.id = format!("{p}.{}", c.id);
            checks.push(c);
        }
    }
    let mut claims = Map::new();
    for (b, entry) in found {
        claims.insert(b.kind.as_str().to_owned(), entry);
    }
    (checks, Value::Object(claims))
}

/// How one OHTTP attestation fared.
enum Outcome {
    Bound,
    NotVerified(String),
    Invalid(String),
}

/// `ohttp.key_config` and `ohttp.signature` for a layer, and its `ohttp` key entry.
fn ohttp_checks(layer: &Layer, binding_holds: bool, checks: &mut Vec<Check>) -> Option<(KeyBinding, Value)> {
    let p = layer.name.as_str();
    let a = &layer.attached;
    if a.ohttp_key_configs.is_empty() && a.ohttp_attestations.is_empty() {
        return None;
    }
    // Every stated config, as bytes.
    let mut configs: Vec<(String, Result<Vec<u8>, String>)> =
        a.ohttp_key_configs.iter().map(|(o, v)| (o.clone(), super::ohttp::key_config_bytes(v))).collect();
    let mut outcomes = Vec::new();
    for (origin, v) in &a.ohttp_attestations {
        match super::ohttp::parse_attestation(v) {
            Err(e) => {
                configs.push((format!("{origin}.key_config"), Err("the attestation does not parse".to_owned())));
                outcomes.push(Outcome::Invalid(format!("{origin}: {e}")));
            }
            Ok(att) => {
                configs.push((format!("{origin}.key_config"), Ok(att.key_config.clone())));
                let address = layer.inputs.signing_address.as_deref();
                outcomes.push(match super::ohttp::verify_attestation(&att) {
                    Err(e) => Outcome::Invalid(format!("{origin}: {e}")),
                    Ok(false) => Outcome::NotVerified(format!(
                        "{origin}: signing_algo {:?}: what the signature covers is not established (only ed25519 is verified)",
                        att.signing_algo
                    )),
                    Ok(true) if Some(att.signing_key.as_slice()) != address => Outcome::NotVerified(format!(
                        "{origin}: signed by {}, a key this layer's quote does not bind (it binds {})",
                        hex::encode(&att.signing_key),
                        address.map(hex::encode).unwrap_or_else(|| "no signing address".to_owned())
                    )),
                    Ok(true) if !(binding_holds && binds_address(layer.scheme)) => {
                        Outcome::Invalid(format!("{origin}: signed by the signing address, but the layer's binding does not hold"))
                    }
                    Ok(true) => Outcome::Bound,
                });
            }
        }
    }

    // The configs: each parses, all equal.
    let mut problems = Vec::new();
    let mut distinct: Vec<Vec<u8>> = Vec::new();
    for (origin, c) in &configs {
        match c {
            Err(e) => problems.push(format!("{origin}: {e}")),
            Ok(b) => {
                if let Err(e) = super::ohttp::parse_key_config(b) {
                    problems.push(format!("{origin}: {e}"));
                }
                if !distinct.contains(b) {
                    distinct.push(b.clone());
                }
            }
        }
    }
    if distinct.len() > 1 {
        problems.push(format!("{} different key configs are stated: the one clients use may not be the signed one", distinct.len()));
    }
    let configs_ok = problems.is_empty();
    let value: Vec<String> = distinct.iter().map(hex::encode).collect();
    checks.push(
        Check::from_bool(&format!("{p}.ohttp.key_config"), "Stated OHTTP key configs parse and are one config", configs_ok, problems.join("; "))
            .actual(value.join(", ")),
    );

    // The signatures.
    let title = "The OHTTP key config is signed by the quote-bound signing key";
    let invalid: Vec<&str> = outcomes.iter().filter_map(|o| if let Outcome::Invalid(s) = o { Some(s.as_str()) } else { None }).collect();
    let unverified: Vec<&str> = outcomes.iter().filter_map(|o| if let Outcome::NotVerified(s) = o { Some(s.as_str()) } else { None }).collect();
    let id = format!("{p}.ohttp.signature");
    let expected = layer.inputs.signing_address.as_deref().map(hex::encode).unwrap_or_default();
    let (check, bound, how) = if outcomes.is_empty() {
        let why = "no ohttp_attestation signs the OHTTP key config: it is not verified".to_owned();
        (Check::new(&id, title, Status::Skipped).reason(why.clone()).optional(), false, why)
    } else if !invalid.is_empty() {
        let why = invalid.join("; ");
        (Check::fail(&id, title, why.clone()).expected(expected), false, why)
    } else if !unverified.is_empty() {
        let why = format!("not verified: {}", unverified.join("; "));
        (Check::new(&id, title, Status::Skipped).reason(why.clone()).optional(), false, why)
    } else {
        let how = format!("Ed25519 over the key-config bytes by the signing address, which is in REPORTDATA ({})", layer.scheme.name());
        (Check::pass(&id, title).expected(expected.clone()).actual(expected).reason(how.clone()), configs_ok, how)
    };
    checks.push(check);
    let how = if configs_ok { how } else { "the stated key configs do not parse or disagree".to_owned() };
    let v = if value.len() == 1 { json!(value.first()) } else { json!(value) };
    Some(claim(KeyKind::Ohttp, v, bound && configs_ok, how))
}
