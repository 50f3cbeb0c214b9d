//! The embedder's entry point (`teescan::scan`): evidence detected from bytes, collateral from a
//! capture directory, a `Scanner` — the same path the CLI takes — on the real captures.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use teescan::nvidia::verify::NrasInput;
use teescan::policy::Policy;
use teescan::report::{Status, Verdict};
use teescan::scan::{Collateral, Evidence, Kind, Scanner};
use teescan::time::Timestamp;

fn capture(root: &Path, prefix: &str) -> PathBuf {
    std::fs::read_dir(root.join("providers/teep-captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap()
}

fn response(dir: &Path, needle: &str) -> Vec<u8> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("responses"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "body") && p.to_string_lossy().contains(needle))
        .collect();
    files.sort();
    std::fs::read(&files[0]).unwrap()
}

fn near_scanner(policy: bool) -> Scanner {
    let nonce: [u8; 32] = hex::decode("541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b").unwrap().try_into().unwrap();
    let s = Scanner::new(Timestamp::parse_rfc3339("2026-06-29T02:06:40Z").unwrap()).with_nonce(nonce);
    if policy {
        s.with_policy(Policy::load(&std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/nearai.toml")).unwrap()).unwrap())
    } else {
        s
    }
}

#[test]
fn a_saved_near_report_passes_through_the_scanner_and_a_tampered_one_fails() {
    let Some(root) = corpus::root() else { return };
    let dir = capture(&root, "neardirect");
    let body = response(&dir, "attestation_report");
    let evidence = Evidence::detect(&body).unwrap();
    assert_eq!(evidence.kind(), Kind::Provider { gpu: true });
    let mut coll = Collateral::default();
    coll.add_capture_dir(&dir, &evidence).unwrap();
    assert_eq!(coll.dcap.len(), 1, "one FMSPC");
    coll.gpu.nras = Some(NrasInput { body: response(&dir, "v3_attest_gpu"), jwks: response(&dir, "jwks") });
    let r = near_scanner(true).scan(&evidence, &coll).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.checks.iter().filter(|c| c.required && c.status != Status::Pass).map(|c| &c.id).collect::<Vec<_>>());
    // The same bytes with one quote byte changed.
    let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut q = hex::decode(v["intel_quote"].as_str().unwrap()).unwrap();
    q[600] ^= 1;
    v["intel_quote"] = serde_json::json!(hex::encode(q));
    let r = near_scanner(true).scan(&Evidence::detect(v.to_string().as_bytes()).unwrap(), &coll).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    // No collateral at all: nothing is known, nothing passes.
    let r = near_scanner(true).scan(&evidence, &Collateral::default()).unwrap();
    assert_ne!(r.verdict, Verdict::Pass);
}

#[test]
fn detection_names_every_kind_and_refuses_what_it_cannot_read() {
    let Some(root) = corpus::root() else { return };
    let gpu = std::fs::read(root.join("nvidia/providers/neardirect-qwen35-teep/nvidia_payload.json")).unwrap();
    assert!(matches!(Evidence::detect(&gpu).unwrap().kind(), Kind::GpuList));
    let snp = response(&capture(&root, "tinfoil_v3_cloud"), "tinfoil-attestation");
    let e = Evidence::detect(&snp).unwrap();
    // Tinfoil's SEV-SNP router: verified since issue #16; without its AMD collateral nothing
    // can be decided, and nothing passes.
    assert!(matches!(e, Evidence::Snp(_)));
    let r = near_scanner(false).scan(&e, &Collateral::default()).unwrap();
    assert_ne!(r.verdict, Verdict::Pass, "evidence without its collateral is never a pass");
    let quote = hex::decode(serde_json::from_slice::<serde_json::Value>(&response(&capture(&root, "neardirect"), "attestation_report")).unwrap()["intel_quote"].as_str().unwrap()).unwrap();
    let e = Evidence::detect(&quote).unwrap();
    assert_eq!(e.kind(), Kind::Quote);
    assert_eq!(e.pck_hints().len(), 1);
    let node = e.with_gpu(teescan::nvidia::evidence::parse_evidence_list(&gpu).unwrap()).unwrap();
    assert_eq!(node.kind(), Kind::Node);
    for bad in [&b"{\"hello\": 1}"[..], b"", b"not a quote", b"{\"a\":1,\"a\":2}"] {
        assert!(Evidence::detect(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
    }
}
