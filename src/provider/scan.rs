//! Scan a provider report: every layer's TDX quote, its report_data binding, freshness against
//! the caller's nonce, its GPUs (nonce-bound to the quote), its event log, and the policy.
//! Check ids are prefixed with the layer (`node.tdx.quote.signature`, `model[0].gpu[3].chain`,
//! `gateway.binding.report_data`, `instance[2].nonce`, …). A layer's compose-manager attestation
//! is scanned as a layer of its own, `<layer>.compose_manager` ([`super::compose_manager`]); each
//! layer's client-facing keys are checked by [`super::keys`].

use serde_json::{json, Map, Value};

use super::binding;
use super::{GpuNonce, Layer, ProviderReport, Role};
use crate::nvidia::verify::{verify_gpus, GpuCollateral};
use crate::policy::eval::{self, BindingOutcome};
use crate::report::{Check, CollateralUsed, InputInfo, PolicyInfo, Report, Status};
use crate::tdx::{self, Collateral, Quote};
use crate::ScanOptions;

fn prefixed(prefix: &str, checks: Vec<Check>) -> Vec<Check> {
    checks
        .into_iter()
        .map(|mut c| {
            c.id = format!("{prefix}.{}", c.id);
            c
        })
        .collect()
}

/// Scan a parsed provider report. `collaterals` holds DCAP collateral for each FMSPC the layers
/// need (chosen by FMSPC); `gpu` the GPU collateral (RIMs, OCSP, and an NRAS result that applies
/// to the first layer with GPUs).
pub fn scan_provider(report: &ProviderReport, collaterals: &[Collateral], gpu: &GpuCollateral, opts: &ScanOptions) -> Report {
    scan_provider_signed(report, collaterals, gpu, None, opts)
}

/// [`scan_provider`] with the whole collateral: DCAP, GPU, and the Sigstore bundles a
/// `[provenance]` policy is evaluated with.
pub fn scan_provider_with(report: &ProviderReport, coll: &crate::scan::Collateral, opts: &ScanOptions) -> Report {
    scan_provider_in(report, coll, opts, &crate::scan::Context::default())
}

/// A response signature with the bodies it covers (`GET /v1/signature/{chat_id}` and the exact
/// request and response bytes).
#[derive(Debug, Clone)]
pub struct SignedResponse {
    /// The parsed signature payload.
    pub payload: super::signature::SignaturePayload,
    /// The request body as sent, if given.
    pub request: Option<Vec<u8>>,
    /// The response body as received, if given.
    pub response: Option<Vec<u8>>,
}

/// The layer whose *bound* signing address signed the response: only an address the verified
/// quote commits to (through its report_data binding) can vouch for a signature.
fn signing_layer<'a>(report: &'a ProviderReport, signer: &[u8]) -> Option<&'a Layer> {
    report.layers.iter().find(|l| {
        l.inputs.signing_address.as_deref() == Some(signer)
            && Quote::parse(&l.quote).is_ok_and(|q| binding::holds(l.scheme, &l.inputs, &q.report.report_data) == Ok(true))
    })
}

/// [`scan_provider`] plus a response signature: the signature must verify, its signer must be
/// the attested (report_data-bound) signing key of a layer, and the bodies must hash to the text.
pub fn scan_provider_signed(
    report: &ProviderReport,
    collaterals: &[Collateral],
    gpu: &GpuCollateral,
    signed: Option<&SignedResponse>,
    opts: &ScanOptions,
) -> Report {
    let coll = crate::scan::Collateral { dcap: collaterals.to_vec(), gpu: gpu.clone(), signature: signed.cloned(), ..Default::default() };
    scan_provider_in(report, &coll, opts, &crate::scan::Context::default())
}

/// The response-signature checks and claim, when a signature is given.
fn response_signature(report: &ProviderReport, sr: &SignedResponse) -> (Vec<Check>, Value) {
    let layer = signing_layer(report, &sr.payload.signing_address);
    let prefix = layer.map_or_else(|| "response".to_owned(), |l| format!("{}.response", l.name));
    let attested: Option<&[u8]> = layer
        .and_then(|l| l.inputs.signing_address.as_deref())
        .or_else(|| report.layers.first().and_then(|l| l.inputs.signing_address.as_deref()));
    let checks = super::signature::signature_checks(&prefix, &sr.payload, attested, sr.request.as_deref(), sr.response.as_deref(), None);
    let claim = json!({ "signed_by_layer": layer.map(|l| l.name.clone()), "algo": sr.payload.algo.as_str(), "kind": sr.payload.kind });
    (checks, claim)
}

/// The one provider-report scan: the entry point's checks (`ctx`) first, every layer, the
/// response signature; the report is built once and its verdict derived from its checks.
pub(crate) fn scan_provider_in(
    report: &ProviderReport,
    coll: &crate::scan::Collateral,
    opts: &ScanOptions,
    ctx: &crate::scan::Context,
) -> Report {
    let (collaterals, gpu) = (coll.dcap.as_slice(), &coll.gpu);
    let policy = opts.policy.as_ref().map(|p| &p.policy);
    let mut checks = ctx.checks.clone();
    let mut provenance: Vec<CollateralUsed> = Vec::new();
    let mut layers_claims = Map::new();
    let mut warnings = ctx.warnings.clone();
    let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
    if let Some(p) = policy {
        checks.push(eval::expiry_check(p, opts.at));
    }
    if !report.ignored.is_empty() {
        warnings.push(format!(
            "reseller fields ignored (they restate, not prove, verification): {}",
            report.ignored.join(", ")
        ));
    }
    // An NRAS result answers one nonce: it is verified against every layer whose GPUs carry
    // that nonce (a model attestation listed twice is checked twice). The nonce is read from
    // the token only to choose the layers; each chosen layer then verifies the token in full
    // (signature, chain, nonce, claims). A result that answers no layer's GPUs is a failure,
    // never set aside: supplied evidence that verifies nothing is not informational.
    let nras_nonce = gpu.nras.as_ref().map(|n| nras_answered_nonce(&n.body));
    let mut nras_layers = 0usize;
    for layer in &report.layers {
        hasher.update(&layer.quote);
        let gets_nras = match (&nras_nonce, layer.gpu.as_ref(), layer_gpu_nonce(layer)) {
            (Some(Some(answered)), Some(_), Some(n)) => answered.eq_ignore_ascii_case(&crate::bytes::to_hex(n)),
            // A token whose nonce cannot be read goes to every layer with GPUs (and fails there).
            (Some(None), Some(_), _) => true,
            _ => false,
        };
        if gets_nras {
            nras_layers = nras_layers.saturating_add(1);
        }
        let (layer_checks, claims, used) = scan_layer(layer, collaterals, coll.dcap_unavailable.as_deref(), gpu, gets_nras, opts);
        checks.extend(layer_checks);
        provenance.extend(used);
        layers_claims.insert(layer.name.clone(), claims);
        // The layer's compose-manager attestation: a layer of its own, scanned the same way.
        for sub in super::compose_manager::sub_layers(layer) {
            checks.extend(sub.checks);
            let mut sub_claims = sub.claims;
            if let Some(l) = &sub.layer {
                let (c, cl, u) = scan_layer(l, collaterals, coll.dcap_unavailable.as_deref(), gpu, false, &super::compose_manager::options(layer, opts));
                checks.extend(c);
                provenance.extend(u);
                if let Value::Object(m) = cl {
                    sub_claims.extend(m);
                }
            }
            layers_claims.insert(sub.name, Value::Object(sub_claims));
        }
    }
    if let Some(answered) = &nras_nonce {
        let title = "The NRAS result answers the nonce of a layer's GPUs";
        checks.push(if nras_layers > 0 {
            Check::pass("nras.applies", title).actual(format!("{nras_layers} layer(s)"))
        } else {
            Check::fail(
                "nras.applies",
                title,
                "the NRAS result answers a nonce that no layer's GPUs carry: it attests other GPUs, or another request",
            )
            .actual(answered.clone().unwrap_or_default())
        });
    }
    let policy_info = match &opts.policy {
        Some(p) => PolicyInfo::of(Some(p)),
        None => {
            warnings.push("no measurement policy was applied: the verdict covers authenticity, bindings and appraisal, not which software runs".to_owned());
            PolicyInfo::of(None)
        }
    };
    // Deduplicate collateral records (shared by layers).
    provenance.sort_by(|a, b| (a.kind.as_str(), a.sha256.as_str()).cmp(&(b.kind.as_str(), b.sha256.as_str())));
    provenance.dedup_by(|a, b| a.kind == b.kind && a.sha256 == b.sha256);
    let mut claims = Map::new();
    claims.insert(
        "provider".to_owned(),
        json!({ "format": report.format, "reason": report.reason, "ignored": report.ignored, "nonce_hint": report.nonce_hint }),
    );
    claims.insert("layers".to_owned(), Value::Object(layers_claims));
    if let Some(sr) = &coll.signature {
        let (c, claim) = response_signature(report, sr);
        checks.extend(c);
        claims.insert("response_signature".to_owned(), claim);
    }
    let mut out = Report::new(
        opts.at,
        InputInfo {
            format: ctx.format(format!("provider report: {} ({})", report.format.as_str(), report.reason)),
            sha256: crate::bytes::to_hex(hasher.finish()),
            source: ctx.source.clone(),
        },
        policy_info,
        checks,
        Value::Object(claims),
        provenance,
        warnings,
    );
    // `[provenance]`: each workload layer's registers against the signed releases.
    if let Some(pp) = policy.and_then(|p| p.provenance.as_ref()) {
        let workloads: Vec<&Layer> = report.layers.iter().filter(|l| l.role == Role::Workload).collect();
        for l in &workloads {
            crate::provenance::eval::apply_in(&mut out, pp, &coll.provenance, &l.quote, Some(&l.name), opts.at, opts.sigstore_root.as_deref());
        }
        if workloads.is_empty() {
            out.checks.push(Check::fail("provenance.applies", "The policy's provenance sources apply to this evidence", "the report has no workload layer"));
            out.verdict = crate::report::Verdict::from_checks(&out.checks);
        }
    }
    out
}

/// The nonce an NRAS result says it answers (read unverified, only to choose the layers that
/// then verify it); `None` when the token cannot be read.
fn nras_answered_nonce(body: &[u8]) -> Option<String> {
    let eat = crate::nvidia::nras::parse_detached_eat(body).ok()?;
    let token = crate::nvidia::nras::decode_unverified(&eat.overall).ok()?;
    token.claims.get("eat_nonce").and_then(Value::as_str).map(str::to_owned)
}

/// The nonce a layer's GPU reports must carry: the nonce its quote binds, or its format's
/// derivation of it.
fn layer_gpu_nonce(layer: &Layer) -> Option<[u8; 32]> {
    match &layer.gpu_nonce {
        GpuNonce::Raw => layer.inputs.nonce.as_ref().and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
        GpuNonce::ChutesDerived(key) => layer.inputs.nonce_text.as_ref().map(|n| {
            let mut out = [0u8; 32];
            out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, format!("{n}{key}").as_bytes()).as_ref());
            out
        }),
    }
}

/// The policy a layer is held to: a gateway gets `[gateway.tdx]` in place of `[tdx]` (when the
/// policy has one) and never `[gpu]`; a workload gets `[tdx]` and `[gpu]`. This is the one place
/// that decides which section applies to which layer.
pub fn layer_policy(policy: &crate::policy::Policy, role: Role) -> crate::policy::Policy {
    let mut pol = policy.clone();
    if role == Role::Gateway {
        if let Some(g) = &pol.gateway {
            pol.tdx = Some(g.tdx.clone());
        }
        pol.gpu = None;
    }
    pol
}

/// `<layer>.evidence.missing` and `<layer>.evidence.unexpected`: what the format requires is
/// there, and nothing it forbids is.
fn evidence_checks(p: &str, layer: &Layer) -> Vec<Check> {
    let mut out = Vec::new();
    let title = "The evidence the format requires on this layer is present";
    let missing: Vec<&str> = layer.required.iter().filter(|m| !m.present).map(|m| m.member).collect();
    let wanted = layer.required.iter().map(|m| m.member).collect::<Vec<_>>().join(", ");
    if !layer.required.is_empty() {
        out.push(if missing.is_empty() {
            Check::pass(&format!("{p}.evidence.missing"), title).expected(wanted).actual("none missing")
        } else {
            Check::fail(&format!("{p}.evidence.missing"), title, format!("missing: {}", missing.join(", ")))
                .expected(wanted)
                .actual(format!("missing {}", missing.join(", ")))
        });
    }
    if !layer.unexpected.is_empty() {
        out.push(Check::fail(
            &format!("{p}.evidence.unexpected"),
            "The layer carries no evidence its role forbids",
            format!("a {} layer carries {}: evidence of another machine moved here proves nothing about this one", match layer.role {
                Role::Gateway => "gateway",
                Role::Workload => "workload",
            }, layer.unexpected.join(", ")),
        ));
    }
    out
}

fn scan_layer(
    layer: &Layer,
    collaterals: &[Collateral],
    unavailable: Option<&str>,
    gpu: &GpuCollateral,
    gets_nras: bool,
    opts: &ScanOptions,
) -> (Vec<Check>, Value, Vec<CollateralUsed>) {
    let p = layer.name.as_str();
    let layer_policy = opts.policy.as_ref().map(|x| layer_policy(&x.policy, layer.role));
    let policy = layer_policy.as_ref();
    let mut checks = evidence_checks(p, layer);
    let mut used = Vec::new();
    let mut claims = Map::new();

    // 1. The quote.
    let quote = match Quote::parse(&layer.quote) {
        Ok(q) => q,
        Err(e) => {
            checks.push(Check::fail(&format!("{p}.tdx.quote.structure"), "Quote parses", e.to_string()));
            return (checks, Value::Object(claims), used);
        }
    };
    let report_data = quote.report.report_data;
    let fmspc = quote.pck_hint().ok().map(|h| crate::bytes::to_hex(h.fmspc));
    let collateral = collaterals.iter().find(|c| c.tcb_info_fmspc().is_some() && c.tcb_info_fmspc() == fmspc);
    let tdx_opts = policy.map_or_else(|| opts.tdx.clone(), eval::tdx_options);
    let verification = match collateral {
        Some(c) => {
            let v = tdx::verify::verify_quote_with_cache(&layer.quote, quote.clone(), c, &opts.intel_root, opts.at, &tdx_opts, opts.cache.as_ref());
            let prov = c.provenance();
            checks.extend(prefixed(p, v.checks.clone()));
            claims.insert("tdx".to_owned(), serde_json::to_value(&v.claims).unwrap_or_default());
            used.extend(prov.clone());
            Some((v, prov))
        }
        None => {
            checks.push(
                Check::new(&format!("{p}.tdx.collateral.available"), "DCAP collateral for this quote's FMSPC available", Status::Indeterminate)
                    .reason(unavailable.map_or_else(
                        || format!("no --collateral for FMSPC {}", fmspc.clone().unwrap_or_else(|| "?".to_owned())),
                        str::to_owned,
                    )),
            );
            None
        }
    };

    // 2. The binding: REPORTDATA of the signed quote against the report's inputs.
    let title = format!("REPORTDATA binds the report's inputs ({} scheme)", layer.scheme.name());
    let holds = binding::holds(layer.scheme, &layer.inputs, &report_data);
    let expected = binding::expected(layer.scheme, &layer.inputs).map(|(e, n)| crate::bytes::to_hex(e.get(..n).unwrap_or_default())).unwrap_or_default();
    checks.push(match &holds {
        Ok(true) => Check::pass(&format!("{p}.binding.report_data"), &title).expected(expected.clone()).actual(crate::bytes::to_hex(report_data)),
        Ok(false) => Check::fail(&format!("{p}.binding.report_data"), &title, "the quote's REPORTDATA does not commit to these inputs")
            .expected(expected.clone())
            .actual(crate::bytes::to_hex(report_data)),
        Err(e) => Check::fail(&format!("{p}.binding.report_data"), &title, e.clone()),
    });
    let binding_holds = holds == Ok(true);
    if let (Some(stated), Some(bound)) = (&layer.inputs.stated_gpu_evidence_hash, &layer.inputs.gpu_evidence_hash) {
        let t = "The stated gpu_evidence_hash is SHA-256 of the GPU evidence as sent";
        let id = format!("{p}.binding.gpu_evidence_hash");
        checks.push(
            Check::from_bool(&id, t, stated == bound, "the report states another hash than its GPU evidence has: the evidence was changed")
                .expected(hex::encode(bound))
                .actual(hex::encode(stated)),
        );
    }
    claims.insert(
        "binding".to_owned(),
        json!({
            "scheme": layer.scheme.name(),
            "holds": binding_holds,
            "binds_tls": layer.scheme.binds_tls(),
            "signing_address": if binding_holds { layer.inputs.signing_address.as_ref().map(hex::encode) } else { None },
            "tls_fingerprint": if binding_holds { layer.inputs.tls_fingerprint.as_ref().map(hex::encode) } else { None },
        }),
    );

    // 3. Freshness: the nonce bound into the quote is the caller's.
    let bound_nonce: Option<Vec<u8>> = layer.inputs.nonce.clone();
    let nonce_title = "The report answers the caller's nonce (fresh)";
    checks.push(match (&opts.nonce, &bound_nonce) {
        (None, _) => Check::new(&format!("{p}.nonce"), nonce_title, Status::Indeterminate)
            .reason("no caller nonce (--nonce): the report is not shown to be fresh; it may be a replay")
            .actual(bound_nonce.as_ref().map(hex::encode).unwrap_or_default()),
        (Some(n), Some(b)) => Check::from_bool(&format!("{p}.nonce"), nonce_title, b.as_slice() == n.as_slice() && binding_holds, if binding_holds { "the server answered another nonce than the caller's (ignored or replayed)" } else { "the nonce is not bound: the binding does not hold" })
            .expected(crate::bytes::to_hex(n))
            .actual(crate::bytes::to_hex(b)),
        (Some(n), None) => Check::fail(&format!("{p}.nonce"), nonce_title, "the report states no nonce").expected(crate::bytes::to_hex(n)),
    });

    // 4. GPUs, nonce-bound to this quote (the bound nonce, or its declared derivation). A policy
    // with a `[gpu]` section requires GPU evidence on every layer it applies to.
    if policy.is_some_and(|pol| pol.gpu.is_some()) {
        checks.push(Check::from_bool(
            &format!("{p}.policy.gpu.present"),
            "GPU evidence the policy has rules for is present on this layer",
            layer.gpu.is_some(),
            "the policy has a [gpu] section but this layer carries no GPU evidence",
        ));
    }
    if let Some(list) = &layer.gpu {
        let mut gpu_opts = policy.map_or_else(crate::nvidia::verify::GpuOptions::default, eval::gpu_options);
        gpu_opts.expected_nonce = layer_gpu_nonce(layer);
        gpu_opts.cache.clone_from(&opts.cache);
        gpu_opts.parallel = opts.parallel;
        let mut coll = gpu.clone();
        if !gets_nras {
            coll.nras = None;
        }
        let v = verify_gpus(list, &coll, opts.at, &gpu_opts);
        checks.extend(prefixed(p, v.checks.clone()));
        if let Some(pol) = policy {
            checks.extend(prefixed(p, eval::evaluate_gpu(pol, &v)));
        }
        used.extend(v.collateral.clone());
        claims.insert("gpu".to_owned(), v.claims.to_value());
        claims.insert(
            "gpu_nonce".to_owned(),
            json!(match &layer.gpu_nonce {
                GpuNonce::Raw => "the quote's nonce",
                GpuNonce::ChutesDerived(_) => "SHA-256(nonce hex ‖ e2e public key), Chutes",
            }),
        );
    } else {
        claims.insert("gpu".to_owned(), json!("none: this layer carries no GPU evidence"));
    }

    // 5. Event log and software identity.
    if let Some(log) = &layer.event_log {
        let (c, cl) = event_log_checks(p, log, &quote, layer.info.as_ref());
        checks.extend(c);
        claims.insert("software".to_owned(), cl);
    }

    // 6. TDX policy for this layer.
    if let (Some(pol), Some((v, prov))) = (policy, &verification) {
        let outcome = BindingOutcome { scheme: layer.scheme, holds: binding_holds };
        checks.extend(prefixed(p, eval::evaluate_tdx_with_binding(pol, v, prov, opts.at, Some(outcome))));
    }

    // 7. Client-facing keys (signing, TLS, OHTTP, e2e, HPKE): checks, claims, `[keys]` policy.
    let (key_checks, key_claims) = super::keys::scan_keys(layer, binding_holds, policy);
    checks.extend(key_checks);
    claims.insert("keys".to_owned(), key_claims);
    (checks, Value::Object(claims), used)
}

/// Event-log replay and software identity for one layer.
fn event_log_checks(prefix: &str, log: &Value, quote: &Quote, info: Option<&Value>) -> (Vec<Check>, Value) {
    super::eventlog::scan_event_log(prefix, log, &quote.report.rtmr, info, &quote.report.mr_config_id)
}
