//! Embedding teescan for the main job: scan a saved provider report (here NEAR AI's, from the
//! shared corpus) with the collateral captured beside it, as of a pinned time, against a policy,
//! through the same `Scanner` the CLI uses.
//!
//! cargo run --example scan_provider_report -- [CAPTURE_DIR] [POLICY] [RFC3339_TIME] [NONCE_HEX]
//!
//! Defaults: the NEAR direct capture of 2026-06-29 in `../shared/fixtures`, `policies/nearai.toml`,
//! its capture time and the nonce its client sent.

use std::path::{Path, PathBuf};

use teescan::nvidia::verify::NrasInput;
use teescan::policy::Policy;
use teescan::report::{Status, Verdict};
use teescan::scan::{Collateral, Evidence, Scanner};
use teescan::time::Timestamp;

const CAPTURE: &str = "../shared/fixtures/providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637";

/// The first `responses/*.body` whose name contains `needle`.
fn response(dir: &Path, needle: &str) -> std::io::Result<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("responses"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "body") && p.to_string_lossy().contains(needle))
        .collect();
    files.sort();
    let first = files.first().ok_or_else(|| std::io::Error::other(format!("no {needle} in {}", dir.display())))?;
    std::fs::read(first)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let capture = PathBuf::from(args.first().map_or(CAPTURE, String::as_str));
    let policy = args.get(1).map_or("policies/nearai.toml", String::as_str);
    let at = args.get(2).map_or("2026-06-29T02:06:40Z", String::as_str);
    let nonce = args.get(3).map_or("541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b", String::as_str);

    // 1. The evidence, recognised from its bytes (a provider report here).
    let evidence = Evidence::detect(&response(&capture, "attestation_report")?)?;
    // 2. The collateral: Intel PCS answers from the capture directory, and NVIDIA's NRAS answer
    //    with its key set. All of it is evidence to check: nothing here is trusted.
    let mut collateral = Collateral::default();
    collateral.add_capture_dir(&capture, &evidence)?;
    collateral.gpu.nras = Some(NrasInput { body: response(&capture, "v3_attest_gpu")?, jwks: response(&capture, "jwks")? });
    // 3. What it is verified against: the time, the auditor's policy, the nonce the client sent.
    let nonce: [u8; 32] = hex::decode(nonce)?.try_into().map_err(|_| "the nonce is 32 bytes")?;
    let scanner = Scanner::new(Timestamp::parse_rfc3339(at)?)
        .with_policy(Policy::load(&std::fs::read(policy)?)?)
        .with_nonce(nonce);
    let report = scanner.scan(&evidence, &collateral)?;

    match report.verdict {
        Verdict::Pass => println!("PASS: {} checks, policy {}", report.checks.len(), report.policy.id.as_deref().unwrap_or("-")),
        _ => {
            for c in report.checks.iter().filter(|c| c.required && c.status != Status::Pass) {
                println!("{:?} {}: {}", c.status, c.id, c.reason.as_deref().unwrap_or(""));
            }
            println!("{}", report.verdict.label());
        }
    }
    std::process::exit(report.verdict.exit_code());
}
