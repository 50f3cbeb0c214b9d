//! Verify a set of NVIDIA GPU / NVSwitch evidence as one node: per device the report, its chain,
//! FWID, nonce, OCSP and RIMs; across devices consistency and uniqueness; and, when supplied, an
//! NRAS result as a second opinion. Every step is a check with a stable id (`gpu[3].report.signature`,
//! `gpu[3].rim.driver.measurement[12]`, `gpu.consistent`, `nras.signature`, …).
//!
//! Per device, in order: `report.parse`, `chain`, `report.signature`, `chain.fwid`, `report.nonce`,
//! `ocsp.{brom,provisioner_ica,identity}`, then per RIM `rim.{driver,vbios}` with
//! `rim.<kind>.ocsp[0..3]`, then `rim.<kind>.measurement[n]` for each mismatch and `measurements`
//! (OCSP and RIMs only with a valid chain). Then `gpu.consistent`, `gpu.unique`, `gpu.topology`
//! (NVSwitches or protected PCIe only), and the NRAS checks. The values read
//! along the way are the typed [`GpuClaims`].
//!
//! NRAS checks: `nras.chain` (every signing key the result names chains through its `x5c` to a
//! pinned NRAS anchor, [`GpuOptions::nras_anchors`]), `nras.signature` (the whole detached EAT
//! verifies: key chain, ES384, issuer, time, nonce, submods), `nras.count`, `nras.result`. A
//! supplied NRAS result is evidence: all four are required whatever the policy says; the policy
//! only decides whether its absence is indeterminate (`require_nras`).
//!
//! Collateral (RIMs, OCSP responses, NRAS body and JWKS) is data supplied by the caller; every
//! RIM and OCSP response is verified once per scan and shared by the devices that use it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::chain::{verify_device_chain_cached, ChainError, DeviceKind, VerifiedDeviceChain};
use super::claims::{DeviceClaims, GpuClaims, MeasurementSummary, NotProvable, NrasClaims, NrasDeviceClaims, ReportClaims};
use super::evidence::{EvidenceList, GpuEvidence};
use super::nras::{self, Jwks};
use super::ocsp::{self, CertStatus};
use super::opaque::{FeatureFlag, OpaqueData, STATUS_DISABLED};
use super::rim::{self, MatchStatus, RimKind, VerifiedRim};
use super::spdm::{SpdmError, SpdmReport};
use crate::cache::VerifyCache;
use crate::pki::TrustAnchor;
use crate::report::{Check, CollateralUsed, Status};
use crate::time::Timestamp;

/// Collateral for GPU verification, all supplied as data.
#[derive(Debug, Clone, Default)]
pub struct GpuCollateral {
    /// RIMs as (id, XML). The id is NVIDIA's RIM service id (e.g. `NV_GPU_DRIVER_GH100_550.90.07`,
    /// usually the file name); a RIM is used for a device only when its id is the one derived from
    /// that device's signed report, and its signed content must agree.
    pub rims: Vec<(String, Vec<u8>)>,
    /// OCSP responses (DER or base64), matched to certificates by CertID.
    pub ocsp: Vec<Vec<u8>>,
    /// An NRAS response body (detached EAT) and the JWKS to verify it.
    pub nras: Option<NrasInput>,
}

/// An NRAS response and its key set.
#[derive(Debug, Clone)]
pub struct NrasInput {
    /// The response body (`[["JWT", …], {"GPU-0": …}]`).
    pub body: Vec<u8>,
    /// The JWKS body.
    pub jwks: Vec<u8>,
}

/// What the GPU verification requires.
#[derive(Debug, Clone)]
pub struct GpuOptions {
    /// The nonce every report must carry (32 bytes). Without it freshness cannot be checked and
    /// the nonce checks are indeterminate.
    pub expected_nonce: Option<[u8; 32]>,
    /// RIMs must be supplied and match (a missing RIM is indeterminate). When false, missing RIMs
    /// are reported, not required.
    pub require_rims: bool,
    /// OCSP responses must be supplied and good. When false, missing responses are reported only
    /// (a supplied response that says revoked still fails).
    pub require_ocsp: bool,
    /// An NRAS result must be supplied and verify. A supplied result is always checked, and
    /// any failure of it fails the scan, whatever this says.
    pub require_nras: bool,
    /// The anchors NRAS signing keys must chain to (compiled pin plus policy additions).
    pub nras_anchors: nras::NrasAnchors,
    /// RIM indices whose mismatch is accepted, with the reason.
    pub waived_indices: Vec<(u32, String)>,
    /// Root of the device chains.
    pub device_root: TrustAnchor,
    /// Root of the RIM signing chains.
    pub rim_root: TrustAnchor,
    /// A verify-once cache shared across calls (a batch). Without one, a private cache that lives
    /// for one call (the devices of one node still share their chains, RIMs and OCSP results).
    pub cache: Option<Arc<VerifyCache>>,
    /// Spread the devices' chains and report signatures and the NRAS tokens over the CPUs
    /// (default `true`); `false` keeps everything on the calling thread (a batch that already runs
    /// one scan per core). Results never differ.
    pub parallel: bool,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            expected_nonce: None,
            require_rims: true,
            require_ocsp: true,
            require_nras: false,
            nras_anchors: nras::NrasAnchors::compiled(),
            waived_indices: Vec::new(),
            device_root: TrustAnchor::nvidia_device_identity_ca(),
            rim_root: TrustAnchor::nvidia_corim_root_ca(),
            cache: None,
            parallel: true,
        }
    }
}

/// The result: checks, per-device claims, and the collateral used.
#[derive(Debug, Clone)]
pub struct GpuVerification {
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// Values read from signed reports and certificates (the report's `claims.gpu`).
    pub claims: GpuClaims,
    /// RIMs and OCSP responses used.
    pub collateral: Vec<CollateralUsed>,
}

/// RIMs verified once per scan, by id.
struct RimStore<'a> {
    docs: HashMap<String, &'a [u8]>,
    verified: HashMap<String, Result<Arc<VerifiedRim>, String>>,
}

impl<'a> RimStore<'a> {
    fn new(rims: &'a [(String, Vec<u8>)]) -> Self {
        let docs = rims.iter().map(|(id, xml)| (id.to_ascii_uppercase(), xml.as_slice())).collect();
        RimStore { docs, verified: HashMap::new() }
    }
    /// An NVSwitch report carries no project/SKU/chip fields, so its RIM id cannot be derived in
    /// full: take the supplied `NV_SWITCH_BIOS_*_<version>` RIM (its signed content is then
    /// checked against the report like any other).
    fn switch_id(&self, version_hex: &str) -> Option<String> {
        let suffix = format!("_{}", version_hex.to_ascii_uppercase());
        let mut ids: Vec<&String> = self.docs.keys().filter(|k| k.starts_with("NV_SWITCH_BIOS_") && k.ends_with(&suffix)).collect();
        ids.sort();
        ids.first().map(|s| (*s).clone())
    }
    fn get(&mut self, id: &str, anchor: &TrustAnchor, at: Timestamp, cache: &VerifyCache) -> Option<Result<Arc<VerifiedRim>, String>> {
        let key = id.to_ascii_uppercase();
        let xml = *self.docs.get(&key)?;
        let entry = self
            .verified
            .entry(key)
            .or_insert_with(|| rim::verify_rim_cached(xml, anchor, at, cache).map_err(|e| e.to_string()));
        Some(entry.clone())
    }
}

/// OCSP responses indexed by the serials they cover; each (response, cert) verified once.
/// Why no OCSP response could be used for a certificate; `bad`: a supplied response for it does
/// not verify (forged, malformed, unauthorised responder), which fails the check whatever the
/// policy requires — as opposed to stale or about another certificate.
#[derive(Debug, Clone)]
struct OcspFailure {
    reason: String,
    bad: bool,
}

struct OcspStore<'a> {
    by_serial: HashMap<Vec<u8>, Vec<&'a [u8]>>,
    results: HashMap<(Vec<u8>, Vec<u8>), Result<ocsp::OcspResult, OcspFailure>>,
}

impl<'a> OcspStore<'a> {
    fn new(responses: &'a [Vec<u8>]) -> Self {
        let mut by_serial: HashMap<Vec<u8>, Vec<&'a [u8]>> = HashMap::new();
        for r in responses {
            for serial in ocsp::response_serials(r).unwrap_or_default() {
                by_serial.entry(serial).or_default().push(r.as_slice());
            }
        }
        OcspStore { by_serial, results: HashMap::new() }
    }
    /// The verified status of `cert` (issued by `issuer`) at `at`, or `None` if no response
    /// covers it. Several responses for one certificate: the first that verifies wins.
    fn status(&mut self, cert: &[u8], issuer: &[u8], at: Timestamp, cache: &VerifyCache) -> Option<Result<ocsp::OcspResult, OcspFailure>> {
        let serial = ocsp::cert_serial(cert).ok()?;
        let candidates = self.by_serial.get(&serial)?.clone();
        let key = (cert.to_vec(), issuer.to_vec());
        if let Some(r) = self.results.get(&key) {
            return Some(r.clone());
        }
        let mut failure = OcspFailure { reason: String::from("no response"), bad: false };
        let mut result = None;
        for resp in candidates {
            match ocsp::verify_ocsp_cached(resp, cert, issuer, at, cache) {
                Ok(r) => {
                    result = Some(Ok(r));
                    break;
                }
                // A response that does not verify outweighs one that is merely stale.
                Err(e) if !failure.bad || !e.is_unusable_not_bad() => {
                    failure = OcspFailure { reason: e.to_string(), bad: !e.is_unusable_not_bad() };
                }
                Err(_) => {}
            }
        }
        let r = result.unwrap_or(Err(failure));
        self.results.insert(key, r.clone());
        Some(r)
    }
}

fn cn(cert_der: &[u8]) -> String {
    use der::Decode as _;
    x509_cert::Certificate::from_der(cert_der)
        .ok()
        .and_then(|c| {
            c.tbs_certificate()
                .subject()
                .iter()
                .find(|a| a.oid == der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3"))
                .map(|a| String::from_utf8_lossy(a.value.value()).into_owned())
        })
        .unwrap_or_default()
}

/// The costly, independent part of one device's verification: the strict parse, the device
/// chain (through the cache) and the report's signature by the chain's leaf.
struct Prepared {
    report: Result<SpdmReport, SpdmError>,
    chain: Result<VerifiedDeviceChain, ChainError>,
    /// `None` when the report did not parse.
    signature: Option<Result<(), SpdmError>>,
}

fn prepare(item: &GpuEvidence, opts: &GpuOptions, at: Timestamp, cache: &VerifyCache) -> Prepared {
    let report = SpdmReport::parse(&item.report);
    let chain = verify_device_chain_cached(&item.cert_chain, &opts.device_root, at, cache);
    let leaf = item.cert_chain.first().map(Vec::as_slice).unwrap_or_default();
    let signature = report.as_ref().ok().map(|r| r.verify_signature(leaf));
    Prepared { report, chain, signature }
}

/// Verify a node's GPU/NVSwitch evidence at time `at`.
pub fn verify_gpus(list: &EvidenceList, coll: &GpuCollateral, at: Timestamp, opts: &GpuOptions) -> GpuVerification {
    let cache = opts.cache.clone().unwrap_or_else(|| Arc::new(VerifyCache::with_capacity(256)));
    let mut node = Node {
        opts,
        at,
        cache: cache.as_ref(),
        checks: Vec::new(),
        rims: RimStore::new(&coll.rims),
        ocsps: OcspStore::new(&coll.ocsp),
        used_rims: BTreeMap::new(),
        used_ocsp: BTreeMap::new(),
    };
    // The P-384 chain and signature of each device dominate a cold scan: spread over the CPUs.
    let prepared = crate::par::map_ordered(&list.items, opts.parallel, |item| prepare(item, opts, at, node.cache));
    let mut devices = Vec::new();
    let mut facts = Vec::new();
    for ((i, item), prep) in list.items.iter().enumerate().zip(prepared) {
        let (claims, fact) = node.device(i, item, prep);
        devices.push(claims);
        facts.extend(fact);
    }
    node_checks(&mut node.checks, &facts);
    let nras = nras_checks(&mut node.checks, coll, at, opts, list.items.len());
    let Node { checks, used_rims, used_ocsp, .. } = node;
    let mut collateral: Vec<CollateralUsed> = used_rims.into_values().collect();
    collateral.extend(used_ocsp.into_values());
    if let Some(n) = &coll.nras {
        // The supplied NRAS response and its JWKS, hashed as given (verified or not).
        for (kind, bytes) in [("nras_response", &n.body), ("nras_jwks", &n.jwks)] {
            let sha256 = crate::bytes::to_hex(crate::crypto::sha256(bytes));
            collateral.push(CollateralUsed { kind: kind.to_owned(), sha256, issued: None, next_update: None, detail: Some(format!("{} bytes", bytes.len())) });
        }
    }
    GpuVerification { checks, claims: GpuClaims { devices, nras }, collateral }
}

/// The state of one node's verification: the options, the collateral stores (each RIM and OCSP
/// response verified once), the checks so far and the collateral used.
struct Node<'a> {
    opts: &'a GpuOptions,
    at: Timestamp,
    cache: &'a VerifyCache,
    checks: Vec<Check>,
    rims: RimStore<'a>,
    ocsps: OcspStore<'a>,
    used_rims: BTreeMap<String, CollateralUsed>,
    used_ocsp: BTreeMap<String, CollateralUsed>,
}

/// `gpu[i].<s>`.
fn device_id(i: usize, s: &str) -> String {
    format!("gpu[{i}].{s}")
}

const MEASUREMENTS_TITLE: &str = "Measurements match the RIMs' golden values";

impl Node<'_> {
    /// One device, checks in order: report parse, chain, signature, FWID, nonce, OCSP on the
    /// device chain, RIMs (each with OCSP on its signing chain), measurements. Returns its claims
    /// and, when the report parsed, the facts the node checks need.
    fn device(&mut self, i: usize, item: &GpuEvidence, prep: Prepared) -> (DeviceClaims, Option<Facts>) {
        let Prepared { report, chain, signature } = prep;
        let Some(report) = self.parse_check(i, report) else {
            return (DeviceClaims { index: i, report: None }, None);
        };
        let op = report.opaque();
        let leaf = item.cert_chain.first().map(Vec::as_slice).unwrap_or_default();
        let chain = self.chain_check(i, leaf, chain);
        let signature = signature.unwrap_or_else(|| report.verify_signature(leaf));
        self.signature_check(i, chain.as_ref(), signature);
        self.fwid_check(i, chain.as_ref(), op.fwid());
        self.nonce_check(i, &report);

        let kind = chain.as_ref().and_then(|c| DeviceKind::from_hwmodel(&c.hwmodel));
        let mut claims = report_claims(kind, chain.as_ref(), &report);
        if chain.is_some() {
            self.device_ocsp(i, &item.cert_chain);
        }
        if let (Some(kind), Some(_)) = (kind, &chain) {
            claims.measurements = self.rim_checks(i, kind, &report);
        }
        let facts = Facts {
            kind,
            driver: claims.driver_version.clone(),
            vbios: claims.vbios_version.clone(),
            mode: op.feature_flag().map(FeatureFlag::as_str),
            ueid: claims.ueid.clone(),
            switch_pdis: op.switch_pdis().unwrap_or_default(),
            switch_gpu_pdis: op.switch_gpu_pdis().unwrap_or_default(),
            ppcie_status: op.protected_pcie_status(),
        };
        (DeviceClaims { index: i, report: Some(claims) }, Some(facts))
    }

    fn parse_check(&mut self, i: usize, report: Result<SpdmReport, SpdmError>) -> Option<SpdmReport> {
        const TITLE: &str = "SPDM measurement report parses (strict)";
        match report {
            Ok(r) => {
                self.checks.push(Check::pass(&device_id(i, "report.parse"), TITLE).actual(match r.padding() {
                    0 => format!("{} blocks, {} bytes", r.blocks().len(), r.raw().len()),
                    n => format!("{} blocks, {} bytes + {n} zero padding bytes after the signature (unsigned, ignored)", r.blocks().len(), r.raw().len().saturating_sub(n)),
                }));
                Some(r)
            }
            Err(e) => {
                self.checks.push(Check::fail(&device_id(i, "report.parse"), TITLE, e.to_string()));
                None
            }
        }
    }

    fn chain_check(&mut self, i: usize, leaf: &[u8], chain: Result<VerifiedDeviceChain, ChainError>) -> Option<VerifiedDeviceChain> {
        const TITLE: &str = "Device certificate chain validates to the NVIDIA Device Identity CA";
        match chain {
            Ok(c) => {
                self.checks.push(Check::pass(&device_id(i, "chain"), TITLE).actual(format!("{} ({})", c.hwmodel, cn(leaf))));
                Some(c)
            }
            Err(e) => {
                self.checks.push(Check::fail(&device_id(i, "chain"), TITLE, e.to_string()));
                None
            }
        }
    }

    /// The leaf signs the report; only meaningful with a valid chain.
    fn signature_check(&mut self, i: usize, chain: Option<&VerifiedDeviceChain>, signature: Result<(), SpdmError>) {
        const TITLE: &str = "Report signed by the device's attestation key (ECDSA P-384)";
        let cid = device_id(i, "report.signature");
        self.checks.push(match (chain, signature) {
            (Some(_), Ok(())) => Check::pass(&cid, TITLE),
            (None, Ok(())) => Check::fail(&cid, TITLE, "signature verifies, but with a key whose chain did not validate"),
            (_, Err(e)) => Check::fail(&cid, TITLE, e.to_string()),
        });
    }

    fn fwid_check(&mut self, i: usize, chain: Option<&VerifiedDeviceChain>, report_fwid: Option<[u8; 48]>) {
        const TITLE: &str = "Leaf certificate FWID equals the report's FWID";
        let cid = device_id(i, "chain.fwid");
        self.checks.push(match (chain.and_then(|c| c.leaf_fwid.clone()), report_fwid) {
            (Some(c), Some(r)) => Check::from_bool(&cid, TITLE, c.as_slice() == r.as_slice(), "FWID mismatch: the report was not produced by the firmware the certificate names")
                .expected(crate::bytes::to_hex(&c))
                .actual(crate::bytes::to_hex(r)),
            (None, Some(r)) if chain.is_some() => Check::fail(&cid, TITLE, "the report carries a FWID but the leaf certificate has none").actual(crate::bytes::to_hex(r)),
            (_, None) => Check::skipped(&cid, TITLE, "the report carries no FWID (older firmware)").optional(),
            (_, _) => Check::skipped(&cid, TITLE, "not evaluated: chain invalid"),
        });
    }

    fn nonce_check(&mut self, i: usize, report: &SpdmReport) {
        const TITLE: &str = "Report nonce equals the expected nonce";
        let cid = device_id(i, "report.nonce");
        self.checks.push(match &self.opts.expected_nonce {
            Some(n) => Check::from_bool(&cid, TITLE, report.nonce() == n, "nonce mismatch: the report is not an answer to this request")
                .expected(crate::bytes::to_hex(n))
                .actual(crate::bytes::to_hex(report.nonce())),
            None => Check::new(&cid, TITLE, Status::Indeterminate)
                .reason("no expected nonce given (--nonce): the report's freshness is unknown")
                .actual(crate::bytes::to_hex(report.nonce())),
        });
    }

    /// OCSP on the device chain: BROM, Provisioner ICA, Identity (never the per-boot leaf or the root).
    fn device_ocsp(&mut self, i: usize, cert_chain: &[Vec<u8>]) {
        for (k, label) in [(1usize, "brom"), (2, "provisioner_ica"), (3, "identity")] {
            let cert = cert_chain.get(k).map(Vec::as_slice).unwrap_or_default();
            let issuer = cert_chain.get(k.saturating_add(1)).map(Vec::as_slice).unwrap_or_default();
            let check = self.ocsp_check(&device_id(i, &format!("ocsp.{label}")), cert, issuer);
            self.checks.push(check);
        }
    }

    /// The RIMs the report names (driver for a GPU, VBIOS for both), each verified and checked
    /// against the report, then the measurements once every one verified.
    fn rim_checks(&mut self, i: usize, kind: DeviceKind, report: &SpdmReport) -> Option<MeasurementSummary> {
        let wanted = self.wanted_rims(kind, report.opaque());
        let mut verified: Vec<(RimKind, Arc<VerifiedRim>)> = Vec::new();
        for (rk, rid, version) in &wanted {
            if let Some(r) = self.rim_check(i, kind, *rk, rid, version.as_ref()) {
                verified.push((*rk, r));
            }
        }
        if verified.len() == wanted.len() {
            self.measurement_checks(i, &verified, report)
        } else {
            let required = self.opts.require_rims;
            self.checks.push(waivable(
                Check::new(&device_id(i, "measurements"), MEASUREMENTS_TITLE, if required { Status::Indeterminate } else { Status::Skipped })
                    .reason("not evaluated: a RIM is missing or did not verify"),
                required,
                RIM_RULE,
            ));
            None
        }
    }

    /// The (kind, RIM id, version in the report) of each RIM the device needs.
    fn wanted_rims(&self, kind: DeviceKind, op: &OpaqueData) -> Vec<(RimKind, String, Option<String>)> {
        let driver = op.driver_version();
        let vbios = op.vbios_version();
        let is_switch = kind == DeviceKind::Switch;
        let version = vbios.clone().unwrap_or_default();
        let mut vbios_id = rim::vbios_rim_id(&op.project().unwrap_or_default(), &op.project_sku().unwrap_or_default(), &op.chip_sku().unwrap_or_default(), &version, is_switch);
        if is_switch && op.project().is_none() {
            let ver: String = version.chars().filter(|c| *c != '.').collect();
            if let Some(found) = self.rims.switch_id(&ver) {
                vbios_id = found;
            }
        }
        let mut wanted = Vec::new();
        if let DeviceKind::Gpu(arch) = kind {
            let did = rim::driver_rim_id(arch, &driver.clone().unwrap_or_default(), op.chip_info().as_deref());
            wanted.push((RimKind::Driver, did, driver));
        }
        wanted.push((RimKind::Vbios, vbios_id, vbios));
        wanted
    }

    /// `gpu[i].rim.<driver|vbios>` and the OCSP checks of its signing chain; the RIM when it
    /// verified and matches the report.
    fn rim_check(&mut self, i: usize, kind: DeviceKind, rk: RimKind, rid: &str, version: Option<&String>) -> Option<Arc<VerifiedRim>> {
        let label = rim_label(rk);
        let cid = device_id(i, &format!("rim.{label}"));
        let title = format!("{} RIM {rid} verifies (XML signature, chain to the NVIDIA CoRIM root) and matches the report", if rk == RimKind::Driver { "Driver" } else { "VBIOS" });
        let r = match self.rims.get(rid, &self.opts.rim_root, self.at, self.cache) {
            None => {
                let required = self.opts.require_rims;
                self.checks.push(waivable(
                    Check::new(&cid, &title, if required { Status::Indeterminate } else { Status::Skipped }).reason(format!("RIM {rid} not supplied (--rims)")).expected(rid.to_owned()),
                    required,
                    RIM_RULE,
                ));
                return None;
            }
            Some(Err(e)) => {
                self.checks.push(Check::fail(&cid, &title, e));
                return None;
            }
            Some(Ok(r)) => r,
        };
        let shown = version.cloned().unwrap_or_default();
        let mut problems = Vec::new();
        if version != Some(&r.version) {
            problems.push(format!("RIM version {} ≠ report {shown}", r.version));
        }
        if !r.name.eq_ignore_ascii_case(kind.chip()) {
            problems.push(format!("RIM is for {} not {}", r.name, kind.chip()));
        }
        self.checks.push(
            Check::from_bool(&cid, &title, problems.is_empty(), problems.join("; "))
                .expected(format!("{rid} version {shown}"))
                .actual(format!("{} version {} (signer valid to {})", r.name, r.version, r.signer_not_after)),
        );
        self.used_rims.entry(r.sha256.clone()).or_insert_with(|| CollateralUsed {
            kind: format!("rim:{rid}"),
            sha256: r.sha256.clone(),
            issued: None,
            next_update: Some(r.chain_not_after.to_rfc3339()),
            detail: Some(format!("{} {} tagId {}", r.name, r.version, r.id)),
        });
        // OCSP on the RIM chain: signer, L3, L2 (not the root).
        for k in 0..3usize {
            let cert = r.signer_chain.get(k).map(Vec::as_slice).unwrap_or_default();
            let issuer = r.signer_chain.get(k.saturating_add(1)).map(Vec::as_slice).unwrap_or_default();
            if cert.is_empty() || issuer.is_empty() {
                continue;
            }
            let check = self.ocsp_check(&device_id(i, &format!("rim.{label}.ocsp[{k}]")), cert, issuer);
            self.checks.push(check);
        }
        problems.is_empty().then_some(r)
    }

    /// One check per mismatching index (pass when waived), then `gpu[i].measurements`.
    fn measurement_checks(&mut self, i: usize, verified: &[(RimKind, Arc<VerifiedRim>)], report: &SpdmReport) -> Option<MeasurementSummary> {
        let refs: Vec<(RimKind, &VerifiedRim)> = verified.iter().map(|(k, r)| (*k, r.as_ref())).collect();
        let nvdec0_disabled = report.opaque().nvdec0_status() == Some(STATUS_DISABLED);
        let blocks = |n: u32| u8::try_from(n).ok().and_then(|b| report.measurement(b)).map(<[u8]>::to_vec);
        let results = match rim::compare(&refs, &blocks, nvdec0_disabled) {
            Err(e) => {
                self.checks.push(Check::fail(&device_id(i, "measurements"), MEASUREMENTS_TITLE, e.to_string()));
                return None;
            }
            Ok(results) => results,
        };
        let mut matched = 0usize;
        let mut failed = 0usize;
        for r in &results {
            if matches!(r.status, MatchStatus::Match | MatchStatus::Skipped(_)) {
                matched = matched.saturating_add(1);
                continue;
            }
            let label = rim_label(r.source);
            let cid = device_id(i, &format!("rim.{label}.measurement[{}]", r.index));
            let expected = r.expected.iter().map(hex::encode).collect::<Vec<_>>().join(" | ");
            let actual = r.actual.as_ref().map_or_else(|| "no such block in the report".to_owned(), hex::encode);
            let title = format!("Measurement {} matches the {label} RIM", r.index);
            let c = match self.opts.waived_indices.iter().find(|(ix, _)| *ix == r.index) {
                Some((_, why)) => Check::pass(&cid, &title).reason(format!("mismatch waived by policy: {why}")),
                None => {
                    failed = failed.saturating_add(1);
                    Check::fail(&cid, &title, if r.status == MatchStatus::Missing { "golden value but no runtime measurement" } else { "runtime value matches no golden alternative" })
                }
            };
            self.checks.push(c.expected(expected).actual(actual));
        }
        self.checks.push(
            Check::from_bool(&device_id(i, "measurements"), MEASUREMENTS_TITLE, failed == 0 && !results.is_empty(), format!("{failed} of {} active indices do not match", results.len()))
                .actual(format!("{matched}/{} active indices match", results.len())),
        );
        Some(MeasurementSummary { active: results.len(), matched, failed })
    }

    /// `OCSP: <subject> not revoked` for `cert` issued by `issuer`, recording the response used.
    fn ocsp_check(&mut self, check_id: &str, cert: &[u8], issuer: &[u8]) -> Check {
        let subject = cn(cert);
        let title = format!("OCSP: {subject} not revoked");
        let required = self.opts.require_ocsp;
        let not_required = if required { Status::Indeterminate } else { Status::Skipped };
        match self.ocsps.status(cert, issuer, self.at, self.cache) {
            None => waivable(
                Check::new(check_id, &title, not_required)
                    .reason("no OCSP response supplied for this certificate (--ocsp); NVIDIA device certificates do not expire, OCSP is their revocation control"),
                required,
                OCSP_RULE,
            ),
            Some(Err(e)) if e.bad => Check::fail(check_id, &title, format!("a supplied OCSP response does not verify: {}", e.reason)),
            Some(Err(e)) => waivable(Check::new(check_id, &title, not_required).reason(format!("no usable OCSP response: {}", e.reason)), required, OCSP_RULE),
            Some(Ok(r)) => {
                self.used_ocsp.entry(r.sha256.clone()).or_insert_with(|| CollateralUsed {
                    kind: "ocsp".to_owned(),
                    sha256: r.sha256.clone(),
                    issued: Some(r.this_update.to_rfc3339()),
                    next_update: r.next_update.map(Timestamp::to_rfc3339),
                    detail: Some(format!("{subject} serial {} by {}", crate::bytes::to_hex(&r.serial), r.responder)),
                });
                let window = format!("{} .. {}", r.this_update, r.next_update.map(|t| t.to_rfc3339()).unwrap_or_default());
                match r.status {
                    CertStatus::Good => Check::pass(check_id, &title).actual(format!("good ({window})")),
                    CertStatus::Revoked { time, reason } => Check::fail(check_id, &title, format!("revoked at {time} (reason {reason:?})")).actual("revoked"),
                    CertStatus::Unknown => Check::new(check_id, &title, Status::Indeterminate).reason("the responder does not know this certificate").actual("unknown"),
                }
            }
        }
    }
}

fn rim_label(k: RimKind) -> &'static str {
    if k == RimKind::Driver {
        "driver"
    } else {
        "vbios"
    }
}

/// The claims of a parsed report (measurements filled in later).
fn report_claims(kind: Option<DeviceKind>, chain: Option<&VerifiedDeviceChain>, report: &SpdmReport) -> ReportClaims {
    let op = report.opaque();
    ReportClaims {
        kind,
        hwmodel: chain.map(|c| c.hwmodel.clone()),
        ueid: chain.map(|c| c.ueid.clone()),
        driver_version: op.driver_version(),
        vbios_version: op.vbios_version(),
        project: op.project(),
        project_sku: op.project_sku(),
        chip_sku: op.chip_sku(),
        chip_info: op.chip_info(),
        feature_flag: op.feature_flag().map(|f| f.as_str().to_owned()),
        protected_pcie_status: op.protected_pcie_status().map(|s| format!("0x{s:02x}")),
        fwid: op.fwid().map(hex::encode),
        nonce: crate::bytes::to_hex(report.nonce()),
        measurement_blocks: report.blocks().len(),
        not_provable: NotProvable,
        measurements: None,
    }
}

/// The policy rule that makes the RIM checks informational.
const RIM_RULE: &str = "gpu.rim = \"waived\"";
/// The policy rule that makes the OCSP checks informational.
const OCSP_RULE: &str = "gpu.ocsp = \"waived\"";

/// A check the policy `rule` made optional: reported, but not required for the verdict.
fn waivable(c: Check, required: bool, rule: &str) -> Check {
    if required {
        c
    } else {
        c.waived_by(rule)
    }
}

/// What the node checks need from each device (all from signed reports and certificates).
struct Facts {
    kind: Option<DeviceKind>,
    driver: Option<String>,
    vbios: Option<String>,
    mode: Option<&'static str>,
    ueid: Option<String>,
    switch_pdis: Vec<[u8; 8]>,
    switch_gpu_pdis: Vec<[u8; 8]>,
    ppcie_status: Option<u8>,
}

/// The distinct values, `-` (absent from a report) spelled out.
fn listed(values: &BTreeSet<String>) -> String {
    let v: Vec<&str> = values.iter().map(|x| if x == "-" { "absent from the report" } else { x.as_str() }).collect();
    if v.is_empty() { "none".to_owned() } else { v.join(" / ") }
}

/// The distinct CC feature modes; `-` means the reports carry no feature-flag field.
fn modes_text(modes: &BTreeSet<String>) -> String {
    if modes.len() == 1 && modes.contains("-") {
        "not reported (the signed opaque data has no feature-flag field: older firmware; the mode is then implied only by matching RIM measurements)".to_owned()
    } else {
        listed(modes)
    }
}

fn node_checks(checks: &mut Vec<Check>, s: &[Facts]) {
    let gpus: Vec<&Facts> = s.iter().filter(|x| matches!(x.kind, Some(DeviceKind::Gpu(_)))).collect();
    let distinct = |f: &dyn Fn(&Facts) -> Option<String>| -> BTreeSet<String> { gpus.iter().map(|x| f(x).unwrap_or_else(|| "-".to_owned())).collect() };
    let drivers = distinct(&|x| x.driver.clone());
    let vbioses = distinct(&|x| x.vbios.clone());
    let modes = distinct(&|x| x.mode.map(str::to_owned));
    let consistent = drivers.len() <= 1 && vbioses.len() <= 1 && modes.len() <= 1;
    checks.push(
        Check::from_bool("gpu.consistent", "All GPUs run the same driver, VBIOS and CC feature mode", consistent, "GPUs of one node disagree (mixed SPT/MPT/PPCIe or versions)")
            .actual(format!("driver {}, VBIOS {}, CC mode {}", listed(&drivers), listed(&vbioses), modes_text(&modes))),
    );
    let mut seen = BTreeSet::new();
    let dups: Vec<String> = s.iter().filter_map(|x| x.ueid.clone()).filter(|u| !seen.insert(u.clone())).collect();
    checks.push(
        Check::from_bool("gpu.unique", "Every device appears once (distinct device identity serials)", dups.is_empty(), format!("the same device is listed more than once: {dups:?}"))
            .actual(format!("{} devices, {} distinct", s.len(), seen.len())),
    );
    topology_check(checks, &gpus, s);
}

/// Protected PCIe (8 GPUs + 4 NVSwitches): every GPU names the same switches on its NVLink ports,
/// those are exactly the switches in the evidence, and every switch names the same GPUs.
/// A switch reports its own PDI byte-reversed relative to how GPUs list it (observed on the
/// real HGX evidence); it is normalised before comparing.
fn topology_check(checks: &mut Vec<Check>, gpus: &[&Facts], all: &[Facts]) {
    let switches: Vec<&Facts> = all.iter().filter(|x| x.kind == Some(DeviceKind::Switch)).collect();
    let ppcie = gpus.iter().any(|g| g.mode == Some("PPCIE"));
    if (switches.is_empty() && !ppcie) || gpus.is_empty() {
        // No fabric to check: single GPUs, or switch evidence on its own.
        return;
    }
    let title = "Protected-PCIe topology: GPUs and NVSwitches name each other consistently";
    if switches.is_empty() {
        checks.push(Check::new("gpu.topology", title, Status::Indeterminate).reason("GPUs run in protected-PCIe mode but no NVSwitch evidence was given"));
        return;
    }
    let hexes = |v: &BTreeSet<[u8; 8]>| v.iter().map(hex::encode).collect::<Vec<_>>().join(",");
    let mut problems = Vec::new();
    let gpu_sets: Vec<BTreeSet<[u8; 8]>> = gpus.iter().map(|g| g.switch_pdis.iter().copied().collect()).collect();
    let first = gpu_sets.first().cloned().unwrap_or_default();
    if gpu_sets.iter().any(|set| *set != first) {
        problems.push("GPUs disagree on which switches they are connected to".to_owned());
    }
    let own: BTreeSet<[u8; 8]> = switches
        .iter()
        .filter_map(|sw| sw.switch_pdis.first())
        .map(|p| {
            let mut r = *p;
            r.reverse();
            r
        })
        .collect();
    if own != first {
        problems.push(format!("switches in the evidence [{}] are not the switches the GPUs name [{}]", hexes(&own), hexes(&first)));
    }
    let n = gpus.len();
    let switch_gpu_sets: Vec<BTreeSet<[u8; 8]>> = switches.iter().map(|sw| sw.switch_gpu_pdis.iter().take(n).copied().collect()).collect();
    let g0 = switch_gpu_sets.first().cloned().unwrap_or_default();
    if switch_gpu_sets.iter().any(|set| *set != g0) || g0.len() != n || g0.contains(&[0xff; 8]) {
        problems.push(format!("switches do not all name the same {n} GPUs"));
    }
    let unprotected = gpus.iter().filter(|g| g.ppcie_status != Some(super::opaque::STATUS_ENABLED)).count();
    if unprotected > 0 {
        problems.push(format!("{unprotected} GPUs do not report PROTECTED_PCIE_STATUS enabled"));
    }
    checks.push(
        Check::from_bool("gpu.topology", title, problems.is_empty(), problems.join("; "))
            .actual(format!("{} GPUs, {} switches [{}]", n, switches.len(), hexes(&own))),
    );
}

/// The NRAS checks. A supplied NRAS result is evidence: every check on it is required, whatever
/// the policy says about NRAS (a forged or failing result is never informational).
fn nras_checks(checks: &mut Vec<Check>, coll: &GpuCollateral, at: Timestamp, opts: &GpuOptions, devices: usize) -> Option<NrasClaims> {
    const SIG_TITLE: &str = "NRAS result verifies (ES384, pinned key chain, issuer, time, nonce, submods)";
    let Some(input) = &coll.nras else {
        if opts.require_nras {
            checks.push(Check::new("nras.signature", SIG_TITLE, Status::Indeterminate).reason("the policy requires an NRAS result but none was supplied (--nras, --jwks)"));
        }
        return None;
    };
    let jwks: Jwks = match nras::parse_jwks(&input.jwks) {
        Ok(j) => j,
        Err(e) => {
            checks.push(Check::fail("nras.signature", SIG_TITLE, format!("JWKS: {e}")));
            return None;
        }
    };
    nras_chain_check(checks, &input.body, &jwks, at, &opts.nras_anchors);
    let nonce = opts.expected_nonce.as_ref().map(|n| n.as_slice());
    match nras::verify_detached_eat_in(&input.body, &jwks, at, nonce, nras::NRAS_PROD_ISSUER, 0, &opts.nras_anchors, opts.parallel) {
        Err(e) => {
            checks.push(Check::fail("nras.signature", SIG_TITLE, e.to_string()).actual(e.code()));
            None
        }
        Ok(v) => {
            checks.push(Check::pass("nras.signature", SIG_TITLE).actual(format!(
                "kid {}, {} device tokens",
                v.overall.kid,
                v.devices.len()
            )));
            checks.push(Check::from_bool("nras.count", "NRAS covered every device in the evidence", v.devices.len() == devices, "NRAS token count differs from the evidence")
                .expected(devices.to_string())
                .actual(v.devices.len().to_string()));
            let failures = v.failures();
            checks.push(Check::from_bool("nras.result", "NRAS appraisal result is success for the node and every device", v.is_success(), failures.join("; "))
                .actual(format!("overall {}", v.overall_result)));
            Some(NrasClaims {
                overall_result: v.overall_result,
                eat_nonce: v.eat_nonce,
                kid: v.overall.kid,
                devices: v.devices.iter().map(|d| NrasDeviceClaims { name: d.name.clone(), measres: d.measres.clone(), error: d.error.as_ref().map(ToString::to_string) }).collect(),
            })
        }
    }
}

/// `nras.chain`: every key the result's tokens name (read before any verification, only to
/// know which keys to check) chains to a pinned NRAS anchor at `at`. Unparseable bodies and
/// unknown kids are left to `nras.signature`.
fn nras_chain_check(checks: &mut Vec<Check>, body: &[u8], jwks: &Jwks, at: Timestamp, anchors: &nras::NrasAnchors) {
    const TITLE: &str = "NRAS signing keys chain to a pinned NVIDIA Attestation Service anchor (x5c)";
    let Ok(eat) = nras::parse_detached_eat(body) else { return };
    let kids: BTreeSet<String> = std::iter::once(eat.overall.as_str())
        .chain(eat.devices.iter().map(|(_, t)| t.as_str()))
        .filter_map(|t| nras::decode_unverified(t).ok())
        .filter_map(|t| t.header.get("kid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let keys: Vec<&nras::Jwk> = kids.iter().filter_map(|k| jwks.get(k)).collect();
    if keys.is_empty() {
        return;
    }
    let expected = format!("x5c leaf = JWK key, valid at {at}, signed by a CA with SPKI SHA-256 in [{}]", anchors.pins_hex().join(", "));
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for key in keys {
        match key.check_x5c_with(at, anchors) {
            Ok(p) => ok.push(format!("{}: {} ({}..{}) under {} [{}]", key.kid, p.leaf_subject, p.leaf_not_before, p.leaf_not_after, p.anchor_subject, p.anchor_spki_sha256)),
            Err(e) => bad.push(e.to_string()),
        }
    }
    checks.push(if bad.is_empty() {
        Check::pass("nras.chain", TITLE).expected(expected).actual(ok.join("; "))
    } else {
        Check::fail("nras.chain", TITLE, bad.join("; ")).expected(expected).actual(ok.into_iter().chain(bad.iter().cloned()).collect::<Vec<_>>().join("; "))
    });
}
