//! The real provider captures of the corpus (`providers/teep-captures/*`), read in place: one
//! helper for every test that scans them, so their layout is described once.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use teescan::nvidia::verify::{GpuCollateral, NrasInput};
use teescan::policy::{LoadedPolicy, Policy};
use teescan::tdx::Collateral;

/// One capture directory: `responses/*.body`, `manifest.json` (with the client nonce).
pub struct Capture {
    pub dir: PathBuf,
}

impl Capture {
    /// The capture whose directory name starts with `prefix`; panics naming it when absent.
    pub fn open(root: &Path, prefix: &str) -> Capture {
        let base = root.join("providers/teep-captures");
        let dir = std::fs::read_dir(&base)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .unwrap_or_else(|| panic!("capture {prefix}"));
        Capture { dir }
    }
    /// The first (by name) response body whose file name contains `contains`.
    pub fn file(&self, contains: &str) -> PathBuf {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("responses"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "body") && p.file_name().unwrap().to_string_lossy().contains(contains))
            .collect();
        files.sort();
        files.into_iter().next().unwrap_or_else(|| panic!("{contains} in {}", self.dir.display()))
    }
    pub fn response(&self, contains: &str) -> Vec<u8> {
        std::fs::read(self.file(contains)).unwrap()
    }
    pub fn json(&self, contains: &str) -> Value {
        serde_json::from_slice(&self.response(contains)).unwrap()
    }
    /// The client nonce the capture was made with (`manifest.json` `nonce_hex`).
    pub fn nonce(&self) -> [u8; 32] {
        let m: Value = serde_json::from_slice(&std::fs::read(self.dir.join("manifest.json")).unwrap()).unwrap();
        hex::decode(m["nonce_hex"].as_str().unwrap()).unwrap().try_into().unwrap()
    }
    /// The capture's NRAS answer and JWKS as GPU collateral.
    pub fn nras(&self) -> GpuCollateral {
        GpuCollateral {
            nras: Some(NrasInput { body: self.response("nras.attestation.nvidia.com_v3_attest_gpu"), jwks: self.response("jwks") }),
            ..GpuCollateral::default()
        }
    }
}

/// The DCAP collateral assembled from each capture's Intel PCS responses (`tdx/derived/teep`).
pub fn collaterals(root: &Path) -> Vec<Collateral> {
    std::fs::read_dir(root.join("tdx/derived/teep"))
        .unwrap()
        .map(|d| Collateral::from_dcap_json(&std::fs::read(d.unwrap().path().join("collateral.json")).unwrap()).unwrap())
        .collect()
}

/// A policy shipped in the repo (path relative to the crate), or `inline:<toml>`.
pub fn policy(rel: &str) -> LoadedPolicy {
    if let Some(inline) = rel.strip_prefix("inline:") {
        return Policy::load(inline.as_bytes()).unwrap();
    }
    Policy::load(&std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()).unwrap()
}
