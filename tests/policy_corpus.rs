//! Policies against real evidence: every provider quote passes its shipped policy at its pinned
//! time; changing any one pinned value makes that check, and only that check, fail; and the
//! fail-open regressions of the field (misspelt key, empty allowlist, absent field, expired
//! policy, OutOfDate TCB, silent-about-debug) all fail closed. Validation is one function for
//! every TDX section (`[tdx]`, `[gateway.tdx]`) and `policy lint` uses the same load.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use teescan::policy::{AnyOf, HexBytes, LoadedPolicy, Policy, TcbStatusName};
use teescan::report::{Report, Status, Verdict};
use teescan::tdx::Collateral;
use teescan::time::Timestamp;
use teescan::{scan_tdx_quote, ScanOptions};

const AT: &str = "2026-07-01T00:00:00Z";

fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A shipped policy, reduced to what a bare quote can be held against: the provider-report rules
/// (report_data binding scheme, GPUs, gateway layer) are exercised by the provider scan tests.
fn load_policy(rel: &str) -> Policy {
    let mut p = Policy::parse(&std::fs::read_to_string(crate_path(rel)).unwrap()).unwrap();
    p.gpu = None;
    p.gateway = None;
    // Provenance needs the release bundles, which a bare quote scan does not take: it is
    // exercised in tests/trust_provenance.rs. Here only the pinned values are mutated.
    p.provenance = None;
    if let Some(td) = p.tdx.as_mut().and_then(|t| t.td.as_mut()) {
        td.report_data = None;
    }
    p
}

fn loaded(p: Policy) -> LoadedPolicy {
    LoadedPolicy { policy: p, sha256: "test".to_owned(), file: None }
}

/// (capture dir, quote file, collateral dir, shipped policy)
const CASES: &[(&str, &str, &str, &str)] = &[
    ("neardirect_qwen_qwen3.5-122b-a10b_20260629_020637", "quote_7cddc8d792dc.bin", "neardirect_qwen_qwen3.5-122b-a10b_20260629_020637", "policies/nearai.toml"),
    ("neardirect_qwen_qwen3.5-122b-a10b_20260629_020637", "quote_c97105c1eb2b.bin", "neardirect_qwen_qwen3.5-122b-a10b_20260629_020637", "policies/nearai.toml"),
    ("nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657", "quote_2f655fa9c2e6.bin", "neardirect_qwen_qwen3.5-122b-a10b_20260629_020637", "policies/nearai.toml"),
    ("nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657", "quote_c19965efa74e.bin", "neardirect_qwen_qwen3.5-122b-a10b_20260629_020637", "policies/nearai.toml"),
    ("nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657", "quote_dbd3b82f0fc6.bin", "nearcloud_qwen_qwen3.5-122b-a10b_20260629_020657", "policies/nearai-gateway.toml"),
    ("venice_e2ee-qwen3-5-122b-a10b_20260610_014707", "quote_b8962a1d1f04.bin", "venice_e2ee-qwen3-5-122b-a10b_20260610_014707", "policies/nearai.toml"),
    ("venice_e2ee-qwen3-5-122b-a10b_20260610_014707", "quote_ffe50c2f45f0.bin", "venice_e2ee-qwen3-5-122b-a10b_20260610_014707", "policies/nearai.toml"),
    ("phalacloud_phala_deepseek-v3.2_20260610_014917", "quote_0c6b86ae82df.bin", "phalacloud_phala_deepseek-v3.2_20260610_014917", "policies/phala-redpill.toml"),
    ("phalacloud_phala_deepseek-v3.2_20260610_014917", "quote_62a22ad66a66.bin", "phalacloud_phala_deepseek-v3.2_20260610_014917", "policies/phala-redpill.toml"),
    ("phalacloud_phala_deepseek-v3.2_20260610_014917", "quote_76fddc0ba887.bin", "phalacloud_phala_deepseek-v3.2_20260610_014917", "policies/phala-redpill.toml"),
    ("phalacloud_phala_deepseek-v3.2_20260610_014917", "quote_807f562cba35.bin", "phalacloud_phala_deepseek-v3.2_20260610_014917", "policies/phala-redpill.toml"),
    ("phalacloud_phala_deepseek-v3.2_20260610_014917", "quote_a929c5744c1e.bin", "phalacloud_phala_deepseek-v3.2_20260610_014917", "policies/phala-redpill.toml"),
    ("tinfoil_v3_direct_gemma4-31b_20260629_021304", "quote_4a2c09445289.bin", "tinfoil_v3_direct_gemma4-31b_20260629_021304", "policies/tinfoil.toml"),
];

struct Evidence {
    quote: Vec<u8>,
    collateral: Collateral,
}

fn evidence(root: &Path, dir: &str, quote: &str, coll: &str) -> Evidence {
    let teep = root.join("tdx/derived/teep");
    Evidence {
        quote: std::fs::read(teep.join(dir).join(quote)).unwrap(),
        collateral: Collateral::from_dcap_json(&std::fs::read(teep.join(coll).join("collateral.json")).unwrap()).unwrap(),
    }
}

fn scan(e: &Evidence, policy: Policy, at: &str) -> Report {
    let mut opts = ScanOptions::new(Timestamp::parse_rfc3339(at).unwrap());
    opts.policy = Some(loaded(policy));
    scan_tdx_quote(&e.quote, &e.collateral, &opts).unwrap()
}

fn failures(r: &Report) -> Vec<String> {
    r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id.clone()).collect()
}

#[test]
fn every_provider_quote_passes_its_shipped_policy_and_the_baseline() {
    let Some(root) = corpus::root() else { return };
    for (dir, quote, coll, policy) in CASES {
        let e = evidence(&root, dir, quote, coll);
        for p in [*policy, "policies/tdx-baseline.toml"] {
            let r = scan(&e, load_policy(p), AT);
            assert_eq!(r.verdict, Verdict::Pass, "{dir}/{quote} under {p}: {:?}", failures(&r));
            assert!(r.policy.applied);
            assert!(r.checks.iter().filter(|c| c.id.starts_with("policy.")).count() >= 3, "{p} produced policy checks");
        }
    }
}

fn flip48(v: &HexBytes<48>) -> HexBytes<48> {
    let mut b = v.0;
    b[47] ^= 1;
    HexBytes(b)
}

fn mutate_all(a: &AnyOf<HexBytes<48>>) -> AnyOf<HexBytes<48>> {
    AnyOf { any_of: a.any_of.iter().map(flip48).collect() }
}

/// Each variant changes one pinned value; returns (expected failing check id, policy).
fn single_pin_mutations(p: &Policy) -> Vec<(String, Policy)> {
    let mut out = Vec::new();
    let tdx = p.tdx.clone().unwrap();
    let td = tdx.td.clone().unwrap();
    macro_rules! pin48 {
        ($field:ident) => {
            if let Some(a) = &td.$field {
                let mut q = p.clone();
                q.tdx.as_mut().unwrap().td.as_mut().unwrap().$field = Some(mutate_all(a));
                out.push((format!("policy.tdx.td.{}", stringify!($field)), q));
            }
        };
    }
    pin48!(mr_seam);
    pin48!(mr_signer_seam);
    pin48!(mr_td);
    pin48!(rtmr0);
    pin48!(rtmr1);
    pin48!(rtmr2);
    pin48!(rtmr3);
    pin48!(mr_config_id);
    pin48!(mr_owner);
    pin48!(mr_owner_config);
    for (name, m) in [("td_attributes", td.td_attributes), ("xfam", td.xfam)] {
        if let Some(mut m) = m {
            let bit = 1u64 << m.mask.trailing_zeros();
            m.value ^= bit;
            let mut q = p.clone();
            let t = q.tdx.as_mut().unwrap().td.as_mut().unwrap();
            if name == "xfam" { t.xfam = Some(m) } else { t.td_attributes = Some(m) }
            out.push((format!("policy.tdx.td.{name}"), q));
        }
    }
    if let Some(tcb) = &tdx.tcb {
        if tcb.fmspc.is_some() {
            let mut q = p.clone();
            q.tdx.as_mut().unwrap().tcb.as_mut().unwrap().fmspc = Some(AnyOf { any_of: vec![HexBytes([0x00, 0x90, 0x6e, 0xd5, 0, 0])] });
            out.push(("policy.tdx.tcb.fmspc".to_owned(), q));
        }
        if let Some(n) = tcb.min_tcb_evaluation_data_number {
            let mut q = p.clone();
            q.tdx.as_mut().unwrap().tcb.as_mut().unwrap().min_tcb_evaluation_data_number = Some(n + 5);
            out.push(("policy.tdx.tcb.min_tcb_evaluation_data_number".to_owned(), q));
        }
        let mut q = p.clone();
        q.tdx.as_mut().unwrap().tcb.as_mut().unwrap().allowed_status = Some(AnyOf { any_of: vec![TcbStatusName::OutOfDate] });
        out.push(("policy.tdx.tcb.allowed_status".to_owned(), q));
    }
    out
}

#[test]
fn changing_one_pinned_value_fails_that_check_and_only_that_check() {
    let Some(root) = corpus::root() else { return };
    let mut tried = 0;
    for (dir, quote, coll, policy) in CASES {
        let e = evidence(&root, dir, quote, coll);
        let base = load_policy(policy);
        let variants = single_pin_mutations(&base);
        // tinfoil.toml takes MRTD and RTMR0-2 from signed releases, so it pins 7 values.
        assert!(variants.len() >= 7, "{policy}: expected several pinned values, got {}", variants.len());
        for (id, variant) in variants {
            let r = scan(&e, variant, AT);
            assert_eq!(r.verdict, Verdict::Fail, "{dir}/{quote} {policy}: changing {id} must fail");
            assert_eq!(failures(&r), vec![id.clone()], "{dir}/{quote} {policy}: only {id} may fail");
            tried += 1;
        }
    }
    assert!(tried > 100, "{tried} single-pin mutations");
}

const HEADER: &str = "schema = \"teescan.policy/v1\"\nid = \"t\"\nexpires = 2027-01-01T00:00:00Z\n";

#[test]
fn misspelt_key_and_empty_allowlist_are_load_errors() {
    let e = Policy::parse(&format!("{HEADER}[tdx.td]\nmr_tdd = {{ any_of = [\"{}\"] }}\n", "00".repeat(48))).unwrap_err();
    assert!(e.to_string().contains("mr_tdd"), "{e}");
    let e = Policy::parse(&format!("{HEADER}[tdx.td]\nmr_td = {{ any_of = [] }}\n")).unwrap_err();
    assert!(e.to_string().contains("must not be empty"), "{e}");
    let e = Policy::parse(&format!("{HEADER}[tdx.tcb]\nallowed_status = {{ any_of = [\"UpToDat\"] }}\n")).unwrap_err();
    assert!(e.to_string().contains("UpToDat"), "{e}");
}

#[test]
fn a_rule_for_a_field_the_evidence_lacks_fails() {
    let Some(root) = corpus::root() else { return };
    // A TD 1.0 quote has no MRSERVICETD.
    let (dir, quote, coll, _) = CASES[0];
    let e = evidence(&root, dir, quote, coll);
    let p = Policy::parse(&format!("{HEADER}[tdx.td]\nmr_service_td = {{ any_of = [\"{}\"] }}\n", "00".repeat(48))).unwrap();
    let r = scan(&e, p, AT);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(failures(&r), vec!["policy.tdx.td.mr_service_td"]);
    // A report_data binding scheme cannot be met by a bare quote.
    let p = Policy::parse(&format!("{HEADER}[tdx.td]\nreport_data = {{ scheme = \"signing-address-tls\" }}\n")).unwrap();
    assert_eq!(failures(&scan(&e, p, AT)), vec!["policy.tdx.td.report_data"]);
    // A TCB rule when the DCAP appraisal did not complete (collateral expired): fails too.
    let p = Policy::parse(&format!("{HEADER}[tdx.tcb]\nmin_tcb_evaluation_data_number = 1\n")).unwrap();
    let r = scan(&e, p, "2026-08-15T00:00:00Z");
    let f = failures(&r);
    assert!(f.contains(&"policy.tdx.tcb.min_tcb_evaluation_data_number".to_owned()), "{f:?}");
    assert!(f.contains(&"policy.tdx.tcb.allowed_status".to_owned()), "{f:?}");
}

#[test]
fn an_expired_policy_makes_the_scan_indeterminate() {
    let Some(root) = corpus::root() else { return };
    let (dir, quote, coll, policy) = CASES[0];
    let e = evidence(&root, dir, quote, coll);
    let mut p = load_policy(policy);
    p.expires = teescan::policy::PolicyTime(Timestamp::parse_rfc3339("2026-06-30T00:00:00Z").unwrap());
    let r = scan(&e, p, AT);
    assert_eq!(r.verdict, Verdict::Indeterminate);
    assert_eq!(r.verdict.exit_code(), 3);
    let c = r.check("policy.expires").unwrap();
    assert_eq!(c.status, Status::Indeterminate);
    assert!(c.reason.as_deref().unwrap().contains("expired"));
}

#[test]
fn out_of_date_tcb_fails_unless_allowed() {
    let Some(root) = corpus::root() else { return };
    // dcap-qvl's 2025 quote appraised with the eval #20 collateral of 2026-10: OutOfDate.
    let e = Evidence {
        quote: corpus::read(&root, "tdx/dcap-qvl-0.7.1/tdx_quote"),
        collateral: Collateral::from_dcap_json(&corpus::read(&root, "tdx/derived/tdx_quote_td15ex_collateral.without_pck_chain.json")).unwrap(),
    };
    let at = "2026-10-10T00:00:00Z";
    let r = scan(&e, Policy::parse(&format!("{HEADER}[tdx.tcb]\n")).unwrap(), at);
    assert_eq!(failures(&r), vec!["policy.tdx.tcb.allowed_status"], "OutOfDate is not allowed by default");
    let allow = format!("{HEADER}[tdx.tcb]\nallowed_status = {{ any_of = [\"UpToDate\", \"OutOfDate\"] }}\n");
    assert_eq!(scan(&e, Policy::parse(&allow).unwrap(), at).verdict, Verdict::Pass);
    let denied = format!("{allow}deny_advisories = {{ any_of = [\"INTEL-SA-01245\"] }}\n");
    assert_eq!(failures(&scan(&e, Policy::parse(&denied).unwrap(), at)), vec!["policy.tdx.tcb.deny_advisories"]);
    // Grace period: the matched level's tcbDate is long past.
    let graced = format!("{allow}grace_period = \"30d\"\n");
    assert_eq!(failures(&scan(&e, Policy::parse(&graced).unwrap(), at)), vec!["policy.tdx.tcb.allowed_status"]);
}

#[test]
fn a_debug_td_fails_under_a_policy_silent_about_debug() {
    let Some(root) = corpus::root() else { return };
    let e = Evidence {
        quote: corpus::read(&root, "tdx/teekit/tdx-v4-trustee.dat"),
        collateral: Collateral::from_dcap_json(&corpus::read(&root, "tdx/derived/collateral_50806f000000_2023-06_go-tdx-guest.json")).unwrap(),
    };
    let header = HEADER.replace("2027-01-01", "2024-01-01");
    let at = "2023-07-01T01:00:00Z";
    let r = scan(&e, Policy::parse(&format!("{header}[tdx.tcb]\n")).unwrap(), at);
    assert_eq!(failures(&r), vec!["tdx.td.debug"], "debug is denied unless the policy allows it");
    let allowed = format!("{header}[tdx.tcb]\n[tdx.td]\nallow_debug = true\n");
    assert_eq!(scan(&e, Policy::parse(&allowed).unwrap(), at).verdict, Verdict::Pass);
}

#[test]
fn max_collateral_age_rejects_old_collateral() {
    let Some(root) = corpus::root() else { return };
    let (dir, quote, coll, _) = CASES[0];
    let e = evidence(&root, dir, quote, coll);
    let p = Policy::parse(&format!("{HEADER}[tdx.tcb]\nmax_collateral_age = \"1d\"\n")).unwrap();
    assert_eq!(failures(&scan(&e, p.clone(), AT)), vec!["policy.tdx.tcb.max_collateral_age"]);
    assert_eq!(scan(&e, p, "2026-06-29T12:00:00Z").verdict, Verdict::Pass);
}

/// Every shipped policy: waiving local RIM or OCSP appraisal requires NRAS in its place, and any
/// `[gpu]` section has the GPU measurements appraised (locally by RIM, or by NRAS). Files are
/// read from `policies/`, so a new policy is covered without editing this test.
#[test]
fn shipped_policies_never_leave_gpu_measurements_unappraised() {
    use teescan::policy::Requirement;
    let mut seen = 0;
    let mut with_gpu = 0;
    for entry in std::fs::read_dir(crate_path("policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        seen += 1;
        let p = Policy::parse(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Some(g) = p.gpu else { continue };
        with_gpu += 1;
        let name = path.display();
        if g.rim == Requirement::Waived || g.ocsp == Requirement::Waived {
            assert_eq!(g.nras, Requirement::Required, "{name}: waives RIM or OCSP without requiring NRAS");
        }
        assert!(g.rim == Requirement::Required || g.nras == Requirement::Required, "{name}: GPU measurements appraised by neither RIM nor NRAS");
    }
    assert!(seen >= 7 && with_gpu >= 5, "{seen} policies, {with_gpu} with [gpu]");
}

// ---- One validation for every section; lint uses the same load --------------------------------

/// Load errors, and the same error from `policy lint`.
fn refused(text: &str) -> String {
    let e = Policy::parse(text).expect_err("must be refused at load").to_string();
    let lint = teescan::policy::lint::lint(text.as_bytes(), Timestamp::parse_rfc3339(AT).unwrap());
    assert!(!lint.is_clean(), "lint must report the load error for:\n{text}");
    assert_eq!(lint.findings[0].message, e, "lint reports the load error itself");
    e
}

/// A valid `[gateway.tdx]` preamble: a top-level `[tdx.tcb]` rule and the gateway header.
fn with_gateway(body: &str) -> String {
    format!("{HEADER}[tdx.tcb]\n{body}")
}

#[test]
fn zero_mask_is_refused_in_every_tdx_section() {
    for (section, text) in [
        ("tdx.td", format!("{HEADER}[tdx.td]\nxfam = {{ value = \"0x0\", mask = \"0x0\" }}\n")),
        ("gateway.tdx.td", with_gateway("[gateway.tdx.td]\nxfam = { value = \"0x0\", mask = \"0x0\" }\n")),
        ("gateway.tdx.td", with_gateway("[gateway.tdx.td]\ntd_attributes = { value = \"0x0\", mask = \"0x0\" }\n")),
    ] {
        let e = refused(&text);
        assert!(e.starts_with(&format!("{section}.")) && e.contains("mask is 0"), "{e}");
    }
    let e = refused(&with_gateway("[gateway.tdx.td]\nxfam = { value = \"0x3\", mask = \"0x1\" }\n"));
    assert!(e.starts_with("gateway.tdx.td.xfam") && e.contains("outside mask"), "{e}");
}

#[test]
fn unknown_or_miscased_binding_scheme_is_a_load_error_in_every_tdx_section() {
    for scheme in ["SIGNING-ADDRESS-TLS", "nearai-signing-address", "signing_address_tls"] {
        let rule = format!("report_data = {{ scheme = \"{scheme}\" }}\n");
        let e = refused(&format!("{HEADER}[tdx.td]\n{rule}"));
        assert!(e.starts_with("tdx.td.report_data.scheme") && e.contains("unknown binding scheme"), "{e}");
        let e = refused(&with_gateway(&format!("[gateway.tdx.td]\n{rule}")));
        assert!(e.starts_with("gateway.tdx.td.report_data.scheme") && e.contains("unknown binding scheme"), "{e}");
    }
    for scheme in ["padded-signing-address", "chutes-e2e", "signing-address-tls", "tinfoil-v3"] {
        Policy::parse(&format!("{HEADER}[tdx.td]\nreport_data = {{ scheme = \"{scheme}\" }}\n")).unwrap();
    }
}

#[test]
fn an_empty_tdx_section_is_a_load_error() {
    let e = refused(&format!("{HEADER}[tdx]\n"));
    assert!(e.starts_with("tdx:") && e.contains("checks nothing"), "{e}");
    let e = refused(&format!("{HEADER}[gpu]\n[tdx]\n"));
    assert!(e.starts_with("tdx:"), "{e}");
    let e = refused(&with_gateway("[gateway.tdx]\n"));
    assert!(e.starts_with("gateway.tdx:") && e.contains("checks nothing"), "{e}");
    // JSON policies go through the same validation.
    let e = refused(r#"{"schema": "teescan.policy/v1", "id": "t", "expires": "2027-01-01T00:00:00Z", "tdx": {}}"#);
    assert!(e.starts_with("tdx:"), "{e}");
    // A section with a rule table (even one relying on the defaults) is a requirement.
    Policy::parse(&format!("{HEADER}[tdx.tcb]\n")).unwrap();
    Policy::parse(&with_gateway("[gateway.tdx.td]\nallow_debug = false\n")).unwrap();
}

#[test]
fn every_shipped_policy_loads_and_lints_clean() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crate_path("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.push(crate_path("fixtures/testpki/policy.toml"));
    assert!(files.len() >= 8, "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        Policy::load(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let lint = teescan::policy::lint::lint(&bytes, Timestamp::parse_rfc3339("2026-01-15T00:00:00Z").unwrap());
        assert!(lint.is_clean(), "{}: {:?}", f.display(), lint.findings);
        assert!(
            lint.findings.iter().all(|x| x.severity == teescan::policy::lint::Severity::Ok),
            "{}: {:?}",
            f.display(),
            lint.findings
        );
    }
}
