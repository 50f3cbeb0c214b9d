//! The CLI on formats seen in the wild and on honest output (issue #19): padded SPDM reports, one
//! exit-code rule for malformed input, and what the table and JSON say about what judged the
//! evidence.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary. Scans get `--offline` unless they say otherwise: tests never use the network.
fn teescan(args: &[&str]) -> Run {
    let mut args: Vec<&str> = args.to_vec();
    if args.first() == Some(&"scan") && !args.contains(&"--pccs") && !args.iter().any(|a| a.starts_with("http")) {
        args.push("--offline");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_teescan"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-empty"))
        .output()
        .expect("run teescan");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_wild").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
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
