//! Human-readable rendering of a [`Report`]: what judged the evidence (policy id, file and
//! SHA-256), one line per check, the key claims, the trust anchors and collateral used,
//! warnings, and the verdict last. Identical passes of a per-device check are folded into one
//! line (`8/8 GPUs`) unless [`Options::verbose`]; failures are always expanded. Informational
//! checks that were not evaluated are counted, separately for those a policy rule waived (named)
//! and those whose evidence was not supplied or does not apply. Colour only when asked (the CLI
//! asks on a terminal without `NO_COLOR`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Report, Status, Verdict};
use crate::nvidia::chain::DeviceKind;
use crate::nvidia::claims::{GpuClaims, ReportClaims};

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn status(&self, s: Status) -> String {
        match s {
            Status::Pass => self.paint("32", "pass"),
            Status::Fail => self.paint("1;31", "FAIL"),
            Status::Skipped => self.paint("33", "skip"),
            Status::Indeterminate => self.paint("33", "????"),
        }
    }
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let head: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// ANSI colours.
    pub color: bool,
    /// Every check on its own line: no folding of per-device passes, informational skips listed.
    pub verbose: bool,
}

/// The strings of the array `v[key]` (none when it is absent or not an array).
fn strings(v: &serde_json::Value, key: &str) -> Vec<String> {
    v.get(key).and_then(|a| a.as_array()).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// `node.gpu[3].report.parse` → (`node.gpu`, `.report.parse`): a per-device check.
fn per_device(id: &str) -> Option<(&str, &str)> {
    let open = id.find("gpu[")?.checked_add(3)?;
    let close = open.checked_add(id.get(open..)?.find(']')?)?;
    let index = id.get(open.checked_add(1)?..close)?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((id.get(..open)?, id.get(close.checked_add(1)?..)?))
}

/// Per folded group (prefix, suffix): how many devices, how many passed, the passes' actuals.
type Groups<'a> = BTreeMap<(&'a str, &'a str), (usize, usize, Vec<Option<&'a str>>)>;

/// The folded group `c` belongs to: a passing per-device check of a group of more than one.
#[allow(clippy::type_complexity)]
fn fold_of<'a, 'g>(folds: &'g Groups<'a>, c: &'a super::Check) -> Option<((&'a str, &'a str), &'g (usize, usize, Vec<Option<&'a str>>))> {
    let k = per_device(&c.id)?;
    folds.get(&k).filter(|g| g.0 > 1 && c.status == Status::Pass).map(|g| (k, g))
}

fn groups(report: &Report) -> Groups<'_> {
    let mut g: Groups<'_> = BTreeMap::new();
    for c in &report.checks {
        if let Some(key) = per_device(&c.id) {
            let e = g.entry(key).or_default();
            e.0 = e.0.saturating_add(1);
            if c.status == Status::Pass {
                e.1 = e.1.saturating_add(1);
                e.2.push(c.actual.as_deref());
            }
        }
    }
    g
}

/// Render the report as a table. `color` adds ANSI colours.
pub fn render(report: &Report, color: bool) -> String {
    render_with(report, Options { color, verbose: false })
}

/// Render the report as a table with `options`.
pub fn render_with(report: &Report, options: Options) -> String {
    let st = Style { color: options.color };
    let mut out = String::new();
    let digest = match report.input.sha256.as_str() {
        "" => "(no evidence received)".to_owned(),
        d => format!("sha256:{}", short(d, 16)),
    };
    let _ = writeln!(out, "{} — {} {digest}", report.tool, report.input.format);
    if let Some(src) = &report.input.source {
        let _ = writeln!(out, "input: {src}");
    }
    let _ = writeln!(out, "verified as of {}", report.verified_at);
    let p = &report.policy;
    if p.applied {
        let _ = writeln!(
            out,
            "policy: {} ({}) sha256:{}",
            p.id.as_deref().unwrap_or("-"),
            p.file.as_deref().unwrap_or("file not named"),
            p.sha256.as_deref().unwrap_or("-")
        );
    } else {
        let _ = writeln!(out, "policy: none (authenticity and TCB appraisal only; no measurement policy)");
    }
    let _ = writeln!(out);
    let folds = if options.verbose { Groups::new() } else { groups(report) };
    let shown_id = |c: &super::Check| match fold_of(&folds, c) {
        Some(((pre, suf), _)) => format!("{pre}[*]{suf}"),
        None => c.id.clone(),
    };
    let width = report.checks.iter().map(|c| shown_id(c).chars().count()).max().unwrap_or(0);
    let mut skipped = 0usize;
    let mut not_evaluated = 0usize;
    let mut waived: BTreeMap<&str, usize> = BTreeMap::new();
    let mut printed_folds: std::collections::BTreeSet<(&str, &str)> = std::collections::BTreeSet::new();
    for c in &report.checks {
        if c.status == Status::Skipped && !c.required && !options.verbose {
            match c.waived_by.as_deref() {
                Some(rule) => *waived.entry(rule).or_default() = waived.get(rule).copied().unwrap_or(0).saturating_add(1),
                None => not_evaluated = not_evaluated.saturating_add(1),
            }
            continue;
        }
        if let Some((key, (total, passed, actuals))) = fold_of(&folds, c) {
            if printed_folds.insert(key) {
                let same = actuals.first().copied().flatten().filter(|a| actuals.iter().all(|x| x == &Some(*a)));
                let detail = match same {
                    Some(a) => format!("{passed}/{total} GPUs: {}", short(a, 70)),
                    None => format!("{passed}/{total} GPUs"),
                };
                let line = format!("  {} {:w$}  {detail}", st.status(Status::Pass), shown_id(c), w = width);
                let _ = writeln!(out, "{}", line.trim_end());
            }
            continue;
        }
        if c.status == Status::Skipped && report.verdict == Verdict::Fail {
            skipped = skipped.saturating_add(1);
            continue;
        }
        let mut detail = String::new();
        match c.status {
            Status::Pass => {
                if let Some(a) = &c.actual {
                    detail = short(a, 80);
                }
            }
            _ => {
                if let Some(r) = &c.reason {
                    detail = short(r, 160);
                }
                if let Some(e) = &c.expected {
                    let _ = write!(
                        detail,
                        "\n{:w$}expected: {}",
                        "",
                        short(e, 140),
                        w = width.saturating_add(9)
                    );
                }
                if let Some(a) = &c.actual {
                    let _ = write!(
                        detail,
                        "\n{:w$}actual:   {}",
                        "",
                        short(a, 140),
                        w = width.saturating_add(9)
                    );
                }
            }
        }
        let opt = match (&c.waived_by, c.required) {
            (Some(rule), _) => format!(" (info: waived by the policy, {rule})"),
            (None, false) => " (info)".to_owned(),
            (None, true) => String::new(),
        };
        let line = format!("  {} {:w$}  {}{opt}", st.status(c.status), c.id, detail, w = width);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if !waived.is_empty() {
        let n: usize = waived.values().sum();
        let rules: Vec<String> = waived.iter().map(|(rule, k)| format!("{k} by {rule}")).collect();
        let _ = writeln!(out, "  ({n} checks waived by the policy, not evaluated: {}; -v lists them)", rules.join(", "));
    }
    if not_evaluated > 0 {
        let _ = writeln!(out, "  ({not_evaluated} informational checks not evaluated: their evidence was not supplied or does not apply; -v lists them)");
    }
    if skipped > 0 {
        let _ = writeln!(
            out,
            "  ({skipped} later checks not evaluated after the failure; see --format json)"
        );
    }
    if let Some(tdx) = report.claims.get("tdx") {
        let _ = writeln!(
            out,
            "\nClaims (from the signed quote{})",
            if report.verdict == Verdict::Pass {
                ""
            } else {
                "; NOT trustworthy: the scan did not pass"
            }
        );
        let g = |v: &serde_json::Value, k: &str| {
            v.get(k).and_then(|x| x.as_str()).unwrap_or("-").to_owned()
        };
        if let Some(tcb) = tdx.get("tcb") {
            let adv = strings(tcb, "advisory_ids");
            let _ = writeln!(
                out,
                "  TCB status      {}{}",
                g(tcb, "status"),
                if adv.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", adv.join(", "))
                }
            );
            let _ = writeln!(
                out,
                "  FMSPC           {}   TCB eval #{}",
                g(tcb, "fmspc"),
                tcb.get("tcb_evaluation_data_number")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0)
            );
        }
        if let Some(td) = tdx.get("td") {
            let attrs = strings(td, "td_attributes_set");
            let _ = writeln!(
                out,
                "  TD attributes   {} [{}]   XFAM {}",
                g(td, "td_attributes"),
                attrs.join("|"),
                g(td, "xfam")
            );
            for (label, key) in [
                ("MRSEAM", "mr_seam"),
                ("MRTD", "mr_td"),
                ("MRCONFIGID", "mr_config_id"),
            ] {
                let _ = writeln!(out, "  {label:<15} {}", g(td, key));
            }
            if let Some(r) = td.get("rtmr").and_then(|r| r.as_array()) {
                for (i, v) in r.iter().enumerate() {
                    let _ = writeln!(out, "  RTMR{i}           {}", v.as_str().unwrap_or("-"));
                }
            }
            let _ = writeln!(out, "  report_data     {}", g(td, "report_data"));
        }
    }
    if let Some(gpu) = report.claims.get("gpu").and_then(GpuClaims::from_value) {
        let _ = writeln!(
            out,
            "\nDevices (from the signed reports{})",
            if report.verdict == Verdict::Pass { "" } else { "; NOT trustworthy: the scan did not pass" }
        );
        for d in &gpu.devices {
            let r = d.report.as_ref();
            let g = |f: fn(&ReportClaims) -> Option<&str>| r.and_then(f).unwrap_or("-").to_owned();
            let m = r.and_then(|r| r.measurements).map_or_else(|| "measurements not appraised".to_owned(), |m| format!("{}/{} measurements match", m.matched, m.active));
            let _ = writeln!(
                out,
                "  [{}] {:<9} {:<20} driver {:<11} VBIOS {:<15} mode {:<5} {m}",
                d.index,
                g(|r| r.kind.map(DeviceKind::arch)),
                g(|r| r.hwmodel.as_deref()),
                g(|r| r.driver_version.as_deref()),
                g(|r| r.vbios_version.as_deref()),
                g(|r| r.feature_flag.as_deref()),
            );
        }
        if let Some(n) = &gpu.nras {
            let _ = writeln!(out, "  NRAS: overall result {}", n.overall_result);
        }
        let _ = writeln!(out, "  (CC mode, secure boot and debug state are not signed fields: implied only by matching RIM measurements)");
    }
    if let Some(layers) = report.claims.get("layers").and_then(|l| l.as_object()) {
        let _ = writeln!(
            out,
            "\nLayers ({}{})",
            report.claims.pointer("/provider/format").and_then(|f| f.as_str()).unwrap_or("provider report"),
            if report.verdict == Verdict::Pass { "" } else { "; claims NOT trustworthy: the scan did not pass" }
        );
        for (name, l) in layers {
            let s = |p: &str| l.pointer(p).and_then(|x| x.as_str()).unwrap_or("-").to_owned();
            let holds = l.pointer("/binding/holds").and_then(serde_json::Value::as_bool).unwrap_or(false);
            let _ = writeln!(out, "  {name}");
            let _ = writeln!(out, "    TDX          TCB {}  MRTD {}", s("/tdx/tcb/status"), short(&s("/tdx/td/mr_td"), 24));
            let _ = writeln!(out, "    binding      {} ({})", s("/binding/scheme"), if holds { "holds" } else { "does NOT hold" });
            if let Some(gpu) = l.get("gpu").and_then(GpuClaims::from_value) {
                let drivers: std::collections::BTreeSet<&str> = gpu.devices.iter().filter_map(|d| d.report.as_ref()?.driver_version.as_deref()).collect();
                let _ = writeln!(out, "    GPUs         {} devices, driver {}", gpu.devices.len(), drivers.into_iter().collect::<Vec<_>>().join(", "));
            } else {
                let _ = writeln!(out, "    GPUs         none");
            }
            if l.get("software").is_some_and(|x| !x.is_null()) {
                let _ = writeln!(out, "    app          {}  compose {}", s("/software/app_id"), short(&s("/software/compose_hash"), 24));
            }
        }
    }
    if !report.trust_anchors.is_empty() {
        let _ = writeln!(out, "\nTrust anchors");
        for a in &report.trust_anchors {
            let _ = writeln!(out, "  {:<58} sha256:{}", a.name, short(&a.sha256, 16));
        }
    }
    if !report.collateral.is_empty() {
        let _ = writeln!(out, "\nCollateral used");
        for c in &report.collateral {
            let dates = match (&c.issued, &c.next_update) {
                (Some(i), Some(n)) => format!("  {i} .. {n}"),
                _ => String::new(),
            };
            let detail = c
                .detail
                .as_deref()
                .map(|d| format!("  {d}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<25} sha256:{}{dates}{detail}",
                c.kind,
                short(&c.sha256, 16)
            );
        }
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out);
        for w in &report.warnings {
            let _ = writeln!(out, "{} {w}", st.paint("1;33", "warning:"));
        }
    }
    let verdict = match report.verdict {
        Verdict::Pass => st.paint("1;32", "PASS"),
        Verdict::Fail => st.paint("1;31", "FAIL"),
        Verdict::Indeterminate => st.paint("1;33", "INDETERMINATE"),
    };
    let suffix = match (report.verdict, report.policy.applied) {
        (Verdict::Pass, false) => " (evidence authentic; no measurement policy applied)".to_owned(),
        (Verdict::Fail, _) => report
            .first_failure()
            .map(|c| format!(" ({})", c.id))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let _ = writeln!(out, "\nverdict: {verdict}{suffix}");
    out
}
