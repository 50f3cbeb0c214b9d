//! Rekor transparency-log entry: the signed entry timestamp (SET, Rekor v1 only), the RFC 6962
//! inclusion proof, and the signed checkpoint (a C2SP signed note, ECDSA or Ed25519 log key) that
//! commits to the proof's root. Rekor v2 entries carry no SET: their time comes from RFC 3161
//! timestamps (`timestamp.rs`).

use super::fulcio::verify_sha256;
use super::{Code, ProvenanceError};
use crate::crypto;
use crate::pki::sigstore::{within, LogKey, TrustedRoot};
use base64::Engine as _;

fn err(code: Code, detail: impl Into<String>) -> ProvenanceError {
    ProvenanceError::new(code, detail)
}

/// The fields of a bundle's tlog entry this module checks.
pub(super) struct Entry<'a> {
    /// Rekor v2 (no SET; `integrated_time` is the verified timestamp time).
    pub v2: bool,
    pub log_index: u64,
    pub log_id: &'a [u8],
    pub integrated_time: u64,
    pub body: &'a [u8],
    pub set: Option<&'a [u8]>,
    pub proof: Option<Proof<'a>>,
}

/// An inclusion proof with its checkpoint text.
pub(super) struct Proof<'a> {
    pub index: u64,
    pub tree_size: u64,
    pub root_hash: Vec<u8>,
    pub hashes: Vec<Vec<u8>>,
    pub checkpoint: Option<&'a str>,
}

/// Verify SET, inclusion proof and checkpoint; returns the log key used.
pub(super) fn verify<'r>(e: &Entry<'_>, root: &'r TrustedRoot) -> Result<&'r LogKey, ProvenanceError> {
    let log = root
        .tlogs
        .iter()
        .find(|l| l.log_id == e.log_id)
        .ok_or_else(|| err(Code::RekorKeyNotTrusted, format!("log {} is not in the trust root", hex::encode(e.log_id))))?;
    if !within(log.valid, e.integrated_time) {
        return Err(err(Code::RekorKeyNotTrusted, "the log key was not valid at the integrated time"));
    }
    if !e.v2 {
        // SET: canonical JSON of body, integratedTime, logID, logIndex (keys sorted, no spaces).
        let set = e.set.ok_or_else(|| err(Code::SetInvalid, "the entry has no signed entry timestamp"))?;
        let body_b64 = base64::engine::general_purpose::STANDARD.encode(e.body);
        let canonical = format!(
            "{{\"body\":\"{body_b64}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
            e.integrated_time,
            hex::encode(e.log_id),
            e.log_index
        );
        if !verify_sha256(&log.spki_der, canonical.as_bytes(), set) {
            return Err(err(Code::SetInvalid, "the signed entry timestamp does not verify under the log key"));
        }
    }
    let proof = e.proof.as_ref().ok_or_else(|| err(Code::InclusionInvalid, "the entry has no inclusion proof"))?;
    let leaf = leaf_hash(e.body);
    let computed = root_from_proof(proof.index, proof.tree_size, leaf, &proof.hashes)
        .ok_or_else(|| err(Code::InclusionInvalid, "the inclusion proof does not fold to a root"))?;
    if computed.as_slice() != proof.root_hash.as_slice() {
        return Err(err(
            Code::InclusionInvalid,
            format!("inclusion proof root {} != stated root {}", hex::encode(computed), hex::encode(&proof.root_hash)),
        ));
    }
    let note = proof.checkpoint.ok_or_else(|| err(Code::CheckpointInvalid, "the inclusion proof has no checkpoint"))?;
    let (size, cp_root) = verify_checkpoint(note, log)?;
    if size != proof.tree_size || cp_root != proof.root_hash {
        return Err(err(Code::CheckpointRootMismatch, "the checkpoint's tree size or root differs from the inclusion proof"));
    }
    Ok(log)
}

fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(body.len().saturating_add(1));
    buf.push(0u8);
    buf.extend_from_slice(body);
    crypto::sha256(&buf)
}

fn node(l: &[u8], r: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(65);
    buf.push(1u8);
    buf.extend_from_slice(l);
    buf.extend_from_slice(r);
    crypto::sha256(&buf)
}

/// RFC 9162 §2.1.3.2: the root an inclusion proof implies, or `None` if it is malformed.
pub(super) fn root_from_proof(index: u64, size: u64, leaf: [u8; 32], path: &[Vec<u8>]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let mut f = index;
    let mut s = size.checked_sub(1)?;
    let mut r = leaf;
    for p in path {
        if p.len() != 32 || s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

/// Verify a signed-note checkpoint by `log`: returns (tree size, root hash).
fn verify_checkpoint(note: &str, log: &LogKey) -> Result<(u64, Vec<u8>), ProvenanceError> {
    let (text, sigs) = note.split_once("\n\n").ok_or_else(|| err(Code::CheckpointInvalid, "checkpoint has no signature block"))?;
    let signed = format!("{text}\n");
    let mut lines = text.split('\n');
    let _origin = lines.next().ok_or_else(|| err(Code::CheckpointInvalid, "checkpoint origin"))?;
    let size: u64 = lines
        .next()
        .and_then(|l| l.parse().ok())
        .ok_or_else(|| err(Code::CheckpointInvalid, "checkpoint tree size"))?;
    let root = lines
        .next()
        .and_then(|l| base64::engine::general_purpose::STANDARD.decode(l).ok())
        .ok_or_else(|| err(Code::CheckpointInvalid, "checkpoint root hash"))?;
    let hint = log.log_id.get(..4).ok_or_else(|| err(Code::CheckpointInvalid, "log id"))?;
    let mut ok = false;
    for line in sigs.lines().filter(|l| !l.is_empty()) {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return Err(err(Code::CheckpointInvalid, "malformed checkpoint signature line"));
        };
        let Some((_name, b64)) = rest.rsplit_once(' ') else {
            return Err(err(Code::CheckpointInvalid, "malformed checkpoint signature line"));
        };
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            return Err(err(Code::CheckpointInvalid, "checkpoint signature is not base64"));
        };
        if raw.get(..4) == Some(hint) && verify_note_signature(&log.spki_der, signed.as_bytes(), raw.get(4..).unwrap_or_default()) {
            ok = true;
        }
    }
    if !ok {
        return Err(err(Code::CheckpointInvalid, "no checkpoint signature from the entry's log verifies"));
    }
    Ok((size, root))
}

/// DER SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410), before the 32 key bytes.
const ED25519_SPKI_PREFIX: &[u8] = &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// A checkpoint signature by a log key: Ed25519 over the note text, or DER ECDSA with SHA-256.
fn verify_note_signature(spki_der: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    match spki_der.strip_prefix(ED25519_SPKI_PREFIX) {
        Some(key) if key.len() == 32 => crypto::verify(crypto::SigAlg::Ed25519Strict, key, msg, sig).is_ok(),
        Some(_) => false,
        None => verify_sha256(spki_der, msg, sig),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_leaf_tree_proves_both_leaves_and_rejects_swapped_indices() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let root = node(&a, &b);
        assert_eq!(root_from_proof(0, 2, a, &[b.to_vec()]), Some(root));
        assert_eq!(root_from_proof(1, 2, b, &[a.to_vec()]), Some(root));
        assert_ne!(root_from_proof(1, 2, a, &[b.to_vec()]), Some(root));
        assert_eq!(root_from_proof(2, 2, a, &[b.to_vec()]), None);
        assert_eq!(root_from_proof(0, 2, a, &[]), None, "a short proof does not reach the root");
    }
}
