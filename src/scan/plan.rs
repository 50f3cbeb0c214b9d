//! Which `teescan scan` flags apply to which input: a flag that names evidence, collateral, a
//! source, a destination or a mode the scan of this input would not use is refused (exit 2) with
//! the reason, instead of being silently ignored.
//!
//! Checks, per given flag, in [`Flag`] order: the flag applies to the input's kind
//! ([`InputKind`]); what it configures is used (a fetch flag needs something fetched, a file flag
//! needs evidence that file verifies). All refusals are reported together, as one usage error.

use super::files::{nras_required, GatherOptions};
use super::{input_error, Kind};
use crate::{Error, ScanOptions};

/// The kind of one scan's input, decided before any flag is judged.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InputKind {
    /// A bare TDX quote.
    Quote,
    /// A TDX quote with `--gpu-evidence`: one node.
    Node,
    /// A GPU/NVSwitch evidence list (JSON).
    GpuList,
    /// A raw GPU report (with `--cert-chain`).
    GpuRaw,
    /// A provider report; `gpu`: it carries GPU evidence.
    Provider {
        /// Whether some layer carries GPU evidence.
        gpu: bool,
    },
    /// An SEV-SNP report; `bound`: its format binds REPORT_DATA to a nonce (Tinfoil v3 router);
    /// `certs`: the document carries its certificates (nothing is fetched from AMD KDS).
    Snp {
        /// The format binds REPORT_DATA to the caller's nonce.
        bound: bool,
        /// The document carries its own certificates.
        certs: bool,
    },
    /// A saved bundle (file or directory).
    Bundle,
    /// A live endpoint.
    Live,
}

impl InputKind {
    /// The kind of detected evidence; `extra_gpu`: GPU evidence is added to it (a quote then
    /// makes a node).
    pub fn of(kind: Kind, extra_gpu: bool) -> InputKind {
        match kind {
            Kind::Quote if !extra_gpu => InputKind::Quote,
            Kind::Quote | Kind::Node => InputKind::Node,
            Kind::GpuList => InputKind::GpuList,
            Kind::GpuRaw => InputKind::GpuRaw,
            Kind::Provider { gpu } => InputKind::Provider { gpu },
        }
    }

    /// The kind of parsed evidence (an SEV-SNP input is told apart from a provider report).
    pub fn of_evidence(evidence: &super::Evidence, extra_gpu: bool) -> InputKind {
        match evidence {
            super::Evidence::Snp(snp) => InputKind::Snp { bound: snp.tinfoil.is_some(), certs: !snp.embedded.certs.is_empty() },
            e => InputKind::of(e.kind(), extra_gpu),
        }
    }
}

/// `teescan scan` flags that name evidence, collateral, a source, a destination or a mode: each
/// applies to some kinds of input only. (`--at`, `--policy`, `--format`, `--no-cache`, `--quiet`
/// apply to every input.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)] // each is its flag, named by [`Flag::name`]
pub enum Flag {
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
    KdsUrl,
    GithubUrl,
    SigstoreRoot,
    TestAmdRoot,
}

impl Flag {
    /// The flag as written on the command line.
    pub fn name(self) -> &'static str {
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
            Flag::KdsUrl => "--kds-url",
            Flag::GithubUrl => "--github-url",
            Flag::SigstoreRoot => "--sigstore-trusted-root",
            Flag::TestAmdRoot => "--danger-trust-test-amd-root",
        }
    }
}

/// Everything the flag/input decision depends on, lowered from the arguments once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    kind: InputKind,
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
    /// The policy has `[[provenance.source]]`.
    provenance: bool,
}

impl Plan {
    /// The plan of a scan of `kind` with collateral from `gather`, verified under `opts` (its
    /// policy, binding scheme and nonce); `ear`: the output is an EAR (`--format ear`).
    pub fn new(kind: InputKind, gather: &GatherOptions, opts: &ScanOptions, ear: bool) -> Plan {
        let policy = opts.policy.as_ref().map(|p| &p.policy);
        Plan {
            kind,
            offline: gather.offline,
            cache: gather.cache_location().is_some(),
            collateral: !gather.collateral.is_empty(),
            gpu_files: gather.gpu_files(),
            nras_file: gather.nras.is_some(),
            nras_required: nras_required(opts.policy.as_ref()),
            scheme: opts.binding.is_some()
                || policy.and_then(|p| p.tdx.as_ref()).and_then(|t| t.td.as_ref()).is_some_and(|td| {
                    matches!(td.report_data, Some(crate::policy::ReportDataRule::Scheme(_)))
                }),
            nonce: opts.nonce.is_some(),
            ear,
            provenance: policy.is_some_and(|p| p.provenance.is_some()),
        }
    }

    /// Whether the input has a TDX quote the scan verifies.
    pub fn tdx(&self) -> bool {
        !matches!(self.kind, InputKind::GpuList | InputKind::GpuRaw | InputKind::Snp { .. })
    }
    /// Whether the scan may fetch an SEV-SNP report's certificates from AMD KDS (or the cache):
    /// a live scan may; a saved SNP input unless its document carries them or nothing may be
    /// fetched (`--collateral` holding certificates is judged when it is read).
    pub fn kds(&self) -> bool {
        match self.kind {
            InputKind::Live => true,
            InputKind::Snp { certs, .. } => !certs && (!self.offline || self.cache),
            _ => false,
        }
    }
    /// Whether the input has GPU evidence the scan verifies.
    pub fn gpu(&self) -> bool {
        matches!(self.kind, InputKind::Node | InputKind::GpuList | InputKind::GpuRaw | InputKind::Provider { gpu: true } | InputKind::Live)
    }

    /// What the scan may fetch (from the network, or with `--offline` from the cache):
    /// DCAP collateral, NVIDIA RIMs and OCSP, an NRAS appraisal. `net`: the network only.
    pub fn fetches(&self, net: bool) -> (bool, bool, bool) {
        let can = !self.offline || (!net && self.cache);
        let saved = !matches!(self.kind, InputKind::Bundle | InputKind::Live);
        let gpu = saved && self.gpu();
        let tdx = saved && self.tdx() && can && !self.collateral;
        let rims = gpu && can && !self.gpu_files;
        // A node's or GPU input's fetch is skipped entirely with --rims/--ocsp; a provider
        // report's NRAS is fetched regardless.
        let nras_path = matches!(self.kind, InputKind::Provider { .. }) || !self.gpu_files;
        let nras = gpu && can && nras_path && !self.nras_file && self.nras_required;
        (tdx, rims, nras)
    }

    /// Why `flag` cannot apply to this input, or `None` when its check runs.
    pub fn refuse(&self, flag: Flag) -> Option<String> {
        use InputKind::*;
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
        let (fetch_kds, net_kds) = (self.kds(), self.kds() && !self.offline);
        let snp = matches!(k, Snp { .. });
        let snp_no_gpu = "the input is an SEV-SNP report, without GPU evidence";
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
                Snp { .. } => Some("the input is an SEV-SNP report: DCAP collateral belongs to a TDX quote (AMD KDS: --kds-url)"),
                _ if self.collateral => Some("--collateral supplies the DCAP collateral: nothing is fetched"),
                _ if !fetch_tdx => Some("--offline --no-cache: nothing is fetched"),
                _ => None,
            },
            // --allow-debug also allows an SEV-SNP guest's DEBUG policy bit (without a policy).
            Flag::AllowDebug => (!self.tdx() && !snp).then_some(no_quote),
            Flag::AllowServiceTd | Flag::TestRoot if snp => Some("applies to a TDX quote: the input is an SEV-SNP report"),
            Flag::AllowServiceTd | Flag::TestRoot => (!self.tdx()).then_some(no_quote),
            Flag::Nonce => match k {
                Bundle => Some("a bundle records the nonce its scan used"),
                Snp { bound: false, .. } => Some(
                    "this SEV-SNP input binds no nonce (a bare report or a dstack attestation): pin `report_data` in the policy's [snp] section instead",
                ),
                Quote if !self.scheme => Some(
                    "--nonce needs a binding scheme to check a bare quote: give --binding SCHEME or a policy with [tdx.td] report_data = { scheme = \"…\" }",
                ),
                _ => None,
            },
            Flag::Binding => match k {
                Quote if !self.nonce => Some("the binding is checked against the nonce: give --nonce"),
                Quote | Node => None,
                GpuList | GpuRaw => Some(no_quote),
                Snp { .. } => Some("applies to a TDX quote: an SEV-SNP input's format names its own binding"),
                Provider { .. } | Bundle | Live => Some("a provider report's format names its own binding scheme"),
            },
            Flag::GpuEvidence => own_evidence.or(match k {
                Provider { .. } => Some("a provider report carries its own GPU evidence"),
                Snp { .. } => Some("SEV-SNP evidence with GPUs is not supported by this version"),
                _ => None,
            }),
            Flag::CertChain => match k {
                GpuRaw => None,
                GpuList => Some("a GPU evidence list carries its own certificate chains"),
                _ => Some("belongs to a raw GPU report given as the input"),
            },
            Flag::Rims | Flag::Ocsp | Flag::Nras | Flag::Jwks if snp => Some(snp_no_gpu),
            Flag::Rims | Flag::Ocsp | Flag::Nras | Flag::Jwks => own_evidence.or((!self.gpu()).then_some(no_gpu)),
            Flag::Signature | Flag::Request | Flag::Response => match k {
                Provider { .. } => None,
                _ => Some("verifies a response signature against a provider report's attested key: the input is not a provider report"),
            },
            Flag::Model | Flag::Provider | Flag::SaveBundle | Flag::TlsCa => (k != Live).then_some(live_only),
            Flag::NvidiaRimUrl | Flag::NvidiaOcspUrl | Flag::NrasUrl if snp => Some(snp_no_gpu),
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
                _ if !(net_tdx || net_rims || net_nras || net_kds) => Some("the files given supply all collateral: nothing is fetched"),
                _ => None,
            },
            Flag::CacheDir => match k {
                Live => None,
                Bundle => own_evidence,
                _ if !(fetch_tdx || fetch_rims || fetch_nras || fetch_kds) => Some("the files given supply all collateral: nothing is fetched or cached"),
                _ => None,
            },
            Flag::EarKey => (!self.ear).then_some("signs an EAR: add --format ear"),
            // Parallelism, not a check: a batch of one is still a batch (scripts pass -j always).
            Flag::Jobs => None,
            Flag::KdsUrl => match k {
                Live => None,
                Bundle => own_evidence,
                Snp { certs: true, .. } => Some("the SEV-SNP document carries its certificates: nothing is fetched from AMD KDS"),
                Snp { .. } if !fetch_kds => Some("--offline --no-cache: nothing is fetched"),
                Snp { .. } => None,
                _ => Some("only SEV-SNP evidence is verified with AMD KDS collateral"),
            },
            Flag::GithubUrl => match k {
                _ if !self.provenance || (self.offline && !self.cache) => {
                    Some("--github-url applies to a policy with [[provenance.source]], and fetches nothing with --offline --no-cache")
                }
                Bundle => own_evidence,
                _ => None,
            },
            Flag::SigstoreRoot => {
                (!self.provenance).then_some("--sigstore-trusted-root applies to a policy with [[provenance.source]]; give --policy with one")
            }
            Flag::TestAmdRoot => match k {
                Snp { .. } | Live | Bundle => None,
                _ => Some("trusts a test AMD root for SEV-SNP evidence: the input has none"),
            },
        };
        r.map(|why| if why.starts_with(flag.name()) { why.to_owned() } else { format!("{} cannot apply: {why}", flag.name()) })
    }

    /// Every given flag that cannot apply, as one usage error (one line naming each).
    pub fn validate(&self, given: &[Flag]) -> Result<(), Error> {
        let refused: Vec<String> = given.iter().filter_map(|f| self.refuse(*f)).collect();
        if refused.is_empty() {
            Ok(())
        } else {
            Err(input_error("input.usage", refused.join("; ")))
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn plan(kind: InputKind, gather: &GatherOptions) -> Plan {
        Plan::new(kind, gather, &ScanOptions::new(Timestamp::from_unix(0)), false)
    }

    #[test]
    fn refusals_name_the_flag_and_the_reason() {
        let g = GatherOptions { no_cache: true, ..GatherOptions::default() };
        let e = plan(InputKind::GpuList, &g).validate(&[Flag::Collateral, Flag::EarKey]).unwrap_err();
        assert_eq!(e.code(), "input.usage");
        assert_eq!(
            e.to_string(),
            "--collateral cannot apply: the input is GPU evidence: DCAP collateral belongs to a TDX quote; --ear-key cannot apply: signs an EAR: add --format ear"
        );
        assert!(plan(InputKind::Live, &g).validate(&[Flag::Model, Flag::TlsCa, Flag::Jobs]).is_ok());
        let offline = GatherOptions { offline: true, no_cache: true, ..GatherOptions::default() };
        assert_eq!(plan(InputKind::Quote, &offline).refuse(Flag::Pccs).as_deref(), Some("--pccs cannot apply: --offline --no-cache: nothing is fetched"));
    }

    #[test]
    fn a_quote_with_gpu_evidence_is_a_node() {
        assert_eq!(InputKind::of(Kind::Quote, true), InputKind::Node);
        assert_eq!(InputKind::of(Kind::Quote, false), InputKind::Quote);
        assert_eq!(InputKind::of(Kind::Provider { gpu: true }, false), InputKind::Provider { gpu: true });
    }
}
