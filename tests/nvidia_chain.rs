//! Every real GPU and NVSwitch device chain in the corpus validates to the pinned NVIDIA Device
//! Identity CA and carries a 48-byte FWID; wrong anchors, swapped roots and short chains fail.

#[path = "support/corpus.rs"]
mod corpus;

use base64::Engine as _;
use teescan::nvidia::chain::{leaf_fwid, verify_device_chain, ChainError};
use teescan::pki::TrustAnchor;
use teescan::time::Timestamp;

fn pem_chain(text: &[u8]) -> Vec<Vec<u8>> {
    pem::parse_many(text).unwrap().into_iter().map(pem::Pem::into_contents).collect()
}

/// (label, chain) for every device chain in the corpus.
fn all_chains(root: &std::path::Path) -> Vec<(String, Vec<Vec<u8>>)> {
    let mut out = Vec::new();
    for dir in ["nvtrust-sample-h100", "blackwell-gb100", "nvswitch-ls10"] {
        out.push((dir.to_owned(), pem_chain(&corpus::read(root, &format!("nvidia/{dir}/device_cert_chain.pem")))));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    for file in [
        "nvidia/ppcie-hgx-8gpu-4switch/gpu_evidence.json",
        "nvidia/ppcie-hgx-8gpu-4switch/switch_evidence.json",
        "nvidia/nvat-hopper-590/multi_gpu_hopper.json",
        "nvidia/nvat-hopper-590/hopper_evidence_570_cert_hold.json",
        "nvidia/providers/nearai-cloud-gpt-oss-120b/nvidia_payload.json",
        "nvidia/providers/neardirect-qwen35-teep/nvidia_payload.json",
        "nvidia/providers/chutes-via-redpill-teep/gpu_evidence_instance0.json",
    ] {
        let mut v: serde_json::Value = serde_json::from_slice(&corpus::read(root, file)).unwrap();
        if let Some(s) = v.as_str() {
            v = serde_json::from_str(s).unwrap();
        }
        let items = v.get("evidence_list").cloned().unwrap_or(v);
        for (i, item) in items.as_array().unwrap().iter().enumerate() {
            let cert = b64.decode(item["certificate"].as_str().unwrap()).unwrap();
            out.push((format!("{file}[{i}]"), pem_chain(&cert)));
        }
    }
    out
}

#[test]
fn every_corpus_device_chain_validates_with_a_fwid() {
    let Some(root) = corpus::root() else { return };
    let anchor = TrustAnchor::nvidia_device_identity_ca();
    let at = Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").unwrap();
    let chains = all_chains(&root);
    assert!(chains.len() >= 40, "{} chains", chains.len());
    let mut ueids = std::collections::BTreeSet::new();
    for (label, chain) in &chains {
        let v = verify_device_chain(chain, &anchor, at).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(v.path.len(), 4, "{label}");
        assert_eq!(v.leaf_fwid.as_ref().map(Vec::len), Some(48), "{label}: FWID");
        assert!(v.hwmodel.contains("BROM"), "{label}: {}", v.hwmodel);
        assert!(!v.ueid.is_empty() && v.ueid.chars().all(|c| c.is_ascii_digit()), "{label}: {}", v.ueid);
        ueids.insert(v.ueid.clone());
    }
    eprintln!("{} device chains validated, {} distinct devices", chains.len(), ueids.len());
    // Blackwell uses the other DICE encoding.
    let (_, bw) = chains.iter().find(|(l, _)| l == "blackwell-gb100").unwrap();
    assert_eq!(
        hex::encode(leaf_fwid(&bw[0]).unwrap().unwrap()),
        "d090cab1b6e6ffddca83d1781e25b3f040fa1f3c7608230cb5f41b1c1b99f5f748349e59d0ef8eb830c9bc79ccf77502"
    );
}

#[test]
fn wrong_anchor_swapped_root_and_short_chains_fail() {
    let Some(root) = corpus::root() else { return };
    let at = Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").unwrap();
    let chain = pem_chain(&corpus::read(&root, "nvidia/nvtrust-sample-h100/device_cert_chain.pem"));
    let device_ca = TrustAnchor::nvidia_device_identity_ca();
    // The RIM root is the wrong anchor for a device chain (and the chain's root is not it).
    assert!(matches!(
        verify_device_chain(&chain, &TrustAnchor::nvidia_corim_root_ca(), at),
        Err(ChainError::RootMismatch { .. })
    ));
    // A chain whose last certificate is replaced by the CoRIM root.
    let mut swapped = chain.clone();
    swapped[4] = TrustAnchor::nvidia_corim_root_ca().der().to_vec();
    assert!(matches!(verify_device_chain(&swapped, &device_ca, at), Err(ChainError::RootMismatch { .. })));
    // Four or six certificates.
    assert!(matches!(verify_device_chain(&chain[..4], &device_ca, at), Err(ChainError::Length { found: 4 })));
    let mut six = chain.clone();
    six.push(chain[4].clone());
    assert!(matches!(verify_device_chain(&six, &device_ca, at), Err(ChainError::Length { found: 6 })));
    // Intermediates out of order still build (webpki searches), but a leaf from another device
    // with this device's intermediates does not validate.
    let other = pem_chain(&corpus::read(&root, "nvidia/blackwell-gb100/device_cert_chain.pem"));
    let mut mixed = chain.clone();
    mixed[0] = other[0].clone();
    assert!(matches!(verify_device_chain(&mixed, &device_ca, at), Err(ChainError::Path(_))));
    // A flipped byte in the leaf's signature breaks the path.
    let mut bad = chain.clone();
    let n = bad[0].len();
    bad[0][n - 3] ^= 1;
    assert!(verify_device_chain(&bad, &device_ca, at).is_err());
}
