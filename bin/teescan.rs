//! The teescan command line: a thin layer over the library. It reads files, fetches collateral
//! when asked to, calls the library, renders the report on stdout, and exits
//! 0 pass / 1 fail / 2 bad input or usage / 3 indeterminate.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use teescan::fetch::live::{Progress, Provider};
use teescan::provider::binding::Scheme;
use teescan::report::{ear, table, Output};
use teescan::scan::run::{self, Request};
use teescan::scan::{read_bounded, Flag, GatherOptions, Input};
use teescan::time::Timestamp;
use teescan::Error;

mod batch;

#[derive(Parser)]
#[command(
    name = "teescan",
    version,
    about = "Verify confidential-computing attestation evidence, fail-closed (network only for collateral not given; never with --offline)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify evidence: a TDX quote, an SEV-SNP report, GPU evidence, a provider report, a bundle or an https:// endpoint.
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
    /// Fetch and cache the collateral of saved evidence (provider reports, TDX quotes, SEV-SNP
    /// reports) and, with --policy, its [provenance] release bundles, e.g. before going offline.
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
        /// AMD KDS base URL for SEV-SNP reports' VCEK and cert_chain (default AMD's).
        #[arg(long, value_name = "URL")]
        kds_url: Option<String>,
        /// Also fetch the release bundles of this policy's [[provenance.source]] entries.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// GitHub API base URL for the --policy's provenance releases (as for `scan`).
        #[arg(long, value_name = "URL")]
        github_url: Option<String>,
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
    /// A self-contained HTML audit report (inline CSS/SVG, the JSON report embedded).
    Html,
}

#[derive(clap::Args)]
struct EvidenceArgs {
    /// The evidence: a TDX quote file (binary, hex or base64), or `-` for stdin.
    #[arg(long = "from", value_name = "FILE")]
    input: PathBuf,
    /// Collateral, as for `scan` (repeatable): dcap-qvl QuoteCollateralV3 JSON, AMD KDS
    /// certificates or CRLs, Sigstore bundles, or capture directories. Without it, collateral
    /// is fetched unless --offline.
    #[arg(long, value_name = "FILE|DIR")]
    collateral: Vec<PathBuf>,
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
    /// The nonce the evidence answers (64 hex digits), as for `scan`: a provider report is
    /// only shown fresh (and so verified) with it.
    #[arg(long, value_name = "HEX")]
    nonce: Option<String>,
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
    /// DANGER, tests only: trust this AMD root key certificate (ARK, DER or PEM) instead of the
    /// pinned Milan/Genoa/Turin ARKs for SEV-SNP evidence. Every report made with it says so.
    #[arg(long, value_name = "FILE")]
    danger_trust_test_amd_root: Option<PathBuf>,
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
    /// Live scans: the endpoint's attestation protocol: auto (default: Tinfoil for *.tinfoil.sh,
    /// Chutes for *.chutes.ai or a /chutes/<id> path, NEAR otherwise), near (NEAR AI, dstack
    /// proxies), phala (RedPill), tinfoil, chutes (https://api.chutes.ai/chutes/<chute id>).
    #[arg(long, value_parser = |s: &str| Provider::from_name(s).ok_or("expected auto, near, phala, tinfoil or chutes"))]
    provider: Option<Provider>,
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
    /// AMD KDS base URL for an SEV-SNP report's VCEK and cert_chain (default AMD's; https, or
    /// http on loopback).
    #[arg(long, value_name = "URL")]
    kds_url: Option<String>,
    /// Seconds allowed for each network request (connect, send, read the whole body). Default 15.
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// Retries of a request that timed out, failed to connect or got HTTP 5xx/429. Default 2.
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    /// GitHub API base URL for a `[provenance]` policy's releases and attestations, also asked
    /// for release downloads (as Tinfoil's proxy https://github-proxy.tinfoil.sh serves both).
    /// Default: api.github.com and github.com.
    #[arg(long, value_name = "URL")]
    github_url: Option<String>,
    /// A Sigstore `trusted_root.json` to verify `[provenance]` bundles against instead of the
    /// public-good root compiled in. Every report made with another root names it and warns.
    #[arg(long, value_name = "FILE")]
    sigstore_trusted_root: Option<PathBuf>,
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
    /// Table: every check on its own line (no folding of identical per-GPU passes).
    #[arg(short, long)]
    verbose: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(mut args) => {
            if teescan::scan::batch::is_batch(&args.inputs) && !Input::is_pair(&args.inputs) {
                return batch::run(&args);
            }
            args.input = args.inputs.first().cloned().unwrap_or_default();
            run_scan(&args)
        }
        Command::Policy { command } => run_policy(command),
        Command::Cache { cache_dir, command } => run_cache(cache_dir, command),
    }
}

/// One input: scan, render, exit with the verdict's code (2 on an input error, which `--format
/// json|ear` also writes to stdout as a JSON document, as in a batch).
fn run_scan(args: &ScanArgs) -> ExitCode {
    let quiet = args.quiet;
    let result = ear_key(args).and_then(|key| Ok((run::run(&request(args), &|l| if !quiet { eprintln!("teescan: {l}") })?, key)));
    let (report, key) = match result {
        Ok(x) => x,
        Err(e) => {
            if !quiet {
                eprintln!("teescan: error[{}]: {e}", e.code());
                if matches!(args.format, Format::Json | Format::Ear) {
                    print!("{}", teescan::scan::batch::error_document(&args.input.display().to_string(), e.code(), &e.to_string()));
                }
            }
            return ExitCode::from(2);
        }
    };
    if !quiet {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        match teescan::report::render(&report, output(args.format, key.as_ref(), color, args.verbose), false) {
            // A closed pipe is not a verification result; the exit code still is.
            Ok(out) => drop(std::io::stdout().lock().write_all(out.as_bytes())),
            Err(e) => return error_exit(&input_error("input.ear_key", e.to_string())),
        }
    }
    ExitCode::from(u8::try_from(report.verdict.exit_code()).unwrap_or(1))
}

/// The renderer `--format` names.
fn output(format: Format, key: Option<&ear::EarKey>, color: bool, verbose: bool) -> Output<'_> {
    match format {
        Format::Table => Output::Table(table::Options { color, verbose }),
        Format::Json => Output::Json,
        Format::Ear => Output::Ear(key),
        Format::Html => Output::Html,
    }
}

/// The `--ear-key`, read and parsed (only with `--format ear`).
fn ear_key(args: &ScanArgs) -> Result<Option<ear::EarKey>, Error> {
    match (&args.format, &args.ear_key) {
        (Format::Ear, Some(path)) => read_bounded(path)
            .and_then(|b| ear::EarKey::from_pkcs8(&b).map_err(|e| input_error("input.ear_key", e.to_string())))
            .map(Some),
        _ => Ok(None),
    }
}

fn input_error(code: &'static str, message: impl Into<String>) -> Error {
    Error::Input { code, message: message.into() }
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    Scheme::from_name(s).ok_or_else(|| "expected one of padded-signing-address, signing-address-tls, chutes-e2e, tinfoil-v3".to_owned())
}

/// The scan request: the flags of `args`, lowered.
fn request(args: &ScanArgs) -> Request {
    let progress = (!args.quiet && std::io::stderr().is_terminal()).then(|| Progress(std::sync::Arc::new(|l: &str| eprintln!("teescan: {l}…"))));
    Request {
        inputs: args.inputs.clone(),
        input: args.input.clone(),
        cert_chain: args.cert_chain.clone(),
        gpu_evidence: args.gpu_evidence.clone(),
        gather: GatherOptions {
            collateral: args.collateral.clone(),
            rims: args.rims.clone(),
            ocsp: args.ocsp.clone(),
            nras: args.nras.clone(),
            jwks: args.jwks.clone(),
            signature: args.signature.clone(),
            request: args.request.clone(),
            response: args.response.clone(),
            offline: args.offline,
            cache_dir: args.cache_dir.clone(),
            no_cache: args.no_cache,
            pccs: args.pccs.clone(),
            nvidia_rim_url: args.nvidia_rim_url.clone(),
            nvidia_ocsp_url: args.nvidia_ocsp_url.clone(),
            nras_url: args.nras_url.clone(),
            kds_url: args.kds_url.clone(),
            timeout: args.timeout,
            retries: args.retries,
            github_url: args.github_url.clone(),
        },
        at: args.at.clone(),
        policy: args.policy.clone(),
        test_root: args.danger_trust_test_root.clone(),
        test_amd_root: args.danger_trust_test_amd_root.clone(),
        sigstore_root: args.sigstore_trusted_root.clone(),
        nonce: args.nonce.clone(),
        binding: args.binding,
        allow_debug: args.allow_debug,
        allow_service_td: args.allow_service_td,
        tcb_status_by_policy: false,
        flags: given_flags(args),
        ear: args.format == Format::Ear,
        provider: args.provider.unwrap_or_default(),
        model: args.model.clone(),
        tls_ca: args.tls_ca.clone(),
        save_bundle: args.save_bundle.clone(),
        batch_cache: args.batch_cache.clone(),
        progress,
    }
}

/// The `teescan scan` flags given on the command line, in [`Flag`] order.
fn given_flags(args: &ScanArgs) -> Vec<Flag> {
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
        (args.kds_url.is_some(), Flag::KdsUrl),
        (args.github_url.is_some(), Flag::GithubUrl),
        (args.sigstore_trusted_root.is_some(), Flag::SigstoreRoot),
        (args.danger_trust_test_amd_root.is_some(), Flag::TestAmdRoot),
    ]
    .into_iter()
    .filter_map(|(given, f)| given.then_some(f))
    .collect()
}

fn run_policy(command: PolicyCommand) -> ExitCode {
    match command {
        PolicyCommand::Schema => {
            println!("{}", serde_json::to_string_pretty(&teescan::policy::Policy::json_schema()).unwrap_or_default());
            ExitCode::SUCCESS
        }
        PolicyCommand::Lint { file, at } => {
            let (lines, code) = run::policy_lint(&file, at.as_deref());
            for l in lines {
                if code == 2 { eprintln!("{l}") } else { println!("{l}") }
            }
            ExitCode::from(code)
        }
        PolicyCommand::Init { id, valid_days, evidence } => {
            let args = ScanArgs {
                inputs: vec![evidence.input.clone()],
                input: evidence.input,
                collateral: evidence.collateral,
                at: evidence.at,
                offline: evidence.offline,
                pccs: evidence.pccs,
                danger_trust_test_root: evidence.danger_trust_test_root,
                nonce: evidence.nonce,
                ..ScanArgs::default()
            };
            match run::policy_init(&request(&args), &id, valid_days, Timestamp::now()) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err((code, message)) => {
                    eprintln!("teescan: {message}");
                    ExitCode::from(code)
                }
            }
        }
    }
}

fn run_cache(cache_dir: Option<PathBuf>, command: CacheCommand) -> ExitCode {
    let explicit = cache_dir.is_some();
    let Some(dir) = cache_dir.or_else(teescan::fetch::cache::default_dir) else {
        return error_exit(&input_error("input.usage", "no cache directory: set --cache-dir, XDG_CACHE_HOME or HOME"));
    };
    match command {
        CacheCommand::Status => {
            for line in teescan::fetch::cache::status_lines(&dir, Timestamp::now()) {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        CacheCommand::Clear => match teescan::fetch::cache::clear(&dir) {
            Ok(n) => {
                println!("{}: removed {n} entries", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => error_exit(&input_error("input.write", format!("cannot clear {}: {e}", dir.display()))),
        },
        CacheCommand::Fetch { files, pccs, nvidia_rim_url, nvidia_ocsp_url, kds_url, policy, github_url } => {
            let g = GatherOptions { pccs, nvidia_rim_url, nvidia_ocsp_url, kds_url, github_url, cache_dir: Some(dir.clone()), ..GatherOptions::default() };
            ExitCode::from(run::cache_fetch(&files, policy.as_deref(), &g, dir, explicit, &|l| println!("{l}"), &|l| eprintln!("teescan: {l}")))
        }
    }
}

/// Print `e` and exit 2 (bad input or usage).
fn error_exit(e: &Error) -> ExitCode {
    eprintln!("teescan: error[{}]: {e}", e.code());
    ExitCode::from(2)
}
