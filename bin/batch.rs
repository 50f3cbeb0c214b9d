//! `teescan scan A B DIR…`: many inputs scanned in parallel on all cores, one summary line per
//! input (or one JSON document per input: JSON Lines), and one aggregate exit code.
//!
//! Every input is scanned exactly as `teescan scan INPUT` with the same flags would scan it (the
//! same function runs); the scans share one verify-once cache ([`teescan::cache::VerifyCache`]),
//! so a certificate, CRL, TCB Info, QE Identity, RIM or OCSP response common to many inputs is
//! verified once per batch (inside its validity window). Lines are printed in input order as
//! soon as every earlier input is done.
//!
//! Which inputs, their summary lines and the aggregate exit code: [`teescan::scan::batch`].

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use teescan::cache::VerifyCache;
use teescan::report::{ear, Report};
use teescan::scan::batch::{error_document, expand, run_ordered, table_line, Tally};
use teescan::Error;

use super::{ear_key, input_error, output, request, Format, ScanArgs};

/// Flags that belong to one input and make no sense for many.
fn refuse_single_input_flags(args: &ScanArgs) -> Result<(), Error> {
    let single = [
        (args.save_bundle.is_some(), "--save-bundle"),
        (args.signature.is_some(), "--signature"),
        (args.cert_chain.is_some(), "--cert-chain"),
        (args.format == Format::Html, "--format html"),
    ];
    match single.iter().find(|(given, _)| *given) {
        Some((_, flag)) => Err(input_error("input.usage", format!("{flag} applies to one input, not to a batch"))),
        None => Ok(()),
    }
}

/// Run a batch; prints its lines and returns the aggregate exit code.
pub(super) fn run(args: &ScanArgs) -> ExitCode {
    let started = Instant::now();
    let prepared = refuse_single_input_flags(args).and_then(|()| Ok((expand(&args.inputs)?, ear_key(args)?)));
    let (inputs, ear_key) = match prepared {
        Ok(x) => x,
        Err(e) => {
            if !args.quiet {
                eprintln!("teescan: error[{}]: {e}", e.code());
            }
            return ExitCode::from(2);
        }
    };
    if let (Some(root), false) = (&args.danger_trust_test_root, args.quiet) {
        eprintln!("teescan: warning: trusting a TEST root instead of the Intel SGX Root CA ({})", root.display());
    }
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let jobs = args.jobs.unwrap_or(cpus).clamp(1, inputs.len().max(1));
    let cache = Arc::new(VerifyCache::new());
    let mut tally = Tally::default();
    let width = inputs.iter().map(|p| p.display().to_string().chars().count()).max().unwrap_or(0).min(60);
    let mut stdout = std::io::stdout().lock();
    let scan_one = |path: &std::path::Path| {
        let mut one = args.clone();
        one.inputs = vec![path.to_path_buf()];
        one.input = path.to_path_buf();
        // The batch's own flag: each input is one scan on one thread.
        one.jobs = None;
        // Per-input warnings stay in each report; stderr carries only the batch's lines.
        one.quiet = true;
        // The shared cache, passed down; the scan stays on this worker's thread.
        one.batch_cache = Some(Arc::clone(&cache));
        teescan::scan::run::run(&request(&one), &|_| {})
    };
    run_ordered(&inputs, jobs, scan_one, |i, result: Result<Report, Error>| {
        tally.add(&result);
        if !args.quiet {
            let path = inputs.get(i).map(|p| p.display().to_string()).unwrap_or_default();
            // A closed pipe is not a verification result; the exit code still is.
            let _ = stdout.write_all(render_line(args.format, ear_key.as_ref(), &path, &result, width).as_bytes());
        }
    });
    let _ = stdout.flush();
    drop(stdout);
    if !args.quiet {
        let summary = tally.summary(started.elapsed().as_secs_f64(), jobs);
        if matches!(args.format, Format::Table) {
            println!("\n{summary}");
        } else {
            // JSON Lines on stdout hold exactly one document per input.
            eprintln!("teescan: {summary}");
        }
    }
    ExitCode::from(tally.exit_code())
}

/// One input's line: a summary (table) or one compact JSON document (json, ear).
fn render_line(format: Format, ear_key: Option<&ear::EarKey>, path: &str, result: &Result<Report, Error>, width: usize) -> String {
    match (format, result) {
        (Format::Table | Format::Html, _) => table_line(path, result, width),
        (_, Ok(r)) => teescan::report::render(r, output(format, ear_key, false, false), true)
            .unwrap_or_else(|e| error_document(path, "input.ear_key", &e.to_string())),
        (_, Err(e)) => error_document(path, e.code(), &e.to_string()),
    }
}
