//! Parsing alone, for each evidence kind, and policy evaluation alone, on real corpus evidence
//! (skipped without the corpus). Nothing here verifies a signature.
//!
//! `cargo bench --bench parse`.

#[path = "common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use teescan::nvidia::evidence::parse_evidence_list;
use teescan::nvidia::spdm::SpdmReport;
use teescan::nvidia::verify::verify_gpus;
use teescan::nvidia::{nras, ocsp};
use teescan::policy::{eval, Policy};
use teescan::provider;
use teescan::tdx::{Collateral, Quote};

fn bench(c: &mut Criterion) {
    let Some(root) = common::corpus() else { return };
    let set = common::tdx_near(&root);
    let h = common::h100(&root);
    let n8 = common::near8(&root);
    let nd = common::near_direct(&root);

    common::bench(c, "parse/tdx_quote", || Quote::parse(black_box(&set.quotes[0])).expect("quote"));
    common::bench(c, "parse/dcap_collateral_json", || Collateral::from_dcap_json(black_box(&set.collateral_json)).expect("collateral"));
    common::bench(c, "parse/spdm_report_h100", || SpdmReport::parse(black_box(&h.report)).expect("report"));
    common::bench(c, "parse/evidence_list_near_8xh100", || parse_evidence_list(black_box(&n8.payload)).expect("list"));
    common::bench(c, "parse/provider_report_near_direct", || provider::parse(black_box(&nd.body)).expect("provider report"));
    // teescan has no parse-only RIM entry point (verify_rim parses and verifies in one pass); this
    // is the XML parse it starts with (xml-sec, the same backend).
    let (_, rim_xml) = &h.coll.rims[0];
    common::bench(c, "parse/rim_xml_driver", || xml_sec::XmlDocument::parse_bytes(black_box(rim_xml)).expect("xml"));
    common::bench(c, "parse/ocsp_response", || ocsp::response_serials(black_box(&h.coll.ocsp[0])).expect("ocsp"));
    let nras_in = n8.coll.nras.as_ref().expect("nras");
    common::bench(c, "parse/nras_detached_eat_9_tokens", || {
            let eat = nras::parse_detached_eat(black_box(&nras_in.body)).expect("eat");
            let n = nras::decode_unverified(&eat.overall).is_ok() as usize;
            n + eat.devices.iter().filter(|(_, t)| nras::decode_unverified(t).is_ok()).count()
        });
    common::bench(c, "parse/nras_jwks", || nras::parse_jwks(black_box(&nras_in.jwks)).expect("jwks"));
    let report = provider::parse(&nd.body).expect("provider report");
    let log = report.layers[0].event_log.clone().expect("event log");
    common::bench(c, "parse/event_log_near_direct", || provider::eventlog::parse_event_log(black_box(&log)).expect("event log"));
    let policy_text = common::crate_file("policies/nearai.toml");
    common::bench(c, "parse/policy_nearai_toml", || Policy::load(black_box(&policy_text)).expect("policy"));

    // Policy evaluation alone, on verifications done once outside the loop.
    let pol = nd.policy.policy.clone();
    let quote = Quote::parse(&set.quotes[0]).expect("quote");
    let v = teescan::tdx::verify_quote(&set.quotes[0], quote, &set.collateral, &teescan::pki::TrustAnchor::intel_sgx_root(), set.at, &eval::tdx_options(&pol));
    let prov = set.collateral.provenance();
    common::bench(c, "policy/evaluate_tdx_nearai", || eval::evaluate_tdx(black_box(&pol), &v, &prov, set.at));
    let gv = verify_gpus(&n8.list, &n8.coll, n8.at, &n8.opts);
    common::bench(c, "policy/evaluate_gpu_nearai_8xh100", || eval::evaluate_gpu(black_box(&pol), &gv));
}

criterion_group! { name = benches; config = common::criterion(); targets = bench }
criterion_main!(benches);
