//! Claims: the values a TDX quote asserts, read from its signed bytes, and the TCB appraisal.
//! Serialised as the `claims.tdx` object of the JSON report (lower-case hex for byte strings).

use dcap_qvl::QuoteClaims;
use serde::Serialize;

use super::collateral::Collateral;
use super::quote::Quote;

/// Values from the quote body and header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TdClaims {
    /// TEE_TCB_SVN.
    pub tee_tcb_svn: String,
    /// TEE_TCB_SVN2 (TD 1.5+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tee_tcb_svn2: Option<String>,
    /// MRSEAM.
    pub mr_seam: String,
    /// MRSIGNERSEAM.
    pub mr_signer_seam: String,
    /// SEAMATTRIBUTES.
    pub seam_attributes: String,
    /// TD attributes as a 64-bit number in hex.
    pub td_attributes: String,
    /// Names of the TD attribute bits that are set.
    pub td_attributes_set: Vec<String>,
    /// XFAM as a 64-bit number in hex.
    pub xfam: String,
    /// MRTD.
    pub mr_td: String,
    /// MRCONFIGID.
    pub mr_config_id: String,
    /// MROWNER.
    pub mr_owner: String,
    /// MROWNERCONFIG.
    pub mr_owner_config: String,
    /// RTMR0..3.
    pub rtmr: [String; 4],
    /// REPORTDATA (64 bytes).
    pub report_data: String,
    /// MRSERVICETD (TD 1.5+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mr_service_td: Option<String>,
}

/// The DCAP appraisal (present only when the DCAP checks completed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TcbClaims {
    /// Converged TCB status (UpToDate … OutOfDateConfigurationNeeded, TDRelaunchAdvised…).
    pub status: String,
    /// Intel advisory IDs that apply.
    pub advisory_ids: Vec<String>,
    /// Platform (and TDX module) level status.
    pub platform_status: String,
    /// Date of the matched platform TCB level.
    pub platform_tcb_date: String,
    /// QE level status.
    pub qe_status: String,
    /// Lower of the TCB Info and QE Identity tcbEvaluationDataNumber.
    pub tcb_evaluation_data_number: u32,
    /// FMSPC from the PCK certificate.
    pub fmspc: String,
    /// PCE ID from the PCK certificate.
    pub pce_id: String,
    /// PPID (platform provisioning ID) from the PCK certificate.
    pub ppid: String,
    /// Platform instance ID (Platform CA PCKs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_instance_id: Option<String>,
    /// SHA-384 of the root public key (Intel's `root_key_id`).
    pub root_key_id: String,
    /// Earliest issue date over all collateral.
    pub collateral_earliest_issue: String,
    /// Latest issue date over all collateral.
    pub collateral_latest_issue: String,
    /// Earliest expiry over all collateral.
    pub collateral_earliest_expiration: String,
    /// PCK CRL number.
    pub pck_crl_number: u32,
    /// Root CA CRL number.
    pub root_ca_crl_number: u32,
}

/// All TDX claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TdxClaims {
    /// Quote version.
    pub quote_version: u16,
    /// Always `TDX`.
    pub tee_type: &'static str,
    /// TD1.0 / TD1.5 / TD1.5ex.
    pub body_type: &'static str,
    /// The TD report.
    pub td: TdClaims,
    /// The DCAP appraisal, when it completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcb: Option<TcbClaims>,
    /// FMSPC of the TCB Info used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collateral_fmspc: Option<String>,
}

fn ts(secs: u64) -> String {
    crate::time::Timestamp::from_unix(secs).to_rfc3339()
}

impl TdxClaims {
    /// Build from the parsed quote and, when available, dcap-qvl's appraisal.
    pub fn new(q: &Quote, collateral: &Collateral, dcap: Option<&QuoteClaims>) -> Self {
        let r = &q.report;
        let td = TdClaims {
            tee_tcb_svn: crate::bytes::to_hex(r.tee_tcb_svn),
            tee_tcb_svn2: r.tee_tcb_svn2.map(hex::encode),
            mr_seam: crate::bytes::to_hex(r.mr_seam),
            mr_signer_seam: crate::bytes::to_hex(r.mr_signer_seam),
            seam_attributes: crate::bytes::to_hex(r.seam_attributes),
            td_attributes: r.td_attributes.to_hex(),
            td_attributes_set: r.td_attributes.names(),
            xfam: format!("{:016x}", u64::from_le_bytes(r.xfam)),
            mr_td: crate::bytes::to_hex(r.mr_td),
            mr_config_id: crate::bytes::to_hex(r.mr_config_id),
            mr_owner: crate::bytes::to_hex(r.mr_owner),
            mr_owner_config: crate::bytes::to_hex(r.mr_owner_config),
            rtmr: r.rtmr.map(hex::encode),
            report_data: crate::bytes::to_hex(r.report_data),
            mr_service_td: r.mr_service_td.map(hex::encode),
        };
        let tcb = dcap.map(|c| TcbClaims {
            status: format!("{:?}", c.tcb.status),
            advisory_ids: c.tcb.advisory_ids.clone(),
            platform_status: format!("{:?}", c.platform.tcb_level.tcb_status),
            platform_tcb_date: c.platform.tcb_level.tcb_date.clone(),
            qe_status: format!("{:?}", c.qe.tcb_level.tcb_status),
            tcb_evaluation_data_number: c.tcb.eval_data_number,
            fmspc: crate::bytes::to_hex(c.platform.pck.fmspc),
            pce_id: crate::bytes::to_hex(&c.platform.pck.pce_id),
            ppid: crate::bytes::to_hex(&c.platform.pck.ppid),
            platform_instance_id: c.platform.pck.platform_instance_id.map(hex::encode),
            root_key_id: crate::bytes::to_hex(&c.platform.root_key_id),
            collateral_earliest_issue: ts(c.earliest_issue_date),
            collateral_latest_issue: ts(c.latest_issue_date),
            collateral_earliest_expiration: ts(c.earliest_expiration_date),
            pck_crl_number: c.platform.pck_crl_num,
            root_ca_crl_number: c.platform.root_ca_crl_num,
        });
        TdxClaims {
            quote_version: q.header.version,
            tee_type: "TDX",
            body_type: r.body_type.as_str(),
            td,
            tcb,
            collateral_fmspc: collateral.tcb_info_fmspc(),
        }
    }
}
