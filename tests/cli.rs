//! End-to-end tests of the `teescan` binary: exit codes (0 pass, 1 fail, 2 bad input or usage,
//! 3 indeterminate), which stream carries what, the table and JSON renderings (snapshots under
//! `tests/snapshots/`; rewrite them with `TEESCAN_BLESS=1`), the real corpus through
//! `--collateral DIR`, and the live-fetch path against a loopback replay of captured PCS responses.
//!
//! Every run goes through [`teescan`], which also asserts that the binary did not panic.
#![cfg(feature = "cli")]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/replay_server.rs"]
mod replay_server;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use cli::{crate_dir, scratch, teescan, teescan_with_stdin, Run};

use base64::Engine as _;
use serde_json::Value;

use replay_server::{Capture, Reply, Server};

const TESTPKI_AT: &str = "2026-01-15T00:00:00Z";
const QUOTE: &str = "fixtures/testpki/quote.bin";
const DEBUG_QUOTE: &str = "fixtures/testpki/debug_quote.bin";
const COLLATERAL: &str = "fixtures/testpki/collateral.json";
const ROOT: &str = "fixtures/testpki/root.der";

const CORPUS_AT: &str = "2026-07-01T00:00:00Z";
const NEARDIRECT: &str = "neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";

// ---------------------------------------------------------------------------------------------
// Helpers.

fn testpki_args(quote: &str) -> Vec<String> {
    [
        "scan",
        quote,
        "--collateral",
        COLLATERAL,
        "--danger-trust-test-root",
        ROOT,
        "--at",
        TESTPKI_AT,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|s| (*s).to_owned()));
    args
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

const TEST_ROOT_WARNING: &str =
    "teescan: warning: trusting a TEST root instead of the Intel SGX Root CA";

/// Assert that `actual` matches `tests/snapshots/NAME`, or rewrite it when `TEESCAN_BLESS=1`.
/// The tool version is replaced by `[VERSION]` so that a version bump does not churn snapshots.
fn snapshot(name: &str, actual: &str) {
    let actual = actual.replace(
        concat!("teescan ", env!("CARGO_PKG_VERSION")),
        "teescan [VERSION]",
    );
    let path = crate_dir().join("tests/snapshots").join(name);
    if std::env::var_os("TEESCAN_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir snapshots");
        std::fs::write(&path, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {} unreadable ({e}); run with TEESCAN_BLESS=1 to create it. Actual:\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        let first_diff = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .unwrap_or_else(|| {
                format!(
                    "lengths differ: {} vs {} lines",
                    expected.lines().count(),
                    actual.lines().count()
                )
            });
        panic!(
            "snapshot {} differs (TEESCAN_BLESS=1 rewrites it)\n{first_diff}\n--- actual\n{actual}",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Committed test-PKI evidence.

#[test]
fn testpki_passes_with_test_root() {
    let run = teescan(testpki_args(QUOTE));
    run.assert_code(0);
    assert!(
        run.last_line().starts_with("verdict: PASS"),
        "{}",
        run.context()
    );
    assert!(run.stdout.ends_with('\n'));
    assert!(
        run.stdout.contains("TEST TRUST ANCHOR"),
        "{}",
        run.context()
    );
    assert!(run.stderr.contains(TEST_ROOT_WARNING), "{}", run.context());
    // stdout carries only the report; the warning about the root is a diagnostic.
    assert!(
        !run.stdout.contains("teescan: warning"),
        "{}",
        run.context()
    );
    // Not a terminal and NO_COLOR: no ANSI escapes.
    assert!(!run.stdout.contains('\x1b'), "{}", run.context());
}

#[test]
fn testpki_fails_against_intel_root() {
    let run = teescan([
        "scan",
        QUOTE,
        "--collateral",
        COLLATERAL,
        "--at",
        TESTPKI_AT,
    ]);
    run.assert_code(1);
    assert!(
        run.last_line().starts_with("verdict: FAIL"),
        "{}",
        run.context()
    );
    assert!(
        !run.stdout.contains("TEST TRUST ANCHOR"),
        "{}",
        run.context()
    );
    assert_eq!(run.stderr, "", "no diagnostics expected");
}

#[test]
fn testpki_debug_quote_fails_unless_allowed() {
    let run = teescan(testpki_args(DEBUG_QUOTE));
    run.assert_code(1);
    assert!(run.stdout.contains("tdx.td.debug"), "{}", run.context());
    assert_eq!(run.last_line(), "verdict: FAIL (tdx.td.debug)");

    let run = teescan(with(testpki_args(DEBUG_QUOTE), &["--format", "json"]));
    run.assert_code(1);
    let j = run.json();
    assert_eq!(j["verdict"], "fail");
    let debug = j["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "tdx.td.debug")
        .expect("tdx.td.debug check");
    assert_eq!(debug["status"], "fail");

    let run = teescan(with(testpki_args(DEBUG_QUOTE), &["--allow-debug"]));
    run.assert_code(0);
    assert!(
        run.last_line().starts_with("verdict: PASS"),
        "{}",
        run.context()
    );
}

#[test]
fn testpki_json_report_shape() {
    let run = teescan(with(testpki_args(QUOTE), &["--format", "json"]));
    run.assert_code(0);
    assert!(run.stderr.contains(TEST_ROOT_WARNING), "{}", run.context());
    let j = run.json();
    assert_eq!(j["schema"], "teescan.report/v1");
    assert_eq!(j["verdict"], "pass");
    assert_eq!(j["verified_at"], TESTPKI_AT);
    let raw = std::fs::read(crate_dir().join(QUOTE)).expect("quote.bin");
    assert_eq!(j["input"]["sha256"], sha256_hex(&raw));
    assert_eq!(j["input"]["format"], "tdx-quote (binary)");
    assert_eq!(j["input"]["source"], QUOTE);

    let checks = j["checks"].as_array().expect("checks[]");
    assert!(!checks.is_empty());
    for c in checks {
        assert!(c["id"].as_str().is_some_and(|s| s.contains('.')), "{c}");
        assert!(
            matches!(
                c["status"].as_str(),
                Some("pass" | "fail" | "skipped" | "indeterminate")
            ),
            "{c}"
        );
        assert!(c["required"].is_boolean(), "{c}");
        if c["required"] == true {
            assert_eq!(c["status"], "pass", "{c}");
        }
    }
    let ids: Vec<&str> = checks.iter().filter_map(|c| c["id"].as_str()).collect();
    for id in ["tdx.quote.signature", "tdx.pck.chain", "tdx.td.debug"] {
        assert!(ids.contains(&id), "missing check {id}: {ids:?}");
    }

    let mr_td = j["claims"]["tdx"]["td"]["mr_td"].as_str().expect("mr_td");
    assert!(is_hex(mr_td, 96), "{mr_td}");

    let collateral = j["collateral"].as_array().expect("collateral[]");
    assert!(!collateral.is_empty());
    for c in collateral {
        assert!(c["kind"].is_string(), "{c}");
        assert!(is_hex(c["sha256"].as_str().unwrap_or(""), 64), "{c}");
    }
    assert!(
        j["warnings"]
            .as_array()
            .expect("warnings[]")
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("TEST TRUST ANCHOR"))),
        "{j}"
    );
}

#[test]
fn hex_and_base64_encodings_give_the_same_result() {
    let dir = scratch("encodings");
    let raw = std::fs::read(crate_dir().join(QUOTE)).expect("quote.bin");
    let hex_path = dir.join("quote.hex");
    std::fs::write(&hex_path, format!("{}\n", hex::encode(&raw))).expect("write hex");
    // Base64 wrapped at 76 columns, as `base64` prints it.
    let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
    let wrapped: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    let b64_path = dir.join("quote.b64");
    std::fs::write(&b64_path, wrapped.join("\n") + "\n").expect("write base64");

    let scan = |input: &str, stdin: Option<&[u8]>| {
        let run = teescan_with_stdin(with(testpki_args(input), &["--format", "json"]), stdin.map(<[u8]>::to_vec));
        run.assert_code(0);
        run.json()
    };
    let binary = scan(QUOTE, None);
    let want_sha = sha256_hex(&raw);
    for (label, j) in [
        ("hex", scan(hex_path.to_str().expect("utf-8 path"), None)),
        ("base64", scan(b64_path.to_str().expect("utf-8 path"), None)),
        ("hex", scan("-", Some(hex::encode(&raw).as_bytes()))),
    ] {
        assert_eq!(j["verdict"], binary["verdict"], "{label}");
        assert_eq!(j["input"]["sha256"], want_sha, "{label}");
        assert_eq!(j["input"]["format"], format!("tdx-quote ({label})"));
        assert_eq!(j["checks"], binary["checks"], "{label}: same checks");
        assert_eq!(j["claims"], binary["claims"], "{label}: same claims");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Snapshots of the rendered reports (run from the crate dir with relative paths, so the
// `input.source` is stable).

#[test]
fn snapshot_testpki_pass_table() {
    let run = teescan(testpki_args(QUOTE));
    run.assert_code(0);
    snapshot("testpki_pass.table.txt", &run.stdout);
}

#[test]
fn snapshot_testpki_pass_json() {
    let run = teescan(with(testpki_args(QUOTE), &["--format", "json"]));
    run.assert_code(0);
    snapshot("testpki_pass.json", &run.stdout);
}

#[test]
fn snapshot_testpki_debug_table() {
    let run = teescan(testpki_args(DEBUG_QUOTE));
    run.assert_code(1);
    snapshot("testpki_debug_fail.table.txt", &run.stdout);
}

#[test]
fn snapshot_testpki_debug_json() {
    let run = teescan(with(testpki_args(DEBUG_QUOTE), &["--format", "json"]));
    run.assert_code(1);
    snapshot("testpki_debug_fail.json", &run.stdout);
}

const POLICY: &str = "fixtures/testpki/policy.toml";

fn sv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn snapshot_testpki_policy_pass_table_json_ear() {
    let base = with(testpki_args(QUOTE), &["--policy", POLICY]);
    let run = teescan(base.clone());
    run.assert_code(0);
    snapshot("testpki_policy_pass.table.txt", &run.stdout);
    let run = teescan(with(base.clone(), &["--format", "json"]));
    run.assert_code(0);
    snapshot("testpki_policy_pass.json", &run.stdout);
    let run = teescan(with(base, &["--format", "ear"]));
    run.assert_code(0);
    snapshot("testpki_policy_pass.ear.json", &run.stdout);
    let ear: serde_json::Value = serde_json::from_str(&run.stdout).expect("EAR is JSON");
    let cpu0 = &ear["submods"]["cpu0"];
    // The TEST root makes the hardware claim a warning, never affirming.
    assert_eq!(cpu0["ear.status"], "warning");
    assert_eq!(cpu0["ear.trustworthiness-vector"]["hardware"], 32);
    assert_eq!(cpu0["ear.trustworthiness-vector"]["executables"], 2);
    assert!(cpu0["ear.appraisal-policy-id"].as_str().unwrap().starts_with("policy:teescan/testpki-example#sha256:"));
}

#[test]
fn snapshot_testpki_policy_debug_fail_table_json_ear() {
    let base = with(testpki_args(DEBUG_QUOTE), &["--policy", POLICY]);
    let run = teescan(base.clone());
    run.assert_code(1);
    snapshot("testpki_policy_debug_fail.table.txt", &run.stdout);
    let run = teescan(with(base.clone(), &["--format", "json"]));
    run.assert_code(1);
    snapshot("testpki_policy_debug_fail.json", &run.stdout);
    let run = teescan(with(base, &["--format", "ear"]));
    run.assert_code(1);
    snapshot("testpki_policy_debug_fail.ear.json", &run.stdout);
    let ear: serde_json::Value = serde_json::from_str(&run.stdout).expect("EAR is JSON");
    assert_eq!(ear["submods"]["cpu0"]["ear.status"], "contraindicated");
    assert_eq!(ear["submods"]["cpu0"]["ear.trustworthiness-vector"]["configuration"], 96);
}

#[test]
fn policy_flags_conflict_with_allow_flags() {
    let run = teescan(with(testpki_args(DEBUG_QUOTE), &["--policy", POLICY, "--allow-debug"]));
    run.assert_code(2);
}

#[test]
fn signed_ear_verifies_with_the_signing_key() {
    use base64::Engine as _;
    use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("keygen");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key");
    let dir = scratch("ear");
    let key_path = dir.join("ear.pk8");
    std::fs::write(&key_path, pkcs8.as_ref()).expect("write key");
    let run = teescan(with(
        testpki_args(QUOTE),
        &["--policy", POLICY, "--format", "ear", "--ear-key", key_path.to_str().expect("utf-8")],
    ));
    run.assert_code(0);
    let jwt = run.stdout.trim();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: serde_json::Value = serde_json::from_slice(&b64.decode(parts[0]).expect("b64")).expect("json");
    assert_eq!(header["alg"], "ES256");
    let sig = b64.decode(parts[2]).expect("b64 sig");
    let signed = format!("{}.{}", parts[0], parts[1]);
    ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref())
        .verify(signed.as_bytes(), &sig)
        .expect("EAR signature verifies");
    let claims: serde_json::Value = serde_json::from_slice(&b64.decode(parts[1]).expect("b64")).expect("json");
    assert_eq!(claims["eat_profile"], "tag:github.com,2023:veraison/ear");
    // A tampered payload does not verify.
    let tampered = format!("{}.{}x", parts[0], parts[1]);
    assert!(ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref())
        .verify(tampered.as_bytes(), &sig)
        .is_err());
    // A key that is not PKCS#8 EC is a usage error.
    std::fs::write(&key_path, b"not a key").expect("write");
    let run = teescan(with(testpki_args(QUOTE), &["--format", "ear", "--ear-key", key_path.to_str().expect("utf-8")]));
    run.assert_code(2);
}

#[test]
fn policy_lint_schema_and_init() {
    for p in ["policies/tdx-baseline.toml", "policies/nearai.toml", "policies/nearai-gateway.toml", "policies/phala-redpill.toml", "policies/tinfoil.toml", POLICY] {
        let run = teescan(sv(&["policy", "lint", p, "--at", "2026-07-01T00:00:00Z"]));
        run.assert_code(0);
        assert!(run.stdout.contains(": ok:"), "{p}: {}", run.stdout);
    }
    // Expired at a later time.
    let run = teescan(sv(&["policy", "lint", "policies/nearai.toml", "--at", "2030-01-01T00:00:00Z"]));
    run.assert_code(1);
    assert!(run.stdout.contains("expired"));
    // A misspelt key: exit 1, names key and line.
    let dir = scratch("lint");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "schema = \"teescan.policy/v1\"\nid = \"x\"\nexpires = 2027-01-01T00:00:00Z\n[tdx.td]\nallow_debugg = true\n").expect("write");
    let run = teescan(sv(&["policy", "lint", bad.to_str().expect("utf-8")]));
    run.assert_code(1);
    assert!(run.stdout.contains("allow_debugg") && run.stdout.contains("line 5"), "{}", run.stdout);
    // The schema is JSON and describes the top-level keys.
    let run = teescan(sv(&["policy", "schema"]));
    run.assert_code(0);
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("schema JSON");
    assert!(schema["properties"]["expires"].is_object() && schema["properties"]["tdx"].is_object());
    // init pins verified evidence, and refuses evidence that fails.
    let mut init = sv(&["policy", "init", "--from", QUOTE, "--collateral", COLLATERAL, "--danger-trust-test-root", ROOT, "--at", "2026-01-15T00:00:00Z"]);
    let run = teescan(init.clone());
    run.assert_code(0);
    assert!(run.stdout.contains("mr_td = { any_of = [") && run.stdout.contains("fixtures/testpki/quote.bin"));
    init[3] = DEBUG_QUOTE.into();
    let run = teescan(init);
    run.assert_code(1);
    assert!(run.stdout.is_empty() && run.stderr.contains("refusing"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// 3. Bad input: exit 2, nothing on stdout, one `teescan: error[CODE]: …` line on stderr.

fn assert_input_error(run: &Run, code: &str) {
    run.assert_code(2);
    assert_eq!(run.stdout, "", "stdout must be empty:\n{}", run.context());
    let prefix = format!("teescan: error[{code}]: ");
    assert!(
        run.stderr.starts_with(&prefix),
        "expected {prefix}…:\n{}",
        run.context()
    );
    assert!(
        run.stderr.ends_with('\n') && run.stderr.lines().count() == 1,
        "expected one line on stderr:\n{}",
        run.context()
    );
}

/// Deterministic pseudo-random bytes (xorshift64*).
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn bad_evidence_is_exit_2() {
    let dir = scratch("bad_evidence");
    let raw = std::fs::read(crate_dir().join(QUOTE)).expect("quote.bin");
    let mut random = noise(1024, 0x7ee5_ca11);
    random[0] = 0xA7; // not a quote version, so it is judged as binary junk
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.bin", Vec::new(), "input.empty"),
        ("random.bin", random, "input.encoding"),
        ("big.bin", vec![0u8; 5 * 1024 * 1024], "input.too_large"),
        ("odd.hex", b"04000200810\n".to_vec(), "input.hex"),
        ("junk.b64", b"BAACAIE=$$%%!!\n".to_vec(), "input.encoding"),
        ("doc.json", br#"{"quote": "0400"}"#.to_vec(), "input.format"),
        ("truncated.bin", raw[..100].to_vec(), "tdx.quote.truncated"),
    ];
    for (name, bytes, code) in &cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write case");
        let run = teescan(["scan".as_ref(), path.as_os_str(), "--offline".as_ref()]);
        assert_input_error(&run, code);
        // The same with collateral given: the input is refused before the collateral matters.
        let run = teescan([
            "scan".as_ref(),
            path.as_os_str(),
            "--collateral".as_ref(),
            OsStr::new(COLLATERAL),
        ]);
        assert_input_error(&run, code);
    }
    // A 5 MiB file is refused without being read whole (message names the limit).
    let run = teescan([
        "scan",
        dir.join("big.bin").to_str().expect("path"),
        "--offline",
    ]);
    assert!(run.stderr.contains("4194304"), "{}", run.context());
    assert_input_error(
        &teescan(["scan", "no/such/quote.bin", "--offline"]),
        "input.read",
    );
}

#[test]
fn bad_options_and_collateral_are_exit_2() {
    let dir = scratch("bad_options");
    assert_input_error(
        &teescan(["scan", QUOTE, "--offline", "--at", "yesterday"]),
        "input.time",
    );
    assert_input_error(
        &teescan([
            "scan",
            QUOTE,
            "--collateral",
            COLLATERAL,
            "--at",
            "2026-13-45",
        ]),
        "input.time",
    );

    let malformed = dir.join("malformed.json");
    std::fs::write(&malformed, "{\"tcb_info\": ").expect("write");
    let run = teescan([
        "scan".as_ref(),
        OsStr::new(QUOTE),
        "--collateral".as_ref(),
        malformed.as_os_str(),
    ]);
    assert_input_error(&run, "input.collateral");

    let mut doc: Value = serde_json::from_slice(
        &std::fs::read(crate_dir().join(COLLATERAL)).expect("collateral.json"),
    )
    .expect("collateral JSON");
    doc["surprise"] = Value::from(1);
    let unknown = dir.join("unknown_key.json");
    std::fs::write(&unknown, serde_json::to_vec(&doc).expect("json")).expect("write");
    let run = teescan([
        "scan".as_ref(),
        OsStr::new(QUOTE),
        "--collateral".as_ref(),
        unknown.as_os_str(),
    ]);
    assert_input_error(&run, "input.collateral");
    assert!(run.stderr.contains("surprise"), "{}", run.context());

    assert_input_error(
        &teescan(["scan", QUOTE, "--collateral", "no/such/collateral.json"]),
        "input.read",
    );
    // A test root that is not a certificate.
    assert_input_error(
        &teescan(testpki_args(QUOTE).into_iter().map(|a| {
            if a == ROOT {
                COLLATERAL.to_owned()
            } else {
                a
            }
        })),
        "input.trust_anchor",
    );
}

#[test]
fn usage_errors_are_exit_2() {
    for args in [
        vec!["frobnicate", QUOTE],
        vec!["scan", QUOTE, "--frobnicate"],
        vec!["scan"],
        vec![],
        vec!["scan", QUOTE, "--format", "yaml"],
    ] {
        let run = teescan(&args);
        run.assert_code(2);
        assert_eq!(run.stdout, "", "{args:?}: stdout must be empty");
        assert!(
            run.stderr.contains("error:") || run.stderr.contains("Usage:"),
            "{args:?}:\n{}",
            run.context()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Offline without collateral: indeterminate.

#[test]
fn offline_without_collateral_is_indeterminate() {
    let run = teescan(["scan", QUOTE, "--offline", "--at", TESTPKI_AT]);
    run.assert_code(3);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout.contains("tdx.collateral.available"),
        "{}",
        run.context()
    );
    assert!(
        run.stdout.contains("collateral unavailable"),
        "{}",
        run.context()
    );
    assert!(run.stdout.contains("--offline"), "{}", run.context());
    assert_eq!(run.last_line(), "verdict: INDETERMINATE");

    let run = teescan([
        "scan",
        QUOTE,
        "--offline",
        "--at",
        TESTPKI_AT,
        "--format",
        "json",
    ]);
    run.assert_code(3);
    let j = run.json();
    assert_eq!(j["schema"], "teescan.report/v1");
    assert_eq!(j["verdict"], "indeterminate");
    let raw = std::fs::read(crate_dir().join(QUOTE)).expect("quote.bin");
    assert_eq!(j["input"]["sha256"], sha256_hex(&raw));
    let checks = j["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 1, "{j}");
    assert_eq!(checks[0]["id"], "tdx.collateral.available");
    assert_eq!(checks[0]["status"], "indeterminate");
    assert_eq!(checks[0]["required"], true);
    assert!(
        checks[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("--offline")),
        "{j}"
    );
    assert_eq!(j["collateral"], Value::Array(Vec::new()));
}

// ---------------------------------------------------------------------------------------------
// 5. The real corpus through the CLI.

/// Whether a capture directory holds a TCB Info response for `fmspc`.
fn capture_has_tcb_for(capture: &Path, fmspc: &str) -> bool {
    let needle = format!("fmspc={fmspc}");
    std::fs::read_dir(capture.join("responses"))
        .expect("responses dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .any(|p| {
            let meta: Value =
                serde_json::from_slice(&std::fs::read(&p).expect("read meta")).expect("meta json");
            meta["url"].as_str().is_some_and(|u| {
                u.contains("/tdx/certification/v4/tcb") && u.to_lowercase().contains(&needle)
            })
        })
}

fn quote_fmspc(quote: &[u8]) -> String {
    let (_, q, _) = teescan::parse_tdx_quote(quote).expect("corpus quote parses");
    hex::encode(q.pck_hint().expect("PCK hint").fmspc)
}

#[test]
fn corpus_teep_quotes_with_capture_dirs() {
    let Some(root) = corpus::root() else { return };
    let derived = root.join("tdx/derived/teep");
    let captures = root.join("providers/teep-captures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&derived)
        .expect("tdx/derived/teep")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let (mut total, mut passed, mut indeterminate) = (0usize, 0usize, 0usize);
    for dir in dirs {
        let capture_name = dir.file_name().expect("name").to_owned();
        let capture = captures.join(&capture_name);
        assert!(capture.is_dir(), "no capture for {}", dir.display());
        let mut quotes: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("capture quotes")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("quote_") && n.ends_with(".bin"))
            })
            .collect();
        quotes.sort();
        for quote in quotes {
            total += 1;
            let fmspc = quote_fmspc(&std::fs::read(&quote).expect("quote"));
            let run = teescan([
                "scan".as_ref(),
                quote.as_os_str(),
                "--collateral".as_ref(),
                capture.as_os_str(),
                "--at".as_ref(),
                OsStr::new(CORPUS_AT),
                "--format".as_ref(),
                "json".as_ref(),
            ]);
            let label = format!("{} (FMSPC {fmspc})", quote.display());
            if capture_has_tcb_for(&capture, &fmspc) {
                assert_eq!(run.code, 0, "{label}\n{}", run.context());
                let j = run.json();
                assert_eq!(j["verdict"], "pass", "{label}");
                assert_eq!(
                    j["claims"]["tdx"]["tcb"]["fmspc"],
                    fmspc.as_str(),
                    "{label}"
                );
                passed += 1;
            } else {
                assert_eq!(run.code, 3, "{label}\n{}", run.context());
                let j = run.json();
                assert_eq!(j["verdict"], "indeterminate", "{label}");
                assert!(
                    run.stdout.contains("no TCB Info for this FMSPC"),
                    "{label}\n{}",
                    run.context()
                );
                indeterminate += 1;
            }
        }
    }
    eprintln!("teep corpus: {total} quotes, {passed} pass, {indeterminate} indeterminate");
    assert_eq!(total, 13, "teep quotes in the corpus");
    // Every capture holds the TCB Info of its quotes' FMSPCs (nearcloud fetched both 90c06f000000
    // and b0c06f000000).
    assert_eq!((passed, indeterminate), (13, 0));
}

/// A capture that lacks the TCB Info for the quote's FMSPC gives indeterminate (exit 3): the
/// nearcloud capture without its b0c06f000000 response, for the nearcloud quote on that FMSPC.
#[test]
fn corpus_capture_without_the_fmspc_is_indeterminate() {
    let Some(root) = corpus::root() else { return };
    let capture =
        root.join("providers/teep-captures/nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657");
    let quotes = root.join("tdx/derived/teep/nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657");
    let quote = quotes.join("quote_dbd3b82f0fc6.bin");
    let fmspc = quote_fmspc(&std::fs::read(&quote).expect("quote"));
    assert_eq!(fmspc, "b0c06f000000");

    // Copy every response except the TCB Info for that FMSPC.
    let dir = scratch("capture_without_fmspc");
    let mut dropped = 0;
    for entry in std::fs::read_dir(capture.join("responses")).expect("responses") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "json") {
            let meta: Value =
                serde_json::from_slice(&std::fs::read(&path).expect("meta")).expect("json");
            if meta["url"]
                .as_str()
                .is_some_and(|u| u.contains(&format!("fmspc={fmspc}")))
            {
                dropped += 1;
                continue;
            }
            let body = path.with_extension("body");
            std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
            std::fs::copy(&body, dir.join(body.file_name().expect("name"))).expect("copy");
        }
    }
    assert_eq!(dropped, 1);

    let run = teescan([
        "scan".as_ref(),
        quote.as_os_str(),
        "--collateral".as_ref(),
        dir.as_os_str(),
        "--at".as_ref(),
        OsStr::new(CORPUS_AT),
    ]);
    run.assert_code(3);
    assert!(
        run.stdout.contains("no TCB Info for this FMSPC"),
        "{}",
        run.context()
    );
    assert!(run.stdout.contains("b0c06f000000"), "{}", run.context());
    assert_eq!(run.last_line(), "verdict: INDETERMINATE");

    // The other nearcloud quotes (FMSPC 90c06f000000) still pass with the reduced capture.
    let run = teescan([
        "scan".as_ref(),
        quotes.join("quote_2f655fa9c2e6.bin").as_os_str(),
        "--collateral".as_ref(),
        dir.as_os_str(),
        "--at".as_ref(),
        OsStr::new(CORPUS_AT),
    ]);
    run.assert_code(0);
}

#[test]
fn corpus_dcap_qvl_sample() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join("tdx/dcap-qvl-0.7.1");
    let quote = dir.join("tdx_quote");
    let collateral = dir.join("tdx_quote_collateral.json");
    let scan = |at: &str| {
        teescan([
            "scan".as_ref(),
            quote.as_os_str(),
            "--collateral".as_ref(),
            collateral.as_os_str(),
            "--at".as_ref(),
            OsStr::new(at),
            "--format".as_ref(),
            "json".as_ref(),
        ])
    };
    let run = scan("2025-06-20T06:13:20Z");
    run.assert_code(0);
    assert_eq!(run.json()["verdict"], "pass");

    let run = scan("2025-07-20T00:00:00Z");
    run.assert_code(1);
    let j = run.json();
    assert_eq!(j["verdict"], "fail");
    let validity = j["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "tdx.collateral.tcb_info.validity")
        .expect("validity check");
    assert_eq!(validity["status"], "fail", "{validity}");
}

// ---------------------------------------------------------------------------------------------
// 6. Live fetch against a loopback PCCS replaying captured PCS responses.

#[test]
fn pccs_fetch_from_loopback_replay() {
    let Some(root) = corpus::root() else { return };
    let responses = root
        .join("providers/teep-captures")
        .join(NEARDIRECT)
        .join("responses");
    let tcb = Capture::load(
        &responses,
        "0002_api.trustedservices.intel.com_tdx_certification_v4_tcb",
    );
    let qe = Capture::load(
        &responses,
        "0003_api.trustedservices.intel.com_tdx_certification_v4_qe_identity",
    );
    let pck = Capture::load(
        &responses,
        "0004_api.trustedservices.intel.com_sgx_certification_v4_pckcrl",
    );
    let root_crl = Capture::load(
        &responses,
        "0005_certificates.trustedservices.intel.com_intelsgxrootca.der",
    );
    assert!(tcb.url.contains("fmspc=90c06f000000"), "{}", tcb.url);
    let (tcb, qe, pck, root_crl) = (tcb.reply(), qe.reply(), pck.reply(), root_crl.reply());
    let server = Server::start(move |path, _| match path {
        "/tdx/certification/v4/tcb" => tcb.clone(),
        "/tdx/certification/v4/qe/identity" => qe.clone(),
        "/sgx/certification/v4/pckcrl" => pck.clone(),
        // A PCCS serves the root CA CRL here (as hex); the DER captured from Intel works too.
        "/sgx/certification/v4/rootcacrl" => root_crl.clone(),
        _ => Reply::status(404),
    });
    let quote = root
        .join("tdx/derived/teep")
        .join(NEARDIRECT)
        .join("quote_7cddc8d792dc.bin");

    let run = teescan([
        "scan".as_ref(),
        quote.as_os_str(),
        "--pccs".as_ref(),
        OsStr::new(&server.base),
        "--at".as_ref(),
        OsStr::new(CORPUS_AT),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    let j = run.json();
    assert_eq!(j["verdict"], "pass");
    assert_eq!(j["claims"]["tdx"]["tcb"]["fmspc"], "90c06f000000");

    let targets = server.targets();
    assert_eq!(
        targets,
        [
            "/sgx/certification/v4/pckcrl?ca=platform&encoding=der",
            "/sgx/certification/v4/rootcacrl",
            "/tdx/certification/v4/qe/identity?update=standard",
            "/tdx/certification/v4/tcb?fmspc=90c06f000000&update=standard",
        ]
    );
}

#[test]
fn pccs_unreachable_is_indeterminate() {
    // A port nobody listens on: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let run = teescan(["scan", QUOTE, "--pccs", &url, "--at", TESTPKI_AT]);
    run.assert_code(3);
    assert!(
        run.stdout.contains("collateral fetch failed"),
        "{}",
        run.context()
    );
    assert_eq!(run.last_line(), "verdict: INDETERMINATE");

    let run = teescan([
        "scan", QUOTE, "--pccs", &url, "--at", TESTPKI_AT, "--format", "json",
    ]);
    run.assert_code(3);
    let j = run.json();
    assert_eq!(j["verdict"], "indeterminate");
    assert!(
        j["checks"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("collateral fetch failed") && r.contains(&url)),
        "{j}"
    );
}

#[test]
fn pccs_insecure_url_is_a_usage_error() {
    let run = teescan([
        "scan",
        QUOTE,
        "--pccs",
        "http://example.com",
        "--at",
        TESTPKI_AT,
    ]);
    assert_input_error(&run, "input.url");
    assert!(
        run.stderr.contains("http://example.com"),
        "{}",
        run.context()
    );
    assert_input_error(
        &teescan([
            "scan",
            QUOTE,
            "--pccs",
            "ftp://127.0.0.1/",
            "--at",
            TESTPKI_AT,
        ]),
        "input.url",
    );
    // Even when the URL would not be used: the command line itself is wrong.
    assert_input_error(
        &teescan(["scan", QUOTE, "--pccs", "http://example.com", "--offline"]),
        "input.url",
    );
    assert_input_error(
        &teescan(with(testpki_args(QUOTE), &["--pccs", "http://example.com"])),
        "input.url",
    );
}

// ---------------------------------------------------------------------------------------------
// 7. -q: silence, but the exit code still tells.

#[test]
fn quiet_prints_nothing_and_keeps_the_exit_code() {
    let cases: Vec<(Vec<String>, i32)> = vec![
        (with(testpki_args(QUOTE), &["-q"]), 0),
        (
            with(testpki_args(QUOTE), &["--quiet", "--format", "json"]),
            0,
        ),
        (with(testpki_args(DEBUG_QUOTE), &["-q"]), 1),
        (
            ["scan", QUOTE, "--offline", "-q"]
                .map(str::to_owned)
                .to_vec(),
            3,
        ),
        (
            ["scan", "no/such/file", "--offline", "-q"]
                .map(str::to_owned)
                .to_vec(),
            2,
        ),
        (
            ["scan", QUOTE, "-q", "--at", "not-a-time"]
                .map(str::to_owned)
                .to_vec(),
            2,
        ),
        (
            ["scan", QUOTE, "-q", "--pccs", "http://example.com"]
                .map(str::to_owned)
                .to_vec(),
            2,
        ),
    ];
    for (args, code) in cases {
        let run = teescan(&args);
        assert_eq!(run.code, code, "{args:?}\n{}", run.context());
        assert_eq!(run.stdout, "", "{args:?}: stdout");
        assert_eq!(run.stderr, "", "{args:?}: stderr");
    }
}

/// Without a policy an OutOfDate TCB fails `tdx.tcb.status` (exit 1); `policy init` still writes a
/// policy from that authentic evidence, warning that it rejects the status as written, and the
/// written policy indeed fails it on `policy.tdx.tcb.allowed_status` alone.
#[test]
fn out_of_date_tcb_fails_without_a_policy_and_policy_init_warns() {
    let Some(root) = corpus::root() else { return };
    let quote = root.join("tdx/teekit/tdx-v4-edgeless.dat").to_string_lossy().into_owned();
    let coll = root.join("tdx/derived/collateral_00806f050000_2025-10_automata+dcapqvl-chains.json").to_string_lossy().into_owned();
    let at = "2025-10-20T12:00:00Z";
    let run = teescan(sv(&["scan", &quote, "--collateral", &coll, "--at", at, "--offline", "--format", "json"]));
    run.assert_code(1);
    let r = run.json();
    let failed: Vec<&str> = r["checks"].as_array().expect("checks").iter().filter(|c| c["status"] == "fail").filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(failed, ["tdx.tcb.status"], "{}", run.context());

    let run = teescan(sv(&["policy", "init", "--from", &quote, "--collateral", &coll, "--at", at, "--offline"]));
    run.assert_code(0);
    assert!(run.stdout.contains("WARNING: the platform's TCB was OutOfDate"), "{}", run.stdout);
    let dir = scratch("init-ood");
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, &run.stdout).expect("write");
    let run = teescan(sv(&["scan", &quote, "--collateral", &coll, "--at", at, "--offline", "--format", "json", "--policy", policy.to_str().expect("utf-8")]));
    run.assert_code(1);
    let r = run.json();
    let failed: Vec<&str> = r["checks"].as_array().expect("checks").iter().filter(|c| c["status"] == "fail").filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(failed, ["policy.tdx.tcb.allowed_status"], "{}", run.context());
}
