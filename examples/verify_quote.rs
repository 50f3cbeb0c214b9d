//! Embedding teescan: verify a TDX quote with saved collateral, as of a given time, against a
//! policy, and act on the verdict. This is what an auditor's tool does months after the fact.
//!
//! cargo run --example verify_quote -- QUOTE COLLATERAL_JSON RFC3339_TIME [POLICY.toml]

use teescan::policy::Policy;
use teescan::report::Verdict;
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::{scan_tdx_quote, ScanOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [quote, collateral, at, rest @ ..] = args.as_slice() else {
        eprintln!("usage: verify_quote QUOTE COLLATERAL_JSON RFC3339_TIME [POLICY]");
        std::process::exit(2);
    };
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(at)?);
    if let Some(policy) = rest.first() {
        opts.policy = Some(Policy::load(&std::fs::read(policy)?)?);
    }
    let collateral = Collateral::from_dcap_json(&std::fs::read(collateral)?)?;
    let report = scan_tdx_quote(&std::fs::read(quote)?, &collateral, &opts)?;
    match report.verdict {
        Verdict::Pass => {
            let tdx = &report.claims["tdx"];
            println!("verified: TCB {} MRTD {}", tdx["tcb"]["status"], tdx["td"]["mr_td"]);
        }
        _ => {
            for c in report.checks.iter().filter(|c| c.status != teescan::report::Status::Pass) {
                println!("{} {}: {}", c.status.as_str(), c.id, c.reason.as_deref().unwrap_or(""));
            }
        }
    }
    std::process::exit(report.verdict.exit_code());
}
