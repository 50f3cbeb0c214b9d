//! One SEV-SNP scan: the report verified against the collateral supplied (and carried in the
//! document), the format's REPORT_DATA binding and the caller's nonce (Tinfoil v3), the policy's
//! `[snp]` rules and the `[provenance]` sources that provide `snp_measurement`
//! (`provenance.source[<i>].*`, see [`crate::provenance::eval`]), into a [`Report`].

use serde_json::json;

use super::formats::{tinfoil_report_data, SnpEvidence, SnpFormat};
use super::verify::{verify_report_cached, SnpCollateral, SnpOptions};
use crate::provenance::eval::{Registers, SuppliedBundle};
use crate::report::{Check, InputInfo, PolicyInfo, Report, Status};
use crate::scan::Context;
use crate::{Error, ScanOptions};

fn usage(message: &str) -> Error {
    Error::Input { code: "input.usage", message: message.to_owned() }
}

/// Scan `ev` with `collateral` (merged with the certificates the document carries) and the
/// Sigstore `bundles` a `[provenance]` policy takes the expected MEASUREMENT from.
pub fn scan_snp(ev: &SnpEvidence, collateral: &SnpCollateral, bundles: &[SuppliedBundle], opts: &ScanOptions, ctx: &Context) -> Result<Report, Error> {
    if opts.binding.is_some() {
        return Err(usage("--binding applies to a TDX quote; an SEV-SNP input's format names its own binding"));
    }
    if opts.nonce.is_some() && ev.tinfoil.is_none() {
        return Err(usage("--nonce: this SEV-SNP input carries no binding of REPORT_DATA to a nonce (a bare report or a dstack attestation); pin `report_data` in the policy's [snp] section instead"));
    }
    let policy = opts.policy.as_ref().map(|p| &p.policy);
    let section = policy.and_then(|p| p.snp.as_ref());
    let snp_opts = SnpOptions {
        test_ark: opts.amd_test_ark.clone(),
        allow_debug: section.map_or(opts.tdx.allow_debug, |s| s.allow_debug),
        allow_migrate_ma: section.is_some_and(|s| s.allow_migrate_ma),
        require_crl: section.is_some_and(|s| s.require_crl),
    };
    let mut all = ev.embedded.clone();
    for c in &collateral.certs {
        all.add_certs(c).map_err(|e| Error::Input { code: "input.collateral", message: e })?;
    }
    all.crls.extend(collateral.crls.iter().cloned());
    let v = verify_report_cached(&ev.report, &all, opts.at, &snp_opts, opts.cache.as_deref()).map_err(|e| Error::Input { code: "input.snp_report", message: e.to_string() })?;

    let mut checks = ctx.checks.clone();
    let mut warnings = ctx.warnings.clone();
    if let Some(p) = policy {
        checks.push(crate::policy::eval::expiry_check(p, opts.at));
    }
    checks.extend(v.checks.iter().cloned());
    if snp_opts.test_ark.is_some() {
        warnings.push(format!(
            "TEST TRUST ANCHOR (sha256:{}): this evidence is NOT vouched for by AMD",
            opts.amd_test_ark.as_ref().map(|a| a.sha256().to_owned()).unwrap_or_default()
        ));
    }

    // Tinfoil v3: REPORT_DATA commits to the TLS key, the HPKE key and the nonce.
    let mut binding = None;
    let mut keys = serde_json::Map::new();
    let chain_failed = v.checks.iter().any(|c| c.required && c.status == Status::Fail);
    if let Some(inputs) = &ev.tinfoil {
        let title = "REPORT_DATA commits to the TLS key fingerprint, HPKE key and nonce (tinfoil-v3)";
        let stated_ok = match (&inputs.stated_gpu_evidence_hash, &inputs.gpu_evidence_hash) {
            (Some(s), Some(c)) => s == c,
            (Some(_), None) => false,
            _ => true,
        };
        let c = match tinfoil_report_data(inputs) {
            Ok(want) if !stated_ok => {
                binding = Some(false);
                Check::fail("snp.binding.report_data", title, "the stated gpu_evidence_hash is not the hash of the GPU evidence sent").expected(crate::bytes::to_hex(want))
            }
            Ok(want) => {
                let ok = want == v.report.report_data && v.authentic;
                binding = Some(ok);
                let c = Check::from_bool("snp.binding.report_data", title, ok, if v.authentic { "REPORT_DATA does not commit to these inputs" } else { "the report is not authentic" });
                // Matching bytes of a report not yet authenticated for want of collateral (no
                // chain check failed): indeterminate, not a failure of the binding.
                let c = if want == v.report.report_data && !v.authentic && !chain_failed {
                    Check::new("snp.binding.report_data", title, Status::Indeterminate).reason("REPORT_DATA commits to these inputs, but the report is not authenticated (its chain or signature could not be checked)")
                } else {
                    c
                };
                c.expected(crate::bytes::to_hex(want)).actual(crate::bytes::to_hex(v.report.report_data))
            }
            Err(e) => {
                binding = Some(false);
                Check::fail("snp.binding.report_data", title, e)
            }
        };
        let bound = c.status == Status::Pass;
        let unauthenticated = c.status == Status::Indeterminate;
        checks.push(c);
        let nonce_title = "The report answers the caller's nonce (fresh)";
        checks.push(match (&opts.nonce, &inputs.nonce) {
            (None, n) => Check::new("snp.nonce", nonce_title, Status::Indeterminate)
                .reason("no caller nonce (--nonce): the report is not shown to be fresh; it may be a replay")
                .actual(n.as_ref().map(hex::encode).unwrap_or_default()),
            (Some(want), Some(got)) if unauthenticated && got.as_slice() == want.as_slice() => Check::new("snp.nonce", nonce_title, Status::Indeterminate)
                .reason("the report states this nonce, but it is not authenticated yet")
                .expected(hex::encode(want))
                .actual(hex::encode(got)),
            (Some(want), Some(got)) => Check::from_bool("snp.nonce", nonce_title, got.as_slice() == want.as_slice() && bound, if bound { "the server answered another nonce" } else { "the nonce is not bound: the binding does not hold" })
                .expected(hex::encode(want))
                .actual(hex::encode(got)),
            (Some(want), None) => Check::fail("snp.nonce", nonce_title, "the report states no nonce").expected(hex::encode(want)),
        });
        // GPU evidence beside an SEV-SNP report is bound above but not verified here (no corpus
        // capture has it; docs/snp.md): the GPUs are not vouched for, so the scan cannot pass.
        if inputs.gpu_evidence_hash.is_some() {
            checks.push(
                Check::new("snp.gpu", "GPU evidence carried beside the SEV-SNP report is verified", Status::Indeterminate)
                    .reason("this version does not verify GPU evidence beside an SEV-SNP report: the GPUs are not vouched for"),
            );
        }
        for (kind, val) in [("tls", &inputs.tls_fingerprint), ("hpke", &inputs.hpke_key)] {
            if let Some(k) = val {
                keys.insert(kind.to_owned(), json!({ "value": hex::encode(k), "bound": bound }));
            }
        }
    }

    match (policy, section) {
        (Some(_), Some(s)) if v.authentic => checks.extend(super::policy::evaluate(s, &v.report, v.product, binding)),
        (Some(_), Some(_)) => checks.push(Check::skipped("policy.snp", "The [snp] rules hold", "the report's chain or signature did not verify: its values are not evidence")),
        (Some(_), None) => checks.push(Check::fail("policy.snp.present", "The policy has rules for this SEV-SNP evidence", "the policy has no [snp] section: it does not say what this SEV-SNP report must show")),
        (None, _) => warnings.push(
            "no measurement policy was applied: the verdict covers the evidence's authenticity and appraisal, not which software it measures".to_owned(),
        ),
    }

    let mut claims = serde_json::Map::new();
    claims.insert("snp".to_owned(), v.claims.clone());
    if !keys.is_empty() {
        claims.insert("keys".to_owned(), serde_json::Value::Object(keys));
    }
    let format = match ev.format {
        SnpFormat::TinfoilV3 => "provider report tinfoil-v3 (sev-snp)".to_owned(),
        f => f.as_str().to_owned(),
    };
    let mut report = Report::new(
        opts.at,
        InputInfo { format: ctx.format(format), sha256: crate::bytes::to_hex(crate::crypto::sha256(&ev.report)), source: ctx.source.clone() },
        PolicyInfo::of(opts.policy.as_ref()),
        checks,
        serde_json::Value::Object(claims),
        v.collateral,
        warnings,
    );
    // `[provenance]`: the report's MEASUREMENT against the signed release (sources that provide
    // `snp_measurement`; the others are not evaluated for SEV-SNP evidence).
    if let Some(pp) = policy.and_then(|p| p.provenance.as_ref()) {
        crate::provenance::eval::apply_registers(&mut report, pp, bundles, &Registers::Snp { measurement: v.report.measurement }, None, opts.at, opts.sigstore_root.as_deref());
        // An equal MEASUREMENT of a report not authenticated is not evidence yet.
        if !v.authentic {
            for c in report.checks.iter_mut().filter(|c| c.id.ends_with(".snp_measurement") && c.status == Status::Pass) {
                c.status = Status::Indeterminate;
                c.reason = Some("the report's chain or signature did not verify: its MEASUREMENT is not evidence".to_owned());
            }
            report.verdict = crate::report::Verdict::from_checks(&report.checks);
        }
    }
    Ok(report)
}
