//! The `[snp]` policy section and its evaluation. Every rule becomes one check
//! `policy.snp.<rule>` with expected and actual values, evaluated only on a report whose
//! signature and chain verified (values come from signed bytes only). DEBUG and MIGRATE_MA are
//! denied unless the section allows them; a section without a rule is refused at load.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::report::{Report, TcbField, POLICY_SMT};
use crate::pki::amd::Product;
use crate::policy::{AnyOf, HexBytes, Masked, PolicyError, ReportDataRule};
use crate::report::Check;

/// Minimum SPL per TCB component (omitted components are not compared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MinTcb {
    /// Boot loader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bl: Option<u8>,
    /// PSP OS (TEE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tee: Option<u8>,
    /// SNP firmware.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snp: Option<u8>,
    /// Microcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ucode: Option<u8>,
    /// FMC (Turin only; a Milan/Genoa report fails a rule that names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fmc: Option<u8>,
}

/// `[snp]`: what an AMD SEV-SNP report must show.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnpPolicy {
    /// Launch measurements accepted (48 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<AnyOf<HexBytes<48>>>,
    /// HOST_DATA accepted (32 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_data: Option<AnyOf<HexBytes<32>>>,
    /// ID_KEY_DIGEST accepted (48 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_key_digest: Option<AnyOf<HexBytes<48>>>,
    /// AUTHOR_KEY_DIGEST accepted (48 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_key_digest: Option<AnyOf<HexBytes<48>>>,
    /// FAMILY_ID accepted (16 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<AnyOf<HexBytes<16>>>,
    /// IMAGE_ID accepted (16 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<AnyOf<HexBytes<16>>>,
    /// Products accepted (`Milan`, `Genoa`, `Turin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<AnyOf<String>>,
    /// Minimum REPORTED_TCB (the TCB the VCEK is issued for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tcb: Option<MinTcb>,
    /// Minimum COMMITTED_TCB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_committed_tcb: Option<MinTcb>,
    /// Minimum CURRENT_TCB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_current_tcb: Option<MinTcb>,
    /// Minimum GUEST_SVN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_guest_svn: Option<u32>,
    /// VMPLs accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmpl: Option<AnyOf<u32>>,
    /// Guest policy: `(actual & mask) == (value & mask)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Masked>,
    /// PLATFORM_INFO: `(actual & mask) == (value & mask)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_info: Option<Masked>,
    /// `false`: the guest policy must not allow SMT and the platform must have it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_smt: Option<bool>,
    /// Accept guest policy DEBUG. Default false.
    #[serde(default)]
    pub allow_debug: bool,
    /// Accept guest policy MIGRATE_MA. Default false.
    #[serde(default)]
    pub allow_migrate_ma: bool,
    /// Require an ARK-signed CRL (absent: indeterminate). Default false.
    #[serde(default)]
    pub require_crl: bool,
    /// What REPORT_DATA must be: exact bytes, or a binding scheme the format satisfies
    /// (`tinfoil-v3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_data: Option<ReportDataRule>,
}

impl SnpPolicy {
    /// Checks the schema cannot express.
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.validate_measured(false)
    }

    /// [`Self::validate`], where `provenance_measures`: a `[[provenance.source]]` of the policy
    /// provides `snp_measurement`, which pins the measurement as a `measurement` rule would.
    pub fn validate_measured(&self, provenance_measures: bool) -> Result<(), PolicyError> {
        let inv = |path: &str, reason: &str| PolicyError::Invalid { path: format!("snp.{path}"), reason: reason.to_owned() };
        let has_rule = self.measurement.is_some()
            || self.host_data.is_some()
            || self.id_key_digest.is_some()
            || self.author_key_digest.is_some()
            || self.family_id.is_some()
            || self.image_id.is_some()
            || self.min_tcb.is_some()
            || self.min_committed_tcb.is_some()
            || self.min_current_tcb.is_some()
            || self.min_guest_svn.is_some()
            || self.policy.is_some()
            || self.report_data.is_some()
            || provenance_measures;
        if !has_rule {
            return Err(PolicyError::Invalid {
                path: "snp".to_owned(),
                reason: "the section has no rule: an empty section reads as a requirement but checks nothing; pin at least `measurement` (or name a [[provenance.source]] providing `snp_measurement`)".to_owned(),
            });
        }
        for (name, m) in [("policy", self.policy), ("platform_info", self.platform_info)] {
            let Some(m) = m else { continue };
            if m.mask == 0 {
                return Err(inv(name, "mask is 0, which compares nothing; omit the rule to accept any value"));
            }
            if m.value & !m.mask != 0 {
                return Err(inv(name, "value has bits outside the mask"));
            }
        }
        if let Some(p) = &self.product {
            if p.any_of.iter().any(|n| !Product::ALL.iter().any(|x| x.name() == n)) {
                return Err(inv("product.any_of", "products are Milan, Genoa, Turin (case-sensitive)"));
            }
        }
        for (name, t) in [("min_tcb", self.min_tcb), ("min_committed_tcb", self.min_committed_tcb), ("min_current_tcb", self.min_current_tcb)] {
            if t.is_some_and(|t| t == MinTcb::default()) {
                return Err(inv(name, "names no component; give bl, tee, snp, ucode and/or fmc, or omit it"));
            }
        }
        if let Some(ReportDataRule::Scheme(s)) = &self.report_data {
            if s != crate::provider::binding::Scheme::TinfoilV3.name() {
                return Err(inv("report_data.scheme", "the SNP formats bind report_data with \"tinfoil-v3\" only"));
            }
        }
        Ok(())
    }
}

fn any_of<const N: usize>(id: &str, rule: &AnyOf<HexBytes<N>>, actual: &[u8; N]) -> Check {
    let items: Vec<String> = rule.any_of.iter().map(HexBytes::to_hex).collect();
    Check::from_bool(id, id, rule.any_of.iter().any(|v| &v.0 == actual), "value not in the allowlist")
        .expected(format!("any of [{}]", items.join(", ")))
        .actual(crate::bytes::to_hex(actual))
}

fn masked(id: &str, rule: &Masked, actual: u64) -> Check {
    Check::from_bool(id, id, actual & rule.mask == rule.value & rule.mask, format!("bits differ under the mask: {:#x}", (actual ^ rule.value) & rule.mask))
        .expected(format!("{:#018x} under mask {:#018x}", rule.value, rule.mask))
        .actual(format!("{actual:#018x}"))
}

fn min_tcb(id: &str, rule: &MinTcb, r: &Report, field: TcbField, product: Product) -> Check {
    let t = r.tcb(field, product);
    let mut low = Vec::new();
    let mut exp = Vec::new();
    for (name, want, got) in [("bl", rule.bl, Some(t.bl)), ("tee", rule.tee, Some(t.tee)), ("snp", rule.snp, Some(t.snp)), ("ucode", rule.ucode, Some(t.ucode)), ("fmc", rule.fmc, t.fmc)] {
        let Some(w) = want else { continue };
        exp.push(format!("{name}>={w}"));
        match got {
            Some(g) if g >= w => {}
            Some(g) => low.push(format!("{name}={g}<{w}")),
            None => low.push(format!("{name}: the report has no {name} component")),
        }
    }
    Check::from_bool(id, id, low.is_empty(), format!("below the minimum: {}", low.join(", "))).expected(exp.join(" ")).actual(t.to_string())
}

/// Evaluate `[snp]` on a verified report. `binding`: whether the format's REPORT_DATA binding
/// holds (`None`: the format has none).
pub fn evaluate(p: &SnpPolicy, r: &Report, product: Option<Product>, binding: Option<bool>) -> Vec<Check> {
    let mut out = Vec::new();
    let prod = product.unwrap_or(Product::Milan);
    if let Some(rule) = &p.measurement {
        out.push(any_of("policy.snp.measurement", rule, &r.measurement));
    }
    if let Some(rule) = &p.host_data {
        out.push(any_of("policy.snp.host_data", rule, &r.host_data));
    }
    if let Some(rule) = &p.id_key_digest {
        out.push(any_of("policy.snp.id_key_digest", rule, &r.id_key_digest));
    }
    if let Some(rule) = &p.author_key_digest {
        out.push(any_of("policy.snp.author_key_digest", rule, &r.author_key_digest));
    }
    if let Some(rule) = &p.family_id {
        out.push(any_of("policy.snp.family_id", rule, &r.family_id));
    }
    if let Some(rule) = &p.image_id {
        out.push(any_of("policy.snp.image_id", rule, &r.image_id));
    }
    if let Some(rule) = &p.product {
        let got = product.map(Product::name).unwrap_or("unknown");
        out.push(Check::from_bool("policy.snp.product", "policy.snp.product", rule.any_of.iter().any(|n| n == got), "product not accepted").expected(format!("any of [{}]", rule.any_of.join(", "))).actual(got));
    }
    for (id, rule, field) in [("policy.snp.min_tcb", p.min_tcb, TcbField::Reported), ("policy.snp.min_committed_tcb", p.min_committed_tcb, TcbField::Committed), ("policy.snp.min_current_tcb", p.min_current_tcb, TcbField::Current)] {
        if let Some(rule) = rule {
            out.push(min_tcb(id, &rule, r, field, prod));
        }
    }
    if let Some(min) = p.min_guest_svn {
        out.push(Check::from_bool("policy.snp.min_guest_svn", "policy.snp.min_guest_svn", r.guest_svn >= min, "GUEST_SVN below the minimum").expected(format!(">= {min}")).actual(r.guest_svn.to_string()));
    }
    if let Some(rule) = &p.vmpl {
        let items: Vec<String> = rule.any_of.iter().map(ToString::to_string).collect();
        out.push(Check::from_bool("policy.snp.vmpl", "policy.snp.vmpl", rule.any_of.contains(&r.vmpl), "VMPL not accepted").expected(format!("any of [{}]", items.join(", "))).actual(r.vmpl.to_string()));
    }
    if let Some(rule) = &p.policy {
        out.push(masked("policy.snp.policy", rule, r.policy));
    }
    if let Some(rule) = &p.platform_info {
        out.push(masked("policy.snp.platform_info", rule, r.platform_info));
    }
    if p.allow_smt == Some(false) {
        let on = r.policy & POLICY_SMT != 0 || r.platform_info & 1 != 0;
        out.push(Check::from_bool("policy.snp.allow_smt", "policy.snp.allow_smt", !on, "SMT is allowed by the guest policy or enabled on the platform").expected("SMT off").actual(format!("policy {:#x}, platform_info {:#x}", r.policy, r.platform_info)));
    }
    match &p.report_data {
        None => {}
        Some(ReportDataRule::Exact(want)) => out.push(
            Check::from_bool("policy.snp.report_data", "policy.snp.report_data", want.0 == r.report_data, "REPORT_DATA differs").expected(want.to_hex()).actual(crate::bytes::to_hex(r.report_data)),
        ),
        Some(ReportDataRule::Scheme(s)) => out.push(match binding {
            Some(ok) => Check::from_bool("policy.snp.report_data", "policy.snp.report_data", ok, "the format's REPORT_DATA binding does not hold").expected(format!("scheme {s}")),
            None => Check::fail("policy.snp.report_data", "policy.snp.report_data", format!("the policy requires the {s} binding; this input carries no binding inputs")).expected(format!("scheme {s}")),
        }),
    }
    out
}
