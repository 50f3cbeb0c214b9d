//! Minimal DER walking for the RFC 6962 precertificate TBS (the leaf TBS without its SCT list).

/// One TLV: tag, the whole encoding, and its content.
pub(super) struct Tlv<'a> {
    pub tag: u8,
    pub whole: &'a [u8],
    pub content: &'a [u8],
}

/// Split the first TLV (single-byte tag, definite length) off `input`.
pub(super) fn next(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2usize)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in input.get(2..2usize.checked_add(n)?)? {
            len = len.checked_mul(256)?.checked_add(usize::from(*b))?;
        }
        (len, 2usize.checked_add(n)?)
    };
    let end = hdr.checked_add(len)?;
    let whole = input.get(..end)?;
    let content = input.get(hdr..end)?;
    Some((Tlv { tag, whole, content }, input.get(end..)?))
}

/// All TLVs in `input` (fails on trailing garbage).
pub(super) fn children(mut input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (t, rest) = next(input)?;
        out.push(t);
        input = rest;
    }
    Some(out)
}

/// DER-encode `content` under `tag`.
pub(super) fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let sig = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | u8::try_from(sig.len()).unwrap_or(0));
        out.extend_from_slice(sig);
    }
    out.extend_from_slice(content);
    out
}

/// DER of the OID 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list), tag and length included.
pub(super) const SCT_LIST_OID_TLV: &[u8] = &[0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// The TBS of `cert_der` with the embedded SCT-list extension removed (RFC 6962 §3.2).
pub(super) fn precert_tbs(cert_der: &[u8]) -> Option<Vec<u8>> {
    let (cert, _) = next(cert_der)?;
    let (tbs, _) = next(cert.content)?;
    let mut parts: Vec<u8> = Vec::new();
    for el in children(tbs.content)? {
        if el.tag != 0xa3 {
            parts.extend_from_slice(el.whole);
            continue;
        }
        let (exts, _) = next(el.content)?;
        let mut kept = Vec::new();
        for ext in children(exts.content)? {
            let (oid, _) = next(ext.content)?;
            if oid.whole != SCT_LIST_OID_TLV {
                kept.extend_from_slice(ext.whole);
            }
        }
        if !kept.is_empty() {
            parts.extend(encode(0xa3, &encode(0x30, &kept)));
        }
    }
    Some(encode(0x30, &parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_round_trip() {
        let content = vec![7u8; 300];
        let enc = encode(0x04, &content);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (t, rest) = next(&enc).unwrap();
        assert_eq!((t.tag, t.content.len(), rest.len()), (0x04, 300, 0));
        assert!(next(&enc[..100]).is_none());
    }
}
