//! NVIDIA RIM verification and golden-measurement comparison on the real corpus
//! (`../shared/fixtures/nvidia`): the H100 sample (driver + VBIOS RIM and the report they were
//! made for), the NVSwitch LS10 RIM and report, the two older VBIOS RIM samples, and tampered
//! variants of them.

#[path = "support/corpus.rs"]
mod corpus;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use teescan::nvidia::rim::{
    all_passed, compare, compare_gpu, driver_rim_id, vbios_rim_id, verify_rim, GpuArch, MatchStatus, RimError, RimKind,
    SignatureFailure, SkipReason, VerifiedRim,
};
use teescan::pki::{PkiError, TrustAnchor};
use teescan::time::Timestamp;

const H100: &str = "nvidia/nvtrust-sample-h100";
const DRIVER: &str = "NV_GPU_DRIVER_GH100_550.90.07";
const VBIOS: &str = "NV_GPU_VBIOS_1010_0200_882_96009F0001";
const LS10: &str = "nvidia/nvswitch-ls10";
const SWITCH: &str = "NV_SWITCH_BIOS_5612_0002_890_9610550001";

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}
fn h100_time() -> Timestamp {
    t("2025-10-24T12:00:00Z")
}
fn ls10_time() -> Timestamp {
    t("2026-11-20T00:00:00Z")
}
fn root_ca() -> TrustAnchor {
    TrustAnchor::nvidia_corim_root_ca()
}

fn xml(root: &Path, dir: &str, stem: &str) -> Vec<u8> {
    corpus::read(root, &format!("{dir}/{stem}.xml"))
}

/// Test-local SPDM GET_MEASUREMENTS parser: 37-byte request, then the response header (4 bytes),
/// NumberOfBlocks (u8), MeasurementRecordLength (u24 LE), then blocks of index (u8),
/// MeasurementSpecification (u8), size (u16 LE), DMTF type (u8), value length (u16 LE), value.
/// Returns SPDM block index → value.
fn spdm_blocks(root: &Path, dir: &str) -> BTreeMap<u32, Vec<u8>> {
    let text = corpus::read(root, &format!("{dir}/attestation_report.hex"));
    let text: String = String::from_utf8(text).unwrap().split_whitespace().collect();
    let raw = hex::decode(text).unwrap();
    let resp = &raw[37..];
    let n = resp[4] as usize;
    let rec_len = resp[5] as usize | (resp[6] as usize) << 8 | (resp[7] as usize) << 16;
    let rec = &resp[8..8 + rec_len];
    let mut out = BTreeMap::new();
    let mut p = 0;
    for _ in 0..n {
        let index = rec[p] as u32;
        let size = u16::from_le_bytes([rec[p + 2], rec[p + 3]]) as usize;
        let body = &rec[p + 4..p + 4 + size];
        let len = u16::from_le_bytes([body[1], body[2]]) as usize;
        assert_eq!(len + 3, size, "block {index}: DMTF length");
        assert!(out.insert(index, body[3..3 + len].to_vec()).is_none(), "duplicate block {index}");
        p += 4 + size;
    }
    assert_eq!(p, rec_len, "measurement record fully consumed");
    out
}

fn lookup(blocks: &BTreeMap<u32, Vec<u8>>) -> impl Fn(u32) -> Option<Vec<u8>> + '_ {
    move |i| blocks.get(&i).cloned()
}

fn h100_rims(root: &Path) -> (VerifiedRim, VerifiedRim) {
    let d = verify_rim(&xml(root, H100, DRIVER), &root_ca(), h100_time()).unwrap();
    let v = verify_rim(&xml(root, H100, VBIOS), &root_ca(), h100_time()).unwrap();
    (d, v)
}

fn replace_once(doc: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = std::str::from_utf8(doc).unwrap();
    assert_eq!(s.matches(from).count(), 1, "{from:?} must occur exactly once");
    s.replacen(from, to, 1).into_bytes()
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn h100_driver_and_vbios_rims_verify_and_match_the_sample_report() {
    let Some(root) = corpus::root() else { return };
    let (d, v) = h100_rims(&root);
    assert_eq!(d.version, "550.90.07");
    assert_eq!(v.version, "96.00.9F.00.01");
    assert_eq!((d.name.as_str(), d.edition.as_str()), ("GH100", "GPU"));
    assert_eq!(d.id, "63f9f7f7de3322e35f4ac735e36a38d1c699fa48226216eeb1a84c47a550cca0c293cef2b47715c04b67dab81d900638");
    assert_eq!(d.measurements.len(), 64);
    assert_eq!(v.measurements.len(), 64);
    assert_eq!(d.active().count(), 21);
    assert_eq!(v.active().count(), 12);
    assert_eq!(d.signer_chain.len(), 4);
    assert_eq!(d.signer_not_after.to_rfc3339().get(..10), Some("2026-06-01"));
    assert_eq!(v.signer_not_after.to_rfc3339().get(..10), Some("2026-02-22"));
    assert!(d.chain_not_after <= d.signer_not_after);
    assert_eq!(d.sha256.len(), 64);
    for m in d.measurements.iter().chain(&v.measurements) {
        assert!(m.alternatives.iter().all(|a| a.len() == 48));
        assert_eq!(m.size, 48);
    }

    let multi: BTreeSet<u32> =
        d.active().chain(v.active()).filter(|m| m.alternatives.len() > 1).map(|m| m.index).collect();
    assert_eq!(multi, BTreeSet::from([12, 23, 24, 32, 34, 35, 36]));

    let blocks = spdm_blocks(&root, H100);
    assert_eq!(blocks.len(), 64);
    let results = compare_gpu(&d, &v, &lookup(&blocks), false).unwrap();
    assert_eq!(results.len(), 33);
    let bad: Vec<_> = results.iter().filter(|r| r.status != MatchStatus::Match).map(|r| r.index).collect();
    assert!(bad.is_empty(), "non-matching indices {bad:?}");
    assert!(all_passed(&results));
    assert_eq!(results.iter().filter(|r| r.source == RimKind::Driver).count(), 21);
    assert_eq!(results.iter().filter(|r| r.source == RimKind::Vbios).count(), 12);
    // Results are in index order and carry the runtime value.
    assert!(results.windows(2).all(|w| w[0].index < w[1].index));
    assert!(results.iter().all(|r| r.actual.as_ref() == blocks.get(&(r.index + 1))));

    // NVDEC0 disabled: index 35 is skipped, everything else still matches.
    let results = compare_gpu(&d, &v, &lookup(&blocks), true).unwrap();
    let r35 = results.iter().find(|r| r.index == 35).unwrap();
    assert_eq!(r35.status, MatchStatus::Skipped(SkipReason::Nvdec0Disabled));
    assert!(all_passed(&results));
}

#[test]
fn rim_ids_are_derived_as_nvidia_does() {
    let Some(root) = corpus::root() else { return };
    let (d, v) = h100_rims(&root);
    assert_eq!(driver_rim_id(GpuArch::Hopper, &d.version, None), DRIVER);
    assert_eq!(vbios_rim_id("1010", "0200", "882", &v.version, false), VBIOS);
    assert_eq!(driver_rim_id(GpuArch::Blackwell, "575.32", None), "NV_GPU_CC_DRIVER_GB100_575.32");
    assert_eq!(driver_rim_id(GpuArch::Blackwell, "580.65", Some("GB200")), "NV_GPU_CC_DRIVER_GB200_580.65");
    let s = verify_rim(&xml(&root, LS10, SWITCH), &root_ca(), ls10_time()).unwrap();
    assert_eq!(vbios_rim_id("5612", "0002", "890", &s.version, true), SWITCH);
    // rim-samples: <project>_<sku>_<chip>_<vbios>_PROD.swidtag
    for (file, project, sku, chip) in
        [("1010_0200_882_96005E0001_PROD", "1010", "0200", "882"), ("g520_0202_885_96006D0027_PROD", "G520", "0202", "885")]
    {
        let r = verify_rim(&corpus::read(&root, &format!("nvidia/rim-samples/{file}.swidtag")), &root_ca(), t("2024-06-01T00:00:00Z"))
            .unwrap();
        let want = format!("NV_GPU_VBIOS_{}", file.trim_end_matches("_PROD").to_uppercase());
        assert_eq!(vbios_rim_id(project, sku, chip, &r.version.to_lowercase(), false), want);
    }
}

#[test]
fn ls10_switch_rim_verifies_and_matches_its_report() {
    let Some(root) = corpus::root() else { return };
    let s = verify_rim(&xml(&root, LS10, SWITCH), &root_ca(), ls10_time()).unwrap();
    assert_eq!(s.version, "96.10.55.00.01");
    assert_eq!((s.name.as_str(), s.edition.as_str()), ("LS10", "SWITCH"));
    assert_eq!(s.active().count(), 31);
    let blocks = spdm_blocks(&root, LS10);
    let results = compare(&[(RimKind::Vbios, &s)], &lookup(&blocks), false).unwrap();
    assert_eq!(results.len(), 31);
    assert!(results.iter().all(|r| r.status == MatchStatus::Match), "{results:?}");
    // The re-signed LS10 leaf is valid only from 2026-05-20.
    let e = verify_rim(&xml(&root, LS10, SWITCH), &root_ca(), h100_time()).unwrap_err();
    assert!(matches!(e, RimError::SignerNotYetValid { .. }), "{e}");
}

#[test]
fn older_rim_samples_verify_at_2024_06_01() {
    let Some(root) = corpus::root() else { return };
    let dir = root.join("nvidia/rim-samples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 2);
    for f in files {
        let r = verify_rim(&std::fs::read(&f).unwrap(), &root_ca(), t("2024-06-01T00:00:00Z"))
            .unwrap_or_else(|e| panic!("{}: {e}", stem(&f)));
        assert_eq!(r.active().count(), 12, "{}", stem(&f));
        assert_eq!(r.measurements.len(), 64);
        // Expired today.
        assert!(matches!(verify_rim(&std::fs::read(&f).unwrap(), &root_ca(), t("2026-11-24T00:00:00Z")), Err(RimError::SignerExpired { .. })));
    }
}

#[test]
fn a_changed_hash_character_breaks_the_digest() {
    let Some(root) = corpus::root() else { return };
    let doc = xml(&root, H100, VBIOS);
    let tampered = replace_once(&doc, "ns2:Hash0=\"8048dfd1", "ns2:Hash0=\"9048dfd1");
    let e = verify_rim(&tampered, &root_ca(), h100_time()).unwrap_err();
    assert_eq!(e, RimError::SignatureInvalid(SignatureFailure::DigestMismatch));
}

#[test]
fn a_changed_signature_value_character_breaks_the_signature() {
    let Some(root) = corpus::root() else { return };
    let doc = xml(&root, H100, VBIOS);
    let tampered = replace_once(&doc, "<ds:SignatureValue>+8zHlC89", "<ds:SignatureValue>+8zHlC88");
    let e = verify_rim(&tampered, &root_ca(), h100_time()).unwrap_err();
    assert_eq!(e, RimError::SignatureInvalid(SignatureFailure::SignatureMismatch));
}

#[test]
fn verification_today_fails_on_the_expired_signer() {
    let Some(root) = corpus::root() else { return };
    let now = t("2026-11-24T00:00:00Z");
    for stem in [DRIVER, VBIOS] {
        let e = verify_rim(&xml(&root, H100, stem), &root_ca(), now).unwrap_err();
        assert!(matches!(e, RimError::SignerExpired { at, .. } if at == now), "{stem}: {e}");
    }
}

#[test]
fn the_device_identity_ca_is_not_a_rim_anchor() {
    let Some(root) = corpus::root() else { return };
    let e = verify_rim(&xml(&root, H100, DRIVER), &TrustAnchor::nvidia_device_identity_ca(), h100_time()).unwrap_err();
    assert!(matches!(e, RimError::Chain(PkiError::Path(_))), "{e}");
}

#[test]
fn a_one_bit_change_in_the_report_mismatches_exactly_that_index() {
    let Some(root) = corpus::root() else { return };
    let (d, v) = h100_rims(&root);
    let mut blocks = spdm_blocks(&root, H100);
    for index in [1u32, 12, 35] {
        let mut b = blocks.clone();
        b.get_mut(&(index + 1)).unwrap()[47] ^= 0x01;
        let results = compare_gpu(&d, &v, &lookup(&b), false).unwrap();
        for r in &results {
            let want = if r.index == index { MatchStatus::Mismatch } else { MatchStatus::Match };
            assert_eq!(r.status, want, "flipped {index}, index {}", r.index);
        }
        assert!(!all_passed(&results));
    }
    // A block missing from the report is Missing (a failure); an unmeasured extra block is ignored.
    blocks.remove(&3);
    blocks.insert(200, vec![0; 48]);
    let results = compare_gpu(&d, &v, &lookup(&blocks), false).unwrap();
    let missing: Vec<u32> = results.iter().filter(|r| r.status == MatchStatus::Missing).map(|r| r.index).collect();
    assert_eq!(missing, vec![2]);
    assert!(!all_passed(&results));
}

#[test]
fn an_index_active_in_both_rims_is_a_conflict() {
    let Some(root) = corpus::root() else { return };
    let (d, v) = h100_rims(&root);
    let driver_index = d.active().next().unwrap().index;
    // Marking it active in a copy of the VBIOS XML breaks the signature …
    let doc = String::from_utf8(xml(&root, H100, VBIOS)).unwrap();
    let needle = format!("index=\"{driver_index}\" active=\"False\"");
    let tampered = replace_once(doc.as_bytes(), &needle, &format!("index=\"{driver_index}\" active=\"True\""));
    assert_eq!(
        verify_rim(&tampered, &root_ca(), h100_time()).unwrap_err(),
        RimError::SignatureInvalid(SignatureFailure::DigestMismatch)
    );
    // … so the rule is checked on a constructed VerifiedRim.
    let mut v2 = v.clone();
    v2.measurements.iter_mut().find(|m| m.index == driver_index).unwrap().active = true;
    let blocks = spdm_blocks(&root, H100);
    let e = compare_gpu(&d, &v2, &lookup(&blocks), false).unwrap_err();
    assert_eq!(e, RimError::IndexConflict { index: driver_index, first: RimKind::Driver, second: RimKind::Vbios });
}

/// XML-signature-wrapping style injections: each attempt must be rejected or leave the golden set
/// exactly as signed.
#[test]
fn xsw_injections_cannot_change_the_golden_set() {
    let Some(root) = corpus::root() else { return };
    let doc = String::from_utf8(xml(&root, H100, VBIOS)).unwrap();
    let genuine = verify_rim(doc.as_bytes(), &root_ca(), h100_time()).unwrap();
    let evil_hash = "ab".repeat(48);
    let evil_resource = format!(
        "<ns0:Resource type=\"Measurement\" index=\"40\" active=\"True\" alternatives=\"1\" ns2:Hash0=\"{evil_hash}\" name=\"evil\" size=\"48\"/>"
    );
    let evil_swid = format!(
        "<SoftwareIdentity xmlns=\"{ns}\" xmlns:ns0=\"{ns}\" xmlns:ns2=\"http://www.w3.org/2001/04/xmlenc#sha384\" name=\"GH100\" tagId=\"evil\"><ns0:Meta colloquialVersion=\"96.00.9F.00.01\"/><ns0:Payload>{evil_resource}</ns0:Payload></SoftwareIdentity>",
        ns = "http://standards.iso.org/iso/19770/-2/2015/schema.xsd"
    );
    let payload_end = "</ns0:Payload>";
    let sig_start = doc.find("<ds:Signature").unwrap();
    let sig_end = doc.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = &doc[sig_start..sig_end];
    let original_without_sig = format!("{}{}", &doc[..sig_start], &doc[sig_end..]);

    let attempts: Vec<(&str, String)> = vec![
        // A second SoftwareIdentity inside ds:Object (the enveloped transform removes the whole
        // Signature, so nothing inside it is signed).
        ("object-in-signature", doc.replacen("</ds:KeyInfo>", &format!("</ds:KeyInfo><ds:Object>{evil_swid}</ds:Object>"), 1)),
        // A Resource smuggled into KeyInfo.
        ("resource-in-keyinfo", doc.replacen("<ds:X509Data>", &format!("{evil_resource}<ds:X509Data>"), 1)),
        // Classic wrapping: an evil root carries the signature; the genuine document hides in Object.
        (
            "wrapped-original",
            format!(
                "{}{}</SoftwareIdentity>",
                evil_swid.trim_end_matches("</SoftwareIdentity>"),
                signature.replacen("</ds:KeyInfo>", &format!("</ds:KeyInfo><ds:Object>{original_without_sig}</ds:Object>"), 1)
            ),
        ),
        // A second Payload beside the signed one.
        ("second-payload", doc.replacen(payload_end, &format!("{payload_end}<ns0:Payload>{evil_resource}</ns0:Payload>"), 1)),
        // An extra Resource in the signed Payload.
        ("extra-resource", doc.replacen(payload_end, &format!("{evil_resource}{payload_end}"), 1)),
        // A Resource inside a comment: comments are outside C14N, so the signature still holds and
        // the parser must not read it.
        ("resource-in-comment", doc.replacen(payload_end, &format!("<!--{evil_resource}-->{payload_end}"), 1)),
        // A second Signature whose KeyInfo is genuine.
        ("second-signature", doc.replacen(payload_end, &format!("{payload_end}{signature}"), 1)),
        // DTD with an entity that would expand inside signed content.
        ("dtd", format!("<!DOCTYPE SoftwareIdentity [<!ENTITY e \"{evil_hash}\">]>{}", doc)),
    ];
    let mut accepted = Vec::new();
    for (name, x) in &attempts {
        assert_ne!(x, &doc, "{name}: injection did not apply");
        match verify_rim(x.as_bytes(), &root_ca(), h100_time()) {
            Err(e) => eprintln!("{name}: rejected: {e}"),
            Ok(r) => {
                assert_eq!(r.measurements, genuine.measurements, "{name}: golden set changed");
                assert_eq!((&r.id, &r.version), (&genuine.id, &genuine.version), "{name}");
                accepted.push(*name);
            }
        }
    }
    // Only the comment variant verifies (comments are outside C14N) and it changed nothing.
    assert_eq!(accepted, vec!["resource-in-comment"]);
}

#[test]
fn other_algorithms_and_references_are_refused() {
    let Some(root) = corpus::root() else { return };
    let doc = xml(&root, H100, DRIVER);
    let cases = [
        ("xmldsig-more#ecdsa-sha384\"/>", "xmldsig-more#ecdsa-sha256\"/>"),
        ("<ds:Reference URI=\"\">", "<ds:Reference URI=\"#xpointer(/)\">"),
        ("<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#sha384\"/>", "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha512\"/>"),
        ("<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\"/>", "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"),
        ("<ds:Transform Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\"/>", ""),
    ];
    for (from, to) in cases {
        let e = verify_rim(&replace_once(&doc, from, to), &root_ca(), h100_time()).unwrap_err();
        eprintln!("{to:?}: {e}");
        assert!(matches!(e, RimError::Algorithm { .. } | RimError::ReferenceUri(_) | RimError::Structure(_)), "{from}: {e}");
    }
    assert!(matches!(verify_rim(b"<SoftwareIdentity", &root_ca(), h100_time()), Err(RimError::Xml(_))));
    assert!(matches!(verify_rim(&doc[..doc.len() / 2], &root_ca(), h100_time()), Err(RimError::Xml(_))));
}

