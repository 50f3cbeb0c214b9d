//! Readers for the SEV-SNP corpus (`../shared/fixtures/sev-snp/`): manifest cases and Tinfoil's
//! conformance vectors, decoded into a report and its collateral.
#![allow(dead_code)]

use std::path::Path;

use base64::Engine as _;
use teescan::snp::SnpCollateral;
use teescan::time::Timestamp;

pub fn b64(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// DER, PEM or base64 text of DER.
pub fn cert_bytes(raw: &[u8]) -> Vec<u8> {
    if raw.first() == Some(&0x30) || raw.windows(5).any(|w| w == b"-----") {
        raw.to_vec()
    } else {
        b64(std::str::from_utf8(raw).unwrap())
    }
}

pub fn gunzip(b: &[u8]) -> Vec<u8> {
    if !b.starts_with(&[0x1f, 0x8b]) {
        return b.to_vec();
    }
    assert_eq!(b[3] & !0x08, 0, "only FNAME gzip flags handled");
    let mut at = 10;
    if b[3] & 0x08 != 0 {
        at += b[at..].iter().position(|&x| x == 0).unwrap() + 1;
    }
    miniz_oxide::inflate::decompress_to_vec(&b[at..b.len() - 8]).unwrap()
}

pub struct Case {
    pub id: String,
    pub expect: String,
    pub report: Vec<u8>,
    pub collateral: SnpCollateral,
    pub at: Timestamp,
    pub allow_debug: bool,
}

fn json_path<'a>(v: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    path.split('/').fold(v, |v, k| &v[k])
}

pub fn report_of(root: &Path, spec: &serde_json::Value) -> Vec<u8> {
    let raw = std::fs::read(root.join(spec["path"].as_str().unwrap())).unwrap();
    let data = match spec["format"].as_str().unwrap_or("bin") {
        "bin" => raw,
        "hex" => hex::decode(std::str::from_utf8(&raw).unwrap().trim()).unwrap(),
        "b64" => b64(std::str::from_utf8(&raw).unwrap()),
        "json-b64" => {
            let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
            b64(json_path(&v, spec["json_path"].as_str().unwrap()).as_str().unwrap())
        }
        "json-hex" => {
            let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
            hex::decode(json_path(&v, spec["json_path"].as_str().unwrap()).as_str().unwrap()).unwrap()
        }
        f => panic!("format {f}"),
    };
    let off = spec["offset"].as_u64().unwrap_or(0) as usize;
    data[off..off + 1184].to_vec()
}

pub fn cases(root: &Path) -> Vec<Case> {
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(root.join("sev-snp/manifest.json")).unwrap()).unwrap();
    m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut collateral = SnpCollateral::default();
            for k in ["leaf", "intermediate", "ark"] {
                collateral.add_certs(&cert_bytes(&std::fs::read(root.join(c[k].as_str().unwrap())).unwrap())).unwrap();
            }
            if let Some(crl) = c["crl"].as_str() {
                collateral.crls.push(cert_bytes(&std::fs::read(root.join(crl)).unwrap()));
            }
            Case {
                id: c["id"].as_str().unwrap().to_owned(),
                expect: c["expect"].as_str().unwrap().to_owned(),
                report: report_of(root, &c["report"]),
                collateral,
                at: Timestamp::parse_rfc3339(c["verify_at"].as_str().unwrap()).unwrap(),
                allow_debug: c["allow_debug"].as_bool().unwrap_or(false),
            }
        })
        .collect()
}
