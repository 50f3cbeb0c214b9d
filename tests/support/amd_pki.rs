//! A TEST AMD SEV-SNP PKI minted by code: ARK and ASK/ASVK (RSA-2048, RSASSA-PSS SHA-384 salt 48,
//! keys in `fixtures/testpki/amd/`, throw-away), a VCEK/VLEK (fresh P-384 key each run) with AMD's
//! extensions, an ARK-signed CRL, and reports signed by the leaf. Nothing here is AMD's: it
//! verifies only with the test ARK given as `ScanOptions::amd_test_ark` / `SnpOptions::test_ark`.
//! Every field is a knob, so each SNP check can be made to fail alone with valid signatures.
#![allow(dead_code)]

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, RsaKeyPair, ECDSA_P384_SHA384_FIXED_SIGNING, RSA_PSS_SHA384};

pub const ARK_KEY: &[u8] = include_bytes!("../../fixtures/testpki/amd/ark_key.der");
pub const ASK_KEY: &[u8] = include_bytes!("../../fixtures/testpki/amd/ask_key.der");
/// Every minted item is valid at this time.
pub const AT: &str = "2026-01-15T00:00:00Z";

fn len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else if n < 0x100 {
        vec![0x81, n as u8]
    } else {
        vec![0x82, (n >> 8) as u8, n as u8]
    }
}

pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(len(content.len()));
    v.extend_from_slice(content);
    v
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &a in &arcs[2..] {
        let mut stack = vec![(a & 0x7f) as u8];
        let mut x = a >> 7;
        while x > 0 {
            stack.push((x & 0x7f) as u8 | 0x80);
            x >>= 7;
        }
        stack.reverse();
        body.extend(stack);
    }
    tlv(0x06, &body)
}

fn int(v: &[u8]) -> Vec<u8> {
    let mut b: Vec<u8> = v.iter().copied().skip_while(|&x| x == 0).collect();
    if b.is_empty() || b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

/// RSASSA-PSS SHA-384 AlgorithmIdentifier as AMD writes it (with the explicit trailer field).
pub fn pss_alg() -> Vec<u8> {
    let sha384 = seq(&[oid("2.16.840.1.101.3.4.2.2"), vec![0x05, 0x00]]);
    let params = seq(&[
        tlv(0xa0, &sha384),
        tlv(0xa1, &seq(&[oid("1.2.840.113549.1.1.8"), sha384.clone()])),
        tlv(0xa2, &int(&[48])),
        tlv(0xa3, &int(&[1])),
    ]);
    seq(&[oid("1.2.840.113549.1.1.10"), params])
}

fn name(cn: &str) -> Vec<u8> {
    seq(&[tlv(0x31, &seq(&[oid("2.5.4.10"), tlv(0x0c, b"TEST ONLY teescan fake AMD PKI")])), tlv(0x31, &seq(&[oid("2.5.4.3"), tlv(0x0c, cn.as_bytes())]))])
}

fn utc(t: &str) -> Vec<u8> {
    // "2026-01-15T00:00:00Z" -> UTCTime 260115000000Z
    let d: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    tlv(0x17, format!("{}Z", &d[2..14]).as_bytes())
}

fn ext(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(vec![0x01, 0x01, 0xff]);
    }
    parts.push(tlv(0x04, value));
    seq(&parts)
}

pub struct RsaKey(RsaKeyPair);

impl RsaKey {
    pub fn load(pk8: &[u8]) -> RsaKey {
        RsaKey(RsaKeyPair::from_der(pk8).unwrap())
    }
    fn spki(&self) -> Vec<u8> {
        let mut bits = vec![0u8];
        bits.extend_from_slice(self.0.public().as_ref());
        seq(&[seq(&[oid("1.2.840.113549.1.1.1"), vec![0x05, 0x00]]), tlv(0x03, &bits)])
    }
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; self.0.public().modulus_len()];
        self.0.sign(&RSA_PSS_SHA384, &SystemRandom::new(), msg, &mut sig).unwrap();
        sig
    }
}

/// The knobs of one certificate.
#[derive(Clone)]
pub struct CertSpec {
    pub serial: Vec<u8>,
    pub issuer: String,
    pub subject: String,
    pub not_before: String,
    pub not_after: String,
    pub ca: bool,
    /// (OID, critical, DER value) extensions besides basicConstraints.
    pub exts: Vec<(String, bool, Vec<u8>)>,
}

fn signed(tbs: Vec<u8>, signer: &RsaKey) -> Vec<u8> {
    let sig = signer.sign(&tbs);
    let mut bits = vec![0u8];
    bits.extend(sig);
    seq(&[tbs, pss_alg(), tlv(0x03, &bits)])
}

fn cert(spec: &CertSpec, spki: Vec<u8>, signer: &RsaKey) -> Vec<u8> {
    let mut exts: Vec<Vec<u8>> = Vec::new();
    if spec.ca {
        exts.push(ext("2.5.29.19", true, &seq(&[vec![0x01, 0x01, 0xff]])));
    }
    for (id, crit, v) in &spec.exts {
        exts.push(ext(id, *crit, v));
    }
    let tbs = seq(&[
        tlv(0xa0, &int(&[2])),
        int(&spec.serial),
        pss_alg(),
        name(&spec.issuer),
        seq(&[utc(&spec.not_before), utc(&spec.not_after)]),
        name(&spec.subject),
        spki,
        tlv(0xa3, &seq(&exts)),
    ]);
    signed(tbs, signer)
}

pub fn amd_int(v: u8) -> Vec<u8> {
    int(&[v])
}

pub fn ia5(s: &str) -> Vec<u8> {
    tlv(0x16, s.as_bytes())
}

/// What the minted leaf and report look like. Defaults: a valid Genoa v3 VCEK report.
#[derive(Clone)]
pub struct Mint {
    pub product: &'static str,
    pub vlek: bool,
    pub ark: CertSpec,
    pub inter: CertSpec,
    pub leaf: CertSpec,
    /// Report fields.
    pub version: u32,
    pub policy: u64,
    pub cpuid: (u8, u8, u8),
    pub chip_id: [u8; 64],
    /// bl, tee, snp, ucode as in REPORTED_TCB (Milan/Genoa layout).
    pub reported_tcb: [u8; 8],
    pub signing_key: u32,
    pub measurement: [u8; 48],
    pub report_data: [u8; 64],
    pub vmpl: u32,
    pub guest_svn: u32,
    /// Hook run on the 1184 bytes before signing.
    pub tamper_signed: Option<fn(&mut [u8])>,
}

pub struct Minted {
    pub ark: Vec<u8>,
    pub inter: Vec<u8>,
    pub leaf: Vec<u8>,
    pub report: Vec<u8>,
}

impl Mint {
    pub fn genoa() -> Mint {
        let v = |nb: &str, na: &str| (nb.to_owned(), na.to_owned());
        let (nb, na) = v("2025-01-01T00:00:00Z", "2035-01-01T00:00:00Z");
        let chip_id = [0x5c; 64];
        let tcb = [10, 0, 0, 0, 0, 0, 23, 84];
        Mint {
            product: "Genoa",
            vlek: false,
            ark: CertSpec { serial: vec![2, 0, 0], issuer: "ARK-Genoa".into(), subject: "ARK-Genoa".into(), not_before: nb.clone(), not_after: na.clone(), ca: true, exts: vec![] },
            inter: CertSpec { serial: vec![2, 0, 2], issuer: "ARK-Genoa".into(), subject: "SEV-Genoa".into(), not_before: nb.clone(), not_after: na.clone(), ca: true, exts: vec![] },
            leaf: CertSpec {
                serial: vec![0],
                issuer: "SEV-Genoa".into(),
                subject: "SEV-VCEK".into(),
                not_before: nb,
                not_after: na,
                ca: false,
                exts: vcek_exts("Genoa", Some(&chip_id), tcb),
            },
            version: 3,
            policy: 0x30000,
            cpuid: (0x19, 0x11, 0x01),
            chip_id,
            reported_tcb: tcb,
            signing_key: 0,
            measurement: [0x4d; 48],
            report_data: [0x7e; 64],
            vmpl: 0,
            guest_svn: 1,
            tamper_signed: None,
        }
    }

    /// The same as a VLEK report (ASVK `SEV-VLEK-Genoa`, no hwID, SIGNING_KEY 1).
    pub fn genoa_vlek() -> Mint {
        let mut m = Mint::genoa();
        m.vlek = true;
        m.signing_key = 1;
        m.inter.subject = "SEV-VLEK-Genoa".into();
        m.inter.serial = vec![2, 1, 1];
        m.leaf.issuer = "SEV-VLEK-Genoa".into();
        m.leaf.subject = "SEV-VLEK".into();
        m.leaf.exts = vcek_exts("Genoa", None, m.reported_tcb);
        m
    }

    pub fn mint(&self) -> Minted {
        let ark_key = RsaKey::load(ARK_KEY);
        let ask_key = RsaKey::load(ASK_KEY);
        let rng = SystemRandom::new();
        let pk8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
        let leaf_key = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pk8.as_ref(), &rng).unwrap();
        let mut point = vec![0u8];
        point.extend_from_slice(leaf_key.public_key().as_ref());
        let leaf_spki = seq(&[seq(&[oid("1.2.840.10045.2.1"), oid("1.3.132.0.34")]), tlv(0x03, &point)]);
        let ark = cert(&self.ark, ark_key.spki(), &ark_key);
        let inter = cert(&self.inter, ask_key.spki(), &ark_key);
        let leaf = cert(&self.leaf, leaf_spki, &ask_key);
        let mut r = vec![0u8; 0x4A0];
        r[0..4].copy_from_slice(&self.version.to_le_bytes());
        r[4..8].copy_from_slice(&self.guest_svn.to_le_bytes());
        r[8..16].copy_from_slice(&self.policy.to_le_bytes());
        r[0x30..0x34].copy_from_slice(&self.vmpl.to_le_bytes());
        r[0x34..0x38].copy_from_slice(&1u32.to_le_bytes());
        r[0x38..0x40].copy_from_slice(&self.reported_tcb);
        r[0x48..0x4C].copy_from_slice(&(self.signing_key << 2).to_le_bytes());
        r[0x50..0x90].copy_from_slice(&self.report_data);
        r[0x90..0xC0].copy_from_slice(&self.measurement);
        r[0x180..0x188].copy_from_slice(&self.reported_tcb);
        if self.version >= 3 {
            r[0x188] = self.cpuid.0;
            r[0x189] = self.cpuid.1;
            r[0x18A] = self.cpuid.2;
        }
        r[0x1A0..0x1E0].copy_from_slice(&self.chip_id);
        r[0x1E0..0x1E8].copy_from_slice(&self.reported_tcb);
        r[0x1F0..0x1F8].copy_from_slice(&self.reported_tcb);
        if let Some(f) = self.tamper_signed {
            f(&mut r);
        }
        let sig = leaf_key.sign(&rng, &r[..0x2A0]).unwrap();
        let (rr, ss) = sig.as_ref().split_at(48);
        for (i, b) in rr.iter().rev().enumerate() {
            r[0x2A0 + i] = *b;
        }
        for (i, b) in ss.iter().rev().enumerate() {
            r[0x2E8 + i] = *b;
        }
        Minted { ark, inter, leaf, report: r }
    }
}

/// AMD's VCEK/VLEK extensions: productName, hwID (VCEK), bl/tee/snp/ucode SPLs.
pub fn vcek_exts(product: &str, hwid: Option<&[u8]>, tcb: [u8; 8]) -> Vec<(String, bool, Vec<u8>)> {
    let a = |s: &str| format!("1.3.6.1.4.1.3704.1.{s}");
    let mut v = vec![(a("1"), false, amd_int(0)), (a("2"), false, ia5(product))];
    v.push((a("3.1"), false, amd_int(tcb[0])));
    v.push((a("3.2"), false, amd_int(tcb[1])));
    v.push((a("3.3"), false, amd_int(tcb[6])));
    v.push((a("3.8"), false, amd_int(tcb[7])));
    if let Some(h) = hwid {
        v.push((a("4"), false, h.to_vec()));
    }
    v
}

/// An ARK-signed CRL listing `revoked` serials.
pub fn crl(issuer: &str, this_update: &str, next_update: &str, revoked: &[&[u8]]) -> Vec<u8> {
    let ark_key = RsaKey::load(ARK_KEY);
    let mut parts = vec![int(&[1]), pss_alg(), name(issuer), utc(this_update), utc(next_update)];
    if !revoked.is_empty() {
        parts.push(seq(&revoked.iter().map(|s| seq(&[int(s), utc(this_update)])).collect::<Vec<_>>()));
    }
    signed(seq(&parts), &ark_key)
}
