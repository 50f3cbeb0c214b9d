//! Policy validation and the check registry for SEV-SNP evidence under `[provenance]` (issue
//! #16/#17 loose ends): an `[snp]` section whose measurement comes from a Sigstore source is a
//! valid section; a source's TDX registers skipped on an SNP report are optional in the registry
//! (`src/report/ids.rs`) as in the report.
#![cfg(feature = "cli")]

#[path = "support/corpus.rs"]
mod corpus;

use std::process::Command;

use teescan::policy::Policy;
use teescan::report::ids::{self, Required};

const ROUTER: &str = "providers/teep-captures/tinfoil_v3_cloud_llama3-3-70b_20260629_021249/responses";
const ROUTER_AT: &str = "2026-06-29T02:12:49Z";
const ROUTER_NONCE: &str = "229471a8453a3521eac3d6ada9f1d52e42c97a527c3a50d565e999401dfd3e9b";

fn policy(snp: &str, measurements: &str) -> String {
    format!(
        r#"schema = "teescan.policy/v1"
id = "router-by-provenance"
expires = 2027-03-31T00:00:00Z
[snp]
{snp}
[[provenance.source]]
name = "router"
issuer = "https://token.actions.githubusercontent.com"
repository = "tinfoilsh/confidential-model-router"
ref_prefix = "refs/tags/"
predicate_type = "https://tinfoil.sh/predicate/snp-tdx-multiplatform/v1"
measurements = [{measurements}]
"#
    )
}

#[test]
fn an_snp_section_with_only_product_is_valid_when_provenance_provides_the_measurement() {
    let p = policy(r#"product = { any_of = ["Genoa"] }"#, r#""snp_measurement""#);
    Policy::load(p.as_bytes()).unwrap_or_else(|e| panic!("refused: {e}"));
    // Without a source providing snp_measurement, nothing pins the measurement: still refused.
    let e = Policy::load(policy(r#"product = { any_of = ["Genoa"] }"#, r#""rtmr1""#).as_bytes()).unwrap_err();
    assert!(e.to_string().contains("snp_measurement"), "{e}");
}

#[test]
fn tdx_registers_of_a_source_skipped_on_an_snp_report_are_optional_in_the_registry() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join(ROUTER);
    let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("snp_provenance_policy");
    std::fs::create_dir_all(&scratch).unwrap();
    let p = scratch.join("policy.toml");
    let rules = "product = { any_of = [\"Genoa\"] }\npolicy = { value = \"0x0000000000030000\", mask = \"0x00000000001fffff\" }";
    std::fs::write(&p, policy(rules, r#""rtmr1", "rtmr2", "snp_measurement""#)).unwrap();
    let file = |needle: &str| {
        let mut v: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|x| x.to_string_lossy().contains(needle) && x.to_string_lossy().ends_with(".body")).collect();
        v.sort();
        v.remove(0)
    };
    let out = Command::new(env!("CARGO_BIN_EXE_teescan"))
        .arg("scan")
        .arg(file("tinfoil-attestation"))
        .args(["--at", ROUTER_AT, "--nonce", ROUTER_NONCE, "--offline", "--no-cache", "--format", "json", "--policy"])
        .arg(&p)
        .arg("--collateral")
        .arg(file("cert_chain"))
        .arg("--collateral")
        .arg(file("vcek_v1_genoa_1af1"))
        .arg("--collateral")
        .arg(file("attestations"))
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    let checks = j["checks"].as_array().unwrap();
    let get = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id}: {j:#}"));
    assert_eq!(get("provenance.source[0].snp_measurement")["status"], "pass");
    for r in ["rtmr1", "rtmr2"] {
        let c = get(&format!("provenance.source[0].{r}"));
        assert_eq!(c["status"], "skipped", "{c}");
        assert_eq!(c["required"], false, "{c}");
    }
    // Every optional check is one the registry allows to be optional.
    for c in checks.iter().filter(|c| c["required"] == false) {
        let id = c["id"].as_str().unwrap();
        let spec = ids::lookup(id).unwrap_or_else(|| panic!("unregistered {id}"));
        assert_ne!(spec.required, Required::Yes, "{id} is reported optional but registered as always required");
    }
}
