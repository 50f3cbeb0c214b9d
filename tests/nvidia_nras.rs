//! NRAS token verification against real captured NRAS responses and JWKS (corpus), plus
//! negatives built from the real tokens.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/nras_forge.rs"]
mod nras_forge;

use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Map, Value};
use teescan::nvidia::nras::{
    decode_unverified, parse_detached_eat, parse_jwks, verify_detached_eat, verify_detached_eat_anchored,
    verify_detached_eat_with_leeway, verify_jwt, Jwks, NrasError, NrasVerification,
    MAX_BODY_LEN, MAX_TOKEN_LEN, NRAS_PROD_ISSUER, NRAS_STAGING_ISSUER,
};
use teescan::time::Timestamp;

const NEAR: &str = "nvidia/providers/neardirect-qwen35-teep";
const TINFOIL: &str = "nvidia/providers/tinfoil-gemma4-teep";
const CHUTES: &str = "nvidia/providers/chutes-via-redpill-teep";
const NEAR_IAT: u64 = 1_782_698_794;
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";

fn b64d(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}
fn b64e(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

struct Set {
    body: Vec<u8>,
    jwks: Jwks,
    jwks_json: Value,
    nonce: Vec<u8>,
    iat: u64,
}

fn load(root: &Path, dir: &str, nonce_hex: &str) -> Set {
    let body = corpus::read(root, &format!("{dir}/nras_response.json"));
    let jwks_bytes = corpus::read(root, &format!("{dir}/nras_jwks_at_capture.json"));
    let jwks = parse_jwks(&jwks_bytes).unwrap();
    let eat = parse_detached_eat(&body).unwrap();
    let iat = decode_unverified(&eat.overall).unwrap().claims["iat"].as_u64().unwrap();
    Set { body, jwks, jwks_json: serde_json::from_slice(&jwks_bytes).unwrap(), nonce: unhex(nonce_hex), iat }
}

fn near(root: &Path) -> Set {
    load(root, NEAR, NEAR_NONCE)
}

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix(secs)
}

/// Re-serialize a detached EAT from its parts.
fn body_of(overall: &str, devices: &[(String, String)]) -> Vec<u8> {
    let map: Map<String, Value> = devices.iter().map(|(n, t)| (n.clone(), Value::String(t.clone()))).collect();
    serde_json::to_vec(&json!([["JWT", overall], map])).unwrap()
}

/// Replace a token's header (payload and signature kept).
fn with_header(compact: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut parts = compact.split('.');
    let (h, p, s) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let mut header: Map<String, Value> = serde_json::from_slice(&b64d(h)).unwrap();
    edit(&mut header);
    format!("{}.{p}.{s}", b64e(&serde_json::to_vec(&header).unwrap()))
}

/// Replace bytes of a token's payload (header and signature kept).
fn with_payload_bytes(compact: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut parts = compact.split('.');
    let (h, p, s) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let mut payload = b64d(p);
    edit(&mut payload);
    format!("{h}.{}.{s}", b64e(&payload))
}

fn root_cause(r: Result<NrasVerification, NrasError>) -> NrasError {
    r.unwrap_err().root_cause().clone()
}

// ------------------------------------------------------------------------------------------
// Positive corpus

#[test]
fn near_direct_nine_tokens_verify() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    assert_eq!(s.jwks.len(), 32);
    assert_eq!(s.iat, NEAR_IAT);
    let t0 = std::time::Instant::now();
    let v = verify_detached_eat(&s.body, &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap();
    eprintln!("NEAR 9-token detached EAT verified in {:?} (one-off)", t0.elapsed());
    assert!(v.overall_result);
    assert!(v.is_success());
    assert!(v.failures().is_empty());
    assert_eq!(v.eat_nonce.as_deref(), Some(NEAR_NONCE));
    assert_eq!(v.claims_version.as_deref(), Some("2.0"));
    assert_eq!(v.overall.str_claim("sub"), Some("NVIDIA-PLATFORM-ATTESTATION"));
    assert_eq!(v.overall.exp(), Some(NEAR_IAT + 3600));
    let names: Vec<&str> = v.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["GPU-0", "GPU-1", "GPU-2", "GPU-3", "GPU-4", "GPU-5", "GPU-6", "GPU-7"]);
    for d in &v.devices {
        assert_eq!(d.measres.as_deref(), Some("success"));
        assert!(d.error.is_none());
        assert_eq!(d.token.eat_nonce(), Some(NEAR_NONCE));
        assert_eq!(d.token.str_claim("x-nvidia-gpu-driver-version"), Some("570.172.08"));
        assert_eq!(d.token.kid, v.overall.kid);
        // The submods digest is the SHA-256 of the compact device token.
        assert_eq!(
            v.overall.claims["submods"][&d.name][1][1].as_str().unwrap(),
            d.token.sha256_hex()
        );
    }
    assert_eq!(v.devices[0].token.sha256_hex(), "769ca6f00b3850cec722965328a0144c376bf6337fa15a426caf36003b572434");
    // Valid through the last second before exp; no nonce expected also verifies.
    verify_detached_eat(&s.body, &s.jwks, at(NEAR_IAT + 3599), None, NRAS_PROD_ISSUER).unwrap();
    // Leeway stretches both ends.
    verify_detached_eat_with_leeway(&s.body, &s.jwks, at(NEAR_IAT + 3600), Some(&s.nonce), NRAS_PROD_ISSUER, 10).unwrap();
    verify_detached_eat_with_leeway(&s.body, &s.jwks, at(NEAR_IAT - 5), Some(&s.nonce), NRAS_PROD_ISSUER, 10).unwrap();
    // The nonce compares case-insensitively (the expected nonce is bytes; hex decoding ignores case).
    let upper = unhex(&NEAR_NONCE.to_uppercase());
    verify_detached_eat(&s.body, &s.jwks, at(s.iat), Some(&upper), NRAS_PROD_ISSUER).unwrap();
}

#[test]
fn near_request_nonce_is_the_eat_nonce() {
    let Some(root) = corpus::root() else { return };
    let req: Value = serde_json::from_slice(&corpus::read(&root, &format!("{NEAR}/nras_request.json"))).unwrap();
    let meta: Value = serde_json::from_slice(&corpus::read(&root, &format!("{NEAR}/meta.json"))).unwrap();
    assert_eq!(req["nonce"], NEAR_NONCE);
    assert_eq!(meta["request_nonce"], NEAR_NONCE);
}

#[test]
fn tinfoil_single_gpu_verifies() {
    let Some(root) = corpus::root() else { return };
    let req: Value = serde_json::from_slice(&corpus::read(&root, &format!("{TINFOIL}/nras_request.json"))).unwrap();
    let s = load(&root, TINFOIL, req["nonce"].as_str().unwrap());
    let v = verify_detached_eat(&s.body, &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap();
    assert!(v.overall_result && v.is_success());
    assert_eq!(v.devices.len(), 1);
    assert_eq!(v.devices[0].name, "GPU-0");
    assert_eq!(v.devices[0].token.str_claim("x-nvidia-gpu-driver-version"), Some("595.71.05"));
    assert_eq!(v.eat_nonce.as_deref(), req["nonce"].as_str());
}

#[test]
fn chutes_via_redpill_is_authentic_but_negative() {
    let Some(root) = corpus::root() else { return };
    let meta: Value = serde_json::from_slice(&corpus::read(&root, &format!("{CHUTES}/meta.json"))).unwrap();
    let client_nonce = meta["client_nonce"].as_str().unwrap();
    let s = load(&root, CHUTES, client_nonce);
    let v = verify_detached_eat(&s.body, &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap();
    assert!(!v.overall_result);
    assert!(!v.is_success());
    assert_eq!(v.eat_nonce.as_deref(), Some(client_nonce));
    assert_eq!(v.devices.len(), 8);
    for d in &v.devices {
        let e = d.error.as_ref().expect("error details");
        assert_eq!(e.code, Some(4010));
        assert_eq!(e.message.as_deref(), Some("NONCE_NOT_MATCHING"));
        assert_eq!(e.field_name.as_deref(), Some("nonce"));
        assert!(d.measres.is_none());
        assert!(d.token.eat_nonce().is_none(), "error tokens carry no eat_nonce");
    }
    let failures = v.failures();
    assert_eq!(failures.len(), 8);
    assert_eq!(failures[3], "NRAS says GPU-3 failed: 4010 NONCE_NOT_MATCHING");

    // The GPUs signed the derived nonce sha256(client_nonce_hex ‖ e2e_pubkey_b64) (as the SPDM
    // request in the evidence shows); a caller expecting that one gets a nonce mismatch.
    let derived = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{client_nonce}{}", meta["e2e_pubkey"].as_str().unwrap()).as_bytes(),
    );
    let ev: Value = serde_json::from_slice(&corpus::read(&root, &format!("{CHUTES}/gpu_evidence_instance0.json"))).unwrap();
    let report = base64::engine::general_purpose::STANDARD.decode(ev[0]["evidence"].as_str().unwrap()).unwrap();
    assert_eq!(&report[4..36], derived.as_ref(), "SPDM request nonce is the derived nonce");
    let err = verify_detached_eat(&s.body, &s.jwks, at(s.iat), Some(derived.as_ref()), NRAS_PROD_ISSUER).unwrap_err();
    assert_eq!(
        err,
        NrasError::NonceMismatch {
            token: "overall".to_owned(),
            expected: hex::encode(derived.as_ref()),
            actual: Some(client_nonce.to_owned()),
        }
    );
    assert_eq!(err.code(), "nvidia.nras.nonce");
}

#[test]
fn x5c_chains_to_the_pinned_nras_intermediate() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let eat = parse_detached_eat(&s.body).unwrap();
    let kid = decode_unverified(&eat.overall).unwrap().header["kid"].as_str().unwrap().to_owned();
    let key = s.jwks.get(&kid).unwrap();
    let c = key.check_x5c(at(s.iat)).unwrap();
    assert!(c.leaf_subject.contains("NVIDIA Attestation Service GPU GH100"), "{}", c.leaf_subject);
    assert!(c.anchor_subject.contains("NVIDIA Attestation Service GPU Intermediate 004"));
    assert!(c.anchor_issuer.contains("NVIDIA Attestation Service CA 001"));
    assert_eq!(c.anchor_spki_sha256, teescan::pki::nras::NVIDIA_NRAS_GPU_INTERMEDIATE_004_SPKI_SHA256);
    assert!(c.leaf_not_before <= at(s.iat) && at(s.iat) <= c.leaf_not_after);
    // Outside the leaf's (2-day) validity.
    let late = at(c.leaf_not_after.unix() + 1);
    assert!(matches!(key.check_x5c(late), Err(NrasError::X5c { .. })));
    // Every captured key chains to the pin; keys outside their 2-day window fail on time only.
    let mut valid_now = 0;
    for k in s.jwks.keys() {
        match k.check_x5c(at(s.iat)) {
            Ok(_) => valid_now += 1,
            Err(e) => assert!(e.to_string().contains("Expired") || e.to_string().contains("NotValidYet"), "{}: {e}", k.kid),
        }
    }
    eprintln!("{valid_now} of {} captured JWKS keys have a leaf valid at iat", s.jwks.len());
    assert!(valid_now >= 1);
    // Another key's x5c does not match this key.
    let other = s.jwks.keys().iter().find(|k| k.kid != kid && k.check_x5c(at(s.iat)).is_ok()).unwrap_or(key);
    let mut mixed = key.clone();
    mixed.x5c = other.x5c.clone();
    if other.kid != kid {
        let e = mixed.check_x5c(at(s.iat)).unwrap_err();
        assert!(e.to_string().contains("not the JWK's key"), "{e}");
    }
    // A tampered leaf signature fails.
    let mut tampered = key.clone();
    let n = tampered.x5c[0].len();
    tampered.x5c[0][n - 5] ^= 1;
    assert!(tampered.check_x5c(at(s.iat)).is_err());
    // No x5c, or only the leaf: not usable.
    let mut bare = key.clone();
    bare.x5c.clear();
    assert!(bare.check_x5c(at(s.iat)).unwrap_err().to_string().contains("no x5c"));
    bare.x5c = vec![key.x5c[0].clone()];
    assert!(bare.check_x5c(at(s.iat)).unwrap_err().to_string().contains("only a leaf"));
    // The intermediate in the leaf's place: its key is not the JWK's, and it is a CA.
    let mut swapped = key.clone();
    swapped.x5c = vec![key.x5c[1].clone(), key.x5c[1].clone()];
    assert!(swapped.check_x5c(at(s.iat)).is_err());
    // Without the compiled pin (an empty anchor set cannot be built; a different pin stands in).
    let other_pin = teescan::pki::nras::NrasAnchors::compiled().with_extra([[9u8; 32]]);
    key.check_x5c_with(at(s.iat), &other_pin).unwrap();
}

#[test]
fn tokens_signed_by_a_key_without_a_pinned_chain_fail_before_their_signature() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let eat = parse_detached_eat(&s.body).unwrap();
    let kid = decode_unverified(&eat.overall).unwrap().header["kid"].as_str().unwrap().to_owned();
    // The real signing key with its x5c removed: the real, validly signed tokens do not verify.
    let mut j = s.jwks_json.clone();
    for k in j["keys"].as_array_mut().unwrap() {
        k.as_object_mut().unwrap().remove("x5c");
    }
    let stripped = parse_jwks(&serde_json::to_vec(&j).unwrap()).unwrap();
    let err = verify_detached_eat(&s.body, &stripped, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap_err();
    assert!(matches!(err.root_cause(), NrasError::X5c { kid: k, .. } if *k == kid), "{err}");
    assert_eq!(err.code(), "nvidia.nras.chain");
    // A self-made key (no x5c) signing the real claims.
    let f = nras_forge::Forger::bare();
    let body = f.resign(&s.body, nras_forge::FORGED_KID, |_| {}, |_| {});
    let jwks = parse_jwks(&serde_json::to_vec(&json!({"keys": [f.jwk(nras_forge::FORGED_KID)]})).unwrap()).unwrap();
    let err = verify_detached_eat(&body, &jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap_err();
    assert_eq!(err.code(), "nvidia.nras.chain", "{err}");
    // A self-made chain named like NVIDIA's: refused under the compiled pin, accepted when the
    // caller adds its intermediate (the forgery is otherwise complete).
    let f = nras_forge::Forger::chained(&nras_forge::Validity::default(), false);
    let body = f.resign(&s.body, nras_forge::FORGED_KID, |_| {}, |_| {});
    let jwks = parse_jwks(&serde_json::to_vec(&json!({"keys": [f.jwk(nras_forge::FORGED_KID)]})).unwrap()).unwrap();
    let err = verify_detached_eat(&body, &jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap_err();
    assert_eq!(err.code(), "nvidia.nras.chain", "{err}");
    let pin = teescan::pki::nras::spki_sha256(&f.x5c[1]).unwrap();
    let anchors = teescan::pki::nras::NrasAnchors::compiled().with_extra([pin]);
    let v = verify_detached_eat_anchored(&body, &jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER, 0, &anchors).unwrap();
    assert!(v.is_success());
}

// ------------------------------------------------------------------------------------------
// Header / key negatives on real tokens

#[test]
fn alg_substitution_is_refused_before_the_signature() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let eat = parse_detached_eat(&s.body).unwrap();
    for alg in ["none", "HS256", "ES256", "RS256", "es384", "ES384 "] {
        let tok = with_header(&eat.overall, |h| {
            h.insert("alg".into(), json!(alg));
        });
        assert_eq!(verify_jwt(&tok, &s.jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::AlgNotAllowed(alg.to_owned())));
        // The same token through the detached EAT, as a device token.
        let mut devices = eat.devices.clone();
        devices[0].1 = tok.clone();
        let err = verify_detached_eat(&body_of(&eat.overall, &devices), &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap_err();
        assert_eq!(
            err,
            NrasError::Device { device: "GPU-0".into(), source: Box::new(NrasError::AlgNotAllowed(alg.to_owned())) }
        );
        assert_eq!(err.code(), "nvidia.nras.alg");
    }
    // With the header edited but alg still ES384, the signature is what fails.
    let tok = with_header(&eat.overall, |h| {
        h.insert("x".into(), json!(1));
    });
    assert!(matches!(verify_jwt(&tok, &s.jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::BadSignature { .. })));
    // alg missing, alg not a string, duplicate alg, typ, crit, kid missing.
    let no_alg = with_header(&eat.overall, |h| {
        h.remove("alg");
    });
    assert_eq!(verify_jwt(&no_alg, &s.jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::MissingAlg));
    let num_alg = with_header(&eat.overall, |h| {
        h.insert("alg".into(), json!(384));
    });
    assert_eq!(verify_jwt(&num_alg, &s.jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::MissingAlg));
    let typ = with_header(&eat.overall, |h| {
        h.insert("typ".into(), json!("at+jwt"));
    });
    assert_eq!(verify_jwt(&typ, &s.jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::BadTyp("at+jwt".into())));
    let crit = with_header(&eat.overall, |h| {
        h.insert("crit".into(), json!(["b64"]));
    });
    assert!(matches!(verify_jwt(&crit, &s.jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::CritNotSupported(_))));
    let no_kid = with_header(&eat.overall, |h| {
        h.remove("kid");
    });
    assert_eq!(verify_jwt(&no_kid, &s.jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::MissingKid));
    let p = eat.overall.split_once('.').unwrap().1;
    let dup = format!("{}.{p}", b64e(br#"{"kid":"k","alg":"ES384","alg":"none"}"#));
    assert!(matches!(verify_jwt(&dup, &s.jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::BadJson { segment: "header", .. })));
}

#[test]
fn unknown_kid_and_wrong_key_type() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let eat = parse_detached_eat(&s.body).unwrap();
    let tok = with_header(&eat.overall, |h| {
        h.insert("kid".into(), json!("nv-eat-kid-prod-00000000000000000-nope"));
    });
    assert_eq!(
        verify_jwt(&tok, &s.jwks, at(s.iat), NRAS_PROD_ISSUER),
        Err(NrasError::UnknownKid("nv-eat-kid-prod-00000000000000000-nope".into()))
    );
    // An empty JWKS knows no kid.
    let empty = parse_jwks(br#"{"keys":[]}"#).unwrap();
    assert!(matches!(
        verify_detached_eat(&s.body, &empty, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER),
        Err(NrasError::Overall(e)) if matches!(*e, NrasError::UnknownKid(_))
    ));
    let kid = decode_unverified(&eat.overall).unwrap().header["kid"].as_str().unwrap().to_owned();
    // The signing kid relabelled as P-256: refused as not an ES384 key.
    let mut j = s.jwks_json.clone();
    for k in j["keys"].as_array_mut().unwrap() {
        if k["kid"] == kid.as_str() {
            k["crv"] = json!("P-256");
        }
    }
    let jwks = parse_jwks(&serde_json::to_vec(&j).unwrap()).unwrap();
    assert!(matches!(verify_jwt(&eat.overall, &jwks, at(s.iat), NRAS_PROD_ISSUER), Err(NrasError::KeyNotEs384 { .. })));
    // The signing kid bound to another key's point: the signature fails.
    let mut j = s.jwks_json.clone();
    let other = j["keys"].as_array().unwrap().iter().find(|k| k["kid"] != kid.as_str()).unwrap().clone();
    for k in j["keys"].as_array_mut().unwrap() {
        if k["kid"] == kid.as_str() {
            k["x"] = other["x"].clone();
            k["y"] = other["y"].clone();
        }
    }
    let jwks = parse_jwks(&serde_json::to_vec(&j).unwrap()).unwrap();
    // The key is authenticated before its signature is looked at: its x5c leaf holds another key.
    let err = verify_jwt(&eat.overall, &jwks, at(s.iat), NRAS_PROD_ISSUER).unwrap_err();
    assert!(matches!(&err, NrasError::X5c { kid: k, reason } if *k == kid && reason.contains("not the JWK's key")), "{err}");
}

#[test]
fn jwks_duplicate_kid_and_bounds() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let mut j = s.jwks_json.clone();
    let first = j["keys"][0].clone();
    j["keys"].as_array_mut().unwrap().push(first.clone());
    assert_eq!(
        parse_jwks(&serde_json::to_vec(&j).unwrap()),
        Err(NrasError::DuplicateKid(first["kid"].as_str().unwrap().to_owned()))
    );
    let many = json!({"keys": vec![json!({"kty":"oct","kid":"x"}); 1025]});
    assert!(matches!(parse_jwks(&serde_json::to_vec(&many).unwrap()), Err(NrasError::TooManyKeys { count: 1025, .. })));
    assert!(matches!(parse_jwks(b"not json"), Err(NrasError::JwksMalformed(_))));
    assert!(matches!(parse_jwks(br#"{"keys":[{"kty":"EC"}]}"#), Err(NrasError::JwksMalformed(_))));
    // x5c is kept as DER for reporting.
    assert_eq!(s.jwks.keys()[0].x5c.len(), 2);
    assert_eq!(s.jwks.keys()[0].x5c[0][0], 0x30);
}

// ------------------------------------------------------------------------------------------
// Binding negatives

#[test]
fn altered_device_token_fails_its_signature() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let eat = parse_detached_eat(&s.body).unwrap();
    let mut devices = eat.devices.clone();
    // One byte of one claim: "measres":"success" → "measres":"succesS".
    devices[3].1 = with_payload_bytes(&devices[3].1, |p| {
        let text = String::from_utf8(p.clone()).unwrap();
        let i = text.find("\"success\"").unwrap() + 7;
        p[i] = b'S';
    });
    let err = verify_detached_eat(&body_of(&eat.overall, &devices), &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap_err();
    assert!(matches!(&err, NrasError::Device { device, source } if device == "GPU-3" && matches!(**source, NrasError::BadSignature { .. })), "{err}");
    // One signature bit.
    let mut devices = eat.devices.clone();
    let t = devices[1].1.clone();
    let (si, sig) = t.rsplit_once('.').unwrap();
    let mut sig = b64d(sig);
    sig[10] ^= 0x01;
    devices[1].1 = format!("{si}.{}", b64e(&sig));
    assert!(matches!(
        root_cause(verify_detached_eat(&body_of(&eat.overall, &devices), &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER)),
        NrasError::BadSignature { .. }
    ));
    // A truncated (95-byte) signature.
    let mut devices = eat.devices.clone();
    devices[1].1 = format!("{si}.{}", b64e(&sig[..95]));
    assert_eq!(
        root_cause(verify_detached_eat(&body_of(&eat.overall, &devices), &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER)),
        NrasError::SignatureLength { len: 95, expected: 96 }
    );
}

#[test]
fn swapped_device_tokens_fail_the_submods_digest() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let eat = parse_detached_eat(&s.body).unwrap();
    let mut devices = eat.devices.clone();
    let (a, b) = (devices[0].1.clone(), devices[1].1.clone());
    devices[0].1 = b;
    devices[1].1 = a;
    let err = verify_detached_eat(&body_of(&eat.overall, &devices), &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER).unwrap_err();
    match err {
        NrasError::DigestMismatch { device, expected, actual } => {
            assert_eq!(device, "GPU-0");
            assert_eq!(expected, "769ca6f00b3850cec722965328a0144c376bf6337fa15a426caf36003b572434");
            assert_eq!(actual, "2a672f9566e2e65b70be3e570632f22e8612f038f95082f338656c73090b8119");
        }
        other => panic!("expected DigestMismatch, got {other}"),
    }
    // A device token from another (authentic) NRAS response is refused the same way.
    let t = parse_detached_eat(&corpus::read(&root, &format!("{TINFOIL}/nras_response.json"))).unwrap();
    let mut devices = eat.devices.clone();
    devices[0].1 = t.devices[0].1.clone();
    let mut jwks_json = s.jwks_json.clone();
    let tinfoil_jwks: Value = serde_json::from_slice(&corpus::read(&root, &format!("{TINFOIL}/nras_jwks_at_capture.json"))).unwrap();
    for k in tinfoil_jwks["keys"].as_array().unwrap() {
        if !jwks_json["keys"].as_array().unwrap().iter().any(|x| x["kid"] == k["kid"]) {
            jwks_json["keys"].as_array_mut().unwrap().push(k.clone());
        }
    }
    let both = parse_jwks(&serde_json::to_vec(&jwks_json).unwrap()).unwrap();
    // (Tinfoil's token was issued 89 s later: verify at its iat, within NEAR's hour.)
    let err = verify_detached_eat(&body_of(&eat.overall, &devices), &both, at(s.iat + 100), None, NRAS_PROD_ISSUER).unwrap_err();
    assert!(matches!(err, NrasError::DigestMismatch { .. } | NrasError::NonceInconsistent { .. }), "{err}");
}

#[test]
fn removed_or_added_device_tokens_fail_the_key_set() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let eat = parse_detached_eat(&s.body).unwrap();
    let mut fewer = eat.devices.clone();
    fewer.retain(|(n, _)| n != "GPU-7");
    assert_eq!(
        verify_detached_eat(&body_of(&eat.overall, &fewer), &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER),
        Err(NrasError::SubmodsMismatch { only_in_submods: vec!["GPU-7".into()], only_in_devices: vec![] })
    );
    let mut more = eat.devices.clone();
    more.push(("GPU-8".into(), eat.devices[0].1.clone()));
    assert_eq!(
        verify_detached_eat(&body_of(&eat.overall, &more), &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER),
        Err(NrasError::SubmodsMismatch { only_in_submods: vec![], only_in_devices: vec!["GPU-8".into()] })
    );
    // Renamed: GPU-7's token filed as GPU-9.
    let mut renamed = eat.devices.clone();
    renamed[7].0 = "GPU-9".into();
    assert_eq!(
        verify_detached_eat(&body_of(&eat.overall, &renamed), &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER),
        Err(NrasError::SubmodsMismatch { only_in_submods: vec!["GPU-7".into()], only_in_devices: vec!["GPU-9".into()] })
    );
}

// ------------------------------------------------------------------------------------------
// Claims negatives

#[test]
fn validity_window_issuer_and_nonce() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let exp = NEAR_IAT + 3600;
    let v = |t: u64, n: Option<&[u8]>, iss: &str| verify_detached_eat(&s.body, &s.jwks, at(t), n, iss);
    assert_eq!(
        v(exp + 1, Some(&s.nonce), NRAS_PROD_ISSUER),
        Err(NrasError::Overall(Box::new(NrasError::Expired { exp, at: exp + 1, leeway: 0 })))
    );
    assert_eq!(root_cause(v(exp, Some(&s.nonce), NRAS_PROD_ISSUER)), NrasError::Expired { exp, at: exp, leeway: 0 });
    assert_eq!(
        root_cause(v(NEAR_IAT - 1, Some(&s.nonce), NRAS_PROD_ISSUER)),
        NrasError::NotYetValid { claim: "nbf", value: NEAR_IAT, at: NEAR_IAT - 1, leeway: 0 }
    );
    assert_eq!(
        root_cause(v(s.iat, Some(&s.nonce), NRAS_STAGING_ISSUER)),
        NrasError::IssuerMismatch { expected: NRAS_STAGING_ISSUER.into(), actual: Some(NRAS_PROD_ISSUER.into()) }
    );
    assert!(matches!(
        root_cause(v(s.iat, Some(&s.nonce), "https://nras.attestation.nvidia.com/")),
        NrasError::IssuerMismatch { .. }
    ));
    let mut wrong = s.nonce.clone();
    wrong[31] ^= 1;
    assert_eq!(
        v(s.iat, Some(&wrong), NRAS_PROD_ISSUER),
        Err(NrasError::NonceMismatch { token: "overall".into(), expected: hex::encode(&wrong), actual: Some(NEAR_NONCE.into()) })
    );
    assert!(matches!(v(s.iat, Some(&s.nonce[..16]), NRAS_PROD_ISSUER), Err(NrasError::NonceMismatch { .. })));
    assert!(matches!(v(s.iat, Some(b""), NRAS_PROD_ISSUER), Err(NrasError::NonceMismatch { .. })));
    // Single-token API on a device token.
    let eat = parse_detached_eat(&s.body).unwrap();
    assert!(matches!(verify_jwt(&eat.devices[2].1, &s.jwks, at(exp + 1), NRAS_PROD_ISSUER), Err(NrasError::Expired { .. })));
    let t = verify_jwt(&eat.devices[2].1, &s.jwks, at(s.iat), NRAS_PROD_ISSUER).unwrap();
    assert_eq!(t.str_claim("measres"), Some("success"));
    assert_eq!(t.compact, eat.devices[2].1);
}

// ------------------------------------------------------------------------------------------
// Malformed input: errors, never panics

#[test]
fn malformed_tokens_and_bodies() {
    let Some(root) = corpus::root() else { return };
    let s = near(&root);
    let eat = parse_detached_eat(&s.body).unwrap();
    let o = &eat.overall;
    let vj = |t: &str| verify_jwt(t, &s.jwks, at(s.iat), NRAS_PROD_ISSUER);
    assert_eq!(vj(&format!("{o}.AAAA")), Err(NrasError::SegmentCount(4)));
    assert_eq!(vj(&format!("{o}.")), Err(NrasError::SegmentCount(4)));
    assert_eq!(vj(o.rsplit_once('.').unwrap().0), Err(NrasError::SegmentCount(2)));
    assert_eq!(vj(""), Err(NrasError::SegmentCount(1)));
    assert!(matches!(vj(&format!("{o}==")), Err(NrasError::BadBase64 { segment: "signature", .. })));
    assert!(matches!(vj(&o.replacen('.', "*.", 1)), Err(NrasError::BadBase64 { segment: "header", .. })));
    // Standard-alphabet characters are not base64url.
    let (si, sig) = o.rsplit_once('.').unwrap();
    let std_sig = base64::engine::general_purpose::STANDARD_NO_PAD.encode(b64d(sig));
    if std_sig.contains(['+', '/']) {
        assert!(matches!(vj(&format!("{si}.{std_sig}")), Err(NrasError::BadBase64 { .. })));
    }
    let (h, rest) = o.split_once('.').unwrap();
    let (_, sig_part) = rest.split_once('.').unwrap();
    assert!(matches!(vj(&format!("{h}.!!!.{sig_part}")), Err(NrasError::BadSignature { .. })));
    assert!(matches!(vj(&format!("{h}..{sig_part}")), Err(NrasError::BadSignature { .. })));
    let big = format!("{o}{}", "A".repeat(MAX_TOKEN_LEN));
    assert!(matches!(vj(&big), Err(NrasError::TokenTooLarge { .. })));

    let vb = |b: &[u8]| verify_detached_eat(b, &s.jwks, at(s.iat), Some(&s.nonce), NRAS_PROD_ISSUER);
    assert!(matches!(vb(&vec![b' '; MAX_BODY_LEN + 1]), Err(NrasError::BodyTooLarge { .. })));
    for bad in [
        &b"{}"[..],
        b"[]",
        b"null",
        b"[[\"JWT\",\"a.b.c\"]]",
        b"[[\"JWT\",\"a.b.c\"],{},{}]",
        b"[[\"JWS\",\"a.b.c\"],{\"GPU-0\":\"a.b.c\"}]",
        b"[[\"JWT\",\"a.b.c\",1],{\"GPU-0\":\"a.b.c\"}]",
        b"[[\"JWT\",1],{\"GPU-0\":\"a.b.c\"}]",
        b"[[\"JWT\",\"a.b.c\"],{}]",
        b"[[\"JWT\",\"a.b.c\"],{\"GPU-0\":1}]",
        b"[[\"JWT\",\"a.b.c\"],[\"a.b.c\"]]",
        b"[[\"JWT\",\"a.b.c\"],{\"GPU-0\":\"a.b.c\",\"GPU-0\":\"a.b.c\"}]",
    ] {
        assert!(matches!(vb(bad), Err(NrasError::EatShape(_))), "{}", String::from_utf8_lossy(bad));
    }
    let huge_tok = body_of(&format!("{o}{}", "A".repeat(MAX_TOKEN_LEN)), &eat.devices);
    assert!(matches!(root_cause(vb(&huge_tok)), NrasError::TokenTooLarge { .. }));
    // Every truncation and a sweep of single-byte changes: errors or (for changes outside the
    // signed tokens, e.g. whitespace) a verification, never a panic. Changes inside a token's
    // text always fail.
    for cut in (0..s.body.len()).step_by(97) {
        assert!(vb(&s.body[..cut]).is_err());
    }
    let text = String::from_utf8(s.body.clone()).unwrap();
    let first_tok = text.find("eyJ").unwrap();
    for i in (0..s.body.len()).step_by(53) {
        for x in [0x01u8, 0x20, 0x80] {
            let mut b = s.body.clone();
            b[i] ^= x;
            let r = vb(&b);
            if i > first_tok + 10 && i < first_tok + 1000 {
                assert!(r.is_err(), "byte {i} ^ {x:#x} still verifies");
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Unverifiable samples: shape only

#[test]
fn nvtrust_v3_sample_parses_but_does_not_verify() {
    let Some(root) = corpus::root() else { return };
    let body = corpus::read(&root, "nvidia/nvtrust-sample-h100/nras_detached_eat_claims_v3.json");
    let decoded: Value = serde_json::from_slice(&corpus::read(&root, "nvidia/nvtrust-sample-h100/nras_detached_eat_claims_v3.decoded.json")).unwrap();
    let eat = parse_detached_eat(&body).unwrap();
    assert_eq!(eat.devices.len(), 1);
    assert_eq!(eat.devices[0].0, "GPU-0");
    let overall = decode_unverified(&eat.overall).unwrap();
    assert_eq!(overall.header["alg"], "ES384");
    let kid = overall.header["kid"].as_str().unwrap();
    assert!(kid.starts_with("nv-eat-kid-prod-20250609211310110-"), "{kid}");
    assert_eq!(overall.claims["x-nvidia-ver"], "3.0");
    assert_eq!(overall.claims["iss"], NRAS_PROD_ISSUER);
    assert_eq!(overall.claims["x-nvidia-overall-att-result"], true);
    let dev_hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, eat.devices[0].1.as_bytes()));
    assert_eq!(overall.claims["submods"]["GPU-0"], json!(["DIGEST", ["SHA-256", dev_hash]]));
    let dev = decode_unverified(&eat.devices[0].1).unwrap();
    assert_eq!(Value::Object(dev.claims.clone()), decoded["GPU-0"]);
    let chain = &dev.claims["x-nvidia-gpu-attestation-report-cert-chain"];
    assert_eq!(chain["x-nvidia-cert-status"], "valid");
    assert_eq!(chain["x-nvidia-cert-ocsp-status"], "good");
    assert_eq!(dev.claims["x-nvidia-gpu-attestation-report-cert-chain-fwid-match"], true);
    assert_eq!(dev.claims["measres"], "success");
    let iat = dev.claims["iat"].as_u64().unwrap();
    // The JWKS for this kid has rotated away: verification fails on the kid.
    let s = near(&root);
    assert_eq!(
        verify_detached_eat(&body, &s.jwks, at(iat), None, NRAS_PROD_ISSUER),
        Err(NrasError::Overall(Box::new(NrasError::UnknownKid(kid.to_owned()))))
    );
}

#[test]
fn staging_ls10_eat_parses_but_does_not_verify() {
    let Some(root) = corpus::root() else { return };
    let body = corpus::read(&root, "nvidia/nvswitch-ls10/nras_detached_eat.json");
    let decoded: Value = serde_json::from_slice(&corpus::read(&root, "nvidia/nvswitch-ls10/nras_detached_eat.decoded.json")).unwrap();
    let eat = parse_detached_eat(&body).unwrap();
    assert_eq!(eat.devices.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(), ["SWITCH-0"]);
    let overall = decode_unverified(&eat.overall).unwrap();
    assert!(overall.header["kid"].as_str().unwrap().starts_with("nv-eat-kid-stg-"));
    assert_eq!(overall.claims["iss"], NRAS_STAGING_ISSUER);
    assert_eq!(overall.claims["x-nvidia-ver"], "3.0");
    assert!(overall.claims["submods"]["SWITCH-0"][1][0] == "SHA-256");
    let dev = decode_unverified(&eat.devices[0].1).unwrap();
    assert_eq!(Value::Object(dev.claims.clone()), decoded["SWITCH-0"]);
    assert_eq!(dev.claims["hwmodel"], "LS_10 A01 FSP BROM");
    assert_eq!(dev.claims["x-nvidia-switch-bios-version"], "96.10.55.00.01");
    let iat = dev.claims["iat"].as_u64().unwrap();
    let s = near(&root);
    for iss in [NRAS_PROD_ISSUER, NRAS_STAGING_ISSUER] {
        let err = verify_detached_eat(&body, &s.jwks, at(iat), None, iss).unwrap_err();
        assert!(matches!(err.root_cause(), NrasError::UnknownKid(k) if k.starts_with("nv-eat-kid-stg-")), "{err}");
    }
}
