//! Self-contained HTML audit report of a [`Report`] (`--format html`): one file with inline CSS
//! and SVG, no external resource, readable offline and printable.
//!
//! Rendered from the report alone (its checks, claims, collateral, warnings and verdict), beside
//! [`super::table`] and [`super::json`], so it cannot disagree with the exit code. In order:
//! - the summary: verdict and exit code, provider and model (from the claims), the time verified
//!   as of, the policy id and hash, the input, and what was not verified and why (skipped,
//!   indeterminate and waived checks, warnings);
//! - every failing check with its id, reason, expected and actual values;
//! - the chain of trust of each layer as an SVG: pinned roots → certificates → quote / each GPU
//!   / NRAS → bindings → event log → policy → layer result, each box green (its checks pass),
//!   red (a required check fails; the box names it) or grey (nothing checked, skipped,
//!   indeterminate, or informational only);
//! - every check, the collateral used, and the JSON report in a `<script type="application/json"
//!   id="teescan-report">` for machines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::ids::{self, Family};
use super::{Check, Report, Status, Verdict};

/// Escape text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The JSON report, safe inside a `<script>` element: `<`, `>` and `&` (only ever inside JSON
/// strings) written as `\u003c`, `\u003e`, `\u0026`, so no `</script>` can end it early.
fn script_json(report: &Report) -> String {
    super::json::render(report).replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// The DOM id of a check's row: `check-` and the id (whitespace as `_`), escaped by the caller.
fn anchor(id: &str) -> String {
    let mut out = String::from("check-");
    out.extend(id.chars().map(|c| if c.is_whitespace() { '_' } else { c }));
    out
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let head: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// Colour class of a box: what its checks amount to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Green,
    Red,
    Grey,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Green => "ok",
            Tone::Red => "bad",
            Tone::Grey => "na",
        }
    }
    /// Red if a required check fails; grey if none are checked or a required one is skipped or
    /// indeterminate, or only informational checks fail; green otherwise.
    fn of(checks: &[&Check]) -> Tone {
        if checks.iter().any(|c| c.required && c.status == Status::Fail) {
            Tone::Red
        } else if checks.is_empty()
            || checks.iter().any(|c| c.status != Status::Pass && (c.required || c.status == Status::Fail))
            || checks.iter().all(|c| !c.required)
        {
            Tone::Grey
        } else {
            Tone::Green
        }
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "ok",
        Verdict::Fail => "bad",
        Verdict::Indeterminate => "na",
    }
}

/// Names of provider-report layers (`node`, `model[0]`, …), as in [`ids::normalise`].
const LAYERS: &[&str] = &["node", "gateway", "model", "instance", "enclave", "quote"];

fn is_layer_segment(segment: &str, names: &[&str]) -> bool {
    let base = segment.split_once('[').map_or(segment, |(b, rest)| if rest.ends_with(']') { b } else { "" });
    names.contains(&base)
}

/// `(layer, rest)`: `node.compose_manager.tdx.td.debug` → (`node.compose_manager`, `tdx.td.debug`);
/// a scan-wide or bare-evidence id has the layer `""`.
fn split_layer(id: &str) -> (&str, &str) {
    let Some((first, tail)) = id.split_once('.') else { return ("", id) };
    if !is_layer_segment(first, LAYERS) || ids::lookup(id).is_some_and(|s| !s.pattern.starts_with("<layer>.")) {
        return ("", id);
    }
    if let Some((second, rest)) = tail.split_once('.') {
        if is_layer_segment(second, &["compose_manager"]) && ids::lookup(rest).is_some() {
            let len = first.len().saturating_add(1).saturating_add(second.len());
            return (id.get(..len).unwrap_or(first), rest);
        }
    }
    (first, tail)
}

/// The columns of the chain-of-trust picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Root,
    Certs,
    Evidence,
    Binding,
    Eventlog,
    Policy,
}

/// Rows of the evidence part of the picture: the TDX quote, each GPU, the GPUs together, NRAS.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Row {
    Tdx,
    Snp,
    Gpu(u32),
    Gpus,
    Nras,
}

/// Where one check (its id without the layer) is drawn.
fn place(rest: &str) -> (Option<Row>, Stage) {
    let family = ids::lookup(rest).map(|s| s.family);
    if let Some(g) = rest.strip_prefix("gpu[") {
        let (n, tail) = g.split_once(']').unwrap_or(("", ""));
        if let Ok(i) = n.parse::<u32>() {
            let stage = if tail.starts_with(".chain") || tail.starts_with(".ocsp") || tail.contains(".ocsp[") { Stage::Certs } else { Stage::Evidence };
            return (Some(Row::Gpu(i)), stage);
        }
    }
    match family {
        Some(Family::Tdx) if matches!(rest, "tdx.trust_anchor" | "tdx.pck.chain_root") => (Some(Row::Tdx), Stage::Root),
        Some(Family::Tdx) if rest.starts_with("tdx.pck.") || rest.starts_with("tdx.qe.") => (Some(Row::Tdx), Stage::Certs),
        Some(Family::TdxCollateral) => (Some(Row::Tdx), Stage::Certs),
        Some(Family::Snp) if rest == "snp.chain.ark" => (Some(Row::Snp), Stage::Root),
        Some(Family::Snp) if rest.starts_with("snp.chain.") || rest.starts_with("snp.crl") || rest.starts_with("snp.vcek") => {
            (Some(Row::Snp), Stage::Certs)
        }
        Some(Family::Snp) => (Some(Row::Snp), Stage::Evidence),
        Some(Family::Tdx | Family::Evidence) => (Some(Row::Tdx), Stage::Evidence),
        Some(Family::Gpu | Family::Rim | Family::Ocsp) => (Some(Row::Gpus), Stage::Evidence),
        Some(Family::Nras) if rest == "nras.applies" => (None, Stage::Binding),
        Some(Family::Nras) if rest == "nras.chain" => (Some(Row::Nras), Stage::Certs),
        Some(Family::Nras) => (Some(Row::Nras), Stage::Evidence),
        Some(Family::Eventlog | Family::Compose | Family::ComposeManager) => (None, Stage::Eventlog),
        Some(Family::Policy) => (None, Stage::Policy),
        Some(Family::Binding | Family::Keys | Family::Ohttp | Family::ResponseSignature | Family::Bundle | Family::Endpoint) => {
            (None, Stage::Binding)
        }
        None if rest.starts_with("policy.") => (None, Stage::Policy),
        None if rest.starts_with("eventlog.") || rest.starts_with("compose") => (None, Stage::Eventlog),
        None if rest.starts_with("tdx.") => (Some(Row::Tdx), Stage::Evidence),
        None => (None, Stage::Binding),
    }
}

/// One layer's checks, placed.
#[derive(Default)]
struct Layer<'a> {
    cells: BTreeMap<(Option<Row>, Stage), Vec<&'a Check>>,
    all: Vec<&'a Check>,
}

fn layers(report: &Report) -> Vec<(String, Layer<'_>)> {
    let mut order: Vec<String> = Vec::new();
    let mut map: BTreeMap<String, Layer<'_>> = BTreeMap::new();
    for c in &report.checks {
        let (layer, rest) = split_layer(&c.id);
        if !order.iter().any(|l| l == layer) {
            order.push(layer.to_owned());
        }
        let entry = map.entry(layer.to_owned()).or_default();
        entry.cells.entry(place(rest)).or_default().push(c);
        entry.all.push(c);
    }
    order.into_iter().filter_map(|l| map.remove(&l).map(|x| (l, x))).collect()
}

const CSS: &str = "\
:root{--ok:#1a7f37;--okbg:#dafbe1;--bad:#cf222e;--badbg:#ffebe9;--na:#6e7781;--nabg:#eaeef2;--fg:#1f2328;--mut:#59636e}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);margin:0 auto;max-width:1180px;padding:16px 20px 40px}
h1{font-size:22px;margin:0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px;margin:16px 0 4px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;word-break:break-all}
.verdict{border-radius:8px;padding:14px 18px;margin:12px 0;border:2px solid}.verdict .big{font-size:30px;font-weight:700;letter-spacing:.04em}
.verdict.ok{background:var(--okbg);border-color:var(--ok)}.verdict.ok .big{color:var(--ok)}
.verdict.bad{background:var(--badbg);border-color:var(--bad)}.verdict.bad .big{color:var(--bad)}
.verdict.na{background:var(--nabg);border-color:var(--na)}.verdict.na .big{color:var(--na)}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #eaeef2}th{font-weight:600;white-space:nowrap}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:8px 0}dl.kv dt{font-weight:600}dl.kv dd{margin:0}
.s-pass{color:var(--ok);font-weight:600}.s-fail{color:var(--bad);font-weight:700}.s-skipped,.s-indeterminate{color:var(--na);font-weight:600}
.fail-card{border-left:4px solid var(--bad);background:var(--badbg);padding:8px 12px;margin:8px 0;border-radius:4px}
.warn{border-left:4px solid #9a6700;background:#fff8c5;padding:6px 12px;margin:6px 0;border-radius:4px}
svg.chain{width:100%;height:auto;display:block;margin:6px 0 18px}svg text{font:12px system-ui,sans-serif}svg .id{font:11px ui-monospace,monospace}
svg rect.ok{fill:var(--okbg);stroke:var(--ok)}svg rect.bad{fill:var(--badbg);stroke:var(--bad);stroke-width:2.5}svg rect.na{fill:var(--nabg);stroke:var(--na);stroke-dasharray:4 3}
svg path.ok{stroke:var(--ok)}svg path.bad{stroke:var(--bad)}svg path.na{stroke:var(--na);stroke-dasharray:4 3}svg path{fill:none;stroke-width:1.6}
svg .hdr{font-weight:600;fill:var(--mut)}.legend span{display:inline-block;padding:0 8px;margin-right:6px;border-radius:4px;border:1px solid}
.legend .ok{background:var(--okbg);border-color:var(--ok)}.legend .bad{background:var(--badbg);border-color:var(--bad)}.legend .na{background:var(--nabg);border-color:var(--na)}
details{margin:6px 0}summary{cursor:pointer}.muted{color:var(--mut)}
@media print{details{display:block}details>*{display:block}body{max-width:none}}
";

/// Render `report` as one self-contained HTML document.
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let v = report.verdict;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>teescan report: {} — {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        v.label(),
        escape(&report.input.format)
    );
    summary(&mut out, report);
    failures(&mut out, report);
    not_verified(&mut out, report);
    chain(&mut out, report);
    all_checks(&mut out, report);
    collateral(&mut out, report);
    let _ = write!(
        out,
        "<h2>Machine-readable report</h2>\n<p class=\"muted\">The JSON report (schema <code>{}</code>) is embedded in this file: \
         <code>script#teescan-report</code>.</p>\n<script type=\"application/json\" id=\"teescan-report\">\n{}</script>\n</body>\n</html>\n",
        escape(report.schema),
        script_json(report)
    );
    out
}

fn claim<'a>(report: &'a Report, pointers: &[&str]) -> Option<&'a str> {
    pointers.iter().find_map(|p| report.claims.pointer(p).and_then(serde_json::Value::as_str)).filter(|s| !s.is_empty())
}

fn summary(out: &mut String, report: &Report) {
    let v = report.verdict;
    let headline = match v {
        Verdict::Pass if report.policy.applied => "Every required check passed.",
        Verdict::Pass => "The evidence is authentic; no measurement policy was applied.",
        Verdict::Fail => "At least one required check failed: the evidence is not to be trusted.",
        Verdict::Indeterminate => "Nothing failed, but a required check could not be decided.",
    };
    let first = match (v, report.first_failure()) {
        (Verdict::Fail, Some(c)) => format!(" First failure: <a href=\"#{}\"><code>{}</code></a>.", escape(&anchor(&c.id)), escape(&c.id)),
        _ => String::new(),
    };
    let _ = write!(
        out,
        "<h1>teescan audit report</h1>\n<div class=\"verdict {}\" id=\"verdict\" data-verdict=\"{}\" data-exit-code=\"{}\">\
         <div class=\"big\">{}</div><div>{headline}{first} Exit code {}.</div></div>\n<dl class=\"kv\">\n",
        verdict_class(v),
        v.label(),
        v.exit_code(),
        v.label(),
        v.exit_code()
    );
    let mut kv = |k: &str, val: String| {
        let _ = writeln!(out, "<dt>{k}</dt><dd>{val}</dd>");
    };
    let trust_note = if v == Verdict::Pass { "" } else { " <span class=\"muted\">(claimed, not verified)</span>" };
    if let Some(p) = claim(report, &["/provider/format"]) {
        kv("Provider", format!("{}{trust_note}", escape(p)));
    }
    kv(
        "Model",
        claim(report, &["/provider/model", "/model"])
            .map_or_else(|| "not named in the signed evidence".to_owned(), |m| format!("{}{trust_note}", escape(m))),
    );
    kv("Verified as of", format!("<code>{}</code>", escape(&report.verified_at.to_string())));
    kv(
        "Policy",
        match (&report.policy.id, &report.policy.sha256) {
            (Some(id), Some(h)) if report.policy.applied => format!("<code>{}</code> sha256:<code>{}</code>", escape(id), escape(h)),
            _ => "none applied: the verdict covers the evidence's authenticity and appraisal, not which software it measures".to_owned(),
        },
    );
    kv("Input", escape(&report.input.format));
    if let Some(src) = &report.input.source {
        kv("Source", format!("<code>{}</code>", escape(src)));
    }
    kv("Input SHA-256", format!("<code>{}</code>", escape(&report.input.sha256)));
    let counts = [Status::Pass, Status::Fail, Status::Skipped, Status::Indeterminate]
        .iter()
        .map(|s| format!("{} {}", report.checks.iter().filter(|c| c.status == *s).count(), s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    kv("Checks", format!("{} ({counts})", report.checks.len()));
    kv("Tool", escape(&report.tool));
    out.push_str("</dl>\n");
    for w in &report.warnings {
        let _ = writeln!(out, "<div class=\"warn\"><b>Warning:</b> {}</div>", escape(w));
    }
}

fn value_rows(out: &mut String, c: &Check) {
    if let Some(r) = &c.reason {
        let _ = writeln!(out, "<div>{}</div>", escape(r));
    }
    if let Some(e) = &c.expected {
        let _ = writeln!(out, "<div><b>expected</b> <code>{}</code></div>", escape(e));
    }
    if let Some(a) = &c.actual {
        let _ = writeln!(out, "<div><b>actual</b> <code>{}</code></div>", escape(a));
    }
}

fn failures(out: &mut String, report: &Report) {
    let failing: Vec<&Check> = report.checks.iter().filter(|c| c.status == Status::Fail).collect();
    if failing.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h2 id=\"failures\">Failing checks ({})</h2>", failing.len());
    for c in failing {
        let info = if c.required { "" } else { " <span class=\"muted\">(informational: the verdict does not depend on it)</span>" };
        let _ = writeln!(
            out,
            "<div class=\"fail-card\" data-check=\"{}\"><div><code class=\"s-fail\">{}</code> — {}{info}</div>",
            escape(&c.id),
            escape(&c.id),
            escape(&c.title)
        );
        value_rows(out, c);
        out.push_str("</div>\n");
    }
}

fn not_verified(out: &mut String, report: &Report) {
    let _ = writeln!(out, "<h2 id=\"not-verified\">What was not verified, and why</h2>");
    if !report.policy.applied {
        out.push_str("<p>No measurement policy was applied: which software the evidence measures was not judged.</p>\n");
    }
    // Grouped by status and reason, the largest group first.
    let mut groups: BTreeMap<(bool, &str, &str), Vec<&Check>> = BTreeMap::new();
    for c in report.checks.iter().filter(|c| matches!(c.status, Status::Skipped | Status::Indeterminate)) {
        groups.entry((!c.required, c.status.as_str(), c.reason.as_deref().unwrap_or(&c.title))).or_default().push(c);
    }
    if groups.is_empty() {
        out.push_str("<p>Every check was evaluated.</p>\n");
        return;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by_key(|(key, checks)| (key.0, std::cmp::Reverse(checks.len())));
    out.push_str("<table><tr><th>checks</th><th>status</th><th>why</th></tr>\n");
    for ((info, status, why), checks) in groups {
        let ids: Vec<String> = checks.iter().map(|c| format!("<code>{}</code>", escape(&c.id))).collect();
        let list = match ids.as_slice() {
            [one] => one.clone(),
            _ => format!("<details><summary>{} checks</summary>{}</details>", ids.len(), ids.join(" ")),
        };
        let waived = if info { " (informational)" } else { "" };
        let _ = writeln!(out, "<tr><td>{list}</td><td class=\"s-{status}\">{status}{waived}</td><td>{}</td></tr>", escape(why));
    }
    out.push_str("</table>\n");
}

// ---- The chain-of-trust picture ------------------------------------------------------------

const BOX_W: usize = 158;
const BOX_H: usize = 46;
const COL_GAP: usize = 30;
const ROW_GAP: usize = 10;
const TOP: usize = 26;

fn col_x(col: usize) -> usize {
    col.saturating_mul(BOX_W.saturating_add(COL_GAP)).saturating_add(4)
}

fn row_y(row: usize) -> usize {
    row.saturating_mul(BOX_H.saturating_add(ROW_GAP)).saturating_add(TOP)
}

/// One box: label, second line (the first failing check, or a count), tooltip with every check.
fn draw_box(svg: &mut String, x: usize, y: usize, label: &str, checks: &[&Check], fixed: Option<(Tone, &str)>) -> Tone {
    let tone = fixed.map_or_else(|| Tone::of(checks), |(t, _)| t);
    let failing = checks.iter().find(|c| c.required && c.status == Status::Fail);
    let line2 = match (fixed, failing) {
        (Some((_, s)), _) => s.to_owned(),
        (None, Some(c)) => c.id.clone(),
        (None, None) if checks.is_empty() => "not checked".to_owned(),
        (None, None) => {
            let pass = checks.iter().filter(|c| c.status == Status::Pass).count();
            match checks.len().saturating_sub(pass) {
                0 => format!("{pass} pass"),
                rest => format!("{pass} pass · {rest} not run"),
            }
        }
    };
    let mut tip = String::new();
    for c in checks {
        let _ = writeln!(tip, "{} {}", c.status.as_str(), c.id);
    }
    let href = failing.map(|c| format!("#{}", anchor(&c.id))).or_else(|| checks.first().map(|c| format!("#{}", anchor(&c.id))));
    if let Some(h) = &href {
        let _ = write!(svg, "<a href=\"{}\">", escape(h));
    }
    let _ = write!(
        svg,
        "<g data-box=\"{}\" data-tone=\"{}\"><title>{}</title><rect class=\"{}\" x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\"/>\
         <text x=\"{}\" y=\"{}\">{}</text><text class=\"id\" x=\"{}\" y=\"{}\">{}</text></g>",
        escape(label),
        tone.class(),
        escape(&format!("{label}\n{tip}")),
        tone.class(),
        x.saturating_add(8),
        y.saturating_add(18),
        escape(&short(label, 24)),
        x.saturating_add(8),
        y.saturating_add(36),
        escape(&short(&line2, 26)),
    );
    if href.is_some() {
        svg.push_str("</a>");
    }
    svg.push('\n');
    tone
}

fn edge(svg: &mut String, from: (usize, usize), to: (usize, usize), tone: Tone) {
    let (x1, y1) = (from.0.saturating_add(BOX_W), from.1.saturating_add(BOX_H / 2));
    let (x2, y2) = (to.0, to.1.saturating_add(BOX_H / 2));
    let mid = x1.saturating_add(x2).checked_div(2).unwrap_or(x1);
    let _ = writeln!(svg, "<path class=\"{}\" d=\"M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}\"/>", tone.class());
}

fn row_label(row: &Row, report: &Report) -> (String, String, String) {
    let test_root = report.warnings.iter().any(|w| w.starts_with("TEST TRUST ANCHOR"));
    match row {
        Row::Tdx if test_root => ("TEST root (not Intel)".to_owned(), "PCK chain · collateral".to_owned(), "TDX quote".to_owned()),
        Row::Tdx => (
            format!("Intel SGX Root CA {}", short(crate::pki::INTEL_SGX_ROOT_CA_SHA256, 9)),
            "PCK chain · collateral".to_owned(),
            "TDX quote".to_owned(),
        ),
        Row::Snp => ("AMD ARK (pinned)".to_owned(), "ASK/ASVK · VCEK/VLEK · CRL".to_owned(), "SEV-SNP report".to_owned()),
        Row::Gpu(i) => (
            format!("NVIDIA Device CA {}", short(crate::pki::NVIDIA_DEVICE_IDENTITY_CA_SHA256, 9)),
            format!("GPU {i} cert chain · OCSP"),
            format!("GPU {i} report · RIMs"),
        ),
        Row::Gpus => (String::new(), String::new(), "GPUs together".to_owned()),
        Row::Nras => ("NVIDIA NRAS keys (pinned)".to_owned(), "NRAS key chain".to_owned(), "NRAS result".to_owned()),
    }
}

fn chain(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "<h2 id=\"chain\">Chain of trust</h2>\n<p class=\"legend\"><span class=\"ok\">green: its checks pass</span>\
         <span class=\"bad\">red: a required check fails</span><span class=\"na\">grey: not checked, skipped, indeterminate or informational</span>\
         Each box links to its checks below.</p>"
    );
    for (name, layer) in layers(report) {
        let mut rows: Vec<Row> = layer.cells.keys().filter_map(|(r, _)| r.clone()).collect();
        rows.dedup();
        let title = if name.is_empty() {
            if rows.is_empty() { "Scan-wide checks".to_owned() } else { "Evidence".to_owned() }
        } else {
            format!("Layer <code>{}</code>", escape(&name))
        };
        let _ = writeln!(out, "<h3>{title}</h3>");
        let n_rows = rows.len().max(1);
        let height = row_y(n_rows).saturating_add(4);
        let width = col_x(7);
        let mut svg = String::new();
        let headers = ["pinned roots", "certificates", "evidence", "bindings", "event log", "policy", "layer result"];
        for (i, h) in headers.iter().enumerate() {
            let _ = write!(svg, "<text class=\"hdr\" x=\"{}\" y=\"16\">{h}</text>", col_x(i).saturating_add(4));
        }
        svg.push('\n');
        let empty: Vec<&Check> = Vec::new();
        let cell = |r: Option<Row>, s: Stage| layer.cells.get(&(r, s)).unwrap_or(&empty);
        let mid_row = n_rows.saturating_sub(1).checked_div(2).unwrap_or(0);
        let mid_y = row_y(mid_row);
        let mut evidence_tones = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let y = row_y(i);
            let (root, certs, ev) = row_label(row, report);
            let root_checks = cell(Some(row.clone()), Stage::Root);
            let cert_checks = cell(Some(row.clone()), Stage::Certs);
            let ev_checks = cell(Some(row.clone()), Stage::Evidence);
            if *row == Row::Gpus {
                let t = draw_box(&mut svg, col_x(2), y, &ev, ev_checks, None);
                evidence_tones.push((y, t));
                continue;
            }
            // The pinned root is trusted; its box shows whether the chains ending in it held.
            let chain_checks: Vec<&Check> = root_checks.iter().chain(cert_checks.iter()).copied().collect();
            let rt = if root_checks.is_empty() && cert_checks.is_empty() {
                draw_box(&mut svg, col_x(0), y, &root, &[], Some((Tone::Grey, "compiled in")))
            } else {
                draw_box(&mut svg, col_x(0), y, &root, if root_checks.is_empty() { &chain_checks } else { root_checks }, None)
            };
            let ct = draw_box(&mut svg, col_x(1), y, &certs, cert_checks, None);
            edge(&mut svg, (col_x(0), y), (col_x(1), y), ct);
            let et = draw_box(&mut svg, col_x(2), y, &ev, ev_checks, None);
            edge(&mut svg, (col_x(1), y), (col_x(2), y), et);
            let _ = rt;
            evidence_tones.push((y, et));
        }
        let bt = draw_box(&mut svg, col_x(3), mid_y, "bindings · nonce · keys", cell(None, Stage::Binding), None);
        for (y, _) in &evidence_tones {
            edge(&mut svg, (col_x(2), *y), (col_x(3), mid_y), bt);
        }
        let lt = draw_box(&mut svg, col_x(4), mid_y, "event log · compose", cell(None, Stage::Eventlog), None);
        edge(&mut svg, (col_x(3), mid_y), (col_x(4), mid_y), lt);
        let pt = draw_box(&mut svg, col_x(5), mid_y, "policy", cell(None, Stage::Policy), None);
        edge(&mut svg, (col_x(4), mid_y), (col_x(5), mid_y), pt);
        let owned: Vec<Check> = layer.all.iter().map(|c| (*c).clone()).collect();
        let lv = Verdict::from_checks(&owned);
        let tone = match lv {
            Verdict::Pass => Tone::Green,
            Verdict::Fail => Tone::Red,
            Verdict::Indeterminate => Tone::Grey,
        };
        let label = if name.is_empty() { "these checks".to_owned() } else { format!("layer {name}") };
        let _ = draw_box(&mut svg, col_x(6), mid_y, &label, &layer.all, Some((tone, lv.label())));
        edge(&mut svg, (col_x(5), mid_y), (col_x(6), mid_y), tone);
        let _ = writeln!(
            out,
            "<svg class=\"chain\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"chain of trust of {}\">\n{svg}</svg>",
            escape(if name.is_empty() { "the evidence" } else { &name })
        );
    }
}

fn all_checks(out: &mut String, report: &Report) {
    let _ = writeln!(out, "<h2 id=\"checks\">Every check ({})</h2>\n<table><tr><th>status</th><th>check</th><th>detail</th></tr>", report.checks.len());
    for c in &report.checks {
        let info = if c.required { "" } else { " <span class=\"muted\">(info)</span>" };
        let _ = write!(
            out,
            "<tr id=\"{}\" data-status=\"{}\"><td class=\"s-{}\">{}</td><td><code>{}</code>{info}<div class=\"muted\">{}</div></td><td>",
            escape(&anchor(&c.id)),
            c.status.as_str(),
            c.status.as_str(),
            c.status.as_str(),
            escape(&c.id),
            escape(&c.title)
        );
        value_rows(out, c);
        out.push_str("</td></tr>\n");
    }
    out.push_str("</table>\n");
    if let Some(claims) = report.claims.as_object().filter(|o| !o.is_empty()) {
        let note = if report.verdict == Verdict::Pass { "" } else { " — NOT trustworthy: the scan did not pass" };
        let pretty = serde_json::to_string_pretty(claims).unwrap_or_default();
        let _ = writeln!(
            out,
            "<h2 id=\"claims\">Claims</h2>\n<details><summary>Values read from the signed evidence{note}</summary><pre class=\"mono\">{}</pre></details>",
            escape(&pretty)
        );
    }
}

fn collateral(out: &mut String, report: &Report) {
    if report.collateral.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"collateral\">Collateral used</h2>\n<table><tr><th>kind</th><th>sha256</th><th>issued</th><th>next update</th><th>detail</th></tr>\n");
    for c in &report.collateral {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.kind),
            escape(&c.sha256),
            escape(c.issued.as_deref().unwrap_or("")),
            escape(c.next_update.as_deref().unwrap_or("")),
            escape(c.detail.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_split_like_the_id_registry() {
        assert_eq!(split_layer("node.tdx.quote.signature"), ("node", "tdx.quote.signature"));
        assert_eq!(split_layer("model[0].gpu[3].chain"), ("model[0]", "gpu[3].chain"));
        assert_eq!(split_layer("node.compose_manager.tdx.td.debug"), ("node.compose_manager", "tdx.td.debug"));
        assert_eq!(split_layer("tdx.quote.signature"), ("", "tdx.quote.signature"));
        assert_eq!(split_layer("node.binding"), ("", "node.binding"));
        assert_eq!(split_layer("policy.expires"), ("", "policy.expires"));
    }

    #[test]
    fn script_json_cannot_close_its_script_element() {
        let s = "</script><script>alert(1)</script>&";
        let escaped = s.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
        assert!(!escaped.contains("</"));
        let v: serde_json::Value = serde_json::from_str(&format!("\"{escaped}\"")).unwrap_or_default();
        assert_eq!(v, serde_json::Value::String(s.to_owned()));
    }
}
