//! Embedding teescan for a batch: re-verify many saved TDX quotes with the same collateral, as
//! of one time, on every core, with one verify-once cache shared by all scans through
//! `ScanOptions::cache` (the collateral's certificates, CRLs and signatures are verified once;
//! each quote's own signature every time). Each worker runs one scan at a time, so the scans do
//! not spread over the CPUs themselves (`ScanOptions::parallel = false`). Results are the same as
//! scanning each quote alone.
//!
//! cargo run --release --example batch_audit -- COLLATERAL_JSON RFC3339_TIME QUOTE...

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use teescan::cache::VerifyCache;
use teescan::report::Verdict;
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::{scan_tdx_quote, ScanOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [collateral, at, quotes @ ..] = args.as_slice() else {
        eprintln!("usage: batch_audit COLLATERAL_JSON RFC3339_TIME QUOTE...");
        std::process::exit(2);
    };
    let collateral = Collateral::from_dcap_json(&std::fs::read(collateral)?)?;
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(at)?);
    opts.cache = Some(Arc::new(VerifyCache::new()));
    // One scan per core already: each scan stays on its worker's thread.
    opts.parallel = false;

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = quotes.get(i) else { break };
                let line = match std::fs::read(path).map_err(|e| e.to_string()).and_then(|q| scan_tdx_quote(&q, &collateral, &opts).map_err(|e| e.to_string())) {
                    Ok(r) if r.verdict == Verdict::Pass => format!("PASS {path}"),
                    Ok(r) => format!("{} {path}: {}", r.verdict.label(), r.first_failure().map_or("", |c| c.id.as_str())),
                    Err(e) => format!("ERROR {path}: {e}"),
                };
                if let Ok(mut v) = results.lock() {
                    v.push((i, line));
                }
            });
        }
    });
    let mut lines = results.into_inner().unwrap_or_default();
    lines.sort();
    let all_pass = lines.iter().all(|(_, l)| l.starts_with("PASS"));
    for (_, l) in &lines {
        println!("{l}");
    }
    if let Some(cache) = &opts.cache {
        eprintln!("collateral signatures: {:?}", cache.stats().signature);
    }
    std::process::exit(if all_pass { 0 } else { 1 });
}
