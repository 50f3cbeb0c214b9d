//! Running the `teescan` binary in tests: one runner for every CLI suite, so how a run is made
//! (crate directory, no colour, an empty collateral cache of the test run's own, no backtrace,
//! a time limit, stdout/stderr captured so never a terminal) is decided once.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// No run of the binary in a test may take longer unless its [`Options`] say so (it is killed
/// and the test fails).
pub const TIME_LIMIT: Duration = Duration::from_secs(120);

/// The outcome of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Exit code, stdout and stderr, for assertion messages.
    pub fn context(&self) -> String {
        format!("exit {} after {:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.elapsed, self.stdout, self.stderr)
    }
    /// The last non-empty line of stdout.
    pub fn last_line(&self) -> &str {
        self.stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
    }
    /// The non-empty lines of stdout.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().filter(|l| !l.trim().is_empty()).collect()
    }
    /// Stdout as one JSON document (panics, showing it, if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.context()))
    }
    /// The check `id` of the JSON report on stdout (`Null` when absent).
    pub fn check(&self, id: &str) -> Value {
        self.json()["checks"].as_array().and_then(|c| c.iter().find(|c| c["id"] == id).cloned()).unwrap_or(Value::Null)
    }
    /// The status of the check `id` of the JSON report on stdout (`""` when absent).
    pub fn status(&self, id: &str) -> String {
        self.check(id)["status"].as_str().unwrap_or("").to_owned()
    }
    /// Asserts the exit code, showing the run when it differs.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{}", self.context());
        self
    }
}

/// How to run the binary beyond its arguments.
#[derive(Default)]
pub struct Options {
    /// Written to the child's standard input (else stdin is `/dev/null`); write errors are
    /// ignored: the child may stop reading early, which is the point of a bounded read.
    pub stdin: Option<Vec<u8>>,
    /// An address-space limit in bytes, applied through `prlimit` where it is installed.
    pub memory_limit: Option<u64>,
    /// The working directory (else the crate directory).
    pub dir: Option<PathBuf>,
    /// Instead of [`TIME_LIMIT`].
    pub time_limit: Option<Duration>,
}

/// `teescan ARGS` from the crate directory. Asserts it exited normally, within [`TIME_LIMIT`],
/// without panicking, and that stdout and stderr are UTF-8.
pub fn teescan<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    teescan_with(args, Options::default())
}

/// [`teescan`] with `stdin` written to the child's standard input.
pub fn teescan_with_stdin<I, S>(args: I, stdin: Option<Vec<u8>>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    teescan_with(args, Options { stdin, ..Options::default() })
}

/// [`teescan`] with [`Options`].
pub fn teescan_with<I, S>(args: I, opts: Options) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let bin = env!("CARGO_BIN_EXE_teescan");
    let mut cmd = match opts.memory_limit {
        Some(limit) if Path::new("/usr/bin/prlimit").is_file() => {
            let mut c = Command::new("/usr/bin/prlimit");
            c.arg(format!("--as={limit}")).arg("--").arg(bin);
            c
        }
        _ => Command::new(bin),
    };
    cmd.args(args)
        .current_dir(opts.dir.as_deref().unwrap_or_else(|| crate_dir()))
        .env("NO_COLOR", "1")
        // Never the user's collateral cache: an empty one of the test run's own.
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-empty"))
        .env_remove("RUST_BACKTRACE")
        .stdin(if opts.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let limit = opts.time_limit.unwrap_or(TIME_LIMIT);
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn teescan");
    let writer = opts.stdin.map(|data| {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        std::thread::spawn(move || {
            use std::io::Write as _;
            let _ = pipe.write_all(&data);
        })
    });
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        out_pipe.read_to_end(&mut s).ok();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        err_pipe.read_to_end(&mut s).ok();
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("teescan ran for more than {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    if let Some(w) = writer {
        w.join().expect("stdin writer");
    }
    let run = Run {
        code: status.code().unwrap_or_else(|| panic!("teescan killed by a signal ({status:?}): out of memory?")),
        stdout: String::from_utf8(out_reader.join().expect("stdout reader")).expect("stdout is UTF-8"),
        stderr: String::from_utf8(err_reader.join().expect("stderr reader")).expect("stderr is UTF-8"),
        elapsed,
    };
    assert!(!run.stderr.contains("panicked"), "teescan panicked:\n{}", run.context());
    assert!(run.code != 101, "exit 101 (panic?):\n{}", run.context());
    run
}

/// The crate directory (where `fixtures/` and `policies/` are).
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test, under the suite's own name.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(env!("CARGO_CRATE_NAME")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A path as a `String` argument.
pub fn s(p: &Path) -> String {
    p.to_str().expect("UTF-8 path").to_owned()
}
