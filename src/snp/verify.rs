//! SEV-SNP report verification: the AMD chain to a pinned ARK, the VCEK/VLEK extensions, the
//! CRL, the report signature and the guest-policy defaults, as named checks (ids in
//! [`super`]'s header). Sans-IO: certificates and CRLs come in as bytes, time as a parameter.

use serde_json::json;

use super::certs::{AmdCert, AmdCrl, Key, MAX_CERTS};
use super::report::{Report, SigningKey, TcbField, POLICY_DEBUG, POLICY_MIGRATE_MA, POLICY_RESERVED_MBO};
use crate::crypto::{self, SigAlg};
use crate::pki::amd::Product;
use crate::pki::TrustAnchor;
use crate::report::{Check, CollateralUsed, Status};
use crate::time::Timestamp;

/// The certificates and CRLs supplied beside a report (all of it evidence, none of it trusted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnpCollateral {
    /// DER certificates in any order: VCEK/VLEK, ASK/ASVK, ARK (an ARK must equal a pinned one).
    pub certs: Vec<Vec<u8>>,
    /// DER CRLs (ARK-signed).
    pub crls: Vec<Vec<u8>>,
}

impl SnpCollateral {
    /// Add certificates from PEM text (any number) or one DER certificate.
    pub fn add_certs(&mut self, bytes: &[u8]) -> Result<(), String> {
        if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            let pems = pem::parse_many(bytes).map_err(|e| format!("PEM: {e}"))?;
            let mut n = 0usize;
            for p in pems.into_iter().filter(|p| p.tag() == "CERTIFICATE") {
                self.push_cert(p.into_contents())?;
                n = n.saturating_add(1);
            }
            if n == 0 {
                return Err("no PEM CERTIFICATE".to_owned());
            }
            Ok(())
        } else {
            self.push_cert(bytes.to_vec())
        }
    }

    fn push_cert(&mut self, der: Vec<u8>) -> Result<(), String> {
        if self.certs.len() >= MAX_CERTS {
            return Err(format!("more than {MAX_CERTS} SEV-SNP certificates"));
        }
        if !self.certs.contains(&der) {
            self.certs.push(der);
        }
        Ok(())
    }

    /// Whether nothing was supplied.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty() && self.crls.is_empty()
    }
}

/// What the SNP verification accepts. The defaults are the strict ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnpOptions {
    /// DANGER: an ARK to trust instead of the pinned ones (a test PKI). Reports say so.
    pub test_ark: Option<TrustAnchor>,
    /// Accept guest policy DEBUG. Default: rejected.
    pub allow_debug: bool,
    /// Accept guest policy MIGRATE_MA. Default: rejected.
    pub allow_migrate_ma: bool,
    /// A CRL is required: without one `snp.crl` is indeterminate (never a pass).
    pub require_crl: bool,
}

/// The result of verifying one report.
#[derive(Debug, Clone)]
pub struct SnpVerification {
    /// Every check, in evaluation order.
    pub checks: Vec<Check>,
    /// The parsed report.
    pub report: Report,
    /// The product of the chain, when it could be decided.
    pub product: Option<Product>,
    /// Whether the report signature verified under a chain that verified (values are then
    /// from signed bytes).
    pub authentic: bool,
    /// Claims (`claims.snp` of the JSON report).
    pub claims: serde_json::Value,
    /// Collateral used.
    pub collateral: Vec<CollateralUsed>,
}

const T_ARK: &str = "The chain ends in the pinned AMD root key (ARK) of the report's product";
const T_INTER: &str = "The ASK (VCEK) or ASVK (VLEK) is signed by the ARK";
const T_LEAF: &str = "The VCEK/VLEK is signed by the ASK/ASVK";
const T_VALID: &str = "Every certificate of the chain is valid at the verification time";
const T_PRODUCT: &str = "The chain's product matches the report (CPUID, productName)";
const T_KEYSEL: &str = "The report names the key that signed it (VCEK or VLEK)";
const T_SIG: &str = "The report is signed (ECDSA P-384) by the VCEK/VLEK";
const T_HWID: &str = "The VCEK's hardware ID is the report's chip ID (a VLEK has none)";
const T_TCB: &str = "The VCEK/VLEK TCB extensions equal the report's REPORTED_TCB";
const T_CRL: &str = "The ARK's CRL is signed, current, and does not list the ASK/ASVK";
const T_DEBUG: &str = "Guest policy DEBUG is clear";
const T_MIGRATE: &str = "Guest policy MIGRATE_MA is clear";
const T_RESERVED: &str = "Guest policy reserved bits hold their fixed values (bit 17 one, 26..63 zero)";

fn skip(id: &str, title: &str, why: &str) -> Check {
    Check::skipped(id, title, why)
}

fn indeterminate(id: &str, title: &str, why: impl Into<String>) -> Check {
    Check::new(id, title, Status::Indeterminate).reason(why)
}

fn hex(b: &[u8]) -> String {
    crate::bytes::to_hex(b)
}

/// The leaf kind a certificate's issuer name implies (`SEV-VLEK-…` issues VLEKs).
fn leaf_kind(leaf: &AmdCert) -> SigningKey {
    if leaf.issuer_cn.starts_with("SEV-VLEK-") || leaf.subject_cn.starts_with("SEV-VLEK") {
        SigningKey::Vlek
    } else {
        SigningKey::Vcek
    }
}

/// Verify `raw` (exactly one 1184-byte report) against `collateral` at `at`.
pub fn verify_report(raw: &[u8], collateral: &SnpCollateral, at: Timestamp, opts: &SnpOptions) -> Result<SnpVerification, super::report::ReportError> {
    verify_report_cached(raw, collateral, at, opts, None)
}

/// [`verify_report`] with a verify-once cache for the chain's RSA signatures (the report's own
/// P-384 signature is verified every time).
pub fn verify_report_cached(raw: &[u8], collateral: &SnpCollateral, at: Timestamp, opts: &SnpOptions, cache: Option<&crate::cache::VerifyCache>) -> Result<SnpVerification, super::report::ReportError> {
    let report = Report::parse(raw)?;
    let mut checks = Vec::new();
    let mut used = Vec::new();

    // Parse what was supplied; a certificate that does not parse is supplied evidence that fails.
    let mut certs = Vec::new();
    let mut bad = Vec::new();
    for (i, der) in collateral.certs.iter().enumerate() {
        match AmdCert::parse(der) {
            Ok(c) => certs.push(c),
            Err(e) => bad.push(format!("certificate {i}: {e}")),
        }
    }
    if !bad.is_empty() {
        checks.push(Check::fail("snp.collateral.parse", "Every supplied AMD certificate parses", bad.join("; ")));
    }

    // Leaf: a P-384 certificate; several → the one of the report's kind naming its chip.
    let want_kind = report.signing_key;
    let leaves: Vec<&AmdCert> = certs.iter().filter(|c| matches!(c.key, Key::P384(_))).collect();
    let leaf = leaves
        .iter()
        .copied()
        .filter(|c| leaf_kind(c) == want_kind)
        .max_by_key(|c| u8::from(c.amd("4").is_some_and(|h| report.chip_id.starts_with(h))))
        .or_else(|| leaves.first().copied());

    // Product: CPUID (v3+), else the leaf's issuer name.
    let cert_product = leaf.and_then(|l| Product::from_cert_name(&l.issuer_cn));
    let product = match report.version {
        2 => cert_product,
        _ => report.cpuid_product(),
    };

    // ARK: the pinned one of the product (or the caller's test ARK).
    let ark_der: Option<Vec<u8>> = match (&opts.test_ark, product) {
        (Some(t), _) => Some(t.der().to_vec()),
        (None, Some(p)) => Some(p.ark_der().to_vec()),
        (None, None) => None,
    };
    let ark = ark_der.as_deref().and_then(|d| AmdCert::parse(d).ok());
    let foreign_roots: Vec<&AmdCert> = certs
        .iter()
        .filter(|c| c.self_issued())
        .filter(|c| !Product::ALL.iter().any(|p| p.ark_der() == c.der.as_slice()) && opts.test_ark.as_ref().is_none_or(|t| t.der() != c.der.as_slice()))
        .collect();
    let ark_check = match (&ark, foreign_roots.first()) {
        (_, Some(f)) => Check::fail("snp.chain.ark", T_ARK, "a supplied root certificate is not a pinned AMD ARK").actual(format!("{} sha256:{}", f.subject_cn, f.sha256())),
        (None, None) => Check::fail("snp.chain.ark", T_ARK, match report.cpuid {
            Some((f, m, s)) if product.is_none() => format!("CPUID family {f:#04x} model {m:#04x} stepping {s:#04x} is no known SEV-SNP product (Milan, Genoa, Turin)"),
            _ => "the product is unknown: a version 2 report has no CPUID, and no VCEK/VLEK names it".to_owned(),
        }),
        (Some(a), None) => {
            let c = Check::pass("snp.chain.ark", T_ARK).actual(format!("{} sha256:{}", a.subject_cn, a.sha256()));
            if opts.test_ark.is_some() { c.reason("DANGER: a test ARK given by the caller, not AMD's") } else { c }
        }
    };
    let ark_ok = ark_check.status == Status::Pass;
    checks.push(ark_check);

    // Intermediate: the supplied CA certificate that names the leaf's issuer.
    let inters: Vec<&AmdCert> = certs.iter().filter(|c| !c.self_issued() && matches!(c.key, Key::Rsa(_))).collect();
    let inter = leaf.and_then(|l| inters.iter().copied().find(|c| l.issued_by_name(c)));
    let mut chain_ok = ark_ok;
    match (&ark, leaf, inter) {
        (_, None, _) => {
            chain_ok = false;
            checks.push(indeterminate("snp.chain.intermediate", T_INTER, "no VCEK/VLEK was supplied (collateral: the KDS VCEK, a capture directory, or --collateral)"));
        }
        (_, Some(l), None) if inters.is_empty() => {
            chain_ok = false;
            checks.push(indeterminate("snp.chain.intermediate", T_INTER, format!("no {} was supplied (the KDS cert_chain)", l.issuer_cn)));
        }
        (_, Some(l), None) => {
            chain_ok = false;
            let names: Vec<&str> = inters.iter().map(|c| c.subject_cn.as_str()).collect();
            checks.push(Check::fail("snp.chain.intermediate", T_INTER, "no supplied intermediate issues the VCEK/VLEK").expected(l.issuer_cn.clone()).actual(names.join(", ")));
        }
        (None, Some(_), Some(_)) => {
            chain_ok = false;
            checks.push(skip("snp.chain.intermediate", T_INTER, "no pinned ARK for this report"));
        }
        (Some(a), Some(_), Some(i)) => {
            let r = if !i.issued_by_name(a) {
                Err(format!("{} is issued by {}, not {}", i.subject_cn, i.issuer_cn, a.subject_cn))
            } else if !i.is_ca {
                Err(format!("{} is not a CA (basicConstraints)", i.subject_cn))
            } else if let Some(x) = i.unknown_critical.first() {
                Err(format!("{} has an unknown critical extension {x}", i.subject_cn))
            } else {
                i.verify_signed_by_cached(a, cache)
            };
            chain_ok &= r.is_ok();
            checks.push(match r {
                Ok(()) => Check::pass("snp.chain.intermediate", T_INTER).actual(format!("{} sha256:{}", i.subject_cn, i.sha256())),
                Err(e) => Check::fail("snp.chain.intermediate", T_INTER, e),
            });
        }
    }
    match (leaf, inter) {
        (Some(l), Some(i)) => {
            let r = if let Some(x) = l.unknown_critical.first() { Err(format!("unknown critical extension {x}")) } else { l.verify_signed_by_cached(i, cache) };
            chain_ok &= r.is_ok();
            checks.push(match r {
                Ok(()) => Check::pass("snp.chain.leaf", T_LEAF).actual(format!("{} by {}", l.subject_cn, i.subject_cn)),
                Err(e) => Check::fail("snp.chain.leaf", T_LEAF, e),
            });
        }
        _ => checks.push(skip("snp.chain.leaf", T_LEAF, "no verified intermediate")),
    }
    // Validity of ARK, intermediate and leaf at `at`.
    let chain: Vec<&AmdCert> = [ark.as_ref(), inter, leaf].into_iter().flatten().collect();
    if chain.len() == 3 {
        let expired: Vec<String> = chain.iter().filter(|c| !c.valid_at(at)).map(|c| format!("{} valid {}", c.subject_cn, c.validity())).collect();
        chain_ok &= expired.is_empty();
        checks.push(if expired.is_empty() {
            Check::pass("snp.chain.validity", T_VALID).actual(format!("leaf valid {}", leaf.map(AmdCert::validity).unwrap_or_default()))
        } else {
            Check::fail("snp.chain.validity", T_VALID, format!("not valid at {at}: {}", expired.join("; "))).expected(at.to_string())
        });
    } else {
        checks.push(skip("snp.chain.validity", T_VALID, "the chain is incomplete"));
    }
    // Product consistency: CPUID ↔ intermediate ↔ leaf productName.
    if let (Some(p), Some(l)) = (product, leaf) {
        let mut wrong = Vec::new();
        if Product::from_cert_name(&l.issuer_cn) != Some(p) {
            wrong.push(format!("issuer {}", l.issuer_cn));
        }
        match l.product_name() {
            Some(n) if Product::from_cert_name(&n) == Some(p) => {}
            Some(n) => wrong.push(format!("productName {n}")),
            None => wrong.push("no productName".to_owned()),
        }
        let actual = format!("{} (issuer {}, productName {})", report.cpuid.map(|(f, m, _)| format!("CPUID {f:#04x}/{m:#04x}")).unwrap_or_else(|| "v2, no CPUID".to_owned()), l.issuer_cn, l.product_name().unwrap_or_default());
        chain_ok &= wrong.is_empty();
        checks.push(if wrong.is_empty() {
            Check::pass("snp.chain.product", T_PRODUCT).expected(p.name()).actual(actual)
        } else {
            Check::fail("snp.chain.product", T_PRODUCT, format!("not {}: {}", p.name(), wrong.join(", "))).expected(p.name()).actual(actual)
        });
    } else {
        checks.push(skip("snp.chain.product", T_PRODUCT, "no product or no VCEK/VLEK"));
    }

    // Key selection.
    let kind = leaf.map(leaf_kind);
    checks.push(match (want_kind, kind) {
        (SigningKey::None, _) => Check::fail("snp.report.signing_key", T_KEYSEL, "SIGNING_KEY is 7: the report is unsigned"),
        (w, Some(k)) if w == k => Check::pass("snp.report.signing_key", T_KEYSEL).expected(format!("{w:?}")).actual(format!("{k:?}")),
        (w, Some(k)) => Check::fail("snp.report.signing_key", T_KEYSEL, "the report names another key kind than the certificate supplied").expected(format!("{w:?}")).actual(format!("{k:?}")),
        (_, None) => skip("snp.report.signing_key", T_KEYSEL, "no VCEK/VLEK"),
    });
    // Report signature.
    let mut sig_ok = false;
    checks.push(match leaf.map(|l| &l.key) {
        Some(Key::P384(point)) if want_kind != SigningKey::None => {
            sig_ok = crypto::verify(SigAlg::EcdsaP384Sha384Fixed, point, report.signed_bytes(), &report.signature).is_ok();
            Check::from_bool("snp.report.signature", T_SIG, sig_ok, "ECDSA P-384 over bytes 0x000..0x2A0 does not verify with the VCEK/VLEK key")
        }
        _ => skip("snp.report.signature", T_SIG, "no VCEK/VLEK key, or the report is unsigned"),
    });

    // VCEK extensions.
    let turin = product == Some(Product::Turin);
    match (leaf, kind) {
        (Some(l), Some(SigningKey::Vcek)) => {
            let hw = l.amd("4");
            let want_len = if turin { 8 } else { 64 };
            let chip = hex(&report.chip_id);
            checks.push(match hw {
                None => Check::fail("snp.vcek.hwid", T_HWID, "the VCEK has no hwID extension").expected(chip),
                Some(h) if report.mask_chip_id => Check::fail("snp.vcek.hwid", T_HWID, "the report masks its chip ID (MASK_CHIP_ID)").expected(hex(h)).actual(chip),
                Some(h) => {
                    let (head, tail) = report.chip_id.split_at(h.len().min(64));
                    let ok = h.len() == want_len && head == h && tail.iter().all(|&b| b == 0);
                    Check::from_bool("snp.vcek.hwid", T_HWID, ok, format!("hwID ({} bytes, {want_len} expected) is not the chip ID", h.len())).expected(hex(h)).actual(chip)
                }
            });
        }
        (Some(l), Some(_)) => checks.push(match l.amd("4") {
            None => Check::pass("snp.vcek.hwid", T_HWID).reason("VLEK: no hardware ID"),
            Some(h) => Check::fail("snp.vcek.hwid", T_HWID, "a VLEK carries a hardware ID").actual(hex(h)),
        }),
        _ => checks.push(skip("snp.vcek.hwid", T_HWID, "no VCEK/VLEK")),
    }
    match (leaf, product) {
        (Some(l), Some(p)) => {
            let rt = report.tcb(TcbField::Reported, p);
            let mut exp = Vec::new();
            let mut act = Vec::new();
            let mut ok = true;
            let mut want: Vec<(&str, &str, u8)> = vec![("bl", "3.1", rt.bl), ("tee", "3.2", rt.tee), ("snp", "3.3", rt.snp), ("ucode", "3.8", rt.ucode)];
            if let Some(f) = rt.fmc {
                want.insert(0, ("fmc", "3.9", f));
            }
            for (name, oid, v) in want {
                exp.push(format!("{name}={v}"));
                match l.amd_int(oid) {
                    Ok(Some(c)) => {
                        ok &= c == v;
                        act.push(format!("{name}={c}"));
                    }
                    Ok(None) => {
                        ok = false;
                        act.push(format!("{name}=absent"));
                    }
                    Err(e) => {
                        ok = false;
                        act.push(format!("{name}: {e}"));
                    }
                }
            }
            checks.push(Check::from_bool("snp.vcek.tcb", T_TCB, ok, "the certificate is issued for another TCB than REPORTED_TCB").expected(exp.join(" ")).actual(act.join(" ")));
        }
        _ => checks.push(skip("snp.vcek.tcb", T_TCB, "no VCEK/VLEK or no product")),
    }

    // CRL.
    checks.push(crl_check(collateral, ark.as_ref(), inter, at, opts, &mut used));

    // Guest policy defaults.
    let pol = report.policy;
    let polx = format!("{pol:#x}");
    let debug = Check::from_bool("snp.guest.debug", T_DEBUG, pol & POLICY_DEBUG == 0 || opts.allow_debug, "DEBUG (bit 19) is set: the host can read and write guest memory").expected("DEBUG clear").actual(polx.clone());
    checks.push(if pol & POLICY_DEBUG != 0 && opts.allow_debug { debug.reason("DEBUG is set and allowed by the policy") } else { debug });
    checks.push(Check::from_bool("snp.guest.migrate_ma", T_MIGRATE, pol & POLICY_MIGRATE_MA == 0 || opts.allow_migrate_ma, "MIGRATE_MA (bit 18) is set: a migration agent may move the guest").expected("MIGRATE_MA clear").actual(polx.clone()));
    checks.push(Check::from_bool("snp.guest.policy_reserved", T_RESERVED, pol & POLICY_RESERVED_MBO != 0 && pol >> 26 == 0, "a reserved guest-policy bit has the wrong value").actual(polx));

    for (what, c) in [("vcek", leaf), ("ask", inter)] {
        if let Some(c) = c {
            used.push(CollateralUsed { kind: format!("snp.{what}"), sha256: c.sha256(), issued: Some(c.not_before.to_string()), next_update: Some(c.not_after.to_string()), detail: Some(c.subject_cn.clone()) });
        }
    }
    let authentic = chain_ok && sig_ok;
    let claims = claims(&report, product, leaf);
    Ok(SnpVerification { checks, report, product, authentic, claims, collateral: used })
}

fn crl_check(collateral: &SnpCollateral, ark: Option<&AmdCert>, inter: Option<&AmdCert>, at: Timestamp, opts: &SnpOptions, used: &mut Vec<CollateralUsed>) -> Check {
    let absent = |why: &str| {
        if opts.require_crl {
            indeterminate("snp.crl", T_CRL, format!("{why}; the policy requires a CRL"))
        } else {
            skip("snp.crl", T_CRL, why).optional()
        }
    };
    if collateral.crls.is_empty() {
        return absent("no CRL was supplied");
    }
    // A supplied CRL is checked against the pinned ARK even when the chain is incomplete: a
    // stale or forged CRL fails whatever else is missing.
    let Some(ark) = ark else {
        return skip("snp.crl", T_CRL, "no pinned ARK for this report");
    };
    let mut errors = Vec::new();
    for der in &collateral.crls {
        let crl = match AmdCrl::parse(der) {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Err(e) = crl.verify_signed_by(ark) {
            errors.push(e);
            continue;
        }
        used.push(CollateralUsed {
            kind: "snp.crl".to_owned(),
            sha256: hex(&crypto::sha256(der)),
            issued: Some(crl.this_update.to_string()),
            next_update: crl.next_update.map(|t| t.to_string()),
            detail: Some(ark.subject_cn.clone()),
        });
        let window = format!("{}..{}", crl.this_update, crl.next_update.map(|t| t.to_string()).unwrap_or_else(|| "(no nextUpdate)".to_owned()));
        let r = if let Some(x) = crl.unknown_critical.first() {
            Err(format!("unknown critical CRL extension {x}"))
        } else if !(crl.this_update <= at && crl.next_update.is_some_and(|n| at <= n)) {
            Err(format!("the CRL is not current at {at}: {window}"))
        } else if let Some(i) = inter.filter(|i| crl.lists(&i.serial)) {
            Err(format!("{} (serial {}) is revoked", i.subject_cn, hex(&i.serial)))
        } else if inter.is_none() {
            return indeterminate("snp.crl", T_CRL, format!("the {} CRL is current ({window}) but no intermediate was supplied to look up", ark.subject_cn));
        } else {
            Ok(())
        };
        return match r {
            Ok(()) => Check::pass("snp.crl", T_CRL).actual(format!("{} CRL {window}, {} revoked", ark.subject_cn, crl.revoked.len())),
            Err(e) => Check::fail("snp.crl", T_CRL, e).expected(at.to_string()).actual(window),
        };
    }
    // Every supplied CRL failed: supplied evidence that does not verify is a failure.
    Check::fail("snp.crl", T_CRL, errors.join("; "))
}

fn claims(r: &Report, product: Option<Product>, leaf: Option<&AmdCert>) -> serde_json::Value {
    let p = product.unwrap_or(Product::Milan);
    let tcb = |f| serde_json::to_value(r.tcb(f, p)).unwrap_or_default();
    json!({
        "version": r.version,
        "product": product.map(Product::name),
        "guest_svn": r.guest_svn,
        "policy": format!("{:#x}", r.policy),
        "vmpl": r.vmpl,
        "platform_info": format!("{:#x}", r.platform_info),
        "signing_key": r.signing_key,
        "report_data": hex(&r.report_data),
        "measurement": hex(&r.measurement),
        "host_data": hex(&r.host_data),
        "id_key_digest": hex(&r.id_key_digest),
        "author_key_digest": hex(&r.author_key_digest),
        "family_id": hex(&r.family_id),
        "image_id": hex(&r.image_id),
        "chip_id": hex(&r.chip_id),
        "cpuid": r.cpuid.map(|(f, m, s)| format!("{f:02x}/{m:02x}/{s:02x}")),
        "current_tcb": tcb(TcbField::Current),
        "reported_tcb": tcb(TcbField::Reported),
        "committed_tcb": tcb(TcbField::Committed),
        "launch_tcb": tcb(TcbField::Launch),
        "firmware": format!("{}.{}.{}", r.current_fw.0, r.current_fw.1, r.current_fw.2),
        "leaf": leaf.map(|l| json!({"subject": l.subject_cn, "issuer": l.issuer_cn, "product_name": l.product_name(), "not_before": l.not_before, "not_after": l.not_after})),
    })
}
