//! Every `teescan scan` flag against every kind of input: the flag's check runs, or the scan is
//! a usage error (exit 2) whose one-line message names the flag. No flag is silently ignored.
//!
//! Inputs: a bare TDX quote (test PKI), a node (the quote with `--gpu-evidence`), a GPU evidence
//! list, a raw GPU report with `--cert-chain`, a provider report with GPU evidence and one
//! without, a saved bundle, a live endpoint (loopback; every refusal happens before any
//! connection), and the SEV-SNP inputs: a bare report, Tinfoil's router document and dstack's
//! SNP attestation. The corpus columns are skipped when the corpus is absent.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use cli::{s, scratch, Run};

fn teescan(args: &[String]) -> Run {
    cli::teescan(args)
}

const QUOTE: &str = "fixtures/testpki/quote.bin";
const ROOT: &str = "fixtures/testpki/root.der";
const COLLATERAL: &str = "fixtures/testpki/collateral.json";
const TESTPKI_AT: &str = "2026-01-15T00:00:00Z";
const NEAR_AT: &str = "2026-06-29T02:06:40Z";
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
const SNP_AT: &str = "2026-07-01T00:00:00Z";
const ROUTER_DOC: &str = "providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249/responses/0001_inference.tinfoil.sh_.well-known_tinfoil-attestation.body";
const ROUTER_AT: &str = "2026-06-29T02:12:49Z";
/// Nothing listens here; refusals must come before any connection.
const LOOPBACK: &str = "http://127.0.0.1:9";

/// The input columns of the table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    Quote,
    Node,
    GpuList,
    GpuRaw,
    ProviderGpu,
    ProviderNoGpu,
    Bundle,
    Live,
    /// A bare SEV-SNP report (Microsoft's Milan fixture).
    SnpRaw,
    /// Tinfoil's SEV-SNP router document (the v3 capture).
    SnpRouter,
    /// dstack's SNP `VersionedAttestation` (without its VCEK: fetched from AMD KDS).
    SnpDstack,
}

const COLS: [Col; 11] = [
    Col::Quote,
    Col::Node,
    Col::GpuList,
    Col::GpuRaw,
    Col::ProviderGpu,
    Col::ProviderNoGpu,
    Col::Bundle,
    Col::Live,
    Col::SnpRaw,
    Col::SnpRouter,
    Col::SnpDstack,
];

/// `R`: the flag's check runs; `U`: usage error naming the flag.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Want {
    R,
    U,
}
use Want::{R, U};

/// The table: a flag (the first argument is the flag named on stderr; the rest are its values
/// and the flags it requires), and the outcome per column in [`COLS`] order. The context is
/// the column's base arguments only: no --collateral, --rims, --ocsp, --nras, policy or
/// --format ear (the contextual refusals are in `contextual_refusals_name_the_flag`).
fn table(f: &Files) -> Vec<(Vec<String>, [Want; 11])> {
    let v = |a: &[&str]| a.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
    let file = s(&f.any_file);
    let dir = s(&f.empty_dir);
    //                                                      Q  N  GL GR PG PN B  L  SR ST SD
    vec![
        (v(&["--collateral", COLLATERAL]), /*            */ [R, R, U, U, R, R, U, U, R, R, R]),
        (v(&["--offline"]), /*                           */ [R, R, R, R, R, R, R, U, R, R, R]),
        (v(&["--pccs", LOOPBACK]), /*                    */ [R, R, U, U, R, R, U, R, U, U, U]),
        (v(&["--allow-debug"]), /*                       */ [R, R, U, U, R, R, R, R, R, R, R]),
        (v(&["--allow-service-td"]), /*                  */ [R, R, U, U, R, R, R, R, U, U, U]),
        (v(&["--danger-trust-test-root", ROOT]), /*      */ [R, R, U, U, R, R, R, R, U, U, U]),
        (v(&["--nonce", NEAR_NONCE]), /*                 */ [U, R, R, R, R, R, U, R, U, R, U]),
        (v(&["--binding", "signing-address-tls", "--nonce", NEAR_NONCE]), [R, R, U, U, U, U, U, U, U, U, U]),
        (vec!["--gpu-evidence".to_owned(), s(&f.gpu_list)], [R, R, R, R, U, U, U, U, U, U, U]),
        (vec!["--cert-chain".to_owned(), s(&f.cert_chain)], [U, U, U, R, U, U, U, U, U, U, U]),
        (v(&["--rims", &dir]), /*                        */ [U, R, R, R, R, U, U, U, U, U, U]),
        (v(&["--ocsp", &dir]), /*                        */ [U, R, R, R, R, U, U, U, U, U, U]),
        (vec!["--nras".to_owned(), s(&f.nras), "--jwks".to_owned(), s(&f.jwks)], [U, R, R, R, R, U, U, U, U, U, U]),
        (vec!["--jwks".to_owned(), s(&f.jwks), "--nras".to_owned(), s(&f.nras)], [U, R, R, R, R, U, U, U, U, U, U]),
        (v(&["--signature", &file]), /*                  */ [U, U, U, U, R, R, U, U, U, U, U]),
        (v(&["--request", &file, "--signature", &file]), [U, U, U, U, R, R, U, U, U, U, U]),
        (v(&["--response", &file, "--signature", &file]), [U, U, U, U, R, R, U, U, U, U, U]),
        (v(&["--model", "m"]), /*                        */ [U, U, U, U, U, U, U, R, U, U, U]),
        (v(&["--provider", "near"]), /*                  */ [U, U, U, U, U, U, U, R, U, U, U]),
        (v(&["--save-bundle", &format!("{dir}/b.json")]), [U, U, U, U, U, U, U, R, U, U, U]),
        (v(&["--tls-ca", &file]), /*                     */ [U, U, U, U, U, U, U, R, U, U, U]),
        (v(&["--nvidia-rim-url", LOOPBACK]), /*          */ [U, R, R, R, R, U, U, R, U, U, U]),
        (v(&["--nvidia-ocsp-url", LOOPBACK]), /*         */ [U, R, R, R, R, U, U, R, U, U, U]),
        (v(&["--nras-url", LOOPBACK]), /*                */ [U, U, U, U, U, U, U, R, U, U, U]),
        (v(&["--timeout", "1"]), /*                      */ [R, R, R, R, R, R, U, R, R, R, R]),
        (v(&["--retries", "0"]), /*                      */ [R, R, R, R, R, R, U, R, R, R, R]),
        (v(&["--cache-dir", &dir]), /*                   */ [R, R, R, R, R, R, U, R, R, R, R]),
        (v(&["--ear-key", &file]), /*                    */ [U, U, U, U, U, U, U, U, U, U, U]),
        (v(&["--jobs", "2"]), /*                         */ [R, R, R, R, R, R, R, R, R, R, R]),
        (v(&["--kds-url", LOOPBACK]), /*                 */ [U, U, U, U, U, U, U, R, R, R, R]),
        // Both need a policy with [[provenance.source]] (none in the base arguments).
        (v(&["--github-url", LOOPBACK]), /*              */ [U, U, U, U, U, U, U, U, U, U, U]),
        (v(&["--sigstore-trusted-root", &file]), /*      */ [U, U, U, U, U, U, U, U, U, U, U]),
        (v(&["--danger-trust-test-amd-root", ROOT]), /*  */ [U, U, U, U, U, U, R, R, R, R, R]),
    ]
}

/// Flags that would use the network when their check runs: their `R` cells are covered by the
/// fetch tests (cli.rs, live_scan.rs), not run here. The other `R` cells run with --offline.
const NETWORK: [&str; 2] = ["--timeout", "--retries"];

struct Files {
    gpu_list: PathBuf,
    cert_chain: PathBuf,
    nras: PathBuf,
    jwks: PathBuf,
    any_file: PathBuf,
    empty_dir: PathBuf,
}

fn files(dir: &Path) -> Files {
    let root = corpus::root();
    let gpu = root.as_ref().map(|r| r.join("nvidia/providers/neardirect-qwen35-teep"));
    let sample = root.as_ref().map(|r| r.join("nvidia/nvtrust-sample-h100"));
    let any_file = dir.join("any.txt");
    std::fs::write(&any_file, "x").unwrap();
    let empty_dir = dir.join("empty");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let or_any = |p: Option<PathBuf>| p.unwrap_or_else(|| any_file.clone());
    Files {
        gpu_list: or_any(gpu.as_ref().map(|g| g.join("nvidia_payload.json"))),
        cert_chain: or_any(sample.as_ref().map(|g| g.join("device_cert_chain.pem"))),
        nras: or_any(gpu.as_ref().map(|g| g.join("nras_response.json"))),
        jwks: or_any(gpu.as_ref().map(|g| g.join("nras_jwks_at_capture.json"))),
        any_file,
        empty_dir,
    }
}

/// The base arguments of a column (after `scan`), or `None` when it needs the absent corpus.
fn base(col: Col, dir: &Path, f: &Files) -> Option<Vec<String>> {
    let root = corpus::root();
    let near = root.as_ref().map(|r| r.join("providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637/responses/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body"));
    Some(match col {
        Col::Quote => vec![QUOTE.to_owned(), "--at".to_owned(), TESTPKI_AT.to_owned()],
        Col::Node => {
            root.as_ref()?;
            vec![QUOTE.to_owned(), "--gpu-evidence".to_owned(), s(&f.gpu_list), "--at".to_owned(), TESTPKI_AT.to_owned()]
        }
        Col::GpuList => {
            root.as_ref()?;
            vec![s(&f.gpu_list), "--at".to_owned(), NEAR_AT.to_owned()]
        }
        Col::GpuRaw => {
            let sample = root.as_ref()?.join("nvidia/nvtrust-sample-h100");
            vec![s(&sample.join("attestation_report.hex")), "--cert-chain".to_owned(), s(&f.cert_chain), "--at".to_owned(), "2025-08-21T12:00:00Z".to_owned()]
        }
        Col::ProviderGpu => vec![s(&near?), "--at".to_owned(), NEAR_AT.to_owned()],
        Col::ProviderNoGpu => {
            // The NEAR direct report without its GPU evidence (and the extra attestations).
            let body: serde_json::Value = serde_json::from_slice(&std::fs::read(near?).unwrap()).unwrap();
            let mut o = body.as_object().unwrap().clone();
            for k in ["nvidia_payload", "all_attestations", "compose_manager_attestation", "ohttp_key_config", "ohttp_attestation"] {
                o.remove(k);
            }
            let p = dir.join("near-no-gpu.json");
            std::fs::write(&p, serde_json::to_vec(&o).unwrap()).unwrap();
            vec![s(&p), "--at".to_owned(), NEAR_AT.to_owned()]
        }
        Col::Bundle => {
            let p = dir.join("bundle.json");
            std::fs::write(&p, "{\"format\": \"teescan.bundle/v1\"}").unwrap();
            vec![s(&p)]
        }
        Col::Live => vec!["https://127.0.0.1:9/".to_owned()],
        Col::SnpRaw => {
            let r = root.as_ref()?.join("sev-snp/microsoft-tee-attestation-verification/milan_attestation_report.bin");
            vec![s(&r), "--at".to_owned(), SNP_AT.to_owned()]
        }
        Col::SnpRouter => vec![s(&root.as_ref()?.join(ROUTER_DOC)), "--at".to_owned(), ROUTER_AT.to_owned()],
        Col::SnpDstack => {
            let r = root.as_ref()?.join("sev-snp/dstack/sev_snp_attestation.bin");
            vec![s(&r), "--at".to_owned(), SNP_AT.to_owned()]
        }
    })
}

fn run_column(col: Col) {
    let dir = scratch(&format!("{col:?}"));
    let f = files(&dir);
    let Some(base) = base(col, &dir, &f) else { return };
    let i = COLS.iter().position(|c| *c == col).unwrap();
    let mut checked = 0;
    for (flag_args, wants) in table(&f) {
        let flag = flag_args[0].as_str();
        let want = wants[i];
        let mut args = vec!["scan".to_owned()];
        args.extend(base.iter().cloned());
        match want {
            U => {
                args.extend(flag_args.iter().cloned());
                let r = teescan(&args);
                assert_eq!(r.code, 2, "{col:?} {flag}: want a usage error\n{}{}", r.stdout, r.stderr);
                assert!(r.stderr.contains("error[input.usage]") && r.stderr.contains(&format!("{flag} ")), "{col:?} {flag}: stderr must name the flag: {}", r.stderr);
                assert_eq!(r.stderr.lines().count(), 1, "{col:?} {flag}: one line: {}", r.stderr);
                assert_eq!(r.stdout, "", "{col:?} {flag}");
            }
            R => {
                // Live scans need the network; flags already in the base need no second run.
                if col == Col::Live || NETWORK.contains(&flag) || base.iter().any(|a| a == flag) {
                    continue;
                }
                args.extend(flag_args.iter().cloned());
                if flag != "--offline" {
                    args.push("--offline".to_owned());
                }
                let r = teescan(&args);
                assert!(!r.stderr.contains("cannot apply") && !r.stderr.contains("input.usage"), "{col:?} {flag}: the check must run\n{}", r.stderr);
            }
        }
        checked += 1;
    }
    assert!(checked > 10, "{col:?}: {checked} cells checked");
}

#[test]
fn flags_on_a_bare_quote_run_or_are_usage_errors() {
    run_column(Col::Quote);
}

#[test]
fn flags_on_a_node_run_or_are_usage_errors() {
    run_column(Col::Node);
}

#[test]
fn flags_on_a_gpu_evidence_list_run_or_are_usage_errors() {
    run_column(Col::GpuList);
}

#[test]
fn flags_on_a_raw_gpu_report_run_or_are_usage_errors() {
    run_column(Col::GpuRaw);
}

#[test]
fn flags_on_a_provider_report_with_gpus_run_or_are_usage_errors() {
    run_column(Col::ProviderGpu);
}

#[test]
fn flags_on_a_provider_report_without_gpus_run_or_are_usage_errors() {
    run_column(Col::ProviderNoGpu);
}

#[test]
fn flags_on_a_bundle_run_or_are_usage_errors() {
    run_column(Col::Bundle);
}

#[test]
fn flags_on_a_live_endpoint_are_refused_before_any_connection() {
    run_column(Col::Live);
}

#[test]
fn flags_on_a_bare_snp_report_run_or_are_usage_errors() {
    run_column(Col::SnpRaw);
}

#[test]
fn flags_on_the_tinfoil_snp_router_document_run_or_are_usage_errors() {
    run_column(Col::SnpRouter);
}

#[test]
fn flags_on_a_dstack_snp_attestation_run_or_are_usage_errors() {
    run_column(Col::SnpDstack);
}

fn usage(args: &[&str], flag: &str) {
    let a: Vec<String> = std::iter::once("scan").chain(args.iter().copied()).map(str::to_owned).collect();
    let r = teescan(&a);
    assert_eq!(r.code, 2, "{args:?}\n{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("error[input.usage]") && r.stderr.contains(flag), "{args:?}: {}", r.stderr);
}

#[test]
fn nonce_on_a_bare_quote_needs_a_binding_scheme() {
    let base = ["--collateral", COLLATERAL, "--danger-trust-test-root", ROOT, "--at", TESTPKI_AT];
    let mut a = vec![QUOTE];
    a.extend(base);
    a.extend(["--nonce", NEAR_NONCE]);
    let r = teescan(&std::iter::once("scan").chain(a.iter().copied()).map(str::to_owned).collect::<Vec<_>>());
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("--nonce needs a binding scheme to check a bare quote"), "{}", r.stderr);
    // With a scheme the nonce is checked against REPORTDATA[32..64]: the test quote's is not it.
    let mut b: Vec<String> = std::iter::once("scan").chain(a.iter().copied()).map(str::to_owned).collect();
    b.extend(["--binding".to_owned(), "padded-signing-address".to_owned()]);
    let r = teescan(&b);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL tdx.binding.nonce"), "{}", r.stdout);
    // A scheme without a nonce has nothing to check on a bare quote.
    let mut c: Vec<&str> = vec![QUOTE];
    c.extend(base);
    c.extend(["--binding", "padded-signing-address"]);
    usage(&c, "--binding");
}

#[test]
fn nonce_on_a_bare_quote_checks_reportdata_under_the_scheme() {
    let Some(root) = corpus::root() else { return };
    let d = root.join("tdx/derived/teep/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637");
    let g = root.join("tdx/derived/teep/nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657");
    let run = |q: PathBuf, coll: PathBuf, scheme: &str| {
        teescan(&[
            "scan".to_owned(),
            s(&q),
            "--collateral".to_owned(),
            s(&coll),
            "--nonce".to_owned(),
            NEAR_NONCE.to_owned(),
            "--binding".to_owned(),
            scheme.to_owned(),
            "--at".to_owned(),
            NEAR_AT.to_owned(),
        ])
    };
    let honest = run(d.join("quote_7cddc8d792dc.bin"), d.join("collateral.json"), "signing-address-tls");
    assert_eq!(honest.code, 0, "{}", honest.stdout);
    assert!(honest.stdout.contains("pass tdx.binding.nonce"), "{}", honest.stdout);
    let other = run(g.join("quote_dbd3b82f0fc6.bin"), g.join("collateral.json"), "signing-address-tls");
    assert_eq!(other.code, 1, "{}", other.stdout);
    assert!(other.stdout.contains("FAIL tdx.binding.nonce"), "{}", other.stdout);
    let hashed = run(d.join("quote_7cddc8d792dc.bin"), d.join("collateral.json"), "tinfoil-v3");
    assert_eq!(hashed.code, 1, "{}", hashed.stdout);
}

#[test]
fn contextual_refusals_name_the_flag() {
    let dir = scratch("context");
    let key = dir.join("key.pem");
    std::fs::write(&key, "x").unwrap();
    let quote = [QUOTE, "--at", TESTPKI_AT];
    let with = |extra: &[&str]| quote.iter().copied().chain(extra.iter().copied()).map(str::to_owned).collect::<Vec<String>>();
    let refused = |extra: &[&str], flag: &str| {
        let a = with(extra);
        usage(&a.iter().map(String::as_str).collect::<Vec<_>>(), flag);
    };
    // --pccs fetches nothing when --collateral supplies it, or with --offline --no-cache.
    refused(&["--collateral", COLLATERAL, "--pccs", LOOPBACK], "--pccs");
    refused(&["--offline", "--no-cache", "--pccs", LOOPBACK], "--pccs");
    // Network settings with nothing to fetch.
    refused(&["--offline", "--timeout", "1"], "--timeout");
    refused(&["--collateral", COLLATERAL, "--retries", "1"], "--retries");
    refused(&["--collateral", COLLATERAL, "--cache-dir", dir.to_str().unwrap()], "--cache-dir");
    // --ear-key without --format ear; with it the key is used (and this one is no key).
    refused(&["--ear-key", key.to_str().unwrap()], "--ear-key");
    let a = with(&["--collateral", COLLATERAL, "--danger-trust-test-root", ROOT, "--format", "ear", "--ear-key", key.to_str().unwrap()]);
    let r = teescan(&std::iter::once("scan".to_owned()).chain(a).collect::<Vec<_>>());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("input.ear_key"), "{}", r.stderr);
    let Some(root) = corpus::root() else { return };
    let gpu = root.join("nvidia/providers/neardirect-qwen35-teep");
    let list = s(&gpu.join("nvidia_payload.json"));
    let g = |extra: &[&str]| std::iter::once(list.as_str()).chain(["--at", NEAR_AT]).chain(extra.iter().copied()).map(str::to_owned).collect::<Vec<String>>();
    let refused_gpu = |extra: &[&str], flag: &str| {
        let a = g(extra);
        usage(&a.iter().map(String::as_str).collect::<Vec<_>>(), flag);
    };
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    // With --rims/--ocsp nothing is fetched from NVIDIA.
    refused_gpu(&["--rims", empty.to_str().unwrap(), "--nvidia-rim-url", LOOPBACK], "--nvidia-rim-url");
    refused_gpu(&["--ocsp", empty.to_str().unwrap(), "--nvidia-ocsp-url", LOOPBACK], "--nvidia-ocsp-url");
    // --nras-url: NRAS is asked only when the policy requires it and no --nras is given.
    refused_gpu(&["--nras-url", LOOPBACK], "--nras-url");
    let nras = s(&gpu.join("nras_response.json"));
    let jwks = s(&gpu.join("nras_jwks_at_capture.json"));
    refused_gpu(&["--policy", "policies/nearai-gpu.toml", "--nras", &nras, "--jwks", &jwks, "--nras-url", LOOPBACK], "--nras-url");
    let a = g(&["--policy", "policies/nearai-gpu.toml", "--nras-url", LOOPBACK, "--offline", "--nonce", NEAR_NONCE]);
    let r = teescan(&std::iter::once("scan".to_owned()).chain(a).collect::<Vec<_>>());
    assert!(!r.stderr.contains("cannot apply"), "{}", r.stderr);
}
