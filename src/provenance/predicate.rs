//! Tinfoil measurement predicates: the code release (`snp-tdx-multiplatform/v1`: SEV-SNP
//! measurement, TDX RTMR1/RTMR2) and the hardware platforms (`hardware-measurements/v1`: per
//! profile TDX MRTD/RTMR0).

use super::{Code, ProvenanceError};

/// Predicate type of a Tinfoil code release.
pub const SNP_TDX_MULTIPLATFORM_V1: &str = "https://tinfoil.sh/predicate/snp-tdx-multiplatform/v1";
/// Predicate type of Tinfoil's hardware-measurements repository.
pub const HARDWARE_MEASUREMENTS_V1: &str = "https://tinfoil.sh/predicate/hardware-measurements/v1";

/// Registers of a code release (lowercase hex, 48 bytes each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseMeasurement {
    /// SEV-SNP launch MEASUREMENT.
    pub snp_measurement: String,
    /// TDX RTMR1.
    pub rtmr1: String,
    /// TDX RTMR2.
    pub rtmr2: String,
}

/// One hardware platform profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardwareProfile {
    /// Profile name (`medium_2d_new`).
    pub name: String,
    /// TDX MRTD.
    pub mrtd: String,
    /// TDX RTMR0.
    pub rtmr0: String,
}

fn reg(v: &serde_json::Value, ptr: &str) -> Result<String, ProvenanceError> {
    let s = v.pointer(ptr).and_then(|x| x.as_str()).unwrap_or_default();
    if s.len() != 96 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ProvenanceError::new(Code::PredicateMeasurementInvalid, format!("predicate {ptr} is not 48 bytes of hex")));
    }
    Ok(s.to_ascii_lowercase())
}

/// Read a `snp-tdx-multiplatform/v1` predicate.
pub fn release(predicate: &serde_json::Value) -> Result<ReleaseMeasurement, ProvenanceError> {
    Ok(ReleaseMeasurement {
        snp_measurement: reg(predicate, "/snp_measurement")?,
        rtmr1: reg(predicate, "/tdx_measurement/rtmr1")?,
        rtmr2: reg(predicate, "/tdx_measurement/rtmr2")?,
    })
}

/// Read a `hardware-measurements/v1` predicate (profiles sorted by name).
pub fn hardware(predicate: &serde_json::Value) -> Result<Vec<HardwareProfile>, ProvenanceError> {
    let map = predicate
        .as_object()
        .ok_or_else(|| ProvenanceError::new(Code::PredicateMeasurementInvalid, "hardware predicate is not an object"))?;
    let mut out = Vec::new();
    for (name, v) in map {
        out.push(HardwareProfile { name: name.clone(), mrtd: reg(v, "/mrtd")?, rtmr0: reg(v, "/rtmr0")? });
    }
    if out.is_empty() {
        return Err(ProvenanceError::new(Code::PredicateMeasurementInvalid, "hardware predicate lists no profile"));
    }
    Ok(out)
}
