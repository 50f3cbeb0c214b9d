//! `teescan scan A B DIR…`: many inputs scanned in parallel on all cores, one summary line per
//! input (or one JSON document per input: JSON Lines), and one aggregate exit code.
//!
//! Every input is scanned exactly as `teescan scan INPUT` with the same flags would scan it (the
//! same function runs); the scans share one verify-once cache ([`teescan::cache::VerifyCache`]),
//! so a certificate, CRL, TCB Info, QE Identity, RIM or OCSP response common to many inputs is
//! verified once per batch (inside its validity window). Lines are printed in input order as
//! soon as every earlier input is done.
//!
//! Aggregate exit code: 1 if any input failed verification or policy; else 2 if any input was
//! unreadable or malformed; else 3 if any was indeterminate; else 0. An empty batch (a directory
//! without files) is a usage error (2): nothing verified is never a pass.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use teescan::cache::VerifyCache;
use teescan::report::{ear, json, Report, Verdict};
use teescan::Error;

use super::{input_error, scan_inner, Format, ScanArgs};

/// Most inputs one batch takes (after directory expansion).
const MAX_INPUTS: usize = 1_000_000;
/// Deepest directory nesting followed when expanding a directory.
const MAX_DEPTH: usize = 16;

/// True when the command line asks for a batch: several inputs, or a directory that is not a
/// saved bundle.
pub(super) fn is_batch(inputs: &[PathBuf]) -> bool {
    inputs.len() > 1 || inputs.iter().any(|p| p.is_dir() && !is_bundle_dir(p))
}

fn is_bundle_dir(dir: &Path) -> bool {
    dir.join("bundle.json").is_file()
}

/// The inputs of a batch: files as given; a bundle directory as one input; any other directory
/// as every regular file under it (recursively, sorted, hidden entries skipped, bundle
/// directories inside it taken whole). URLs are inputs too.
pub(super) fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in inputs {
        let text = p.to_string_lossy();
        if text == "-" {
            return Err(input_error("input.usage", "stdin (-) cannot be one of several inputs"));
        }
        if text.starts_with("https://") || text.starts_with("http://") || !p.is_dir() || is_bundle_dir(p) {
            out.push(p.clone());
        } else {
            walk(p, 0, &mut out)?;
        }
        if out.len() > MAX_INPUTS {
            return Err(input_error("input.usage", format!("more than {MAX_INPUTS} inputs")));
        }
    }
    if out.is_empty() {
        return Err(input_error("input.usage", "no files to scan in the directories given"));
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(input_error("input.usage", format!("{}: directories nested deeper than {MAX_DEPTH}", dir.display())));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| input_error("input.read", format!("cannot read {}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        // `symlink_metadata`: a symlinked directory is not followed (no cycles); a symlinked
        // file is read like any file.
        let meta = std::fs::symlink_metadata(&p).map_err(|e| input_error("input.read", format!("cannot read {}: {e}", p.display())))?;
        if meta.is_dir() {
            if is_bundle_dir(&p) {
                out.push(p);
            } else {
                walk(&p, depth.saturating_add(1), out)?;
            }
        } else if meta.is_file() || (meta.file_type().is_symlink() && p.is_file()) {
            out.push(p);
        }
        if out.len() > MAX_INPUTS {
            return Err(input_error("input.usage", format!("more than {MAX_INPUTS} inputs")));
        }
    }
    Ok(())
}

/// Flags that belong to one input and make no sense for many.
fn refuse_single_input_flags(args: &ScanArgs) -> Result<(), Error> {
    let single = [
        (args.save_bundle.is_some(), "--save-bundle"),
        (args.signature.is_some(), "--signature"),
        (args.cert_chain.is_some(), "--cert-chain"),
    ];
    match single.iter().find(|(given, _)| *given) {
        Some((_, flag)) => Err(input_error("input.usage", format!("{flag} applies to one input, not to a batch"))),
        None => Ok(()),
    }
}

/// Counts per outcome.
#[derive(Default)]
struct Tally {
    pass: usize,
    fail: usize,
    indeterminate: usize,
    error: usize,
}

impl Tally {
    fn exit_code(&self) -> u8 {
        if self.fail > 0 {
            1
        } else if self.error > 0 {
            2
        } else if self.indeterminate > 0 {
            3
        } else {
            0
        }
    }
}

/// Run a batch; prints its lines and returns the aggregate exit code.
pub(super) fn run(args: &ScanArgs) -> ExitCode {
    let started = Instant::now();
    let prepared = refuse_single_input_flags(args).and_then(|()| expand(&args.inputs)).and_then(|inputs| {
        let ear_key = match (&args.format, &args.ear_key) {
            (Format::Ear, Some(path)) => Some(
                super::read_bounded(path)
                    .and_then(|b| ear::EarKey::from_pkcs8(&b).map_err(|e| input_error("input.ear_key", e.to_string())))?,
            ),
            _ => None,
        };
        Ok((inputs, ear_key))
    });
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
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Result<Report, Error>)>();
    let mut tally = Tally::default();
    let width = inputs.iter().map(|p| p.display().to_string().chars().count()).max().unwrap_or(0).min(60);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (inputs, next, cache) = (&inputs, &next, &cache);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = inputs.get(i) else { break };
                let mut one = args.clone();
                one.inputs = vec![path.clone()];
                one.input.clone_from(path);
                // The batch's own flag: each input is one scan on one thread.
                one.jobs = None;
                // Per-input warnings stay in each report; stderr carries only the batch's lines.
                one.quiet = true;
                // The shared cache, passed down; the scan stays on this worker's thread.
                one.batch_cache = Some(Arc::clone(cache));
                let result = scan_inner(&one);
                if tx.send((i, result)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut stdout = std::io::stdout().lock();
        let mut pending: BTreeMap<usize, Result<Report, Error>> = BTreeMap::new();
        let mut printed = 0usize;
        for (i, result) in rx {
            pending.insert(i, result);
            while let Some(result) = pending.remove(&printed) {
                let path = inputs.get(printed).map(|p| p.display().to_string()).unwrap_or_default();
                match &result {
                    Ok(r) => match r.verdict {
                        Verdict::Pass => tally.pass = tally.pass.saturating_add(1),
                        Verdict::Fail => tally.fail = tally.fail.saturating_add(1),
                        Verdict::Indeterminate => tally.indeterminate = tally.indeterminate.saturating_add(1),
                    },
                    Err(_) => tally.error = tally.error.saturating_add(1),
                }
                if !args.quiet {
                    let line = render_line(args.format, ear_key.as_ref(), &path, &result, width);
                    // A closed pipe is not a verification result; the exit code still is.
                    let _ = stdout.write_all(line.as_bytes());
                }
                printed = printed.saturating_add(1);
            }
        }
        let _ = stdout.flush();
    });
    if !args.quiet {
        let total = inputs.len();
        let secs = started.elapsed().as_secs_f64();
        let summary = format!(
            "{total} input{}: {} passed, {} failed, {} indeterminate, {} unreadable or malformed ({:.2} s, {jobs} worker{})",
            if total == 1 { "" } else { "s" },
            tally.pass,
            tally.fail,
            tally.indeterminate,
            tally.error,
            secs,
            if jobs == 1 { "" } else { "s" },
        );
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
        (Format::Table, Ok(r)) => {
            let detail = match r.verdict {
                Verdict::Pass => format!("{}, {} checks", r.input.format, r.checks.len()),
                Verdict::Fail | Verdict::Indeterminate => {
                    let status = if r.verdict == Verdict::Fail { teescan::report::Status::Fail } else { teescan::report::Status::Indeterminate };
                    let first = r
                        .checks
                        .iter()
                        .find(|c| c.status == status)
                        .or_else(|| r.checks.iter().find(|c| c.required && c.status != teescan::report::Status::Pass));
                    match first {
                        Some(c) => format!("{}: {}", c.id, one_line(c.reason.as_deref().unwrap_or(&c.title))),
                        None => r.input.format.clone(),
                    }
                }
            };
            format!("{:<13} {path:<width$}  {detail}\n", r.verdict.label())
        }
        (Format::Table, Err(e)) => format!("{:<13} {path:<width$}  error[{}]: {}\n", "ERROR", e.code(), one_line(&e.to_string())),
        (Format::Json, Ok(r)) => json::render_line(r),
        (Format::Ear, Ok(r)) => match ear_key {
            Some(k) => match ear::render_jwt(r, k) {
                Ok(jwt) => format!("{jwt}\n"),
                Err(e) => error_document(path, "input.ear_key", &e.to_string()),
            },
            None => ear::render_line(r),
        },
        (Format::Json | Format::Ear, Err(e)) => error_document(path, e.code(), &e.to_string()),
    }
}

/// The JSON Lines document of an input that could not be scanned.
fn error_document(path: &str, code: &str, message: &str) -> String {
    let doc = serde_json::json!({
        "schema": teescan::report::REPORT_SCHEMA,
        "input": { "source": path },
        "error": { "code": code, "message": message },
        "exit_code": 2,
    });
    let mut s = doc.to_string();
    s.push('\n');
    s
}

fn one_line(s: &str) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > 160 {
        let mut cut: String = flat.chars().take(157).collect();
        cut.push_str("...");
        cut
    } else {
        flat
    }
}
