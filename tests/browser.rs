//! The scanner page in a real browser: Debian's Chromium, headless, on loopback, driven by
//! `web/test/browser.mjs` (playwright-core from npm). It loads the page (`web/`, built by
//! `scripts/web-build.sh`), gives it real captures through its file inputs, and compares what the
//! page reports with the native CLI's report for the same input and time:
//! - the NEAR direct capture → PASS, the page's JSON identical to `teescan scan … --format json`;
//! - a tampered copy (one bit of the quote) → FAIL naming `node.tdx.quote.signature`, identical;
//! - an unknown document → a clear error with the CLI's error code (the CLI exits 2);
//! - every request the page issued went to the loopback server.
//!
//! Needs the built page, Chromium and playwright-core. Without them the test says so and
//! returns; with `CI=true` or `TEESCAN_WEB_REQUIRED=1` (`.ci/run` sets it) a missing piece is a
//! FAILURE, never a skip. `TEESCAN_TOOLS` (default `~/.cache/teescan-tools`) holds playwright-core
//! under `npm/`; `TEESCAN_CHROMIUM` overrides `/usr/bin/chromium`.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};

const NEAR_AT: &str = "2026-06-29T02:06:40Z";
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
const NEARDIRECT: &str = "providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";
const NEAR_BODY: &str = "0001_qwen35-122b.completions.near.ai_v1_attestation_report.body";
const NEAR_NRAS: &str = "0006_nras.attestation.nvidia.com_v3_attest_gpu.body";
const NEAR_JWKS: &str = "0007_nras.attestation.nvidia.com_.well-known_jwks.json.body";

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") || std::env::var("TEESCAN_WEB_REQUIRED").is_ok_and(|v| v == "1")
}

/// Skip (locally) or fail (in CI) when a prerequisite is missing.
fn need(ok: bool, what: &str) -> bool {
    if !ok {
        assert!(!required(), "browser test prerequisite missing in CI: {what}");
        eprintln!("note: skipping the browser test: {what} (scripts/web-build.sh --install-deps builds it; CI requires it)");
    }
    ok
}

fn tools() -> PathBuf {
    std::env::var_os("TEESCAN_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/teescan-tools"))
}

/// `teescan ARGS` in `dir`: (exit code, stdout, stderr, wall ms).
fn cli(dir: &Path, args: &[&str]) -> (i32, String, String, u128) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_teescan")).args(args).current_dir(dir).output().expect("run teescan");
    let ms = t.elapsed().as_millis();
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        ms,
    )
}

fn near_cli_args<'a>(body: &'a str, capture: &'a str, nras: &'a str, jwks: &'a str, policy: &'a str) -> Vec<&'a str> {
    vec![
        "scan", body, "--collateral", capture, "--nras", nras, "--jwks", jwks, "--nonce", NEAR_NONCE, "--at", NEAR_AT, "--policy", policy,
        "--offline", "--no-cache", "--format", "json",
    ]
}

/// The capture's saved exchanges (`responses/*.json` + `*.body`): what `--collateral DIR` reads.
fn capture_files(capture: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(capture.join("responses"))
        .expect("responses")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "body"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn page_in_headless_chromium_matches_the_cli_on_real_captures_and_stays_on_loopback() {
    let Some(root) = corpus::root() else {
        assert!(!required(), "the corpus is required in CI");
        return;
    };
    let web = crate_dir().join("web");
    let chromium = std::env::var_os("TEESCAN_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let node_ok = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !(need(web.join("pkg/module.js").is_file() && web.join("pkg/teescan_web.js").is_file(), "the page is not built (web/pkg)")
        && need(chromium.is_file(), "chromium is not installed")
        && need(node_ok, "node is not installed")
        && need(tools().join("npm/node_modules/playwright-core/package.json").is_file(), "playwright-core is not installed in $TEESCAN_TOOLS/npm"))
    {
        return;
    }
    let capture = root.join(NEARDIRECT);
    let responses = capture.join("responses");
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch");

    // A tampered copy: one bit of the quote's signed body.
    let mut v: Value = serde_json::from_slice(&std::fs::read(responses.join(NEAR_BODY)).expect("body")).expect("json");
    let mut q = hex::decode(v["intel_quote"].as_str().expect("quote")).expect("hex");
    q[600] ^= 1;
    v["intel_quote"] = Value::String(hex::encode(q));
    let tampered = scratch.join("tampered.json");
    std::fs::write(&tampered, v.to_string()).expect("write");
    let unknown = scratch.join("unknown.json");
    std::fs::write(&unknown, br#"{"hello": "not an attestation"}"#).expect("write");

    let s = |p: &Path| p.to_string_lossy().into_owned();
    let files = capture_files(&capture);
    let near_case = |name: &str, evidence: String| {
        json!({ "name": name, "evidence": evidence, "collateral": files, "nras": s(&responses.join(NEAR_NRAS)),
                "jwks": s(&responses.join(NEAR_JWKS)), "policy": "nearai.toml", "at": NEAR_AT, "nonce": NEAR_NONCE })
    };
    let spec = json!({
        "web_dir": s(&web), "chromium": s(&chromium), "tools": s(&tools()), "repeat": 5,
        "cases": [
            near_case("near", s(&responses.join(NEAR_BODY))),
            near_case("tampered", s(&tampered)),
            { "name": "unknown", "evidence": s(&unknown), "at": NEAR_AT },
        ],
        "screenshots": std::env::var("TEESCAN_SCREENSHOTS").ok().map_or_else(Vec::new, |dir| vec![
            json!({ "case": "near", "path": format!("{dir}/screenshot-page-pass.png") }),
            json!({ "case": "tampered", "path": format!("{dir}/screenshot-page-fail.png") }),
            json!({ "case": "tampered", "path": format!("{dir}/screenshot-report-chain.png"), "scroll_to": "chain" }),
        ]),
    });
    let spec_path = scratch.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).expect("spec");
    let out = Command::new("node").arg(web.join("test/browser.mjs")).arg(&spec_path).output().expect("run node");
    assert!(out.status.success(), "browser driver failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).expect("driver output is JSON");
    let results = &got["results"];

    // No request outside loopback; the page loaded no module by fetch.
    let origin = got["origin"].as_str().expect("origin");
    let requests = got["requests"].as_array().expect("requests");
    assert!(requests.iter().any(|r| r.as_str().is_some_and(|u| u.ends_with("/pkg/module.js"))), "{requests:?}");
    for r in requests {
        let u = r.as_str().expect("url");
        assert!(u.starts_with(&format!("{origin}/")) || u.starts_with("blob:") || u.starts_with("data:"), "request outside loopback: {u}");
    }
    assert!(!requests.iter().any(|r| r.as_str().is_some_and(|u| u.ends_with(".wasm"))), "the module is not fetched: {requests:?}");
    assert_eq!(got["control_requests"], json!(["http://teescan-control.invalid/"]), "the request log sees a request outside loopback");
    assert_eq!(got["console_errors"], json!([]), "the page logged errors");

    // NEAR direct: PASS, identical JSON.
    // The CLI runs where the report and the policy are files of those names, as the page sees
    // them (the report's source and policy file are the names the auditor gave).
    std::fs::copy(responses.join(NEAR_BODY), scratch.join(NEAR_BODY)).expect("copy report");
    std::fs::copy(crate_dir().join("policies/nearai.toml"), scratch.join("nearai.toml")).expect("copy policy");
    let policy = "nearai.toml".to_owned();
    let (nras, jwks, cap) = (s(&responses.join(NEAR_NRAS)), s(&responses.join(NEAR_JWKS)), s(&capture));
    let (code, stdout, stderr, native_ms) = cli(&scratch, &near_cli_args(NEAR_BODY, &cap, &nras, &jwks, &policy));
    assert_eq!(code, 0, "{stderr}");
    let near = &results["near"];
    assert_eq!(near["exitCode"], 0, "{near}");
    assert_eq!(near["status"]["state"], "pass");
    let page_json = near["json"].as_str().expect("page json");
    assert_eq!(page_json, stdout, "the page's JSON report is byte-identical to the CLI's");

    // Tampered: FAIL naming the check, identical JSON.
    let (code, stdout, stderr, _) = cli(&scratch, &near_cli_args("tampered.json", &cap, &nras, &jwks, &policy));
    assert_eq!(code, 1, "{stderr}");
    let t = &results["tampered"];
    assert_eq!(t["exitCode"], 1);
    assert_eq!(t["status"]["state"], "fail");
    assert!(t["status"]["text"].as_str().expect("text").contains("node.tdx.quote.signature"), "{}", t["status"]);
    assert_eq!(t["json"].as_str().expect("json"), stdout);
    assert!(t["html"].as_str().expect("html").contains("data-check=\"node.tdx.quote.signature\""));

    // Unknown document: a clear error, with the code the CLI gives (exit 2).
    let (code, _, stderr, _) = cli(&scratch, &["scan", "unknown.json", "--at", NEAR_AT, "--offline", "--no-cache"]);
    assert_eq!(code, 2, "{stderr}");
    let u = &results["unknown"];
    assert_eq!(u["status"]["state"], "error", "{u}");
    let err = u["error"].as_str().expect("error text");
    let cli_code = stderr.split("error[").nth(1).and_then(|r| r.split(']').next()).expect("CLI error code");
    assert!(err.starts_with(&format!("error[{cli_code}]")), "page: {err}\ncli: {stderr}");
    assert!(u["status"]["text"].as_str().expect("text").contains("Cannot scan"));

    eprintln!(
        "browser: page load {} ms; NEAR direct scan in the page {} ms (repeats {}), native CLI process {native_ms} ms",
        got["load_ms"], near["ms"], near["repeat_ms"]
    );
}
