//! The SPDM report's opaque data (NVIDIA TLVs) and every typed accessor.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(o) = teescan::nvidia::opaque::OpaqueData::parse(data) {
        let _ = o.fields();
        let _ = o.unknown_types();
        let _ = (o.driver_version(), o.vbios_version(), o.project(), o.project_sku(), o.chip_sku(), o.chip_info());
        let _ = (o.fwid(), o.nvdec0_status(), o.protected_pcie_status(), o.opaque_data_version(), o.feature_flag());
        let _ = (o.position_id(), o.switch_pdis(), o.switch_gpu_pdis(), o.msrscnt());
        for f in o.all() {
            let _ = o.field(f.field_type);
        }
    }
    let _ = teescan::nvidia::opaque::signed_text(data);
});
