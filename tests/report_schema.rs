//! `docs/report-schema.md` and the check-id registry (`teescan::report::ids`) agree with what
//! scans emit:
//!
//! * the "Check ids" section of the document is exactly [`ids::markdown_table`]'s output
//!   (`TEESCAN_BLESS=1` rewrites it instead of failing);
//! * real scans — the test-PKI quote with its policy (passing, DEBUG, tampered, expired,
//!   collateral missing, bound to a nonce), the nvtrust H100 sample with RIMs and OCSP (and
//!   tampered), NVSwitch / PPCIe sets, every provider capture with its policy (and tampered
//!   variants), a response signature, and saved bundles — emit only ids the registry lists, and
//!   an optional emitted check is never one the registry calls always required.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/captures.rs"]
mod captures;

use captures::{collaterals, Capture};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use teescan::nvidia::evidence::{parse_evidence_list, EvidenceList, GpuEvidence};
use teescan::nvidia::verify::{verify_gpus, GpuCollateral, GpuOptions};
use teescan::pki::TrustAnchor;
use teescan::policy::{LoadedPolicy, Policy};
use teescan::provider;
use teescan::report::ids::{self, Required};
use teescan::report::Check;
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::{Evidence, ScanOptions};

const BEGIN: &str = "<!-- check-ids:begin -->";
const END: &str = "<!-- check-ids:end -->";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_documented_check_ids_are_the_generated_table() {
    let path = manifest_dir().join("docs/report-schema.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = doc.split_once(BEGIN).expect("docs/report-schema.md has the check-ids:begin marker");
    let (current, tail) = rest.split_once(END).expect("docs/report-schema.md has the check-ids:end marker");
    let want = format!("\n{}", ids::markdown_table());
    if current == want {
        return;
    }
    if std::env::var_os("TEESCAN_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, format!("{head}{BEGIN}{want}{END}{tail}")).unwrap();
        return;
    }
    panic!("docs/report-schema.md's check-id table differs from teescan::report::ids::markdown_table(); rerun with TEESCAN_BLESS=1");
}

/// Every emitted id, by registry key: one example id per key, and the ids without an entry.
#[derive(Default)]
struct Seen {
    keys: BTreeMap<String, String>,
    unknown: Vec<String>,
    wrongly_optional: Vec<String>,
    scans: usize,
}

impl Seen {
    fn add(&mut self, checks: &[Check]) {
        self.scans += 1;
        assert!(!checks.is_empty(), "a scan emitted no checks");
        for c in checks {
            match ids::lookup(&c.id) {
                None => self.unknown.push(c.id.clone()),
                Some(spec) => {
                    if !c.required && spec.required == Required::Yes {
                        self.wrongly_optional.push(c.id.clone());
                    }
                    self.keys.entry(ids::normalise(spec.pattern)).or_insert_with(|| c.id.clone());
                }
            }
        }
    }
}

// ---- Test PKI (always available) -----------------------------------------------------------

fn testpki(rel: &str) -> Vec<u8> {
    std::fs::read(manifest_dir().join("fixtures/testpki").join(rel)).unwrap()
}

fn testpki_opts(at: &str) -> ScanOptions {
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(at).unwrap());
    opts.intel_root = TrustAnchor::danger_test_root(&testpki("root.der")).unwrap();
    opts
}

const PKI_AT: &str = "2026-01-15T00:00:00Z";

fn load_policy(text: &str) -> LoadedPolicy {
    Policy::load(text.as_bytes()).unwrap_or_else(|e| panic!("policy: {e}"))
}

/// The test-PKI policy with every other TDX rule added (most of them fail: only the id matters).
fn testpki_policy_all_rules() -> LoadedPolicy {
    let base = String::from_utf8(testpki("policy.toml")).unwrap();
    let zero48 = "00".repeat(48);
    let text = base.replace(
        "[tdx.tcb]\n",
        &format!(
            "[tdx.tcb]\ndeny_advisories = {{ any_of = [\"INTEL-SA-00001\"] }}\nallow_advisories = {{ any_of = [\"INTEL-SA-00002\"] }}\nqe_vendor_id = {{ any_of = [\"{}\"] }}\n",
            "00".repeat(16)
        ),
    ) + &format!(
        "min_tee_tcb_svn = \"{}\"\nmr_signer_seam = {{ any_of = [\"{zero48}\"] }}\nseam_attributes = {{ any_of = [\"{}\"] }}\nmr_service_td = {{ any_of = [\"{zero48}\"] }}\nreport_data = {{ scheme = \"padded-signing-address\" }}\n",
        "00".repeat(16),
        "00".repeat(8)
    );
    load_policy(&text)
}

fn scan_testpki(seen: &mut Seen) {
    let quote = testpki("quote.bin");
    let coll = Collateral::from_dcap_json(&testpki("collateral.json")).unwrap();
    let run = |seen: &mut Seen, q: &[u8], opts: &ScanOptions| {
        let r = teescan::scan_tdx_quote(q, &coll, opts).unwrap();
        seen.add(&r.checks);
    };
    // No policy; the shipped policy; every rule; DEBUG; tampered; expired collateral.
    run(seen, &quote, &testpki_opts(PKI_AT));
    let mut opts = testpki_opts(PKI_AT);
    opts.policy = Some(load_policy(&String::from_utf8(testpki("policy.toml")).unwrap()));
    run(seen, &quote, &opts);
    run(seen, &testpki("debug_quote.bin"), &opts);
    let mut tampered = quote.clone();
    if let Some(b) = tampered.get_mut(48 + 136) {
        *b ^= 1; // MRTD: the quote signature fails, and so does the policy pin
    }
    run(seen, &tampered, &opts);
    run(seen, &quote, &testpki_opts("2026-03-01T00:00:00Z"));
    let mut all = testpki_opts(PKI_AT);
    all.policy = Some(testpki_policy_all_rules());
    run(seen, &quote, &all);
    // The production root: the chain ends elsewhere.
    let prod = ScanOptions::new(Timestamp::parse_rfc3339(PKI_AT).unwrap());
    run(seen, &quote, &prod);
    // A bare quote tied to a nonce by a scheme (flag or policy); a scheme a bare quote cannot show.
    let mut bound = testpki_opts(PKI_AT);
    bound.binding = Some(provider::binding::Scheme::PaddedSigningAddress);
    bound.nonce = Some([7u8; 32]);
    run(seen, &quote, &bound);
    for scheme in ["chutes-e2e", "padded-signing-address"] {
        let mut o = testpki_opts(PKI_AT);
        o.nonce = Some([7u8; 32]);
        let base = String::from_utf8(testpki("policy.toml")).unwrap();
        o.policy = Some(load_policy(&format!("{base}report_data = {{ scheme = \"{scheme}\" }}\n")));
        run(seen, &quote, &o);
    }
    // Collateral unavailable.
    let r = teescan::collateral_unavailable_report(&quote, "no collateral", &testpki_opts(PKI_AT)).unwrap();
    seen.add(&r.checks);
}

#[test]
fn testpki_scans_emit_only_registered_ids() {
    let mut seen = Seen::default();
    scan_testpki(&mut seen);
    assert!(seen.unknown.is_empty(), "ids not in teescan::report::ids::CHECKS: {:?}", seen.unknown);
    assert!(seen.wrongly_optional.is_empty(), "optional checks the registry calls always required: {:?}", seen.wrongly_optional);
}

// ---- The corpus -----------------------------------------------------------------------------

fn pem_chain(text: &[u8]) -> Vec<Vec<u8>> {
    pem::parse_many(text).unwrap().into_iter().map(pem::Pem::into_contents).collect()
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn hex_file(root: &Path, rel: &str) -> Vec<u8> {
    hex::decode(String::from_utf8(corpus::read(root, rel)).unwrap().trim()).unwrap()
}

fn device(root: &Path, dir: &str) -> GpuEvidence {
    GpuEvidence {
        report: hex_file(root, &format!("{dir}/attestation_report.hex")),
        cert_chain: pem_chain(&corpus::read(root, &format!("{dir}/device_cert_chain.pem"))),
        arch_hint: None,
        nonce_hint: None,
        driver_version_hint: None,
        vbios_version_hint: None,
    }
}

fn h100_sample(root: &Path) -> (EvidenceList, GpuCollateral, [u8; 32]) {
    let dir = "nvidia/nvtrust-sample-h100";
    let item = device(root, dir);
    let nonce: [u8; 32] = item.report.get(4..36).unwrap().try_into().unwrap();
    let list = EvidenceList { arch_hint: None, nonce_hint: None, items: vec![item] };
    let mut coll = GpuCollateral::default();
    for name in ["NV_GPU_DRIVER_GH100_550.90.07", "NV_GPU_VBIOS_1010_0200_882_96009F0001"] {
        coll.rims.push((name.to_owned(), corpus::read(root, &format!("{dir}/{name}.xml"))));
    }
    let mut files: Vec<_> = std::fs::read_dir(root.join(dir).join("ocsp")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        coll.ocsp.push(std::fs::read(f).unwrap());
    }
    (list, coll, nonce)
}

fn scan_gpus(root: &Path, seen: &mut Seen) {
    let (list, coll, nonce) = h100_sample(root);
    let strict = GpuOptions { expected_nonce: Some(nonce), ..GpuOptions::default() };
    for t in ["2025-08-21T12:00:00Z", "2025-10-24T12:00:00Z", "2026-11-24T00:00:00Z"] {
        seen.add(&verify_gpus(&list, &coll, at(t), &strict).checks);
    }
    // No nonce; no collateral; waived RIM/OCSP; NRAS required but absent.
    seen.add(&verify_gpus(&list, &GpuCollateral::default(), at("2025-10-24T12:00:00Z"), &GpuOptions::default()).checks);
    let lax = GpuOptions { require_rims: false, require_ocsp: false, require_nras: true, ..GpuOptions::default() };
    seen.add(&verify_gpus(&list, &GpuCollateral::default(), at("2025-10-24T12:00:00Z"), &lax).checks);
    // A changed measurement (one index fails; then waived) and an invalid report signature.
    let mut changed = list.clone();
    if let Some(b) = changed.items.first_mut().and_then(|d| d.report.get_mut(37 + 8 + 12 * 55 + 7 + 47)) {
        *b ^= 1;
    }
    seen.add(&verify_gpus(&changed, &coll, at("2025-10-24T12:00:00Z"), &strict).checks);
    let waived = GpuOptions { expected_nonce: Some(nonce), waived_indices: vec![(12, "test".to_owned())], ..GpuOptions::default() };
    seen.add(&verify_gpus(&changed, &coll, at("2025-10-24T12:00:00Z"), &waived).checks);
    let mut bad = list.clone();
    if let Some(d) = bad.items.first_mut() {
        d.report = hex_file(root, "nvidia/negative/hopper_report_invalid_signature.hex");
    }
    seen.add(&verify_gpus(&bad, &coll, at("2025-08-21T12:00:00Z"), &strict).checks);
    // An unparsable report and a broken chain.
    let mut broken = list.clone();
    if let Some(d) = broken.items.first_mut() {
        d.report.truncate(40);
        d.cert_chain.reverse();
    }
    seen.add(&verify_gpus(&broken, &coll, at("2025-08-21T12:00:00Z"), &strict).checks);

    // NVSwitch, PPCIe topology (complete and missing a switch), a duplicated device.
    let switch = EvidenceList { arch_hint: None, nonce_hint: None, items: vec![device(root, "nvidia/nvswitch-ls10")] };
    let rim_id = "NV_SWITCH_BIOS_5612_0002_890_9610550001";
    let sw_coll = GpuCollateral { rims: vec![(rim_id.to_owned(), corpus::read(root, &format!("nvidia/nvswitch-ls10/{rim_id}.xml")))], ..GpuCollateral::default() };
    seen.add(&verify_gpus(&switch, &sw_coll, at("2026-11-20T00:00:00Z"), &GpuOptions { require_ocsp: false, ..GpuOptions::default() }).checks);
    let list_from = |rel: &str| parse_evidence_list(&corpus::read(root, rel)).unwrap();
    let lax = GpuOptions { require_rims: false, require_ocsp: false, ..GpuOptions::default() };
    let t = at("2026-07-01T00:00:00Z");
    let mut node = list_from("nvidia/ppcie-hgx-8gpu-4switch/gpu_evidence.json");
    let gpus_only = node.clone();
    node.items.extend(list_from("nvidia/ppcie-hgx-8gpu-4switch/switch_evidence.json").items);
    seen.add(&verify_gpus(&node, &GpuCollateral::default(), t, &lax).checks);
    node.items.pop();
    seen.add(&verify_gpus(&node, &GpuCollateral::default(), t, &lax).checks);
    seen.add(&verify_gpus(&gpus_only, &GpuCollateral::default(), t, &lax).checks);
    let mut dup = list_from("nvidia/nvat-hopper-590/multi_gpu_hopper.json");
    if let Some(first) = dup.items.first().cloned() {
        dup.items.push(first);
    }
    seen.add(&verify_gpus(&dup, &GpuCollateral::default(), t, &lax).checks);

    // Through the library scan: GPU evidence alone with the NEAR GPU policy, and a node (quote +
    // GPUs) without and with a binding scheme.
    let quote = testpki("quote.bin");
    let tdx_coll = Collateral::from_dcap_json(&testpki("collateral.json")).unwrap();
    let gpu_policy = load_policy(&std::fs::read_to_string(manifest_dir().join("policies/nearai-gpu.toml")).unwrap());
    let tdx_policy = load_policy(&String::from_utf8(testpki("policy.toml")).unwrap());
    let mut opts = testpki_opts("2025-10-24T12:00:00Z");
    opts.nonce = Some(nonce);
    for (pol, tdx) in [(Some(gpu_policy.clone()), false), (Some(tdx_policy), false), (Some(gpu_policy), true), (None, true)] {
        let mut o = opts.clone();
        o.policy = pol;
        let ev = Evidence { tdx: tdx.then_some((quote.as_slice(), &tdx_coll)), gpu: Some((&list, &coll)) };
        seen.add(&teescan::scan(ev, &o).unwrap().checks);
    }
    let mut o = opts.clone();
    o.binding = Some(provider::binding::Scheme::PaddedSigningAddress);
    seen.add(&teescan::scan(Evidence { tdx: Some((quote.as_slice(), &tdx_coll)), gpu: Some((&list, &coll)) }, &o).unwrap().checks);
    o.nonce = None;
    seen.add(&teescan::scan(Evidence { tdx: Some((quote.as_slice(), &tdx_coll)), gpu: Some((&list, &coll)) }, &o).unwrap().checks);
}

// ---- Provider captures ------------------------------------------------------------------------



fn policy_text(rel: &str) -> String {
    std::fs::read_to_string(manifest_dir().join(rel)).unwrap()
}

fn opts(t: &str, nonce: Option<[u8; 32]>, policy: Option<&str>) -> ScanOptions {
    let mut o = ScanOptions::new(at(t));
    o.nonce = nonce;
    o.policy = policy.map(load_policy);
    o
}

fn scan_providers(root: &Path, seen: &mut Seen) {
    let colls = collaterals(root);
    let all_keys = r#""signing", "tls", "ohttp", "e2e", "hpke""#;
    let run = |seen: &mut Seen, body: &[u8], gpu: &GpuCollateral, o: &ScanOptions| {
        let report = provider::parse(body).unwrap_or_else(|e| panic!("parse: {e}"));
        seen.add(&provider::scan::scan_provider(&report, &colls, gpu, o).checks);
    };
    let keys_policy = |base: &str| format!("{}\n[keys]\nrequire_bound = [{all_keys}]\n", policy_text(base));

    // NEAR direct (8 GPUs, event log, compose manager, OHTTP), with and without policy/nonce,
    // and tampered.
    let near_at = "2026-06-29T02:06:40Z";
    let c = Capture::open(root, "neardirect");
    let body = c.response("attestation_report");
    run(seen, &body, &c.nras(), &opts(near_at, Some(c.nonce()), Some(&keys_policy("policies/nearai.toml"))));
    run(seen, &body, &c.nras(), &opts(near_at, None, None));
    run(seen, &body, &GpuCollateral::default(), &opts("2026-08-15T00:00:00Z", Some([1u8; 32]), Some(&policy_text("policies/nearai.toml"))));
    let mut jwks_gone = c.nras();
    if let Some(n) = jwks_gone.nras.as_mut() {
        n.jwks = br#"{"keys":[]}"#.to_vec();
    }
    run(seen, &body, &jwks_gone, &opts(near_at, Some(c.nonce()), Some(&policy_text("policies/nearai.toml"))));
    let v = c.json("attestation_report");
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut w = v.clone();
        f(&mut w);
        w.to_string().into_bytes()
    };
    let variants: Vec<Vec<u8>> = vec![
        mutate(&|w| {
            w.as_object_mut().unwrap().remove("event_log");
        }),
        mutate(&|w| w["event_log"] = Value::String("not a log".to_owned())),
        mutate(&|w| {
            w.as_object_mut().unwrap().remove("tls_cert_fingerprint");
        }),
        mutate(&|w| {
            let mut other = w["all_attestations"][0].clone();
            let mut q = hex::decode(other["intel_quote"].as_str().unwrap()).unwrap();
            q[200] ^= 1;
            other["intel_quote"] = Value::String(hex::encode(q));
            w["all_attestations"].as_array_mut().unwrap().push(other);
        }),
        mutate(&|w| w["intel_quote"] = Value::String("00".to_owned())),
        mutate(&|w| {
            if let Some(cm) = w.get_mut("compose_manager_attestation") {
                cm["actions_hash"] = Value::String("00".repeat(32));
            }
        }),
        mutate(&|w| w["compose_manager_attestation"] = Value::String("x".to_owned())),
        mutate(&|w| {
            if let Some(a) = w.get_mut("ohttp_attestation") {
                a["signature"] = Value::String("00".repeat(64));
            }
        }),
        mutate(&|w| w["ohttp_key_config"] = Value::String("0001".to_owned())),
        mutate(&|w| {
            w.as_object_mut().unwrap().remove("ohttp_attestation");
        }),
        mutate(&|w| w["info"] = Value::String("not an object".to_owned())),
        mutate(&|w| {
            w.as_object_mut().unwrap().remove("info");
        }),
    ];
    let near_policy = keys_policy("policies/nearai.toml");
    for b in &variants {
        if provider::parse(b).is_ok() {
            run(seen, b, &c.nras(), &opts(near_at, Some(c.nonce()), Some(&near_policy)));
        }
    }

    // A response signature: by another key than the attested one, and by the attested layer's
    // claim with a wrong signature.
    {
        use ed25519_dalek::Signer as _;
        use provider::scan::{scan_provider_signed, SignedResponse};
        use provider::signature::parse_signature_payload;
        let report = provider::parse(&body).unwrap();
        let attested = hex::encode(report.layers[0].inputs.signing_address.as_ref().unwrap());
        let (req, resp) = (br#"{"messages":[]}"#.to_vec(), br#"{"choices":[]}"#.to_vec());
        let sha = |b: &[u8]| hex::encode(ring::digest::digest(&ring::digest::SHA256, b));
        let text = format!("Qwen/Qwen3.5-122B-A10B:{}:{}", sha(&req), sha(&resp));
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let sig = hex::encode(key.sign(text.as_bytes()).to_bytes());
        let o = opts(near_at, Some(c.nonce()), Some(&near_policy));
        for (address, request) in [(attested, Some(req.clone())), (hex::encode(key.verifying_key().to_bytes()), None)] {
            let payload = parse_signature_payload(
                format!(r#"{{"text":"{text}","signature":"{sig}","signing_address":"{address}","signing_algo":"ed25519"}}"#).as_bytes(),
            )
            .unwrap();
            let signed = SignedResponse { payload, request, response: Some(resp.clone()) };
            seen.add(&scan_provider_signed(&report, &colls, &c.nras(), Some(&signed), &o).checks);
        }
    }

    // NEAR cloud (gateway + model), with its policy, the model policy, and a foreign NRAS.
    let c = Capture::open(root, "nearcloud");
    let body = c.response("attestation_report");
    let cloud_at = "2026-06-29T02:07:00Z";
    run(seen, &body, &c.nras(), &opts(cloud_at, Some(c.nonce()), Some(&keys_policy("policies/nearai-cloud.toml"))));
    run(seen, &body, &c.nras(), &opts(cloud_at, Some(c.nonce()), Some(&policy_text("policies/nearai.toml"))));
    let near = Capture::open(root, "neardirect");
    run(seen, &body, &near.nras(), &opts(cloud_at, Some(c.nonce()), Some(&policy_text("policies/nearai-cloud.toml"))));
    let mut v = c.json("attestation_report");
    v["gateway_attestation"]["nvidia_payload"] = v["model_attestations"][0]["nvidia_payload"].clone();
    run(seen, v.to_string().as_bytes(), &c.nras(), &opts(cloud_at, Some(c.nonce()), Some(&policy_text("policies/nearai-cloud.toml"))));

    // Venice (reseller wrapper), RedPill → Chutes, Tinfoil v3.
    let c = Capture::open(root, "venice");
    run(seen, &c.response("attestation"), &c.nras(), &opts("2026-06-10T01:47:30Z", Some(c.nonce()), Some(&keys_policy("policies/nearai.toml"))));
    let c = Capture::open(root, "phalacloud");
    run(seen, &c.response("attestation_report"), &GpuCollateral::default(), &opts("2026-06-10T02:00:00Z", Some(c.nonce()), Some(&keys_policy("policies/phala-redpill.toml"))));
    let c = Capture::open(root, "tinfoil_v3_direct");
    let tinfoil_at = "2026-06-29T02:13:30Z";
    run(seen, &c.response("tinfoil-attestation"), &c.nras(), &opts(tinfoil_at, Some(c.nonce()), Some(&keys_policy("policies/tinfoil.toml"))));
    // Tinfoil's stated GPU evidence hash no longer matching its evidence.
    let mut v = c.json("tinfoil-attestation");
    if let Some(h) = find_key(&mut v, "gpu_evidence_hash") {
        *h = Value::String("00".repeat(32));
    }
    if let Ok(b) = serde_json::to_vec(&v) {
        if provider::parse(&b).is_ok() {
            run(seen, &b, &c.nras(), &opts(tinfoil_at, Some(c.nonce()), Some(&policy_text("policies/tinfoil.toml"))));
        }
    }
    // A bare quote as a one-layer report.
    let q = hex::decode(Capture::open(root, "neardirect").json("attestation_report")["intel_quote"].as_str().unwrap()).unwrap();
    seen.add(&provider::scan::scan_provider(&provider::ProviderReport::single_quote(q), &colls, &GpuCollateral::default(), &opts(near_at, None, None)).checks);
}

/// The first member named `key`, at any depth.
fn find_key<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    match v {
        Value::Object(m) => {
            if m.contains_key(key) {
                return m.get_mut(key);
            }
            m.values_mut().find_map(|x| find_key(x, key))
        }
        Value::Array(a) => a.iter_mut().find_map(|x| find_key(x, key)),
        _ => None,
    }
}

// ---- Bundles ----------------------------------------------------------------------------------

fn scan_bundles(root: &Path, seen: &mut Seen) {
    use teescan::bundle::{scan_bundle, Bundle, Exchange, NonceSource, Role};
    let exchange = |c: &Capture, contains: &str, role: Role| -> Exchange {
        let path = c.file(contains);
        let meta: Value = serde_json::from_slice(&std::fs::read(path.with_extension("json")).unwrap()).unwrap();
        let mut headers = Vec::new();
        for (k, vs) in meta["headers"].as_object().unwrap() {
            for v in vs.as_array().unwrap() {
                headers.push((k.clone(), v.as_str().unwrap().to_owned()));
            }
        }
        Exchange {
            role,
            method: meta["method"].as_str().unwrap_or("GET").to_owned(),
            url: meta["url"].as_str().unwrap().to_owned(),
            request_body: None,
            status: 200,
            headers,
            body: std::fs::read(&path).unwrap(),
            origin: "network".to_owned(),
        }
    };
    let near_at = "2026-06-29T02:06:40Z";
    let c = Capture::open(root, "neardirect");
    let mut exchanges = vec![exchange(&c, "attestation_report", Role::Attestation)];
    for f in ["v4_tcb", "v4_qe_identity", "v4_pckcrl", "intelsgxrootca"] {
        exchanges.push(exchange(&c, f, Role::Pcs));
    }
    exchanges.push(exchange(&c, "nras.attestation.nvidia.com_v3_attest_gpu", Role::NvidiaNras));
    exchanges.push(exchange(&c, "jwks", Role::NvidiaJwks));
    let bundle = Bundle {
        scanned_at: at(near_at),
        tool: "teescan test".to_owned(),
        url: "https://qwen35-122b.completions.near.ai".to_owned(),
        provider: "near".to_owned(),
        model: None,
        nonce: c.nonce(),
        nonce_source: NonceSource::Caller,
        tls_leaf: None,
        exchanges,
        failures: Vec::new(),
        policy: None,
        intel_root_sha256: teescan::pki::INTEL_SGX_ROOT_CA_SHA256.to_owned(),
        test_root: false,
        amd_test_ark_sha256: None,
        sigstore_root_sha256: None,
        verdict: None,
    };
    let o = opts(near_at, None, Some(&policy_text("policies/nearai.toml")));
    seen.add(&scan_bundle(&bundle, &[], &o).unwrap().checks);
    seen.add(&scan_bundle(&bundle, &[0], &o).unwrap().checks);
    // Without PCS answers: collateral unavailable, explained by the bundle.
    let mut no_pcs = bundle.clone();
    no_pcs.exchanges.retain(|x| x.role != Role::Pcs);
    seen.add(&scan_bundle(&no_pcs, &[], &o).unwrap().checks);
    // No attestation answer; one that is not a report; SEV-SNP evidence (unsupported).
    let mut none = bundle.clone();
    none.exchanges.retain(|x| x.role != Role::Attestation);
    seen.add(&scan_bundle(&none, &[], &o).unwrap().checks);
    let mut junk = bundle.clone();
    if let Some(x) = junk.exchanges.iter_mut().find(|x| x.role == Role::Attestation) {
        x.body = br#"{"hello": 1}"#.to_vec();
    }
    seen.add(&scan_bundle(&junk, &[], &o).unwrap().checks);
    let snp = Capture::open(root, "tinfoil_v3_cloud");
    let mut unsupported = bundle;
    if let Some(x) = unsupported.exchanges.iter_mut().find(|x| x.role == Role::Attestation) {
        x.body = snp.response("tinfoil-attestation");
    }
    seen.add(&scan_bundle(&unsupported, &[], &o).unwrap().checks);
}

#[test]
fn every_check_id_real_scans_emit_is_registered() {
    let Some(root) = corpus::root() else { return };
    let mut seen = Seen::default();
    scan_testpki(&mut seen);
    scan_gpus(&root, &mut seen);
    scan_providers(&root, &mut seen);
    scan_bundles(&root, &mut seen);
    scan_snp(&root, &mut seen);
    seen.unknown.sort();
    seen.unknown.dedup();
    seen.wrongly_optional.sort();
    seen.wrongly_optional.dedup();
    assert!(seen.unknown.is_empty(), "ids not in teescan::report::ids::CHECKS (add them, then TEESCAN_BLESS=1): {:?}", seen.unknown);
    assert!(seen.wrongly_optional.is_empty(), "optional checks the registry calls always required: {:?}", seen.wrongly_optional);
    let never: Vec<&str> = ids::CHECKS.iter().filter(|s| !seen.keys.contains_key(&ids::normalise(s.pattern))).map(|s| s.pattern).collect();
    eprintln!("{} scans; {} of {} registry entries emitted; not reached: {never:?}", seen.scans, seen.keys.len(), ids::CHECKS.len());
    // The registry is not a wish list: most of it is reached by these scans.
    assert!(seen.keys.len() * 10 >= ids::CHECKS.len() * 8, "only {} of {} entries reached: {never:?}", seen.keys.len(), ids::CHECKS.len());
}

/// SEV-SNP scans (issue #16): the Tinfoil router capture with a policy using every `[snp]`
/// rule, without a policy section, and with an unparseable certificate.
fn scan_snp(root: &Path, seen: &mut Seen) {
    use teescan::scan::{Collateral, Evidence, Scanner};
    let dir = root.join("providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249");
    let body = std::fs::read(dir.join("responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body")).unwrap();
    let ev = Evidence::detect(&body).unwrap();
    let mut coll = Collateral::default();
    coll.add_collateral_path(&dir, &ev).unwrap();
    coll.snp.crls.push(std::fs::read(root.join("sev-snp/atakit-gcp-n2d-milan/decoded/milan.crl.der")).unwrap());
    let at = Timestamp::parse_rfc3339("2026-06-29T02:12:49Z").unwrap();
    let m = "7adcb574b1e22ab579f3c883da3e5b6e632ef06775dd13fdb16850640135a5f63c7eb8741fe340c672edaf241bd1ed7c";
    let full = format!(
        "schema = \"teescan.policy/v1\"\nid = \"snp-all\"\nexpires = 2027-01-01T00:00:00Z\n[snp]\nmeasurement = {{ any_of = [\"{m}\"] }}\nhost_data = {{ any_of = [\"{z32}\"] }}\nid_key_digest = {{ any_of = [\"{z48}\"] }}\nauthor_key_digest = {{ any_of = [\"{z48}\"] }}\nfamily_id = {{ any_of = [\"{z16}\"] }}\nimage_id = {{ any_of = [\"{z16}\"] }}\nproduct = {{ any_of = [\"Genoa\"] }}\nmin_tcb = {{ bl = 1 }}\nmin_committed_tcb = {{ snp = 1 }}\nmin_current_tcb = {{ ucode = 1 }}\nmin_guest_svn = 0\nvmpl = {{ any_of = [0] }}\npolicy = {{ value = \"0x30000\", mask = \"0xffffff\" }}\nplatform_info = {{ value = \"0x0\", mask = \"0x1\" }}\nallow_smt = false\nrequire_crl = true\nreport_data = {{ scheme = \"tinfoil-v3\" }}\n",
        z32 = "00".repeat(32),
        z48 = "00".repeat(48),
        z16 = "00".repeat(16)
    );
    let nonce: [u8; 32] = hex::decode("229471a8453a3521eac3d6ada9f1d52e42c97a527c3a50d565e999401dfd3e9b").unwrap().try_into().unwrap();
    let s = Scanner::new(at).with_nonce(nonce);
    seen.add(&s.clone().with_policy(teescan::policy::Policy::load(full.as_bytes()).unwrap()).scan(&ev, &coll).unwrap().checks);
    let tdx_only = "schema = \"teescan.policy/v1\"\nid = \"t\"\nexpires = 2027-01-01T00:00:00Z\n[tdx.tcb]\n";
    seen.add(&s.clone().with_policy(teescan::policy::Policy::load(tdx_only.as_bytes()).unwrap()).scan(&ev, &coll).unwrap().checks);
    // An invalid certificate beside the report, and a report whose chain does not verify.
    let mut bad = coll.clone();
    bad.snp.certs.push(b"not a certificate".to_vec());
    bad.snp.certs.retain(|c| !c.windows(7).any(|w| w == [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]));
    seen.add(&s.with_policy(teescan::policy::Policy::load(full.as_bytes()).unwrap()).scan(&ev, &bad).unwrap().checks);
}
