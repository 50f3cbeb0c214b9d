//! AMD SEV-SNP roots: the AMD Root Keys (ARK) of Milan, Genoa and Turin, compiled in. Every
//! SEV-SNP chain ends in one of these (or in a test ARK a caller passes as a scan option, never
//! one taken from the evidence). The DER files under `anchors/amd/` are AMD's public roots as
//! served by the KDS (`https://kdsintf.amd.com/vcek/v1/{product}/cert_chain`), identical in every
//! source listed in `docs/snp.md`.

/// An AMD EPYC product line with its own SEV-SNP certificate chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Product {
    /// 3rd gen EPYC (Zen 3), family 19h models 00h–0Fh.
    Milan,
    /// 4th gen EPYC (Zen 4, incl. Siena/Zen 4c), family 19h models 10h–1Fh and A0h–AFh.
    Genoa,
    /// 5th gen EPYC (Zen 5), family 1Ah models 00h–11h.
    Turin,
}

impl Product {
    /// Every product, in release order.
    pub const ALL: [Product; 3] = [Product::Milan, Product::Genoa, Product::Turin];

    /// The name AMD uses in certificate names and KDS URLs (`Milan`, `Genoa`, `Turin`).
    pub fn name(self) -> &'static str {
        match self {
            Product::Milan => "Milan",
            Product::Genoa => "Genoa",
            Product::Turin => "Turin",
        }
    }

    /// The product of a report's CPUID family and model (report versions 3 and later).
    pub fn from_cpuid(family: u8, model: u8) -> Option<Product> {
        match (family, model) {
            (0x19, 0x00..=0x0F) => Some(Product::Milan),
            (0x19, 0x10..=0x1F | 0xA0..=0xAF) => Some(Product::Genoa),
            (0x1A, 0x00..=0x11) => Some(Product::Turin),
            _ => None,
        }
    }

    /// The product named in an AMD certificate common name (`ARK-Genoa`, `SEV-VLEK-Milan`,
    /// `SEV-Turin`) or a VCEK `productName` (`Milan-B0`).
    pub fn from_cert_name(name: &str) -> Option<Product> {
        Product::ALL.into_iter().find(|p| {
            let n = p.name();
            name == n
                || name.strip_prefix(n).is_some_and(|rest| rest.starts_with('-'))
                || name.strip_prefix("ARK-") == Some(n)
                || name.strip_prefix("SEV-") == Some(n)
                || name.strip_prefix("SEV-VLEK-") == Some(n)
        })
    }

    /// DER of the pinned ARK.
    pub fn ark_der(self) -> &'static [u8] {
        match self {
            Product::Milan => ARK_MILAN_DER,
            Product::Genoa => ARK_GENOA_DER,
            Product::Turin => ARK_TURIN_DER,
        }
    }

    /// SHA-256 of [`Product::ark_der`], lower hex.
    pub fn ark_sha256(self) -> &'static str {
        match self {
            Product::Milan => "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd",
            Product::Genoa => "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1",
            Product::Turin => "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a",
        }
    }
}

/// `CN=ARK-Milan` (serial 0x010000, RSA-4096, RSASSA-PSS SHA-384, to 2045-10-22).
pub const ARK_MILAN_DER: &[u8] = include_bytes!("anchors/amd/ark_milan.der");
/// `CN=ARK-Genoa` (serial 0x020000, RSA-4096, RSASSA-PSS SHA-384, to 2047-01-26).
pub const ARK_GENOA_DER: &[u8] = include_bytes!("anchors/amd/ark_genoa.der");
/// `CN=ARK-Turin` (serial 0x030000, RSA-4096, RSASSA-PSS SHA-384, to 2048-05-15).
pub const ARK_TURIN_DER: &[u8] = include_bytes!("anchors/amd/ark_turin.der");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_arks_match_their_published_fingerprints() {
        for p in Product::ALL {
            assert_eq!(crate::bytes::to_hex(crate::crypto::sha256(p.ark_der())), p.ark_sha256(), "{p:?}");
        }
    }

    #[test]
    fn products_are_read_from_cpuid_and_certificate_names() {
        assert_eq!(Product::from_cpuid(0x19, 0x01), Some(Product::Milan));
        assert_eq!(Product::from_cpuid(0x19, 0x11), Some(Product::Genoa));
        assert_eq!(Product::from_cpuid(0x19, 0xA0), Some(Product::Genoa));
        assert_eq!(Product::from_cpuid(0x1A, 0x02), Some(Product::Turin));
        assert_eq!(Product::from_cpuid(0x17, 0x31), None);
        assert_eq!(Product::from_cert_name("Milan-B0"), Some(Product::Milan));
        assert_eq!(Product::from_cert_name("SEV-VLEK-Genoa"), Some(Product::Genoa));
        assert_eq!(Product::from_cert_name("ARK-Turin"), Some(Product::Turin));
        assert_eq!(Product::from_cert_name("Milanese"), None);
    }
}
