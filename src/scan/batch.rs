//! A batch's inputs and its outcome: which inputs a command line names (directories expanded),
//! the summary line of each input, and the aggregate exit code. The scans themselves are
//! ordinary scans; running them (threads, order of output) is the caller's.
//!
//! Aggregate exit code: 1 if any input failed verification or policy; else 2 if any input was
//! unreadable or malformed; else 3 if any was indeterminate; else 0. An empty batch (a directory
//! without files) is a usage error: nothing verified is never a pass.

use std::path::{Path, PathBuf};

use super::input_error;
use crate::report::{Report, Status, Verdict};
use crate::Error;

/// Most inputs one batch takes (after directory expansion).
pub const MAX_INPUTS: usize = 1_000_000;
/// Deepest directory nesting followed when expanding a directory.
pub const MAX_DEPTH: usize = 16;

/// Run `scan` on every input on `jobs` worker threads (at least one, at most one per input) and
/// hand each result to `emit` in input order, as soon as every earlier input is done.
pub fn run_ordered<T: Send>(inputs: &[PathBuf], jobs: usize, scan: impl Fn(&Path) -> T + Sync, mut emit: impl FnMut(usize, T)) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let jobs = jobs.clamp(1, inputs.len().max(1));
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, T)>();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, scan) = (&next, &scan);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = inputs.get(i) else { break };
                if tx.send((i, scan(path))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut printed = 0usize;
        for (i, result) in rx {
            pending.insert(i, result);
            while let Some(result) = pending.remove(&printed) {
                emit(printed, result);
                printed = printed.saturating_add(1);
            }
        }
    });
}

/// True when the command line asks for a batch: several inputs, or a directory that is not a
/// saved bundle.
pub fn is_batch(inputs: &[PathBuf]) -> bool {
    inputs.len() > 1 || inputs.iter().any(|p| p.is_dir() && !is_bundle_dir(p))
}

fn is_bundle_dir(dir: &Path) -> bool {
    dir.join("bundle.json").is_file()
}

/// The inputs of a batch: files as given; a bundle directory as one input; any other directory
/// as every regular file under it (recursively, sorted, hidden entries skipped, bundle
/// directories inside it taken whole). URLs are inputs too.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
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

/// Counts per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Inputs that passed.
    pub pass: usize,
    /// Inputs that failed verification or policy.
    pub fail: usize,
    /// Inputs whose result is indeterminate.
    pub indeterminate: usize,
    /// Inputs that were unreadable or malformed.
    pub error: usize,
}

impl Tally {
    /// Count one input's result.
    pub fn add(&mut self, result: &Result<Report, Error>) {
        match result {
            Ok(r) => match r.verdict {
                Verdict::Pass => self.pass = self.pass.saturating_add(1),
                Verdict::Fail => self.fail = self.fail.saturating_add(1),
                Verdict::Indeterminate => self.indeterminate = self.indeterminate.saturating_add(1),
            },
            Err(_) => self.error = self.error.saturating_add(1),
        }
    }

    /// The batch's summary line, after `secs` seconds on `jobs` workers.
    pub fn summary(&self, secs: f64, jobs: usize) -> String {
        let total = self.pass.saturating_add(self.fail).saturating_add(self.indeterminate).saturating_add(self.error);
        format!(
            "{total} input{}: {} passed, {} failed, {} indeterminate, {} unreadable or malformed ({:.2} s, {jobs} worker{})",
            if total == 1 { "" } else { "s" },
            self.pass,
            self.fail,
            self.indeterminate,
            self.error,
            secs,
            if jobs == 1 { "" } else { "s" },
        )
    }

    /// The batch's exit code: 1 if any failed, else 2 if any errored, else 3 if any was
    /// indeterminate, else 0.
    pub fn exit_code(&self) -> u8 {
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

/// One input's summary line: verdict, path (padded to `width`), and the format and check
/// count of a pass, the first failing (or open required) check of a failure, or the error.
pub fn table_line(path: &str, result: &Result<Report, Error>, width: usize) -> String {
    match result {
        Ok(r) => {
            let detail = match r.verdict {
                Verdict::Pass => format!("{}, {} checks", r.input.format, r.checks.len()),
                Verdict::Fail | Verdict::Indeterminate => {
                    let status = if r.verdict == Verdict::Fail { Status::Fail } else { Status::Indeterminate };
                    let first = r
                        .checks
                        .iter()
                        .find(|c| c.status == status)
                        .or_else(|| r.checks.iter().find(|c| c.required && c.status != Status::Pass));
                    match first {
                        Some(c) => format!("{}: {}", c.id, one_line(c.reason.as_deref().unwrap_or(&c.title))),
                        None => r.input.format.clone(),
                    }
                }
            };
            format!("{:<13} {path:<width$}  {detail}\n", r.verdict.label())
        }
        Err(e) => format!("{:<13} {path:<width$}  error[{}]: {}\n", "ERROR", e.code(), one_line(&e.to_string())),
    }
}

/// The JSON Lines document of an input that could not be scanned.
pub fn error_document(path: &str, code: &str, message: &str) -> String {
    let doc = serde_json::json!({
        "schema": crate::report::REPORT_SCHEMA,
        "input": { "source": path },
        "error": { "code": code, "message": message },
        "exit_code": 2,
    });
    let mut s = doc.to_string();
    s.push('\n');
    s
}

/// `s` on one line (control characters as spaces), at most 160 characters.
pub fn one_line(s: &str) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > 160 {
        let mut cut: String = flat.chars().take(157).collect();
        cut.push_str("...");
        cut
    } else {
        flat
    }
}
