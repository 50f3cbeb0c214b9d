//! Per-chat provider signatures (`teescan::provider::signature`). No captured signature payloads
//! exist in the corpus, so the payloads are generated here: a secp256k1 key with a fixed scalar
//! signs EIP-191 over a text built from made-up request/response bodies, and an Ed25519 key from
//! a fixed seed (ring) signs the raw text. Address derivation and recovery are cross-checked
//! against published vectors (key 0x…01, the web3.js `accounts.sign` example, keccak256("")).

use k256::ecdsa::{Signature, SigningKey};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::json;
use teescan::provider::signature::{
    eip191_hash, eth_address_from_public_key, keccak256, parse_signature_payload, parse_text, recover_eip191_address,
    signature_checks, verify_payload, SignatureError, SignaturePayload, SigningAlgo, MAX_SIGNATURE_PAYLOAD_LEN,
};
use teescan::report::{Check, Status};

const MODEL: &str = "Qwen/Qwen3.5-122B-A10B";
const REQUEST: &[u8] = br#"{"model":"Qwen/Qwen3.5-122B-A10B","messages":[{"role":"user","content":"What is 2+2?"}],"stream":false}"#;
const RESPONSE: &[u8] = br#"{"id":"chatcmpl-7f3c","object":"chat.completion","created":1767225600,"model":"Qwen/Qwen3.5-122B-A10B","choices":[{"index":0,"message":{"role":"assistant","content":"4"},"finish_reason":"stop"}]}"#;
const STREAM: &[u8] = b"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"4\"}}]}\n\ndata: [DONE]\n\n";

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, b))
}

fn text3(req: &[u8], resp: &[u8]) -> String {
    format!("{MODEL}:{}:{}", sha256_hex(req), sha256_hex(resp))
}

fn secp_key() -> SigningKey {
    // A fixed test scalar (never a real key).
    let scalar = hex::decode("6c1f0e3bd8a4a3f5b6a1c9e2d7f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7").unwrap();
    SigningKey::from_slice(&scalar).unwrap()
}

fn uncompressed(sk: &SigningKey) -> Vec<u8> {
    sk.verifying_key().to_sec1_point(false).as_bytes().to_vec()
}

fn eth_address(sk: &SigningKey) -> [u8; 20] {
    eth_address_from_public_key(&uncompressed(sk)).unwrap()
}

/// personal_sign: 65 bytes r ‖ s ‖ v with v = 27 + recovery id.
fn personal_sign(sk: &SigningKey, text: &str) -> Vec<u8> {
    let (sig, recid) = sk.sign_prehash_recoverable(&eip191_hash(text));
    assert_eq!(sig.normalize_s(), sig, "k256 signs low-s");
    let mut out = sig.to_bytes().to_vec();
    out.push(27 + recid.to_byte());
    out
}

fn ecdsa_payload(sk: &SigningKey, text: &str) -> SignaturePayload {
    SignaturePayload {
        text: text.to_owned(),
        signature: personal_sign(sk, text),
        signing_address: eth_address(sk).to_vec(),
        algo: SigningAlgo::EcdsaSecp256k1Eip191,
        kind: Some("provider_tee".to_owned()),
    }
}

fn ed_key() -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).unwrap()
}

fn ed_payload(kp: &Ed25519KeyPair, text: &str) -> SignaturePayload {
    SignaturePayload {
        text: text.to_owned(),
        signature: kp.sign(text.as_bytes()).as_ref().to_vec(),
        signing_address: kp.public_key().as_ref().to_vec(),
        algo: SigningAlgo::Ed25519,
        kind: None,
    }
}

fn status(checks: &[Check], suffix: &str) -> Status {
    let id = format!("node.signature.{suffix}");
    checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id} in {checks:#?}")).status
}

fn all_pass(checks: &[Check]) {
    assert_eq!(checks.len(), 5, "{checks:#?}");
    for c in checks {
        assert_eq!(c.status, Status::Pass, "{c:#?}");
        assert!(c.required, "{c:#?}");
    }
}

/// The full check matrix for a valid payload `p` made by the key whose address is `addr`.
fn matrix(p: &SignaturePayload, addr: &[u8]) {
    // Valid → every check passes.
    assert_eq!(verify_payload(p), Ok(()));
    all_pass(&signature_checks("node", p, Some(addr), Some(REQUEST), Some(RESPONSE), Some(MODEL)));

    // Claimed signing_address of another key → valid fails (and, against the attested key, attested_key too).
    let mut other = p.clone();
    if let Some(b) = other.signing_address.first_mut() {
        *b ^= 1;
    }
    assert!(matches!(verify_payload(&other), Err(SignatureError::Invalid(_))));
    let c = signature_checks("node", &other, Some(addr), Some(REQUEST), Some(RESPONSE), Some(MODEL));
    assert_eq!(status(&c, "valid"), Status::Fail);
    assert_eq!(status(&c, "attested_key"), Status::Fail);

    // Tampered text (one hash hex digit changed) → valid fails; the hashes then disagree too.
    let mut t = p.clone();
    let last = t.text.pop().unwrap();
    t.text.push(if last == '0' { '1' } else { '0' });
    assert!(verify_payload(&t).is_err());
    let c = signature_checks("node", &t, Some(addr), Some(REQUEST), Some(RESPONSE), Some(MODEL));
    assert_eq!(status(&c, "valid"), Status::Fail);
    assert_eq!(status(&c, "response"), Status::Fail);

    // Tampered model in the text → valid fails, model fails.
    let mut t = p.clone();
    t.text = t.text.replacen("Qwen3.5", "Qwen3.6", 1);
    assert!(verify_payload(&t).is_err());
    let c = signature_checks("node", &t, Some(addr), Some(REQUEST), Some(RESPONSE), Some(MODEL));
    assert_eq!(status(&c, "valid"), Status::Fail);
    assert_eq!(status(&c, "model"), Status::Fail);

    // A flipped bit in any of r, s, or (Ed25519) R, S → valid fails, without panicking.
    for i in [0usize, 31, 32, 63] {
        let mut f = p.clone();
        f.signature[i] ^= 0x01;
        assert!(verify_payload(&f).is_err(), "byte {i}");
        let c = signature_checks("node", &f, Some(addr), Some(REQUEST), Some(RESPONSE), Some(MODEL));
        assert_eq!(status(&c, "valid"), Status::Fail, "byte {i}");
    }

    // Request or response body off by one byte → exactly that check fails.
    let mut req = REQUEST.to_vec();
    req[10] ^= 0x20;
    let c = signature_checks("node", p, Some(addr), Some(&req), Some(RESPONSE), Some(MODEL));
    assert_eq!(status(&c, "request"), Status::Fail);
    assert_eq!(status(&c, "response"), Status::Pass);
    assert_eq!(status(&c, "valid"), Status::Pass);
    let mut resp = RESPONSE.to_vec();
    resp.push(b'\n'); // e.g. a re-serialised body with a trailing newline
    let c = signature_checks("node", p, Some(addr), Some(REQUEST), Some(&resp), Some(MODEL));
    assert_eq!(status(&c, "response"), Status::Fail);
    assert_eq!(status(&c, "request"), Status::Pass);

    // Attested key ≠ signer → attested_key fails while valid passes.
    let mut attested = addr.to_vec();
    attested[0] ^= 0x80;
    let c = signature_checks("node", p, Some(&attested), Some(REQUEST), Some(RESPONSE), Some(MODEL));
    assert_eq!(status(&c, "attested_key"), Status::Fail);
    assert_eq!(status(&c, "valid"), Status::Pass);
    // An attested key of the wrong length (e.g. a 32-byte report_data field) also fails.
    let c = signature_checks("node", p, Some(&[0u8; 32][..addr.len().min(31)]), Some(REQUEST), Some(RESPONSE), None);
    assert_eq!(status(&c, "attested_key"), Status::Fail);

    // Missing inputs → required skips (never a pass); no expected model → optional skip.
    let c = signature_checks("node", p, None, None, None, None);
    for s in ["attested_key", "request", "response", "model"] {
        assert_eq!(status(&c, s), Status::Skipped, "{s}");
    }
    let required: Vec<_> = c.iter().filter(|c| c.required).map(|c| c.id.as_str()).collect();
    assert_eq!(required, ["node.signature.valid", "node.signature.attested_key", "node.signature.request", "node.signature.response"]);
    assert_eq!(teescan::report::Verdict::from_checks(&c), teescan::report::Verdict::Indeterminate);

    // Wrong expected model → model fails.
    let c = signature_checks("node", p, Some(addr), Some(REQUEST), Some(RESPONSE), Some("Qwen/Qwen3-8B"));
    assert_eq!(status(&c, "model"), Status::Fail);
}

#[test]
fn keccak256_of_empty_input() {
    assert_eq!(hex::encode(keccak256(b"")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

#[test]
fn address_of_private_key_one() {
    let mut one = [0u8; 32];
    one[31] = 1;
    let sk = SigningKey::from_slice(&one).unwrap();
    let pk = uncompressed(&sk);
    let want = "7e5f4552091a69125d5dfcb7b8c2659029395bdf";
    // 65-byte (04 ‖ x ‖ y, as Venice sends it) and 64-byte (NEAR) forms give the same address.
    assert_eq!(hex::encode(eth_address_from_public_key(&pk).unwrap()), want);
    assert_eq!(hex::encode(eth_address_from_public_key(&pk[1..]).unwrap()), want);
    // And recovery from a signature made by that key yields it.
    let sig = personal_sign(&sk, "hello");
    assert_eq!(hex::encode(recover_eip191_address("hello", &sig).unwrap()), want);
}

#[test]
fn web3js_accounts_sign_vector() {
    // docs.web3js.org, web3-eth-accounts `sign('Some data', '0x4c08…2318')`.
    assert_eq!(hex::encode(eip191_hash("Some data")), "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655");
    let sig = hex::decode("b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c").unwrap();
    let sk = SigningKey::from_slice(&hex::decode("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").unwrap()).unwrap();
    let addr = eth_address(&sk);
    assert_eq!(hex::encode(addr), "2c7536e3605d9c16a7a3d7b1898e529396a65c23");
    assert_eq!(recover_eip191_address("Some data", &sig).unwrap(), addr);
    // v = 0/1 form is accepted as well.
    let mut sig01 = sig.clone();
    sig01[64] -= 27;
    assert_eq!(recover_eip191_address("Some data", &sig01).unwrap(), addr);
    // RFC 6979 is deterministic: our signing helper reproduces the published signature.
    assert_eq!(personal_sign(&sk, "Some data"), sig);
}

#[test]
fn ecdsa_matrix() {
    let sk = secp_key();
    let addr = eth_address(&sk);
    let p = ecdsa_payload(&sk, &text3(REQUEST, RESPONSE));
    matrix(&p, &addr);
}

#[test]
fn ecdsa_high_s_and_bad_v_rejected() {
    let sk = secp_key();
    let text = text3(REQUEST, RESPONSE);
    let p = ecdsa_payload(&sk, &text);
    let sig = Signature::from_slice(&p.signature[..64]).unwrap();
    let (r, s) = sig.split_scalars();
    let high = Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    assert_ne!(high.normalize_s(), high);
    // The malleated twin (n − s, flipped parity) recovers the same key mathematically; it must be refused.
    let mut twin = high.to_bytes().to_vec();
    twin.push(if p.signature[64] == 27 { 28 } else { 27 });
    let err = recover_eip191_address(&text, &twin).unwrap_err();
    assert!(matches!(err, SignatureError::Malformed(ref m) if m.contains("high-s")), "{err}");
    let hp = SignaturePayload { signature: twin, ..p.clone() };
    assert_eq!(status(&signature_checks("node", &hp, Some(&p.signing_address), Some(REQUEST), Some(RESPONSE), None), "valid"), Status::Fail);

    // v out of range.
    for v in [2u8, 3, 26, 29, 30, 35, 36, 255] {
        let mut bad = p.signature.clone();
        bad[64] = v;
        assert!(matches!(recover_eip191_address(&text, &bad), Err(SignatureError::Malformed(_))), "v = {v}");
    }
    // The other parity recovers another address → not signing_address.
    let mut wrong_parity = p.signature.clone();
    wrong_parity[64] = if p.signature[64] == 27 { 28 } else { 27 };
    let q = SignaturePayload { signature: wrong_parity, ..p.clone() };
    assert!(verify_payload(&q).is_err());
    // r = 0, s = 0, r ≥ n, wrong lengths.
    let mut zero = p.signature.clone();
    zero[..32].fill(0);
    assert!(recover_eip191_address(&text, &zero).is_err());
    let mut zero_s = p.signature.clone();
    zero_s[32..64].fill(0);
    assert!(recover_eip191_address(&text, &zero_s).is_err());
    let mut big_r = p.signature.clone();
    big_r[..32].fill(0xff);
    assert!(recover_eip191_address(&text, &big_r).is_err());
    for len in [0usize, 1, 64, 66, 130] {
        assert!(recover_eip191_address(&text, &vec![27u8; len]).is_err(), "len {len}");
    }
}

#[test]
fn ecdsa_two_part_gateway_text_and_stream() {
    let sk = secp_key();
    let addr = eth_address(&sk);
    let text = format!("{}:{}", sha256_hex(REQUEST), sha256_hex(STREAM));
    let p = SignaturePayload { kind: Some("gateway".to_owned()), ..ecdsa_payload(&sk, &text) };
    let c = signature_checks("node", &p, Some(&addr), Some(REQUEST), Some(STREAM), Some(MODEL));
    for s in ["valid", "attested_key", "request", "response"] {
        assert_eq!(status(&c, s), Status::Pass, "{s}");
    }
    let m = c.iter().find(|c| c.id == "node.signature.model").unwrap();
    assert_eq!(m.status, Status::Skipped);
    assert!(!m.required);
    assert_eq!(teescan::report::Verdict::from_checks(&c), teescan::report::Verdict::Pass);
    // The stream without its final `data: [DONE]` event is not what was signed.
    let truncated = &STREAM[..STREAM.len() - "data: [DONE]\n\n".len()];
    let c = signature_checks("node", &p, Some(&addr), Some(REQUEST), Some(truncated), None);
    assert_eq!(status(&c, "response"), Status::Fail);
}

#[test]
fn ed25519_matrix() {
    let kp = ed_key();
    let p = ed_payload(&kp, &text3(REQUEST, RESPONSE));
    let addr = kp.public_key().as_ref().to_vec();
    matrix(&p, &addr);
    // An ECDSA signature over the same text claimed as Ed25519 (wrong length) fails cleanly.
    let sk = secp_key();
    let mixed = SignaturePayload { signature: personal_sign(&sk, &p.text), ..p.clone() };
    assert!(matches!(verify_payload(&mixed), Err(SignatureError::Malformed(_))));
}

#[test]
fn parse_ecdsa_payload_json() {
    let sk = secp_key();
    let text = text3(REQUEST, RESPONSE);
    let sig = personal_sign(&sk, &text);
    let addr = eth_address(&sk);
    let doc = json!({
        "text": text,
        "signature": format!("0x{}", hex::encode(&sig)),
        "signing_address": format!("0x{}", hex::encode(addr).to_uppercase()),
        "signing_algo": "ecdsa",
        "signature_kind": "provider_tee",
        "extra": 1
    });
    let p = parse_signature_payload(doc.to_string().as_bytes()).unwrap();
    assert_eq!(p.algo, SigningAlgo::EcdsaSecp256k1Eip191);
    assert_eq!(p.signature, sig);
    assert_eq!(p.signing_address, addr);
    assert_eq!(p.kind.as_deref(), Some("provider_tee"));
    all_pass(&signature_checks("node", &p, Some(&addr), Some(REQUEST), Some(RESPONSE), Some(MODEL)));
    let t = parse_text(&p.text).unwrap();
    assert_eq!(t.model.as_deref(), Some(MODEL));
    assert_eq!(hex::encode(t.request_sha256), sha256_hex(REQUEST));
    assert_eq!(hex::encode(t.response_sha256), sha256_hex(RESPONSE));
}

#[test]
fn parse_ed25519_payload_json() {
    let kp = ed_key();
    let text = text3(REQUEST, RESPONSE);
    let doc = json!({
        "text": text,
        "signature": hex::encode(kp.sign(text.as_bytes())),
        "signing_address": hex::encode(kp.public_key()),
        "signing_algo": "ed25519",
    });
    let p = parse_signature_payload(doc.to_string().as_bytes()).unwrap();
    assert_eq!(p.algo, SigningAlgo::Ed25519);
    assert_eq!(p.kind, None);
    assert_eq!(verify_payload(&p), Ok(()));
}

#[test]
fn unavailable_payload() {
    let e = parse_signature_payload(br#"{"error_code":"signature_not_found","message":"client disconnected before completion"}"#).unwrap_err();
    assert_eq!(
        e,
        SignatureError::Unavailable { code: "signature_not_found".to_owned(), message: "client disconnected before completion".to_owned() }
    );
    assert_eq!(e.code(), "signature.unavailable");
    let e = parse_signature_payload(br#"{"error_code":404,"message":"not found"}"#).unwrap_err();
    assert!(matches!(e, SignatureError::Unavailable { ref code, .. } if code == "404"), "{e}");
    let e = parse_signature_payload(br#"{"error":{"message":"Chat not found","type":"not_found"}}"#).unwrap_err();
    assert_eq!(e.code(), "signature.unavailable", "{e}");
}

#[test]
fn malformed_payloads_are_errors() {
    let sk = secp_key();
    let text = text3(REQUEST, RESPONSE);
    let sig = hex::encode(personal_sign(&sk, &text));
    let addr = hex::encode(eth_address(&sk));
    let ed = ed_key();
    let edsig = hex::encode(ed.sign(text.as_bytes()));
    let edaddr = hex::encode(ed.public_key());
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({"text": text, "signature": sig, "signing_address": addr, "signing_algo": "rsa"}), "signature.algo"),
        (json!({"text": text, "signature": sig, "signing_address": addr}), "signature.field"),
        (json!({"signature": sig, "signing_address": addr, "signing_algo": "ecdsa"}), "signature.field"),
        (json!({"text": text, "signature": &sig[..128], "signing_address": addr, "signing_algo": "ecdsa"}), "signature.field"),
        (json!({"text": text, "signature": format!("{sig}00"), "signing_address": addr, "signing_algo": "ecdsa"}), "signature.field"),
        (json!({"text": text, "signature": format!("0x{}", &sig[1..]), "signing_address": addr, "signing_algo": "ecdsa"}), "signature.field"),
        (json!({"text": text, "signature": sig.replace('a', "g"), "signing_address": addr, "signing_algo": "ecdsa"}), "signature.field"),
        (json!({"text": text, "signature": sig, "signing_address": &addr[..38], "signing_algo": "ecdsa"}), "signature.field"),
        (json!({"text": text, "signature": sig, "signing_address": edaddr, "signing_algo": "ecdsa"}), "signature.field"),
        (json!({"text": text, "signature": edsig, "signing_address": addr, "signing_algo": "ed25519"}), "signature.field"),
        (json!({"text": text, "signature": sig, "signing_address": edaddr, "signing_algo": "ed25519"}), "signature.field"),
        (json!({"text": text, "signature": sig, "signing_address": addr, "signing_algo": "ecdsa", "signature_kind": 3}), "signature.field"),
        (json!({"text": 5, "signature": sig, "signing_address": addr, "signing_algo": "ecdsa"}), "signature.field"),
        (json!([1, 2]), "signature.json"),
    ];
    for (doc, code) in cases {
        let e = parse_signature_payload(doc.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.code(), code, "{doc}: {e}");
    }
    assert_eq!(parse_signature_payload(b"not json").unwrap_err().code(), "signature.json");
    assert_eq!(parse_signature_payload(b"").unwrap_err().code(), "signature.json");
    let big = vec![b' '; MAX_SIGNATURE_PAYLOAD_LEN + 1];
    assert_eq!(parse_signature_payload(&big).unwrap_err(), SignatureError::TooLarge { len: MAX_SIGNATURE_PAYLOAD_LEN + 1 });
}

#[test]
fn malformed_texts_fail_the_hash_checks() {
    let h = sha256_hex(REQUEST);
    for bad in ["", "x", &h, &format!("{h}:"), &format!(":{h}:{h}"), &format!("m:{h}:{}", &h[..63]), &format!("m:{h}:{}z", &h[..63])] {
        assert!(matches!(parse_text(bad), Err(SignatureError::Text(_))), "{bad:?}");
    }
    // A model containing ':' keeps everything before the last two fields.
    assert_eq!(parse_text(&format!("org/m:v1:{h}:{h}")).unwrap().model.as_deref(), Some("org/m:v1"));
    // A correctly signed but malformed text: valid passes, the text checks fail.
    let sk = secp_key();
    let p = ecdsa_payload(&sk, "hello");
    let c = signature_checks("node", &p, Some(&p.signing_address), Some(REQUEST), Some(RESPONSE), Some(MODEL));
    assert_eq!(status(&c, "valid"), Status::Pass);
    for s in ["request", "response", "model"] {
        assert_eq!(status(&c, s), Status::Fail, "{s}");
    }
}

#[test]
fn garbage_never_panics() {
    // Arbitrary signature bytes and addresses of every length near the expected ones.
    for algo in [SigningAlgo::EcdsaSecp256k1Eip191, SigningAlgo::Ed25519] {
        for sig_len in [0usize, 1, 63, 64, 65, 66] {
            for addr_len in [0usize, 19, 20, 21, 32, 33, 64, 65] {
                for fill in [0u8, 0x1b, 0xff] {
                    let p = SignaturePayload {
                        text: "m:x:y".to_owned(),
                        signature: vec![fill; sig_len],
                        signing_address: vec![fill; addr_len],
                        algo,
                        kind: None,
                    };
                    assert!(verify_payload(&p).is_err(), "{algo:?} sig {sig_len} addr {addr_len} fill {fill}");
                    let c = signature_checks("node", &p, Some(&[1u8; 20]), Some(b""), Some(b""), Some("m"));
                    assert_eq!(status(&c, "valid"), Status::Fail);
                }
            }
        }
    }
    for pk in [&[][..], &[4u8; 65][..], &[0u8; 64][..], &[2u8; 33][..], &[5u8; 65][..]] {
        assert!(eth_address_from_public_key(pk).is_err());
    }
}

#[test]
fn ed25519_small_order_key_rejected() {
    // The identity point as a key, R = identity and S = 0: a "signature" valid for every text
    // under cofactorless verification. ring accepts it; teescan must not.
    let mut key = [0u8; 32];
    key[0] = 1;
    let mut sig = [0u8; 64];
    sig[0] = 1;
    let text = text3(REQUEST, RESPONSE);
    assert!(ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &key).verify(text.as_bytes(), &sig).is_ok());
    let p = SignaturePayload { text, signature: sig.to_vec(), signing_address: key.to_vec(), algo: SigningAlgo::Ed25519, kind: None };
    assert!(matches!(verify_payload(&p), Err(SignatureError::Invalid(_))));
    let c = signature_checks("node", &p, Some(&key), Some(REQUEST), Some(RESPONSE), Some(MODEL));
    assert_eq!(status(&c, "valid"), Status::Fail);
    // A non-canonical S (S + L) of a genuine signature is refused too.
    let kp = ed_key();
    let good = ed_payload(&kp, &p.text);
    let mut s_plus_l = good.signature.clone();
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    let l = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010").unwrap();
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s_plus_l[32 + i]) + u16::from(l[i]) + carry;
        s_plus_l[32 + i] = v as u8;
        carry = v >> 8;
    }
    let bad = SignaturePayload { signature: s_plus_l, ..good.clone() };
    assert!(verify_payload(&bad).is_err());
    assert_eq!(verify_payload(&good), Ok(()));
}
