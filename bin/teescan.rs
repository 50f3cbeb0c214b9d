//! The teescan command line: a thin layer over the library. It reads files, fetches collateral
//! when asked to, calls the library, renders the report on stdout, and exits
//! 0 pass / 1 fail / 2 bad input or usage / 3 indeterminate.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use teescan::pki::TrustAnchor;
use teescan::report::{ear, json, table, Report};
use teescan::tdx::collateral::{Collateral, HttpExchange};
use teescan::time::Timestamp;
use teescan::provider::binding::Scheme;
use teescan::scan::{Evidence, Kind as EvidenceKind, Scanner};
use teescan::{Error, ScanOptions};

mod batch;

/// Largest file the CLI reads (evidence, collateral, roots); larger files are refused unread.
const MAX_FILE: u64 = 4 * 1024 * 1024;

#[derive(Parser)]
#[command(
    name = "teescan",
    version,
    about = "Verify confidential-computing attestation evidence, offline and fail-closed"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a TDX quote (raw, hex or base64) with its DCAP collateral.
    Scan(Box<ScanArgs>),
    /// Work with policy files: lint, schema, init.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The collateral cache (Intel PCS answers, NVIDIA RIMs, OCSP responses, NRAS JWKS).
    Cache {
        /// Cache directory (default: $XDG_CACHE_HOME/teescan or ~/.cache/teescan).
        #[arg(long, value_name = "DIR", global = true)]
        cache_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: CacheCommand,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// List the cached answers with their validity windows (fresh = offered now).
    Status,
    /// Remove every cached answer.
    Clear,
    /// Fetch and cache the collateral of saved evidence (provider reports or TDX quotes), e.g.
    /// before going offline.
    Fetch {
        /// Saved evidence files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Fetch DCAP collateral from this PCCS instead of Intel PCS.
        #[arg(long, value_name = "URL")]
        pccs: Option<String>,
        /// NVIDIA RIM service base URL.
        #[arg(long, value_name = "URL")]
        nvidia_rim_url: Option<String>,
        /// NVIDIA OCSP responder URL.
        #[arg(long, value_name = "URL")]
        nvidia_ocsp_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Check a policy file: parse, type-check, report expiry. Exit 0 valid, 1 problems, 2 unreadable.
    Lint {
        /// The policy (TOML, or JSON).
        file: PathBuf,
        /// Judge expiry as of this time (RFC 3339). Default: now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
    },
    /// Print the JSON Schema of the policy format.
    Schema,
    /// Write a starting policy pinning the values of verified evidence (refuses evidence that fails).
    Init {
        /// Policy id to write.
        #[arg(long, default_value = "my-policy")]
        id: String,
        /// Days until the written policy expires.
        #[arg(long, default_value_t = 90)]
        valid_days: u64,
        #[command(flatten)]
        evidence: EvidenceArgs,
    },
}

#[derive(Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum Format {
    #[default]
    Table,
    Json,
    /// IETF RATS EAR (EAT Attestation Result): JSON, or a signed JWT with --ear-key.
    Ear,
}

#[derive(clap::Args)]
struct EvidenceArgs {
    /// The evidence: a TDX quote file (binary, hex or base64), or `-` for stdin.
    #[arg(long = "from", value_name = "FILE")]
    input: PathBuf,
    /// DCAP collateral: a dcap-qvl QuoteCollateralV3 JSON file, or a directory of captured
    /// Intel PCS responses. Without it, collateral is fetched unless --offline.
    #[arg(long, value_name = "FILE|DIR")]
    collateral: Option<PathBuf>,
    /// Verify as of this time (RFC 3339). Default: now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Never use the network.
    #[arg(long)]
    offline: bool,
    /// Fetch collateral from this PCCS instead of Intel PCS.
    #[arg(long, value_name = "URL")]
    pccs: Option<String>,
    /// DANGER, tests only: trust this root certificate instead of the Intel SGX Root CA.
    #[arg(long, value_name = "FILE")]
    danger_trust_test_root: Option<PathBuf>,
}

/// The attestation protocol of a live endpoint.
#[derive(Clone, Copy, Default, ValueEnum)]
enum ProviderArg {
    /// From the URL: Tinfoil for *.tinfoil.sh, NEAR otherwise.
    #[default]
    Auto,
    /// NEAR AI and dstack inference proxies (`/v1/attestation/report`, TLS fingerprint asked for).
    Near,
    /// Phala / RedPill (`/v1/attestation/report`).
    Phala,
    /// Tinfoil (`/.well-known/tinfoil-attestation`).
    Tinfoil,
}

#[derive(clap::Args, Clone, Default)]
struct ScanArgs {
    /// What to verify: a file (TDX quote, GPU evidence, provider report, or a saved bundle), a
    /// bundle directory, `-` for stdin, or a live endpoint `https://host[/path]`. Several inputs,
    /// or a directory that is not a bundle (every file under it), make a batch: scanned in
    /// parallel, one line per input (`--format json`: one JSON document per line), exit code 1
    /// if any failed, else 2 if any was malformed, else 3 if any was indeterminate, else 0.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The one input being scanned (set from `inputs`).
    #[arg(skip)]
    input: PathBuf,
    /// Set by a batch (not a flag): the verify-once cache its scans share; each scan then stays on
    /// its worker's thread.
    #[arg(skip)]
    batch_cache: Option<std::sync::Arc<teescan::cache::VerifyCache>>,
    /// Batch scans: worker threads (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,
    /// `policy init`: leave a TCB status other than UpToDate to the policy being written (the
    /// evidence must still be authentic; the written policy decides which statuses it accepts).
    #[arg(skip)]
    tcb_status_by_policy: bool,
    /// DCAP collateral: a dcap-qvl QuoteCollateralV3 JSON file, or a directory of captured
    /// Intel PCS responses (`*.body` + `*.json` with url and headers). Without it, collateral is
    /// fetched from Intel PCS (or --pccs) unless --offline.
    #[arg(long, value_name = "FILE|DIR")]
    collateral: Vec<PathBuf>,
    /// Verify as of this time (RFC 3339, e.g. 2026-07-01T00:00:00Z). Default: now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Hold the evidence against this policy (TOML or JSON). Without it only authenticity and the
    /// TCB appraisal are checked, and the output says that no measurement policy was applied.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Sign the EAR (`--format ear`) with this PKCS#8 P-256 or P-384 key (PEM or DER): the
    /// output becomes a compact JWS (ES256 / ES384).
    #[arg(long, value_name = "FILE")]
    ear_key: Option<PathBuf>,
    /// Never use the network; missing collateral makes the result indeterminate (exit 3).
    #[arg(long)]
    offline: bool,
    /// Fetch collateral from this PCCS instead of Intel PCS (https, or http on loopback).
    #[arg(long, value_name = "URL")]
    pccs: Option<String>,
    /// Accept a TD in debug mode (its memory is readable by the host). With --policy, use the
    /// policy's `allow_debug` instead.
    #[arg(long, conflicts_with = "policy")]
    allow_debug: bool,
    /// Accept a TD bound to a service TD (non-zero MRSERVICETD or SERVTD_EXT). With --policy,
    /// use the policy's `allow_service_td` instead.
    #[arg(long, conflicts_with = "policy")]
    allow_service_td: bool,
    /// DANGER, tests only: trust this root certificate (DER or PEM) instead of the Intel SGX
    /// Root CA. Every report made with it says so.
    #[arg(long, value_name = "FILE")]
    danger_trust_test_root: Option<PathBuf>,
    /// The nonce the evidence must carry, 64 hex digits: every GPU report's, a provider report's,
    /// and a bare quote's or node's REPORTDATA under its binding scheme (--binding or the policy).
    #[arg(long, value_name = "HEX")]
    nonce: Option<String>,
    /// The report_data binding scheme of a TDX quote given without its provider report (a bare
    /// quote, or a node with --gpu-evidence): padded-signing-address, signing-address-tls,
    /// chutes-e2e, tinfoil-v3. Under the first two the quote's REPORTDATA[32..64] must equal
    /// --nonce; the others hash the nonce with unsigned inputs, which a bare quote cannot show
    /// (the check fails). A node scanned without any scheme fails: nothing binds it.
    #[arg(long, value_name = "SCHEME", value_parser = parse_scheme)]
    binding: Option<Scheme>,
    /// More GPU/NVSwitch evidence (JSON evidence list), verified with the input as one node:
    /// with a TDX quote input, its GPUs; with GPU input, e.g. the NVSwitch evidence. Repeatable.
    #[arg(long, value_name = "FILE")]
    gpu_evidence: Vec<PathBuf>,
    /// Certificate chain (PEM, leaf first) of a raw GPU report given as the input.
    #[arg(long, value_name = "PEM")]
    cert_chain: Option<PathBuf>,
    /// Directory of NVIDIA RIMs: `<RIM id>.xml` (e.g. NV_GPU_DRIVER_GH100_550.90.07.xml) or the
    /// RIM service's JSON (`{"id", "rim": base64}`).
    #[arg(long, value_name = "DIR")]
    rims: Option<PathBuf>,
    /// Directory of OCSP responses (DER or base64) for the device and RIM chains.
    #[arg(long, value_name = "DIR")]
    ocsp: Option<PathBuf>,
    /// An NRAS response body (detached EAT) to verify as a second opinion (needs --jwks).
    #[arg(long, value_name = "FILE", requires = "jwks")]
    nras: Option<PathBuf>,
    /// The NRAS JWKS that signs --nras.
    #[arg(long, value_name = "FILE", requires = "nras")]
    jwks: Option<PathBuf>,
    /// A provider's response signature (`GET /v1/signature/{chat_id}` JSON) to verify against
    /// the attested signing key of the provider report given as input.
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
    /// The request body exactly as sent (its SHA-256 must be in the signed text).
    #[arg(long, value_name = "FILE", requires = "signature")]
    request: Option<PathBuf>,
    /// The response body exactly as received (its SHA-256 must be in the signed text).
    #[arg(long, value_name = "FILE", requires = "signature")]
    response: Option<PathBuf>,
    /// Live scans: the model to ask the endpoint about.
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Live scans: the endpoint's attestation protocol (default: auto).
    #[arg(long, value_enum)]
    provider: Option<ProviderArg>,
    /// Live scans: save everything the verdict depended on (request, nonce, raw responses and
    /// headers, TLS certificate, collateral, policy, verdict) as a directory, or as one file when
    /// the path ends in `.json`. `teescan scan PATH` re-verifies it offline.
    #[arg(long, value_name = "DIR|FILE")]
    save_bundle: Option<PathBuf>,
    /// Live scans: also trust this root (PEM or DER) for the endpoint's TLS certificate.
    #[arg(long, value_name = "FILE")]
    tls_ca: Vec<PathBuf>,
    /// NVIDIA RIM service base URL (default NVIDIA's).
    #[arg(long, value_name = "URL")]
    nvidia_rim_url: Option<String>,
    /// NVIDIA OCSP responder URL (default NVIDIA's).
    #[arg(long, value_name = "URL")]
    nvidia_ocsp_url: Option<String>,
    /// NRAS base URL, for the appraisal and its JWKS (default NVIDIA's).
    #[arg(long, value_name = "URL")]
    nras_url: Option<String>,
    /// Seconds allowed for each network request (connect, send, read the whole body). Default 15.
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// Retries of a request that timed out, failed to connect or got HTTP 5xx/429. Default 2.
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    /// Collateral cache directory (default: $XDG_CACHE_HOME/teescan or ~/.cache/teescan).
    /// Answers are reused only inside their validity window and verified like fresh ones;
    /// with --offline the cache is the only source besides the files given.
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Neither read nor write the collateral cache.
    #[arg(long)]
    no_cache: bool,
    /// Print nothing; only set the exit code.
    #[arg(short, long)]
    quiet: bool,
}

/// A CLI failure: input error (exit 2) or a report to print.
enum Outcome {
    Report(Box<Report>),
    Error(Error),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(mut args) => {
            if batch::is_batch(&args.inputs) {
                return batch::run(&args);
            }
            args.input = args.inputs.first().cloned().unwrap_or_default();
            run_scan(&args)
        }
        Command::Policy { command } => run_policy(command),
        Command::Cache { cache_dir, command } => run_cache(cache_dir, command),
    }
}

fn run_scan(args: &ScanArgs) -> ExitCode {
    match scan(args) {
        Outcome::Report(report) => {
            if !args.quiet {
                let out = match args.format {
                    Format::Json => json::render(&report),
                    Format::Ear => match &args.ear_key {
                        None => ear::render_json(&report),
                        Some(path) => {
                            let key = read_bounded(path).and_then(|b| {
                                ear::EarKey::from_pkcs8(&b)
                                    .map_err(|e| input_error("input.ear_key", e.to_string()))
                            });
                            match key.and_then(|k| {
                                ear::render_jwt(&report, &k)
                                    .map_err(|e| input_error("input.ear_key", e.to_string()))
                            }) {
                                Ok(jwt) => jwt,
                                Err(e) => {
                                    eprintln!("teescan: error[{}]: {e}", e.code());
                                    return ExitCode::from(2);
                                }
                            }
                        }
                    },
                    Format::Table => {
                        let color = std::io::stdout().is_terminal()
                            && std::env::var_os("NO_COLOR").is_none();
                        table::render(&report, color)
                    }
                };
                let mut stdout = std::io::stdout().lock();
                // A closed pipe is not a verification result; the exit code still is.
                let _ = stdout.write_all(out.as_bytes());
                let _ = stdout.flush();
            }
            ExitCode::from(u8::try_from(report.verdict.exit_code()).unwrap_or(1))
        }
        Outcome::Error(e) => {
            if !args.quiet {
                eprintln!("teescan: error[{}]: {e}", e.code());
            }
            ExitCode::from(2)
        }
    }
}

fn input_error(code: &'static str, message: impl Into<String>) -> Error {
    Error::Input {
        code,
        message: message.into(),
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    read_bounded_max(path, usize::try_from(MAX_FILE).unwrap_or(usize::MAX))
}

/// Read at most `max` bytes of `path` (or stdin for `-`); a larger file is an input error.
fn read_bounded_max(path: &Path, max: usize) -> Result<Vec<u8>, Error> {
    let max = u64::try_from(max).unwrap_or(u64::MAX);
    let mut buf = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(max.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| input_error("input.read", format!("cannot read stdin: {e}")))?;
    } else {
        let file = std::fs::File::open(path).map_err(|e| {
            input_error("input.read", format!("cannot read {}: {e}", path.display()))
        })?;
        file.take(max.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| {
                input_error("input.read", format!("cannot read {}: {e}", path.display()))
            })?;
    }
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > max {
        return Err(input_error(
            "input.too_large",
            format!("{} is larger than {max} bytes", path.display()),
        ));
    }
    Ok(buf)
}

fn scan(args: &ScanArgs) -> Outcome {
    match scan_inner(args) {
        Ok(r) => Outcome::Report(Box::new(r)),
        Err(e) => Outcome::Error(e),
    }
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    Scheme::from_name(s).ok_or_else(|| {
        "expected one of padded-signing-address, signing-address-tls, chutes-e2e, tinfoil-v3".to_owned()
    })
}

/// The kind of one scan's input, decided before any flag is judged.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// A bare TDX quote.
    Quote,
    /// A TDX quote with `--gpu-evidence`: one node.
    Node,
    /// A GPU/NVSwitch evidence list (JSON).
    GpuList,
    /// A raw GPU report (with `--cert-chain`).
    GpuRaw,
    /// A provider report; `gpu`: it carries GPU evidence.
    Provider { gpu: bool },
    /// A saved bundle (file or directory).
    Bundle,
    /// A live endpoint.
    Live,
}

/// A single scan's input, read and recognised (files by the library's [`Evidence::detect`]).
enum Input {
    Live,
    Bundle,
    Evidence(Evidence),
}

/// `teescan scan` flags that name evidence, collateral, a source, a destination or a mode: each
/// applies to some kinds of input only. (`--at`, `--policy`, `--format`, `--no-cache`, `--quiet`
/// apply to every input.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flag {
    Collateral,
    Offline,
    Pccs,
    AllowDebug,
    AllowServiceTd,
    TestRoot,
    Nonce,
    Binding,
    GpuEvidence,
    CertChain,
    Rims,
    Ocsp,
    Nras,
    Jwks,
    Signature,
    Request,
    Response,
    Model,
    Provider,
    SaveBundle,
    TlsCa,
    NvidiaRimUrl,
    NvidiaOcspUrl,
    NrasUrl,
    Timeout,
    Retries,
    CacheDir,
    EarKey,
    Jobs,
}

impl Flag {
    fn name(self) -> &'static str {
        match self {
            Flag::Collateral => "--collateral",
            Flag::Offline => "--offline",
            Flag::Pccs => "--pccs",
            Flag::AllowDebug => "--allow-debug",
            Flag::AllowServiceTd => "--allow-service-td",
            Flag::TestRoot => "--danger-trust-test-root",
            Flag::Nonce => "--nonce",
            Flag::Binding => "--binding",
            Flag::GpuEvidence => "--gpu-evidence",
            Flag::CertChain => "--cert-chain",
            Flag::Rims => "--rims",
            Flag::Ocsp => "--ocsp",
            Flag::Nras => "--nras",
            Flag::Jwks => "--jwks",
            Flag::Signature => "--signature",
            Flag::Request => "--request",
            Flag::Response => "--response",
            Flag::Model => "--model",
            Flag::Provider => "--provider",
            Flag::SaveBundle => "--save-bundle",
            Flag::TlsCa => "--tls-ca",
            Flag::NvidiaRimUrl => "--nvidia-rim-url",
            Flag::NvidiaOcspUrl => "--nvidia-ocsp-url",
            Flag::NrasUrl => "--nras-url",
            Flag::Timeout => "--timeout",
            Flag::Retries => "--retries",
            Flag::CacheDir => "--cache-dir",
            Flag::EarKey => "--ear-key",
            Flag::Jobs => "--jobs",
        }
    }

    /// The flags given on the command line, in a fixed order.
    fn given(args: &ScanArgs) -> Vec<Flag> {
        [
            (!args.collateral.is_empty(), Flag::Collateral),
            (args.offline, Flag::Offline),
            (args.pccs.is_some(), Flag::Pccs),
            (args.allow_debug, Flag::AllowDebug),
            (args.allow_service_td, Flag::AllowServiceTd),
            (args.danger_trust_test_root.is_some(), Flag::TestRoot),
            (args.nonce.is_some(), Flag::Nonce),
            (args.binding.is_some(), Flag::Binding),
            (!args.gpu_evidence.is_empty(), Flag::GpuEvidence),
            (args.cert_chain.is_some(), Flag::CertChain),
            (args.rims.is_some(), Flag::Rims),
            (args.ocsp.is_some(), Flag::Ocsp),
            (args.nras.is_some(), Flag::Nras),
            (args.jwks.is_some(), Flag::Jwks),
            (args.signature.is_some(), Flag::Signature),
            (args.request.is_some(), Flag::Request),
            (args.response.is_some(), Flag::Response),
            (args.model.is_some(), Flag::Model),
            (args.provider.is_some(), Flag::Provider),
            (args.save_bundle.is_some(), Flag::SaveBundle),
            (!args.tls_ca.is_empty(), Flag::TlsCa),
            (args.nvidia_rim_url.is_some(), Flag::NvidiaRimUrl),
            (args.nvidia_ocsp_url.is_some(), Flag::NvidiaOcspUrl),
            (args.nras_url.is_some(), Flag::NrasUrl),
            (args.timeout.is_some(), Flag::Timeout),
            (args.retries.is_some(), Flag::Retries),
            (args.cache_dir.is_some(), Flag::CacheDir),
            (args.ear_key.is_some(), Flag::EarKey),
            (args.jobs.is_some(), Flag::Jobs),
        ]
        .into_iter()
        .filter_map(|(given, f)| given.then_some(f))
        .collect()
    }
}

/// Everything the flag/input decision depends on, lowered from the arguments once.
struct Plan {
    kind: Kind,
    offline: bool,
    /// The collateral cache is in use (not `--no-cache`, and a directory exists).
    cache: bool,
    collateral: bool,
    /// `--rims` or `--ocsp`: the GPU collateral comes from files, nothing is fetched from NVIDIA.
    gpu_files: bool,
    nras_file: bool,
    /// The policy requires an NRAS result (`[gpu] nras = "required"`).
    nras_required: bool,
    /// A binding scheme applies (`--binding`, or the policy's `report_data = { scheme }`).
    scheme: bool,
    nonce: bool,
    ear: bool,
}

impl Plan {
    fn new(args: &ScanArgs, kind: Kind, opts: &ScanOptions) -> Plan {
        let policy = opts.policy.as_ref().map(|p| &p.policy);
        Plan {
            kind,
            offline: args.offline,
            cache: cache_for(args, opts.at).is_some(),
            collateral: !args.collateral.is_empty(),
            gpu_files: args.rims.is_some() || args.ocsp.is_some(),
            nras_file: args.nras.is_some(),
            nras_required: policy
                .and_then(|p| p.gpu.as_ref())
                .is_some_and(|g| g.nras == teescan::policy::Requirement::Required),
            scheme: args.binding.is_some()
                || policy.and_then(|p| p.tdx.as_ref()).and_then(|t| t.td.as_ref()).is_some_and(|td| {
                    matches!(td.report_data, Some(teescan::policy::ReportDataRule::Scheme(_)))
                }),
            nonce: args.nonce.is_some(),
            ear: args.format == Format::Ear,
        }
    }

    /// Whether the input has a TDX quote / GPU evidence the scan verifies.
    fn tdx(&self) -> bool {
        !matches!(self.kind, Kind::GpuList | Kind::GpuRaw)
    }
    fn gpu(&self) -> bool {
        matches!(self.kind, Kind::Node | Kind::GpuList | Kind::GpuRaw | Kind::Provider { gpu: true } | Kind::Live)
    }

    /// What the scan may fetch (from the network, or with `--offline` from the cache):
    /// DCAP collateral, NVIDIA RIMs and OCSP, an NRAS appraisal. `net`: the network only.
    fn fetches(&self, net: bool) -> (bool, bool, bool) {
        let can = !self.offline || (!net && self.cache);
        let saved = !matches!(self.kind, Kind::Bundle | Kind::Live);
        let gpu = saved && self.gpu();
        let tdx = saved && self.tdx() && can && !self.collateral;
        let rims = gpu && can && !self.gpu_files;
        // A node's or GPU input's fetch is skipped entirely with --rims/--ocsp; a provider
        // report's NRAS is fetched regardless.
        let nras_path = matches!(self.kind, Kind::Provider { .. }) || !self.gpu_files;
        let nras = gpu && can && nras_path && !self.nras_file && self.nras_required;
        (tdx, rims, nras)
    }

    /// Why `flag` cannot apply to this input, or `None` when its check runs.
    fn refuse(&self, flag: Flag) -> Option<String> {
        use Kind::*;
        let k = self.kind;
        let live_only = "applies to a live scan (https://…)";
        let no_quote = "the input is GPU evidence, without a TDX quote";
        let no_gpu = match k {
            Quote => "the input is a bare TDX quote, without GPU evidence (add --gpu-evidence)",
            Provider { .. } => "the provider report carries no GPU evidence",
            _ => "the input has no GPU evidence",
        };
        let own_evidence = match k {
            Bundle => Some("a bundle is re-verified from the evidence and collateral it saved"),
            Live => Some("a live scan fetches its own evidence and collateral"),
            _ => None,
        };
        let (fetch_tdx, fetch_rims, fetch_nras) = self.fetches(false);
        let (net_tdx, net_rims, net_nras) = self.fetches(true);
        let r: Option<&str> = match flag {
            Flag::Collateral => own_evidence.or(match k {
                GpuList | GpuRaw => Some("the input is GPU evidence: DCAP collateral belongs to a TDX quote"),
                _ => None,
            }),
            Flag::Offline => (k == Live).then_some("cannot scan a live endpoint; scan a saved bundle instead"),
            Flag::Pccs => match k {
                Live => None,
                Bundle => own_evidence,
                GpuList | GpuRaw => Some(no_quote),
                _ if self.collateral => Some("--collateral supplies the DCAP collateral: nothing is fetched"),
                _ if !fetch_tdx => Some("--offline --no-cache: nothing is fetched"),
                _ => None,
            },
            Flag::AllowDebug | Flag::AllowServiceTd | Flag::TestRoot => (!self.tdx()).then_some(no_quote),
            Flag::Nonce => match k {
                Bundle => Some("a bundle records the nonce its scan used"),
                Quote if !self.scheme => Some(
                    "--nonce needs a binding scheme to check a bare quote: give --binding SCHEME or a policy with [tdx.td] report_data = { scheme = \"…\" }",
                ),
                _ => None,
            },
            Flag::Binding => match k {
                Quote if !self.nonce => Some("the binding is checked against the nonce: give --nonce"),
                Quote | Node => None,
                GpuList | GpuRaw => Some(no_quote),
                Provider { .. } | Bundle | Live => Some("a provider report's format names its own binding scheme"),
            },
            Flag::GpuEvidence => own_evidence.or(match k {
                Provider { .. } => Some("a provider report carries its own GPU evidence"),
                _ => None,
            }),
            Flag::CertChain => match k {
                GpuRaw => None,
                GpuList => Some("a GPU evidence list carries its own certificate chains"),
                _ => Some("belongs to a raw GPU report given as the input"),
            },
            Flag::Rims | Flag::Ocsp | Flag::Nras | Flag::Jwks => own_evidence.or((!self.gpu()).then_some(no_gpu)),
            Flag::Signature | Flag::Request | Flag::Response => match k {
                Provider { .. } => None,
                _ => Some("verifies a response signature against a provider report's attested key: the input is not a provider report"),
            },
            Flag::Model | Flag::Provider | Flag::SaveBundle | Flag::TlsCa => (k != Live).then_some(live_only),
            Flag::NvidiaRimUrl | Flag::NvidiaOcspUrl => match k {
                Live => None,
                Bundle => own_evidence,
                _ if !self.gpu() => Some(no_gpu),
                _ if self.gpu_files => Some("--rims/--ocsp supply the GPU collateral: nothing is fetched from NVIDIA"),
                _ if !fetch_rims => Some("--offline --no-cache: nothing is fetched"),
                _ => None,
            },
            Flag::NrasUrl => match k {
                Live => None,
                Bundle => own_evidence,
                _ if !self.gpu() => Some(no_gpu),
                _ if self.nras_file => Some("--nras supplies the NRAS result: nothing is fetched"),
                _ if !self.nras_required => Some("NRAS is asked only when the policy requires it ([gpu] nras = \"required\")"),
                _ if !fetch_nras => Some("nothing is fetched (--rims/--ocsp given, or --offline --no-cache)"),
                _ => None,
            },
            Flag::Timeout | Flag::Retries => match k {
                Live => None,
                Bundle => own_evidence,
                _ if self.offline => Some("--offline: nothing is fetched from the network"),
                _ if !(net_tdx || net_rims || net_nras) => Some("the files given supply all collateral: nothing is fetched"),
                _ => None,
            },
            Flag::CacheDir => match k {
                Live => None,
                Bundle => own_evidence,
                _ if !(fetch_tdx || fetch_rims || fetch_nras) => Some("the files given supply all collateral: nothing is fetched or cached"),
                _ => None,
            },
            Flag::EarKey => (!self.ear).then_some("signs an EAR: add --format ear"),
            // Parallelism, not a check: a batch of one is still a batch (scripts pass -j always).
            Flag::Jobs => None,
        };
        r.map(|why| if why.starts_with(flag.name()) { why.to_owned() } else { format!("{} cannot apply: {why}", flag.name()) })
    }

    /// Every given flag that cannot apply, as one usage error (one line naming each).
    fn validate(&self, args: &ScanArgs) -> Result<(), Error> {
        let refused: Vec<String> = Flag::given(args).into_iter().filter_map(|f| self.refuse(f)).collect();
        if refused.is_empty() {
            Ok(())
        } else {
            Err(input_error("input.usage", refused.join("; ")))
        }
    }
}

/// Read and recognise the input (not a live endpoint).
fn read_input(args: &ScanArgs) -> Result<Input, Error> {
    if args.input.is_dir() {
        return Ok(Input::Bundle);
    }
    let input = read_bounded_max(&args.input, teescan::bundle::MAX_BUNDLE_LEN)?;
    if teescan::bundle::Bundle::is_bundle(&input) {
        return Ok(Input::Bundle);
    }
    if u64::try_from(input.len()).unwrap_or(u64::MAX) > MAX_FILE {
        return Err(input_error("input.too_large", format!("{} is larger than {MAX_FILE} bytes", args.input.display())));
    }
    if let (true, Some(chain)) = (Evidence::is_raw_gpu_report(&input), &args.cert_chain) {
        let pem = read_bounded(chain)?;
        return Evidence::raw_gpu_report(&input, &pem)
            .map(Input::Evidence)
            .map_err(|e| input_error(e.code(), format!("{}: {e}", chain.display())));
    }
    Evidence::detect(&input).map(Input::Evidence)
}

fn scan_inner(args: &ScanArgs) -> Result<Report, Error> {
    let at = match &args.at {
        Some(s) => Timestamp::parse_rfc3339(s)?,
        None => Timestamp::now(),
    };
    // An unusable --pccs URL is a usage error whatever else is given (--offline, --collateral).
    if let Some(url) = &args.pccs {
        teescan::fetch::pcs::PcsClient::pccs(url, teescan::fetch::FetchOptions::default())
            .map_err(|e| input_error("input.url", e.to_string()))?;
    }
    let mut opts = ScanOptions::new(at);
    opts.cache.clone_from(&args.batch_cache);
    opts.parallel = args.batch_cache.is_none();
    opts.tdx.allow_debug = args.allow_debug;
    opts.tdx.allow_service_td = args.allow_service_td;
    opts.tdx.tcb_status_by_policy = args.tcb_status_by_policy;
    opts.binding = args.binding;
    if let Some(path) = &args.policy {
        let loaded = teescan::policy::Policy::load(&read_bounded(path)?)
            .map_err(|e| input_error("input.policy", format!("{}: {e}", path.display())))?;
        opts.policy = Some(loaded);
    }
    if let Some(root) = &args.danger_trust_test_root {
        opts.intel_root = TrustAnchor::danger_test_root(&read_bounded(root)?)?;
    }
    if let Some(n) = &args.nonce {
        let bytes = hex::decode(n.trim()).map_err(|e| input_error("input.nonce", format!("--nonce is not hex: {e}")))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| input_error("input.nonce", format!("--nonce must be 32 bytes (64 hex digits), got {}", b.len())))?;
        opts.nonce = Some(arr);
    }
    let input_text = args.input.to_string_lossy();
    let input = if input_text.starts_with("https://") || input_text.starts_with("http://") {
        Input::Live
    } else {
        read_input(args)?
    };
    let kind = match &input {
        Input::Live => Kind::Live,
        Input::Bundle => Kind::Bundle,
        Input::Evidence(e) => match e.kind() {
            EvidenceKind::Quote if args.gpu_evidence.is_empty() => Kind::Quote,
            EvidenceKind::Quote | EvidenceKind::Node => Kind::Node,
            EvidenceKind::GpuList => Kind::GpuList,
            EvidenceKind::GpuRaw => Kind::GpuRaw,
            EvidenceKind::Provider { gpu } => Kind::Provider { gpu },
        },
    };
    Plan::new(args, kind, &opts).validate(args)?;
    if let (Some(root), false) = (&args.danger_trust_test_root, args.quiet) {
        eprintln!("teescan: warning: trusting a TEST root instead of the Intel SGX Root CA ({})", root.display());
    }
    let mut evidence = match input {
        Input::Live => return scan_live(args, opts),
        Input::Bundle => return scan_saved_bundle(args, opts),
        Input::Evidence(e) => e,
    };
    for extra in extra_gpu_evidence(args)? {
        evidence = evidence.with_gpu(extra)?;
    }
    let collateral = match &evidence {
        Evidence::Quote(_) | Evidence::Node { .. } => node_collateral(args, &evidence, &opts)?,
        Evidence::Gpu { list, .. } => {
            teescan::scan::Collateral { gpu: gpu_collateral_online(args, list, &opts)?, ..Default::default() }
        }
        Evidence::Provider(report) => provider_collateral(args, report, &evidence, &opts)?,
        _ => teescan::scan::Collateral::default(),
    };
    let scanner = Scanner::from_options(opts);
    let mut report = scanner.scan(&evidence, &collateral)?;
    report.input.source = Some(args.input.display().to_string());
    Ok(report)
}

/// DCAP collateral for a bare quote or a node (files, a capture directory, the cache or Intel
/// PCS), and, for a node whose quote has collateral, the GPU collateral.
fn node_collateral(args: &ScanArgs, evidence: &Evidence, opts: &ScanOptions) -> Result<teescan::scan::Collateral, Error> {
    let mut coll = teescan::scan::Collateral::default();
    match args.collateral.first() {
        Some(path) if path.is_dir() => coll.add_capture_dir(path, evidence)?,
        Some(path) => coll.add_dcap_json(&read_bounded(path)?)?,
        None if args.offline && cache_for(args, opts.at).is_none() => {
            coll.dcap_unavailable = Some("no --collateral given and --offline forbids fetching it".to_owned());
        }
        None => {
            let (Evidence::Quote(q) | Evidence::Node { quote: q, .. }) = evidence else { return Ok(coll) };
            let (_, quote, _) = teescan::parse_tdx_quote(q)?;
            match fetch_collateral(&quote, args, opts.at) {
                Ok(c) => coll.dcap.push(c),
                Err(FetchFailure::Unavailable(reason)) => coll.dcap_unavailable = Some(reason),
                Err(FetchFailure::Input(e)) => return Err(e),
            }
        }
    }
    if let (Evidence::Node { gpu, .. }, false) = (evidence, coll.dcap.is_empty()) {
        coll.gpu = gpu_collateral_online(args, gpu, opts)?;
    }
    Ok(coll)
}

/// The collateral for a provider report: for every FMSPC its quotes need (files, capture
/// directories, then the cache or the network for what they lack), the GPU collateral, and the
/// response signature.
fn provider_collateral(
    args: &ScanArgs,
    report: &teescan::provider::ProviderReport,
    evidence: &Evidence,
    opts: &ScanOptions,
) -> Result<teescan::scan::Collateral, Error> {
    let hints = evidence.pck_hints();
    let mut out = teescan::scan::Collateral::default();
    for path in &args.collateral {
        if path.is_dir() {
            out.add_capture_dir(path, evidence)?;
        } else {
            out.add_dcap_json(&read_bounded(path)?)?;
        }
    }
    // A provider layer without collateral says so in its own check.
    out.dcap_unavailable = None;
    let mut collaterals = std::mem::take(&mut out.dcap);
    let mut coll = gpu_collateral(args)?;
    let mut fetch_warnings = Vec::new();
    let cache = cache_for(args, opts.at);
    if !args.offline || cache.is_some() {
        // Fetch, all at once, what the files did not supply: DCAP collateral for FMSPCs without
        // any (only when no --collateral was given), NVIDIA RIMs and OCSP (unless --rims/--ocsp),
        // and NRAS when the policy requires it (unless --nras).
        use teescan::fetch::live::{fetch_dependencies, Needs};
        let have: Vec<[u8; 6]> = if args.collateral.is_empty() {
            Vec::new()
        } else {
            hints.iter().map(|h| h.fmspc).collect()
        };
        let needs = Needs {
            skip_fmspcs: have,
            gpu: args.rims.is_none() && args.ocsp.is_none(),
            nras: coll.nras.is_none()
                && opts.policy.as_ref().and_then(|p| p.policy.gpu.as_ref()).is_some_and(|g| g.nras == teescan::policy::Requirement::Required),
        };
        let (pcs, nvidia) = clients(args, cache)?;
        let (exchanges, mut failures) = runtime()?.block_on(fetch_dependencies(report, &pcs, &nvidia, opts.nonce.as_ref(), &needs));
        if args.offline {
            // Offline, a cache miss is expected, not news.
            failures.retain(|(_, e)| !e.ends_with("(offline)"));
        }
        let pcs_exchanges: Vec<HttpExchange> = exchanges
            .iter()
            .filter(|x| x.role == teescan::bundle::Role::Pcs)
            .map(|x| HttpExchange { url: x.url.clone(), headers: x.headers.clone(), body: x.body.clone() })
            .collect();
        let (fetched, missing) = teescan::bundle::collaterals_from_pcs(report, &pcs_exchanges, opts.at);
        collaterals.extend(fetched);
        let (gpu, warnings) = teescan::bundle::gpu_collateral_from(&exchanges);
        coll.rims.extend(gpu.rims);
        coll.ocsp.extend(gpu.ocsp);
        if coll.nras.is_none() {
            coll.nras = gpu.nras;
        }
        fetch_warnings.extend(warnings);
        fetch_warnings.extend(failures.into_iter().map(|(what, e)| format!("could not fetch {what}: {e}")));
        if !exchanges.is_empty() || !pcs_exchanges.is_empty() {
            fetch_warnings.extend(missing.into_iter().filter(|(f, _)| !needs.skip_fmspcs.iter().any(|s| hex::encode(s) == *f)).map(|(_, why)| why));
        }
    }
    let signed = match &args.signature {
        None => None,
        Some(path) => Some(teescan::provider::scan::SignedResponse {
            payload: teescan::provider::signature::parse_signature_payload(&read_bounded(path)?)
                .map_err(|e| input_error(e.code(), format!("{}: {e}", path.display())))?,
            request: args.request.as_deref().map(read_bounded).transpose()?,
            response: args.response.as_deref().map(read_bounded).transpose()?,
        }),
    };
    out.dcap = collaterals;
    out.gpu = coll;
    out.signature = signed;
    out.notes = fetch_warnings;
    Ok(out)
}

fn extra_gpu_evidence(args: &ScanArgs) -> Result<Vec<teescan::nvidia::evidence::EvidenceList>, Error> {
    args.gpu_evidence
        .iter()
        .map(|path| {
            teescan::nvidia::evidence::parse_evidence_list(&read_bounded(path)?)
                .map_err(|e| input_error(e.code(), format!("{}: {e}", path.display())))
        })
        .collect()
}

/// GPU collateral from files, completed online (NVIDIA RIM service, OCSP, and NRAS when the
/// policy requires it) when neither `--rims` nor `--ocsp` is given and `--offline` is not set.
/// Fetch failures are warnings: the checks they leave open are indeterminate, never passed.
fn gpu_collateral_online(
    args: &ScanArgs,
    list: &teescan::nvidia::evidence::EvidenceList,
    opts: &ScanOptions,
) -> Result<teescan::nvidia::verify::GpuCollateral, Error> {
    let mut coll = gpu_collateral(args)?;
    let cache = cache_for(args, opts.at);
    if (args.offline && cache.is_none()) || args.rims.is_some() || args.ocsp.is_some() {
        return Ok(coll);
    }
    let want_nras = coll.nras.is_none()
        && opts.policy.as_ref().and_then(|p| p.policy.gpu.as_ref()).is_some_and(|g| g.nras == teescan::policy::Requirement::Required);
    let (_, client) = clients(args, cache)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| input_error("input.runtime", format!("cannot start the network runtime: {e}")))?;
    let (fetched, errors, _log) = rt.block_on(client.gpu_collateral(list, opts.nonce.as_ref(), want_nras));
    if !args.quiet {
        for (what, e) in &errors {
            if !matches!(e, teescan::fetch::FetchError::Offline { .. }) {
                eprintln!("teescan: warning: could not fetch {what}: {e}");
            }
        }
    }
    coll.rims.extend(fetched.rims);
    coll.ocsp.extend(fetched.ocsp);
    if coll.nras.is_none() {
        coll.nras = fetched.nras;
    }
    Ok(coll)
}

/// RIMs, OCSP responses and the NRAS result from files.
fn gpu_collateral(args: &ScanArgs) -> Result<teescan::nvidia::verify::GpuCollateral, Error> {
    use base64::Engine as _;
    let mut coll = teescan::nvidia::verify::GpuCollateral::default();
    if let Some(dir) = &args.rims {
        for path in dir_files(dir)? {
            let bytes = read_bounded(&path)?;
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
                // The RIM service's JSON: {"id": "...", "rim": base64(XML), ...}
                let v: serde_json::Value = serde_json::from_slice(&bytes)
                    .map_err(|e| input_error("input.rim", format!("{}: {e}", path.display())))?;
                let id = v.get("id").and_then(|x| x.as_str()).unwrap_or(&stem).to_owned();
                let xml = v
                    .get("rim")
                    .and_then(|x| x.as_str())
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .ok_or_else(|| input_error("input.rim", format!("{}: no base64 `rim`", path.display())))?;
                coll.rims.push((id, xml));
            } else {
                coll.rims.push((stem, bytes));
            }
        }
    }
    if let Some(dir) = &args.ocsp {
        for path in dir_files(dir)? {
            coll.ocsp.push(read_bounded(&path)?);
        }
    }
    if let (Some(nras), Some(jwks)) = (&args.nras, &args.jwks) {
        coll.nras = Some(teescan::nvidia::verify::NrasInput { body: read_bounded(nras)?, jwks: read_bounded(jwks)? });
    }
    Ok(coll)
}

fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| input_error("input.read", format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.len() > 4096 {
        return Err(input_error("input.too_large", format!("{} has more than 4096 files", dir.display())));
    }
    Ok(files)
}

enum FetchFailure {
    Unavailable(String),
    Input(Error),
}

/// The quote's DCAP collateral from the cache or the network (only the cache with --offline).
fn fetch_collateral(quote: &teescan::tdx::Quote, args: &ScanArgs, at: Timestamp) -> Result<Collateral, FetchFailure> {
    use teescan::fetch::pcs::PckCa;
    let hint = quote.pck_hint().map_err(|e| FetchFailure::Input(e.into()))?;
    let ca = if hint.ca == "platform" {
        PckCa::Platform
    } else {
        PckCa::Processor
    };
    let (client, _) = clients(args, cache_for(args, at)).map_err(FetchFailure::Input)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchFailure::Unavailable(format!("cannot start the network runtime: {e}")))?;
    let pcs = rt.block_on(client.tdx_collateral(hint.fmspc, ca)).map_err(|e| match e {
        teescan::fetch::FetchError::Offline { .. } => FetchFailure::Unavailable(
            "no --collateral given, none valid in the cache, and --offline forbids fetching it".to_owned(),
        ),
        e => FetchFailure::Unavailable(format!("collateral fetch failed: {e}")),
    })?;
    let c = Collateral::from_pcs(&pcs)
        .map_err(|e| FetchFailure::Unavailable(format!("fetched collateral is malformed: {e}")))?;
    match teescan::bundle::outside_window(&c, at) {
        None => Ok(c),
        Some(why) => Err(FetchFailure::Unavailable(format!("fetched collateral is unusable: {why}"))),
    }
}

fn run_policy(command: PolicyCommand) -> ExitCode {
    match command {
        PolicyCommand::Schema => {
            let schema = teescan::policy::Policy::json_schema();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        PolicyCommand::Lint { file, at } => {
            let at = match at.as_deref().map(Timestamp::parse_rfc3339).transpose() {
                Ok(t) => t.unwrap_or_else(Timestamp::now),
                Err(e) => {
                    eprintln!("teescan: error[input.time]: {e}");
                    return ExitCode::from(2);
                }
            };
            let bytes = match read_bounded(&file) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("teescan: error[{}]: {e}", e.code());
                    return ExitCode::from(2);
                }
            };
            let lint = teescan::policy::lint::lint(&bytes, at);
            for f in &lint.findings {
                println!("{}: {}: {}", file.display(), f.severity.as_str(), f.message);
            }
            if lint.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        PolicyCommand::Init {
            id,
            valid_days,
            evidence,
        } => {
            let args = ScanArgs {
                input: evidence.input,
                collateral: evidence.collateral.into_iter().collect(),
                at: evidence.at,
                offline: evidence.offline,
                pccs: evidence.pccs,
                danger_trust_test_root: evidence.danger_trust_test_root,
                tcb_status_by_policy: true,
                ..ScanArgs::default()
            };
            match scan(&args) {
                Outcome::Error(e) => {
                    eprintln!("teescan: error[{}]: {e}", e.code());
                    ExitCode::from(2)
                }
                Outcome::Report(report) => {
                    match teescan::policy::init::starting_policy(&report, &id, valid_days) {
                        Ok(text) => {
                            print!("{text}");
                            ExitCode::SUCCESS
                        }
                        Err(e) => {
                            eprintln!("teescan: error[policy.init]: {e}");
                            ExitCode::from(
                                u8::try_from(report.verdict.exit_code()).unwrap_or(1).max(1),
                            )
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Live endpoints and evidence bundles.

/// Transport settings from `--timeout` and `--retries`.
fn fetch_options(args: &ScanArgs) -> teescan::fetch::FetchOptions {
    let mut o = teescan::fetch::FetchOptions::default();
    if let Some(t) = args.timeout {
        o.timeout = std::time::Duration::from_secs(t.max(1));
    }
    if let Some(r) = args.retries {
        o.retries = r;
    }
    o
}

/// NVIDIA endpoints from `--nvidia-rim-url`, `--nvidia-ocsp-url`, `--nras-url`.
fn nvidia_endpoints(args: &ScanArgs) -> teescan::fetch::nvidia::NvidiaEndpoints {
    let mut e = teescan::fetch::nvidia::NvidiaEndpoints::default();
    if let Some(u) = &args.nvidia_rim_url {
        e.rim_service.clone_from(u);
    }
    if let Some(u) = &args.nvidia_ocsp_url {
        e.ocsp.clone_from(u);
    }
    if let Some(u) = &args.nras_url {
        e.nras.clone_from(u);
    }
    e
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| input_error("input.runtime", format!("cannot start the network runtime: {e}")))
}

/// `teescan scan https://…`: fresh nonce, TLS binding, concurrent collateral, optional bundle.
fn scan_live(args: &ScanArgs, opts: ScanOptions) -> Result<Report, Error> {
    use teescan::fetch::live::{scan_endpoint, Endpoint, LiveOptions, Progress, Provider};
    let provider = match args.provider.unwrap_or_default() {
        ProviderArg::Auto => Provider::Auto,
        ProviderArg::Near => Provider::Near,
        ProviderArg::Phala => Provider::Phala,
        ProviderArg::Tinfoil => Provider::Tinfoil,
    };
    let endpoint = Endpoint { url: args.input.to_string_lossy().into_owned(), provider, model: args.model.clone() };
    let mut live = LiveOptions {
        fetch: fetch_options(args),
        pccs: args.pccs.clone(),
        nvidia: nvidia_endpoints(args),
        nonce: opts.nonce,
        cache: cache_for(args, opts.at),
        ..LiveOptions::default()
    };
    for path in &args.tls_ca {
        let bytes = read_bounded(path)?;
        let der = match pem::parse(&bytes) {
            Ok(p) => p.into_contents(),
            Err(_) => bytes,
        };
        live.extra_tls_roots.push(der);
    }
    if let Some(path) = &args.policy {
        live.policy_text = Some(read_bounded(path)?);
    }
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    if show_progress {
        live.progress = Some(Progress(std::sync::Arc::new(|line: &str| eprintln!("teescan: {line}…"))));
    }
    let started = std::time::Instant::now();
    let scan = runtime()?
        .block_on(scan_endpoint(&endpoint, &live, &opts))
        .map_err(|e| input_error("input.url", e.to_string()))?;
    if show_progress {
        eprintln!(
            "teescan: {} requests ({} failed) in {} ms (attestation {} ms, collateral {} ms, verification {} ms)",
            scan.stats.requests,
            scan.stats.failures,
            started.elapsed().as_millis(),
            scan.stats.attestation.as_millis(),
            scan.stats.collateral.as_millis(),
            scan.stats.verification.as_millis()
        );
    }
    let mut report = scan.report;
    if let Some(path) = &args.save_bundle {
        teescan::bundle::save(&scan.bundle, path)
            .map_err(|e| input_error("input.write", format!("cannot write the bundle to {}: {e}", path.display())))?;
        report.warnings.push(format!("evidence bundle saved to {}", path.display()));
    }
    Ok(report)
}

/// `teescan scan BUNDLE`: re-verify a saved live scan offline, as of its recorded time unless
/// `--at` says otherwise, against `--policy` or else the policy recorded in it.
fn scan_saved_bundle(args: &ScanArgs, mut opts: ScanOptions) -> Result<Report, Error> {
    let (bundle, mismatched) = teescan::bundle::load(&args.input)?;
    if args.at.is_none() {
        opts.at = bundle.scanned_at;
    }
    let mut notes = Vec::new();
    if opts.policy.is_none() {
        if let Some(text) = &bundle.policy {
            let loaded = teescan::policy::Policy::load(text)
                .map_err(|e| input_error("input.policy", format!("the policy recorded in the bundle: {e}")))?;
            notes.push(format!(
                "held against the policy recorded in the bundle ({}, sha256:{}); pass --policy to use your own",
                loaded.policy.id, loaded.sha256
            ));
            opts.policy = Some(loaded);
        }
    }
    if bundle.test_root && opts.intel_root.is_production() {
        notes.push("the bundle was made with a TEST root; it is now checked against the Intel SGX Root CA".to_owned());
    }
    let mut report = teescan::bundle::scan_bundle(&bundle, &mismatched, &opts)?;
    report.input.source = Some(format!("{} (bundle of {})", args.input.display(), bundle.url));
    report.warnings.extend(notes);
    Ok(report)
}

/// The collateral cache for this scan: `--cache-dir`, else the default directory; none with
/// `--no-cache`. Offline scans use it without the network.
fn cache_for(args: &ScanArgs, at: teescan::time::Timestamp) -> Option<teescan::fetch::cache::Cache> {
    use teescan::fetch::cache::{default_dir, Cache};
    if args.no_cache {
        return None;
    }
    let (dir, explicit) = match &args.cache_dir {
        Some(d) => (d.clone(), true),
        None => (default_dir()?, false),
    };
    let cache = Cache::new(dir, at, explicit);
    Some(if args.offline { cache.offline() } else { cache })
}

/// PCS and NVIDIA clients from the endpoint flags, with `cache`.
fn clients(
    args: &ScanArgs,
    cache: Option<teescan::fetch::cache::Cache>,
) -> Result<(teescan::fetch::pcs::PcsClient, teescan::fetch::nvidia::NvidiaClient), Error> {
    let mut pcs = match &args.pccs {
        Some(url) => teescan::fetch::pcs::PcsClient::pccs(url, fetch_options(args)),
        None => teescan::fetch::pcs::PcsClient::intel(fetch_options(args)),
    }
    .map_err(|e| input_error("input.url", e.to_string()))?;
    let mut nvidia = teescan::fetch::nvidia::NvidiaClient::new(nvidia_endpoints(args), fetch_options(args))
        .map_err(|e| input_error("input.url", e.to_string()))?;
    if let Some(c) = cache {
        pcs = pcs.with_cache(c.clone());
        nvidia = nvidia.with_cache(c);
    }
    Ok((pcs, nvidia))
}

fn run_cache(cache_dir: Option<PathBuf>, command: CacheCommand) -> ExitCode {
    let explicit = cache_dir.is_some();
    let Some(dir) = cache_dir.or_else(teescan::fetch::cache::default_dir) else {
        eprintln!("teescan: error[input.usage]: no cache directory: set --cache-dir, XDG_CACHE_HOME or HOME");
        return ExitCode::from(2);
    };
    match command {
        CacheCommand::Status => {
            let now = Timestamp::now();
            let entries = teescan::fetch::cache::entries(&dir);
            let (mut fresh, mut bytes) = (0usize, 0u64);
            for (_, e, size) in &entries {
                let ok = e.not_before <= now && now <= e.not_after;
                fresh += usize::from(ok);
                bytes += size;
                println!(
                    "{:<5} {:<11} {} .. {}  {:>8} B  {} {}",
                    if ok { "fresh" } else { "stale" },
                    e.kind,
                    e.not_before,
                    e.not_after,
                    size,
                    e.method,
                    e.url
                );
            }
            println!("{}: {} entries ({fresh} fresh), {bytes} bytes", dir.display(), entries.len());
            ExitCode::SUCCESS
        }
        CacheCommand::Clear => match teescan::fetch::cache::clear(&dir) {
            Ok(n) => {
                println!("{}: removed {n} entries", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("teescan: error[input.write]: cannot clear {}: {e}", dir.display());
                ExitCode::from(2)
            }
        },
        CacheCommand::Fetch { files, pccs, nvidia_rim_url, nvidia_ocsp_url } => {
            let args = ScanArgs { pccs, nvidia_rim_url, nvidia_ocsp_url, cache_dir: Some(dir.clone()), ..ScanArgs::default() };
            let cache = teescan::fetch::cache::Cache::new(dir.clone(), Timestamp::now(), explicit);
            let (pcs, nvidia) = match clients(&args, Some(cache)) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("teescan: error[{}]: {e}", e.code());
                    return ExitCode::from(2);
                }
            };
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("teescan: error[{}]: {e}", e.code());
                    return ExitCode::from(2);
                }
            };
            let mut worst = 0u8;
            for file in files {
                let bytes = match read_bounded(&file) {
                    Ok(b) => b,
                    Err(e) => {
                        eprintln!("teescan: error[{}]: {e}", e.code());
                        worst = 2;
                        continue;
                    }
                };
                let report = match teescan::provider::parse(&bytes) {
                    Ok(r) => r,
                    Err(_) => match teescan::parse_tdx_quote(&bytes) {
                        // A bare quote: one layer, so the same fetcher applies.
                        Ok((raw, _, _)) => teescan::provider::ProviderReport::single_quote(raw),
                        Err(e) => {
                            eprintln!("teescan: error[input.format]: {}: neither a provider report nor a TDX quote: {e}", file.display());
                            worst = 2;
                            continue;
                        }
                    },
                };
                let needs = teescan::fetch::live::Needs { skip_fmspcs: Vec::new(), gpu: true, nras: false };
                let (exchanges, failures) = rt.block_on(teescan::fetch::live::fetch_dependencies(&report, &pcs, &nvidia, None, &needs));
                println!("{}: {} answers cached or already fresh, {} failed", file.display(), exchanges.len(), failures.len());
                for (what, e) in &failures {
                    eprintln!("teescan: warning: could not fetch {what}: {e}");
                    worst = worst.max(3);
                }
            }
            ExitCode::from(worst)
        }
    }
}
