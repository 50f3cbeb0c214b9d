//! Embedding teescan: verify a saved TDX quote with its saved collateral, as of a given time,
//! against a policy, through the same `Scanner` the CLI uses, and act on the verdict. This is
//! what an auditor's tool does months after the fact.
//!
//! cargo run --example verify_quote -- QUOTE COLLATERAL_JSON RFC3339_TIME [POLICY.toml] [--danger-trust-test-root ROOT]
//!
//! On the evidence in this repository (made by the project's TEST PKI, hence the test root):
//!
//! cargo run --example verify_quote -- fixtures/testpki/quote.bin fixtures/testpki/collateral.json \
//!   2026-01-15T00:00:00Z fixtures/testpki/policy.toml --danger-trust-test-root fixtures/testpki/root.der

use teescan::pki::TrustAnchor;
use teescan::policy::Policy;
use teescan::report::{Report, Status, Verdict};
use teescan::scan::{Collateral, Evidence, Scanner};
use teescan::time::Timestamp;

/// Verify `quote` with `collateral` as of `at`, against `policy` when given. `test_root`: trust
/// this root instead of the Intel SGX Root CA (test PKIs only; the report then says so).
pub fn verify(quote: &[u8], collateral: &[u8], at: &str, policy: Option<&[u8]>, test_root: Option<&[u8]>) -> Result<Report, Box<dyn std::error::Error>> {
    let mut scanner = Scanner::new(Timestamp::parse_rfc3339(at)?);
    if let Some(p) = policy {
        scanner = scanner.with_policy(Policy::load(p)?);
    }
    if let Some(root) = test_root {
        scanner.options.intel_root = TrustAnchor::danger_test_root(root)?;
    }
    let evidence = Evidence::detect(quote)?;
    let mut coll = Collateral::default();
    coll.add_dcap_json(collateral)?;
    Ok(scanner.scan(&evidence, &coll)?)
}

/// The string value at `pointer` in the report's claims, or `-`.
fn claim<'a>(report: &'a Report, pointer: &str) -> &'a str {
    report.claims.pointer(pointer).and_then(|v| v.as_str()).unwrap_or("-")
}

#[allow(dead_code)] // the tests use `verify` only
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let test_root = match args.iter().position(|a| a == "--danger-trust-test-root") {
        Some(i) if i + 1 < args.len() => Some(args.drain(i..=i + 1).nth(1).unwrap_or_default()),
        Some(_) => return Err("--danger-trust-test-root needs a file".into()),
        None => None,
    };
    let [quote, collateral, at, rest @ ..] = args.as_slice() else {
        eprintln!("usage: verify_quote QUOTE COLLATERAL_JSON RFC3339_TIME [POLICY] [--danger-trust-test-root ROOT]");
        std::process::exit(2);
    };
    let policy = rest.first().map(std::fs::read).transpose()?;
    let root = test_root.map(std::fs::read).transpose()?;
    let report = verify(&std::fs::read(quote)?, &std::fs::read(collateral)?, at, policy.as_deref(), root.as_deref())?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    match report.verdict {
        Verdict::Pass => {
            println!("PASS: TCB {}, MRTD {}", claim(&report, "/tdx/tcb/status"), claim(&report, "/tdx/td/mr_td"));
            if !report.policy.applied {
                println!("(no policy: the quote is authentic and its TCB appraised; its measurements are not judged)");
            }
        }
        v => {
            println!("{}:", v.label());
            for c in report.checks.iter().filter(|c| c.required && c.status != Status::Pass) {
                println!("  {} {}: {}", c.status.as_str(), c.id, c.reason.as_deref().unwrap_or("-"));
            }
        }
    }
    std::process::exit(report.verdict.exit_code());
}
