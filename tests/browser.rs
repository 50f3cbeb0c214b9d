//! The scanner page in a real browser: Debian's Chromium, headless, on loopback, driven by
//! `web/test/browser.mjs` (playwright-core from npm). It loads the page (`web/`, built by
//! `scripts/web-build.sh`), gives it real captures through its file inputs, and compares what the
//! page reports with the native CLI's report for the same input and time:
//! - the NEAR direct capture → PASS, the page's JSON identical to `teescan scan … --format json`;
//! - a tampered copy (one bit of the quote) → FAIL naming `node.tdx.quote.signature`, identical;
//! - an unknown document → a clear error with the CLI's error code (the CLI exits 2);
//! - the Tinfoil gemma4 TDX capture with its capture folder as collateral and `tinfoil.toml` →
//!   PASS, its provenance from the capture's GitHub answers, identical JSON;
//! - the Tinfoil SEV-SNP router capture with its capture folder → the CLI's verdict, identical;
//! - a saved bundle directory given as a folder → identical to `teescan scan DIR`;
//! - a raw H100 report with `--cert-chain`, RIM and OCSP files and a policy file → identical;
//! - every request the page issued, over all cases, went to the loopback server.
//!
//! One browser run serves every test (the driver runs once; each test compares its cases).
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
/// A bare quote of the NEAR direct capture and its DCAP collateral (`tdx/derived/teep/`).
const NEAR_QUOTE_DIR: &str = "tdx/derived/teep/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";
const NEAR_QUOTE: &str = "quote_7cddc8d792dc.bin";
/// A GitHub attestations answer (Sigstore bundles) of the gemma4 capture: collateral that is
/// not DCAP.
const GEMMA4_HW_ATTESTATIONS: &str = "0015_github-proxy.tinfoil.sh_repos_tinfoilsh_hardware-measurements_attestations_sha25.body";
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

const TINFOIL_AT: &str = "2026-06-29T02:13:30Z";
const GEMMA4: &str = "providers/teep-captures/tinfoil_v3_direct_gemma4-31b_20260629_021304";
const GEMMA4_BODY: &str = "0002_gemma4-31b-1.inf10.tinfoil.sh_.well-known_tinfoil-attestation.body";
const GEMMA4_NRAS: &str = "0007_nras.attestation.nvidia.com_v3_attest_gpu.body";
const GEMMA4_JWKS: &str = "0008_nras.attestation.nvidia.com_.well-known_jwks.json.body";
const ROUTER: &str = "providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249";
const ROUTER_BODY: &str = "0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body";
const H100: &str = "nvidia/nvtrust-sample-h100";
const H100_AT: &str = "2025-08-21T12:00:00Z";
const H100_NONCE: &str = "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb";
const H100_POLICY: &str = "schema = \"teescan.policy/v1\"\nid = \"h100\"\nexpires = 2027-01-01T00:00:00Z\n[gpu]\ncount = 1\narch = { any_of = [\"HOPPER\"] }\ndriver_version = { any_of = [\"550.90.07\"] }\nocsp = \"waived\"\n";
/// The saved bundle directory's name (the CLI is run beside it, as the page names its folder).
const BUNDLE_DIR: &str = "near-bundle";

/// The capture's `nonce_hex` (manifest.json).
fn capture_nonce(capture: &Path) -> String {
    let m: Value = serde_json::from_slice(&std::fs::read(capture.join("manifest.json")).expect("manifest")).expect("json");
    m["nonce_hex"].as_str().expect("nonce_hex").to_owned()
}

/// A bundle of the NEAR direct capture (its report, Intel PCS answers, NRAS and JWKS), as a live
/// scan would have saved it (no TLS certificate: `endpoint.tls` fails, in the page as in the CLI).
fn near_bundle(root: &Path) -> teescan::bundle::Bundle {
    use teescan::bundle::{Bundle, Exchange, NonceSource, Role};
    let r = root.join(NEARDIRECT).join("responses");
    let ex = |file: &str, role: Role| -> Exchange {
        let meta: Value = serde_json::from_slice(&std::fs::read(r.join(file.replace(".body", ".json"))).expect("meta")).expect("json");
        let mut headers = Vec::new();
        for (k, vs) in meta["headers"].as_object().expect("headers") {
            for v in vs.as_array().expect("values") {
                headers.push((k.clone(), v.as_str().expect("value").to_owned()));
            }
        }
        Exchange {
            role,
            method: meta["method"].as_str().expect("method").to_owned(),
            url: meta["url"].as_str().expect("url").to_owned(),
            request_body: None,
            status: 200,
            headers,
            body: std::fs::read(r.join(file)).expect("body"),
            origin: "network".to_owned(),
        }
    };
    let mut exchanges = vec![ex(NEAR_BODY, Role::Attestation)];
    for f in [
        "0002_api.trustedservices.intel.com_tdx_certification_v4_tcb.body",
        "0003_api.trustedservices.intel.com_tdx_certification_v4_qe_identity.body",
        "0004_api.trustedservices.intel.com_sgx_certification_v4_pckcrl.body",
        "0005_certificates.trustedservices.intel.com_intelsgxrootca.der.body",
    ] {
        exchanges.push(ex(f, Role::Pcs));
    }
    exchanges.push(ex(NEAR_NRAS, Role::NvidiaNras));
    exchanges.push(ex(NEAR_JWKS, Role::NvidiaJwks));
    Bundle {
        scanned_at: teescan::time::Timestamp::parse_rfc3339(NEAR_AT).expect("at"),
        tool: "teescan test".to_owned(),
        url: "https://qwen35-122b.completions.near.ai".to_owned(),
        provider: "near".to_owned(),
        model: None,
        nonce: hex::decode(NEAR_NONCE).expect("hex").try_into().expect("32 bytes"),
        nonce_source: NonceSource::Caller,
        tls_leaf: None,
        exchanges,
        failures: Vec::new(),
        policy: Some(std::fs::read(crate_dir().join("policies/nearai.toml")).expect("policy")),
        intel_root_sha256: teescan::pki::INTEL_SGX_ROOT_CA_SHA256.to_owned(),
        test_root: false,
        amd_test_ark_sha256: None,
        sigstore_root_sha256: None,
        verdict: None,
    }
}

/// The one browser run every test reads: what the driver printed, the scratch directory the
/// CLI runs in, the corpus root.
struct Run {
    got: Value,
    scratch: PathBuf,
    root: PathBuf,
}

static RUN: std::sync::OnceLock<Option<Run>> = std::sync::OnceLock::new();

/// The browser run, once for all tests; `None` when a prerequisite is missing (locally only).
fn browser_run() -> Option<&'static Run> {
    RUN.get_or_init(run_browser).as_ref()
}

fn run_browser() -> Option<Run> {
    let Some(root) = corpus::root() else {
        assert!(!required(), "the corpus is required in CI");
        return None;
    };
    let web = crate_dir().join("web");
    let chromium = std::env::var_os("TEESCAN_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let node_ok = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !(need(web.join("pkg/module.js").is_file() && web.join("pkg/teescan_web.js").is_file(), "the page is not built (web/pkg)")
        && need(chromium.is_file(), "chromium is not installed")
        && need(node_ok, "node is not installed")
        && need(tools().join("npm/node_modules/playwright-core/package.json").is_file(), "playwright-core is not installed in $TEESCAN_TOOLS/npm"))
    {
        return None;
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
    // A saved bundle directory (manifest + body files).
    teescan::bundle::save(&near_bundle(&root), &scratch.join(BUNDLE_DIR)).expect("save bundle");
    std::fs::write(scratch.join("h100.toml"), H100_POLICY).expect("policy");
    std::fs::write(scratch.join("junk.json"), br#"{"not": "collateral"}"#).expect("write");
    let h100 = root.join(H100);
    // The CLI runs in `scratch`, where the evidence and the policy are files of the names the
    // page was given (the report's source and policy file are the names the auditor gave).
    for (from, name) in [
        (responses.join(NEAR_BODY), NEAR_BODY),
        (root.join(GEMMA4).join("responses").join(GEMMA4_BODY), GEMMA4_BODY),
        (root.join(ROUTER).join("responses").join(ROUTER_BODY), ROUTER_BODY),
        (h100.join("attestation_report.hex"), "attestation_report.hex"),
        (root.join(NEAR_QUOTE_DIR).join(NEAR_QUOTE), NEAR_QUOTE),
        (crate_dir().join("policies/nearai.toml"), "nearai.toml"),
        (crate_dir().join("policies/tinfoil.toml"), "tinfoil.toml"),
    ] {
        std::fs::copy(from, scratch.join(name)).expect("copy");
    }
    // `--rims` takes a directory: the sample's two RIMs.
    std::fs::create_dir_all(scratch.join("rims")).expect("rims");
    for f in ["NV_GPU_DRIVER_GH100_550.90.07.xml", "NV_GPU_VBIOS_1010_0200_882_96009F0001.xml"] {
        std::fs::copy(h100.join(f), scratch.join("rims").join(f)).expect("copy RIM");
    }
    let sorted = |dir: &Path, keep: &dyn Fn(&str) -> bool| -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_file() && keep(&p.file_name().expect("name").to_string_lossy()))
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        out.sort();
        out
    };

    let s = |p: &Path| p.to_string_lossy().into_owned();
    let files = capture_files(&capture);
    let near_case = |name: &str, evidence: String| {
        json!({ "name": name, "evidence": evidence, "collateral": files, "nras": s(&responses.join(NEAR_NRAS)),
                "jwks": s(&responses.join(NEAR_JWKS)), "policy": "nearai.toml", "at": NEAR_AT, "nonce": NEAR_NONCE })
    };
    let (gemma4, router) = (root.join(GEMMA4), root.join(ROUTER));
    let spec = json!({
        "web_dir": s(&web), "chromium": s(&chromium), "tools": s(&tools()), "repeat": 5,
        "cases": [
            near_case("near", s(&responses.join(NEAR_BODY))),
            near_case("tampered", s(&tampered)),
            { "name": "unknown", "evidence": s(&unknown), "at": NEAR_AT },
            { "name": "gemma4", "evidence": s(&gemma4.join("responses").join(GEMMA4_BODY)), "collateral_dirs": [s(&gemma4)],
              "nras": s(&gemma4.join("responses").join(GEMMA4_NRAS)), "jwks": s(&gemma4.join("responses").join(GEMMA4_JWKS)),
              "policy": "tinfoil.toml", "at": TINFOIL_AT, "nonce": capture_nonce(&gemma4), "repeat": 1 },
            { "name": "router", "evidence": s(&router.join("responses").join(ROUTER_BODY)), "collateral_dirs": [s(&router)],
              "policy": "tinfoil.toml", "at": TINFOIL_AT, "nonce": capture_nonce(&router), "repeat": 1 },
            { "name": "quote-two-collateral", "evidence": s(&root.join(NEAR_QUOTE_DIR).join(NEAR_QUOTE)),
              "collateral": [s(&gemma4.join("responses").join(GEMMA4_HW_ATTESTATIONS)), s(&root.join(NEAR_QUOTE_DIR).join("collateral.json"))],
              "at": NEAR_AT, "repeat": 1 },
            { "name": "junk-collateral", "evidence": s(&responses.join(NEAR_BODY)), "collateral": [s(&scratch.join("junk.json"))],
              "at": NEAR_AT, "nonce": NEAR_NONCE, "repeat": 1 },
            { "name": "refused-flag", "evidence": s(&router.join("responses").join(ROUTER_BODY)),
              "nras": s(&responses.join(NEAR_NRAS)), "jwks": s(&responses.join(NEAR_JWKS)), "at": TINFOIL_AT, "repeat": 1 },
            { "name": "bundle", "evidence_dir": s(&scratch.join(BUNDLE_DIR)), "at": NEAR_AT, "repeat": 1 },
            { "name": "h100", "evidence": s(&h100.join("attestation_report.hex")), "cert_chain": s(&h100.join("device_cert_chain.pem")),
              "rims": sorted(&scratch.join("rims"), &|_| true), "ocsp": sorted(&h100.join("ocsp"), &|_| true),
              "policy_file": s(&scratch.join("h100.toml")), "at": H100_AT, "nonce": H100_NONCE, "repeat": 1 },
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
    Some(Run { got, scratch, root })
}

/// No request outside loopback over the whole run (every case); the page loaded no module by
/// fetch; the request log would have seen one (the control).
fn assert_stayed_on_loopback(got: &Value) {
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
}

/// The page's outcome of case `name` equals the CLI's (`args`, run in the scratch directory):
/// the same exit code, byte-identical JSON. Returns the page's result.
fn assert_page_matches_cli<'a>(run: &'a Run, name: &str, args: &[&str]) -> &'a Value {
    assert_stayed_on_loopback(&run.got);
    let (code, stdout, stderr, _) = cli(&run.scratch, args);
    let page = &run.got["results"][name];
    assert_eq!(page["exitCode"], code, "case {name}: page {page}\nCLI stderr: {stderr}");
    let json = page["json"].as_str().expect("page json");
    if json != stdout {
        // Both sides kept for `diff` when they differ.
        std::fs::write(run.scratch.join(format!("{name}.page.json")), json).expect("write page json");
        std::fs::write(run.scratch.join(format!("{name}.cli.json")), &stdout).expect("write cli json");
    }
    assert_eq!(json, stdout, "case {name}: the page's JSON report is byte-identical to the CLI's (both in {})", run.scratch.display());
    page
}

#[test]
fn page_in_headless_chromium_matches_the_cli_on_real_captures_and_stays_on_loopback() {
    let Some(run) = browser_run() else { return };
    let (got, scratch, root) = (&run.got, &run.scratch, &run.root);
    let results = &got["results"];
    let capture = root.join(NEARDIRECT);
    let responses = capture.join("responses");
    let s = |p: &Path| p.to_string_lossy().into_owned();
    assert_stayed_on_loopback(got);

    // NEAR direct: PASS, identical JSON.
    let policy = "nearai.toml".to_owned();
    let (nras, jwks, cap) = (s(&responses.join(NEAR_NRAS)), s(&responses.join(NEAR_JWKS)), s(&capture));
    let (code, stdout, stderr, native_ms) = cli(scratch, &near_cli_args(NEAR_BODY, &cap, &nras, &jwks, &policy));
    assert_eq!(code, 0, "{stderr}");
    let near = &results["near"];
    assert_eq!(near["exitCode"], 0, "{near}");
    assert_eq!(near["status"]["state"], "pass");
    let page_json = near["json"].as_str().expect("page json");
    assert_eq!(page_json, stdout, "the page's JSON report is byte-identical to the CLI's");

    // Tampered: FAIL naming the check, identical JSON.
    let (code, stdout, stderr, _) = cli(scratch, &near_cli_args("tampered.json", &cap, &nras, &jwks, &policy));
    assert_eq!(code, 1, "{stderr}");
    let t = &results["tampered"];
    assert_eq!(t["exitCode"], 1);
    assert_eq!(t["status"]["state"], "fail");
    assert!(t["status"]["text"].as_str().expect("text").contains("node.tdx.quote.signature"), "{}", t["status"]);
    assert_eq!(t["json"].as_str().expect("json"), stdout);
    assert!(t["html"].as_str().expect("html").contains("data-check=\"node.tdx.quote.signature\""));

    // Unknown document: a clear error, with the code the CLI gives (exit 2).
    let (code, _, stderr, _) = cli(scratch, &["scan", "unknown.json", "--at", NEAR_AT, "--offline", "--no-cache"]);
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

/// Case `name` is an error in the page with the CLI's error code and message (the CLI exits 2).
fn assert_page_errs_as_cli(run: &Run, name: &str, args: &[&str]) {
    assert_stayed_on_loopback(&run.got);
    let (code, stdout, stderr, _) = cli(&run.scratch, args);
    assert_eq!(code, 2, "{stdout}{stderr}");
    let page = &run.got["results"][name];
    assert_eq!(page["status"]["state"], "error", "case {name}: {page}");
    let err = page["error"].as_str().expect("error text");
    let cli_line = stderr.lines().find_map(|l| l.strip_prefix("teescan: ").filter(|m| m.starts_with("error["))).expect("CLI error line");
    assert_eq!(err, cli_line, "case {name}: the page's error is the CLI's");
}

#[test]
fn collateral_file_the_cli_cannot_read_is_an_error_in_the_page_never_ignored() {
    let Some(run) = browser_run() else { return };
    let args = ["scan", NEAR_BODY, "--collateral", "junk.json", "--nonce", NEAR_NONCE, "--at", NEAR_AT, "--offline", "--no-cache", "--format", "json"];
    assert_page_errs_as_cli(run, "junk-collateral", &args);
}

#[test]
fn a_quote_takes_every_collateral_file_in_the_page_as_in_the_cli() {
    let Some(run) = browser_run() else { return };
    let hw = run.root.join(GEMMA4).join("responses").join(GEMMA4_HW_ATTESTATIONS);
    let dcap = run.root.join(NEAR_QUOTE_DIR).join("collateral.json");
    let (hw, dcap) = (hw.to_string_lossy(), dcap.to_string_lossy());
    // The DCAP collateral comes second: a page reading only the first --collateral would have none.
    let args = ["scan", NEAR_QUOTE, "--collateral", &hw, "--collateral", &dcap, "--at", NEAR_AT, "--offline", "--no-cache", "--format", "json"];
    let page = assert_page_matches_cli(run, "quote-two-collateral", &args);
    assert_eq!(page["exitCode"], 0, "{}", page["status"]);
}

#[test]
fn an_input_the_cli_refuses_for_this_evidence_is_refused_by_the_page_with_the_same_reason() {
    let Some(run) = browser_run() else { return };
    let responses = run.root.join(NEARDIRECT).join("responses");
    let (nras, jwks) = (responses.join(NEAR_NRAS), responses.join(NEAR_JWKS));
    let (nras, jwks) = (nras.to_string_lossy(), jwks.to_string_lossy());
    let args = ["scan", ROUTER_BODY, "--nras", &nras, "--jwks", &jwks, "--at", TINFOIL_AT, "--offline", "--no-cache", "--format", "json"];
    assert_page_errs_as_cli(run, "refused-flag", &args);
}

#[test]
fn tinfoil_gemma4_tdx_with_its_capture_folder_as_collateral_passes_in_the_page_as_in_the_cli() {
    let Some(run) = browser_run() else { return };
    let g = run.root.join(GEMMA4);
    let r = g.join("responses");
    let (cap, nras, jwks, nonce) = (g.to_string_lossy(), r.join(GEMMA4_NRAS), r.join(GEMMA4_JWKS), capture_nonce(&g));
    let (nras, jwks) = (nras.to_string_lossy(), jwks.to_string_lossy());
    let args = [
        "scan", GEMMA4_BODY, "--collateral", &cap, "--nras", &nras, "--jwks", &jwks, "--nonce", &nonce, "--at", TINFOIL_AT, "--policy", "tinfoil.toml",
        "--offline", "--no-cache", "--format", "json",
    ];
    let page = assert_page_matches_cli(run, "gemma4", &args);
    assert_eq!(page["exitCode"], 0, "{}", page["status"]);
    let report: Value = serde_json::from_str(page["json"].as_str().expect("json")).expect("report");
    // The provenance came from the capture folder's GitHub answers, and verified.
    let checks = report["checks"].as_array().expect("checks");
    let provenance: Vec<&Value> = checks.iter().filter(|c| c["id"].as_str().is_some_and(|id| id.contains(".provenance.") && id.ends_with(".bundle"))).collect();
    assert!(!provenance.is_empty() && provenance.iter().all(|c| c["status"] == "pass"), "{provenance:?}");
}

#[test]
fn tinfoil_snp_router_with_its_capture_folder_gives_the_cli_verdict_in_the_page() {
    let Some(run) = browser_run() else { return };
    let c = run.root.join(ROUTER);
    let (cap, nonce) = (c.to_string_lossy(), capture_nonce(&c));
    let args = ["scan", ROUTER_BODY, "--collateral", &cap, "--nonce", &nonce, "--at", TINFOIL_AT, "--policy", "tinfoil.toml", "--offline", "--no-cache", "--format", "json"];
    let page = assert_page_matches_cli(run, "router", &args);
    // The AMD KDS answers of the folder were used: the VCEK chain verified.
    let report: Value = serde_json::from_str(page["json"].as_str().expect("json")).expect("report");
    let chain: Vec<&Value> = report["checks"].as_array().expect("checks").iter().filter(|c| c["id"].as_str().is_some_and(|id| id.contains("snp.chain"))).collect();
    assert!(!chain.is_empty() && chain.iter().all(|c| c["status"] == "pass"), "{chain:?}");
}

#[test]
fn saved_bundle_folder_in_the_page_matches_teescan_scan_dir() {
    let Some(run) = browser_run() else { return };
    let page = assert_page_matches_cli(run, "bundle", &["scan", BUNDLE_DIR, "--at", NEAR_AT, "--format", "json"]);
    let report: Value = serde_json::from_str(page["json"].as_str().expect("json")).expect("report");
    // Re-verified from the folder's files: the manifest's hashes held, the quote verified.
    let status = |id: &str| report["checks"].as_array().expect("checks").iter().find(|c| c["id"] == id).map(|c| c["status"].clone());
    assert_eq!(status("bundle.integrity"), Some(json!("pass")), "{report}");
    assert_eq!(status("node.tdx.quote.signature"), Some(json!("pass")));
}

#[test]
fn raw_gpu_report_with_rim_and_ocsp_files_in_the_page_matches_the_cli() {
    let Some(run) = browser_run() else { return };
    let h = run.root.join(H100);
    let (chain, ocsp) = (h.join("device_cert_chain.pem"), h.join("ocsp"));
    let (chain, ocsp) = (chain.to_string_lossy(), ocsp.to_string_lossy());
    let args = [
        "scan", "attestation_report.hex", "--cert-chain", &chain, "--rims", "rims", "--ocsp", &ocsp, "--nonce", H100_NONCE, "--at", H100_AT,
        "--policy", "h100.toml", "--offline", "--no-cache", "--format", "json",
    ];
    let page = assert_page_matches_cli(run, "h100", &args);
    assert_eq!(page["exitCode"], 0, "{}", page["status"]);
    let report: Value = serde_json::from_str(page["json"].as_str().expect("json")).expect("report");
    // The RIMs and OCSP responses were used: measurements matched, OCSP evidence listed.
    assert!(report["collateral"].as_array().expect("collateral").iter().filter(|c| c["kind"] == "ocsp").count() >= 3, "{report}");
    assert_eq!(report["claims"]["gpu"]["devices"][0]["driver_version"], "550.90.07");
}

// ---- The page's in-memory readers against the CLI's directory readers (native, no browser) --

/// Every file under `dir`, as a browser gives a picked folder: `(NAME/relative/path, bytes)`
/// with NAME the folder's own name.
fn folder_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            let name = format!("{prefix}/{}", p.file_name().expect("name").to_string_lossy());
            if p.is_dir() {
                walk(&p, &name, out);
            } else {
                out.push((name, std::fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &dir.file_name().expect("name").to_string_lossy(), &mut out);
    // A browser lists a folder in no particular order: the reader must not depend on it.
    out.reverse();
    out
}

#[test]
fn capture_folder_given_by_content_reads_exactly_as_the_capture_directory() {
    let Some(root) = corpus::root() else { return };
    let captures = root.join("providers/teep-captures");
    let mut n = 0;
    for e in std::fs::read_dir(&captures).expect("captures") {
        let dir = e.expect("entry").path();
        if !dir.join("responses").is_dir() {
            continue;
        }
        let on_disk = teescan::bundle::read_capture_dir(&dir).expect("read_capture_dir");
        let label = dir.file_name().expect("name").to_string_lossy().into_owned();
        let in_memory = teescan::bundle::capture_from_files(&folder_files(&dir), &label).expect("capture_from_files");
        assert!(!on_disk.is_empty());
        assert_eq!(in_memory, on_disk, "{}", dir.display());
        // The `responses/` files picked one by one (bare names) read the same too.
        let loose: Vec<(String, Vec<u8>)> =
            folder_files(&dir.join("responses")).into_iter().map(|(p, b)| (p.rsplit('/').next().expect("name").to_owned(), b)).collect();
        assert_eq!(teescan::bundle::capture_from_files(&loose, "files").expect("loose"), on_disk);
        n += 1;
    }
    assert!(n >= 5, "{n} captures");
}

#[test]
fn capture_folder_with_an_oversized_body_is_refused_as_on_disk() {
    let files = vec![
        ("cap/responses/0001_x.json".to_owned(), br#"{"url":"https://example.invalid/x","headers":{}}"#.to_vec()),
        ("cap/responses/0001_x.body".to_owned(), vec![b'a'; teescan::bundle::MAX_BODY_LEN + 1]),
    ];
    let e = teescan::bundle::capture_from_files(&files, "cap").unwrap_err();
    assert_eq!(e.code(), "input.too_large", "{e}");
    // A meta file without its body is no exchange (as `read_capture_dir` pairs them).
    assert_eq!(teescan::bundle::capture_from_files(&files[..1], "cap").expect("no pairs"), Vec::new());
}

#[test]
fn bundle_folder_given_by_content_loads_exactly_as_the_bundle_directory() {
    let Some(root) = corpus::root() else { return };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-native").join("bundle-folder");
    let _ = std::fs::remove_dir_all(&dir);
    teescan::bundle::save(&near_bundle(&root), &dir).expect("save");
    let (on_disk, mismatched) = teescan::bundle::load(&dir).expect("load");
    let files = folder_files(&dir);
    let (in_memory, m2) = teescan::bundle::from_dir_files(&files).expect("from_dir_files");
    assert_eq!(in_memory, on_disk);
    assert_eq!((m2.as_slice(), mismatched.as_slice()), (&[][..], &[][..]));

    // A changed body is caught by its recorded hash, in memory as on disk.
    let mut changed = files.clone();
    let body = changed.iter_mut().find(|(p, _)| p.ends_with("-attestation.body")).expect("attestation body");
    body.1[10] ^= 1;
    let (_, m) = teescan::bundle::from_dir_files(&changed).expect("loads");
    assert_eq!(m, vec![0], "the changed exchange is reported");
    // A body the manifest names but the folder lacks, or a folder without a manifest: refused.
    let missing: Vec<_> = files.iter().filter(|(p, _)| !p.ends_with("-attestation.body")).cloned().collect();
    assert_eq!(teescan::bundle::from_dir_files(&missing).unwrap_err().code(), "input.bundle");
    let headless: Vec<_> = files.iter().filter(|(p, _)| !p.ends_with("bundle.json")).cloned().collect();
    assert_eq!(teescan::bundle::from_dir_files(&headless).unwrap_err().code(), "input.bundle");
}
