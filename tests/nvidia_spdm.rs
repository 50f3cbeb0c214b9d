//! NVIDIA SPDM report parsing, opaque data and evidence decoding against the real corpus
//! (`../shared/fixtures/nvidia`), plus structural mutations of a genuine report.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;

use teescan::nvidia::evidence::{decode_report, parse_evidence_list, Encoding, EvidenceList};
use teescan::nvidia::opaque::{self, FeatureFlag, OpaqueError};
use teescan::nvidia::spdm::{SpdmError, SpdmReport};

fn report_file(root: &Path, rel: &str) -> Vec<u8> {
    let (raw, enc) = decode_report(&corpus::read(root, rel)).unwrap();
    assert_eq!(enc, Encoding::Hex, "{rel}");
    raw
}

fn pem_chain(root: &Path, rel: &str) -> Vec<Vec<u8>> {
    pem::parse_many(corpus::read(root, rel))
        .unwrap()
        .into_iter()
        .map(pem::Pem::into_contents)
        .collect()
}

fn evidence(root: &Path, rel: &str) -> EvidenceList {
    parse_evidence_list(&corpus::read(root, rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn meta_nonce(root: &Path, dir: &str) -> String {
    let meta: serde_json::Value = serde_json::from_slice(&corpus::read(
        root,
        &format!("nvidia/providers/{dir}/meta.json"),
    ))
    .unwrap();
    meta["request_nonce"].as_str().unwrap().to_owned()
}

/// The standalone reports with their chains: (report, chain, genuine?).
const STANDALONE: &[(&str, &str, bool)] = &[
    (
        "nvidia/nvtrust-sample-h100/attestation_report.hex",
        "nvidia/nvtrust-sample-h100/device_cert_chain.pem",
        true,
    ),
    (
        "nvidia/blackwell-gb100/attestation_report.hex",
        "nvidia/blackwell-gb100/device_cert_chain.pem",
        true,
    ),
    (
        "nvidia/nvswitch-ls10/attestation_report.hex",
        "nvidia/nvswitch-ls10/device_cert_chain.pem",
        true,
    ),
    (
        "nvidia/negative/hopper_report_invalid_signature.hex",
        "nvidia/nvtrust-sample-h100/device_cert_chain.pem",
        false,
    ),
];

/// JSON evidence files and their item counts.
const JSON_SETS: &[(&str, usize)] = &[
    ("nvidia/ppcie-hgx-8gpu-4switch/gpu_evidence.json", 8),
    ("nvidia/ppcie-hgx-8gpu-4switch/switch_evidence.json", 4),
    ("nvidia/nvat-hopper-590/multi_gpu_hopper.json", 4),
    (
        "nvidia/nvat-hopper-590/hopper_evidence_570_cert_hold.json",
        1,
    ),
    (
        "nvidia/providers/nearai-cloud-gpt-oss-120b/nvidia_payload.json",
        8,
    ),
    (
        "nvidia/providers/neardirect-qwen35-teep/nvidia_payload.json",
        8,
    ),
    (
        "nvidia/providers/chutes-via-redpill-teep/gpu_evidence_instance0.json",
        8,
    ),
    // The NRAS request bodies captured next to the provider payloads: same shape.
    (
        "nvidia/providers/neardirect-qwen35-teep/nras_request.json",
        8,
    ),
    (
        "nvidia/providers/chutes-via-redpill-teep/nras_request.json",
        8,
    ),
    ("nvidia/providers/tinfoil-gemma4-teep/nras_request.json", 1),
];

#[test]
fn every_corpus_report_parses_and_genuine_ones_verify() {
    let Some(root) = corpus::root() else { return };
    let (mut parsed, mut verified) = (0usize, 0usize);
    for (rep, chain, genuine) in STANDALONE {
        let r =
            SpdmReport::parse(&report_file(&root, rep)).unwrap_or_else(|e| panic!("{rep}: {e}"));
        parsed += 1;
        let chain = pem_chain(&root, chain);
        assert_eq!(chain.len(), 5, "{rep}");
        let res = r.verify_signature(&chain[0]);
        if *genuine {
            res.unwrap_or_else(|e| panic!("{rep}: {e}"));
            verified += 1;
        } else {
            assert_eq!(res.unwrap_err(), SpdmError::BadSignature, "{rep}");
        }
    }
    for (file, count) in JSON_SETS {
        let list = evidence(&root, file);
        assert_eq!(list.items.len(), *count, "{file}");
        for (i, item) in list.items.iter().enumerate() {
            let r = item
                .parse_report()
                .unwrap_or_else(|e| panic!("{file}[{i}]: {e}"));
            parsed += 1;
            assert_eq!(item.cert_chain.len(), 5, "{file}[{i}]");
            r.verify_signature(&item.cert_chain[0])
                .unwrap_or_else(|e| panic!("{file}[{i}]: {e}"));
            verified += 1;
            // Every block is a 48-byte SHA-384 digest, indices 1..=n.
            assert!(r
                .blocks()
                .iter()
                .all(|b| b.value.len() == 48 && b.value_type == 1));
            assert_eq!(r.blocks().len(), usize::from(r.response.number_of_blocks));
            assert!(
                r.opaque().fwid().is_some() || r.opaque().driver_version().is_none(),
                "GPUs carry a FWID"
            );
            // Another device's key never verifies the report.
            let other = &list.items[(i + 1) % list.items.len()];
            if list.items.len() > 1 && other.cert_chain[0] != item.cert_chain[0] {
                assert_eq!(
                    r.verify_signature(&other.cert_chain[0]).unwrap_err(),
                    SpdmError::BadSignature
                );
            }
        }
    }
    assert_eq!((parsed, verified), (4 + 58, 3 + 58));
}

#[test]
fn h100_sample_matches_the_readme() {
    let Some(root) = corpus::root() else { return };
    let raw = report_file(&root, "nvidia/nvtrust-sample-h100/attestation_report.hex");
    let r = SpdmReport::parse(&raw).unwrap();
    assert_eq!(raw.len(), 4117);
    assert_eq!(r.signed_bytes().len(), raw.len() - 96);
    assert_eq!(r.signature()[..], raw[raw.len() - 96..]);
    assert_eq!(r.request.param1 & 1, 1);
    assert_eq!(r.request.param2, 0xFF);
    assert_eq!(r.response.number_of_blocks, 64);
    assert_eq!(r.response.record_length, 3520);
    assert_eq!(r.blocks().len(), 64);
    assert_eq!(r.blocks().first().unwrap().index, 1);
    assert_eq!(r.measurement(64).unwrap().len(), 48);
    assert_eq!(r.measurement(65), None);
    let nonce = hex::encode(r.nonce());
    assert!(
        nonce.starts_with("931d8dd0") && nonce.ends_with("64dfcb"),
        "{nonce}"
    );
    let o = r.opaque();
    assert_eq!(o.driver_version().as_deref(), Some("550.90.07"));
    assert_eq!(o.vbios_version().as_deref(), Some("96.00.9F.00.01"));
    assert_eq!(o.project().as_deref(), Some("1010"));
    assert_eq!(o.project_sku().as_deref(), Some("0200"));
    assert_eq!(o.chip_sku().as_deref(), Some("882"));
    assert_eq!(o.feature_flag(), None);
    assert_eq!(o.opaque_data_version(), None);
    assert_eq!(o.nvdec0_status(), Some(opaque::STATUS_DISABLED));
    assert_eq!(o.protected_pcie_status(), Some(opaque::STATUS_DISABLED));
    assert_eq!(o.msrscnt().unwrap().len(), 64);
    assert!(o.fwid().is_some());
    assert!(o.unknown_types().is_empty());
    assert_eq!(
        o.fields().iter().map(|f| f.0).collect::<Vec<_>>(),
        [6, 14, 15, 16, 17, 18, 19, 3, 4, 12, 13, 11, 20, 21]
    );
    let chain = pem_chain(&root, "nvidia/nvtrust-sample-h100/device_cert_chain.pem");
    r.verify_signature(&chain[0]).unwrap();
    // The root certificate's key is not the attestation key.
    assert_eq!(
        r.verify_signature(&chain[4]).unwrap_err(),
        SpdmError::BadSignature
    );
}

#[test]
fn blackwell_and_nvswitch_match_the_readme() {
    let Some(root) = corpus::root() else { return };
    let b = SpdmReport::parse(&report_file(
        &root,
        "nvidia/blackwell-gb100/attestation_report.hex",
    ))
    .unwrap();
    let o = b.opaque();
    assert_eq!(o.driver_version().as_deref(), Some("575.32"));
    assert_eq!(o.vbios_version().as_deref(), Some("97.00.88.00.0F"));
    assert_eq!(
        (
            o.project().unwrap(),
            o.project_sku().unwrap(),
            o.chip_sku().unwrap()
        ),
        ("G525".into(), "0220".into(), "886".into())
    );
    assert_eq!(o.opaque_data_version(), Some(0));
    assert_eq!((o.chip_info(), o.feature_flag()), (None, None));
    assert_eq!(b.blocks().len(), 64);

    let s = SpdmReport::parse(&report_file(
        &root,
        "nvidia/nvswitch-ls10/attestation_report.hex",
    ))
    .unwrap();
    let o = s.opaque();
    assert_eq!(s.response.number_of_blocks, 31);
    assert_eq!(s.blocks().len(), 31);
    assert_eq!(o.vbios_version().as_deref(), Some("96.10.55.00.01"));
    assert_eq!(
        (o.driver_version(), o.fwid(), o.project()),
        (None, None, None)
    );
    assert_eq!(
        o.switch_pdis().unwrap().len(),
        1,
        "a switch lists its own PDI"
    );
    assert_eq!(o.switch_gpu_pdis().unwrap().len(), 16);
    assert_eq!(o.position_id(), Some(2));
    // MSRSCNT has fewer entries than the switch has blocks (26 vs 31).
    assert_eq!(o.msrscnt().unwrap().len(), 26);
}

#[test]
fn ppcie_hgx_evidence() {
    let Some(root) = corpus::root() else { return };
    let gpus = evidence(&root, "nvidia/ppcie-hgx-8gpu-4switch/gpu_evidence.json");
    let switches = evidence(&root, "nvidia/ppcie-hgx-8gpu-4switch/switch_evidence.json");
    let nonce = "4760e30534a0621357d458b1a7936551b5dc4cd1e69718adf7ed9fb0252a537e";
    let mut switch_set = std::collections::BTreeSet::new();
    for g in &gpus.items {
        let r = g.parse_report().unwrap();
        let o = r.opaque();
        assert_eq!(hex::encode(r.nonce()), nonce);
        assert_eq!(g.nonce_hint.as_deref(), Some(nonce));
        assert_eq!(g.arch_hint.as_deref(), Some("HOPPER"));
        assert_eq!(o.feature_flag(), Some(FeatureFlag::Ppcie));
        assert_eq!(o.opaque_data_version(), Some(1));
        assert_eq!(o.protected_pcie_status(), Some(0xAA));
        assert_eq!(o.driver_version().as_deref(), Some("590.12"));
        assert_eq!(g.driver_version_hint.as_deref(), Some("590.12"));
        assert_eq!(o.vbios_version().as_deref(), Some("96.00.A5.00.01"));
        assert_eq!(g.vbios_version_hint.as_deref(), Some("96.00.A5.00.01"));
        assert_eq!(o.project().as_deref(), Some("G520"));
        let pdis = o.switch_pdis().unwrap();
        assert_eq!(pdis.len(), 18, "one 8-byte PDI per NVLink");
        switch_set.extend(pdis);
    }
    assert_eq!(switch_set.len(), 4, "all GPUs see the same 4 switches");
    let mut positions = Vec::new();
    for s in &switches.items {
        let r = s.parse_report().unwrap();
        let o = r.opaque();
        assert_eq!(hex::encode(r.nonce()), nonce);
        assert_eq!(s.arch_hint.as_deref(), Some("LS10"));
        assert_eq!(o.vbios_version().as_deref(), Some("96.10.73.00.01"));
        assert_eq!(o.feature_flag(), None);
        assert_eq!(o.switch_gpu_pdis().unwrap().len(), 16);
        // A switch's own PDI appears, byte-reversed, in every GPU's SWITCH_PDI list.
        let mut own = o.switch_pdis().unwrap()[0];
        own.reverse();
        assert!(switch_set.contains(&own));
        positions.push(o.position_id().unwrap());
    }
    positions.sort_unstable();
    assert_eq!(positions, [0, 1, 2, 3]);
}

#[test]
fn provider_payloads_bind_the_nonce() {
    let Some(root) = corpus::root() else { return };
    for dir in ["nearai-cloud-gpt-oss-120b", "neardirect-qwen35-teep"] {
        let text = corpus::read(
            &root,
            &format!("nvidia/providers/{dir}/nvidia_payload.json"),
        );
        let list = parse_evidence_list(&text).unwrap();
        let expected = meta_nonce(&root, dir);
        assert_eq!(list.items.len(), 8);
        assert_eq!(list.arch_hint.as_deref(), Some("HOPPER"));
        assert_eq!(list.nonce_hint.as_deref(), Some(expected.as_str()));
        for item in &list.items {
            let r = item.parse_report().unwrap();
            assert_eq!(hex::encode(r.nonce()), expected, "{dir}");
            assert_eq!(r.opaque().driver_version().as_deref(), Some("570.172.08"));
            assert_eq!(
                r.opaque().vbios_version().as_deref(),
                Some("96.00.CF.00.02")
            );
        }
        // NEAR ships the payload as a JSON string holding the object: same result.
        let as_string = serde_json::to_vec(&String::from_utf8(text).unwrap()).unwrap();
        assert_eq!(parse_evidence_list(&as_string).unwrap(), list);
    }
    // Chutes: the GPU nonce is sha256(client_nonce_hex ‖ e2e_pubkey_b64), not the client nonce.
    let meta: serde_json::Value = serde_json::from_slice(&corpus::read(
        &root,
        "nvidia/providers/chutes-via-redpill-teep/meta.json",
    ))
    .unwrap();
    let preimage = format!(
        "{}{}",
        meta["client_nonce"].as_str().unwrap(),
        meta["e2e_pubkey"].as_str().unwrap()
    );
    let derived = ring::digest::digest(&ring::digest::SHA256, preimage.as_bytes());
    let list = evidence(
        &root,
        "nvidia/providers/chutes-via-redpill-teep/gpu_evidence_instance0.json",
    );
    assert_eq!(
        (list.arch_hint.as_ref(), list.nonce_hint.as_ref()),
        (None, None)
    );
    for item in &list.items {
        let r = item.parse_report().unwrap();
        assert_eq!(&r.nonce()[..], derived.as_ref());
        assert_eq!(r.opaque().feature_flag(), Some(FeatureFlag::Ppcie));
    }
    // Tinfoil: single GPU in SPT mode.
    let t = evidence(
        &root,
        "nvidia/providers/tinfoil-gemma4-teep/nras_request.json",
    );
    let r = t.items[0].parse_report().unwrap();
    assert_eq!(r.opaque().feature_flag(), Some(FeatureFlag::Spt));
    assert_eq!(hex::encode(r.nonce()), t.nonce_hint.unwrap());
}

#[test]
fn report_encodings_round_trip() {
    let Some(root) = corpus::root() else { return };
    use base64::Engine as _;
    let raw = report_file(&root, "nvidia/nvtrust-sample-h100/attestation_report.hex");
    assert_eq!(
        decode_report(&raw).unwrap(),
        (raw.clone(), Encoding::Binary)
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
    assert_eq!(
        decode_report(b64.as_bytes()).unwrap(),
        (raw.clone(), Encoding::Base64)
    );
    let upper = format!("0x{}\n", hex::encode_upper(&raw));
    assert_eq!(
        decode_report(upper.as_bytes()).unwrap(),
        (raw, Encoding::Hex)
    );
}

// ---- mutations of the genuine H100 sample ----

struct Sample {
    raw: Vec<u8>,
    leaf: Vec<u8>,
    report: SpdmReport,
}

fn sample() -> Option<Sample> {
    let root = corpus::root()?;
    let raw = report_file(&root, "nvidia/nvtrust-sample-h100/attestation_report.hex");
    let leaf = pem_chain(&root, "nvidia/nvtrust-sample-h100/device_cert_chain.pem").remove(0);
    let report = SpdmReport::parse(&raw).unwrap();
    Some(Sample { raw, leaf, report })
}

const RESP: usize = 37;
const RECORD: usize = RESP + 8;

impl Sample {
    fn record_end(&self) -> usize {
        RECORD + self.report.response.record_length as usize
    }
    fn opaque_len_at(&self) -> usize {
        self.record_end() + 32
    }
    /// Every field boundary in the report.
    fn boundaries(&self) -> Vec<usize> {
        let mut b: Vec<usize> = (0..=RECORD).collect();
        let mut off = RECORD;
        for blk in self.report.blocks() {
            b.extend([off, off + 4, off + 7]);
            off += 7 + blk.value.len();
        }
        b.extend([off, self.opaque_len_at(), self.opaque_len_at() + 2]);
        let mut o = self.opaque_len_at() + 2;
        for (_, len) in self.report.opaque().fields() {
            b.extend([o, o + 2, o + 4]);
            o += 4 + len;
        }
        b.extend([o, self.raw.len() - 1]);
        b
    }
}

fn parse_err(bytes: &[u8]) -> SpdmError {
    SpdmReport::parse(bytes).expect_err("mutated report must not parse")
}

#[test]
fn wrong_versions_and_codes_are_refused() {
    let Some(s) = sample() else { return };
    let cases: [(usize, u8, SpdmError); 4] = [
        (
            0,
            0x10,
            SpdmError::Version {
                part: "request",
                found: 0x10,
            },
        ),
        (1, 0xE1, SpdmError::RequestCode(0xE1)),
        (
            RESP,
            0x12,
            SpdmError::Version {
                part: "response",
                found: 0x12,
            },
        ),
        (RESP + 1, 0x61, SpdmError::ResponseCode(0x61)),
    ];
    for (at, value, want) in cases {
        let mut m = s.raw.clone();
        m[at] = value;
        assert_eq!(parse_err(&m), want);
    }
}

#[test]
fn every_truncation_is_an_error() {
    let Some(s) = sample() else { return };
    let mut cuts: Vec<usize> = (0..s.raw.len()).step_by(13).collect();
    cuts.extend(s.boundaries());
    assert!(cuts.len() > 500);
    for cut in cuts {
        let e = parse_err(&s.raw[..cut]);
        assert!(
            matches!(
                e,
                SpdmError::Truncated { .. }
                    | SpdmError::RecordLength { .. }
                    | SpdmError::Opaque(OpaqueError::OpaqueOverrun { .. })
            ),
            "cut at {cut}: {e:?}"
        );
    }
}

#[test]
fn block_count_and_record_length_must_match() {
    let Some(s) = sample() else { return };
    for n in [63u8, 65] {
        let mut m = s.raw.clone();
        m[RESP + 4] = n;
        assert_eq!(
            parse_err(&m),
            SpdmError::BlockCount {
                declared: n,
                found: 64
            }
        );
    }
    for len in [3519u32, 3521] {
        let mut m = s.raw.clone();
        m[RESP + 5..RESP + 8].copy_from_slice(&len.to_le_bytes()[..3]);
        assert!(
            matches!(parse_err(&m), SpdmError::RecordLength { declared, .. } if declared == len as usize)
        );
    }
    let mut m = s.raw.clone();
    m.push(1);
    assert_eq!(parse_err(&m), SpdmError::TrailingBytes(1));
    // Block 2 given block 1's index.
    let mut m = s.raw.clone();
    m[RECORD + 55] = 1;
    assert_eq!(parse_err(&m), SpdmError::DuplicateBlockIndex(1));
    // Block 1 not DMTF.
    let mut m = s.raw.clone();
    m[RECORD + 1] = 0;
    assert_eq!(
        parse_err(&m),
        SpdmError::MeasurementSpec { index: 1, spec: 0 }
    );
    // Block 1's DMTF value size disagrees with its block size.
    let mut m = s.raw.clone();
    m[RECORD + 5] = 47;
    assert!(matches!(
        parse_err(&m),
        SpdmError::DmtfSize {
            index: 1,
            block_size: 51,
            value_size: 47
        }
    ));
}

#[test]
fn duplicate_opaque_field_is_refused_before_the_signature() {
    let Some(s) = sample() else { return };
    let at = s.opaque_len_at();
    let len = u16::from_le_bytes([s.raw[at], s.raw[at + 1]]) as usize;
    // Append a second DRIVER_VERSION TLV ("560.00") to the opaque area.
    let tlv: Vec<u8> = [
        &3u16.to_le_bytes()[..],
        &7u16.to_le_bytes()[..],
        b"560.00\0",
    ]
    .concat();
    let mut m = s.raw[..at + 2 + len].to_vec();
    m.extend(&tlv);
    m.extend(&s.raw[at + 2 + len..]);
    m[at..at + 2].copy_from_slice(&u16::try_from(len + tlv.len()).unwrap().to_le_bytes());
    assert!(matches!(
        parse_err(&m),
        SpdmError::Opaque(OpaqueError::DuplicateOpaqueField {
            field: 3,
            name: Some("DRIVER_VERSION")
        })
    ));
    // The same TLV with an unknown type parses (kept, reported), and the signature fails.
    m[at + 2 + len] = 0xF0;
    let r = SpdmReport::parse(&m).unwrap();
    assert_eq!(r.opaque().unknown_types(), [0xF0]);
    assert_eq!(
        r.verify_signature(&s.leaf).unwrap_err(),
        SpdmError::BadSignature
    );
    // An opaque length one too large runs the last TLV into the signature... and fails.
    let mut m = s.raw.clone();
    m[at..at + 2].copy_from_slice(&u16::try_from(len + 1).unwrap().to_le_bytes());
    assert!(SpdmReport::parse(&m).is_err());
}

#[test]
fn zero_padding_after_the_signature_is_tolerated_and_reported() {
    let Some(s) = sample() else { return };
    assert_eq!(s.report.padding(), 0);
    for pad in [1usize, 3, 64] {
        let mut m = s.raw.clone();
        m.extend(std::iter::repeat_n(0u8, pad));
        let r = SpdmReport::parse(&m).expect("zero padding outside the signed range parses");
        assert_eq!(r.padding(), pad);
        assert_eq!(r.signed_bytes(), s.report.signed_bytes());
        r.verify_signature(&s.leaf).unwrap();
    }
    // Any non-zero byte in the padding stays an error, wherever it is.
    for (pad, at) in [(1usize, 0usize), (4, 3), (4, 0)] {
        let mut m = s.raw.clone();
        m.extend(std::iter::repeat_n(0u8, pad));
        let i = s.raw.len() + at;
        m[i] = 0x01;
        assert_eq!(parse_err(&m), SpdmError::TrailingBytes(pad));
    }
}

#[test]
fn signed_byte_flips_break_the_signature() {
    let Some(s) = sample() else { return };
    s.report.verify_signature(&s.leaf).unwrap();
    // A flipped measurement byte parses, changes the measurement, and fails the signature.
    let mut m = s.raw.clone();
    let at = RECORD + 55 * 4 + 7 + 10; // block 5, value byte 10
    m[at] ^= 1;
    let r = SpdmReport::parse(&m).unwrap();
    assert_ne!(r.measurement(5), s.report.measurement(5));
    assert_eq!(r.measurement(4), s.report.measurement(4));
    assert_eq!(
        r.verify_signature(&s.leaf).unwrap_err(),
        SpdmError::BadSignature
    );
    // Sweep: flipping any byte (every 7th) either fails to parse or fails the signature.
    let (mut refused, mut bad_sig) = (0, 0);
    for at in (0..s.raw.len()).step_by(7) {
        let mut m = s.raw.clone();
        m[at] ^= 0x80;
        match SpdmReport::parse(&m) {
            Err(_) => refused += 1,
            Ok(r) => {
                assert_eq!(
                    r.verify_signature(&s.leaf).unwrap_err(),
                    SpdmError::BadSignature,
                    "flip at {at}"
                );
                bad_sig += 1;
            }
        }
    }
    assert!(refused > 0 && bad_sig > 400, "{refused} {bad_sig}");
}

#[test]
fn hostile_json_is_refused() {
    let Some(root) = corpus::root() else { return };
    let text = String::from_utf8(corpus::read(
        &root,
        "nvidia/nvat-hopper-590/hopper_evidence_570_cert_hold.json",
    ))
    .unwrap();
    // A duplicated key inside an item.
    let dup = text.replacen(
        "\"arch\":\"HOPPER\"",
        "\"arch\":\"HOPPER\",\"arch\":\"BLACKWELL\"",
        1,
    );
    assert_ne!(dup, text);
    assert!(parse_evidence_list(dup.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("duplicate"));
    // An unknown key inside an item.
    let unk = text.replacen(
        "\"arch\":\"HOPPER\"",
        "\"arch\":\"HOPPER\",\"secboot\":true",
        1,
    );
    assert!(parse_evidence_list(unk.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("unknown"));
    // Oversized input.
    let big = vec![b' '; teescan::nvidia::evidence::MAX_JSON_LEN + 1];
    assert!(parse_evidence_list(&big).is_err());
}
