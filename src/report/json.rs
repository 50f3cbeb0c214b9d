//! JSON rendering of a [`Report`] (schema [`super::REPORT_SCHEMA`], documented in `docs/report-schema.md`).

use super::Report;

/// The report as pretty-printed JSON, newline-terminated.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise report: {e}\"}}"));
    s.push('\n');
    s
}

/// The report as one line of compact JSON, newline-terminated (JSON Lines, for batch scans).
pub fn render_line(report: &Report) -> String {
    let mut s = serde_json::to_string(report).unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise report: {e}\"}}"));
    s.push('\n');
    s
}
