//! Evaluate a [`Policy`] against verified TDX evidence. Every rule becomes one check with id
//! `policy.<path of the rule>`, the rule's expected value and the evidence's actual value. A rule
//! whose field the evidence lacks fails; it never passes.

use super::{AnyOf, HexBytes, Masked, Policy, ReportDataRule, TcbStatusName};
use crate::report::{Check, CollateralUsed, Status};
use crate::tdx::TdxVerification;
use crate::time::Timestamp;

/// The TD options a policy implies for the evidence checks (`tdx.td.debug`, `tdx.td.service_td`).
pub fn tdx_options(policy: &Policy) -> crate::tdx::TdxOptions {
    let td = policy.tdx.as_ref().and_then(|t| t.td.as_ref());
    crate::tdx::TdxOptions {
        allow_debug: td.is_some_and(|t| t.allow_debug),
        allow_service_td: td.is_some_and(|t| t.allow_service_td),
        tcb_status_by_policy: true,
    }
}

fn list<T: std::fmt::Display>(a: &AnyOf<T>) -> String {
    let items: Vec<String> = a.any_of.iter().map(ToString::to_string).collect();
    format!("any of [{}]", items.join(", "))
}

fn any_of_check<const N: usize>(id: &str, title: &str, rule: &AnyOf<HexBytes<N>>, actual: Option<&[u8; N]>) -> Check {
    let expected = list(rule);
    match actual {
        None => Check::fail(id, title, "the evidence does not carry this field").expected(expected),
        Some(a) => Check::from_bool(id, title, rule.any_of.iter().any(|v| &v.0 == a), "value not in the allowlist")
            .expected(expected)
            .actual(crate::bytes::to_hex(a)),
    }
}

fn masked_check(id: &str, title: &str, rule: &Masked, actual: u64) -> Check {
    let ok = actual & rule.mask == rule.value & rule.mask;
    Check::from_bool(id, title, ok, format!("bits differ under the mask: 0x{:016x}", (actual ^ rule.value) & rule.mask))
        .expected(format!("0x{:016x} under mask 0x{:016x}", rule.value, rule.mask))
        .actual(format!("0x{actual:016x}"))
}

fn parse_date(s: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(s).ok()
}

/// `policy.expires`: an expired policy makes the scan indeterminate, never a pass.
pub fn expiry_check(policy: &Policy, at: Timestamp) -> Check {
    let expires = policy.expires.0;
    if at > expires {
        Check::new("policy.expires", "Policy is within its review date", Status::Indeterminate)
            .reason(format!("policy {:?} expired on {expires}; review it and set a new `expires`", policy.id))
            .expected(format!("verification time ≤ {expires}"))
            .actual(at.to_rfc3339())
    } else {
        Check::pass("policy.expires", "Policy is within its review date")
            .expected(format!("verification time ≤ {expires}"))
            .actual(format!("expires {expires} ({} left)", time_left(expires.unix().saturating_sub(at.unix()))))
    }
}

/// A duration in whole days, or hours and minutes under a day.
fn time_left(secs: u64) -> String {
    let days = secs / 86_400;
    match days {
        0 => format!("{}h {}m", secs / 3600, (secs % 3600) / 60),
        1 => "1 day".to_owned(),
        d => format!("{d} days"),
    }
}

/// The GPU options a policy implies (RIM/OCSP/NRAS requirements, NRAS anchor pins added to the
/// compiled one, waivers).
pub fn gpu_options(policy: &Policy) -> crate::nvidia::verify::GpuOptions {
    use super::Requirement;
    let mut o = crate::nvidia::verify::GpuOptions::default();
    if let Some(g) = &policy.gpu {
        o.require_rims = g.rim == Requirement::Required;
        o.require_ocsp = g.ocsp == Requirement::Required;
        o.require_nras = g.nras == Requirement::Required;
        o.nras_anchors = crate::nvidia::nras::NrasAnchors::compiled().with_extra(g.nras_anchor_spki_sha256.iter().map(|h| h.0));
        o.waived_indices = g.waive_measurements.iter().map(|w| (w.index, w.reason.clone())).collect();
    }
    o
}

/// Evaluate the `[gpu]` rules against a GPU verification's claims.
pub fn evaluate_gpu(policy: &Policy, v: &crate::nvidia::verify::GpuVerification) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(g) = &policy.gpu else { return out };
    // GPUs whose chain validated (an NVSwitch or an unparsed report is not a GPU).
    let gpus: Vec<&crate::nvidia::claims::ReportClaims> = v
        .claims
        .devices
        .iter()
        .filter_map(|d| d.report.as_ref())
        .filter(|r| matches!(r.kind, Some(crate::nvidia::chain::DeviceKind::Gpu(_))))
        .collect();
    let n = u32::try_from(gpus.len()).unwrap_or(u32::MAX);
    let count = g.count.unwrap_or(super::CountRule::Range { min: Some(1), max: None });
    out.push(
        Check::from_bool("policy.gpu.count", "Number of verified GPUs", count.allows(n), format!("{n} GPUs, policy wants {count}"))
            .expected(count.to_string())
            .actual(n.to_string()),
    );
    type Field = fn(&crate::nvidia::claims::ReportClaims) -> Option<String>;
    let fields: [(&str, &Option<super::AnyOf<String>>, Field); 3] = [
        ("arch", &g.arch, |r| r.kind.map(|k| k.arch().to_owned())),
        ("driver_version", &g.driver_version, |r| r.driver_version.clone()),
        ("vbios_version", &g.vbios_version, |r| r.vbios_version.clone()),
    ];
    for (key, rule, field) in fields {
        let Some(rule) = rule else { continue };
        let values: Vec<Option<String>> = gpus.iter().map(|r| field(r)).collect();
        let bad: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.as_ref().is_some_and(|v| rule.any_of.contains(v)))
            .map(|(i, v)| format!("gpu {i}: {}", v.clone().unwrap_or_else(|| "absent".to_owned())))
            .collect();
        let ok = bad.is_empty() && !values.is_empty();
        out.push(
            Check::from_bool(&format!("policy.gpu.{key}"), &format!("GPU {key} is allowed (from the signed reports)"), ok, if values.is_empty() { "no verified GPU to compare".to_owned() } else { bad.join("; ") })
                .expected(list(rule))
                .actual(values.iter().map(|v| v.clone().unwrap_or_else(|| "absent".to_owned())).collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ")),
        );
    }
    out
}

/// Evaluate `policy` at time `at` against a TDX verification and the collateral it used.
pub fn evaluate_tdx(policy: &Policy, v: &TdxVerification, collateral: &[CollateralUsed], at: Timestamp) -> Vec<Check> {
    evaluate_tdx_with_binding(policy, v, collateral, at, None)
}

/// The report_data binding a provider report established for a quote: its scheme and whether
/// the verified REPORTDATA satisfied it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindingOutcome {
    /// The scheme the provider format declares.
    pub scheme: crate::provider::binding::Scheme,
    /// Whether the quote's REPORTDATA satisfies it.
    pub holds: bool,
}

/// [`evaluate_tdx`] with the binding outcome of a provider report (for `report_data = { scheme }`).
pub fn evaluate_tdx_with_binding(
    policy: &Policy,
    v: &TdxVerification,
    collateral: &[CollateralUsed],
    at: Timestamp,
    binding: Option<BindingOutcome>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let tdx = policy.tdx.clone().unwrap_or_default();
    let tcb_rules = tdx.tcb.clone().unwrap_or_default();
    let tcb = v.claims.tcb.as_ref();
    out.push(tcb_status_check(&tcb_rules, tcb, at));
    advisory_checks(&mut out, &tcb_rules, tcb);
    if let Some(max) = tcb_rules.max_collateral_age {
        out.push(collateral_age_check(max, collateral, at));
    }
    platform_checks(&mut out, &tcb_rules, v);
    let Some(td) = tdx.td.as_ref() else { return out };
    let r = &v.quote.report;
    td_value_checks(&mut out, td, r);
    td_pin_checks(&mut out, td, r);
    if let Some(c) = report_data_check(td, r, binding) {
        out.push(c);
    }
    out
}

const NO_TCB: &str = "the evidence lacks a TCB appraisal: DCAP verification did not complete";

/// `policy.tdx.tcb.allowed_status` (default: UpToDate only), with its grace period.
fn tcb_status_check(tcb_rules: &super::TcbPolicy, tcb: Option<&crate::tdx::claims::TcbClaims>, at: Timestamp) -> Check {
    let allowed: Vec<TcbStatusName> =
        tcb_rules.allowed_status.as_ref().map_or_else(|| vec![TcbStatusName::UpToDate], |a| a.any_of.clone());
    let allowed_text = format!("any of [{}]", allowed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
    let status_title = "TCB status is allowed";
    let Some(t) = tcb else {
        return Check::fail("policy.tdx.tcb.allowed_status", status_title, NO_TCB).expected(allowed_text);
    };
    let ok = allowed.iter().any(|s| s.as_str() == t.status);
    let c = Check::from_bool(
        "policy.tdx.tcb.allowed_status",
        status_title,
        ok,
        format!("TCB status {} is not allowed by the policy", t.status),
    )
    .expected(allowed_text)
    .actual(t.status.clone());
    if !ok || t.status == "UpToDate" {
        return c;
    }
    let Some(grace) = tcb_rules.grace_period else { return c };
    let date = parse_date(&t.platform_tcb_date);
    let deadline = date.map(|d| Timestamp::from_unix(d.unix().saturating_add(grace.secs())));
    match deadline {
        Some(dl) if at <= dl => c.reason(format!("{} tolerated until {dl} (grace {grace})", t.status)),
        Some(dl) => Check::fail(
            "policy.tdx.tcb.allowed_status",
            status_title,
            format!("{} past its grace period: TCB level dated {}, grace {grace} ended {dl}", t.status, t.platform_tcb_date),
        )
        .actual(t.status.clone()),
        None => Check::fail("policy.tdx.tcb.allowed_status", status_title, "TCB level date unreadable"),
    }
}

/// `deny_advisories`, `allow_advisories`, `min_tcb_evaluation_data_number`.
fn advisory_checks(out: &mut Vec<Check>, tcb_rules: &super::TcbPolicy, tcb: Option<&crate::tdx::claims::TcbClaims>) {
    if let Some(deny) = &tcb_rules.deny_advisories {
        let title = "No denied advisory applies";
        out.push(match tcb {
            None => Check::fail("policy.tdx.tcb.deny_advisories", title, NO_TCB),
            Some(t) => {
                let hit: Vec<&String> = t.advisory_ids.iter().filter(|a| deny.any_of.contains(a)).collect();
                Check::from_bool("policy.tdx.tcb.deny_advisories", title, hit.is_empty(), format!("denied advisories apply: {hit:?}"))
                    .expected(format!("none of [{}]", deny.any_of.join(", ")))
                    .actual(format!("[{}]", t.advisory_ids.join(", ")))
            }
        });
    }
    if let Some(allow) = &tcb_rules.allow_advisories {
        let title = "Every applicable advisory is allowed";
        out.push(match tcb {
            None => Check::fail("policy.tdx.tcb.allow_advisories", title, NO_TCB),
            Some(t) => {
                let extra: Vec<&String> = t.advisory_ids.iter().filter(|a| !allow.any_of.contains(a)).collect();
                Check::from_bool("policy.tdx.tcb.allow_advisories", title, extra.is_empty(), format!("advisories not allowed: {extra:?}"))
                    .expected(list(allow))
                    .actual(format!("[{}]", t.advisory_ids.join(", ")))
            }
        });
    }
    if let Some(min) = tcb_rules.min_tcb_evaluation_data_number {
        let title = "Collateral tcbEvaluationDataNumber is recent enough";
        out.push(match tcb {
            None => Check::fail("policy.tdx.tcb.min_tcb_evaluation_data_number", title, NO_TCB),
            Some(t) => Check::from_bool(
                "policy.tdx.tcb.min_tcb_evaluation_data_number",
                title,
                t.tcb_evaluation_data_number >= min,
                "collateral predates the required TCB evaluation",
            )
            .expected(format!("≥ {min}"))
            .actual(t.tcb_evaluation_data_number.to_string()),
        });
    }
}

/// `policy.tdx.tcb.max_collateral_age`: TCB Info, QE Identity and PCK CRL issued recently enough.
fn collateral_age_check(max: super::Period, collateral: &[CollateralUsed], at: Timestamp) -> Check {
    let title = "Collateral is fresh (TCB Info, QE Identity, PCK CRL)";
    let mut ages = Vec::new();
    let mut missing = Vec::new();
    for kind in ["tcb_info", "qe_identity", "pck_crl"] {
        match collateral.iter().find(|c| c.kind == kind).and_then(|c| c.issued.as_deref()).and_then(parse_date) {
            Some(d) => ages.push((kind, d, at.unix().saturating_sub(d.unix()))),
            None => missing.push(kind),
        }
    }
    let stale: Vec<String> = ages
        .iter()
        .filter(|(_, _, age)| *age > max.secs())
        .map(|(k, d, _)| format!("{k} issued {d}"))
        .collect();
    let actual = ages.iter().map(|(k, d, _)| format!("{k} {d}")).collect::<Vec<_>>().join(", ");
    if !missing.is_empty() {
        Check::fail("policy.tdx.tcb.max_collateral_age", title, format!("issue date unknown for {missing:?}"))
    } else {
        Check::from_bool("policy.tdx.tcb.max_collateral_age", title, stale.is_empty(), format!("older than {max}: {}", stale.join("; ")))
            .expected(format!("issued within {max} before {at}"))
            .actual(actual)
    }
}

/// `policy.tdx.tcb.fmspc` and `policy.tdx.tcb.qe_vendor_id`.
fn platform_checks(out: &mut Vec<Check>, tcb_rules: &super::TcbPolicy, v: &TdxVerification) {
    if let Some(fmspc) = &tcb_rules.fmspc {
        // From the DCAP appraisal; failing that, from the PCK leaf once its chain verified (the
        // FMSPC is part of the Intel-signed certificate, not of the TCB evaluation).
        let pck_verified = v.checks.iter().any(|c| c.id == "tdx.pck.chain" && c.status == Status::Pass);
        let actual = v
            .claims
            .tcb
            .as_ref()
            .and_then(|t| hex::decode(&t.fmspc).ok())
            .and_then(|b| <[u8; 6]>::try_from(b).ok())
            .or_else(|| pck_verified.then(|| v.quote.pck_hint().ok().map(|h| h.fmspc)).flatten());
        out.push(any_of_check("policy.tdx.tcb.fmspc", "Platform FMSPC is allowed", fmspc, actual.as_ref()));
    }
    if let Some(vendors) = &tcb_rules.qe_vendor_id {
        out.push(any_of_check(
            "policy.tdx.tcb.qe_vendor_id",
            "QE vendor ID is allowed",
            vendors,
            Some(&v.quote.header.qe_vendor_id),
        ));
    }
}

/// `td_attributes`, `xfam`, `min_tee_tcb_svn`.
fn td_value_checks(out: &mut Vec<Check>, td: &super::TdPolicy, r: &crate::tdx::quote::TdReport) {
    if let Some(m) = &td.td_attributes {
        out.push(masked_check("policy.tdx.td.td_attributes", "TD attributes match", m, r.td_attributes.0));
    }
    if let Some(m) = &td.xfam {
        out.push(masked_check("policy.tdx.td.xfam", "XFAM matches", m, u64::from_le_bytes(r.xfam)));
    }
    if let Some(min) = &td.min_tee_tcb_svn {
        let low: Vec<usize> = (0..16).filter(|i| r.tee_tcb_svn.get(*i) < min.0.get(*i)).collect();
        out.push(
            Check::from_bool(
                "policy.tdx.td.min_tee_tcb_svn",
                "TEE_TCB_SVN meets the minimum, component by component",
                low.is_empty(),
                format!("components below the minimum: {low:?}"),
            )
            .expected(format!("≥ {min}"))
            .actual(crate::bytes::to_hex(r.tee_tcb_svn)),
        );
    }
}

/// The measurement pins (MRSEAM … MRSERVICETD) and `seam_attributes`.
fn td_pin_checks(out: &mut Vec<Check>, td: &super::TdPolicy, r: &crate::tdx::quote::TdReport) {
    type Pin<'a> = (&'a str, &'a str, &'a Option<AnyOf<HexBytes<48>>>, Option<&'a [u8; 48]>);
    let pins: [Pin<'_>; 11] = [
        ("policy.tdx.td.mr_seam", "MRSEAM (TDX module) is allowed", &td.mr_seam, Some(&r.mr_seam)),
        ("policy.tdx.td.mr_signer_seam", "MRSIGNERSEAM is allowed", &td.mr_signer_seam, Some(&r.mr_signer_seam)),
        ("policy.tdx.td.mr_td", "MRTD (TD firmware) is allowed", &td.mr_td, Some(&r.mr_td)),
        ("policy.tdx.td.rtmr0", "RTMR0 is allowed", &td.rtmr0, r.rtmr.first()),
        ("policy.tdx.td.rtmr1", "RTMR1 is allowed", &td.rtmr1, r.rtmr.get(1)),
        ("policy.tdx.td.rtmr2", "RTMR2 is allowed", &td.rtmr2, r.rtmr.get(2)),
        ("policy.tdx.td.rtmr3", "RTMR3 is allowed", &td.rtmr3, r.rtmr.get(3)),
        ("policy.tdx.td.mr_config_id", "MRCONFIGID is allowed", &td.mr_config_id, Some(&r.mr_config_id)),
        ("policy.tdx.td.mr_owner", "MROWNER is allowed", &td.mr_owner, Some(&r.mr_owner)),
        ("policy.tdx.td.mr_owner_config", "MROWNERCONFIG is allowed", &td.mr_owner_config, Some(&r.mr_owner_config)),
        ("policy.tdx.td.mr_service_td", "MRSERVICETD is allowed", &td.mr_service_td, r.mr_service_td.as_ref()),
    ];
    for (id, title, rule, actual) in pins {
        if let Some(rule) = rule {
            out.push(any_of_check(id, title, rule, actual));
        }
    }
    if let Some(rule) = &td.seam_attributes {
        out.push(any_of_check("policy.tdx.td.seam_attributes", "SEAM attributes are allowed", rule, Some(&r.seam_attributes)));
    }
}

/// `policy.tdx.td.report_data`: an exact value, or a binding scheme the provider report satisfied.
fn report_data_check(td: &super::TdPolicy, r: &crate::tdx::quote::TdReport, binding: Option<BindingOutcome>) -> Option<Check> {
    let s = match td.report_data.as_ref()? {
        ReportDataRule::Exact(want) => {
            return Some(
                Check::from_bool("policy.tdx.td.report_data", "REPORTDATA equals the expected value", want.0 == r.report_data, "REPORTDATA differs")
                    .expected(want.to_hex())
                    .actual(crate::bytes::to_hex(r.report_data)),
            )
        }
        ReportDataRule::Scheme(s) => s,
    };
    let title = "REPORTDATA follows the binding scheme";
    let want = crate::provider::binding::Scheme::from_name(s);
    Some(match (want, binding) {
        (None, _) => Check::fail("policy.tdx.td.report_data", title, format!("unknown binding scheme {s:?}")),
        (_, None) => Check::fail(
            "policy.tdx.td.report_data",
            title,
            format!("binding scheme {s:?} needs the provider's report (signing key, TLS key, nonce); a bare quote cannot satisfy it"),
        )
        .actual(crate::bytes::to_hex(r.report_data)),
        (Some(w), Some(b)) => {
            // A weaker scheme never satisfies a stronger requirement (e.g. a padded
            // address when TLS binding is required); a TLS-binding scheme must bind TLS.
            let strong_enough = b.scheme >= w && (!w.binds_tls() || b.scheme.binds_tls());
            let ok = b.holds && strong_enough;
            let reason = if !strong_enough {
                format!("the report uses scheme {}, weaker than the required {}", b.scheme.name(), w.name())
            } else {
                format!("REPORTDATA does not satisfy scheme {}", b.scheme.name())
            };
            Check::from_bool("policy.tdx.td.report_data", title, ok, reason)
                .expected(format!("scheme {} (or stronger)", w.name()))
                .actual(format!("scheme {}, {}", b.scheme.name(), if b.holds { "holds" } else { "does not hold" }))
        }
    })
}

/// One client-facing key of a layer as the keys scan found it (`keys` claims).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBinding {
    /// Which key.
    pub kind: super::KeyKind,
    /// Whether the layer's verified quote binds it.
    pub bound: bool,
    /// How it is bound, or why not.
    pub how: String,
}

/// `[keys] require_bound`: one check `policy.keys.<kind>` per required kind, passing only when
/// the layer states that key and it is bound.
pub fn evaluate_keys(policy: &Policy, keys: &[KeyBinding]) -> Vec<Check> {
    let Some(k) = &policy.keys else { return Vec::new() };
    let mut kinds = k.require_bound.clone();
    kinds.sort();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| {
            let id = format!("policy.keys.{}", kind.as_str());
            let title = format!("The {} key clients use is bound to the verified quote", kind.as_str());
            match keys.iter().find(|b| b.kind == kind) {
                None => Check::fail(&id, &title, format!("this layer states no {} key", kind.as_str())).expected("bound").actual("absent"),
                Some(b) if b.bound => Check::pass(&id, &title).expected("bound").actual("bound").reason(b.how.clone()),
                Some(b) => Check::fail(&id, &title, format!("not bound: {}", b.how)).expected("bound").actual("not bound"),
            }
        })
        .collect()
}
