//! `--format html`: the self-contained audit report. Snapshots on the test PKI (`tests/snapshots/
//! *.html`, rewritten with `TEESCAN_BLESS=1`), and structural checks on real captures (the NEAR
//! direct capture of the corpus, and a tampered copy of it): no external resource, the verdict
//! and exit code shown are the process's, every failing check is present, the embedded JSON is
//! the `--format json` report, and adversary-controlled text cannot inject markup.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/corpus.rs"]
mod corpus;

use std::ffi::OsStr;
use std::path::Path;

use cli::{crate_dir, scratch};
use serde_json::Value;

const TESTPKI_AT: &str = "2026-01-15T00:00:00Z";
const NEAR_AT: &str = "2026-06-29T02:06:40Z";
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
const NEARDIRECT: &str = "providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";
const NEAR_BODY: &str = "0001_qwen35-122b.completions.near.ai_v1_attestation_report.body";
const NEAR_NRAS: &str = "0006_nras.attestation.nvidia.com_v3_attest_gpu.body";
const NEAR_JWKS: &str = "0007_nras.attestation.nvidia.com_.well-known_jwks.json.body";

/// Run `teescan ARGS` in `dir`; returns (exit code, stdout).
fn teescan_in<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> (i32, String) {
    let run = cli::teescan_with(args, cli::Options { dir: Some(dir.to_owned()), ..cli::Options::default() });
    (run.code, run.stdout)
}

fn snapshot(name: &str, actual: &str) {
    let actual = actual.replace(concat!("teescan ", env!("CARGO_PKG_VERSION")), "teescan [VERSION]");
    let path = crate_dir().join("tests/snapshots").join(name);
    if std::env::var_os("TEESCAN_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("snapshot {} unreadable ({e}); TEESCAN_BLESS=1 creates it", path.display()));
    if expected != actual {
        let diff = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .map_or_else(|| "lengths differ".to_owned(), |(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1));
        panic!("snapshot {} differs (TEESCAN_BLESS=1 rewrites it)\n{diff}", path.display());
    }
}

/// Every attribute value of every tag, as (tag, attribute, value).
fn attributes(html: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        rest = &rest[end..];
        let name: String = tag.chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
        let mut t = &tag[name.len().min(tag.len())..];
        while let Some(eq) = t.find('=') {
            let attr = t[..eq].trim().rsplit(char::is_whitespace).next().unwrap_or("").to_owned();
            let after = &t[eq + 1..];
            let (value, tail) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let close = inner.find(q).unwrap_or(inner.len());
                    (&inner[..close], &inner[(close + 1).min(inner.len())..])
                }
                _ => {
                    let close = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..close], &after[close..])
                }
            };
            out.push((name.to_ascii_lowercase(), attr.to_ascii_lowercase(), value.to_owned()));
            t = tail;
        }
    }
    out
}

/// The structural rules of a self-contained report; returns the embedded JSON report.
fn assert_self_contained(html: &str) -> Value {
    let lower = html.to_ascii_lowercase();
    for banned in ["<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "<base", "<meta http-equiv=\"refresh\""] {
        assert!(!lower.contains(banned), "report contains {banned:?}");
    }
    for (tag, attr, value) in attributes(html) {
        if tag == "svg" && attr == "xmlns" {
            assert_eq!(value, "http://www.w3.org/2000/svg");
            continue;
        }
        assert!(!value.contains("://") && !value.to_ascii_lowercase().starts_with("javascript:"), "<{tag} {attr}={value:?}> refers outside the file");
        if matches!(attr.as_str(), "href" | "src" | "xlink:href" | "action" | "srcset" | "poster" | "data") {
            assert!(value.starts_with('#'), "<{tag} {attr}={value:?}> is not an in-file link");
        }
        assert!(!attr.starts_with("on"), "<{tag}> has an event handler {attr}");
    }
    let scripts = lower.matches("<script").count();
    assert_eq!(scripts, 1, "exactly one script element: the JSON report");
    let open = "<script type=\"application/json\" id=\"teescan-report\">";
    let start = html.find(open).expect("embedded JSON report") + open.len();
    let end = start + html[start..].find("</script>").expect("script end");
    serde_json::from_str(&html[start..end]).expect("the embedded report is JSON")
}

/// The verdict and exit code the report states.
fn stated(html: &str) -> (String, i32) {
    let grab = |key: &str| {
        let i = html.find(key).unwrap_or_else(|| panic!("{key} missing")) + key.len();
        html[i..].split('"').next().unwrap_or_default().to_owned()
    };
    (grab("data-verdict=\""), grab("data-exit-code=\"").parse().expect("exit code"))
}

/// HTML and JSON runs of the same scan agree with each other and with the exit code, and every
/// failing check is shown with its card, its row, and (when required) a red box.
fn assert_report_matches(dir: &Path, args: &[String]) -> (i32, String, Value) {
    let mut html_args = args.to_vec();
    html_args.extend(["--format".to_owned(), "html".to_owned()]);
    let (code, html) = teescan_in(dir, &html_args);
    let mut json_args = args.to_vec();
    json_args.extend(["--format".to_owned(), "json".to_owned()]);
    let (json_code, json) = teescan_in(dir, &json_args);
    assert_eq!(code, json_code);
    let json: Value = serde_json::from_str(&json).expect("json report");
    let embedded = assert_self_contained(&html);
    assert_eq!(embedded, json, "the embedded report is the --format json report");
    let (verdict, shown_code) = stated(&html);
    assert_eq!(shown_code, code, "the exit code shown is the process's");
    assert_eq!(verdict, json["verdict"].as_str().expect("verdict").to_ascii_uppercase());
    let checks = json["checks"].as_array().expect("checks");
    for c in checks {
        let id = c["id"].as_str().expect("id");
        assert!(html.contains(&format!("id=\"check-{id}\"")), "row of {id}");
        if c["status"] == "fail" {
            assert!(html.contains(&format!("data-check=\"{id}\"")), "failing check {id} has no card");
        }
    }
    let red = html.contains("data-tone=\"bad\"");
    assert_eq!(red, code == 1, "a red box exactly when the verdict is FAIL");
    (code, html, json)
}

fn testpki_args(quote: &str) -> Vec<String> {
    ["scan", quote, "--collateral", "fixtures/testpki/collateral.json", "--danger-trust-test-root", "fixtures/testpki/root.der", "--at", TESTPKI_AT]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

#[test]
fn html_report_of_a_passing_test_pki_quote_matches_its_snapshot() {
    let (code, html, _) = assert_report_matches(crate_dir(), &testpki_args("fixtures/testpki/quote.bin"));
    assert_eq!(code, 0);
    assert!(html.contains("TEST TRUST ANCHOR"), "the test-root warning is shown");
    snapshot("testpki_pass.html", &html);
}

#[test]
fn html_report_of_a_debug_quote_against_a_policy_is_red_and_matches_its_snapshot() {
    let mut args = testpki_args("fixtures/testpki/debug_quote.bin");
    args.extend(["--policy".to_owned(), "fixtures/testpki/policy.toml".to_owned()]);
    let (code, html, json) = assert_report_matches(crate_dir(), &args);
    assert_eq!(code, 1);
    assert_eq!(json["verdict"], "fail");
    snapshot("testpki_policy_debug_fail.html", &html);
}

#[test]
fn html_report_without_collateral_is_indeterminate_and_says_why() {
    let mut args = testpki_args("fixtures/testpki/quote.bin");
    args.drain(2..4); // no --collateral
    args.extend(["--offline".to_owned(), "--no-cache".to_owned()]);
    let (code, html, _) = assert_report_matches(crate_dir(), &args);
    assert_eq!(code, 3);
    assert!(html.contains("What was not verified, and why") && html.contains("tdx.collateral.available"), "{html}");
}

fn near_args(body: &str, capture: &Path) -> Vec<String> {
    let policy = crate_dir().join("policies/nearai.toml");
    [
        "scan", body, "--collateral", &capture.to_string_lossy(), "--nras", NEAR_NRAS, "--jwks", NEAR_JWKS, "--nonce", NEAR_NONCE, "--at",
        NEAR_AT, "--policy", &policy.to_string_lossy(), "--offline", "--no-cache",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[test]
fn near_direct_capture_html_report_passes_and_draws_every_gpu() {
    let Some(root) = corpus::root() else { return };
    let capture = root.join(NEARDIRECT);
    let (code, html, json) = assert_report_matches(&capture.join("responses"), &near_args(NEAR_BODY, &capture));
    assert_eq!(code, 0, "{json}");
    for i in 0..8 {
        assert!(html.contains(&format!("data-box=\"GPU {i} report · RIMs\" data-tone=\"ok\"")), "GPU {i} box green");
    }
    assert!(html.contains("data-box=\"TDX quote\" data-tone=\"ok\""));
    assert!(html.contains("nearai-model-node") && html.contains(json["policy"]["sha256"].as_str().expect("policy hash")));
    assert!(html.contains("2026-06-29T02:06:40Z"), "the time verified as of");
}

#[test]
fn tampered_near_direct_quote_html_report_fails_naming_the_signature_check() {
    let Some(root) = corpus::root() else { return };
    let capture = root.join(NEARDIRECT);
    let mut v: Value = serde_json::from_slice(&std::fs::read(capture.join("responses").join(NEAR_BODY)).expect("body")).expect("json");
    let mut q = hex::decode(v["intel_quote"].as_str().expect("quote")).expect("hex");
    q[600] ^= 1;
    v["intel_quote"] = Value::String(hex::encode(q));
    let d = scratch("tampered");
    let body = d.join("tampered.json");
    std::fs::write(&body, v.to_string()).expect("write");
    let mut args = near_args(&body.to_string_lossy(), &capture);
    args[1] = body.to_string_lossy().into_owned();
    let (code, html, json) = assert_report_matches(&capture.join("responses"), &args);
    assert_eq!(code, 1);
    assert_eq!(json["verdict"], "fail");
    assert!(html.contains("data-box=\"TDX quote\" data-tone=\"bad\""), "the quote's box is red");
    assert!(html.contains("First failure: <a href=\"#check-node.tdx.quote.signature\">"), "the summary names the failing check");
}

#[test]
fn adversary_controlled_text_in_the_report_is_escaped() {
    // The input's name is echoed in the report (its source); make it markup.
    let d = scratch("hostile");
    let name = "x\"><img src=https:evil.example onerror=alert(1)><script>alert(1)<!--.bin";
    std::fs::copy(crate_dir().join("fixtures/testpki/quote.bin"), d.join(name)).expect("copy");
    let mut args = testpki_args(name);
    for a in args.iter_mut().skip(2) {
        if a.starts_with("fixtures/") {
            *a = crate_dir().join(&*a).to_string_lossy().into_owned();
        }
    }
    let (code, html, json) = assert_report_matches(&d, &args);
    assert_eq!(code, 0);
    assert_eq!(json["input"]["source"], name);
    assert!(!html.contains("<img") && !html.contains("<script>alert"), "markup in the source name is escaped");
}

#[test]
fn batch_scan_refuses_format_html_as_a_usage_error() {
    let args = ["scan", "fixtures/testpki/quote.bin", "fixtures/testpki/debug_quote.bin", "--format", "html", "--offline", "--no-cache"];
    let run = cli::teescan(args);
    run.assert_code(2);
    assert!(run.stderr.contains("--format html applies to one input"), "{}", run.context());
}
