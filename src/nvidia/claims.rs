//! Typed GPU claims: the values [`verify_gpus`](super::verify::verify_gpus) read from signed
//! SPDM reports, device certificates and a verified NRAS result. They serialize to exactly the
//! report's `claims.gpu` JSON (`{"devices": […], "nras": …}`, fields in this order; a device whose
//! report did not parse is `{"index": i}` only; absent values are `null`), and deserialize back from
//! it so that renderers read fields, not key names. No checks are made here.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::chain::DeviceKind;
use super::rim::GpuArch;

/// What the claims cannot say, written into every parsed device's claims.
pub const NOT_PROVABLE: &str =
    "CC mode, secure boot and debug state are not fields of the signed evidence; they are only implied when every measurement matches the RIMs";

/// The claims of one node's GPUs and NVSwitches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuClaims {
    /// One entry per evidence item, in evidence order.
    pub devices: Vec<DeviceClaims>,
    /// The verified NRAS result (`null` when none was supplied or it did not verify).
    pub nras: Option<NrasClaims>,
}

impl GpuClaims {
    /// The claims as the report writes them (`claims.gpu`).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Read the claims back from a report's `claims.gpu` value; `None` when it is not GPU
    /// claims (e.g. a provider layer's `"none: …"` note).
    pub fn from_value(v: &Value) -> Option<GpuClaims> {
        GpuClaims::deserialize(v).ok()
    }
}

impl fmt::Display for GpuClaims {
    /// The compact JSON the report carries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| fmt::Error)?)
    }
}

/// One device: its position in the evidence and, when its report parsed, what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceClaims {
    /// The device's index in the evidence list.
    pub index: usize,
    /// Read from the report and the device chain; `None` when the report did not parse.
    #[serde(flatten)]
    pub report: Option<ReportClaims>,
}

/// What a parsed report and its certificate chain say about a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportClaims {
    /// The device kind from the device identity certificate (`arch`: `HOPPER`, `BLACKWELL`,
    /// `LS10`); `None` when the chain did not validate or names an unknown model.
    #[serde(rename = "arch", with = "arch")]
    pub kind: Option<DeviceKind>,
    /// The device identity certificate's model (`GH100 A01 GSP BROM`), from a valid chain.
    pub hwmodel: Option<String>,
    /// The device identity serial, from a valid chain.
    pub ueid: Option<String>,
    /// Driver version (opaque field).
    pub driver_version: Option<String>,
    /// VBIOS version (opaque field).
    pub vbios_version: Option<String>,
    /// Project (opaque field).
    pub project: Option<String>,
    /// Project SKU (opaque field).
    pub project_sku: Option<String>,
    /// Chip SKU (opaque field).
    pub chip_sku: Option<String>,
    /// Chip info (opaque field).
    pub chip_info: Option<String>,
    /// CC feature mode (`SPT`, `MPT`, `PPCIE`, `UNKNOWN`).
    pub feature_flag: Option<String>,
    /// Protected PCIe status byte, `0x..`.
    pub protected_pcie_status: Option<String>,
    /// The report's FWID, hex.
    pub fwid: Option<String>,
    /// The report's nonce, hex.
    pub nonce: String,
    /// Number of measurement blocks.
    pub measurement_blocks: usize,
    /// Always [`NOT_PROVABLE`].
    #[serde(skip_deserializing)]
    pub not_provable: NotProvable,
    /// RIM appraisal counts; `None` when the measurements were not compared.
    pub measurements: Option<MeasurementSummary>,
}

/// The [`NOT_PROVABLE`] note (serializes as that text).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotProvable;

impl Serialize for NotProvable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(NOT_PROVABLE)
    }
}

/// Counts of the RIM comparison of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasurementSummary {
    /// Active indices compared.
    pub active: usize,
    /// Indices that match (or were skipped by the RIM).
    pub matched: usize,
    /// Indices that do not match and were not waived.
    pub failed: usize,
}

/// A verified NRAS result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NrasClaims {
    /// `x-nvidia-overall-att-result`.
    pub overall_result: bool,
    /// The overall token's `eat_nonce`.
    pub eat_nonce: Option<String>,
    /// The key that signed the overall token.
    pub kid: String,
    /// One entry per device token.
    pub devices: Vec<NrasDeviceClaims>,
}

/// One NRAS device token's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NrasDeviceClaims {
    /// Device name (`GPU-0`, `SWITCH-0`, …).
    pub name: String,
    /// `measres`, if present.
    pub measres: Option<String>,
    /// The error details, if NRAS could not appraise the device.
    pub error: Option<String>,
}

/// `Option<DeviceKind>` as its `arch` name.
mod arch {
    use super::{DeviceKind, GpuArch};
    use serde::{Deserialize as _, Deserializer, Serializer};

    #[allow(clippy::ref_option)] // the signature serde's `with` requires
    pub fn serialize<S: Serializer>(kind: &Option<DeviceKind>, s: S) -> Result<S::Ok, S::Error> {
        match kind {
            Some(k) => s.serialize_str(k.arch()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DeviceKind>, D::Error> {
        let name: Option<String> = Option::deserialize(d)?;
        Ok(name.and_then(|n| match n.as_str() {
            "HOPPER" => Some(DeviceKind::Gpu(GpuArch::Hopper)),
            "BLACKWELL" => Some(DeviceKind::Gpu(GpuArch::Blackwell)),
            "LS10" => Some(DeviceKind::Switch),
            _ => None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparsed_device_is_index_only_and_round_trips() {
        let c = GpuClaims { devices: vec![DeviceClaims { index: 3, report: None }], nras: None };
        assert_eq!(c.to_string(), r#"{"devices":[{"index":3}],"nras":null}"#);
        assert_eq!(GpuClaims::from_value(&c.to_value()), Some(c));
    }

    #[test]
    fn parsed_device_keeps_field_order_and_nulls() {
        let r = ReportClaims {
            kind: Some(DeviceKind::Switch),
            hwmodel: None,
            ueid: None,
            driver_version: None,
            vbios_version: Some("96.10.55.00.01".to_owned()),
            project: None,
            project_sku: None,
            chip_sku: None,
            chip_info: None,
            feature_flag: Some("PPCIE".to_owned()),
            protected_pcie_status: None,
            fwid: None,
            nonce: "00".to_owned(),
            measurement_blocks: 2,
            not_provable: NotProvable,
            measurements: Some(MeasurementSummary { active: 2, matched: 1, failed: 1 }),
        };
        let c = GpuClaims { devices: vec![DeviceClaims { index: 0, report: Some(r) }], nras: None };
        let keys: Vec<String> = c.to_value()["devices"][0].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        assert_eq!(
            keys.join(","),
            "index,arch,hwmodel,ueid,driver_version,vbios_version,project,project_sku,chip_sku,chip_info,feature_flag,protected_pcie_status,fwid,nonce,measurement_blocks,not_provable,measurements"
        );
        assert_eq!(c.to_value()["devices"][0]["arch"], "LS10");
        assert_eq!(c.to_value()["devices"][0]["not_provable"], NOT_PROVABLE);
        assert_eq!(GpuClaims::from_value(&c.to_value()), Some(c));
        assert_eq!(GpuClaims::from_value(&Value::String("none".to_owned())), None);
    }
}
