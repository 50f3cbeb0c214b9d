//! The CLI on GPU evidence and whole nodes (TDX quote + GPUs), real corpus, exit codes.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;

use cli::{s, scratch, Run};

/// Runs the binary. Scans get `--offline` unless they say otherwise: tests never use the network.
fn teescan(args: &[&str]) -> Run {
    let mut args: Vec<&str> = args.to_vec();
    if args.first() == Some(&"scan") && !args.contains(&"--pccs") {
        args.push("--offline");
    }
    cli::teescan(args)
}

const H100_NONCE: &str = "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb";
const NEAR_NONCE: &str = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
const NEAR_AT: &str = "2026-06-29T02:06:40Z";

#[test]
fn h100_sample_through_the_cli() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join("nvidia/nvtrust-sample-h100");
    let rims = scratch("rims");
    for f in ["NV_GPU_DRIVER_GH100_550.90.07.xml", "NV_GPU_VBIOS_1010_0200_882_96009F0001.xml"] {
        std::fs::copy(dir.join(f), rims.join(f)).unwrap();
    }
    let base = [
        "scan".to_owned(),
        s(&dir.join("attestation_report.hex")),
        "--cert-chain".to_owned(),
        s(&dir.join("device_cert_chain.pem")),
        "--rims".to_owned(),
        s(&rims),
        "--ocsp".to_owned(),
        s(&dir.join("ocsp")),
        "--at".to_owned(),
        "2025-08-21T12:00:00Z".to_owned(),
    ];
    let args = |extra: &[&str]| -> Vec<String> { base.iter().cloned().chain(extra.iter().map(|x| (*x).to_owned())).collect() };
    let run = |a: Vec<String>| teescan(&a.iter().map(String::as_str).collect::<Vec<_>>());
    // The RIM-chain OCSP responses are from 2025-10-24: at 2025-08-21 they are outside their
    // window, so the strict default is indeterminate (exit 3), never a pass.
    let r = run(args(&["--nonce", H100_NONCE]));
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stdout.contains("33/33 measurements match"), "{}", r.stdout);
    // A policy that waives OCSP explicitly passes (device OCSP still checked when supplied).
    let pol = scratch("pol").join("h100.toml");
    std::fs::write(&pol, "schema = \"teescan.policy/v1\"\nid = \"h100\"\nexpires = 2027-01-01T00:00:00Z\n[gpu]\ncount = 1\narch = { any_of = [\"HOPPER\"] }\ndriver_version = { any_of = [\"550.90.07\"] }\nocsp = \"waived\"\n").unwrap();
    let r = run(args(&["--nonce", H100_NONCE, "--policy", &s(&pol)]));
    assert_eq!(r.code, 0, "{}", r.stdout);
    // Another nonce: exit 1.
    let r = run(args(&["--nonce", &H100_NONCE.replace("931d", "931e"), "--policy", &s(&pol)]));
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("gpu[0].report.nonce"));
    // JSON output names every device check.
    let r = run(args(&["--nonce", H100_NONCE, "--policy", &s(&pol), "--format", "json"]));
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["claims"]["gpu"]["devices"][0]["driver_version"], "550.90.07");
    assert!(j["collateral"].as_array().unwrap().iter().filter(|c| c["kind"] == "ocsp").count() >= 3);
    // A raw report without its chain is a usage error.
    let r = teescan(&["scan", &s(&dir.join("attestation_report.hex"))]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--cert-chain"), "{}", r.stderr);
    // A bad nonce argument is a usage error.
    let r = run(args(&["--nonce", "abcd"]));
    assert_eq!(r.code, 2);
}

#[test]
fn near_8xh100_with_nras_and_the_shipped_policy() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join("nvidia/providers/neardirect-qwen35-teep");
    let args = |nonce: Option<&str>| -> Vec<String> {
        let mut a = vec![
            "scan".to_owned(),
            s(&dir.join("nvidia_payload.json")),
            "--nras".to_owned(),
            s(&dir.join("nras_response.json")),
            "--jwks".to_owned(),
            s(&dir.join("nras_jwks_at_capture.json")),
            "--policy".to_owned(),
            "policies/nearai-gpu.toml".to_owned(),
            "--at".to_owned(),
            NEAR_AT.to_owned(),
        ];
        if let Some(n) = nonce {
            a.push("--nonce".to_owned());
            a.push(n.to_owned());
        }
        a
    };
    let run = |a: Vec<String>| teescan(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let r = run(args(Some(NEAR_NONCE)));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.stdout.lines().filter(|l| l.trim_start().starts_with('[') && l.contains("HOPPER")).count(), 8, "{}", r.stdout);
    assert_eq!(run(args(None)).code, 3, "no nonce: freshness unknown");
    assert_eq!(run(args(Some(&NEAR_NONCE.replace("541b", "541c")))).code, 1);
    // The EAR has one submodule per GPU.
    let mut a = args(Some(NEAR_NONCE));
    a.extend(["--format".to_owned(), "ear".to_owned()]);
    let ear: serde_json::Value = serde_json::from_str(&run(a).stdout).unwrap();
    assert_eq!(ear["submods"].as_object().unwrap().len(), 8);
    assert_eq!(ear["submods"]["gpu7"]["ear.status"], "affirming");
}

#[test]
fn a_whole_near_node_tdx_quote_plus_gpus() {
    let Some(root) = corpus::root() else { return };
    let capture = root.join("tdx/derived/teep/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637");
    let gpu = root.join("nvidia/providers/neardirect-qwen35-teep");
    // The shipped NEAR policy (TDX pins + [gpu]) without its report_data binding rule: a quote
    // and GPU evidence given separately carry no provider inputs to bind.
    let tdx = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap();
    let node_policy = scratch("node").join("near-node.toml");
    std::fs::write(&node_policy, tdx.lines().filter(|l| !l.starts_with("report_data")).collect::<Vec<_>>().join("\n")).unwrap();
    let base = vec![
        "scan".to_owned(),
        s(&capture.join("quote_7cddc8d792dc.bin")),
        "--collateral".to_owned(),
        s(&capture.join("collateral.json")),
        "--gpu-evidence".to_owned(),
        s(&gpu.join("nvidia_payload.json")),
        "--nras".to_owned(),
        s(&gpu.join("nras_response.json")),
        "--jwks".to_owned(),
        s(&gpu.join("nras_jwks_at_capture.json")),
        "--nonce".to_owned(),
        NEAR_NONCE.to_owned(),
        "--at".to_owned(),
        NEAR_AT.to_owned(),
    ];
    let run = |extra: &[&str]| {
        let a: Vec<String> = base.iter().cloned().chain(extra.iter().map(|x| (*x).to_owned())).collect();
        teescan(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // Bound by the nonce: REPORTDATA[32..64] is the nonce the eight GPU reports answer.
    let r = run(&["--policy", &s(&node_policy), "--binding", "signing-address-tls"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("tdx-quote (binary) + nvidia-evidence (8 devices)"), "{}", r.stdout);
    assert!(r.stdout.contains("pass node.binding.nonce"), "{}", r.stdout);
    // Without a binding scheme nothing ties the quote to the GPUs: fail-closed.
    let r = run(&["--policy", &s(&node_policy)]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL node.binding "), "{}", r.stdout);
    // The shipped policy demands the signing-address-tls binding, which a bare quote cannot
    // show (exit 1); a TDX-only policy leaves the GPUs at the strict defaults (RIMs and OCSP
    // required, not supplied): indeterminate once the node is bound, FAIL when it is not. The
    // GPU-only policy on a quote-only scan: the GPU evidence the policy requires is missing.
    let shipped = run(&["--policy", "policies/nearai.toml"]);
    assert_eq!(shipped.code, 1);
    assert!(shipped.stdout.contains("policy.tdx.td.report_data"));
    assert_eq!(run(&["--policy", "policies/nearai-gateway.toml"]).code, 1, "gateway pins on a model node");
    assert_eq!(run(&["--policy", "policies/tdx-baseline.toml", "--binding", "signing-address-tls"]).code, 3);
    assert_eq!(run(&["--policy", "policies/tdx-baseline.toml"]).code, 1, "a node bound by nothing");
    let quote_only = teescan(&[
        "scan",
        &s(&capture.join("quote_7cddc8d792dc.bin")),
        "--collateral",
        &s(&capture.join("collateral.json")),
        "--at",
        NEAR_AT,
        "--policy",
        "policies/nearai-gpu.toml",
    ]);
    assert_eq!(quote_only.code, 1);
    assert!(quote_only.stdout.contains("policy.gpu.present"), "{}", quote_only.stdout);
}

/// The NEAR cloud gateway's quote (another machine, no GPUs, another nonce), NEAR direct's GPU
/// evidence and NRAS result, and NEAR direct's nonce, held to the shipped GPU policy.
fn gateway_quote_with_direct_gpus(extra: &[&str]) -> Run {
    let root = corpus::root().expect("corpus");
    let gateway = root.join("tdx/derived/teep/nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657");
    let gpu = root.join("nvidia/providers/neardirect-qwen35-teep");
    let mut a = vec![
        "scan".to_owned(),
        s(&gateway.join("quote_dbd3b82f0fc6.bin")),
        "--collateral".to_owned(),
        s(&gateway.join("collateral.json")),
        "--gpu-evidence".to_owned(),
        s(&gpu.join("nvidia_payload.json")),
        "--nras".to_owned(),
        s(&gpu.join("nras_response.json")),
        "--jwks".to_owned(),
        s(&gpu.join("nras_jwks_at_capture.json")),
        "--nonce".to_owned(),
        NEAR_NONCE.to_owned(),
        "--at".to_owned(),
        NEAR_AT.to_owned(),
        "--policy".to_owned(),
        "policies/nearai-gpu.toml".to_owned(),
    ];
    a.extend(extra.iter().map(|x| (*x).to_owned()));
    teescan(&a.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn gateway_quote_with_another_nodes_gpus_fails_without_a_binding_scheme() {
    if corpus::root().is_none() {
        return;
    }
    let r = gateway_quote_with_direct_gpus(&[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL node.binding "), "{}", r.stdout);
    assert!(r.stdout.contains("verdict: FAIL (node.binding)"), "{}", r.stdout);
}

#[test]
fn gateway_quote_with_another_nodes_gpus_fails_the_nonce_binding() {
    if corpus::root().is_none() {
        return;
    }
    for scheme in ["signing-address-tls", "padded-signing-address"] {
        let r = gateway_quote_with_direct_gpus(&["--binding", scheme, "--format", "json"]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let c = j["checks"].as_array().unwrap().iter().find(|c| c["id"] == "node.binding.nonce").expect("node.binding.nonce");
        assert_eq!(c["status"], "fail", "{c}");
        assert!(c["expected"].as_str().unwrap().starts_with(NEAR_NONCE), "{c}");
        assert_ne!(c["actual"], NEAR_NONCE, "{c}");
    }
    // Schemes that hash the nonce with unsigned inputs cannot be shown from a bare quote.
    for scheme in ["tinfoil-v3", "chutes-e2e"] {
        let r = gateway_quote_with_direct_gpus(&["--binding", scheme]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(r.stdout.contains("FAIL node.binding.nonce"), "{}", r.stdout);
    }
}

#[test]
fn honest_near_direct_node_binds_its_quote_to_its_gpus_by_the_nonce() {
    let Some(root) = corpus::root() else { return };
    let capture = root.join("tdx/derived/teep/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637");
    let gpu = root.join("nvidia/providers/neardirect-qwen35-teep");
    let run = |policy: &str, extra: &[&str]| {
        let mut a = vec![
            "scan".to_owned(),
            s(&capture.join("quote_7cddc8d792dc.bin")),
            "--collateral".to_owned(),
            s(&capture.join("collateral.json")),
            "--gpu-evidence".to_owned(),
            s(&gpu.join("nvidia_payload.json")),
            "--nras".to_owned(),
            s(&gpu.join("nras_response.json")),
            "--jwks".to_owned(),
            s(&gpu.join("nras_jwks_at_capture.json")),
            "--nonce".to_owned(),
            NEAR_NONCE.to_owned(),
            "--at".to_owned(),
            NEAR_AT.to_owned(),
            "--policy".to_owned(),
            policy.to_owned(),
        ];
        a.extend(extra.iter().map(|x| (*x).to_owned()));
        teescan(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let r = run("policies/nearai-gpu.toml", &["--binding", "signing-address-tls"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("pass node.binding.nonce"), "{}", r.stdout);
    // The same node without a scheme is not shown bound.
    assert_eq!(run("policies/nearai-gpu.toml", &[]).code, 1);
    // The shipped NEAR policy names signing-address-tls: its nonce half is checked from the
    // quote (pass) while the signing-key/TLS half needs the provider report (policy FAIL).
    let r = run("policies/nearai.toml", &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("pass node.binding.nonce"), "{}", r.stdout);
    assert!(r.stdout.contains("FAIL policy.tdx.td.report_data"), "{}", r.stdout);
    // A flag naming another scheme than the policy's: a usage error, never a silent choice.
    let r = run("policies/nearai.toml", &["--binding", "padded-signing-address"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("--binding"), "{}", r.stderr);
}

#[test]
fn chutes_gpus_carry_a_derived_nonce_not_the_raw_one() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join("nvidia/providers/chutes-via-redpill-teep");
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    let raw = meta["client_nonce"].as_str().unwrap();
    let r = teescan(&["scan", &s(&dir.join("gpu_evidence_instance0.json")), "--nonce", raw, "--at", "2026-06-10T02:00:00Z"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout.lines().filter(|l| l.contains("FAIL gpu[") && l.contains(".report.nonce")).count(), 8, "{}", r.stdout);
}

#[test]
fn unrecognised_json_is_a_usage_error() {
    let dir = scratch("json");
    let f = dir.join("x.json");
    std::fs::write(&f, "{\"quote\": \"00\"}").unwrap();
    let r = teescan(&["scan", &s(&f)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("teescan: error[input.format]"), "{}", r.stderr);
    // GPU evidence JSON that is broken names the GPU evidence problem.
    std::fs::write(&f, "{\"arch\":\"HOPPER\",\"nonce\":\"00\",\"evidence_list\":[{\"certificate\":\"!!\",\"evidence\":\"00\"}]}").unwrap();
    let r = teescan(&["scan", &s(&f)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nvidia.evidence"), "{}", r.stderr);
}
