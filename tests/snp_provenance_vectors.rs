//! Tinfoil's 7 `verify-full` vectors (Sigstore bundle + SEV-SNP report + measurement compare)
//! through the one scan pipeline: the report as evidence, its VCEK (+ the Genoa ASK/ARK) and the
//! bundle as collateral, the vector's policy as a teescan policy (`[[provenance.source]]` for the
//! standard flow, `[snp] measurement` for the pinned flow). Each expected rejection is answered by
//! the teescan check named in `answers`; 504 (no attestation block) has no evidence to scan.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/snp_corpus.rs"]
mod snp_corpus;

use teescan::policy::Policy;
use teescan::provenance::eval::SuppliedBundle;
use teescan::report::{Status, Verdict};
use teescan::scan::{Collateral, Evidence, Scanner};
use teescan::time::Timestamp;

const DIR: &str = "sigstore/tinfoil-conformance/vectors/verify-full";
const ROUTER_REPO: &str = "tinfoilsh/confidential-model-router";

fn policy(inp: &serde_json::Value) -> String {
    let mut p = String::from("schema = \"teescan.policy/v1\"\nid = \"verify-full\"\nexpires = 2030-01-01T00:00:00Z\n[snp]\nproduct = { any_of = [\"Genoa\"] }\nmin_guest_svn = 0\n");
    if let Some(m) = inp["attestation_sev"]["policy"]["expected_measurement_hex"].as_str() {
        p += &format!("measurement = {{ any_of = [\"{m}\"] }}\n");
    }
    if let Some(m) = inp["pinned_measurement"]["registers"][0].as_str() {
        p += &format!("measurement = {{ any_of = [\"{m}\"] }}\n");
    }
    if inp["mode"] == "standard" {
        let s = &inp["sigstore"];
        let pol = &s["policy"];
        p += &format!(
            "[[provenance.source]]\nname = \"router\"\nissuer = \"{}\"\nrepository = \"{}\"\nref_prefix = \"{}\"\npredicate_type = \"{}\"\nmeasurements = [\"snp_measurement\"]\n",
            pol["oidc_issuer"].as_str().unwrap_or("https://token.actions.githubusercontent.com"),
            s["repo"].as_str().unwrap_or(ROUTER_REPO),
            pol["workflow_ref_prefix"].as_str().unwrap_or("refs/tags/"),
            pol["predicate_types_allowed"][0].as_str().unwrap_or("https://tinfoil.sh/predicate/snp-tdx-multiplatform/v1"),
        );
    }
    p
}

/// Tinfoil's rejection code and the teescan check that answers it.
fn answer(code: &str) -> &'static str {
    match code {
        "SUBJECT_DIGEST_MISMATCH" => "provenance.source[0].statement",
        "MEASUREMENT_MISMATCH" => "policy.snp.measurement",
        "BUNDLE_MALFORMED" => "provenance.source[0].bundle",
        c => panic!("unmapped code {c}"),
    }
}

#[test]
fn tinfoils_verify_full_vectors_give_their_expected_outcomes_through_the_scan_pipeline() {
    let Some(root) = corpus::root() else { return };
    let mut dirs: Vec<_> = std::fs::read_dir(root.join(DIR)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("input.json").is_file()).collect();
    dirs.sort();
    assert_eq!(dirs.len(), 7);
    let mut as_expected = 0;
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let inp: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("input.json")).unwrap()).unwrap();
        let exp: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let accepted = exp["accepted"].as_bool().unwrap();
        let sev = &inp["attestation_sev"];
        let Some(doc) = sev["attestation_doc_b64"].as_str() else {
            // 504: no report. teescan's input is the evidence: there is nothing to scan, and no
            // bundle alone ever passes (an empty input is an input error).
            assert!(!accepted && Evidence::detect(b"").is_err(), "{name}");
            as_expected += 1;
            continue;
        };
        let report = snp_corpus::gunzip(&snp_corpus::b64(doc));
        let ev = Evidence::detect(&report).unwrap();
        let mut coll = Collateral::default();
        coll.snp.add_certs(&snp_corpus::b64(sev["vcek_der_b64"].as_str().unwrap())).unwrap();
        coll.snp.add_certs(&std::fs::read(root.join("sev-snp/go-sev-guest/trust/ask_ark_genoa.pem")).unwrap()).unwrap();
        if let Some(b) = inp["sigstore"]["bundle_b64"].as_str() {
            coll.provenance.push(SuppliedBundle {
                origin: name.clone(),
                json: snp_corpus::b64(b),
                lookup_sha256: inp["sigstore"]["expected_digest_sha256_hex"].as_str().map(str::to_owned),
            });
        }
        let at = Timestamp::from_unix(sev["expiration_check_date_unix"].as_u64().unwrap());
        let r = Scanner::new(at).with_policy(Policy::load(policy(&inp).as_bytes()).unwrap()).scan(&ev, &coll).unwrap();
        let fails: Vec<&str> = r.checks.iter().filter(|c| c.required && c.status == Status::Fail).map(|c| c.id.as_str()).collect();
        if accepted {
            assert_eq!(r.verdict, Verdict::Pass, "{name}: {fails:?}");
            if inp["mode"] == "standard" {
                assert_eq!(r.check("provenance.source[0].snp_measurement").unwrap().status, Status::Pass, "{name}");
            }
        } else {
            let want = answer(exp["rejection"]["code"].as_str().unwrap());
            assert_eq!(r.verdict, Verdict::Fail, "{name}");
            assert_eq!(fails, [want], "{name}");
        }
        as_expected += 1;
    }
    assert_eq!(as_expected, 7);
}
