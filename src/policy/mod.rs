//! Declarative appraisal policy: a typed TOML (or JSON) document that pins what the evidence
//! must show. It cannot fail open:
//! - unknown keys are errors (naming the key and the line);
//! - allowlists are `any_of = [...]` and must be non-empty — to accept anything, omit the rule;
//! - bit fields are `{ value, mask }`;
//! - a mandatory `expires` date: an expired policy makes the scan indeterminate;
//! - a rule whose field the evidence lacks fails.
//!
//! Sections: `[tdx.tcb]` (collateral and TCB appraisal) and `[tdx.td]` (the TD's measurements
//! and attributes); `[gateway.tdx]` holds the same rules for a gateway layer and is validated by
//! the same function (`validate_tdx_section`): a TDX section without a rule table is an error
//! (an empty section reads as a requirement but checks nothing), masks must be non-zero and
//! cover their value, and a `report_data` scheme must be a known, exactly spelt name. `[gpu]` holds
//! the GPU rules; `[keys]` the client-facing keys of provider reports that must be bound to each
//! layer's quote. Later sections are added as new optional tables, so existing policies keep
//! their meaning; a policy naming a section this version does not know is rejected rather than
//! half-applied. [`lint`] adds the review-time rules (expiry) on top of the same load.

pub mod eval;
pub mod init;
pub mod lint;

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::time::Timestamp;

/// The schema identifier every policy must carry.
pub const POLICY_SCHEMA: &str = "teescan.policy/v1";

/// Largest policy file accepted.
pub const MAX_POLICY_LEN: usize = 256 * 1024;

/// A policy file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document does not parse or does not match the schema (message names key and line).
    #[error("{0}")]
    Parse(String),
    /// The document parses but a value is invalid.
    #[error("{path}: {reason}")]
    Invalid {
        /// Dotted path of the offending key.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// A policy document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Must be `teescan.policy/v1`.
    pub schema: String,
    /// A name for this policy, reported with every verdict.
    pub id: String,
    /// What the policy is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// After this time the policy is stale: scans are indeterminate until it is reviewed.
    pub expires: PolicyTime,
    /// Intel TDX rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tdx: Option<TdxPolicy>,
    /// NVIDIA GPU / NVSwitch rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuPolicy>,
    /// Rules for the gateway layer of a two-layer provider report (NEAR AI cloud): its `[tdx]`
    /// replaces the top-level one for that layer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<LayerPolicy>,
    /// Client-facing keys of provider reports: which must be bound to each layer's verified quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<KeysPolicy>,
    /// AMD SEV-SNP rules (`crate::snp::policy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snp: Option<crate::snp::policy::SnpPolicy>,
    /// Expected measurements from signed releases (Sigstore): who may publish them, and which
    /// registers each publisher provides. See `docs/provenance.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<crate::provenance::eval::ProvenancePolicy>,
}

/// `[keys]`: `require_bound = ["signing", "tls", "ohttp", "e2e", "hpke"]` (non-empty). Every
/// listed kind must be present in every attested layer of a provider report and bound to its
/// verified quote (the `keys` claims); a layer without it fails.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysPolicy {
    /// Kinds of key that must be bound (at least one).
    #[schemars(length(min = 1))]
    pub require_bound: Vec<KeyKind>,
}

/// A kind of client-facing key in a provider report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// The response-signing key (`signing_address`, and any stated public key of it).
    Signing,
    /// The TLS key of the serving endpoint (SPKI SHA-256 fingerprint).
    Tls,
    /// The OHTTP key configuration clients encrypt requests to.
    Ohttp,
    /// Chutes' end-to-end encryption key (`e2e_pubkey`).
    E2e,
    /// Tinfoil's HPKE key (`hpke_key`).
    Hpke,
}

impl KeyKind {
    /// The name used in policies and claims.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Signing => "signing",
            KeyKind::Tls => "tls",
            KeyKind::Ohttp => "ohttp",
            KeyKind::E2e => "e2e",
            KeyKind::Hpke => "hpke",
        }
    }
}

/// Rules for one layer of a provider report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerPolicy {
    /// TDX rules for this layer.
    pub tdx: TdxPolicy,
}

/// Whether a piece of GPU collateral must be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Must be present and verify (the default).
    #[default]
    Required,
    /// Checked if supplied; absence is reported, not failed. Must be written explicitly.
    Waived,
}

/// A number of devices: exactly `n`, or a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CountRule {
    /// Exactly this many.
    Exactly(u32),
    /// Between `min` and `max` (inclusive; either may be omitted).
    Range {
        /// Minimum.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u32>,
        /// Maximum.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u32>,
    },
}

impl CountRule {
    /// Whether `n` satisfies the rule.
    pub fn allows(&self, n: u32) -> bool {
        match *self {
            CountRule::Exactly(e) => n == e,
            CountRule::Range { min, max } => min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
        }
    }
}

impl fmt::Display for CountRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CountRule::Exactly(e) => write!(f, "exactly {e}"),
            CountRule::Range { min, max } => write!(
                f,
                "{}..{}",
                min.map(|m| m.to_string()).unwrap_or_default(),
                max.map(|m| m.to_string()).unwrap_or_default()
            ),
        }
    }
}

/// A measurement index whose mismatch is accepted, with the reason an auditor can read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementWaiver {
    /// RIM measurement index (0-based, as in the RIM files).
    pub index: u32,
    /// Why this mismatch is acceptable (mandatory, non-empty).
    pub reason: String,
}

/// `[gpu]`: NVIDIA GPUs and NVSwitches in the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuPolicy {
    /// How many GPUs the evidence must carry (default: at least one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<CountRule>,
    /// Architectures accepted (`HOPPER`, `BLACKWELL`), as derived from the signed report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<AnyOf<String>>,
    /// Driver versions accepted (from the signed report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_version: Option<AnyOf<String>>,
    /// VBIOS versions accepted (from the signed report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vbios_version: Option<AnyOf<String>>,
    /// Whether the driver and VBIOS RIMs must be supplied and match (default required).
    #[serde(default)]
    pub rim: Requirement,
    /// Whether OCSP responses must show every checked certificate as good (default required).
    #[serde(default)]
    pub ocsp: Requirement,
    /// Whether an NRAS result must be supplied and verify (default waived: local verification
    /// never depends on NRAS).
    #[serde(default = "waived")]
    pub nras: Requirement,
    /// Extra NRAS anchor pins (SPKI SHA-256 of an NVIDIA Attestation Service intermediate), for
    /// a key rotation: ADDED to the compiled pin, never replacing it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nras_anchor_spki_sha256: Vec<HexBytes<32>>,
    /// Measurement mismatches accepted, each with a reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waive_measurements: Vec<MeasurementWaiver>,
}

fn waived() -> Requirement {
    Requirement::Waived
}

/// `[tdx]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TdxPolicy {
    /// Collateral and TCB appraisal rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcb: Option<TcbPolicy>,
    /// Rules on the TD report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub td: Option<TdPolicy>,
}

/// `[tdx.tcb]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TcbPolicy {
    /// TCB statuses accepted (e.g. `["UpToDate"]`). When omitted, only `UpToDate` is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_status: Option<AnyOf<TcbStatusName>>,
    /// Fail if any of these advisories applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_advisories: Option<AnyOf<String>>,
    /// Fail if an advisory applies that is not listed here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_advisories: Option<AnyOf<String>>,
    /// Accept a non-UpToDate status in `allowed_status` only until the matched TCB level's date
    /// plus this period (e.g. `"30d"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<Period>,
    /// Oldest acceptable collateral: TCB Info and QE Identity `issueDate` and PCK CRL
    /// `thisUpdate` must be at most this old at verification time (e.g. `"7d"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_collateral_age: Option<Period>,
    /// Minimum `tcbEvaluationDataNumber` of the collateral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tcb_evaluation_data_number: Option<u32>,
    /// FMSPCs (platform families) accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fmspc: Option<AnyOf<HexBytes<6>>>,
    /// QE vendor IDs accepted (the evidence check `tdx.quote.qe_vendor` always requires Intel's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qe_vendor_id: Option<AnyOf<HexBytes<16>>>,
}

/// `[tdx.td]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TdPolicy {
    /// Accept a TD in debug mode. Default false: a debug TD always fails.
    #[serde(default)]
    pub allow_debug: bool,
    /// Accept a TD bound to service TDs (non-zero MRSERVICETD or SERVTD_EXT). Default false.
    #[serde(default)]
    pub allow_service_td: bool,
    /// TD attributes: `(actual & mask) == (value & mask)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub td_attributes: Option<Masked>,
    /// XFAM: `(actual & mask) == (value & mask)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xfam: Option<Masked>,
    /// Minimum TEE_TCB_SVN, component by component (16 bytes hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tee_tcb_svn: Option<HexBytes<16>>,
    /// TDX module measurement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mr_seam: Option<AnyOf<HexBytes<48>>>,
    /// TDX module signer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mr_signer_seam: Option<AnyOf<HexBytes<48>>>,
    /// SEAM attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seam_attributes: Option<AnyOf<HexBytes<8>>>,
    /// Initial TD measurement (firmware).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mr_td: Option<AnyOf<HexBytes<48>>>,
    /// RTMR0 (firmware configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtmr0: Option<AnyOf<HexBytes<48>>>,
    /// RTMR1 (kernel, boot loader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtmr1: Option<AnyOf<HexBytes<48>>>,
    /// RTMR2 (kernel command line, initrd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtmr2: Option<AnyOf<HexBytes<48>>>,
    /// RTMR3 (runtime events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtmr3: Option<AnyOf<HexBytes<48>>>,
    /// MRCONFIGID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mr_config_id: Option<AnyOf<HexBytes<48>>>,
    /// MROWNER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mr_owner: Option<AnyOf<HexBytes<48>>>,
    /// MROWNERCONFIG.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mr_owner_config: Option<AnyOf<HexBytes<48>>>,
    /// MRSERVICETD (TD 1.5 quotes only; a TD 1.0 quote fails this rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mr_service_td: Option<AnyOf<HexBytes<48>>>,
    /// What REPORTDATA must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_data: Option<ReportDataRule>,
}

/// `report_data = { exact = "…" }` or `{ scheme = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum ReportDataRule {
    /// These exact 64 bytes.
    Exact(HexBytes<64>),
    /// A named binding scheme (provider formats; evaluated when the evidence carries the inputs).
    Scheme(String),
}

/// A non-empty allowlist: `{ any_of = [ … ] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnyOf<T> {
    /// Accepted values (at least one).
    #[schemars(length(min = 1))]
    pub any_of: Vec<T>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for AnyOf<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw<T> {
            any_of: Vec<T>,
        }
        let raw = Raw::<T>::deserialize(d)?;
        if raw.any_of.is_empty() {
            return Err(serde::de::Error::custom(
                "any_of must not be empty: an empty allowlist would accept nothing or everything; omit the rule to accept any value",
            ));
        }
        Ok(AnyOf { any_of: raw.any_of })
    }
}

/// Exactly N bytes written as hex (lower or upper case, optional `0x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexBytes<const N: usize>(pub [u8; N]);

impl<const N: usize> HexBytes<N> {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        crate::bytes::to_hex(self.0)
    }
}

impl<const N: usize> fmt::Display for HexBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl<'de, const N: usize> Deserialize<'de> for HexBytes<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        let t = t.strip_prefix("0x").unwrap_or(t);
        let bytes = hex::decode(t).map_err(|e| serde::de::Error::custom(format!("{s:?} is not hex: {e}")))?;
        let arr: [u8; N] = bytes.try_into().map_err(|b: Vec<u8>| {
            serde::de::Error::custom(format!("expected {N} bytes ({} hex digits), got {} bytes", N.saturating_mul(2), b.len()))
        })?;
        Ok(HexBytes(arr))
    }
}

impl<const N: usize> Serialize for HexBytes<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<const N: usize> JsonSchema for HexBytes<N> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Hex{N}").into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let digits = N.saturating_mul(2);
        schemars::json_schema!({
            "type": "string",
            "description": format!("{N} bytes as hex ({digits} digits, optional 0x)"),
            "pattern": format!("^(0x)?[0-9a-fA-F]{{{digits}}}$"),
        })
    }
}

/// A 64-bit field compared under a mask: `(actual & mask) == (value & mask)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Masked {
    /// Expected value, as a 64-bit hex number (e.g. `"0x10000000"`).
    #[schemars(with = "String")]
    #[serde(with = "hex_u64")]
    pub value: u64,
    /// Which bits are compared, as a 64-bit hex number.
    #[schemars(with = "String")]
    #[serde(with = "hex_u64")]
    pub mask: u64,
}

mod hex_u64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{v:016x}"))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        let t = t.strip_prefix("0x").unwrap_or(t);
        if t.is_empty() || t.len() > 16 {
            return Err(serde::de::Error::custom(format!("{s:?}: expected up to 16 hex digits")));
        }
        u64::from_str_radix(t, 16).map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
    }
}

/// A TCB status name, as Intel writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum TcbStatusName {
    /// Fully patched.
    UpToDate,
    /// Patched; software hardening needed.
    SWHardeningNeeded,
    /// Platform configuration needed.
    ConfigurationNeeded,
    /// Configuration and software hardening needed.
    ConfigurationAndSWHardeningNeeded,
    /// Out of date.
    OutOfDate,
    /// Out of date and configuration needed.
    OutOfDateConfigurationNeeded,
    /// TD 1.5: launched out of date, current TCB up to date.
    TDRelaunchAdvised,
    /// TD 1.5: relaunch advised, configuration needed.
    TDRelaunchAdvisedConfigurationNeeded,
}

impl TcbStatusName {
    /// The name as Intel writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TcbStatusName::UpToDate => "UpToDate",
            TcbStatusName::SWHardeningNeeded => "SWHardeningNeeded",
            TcbStatusName::ConfigurationNeeded => "ConfigurationNeeded",
            TcbStatusName::ConfigurationAndSWHardeningNeeded => "ConfigurationAndSWHardeningNeeded",
            TcbStatusName::OutOfDate => "OutOfDate",
            TcbStatusName::OutOfDateConfigurationNeeded => "OutOfDateConfigurationNeeded",
            TcbStatusName::TDRelaunchAdvised => "TDRelaunchAdvised",
            TcbStatusName::TDRelaunchAdvisedConfigurationNeeded => "TDRelaunchAdvisedConfigurationNeeded",
        }
    }
}

/// A duration written as a number and a unit: `"90s"`, `"15m"`, `"12h"`, `"30d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(with = "String")]
pub struct Period(pub u64);

impl Period {
    /// Seconds.
    pub fn secs(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s.is_multiple_of(86_400) {
            write!(f, "{}d", s / 86_400)
        } else if s.is_multiple_of(3_600) {
            write!(f, "{}h", s / 3_600)
        } else if s.is_multiple_of(60) {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
        let n: u64 = num.parse().map_err(|_| serde::de::Error::custom(format!("{s:?}: expected e.g. \"30d\"")))?;
        let mult = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => return Err(serde::de::Error::custom(format!("{s:?}: unit must be s, m, h or d"))),
        };
        n.checked_mul(mult).map(Period).ok_or_else(|| serde::de::Error::custom(format!("{s:?}: too large")))
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A point in time in a policy: a TOML datetime (`2027-01-31T00:00:00Z`) or an RFC 3339 string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(with = "String")]
pub struct PolicyTime(pub Timestamp);

impl<'de> Deserialize<'de> for PolicyTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Toml(toml::value::Datetime),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Toml(dt) => dt.to_string(),
        };
        Timestamp::parse_rfc3339(&text).map(PolicyTime).map_err(|e| {
            serde::de::Error::custom(format!("{e} (write a full date-time with zone, e.g. 2027-01-31T00:00:00Z)"))
        })
    }
}

impl Serialize for PolicyTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_rfc3339())
    }
}

/// A loaded policy with the SHA-256 of its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedPolicy {
    /// The policy.
    pub policy: Policy,
    /// SHA-256 of the file it was read from.
    pub sha256: String,
    /// Where it was read from, as the auditor named it (a path, a file name), if known.
    pub file: Option<String>,
}

impl LoadedPolicy {
    /// This policy, recorded as read from `file`.
    #[must_use]
    pub fn from_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }
}

impl Policy {
    /// Parse a policy from TOML, or JSON when the text starts with `{`. Errors name the key and,
    /// for TOML, the line and column.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_LEN {
            return Err(PolicyError::Parse(format!("policy is larger than {MAX_POLICY_LEN} bytes")));
        }
        let policy: Policy = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| PolicyError::Parse(format!("JSON policy: {e}")))?
        } else {
            toml::from_str(text).map_err(|e| PolicyError::Parse(format!("TOML policy: {e}")))?
        };
        policy.validate()?;
        Ok(policy)
    }

    /// Parse and record the source's SHA-256.
    pub fn load(bytes: &[u8]) -> Result<LoadedPolicy, PolicyError> {
        let text = std::str::from_utf8(bytes).map_err(|_| PolicyError::Parse("policy is not UTF-8".to_owned()))?;
        let policy = Policy::parse(text)?;
        let sha256 = crate::bytes::to_hex(ring::digest::digest(&ring::digest::SHA256, bytes));
        Ok(LoadedPolicy { policy, sha256, file: None })
    }

    /// Every TDX rule section with its dotted path: `[tdx]`, and `[gateway.tdx]` for the gateway
    /// layer. A new layer section is added here, and is then validated like the others.
    pub fn tdx_sections(&self) -> Vec<(&'static str, &TdxPolicy)> {
        let mut out = Vec::new();
        if let Some(t) = &self.tdx {
            out.push(("tdx", t));
        }
        if let Some(g) = &self.gateway {
            out.push(("gateway.tdx", &g.tdx));
        }
        out
    }

    /// Checks the schema cannot express (the same for a scan's policy load and `policy lint`).
    fn validate(&self) -> Result<(), PolicyError> {
        if self.schema != POLICY_SCHEMA {
            return Err(PolicyError::Invalid {
                path: "schema".to_owned(),
                reason: format!("unsupported schema {:?} (this teescan reads {POLICY_SCHEMA:?})", self.schema),
            });
        }
        if self.id.trim().is_empty() {
            return Err(PolicyError::Invalid { path: "id".to_owned(), reason: "must not be empty".to_owned() });
        }
        if self.tdx.is_none() && self.gpu.is_none() && self.snp.is_none() {
            return Err(PolicyError::Invalid {
                path: "tdx".to_owned(),
                reason: "the policy has no rules: add a [tdx], [gpu] or [snp] section (an empty policy would accept anything)".to_owned(),
            });
        }
        if self.keys.as_ref().is_some_and(|k| k.require_bound.is_empty()) {
            return Err(PolicyError::Invalid {
                path: "keys.require_bound".to_owned(),
                reason: "must not be empty: list the kinds of key that must be bound, or omit [keys]".to_owned(),
            });
        }
        if let Some(g) = &self.gpu {
            for w in &g.waive_measurements {
                if w.reason.trim().is_empty() {
                    return Err(PolicyError::Invalid {
                        path: format!("gpu.waive_measurements[index={}].reason", w.index),
                        reason: "a waiver needs a reason".to_owned(),
                    });
                }
            }
            if let Some(CountRule::Range { min: None, max: None }) = g.count {
                return Err(PolicyError::Invalid {
                    path: "gpu.count".to_owned(),
                    reason: "give min and/or max, or omit the rule".to_owned(),
                });
            }
        }
        for (path, section) in self.tdx_sections() {
            validate_tdx_section(path, section)?;
        }
        if let Some(snp) = &self.snp {
            // A [provenance] source providing snp_measurement pins the measurement.
            let measured = self.provenance.as_ref().is_some_and(|p| p.source.iter().any(|s| s.measurements.contains(&crate::provenance::eval::Register::SnpMeasurement)));
            snp.validate_measured(measured)?;
        }
        if let Some(p) = &self.provenance {
            p.validate().map_err(|(path, reason)| invalid(path, reason))?;
        }
        Ok(())
    }

    /// The JSON Schema of the policy format.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Policy)).unwrap_or_default()
    }
}

fn invalid(path: impl Into<String>, reason: impl Into<String>) -> PolicyError {
    PolicyError::Invalid { path: path.into(), reason: reason.into() }
}

/// The one validation of a TDX rule section (`[tdx]`, `[gateway.tdx]`, …), `path` its dotted
/// name: the section must hold a rule table; masks must compare something and cover their
/// value; a `report_data` scheme must be one teescan knows (names are case-sensitive).
fn validate_tdx_section(path: &str, section: &TdxPolicy) -> Result<(), PolicyError> {
    if section.tcb.is_none() && section.td.is_none() {
        return Err(invalid(
            path,
            format!(
                "the section has no rule: an empty section reads as a requirement but checks nothing; add [{path}.tcb] and/or [{path}.td], or remove it"
            ),
        ));
    }
    let Some(td) = &section.td else {
        return Ok(());
    };
    for (name, m) in [("td_attributes", td.td_attributes), ("xfam", td.xfam)] {
        let Some(m) = m else { continue };
        if m.mask == 0 {
            return Err(invalid(
                format!("{path}.td.{name}"),
                "mask is 0, which compares nothing; omit the rule to accept any value",
            ));
        }
        if m.value & !m.mask != 0 {
            return Err(invalid(
                format!("{path}.td.{name}"),
                format!("value 0x{:016x} has bits outside mask 0x{:016x}", m.value, m.mask),
            ));
        }
    }
    if let Some(ReportDataRule::Scheme(s)) = &td.report_data {
        use crate::provider::binding::Scheme;
        if s.trim().is_empty() {
            return Err(invalid(format!("{path}.td.report_data.scheme"), "must name a scheme"));
        }
        if Scheme::from_name(s).is_none() {
            let known = [Scheme::PaddedSigningAddress, Scheme::ChutesE2e, Scheme::SigningAddressTls, Scheme::TinfoilV3].map(Scheme::name);
            return Err(invalid(
                format!("{path}.td.report_data.scheme"),
                format!("unknown binding scheme {s:?} (known, case-sensitive: {})", known.join(", ")),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "schema = \"teescan.policy/v1\"\nid = \"t\"\nexpires = 2027-01-01T00:00:00Z\n[tdx.tcb]\n";

    #[test]
    fn minimal_policy_parses_with_toml_datetime_or_string() {
        let p = Policy::parse(MIN).unwrap();
        assert_eq!(p.expires.0.to_rfc3339(), "2027-01-01T00:00:00Z");
        let p2 = Policy::parse(&MIN.replace("2027-01-01T00:00:00Z", "\"2027-01-01T00:00:00Z\"")).unwrap();
        assert_eq!(p, p2);
    }

    #[test]
    fn misspelt_key_is_an_error_naming_key_and_line() {
        let e = Policy::parse(&format!("{MIN}[tdx.td]\nmr_tdd = {{ any_of = [] }}\n")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("mr_tdd") && msg.contains("line 6"), "{msg}");
    }

    #[test]
    fn empty_allowlist_is_an_error() {
        let e = Policy::parse(&format!("{MIN}allowed_status = {{ any_of = [] }}\n")).unwrap_err();
        assert!(e.to_string().contains("any_of must not be empty"), "{e}");
    }

    #[test]
    fn wrong_lengths_and_masks_are_errors() {
        let e = Policy::parse(&format!("{MIN}[tdx.td]\nmr_td = {{ any_of = [\"00\"] }}\n")).unwrap_err();
        assert!(e.to_string().contains("expected 48 bytes"), "{e}");
        let e = Policy::parse(&format!("{MIN}[tdx.td]\nxfam = {{ value = \"0x3\", mask = \"0x1\" }}\n")).unwrap_err();
        assert!(e.to_string().contains("outside mask"), "{e}");
        assert!(Policy::parse(&format!("{MIN}grace_period = \"3w\"\n")).is_err());
    }

    #[test]
    fn a_policy_without_rules_or_with_unknown_schema_is_rejected() {
        assert!(Policy::parse("schema = \"teescan.policy/v1\"\nid = \"t\"\nexpires = 2027-01-01T00:00:00Z\n").is_err());
        assert!(Policy::parse(&MIN.replace("v1", "v9")).is_err());
        assert!(Policy::parse(&format!("{MIN}[gpu]\ncountt = 8\n")).is_err());
        assert!(Policy::parse(&format!("{MIN}[gpu]\ncount = 8\n")).is_ok());
        assert!(Policy::parse(&format!("{MIN}[gpu]\ncount = {{ min = 1 }}\nocsp = \"waived\"\n")).is_ok());
        assert!(Policy::parse(&format!("{MIN}[gpu]\nocsp = \"skip\"\n")).is_err());
        assert!(Policy::parse(&format!("{MIN}[gpu]\nwaive_measurements = [{{ index = 9, reason = \" \" }}]\n")).is_err());
    }
}
