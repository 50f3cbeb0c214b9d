//! Client-facing keys and the compose-manager attestation on the real captures: NEAR's OHTTP
//! key config signature, the compose manager's quote as a layer of its own, stated signing public
//! keys against the bound address, and `[keys] require_bound`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/captures.rs"]
mod captures;

use captures::{collaterals, Capture};

use std::path::Path;

use serde_json::Value;
use teescan::nvidia::verify::GpuCollateral;
use teescan::policy::{LoadedPolicy, Policy};
use teescan::provider;
use teescan::report::{Report, Status, Verdict};
use teescan::time::Timestamp;
use teescan::ScanOptions;



fn policy_text(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn scan(body: &[u8], root: &Path, c: &Capture, at: &str, pol: Option<&str>) -> Report {
    let report = provider::parse(body).unwrap();
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(at).unwrap());
    opts.nonce = Some(c.nonce());
    opts.policy = pol.map(|t| -> LoadedPolicy { Policy::load(t.as_bytes()).unwrap() });
    // The capture's own Sigstore bundles (GitHub `attestations` answers): `[provenance]` policies
    // (tinfoil.toml) take measurements from them; other policies ignore them.
    let mut coll = teescan::scan::Collateral { dcap: collaterals(root), gpu: c.nras(), ..Default::default() };
    coll.add_attestation_exchanges(&teescan::bundle::read_capture_dir(&c.dir).unwrap());
    provider::scan::scan_provider_with(&report, &coll, &opts)
}

fn not_passing(r: &Report) -> Vec<String> {
    r.checks.iter().filter(|c| c.status != Status::Pass).map(|c| format!("{} {:?} req={} {:?}", c.id, c.status, c.required, c.reason)).collect()
}

fn status(r: &Report, id: &str) -> Status {
    r.check(id).unwrap_or_else(|| panic!("no check {id}; have {:?}", r.checks.iter().map(|c| c.id.as_str()).collect::<Vec<_>>())).status
}

const NEAR_AT: &str = "2026-06-29T02:06:40Z";
const VENICE_AT: &str = "2026-06-10T01:47:30Z";

fn near_direct(root: &Path) -> (Capture, Vec<u8>) {
    let c = Capture::open(root, "neardirect");
    let body = c.response("attestation_report");
    (c, body)
}

fn edit(body: &[u8], f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(body).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn with_policy_keys(base: &str, kinds: &str) -> String {
    format!("{}\n[keys]\nrequire_bound = [{kinds}]\n", policy_text(base))
}

fn venice_padded_policy() -> String {
    policy_text("policies/nearai.toml").replace("signing-address-tls", "padded-signing-address")
}

#[test]
fn near_direct_ohttp_key_config_is_signed_by_the_bound_key() {
    let Some(root) = corpus::root() else { return };
    let (c, body) = near_direct(&root);
    let r = scan(&body, &root, &c, NEAR_AT, Some(&with_policy_keys("policies/nearai.toml", r#""signing", "tls", "ohttp""#)));
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", not_passing(&r));
    for id in ["node.ohttp.signature", "node.ohttp.key_config", "node.keys.signing_public_key", "node.policy.keys.ohttp", "node.policy.keys.signing", "node.policy.keys.tls"] {
        assert_eq!(status(&r, id), Status::Pass, "{id}");
    }
    let keys = &r.claims["layers"]["node"]["keys"];
    assert_eq!(keys["ohttp"]["bound"], true);
    assert_eq!(keys["ohttp"]["value"], "010020a830c65ae624d32cf9336721fcab31e88d3cbf379e7aa033c208e3b10d4f504b00080001000100010003");
    assert_eq!(keys["signing"]["bound"], true);
    assert_eq!(keys["tls"]["bound"], true);
}

#[test]
fn near_cloud_gateway_ohttp_beside_the_gateway_attestation_is_checked_with_the_gateway_key() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "nearcloud");
    let body = c.response("attestation_report");
    let r = scan(&body, &root, &c, "2026-06-29T02:07:00Z", Some(&policy_text("policies/nearai-cloud.toml")));
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", not_passing(&r));
    for id in ["gateway.ohttp.signature", "model[0].ohttp.signature", "model[0].compose_manager.binding.report_data", "model[0].compose_manager.actions.hash"] {
        assert_eq!(status(&r, id), Status::Pass, "{id}");
    }
    assert_eq!(r.claims["layers"]["gateway"]["keys"]["ohttp"]["bound"], true);
    // A flipped byte of the gateway's top-level signature fails.
    let bad = edit(&body, |v| {
        let s = v["ohttp_attestation"]["signature"].as_str().unwrap().to_owned();
        v["ohttp_attestation"]["signature"] = Value::String(format!("{}{}", if s.starts_with('0') { "1" } else { "0" }, &s[1..]));
    });
    let r = scan(&bad, &root, &c, "2026-06-29T02:07:00Z", Some(&policy_text("policies/nearai-cloud.toml")));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "gateway.ohttp.signature"), Status::Fail);
}

#[test]
fn flipped_ohttp_signature_byte_fails() {
    let Some(root) = corpus::root() else { return };
    let (c, body) = near_direct(&root);
    let bad = edit(&body, |v| {
        let mut sig = hex::decode(v["ohttp_attestation"]["signature"].as_str().unwrap()).unwrap();
        sig[10] ^= 1;
        v["ohttp_attestation"]["signature"] = Value::String(hex::encode(sig));
    });
    let r = scan(&bad, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.ohttp.signature"), Status::Fail);
    assert_eq!(r.claims["layers"]["node"]["keys"]["ohttp"]["bound"], false);
}

#[test]
fn swapped_ohttp_key_config_fails() {
    let Some(root) = corpus::root() else { return };
    let (c, body) = near_direct(&root);
    // An attacker's X25519 key in the signed config (both places): the signature no longer covers it.
    let evil = format!("010020{}00080001000100010003", "11".repeat(32));
    let both = edit(&body, |v| {
        v["ohttp_attestation"]["key_config"] = Value::String(evil.clone());
        v["ohttp_key_config"] = Value::String(evil.clone());
    });
    let r = scan(&both, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.ohttp.signature"), Status::Fail);
    // Only the config clients fetch swapped, the signed one left alone: the configs disagree.
    let outer = edit(&body, |v| v["ohttp_key_config"] = Value::String(evil.clone()));
    let r = scan(&outer, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.ohttp.key_config"), Status::Fail);
    assert_eq!(status(&r, "node.ohttp.signature"), Status::Pass);
    assert_eq!(r.claims["layers"]["node"]["keys"]["ohttp"]["bound"], false);
}

#[test]
fn ohttp_config_signed_by_an_unbound_key_is_reported_unbound_and_fails_a_policy_requiring_it() {
    let Some(root) = corpus::root() else { return };
    // Venice's ECDSA report carries an OHTTP config signed by the node's Ed25519 key, which this
    // quote does not bind: not verified, said so, and a policy requiring it bound fails.
    let c = Capture::open(&root, "venice");
    let body = c.response("attestation");
    let r = scan(&body, &root, &c, VENICE_AT, Some(&venice_padded_policy()));
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", not_passing(&r));
    let sig = r.check("node.ohttp.signature").unwrap();
    assert_eq!(sig.status, Status::Skipped);
    assert!(sig.reason.as_deref().unwrap().contains("does not bind"), "{sig:?}");
    assert_eq!(r.claims["layers"]["node"]["keys"]["ohttp"]["bound"], false);
    let pol = format!("{}\n[keys]\nrequire_bound = [\"signing\", \"ohttp\"]\n", venice_padded_policy());
    let r = scan(&body, &root, &c, VENICE_AT, Some(&pol));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.policy.keys.ohttp"), Status::Fail);
    assert_eq!(status(&r, "node.policy.keys.signing"), Status::Pass);
    // A key the layer does not state at all (Venice binds no TLS key) fails too.
    let pol = format!("{}\n[keys]\nrequire_bound = [\"tls\"]\n", venice_padded_policy());
    let r = scan(&body, &root, &c, VENICE_AT, Some(&pol));
    assert_eq!(status(&r, "node.policy.keys.tls"), Status::Fail);
    // An attacker's config signed by the attacker's own key is no better.
    let attacker = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let evil = hex::decode(format!("010020{}00080001000100010003", "22".repeat(32))).unwrap();
    use ed25519_dalek::Signer as _;
    let forged = edit(&body, |v| {
        v["ohttp_attestation"]["signing_key"] = Value::String(hex::encode(attacker.verifying_key().as_bytes()));
        v["ohttp_attestation"]["key_config"] = Value::String(hex::encode(&evil));
        v["ohttp_attestation"]["signature"] = Value::String(hex::encode(attacker.sign(&evil).to_bytes()));
        v["ohttp_key_config"] = Value::String(hex::encode(&evil));
    });
    let r = scan(&forged, &root, &c, VENICE_AT, Some(&format!("{}\n[keys]\nrequire_bound = [\"ohttp\"]\n", venice_padded_policy())));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.policy.keys.ohttp"), Status::Fail);
    assert_eq!(r.claims["layers"]["node"]["keys"]["ohttp"]["bound"], false);
}

#[test]
fn compose_manager_quote_is_verified_as_a_layer_of_its_own() {
    let Some(root) = corpus::root() else { return };
    let (c, body) = near_direct(&root);
    let r = scan(&body, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", not_passing(&r));
    for id in [
        "node.compose_manager.structure",
        "node.compose_manager.actions.hash",
        "node.compose_manager.same_td",
        "node.compose_manager.tdx.quote.signature",
        "node.compose_manager.tdx.tcb.status",
        "node.compose_manager.binding.report_data",
        "node.compose_manager.nonce",
        "node.compose_manager.eventlog.rtmr3",
        "node.compose_manager.policy.tdx.td.mr_td",
    ] {
        assert_eq!(status(&r, id), Status::Pass, "{id}");
    }
    let cm = &r.claims["layers"]["node.compose_manager"];
    assert_eq!(cm["binding"]["scheme"], "compose-actions");
    assert_eq!(cm["actions"].as_array().unwrap().len(), 42);
    // Venice's copy hashes its actions with keys as sent, not sorted: both forms are accepted.
    let v = Capture::open(&root, "venice");
    let r = scan(&v.response("attestation"), &root, &v, VENICE_AT, Some(&venice_padded_policy()));
    assert_eq!(status(&r, "node.compose_manager.actions.hash"), Status::Pass);
    assert_eq!(status(&r, "node.compose_manager.binding.report_data"), Status::Pass);
}

#[test]
fn compose_manager_quote_swapped_for_the_main_one_fails() {
    let Some(root) = corpus::root() else { return };
    let (c, body) = near_direct(&root);
    let swapped = edit(&body, |v| v["compose_manager_attestation"]["quote"] = v["intel_quote"].clone());
    let r = scan(&swapped, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.compose_manager.binding.report_data"), Status::Fail);
    // An edited action list no longer hashes to actions_hash.
    let edited = edit(&body, |v| v["compose_manager_attestation"]["actions"][0]["tag"] = Value::String("v9.9.9".to_owned()));
    let r = scan(&edited, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.compose_manager.actions.hash"), Status::Fail);
    // Another nonce than the caller's (a replayed manager quote) fails freshness.
    let stale = edit(&body, |v| v["compose_manager_attestation"]["nonce"] = Value::String("00".repeat(32)));
    let r = scan(&stale, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(status(&r, "node.compose_manager.nonce"), Status::Fail);
    // A malformed attestation fails; it is never dropped silently.
    let broken = edit(&body, |v| v["compose_manager_attestation"]["quote"] = Value::from(5));
    let r = scan(&broken, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(status(&r, "node.compose_manager.structure"), Status::Fail);
}

#[test]
fn changed_signing_public_key_fails() {
    let Some(root) = corpus::root() else { return };
    // Venice (secp256k1): the generator point's key is not the bound address's.
    let c = Capture::open(&root, "venice");
    let body = c.response("attestation");
    let g = "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
    let r = scan(&body, &root, &c, VENICE_AT, Some(&venice_padded_policy()));
    assert_eq!(status(&r, "node.keys.signing_public_key"), Status::Pass);
    let bad = edit(&body, |v| v["signing_public_key"] = Value::String(g.to_owned()));
    let r = scan(&bad, &root, &c, VENICE_AT, Some(&venice_padded_policy()));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.keys.signing_public_key"), Status::Fail);
    assert_eq!(r.claims["layers"]["node"]["keys"]["signing"]["bound"], false);
    // Venice's own `signing_key` copy is checked as well.
    let bad = edit(&body, |v| v["signing_key"] = Value::String(g.to_owned()));
    let r = scan(&bad, &root, &c, VENICE_AT, Some(&venice_padded_policy()));
    assert_eq!(status(&r, "node.keys.signing_public_key"), Status::Fail);
    // NEAR (Ed25519): the public key must be the address itself.
    let (c, body) = near_direct(&root);
    let bad = edit(&body, |v| v["signing_public_key"] = Value::String("11".repeat(32)));
    let r = scan(&bad, &root, &c, NEAR_AT, Some(&policy_text("policies/nearai.toml")));
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(status(&r, "node.keys.signing_public_key"), Status::Fail);
}

#[test]
fn chutes_and_tinfoil_keys_are_listed_with_their_binding() {
    let Some(root) = corpus::root() else { return };
    let c = Capture::open(&root, "tinfoil_v3_direct");
    let r = scan(&c.response("tinfoil-attestation"), &root, &c, "2026-06-29T02:13:30Z", Some(&with_policy_keys("policies/tinfoil.toml", r#""tls", "hpke""#)));
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", not_passing(&r));
    assert_eq!(r.claims["layers"]["enclave"]["keys"]["hpke"]["bound"], true);
    assert_eq!(r.claims["layers"]["enclave"]["keys"]["tls"]["bound"], true);
    assert_eq!(status(&r, "enclave.policy.keys.hpke"), Status::Pass);
    let c = Capture::open(&root, "phalacloud");
    let body = c.response("attestation_report");
    let report = provider::parse(&body).unwrap();
    let opts = ScanOptions::new(Timestamp::parse_rfc3339("2026-06-10T02:00:00Z").unwrap());
    let r = provider::scan::scan_provider(&report, &collaterals(&root), &GpuCollateral::default(), &opts);
    assert_eq!(r.claims["layers"]["instance[0]"]["keys"]["e2e"]["bound"], true);
}

#[test]
fn keys_policy_refuses_empty_and_unknown_kinds() {
    let base = policy_text("policies/nearai.toml");
    assert!(Policy::load(format!("{base}\n[keys]\nrequire_bound = []\n").as_bytes()).is_err());
    assert!(Policy::load(format!("{base}\n[keys]\nrequire_bound = [\"ssh\"]\n").as_bytes()).is_err());
    assert!(Policy::load(format!("{base}\n[keys]\nrequire_bnd = [\"tls\"]\n").as_bytes()).is_err());
    assert!(Policy::load(format!("{base}\n[keys]\nrequire_bound = [\"tls\"]\n").as_bytes()).is_ok());
}
