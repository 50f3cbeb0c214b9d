//! The CLI on formats seen in the wild and on honest output (issue #19): padded SPDM reports, one
//! exit-code rule for malformed input, and what the table and JSON say about what judged the
//! evidence.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/corpus.rs"]
mod corpus;

#[path = "../examples/verify_quote.rs"]
#[allow(dead_code)]
mod verify_quote;

use std::path::{Path, PathBuf};

use cli::{s, scratch, Run};

/// Runs the binary. Scans get `--offline` unless they say otherwise: tests never use the network.
fn teescan(args: &[&str]) -> Run {
    let mut args: Vec<&str> = args.to_vec();
    if args.first() == Some(&"scan") && !args.contains(&"--pccs") && !args.iter().any(|a| a.starts_with("http")) {
        args.push("--offline");
    }
    cli::teescan(args)
}

const H100_NONCE: &str = "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb";
const H100_AT: &str = "2025-08-21T12:00:00Z";

/// The nvtrust H100 sample report, decoded, and a policy that waives OCSP.
fn h100(root: &Path, name: &str) -> (Vec<u8>, PathBuf, PathBuf) {
    let dir = root.join("nvidia/nvtrust-sample-h100");
    let hex_text = std::fs::read_to_string(dir.join("attestation_report.hex")).unwrap();
    let raw = hex::decode(hex_text.trim()).unwrap();
    let pol = scratch(name).join("h100.toml");
    std::fs::write(&pol, "schema = \"teescan.policy/v1\"\nid = \"h100\"\nexpires = 2027-01-01T00:00:00Z\n[gpu]\ncount = 1\narch = { any_of = [\"HOPPER\"] }\ndriver_version = { any_of = [\"550.90.07\"] }\nocsp = \"waived\"\nrim = \"waived\"\n").unwrap();
    (raw, dir.join("device_cert_chain.pem"), pol)
}

#[test]
fn spdm_report_with_trailing_zero_padding_passes_and_says_so() {
    let Some(root) = corpus::root() else { return };
    let (mut raw, chain, pol) = h100(&root, "padded");
    raw.push(0);
    let file = pol.with_file_name("padded.bin");
    std::fs::write(&file, &raw).unwrap();
    let r = teescan(&["scan", &s(&file), "--cert-chain", &s(&chain), "--nonce", H100_NONCE, "--policy", &s(&pol), "--at", H100_AT]);
    assert!(r.stdout.contains("1 zero padding bytes after the signature"), "{}", r.stdout);
    assert!(!r.stdout.contains("FAIL gpu[0].report.parse"), "{}", r.stdout);
    assert_ne!(r.code, 1, "{}", r.stdout);
    assert_ne!(r.code, 2, "{}", r.stderr);
    // A non-zero byte after the signature stays an error: the input is malformed (exit 2).
    *raw.last_mut().unwrap() = 1;
    std::fs::write(&file, &raw).unwrap();
    let r = teescan(&["scan", &s(&file), "--cert-chain", &s(&chain), "--nonce", H100_NONCE, "--policy", &s(&pol), "--at", H100_AT]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("after the signature"), "{}", r.stderr);
}

#[test]
fn truncated_spdm_report_given_as_input_is_exit_2_like_a_truncated_quote() {
    let Some(root) = corpus::root() else { return };
    let (raw, chain, _) = h100(&root, "truncated");
    let d = scratch("truncated-files");
    let file = d.join("truncated.bin");
    std::fs::write(&file, &raw[..raw.len() - 200]).unwrap();
    let r = teescan(&["scan", &s(&file), "--cert-chain", &s(&chain), "--at", H100_AT]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("malformed"), "{}", r.stderr);
    let quote = std::fs::read("fixtures/testpki/quote.bin").unwrap();
    let qfile = d.join("truncated-quote.bin");
    std::fs::write(&qfile, &quote[..quote.len() / 2]).unwrap();
    let r = teescan(&["scan", &s(&qfile), "--at", "2026-01-15T00:00:00Z"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
}

const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
const CORPUS_AT: &str = "2026-07-01T00:00:00Z";

fn near_capture(root: &Path) -> PathBuf {
    root.join("providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637")
}

#[test]
fn malformed_evidence_inside_a_provider_response_fails_the_provider_with_exit_1() {
    let Some(root) = corpus::root() else { return };
    let cap = near_capture(&root);
    let body = cap.join("responses/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body");
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&body).unwrap()).unwrap();
    let q = doc["intel_quote"].as_str().unwrap().to_owned();
    doc["intel_quote"] = serde_json::json!(q[..q.len() / 2]);
    let file = scratch("provider-malformed").join("report.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let r = teescan(&["scan", &s(&file), "--collateral", &s(&cap.join("responses")), "--nonce", NEAR_NONCE, "--at", CORPUS_AT]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("FAIL"), "{}", r.stdout);
}

// ---------------------------------------------------------------------------------------------
// Honest output.

const TESTPKI_AT: &str = "2026-01-15T00:00:00Z";

fn sha256_file(p: &Path) -> String {
    hex::encode(teescan::crypto::sha256(&std::fs::read(p).unwrap()))
}

#[test]
fn table_names_the_policy_id_file_and_sha256_and_the_trust_anchors() {
    let r = teescan(&["scan", "fixtures/testpki/quote.bin", "--collateral", "fixtures/testpki/collateral.json", "--at", TESTPKI_AT, "--danger-trust-test-root", "fixtures/testpki/root.der", "--policy", "fixtures/testpki/policy.toml"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let sha = sha256_file(Path::new("fixtures/testpki/policy.toml"));
    assert!(r.stdout.contains(&format!("policy: testpki-example (fixtures/testpki/policy.toml) sha256:{sha}")), "{}", r.stdout);
    assert!(r.stdout.contains("Trust anchors\n  TEST root given with --danger-trust-test-root (NOT Intel)"), "{}", r.stdout);
    let r = teescan(&["scan", "fixtures/testpki/quote.bin", "--collateral", "fixtures/testpki/collateral.json", "--at", TESTPKI_AT, "--format", "json", "--policy", "fixtures/testpki/policy.toml"]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["policy"]["file"], "fixtures/testpki/policy.toml");
    assert_eq!(j["trust_anchors"][0]["name"], "Intel SGX Root CA (pinned)");
}

#[test]
fn policy_expires_shows_the_expiry_and_the_time_left_not_the_scan_time() {
    let r = teescan(&["scan", "fixtures/testpki/quote.bin", "--collateral", "fixtures/testpki/collateral.json", "--at", TESTPKI_AT, "--danger-trust-test-root", "fixtures/testpki/root.der", "--policy", "fixtures/testpki/policy.toml", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let c = j["checks"].as_array().unwrap().iter().find(|c| c["id"] == "policy.expires").unwrap();
    let actual = c["actual"].as_str().unwrap();
    assert!(actual.starts_with("expires 20") && actual.contains("days left"), "{actual}");
    assert!(!actual.contains(TESTPKI_AT), "{actual}");
}

/// The NEAR AI node capture with its collateral, NRAS result and JWKS, under the shipped policy
/// (which waives RIMs and OCSP).
fn near_scan(root: &Path, extra: &[&str]) -> Run {
    let c = near_capture(root).join("responses");
    let body = c.join("0001_qwen35-122b.completions.near.ai_v1_attestation_report.body");
    let nras = c.join("0006_nras.attestation.nvidia.com_v3_attest_gpu.body");
    let jwks = c.join("0007_nras.attestation.nvidia.com_.well-known_jwks.json.body");
    let mut a = vec!["scan".to_owned(), s(&body), "--collateral".to_owned(), s(&c), "--nras".to_owned(), s(&nras), "--jwks".to_owned(), s(&jwks)];
    a.extend(["--policy", "policies/nearai.toml", "--at", "2026-06-29T02:10:00Z", "--nonce", NEAR_NONCE].map(str::to_owned));
    a.extend(extra.iter().map(|x| (*x).to_owned()));
    teescan(&a.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn identical_per_gpu_passes_fold_into_one_line_and_v_expands_them() {
    let Some(root) = corpus::root() else { return };
    let r = near_scan(&root, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("pass node.gpu[*].report.signature"), "{}", r.stdout);
    assert!(r.stdout.contains("8/8 GPUs"), "{}", r.stdout);
    assert!(!r.stdout.contains("node.gpu[3].report.signature"), "{}", r.stdout);
    let v = near_scan(&root, &["-v"]);
    assert_eq!(v.code, 0);
    for i in 0..8 {
        assert!(v.stdout.contains(&format!("pass node.gpu[{i}].report.signature")), "{}", v.stdout);
    }
    assert!(r.stdout.lines().count() + 40 <= v.stdout.lines().count(), "{} vs {}", r.stdout.lines().count(), v.stdout.lines().count());
}

#[test]
fn failing_gpu_checks_stay_expanded_beside_the_folded_passes() {
    let Some(root) = corpus::root() else { return };
    // The node's GPU evidence held to another nonce: every device's nonce check fails, each on
    // its own line, while the passes of the other per-device checks stay folded.
    let dir = root.join("nvidia/providers/neardirect-qwen35-teep");
    let r = teescan(&["scan", &s(&dir.join("nvidia_payload.json")), "--policy", "policies/nearai-gpu.toml", "--at", "2026-06-29T02:06:40Z", "--nonce", &NEAR_NONCE.replace("541b", "541c")]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    for i in 0..8 {
        assert!(r.stdout.contains(&format!("FAIL gpu[{i}].report.nonce")), "{}", r.stdout);
    }
    assert!(r.stdout.contains("pass gpu[*].report.signature") && r.stdout.contains("8/8 GPUs"), "{}", r.stdout);
}

#[test]
fn waived_checks_name_the_policy_rule_and_differ_from_not_supplied() {
    let Some(root) = corpus::root() else { return };
    let r = near_scan(&root, &[]);
    assert!(r.stdout.contains("checks waived by the policy"), "{}", r.stdout);
    assert!(r.stdout.contains("by gpu.ocsp = \"waived\"") && r.stdout.contains("by gpu.rim = \"waived\""), "{}", r.stdout);
    assert!(!r.stdout.contains("waived by the policy or not applicable"), "{}", r.stdout);
    let j = near_scan(&root, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let checks = doc["checks"].as_array().unwrap();
    let ocsp = checks.iter().find(|c| c["id"] == "node.gpu[0].ocsp.brom").unwrap();
    assert_eq!(ocsp["waived_by"], "gpu.ocsp = \"waived\"", "{ocsp}");
    assert_eq!(ocsp["required"], false);
    // A check informational for another reason names no rule.
    assert!(checks.iter().filter(|c| c["waived_by"].is_string()).all(|c| c["id"].as_str().unwrap().contains("gpu[")));
}

#[test]
fn trust_anchors_by_name_and_nras_and_jwks_hashes_are_reported() {
    let Some(root) = corpus::root() else { return };
    let r = near_scan(&root, &[]);
    for name in ["Intel SGX Root CA (pinned)", "NVIDIA Device Identity CA (pinned)", "NVIDIA NRAS GPU intermediate CA (pinned SPKI)"] {
        assert!(r.stdout.contains(name), "{name}\n{}", r.stdout);
    }
    let c = near_capture(&root).join("responses");
    let nras = sha256_file(&c.join("0006_nras.attestation.nvidia.com_v3_attest_gpu.body"));
    let jwks = sha256_file(&c.join("0007_nras.attestation.nvidia.com_.well-known_jwks.json.body"));
    let j = near_scan(&root, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let coll = doc["collateral"].as_array().unwrap();
    assert!(coll.iter().any(|c| c["kind"] == "nras_response" && c["sha256"] == nras.as_str()), "{coll:?}");
    assert!(coll.iter().any(|c| c["kind"] == "nras_jwks" && c["sha256"] == jwks.as_str()), "{coll:?}");
    assert!(r.stdout.contains(&format!("nras_response             sha256:{}", &nras[..15])), "{}", r.stdout);
}

#[test]
fn gpu_consistent_says_what_an_absent_cc_mode_means() {
    let Some(root) = corpus::root() else { return };
    let r = near_scan(&root, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let c = doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "node.gpu.consistent").unwrap();
    let actual = c["actual"].as_str().unwrap();
    assert!(!actual.contains("{\"-\"}"), "{actual}");
    assert!(actual.contains("CC mode not reported"), "{actual}");
}

#[test]
fn json_format_single_input_error_is_a_json_document_on_stdout_with_exit_2() {
    let r = teescan(&["scan", "does/not/exist.bin", "--format", "json"]);
    assert_eq!(r.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", r.stdout));
    assert_eq!(doc["error"]["code"], "input.read");
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(doc["input"]["source"], "does/not/exist.bin");
    // Malformed input too.
    let f = scratch("json-error").join("junk.bin");
    std::fs::write(&f, b"not a quote at all").unwrap();
    let r = teescan(&["scan", &s(&f), "--format", "json"]);
    assert_eq!(r.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(doc["error"]["message"].is_string());
}

#[test]
fn cache_status_on_a_missing_directory_says_it_does_not_exist() {
    let r = teescan(&["cache", "status", "--cache-dir", "/does/not/exist/teescan-cache"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("does not exist"), "{}", r.stdout);
    assert!(!r.stdout.contains("0 entries"), "{}", r.stdout);
}

#[test]
fn policy_init_at_an_old_time_writes_an_expiry_relative_to_today_and_names_the_test_root() {
    let r = teescan(&["policy", "init", "--from", "fixtures/testpki/quote.bin", "--collateral", "fixtures/testpki/collateral.json", "--danger-trust-test-root", "fixtures/testpki/root.der", "--at", TESTPKI_AT, "--offline"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("TEST root"), "{}", r.stdout);
    let f = scratch("init-today").join("p.toml");
    std::fs::write(&f, &r.stdout).unwrap();
    // Linted now (no --at): a freshly written policy is not expired.
    let lint = teescan(&["policy", "lint", &s(&f)]);
    assert_eq!(lint.code, 0, "{}\n{}", lint.stdout, r.stdout);
    assert!(!lint.stdout.contains("expired"), "{}", lint.stdout);
}

#[test]
fn live_scan_that_fetched_nothing_passes_nothing_and_names_the_url_once() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("https://127.0.0.1:{port}/");
    let r = teescan(&["scan", &url, "--timeout", "2", "--retries", "0"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("pass bundle.integrity"), "{}", r.stdout);
    assert!(!r.stdout.contains("sha256:\n") && !r.stdout.contains("sha256: "), "{}", r.stdout);
    let host = format!("127.0.0.1:{port}");
    assert!(r.stdout.matches(&host).count() <= 2, "{}", r.stdout);
    assert!(!r.stdout.contains("for url ("), "{}", r.stdout);
}

#[test]
fn a_dcap_library_error_comes_after_a_teescan_sentence() {
    // The test PKI's quote under the production root: dcap-qvl refuses the root CA CRL.
    let r = teescan(&["scan", "fixtures/testpki/quote.bin", "--collateral", "fixtures/testpki/collateral.json", "--at", TESTPKI_AT, "--format", "json"]);
    assert_eq!(r.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let c = doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "tdx.collateral.root_crl").unwrap();
    let why = c["reason"].as_str().unwrap();
    assert!(why.starts_with("Root CA CRL signed by the root, current, root not revoked: does NOT hold, so the quote cannot be trusted (dcap-qvl: "), "{why}");
}

#[test]
fn verify_quote_example_passes_on_the_repository_evidence_with_the_test_root() {
    let read = |p: &str| std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap();
    let (quote, coll, policy, root) = (read("fixtures/testpki/quote.bin"), read("fixtures/testpki/collateral.json"), read("fixtures/testpki/policy.toml"), read("fixtures/testpki/root.der"));
    let r = verify_quote::verify(&quote, &coll, TESTPKI_AT, Some(&policy), Some(&root)).unwrap();
    assert_eq!(r.verdict, teescan::report::Verdict::Pass);
    assert!(r.warnings.iter().any(|w| w.contains("TEST TRUST ANCHOR")));
    // Without the test root the production anchor refuses the test PKI.
    let r = verify_quote::verify(&quote, &coll, TESTPKI_AT, Some(&policy), None).unwrap();
    assert_eq!(r.verdict, teescan::report::Verdict::Fail);
}

/// The README's sample output named `name`: the lines of the code block after its
/// `<!-- sample: name` marker, without the `…` lines that mark omissions.
fn readme_sample(name: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let at = readme.find(&format!("<!-- sample: {name}")).unwrap_or_else(|| panic!("no sample {name}"));
    let block = readme[at..].split("```").nth(1).unwrap();
    block.lines().skip(1).filter(|l| l.trim() != "…").map(str::to_owned).collect()
}

/// Every sample line appears in `output`, in order.
fn assert_sample_is_real(name: &str, output: &str) {
    let mut lines = output.lines();
    for want in readme_sample(name) {
        assert!(lines.any(|l| l == want), "README sample {name}: line not in the real output (or out of order):\n{want:?}\n--- real output\n{output}");
    }
}

#[test]
fn readme_sample_outputs_are_what_the_commands_print() {
    let base = ["scan", "fixtures/testpki/quote.bin", "--collateral", "fixtures/testpki/collateral.json", "--at", TESTPKI_AT, "--danger-trust-test-root", "fixtures/testpki/root.der", "--policy", "fixtures/testpki/policy.toml"];
    assert_sample_is_real("testpki-policy", &teescan(&base).stdout);
    let mut debug = base;
    debug[1] = "fixtures/testpki/debug_quote.bin";
    assert_sample_is_real("testpki-debug", &teescan(&debug).stdout);
    let Some(root) = corpus::root() else { return };
    let t = near_capture(&root).join("responses");
    let r = teescan(&[
        "scan",
        &s(&t.join("0001_qwen35-122b.completions.near.ai_v1_attestation_report.body")),
        "--collateral",
        &s(&near_capture(&root)),
        "--nras",
        &s(&t.join("0006_nras.attestation.nvidia.com_v3_attest_gpu.body")),
        "--jwks",
        &s(&t.join("0007_nras.attestation.nvidia.com_.well-known_jwks.json.body")),
        "--nonce",
        NEAR_NONCE,
        "--at",
        "2026-06-29T02:06:40Z",
        "--policy",
        "policies/nearai.toml",
    ]);
    assert_eq!(r.code, 0);
    assert_sample_is_real("near", &r.stdout);
}
