//! DCAP collateral: the Intel-signed TCB Info and QE Identity, the CRLs, and their issuer chains.
//!
//! Two input shapes are accepted, both as data (this module never fetches):
//! - the `dcap-qvl` `QuoteCollateralV3` JSON (binary fields hex), see [`Collateral::from_dcap_json`];
//! - Intel PCS responses as captured ([`PcsResponses`]): the raw `{"tcbInfo":…,"signature":…}` and
//!   `{"enclaveIdentity":…,"signature":…}` bodies, the issuer chains from the response headers
//!   (URL-encoded or plain PEM) and the CRLs in DER or hex, see [`Collateral::from_pcs`].
//!
//! Signatures are checked over the exact signed byte range of each body (the raw JSON value of
//! `tcbInfo` / `enclaveIdentity`), never over a re-serialisation.

/// Intel PCS (or PCCS) responses for one FMSPC, as received on the wire.
///
/// This is what [`crate::fetch`] produces and what an evidence bundle stores; it is also what a user
/// can assemble by hand from saved responses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PcsResponses {
    /// Raw body of `GET {base}/tdx/certification/v4/tcb?fmspc=…`: `{"tcbInfo":{…},"signature":"…"}`.
    pub tcb_info: Vec<u8>,
    /// Value of the `TCB-Info-Issuer-Chain` (or `SGX-TCB-Info-Issuer-Chain`) header: PEM, URL-encoded or not.
    pub tcb_info_issuer_chain: String,
    /// Raw body of `GET {base}/tdx/certification/v4/qe/identity`: `{"enclaveIdentity":{…},"signature":"…"}`.
    pub qe_identity: Vec<u8>,
    /// Value of the `SGX-Enclave-Identity-Issuer-Chain` header.
    pub qe_identity_issuer_chain: String,
    /// Body of `GET {base}/sgx/certification/v4/pckcrl?ca=platform|processor&encoding=der`: DER, or hex text.
    pub pck_crl: Vec<u8>,
    /// Value of the `SGX-PCK-CRL-Issuer-Chain` header.
    pub pck_crl_issuer_chain: String,
    /// The Intel SGX Root CA CRL: DER (from the certificate's CRL distribution point) or hex text (PCCS).
    pub root_ca_crl: Vec<u8>,
}

use dcap_qvl::QuoteCollateralV3;
use ring::digest;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::report::CollateralUsed;

/// Largest collateral document accepted (real ones are under 64 KiB).
pub const MAX_COLLATERAL_LEN: usize = 1024 * 1024;

/// Collateral that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CollateralError {
    /// A collateral item is malformed.
    #[error("{item}: {reason}")]
    Malformed {
        /// Which item.
        item: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A required item is missing.
    #[error("{item} is missing")]
    Missing {
        /// Which item.
        item: &'static str,
    },
}

fn malformed(item: &'static str, reason: impl std::fmt::Display) -> CollateralError {
    CollateralError::Malformed {
        item,
        reason: reason.to_string(),
    }
}

/// Where the collateral came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CollateralSource {
    /// A dcap-qvl `QuoteCollateralV3` JSON document.
    DcapQvlJson,
    /// Raw Intel PCS / PCCS responses.
    PcsResponses,
}

/// Verified-as-data DCAP collateral, ready for [`crate::tdx::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collateral {
    pub(crate) dcap: QuoteCollateralV3,
    source: CollateralSource,
    /// What is read from the collateral's bytes for reports (not for verification), computed once.
    memo: Memo,
}

/// Values derived from the collateral's bytes once, shared by clones: the FMSPC, the provenance
/// records, and the parsed TCB Info and QE Identity (used to annotate checks; dcap-qvl parses and
/// verifies its own copy on every verification). Never part of equality.
#[derive(Clone, Default)]
struct Memo(std::sync::Arc<std::sync::OnceLock<Derived>>);

struct Derived {
    fmspc: Option<String>,
    provenance: Vec<CollateralUsed>,
    tcb_info: Option<dcap_qvl::TcbInfo>,
    qe_identity: Option<dcap_qvl::QeIdentity>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("..")
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Memo {}

/// The dcap-qvl JSON shape, with unknown keys rejected.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DcapJson {
    pck_crl_issuer_chain: String,
    root_ca_crl: String,
    pck_crl: String,
    tcb_info_issuer_chain: String,
    tcb_info: String,
    tcb_info_signature: String,
    qe_identity_issuer_chain: String,
    qe_identity: String,
    qe_identity_signature: String,
    #[serde(default)]
    pck_certificate_chain: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TcbInfoBody<'a> {
    #[serde(borrow, rename = "tcbInfo")]
    tcb_info: &'a RawValue,
    signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QeIdentityBody<'a> {
    #[serde(borrow, rename = "enclaveIdentity")]
    enclave_identity: &'a RawValue,
    signature: String,
}

fn hex_field(item: &'static str, s: &str) -> Result<Vec<u8>, CollateralError> {
    hex::decode(s.trim()).map_err(|e| malformed(item, format!("not hex: {e}")))
}

/// DER, or hex text of DER (a PCCS serves the root CRL as hex).
fn der_or_hex(item: &'static str, bytes: &[u8]) -> Result<Vec<u8>, CollateralError> {
    if bytes.is_empty() {
        return Err(CollateralError::Missing { item });
    }
    if bytes.first() == Some(&0x30) {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| malformed(item, "neither DER nor hex"))?;
    let der = hex_field(item, text)?;
    if der.first() != Some(&0x30) {
        return Err(malformed(item, "not a DER SEQUENCE"));
    }
    Ok(der)
}

/// An issuer-chain header value: PEM, possibly URL-encoded.
fn issuer_chain(item: &'static str, value: &str) -> Result<String, CollateralError> {
    let decoded = percent_encoding::percent_decode_str(value.trim())
        .decode_utf8()
        .map_err(|e| malformed(item, e))?
        .into_owned();
    let pems = pem::parse_many(decoded.as_bytes()).map_err(|e| malformed(item, e))?;
    if pems.is_empty() || pems.iter().any(|p| p.tag() != "CERTIFICATE") {
        return Err(malformed(item, "expected one or more PEM certificates"));
    }
    Ok(decoded)
}

fn check_len(item: &'static str, len: usize) -> Result<(), CollateralError> {
    if len > MAX_COLLATERAL_LEN {
        return Err(malformed(
            item,
            format!("{len} bytes exceeds the {MAX_COLLATERAL_LEN}-byte limit"),
        ));
    }
    Ok(())
}

impl Collateral {
    /// Read the dcap-qvl `QuoteCollateralV3` JSON (binary fields as hex). Unknown keys are errors.
    pub fn from_dcap_json(bytes: &[u8]) -> Result<Self, CollateralError> {
        check_len("collateral JSON", bytes.len())?;
        let j: DcapJson =
            serde_json::from_slice(bytes).map_err(|e| malformed("collateral JSON", e))?;
        let dcap = QuoteCollateralV3 {
            pck_crl_issuer_chain: issuer_chain("pck_crl_issuer_chain", &j.pck_crl_issuer_chain)?,
            root_ca_crl: der_or_hex("root_ca_crl", j.root_ca_crl.as_bytes())?,
            pck_crl: der_or_hex("pck_crl", j.pck_crl.as_bytes())?,
            tcb_info_issuer_chain: issuer_chain("tcb_info_issuer_chain", &j.tcb_info_issuer_chain)?,
            tcb_info: j.tcb_info,
            tcb_info_signature: hex_field("tcb_info_signature", &j.tcb_info_signature)?,
            qe_identity_issuer_chain: issuer_chain(
                "qe_identity_issuer_chain",
                &j.qe_identity_issuer_chain,
            )?,
            qe_identity: j.qe_identity,
            qe_identity_signature: hex_field("qe_identity_signature", &j.qe_identity_signature)?,
            pck_certificate_chain: j
                .pck_certificate_chain
                .map(|c| issuer_chain("pck_certificate_chain", &c))
                .transpose()?,
        };
        Ok(Collateral {
            dcap,
            source: CollateralSource::DcapQvlJson,
            memo: Memo::default(),
        })
    }

    /// Assemble collateral from raw PCS responses. The TCB Info and QE Identity signatures are
    /// later checked over the exact bytes of the `tcbInfo` / `enclaveIdentity` values.
    pub fn from_pcs(r: &PcsResponses) -> Result<Self, CollateralError> {
        check_len("tcbInfo response", r.tcb_info.len())?;
        check_len("enclaveIdentity response", r.qe_identity.len())?;
        let tcb: TcbInfoBody<'_> =
            serde_json::from_slice(&r.tcb_info).map_err(|e| malformed("tcbInfo response", e))?;
        let qe: QeIdentityBody<'_> = serde_json::from_slice(&r.qe_identity)
            .map_err(|e| malformed("enclaveIdentity response", e))?;
        let dcap = QuoteCollateralV3 {
            pck_crl_issuer_chain: issuer_chain(
                "SGX-PCK-CRL-Issuer-Chain",
                &r.pck_crl_issuer_chain,
            )?,
            root_ca_crl: der_or_hex("root CA CRL", &r.root_ca_crl)?,
            pck_crl: der_or_hex("PCK CRL", &r.pck_crl)?,
            tcb_info_issuer_chain: issuer_chain("TCB-Info-Issuer-Chain", &r.tcb_info_issuer_chain)?,
            tcb_info: tcb.tcb_info.get().to_owned(),
            tcb_info_signature: hex_field("tcbInfo signature", &tcb.signature)?,
            qe_identity_issuer_chain: issuer_chain(
                "SGX-Enclave-Identity-Issuer-Chain",
                &r.qe_identity_issuer_chain,
            )?,
            qe_identity: qe.enclave_identity.get().to_owned(),
            qe_identity_signature: hex_field("enclaveIdentity signature", &qe.signature)?,
            pck_certificate_chain: None,
        };
        Ok(Collateral {
            dcap,
            source: CollateralSource::PcsResponses,
            memo: Memo::default(),
        })
    }

    /// Where this collateral came from.
    pub fn source(&self) -> CollateralSource {
        self.source
    }

    /// The collateral as dcap-qvl's type.
    pub fn as_dcap(&self) -> &QuoteCollateralV3 {
        &self.dcap
    }

    fn derived(&self) -> &Derived {
        self.memo.0.get_or_init(|| Derived {
            fmspc: self.compute_fmspc(),
            provenance: self.compute_provenance(),
            tcb_info: serde_json::from_str(&self.dcap.tcb_info).ok(),
            qe_identity: serde_json::from_str(&self.dcap.qe_identity).ok(),
        })
    }

    /// The TCB Info, parsed (not verified: dcap-qvl verifies its own parse of the signed bytes).
    pub(crate) fn parsed_tcb_info(&self) -> Option<&dcap_qvl::TcbInfo> {
        self.derived().tcb_info.as_ref()
    }

    /// The QE Identity, parsed (not verified).
    pub(crate) fn parsed_qe_identity(&self) -> Option<&dcap_qvl::QeIdentity> {
        self.derived().qe_identity.as_ref()
    }

    /// FMSPC the TCB Info is for, if it parses.
    pub fn tcb_info_fmspc(&self) -> Option<String> {
        self.derived().fmspc.clone()
    }

    fn compute_fmspc(&self) -> Option<String> {
        serde_json::from_str::<serde_json::Value>(&self.dcap.tcb_info)
            .ok()?
            .get("fmspc")?
            .as_str()
            .map(str::to_lowercase)
    }

    /// A record of each item (SHA-256 of the exact bytes, issue and next-update dates), for the report.
    pub fn provenance(&self) -> Vec<CollateralUsed> {
        self.derived().provenance.clone()
    }

    fn compute_provenance(&self) -> Vec<CollateralUsed> {
        let d = &self.dcap;
        let sha = |b: &[u8]| crate::bytes::to_hex(digest::digest(&digest::SHA256, b));
        let json_dates = |s: &str| -> (Option<String>, Option<String>, Option<String>) {
            let v: serde_json::Value = serde_json::from_str(s).unwrap_or_default();
            let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            let mut detail = Vec::new();
            if let Some(id) = get("id") {
                detail.push(format!("id={id}"));
            }
            if let Some(n) = v
                .get("tcbEvaluationDataNumber")
                .and_then(serde_json::Value::as_u64)
            {
                detail.push(format!("tcbEvaluationDataNumber={n}"));
            }
            if let Some(f) = get("fmspc") {
                detail.push(format!("fmspc={}", f.to_lowercase()));
            }
            (
                get("issueDate"),
                get("nextUpdate"),
                (!detail.is_empty()).then(|| detail.join(" ")),
            )
        };
        let item = |kind: &str, bytes: &[u8]| CollateralUsed {
            kind: kind.to_owned(),
            sha256: sha(bytes),
            issued: None,
            next_update: None,
            detail: None,
        };
        let (ti, tn, td) = json_dates(&d.tcb_info);
        let (qi, qn, qd) = json_dates(&d.qe_identity);
        let mut out = vec![
            CollateralUsed {
                issued: ti,
                next_update: tn,
                detail: td,
                ..item("tcb_info", d.tcb_info.as_bytes())
            },
            CollateralUsed {
                issued: qi,
                next_update: qn,
                detail: qd,
                ..item("qe_identity", d.qe_identity.as_bytes())
            },
            crl_item("pck_crl", &d.pck_crl, sha(&d.pck_crl)),
            crl_item("root_ca_crl", &d.root_ca_crl, sha(&d.root_ca_crl)),
            item("tcb_info_issuer_chain", d.tcb_info_issuer_chain.as_bytes()),
            item(
                "qe_identity_issuer_chain",
                d.qe_identity_issuer_chain.as_bytes(),
            ),
            item("pck_crl_issuer_chain", d.pck_crl_issuer_chain.as_bytes()),
        ];
        if let Some(c) = &d.pck_certificate_chain {
            out.push(item("pck_certificate_chain", c.as_bytes()));
        }
        out
    }
}

fn crl_item(kind: &str, der: &[u8], sha256: String) -> CollateralUsed {
    let (issued, next_update) = crate::pki::crl_dates(der).unwrap_or((None, None));
    CollateralUsed {
        kind: kind.to_owned(),
        sha256,
        issued,
        next_update,
        detail: None,
    }
}

/// One saved HTTP response (as in an evidence bundle or a capture directory).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpExchange {
    /// Request URL including the query.
    pub url: String,
    /// Response headers (names compared case-insensitively).
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
}

impl HttpExchange {
    fn header(&self, names: &[&str]) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .map(|(_, v)| v.as_str())
    }
    fn path_and_query(&self) -> (String, String) {
        let lower = self.url.to_ascii_lowercase();
        let after_scheme = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
        let path = after_scheme
            .find('/')
            .and_then(|i| after_scheme.get(i..))
            .unwrap_or("/");
        let (p, q) = path.split_once('?').unwrap_or((path, ""));
        (p.to_owned(), q.to_owned())
    }
}

fn query_has(query: &str, key: &str, value: &str) -> bool {
    query.split('&').any(|kv| {
        kv.split_once('=')
            .is_some_and(|(k, v)| k == key && v == value)
    })
}

impl PcsResponses {
    /// Pick the PCS responses for `fmspc` (and the PCK CA, `platform` or `processor`) out of a
    /// set of saved HTTP exchanges. When several match, the last one wins.
    pub fn from_exchanges(
        exchanges: &[HttpExchange],
        fmspc: &[u8; 6],
        pck_ca: &str,
    ) -> Result<Self, CollateralError> {
        let fmspc_hex = crate::bytes::to_hex(fmspc);
        let mut out = PcsResponses::default();
        let (mut tcb, mut qe, mut pck, mut root) = (false, false, false, false);
        for ex in exchanges {
            let (path, query) = ex.path_and_query();
            if path.ends_with("/tdx/certification/v4/tcb") && query_has(&query, "fmspc", &fmspc_hex)
            {
                out.tcb_info = ex.body.clone();
                out.tcb_info_issuer_chain = ex
                    .header(&["TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"])
                    .ok_or(CollateralError::Missing {
                        item: "TCB-Info-Issuer-Chain header",
                    })?
                    .to_owned();
                tcb = true;
            } else if path.ends_with("/tdx/certification/v4/qe/identity") {
                out.qe_identity = ex.body.clone();
                out.qe_identity_issuer_chain = ex
                    .header(&["SGX-Enclave-Identity-Issuer-Chain"])
                    .ok_or(CollateralError::Missing {
                        item: "SGX-Enclave-Identity-Issuer-Chain header",
                    })?
                    .to_owned();
                qe = true;
            } else if path.ends_with("/certification/v4/pckcrl")
                && (query_has(&query, "ca", pck_ca) || !query.contains("ca="))
            {
                out.pck_crl = ex.body.clone();
                out.pck_crl_issuer_chain = ex
                    .header(&["SGX-PCK-CRL-Issuer-Chain"])
                    .ok_or(CollateralError::Missing {
                        item: "SGX-PCK-CRL-Issuer-Chain header",
                    })?
                    .to_owned();
                pck = true;
            } else if path.ends_with("/intelsgxrootca.der")
                || path.ends_with("/certification/v4/rootcacrl")
            {
                out.root_ca_crl = ex.body.clone();
                root = true;
            }
        }
        let missing = [
            (tcb, "TCB Info for this FMSPC"),
            (qe, "TD QE Identity"),
            (pck, "PCK CRL"),
            (root, "Root CA CRL"),
        ];
        if let Some((_, item)) = missing.iter().find(|(found, _)| !found) {
            return Err(CollateralError::Missing { item });
        }
        Ok(out)
    }
}
