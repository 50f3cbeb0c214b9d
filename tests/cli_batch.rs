//! Batch scans through the binary (`teescan scan A B DIR…`): one line (or one JSON document) per
//! input in input order, the aggregate exit code (1 any failed > 2 any malformed > 3 any
//! indeterminate > 0), directory expansion, usage errors, and — on the real NEAR capture — that a
//! batch reaches exactly the checks a single scan of each input reaches.
#![cfg(feature = "cli")]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/corpus.rs"]
mod corpus;

use cli::{s, scratch, teescan, Run};

use serde_json::Value;

const TESTPKI_AT: &str = "2026-01-15T00:00:00Z";
const QUOTE: &str = "fixtures/testpki/quote.bin";
const DEBUG_QUOTE: &str = "fixtures/testpki/debug_quote.bin";
const COLLATERAL: &str = "fixtures/testpki/collateral.json";
const ROOT: &str = "fixtures/testpki/root.der";

/// The test-PKI flags, then the inputs.
fn testpki(inputs: &[&str], extra: &[&str]) -> Run {
    let mut args = vec!["scan", "--collateral", COLLATERAL, "--at", TESTPKI_AT, "--danger-trust-test-root", ROOT, "--offline"];
    args.extend_from_slice(extra);
    args.extend_from_slice(inputs);
    teescan(args)
}

#[test]
fn one_line_per_input_in_order_and_the_worst_exit_code() {
    let d = scratch("mixed");
    let garbage = d.join("garbage.bin");
    std::fs::write(&garbage, b"\x00\x01 not a quote").expect("write");
    let g = s(&garbage);
    // pass + fail + malformed: 1 (a failure outranks malformed input).
    let r = testpki(&[QUOTE, DEBUG_QUOTE, &g, QUOTE], &[]);
    assert_eq!(r.code, 1, "{}", r.context());
    let lines = r.lines();
    assert_eq!(lines.len(), 5, "4 inputs + summary:\n{}", r.context());
    assert!(lines[0].starts_with("PASS") && lines[0].contains(QUOTE), "{}", r.context());
    assert!(lines[1].starts_with("FAIL") && lines[1].contains(DEBUG_QUOTE) && lines[1].contains("tdx.td.debug"), "{}", r.context());
    assert!(lines[2].starts_with("ERROR") && lines[2].contains("garbage.bin") && lines[2].contains("error[input.encoding]"), "{}", r.context());
    assert!(lines[3].starts_with("PASS"), "{}", r.context());
    assert!(lines[4].starts_with("4 inputs: 2 passed, 1 failed, 0 indeterminate, 1 unreadable or malformed"), "{}", r.context());
    // pass + malformed: 2.
    assert_eq!(testpki(&[QUOTE, &g], &[]).code, 2);
    // All pass: 0.
    assert_eq!(testpki(&[QUOTE, QUOTE], &[]).code, 0);
    // Without collateral, offline: indeterminate (3), also next to a pass.
    let r = teescan(["scan", "--at", TESTPKI_AT, "--danger-trust-test-root", ROOT, "--offline", "--no-cache", QUOTE, QUOTE]);
    assert_eq!(r.code, 3, "{}", r.context());
    assert!(r.lines()[0].starts_with("INDETERMINATE"), "{}", r.context());
    // -q: nothing printed, same code.
    let r = testpki(&[QUOTE, DEBUG_QUOTE], &["-q"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (1, "", ""));
}

#[test]
fn json_lines_one_document_per_input() {
    let d = scratch("jsonl");
    let garbage = d.join("garbage.bin");
    std::fs::write(&garbage, b"zz").expect("write");
    let g = s(&garbage);
    let r = testpki(&[QUOTE, DEBUG_QUOTE, &g], &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.context());
    let docs: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(docs.len(), 3, "exactly one document per input:\n{}", r.context());
    assert_eq!(docs[0]["verdict"], "pass");
    assert_eq!(docs[0]["input"]["source"], QUOTE);
    assert_eq!(docs[1]["verdict"], "fail");
    assert_eq!(docs[2]["error"]["code"], "input.encoding");
    assert_eq!(docs[2]["exit_code"], 2);
    assert_eq!(docs[2]["input"]["source"], g);
    assert!(r.stderr.contains("3 inputs: 1 passed, 1 failed"), "the summary goes to stderr:\n{}", r.context());
    // Each document equals the single scan's JSON of that input.
    let single = testpki(&[QUOTE], &["--format", "json"]);
    let single: Value = serde_json::from_str(&single.stdout).expect("json");
    assert_eq!(docs[0]["checks"], single["checks"]);
    // EAR lines.
    let r = testpki(&[QUOTE, DEBUG_QUOTE], &["--format", "ear"]);
    let ears: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).expect("EAR line")).collect();
    assert_eq!(ears.len(), 2, "{}", r.context());
}

#[test]
fn directories_expand_to_their_files_and_workers_do_not_change_the_output() {
    let d = scratch("dirs");
    let nested = d.join("a").join("b");
    std::fs::create_dir_all(&nested).expect("mkdir");
    std::fs::copy(QUOTE, d.join("1-quote.bin")).expect("copy");
    std::fs::copy(DEBUG_QUOTE, nested.join("2-debug.bin")).expect("copy");
    std::fs::copy(QUOTE, nested.join("3-quote.bin")).expect("copy");
    std::fs::write(d.join(".hidden"), b"ignored").expect("write");
    std::fs::create_dir_all(d.join("empty")).expect("mkdir");
    let one = testpki(&[&s(&d)], &["-j", "1"]);
    assert_eq!(one.code, 1, "{}", one.context());
    let names: Vec<String> = one.lines().iter().take(3).map(|l| l.split_whitespace().nth(1).unwrap_or("").to_owned()).collect();
    assert_eq!(
        names,
        vec![s(&d.join("1-quote.bin")), s(&d.join("a/b/2-debug.bin")), s(&d.join("a/b/3-quote.bin"))],
        "sorted, recursive, hidden skipped:\n{}",
        one.context()
    );
    let many = testpki(&[&s(&d)], &["-j", "4"]);
    let strip = |r: &Run| r.lines().into_iter().filter(|l| !l.contains(" inputs: ")).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(strip(&one), strip(&many));
    // A directory with no files at all: nothing verified is a usage error, never a pass.
    let r = testpki(&[&s(&d.join("empty"))], &[]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(r.stderr.contains("no files to scan"), "{}", r.context());
}

#[test]
fn flags_of_one_input_and_stdin_are_refused_in_a_batch() {
    for (extra, needle) in [
        (vec!["--save-bundle", "x"], "--save-bundle"),
        (vec!["--cert-chain", "x.pem"], "--cert-chain"),
    ] {
        let r = testpki(&[QUOTE, QUOTE], &extra);
        assert_eq!(r.code, 2, "{}", r.context());
        assert!(r.stderr.contains(needle), "{}", r.context());
    }
    let r = testpki(&[QUOTE, "-"], &[]);
    assert_eq!(r.code, 2, "{}", r.context());
    assert!(r.stderr.contains("stdin"), "{}", r.context());
}

/// The real NEAR direct capture, three copies and one with a byte of its quote changed: the batch
/// passes the copies and fails the tampered one, and each JSON document has exactly the checks
/// of the single scan of that file (the shared verify-once cache changes nothing).
#[test]
fn near_capture_batch_equals_single_scans() {
    let Some(root) = corpus::root() else { return };
    let t = root.join("providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637");
    let body = std::fs::read_to_string(t.join("responses/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body")).expect("report");
    let d = scratch("near");
    for i in 1..=3 {
        std::fs::write(d.join(format!("r{i}.json")), &body).expect("write");
    }
    // Flip one hex digit inside the quote's TD report (MRTD region).
    let v: Value = serde_json::from_str(&body).expect("json");
    let quote = v["intel_quote"].as_str().expect("intel_quote");
    let pos = 2 * (48 + 136) + 1;
    let mut q: Vec<u8> = quote.as_bytes().to_vec();
    q[pos] = if q[pos] == b'0' { b'1' } else { b'0' };
    let tampered = body.replacen(quote, std::str::from_utf8(&q).expect("ascii"), 1);
    std::fs::write(d.join("r4-tampered.json"), tampered).expect("write");
    let common = [
        "--collateral".to_owned(),
        s(&t),
        "--nras".to_owned(),
        s(&t.join("responses/0006_nras.attestation.nvidia.com_v3_attest_gpu.body")),
        "--jwks".to_owned(),
        s(&t.join("responses/0007_nras.attestation.nvidia.com_.well-known_jwks.json.body")),
        "--nonce".to_owned(),
        "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b".to_owned(),
        "--at".to_owned(),
        "2026-06-29T02:06:40Z".to_owned(),
        "--policy".to_owned(),
        "policies/nearai.toml".to_owned(),
        "--offline".to_owned(),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    let mut args = vec!["scan".to_owned(), s(&d)];
    args.extend(common.iter().cloned());
    let r = teescan(&args);
    assert_eq!(r.code, 1, "{}", r.context());
    let docs: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    let verdicts: Vec<&str> = docs.iter().map(|d| d["verdict"].as_str().unwrap_or("?")).collect();
    assert_eq!(verdicts, ["pass", "pass", "pass", "fail"], "{}", r.context());
    for (i, doc) in docs.iter().enumerate() {
        let file = doc["input"]["source"].as_str().expect("source").to_owned();
        let mut one = vec!["scan".to_owned(), file.clone()];
        one.extend(common.iter().cloned());
        let single = teescan(&one);
        let single: Value = serde_json::from_str(&single.stdout).expect("single json");
        assert_eq!(doc["checks"], single["checks"], "input {i} ({file}) differs from its single scan");
        assert_eq!(doc["verdict"], single["verdict"]);
    }
    let failed: Vec<&str> = docs[3]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] == "fail")
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(failed.contains(&"node.tdx.quote.signature"), "{failed:?}");
}
