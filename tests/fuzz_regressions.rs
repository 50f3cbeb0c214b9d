//! Regression tests from fuzzing (`fuzz/`, see `fuzz/README.md`), and structured mutations of
//! real evidence: a single changed field or byte of the signed data must never leave a passing
//! scan.
//!
//! Inputs are kept under `fixtures/fuzz-regressions/<target>/` (crashing inputs from the fuzz
//! targets, and hand-made boundary cases) and replayed here through the same entry points: each
//! must return, never panic, and be refused.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;

use teescan::nvidia::verify::{GpuCollateral, NrasInput};
use teescan::report::Verdict;
use teescan::time::Timestamp;
use teescan::ScanOptions;

// ---------------------------------------------------------------------------------------------
// Saved fuzz inputs, replayed through the fuzz targets' entry points.

fn at() -> Timestamp {
    Timestamp::from_unix(1_782_700_000)
}

/// Run `input` through the entry points of fuzz target `target` (the same calls as
/// `fuzz/fuzz_targets/<target>.rs`, minus collateral that needs the corpus). Returns whether
/// the target's main entry point *accepted* the input (parsed it, or for inputs that carry a
/// signature, verified it).
fn replay(target: &str, input: &[u8]) -> bool {
    let opts = ScanOptions::new(at());
    match target {
        "tdx_quote" => {
            if let Ok(q) = teescan::tdx::Quote::parse(input) {
                let _ = q.pck_chain_der();
                let _ = q.pck_hint();
            }
            teescan::parse_tdx_quote(input).is_ok()
        }
        "tdx_verify" => {
            let coll = teescan::tdx::Collateral::from_dcap_json(include_bytes!("../fixtures/testpki/collateral.json")).unwrap();
            teescan::scan_tdx_quote(input, &coll, &opts).is_ok_and(|r| r.verdict == Verdict::Pass)
        }
        "dcap_collateral" => match teescan::tdx::Collateral::from_dcap_json(input) {
            Ok(c) => {
                let _ = c.tcb_info_fmspc();
                let _ = c.provenance();
                true
            }
            Err(_) => false,
        },
        "spdm_report" => {
            let _ = teescan::nvidia::evidence::decode_report(input);
            teescan::nvidia::spdm::SpdmReport::parse(input).is_ok()
        }
        "spdm_opaque" => teescan::nvidia::opaque::OpaqueData::parse(input).is_ok(),
        "evidence_list" => match teescan::nvidia::evidence::parse_evidence_list(input) {
            Ok(list) => {
                let gpu_opts = teescan::nvidia::verify::GpuOptions::default();
                let _ = teescan::nvidia::verify::verify_gpus(&list, &GpuCollateral::default(), at(), &gpu_opts);
                true
            }
            Err(_) => false,
        },
        "cert_chain" => {
            let _ = teescan::nvidia::chain::leaf_fwid(input);
            let Ok(blocks) = pem::parse_many(input) else { return false };
            let certs: Vec<Vec<u8>> = blocks.into_iter().map(pem::Pem::into_contents).collect();
            let anchor = teescan::pki::TrustAnchor::nvidia_device_identity_ca();
            teescan::nvidia::chain::verify_device_chain(&certs, &anchor, at()).is_ok()
        }
        "rim" => teescan::nvidia::rim::verify_rim(input, &teescan::pki::TrustAnchor::nvidia_corim_root_ca(), at()).is_ok(),
        "ocsp" => {
            let _ = teescan::nvidia::ocsp::decode_response(input);
            teescan::nvidia::ocsp::response_serials(input).is_ok()
        }
        "nras_eat" => {
            let _ = teescan::nvidia::nras::parse_detached_eat(input);
            let jwks = teescan::nvidia::nras::Jwks::default();
            teescan::nvidia::nras::verify_detached_eat(input, &jwks, at(), None, teescan::nvidia::nras::NRAS_PROD_ISSUER).is_ok()
        }
        "jwks" => match teescan::nvidia::nras::parse_jwks(input) {
            Ok(jwks) => {
                for k in jwks.keys() {
                    let _ = k.check_x5c(at());
                }
                true
            }
            Err(_) => false,
        },
        "provider" => match teescan::provider::parse(input) {
            Ok(r) => {
                let _ = teescan::provider::scan::scan_provider(&r, &[], &GpuCollateral::default(), &opts);
                true
            }
            Err(_) => false,
        },
        "eventlog" => {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(input) else { return false };
            let _ = teescan::provider::eventlog::scan_event_log("node", &v, &[[0; 48]; 4], None, &[0; 48]);
            teescan::provider::eventlog::parse_event_log(&v).is_ok()
        }
        "signature" => teescan::provider::signature::parse_signature_payload(input)
            .is_ok_and(|p| teescan::provider::signature::verify_payload(&p).is_ok()),
        "policy" => teescan::policy::Policy::load(input).is_ok(),
        "snp_report" => {
            let mut c = teescan::snp::SnpCollateral::default();
            let collateral = teescan::snp::formats::add_collateral_file(&mut c, input).is_ok();
            teescan::snp::Report::parse(input).is_ok()
                || matches!(teescan::snp::formats::detect_binary(input), Some(Ok(_)))
                || matches!(teescan::snp::formats::detect_json(input), Some(Ok(_)))
                || collateral
        }
        "sigstore_bundle" => teescan::pki::sigstore::TrustedRoot::public_good()
            .is_ok_and(|root| teescan::provenance::verify_bundle(input, &root, at(), None).is_ok()),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// Every saved input under `fixtures/fuzz-regressions/<target>/` (crashing inputs from fuzzing,
/// and hand-made boundary cases: lengths past the end, u32::MAX counts, entity expansion,
/// overflowing periods, …) goes through its target without a panic, and is refused.
#[test]
fn saved_fuzz_inputs_never_panic_and_are_refused() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-regressions");
    let mut n = 0;
    let mut accepted = Vec::new();
    let mut targets: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    targets.sort();
    for t in &targets {
        let target = t.file_name().unwrap().to_string_lossy().into_owned();
        for f in std::fs::read_dir(t).unwrap() {
            let f = f.unwrap().path();
            if replay(&target, &std::fs::read(&f).unwrap()) {
                accepted.push(f.display().to_string());
            }
            n += 1;
        }
    }
    eprintln!("{n} saved inputs replayed through {} targets", targets.len());
    assert!(targets.len() >= 15 && n >= targets.len(), "every fuzz target has saved inputs ({n} in {})", targets.len());
    assert!(accepted.is_empty(), "accepted: {accepted:?}");
}

// ---------------------------------------------------------------------------------------------
// Found while fuzzing the provider parser (and in cli_hostile): duplicate JSON keys.

/// serde_json keeps the last of two equal keys, so a document with two `intel_quote`s or two
/// `request_nonce`s means different things to different parsers: refused at any depth.
#[test]
fn duplicate_keys_are_refused_by_the_provider_parser() {
    use teescan::provider::{parse, ProviderError};
    let ok = r#"{"intel_quote":"00","signing_address":"00","request_nonce":"11"}"#;
    assert!(!matches!(parse(ok.as_bytes()), Err(ProviderError::Json(_))), "the control is well-formed JSON");
    for doc in [
        r#"{"intel_quote":"00","signing_address":"00","request_nonce":"11","request_nonce":"22"}"#,
        r#"{"intel_quote":"00","intel_quote":"01","signing_address":"00"}"#,
        r#"{"format":"https://tinfoil.sh/predicate/attestation/v3","report_data":{"nonce":"11","nonce":"22"},"cpu":{"platform":"tdx","report":"AA=="}}"#,
        r#"{"attestation_type":"chutes","all_attestations":[{"intel_quote":"AA==","nonce":"11","nonce":"22","e2e_pubkey":"x"}]}"#,
    ] {
        match parse(doc.as_bytes()) {
            Err(ProviderError::Json(msg)) => assert!(msg.contains("duplicate key"), "{doc}: {msg}"),
            other => panic!("{doc}: expected a duplicate-key error, got {other:?}"),
        }
    }
    // In a dstack event log given as a JSON string.
    let log = serde_json::Value::String(r#"[{"imr":3,"imr":0,"event_type":1,"digest":"","event":"x","event_payload":""}]"#.to_owned());
    let err = teescan::provider::eventlog::parse_event_log(&log).unwrap_err();
    assert!(err.to_string().contains("duplicate key"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Structured mutations of real evidence.

const NEAR_QUOTE_DIR: &str = "tdx/derived/teep/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";

/// Every byte of a real provider quote's signed region (header and TD report body), changed in
/// turn: the scan never passes (the quote signature covers them all).
#[test]
fn every_signed_byte_of_a_real_quote_is_covered() {
    let Some(root) = corpus::root() else { return };
    let quote = corpus::read(&root, &format!("{NEAR_QUOTE_DIR}/quote_7cddc8d792dc.bin"));
    let coll = teescan::tdx::Collateral::from_dcap_json(&corpus::read(&root, &format!("{NEAR_QUOTE_DIR}/collateral.json"))).unwrap();
    let opts = ScanOptions::new(Timestamp::parse_rfc3339("2026-06-29T02:06:37Z").unwrap());
    assert_eq!(teescan::scan_tdx_quote(&quote, &coll, &opts).unwrap().verdict, Verdict::Pass, "the control passes");
    let signed = teescan::tdx::Quote::parse(&quote).unwrap().signed_len;
    assert_eq!(signed, 48 + 584);
    let mut passed = Vec::new();
    for i in 0..signed {
        let mut q = quote.clone();
        q[i] ^= 0x01;
        if matches!(teescan::scan_tdx_quote(&q, &coll, &opts), Ok(r) if r.verdict == Verdict::Pass) {
            passed.push(i);
        }
    }
    assert!(passed.is_empty(), "flipping these signed bytes still passed: {passed:?}");
}

/// The README's NEAR direct scan (node quote, 8 GPUs, NRAS, event log, policy): changing any one
/// binding input the report states, the caller's nonce, or one event of the log makes it fail.
#[test]
fn every_binding_field_of_a_real_provider_report_is_covered() {
    let Some(root) = corpus::root() else { return };
    let cap = root.join("providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637/responses");
    let body = std::fs::read(cap.join("0001_qwen35-122b.completions.near.ai_v1_attestation_report.body")).unwrap();
    let gpu = GpuCollateral {
        nras: Some(NrasInput {
            body: std::fs::read(cap.join("0006_nras.attestation.nvidia.com_v3_attest_gpu.body")).unwrap(),
            jwks: std::fs::read(cap.join("0007_nras.attestation.nvidia.com_.well-known_jwks.json.body")).unwrap(),
        }),
        ..GpuCollateral::default()
    };
    let coll = vec![teescan::tdx::Collateral::from_dcap_json(&corpus::read(&root, &format!("{NEAR_QUOTE_DIR}/collateral.json"))).unwrap()];
    let nonce_hex = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
    let policy = teescan::policy::Policy::load(&std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap()).unwrap();
    let scan = |doc: &serde_json::Value, nonce: &str| -> Verdict {
        let Ok(report) = teescan::provider::parse(&serde_json::to_vec(doc).unwrap()) else { return Verdict::Fail };
        let mut opts = ScanOptions::new(Timestamp::parse_rfc3339("2026-06-29T02:06:40Z").unwrap());
        opts.nonce = Some(hex::decode(nonce).unwrap().try_into().unwrap());
        opts.policy = Some(policy.clone());
        teescan::provider::scan::scan_provider(&report, &coll, &gpu, &opts).verdict
    };
    let genuine: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(scan(&genuine, nonce_hex), Verdict::Pass, "the control passes");

    // The caller's nonce.
    let mut other_nonce = nonce_hex.to_owned();
    other_nonce.replace_range(63.., "c");
    assert_ne!(scan(&genuine, &other_nonce), Verdict::Pass, "another caller nonce");

    // Each binding input: the last hex digit changed, and the field removed.
    let flip = |s: &str| {
        let mut s = s.to_owned();
        let last = s.pop().unwrap();
        s.push(if last == '0' { '1' } else { '0' });
        s
    };
    for key in ["signing_address", "tls_cert_fingerprint", "request_nonce", "intel_quote"] {
        let mut doc = genuine.clone();
        let mut text = genuine[key].as_str().unwrap().to_owned();
        if key == "intel_quote" {
            // Inside REPORTDATA (quote bytes 568..632); the quote's trailing zero padding is
            // outside the signed data and ignored by design (tdx.quote.structure notes it).
            let at = 2 * 600;
            let digit = flip(&text[..=at]);
            text.replace_range(..=at, &digit);
        } else {
            text = flip(&text);
        }
        doc[key] = serde_json::Value::String(text);
        assert_ne!(scan(&doc, nonce_hex), Verdict::Pass, "{key} changed");
        let mut doc = genuine.clone();
        doc.as_object_mut().unwrap().remove(key);
        assert_ne!(scan(&doc, nonce_hex), Verdict::Pass, "{key} removed");
    }
    // Each event of the log: its digest changed (RTMR replay or digest recomputation fails).
    let events = genuine["event_log"].as_array().expect("event_log array").len();
    assert!(events > 10, "{events} events");
    for i in 0..events {
        let mut doc = genuine.clone();
        let ev = &mut doc["event_log"][i];
        let d = ev["digest"].as_str().unwrap_or_default().to_owned();
        if d.is_empty() {
            continue;
        }
        ev["digest"] = serde_json::Value::String(flip(&d));
        assert_ne!(scan(&doc, nonce_hex), Verdict::Pass, "event {i} digest changed");
    }
}
