//! Embedding teescan for a batch: re-verify many saved TDX quotes with the same collateral, as
//! of one time, on every core, through one `Scanner` whose verify-once cache every scan shares
//! (the collateral's certificates, CRLs and signatures are verified once; each quote's own
//! signature every time). Each worker runs one scan at a time, so the scans do not spread over
//! the CPUs themselves (`options.parallel = false`). Results are those of single scans.
//!
//! cargo run --release --example batch_audit -- COLLATERAL_JSON RFC3339_TIME QUOTE...

use std::path::PathBuf;

use teescan::report::Verdict;
use teescan::scan::batch::run_ordered;
use teescan::scan::{Collateral, Evidence, Scanner};
use teescan::time::Timestamp;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [collateral, at, quotes @ ..] = args.as_slice() else {
        eprintln!("usage: batch_audit COLLATERAL_JSON RFC3339_TIME QUOTE...");
        std::process::exit(2);
    };
    let mut coll = Collateral::default();
    coll.add_dcap_json(&std::fs::read(collateral)?)?;
    let mut scanner = Scanner::new(Timestamp::parse_rfc3339(at)?);
    // One scan per core already: each scan stays on its worker's thread.
    scanner.options.parallel = false;

    let paths: Vec<PathBuf> = quotes.iter().map(PathBuf::from).collect();
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let mut all_pass = true;
    // Every quote scanned on `workers` threads; lines come back in input order.
    run_ordered(&paths, workers, |path| {
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        let evidence = Evidence::detect(&bytes).map_err(|e| e.to_string())?;
        scanner.scan(&evidence, &coll).map_err(|e| e.to_string())
    }, |i, result| {
        let path = paths.get(i).map(|p| p.display().to_string()).unwrap_or_default();
        match result {
            Ok(r) if r.verdict == Verdict::Pass => println!("PASS  {path}"),
            Ok(r) => {
                all_pass = false;
                println!("{:<5} {path}: {}", r.verdict.label(), r.first_failure().map_or("nothing failed; a check was not decided", |c| c.id.as_str()));
            }
            Err(e) => {
                all_pass = false;
                println!("ERROR {path}: {e}");
            }
        }
    });
    if let Some(cache) = &scanner.options.cache {
        let s = cache.stats().signature;
        eprintln!("collateral signatures: {} verified, {} answered from the cache", s.misses, s.hits);
    }
    std::process::exit(if all_pass { 0 } else { 1 });
}
